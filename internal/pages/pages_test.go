package pages_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/ginauth/ginauth/internal/pages"
)

const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)>`

func render(t *testing.T, kind string, brand pages.Brand, data any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := pages.Render(&buf, kind, "Title "+hostile, brand, data); err != nil {
		t.Fatalf("Render %s: %v", kind, err)
	}
	return buf.String()
}

func TestRenderEscapes(t *testing.T) {
	brand := pages.Brand{Name: "Acme " + hostile, LogoURL: "javascript:alert(3)", Color: "red;}body{display:none"}
	pagesByKind := map[string]any{
		"signin": pages.SignIn{
			CSRFToken: "tok" + hostile, CallbackURL: "https://app.example/" + hostile, Error: "err " + hostile,
			Email: "a@b.c" + hostile, Hint: "hint " + hostile,
			Providers: []pages.Provider{
				{ID: "pw", Name: "Password " + hostile, Type: "credentials", SigninURL: "https://app.example/api/auth/signin/pw",
					CallbackURL: "https://app.example/api/auth/callback/pw",
					Fields:      []pages.Field{{Name: "user" + hostile, Label: "User " + hostile, Type: "text", Placeholder: hostile}}},
				{ID: "gh", Name: "GitHub " + hostile, Type: "oauth", SigninURL: "https://app.example/api/auth/signin/gh"},
			},
		},
		"signout":        pages.SignOut{CSRFToken: "tok" + hostile, CallbackURL: "https://app.example/" + hostile, Action: "https://app.example/api/auth/signout", Error: hostile},
		"error":          pages.Error{Status: 403, Title: "Denied " + hostile, Message: hostile, SignInURL: "javascript:alert(4)", HomeURL: "https://app.example/" + hostile},
		"verify-request": pages.VerifyRequest{SignInURL: "javascript:alert(5)", HomeURL: "https://app.example/" + hostile},
	}
	for kind, data := range pagesByKind {
		t.Run(kind, func(t *testing.T) {
			out := render(t, kind, brand, data)
			for _, bad := range []string{"<script>", "<img src=x", `"><script`, `"><img`, "javascript:", "body{display:none", "red;}"} {
				if strings.Contains(out, bad) {
					t.Errorf("%s page contains %q", kind, bad)
				}
			}
			if !strings.Contains(out, "--brand:#346df1") {
				t.Errorf("an invalid colour was not replaced by the default")
			}
			if !strings.Contains(out, "&lt;script&gt;") {
				t.Errorf("%s page dropped the hostile text instead of escaping it", kind)
			}
		})
	}
}

func TestRenderSignIn(t *testing.T) {
	out := render(t, "signin", pages.Brand{Color: "#0f766e"}, pages.SignIn{
		CSRFToken: "0123", CallbackURL: "https://app.example/dashboard",
		Providers: []pages.Provider{
			{ID: "pw", Name: "Password", Type: "credentials", CallbackURL: "https://app.example/api/auth/callback/pw",
				Fields: []pages.Field{{Name: "username", Label: "Username", Type: "text"}, {Name: "password", Label: "Password", Type: "password"}}},
			{ID: "corp", Name: "Corp", Type: "oidc", SigninURL: "https://app.example/api/auth/signin/corp"},
		},
	})
	for _, want := range []string{
		`<title>Title`, `· Sign in</title>`, `--brand:#0f766e`,
		`<form action="https://app.example/api/auth/callback/pw" method="post">`,
		`<input type="hidden" name="csrfToken" value="0123">`,
		`<input type="hidden" name="callbackUrl" value="https://app.example/dashboard">`,
		`name="password" type="password"`, `autocomplete="current-password"`, `autocomplete="username"`,
		`<form action="https://app.example/api/auth/signin/corp" method="post">`, `Sign in with Corp`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	if strings.Contains(out, "<script") {
		t.Error("the sign-in page carries a script")
	}
	empty := render(t, "signin", pages.Brand{}, pages.SignIn{})
	if !strings.Contains(empty, "No sign-in methods are configured.") {
		t.Error("a sign-in page without providers says nothing")
	}
}

func TestRenderErrorLinks(t *testing.T) {
	out := render(t, "error", pages.Brand{Name: "Acme"}, pages.Error{
		Status: 403, Title: "Access denied", Message: "No.",
		SignInURL: "https://app.example/api/auth/signin?callbackUrl=https%3A%2F%2Fapp.example%2Fadmin", HomeURL: "https://app.example",
	})
	// A link keeps the sign-in URL's query (a GET form would drop it).
	if !strings.Contains(out, `href="https://app.example/api/auth/signin?callbackUrl=https%3A%2F%2Fapp.example%2Fadmin"`) {
		t.Errorf("sign-in link missing or without its query:\n%s", out)
	}
	if !strings.Contains(out, `<h1>Access denied</h1>`) || !strings.Contains(out, `Acme`) {
		t.Error("title or brand missing")
	}
}

func TestRenderUnknownKindFails(t *testing.T) {
	var buf bytes.Buffer
	if err := pages.Render(&buf, "signin", "t", pages.Brand{}, struct{}{}); err == nil {
		t.Error("rendering the sign-in page with the wrong data did not fail")
	}
	if buf.Len() != 0 {
		t.Error("a failed render wrote a partial page")
	}
}

func TestValidColor(t *testing.T) {
	for c, want := range map[string]bool{
		"#fff": true, "#0F766E": true, "#abcd": false, "fff": false, "#ggg": false, "red": false,
		"#fff;": false, "#ffffff\n": false, "": false,
	} {
		if pages.ValidColor(c) != want {
			t.Errorf("ValidColor(%q) = %v", c, !want)
		}
	}
}

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	pages.SetHeaders(h)
	for k, want := range map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "private, no-cache, no-store",
	} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "style-src 'unsafe-inline'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %s", csp, d)
		}
	}
	if strings.Contains(csp, "script-src") {
		t.Errorf("CSP allows scripts: %s", csp)
	}
}
