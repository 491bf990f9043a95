package ginauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
)

// rollClock is a settable Config.Now.
type rollClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rollClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rollClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// sessionCookies returns the session cookies a response set (deletions
// left out) and whether it deleted any.
func sessionCookies(w *httptest.ResponseRecorder) (set []*http.Cookie, deleted bool) {
	for _, c := range w.Result().Cookies() {
		if !strings.Contains(c.Name, "session-token") {
			continue
		}
		if c.MaxAge < 0 || c.Value == "" {
			deleted = true
			continue
		}
		set = append(set, c)
	}
	return set, deleted
}

// visit sends a GET with cookies (and a Bearer token when bearer is set).
func visit(h http.Handler, path string, cookies []*http.Cookie, bearer string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://app.example"+path, nil)
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// rollingRoutes adds the routes the rolling tests visit: one behind
// RequireAuth, one that reads the session through Middleware, one that
// never reads it, and one that reads it only after writing its answer.
func rollingRoutes(r *gin.Engine, auth *ginauth.Auth) {
	r.GET("/guarded", auth.RequireAuth(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/reads", func(c *gin.Context) {
		if _, ok := ginauth.Session(c); !ok {
			c.Status(http.StatusUnauthorized)
			return
		}
		c.Status(http.StatusNoContent)
	})
	r.GET("/ignores", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/late", func(c *gin.Context) {
		c.String(http.StatusOK, "written")
		ginauth.Session(c)
	})
}

