package ginauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
	"github.com/ginauth/ginauth/throttle"
)

const testSecret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"

func init() { gin.SetMode(gin.TestMode) }

// users are the accounts the test credentials provider knows.
var users = map[string]struct {
	password string
	user     authjs.User
	role     string
}{
	"alice": {"wonderland", authjs.User{ID: "1", Name: "Alice", Email: "alice@example.com", Image: "https://img.example.com/a.png"}, "admin"},
	"bob":   {"builder", authjs.User{ID: "2", Name: "Bob", Email: "bob@example.com"}, "user"},
}

func authorize(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
	u, ok := users[c["username"]]
	if !ok || c["password"] != u.password {
		return nil, nil
	}
	user := u.user
	return &user, nil
}

// app is a ginauth application served on loopback.
type app struct {
	t      *testing.T
	srv    *httptest.Server
	auth   *ginauth.Auth
	mode   ginauth.Mode
	client *http.Client
	logs   *bytes.Buffer
	events *eventLog
}

type eventLog struct {
	mu   sync.Mutex
	seen []string
}

func (e *eventLog) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen = append(e.seen, s)
}

func (e *eventLog) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.seen...)
}

// newApp starts an application in mode; edit may change the config.
func newApp(t *testing.T, mode ginauth.Mode, edit func(*ginauth.Config)) *app {
	t.Helper()
	a := &app{t: t, mode: mode, logs: &bytes.Buffer{}, events: &eventLog{}}
	// The server starts once its handler is set (clients in other
	// processes give the race detector no ordering with a later write).
	a.srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(a.srv.Close)
	cfg := ginauth.Config{
		Secret: testSecret,
		URL:    "http://" + a.srv.Listener.Addr().String(),
		Mode:   mode,
		Providers: []providers.Provider{
			providers.Credentials{Authorize: authorize},
		},
		Callbacks: authjs.Callbacks{
			JWT: func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
				switch p.Trigger {
				case authjs.TriggerSignIn:
					for _, u := range users {
						if u.user.ID == p.User.ID {
							p.Token["role"] = u.role
						}
					}
				case authjs.TriggerUpdate:
					if m, ok := p.Session.(map[string]any); ok {
						if name, ok := m["name"].(string); ok {
							p.Token["name"] = name
						}
					}
				}
				return p.Token, nil
			},
		},
		Events: authjs.Events{
			SignIn: func(_ context.Context, e authjs.SignInEvent) error {
				a.events.add("signIn:" + e.User.ID + ":" + e.Account.Provider)
				return nil
			},
			SignOut: func(_ context.Context, e authjs.SignOutEvent) error {
				a.events.add("signOut:" + e.Token.Subject())
				return nil
			},
			Session: func(_ context.Context, e authjs.SessionEvent) error {
				a.events.add("session:" + e.Token.Subject())
				return nil
			},
		},
		Logger: slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		// The tests sign in far more often than the default limits allow;
		// throttle_test.go tests them.
		Throttle: ginauth.Throttle{CredentialsPerIdentifier: throttle.Unlimited, CredentialsPerClient: throttle.Unlimited},
	}
	if edit != nil {
		edit(&cfg)
	}
	auth, err := ginauth.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.auth = auth
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/", func(c *gin.Context) {
		s, ok := ginauth.Session(c)
		if !ok {
			c.String(http.StatusOK, "anonymous")
			return
		}
		c.String(http.StatusOK, "hello "+s.User.Name)
	})
	api := r.Group("/api", auth.RequireAuth(ginauth.WithUnauthorized(http.StatusUnauthorized, gin.H{"status": "Not authorized"})))
	api.GET("/protected", func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		tok, _ := ginauth.Token(c)
		c.JSON(http.StatusOK, gin.H{"status": "Authorized", "name": s.User.Name, "sub": tok.Subject(), "role": tok.String("role")})
	})
	r.GET("/account", auth.RequireAuth(ginauth.RedirectToSignIn()), func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		c.String(http.StatusOK, "account of "+s.User.Name)
	})
	r.GET("/admin/api", auth.RequireAuth(ginauth.WithRoles("admin")), func(c *gin.Context) { c.String(http.StatusOK, "admin api") })
	r.GET("/admin", auth.RequireAuth(ginauth.RedirectToSignIn(), ginauth.WithRoles("admin")), func(c *gin.Context) { c.String(http.StatusOK, "admin page") })
	a.srv.Config.Handler = r
	a.srv.Start()
	a.client = newClient(t)
	return a
}

func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	return v
}

