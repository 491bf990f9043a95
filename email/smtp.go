package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/ginauth/ginauth/providers"
)

// Default timeouts of SMTP.
const (
	// DefaultConnectTimeout bounds dialling the server and, with
	// ImplicitTLS, the TLS handshake.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultSendTimeout bounds a whole send, from dialling to the
	// server's acceptance of the message.
	DefaultSendTimeout = 30 * time.Second
)

// TLSMode says how the connection to the SMTP server is secured.
type TLSMode int

const (
	// StartTLS connects in clear text and upgrades the connection with
	// STARTTLS (RFC 3207) before anything else is sent. A server that does
	// not offer STARTTLS is refused with ErrTLS before credentials or the
	// message are sent. The default, on port 587 unless Port says
	// otherwise; smtp:// URLs.
	StartTLS TLSMode = iota
	// ImplicitTLS speaks TLS from the first byte (SMTPS, RFC 8314), on
	// port 465 unless Port says otherwise; smtps:// URLs.
	ImplicitTLS
	// InsecurePlainText sends everything, the sign-in link included, in
	// clear text, on port 25 unless Port says otherwise. Anyone on the path
	// can read the link and sign in as the recipient: use it only for a
	// development relay on the loopback interface (such as Mailpit or
	// MailHog on localhost:1025), never across a network. Credentials are
	// refused in this mode unless InsecureAllowCleartextAuth is set.
	InsecurePlainText
)

