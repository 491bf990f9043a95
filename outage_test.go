package ginauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// errUnreachable is what a store that lost its database returns; its text
// stands for the internals that must never reach a client.
var errUnreachable = errors.New("dial tcp 10.9.8.7:5432: connect: connection refused")

// switchable is a store that can be taken down: while down, every call
// fails as a store whose database is unreachable does.
type switchable struct {
	*memory.Store
	down  atomic.Bool
	calls atomic.Int64 // calls made while down
	total atomic.Int64 // every call
}

func (s *switchable) fail() error {
	s.total.Add(1)
	if s.down.Load() {
		s.calls.Add(1)
		return errUnreachable
	}
	return nil
}

func (s *switchable) CreateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.CreateUser(ctx, u)
}

func (s *switchable) GetUser(ctx context.Context, id string) (*authjs.User, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.GetUser(ctx, id)
}

func (s *switchable) GetUserByEmail(ctx context.Context, email string) (*authjs.User, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.GetUserByEmail(ctx, email)
}

func (s *switchable) GetUserByAccount(ctx context.Context, provider, id string) (*authjs.User, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.GetUserByAccount(ctx, provider, id)
}

func (s *switchable) UpdateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.UpdateUser(ctx, u)
}

func (s *switchable) DeleteUser(ctx context.Context, id string) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.DeleteUser(ctx, id)
}

func (s *switchable) LinkAccount(ctx context.Context, a authjs.Account) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.LinkAccount(ctx, a)
}

func (s *switchable) UnlinkAccount(ctx context.Context, provider, id string) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.UnlinkAccount(ctx, provider, id)
}

func (s *switchable) CreateSession(ctx context.Context, d authjs.DatabaseSession) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.CreateSession(ctx, d)
}

func (s *switchable) GetSessionAndUser(ctx context.Context, token string) (*authjs.DatabaseSession, *authjs.User, error) {
	if err := s.fail(); err != nil {
		return nil, nil, err
	}
	return s.Store.GetSessionAndUser(ctx, token)
}

func (s *switchable) UpdateSession(ctx context.Context, d authjs.DatabaseSession) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.UpdateSession(ctx, d)
}

func (s *switchable) DeleteSession(ctx context.Context, token string) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.DeleteSession(ctx, token)
}

func (s *switchable) CreateVerificationToken(ctx context.Context, v authjs.VerificationToken) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.CreateVerificationToken(ctx, v)
}

func (s *switchable) UseVerificationToken(ctx context.Context, identifier, token string) (*authjs.VerificationToken, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.UseVerificationToken(ctx, identifier, token)
}

func (s *switchable) ListSessions(ctx context.Context, userID string) ([]authjs.DatabaseSession, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.ListSessions(ctx, userID)
}

func (s *switchable) DeleteSessions(ctx context.Context, userID string) (int, error) {
	if err := s.fail(); err != nil {
		return 0, err
	}
	return s.Store.DeleteSessions(ctx, userID)
}

// get sends a GET without the app's checks on 5xx answers.
func (a *app) get(path string, header ...string) response {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.srv.URL+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

// TestStoreOutage takes the store down in the middle of a run: with
// database sessions, protected routes answer 503 JSON and keep the cookie,
// the session endpoint answers the empty session and keeps the cookie,
// sign-ins fail with the dialect's error, nothing leaks the store's error;
// when the store is back, the same session works again.
func TestStoreOutage(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		store := &switchable{Store: memory.New()}
		a := newApp(t, mode, func(c *ginauth.Config) { c.Adapter = store })
		a.signIn("alice", "wonderland", "/")
		u, err := store.GetUserByEmail(context.Background(), "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		cookieURL, _ := url.Parse(a.srv.URL)
		before := a.client.Jar.Cookies(cookieURL)
		if got := a.get("/api/protected"); got.status != http.StatusOK {
			t.Fatalf("before the outage: %d %s", got.status, got.body)
		}

		store.down.Store(true)
		for _, path := range []string{"/api/protected", "/account", "/admin"} {
			got := a.get(path, "Accept", "text/html")
			if got.status != http.StatusServiceUnavailable || got.body != `{"message":"Service Unavailable"}` {
				t.Errorf("%s during the outage: %d %s, want 503 JSON", path, got.status, got.body)
			}
			if got.header.Get("Retry-After") == "" || got.header.Get("Set-Cookie") != "" {
				t.Errorf("%s during the outage: Retry-After %q, Set-Cookie %q", path, got.header.Get("Retry-After"), got.header.Get("Set-Cookie"))
			}
		}
		got := a.get("/api/auth/session")
		if got.status != http.StatusOK || got.body != a.emptySession() || got.header.Get("Set-Cookie") != "" {
			t.Errorf("session during the outage: %d %s, Set-Cookie %q", got.status, got.body, got.header.Get("Set-Cookie"))
		}
		if got := a.get("/"); got.body != "anonymous" {
			t.Errorf("an open page during the outage: %q", got.body)
		}

		// A sign-in in a second browser fails with the dialect's error
		// and no session.
		b := &app{t: t, srv: a.srv, auth: a.auth, mode: mode, client: newClient(t), logs: a.logs, events: a.events}
		res := b.signIn("bob", "builder", "/")
		want := "/api/auth/error?error=Configuration"
		if mode == ginauth.ModeV4 {
			want = "/api/auth/error?error=Callback"
		}
		if loc := res.header.Get("Location"); res.status != http.StatusFound || !strings.HasSuffix(loc, want) {
			t.Errorf("sign-in during the outage: %d to %q, want %s", res.status, loc, want)
		}
		if _, ok := res.cookie(b.sessionCookieName()); ok {
			t.Error("a sign-in during the outage set a session cookie")
		}
		if _, err := a.auth.Sessions(context.Background(), u.ID); !errors.Is(err, errUnreachable) {
			t.Errorf("Sessions during the outage: %v", err)
		}
		if store.calls.Load() == 0 {
			t.Fatal("the outage was never noticed")
		}
		for _, r := range []response{got, res} {
			if strings.Contains(r.body, "10.9.8.7") {
				t.Errorf("an answer leaks the store's error: %s", r.body)
			}
		}
		if !strings.Contains(a.logs.String(), "10.9.8.7") {
			t.Error("the store's error was not logged")
		}

		store.down.Store(false)
		if after := a.client.Jar.Cookies(cookieURL); len(after) != len(before) {
			t.Errorf("cookies before the outage %v, after %v", before, after)
		}
		if got := a.get("/api/protected"); got.status != http.StatusOK || !strings.Contains(got.body, `"sub":"`+u.ID+`"`) {
			t.Errorf("after the outage: %d %s", got.status, got.body)
		}
		if got := a.get("/account"); got.status != http.StatusOK {
			t.Errorf("page after the outage: %d %s", got.status, got.body)
		}
		if l, err := a.auth.Sessions(context.Background(), u.ID); err != nil || len(l) != 1 {
			t.Errorf("sessions after the outage: %v, %v", l, err)
		}
		if res := b.signIn("bob", "builder", "/"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
			t.Errorf("sign-in after the outage: %d to %q", res.status, res.header.Get("Location"))
		}
	})
}