func (r response) cookie(name string) (*http.Cookie, bool) {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

func (a *app) do(method, path string, body url.Values, header ...string) response {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return a.send(req)
}

func (a *app) send(req *http.Request) response {
	a.t.Helper()
	res, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 && !strings.Contains(req.URL.Path, "/error") {
		a.t.Errorf("%s %s: status %d: %s", req.Method, req.URL.Path, res.StatusCode, b)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

func (a *app) postJSON(path string, v any) response {
	a.t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return a.send(req)
}

func (a *app) csrf() string {
	a.t.Helper()
	r := a.do(http.MethodGet, "/api/auth/csrf", nil)
	m, _ := r.json(a.t).(map[string]any)
	tok, _ := m["csrfToken"].(string)
	if len(tok) != 64 {
		a.t.Fatalf("csrf token %q", tok)
	}
	return tok
}

func (a *app) signIn(username, password, callbackURL string) response {
	a.t.Helper()
	return a.do(http.MethodPost, "/api/auth/callback/credentials", url.Values{
		"username": {username}, "password": {password}, "csrfToken": {a.csrf()}, "callbackUrl": {callbackURL},
	})
}

func (a *app) sessionCookieName() string {
	if a.mode == ginauth.ModeV4 {
		return "next-auth.session-token"
	}
	return "authjs.session-token"
}

func (a *app) emptySession() string {
	if a.mode == ginauth.ModeV4 {
		return "{}"
	}
	return "null"
}

func forModes(t *testing.T, fn func(t *testing.T, mode ginauth.Mode)) {
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		t.Run(mode.String(), func(t *testing.T) { fn(t, mode) })
	}
}

// TestFlow walks a browser's whole visit: csrf, providers, empty session,
// protected routes refused, sign-in, session, update, role checks, sign-out.
func TestFlow(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		a := newApp(t, mode, nil)
		prefix := map[ginauth.Mode]string{ginauth.ModeV5: "authjs.", ginauth.ModeV4: "next-auth."}[mode]

		// csrf: a token, a cookie token|hash, cache headers; reused afterwards.
		r := a.do(http.MethodGet, "/api/auth/csrf", nil)
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "private, no-cache, no-store" || r.header.Get("Pragma") != "no-cache" || r.header.Get("Expires") != "0" {
			t.Fatalf("csrf: %d %v", r.status, r.header)
		}
		ck, ok := r.cookie(prefix + "csrf-token")
		if !ok || !regexp.MustCompile(`^[0-9a-f]{64}%7C[0-9a-f]{64}$`).MatchString(ck.Value) || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
			t.Fatalf("csrf cookie: %+v", ck)
		}
		token := r.json(t).(map[string]any)["csrfToken"]
		r = a.do(http.MethodGet, "/api/auth/csrf", nil)
		if _, set := r.cookie(prefix + "csrf-token"); set || r.json(t).(map[string]any)["csrfToken"] != token {
			t.Errorf("second csrf call: cookie re-set or token changed")
		}

		// providers
		r = a.do(http.MethodGet, "/api/auth/providers", nil)
		want := `{"credentials":{"id":"credentials","name":"Credentials","type":"credentials","signinUrl":"` + a.srv.URL + `/api/auth/signin/credentials","callbackUrl":"` + a.srv.URL + `/api/auth/callback/credentials"}}`
		if r.status != http.StatusOK || r.body != want || len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("providers: %d %s", r.status, r.body)
		}

		// no session yet
		if r = a.do(http.MethodGet, "/api/auth/session", nil); r.body != a.emptySession() {
			t.Errorf("empty session = %q", r.body)
		}
		if r = a.do(http.MethodGet, "/api/protected", nil); r.status != http.StatusUnauthorized || r.body != `{"status":"Not authorized"}` {
			t.Errorf("protected without session: %d %s", r.status, r.body)
		}
		r = a.do(http.MethodGet, "/account?tab=1", nil)
		wantLoc := a.srv.URL + "/api/auth/signin?callbackUrl=" + url.QueryEscape(a.srv.URL+"/account?tab=1")
		if r.status != http.StatusFound || r.header.Get("Location") != wantLoc {
			t.Errorf("page without session: %d %q, want %q", r.status, r.header.Get("Location"), wantLoc)
		}

		// sign in
		r = a.signIn("alice", "wonderland", "/account")
		if r.status != http.StatusFound || r.header.Get("Location") != a.srv.URL+"/account" {
			t.Fatalf("sign-in: %d %q %s", r.status, r.header.Get("Location"), r.body)
		}
		sc, ok := r.cookie(a.sessionCookieName())
		if !ok || strings.Count(sc.Value, ".") != 4 || !sc.HttpOnly || sc.Expires.Before(time.Now().Add(29*24*time.Hour)) {
			t.Fatalf("session cookie: %+v", sc)
		}

		// session
		r = a.do(http.MethodGet, "/api/auth/session", nil)
		var sess struct {
			User    map[string]any `json:"user"`
			Expires string         `json:"expires"`
		}
		if err := json.Unmarshal([]byte(r.body), &sess); err != nil || sess.User["name"] != "Alice" || sess.User["email"] != "alice@example.com" || sess.User["image"] != "https://img.example.com/a.png" {
			t.Fatalf("session: %s", r.body)
		}
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(sess.Expires) || r.header.Get("Cache-Control") != "private, no-cache, no-store" {
			t.Errorf("session expires %q / headers %v", sess.Expires, r.header)
		}
		if _, rolled := r.cookie(a.sessionCookieName()); !rolled {
			t.Error("GET /session did not re-issue the session cookie")
		}

		// protected routes now pass
		r = a.do(http.MethodGet, "/api/protected", nil)
		if r.status != http.StatusOK || r.body != `{"name":"Alice","role":"admin","status":"Authorized","sub":"1"}` {
			t.Errorf("protected with session: %d %s", r.status, r.body)
		}
		if r = a.do(http.MethodGet, "/account", nil); r.status != http.StatusOK || r.body != "account of Alice" {
			t.Errorf("page with session: %d %s", r.status, r.body)
		}
		if r = a.do(http.MethodGet, "/admin", nil); r.status != http.StatusOK {
			t.Errorf("admin page for admin: %d", r.status)
		}

		// update: POST /session with JSON {csrfToken, data}
		r = a.postJSON("/api/auth/session", map[string]any{"csrfToken": a.csrf(), "data": map[string]any{"name": "Alice L."}})
		// v5 builds the returned session from the updated token; v4 from
		// the decoded token, which this JWT callback changes in place.
		if r.status != http.StatusOK || !strings.Contains(r.body, `"name":"Alice L."`) {
			t.Errorf("update: %d %s", r.status, r.body)
		}
		if r = a.do(http.MethodGet, "/", nil); r.body != "hello Alice L." {
			t.Errorf("after update, Session(c) = %q", r.body)
		}
		r = a.postJSON("/api/auth/session", map[string]any{"csrfToken": "wrong", "data": map[string]any{"name": "Mallory"}})
		if r.status != http.StatusBadRequest || r.body != a.emptySession() {
			t.Errorf("update without CSRF: %d %s", r.status, r.body)
		}

		// sign out
		r = a.do(http.MethodGet, "/api/auth/signout", nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, `action="`+a.srv.URL+`/api/auth/signout"`) {
			t.Errorf("sign-out page: %d", r.status)
		}
		r = a.do(http.MethodPost, "/api/auth/signout", url.Values{"csrfToken": {a.csrf()}, "callbackUrl": {"/bye"}})
		if r.status != http.StatusFound || r.header.Get("Location") != a.srv.URL+"/bye" {
			t.Errorf("sign-out: %d %q", r.status, r.header.Get("Location"))
		}
		if c, ok := r.cookie(a.sessionCookieName()); !ok || c.MaxAge >= 0 {
			t.Errorf("sign-out did not delete the session cookie: %+v", c)
		}
		if r = a.do(http.MethodGet, "/api/auth/session", nil); r.body != a.emptySession() {
			t.Errorf("session after sign-out = %q", r.body)
		}
		if r = a.do(http.MethodGet, "/api/protected", nil); r.status != http.StatusUnauthorized {
			t.Errorf("protected after sign-out: %d", r.status)
		}

		// a non-admin is refused the admin routes
		a.signIn("bob", "builder", "/")
		if r = a.do(http.MethodGet, "/admin/api", nil); r.status != http.StatusForbidden || r.body != `{"message":"Forbidden"}` {
			t.Errorf("admin api for bob: %d %s", r.status, r.body)
		}
		if r = a.do(http.MethodGet, "/admin", nil); r.status != http.StatusForbidden || !strings.Contains(r.body, "Access denied") ||
			!strings.Contains(r.body, a.srv.URL+"/api/auth/signin?callbackUrl="+url.QueryEscape(a.srv.URL+"/admin")) || r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("admin page for bob: %d %s", r.status, r.body)
		}

		got := strings.Join(a.events.list(), ",")
		for _, e := range []string{"signIn:1:credentials", "session:1", "signOut:1", "signIn:2:credentials"} {
			if !strings.Contains(got, e) {
				t.Errorf("events %s: missing %s", got, e)
			}
		}
		for _, secret := range []string{testSecret, sc.Value, "alice@example.com", "wonderland"} {
			if strings.Contains(a.logs.String(), secret) {
				t.Errorf("logs contain %q", secret)
			}
		}
	})
}