// TestRollingJWT: a session used only through RequireAuth (or a handler
// reading it through Middleware) gets a fresh cookie once it is older than
// UpdateAge, in both dialects and for chunked cookies, and @auth/core's and
// next-auth/jwt's decode accept the new token. Younger sessions, Bearer
// tokens, handlers that never read the session, answers already written
// and read-only Auths get no cookie.
func TestRollingJWT(t *testing.T) {
	requireNode(t)
	type renewed struct {
		name    string
		mode    ginauth.Mode
		user    string
		cookies []*http.Cookie
		now     time.Time
	}
	var all []renewed
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		m := mode.String()
		real := time.Now().Truncate(time.Second)
		clock := &rollClock{t: real.Add(-25 * time.Hour)}
		auth, h := tokenIssuer(t, mode, func(c *ginauth.Config) { c.Now = clock.Now })
		rollingRoutes(h.(*gin.Engine), auth)
		readOnly, err := ginauth.New(ginauth.Config{Secret: testSecret, Mode: mode, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		ro := gin.New()
		ro.Use(readOnly.Middleware())
		rollingRoutes(ro, readOnly)

		for _, user := range []string{"alice", "big2"} {
			clock.Set(real.Add(-25 * time.Hour))
			cs := signInDirect(t, h, "http://app.example", user)

			// An hour later: not due.
			clock.Set(real.Add(-24 * time.Hour))
			for _, path := range []string{"/guarded", "/reads"} {
				w := visit(h, path, cs, "")
				if set, del := sessionCookies(w); w.Code != http.StatusNoContent || len(set) > 0 || del {
					t.Errorf("%s %s %s an hour after sign-in: %d, set %d cookies (deleted: %v)", m, user, path, w.Code, len(set), del)
				}
			}

			// 25 hours after sign-in, past UpdateAge.
			clock.Set(real)
			for path, want := range map[string]int{"/ignores": http.StatusNoContent, "/late": http.StatusOK} {
				if w := visit(h, path, cs, ""); w.Code != want || len(w.Result().Cookies()) > 0 {
					t.Errorf("%s %s %s: %d, cookies %v", m, user, path, w.Code, w.Header().Values("Set-Cookie"))
				}
			}
			if w := visit(h, "/guarded", nil, joined(cs)); w.Code != http.StatusNoContent || len(w.Result().Cookies()) > 0 {
				t.Errorf("%s %s Bearer: %d, cookies %v", m, user, w.Code, w.Header().Values("Set-Cookie"))
			}
			for _, path := range []string{"/guarded", "/reads"} {
				if w := visit(ro, path, cs, ""); w.Code != http.StatusNoContent || len(w.Result().Cookies()) > 0 {
					t.Errorf("%s %s read-only %s: %d, cookies %v", m, user, path, w.Code, w.Header().Values("Set-Cookie"))
				}
			}
			for _, path := range []string{"/guarded", "/reads"} {
				w := visit(h, path, cs, "")
				set, del := sessionCookies(w)
				if w.Code != http.StatusNoContent || len(set) != len(cs) || del {
					t.Fatalf("%s %s %s past UpdateAge: %d, %d cookies (deleted: %v), want %d", m, user, path, w.Code, len(set), del, len(cs))
				}
				for i, c := range set {
					if c.Name != cs[i].Name || c.HttpOnly != true || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
						t.Errorf("%s %s renewed cookie %d: %+v", m, user, i, c)
					}
					if want := real.Add(ginauth.DefaultSessionMaxAge); !c.Expires.Equal(want) {
						t.Errorf("%s %s renewed cookie expires %v, want %v", m, user, c.Expires, want)
					}
				}
				if joined(set) == joined(cs) {
					t.Errorf("%s %s: the renewed cookie holds the old token", m, user)
				}
				if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "no-store") {
					t.Errorf("%s %s: a renewing answer with Cache-Control %q", m, user, cc)
				}
				// The fresh token is not due again.
				if w := visit(h, path, set, ""); len(w.Result().Cookies()) > 0 {
					t.Errorf("%s %s %s: the renewed token was renewed again: %v", m, user, path, w.Header().Values("Set-Cookie"))
				}
				all = append(all, renewed{m + " " + user + " " + path, mode, user, set, real})
			}
		}
	}

	var ops []jsOp
	for _, r := range all {
		salt := ""
		if r.mode == ginauth.ModeV5 {
			salt = r.cookies[0].Name
			if len(r.cookies) > 1 {
				salt = strings.TrimSuffix(salt, ".0")
			}
		}
		ops = append(ops, jsOp{Op: "decode", Mode: r.mode.String(), Secret: testSecret, Salt: salt, Value: joined(r.cookies)})
	}
	var results []jsResult
	runNode(t, "tokens.mjs", nil, ops, &results)
	if len(results) != len(ops) {
		t.Fatalf("%d results for %d operations", len(results), len(ops))
	}
	for i, r := range all {
		c := results[i].Claims
		if c["sub"] != r.user || c["name"] != r.user {
			t.Errorf("%s: JavaScript decoded %v (error %q)", r.name, c, results[i].Error)
			continue
		}
		if padding[r.user] > 0 && c["pad"] != pad(padding[r.user]) {
			t.Errorf("%s: the padding claim was lost", r.name)
		}
		iat, _ := c["iat"].(float64)
		exp, _ := c["exp"].(float64)
		if int64(iat) != r.now.Unix() || int64(exp) != r.now.Add(ginauth.DefaultSessionMaxAge).Unix() {
			t.Errorf("%s: iat %v exp %v, want %d and %d", r.name, iat, exp, r.now.Unix(), r.now.Add(ginauth.DefaultSessionMaxAge).Unix())
		}
		if _, ok := c["auth_time"]; ok {
			t.Errorf("%s: auth_time set without an absolute lifetime", r.name)
		}
	}
}

