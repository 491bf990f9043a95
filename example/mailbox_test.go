package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"html"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mailbox is an SMTP server on the loopback interface, built on go-smtp,
// that accepts mail only over STARTTLS with its test certificate and only
// after AUTH PLAIN with its credentials, and keeps what it receives.
type mailbox struct {
	user, password string
	port           int
	// roots trusts the server's certificate.
	roots *x509.CertPool

	mu       sync.Mutex
	messages []receivedMail
	// refused counts commands refused for want of TLS or AUTH.
	refused  int
	arrivals chan struct{}
}

// receivedMail is one message as the server received it.
type receivedMail struct {
	From  string   // the envelope sender
	To    []string // the envelope recipients
	Data  []byte   // the message
	TLS   bool     // whether it came over TLS
	Authn string   // the user who authenticated
}

// startMailbox starts a mailbox that wants user and password.
func startMailbox(t *testing.T, user, password string) *mailbox {
	t.Helper()
	cert, roots := testCertificate(t)
	mb := &mailbox{user: user, password: password, roots: roots, arrivals: make(chan struct{}, 64)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb, conn: c}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	// AUTH is offered only once the connection is encrypted.
	srv.AllowInsecureAuth = false
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.port = l.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return mb
}

// tlsConfig is a client configuration that trusts the mailbox's
// certificate.
func (mb *mailbox) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: mb.roots, MinVersion: tls.VersionTLS12}
}

// received returns the messages received so far.
func (mb *mailbox) received() []receivedMail {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]receivedMail(nil), mb.messages...)
}

// refusals returns how many commands were refused.
func (mb *mailbox) refusals() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.refused
}

type mailSession struct {
	mb    *mailbox
	conn  *smtp.Conn
	authn string
	from  string
	to    []string
}

func (s *mailSession) refuse(err *smtp.SMTPError) error {
	s.mb.mu.Lock()
	s.mb.refused++
	s.mb.mu.Unlock()
	return err
}

func (s *mailSession) encrypted() bool {
	_, ok := s.conn.TLSConnectionState()
	return ok
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if !s.encrypted() || user != s.mb.user || password != s.mb.password {
			return s.refuse(smtp.ErrAuthFailed)
		}
		s.authn = user
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	switch {
	case !s.encrypted():
		return s.refuse(&smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"})
	case s.authn == "":
		return s.refuse(&smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"})
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	s.mb.messages = append(s.mb.messages, receivedMail{From: s.from, To: s.to, Data: data, TLS: s.encrypted(), Authn: s.authn})
	s.mb.mu.Unlock()
	select {
	case s.mb.arrivals <- struct{}{}:
	default:
	}
	return nil
}

func (s *mailSession) Reset() {
	s.from = ""
	s.to = nil
}

func (s *mailSession) Logout() error { return nil }

// testCertificate makes a self-signed certificate for 127.0.0.1, ::1 and
// localhost, and a pool that trusts it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "example test SMTP server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
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

// signInMail is a sign-in message taken apart.
type signInMail struct {
	Header   mail.Header
	Subject  string
	Text     string // the text/plain part
	HTML     string // the text/html part
	TextLink string // the link on its own line in the text part
	HTMLLink string // the sign-in button's href in the HTML part
	// Hrefs are all the links of the HTML part.
	Hrefs []string
}

// parseSignInMail reads a multipart/alternative sign-in message.
func parseSignInMail(data []byte) (*signInMail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	out := &signInMail{Header: msg.Header}
	if out.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, err
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if mt != "multipart/alternative" {
		return nil, errors.New("the message is " + mt + ", not multipart/alternative")
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		body, err := decodePart(p)
		if err != nil {
			return nil, err
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body = strings.ReplaceAll(body, "\r\n", "\n")
		switch pt {
		case "text/plain":
			out.Text = body
		case "text/html":
			out.HTML = body
		}
	}
	if out.Text == "" || out.HTML == "" {
		return nil, errors.New("the message lacks a text or an HTML part")
	}
	for _, line := range strings.Split(out.Text, "\n") {
		if strings.HasPrefix(line, "http://") || strings.HasPrefix(line, "https://") {
			out.TextLink = line
			break
		}
	}
	// The message is ginauth's own template: its anchors are found by
	// pattern here; the browser test has Chromium parse it for real.
	for _, m := range anchorPattern.FindAllStringSubmatch(out.HTML, -1) {
		href := html.UnescapeString(m[1])
		out.Hrefs = append(out.Hrefs, href)
		if out.HTMLLink == "" && strings.TrimSpace(m[2]) == "Sign in" {
			out.HTMLLink = href
		}
	}
	return out, nil
}

// decodePart returns a part's body, undoing its transfer encoding.
func decodePart(p *multipart.Part) (string, error) {
	var r io.Reader = p
	switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(p)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, p)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

// anchorPattern finds an anchor's href and text.
var anchorPattern = regexp.MustCompile(`(?s)<a\s[^>]*?href="([^"]*)"[^>]*>(.*?)</a>`)

// linkPattern finds a development sender's link in its output.
var linkPattern = regexp.MustCompile(`(?m)^(https?://\S+/api/auth/callback/email\?\S+)$`)