// TestJSONRedirects checks both ways clients ask for redirects as JSON, in
// both modes, for success and failure.
func TestJSONRedirects(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		a := newApp(t, mode, nil)
		failURL := map[ginauth.Mode]string{
			ginauth.ModeV5: a.srv.URL + "/api/auth/signin?error=CredentialsSignin&code=credentials",
			ginauth.ModeV4: a.srv.URL + "/api/auth/error?error=CredentialsSignin&provider=credentials",
		}[mode]
		failJSONStatus := map[ginauth.Mode]int{ginauth.ModeV5: http.StatusOK, ginauth.ModeV4: http.StatusUnauthorized}[mode]

		form := func(user, pw string, extra ...string) url.Values {
			v := url.Values{"username": {user}, "password": {pw}, "csrfToken": {a.csrf()}, "callbackUrl": {a.srv.URL + "/dashboard"}}
			for i := 0; i+1 < len(extra); i += 2 {
				v.Set(extra[i], extra[i+1])
			}
			return v
		}
		// Plain browser form: 302.
		r := a.do(http.MethodPost, "/api/auth/callback/credentials", form("alice", "nope"))
		if r.status != http.StatusFound || r.header.Get("Location") != failURL {
			t.Errorf("bad password: %d %q", r.status, r.header.Get("Location"))
		}
		if _, set := r.cookie(a.sessionCookieName()); set {
			t.Error("bad password set a session cookie")
		}
		// v4 client: json=true.
		r = a.do(http.MethodPost, "/api/auth/callback/credentials", form("alice", "nope", "json", "true"))
		if r.status != failJSONStatus || r.body != `{"url":"`+failURL+`"}` || r.header.Get("Location") != "" {
			t.Errorf("bad password json=true: %d %s", r.status, r.body)
		}
		// v5 client: X-Auth-Return-Redirect.
		r = a.do(http.MethodPost, "/api/auth/callback/credentials", form("alice", "nope"), "X-Auth-Return-Redirect", "1")
		if r.status != http.StatusOK || r.body != `{"url":"`+failURL+`"}` {
			t.Errorf("bad password with header: %d %s", r.status, r.body)
		}
		r = a.do(http.MethodPost, "/api/auth/callback/credentials", form("alice", "wonderland", "json", "true"))
		if r.status != http.StatusOK || r.body != `{"url":"`+a.srv.URL+`/dashboard"}` {
			t.Errorf("good password json=true: %d %s", r.status, r.body)
		}
		if _, set := r.cookie(a.sessionCookieName()); !set {
			t.Error("json=true sign-in did not set the session cookie")
		}
		r = a.do(http.MethodPost, "/api/auth/signout", url.Values{"csrfToken": {a.csrf()}}, "X-Auth-Return-Redirect", "1")
		if r.status != http.StatusOK || r.body != `{"url":"`+a.srv.URL+`/dashboard"}` {
			t.Errorf("sign-out with header: %d %s (the callback-url cookie decides the target)", r.status, r.body)
		}
	})
}

