package email_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ginauth/ginauth/email"
	"github.com/ginauth/ginauth/providers"
)

const (
	testUser     = "alice@relay.test"
	testPassword = "s3cret-Pässw0rd!"
)

// testRequest is a link as the email provider builds it.
func testRequest() providers.VerificationRequest {
	token := strings.Repeat("0123456789abcdef", 4)
	return providers.VerificationRequest{
		Identifier: "user@example.com",
		URL: "http://localhost:3000/api/auth/callback/email?callbackUrl=http%3A%2F%2Flocalhost%3A3000%2Fdashboard%3Fa%3D1%26b%3D2" +
			"&token=" + token + "&email=user%40example.com",
		Expires:  time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC),
		Token:    token,
		Provider: "email",
		Theme:    providers.Theme{Name: `Acme <b>"Corp"</b> & Co`, Color: "#FF0000", LogoURL: "https://acme.test/logo.png"},
	}
}

// sender returns an SMTP sender for ts with the right credentials.
func sender(ts *testServer) email.SMTP {
	return email.SMTP{
		Host:        ts.host,
		Port:        ts.port,
		Username:    testUser,
		Password:    testPassword,
		TLSConfig:   &tls.Config{RootCAs: ts.roots},
		From:        "no-reply@acme.test",
		LocalName:   "client.test",
		SendTimeout: 20 * time.Second,
	}
}

type parsedMessage struct {
	header     mail.Header
	subject    string
	from, to   []*mail.Address
	text, html string
}

func parseMessage(t *testing.T, data []byte) parsedMessage {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("reading the message: %v\n%s", err, data)
	}
	var p parsedMessage
	p.header = msg.Header
	p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
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
		body, err := io.ReadAll(part) // quoted-printable is decoded by multipart
		if err != nil {
			t.Fatalf("part body: %v", err)
		}
		ct, cp, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part Content-Type: %v", err)
		}
		if !strings.EqualFold(cp["charset"], "utf-8") {
			t.Errorf("part %s charset = %q, want UTF-8", ct, cp["charset"])
		}
		body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
		switch ct {
		case "text/plain":
			p.text = string(body)
		case "text/html":
			p.html = string(body)
		default:
			t.Errorf("unexpected part %s", ct)
		}
	}
	return p
}

var (
	hrefPattern     = regexp.MustCompile(`<a href="([^"]*)"`)
	linkTextPattern = regexp.MustCompile(`<a href="[^"]*"[^>]*>([^<]*)</a>`)
)

// checkLinks checks that every href in the HTML and the visible copy of the
// link read back as exactly want.
func checkLinks(t *testing.T, body, want string) {
	t.Helper()
	hrefs := hrefPattern.FindAllStringSubmatch(body, -1)
	if len(hrefs) != 2 {
		t.Fatalf("found %d links in the HTML, want 2 (button and copy):\n%s", len(hrefs), body)
	}
	for _, m := range hrefs {
		if got := html.UnescapeString(m[1]); got != want {
			t.Errorf("href reads back as\n%q\nwant\n%q", got, want)
		}
	}
	texts := linkTextPattern.FindAllStringSubmatch(body, -1)
	if len(texts) != 2 || texts[0][1] != "Sign in" {
		t.Fatalf("link texts = %q", texts)
	}
	if got := html.UnescapeString(texts[1][1]); got != want {
		t.Errorf("the visible link reads back as\n%q\nwant\n%q", got, want)
	}
}