// TestAbsoluteLifetimeJWT: renewals through RequireAuth and GET /session
// keep a session alive up to Session.AbsoluteMaxAge after its sign-in and
// never past it, in both dialects; the last token (accepted by the
// JavaScript decoders) expires at that end, and afterwards every read
// refuses the session and /session clears it.
func TestAbsoluteLifetimeJWT(t *testing.T) {
	requireNode(t)
	const absolute = 48 * time.Hour
	type last struct {
		mode    ginauth.Mode
		cookies []*http.Cookie
		start   time.Time
	}
	var lasts []last
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		m := mode.String()
		real := time.Now().Truncate(time.Second)
		start := real.Add(-46 * time.Hour)
		clock := &rollClock{t: start}
		auth, h := tokenIssuer(t, mode, func(c *ginauth.Config) {
			c.Now = clock.Now
			c.Session.MaxAge = 24 * time.Hour
			c.Session.UpdateAge = time.Hour
			c.Session.AbsoluteMaxAge = absolute
		})
		rollingRoutes(h.(*gin.Engine), auth)
		cs := signInDirect(t, h, "http://app.example", "alice")
		if !cs[0].Expires.Equal(start.Add(24 * time.Hour)) {
			t.Errorf("%s sign-in cookie expires %v", m, cs[0].Expires)
		}
		// Renewed through RequireAuth at +2 h and +25 h, through /session
		// at +40 h, and through RequireAuth at +46 h, where the absolute
		// end comes before now + MaxAge.
		for _, step := range []struct {
			at   time.Duration
			path string
			exp  time.Duration // the new cookie's expiry, from start
		}{
			{2 * time.Hour, "/guarded", 26 * time.Hour},
			{25 * time.Hour, "/guarded", 48 * time.Hour},
			{40 * time.Hour, "/api/auth/session", 48 * time.Hour},
			{46 * time.Hour, "/guarded", 48 * time.Hour},
		} {
			clock.Set(start.Add(step.at))
			w := visit(h, step.path, cs, "")
			set, _ := sessionCookies(w)
			if w.Code/100 != 2 || len(set) != 1 {
				t.Fatalf("%s at +%v %s: %d, cookies %v", m, step.at, step.path, w.Code, w.Header().Values("Set-Cookie"))
			}
			if !set[0].Expires.Equal(start.Add(step.exp)) {
				t.Errorf("%s at +%v: cookie expires at +%v, want +%v", m, step.at, set[0].Expires.Sub(start), step.exp)
			}
			cs = set
		}
		lasts = append(lasts, last{mode, cs, start})

		// Just before the end: still a session, not renewed.
		clock.Set(start.Add(absolute - time.Second))
		if w := visit(h, "/guarded", cs, ""); w.Code != http.StatusNoContent {
			t.Errorf("%s a second before the end: %d", m, w.Code)
		}
		// At the end: no session anywhere, and /session clears the cookie.
		clock.Set(start.Add(absolute))
		for _, path := range []string{"/guarded", "/reads"} {
			if w := visit(h, path, cs, ""); w.Code != http.StatusUnauthorized {
				t.Errorf("%s %s at the absolute end: %d", m, path, w.Code)
			}
		}
		w := visit(h, "/api/auth/session", cs, "")
		set, del := sessionCookies(w)
		if body := strings.TrimSpace(w.Body.String()); body != map[ginauth.Mode]string{ginauth.ModeV5: "null", ginauth.ModeV4: "{}"}[mode] || len(set) > 0 || !del {
			t.Errorf("%s /session at the absolute end: %s, set %d, deleted %v", m, body, len(set), del)
		}
	}

	var ops []jsOp
	for _, l := range lasts {
		salt := ""
		if l.mode == ginauth.ModeV5 {
			salt = l.cookies[0].Name
		}
		ops = append(ops, jsOp{Op: "decode", Mode: l.mode.String(), Secret: testSecret, Salt: salt, Value: joined(l.cookies)})
	}
	var results []jsResult
	runNode(t, "tokens.mjs", nil, ops, &results)
	if len(results) != len(ops) {
		t.Fatalf("%d results for %d operations", len(results), len(ops))
	}
	for i, l := range lasts {
		c := results[i].Claims
		at, _ := c["auth_time"].(float64)
		exp, _ := c["exp"].(float64)
		if c["sub"] != "alice" || int64(at) != l.start.Unix() || int64(exp) != l.start.Add(absolute).Unix() {
			t.Errorf("%s: JavaScript decoded %v (error %q); want auth_time %d, exp %d", l.mode, c, results[i].Error, l.start.Unix(), l.start.Add(absolute).Unix())
		}
	}
}

// countingStore counts the writes of session expiries.
type countingStore struct {
	*memory.Store
	updates atomic.Int32
}

func (s *countingStore) UpdateSession(ctx context.Context, sess authjs.DatabaseSession) error {
	s.updates.Add(1)
	return s.Store.UpdateSession(ctx, sess)
}

