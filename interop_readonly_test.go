package ginauth_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
)

// TestReadOnlyAuth: an Auth with only a secret reads sessions written by
// an application on http or https (both cookie names), protects routes,
// sends pages to the front end's sign-in page, and refuses to serve the
// endpoints rather than guess its origin.
func TestReadOnlyAuth(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		_, httpApp := tokenIssuer(t, mode, nil)
		_, httpsApp := tokenIssuer(t, mode, func(c *ginauth.Config) { c.URL = "https://app.example" })
		plain := signInDirect(t, httpApp, "http://app.example", "alice")
		secure := signInDirect(t, httpsApp, "https://app.example", "bob")
		big := signInDirect(t, httpsApp, "https://app.example", "big3")

		var logs bytes.Buffer
		ro, err := ginauth.New(ginauth.Config{Secret: testSecret, Mode: mode, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatalf("New with only a secret: %v", err)
		}
		for _, tc := range []struct {
			name    string
			cookies []*http.Cookie
			want    string
		}{
			{"plain cookie", plain, "alice"},
			{"__Secure- cookie", secure, "bob"},
			{"__Secure- cookie in 3 chunks", big, "big3"},
			{"both", append(append([]*http.Cookie{}, secure...), plain...), "bob"},
			{"none", nil, ""},
		} {
			claims, ok := readWith(t, ro, tc.cookies, "")
			if ok != (tc.want != "") || (ok && claims.Subject() != tc.want) {
				t.Errorf("%s: read %v %v, want %q", tc.name, claims, ok, tc.want)
			}
		}
		if claims, ok := readWith(t, ro, nil, joined(secure)); !ok || claims.Subject() != "bob" {
			t.Errorf("Bearer token of an https app: %v %v", claims, ok)
		}

		// Cookies.Secure picks one name.
		on, off := true, false
		onlySecure, _ := ginauth.New(ginauth.Config{Secret: testSecret, Mode: mode, Cookies: ginauth.CookieConfig{Secure: &on}})
		onlyPlain, _ := ginauth.New(ginauth.Config{Secret: testSecret, Mode: mode, Cookies: ginauth.CookieConfig{Secure: &off}})
		if _, ok := readWith(t, onlySecure, plain, ""); ok {
			t.Error("Cookies.Secure=true read the plain cookie")
		}
		if _, ok := readWith(t, onlySecure, secure, ""); !ok {
			t.Error("Cookies.Secure=true did not read the __Secure- cookie")
		}
		if _, ok := readWith(t, onlyPlain, secure, ""); ok {
			t.Error("Cookies.Secure=false read the __Secure- cookie")
		}

		// Pages go to the sign-in page of the front end on the same origin.
		r := gin.New()
		r.Use(ro.Middleware())
		ro.Mount(r)
		r.GET("/account", ro.RequireAuth(ginauth.RedirectToSignIn()), func(c *gin.Context) { c.Status(http.StatusNoContent) })
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/account?tab=1", nil))
		if loc := w.Header().Get("Location"); w.Code != http.StatusFound || loc != "/api/auth/signin?callbackUrl=%2Faccount%3Ftab%3D1" {
			t.Errorf("page without session: %d %q", w.Code, loc)
		}

		// The endpoints answer Auth.js's configuration error.
		msg := map[ginauth.Mode]string{
			ginauth.ModeV5: `{"message":"There was a problem with the server configuration. Check the server logs for more information."}`,
			ginauth.ModeV4: `{"message":"There is a problem with the server configuration. Check the server logs for more information."}`,
		}[mode]
		for _, path := range []string{"/api/auth/session", "/api/auth/csrf", "/api/auth/signin"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Host = "evil.example"
			req.Header.Set("X-Forwarded-Host", "evil.example")
			for _, c := range plain {
				req.AddCookie(c)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != http.StatusInternalServerError || w.Body.String() != msg || len(w.Header().Values("Set-Cookie")) != 0 {
				t.Errorf("%s on a read-only Auth: %d %s %v", path, w.Code, w.Body.String(), w.Header().Values("Set-Cookie"))
			}
		}
		if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "Config.URL") {
			t.Errorf("no configuration error logged: %s", logs.String())
		}
	})
}