func TestSMTPDeliversOverSTARTTLS(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, user: testUser, password: testPassword})
	r := testRequest()
	if err := sender(ts).SendVerificationRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	msgs, authCalls, _, transcript := ts.snapshot()
	if len(msgs) != 1 || authCalls != 1 {
		t.Fatalf("%d messages, %d AUTH; want 1 and 1", len(msgs), authCalls)
	}
	if !strings.Contains(transcript, "STARTTLS") {
		t.Error("the client did not use STARTTLS")
	}
	got := msgs[0]
	if got.from != "no-reply@acme.test" {
		t.Errorf("MAIL FROM %q", got.from)
	}
	if len(got.rcpts) != 1 || got.rcpts[0] != r.Identifier {
		t.Errorf("RCPT TO %q, want exactly [%s]", got.rcpts, r.Identifier)
	}

	p := parseMessage(t, got.data)
	if p.subject != "Sign in to localhost:3000" {
		t.Errorf("Subject %q", p.subject)
	}
	if len(p.from) != 1 || p.from[0].Address != "no-reply@acme.test" || p.from[0].Name != `Acme <b>"Corp"</b> & Co` {
		t.Errorf("From %v: want the brand name as display name", p.from)
	}
	if len(p.to) != 1 || p.to[0].Address != r.Identifier || p.to[0].Name != "" {
		t.Errorf("To %v", p.to)
	}
	for _, h := range []string{"Cc", "Bcc", "Reply-To"} {
		if v := p.header.Get(h); v != "" {
			t.Errorf("unexpected %s: %q", h, v)
		}
	}
	if p.header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted %q", p.header.Get("Auto-Submitted"))
	}
	if id := p.header.Get("Message-Id"); !strings.HasSuffix(id, "@acme.test>") {
		t.Errorf("Message-ID %q not on the sender's domain", id)
	}

	// The text body carries the link alone on a line, exactly.
	if !slicesContains(strings.Split(p.text, "\n"), r.URL) {
		t.Errorf("the text body has no line that is exactly the link:\n%s", p.text)
	}
	for _, want := range []string{"Sign in to localhost:3000\n", "expires on 2 January 2026 at 15:04 UTC", "you can safely ignore it"} {
		if !strings.Contains(p.text, want) {
			t.Errorf("text body lacks %q:\n%s", want, p.text)
		}
	}

	// The HTML body: the link intact, the brand escaped, colour and logo.
	checkLinks(t, p.html, r.URL)
	for _, want := range []string{
		`Acme &lt;b&gt;&#34;Corp&#34;&lt;/b&gt; &amp; Co`,
		`<img src="https://acme.test/logo.png"`,
		`bgcolor="#ff0000"`,
		"expires on 2 January 2026 at 15:04 UTC",
		"you can safely ignore it",
		"&amp;token=",
	} {
		if !strings.Contains(p.html, want) {
			t.Errorf("HTML body lacks %q:\n%s", want, p.html)
		}
	}
	if strings.Contains(p.html, "<b>") {
		t.Errorf("the brand name's markup reached the HTML:\n%s", p.html)
	}
}

func slicesContains(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSuffix(l, "\r") == want {
			return true
		}
	}
	return false
}

func TestSMTPImplicitTLSFromURL(t *testing.T) {
	ts := startServer(t, serverOptions{implicitTLS: true, user: testUser, password: testPassword})
	// The user and password are URL-encoded, as in EMAIL_SERVER.
	url := fmt.Sprintf("smtps://%s:%s@127.0.0.1:%d", "alice%40relay.test", "s3cret-P%C3%A4ssw0rd%21", ts.port)
	s, err := email.NewSMTP(url, "Acme <no-reply@acme.test>")
	if err != nil {
		t.Fatal(err)
	}
	if s.TLS != email.ImplicitTLS || s.Username != testUser || s.Password != testPassword {
		t.Fatalf("parsed %v", s)
	}
	s.TLSConfig = &tls.Config{RootCAs: ts.roots}
	r := testRequest()
	if err := s.SendVerificationRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	msgs, authCalls, _, transcript := ts.snapshot()
	if len(msgs) != 1 || authCalls != 1 {
		t.Fatalf("%d messages, %d AUTH; want 1 and 1", len(msgs), authCalls)
	}
	if strings.Contains(transcript, "STARTTLS") {
		t.Error("STARTTLS on an implicit TLS connection")
	}
	p := parseMessage(t, msgs[0].data)
	// A From with its own display name keeps it.
	if len(p.from) != 1 || p.from[0].Name != "Acme" {
		t.Errorf("From %v", p.from)
	}
	checkLinks(t, p.html, r.URL)
}

func TestSMTPWrongPassword(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, user: testUser, password: testPassword})
	s := sender(ts)
	s.Password = "wrong-Pässword-42"
	err := s.SendVerificationRequest(context.Background(), testRequest())
	if !errors.Is(err, email.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if strings.Contains(err.Error(), s.Password) || strings.Contains(err.Error(), testPassword) {
		t.Errorf("the error shows the password: %v", err)
	}
	if msgs, _, mails, _ := ts.snapshot(); len(msgs) != 0 || mails != 0 {
		t.Errorf("%d messages, %d MAIL after a failed AUTH", len(msgs), mails)
	}
}