// String returns the mode's name.
func (m TLSMode) String() string {
	switch m {
	case StartTLS:
		return "StartTLS"
	case ImplicitTLS:
		return "ImplicitTLS"
	case InsecurePlainText:
		return "InsecurePlainText"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// AuthMechanism is the SASL mechanism SMTP authenticates with.
type AuthMechanism string

const (
	// AuthAuto uses PLAIN when the server offers it, else LOGIN, as
	// Nodemailer does. The default.
	AuthAuto AuthMechanism = ""
	// AuthPlain uses PLAIN (RFC 4616).
	AuthPlain AuthMechanism = "PLAIN"
	// AuthLogin uses the LOGIN mechanism that some older servers need.
	AuthLogin AuthMechanism = "LOGIN"
)

// SMTP is a providers.Sender that delivers sign-in links through an SMTP
// server, rendering them with [Render]. The zero value of every field but
// Host and From is a safe default; [NewSMTP] fills one from a URL. An SMTP
// value may be copied and used concurrently: each send opens its own
// connection.
//
// Before connecting, a send checks the configuration ([SMTP.Validate]) and
// that the recipient is one plain address ([ValidateAddress]). The context
// is honoured throughout: cancelling it, or its deadline, closes the
// connection and the send fails with an error matching context.Canceled
// or context.DeadlineExceeded.
type SMTP struct {
	// Host is the server's host name or IP address. Required. It is also
	// the name its TLS certificate is checked against unless
	// TLSConfig.ServerName says otherwise.
	Host string
	// Port is the server's port; when zero, 587 for StartTLS, 465 for
	// ImplicitTLS and 25 for InsecurePlainText.
	Port int
	// Username and Password are the credentials; when Username is empty
	// the sender does not authenticate. They are sent only over an
	// encrypted connection (but see InsecureAllowCleartextAuth).
	Username string
	// Password goes with Username. It never appears in errors or in the
	// value's String.
	Password string
	// Auth is the authentication mechanism; AuthAuto when empty.
	Auth AuthMechanism
	// TLS is how the connection is secured; StartTLS (required) when zero.
	TLS TLSMode
	// TLSConfig, when not nil, is used for the TLS connection, such as
	// with RootCAs holding a private CA. Its ServerName defaults to Host
	// and its MinVersion to TLS 1.2. The system's roots and full
	// certificate checks apply when nil.
	TLSConfig *tls.Config
	// InsecureAllowCleartextAuth lets InsecurePlainText send the
	// credentials in clear text, for a development relay on the loopback
	// interface that insists on them. Never set it for a server across a
	// network: anyone on the path can read the password.
	InsecureAllowCleartextAuth bool
	// From is the sender, "no-reply@example.com" or
	// "Example <no-reply@example.com>". Required. Without a display name,
	// the theme's brand name (providers.Theme.Name) is used as one, unless
	// it is the "Sign in" placeholder.
	From string
	// LocalName is the name sent with EHLO; the machine's host name when
	// empty.
	LocalName string
	// ConnectTimeout bounds dialling and, with ImplicitTLS, the TLS
	// handshake; DefaultConnectTimeout when zero.
	ConnectTimeout time.Duration
	// SendTimeout bounds a whole send, from dialling to the server's
	// acceptance of the message, and each reply on the way;
	// DefaultSendTimeout when zero. A deadline of the context that is
	// sooner wins.
	SendTimeout time.Duration
	// Render builds the message instead of the package's [Render], to word
	// or style it your own way while SMTP delivers it. The Subject must be
	// one line of printable text and Text must not be empty (the link on
	// its own line, for clients that show no HTML); an empty HTML sends a
	// text-only message. Keep r.URL exactly as it is: it carries the token.
	// A message that breaks these rules is refused with ErrConfig before
	// connecting; Render's own errors are returned as they are.
	Render func(r providers.VerificationRequest) (Message, error)
}

// NewSMTP returns an SMTP sender for the server at serverURL, in the form
// of Auth.js's EMAIL_SERVER, sending from from (EMAIL_FROM):
//
//	smtp://user:password@smtp.example.com:587    STARTTLS (required), port 587 by default
//	smtps://user:password@smtp.example.com:465   TLS from the first byte, port 465 by default
//
// The user and password are URL-encoded ("p%40ss" for "p@ss"); both may be
// left out for a server that needs no authentication. Query parameters,
// paths and fragments are refused rather than ignored. Other fields
// (TLSConfig, timeouts, ...) can be set on the returned value. Errors match
// ErrConfig and never contain the password.
func NewSMTP(serverURL, from string) (*SMTP, error) {
	s, err := parseServerURL(serverURL)
	if err != nil {
		return nil, err
	}
	s.From = from
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func parseServerURL(raw string) (*SMTP, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("%w: the SMTP server URL is empty", ErrConfig)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: the SMTP server URL does not parse: %s", ErrConfig, urlErrorText(err))
	}
	s := &SMTP{}
	switch u.Scheme {
	case "smtp":
		s.TLS = StartTLS
	case "smtps":
		s.TLS = ImplicitTLS
	case "":
		return nil, fmt.Errorf("%w: the SMTP server URL needs a scheme, smtp:// or smtps://", ErrConfig)
	default:
		return nil, fmt.Errorf("%w: SMTP server URL scheme %q is not smtp or smtps", ErrConfig, u.Scheme)
	}
	switch {
	case u.Opaque != "":
		return nil, fmt.Errorf("%w: the SMTP server URL must be %s://[user:password@]host[:port]", ErrConfig, u.Scheme)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%w: the SMTP server URL has no host", ErrConfig)
	case u.Path != "" && u.Path != "/":
		return nil, fmt.Errorf("%w: the SMTP server URL may not have a path", ErrConfig)
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("%w: the SMTP server URL may not have query parameters; set the SMTP fields instead", ErrConfig)
	case u.Fragment != "":
		return nil, fmt.Errorf("%w: the SMTP server URL may not have a fragment", ErrConfig)
	}
	s.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: SMTP server URL port %q is not a number from 1 to 65535", ErrConfig, p)
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
		if s.Username == "" {
			return nil, fmt.Errorf("%w: the SMTP server URL has a password but no user", ErrConfig)
		}
	}
	s.Port = s.port()
	return s, nil
}

// urlErrorText describes a url.Parse error without repeating the URL,
// which may hold the password.
func urlErrorText(err error) string {
	var esc url.EscapeError
	if errors.As(err, &esc) {
		return "malformed %-escape"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var host url.InvalidHostError
	if errors.As(err, &host) {
		return "invalid character in host"
	}
	msg := err.Error()
	if strings.Contains(msg, "invalid port") {
		return "invalid port"
	}
	return msg
}

// Validate reports, with an error matching ErrConfig, a configuration that
// cannot work or would be unsafe: no Host, an invalid From, a port out of
// range, an unknown mode or mechanism, a password without a user,
// credentials over InsecurePlainText without InsecureAllowCleartextAuth, or
// a negative timeout.
func (s SMTP) Validate() error {
	host := s.hostname()
	switch {
	case host == "":
		return fmt.Errorf("%w: SMTP needs a Host", ErrConfig)
	case strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("/?#@[]", r) }):
		return fmt.Errorf("%w: SMTP Host must be a host name or an IP address", ErrConfig)
	case s.Port < 0 || s.Port > 65535:
		return fmt.Errorf("%w: SMTP Port %d is out of range", ErrConfig, s.Port)
	case s.TLS < StartTLS || s.TLS > InsecurePlainText:
		return fmt.Errorf("%w: unknown SMTP TLS mode %d", ErrConfig, int(s.TLS))
	case s.Auth != AuthAuto && s.Auth != AuthPlain && s.Auth != AuthLogin:
		return fmt.Errorf("%w: unknown SMTP Auth mechanism %q", ErrConfig, string(s.Auth))
	case s.Username == "" && s.Password != "":
		return fmt.Errorf("%w: SMTP has a Password but no Username", ErrConfig)
	case s.Username != "" && s.TLS == InsecurePlainText && !s.InsecureAllowCleartextAuth:
		return fmt.Errorf("%w: SMTP credentials over InsecurePlainText would be sent in clear text; "+
			"set InsecureAllowCleartextAuth for a loopback development relay, or use StartTLS or ImplicitTLS", ErrConfig)
	case s.ConnectTimeout < 0 || s.SendTimeout < 0:
		return fmt.Errorf("%w: SMTP timeouts may not be negative", ErrConfig)
	case strings.ContainsAny(s.LocalName, " \t\r\n"):
		return fmt.Errorf("%w: SMTP LocalName may not contain spaces or line breaks", ErrConfig)
	}
	if _, err := s.fromAddress(); err != nil {
		return err
	}
	return nil
}

