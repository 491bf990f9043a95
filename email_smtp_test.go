package ginauth_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"html"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/email"
	"github.com/ginauth/ginauth/providers"
)

// The credentials the loopback SMTP server accepts with AUTH PLAIN.
const (
	relayUser     = "mailer@relay.test"
	relayPassword = "relay-Pässw0rd"
)

// relayMessage is one message the loopback SMTP server accepted, with how
// it came.
type relayMessage struct {
	from  string
	rcpts []string
	data  []byte
	// tls is the TLS state of the connection when the message came (after
	// STARTTLS), nil over clear text.
	tls *tls.ConnectionState
	// authUser is the user name AUTH PLAIN accepted, "" without AUTH.
	authUser string
}

// smtpRelay is an SMTP server on the loopback interface (go-smtp) that
// offers STARTTLS with a test certificate, accepts only AUTH PLAIN with
// relayUser and relayPassword, refuses MAIL before authentication and
// before STARTTLS, and keeps every message it accepts.
type smtpRelay struct {
	port  int
	roots *x509.CertPool

	mu       sync.Mutex
	messages []relayMessage
	// commands counts MAIL commands, accepted or not.
	commands int
}

func startRelay(t *testing.T) *smtpRelay {
	t.Helper()
	cert, roots := relayCertificate(t)
	r := &smtpRelay{roots: roots}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &relaySession{relay: r, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return r
}

// sender returns an SMTP sender for the relay: STARTTLS (required),
// AUTH PLAIN, the relay's certificate trusted.
func (r *smtpRelay) sender() email.SMTP {
	return email.SMTP{
		Host: "127.0.0.1", Port: r.port, Username: relayUser, Password: relayPassword, Auth: email.AuthPlain,
		TLS: email.StartTLS, TLSConfig: &tls.Config{RootCAs: r.roots},
		From: "no-reply@app.test", LocalName: "app.test", SendTimeout: 20 * time.Second,
	}
}

func (r *smtpRelay) received() []relayMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]relayMessage(nil), r.messages...)
}

func (r *smtpRelay) mailCommands() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.commands
}

// only returns the one message received since n messages had been, or
// fails the test.
func (r *smtpRelay) only(t *testing.T, n int) relayMessage {
	t.Helper()
	msgs := r.received()
	if len(msgs) != n+1 {
		t.Fatalf("the relay received %d messages, want %d", len(msgs)-n, 1)
	}
	return msgs[n]
}

type relaySession struct {
	relay    *smtpRelay
	conn     *smtp.Conn
	authUser string
	from     string
	rcpts    []string
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *relaySession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if (identity != "" && identity != username) || username != relayUser || password != relayPassword {
			return smtp.ErrAuthFailed
		}
		s.authUser = username
		return nil
	}), nil
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	s.relay.mu.Lock()
	s.relay.commands++
	s.relay.mu.Unlock()
	if _, ok := s.conn.TLSConnectionState(); !ok {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	if s.authUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.from = from
	return nil
}

func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *relaySession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := relayMessage{from: s.from, rcpts: append([]string(nil), s.rcpts...), data: data, authUser: s.authUser}
	if st, ok := s.conn.TLSConnectionState(); ok {
		m.tls = &st
	}
	s.relay.mu.Lock()
	s.relay.messages = append(s.relay.messages, m)
	s.relay.mu.Unlock()
	return nil
}

func (s *relaySession) Reset() { s.from, s.rcpts = "", nil }

func (s *relaySession) Logout() error { return nil }

// relayCertificate makes a self-signed certificate for 127.0.0.1 and a pool
// that trusts it.
func relayCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "loopback SMTP relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// mailMessage is a received message, parsed.
type mailMessage struct {
	header     mail.Header
	subject    string
	from, to   []*mail.Address
	text, html string
}