func TestSMTPMechanisms(t *testing.T) {
	for _, tc := range []struct {
		name    string
		offered []string
		use     email.AuthMechanism
		want    string // the mechanism used; empty when the send must fail
	}{
		{"auto prefers PLAIN", []string{"LOGIN", "PLAIN"}, email.AuthAuto, "PLAIN"},
		{"auto falls back to LOGIN", []string{"LOGIN"}, email.AuthAuto, "LOGIN"},
		{"LOGIN when asked", []string{"PLAIN", "LOGIN"}, email.AuthLogin, "LOGIN"},
		{"PLAIN when asked", []string{"PLAIN", "LOGIN"}, email.AuthPlain, "PLAIN"},
		{"PLAIN not offered", []string{"LOGIN"}, email.AuthPlain, ""},
		{"nothing usable", []string{"CRAM-MD5"}, email.AuthAuto, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{startTLS: true, user: testUser, password: testPassword, mechanisms: tc.offered})
			s := sender(ts)
			s.Auth = tc.use
			err := s.SendVerificationRequest(context.Background(), testRequest())
			used := ts.mechanismsUsed()
			if tc.want == "" {
				if !errors.Is(err, email.ErrAuth) || len(used) != 0 {
					t.Fatalf("err = %v, AUTH %v; want ErrAuth before any AUTH", err, used)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(used) != 1 || used[0] != tc.want {
				t.Errorf("AUTH %v, want %s", used, tc.want)
			}
		})
	}
	t.Run("wrong password over LOGIN", func(t *testing.T) {
		ts := startServer(t, serverOptions{startTLS: true, user: testUser, password: testPassword, mechanisms: []string{"LOGIN"}})
		s := sender(ts)
		s.Password = "not-it"
		err := s.SendVerificationRequest(context.Background(), testRequest())
		if !errors.Is(err, email.ErrAuth) || strings.Contains(err.Error(), "not-it") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSMTPAuthRequiredButNotConfigured(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, user: testUser, password: testPassword})
	s := sender(ts)
	s.Username, s.Password = "", ""
	err := s.SendVerificationRequest(context.Background(), testRequest())
	if !errors.Is(err, email.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth (530 on MAIL)", err)
	}
}

func TestSMTPRecipientRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply *smtp.SMTPError
		want  error
		not   error
	}{
		{"permanent", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}, email.ErrRejected, email.ErrTemporary},
		{"temporary", &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "Mailbox busy"}, email.ErrTemporary, email.ErrRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{startTLS: true, user: testUser, password: testPassword, rcptError: tc.reply})
			err := sender(ts).SendVerificationRequest(context.Background(), testRequest())
			if !errors.Is(err, tc.want) || errors.Is(err, tc.not) {
				t.Fatalf("err = %v, want %v only", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.reply.Message) {
				t.Errorf("the server's reply is lost: %v", err)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("the error shows the password: %v", err)
			}
			if msgs, _, _, _ := ts.snapshot(); len(msgs) != 0 {
				t.Errorf("%d messages delivered", len(msgs))
			}
		})
	}
}

// A server that does not offer STARTTLS gets neither the credentials nor
// the message, even though it offers AUTH in clear text.
func TestSMTPStartTLSRequired(t *testing.T) {
	for _, tc := range []struct {
		name        string
		credentials bool
	}{{"with credentials", true}, {"without credentials", false}} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{insecureAuth: true, user: testUser, password: testPassword})
			s := sender(ts)
			if !tc.credentials {
				s.Username, s.Password = "", ""
			}
			err := s.SendVerificationRequest(context.Background(), testRequest())
			if !errors.Is(err, email.ErrTLS) {
				t.Fatalf("err = %v, want ErrTLS", err)
			}
			msgs, authCalls, mails, transcript := ts.snapshot()
			if len(msgs) != 0 || authCalls != 0 || mails != 0 {
				t.Errorf("%d messages, %d AUTH, %d MAIL; want none", len(msgs), authCalls, mails)
			}
			if !strings.Contains(transcript, "AUTH PLAIN") {
				t.Fatalf("the server did not offer AUTH in clear text; the test proves nothing:\n%s", transcript)
			}
			for _, secret := range []string{"\nAUTH", "\nMAIL", "\nDATA", testPassword} {
				if strings.Contains(transcript, secret) {
					t.Errorf("the transcript contains %q:\n%s", secret, transcript)
				}
			}
		})
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts serverOptions
		mode email.TLSMode
	}{
		{"STARTTLS", serverOptions{startTLS: true, user: testUser, password: testPassword}, email.StartTLS},
		{"implicit TLS", serverOptions{implicitTLS: true, user: testUser, password: testPassword}, email.ImplicitTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.opts)
			s := sender(ts)
			s.TLS = tc.mode
			s.TLSConfig = nil // the system's roots do not know the test certificate
			err := s.SendVerificationRequest(context.Background(), testRequest())
			if !errors.Is(err, email.ErrTLS) {
				t.Fatalf("err = %v, want ErrTLS", err)
			}
			if _, authCalls, mails, _ := ts.snapshot(); authCalls != 0 || mails != 0 {
				t.Errorf("%d AUTH, %d MAIL over an untrusted connection", authCalls, mails)
			}
		})
	}
}

