package ginsessions_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/memstore"
	gcredis "github.com/gin-contrib/sessions/redis"
	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/ginsessions"
	"github.com/ginauth/ginauth/providers"
)

const secret = "ginsessions-test-secret-0123456789abcdefghij"

var sessionKey = []byte("0123456789abcdef0123456789abcdef")

func init() { gin.SetMode(gin.TestMode) }

func authorize(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
	if c["username"] == "alice" && c["password"] == "wonderland" {
		return &authjs.User{ID: "1", Name: "Alice", Email: "alice@example.com"}, nil
	}
	return nil, nil
}

// site is an application on gin-contrib/sessions with ginauth's session in
// its store.
type site struct {
	srv    *httptest.Server
	client *http.Client
	auth   *ginauth.Auth
}

func newSite(t *testing.T, store sessions.Store, edit func(*ginauth.Config)) *site {
	t.Helper()
	s := &site{srv: httptest.NewUnstartedServer(nil)}
	t.Cleanup(s.srv.Close)
	cfg := ginauth.Config{
		Secret:    secret,
		URL:       "http://" + s.srv.Listener.Addr().String(),
		Providers: []providers.Provider{providers.Credentials{Authorize: authorize}},
		Session:   ginauth.SessionConfig{Store: ginsessions.Store{}},
	}
	if edit != nil {
		edit(&cfg)
	}
	auth, err := ginauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.auth = auth
	r := gin.New()
	r.Use(sessions.Sessions("app", store), auth.Middleware())
	auth.Mount(r)
	r.GET("/me", auth.RequireAuth(), func(c *gin.Context) {
		sess, _ := ginauth.Session(c)
		// The application's own values live beside ginauth's.
		app := sessions.Default(c)
		visits, _ := app.Get("visits").(int)
		app.Set("visits", visits+1)
		app.Save()
		c.String(http.StatusOK, "%s %d", sess.User.Name, visits+1)
	})
	s.srv.Config.Handler = r
	s.srv.Start()
	jar, _ := cookiejar.New(nil)
	s.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s
}

func (s *site) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := s.client.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (s *site) post(t *testing.T, path string, form url.Values) *http.Response {
	t.Helper()
	_, body := s.get(t, "/api/auth/csrf")
	var c struct{ CSRFToken string }
	json.Unmarshal([]byte(body), &c)
	form.Set("csrfToken", c.CSRFToken)
	res, err := s.client.PostForm(s.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// flow signs in, reads the session through the application's route and
// /session, and signs out.
func flow(t *testing.T, s *site) {
	t.Helper()
	if code, _ := s.get(t, "/me"); code != http.StatusUnauthorized {
		t.Fatalf("/me before sign-in: %d", code)
	}
	res := s.post(t, "/api/auth/callback/credentials", url.Values{"username": {"alice"}, "password": {"wonderland"}})
	if res.StatusCode != http.StatusFound {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if strings.Contains(c.Name, "session-token") {
			t.Errorf("ginauth set its own session cookie %s", c.Name)
		}
	}
	for want := 1; want <= 2; want++ {
		if code, body := s.get(t, "/me"); code != http.StatusOK || body != "Alice "+string(rune('0'+want)) {
			t.Fatalf("/me: %d %q", code, body)
		}
	}
	if _, body := s.get(t, "/api/auth/session"); !strings.Contains(body, `"name":"Alice"`) {
		t.Errorf("/session: %s", body)
	}
	if res := s.post(t, "/api/auth/signout", url.Values{}); res.StatusCode != http.StatusFound {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	if code, _ := s.get(t, "/me"); code != http.StatusUnauthorized {
		t.Errorf("/me after sign-out: %d", code)
	}
}

func TestMemstore(t *testing.T) {
	flow(t, newSite(t, memstore.NewStore(sessionKey), nil))
}

func TestCookieStore(t *testing.T) {
	flow(t, newSite(t, cookie.NewStore(sessionKey), nil))
}

func TestRedisStore(t *testing.T) {
	raw := os.Getenv("GINAUTH_TEST_REDIS_URL")
	if raw == "" {
		if os.Getenv("GINAUTH_REQUIRE_SERVICES") == "1" {
			t.Fatal("GINAUTH_TEST_REDIS_URL is not set")
		}
		t.Skip("GINAUTH_TEST_REDIS_URL is not set (scripts/test starts a Redis)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	store, err := gcredis.NewStore(10, "tcp", u.Host, "", "", sessionKey)
	if err != nil {
		t.Fatal(err)
	}
	flow(t, newSite(t, store, nil))
}

// TestNoSessionsMiddleware: without the gin-contrib/sessions middleware the
// store reports it instead of panicking, and ginauth sees no session.
func TestNoSessionsMiddleware(t *testing.T) {
	st := ginsessions.Store{}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	if _, err := st.Get(c); err != ginsessions.ErrNoSessions {
		t.Errorf("Get: %v", err)
	}
	if err := st.Set(c, "v", time.Time{}); err != ginsessions.ErrNoSessions {
		t.Errorf("Set: %v", err)
	}
	if err := (ginsessions.Store{Name: "other"}).Delete(c); err != ginsessions.ErrNoSessions {
		t.Errorf("Delete: %v", err)
	}
}