func TestCSRFFailures(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		a := newApp(t, mode, nil)
		a.csrf()
		want := map[ginauth.Mode]map[string]string{
			ginauth.ModeV5: {
				"/api/auth/callback/credentials": a.srv.URL + "/api/auth/signin?error=MissingCSRF",
				"/api/auth/signin/credentials":   a.srv.URL + "/api/auth/signin?error=MissingCSRF",
				"/api/auth/signout":              a.srv.URL + "/api/auth/signin?error=MissingCSRF",
			},
			ginauth.ModeV4: {
				"/api/auth/callback/credentials": a.srv.URL + "/api/auth/signin?csrf=true",
				"/api/auth/signin/credentials":   a.srv.URL + "/api/auth/signin?csrf=true",
				"/api/auth/signout":              a.srv.URL + "/api/auth/signout?csrf=true",
			},
		}[mode]
		for path, loc := range want {
			r := a.do(http.MethodPost, path, url.Values{"username": {"alice"}, "password": {"wonderland"}, "csrfToken": {strings.Repeat("0", 64)}})
			if r.status != http.StatusFound || r.header.Get("Location") != loc {
				t.Errorf("%s: %d %q, want %q", path, r.status, r.header.Get("Location"), loc)
			}
			if _, set := r.cookie(a.sessionCookieName()); set {
				t.Errorf("%s: session cookie set", path)
			}
		}
	})
}

func TestSignInPageAndErrors(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		a := newApp(t, mode, func(c *ginauth.Config) { c.SignInHint = "Try alice / wonderland." })
		r := a.do(http.MethodGet, "/api/auth/signin?callbackUrl=%2Faccount&error=CredentialsSignin", nil)
		for _, s := range []string{
			`action="` + a.srv.URL + `/api/auth/callback/credentials"`, `name="csrfToken"`, `name="username"`, `type="password"`,
			`name="callbackUrl" value="` + a.srv.URL + `/account"`, "Try alice / wonderland.", `role="alert"`,
		} {
			if !strings.Contains(r.body, s) {
				t.Errorf("sign-in page lacks %q", s)
			}
		}
		if r.header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("sign-in page headers: %v", r.header)
		}
		cases := []struct {
			code   string
			status int
		}{{"Configuration", 500}, {"AccessDenied", 403}, {"Verification", 403}, {"Whatever", 200}}
		for _, tc := range cases {
			r := a.do(http.MethodGet, "/api/auth/error?error="+tc.code, nil)
			if r.status != tc.status || !strings.Contains(r.body, "<h1>") {
				t.Errorf("error page %s: %d", tc.code, r.status)
			}
		}
		r = a.do(http.MethodGet, "/api/auth/error?error=CredentialsSignin", nil)
		if mode == ginauth.ModeV4 && (r.status != http.StatusFound || r.header.Get("Location") != a.srv.URL+"/api/auth/signin?error=CredentialsSignin") {
			t.Errorf("v4 /error?error=CredentialsSignin: %d %q", r.status, r.header.Get("Location"))
		}
		if r = a.do(http.MethodGet, "/api/auth/verify-request", nil); r.status != http.StatusOK || !strings.Contains(r.body, "Check your email") ||
			!strings.Contains(r.body, `<a href="`+a.srv.URL+`/api/auth/signin">go back to sign in</a>`) {
			t.Errorf("verify-request: %d %s", r.status, r.body)
		}
		r = a.do(http.MethodGet, "/api/auth/signin/credentials", nil)
		if mode == ginauth.ModeV5 && (r.status != http.StatusFound || r.header.Get("Location") != a.srv.URL+"/api/auth/error?error=Configuration") {
			t.Errorf("v5 GET /signin/credentials: %d %q", r.status, r.header.Get("Location"))
		}
		if mode == ginauth.ModeV4 && r.status != http.StatusOK {
			t.Errorf("v4 GET /signin/credentials: %d", r.status)
		}
	})
}