func TestSMTPInsecurePlainText(t *testing.T) {
	t.Run("no credentials", func(t *testing.T) {
		ts := startServer(t, serverOptions{})
		s := email.SMTP{Host: ts.host, Port: ts.port, TLS: email.InsecurePlainText, From: "no-reply@acme.test"}
		if err := s.SendVerificationRequest(context.Background(), testRequest()); err != nil {
			t.Fatal(err)
		}
		if msgs, _, _, _ := ts.snapshot(); len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
	})
	t.Run("credentials need the opt-in", func(t *testing.T) {
		ts := startServer(t, serverOptions{insecureAuth: true, user: testUser, password: testPassword})
		s := sender(ts)
		s.TLS = email.InsecurePlainText
		err := s.SendVerificationRequest(context.Background(), testRequest())
		if !errors.Is(err, email.ErrConfig) {
			t.Fatalf("err = %v, want ErrConfig", err)
		}
		if _, authCalls, mails, transcript := ts.snapshot(); authCalls != 0 || mails != 0 || transcript != "" {
			t.Errorf("the server was contacted: %d AUTH, %d MAIL\n%s", authCalls, mails, transcript)
		}
		s.InsecureAllowCleartextAuth = true
		if err := s.SendVerificationRequest(context.Background(), testRequest()); err != nil {
			t.Fatal(err)
		}
		if msgs, authCalls, _, _ := ts.snapshot(); len(msgs) != 1 || authCalls != 1 {
			t.Fatalf("%d messages, %d AUTH", len(msgs), authCalls)
		}
	})
}