// fromAddress parses From.
func (s SMTP) fromAddress() (*mail.Address, error) {
	if s.From == "" {
		return nil, fmt.Errorf("%w: SMTP needs a From address", ErrConfig)
	}
	if strings.ContainsAny(s.From, "\r\n") {
		return nil, fmt.Errorf("%w: SMTP From may not contain line breaks", ErrConfig)
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return nil, fmt.Errorf("%w: SMTP From is not one address: %w", ErrConfig, err)
	}
	if err := ValidateAddress(from.Address); err != nil {
		return nil, fmt.Errorf("%w: SMTP From: %w", ErrConfig, err)
	}
	return from, nil
}

// String describes the sender without its password.
func (s SMTP) String() string {
	var b strings.Builder
	b.WriteString("email.SMTP{")
	fmt.Fprintf(&b, "Host: %q, Port: %d, TLS: %v", s.Host, s.port(), s.TLS)
	if s.Username != "" {
		fmt.Fprintf(&b, ", Username: %q, Password: [redacted]", s.Username)
	}
	fmt.Fprintf(&b, ", From: %q}", s.From)
	return b.String()
}

// GoString is String, so that %#v does not print the password either.
func (s SMTP) GoString() string { return s.String() }

// LogValue describes the sender to log/slog without its password.
func (s SMTP) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", s.Host),
		slog.Int("port", s.port()),
		slog.String("tls", s.TLS.String()),
		slog.Bool("auth", s.Username != ""),
	)
}

func (s SMTP) hostname() string {
	return strings.TrimSuffix(strings.TrimPrefix(s.Host, "["), "]")
}