// TestOneRoundTrip: a protected route with a database session costs one
// call to the store, however often the handler reads the session.
func TestOneRoundTrip(t *testing.T) {
	store := &switchable{Store: memory.New()}
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) { c.Adapter = store })
	a.signIn("alice", "wonderland", "/")
	store.total.Store(0)
	if got := a.get("/api/protected"); got.status != http.StatusOK {
		t.Fatalf("protected: %d %s", got.status, got.body)
	}
	if n := store.total.Load(); n != 1 {
		t.Errorf("%d store calls for one protected request, want 1 (GetSessionAndUser)", n)
	}
}

// TestStoreOutageJWT: with JWT sessions and an adapter, reading a session
// needs no store, so protected routes keep working through an outage, and
// so do credentials sign-ins, which (as in Auth.js) store nothing under
// the JWT strategy.
func TestStoreOutageJWT(t *testing.T) {
	store := &switchable{Store: memory.New()}
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Adapter = store
		c.Session.Strategy = ginauth.StrategyJWT
	})
	a.signIn("alice", "wonderland", "/")
	store.down.Store(true)
	if got := a.get("/api/protected"); got.status != http.StatusOK {
		t.Errorf("protected during the outage: %d %s", got.status, got.body)
	}
	if got := a.get("/api/auth/session"); !strings.Contains(got.body, "Alice") {
		t.Errorf("session during the outage: %s", got.body)
	}
	b := &app{t: t, srv: a.srv, auth: a.auth, mode: ginauth.ModeV5, client: newClient(t), logs: a.logs, events: a.events}
	if res := b.signIn("bob", "builder", "/"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
		t.Errorf("sign-in during the outage: %d to %q", res.status, res.header.Get("Location"))
	}
	if got := b.get("/api/protected"); got.status != http.StatusOK {
		t.Errorf("protected after a sign-in during the outage: %d %s", got.status, got.body)
	}
	if n := store.calls.Load(); n != 0 {
		t.Errorf("%d calls reached the store", n)
	}
}

// brokenStore is a SessionStore that cannot be read.
type brokenStore struct{}

var errBrokenStore = errors.New("session backend unreachable")

func (brokenStore) Get(*gin.Context) (string, error)          { return "", errBrokenStore }
func (brokenStore) Set(*gin.Context, string, time.Time) error { return errBrokenStore }
func (brokenStore) Delete(*gin.Context) error                 { return errBrokenStore }

// TestSessionStoreOutage: a SessionStore that fails makes the session
// unavailable (503 behind RequireAuth, SessionError wraps
// ErrSessionUnavailable), not absent.
func TestSessionStoreOutage(t *testing.T) {
	auth, err := ginauth.New(ginauth.Config{
		Secret: testSecret, URL: "http://localhost:8080",
		Providers: []providers.Provider{providers.Credentials{Authorize: authorize}},
		Session:   ginauth.SessionConfig{Store: brokenStore{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(auth.Middleware())
	var sessErr error
	r.GET("/open", func(c *gin.Context) {
		_, ok := ginauth.Session(c)
		sessErr = ginauth.SessionError(c)
		c.String(http.StatusOK, "%v", ok)
	})
	r.GET("/protected", auth.RequireAuth(), func(c *gin.Context) { c.String(http.StatusOK, "in") })
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/protected", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("protected with a failing SessionStore: %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/open", nil))
	if w.Body.String() != "false" || !errors.Is(sessErr, ginauth.ErrSessionUnavailable) || !errors.Is(sessErr, errBrokenStore) {
		t.Errorf("open route: %s, SessionError %v", w.Body, sessErr)
	}
}
