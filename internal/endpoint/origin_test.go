package endpoint

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/providers"
)

// TestCrossOrigin: which POSTs are checked, what passes, and how a refusal
// is answered, in both dialects.
func TestCrossOrigin(t *testing.T) {
	corp := providers.OAuth{ID: "corp", Name: "Corp", Issuer: "https://sso.example.com", ClientID: "c"}
	for _, d := range []*dialect.Dialect{dialect.V5, dialect.V4} {
		h := newHandler(t, d, credentials, corp)
		cop := http.NewCrossOriginProtection()
		if err := cop.AddTrustedOrigin("https://front.example"); err != nil {
			t.Fatal(err)
		}
		h.o.CrossOrigin = cop
		r := gin.New()
		r.Any("/api/auth/*action", h.Handle)
		post := func(path string, header ...string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "http://app.example"+path, strings.NewReader("csrfToken=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			return w
		}
		cross := []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}
		for _, path := range []string{"/api/auth/signin", "/api/auth/signin/credentials", "/api/auth/callback/credentials",
			"/api/auth/callback/nope", "/api/auth/signout", "/api/auth/session", "/api/auth/csrf"} {
			w := post(path, cross...)
			if w.Code != http.StatusForbidden || len(w.Result().Cookies()) > 0 || w.Header().Get("Cache-Control") != "private, no-cache, no-store" {
				t.Errorf("%s %s cross-site: %d, cookies %v, Cache-Control %q", d.Name, path, w.Code, w.Header().Values("Set-Cookie"), w.Header().Get("Cache-Control"))
			}
		}
		if w := post("/api/auth/session", cross...); w.Body.String() != string(d.EmptySession) {
			t.Errorf("%s session refusal body %q", d.Name, w.Body.String())
		}
		if w := post("/api/auth/signout", cross...); !strings.Contains(w.Body.String(), "Request refused") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s form refusal: %s %q", d.Name, w.Header().Get("Content-Type"), w.Body.String())
		}
		wantJSON := `{"url":"http://app.example/api/auth/error?error=AccessDenied"}`
		for name, extra := range map[string][]string{
			"X-Auth-Return-Redirect": {"X-Auth-Return-Redirect", "1"},
			"Accept":                 {"Accept", "text/html, application/json"},
		} {
			if w := post("/api/auth/signout", append(append([]string{}, cross...), extra...)...); w.Code != http.StatusForbidden || w.Body.String() != wantJSON {
				t.Errorf("%s JSON refusal by %s: %d %q", d.Name, name, w.Code, w.Body.String())
			}
		}
		req := httptest.NewRequest(http.MethodPost, "http://app.example/api/auth/signin/corp", strings.NewReader(`{"csrfToken":"x"}`))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != http.StatusForbidden || w.Body.String() != wantJSON {
			t.Errorf("%s JSON refusal by Content-Type: %d %q", d.Name, w.Code, w.Body.String())
		}
		if w := post("/api/auth/callback/corp", cross...); w.Code == http.StatusForbidden {
			t.Errorf("%s: an OAuth provider's posted callback refused: %q", d.Name, w.Body.String())
		}
		for name, header := range map[string][]string{
			"same-origin":          {"Sec-Fetch-Site", "same-origin"},
			"none":                 {"Sec-Fetch-Site", "none"},
			"own origin":           {"Origin", "http://app.example"},
			"own origin, capitals": {"Origin", "HTTP://App.Example"},
			"trusted":              {"Sec-Fetch-Site", "cross-site", "Origin", "https://front.example"},
			"no browser headers":   nil,
		} {
			if w := post("/api/auth/signout", header...); w.Code == http.StatusForbidden {
				t.Errorf("%s %s: refused", d.Name, name)
			}
		}
		for name, header := range map[string][]string{
			"same-site":          {"Sec-Fetch-Site", "same-site", "Origin", "http://other.app.example"},
			"other origin, old":  {"Origin", "http://app.example:8080"},
			"own origin as path": {"Origin", "http://app.example.evil.example"},
		} {
			if w := post("/api/auth/signout", header...); w.Code != http.StatusForbidden {
				t.Errorf("%s %s: %d, want 403", d.Name, name, w.Code)
			}
		}
	}
	// Without a CrossOriginProtection nothing is checked.
	h := newHandler(t, dialect.V5)
	r := gin.New()
	r.Any("/api/auth/*action", h.Handle)
	req := httptest.NewRequest(http.MethodPost, "http://app.example/api/auth/signout", strings.NewReader("csrfToken=x"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code == http.StatusForbidden {
		t.Error("refused without a CrossOriginProtection")
	}
}
