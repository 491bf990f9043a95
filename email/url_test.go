package email_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ginauth/ginauth/email"
)

func TestNewSMTP(t *testing.T) {
	const from = "Acme <no-reply@acme.test>"
	for _, tc := range []struct {
		url        string
		host       string
		port       int
		mode       email.TLSMode
		user, pass string
	}{
		{"smtp://user:pass@smtp.example.com:587", "smtp.example.com", 587, email.StartTLS, "user", "pass"},
		{"smtp://smtp.example.com", "smtp.example.com", 587, email.StartTLS, "", ""},
		{"smtp://smtp.example.com:2525/", "smtp.example.com", 2525, email.StartTLS, "", ""},
		{"SMTP://smtp.example.com:25", "smtp.example.com", 25, email.StartTLS, "", ""},
		{"smtps://user:pass@smtp.example.com", "smtp.example.com", 465, email.ImplicitTLS, "user", "pass"},
		{"smtps://apikey:SG.abc-DEF_123@smtp.sendgrid.net:465", "smtp.sendgrid.net", 465, email.ImplicitTLS, "apikey", "SG.abc-DEF_123"},
		{"smtps://u%40example.com:p%40ss%3Aw%2Frd%25%20@mail.example.com", "mail.example.com", 465, email.ImplicitTLS, "u@example.com", "p@ss:w/rd% "},
		{"smtp://user@smtp.example.com", "smtp.example.com", 587, email.StartTLS, "user", ""},
		{"smtp://[::1]:1025", "::1", 1025, email.StartTLS, "", ""},
		{"smtp://127.0.0.1:1025", "127.0.0.1", 1025, email.StartTLS, "", ""},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := email.NewSMTP(tc.url, from)
			if err != nil {
				t.Fatal(err)
			}
			if s.Host != tc.host || s.Port != tc.port || s.TLS != tc.mode || s.Username != tc.user || s.Password != tc.pass || s.From != from {
				t.Errorf("got %+v, %q; want host %q port %d %v user %q pass %q", s, s.Password, tc.host, tc.port, tc.mode, tc.user, tc.pass)
			}
		})
	}
}

func TestNewSMTPErrors(t *testing.T) {
	const secret = "Zq9-secret"
	for _, tc := range []struct {
		url, from string
		want      string // a piece of the message
	}{
		{"", "a@b.c", "empty"},
		{"   ", "a@b.c", "empty"},
		{"smtp.example.com:587", "a@b.c", "scheme"},
		{"//smtp.example.com", "a@b.c", "scheme"},
		{"http://u:" + secret + "@smtp.example.com", "a@b.c", `"http" is not smtp or smtps`},
		{"smtp:u:" + secret + "@smtp.example.com", "a@b.c", "smtp://[user:password@]host[:port]"},
		{"smtp://", "a@b.c", "no host"},
		{"smtp://u:" + secret + "@", "a@b.c", "no host"},
		{"smtp://u:" + secret + "@:587", "a@b.c", "no host"},
		{"smtp://smtp.example.com:0", "a@b.c", "port"},
		{"smtp://smtp.example.com:65536", "a@b.c", "port"},
		{"smtp://u:" + secret + "@smtp.example.com:abc", "a@b.c", "port"},
		{"smtp://:" + secret + "@smtp.example.com", "a@b.c", "password but no user"},
		{"smtp://smtp.example.com/path", "a@b.c", "path"},
		{"smtp://u:" + secret + "@smtp.example.com?secure=true", "a@b.c", "query"},
		{"smtp://smtp.example.com?", "a@b.c", "query"},
		{"smtp://smtp.example.com#x", "a@b.c", "fragment"},
		{"smtp://u:" + secret + "%zz@smtp.example.com", "a@b.c", "%-escape"},
		{"smtp://u:" + secret + "@smtp example.com", "a@b.c", "host"},
		{"smtp://u:" + secret + "@smtp.example.com\r\n", "a@b.c", "parse"},
		{"smtp://u:" + secret + "@smtp.example.com", "", "From"},
		{"smtp://u:" + secret + "@smtp.example.com", "not an address", "From"},
		{"smtp://u:" + secret + "@smtp.example.com", "a@b.c\r\nBcc: x@y.z", "From"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := email.NewSMTP(tc.url, tc.from)
			if err == nil {
				t.Fatalf("accepted: %v", s)
			}
			if !errors.Is(err, email.ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "zz") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}
