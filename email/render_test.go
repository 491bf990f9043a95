package email_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/email"
	"github.com/ginauth/ginauth/providers"
)

// hostileAddresses are refused as recipients.
var hostileAddresses = []string{
	"",
	"a@b.c\r\nBcc: x@y.z",
	"a@b.c\nBcc: x@y.z",
	"a@b.c\rBcc: x@y.z",
	"a@b.c, d@e.f",
	"a@b.c,d@e.f",
	"a@b.c;d@e.f",
	"<a@b.c>",
	"Name <a@b.c>",
	`"Name" <a@b.c>`,
	"a@b.c (comment)",
	"a@b.c ",
	" a@b.c",
	"a b@c.d",
	"a@b.c\x00",
	"a@b.c\u2028",
	"a\u200b@b.c",
	`"a b"@c.d`,
	"a@[127.0.0.1]",
	"a@@b.c",
	"a@b@c.d",
	"ab.c",
	"@b.c",
	"a@",
	"a@b..c",
	"a@.b.c",
	"a@b.c.",
	strings.Repeat("a", 65) + "@b.c",
	"a@" + strings.Repeat("b", 64) + ".c",
	strings.Repeat("a", 60) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com",
	"a@b.c\xff",
}

func TestValidateAddress(t *testing.T) {
	for _, ok := range []string{
		"user@example.com",
		"first.last+tag@sub.example.co.uk",
		"user@localhost",
		"o'brien@example.ie",
		"üser@exämple.de",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + ".com",
	} {
		if err := email.ValidateAddress(ok); err != nil {
			t.Errorf("ValidateAddress(%q) = %v", ok, err)
		}
	}
	for _, bad := range hostileAddresses {
		err := email.ValidateAddress(bad)
		if !errors.Is(err, email.ErrInvalidAddress) {
			t.Errorf("ValidateAddress(%q) = %v, want ErrInvalidAddress", bad, err)
			continue
		}
		if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("the error repeats the address: %v", err)
		}
	}
}

func TestRenderTheme(t *testing.T) {
	base := testRequest()
	for _, tc := range []struct {
		name      string
		theme     providers.Theme
		want, not []string
	}{
		{
			name:  "colour and logo",
			theme: providers.Theme{Name: "Acme", Color: "#A1b", LogoURL: "https://acme.test/logo.svg?v=1&x=2"},
			want:  []string{`bgcolor="#a1b"`, `border: 1px solid #a1b`, `<img src="https://acme.test/logo.svg?v=1&amp;x=2" alt="Acme"`, "Acme\n"},
		},
		{
			name:  "invalid colours fall back",
			theme: providers.Theme{Color: "red; background: url(https://evil.test/)"},
			want:  []string{`bgcolor="` + email.DefaultColor + `"`},
			not:   []string{"evil", "<img"},
		},
		{
			name:  "five digits",
			theme: providers.Theme{Color: "#12345"},
			want:  []string{`bgcolor="` + email.DefaultColor + `"`},
		},
		{
			name:  "logo over http is left out",
			theme: providers.Theme{LogoURL: "http://acme.test/logo.png"},
			not:   []string{"<img", "acme.test/logo"},
		},
		{
			name:  "javascript logo is left out",
			theme: providers.Theme{LogoURL: "javascript:alert(1)"},
			not:   []string{"<img", "javascript"},
		},
		{
			name:  "brand markup is escaped",
			theme: providers.Theme{Name: `<script>alert("x")</script>`, LogoURL: "https://acme.test/l.png"},
			want:  []string{`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`, `alt="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"`},
			not:   []string{"<script>"},
		},
		{
			name:  "the placeholder is no brand",
			theme: providers.Theme{Name: "Sign in"},
			not:   []string{"Sign in\n      </td>"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			r.Theme = tc.theme
			m, err := email.Render(r)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(m.HTML, w) {
					t.Errorf("HTML lacks %q:\n%s", w, m.HTML)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(m.HTML, n) {
					t.Errorf("HTML has %q:\n%s", n, m.HTML)
				}
			}
			checkLinks(t, m.HTML, r.URL)
		})
	}
}