func TestSMTPServerNeverAnswers(t *testing.T) {
	sl := startSilent(t)
	s := email.SMTP{
		Host: "127.0.0.1", Port: sl.port, From: "no-reply@acme.test",
		SendTimeout: 200 * time.Millisecond,
	}
	start := time.Now()
	err := s.SendVerificationRequest(context.Background(), testRequest())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	var nerr net.Error
	if !errors.As(err, &nerr) || !nerr.Timeout() {
		t.Errorf("err = %v is not a timeout net.Error", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the send took %v", d)
	}
}

func TestSMTPContextCancelled(t *testing.T) {
	t.Run("before the send", func(t *testing.T) {
		sl := startSilent(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s := email.SMTP{Host: "127.0.0.1", Port: sl.port, From: "no-reply@acme.test"}
		err := s.SendVerificationRequest(ctx, testRequest())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		assertNoConnection(t, sl)
	})
	t.Run("during the send", func(t *testing.T) {
		sl := startSilent(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-sl.accepted // the sender is connected and waits for the greeting
			cancel()
		}()
		s := email.SMTP{Host: "127.0.0.1", Port: sl.port, From: "no-reply@acme.test", SendTimeout: time.Minute}
		err := s.SendVerificationRequest(ctx, testRequest())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// assertNoConnection dials sl itself and checks that its connection is the
// first sl accepted.
func assertNoConnection(t *testing.T, sl *silentListener) {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", sl.port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := <-sl.accepted
	if first.RemoteAddr().String() != c.LocalAddr().String() {
		t.Errorf("the sender connected (from %v)", first.RemoteAddr())
	}
}

func TestSMTPRefusesHostileIdentifiersBeforeConnecting(t *testing.T) {
	sl := startSilent(t)
	s := email.SMTP{Host: "127.0.0.1", Port: sl.port, From: "no-reply@acme.test", TLS: email.InsecurePlainText}
	for _, id := range hostileAddresses {
		r := testRequest()
		r.Identifier = id
		err := s.SendVerificationRequest(context.Background(), r)
		if !errors.Is(err, email.ErrInvalidAddress) {
			t.Errorf("%q: err = %v, want ErrInvalidAddress", id, err)
		}
	}
	assertNoConnection(t, sl)
}

// A brand name with line breaks stays in the From display name and adds no
// header or recipient.
func TestSMTPBrandNameCannotInjectHeaders(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, user: testUser, password: testPassword})
	r := testRequest()
	r.Theme.Name = "Evil\r\nBcc: victim@evil.test\r\nX-Injected: yes\n\rSubject: owned"
	if err := sender(ts).SendVerificationRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	msgs, _, _, _ := ts.snapshot()
	if len(msgs) != 1 || len(msgs[0].rcpts) != 1 || msgs[0].rcpts[0] != r.Identifier {
		t.Fatalf("recipients %v", msgs)
	}
	p := parseMessage(t, msgs[0].data)
	for _, h := range []string{"Bcc", "X-Injected"} {
		if v, ok := p.header[h]; ok {
			t.Errorf("injected header %s: %q", h, v)
		}
	}
	if got := p.header["Subject"]; len(got) != 1 || p.subject != "Sign in to localhost:3000" {
		t.Errorf("Subject %q", got)
	}
	if len(p.from) != 1 || p.from[0].Name != "Evil Bcc: victim@evil.test X-Injected: yes Subject: owned" {
		t.Errorf("From %v", p.from)
	}
}

func TestSMTPStringHidesPassword(t *testing.T) {
	s, err := email.NewSMTP("smtp://user:hunter2-secret@smtp.example.com", "no-reply@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("sender", "smtp", *s)
	out := fmt.Sprintf("%v %+v %#v %s %v", *s, *s, *s, s, s) + logged.String()
	if strings.Contains(out, "hunter2") {
		t.Errorf("the password shows: %s", out)
	}
	if !strings.Contains(out, "smtp.example.com") {
		t.Errorf("the host is missing: %s", out)
	}
}

func TestSMTPValidate(t *testing.T) {
	ok := email.SMTP{Host: "smtp.example.com", From: "no-reply@example.com"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		modify func(*email.SMTP)
	}{
		{"no host", func(s *email.SMTP) { s.Host = "" }},
		{"host with path", func(s *email.SMTP) { s.Host = "smtp.example.com/x" }},
		{"host with CRLF", func(s *email.SMTP) { s.Host = "smtp.example.com\r\n" }},
		{"no from", func(s *email.SMTP) { s.From = "" }},
		{"from list", func(s *email.SMTP) { s.From = "a@example.com, b@example.com" }},
		{"from with CRLF", func(s *email.SMTP) { s.From = "Acme\r\nBcc: x@y.z <a@example.com>" }},
		{"from not an address", func(s *email.SMTP) { s.From = "no-reply" }},
		{"port", func(s *email.SMTP) { s.Port = 70000 }},
		{"mode", func(s *email.SMTP) { s.TLS = 7 }},
		{"mechanism", func(s *email.SMTP) { s.Auth = "CRAM-MD5" }},
		{"password without user", func(s *email.SMTP) { s.Password = "x" }},
		{"cleartext credentials", func(s *email.SMTP) { s.TLS, s.Username, s.Password = email.InsecurePlainText, "u", "p" }},
		{"negative timeout", func(s *email.SMTP) { s.SendTimeout = -time.Second }},
		{"local name", func(s *email.SMTP) { s.LocalName = "a\r\nMAIL FROM:<x@y.z>" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.modify(&s)
			if err := s.Validate(); !errors.Is(err, email.ErrConfig) {
				t.Errorf("Validate() = %v, want ErrConfig", err)
			}
			// Send refuses it too, without a server to talk to.
			if err := s.SendVerificationRequest(context.Background(), testRequest()); !errors.Is(err, email.ErrConfig) {
				t.Errorf("SendVerificationRequest = %v, want ErrConfig", err)
			}
		})
	}
}