// parseMail parses a multipart/alternative message with a text and an HTML
// part.
func parseMail(t *testing.T, data []byte) mailMessage {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("reading the message: %v\n%s", err, data)
	}
	p := mailMessage{header: msg.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject: %v", err)
	}
	if p.from, err = msg.Header.AddressList("From"); err != nil {
		t.Fatalf("From: %v", err)
	}
	if p.to, err = msg.Header.AddressList("To"); err != nil {
		t.Fatalf("To: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part: %v", err)
		}
		var body io.Reader = part // quoted-printable is decoded by multipart
		switch strings.ToLower(part.Header.Get("Content-Transfer-Encoding")) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, part)
		case "quoted-printable":
			body = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("part body: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch s := strings.ReplaceAll(string(b), "\r\n", "\n"); ct {
		case "text/plain":
			p.text = s
		case "text/html":
			p.html = s
		default:
			t.Errorf("unexpected part %s", ct)
		}
	}
	return p
}

var mailHref = regexp.MustCompile(`href="([^"]*)"`)

// link returns the sign-in link of the message, checking that the text
// body and every link of the HTML body carry the same one.
func (m mailMessage) link(t *testing.T) string {
	t.Helper()
	var link string
	for line := range strings.SplitSeq(m.text, "\n") {
		if strings.HasPrefix(line, "http") {
			link = line
			break
		}
	}
	if link == "" {
		t.Fatalf("no link in the text body:\n%s", m.text)
	}
	hrefs := mailHref.FindAllStringSubmatch(m.html, -1)
	if len(hrefs) == 0 {
		t.Fatalf("no link in the HTML body:\n%s", m.html)
	}
	for _, h := range hrefs {
		if got := html.UnescapeString(h[1]); got != link {
			t.Errorf("the HTML links to %q, the text to %q", got, link)
		}
	}
	return link
}

// newSMTPApp is an email app whose provider sends through relay.
func newSMTPApp(t *testing.T, mode ginauth.Mode, relay *smtpRelay, edit func(*ginauth.Config)) *emailApp {
	t.Helper()
	return newEmailApp(t, mode, func(c *ginauth.Config) {
		for i, p := range c.Providers {
			if _, ok := p.(providers.Email); ok {
				c.Providers[i] = providers.Email{Sender: relay.sender()}
			}
		}
		if edit != nil {
			edit(c)
		}
	})
}

