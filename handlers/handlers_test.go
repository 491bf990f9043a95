package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/handlers"
	"github.com/ginauth/ginauth/providers"
)

const secret = "handlers-test-secret-0123456789abcdefghij"

func init() { gin.SetMode(gin.TestMode) }

func authorize(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
	if c["username"] == "alice" && c["password"] == "wonderland" {
		return &authjs.User{ID: "1", Name: "Alice", Email: "alice@example.com"}, nil
	}
	return nil, nil
}

// site is an application that routes the endpoints one by one on its own
// group, with middleware of its own on some of them.
type site struct {
	srv    *httptest.Server
	client *http.Client
	hits   map[string]int
}

func newSite(t *testing.T, mount func(g *gin.RouterGroup, e handlers.Endpoints, count func(string) gin.HandlerFunc)) *site {
	t.Helper()
	s := &site{hits: map[string]int{}}
	s.srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(s.srv.Close)
	auth, err := ginauth.New(ginauth.Config{
		Secret:    secret,
		URL:       "http://" + s.srv.Listener.Addr().String(),
		Providers: []providers.Provider{providers.Credentials{Authorize: authorize}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	g := r.Group("/api/auth")
	mount(g, auth.Handlers(), func(name string) gin.HandlerFunc {
		return func(c *gin.Context) { s.hits[name]++ }
	})
	r.GET("/me", auth.RequireAuth(), func(c *gin.Context) {
		sess, _ := ginauth.Session(c)
		c.String(http.StatusOK, sess.User.Name)
	})
	s.srv.Config.Handler = r
	s.srv.Start()
	jar, _ := cookiejar.New(nil)
	s.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s
}

func (s *site) do(t *testing.T, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.srv.URL+path, strings.NewReader(form.Encode()))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func (s *site) csrf(t *testing.T) string {
	t.Helper()
	_, body := s.do(t, http.MethodGet, "/api/auth/csrf", nil)
	var v struct{ CSRFToken string }
	if err := json.Unmarshal([]byte(body), &v); err != nil || len(v.CSRFToken) != 64 {
		t.Fatalf("csrf: %s", body)
	}
	return v.CSRFToken
}

// TestSingleEndpoints mounts each endpoint on its own route, from outside
// the module, and walks a sign-in, a session read and a sign-out through
// them.
func TestSingleEndpoints(t *testing.T) {
	s := newSite(t, func(g *gin.RouterGroup, e handlers.Endpoints, count func(string) gin.HandlerFunc) {
		g.GET("/csrf", e.CSRF)
		g.GET("/providers", e.Providers)
		g.GET("/session", e.Session)
		g.POST("/session", e.Session)
		g.GET("/signin", e.SignIn)
		g.POST("/signin/:provider", e.SignIn)
		g.POST("/callback/:provider", count("callback"), e.Callback)
		g.GET("/signout", e.SignOut)
		g.POST("/signout", e.SignOut)
		g.GET("/error", e.Error)
		g.GET("/verify-request", e.VerifyRequest)
	})

	res, body := s.do(t, http.MethodGet, "/api/auth/providers", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"callbackUrl":"`+s.srv.URL+`/api/auth/callback/credentials"`) {
		t.Fatalf("providers: %d %s", res.StatusCode, body)
	}
	if _, body = s.do(t, http.MethodGet, "/api/auth/session", nil); body != "null" {
		t.Errorf("session before sign-in: %s", body)
	}
	res, _ = s.do(t, http.MethodPost, "/api/auth/callback/credentials", url.Values{
		"username": {"alice"}, "password": {"wonderland"}, "csrfToken": {s.csrf(t)}, "callbackUrl": {"/me"},
	})
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != s.srv.URL+"/me" || s.hits["callback"] != 1 {
		t.Fatalf("sign-in: %d %q, callback middleware ran %d times", res.StatusCode, res.Header.Get("Location"), s.hits["callback"])
	}
	if _, body = s.do(t, http.MethodGet, "/me", nil); body != "Alice" {
		t.Errorf("/me: %s", body)
	}
	if _, body = s.do(t, http.MethodGet, "/api/auth/session", nil); !strings.Contains(body, `"name":"Alice"`) {
		t.Errorf("session: %s", body)
	}
	if res, body = s.do(t, http.MethodGet, "/api/auth/signin", nil); res.StatusCode != http.StatusOK || !strings.Contains(body, "<form") {
		t.Errorf("sign-in page: %d", res.StatusCode)
	}
	if res, _ = s.do(t, http.MethodGet, "/api/auth/error?error=AccessDenied", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("error page: %d", res.StatusCode)
	}
	if res, _ = s.do(t, http.MethodGet, "/api/auth/verify-request", nil); res.StatusCode != http.StatusOK {
		t.Errorf("verify-request page: %d", res.StatusCode)
	}
	res, _ = s.do(t, http.MethodPost, "/api/auth/signout", url.Values{"csrfToken": {s.csrf(t)}})
	if res.StatusCode != http.StatusFound {
		t.Errorf("sign-out: %d", res.StatusCode)
	}
	if res, _ = s.do(t, http.MethodGet, "/me", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("/me after sign-out: %d", res.StatusCode)
	}
}

// TestSingleEndpointRules: an endpoint mounted on a method or path it does
// not serve answers Auth.js's "Bad request.", as the catch-all route does,
// and the endpoints not mounted are not served at all.
func TestSingleEndpointRules(t *testing.T) {
	s := newSite(t, func(g *gin.RouterGroup, e handlers.Endpoints, _ func(string) gin.HandlerFunc) {
		g.GET("/csrf", e.CSRF)
		g.POST("/csrf", e.CSRF)
		g.GET("/providers/:provider", e.Providers)
		g.GET("/callback/:provider", e.Callback)
	})
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{http.MethodPost, "/api/auth/csrf", http.StatusBadRequest, `"Bad request."`},
		{http.MethodGet, "/api/auth/providers/github", http.StatusBadRequest, `"Bad request."`},
		{http.MethodGet, "/api/auth/callback/nope", http.StatusFound, ""},
		{http.MethodGet, "/api/auth/session", http.StatusNotFound, "404 page not found"},
	} {
		res, body := s.do(t, tc.method, tc.path, nil)
		if res.StatusCode != tc.status || body != tc.body {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, res.StatusCode, body, tc.status, tc.body)
		}
	}
}

// TestReadOnlyEndpoints: an Auth without URL or TrustHost cannot know its
// origin, and each of its endpoints answers Auth.js's configuration error.
func TestReadOnlyEndpoints(t *testing.T) {
	auth, err := ginauth.New(ginauth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	e := auth.Handlers()
	for name, h := range map[string]gin.HandlerFunc{
		"CSRF": e.CSRF, "Providers": e.Providers, "Session": e.Session, "SignIn": e.SignIn,
		"Callback": e.Callback, "SignOut": e.SignOut, "Error": e.Error, "VerifyRequest": e.VerifyRequest,
	} {
		r := gin.New()
		r.GET("/x", h)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/x", nil))
		if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "server configuration") {
			t.Errorf("%s: %d %s", name, w.Code, w.Body.String())
		}
	}
}