func (s SMTP) port() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.TLS == ImplicitTLS:
		return gomail.DefaultPortSSL
	case s.TLS == InsecurePlainText:
		return gomail.DefaultPort
	}
	return gomail.DefaultPortTLS
}

func (s SMTP) connectTimeout() time.Duration {
	if s.ConnectTimeout > 0 {
		return s.ConnectTimeout
	}
	return DefaultConnectTimeout
}

func (s SMTP) sendTimeout() time.Duration {
	if s.SendTimeout > 0 {
		return s.SendTimeout
	}
	return DefaultSendTimeout
}

func (s SMTP) tlsConfig() *tls.Config {
	var c *tls.Config
	if s.TLSConfig != nil {
		c = s.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = s.hostname()
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// SendVerificationRequest sends r's sign-in link to r.Identifier. It
// refuses an invalid recipient (ErrInvalidAddress) or configuration
// (ErrConfig) before connecting; server failures match ErrAuth, ErrTLS,
// ErrRejected or ErrTemporary, and running out of time or a cancelled ctx
// match context.DeadlineExceeded or context.Canceled.
func (s SMTP) SendVerificationRequest(ctx context.Context, r providers.VerificationRequest) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := ValidateAddress(r.Identifier); err != nil {
		return err
	}
	render := Render
	if s.Render != nil {
		render = s.Render
	}
	msg, err := render(r)
	if err != nil {
		return err
	}
	if err := msg.check(); err != nil {
		return err
	}
	m, err := s.compose(r, msg)
	if err != nil {
		return err
	}
	return s.send(ctx, m)
}

// compose builds the MIME message: multipart/alternative with the text and
// the HTML body.
func (s SMTP) compose(r providers.VerificationRequest, msg Message) (*gomail.Msg, error) {
	from, err := s.fromAddress()
	if err != nil {
		return nil, err
	}
	if from.Name == "" {
		from.Name = brandName(r.Theme)
	}
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	// Addresses are set as parsed values: nothing is parsed again from
	// text, and names are encoded by net/mail (RFC 2047), so neither the
	// brand name nor the recipient can add a header or a recipient.
	m.SetAddrHeaderFromMailAddress(gomail.HeaderFrom, from)
	m.SetAddrHeaderFromMailAddress(gomail.HeaderTo, &mail.Address{Address: r.Identifier})
	m.Subject(msg.Subject)
	m.SetDate()
	id, err := messageID(from.Address)
	if err != nil {
		return nil, err
	}
	m.SetMessageIDWithValue(id)
	// RFC 3834: an automatic message, not to be answered by auto-responders.
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return m, nil
}

// check refuses a message SMTP cannot send as it is: a subject that is
// empty, not valid UTF-8, or holds a line break or another control
// character (which could start a header of its own), or an empty text
// body.
func (m Message) check() error {
	switch {
	case strings.TrimSpace(m.Subject) == "":
		return fmt.Errorf("%w: the message has no subject", ErrConfig)
	case !utf8.ValidString(m.Subject) || strings.IndexFunc(m.Subject, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: the message's subject must be one line of printable text", ErrConfig)
	case strings.TrimSpace(m.Text) == "":
		return fmt.Errorf("%w: the message has no text body", ErrConfig)
	}
	return nil
}

// messageID returns a random Message-ID on the sender's domain, so that the
// machine's host name does not leak into the message.
func messageID(from string) (string, error) {
	_, domain, _ := strings.Cut(from, "@")
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("email: making a Message-ID: %w", err)
	}
	return fmt.Sprintf("%x@%s", b, domain), nil
}

// send delivers m over one connection.
func (s SMTP) send(ctx context.Context, m *gomail.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, s.sendTimeout())
	defer cancel()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("email: not sent: %w", err)
	}

	host := s.hostname()
	addr := net.JoinHostPort(host, strconv.Itoa(s.port()))
	tlsConfig := s.tlsConfig()

	// The connection is dialled here rather than by go-mail so that the
	// context governs the whole exchange: go-mail consults it only while
	// dialling, and context.AfterFunc closes the socket when it ends.
	var raw net.Conn
	var stop func() bool
	defer func() {
		if stop != nil {
			stop()
		}
		if raw != nil {
			_ = raw.Close()
		}
	}()
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		d := net.Dialer{Timeout: s.connectTimeout()}
		c, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		raw = c
		stop = context.AfterFunc(ctx, func() { _ = c.Close() })
		if s.TLS != ImplicitTLS {
			return c, nil
		}
		tc := tls.Client(c, tlsConfig)
		hctx, hcancel := context.WithTimeout(dctx, s.connectTimeout())
		defer hcancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			return nil, err
		}
		// go-mail's client sees a *tls.Conn and treats the connection as
		// encrypted.
		return tc, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(s.port()),
		gomail.WithTimeout(s.sendTimeout()),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithoutNoop(),
	}
	switch s.TLS {
	case StartTLS:
		// STARTTLS is required; it is enforced below, after go-mail's
		// attempt, so that a server without it is told apart from other
		// failures. Credentials are guarded by authenticator.Start, which
		// runs before anything secret is written.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		// ImplicitTLS is handled by dial; InsecurePlainText has none.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.LocalName != "" {
		opts = append(opts, gomail.WithHELO(s.LocalName))
	}
	var auth *authenticator
	if s.Username != "" {
		auth = &authenticator{
			username:       s.Username,
			password:       s.Password,
			mechanism:      s.Auth,
			allowCleartext: s.TLS == InsecurePlainText && s.InsecureAllowCleartextAuth,
		}
		opts = append(opts, gomail.WithSMTPAuthCustom(auth))
	}
	client, err := gomail.NewClient(host, opts...)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}

	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return dialError(ctx, auth, err)
	}
	if s.TLS != InsecurePlainText {
		if state, err := conn.GetTLSConnectionState(); err != nil || !state.HandshakeComplete {
			_ = conn.Quit()
			return fmt.Errorf("%w: the server at %s does not offer STARTTLS; nothing was sent", ErrTLS, addr)
		}
	}
	err = client.SendWithSMTPClient(conn, m)
	// Once the server has accepted the message it is on its way, whatever
	// happens to RSET or QUIT afterwards.
	delivered := m.IsDelivered()
	_ = client.CloseWithSMTPClient(conn)
	if delivered {
		return nil
	}
	if err == nil {
		err = errors.New("the message was not accepted")
	}
	return sendError(ctx, err)
}

