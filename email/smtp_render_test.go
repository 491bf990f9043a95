package email_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/email"
	"github.com/ginauth/ginauth/providers"
)

// TestSMTPCustomRender sends a message of the application's own through
// SMTP: its subject and bodies arrive as rendered, with the same envelope
// and headers as the default message.
func TestSMTPCustomRender(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, user: testUser, password: testPassword})
	r := testRequest()
	s := sender(ts)
	var seen providers.VerificationRequest
	s.Render = func(r providers.VerificationRequest) (email.Message, error) {
		seen = r
		m, err := email.Render(r)
		if err != nil {
			return m, err
		}
		m.Subject = "Votre lien de connexion à Acme"
		m.Text = "Bonjour,\n\n" + r.URL + "\n"
		m.HTML = strings.Replace(m.HTML, "Sign in to <strong>", "Se connecter à <strong>", 1)
		return m, nil
	}
	if err := s.SendVerificationRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if seen.URL != r.URL || seen.Identifier != r.Identifier {
		t.Errorf("Render got %+v", seen)
	}
	msgs, _, _, _ := ts.snapshot()
	if len(msgs) != 1 || msgs[0].rcpts[0] != r.Identifier {
		t.Fatalf("%d messages: %+v", len(msgs), msgs)
	}
	p := parseMessage(t, msgs[0].data)
	if p.subject != "Votre lien de connexion à Acme" || p.text != "Bonjour,\n\n"+r.URL+"\n" {
		t.Errorf("subject %q, text %q", p.subject, p.text)
	}
	if !strings.Contains(p.html, "Se connecter à <strong>localhost:3000</strong>") {
		t.Errorf("HTML:\n%s", p.html)
	}
	checkLinks(t, p.html, r.URL)
	if len(p.from) != 1 || p.from[0].Address != "no-reply@acme.test" || p.header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("From %v, Auto-Submitted %q", p.from, p.header.Get("Auto-Submitted"))
	}
}

// TestSMTPCustomRenderTextOnly sends a message without HTML as one
// text/plain body.
func TestSMTPCustomRenderTextOnly(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, user: testUser, password: testPassword})
	r := testRequest()
	s := sender(ts)
	s.Render = func(r providers.VerificationRequest) (email.Message, error) {
		return email.Message{Subject: "Your link", Text: "Open\n" + r.URL + "\n"}, nil
	}
	if err := s.SendVerificationRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	msgs, _, _, _ := ts.snapshot()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(msgs[0].data))
	if err != nil {
		t.Fatal(err)
	}
	mt, _, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "text/plain" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(msg.Body)
	}
	b, _ := io.ReadAll(body)
	if got := strings.ReplaceAll(string(b), "\r\n", "\n"); got != "Open\n"+r.URL+"\n" {
		t.Errorf("body %q", got)
	}
}

// TestSMTPCustomRenderRefused checks that a rendered message that could
// add headers or carries no text is refused before connecting, and that
// Render's own error comes back as it is.
func TestSMTPCustomRenderRefused(t *testing.T) {
	errTemplate := errors.New("template broke")
	for _, tc := range []struct {
		name string
		msg  email.Message
		err  error
		want error
	}{
		{name: "header injection CRLF", msg: email.Message{Subject: "Hi\r\nBcc: victim@evil.test", Text: "x"}, want: email.ErrConfig},
		{name: "header injection LF", msg: email.Message{Subject: "Hi\nBcc: victim@evil.test", Text: "x"}, want: email.ErrConfig},
		{name: "control character", msg: email.Message{Subject: "Hi\x00", Text: "x"}, want: email.ErrConfig},
		{name: "invalid UTF-8", msg: email.Message{Subject: "Hi \xff", Text: "x"}, want: email.ErrConfig},
		{name: "no subject", msg: email.Message{Subject: " ", Text: "x"}, want: email.ErrConfig},
		{name: "no text", msg: email.Message{Subject: "Hi", HTML: "<p>x</p>"}, want: email.ErrConfig},
		{name: "render error", err: errTemplate, want: errTemplate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A server that never answers: a send that got as far as
			// connecting would show in accepted, then time out.
			sl := startSilent(t)
			s := email.SMTP{Host: "127.0.0.1", Port: sl.port, From: "no-reply@acme.test", ConnectTimeout: time.Second, SendTimeout: time.Second}
			s.Render = func(providers.VerificationRequest) (email.Message, error) { return tc.msg, tc.err }
			err := s.SendVerificationRequest(context.Background(), testRequest())
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if n := len(sl.accepted); n != 0 {
				t.Errorf("%d connections to the server: want none", n)
			}
		})
	}
}