func TestRenderKeepsTheLinkExactly(t *testing.T) {
	for _, link := range []string{
		testRequest().URL,
		"https://example.com/api/auth/callback/email?callbackUrl=https%3A%2F%2Fexample.com%2F&token=abc&email=a%2Bb%40example.com",
		// Characters html/template's URL normalizer would rewrite.
		"https://example.com/a'b(c)*!~?q=<x>&r=\"y\"&s=a+b",
		"http://[::1]:8080/cb?token=t",
	} {
		r := testRequest()
		r.URL = link
		m, err := email.Render(r)
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		checkLinks(t, m.HTML, link)
		if !slicesContains(strings.Split(m.Text, "\n"), link) {
			t.Errorf("the text has no line that is exactly %q:\n%s", link, m.Text)
		}
		for _, raw := range []string{"<x>", `"y"`} {
			if strings.Contains(link, raw) && strings.Contains(m.HTML, raw) {
				t.Errorf("%q is not escaped in the HTML", raw)
			}
		}
	}
}

func TestRenderMessage(t *testing.T) {
	r := testRequest()
	r.Theme = providers.Theme{Name: "Acme"}
	m, err := email.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Sign in to localhost:3000" {
		t.Errorf("Subject %q", m.Subject)
	}
	wantText := "Sign in to localhost:3000\n" + r.URL + "\n\n" +
		"This link can be used once and expires on 2 January 2026 at 15:04 UTC.\n" +
		"If you did not request this email you can safely ignore it.\n\nAcme\n"
	if m.Text != wantText {
		t.Errorf("Text\n%s\nwant\n%s", m.Text, wantText)
	}
	// Auth.js breaks the host with zero-width spaces so that it is not
	// turned into a link.
	if !strings.Contains(m.HTML, "Sign in to <strong>localhost:3000</strong>") {
		t.Errorf("HTML heading:\n%s", m.HTML)
	}
	r.URL = "https://auth.example.com/cb?t=1"
	r.Expires = time.Time{}
	m, err = email.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.HTML, "auth\u200b.example\u200b.com") || m.Subject != "Sign in to auth.example.com" {
		t.Errorf("host: %q\n%s", m.Subject, m.HTML)
	}
	if !strings.Contains(m.Text, "This link can be used once.\n") {
		t.Errorf("no-expiry text:\n%s", m.Text)
	}
}

func TestRenderRefusesBadLinks(t *testing.T) {
	for _, link := range []string{
		"",
		"javascript:alert(1)",
		"/api/auth/callback/email?token=x",
		"ftp://example.com/x",
		"https://example.com/a b",
		"https://example.com/\r\nBcc: x@y.z",
		"https://exämple.com/",
		"https://user:pw@example.com/",
		"https:///path",
		"https://example.com/%zz",
	} {
		r := testRequest()
		r.URL = link
		if _, err := email.Render(r); !errors.Is(err, email.ErrConfig) {
			t.Errorf("Render(%q) err = %v, want ErrConfig", link, err)
		}
	}
}

func TestLog(t *testing.T) {
	r := testRequest()
	var out bytes.Buffer
	if err := (email.Log{Writer: &out}).SendVerificationRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	want := "email (development sender, never use in production): sign-in link for user@example.com, expires 2026-01-02T15:04:05Z:\n" + r.URL + "\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}

	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	if err := (email.Log{Logger: logger}).SendVerificationRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"level":"WARN"`, `"to":"user@example.com"`, `"url":"` + r.URL + `"`, `"expires":"2026-01-02T15:04:05Z"`} {
		if !strings.Contains(logged.String(), w) {
			t.Errorf("log lacks %s:\n%s", w, logged.String())
		}
	}

	out.Reset()
	r.Identifier = "a@b.c\r\nBcc: x@y.z"
	if err := (email.Log{Writer: &out}).SendVerificationRequest(context.Background(), r); !errors.Is(err, email.ErrInvalidAddress) {
		t.Errorf("err = %v, want ErrInvalidAddress", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (email.Log{Writer: &out}).SendVerificationRequest(ctx, testRequest()); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q", out.String())
	}
}