func TestCustomPages(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		a := newApp(t, mode, func(c *ginauth.Config) {
			c.Pages = ginauth.Pages{SignIn: "/login", SignOut: "/logout", Error: "/oops", VerifyRequest: "/check-mail"}
		})
		for path, want := range map[string]string{
			"/api/auth/signin?callbackUrl=%2Fx&error=SessionRequired": "/login?callbackUrl=" + url.QueryEscape(a.srv.URL+"/x") + "&error=SessionRequired",
			"/api/auth/signout":               "/logout",
			"/api/auth/error?error=Whatever":  "/oops?error=Whatever",
			"/api/auth/verify-request?type=1": map[ginauth.Mode]string{ginauth.ModeV5: "/check-mail?type=1", ginauth.ModeV4: "/check-mail"}[mode],
		} {
			r := a.do(http.MethodGet, path, nil)
			if r.status != http.StatusFound || r.header.Get("Location") != want {
				t.Errorf("%s: %d %q, want %q", path, r.status, r.header.Get("Location"), want)
			}
		}
		r := a.do(http.MethodGet, "/account", nil)
		if r.header.Get("Location") != a.srv.URL+"/login?callbackUrl="+url.QueryEscape(a.srv.URL+"/account") {
			t.Errorf("RedirectToSignIn with Pages.SignIn: %q", r.header.Get("Location"))
		}
	})
}

// TestChunkedSession grows the session past one cookie, then shrinks it, and
// checks that stale chunks are deleted.
func TestChunkedSession(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		size := 3000
		a := newApp(t, mode, func(c *ginauth.Config) {
			c.Callbacks.JWT = func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
				if p.Trigger == authjs.TriggerUpdate {
					n, _ := p.Session.(map[string]any)["size"].(float64)
					size = int(n)
				}
				p.Token["blob"] = strings.Repeat("x", size)
				return p.Token, nil
			}
		})
		name := a.sessionCookieName()
		a.signIn("alice", "wonderland", "/")
		for _, tc := range []struct{ size, chunks int }{{6000, 3}, {4000, 2}, {10, 1}} {
			r := a.postJSON("/api/auth/session", map[string]any{"csrfToken": a.csrf(), "data": map[string]any{"size": tc.size}})
			var set, deleted []string
			for _, c := range (&http.Response{Header: r.header}).Cookies() {
				if strings.HasPrefix(c.Name, name) {
					if c.MaxAge < 0 {
						deleted = append(deleted, c.Name)
					} else {
						set = append(set, c.Name)
						if len(c.Value) > 3936 {
							t.Errorf("chunk %s has %d characters", c.Name, len(c.Value))
						}
					}
				}
			}
			if len(set) != tc.chunks {
				t.Errorf("size %d: set %v, want %d chunks", tc.size, set, tc.chunks)
			}
			if tc.chunks == 1 && (len(deleted) != 2 || set[0] != name) {
				t.Errorf("shrinking to one cookie: set %v deleted %v", set, deleted)
			}
			if r := a.do(http.MethodGet, "/api/protected", nil); r.status != http.StatusOK {
				t.Errorf("size %d: protected route %d", tc.size, r.status)
			}
		}
	})
}

// TestSecretRotation signs in with one secret and reads the session after
// rotating to a new secret with the old one in PreviousSecrets.
func TestSecretRotation(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		old := newApp(t, mode, nil)
		old.signIn("alice", "wonderland", "/")
		u, _ := url.Parse(old.srv.URL)
		cookies := old.client.Jar.Cookies(u)

		const newSecret = "brand-new-secret-0123456789abcdefghijklmnop"
		rotated := newApp(t, mode, func(c *ginauth.Config) { c.Secret, c.PreviousSecrets = newSecret, []string{testSecret} })
		dropped := newApp(t, mode, func(c *ginauth.Config) { c.Secret = newSecret })
		for _, tc := range []struct {
			a    *app
			want int
		}{{rotated, http.StatusOK}, {dropped, http.StatusUnauthorized}} {
			ru, _ := url.Parse(tc.a.srv.URL)
			tc.a.client.Jar.SetCookies(ru, cookies)
			if r := tc.a.do(http.MethodGet, "/api/protected", nil); r.status != tc.want {
				t.Errorf("status %d, want %d", r.status, tc.want)
			}
		}
	})
}

func TestBearerToken(t *testing.T) {
	a := newApp(t, ginauth.ModeV5, nil)
	r := a.signIn("alice", "wonderland", "/")
	c, _ := r.cookie(a.sessionCookieName())
	bare := &http.Client{}
	for _, tc := range []struct {
		header string
		want   int
	}{
		{"Bearer " + c.Value, http.StatusOK},
		{"bearer " + url.PathEscape(c.Value), http.StatusOK},
		{"Bearer " + c.Value[:len(c.Value)-2], http.StatusUnauthorized},
		{"Basic " + c.Value, http.StatusUnauthorized},
		{"Bearer", http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/api/protected", nil)
		req.Header.Set("Authorization", tc.header)
		res, err := bare.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%.20s…: %d, want %d", tc.header, res.StatusCode, tc.want)
		}
	}
}