// TestRollingDatabase: a database session used only through RequireAuth
// gets its expiry written back and its cookie set again once per
// UpdateAge, up to Session.AbsoluteMaxAge after its creation and never
// past it, in both dialects; a session whose start is unknown (an Auth.js
// application's) is read but not extended.
func TestRollingDatabase(t *testing.T) {
	const absolute = 40 * 24 * time.Hour
	day := 24 * time.Hour
	ctx := context.Background()
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		m := mode.String()
		start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := &rollClock{t: start}
		store := &countingStore{Store: memory.New()}
		auth, h := tokenIssuer(t, mode, func(c *ginauth.Config) {
			c.Now = clock.Now
			c.Adapter = store
			c.Session.AbsoluteMaxAge = absolute
			c.Callbacks.JWT = nil
		})
		rollingRoutes(h.(*gin.Engine), auth)
		cs := signInDirect(t, h, "http://app.example", "alice")
		token := cs[0].Value
		stored := func() time.Time {
			s, _, err := store.GetSessionAndUser(ctx, token)
			if err != nil {
				t.Fatalf("%s: the session is gone: %v", m, err)
			}
			return s.Expires
		}
		steps := []struct {
			at      time.Duration
			renewed bool
			expires time.Duration // the stored and cookie expiry, from start
		}{
			{time.Hour, false, 30 * day},
			{day + time.Hour, true, 31*day + time.Hour},
			{day + 2*time.Hour, false, 31*day + time.Hour},
			{30 * day, true, absolute},
			// Due by UpdateAge, but the end leaves nothing to extend.
			{30*day + 2*time.Hour, false, absolute},
		}
		updates := int32(0)
		for _, step := range steps {
			clock.Set(start.Add(step.at))
			w := visit(h, "/guarded", cs, "")
			set, del := sessionCookies(w)
			if w.Code != http.StatusNoContent || del || step.renewed != (len(set) == 1) {
				t.Fatalf("%s at +%v: %d, cookies %v, want renewed %v", m, step.at, w.Code, w.Header().Values("Set-Cookie"), step.renewed)
			}
			if step.renewed {
				updates++
				if set[0].Value != token || !set[0].Expires.Equal(start.Add(step.expires)) {
					t.Errorf("%s at +%v: cookie %s expires +%v, want the same token, +%v", m, step.at, set[0].Value, set[0].Expires.Sub(start), step.expires)
				}
			}
			if got := store.updates.Load(); got != updates {
				t.Errorf("%s at +%v: %d writes of the expiry, want %d", m, step.at, got, updates)
			}
			if got := stored(); !got.Equal(start.Add(step.expires)) {
				t.Errorf("%s at +%v: stored expiry +%v, want +%v", m, step.at, got.Sub(start), step.expires)
			}
		}
		clock.Set(start.Add(absolute))
		if w := visit(h, "/guarded", cs, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("%s at the absolute end: %d", m, w.Code)
		}
		w := visit(h, "/api/auth/session", cs, "")
		if set, del := sessionCookies(w); len(set) > 0 || !del || strings.Contains(w.Body.String(), "alice") {
			t.Errorf("%s /session at the absolute end: %s, set %d, deleted %v", m, w.Body.String(), len(set), del)
		}

		// A session an Auth.js application made: no creation time in its
		// token, so ginauth reads it but never extends it.
		u, err := store.GetUserByEmail(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		foreign := authjs.DatabaseSession{SessionToken: "0b6f3d1c-5a0e-4c7e-9d1e-2f3a4b5c6d7e", UserID: u.ID, Expires: start.Add(absolute + 30*day)}
		if err := store.CreateSession(ctx, foreign); err != nil {
			t.Fatal(err)
		}
		clock.Set(start.Add(absolute + 2*day))
		before := store.updates.Load()
		w = visit(h, "/guarded", []*http.Cookie{{Name: cs[0].Name, Value: foreign.SessionToken}}, "")
		if set, _ := sessionCookies(w); w.Code != http.StatusNoContent || len(set) > 0 || store.updates.Load() != before {
			t.Errorf("%s foreign session: %d, cookies %v, %d writes", m, w.Code, w.Header().Values("Set-Cookie"), store.updates.Load()-before)
		}
	}
}

// TestAbsoluteMaxAgeConfig: a negative or sub-second limit is refused.
func TestAbsoluteMaxAgeConfig(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, time.Millisecond} {
		_, err := ginauth.New(ginauth.Config{Secret: testSecret, Session: ginauth.SessionConfig{AbsoluteMaxAge: d}})
		if err == nil {
			t.Errorf("AbsoluteMaxAge %v accepted", d)
		}
	}
	if _, err := ginauth.New(ginauth.Config{Secret: testSecret, Session: ginauth.SessionConfig{AbsoluteMaxAge: time.Second}}); err != nil {
		t.Errorf("AbsoluteMaxAge of a second: %v", err)
	}
}
