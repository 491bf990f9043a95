package endpoint

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/session"
	"github.com/ginauth/ginauth/providers"
)

const secret = "endpoint-test-secret-0123456789abcdefghij"

func init() { gin.SetMode(gin.TestMode) }

var credentials = providers.Credentials{Authorize: func(context.Context, map[string]string, *authjs.Request) (*authjs.User, error) {
	return nil, nil
}}

// newHandler builds a Handler for d serving http://app.example/api/auth.
func newHandler(t *testing.T, d *dialect.Dialect, ps ...providers.Provider) *Handler {
	t.Helper()
	variant := func(secure bool) *session.Variant {
		names := d.Names(secure)
		codec, err := jwe.New(jwe.Options{Format: d.Token, Secrets: []string{secret}, Salt: d.SessionSalt(names.Session)})
		if err != nil {
			t.Fatal(err)
		}
		sealer, err := checks.New(d, []string{secret}, names, nil)
		if err != nil {
			t.Fatal(err)
		}
		return &session.Variant{Names: names, Attrs: cookies.Attrs{Secure: secure}, Store: &session.JWT{Codec: codec, MaxAge: time.Hour, Now: time.Now}, Checks: sealer}
	}
	if ps == nil {
		ps = []providers.Provider{credentials}
	}
	h, err := New(Options{
		Dialect: d, BasePath: "/api/auth", Site: &session.Site{Origin: "http://app.example"},
		Insecure: variant(false), Secure: variant(true), CSRFSecret: d.CSRFSecret([]string{secret}),
		Providers: ps, Brand: pages.Brand{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func do(h http.Handler, method, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestRouting(t *testing.T) {
	v4bad := func(m string) string { return "Error: This action with HTTP " + m + " is not supported by NextAuth.js" }
	tests := []struct {
		name, method, path string
		v5, v4             int    // statuses
		v5body, v4body     string // bodies, when checked
	}{
		{"unknown action", "GET", "/api/auth/nope", 400, 400, `"Bad request."`, v4bad("GET")},
		{"three segments", "GET", "/api/auth/signin/a/b", 400, 400, `"Bad request."`, v4bad("GET")},
		{"provider on session", "GET", "/api/auth/session/x", 400, 400, `"Bad request."`, v4bad("GET")},
		{"PUT", "PUT", "/api/auth/session", 400, 400, `"Bad request."`, v4bad("PUT")},
		{"DELETE on csrf", "DELETE", "/api/auth/csrf", 400, 400, `"Bad request."`, v4bad("DELETE")},
		{"POST on csrf", "POST", "/api/auth/csrf", 400, 400, `"Bad request."`, v4bad("POST")},
		{"POST on providers", "POST", "/api/auth/providers", 400, 400, `"Bad request."`, v4bad("POST")},
		{"log beacon", "POST", "/api/auth/_log", 400, 200, `"Bad request."`, ""},
		{"log beacon by GET", "GET", "/api/auth/_log", 400, 400, `"Bad request."`, v4bad("GET")},
		{"error code in the path", "GET", "/api/auth/error/AccessDenied", 400, 403, `"Bad request."`, ""},
		{"the provider undefined is none", "GET", "/api/auth/signin/undefined", 200, 200, "", ""},
		{"sign-in page for a provider", "GET", "/api/auth/signin/credentials", 302, 200, "", ""},
		{"unknown callback provider", "GET", "/api/auth/callback/nope", 302, 400, "", "Error: Callback for provider nope not supported"},
		{"credentials callback by GET", "GET", "/api/auth/callback/credentials", 302, 405, "", "Error: Callback for provider type credentials not supported"},
	}
	// Where a sign-in with an unknown provider goes: v5's Configuration
	// error, v4's CSRF failure.
	for _, d := range []*dialect.Dialect{dialect.V5, dialect.V4} {
		r := gin.New()
		r.Any("/api/auth/*action", newHandler(t, d).Handle)
		w := do(r, "POST", "/api/auth/signin/nope", "", "")
		want := map[string]string{"v5": "http://app.example/api/auth/error?error=Configuration", "v4": "http://app.example/api/auth/signin?csrf=true"}[d.Name]
		if w.Code != http.StatusFound || w.Header().Get("Location") != want {
			t.Errorf("%s POST /signin/nope: %d %q, want %q", d.Name, w.Code, w.Header().Get("Location"), want)
		}
	}
	for _, d := range []*dialect.Dialect{dialect.V5, dialect.V4} {
		r := gin.New()
		r.Any("/api/auth/*action", newHandler(t, d).Handle)
		for _, tt := range tests {
			t.Run(d.Name+" "+tt.name, func(t *testing.T) {
				status, body := tt.v5, tt.v5body
				if d == dialect.V4 {
					status, body = tt.v4, tt.v4body
				}
				w := do(r, tt.method, tt.path, "", "")
				if w.Code != status || (body != "" && w.Body.String() != body) {
					t.Errorf("%d %q, want %d %q", w.Code, w.Body.String(), status, body)
				}
			})
		}
	}
}

func TestBodies(t *testing.T) {
	for _, d := range []*dialect.Dialect{dialect.V5, dialect.V4} {
		r := gin.New()
		r.Any("/api/auth/*action", newHandler(t, d).Handle)
		t.Run(d.Name, func(t *testing.T) {
			// A body of exactly the limit is read.
			exact := "csrfToken=x&pad=" + strings.Repeat("a", MaxBodyBytes-len("csrfToken=x&pad="))
			if w := do(r, "POST", "/api/auth/signout", "application/x-www-form-urlencoded", exact); w.Code != http.StatusFound {
				t.Errorf("a body of %d bytes: %d", len(exact), w.Code)
			}
			big := strings.Repeat("a", MaxBodyBytes+1)
			w := do(r, "POST", "/api/auth/signout", "application/x-www-form-urlencoded", "x="+big)
			if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "Request body too large.") {
				t.Errorf("oversized body: %d %s", w.Code, w.Body.String())
			}
			if w := do(r, "POST", "/api/auth/signout", "application/json", `{"csrfToken":`); w.Code != http.StatusBadRequest {
				t.Errorf("malformed JSON: %d", w.Code)
			}
			if w := do(r, "POST", "/api/auth/signout", "application/json", `["csrfToken"]`); w.Code != http.StatusBadRequest {
				t.Errorf("a JSON array: %d", w.Code)
			}
			if w := do(r, "POST", "/api/auth/signout", "application/x-www-form-urlencoded", "a=%zz"); w.Code != http.StatusBadRequest {
				t.Errorf("a malformed form: %d", w.Code)
			}
			// Other media types leave the body empty: the CSRF check fails.
			w = do(r, "POST", "/api/auth/signout", "text/plain", "csrfToken=x")
			if w.Code != http.StatusFound || !strings.Contains(w.Header().Get("Location"), map[string]string{"v5": "error=MissingCSRF", "v4": "csrf=true"}[d.Name]) {
				t.Errorf("text/plain body: %d %q", w.Code, w.Header().Get("Location"))
			}
		})
	}
}

func TestActions(t *testing.T) {
	h := newHandler(t, dialect.V5)
	r := gin.New()
	r.GET("/my/csrf", h.Action(ActionCSRF))
	r.POST("/my/csrf", h.Action(ActionCSRF))
	r.GET("/my/providers/:provider", h.Action(ActionProviders))
	r.GET("/my/nothing", h.Action("nothing"))
	if w := do(r, "GET", "/my/csrf", "", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "csrfToken") {
		t.Errorf("GET csrf: %d %s", w.Code, w.Body.String())
	}
	for _, path := range []string{"/my/providers/x", "/my/nothing"} {
		if w := do(r, "GET", path, "", ""); w.Code != http.StatusBadRequest {
			t.Errorf("GET %s: %d", path, w.Code)
		}
	}
	if w := do(r, "POST", "/my/csrf", "", ""); w.Code != http.StatusBadRequest {
		t.Errorf("POST csrf: %d", w.Code)
	}
}

func TestUnresolvableOrigin(t *testing.T) {
	h := newHandler(t, dialect.V5)
	h.o.Site = &session.Site{TrustHost: true}
	r := gin.New()
	r.Any("/api/auth/*action", h.Handle)
	req := httptest.NewRequest("GET", "/api/auth/csrf", nil)
	req.Header.Set("X-Forwarded-Host", "evil.example/path")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusBadRequest || len(w.Result().Cookies()) != 0 {
		t.Errorf("a malformed forwarded host: %d, %d cookies", w.Code, len(w.Result().Cookies()))
	}
}

func TestNewRefuses(t *testing.T) {
	oidc := providers.OAuth{ID: "corp", Name: "Corp", Issuer: "https://sso.example.com", ClientID: "c"}
	var nilCreds *providers.Credentials
	var nilOAuth *providers.OAuth
	for _, tc := range []struct {
		name string
		ps   []providers.Provider
	}{
		{"nil", []providers.Provider{nil}},
		{"nil credentials pointer", []providers.Provider{nilCreds}},
		{"nil OAuth pointer", []providers.Provider{nilOAuth}},
		{"credentials without Authorize", []providers.Provider{providers.Credentials{}}},
		{"two providers with one id", []providers.Provider{credentials, &providers.Credentials{Name: "Other", Authorize: credentials.Authorize}}},
		{"an id with a slash", []providers.Provider{providers.Credentials{ID: "a/b", Authorize: credentials.Authorize}}},
		{"an id too long", []providers.Provider{providers.Credentials{ID: strings.Repeat("a", 65), Authorize: credentials.Authorize}}},
		{"an invalid OAuth provider", []providers.Provider{providers.OAuth{ID: "corp", Name: "Corp"}}},
		{"OAuth ids collide with credentials", []providers.Provider{oidc, providers.Credentials{ID: "corp", Authorize: credentials.Authorize}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Dialect: dialect.V5, Providers: tc.ps})
			if !errors.Is(err, ErrProvider) {
				t.Errorf("New: %v", err)
			}
		})
	}
	h, err := New(Options{Dialect: dialect.V5, Providers: []providers.Provider{credentials, &oidc}})
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := h.OAuth("corp"); !ok || e.ID() != "corp" {
		t.Error("OAuth(corp) not found")
	}
	if _, ok := h.OAuth("credentials"); ok {
		t.Error("OAuth found a credentials provider")
	}
	if _, ok := h.OAuth("nope"); ok {
		t.Error("OAuth found an unknown provider")
	}
}

func TestPageMessages(t *testing.T) {
	for _, d := range []*dialect.Dialect{dialect.V5, dialect.V4} {
		r := gin.New()
		r.Any("/api/auth/*action", newHandler(t, d).Handle)
		for path, want := range map[string]string{
			"/api/auth/signin?csrf=true":                      "Your sign-in form expired",
			"/api/auth/signin?error=CredentialsSignin":        "Check that the details you entered are correct",
			"/api/auth/signin?error=Unknown":                  "Unable to sign in.",
			"/api/auth/signout?csrf=true":                     "Your sign-out form expired",
			"/api/auth/signin?error=OAuthAccountNotLinked":    "already linked to another sign-in method",
			"/api/auth/signin?error=AccountNotLinked":         "belongs to another account",
			"/api/auth/error?error=WebAuthnVerificationError": "The passkey could not be verified",
		} {
			w := do(r, "GET", path, "", "")
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), want) {
				t.Errorf("%s %s: %d, no %q", d.Name, path, w.Code, want)
			}
		}
		for _, path := range []string{"/api/auth/signin", "/api/auth/signout"} {
			if body := do(r, "GET", path, "", "").Body.String(); strings.Contains(body, `class="alert"`) {
				t.Errorf("%s %s shows an error without one", d.Name, path)
			}
		}
	}
}