// TestSecureCookies runs on TLS: cookies get the __Secure-/__Host- prefixes
// and the Secure attribute, and the session key changes with the name.
func TestSecureCookies(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		srv := httptest.NewTLSServer(nil)
		defer srv.Close()
		auth, err := ginauth.New(ginauth.Config{Secret: testSecret, URL: srv.URL, Mode: mode,
			Providers: []providers.Provider{providers.Credentials{Authorize: authorize}}})
		if err != nil {
			t.Fatal(err)
		}
		r := gin.New()
		r.Use(auth.Middleware())
		auth.Mount(r)
		r.GET("/p", auth.RequireAuth(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
		srv.Config.Handler = r
		jar, _ := cookiejar.New(nil)
		client := srv.Client()
		client.Jar = jar
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

		res, err := client.Get(srv.URL + "/api/auth/csrf")
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ CSRFToken string }
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		prefix := map[ginauth.Mode]string{ginauth.ModeV5: "authjs.", ginauth.ModeV4: "next-auth."}[mode]
		for _, c := range res.Cookies() {
			if c.Name != "__Host-"+prefix+"csrf-token" && c.Name != "__Secure-"+prefix+"callback-url" || !c.Secure {
				t.Errorf("cookie %s secure=%v", c.Name, c.Secure)
			}
		}
		res, err = client.PostForm(srv.URL+"/api/auth/callback/credentials", url.Values{"username": {"alice"}, "password": {"wonderland"}, "csrfToken": {body.CSRFToken}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		found := false
		for _, c := range res.Cookies() {
			if c.Name == "__Secure-"+prefix+"session-token" && c.Secure {
				found = true
			}
		}
		if !found {
			t.Fatalf("no __Secure- session cookie: %v", res.Header.Values("Set-Cookie"))
		}
		res, err = client.Get(srv.URL + "/p")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Errorf("protected route on TLS: %d", res.StatusCode)
		}
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	cred := providers.Credentials{Authorize: authorize}
	good := func() ginauth.Config {
		return ginauth.Config{Secret: testSecret, URL: "http://localhost:8080", Providers: []providers.Provider{cred}}
	}
	tests := []struct {
		name string
		edit func(*ginauth.Config)
		want error
	}{
		{"no secret", func(c *ginauth.Config) { c.Secret = "" }, ginauth.ErrNoSecret},
		{"short secret", func(c *ginauth.Config) { c.Secret = "secret" }, ginauth.ErrShortSecret},
		{"short previous secret", func(c *ginauth.Config) { c.PreviousSecrets = []string{"x"} }, ginauth.ErrShortSecret},
		{"URL with query", func(c *ginauth.Config) { c.URL = "http://a.example?x=1" }, ginauth.ErrConfig},
		{"ftp URL", func(c *ginauth.Config) { c.URL = "ftp://a.example" }, ginauth.ErrConfig},
		{"bad base path", func(c *ginauth.Config) { c.BasePath = "api/*x" }, ginauth.ErrConfig},
		{"bad colour", func(c *ginauth.Config) { c.Brand.Color = "red;background:url(x)" }, ginauth.ErrConfig},
		{"foreign page", func(c *ginauth.Config) { c.Pages.SignIn = "https://evil.example/login" }, ginauth.ErrConfig},
		{"duplicate provider", func(c *ginauth.Config) { c.Providers = append(c.Providers, cred) }, ginauth.ErrConfig},
		{"nil provider", func(c *ginauth.Config) { c.Providers = append(c.Providers, nil) }, ginauth.ErrConfig},
		{"bad provider id", func(c *ginauth.Config) {
			c.Providers = []providers.Provider{providers.Credentials{ID: "a/b", Authorize: authorize}}
		}, ginauth.ErrConfig},
		{"no authorize", func(c *ginauth.Config) {
			c.Providers = []providers.Provider{providers.Credentials{}}
		}, ginauth.ErrConfig},
		{"unknown mode", func(c *ginauth.Config) { c.Mode = 7 }, ginauth.ErrConfig},
		{"tiny max age", func(c *ginauth.Config) { c.Session.MaxAge = time.Millisecond }, ginauth.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.edit(&cfg)
			a, err := ginauth.New(cfg)
			if !errors.Is(err, tt.want) || !errors.Is(err, ginauth.ErrConfig) || a != nil {
				t.Errorf("New = %v, %v; want %v", a, err, tt.want)
			}
		})
	}
	if _, err := ginauth.New(good()); err != nil {
		t.Errorf("good config: %v", err)
	}
	cfg := good()
	cfg.URL, cfg.TrustHost = "", true
	if _, err := ginauth.New(cfg); err != nil {
		t.Errorf("TrustHost without URL: %v", err)
	}
}

// TestSessionWithoutMiddleware: Session and Token never panic on routes
// without ginauth.
func TestSessionWithoutMiddleware(t *testing.T) {
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		s, ok := ginauth.Session(c)
		tok, ok2 := ginauth.Token(c)
		if s != nil || ok || tok != nil || ok2 {
			t.Errorf("Session/Token without middleware = %v %v %v %v", s, ok, tok, ok2)
		}
		c.Status(http.StatusNoContent)
	})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusNoContent {
		t.Errorf("status %d", w.Code)
	}
	if s, ok := ginauth.Session(nil); s != nil || ok {
		t.Error("Session(nil) returned a session")
	}
}

