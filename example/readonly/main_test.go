package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

const secret = "shared-secret-0123456789abcdefghijklmnop"

// frontEnd stands in for the Next.js app that owns sign-in: it writes the
// same cookies (the root package's interop tests check that against
// Auth.js itself). It signs in anyone with the password "pw"; "root" gets
// the admin role.
func frontEnd(t *testing.T, mode ginauth.Mode, origin string) http.Handler {
	t.Helper()
	auth, err := ginauth.New(ginauth.Config{
		Secret: secret, URL: origin, Mode: mode,
		Providers: []providers.Provider{providers.Credentials{
			Authorize: func(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
				if c["password"] != "pw" {
					return nil, nil
				}
				return &authjs.User{ID: "id-" + c["username"], Name: c["username"], Email: c["username"] + "@example.com"}, nil
			},
		}},
		Callbacks: authjs.Callbacks{JWT: func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
			if p.Trigger == authjs.TriggerSignIn && p.User.Name == "root" {
				p.Token["role"] = "admin"
			}
			return p.Token, nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	return r
}

// signIn returns the cookies a browser holds after signing in at h.
func signIn(t *testing.T, h http.Handler, origin, user string) []*http.Cookie {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, origin+"/api/auth/csrf", nil))
	var csrf struct{ CSRFToken string }
	_ = json.Unmarshal(w.Body.Bytes(), &csrf)
	form := url.Values{"username": {user}, "password": {"pw"}, "csrfToken": {csrf.CSRFToken}}
	req := httptest.NewRequest(http.MethodPost, origin+"/api/auth/callback/credentials", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range w.Result().Cookies() {
		req.AddCookie(c)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusFound {
		t.Fatalf("sign-in: %d", w.Code)
	}
	return w.Result().Cookies()
}

func TestReadOnlyAPI(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		for _, origin := range []string{"http://localhost:3000", "https://app.example.com"} {
			t.Run(mode.String()+" "+origin, func(t *testing.T) {
				env := map[string]string{"AUTH_SECRET": secret}
				if mode == ginauth.ModeV4 {
					env["AUTH_MODE"] = "v4"
				}
				auth, err := newAuth(func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
				if err != nil {
					t.Fatal(err)
				}
				api := httptest.NewServer(newRouter(auth))
				defer api.Close()
				front := frontEnd(t, mode, origin)
				get := func(path string, cookies []*http.Cookie) (int, string) {
					req, _ := http.NewRequest(http.MethodGet, api.URL+path, nil)
					for _, c := range cookies {
						req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
					}
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer res.Body.Close()
					b, _ := io.ReadAll(res.Body)
					return res.StatusCode, string(b)
				}
				alice := signIn(t, front, origin, "alice")
				root := signIn(t, front, origin, "root")
				for _, tc := range []struct {
					path    string
					cookies []*http.Cookie
					status  int
					body    string
				}{
					{"/api/public", nil, 200, `{"message":"hello, stranger"}`},
					{"/api/public", alice, 200, `{"message":"hello, alice"}`},
					{"/api/me", nil, 401, `{"message":"Unauthorized"}`},
					{"/api/me", alice, 200, `"email":"alice@example.com","expires":"`},
					{"/api/me", alice, 200, `"id":"id-alice","name":"alice"}`},
					{"/api/admin", alice, 403, `{"message":"Forbidden"}`},
					{"/api/admin", root, 200, `{"message":"welcome, admin"}`},
				} {
					status, body := get(tc.path, tc.cookies)
					if status != tc.status || !strings.Contains(body, tc.body) {
						t.Errorf("%s: %d %s, want %d %s", tc.path, status, body, tc.status, tc.body)
					}
				}
			})
		}
	}
	if _, err := newAuth(func(string) string { return "" }, slog.Default()); err == nil {
		t.Error("newAuth without AUTH_SECRET succeeded")
	}
}

// TestReadOnlySecureCookies: with AUTH_SECURE_COOKIES=true the API reads
// only the __Secure- session cookie, so a plain-named one planted over
// http is ignored; "false" reads only the plain one.
func TestReadOnlySecureCookies(t *testing.T) {
	gin.SetMode(gin.TestMode)
	plain := signIn(t, frontEnd(t, ginauth.ModeV5, "http://localhost:3000"), "http://localhost:3000", "alice")
	secure := signIn(t, frontEnd(t, ginauth.ModeV5, "https://app.example.com"), "https://app.example.com", "alice")
	for _, tc := range []struct {
		setting       string
		plain, secure int
	}{{"true", 401, 200}, {"false", 200, 401}, {"", 200, 200}} {
		env := map[string]string{"AUTH_SECRET": secret, "AUTH_SECURE_COOKIES": tc.setting}
		auth, err := newAuth(func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		r := newRouter(auth)
		for _, c := range []struct {
			cookies []*http.Cookie
			want    int
		}{{plain, tc.plain}, {secure, tc.secure}} {
			req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
			for _, ck := range c.cookies {
				req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != c.want {
				t.Errorf("AUTH_SECURE_COOKIES=%q, cookie %s: %d, want %d", tc.setting, c.cookies[0].Name, w.Code, c.want)
			}
		}
	}
	env := map[string]string{"AUTH_SECRET": secret, "AUTH_SECURE_COOKIES": "yes"}
	if _, err := newAuth(func(k string) string { return env[k] }, slog.Default()); err == nil {
		t.Error(`AUTH_SECURE_COOKIES="yes" accepted`)
	}
}