// dialError classifies a failure while connecting, securing the connection
// or authenticating.
func dialError(ctx context.Context, auth *authenticator, err error) error {
	if cerr := contextError(ctx, err); cerr != nil {
		return cerr
	}
	if auth != nil && auth.err != nil {
		return auth.err // refused before anything was sent; go-mail adds nothing
	}
	if isTLSError(err) {
		return fmt.Errorf("%w: %w", ErrTLS, err)
	}
	var perr *textproto.Error
	hasCode := errors.As(err, &perr)
	switch {
	case auth != nil && auth.started, hasCode && isAuthCode(perr.Code):
		return fmt.Errorf("%w: %w", ErrAuth, err)
	case hasCode && perr.Code >= 500:
		return fmt.Errorf("%w: %w", ErrRejected, err)
	case hasCode && perr.Code >= 400:
		return fmt.Errorf("%w: %w", ErrTemporary, err)
	}
	return fmt.Errorf("email: connecting to the SMTP server: %w", err)
}

// sendError classifies a failure of MAIL, RCPT or DATA.
func sendError(ctx context.Context, err error) error {
	if cerr := contextError(ctx, err); cerr != nil {
		return cerr
	}
	var serr *gomail.SendError
	if errors.As(err, &serr) {
		code := serr.ErrorCode()
		switch {
		case isAuthCode(code) || isAuthStatus(serr.EnhancedStatusCode()):
			return fmt.Errorf("%w: %w", ErrAuth, err)
		case code >= 500:
			return fmt.Errorf("%w: %w", ErrRejected, err)
		case code >= 400 || serr.IsTemp():
			return fmt.Errorf("%w: %w", ErrTemporary, err)
		}
	}
	return fmt.Errorf("email: sending the message: %w", err)
}