// TestReadOnlyMiddleware: an API that only reads sessions made elsewhere
// (same secret) with Middleware and RequireAuth, without the endpoints.
func TestReadOnlyMiddleware(t *testing.T) {
	issuer := newApp(t, ginauth.ModeV5, nil)
	r := issuer.signIn("alice", "wonderland", "/")
	c, _ := r.cookie(issuer.sessionCookieName())

	reader, err := ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://api.example"})
	if err != nil {
		t.Fatal(err)
	}
	e := gin.New()
	e.Use(reader.Middleware())
	e.GET("/whoami", func(c *gin.Context) {
		tok, ok := ginauth.Token(c)
		if !ok {
			c.Status(http.StatusUnauthorized)
			return
		}
		tok["sub"] = "changed" // the caller's own copy
		again, _ := ginauth.Token(c)
		c.String(http.StatusOK, again.Subject()+" "+again.Email())
	})
	e.GET("/guarded", reader.RequireAuth(ginauth.WithClaim("role", "admin")), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	req := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	req.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: c.Value})
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Body.String() != "1 alice@example.com" {
		t.Errorf("whoami: %d %q", w.Code, w.Body.String())
	}
	req = httptest.NewRequest(http.MethodGet, "/guarded", nil)
	req.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: c.Value})
	w = httptest.NewRecorder()
	e.ServeHTTP(w, req)
	if w.Code != http.StatusNoContent {
		t.Errorf("guarded: %d", w.Code)
	}
	if w = httptest.NewRecorder(); true {
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/guarded", nil))
		if w.Code != http.StatusUnauthorized {
			t.Errorf("guarded without cookie: %d", w.Code)
		}
	}
}

// TestCallbacks covers the SignIn callback's denial and redirect, a
// CredentialsError code, an Authorize failure that must not leak, and the
// JWT callback ending the session.
func TestCallbacks(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		a := newApp(t, mode, func(c *ginauth.Config) {
			c.Providers = []providers.Provider{providers.Credentials{
				Authorize: func(ctx context.Context, creds map[string]string, _ *authjs.Request) (*authjs.User, error) {
					switch creds["username"] {
					case "otp":
						return nil, &providers.CredentialsError{Code: "invalid_otp"}
					case "boom":
						return nil, errors.New("db password is hunter2")
					}
					return &authjs.User{ID: creds["username"], Name: creds["username"]}, nil
				},
			}}
			c.Callbacks.SignIn = func(_ context.Context, p authjs.SignInParams) error {
				switch p.User.ID {
				case "banned":
					return authjs.ErrAccessDenied
				case "elsewhere":
					return &authjs.RedirectError{URL: "/welcome"}
				}
				return nil
			}
			c.Callbacks.JWT = func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
				if p.Token.Subject() == "ghost" {
					return nil, nil
				}
				return p.Token, nil
			}
		})
		base := a.srv.URL + "/api/auth"
		want := map[ginauth.Mode]map[string]string{
			ginauth.ModeV5: {
				"otp":       base + "/signin?error=CredentialsSignin&code=invalid_otp",
				"boom":      base + "/error?error=Configuration",
				"banned":    base + "/error?error=AccessDenied",
				"elsewhere": a.srv.URL + "/welcome",
				"ghost":     a.srv.URL,
			},
			ginauth.ModeV4: {
				"otp":       base + "/error?error=invalid_otp&provider=credentials",
				"boom":      base + "/error?error=Configuration",
				"banned":    base + "/error?error=AccessDenied",
				"elsewhere": a.srv.URL + "/welcome",
				"ghost":     a.srv.URL,
			},
		}[mode]
		for user, loc := range want {
			r := a.signIn(user, "x", "")
			if r.header.Get("Location") != loc {
				t.Errorf("%s: %d %q, want %q", user, r.status, r.header.Get("Location"), loc)
			}
			if c, set := r.cookie(a.sessionCookieName()); set && c.MaxAge >= 0 {
				t.Errorf("%s: session cookie set", user)
			}
		}
		r := a.do(http.MethodPost, "/api/auth/callback/credentials", url.Values{"username": {"boom"}, "csrfToken": {a.csrf()}, "json": {"true"}})
		if strings.Contains(r.body, "hunter2") || strings.Contains(r.header.Get("Location"), "hunter2") {
			t.Errorf("authorize error leaked: %s", r.body)
		}
	})
}

// TestForwardedHeaders: X-Forwarded-* decide the origin only with TrustHost.
func TestForwardedHeaders(t *testing.T) {
	fwd := []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "app.example.com"}
	trusted := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) { c.URL, c.TrustHost = "", true })
	r := trusted.do(http.MethodGet, "/api/auth/providers", nil, fwd...)
	if !strings.Contains(r.body, `"signinUrl":"https://app.example.com/api/auth/signin/credentials"`) {
		t.Errorf("trusted forwarded host: %s", r.body)
	}
	r = trusted.do(http.MethodGet, "/api/auth/csrf", nil, fwd...)
	if _, ok := r.cookie("__Host-authjs.csrf-token"); !ok {
		t.Errorf("https via X-Forwarded-Proto did not give __Host- cookies: %v", r.header.Values("Set-Cookie"))
	}
	r = trusted.do(http.MethodGet, "/account", nil, fwd...)
	if want := "https://app.example.com/api/auth/signin?callbackUrl=" + url.QueryEscape("https://app.example.com/account"); r.header.Get("Location") != want {
		t.Errorf("RedirectToSignIn behind a proxy: %q, want %q", r.header.Get("Location"), want)
	}
	if r = trusted.do(http.MethodGet, "/api/auth/providers", nil, "X-Forwarded-Host", "evil.example/path"); r.status != http.StatusBadRequest {
		t.Errorf("malformed forwarded host: %d %s", r.status, r.body)
	}

	fixed := newApp(t, ginauth.ModeV5, nil)
	r = fixed.do(http.MethodGet, "/api/auth/providers", nil, fwd...)
	if strings.Contains(r.body, "app.example.com") {
		t.Errorf("forwarded headers used without TrustHost: %s", r.body)
	}
}

