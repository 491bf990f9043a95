package email_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// A test SMTP server on the loopback interface, built on go-smtp, that
// records what it is told.

type serverOptions struct {
	// startTLS offers STARTTLS with the test certificate.
	startTLS bool
	// implicitTLS speaks TLS from the first byte.
	implicitTLS bool
	// insecureAuth offers AUTH on a clear-text connection.
	insecureAuth bool
	// user and password are the credentials AUTH PLAIN accepts; when user
	// is empty no AUTH is offered and none is required.
	user, password string
	// mechanisms are the AUTH mechanisms offered; PLAIN when empty.
	mechanisms []string
	// rcptError, when set, is the reply to every RCPT.
	rcptError *smtp.SMTPError
}

type received struct {
	from  string
	rcpts []string
	data  []byte
}

type testServer struct {
	opts serverOptions
	host string
	port int
	// roots trusts the server's certificate.
	roots *x509.CertPool

	mu         sync.Mutex
	messages   []received
	authCalls  int
	authMechs  []string
	mailCalls  int
	transcript bytes.Buffer
}

func (s *testServer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transcript.Write(p)
}

func (s *testServer) mechanismsUsed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authMechs...)
}

func (s *testServer) snapshot() (msgs []received, authCalls, mailCalls int, transcript string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...), s.authCalls, s.mailCalls, s.transcript.String()
}

func startServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	cert, roots := testCertificate(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}

	ts := &testServer{opts: opts, host: "127.0.0.1", roots: roots}
	be := smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv: ts}, nil })
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = opts.insecureAuth
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.Debug = ts
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if opts.startTLS {
		srv.TLSConfig = serverTLS
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.port = l.Addr().(*net.TCPAddr).Port
	if opts.implicitTLS {
		l = tls.NewListener(l, serverTLS)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ts
}

type session struct {
	srv    *testServer
	authed bool
	from   string
	rcpts  []string
}

func (s *session) AuthMechanisms() []string {
	switch {
	case s.srv.opts.user == "":
		return nil
	case len(s.srv.opts.mechanisms) > 0:
		return s.srv.opts.mechanisms
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	s.srv.mu.Lock()
	s.srv.authCalls++
	s.srv.authMechs = append(s.srv.authMechs, mech)
	s.srv.mu.Unlock()
	check := func(username, password string) error {
		if username != s.srv.opts.user || password != s.srv.opts.password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, username, password string) error { return check(username, password) }), nil
}

// loginServer is the server side of the LOGIN mechanism, which go-sasl
// implements only as a client.
type loginServer struct {
	check    func(username, password string) error
	step     int
	username string
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	l.step++
	switch l.step {
	case 1:
		if len(response) > 0 { // an initial response is the user name
			l.username = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.username = string(response)
		return []byte("Password:"), false, nil
	case 3:
		return nil, true, l.check(l.username, string(response))
	}
	return nil, true, smtp.ErrAuthFailed
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.srv.mu.Lock()
	s.srv.mailCalls++
	s.srv.mu.Unlock()
	if s.srv.opts.user != "" && !s.authed {
		// RFC 4954's reply (go-smtp's ErrAuthRequired says 502).
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.srv.opts.rcptError; e != nil {
		return e
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.messages = append(s.srv.messages, received{from: s.from, rcpts: s.rcpts, data: data})
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset() {
	s.from = ""
	s.rcpts = nil
}

func (s *session) Logout() error { return nil }

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
		Subject:               pkix.Name{CommonName: "test SMTP server"},
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

// silentListener accepts connections and never says a word. accepted
// receives each connection as it is accepted.
type silentListener struct {
	port     int
	accepted chan net.Conn
}

func startSilent(t *testing.T) *silentListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sl := &silentListener{port: l.Addr().(*net.TCPAddr).Port, accepted: make(chan net.Conn, 64)}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case sl.accepted <- c:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return sl
}