// TestEmailOverSMTP sends sign-in links through a real SMTP server on the
// loopback interface in both dialects: the message comes over STARTTLS
// after AUTH PLAIN, to the normalized address only, with the link in both
// bodies; the link signs in once, and fails when used again, when expired
// (by the configuration's clock), and with its token swapped into another
// address's link, which leaves both real links working.
func TestEmailOverSMTP(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		relay := startRelay(t)
		e := newSMTPApp(t, mode, relay, func(c *ginauth.Config) { c.Brand.Name = "Acme" })
		verify := e.srv.URL + "/api/auth/verify-request?provider=email&type=email"

		res := e.requestLink(" Ann@Example.COM")
		if res.status != http.StatusFound || res.header.Get("Location") != verify {
			t.Fatalf("sign-in: %d to %q, want %s", res.status, res.header.Get("Location"), verify)
		}
		got := relay.only(t, 0)
		switch {
		case got.tls == nil || !got.tls.HandshakeComplete || got.tls.Version < tls.VersionTLS12:
			t.Errorf("the message came without TLS: %+v", got.tls)
		case got.authUser != relayUser:
			t.Errorf("the message came authenticated as %q, want %q", got.authUser, relayUser)
		case got.from != "no-reply@app.test" || len(got.rcpts) != 1 || got.rcpts[0] != "ann@example.com":
			t.Errorf("envelope from %q to %q, want no-reply@app.test to [ann@example.com]", got.from, got.rcpts)
		}
		m := parseMail(t, got.data)
		host := strings.TrimPrefix(e.srv.URL, "http://")
		if len(m.to) != 1 || m.to[0].Address != "ann@example.com" || len(m.from) != 1 ||
			m.from[0].Address != "no-reply@app.test" || m.from[0].Name != "Acme" || m.subject != "Sign in to "+host {
			t.Errorf("headers To %v, From %v, Subject %q", m.to, m.from, m.subject)
		}
		for _, h := range []string{"Cc", "Bcc", "Reply-To"} {
			if v, ok := m.header[h]; ok {
				t.Errorf("the message has %s: %q", h, v)
			}
		}
		link := m.link(t)
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Scheme+"://"+u.Host+u.Path != e.srv.URL+"/api/auth/callback/email" || q.Get("email") != "ann@example.com" ||
			q.Get("callbackUrl") != e.srv.URL+"/account" || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(q.Get("token")) {
			t.Fatalf("link %s", link)
		}

		// Once: signed in as ann.
		first := e.open(link)
		if first.status != http.StatusFound || first.header.Get("Location") != e.srv.URL+"/account" {
			t.Fatalf("the link: %d to %q", first.status, first.header.Get("Location"))
		}
		if s := e.do(http.MethodGet, "/api/auth/session", nil); !strings.Contains(s.body, `"email":"ann@example.com"`) {
			t.Errorf("session after the link: %s", s.body)
		}
		// Twice: Verification, no session, for another browser and for the
		// same one (which keeps the session it has).
		e.client = newClient(t)
		second := e.open(link)
		if second.header.Get("Location") != e.errorURL("Verification") {
			t.Errorf("the link used again: %d to %q", second.status, second.header.Get("Location"))
		}
		if _, ok := second.cookie(e.sessionCookieName()); ok {
			t.Error("the link used again set a session cookie")
		}
		if s := e.do(http.MethodGet, "/api/auth/session", nil); s.body != e.emptySession() {
			t.Errorf("session after the link used again: %s", s.body)
		}

		// Expired by the configuration's clock.
		n := len(relay.received())
		e.requestLink("ann@example.com")
		expired := parseMail(t, relay.only(t, n).data).link(t)
		e.clock.advance(24*time.Hour + time.Second)
		if r := e.open(expired); r.header.Get("Location") != e.errorURL("Verification") {
			t.Errorf("an expired link: %d to %q", r.status, r.header.Get("Location"))
		}
		if s := e.do(http.MethodGet, "/api/auth/session", nil); s.body != e.emptySession() {
			t.Errorf("session after an expired link: %s", s.body)
		}

		// A token swapped into another address's link: neither ann's token
		// for bob nor bob's for ann signs in, and neither burns the real
		// links.
		n = len(relay.received())
		e.requestLink("ann@example.com")
		annLink := parseMail(t, relay.only(t, n).data).link(t)
		e.requestLink("bob@example.com")
		bobLink := parseMail(t, relay.only(t, n+1).data).link(t)
		annTok, bobTok := tokenOf(t, annLink), tokenOf(t, bobLink)
		for _, forged := range []string{
			strings.Replace(bobLink, bobTok, annTok, 1),
			strings.Replace(annLink, annTok, bobTok, 1),
		} {
			r := e.open(forged)
			if r.header.Get("Location") != e.errorURL("Verification") {
				t.Errorf("a swapped token: %d to %q", r.status, r.header.Get("Location"))
			}
			if _, ok := r.cookie(e.sessionCookieName()); ok {
				t.Error("a swapped token set a session cookie")
			}
		}
		for who, l := range map[string]string{"ann@example.com": annLink, "bob@example.com": bobLink} {
			e.client = newClient(t)
			if r := e.open(l); r.header.Get("Location") != e.srv.URL+"/account" {
				t.Errorf("%s's link after the swapped tokens: %d to %q", who, r.status, r.header.Get("Location"))
			}
			if s := e.do(http.MethodGet, "/api/auth/session", nil); !strings.Contains(s.body, `"email":"`+who+`"`) {
				t.Errorf("session from %s's link: %s", who, s.body)
			}
		}
		if c := relay.mailCommands(); c != len(relay.received()) {
			t.Errorf("%d MAIL commands for %d messages", c, len(relay.received()))
		}
	})
}

// tokenOf returns the token of a sign-in link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("token")
	if tok == "" {
		t.Fatalf("no token in %s", link)
	}
	return tok
}