// TestSessionToken forwards the raw token to another API as a Bearer token.
func TestSessionToken(t *testing.T) {
	a := newApp(t, ginauth.ModeV5, nil)
	downstream := gin.New()
	downstream.Use(a.auth.Middleware())
	downstream.GET("/who", a.auth.RequireAuth(), func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		c.String(http.StatusOK, s.User.Email)
	})
	down := httptest.NewServer(downstream)
	defer down.Close()
	front := gin.New()
	front.GET("/proxy", a.auth.RequireAuth(), func(c *gin.Context) {
		tok, ok := ginauth.SessionToken(c)
		if !ok {
			c.Status(http.StatusInternalServerError)
			return
		}
		req, _ := http.NewRequestWithContext(c.Request.Context(), http.MethodGet, down.URL+"/who", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			c.Status(http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		c.String(res.StatusCode, string(b))
	})
	front.GET("/raw", a.auth.Middleware(), func(c *gin.Context) {
		tok, ok := ginauth.SessionToken(c)
		c.String(http.StatusOK, "%v %d", ok, len(tok))
	})
	r := a.signIn("alice", "wonderland", "/")
	ck, _ := r.cookie(a.sessionCookieName())
	for path, want := range map[string]string{"/proxy": "alice@example.com", "/raw": "true " + strconv.Itoa(len(ck.Value))} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(ck)
		w := httptest.NewRecorder()
		front.ServeHTTP(w, req)
		if w.Body.String() != want {
			t.Errorf("%s: %d %q, want %q", path, w.Code, w.Body.String(), want)
		}
	}
	w := httptest.NewRecorder()
	front.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/raw", nil))
	if w.Body.String() != "false 0" {
		t.Errorf("without a session: %q", w.Body.String())
	}
}

// TestTwoAuths: a route guarded by a second Auth reads with that Auth, even
// behind the first one's middleware.
func TestTwoAuths(t *testing.T) {
	a := newApp(t, ginauth.ModeV5, nil)
	r := a.signIn("alice", "wonderland", "/")
	ck, _ := r.cookie(a.sessionCookieName())
	other, err := ginauth.New(ginauth.Config{Secret: "another-secret-0123456789abcdefghijklmn", URL: a.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	e := gin.New()
	e.Use(a.auth.Middleware())
	e.GET("/mine", a.auth.RequireAuth(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	e.GET("/theirs", other.RequireAuth(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	for path, want := range map[string]int{"/mine": http.StatusNoContent, "/theirs": http.StatusUnauthorized} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(ck)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("%s: %d, want %d", path, w.Code, want)
		}
	}
}

// TestSessionCallbackRefusal: when the Session callback refuses a token,
// RequireAuth refuses the request too, so handlers can rely on Session(c).
func TestSessionCallbackRefusal(t *testing.T) {
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Callbacks.Session = func(_ context.Context, p authjs.SessionParams) (*authjs.Session, error) {
			if p.Token.Subject() == "2" {
				return nil, errors.New("user 2 was disabled")
			}
			p.Session.User.Extra = map[string]any{"id": p.Token.Subject()}
			return p.Session, nil
		}
	})
	a.signIn("alice", "wonderland", "/")
	if r := a.do(http.MethodGet, "/api/protected", nil); r.status != http.StatusOK {
		t.Errorf("alice: %d", r.status)
	}
	if r := a.do(http.MethodGet, "/api/auth/session", nil); !strings.Contains(r.body, `"id":"1"`) {
		t.Errorf("session callback output missing: %s", r.body)
	}
	a.signIn("bob", "builder", "/")
	if r := a.do(http.MethodGet, "/api/protected", nil); r.status != http.StatusUnauthorized {
		t.Errorf("bob: %d", r.status)
	}
	if r := a.do(http.MethodGet, "/api/auth/session", nil); r.body != "null" {
		t.Errorf("bob's session: %s", r.body)
	}
}

// TestSessionDecodedOncePerRequest: Session and Token share one decode and
// one Session callback run per request, behind RequireAuth too.
func TestSessionDecodedOncePerRequest(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Callbacks.Session = func(_ context.Context, p authjs.SessionParams) (*authjs.Session, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			return p.Session, nil
		}
	})
	r := a.signIn("alice", "wonderland", "/")
	ck, _ := r.cookie(a.sessionCookieName())
	e := gin.New()
	e.GET("/twice", a.auth.RequireAuth(), func(c *gin.Context) {
		s1, _ := ginauth.Session(c)
		s2, _ := ginauth.Session(c)
		t1, _ := ginauth.Token(c)
		t2, _ := ginauth.Token(c)
		c.String(http.StatusOK, "%v %v", s1 == s2, t1.Subject() == t2.Subject())
	})
	req := httptest.NewRequest(http.MethodGet, "/twice", nil)
	req.AddCookie(ck)
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	if w.Body.String() != "true true" || calls != 1 {
		t.Errorf("body %q, Session callback ran %d times; want one run and the same session", w.Body.String(), calls)
	}
}