// contextError returns err wrapped with the context's error when the send
// ran out of time or was cancelled, else nil.
func contextError(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if cerr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		cerr = context.DeadlineExceeded // a reply did not come in time
	}
	switch {
	case cerr == nil:
		return nil
	case errors.Is(err, cerr):
		return fmt.Errorf("email: not sent: %w", err)
	}
	return fmt.Errorf("email: not sent: %w: %w", cerr, err)
}

// isAuthCode reports SMTP replies about authentication (RFC 4954): 530
// authentication required, 534 mechanism too weak, 535 credentials
// invalid, 538 encryption required.
func isAuthCode(code int) bool {
	return code == 530 || code == 534 || code == 535 || code == 538
}

// isAuthStatus reports the enhanced status codes of RFC 4954 that are only
// about authentication: 5.7.8 credentials invalid, 5.7.9 mechanism too
// weak, 5.7.11 encryption required.
func isAuthStatus(status string) bool {
	return status == "5.7.8" || status == "5.7.9" || status == "5.7.11"
}

func isTLSError(err error) bool {
	var (
		verr  *tls.CertificateVerificationError
		alert tls.AlertError
		rec   tls.RecordHeaderError
		unk   x509.UnknownAuthorityError
		host  x509.HostnameError
		inv   x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &alert) || errors.As(err, &rec) ||
		errors.As(err, &unk) || errors.As(err, &host) || errors.As(err, &inv)
}

// authenticator is the SASL client handed to go-mail. It picks the
// mechanism from those the server offers and refuses, before anything is
// written, to send credentials over a connection that is not encrypted.
type authenticator struct {
	username, password string
	mechanism          AuthMechanism
	allowCleartext     bool

	started bool
	err     error // why Start refused
	inner   gosmtp.Auth
}

func (a *authenticator) Start(server *gosmtp.ServerInfo) (string, []byte, error) {
	a.started = true
	mech, err := a.choose(server)
	if err != nil {
		a.err = err
		return "", nil, err
	}
	// Encryption was checked by choose, so go-mail's own check (which
	// would let clear text through to localhost) is not needed.
	if mech == AuthPlain {
		a.inner = gosmtp.PlainAuth("", a.username, a.password, server.Name, true)
	} else {
		a.inner = gosmtp.LoginAuth(a.username, a.password, server.Name, true)
	}
	return a.inner.Start(server)
}

// choose refuses a connection that is not encrypted and picks the
// mechanism.
func (a *authenticator) choose(server *gosmtp.ServerInfo) (AuthMechanism, error) {
	if !server.TLS && !a.allowCleartext {
		return "", fmt.Errorf("%w: the connection is not encrypted (the server does not offer STARTTLS); nothing was sent", ErrTLS)
	}
	offers := func(m AuthMechanism) bool {
		return slices.ContainsFunc(server.Auth, func(s string) bool { return strings.EqualFold(s, string(m)) })
	}
	switch {
	case len(server.Auth) == 0:
		return "", fmt.Errorf("%w: the server offers no authentication", ErrAuth)
	case a.mechanism != AuthAuto && offers(a.mechanism):
		return a.mechanism, nil
	case a.mechanism == AuthAuto && offers(AuthPlain):
		return AuthPlain, nil
	case a.mechanism == AuthAuto && offers(AuthLogin):
		return AuthLogin, nil
	default:
		want := string(a.mechanism)
		if a.mechanism == AuthAuto {
			want = "PLAIN or LOGIN"
		}
		return "", fmt.Errorf("%w: the server does not offer %s (it offers %s)",
			ErrAuth, want, strings.Join(server.Auth, " "))
	}
}

func (a *authenticator) Next(fromServer []byte, more bool) ([]byte, error) {
	if a.inner == nil {
		return nil, errors.New("authentication was not started")
	}
	return a.inner.Next(fromServer, more)
}
