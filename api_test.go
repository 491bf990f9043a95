package ginauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/providers"
)

// sessionCookie signs alice in on a and returns her session cookie.
func sessionCookie(t *testing.T, a *app) *http.Cookie {
	t.Helper()
	r := a.signIn("alice", "wonderland", "/")
	ck, ok := r.cookie(a.sessionCookieName())
	if !ok {
		t.Fatalf("no session cookie after sign-in: %d %s", r.status, r.body)
	}
	return ck
}

// serve runs one request through h with the given cookies and headers.
func serveReq(h http.Handler, method, path string, cookies []*http.Cookie, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestConcurrentReadsThroughCopies reads the session from goroutines holding
// copies of the request's context, as Gin documents for goroutines; run
// with -race, the per-request state must not race, and every reader sees
// the one session decoded once.
func TestConcurrentReadsThroughCopies(t *testing.T) {
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
	ck := sessionCookie(t, a)
	e := gin.New()
	e.Use(a.auth.Middleware())
	e.GET("/fan-out", func(c *gin.Context) {
		const n = 8
		results := make(chan string, 3*n)
		var wg sync.WaitGroup
		for range n {
			cp := c.Copy()
			wg.Go(func() {
				s, ok := ginauth.Session(cp)
				tok, _ := ginauth.Token(cp)
				raw, _ := ginauth.SessionToken(cp)
				if !ok {
					results <- "no session"
					return
				}
				results <- s.User.Name + " " + tok.Subject() + " " + raw[:10]
			})
		}
		s, _ := ginauth.Session(c) // the handler reads too, at the same time
		wg.Wait()
		close(results)
		for r := range results {
			if r != "Alice 1 "+ck.Value[:10] {
				c.String(http.StatusInternalServerError, "a reader saw %q", r)
				return
			}
		}
		c.String(http.StatusOK, s.User.Name)
	})
	if w := serveReq(e, http.MethodGet, "/fan-out", []*http.Cookie{ck}); w.Code != http.StatusOK || w.Body.String() != "Alice" {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	if calls != 1 {
		t.Errorf("the Session callback ran %d times for one request, want 1", calls)
	}
}

// TestMount mounts the endpoints on the engine and on groups: the group's
// middleware runs before them, the session is read only where Middleware
// or RequireAuth runs, and a group that cannot hold the base path is
// refused when mounting.
func TestMount(t *testing.T) {
	auth, err := ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://app.example",
		Providers: []providers.Provider{providers.Credentials{Authorize: authorize}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		mount func(r *gin.Engine, mw gin.HandlerFunc)
	}{
		{"engine", func(r *gin.Engine, mw gin.HandlerFunc) { r.Use(mw); auth.Mount(r) }},
		{"group at /", func(r *gin.Engine, mw gin.HandlerFunc) { auth.Mount(r.Group("/", mw)) }},
		{"group at /api", func(r *gin.Engine, mw gin.HandlerFunc) { auth.Mount(r.Group("/api", mw)) }},
		{"group at the base path", func(r *gin.Engine, mw gin.HandlerFunc) { auth.Mount(r.Group("/api/auth/", mw)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gin.New()
			tc.mount(r, func(c *gin.Context) { c.Header("X-Group", "yes") })
			w := serveReq(r, http.MethodGet, "/api/auth/providers", nil)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"signinUrl":"http://app.example/api/auth/signin/credentials"`) {
				t.Fatalf("providers: %d %s", w.Code, w.Body.String())
			}
			if w.Header().Get("X-Group") != "yes" {
				t.Error("the group's middleware did not run before the endpoint")
			}
			if w := serveReq(r, http.MethodGet, "/api/auth/nope", nil); w.Code != http.StatusBadRequest || w.Body.String() != `"Bad request."` {
				t.Errorf("unknown action: %d %s", w.Code, w.Body.String())
			}
		})
	}

	t.Run("session readable only behind Middleware", func(t *testing.T) {
		a := newApp(t, ginauth.ModeV5, nil)
		ck := sessionCookie(t, a)
		r := gin.New()
		a.auth.Mount(r.Group("/api"))
		who := func(c *gin.Context) {
			s, ok := ginauth.Session(c)
			if !ok {
				c.String(http.StatusOK, "nobody")
				return
			}
			c.String(http.StatusOK, s.User.Name)
		}
		r.GET("/plain", who)
		r.Group("/read", a.auth.Middleware()).GET("", who)
		if w := serveReq(r, http.MethodGet, "/plain", []*http.Cookie{ck}); w.Body.String() != "nobody" {
			t.Errorf("a route without Middleware read the session: %s", w.Body.String())
		}
		if w := serveReq(r, http.MethodGet, "/read", []*http.Cookie{ck}); w.Body.String() != "Alice" {
			t.Errorf("a route behind Middleware: %s", w.Body.String())
		}
	})

	for _, prefix := range []string{"/v2", "/api/authx", "/api/auth/csrf"} {
		t.Run("refused group "+prefix, func(t *testing.T) {
			defer func() {
				p := recover()
				if p == nil || !strings.Contains(p.(string), "not a prefix of the base path") {
					t.Errorf("Mount on a group at %s: panic %v", prefix, p)
				}
			}()
			auth.Mount(gin.New().Group(prefix))
		})
	}
}

// TestProviderTypes: /providers reports an OpenID Connect provider as
// "oidc" in v5 and as "oauth" in v4, which knows no other OAuth type.
func TestProviderTypes(t *testing.T) {
	oidc := providers.OAuth{ID: "corp", Name: "Corp", Issuer: "https://sso.example.com", ClientID: "c"}
	plain := providers.OAuth{ID: "acme", Name: "Acme", ClientID: "c",
		AuthURL: "https://acme.example/auth", TokenURL: "https://acme.example/token", UserInfoURL: "https://acme.example/me"}
	want := map[ginauth.Mode]string{ginauth.ModeV5: `"type":"oidc"`, ginauth.ModeV4: `"type":"oauth"`}
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		a := newApp(t, mode, func(c *ginauth.Config) { c.Providers = []providers.Provider{oidc, &plain} })
		body := a.do(http.MethodGet, "/api/auth/providers", nil).body
		corp, acme, _ := strings.Cut(body, `"acme":`)
		if !strings.Contains(corp, want[mode]) || !strings.Contains(acme, `"type":"oauth"`) {
			t.Errorf("providers: %s", body)
		}
	})
}

// TestSecurityOptionsFailClosed: OAuth checks are a typed set; anything
// that is not a set of known checks, or that would let the sign-in request
// replace the protocol's own parameters, is a New error.
func TestSecurityOptionsFailClosed(t *testing.T) {
	base := providers.OAuth{ID: "corp", Name: "Corp", Issuer: "https://sso.example.com", ClientID: "c"}
	oauth2 := providers.OAuth{ID: "acme", Name: "Acme", ClientID: "c",
		AuthURL: "https://acme.example/auth", TokenURL: "https://acme.example/token", UserInfoURL: "https://acme.example/me"}
	for _, tc := range []struct {
		name string
		edit func(p *providers.OAuth)
	}{
		{"none mixed with pkce", func(p *providers.OAuth) { p.Checks = providers.InsecureNoChecks | providers.CheckPKCE }},
		{"unknown check", func(p *providers.OAuth) { p.Checks = 1 << 4 }},
		{"unknown check beside known ones", func(p *providers.OAuth) { p.Checks = providers.CheckState | 1<<6 }},
		{"state in the parameters", func(p *providers.OAuth) { p.AuthorizationParams = map[string]string{"state": "fixed"} }},
		{"response_mode in the parameters", func(p *providers.OAuth) { p.AuthorizationParams = map[string]string{"response_mode": "query"} }},
		{"request_uri in the parameters", func(p *providers.OAuth) { p.AuthorizationParams = map[string]string{"request_uri": "https://x"} }},
		{"unknown response mode", func(p *providers.OAuth) { p.ResponseMode = "fragment" }},
		{"unknown client authentication", func(p *providers.OAuth) { p.ClientAuth = 7 }},
		{"an http issuer with userinfo", func(p *providers.OAuth) { p.Issuer = "https://user@sso.example.com" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			tc.edit(&p)
			_, err := ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://localhost", Providers: []providers.Provider{p}})
			if !errors.Is(err, ginauth.ErrConfig) {
				t.Errorf("New accepted it: %v", err)
			}
		})
	}
	t.Run("nonce on OAuth 2.0", func(t *testing.T) {
		p := oauth2
		p.Checks = providers.CheckNonce | providers.CheckState
		if _, err := ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://localhost", Providers: []providers.Provider{p}}); !errors.Is(err, ginauth.ErrConfig) {
			t.Errorf("New accepted a nonce check on OAuth 2.0: %v", err)
		}
	})
	t.Run("valid sets", func(t *testing.T) {
		for _, c := range []providers.Checks{0, providers.CheckPKCE, providers.CheckState | providers.CheckNonce, providers.InsecureNoChecks} {
			p := base
			p.Checks = c
			if _, err := ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://localhost", Providers: []providers.Provider{p}}); err != nil {
				t.Errorf("checks %v: %v", c, err)
			}
		}
	})
}

// TestSignInSeesTheRequest: Authorize, the SignIn and JWT callbacks and the
// SignIn event receive the request and the client's address as Gin's
// trusted-proxy rules give it.
func TestSignInSeesTheRequest(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	record := func(what string, r *authjs.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r == nil || r.HTTP == nil {
			seen[what] = "no request"
			return
		}
		seen[what] = r.ClientIP + " " + r.HTTP.Header.Get("User-Agent")
	}
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Providers = []providers.Provider{providers.Credentials{
			Authorize: func(ctx context.Context, creds map[string]string, r *authjs.Request) (*authjs.User, error) {
				record("authorize", r)
				return authorize(ctx, creds, r)
			},
		}}
		c.Callbacks.SignIn = func(_ context.Context, p authjs.SignInParams) error { record("signIn", p.Request); return nil }
		c.Callbacks.JWT = func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
			record("jwt "+string(p.Trigger), p.Request)
			return p.Token, nil
		}
		c.Events.SignIn = func(_ context.Context, e authjs.SignInEvent) error { record("event", e.Request); return nil }
	})
	r := a.do(http.MethodPost, "/api/auth/callback/credentials", url.Values{
		"username": {"alice"}, "password": {"wonderland"}, "csrfToken": {a.csrf()},
	}, "User-Agent", "probe/1")
	if r.status != http.StatusFound {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	a.do(http.MethodGet, "/api/auth/session", nil, "User-Agent", "probe/2")
	for what, want := range map[string]string{
		"authorize": "127.0.0.1 probe/1", "signIn": "127.0.0.1 probe/1", "jwt signIn": "127.0.0.1 probe/1",
		"event": "127.0.0.1 probe/1", "jwt ": "127.0.0.1 probe/2",
	} {
		if seen[what] != want {
			t.Errorf("%s saw %q, want %q", what, seen[what], want)
		}
	}

	// A forwarded address counts only from a proxy the engine trusts.
	for _, tc := range []struct {
		trusted []string
		want    string
	}{{[]string{"192.0.2.0/24"}, "203.0.113.9"}, {nil, "192.0.2.10"}, {[]string{"198.51.100.0/24"}, "192.0.2.10"}} {
		var got string
		auth, _ := ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://app.example", Providers: []providers.Provider{providers.Credentials{
			Authorize: func(_ context.Context, _ map[string]string, r *authjs.Request) (*authjs.User, error) {
				got = r.ClientIP
				return nil, nil
			},
		}}})
		e := gin.New()
		if err := e.SetTrustedProxies(tc.trusted); err != nil {
			t.Fatal(err)
		}
		auth.Mount(e)
		csrf := serveReq(e, http.MethodGet, "/api/auth/csrf", nil).Result().Cookies()[0]
		token, _, _ := strings.Cut(csrf.Value, "%7C")
		req := httptest.NewRequest(http.MethodPost, "/api/auth/callback/credentials", strings.NewReader(url.Values{"csrfToken": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		req.RemoteAddr = "192.0.2.10:4321"
		req.AddCookie(csrf)
		e.ServeHTTP(httptest.NewRecorder(), req)
		if got != tc.want {
			t.Errorf("trusting %v, Authorize saw %q, want %q", tc.trusted, got, tc.want)
		}
	}
}

// TestRequireAuthOptions: each authorization option refuses what it must,
// with the configured answer.
func TestRequireAuthOptions(t *testing.T) {
	claims := map[string]any{}
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Callbacks.JWT = func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
			for k, v := range claims {
				p.Token[k] = v
			}
			return p.Token, nil
		}
	})
	e := gin.New()
	ok := func(c *gin.Context) { c.String(http.StatusOK, "in") }
	e.GET("/claim", a.auth.RequireAuth(ginauth.WithClaim("plan", "pro", "team")), ok)
	e.GET("/claim-present", a.auth.RequireAuth(ginauth.WithClaim("email_verified")), ok)
	e.GET("/roles", a.auth.RequireAuth(ginauth.WithRoles("admin", "ops")), ok)
	e.GET("/check", a.auth.RequireAuth(ginauth.WithCheck(func(c *gin.Context, t authjs.Claims) bool {
		return strings.HasSuffix(t.Email(), "@example.com") && c.Query("deny") == ""
	})), ok)
	e.GET("/forbidden", a.auth.RequireAuth(ginauth.WithForbidden(http.StatusNotFound, gin.H{"error": "not here"}), ginauth.WithRoles("root")), ok)
	e.GET("/both", a.auth.RequireAuth(ginauth.WithRoles("admin"), ginauth.WithClaim("plan", "pro")), ok)

	for _, tc := range []struct {
		name   string
		claims map[string]any
		path   string
		status int
		body   string
	}{
		{"claim matches", map[string]any{"plan": "team"}, "/claim", 200, "in"},
		{"claim list contains", map[string]any{"plan": []any{"free", "pro"}}, "/claim", 200, "in"},
		{"claim has another value", map[string]any{"plan": "free"}, "/claim", 403, `{"message":"Forbidden"}`},
		{"claim is not a string", map[string]any{"plan": 1}, "/claim", 403, `{"message":"Forbidden"}`},
		{"claim missing", nil, "/claim", 403, `{"message":"Forbidden"}`},
		{"present claim true", map[string]any{"email_verified": true}, "/claim-present", 200, "in"},
		{"present claim a string", map[string]any{"email_verified": "yes"}, "/claim-present", 200, "in"},
		{"present claim false", map[string]any{"email_verified": false}, "/claim-present", 403, `{"message":"Forbidden"}`},
		{"present claim empty", map[string]any{"email_verified": ""}, "/claim-present", 403, `{"message":"Forbidden"}`},
		{"present claim null", map[string]any{"email_verified": nil}, "/claim-present", 403, `{"message":"Forbidden"}`},
		{"present claim missing", nil, "/claim-present", 403, `{"message":"Forbidden"}`},
		{"role in a list", map[string]any{"role": []any{"user", "ops"}}, "/roles", 200, "in"},
		{"role not held", map[string]any{"role": "user"}, "/roles", 403, `{"message":"Forbidden"}`},
		{"check passes", nil, "/check", 200, "in"},
		{"check refuses", nil, "/check?deny=1", 403, `{"message":"Forbidden"}`},
		{"custom forbidden answer", map[string]any{"role": "admin"}, "/forbidden", 404, `{"error":"not here"}`},
		{"every check must pass", map[string]any{"role": "admin", "plan": "free"}, "/both", 403, `{"message":"Forbidden"}`},
		{"all pass", map[string]any{"role": "admin", "plan": "pro"}, "/both", 200, "in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims = tc.claims
			ck := sessionCookie(t, a)
			w := serveReq(e, http.MethodGet, tc.path, []*http.Cookie{ck})
			if w.Code != tc.status || w.Body.String() != tc.body {
				t.Errorf("%d %s, want %d %s", w.Code, w.Body.String(), tc.status, tc.body)
			}
		})
	}
	t.Run("custom unauthorized answer", func(t *testing.T) {
		e.GET("/unauth", a.auth.RequireAuth(ginauth.WithUnauthorized(http.StatusForbidden, gin.H{"message": "Unauthenticated"})), ok)
		if w := serveReq(e, http.MethodGet, "/unauth", nil); w.Code != http.StatusForbidden || w.Body.String() != `{"message":"Unauthenticated"}` {
			t.Errorf("%d %s", w.Code, w.Body.String())
		}
	})
}

// TestSessionCallbackErrorEndsSession: a Session callback that fails ends
// the session in Session(c), in RequireAuth and at /session, which clears
// the cookie.
func TestSessionCallbackErrorEndsSession(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		fail := false
		a := newApp(t, mode, func(c *ginauth.Config) {
			c.Callbacks.Session = func(_ context.Context, p authjs.SessionParams) (*authjs.Session, error) {
				if fail {
					// An error ends the session even beside a session.
					return p.Session, errors.New("account locked")
				}
				return p.Session, nil
			}
		})
		ck := sessionCookie(t, a)
		e := gin.New()
		e.Use(a.auth.Middleware())
		e.GET("/who", func(c *gin.Context) {
			_, ok := ginauth.Session(c)
			c.String(http.StatusOK, "%v", ok)
		})
		e.GET("/guarded", a.auth.RequireAuth(), func(c *gin.Context) { c.String(http.StatusOK, "in") })
		if w := serveReq(e, http.MethodGet, "/who", []*http.Cookie{ck}); w.Body.String() != "true" {
			t.Fatalf("before: %s", w.Body.String())
		}
		fail = true
		if w := serveReq(e, http.MethodGet, "/who", []*http.Cookie{ck}); w.Body.String() != "false" {
			t.Errorf("Session(c) kept a session the callback refused")
		}
		if w := serveReq(e, http.MethodGet, "/guarded", []*http.Cookie{ck}); w.Code != http.StatusUnauthorized {
			t.Errorf("RequireAuth let it through: %d", w.Code)
		}
		r := a.do(http.MethodGet, "/api/auth/session", nil)
		cleared, ok := r.cookie(a.sessionCookieName())
		if r.body != a.emptySession() || !ok || cleared.MaxAge >= 0 {
			t.Errorf("/session: %s, cookie %+v", r.body, cleared)
		}
		if !strings.Contains(a.logs.String(), "account locked") {
			t.Error("the callback's error was not logged")
		}
	})
}

// TestSessionEndpointLeavesCachedClaimsAlone: the claims a token decodes
// to are shared through the verified-token cache, so GET /api/auth/session
// must not let a callback or event handler, nor its own re-issue, change
// them for the next request carrying the same token.
func TestSessionEndpointLeavesCachedClaimsAlone(t *testing.T) {
	scribble := func(c authjs.Claims) {
		c["name"] = "scribbled"
		delete(c, "email")
	}
	for name, set := range map[string]func(*ginauth.Config){
		"no callbacks": nil,
		"jwt callback": func(c *ginauth.Config) {
			c.Callbacks.JWT = func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
				if p.Trigger == authjs.TriggerNone { // not at sign-in
					scribble(p.Token)
				}
				return p.Token, nil
			}
		},
		"session callback": func(c *ginauth.Config) {
			c.Callbacks.Session = func(_ context.Context, p authjs.SessionParams) (*authjs.Session, error) {
				scribble(p.Token)
				return p.Session, nil
			}
		},
		"session event": func(c *ginauth.Config) {
			c.Events.Session = func(_ context.Context, e authjs.SessionEvent) error {
				scribble(e.Token)
				return nil
			}
		},
		"absolute lifetime": func(c *ginauth.Config) { c.Session.AbsoluteMaxAge = 48 * time.Hour },
	} {
		t.Run(name, func(t *testing.T) {
			a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
				// Only what the case sets: newApp's own callbacks would
				// make every case copy the claims.
				c.Callbacks, c.Events = authjs.Callbacks{}, authjs.Events{}
				if set != nil {
					set(c)
				}
			})
			ck := sessionCookie(t, a)
			e := gin.New()
			e.Use(a.auth.Middleware())
			a.auth.Mount(e)
			e.GET("/token", func(c *gin.Context) {
				claims, _ := ginauth.Token(c)
				c.String(http.StatusOK, "%v %v", claims["name"], claims["email"])
			})
			before := serveReq(e, http.MethodGet, "/token", []*http.Cookie{ck}).Body.String()
			if !strings.HasPrefix(before, "Alice") {
				t.Fatalf("before: %q", before)
			}
			// Concurrent readers of the same token: a write to the shared
			// claims, even of an equal value, is a data race -race reports.
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range 10 {
						if w := serveReq(e, http.MethodGet, "/api/auth/session", []*http.Cookie{ck}); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"user"`) {
							t.Errorf("/session: %d %s", w.Code, w.Body.String())
							return
						}
						serveReq(e, http.MethodGet, "/token", []*http.Cookie{ck})
					}
				})
			}
			wg.Wait()
			if after := serveReq(e, http.MethodGet, "/token", []*http.Cookie{ck}).Body.String(); after != before {
				t.Errorf("the cached claims changed: %q, then %q", before, after)
			}
		})
	}
}

// TestCookieBeatsBearer: a session cookie, valid or not, wins over an
// Authorization header, as in Auth.js's getToken: a Bearer token is read
// only when no session cookie is sent.
func TestCookieBeatsBearer(t *testing.T) {
	a := newApp(t, ginauth.ModeV5, nil)
	alice := sessionCookie(t, a)
	bob := a.signIn("bob", "builder", "/")
	bobCookie, _ := bob.cookie(a.sessionCookieName())
	e := gin.New()
	e.Use(a.auth.Middleware())
	e.GET("/who", func(c *gin.Context) {
		s, ok := ginauth.Session(c)
		raw, _ := ginauth.SessionToken(c)
		if !ok {
			c.String(http.StatusOK, "nobody")
			return
		}
		c.String(http.StatusOK, "%s %v", s.User.Name, raw == alice.Value)
	})
	broken := &http.Cookie{Name: alice.Name, Value: alice.Value[:len(alice.Value)-3] + "AAA"}
	for _, tc := range []struct {
		name    string
		cookies []*http.Cookie
		bearer  string
		want    string
	}{
		{"bearer alone", nil, alice.Value, "Alice true"},
		{"cookie beats another user's bearer", []*http.Cookie{bobCookie}, alice.Value, "Bob false"},
		{"an invalid cookie is not replaced by a valid bearer", []*http.Cookie{broken}, alice.Value, "nobody"},
		{"an empty cookie still counts as sent", []*http.Cookie{{Name: alice.Name + ".0", Value: "x"}}, alice.Value, "nobody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serveReq(e, http.MethodGet, "/who", tc.cookies, "Authorization", "Bearer "+tc.bearer)
			if w.Body.String() != tc.want {
				t.Errorf("%s, want %s", w.Body.String(), tc.want)
			}
		})
	}
}

// TestRedirectCallbackResults: what a custom Redirect callback returns is
// used as it is, except an error, an empty result or one that could split
// a header, which give the origin.
func TestRedirectCallbackResults(t *testing.T) {
	result := ""
	var cbErr error
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Callbacks.Redirect = func(_ context.Context, p authjs.RedirectParams) (string, error) {
			return result, cbErr
		}
	})
	for _, tc := range []struct {
		name   string
		result string
		err    error
		want   string
	}{
		{"kept", "https://partner.example/welcome", nil, "https://partner.example/welcome"},
		{"CRLF", "https://app.example/x\r\nSet-Cookie: evil=1", nil, a.srv.URL},
		{"LF", "/x\nLocation: https://evil.example", nil, a.srv.URL},
		{"CR", "/x\rLocation: https://evil.example", nil, a.srv.URL},
		{"empty", "", nil, a.srv.URL},
		{"error", "https://partner.example/welcome", errors.New("refused"), a.srv.URL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			result, cbErr = tc.result, tc.err
			r := a.signIn("alice", "wonderland", "/dashboard")
			if r.status != http.StatusFound || r.header.Get("Location") != tc.want {
				t.Errorf("sign-in redirected to %q, want %q", r.header.Get("Location"), tc.want)
			}
			for _, sc := range r.header.Values("Set-Cookie") {
				if strings.Contains(sc, "evil") {
					t.Errorf("injected cookie: %s", sc)
				}
			}
		})
	}
}

// mint encodes claims as a v5 session token for a cookie name, as the
// JavaScript side would.
func mint(t *testing.T, cookieName string, claims authjs.Claims) string {
	t.Helper()
	c, err := jwe.New(jwe.Options{Format: jwe.V5, Secrets: []string{testSecret}, Salt: cookieName})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Encode(claims, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestReadOnlyCookieNames: an Auth without an origin reads the __Secure-
// cookie and the plain one, or only the one Cookies.Secure picks.
func TestReadOnlyCookieNames(t *testing.T) {
	on, off := true, false
	secure := &http.Cookie{Name: "__Secure-authjs.session-token", Value: mint(t, "__Secure-authjs.session-token", authjs.Claims{"sub": "s"})}
	plain := &http.Cookie{Name: "authjs.session-token", Value: mint(t, "authjs.session-token", authjs.Claims{"sub": "p"})}
	custom := &http.Cookie{Name: "sid", Value: mint(t, "sid", authjs.Claims{"sub": "c"})}
	for _, tc := range []struct {
		name    string
		cookies ginauth.CookieConfig
		sent    []*http.Cookie
		want    string
	}{
		{"both names, secure sent", ginauth.CookieConfig{}, []*http.Cookie{secure}, "s"},
		{"both names, plain sent", ginauth.CookieConfig{}, []*http.Cookie{plain}, "p"},
		{"both names, secure first", ginauth.CookieConfig{}, []*http.Cookie{plain, secure}, "s"},
		{"secure only", ginauth.CookieConfig{Secure: &on}, []*http.Cookie{plain}, ""},
		{"secure only, secure sent", ginauth.CookieConfig{Secure: &on}, []*http.Cookie{plain, secure}, "s"},
		{"plain only", ginauth.CookieConfig{Secure: &off}, []*http.Cookie{secure}, ""},
		{"plain only, plain sent", ginauth.CookieConfig{Secure: &off}, []*http.Cookie{secure, plain}, "p"},
		{"one custom name", ginauth.CookieConfig{SessionName: "sid"}, []*http.Cookie{custom}, "c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro, err := ginauth.New(ginauth.Config{Secret: testSecret, Cookies: tc.cookies})
			if err != nil {
				t.Fatal(err)
			}
			e := gin.New()
			e.GET("/sub", ro.Middleware(), func(c *gin.Context) {
				tok, _ := ginauth.Token(c)
				c.String(http.StatusOK, tok.Subject())
			})
			if w := serveReq(e, http.MethodGet, "/sub", tc.sent); w.Body.String() != tc.want {
				t.Errorf("read %q, want %q", w.Body.String(), tc.want)
			}
		})
	}
}

// TestForbiddenPages: a page whose session fails a check gets the 403
// page, or a redirect to Pages.Error with error=AccessDenied.
func TestForbiddenPages(t *testing.T) {
	for _, page := range []string{"", "/oops"} {
		a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) { c.Pages.Error = page })
		ck := sessionCookie(t, a)
		e := gin.New()
		e.GET("/root", a.auth.RequireAuth(ginauth.RedirectToSignIn(), ginauth.WithRoles("root")), func(c *gin.Context) {})
		w := serveReq(e, http.MethodGet, "/root", []*http.Cookie{ck})
		if page == "" {
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "Access denied") || w.Header().Get("Content-Security-Policy") == "" {
				t.Errorf("built-in page: %d %s", w.Code, w.Body.String())
			}
			continue
		}
		if w.Code != http.StatusFound || w.Header().Get("Location") != a.srv.URL+"/oops?error=AccessDenied" {
			t.Errorf("custom page: %d %q", w.Code, w.Header().Get("Location"))
		}
	}
}

// TestCallbackFailuresEndSession: on GET /api/auth/session, a JWT callback
// that fails (even returning claims beside its error) or a Session callback
// that returns nothing ends the session and clears its cookie.
func TestCallbackFailuresEndSession(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *ginauth.Config, fail *bool)
	}{
		{"JWT callback error beside claims", func(c *ginauth.Config, fail *bool) {
			c.Callbacks.JWT = func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
				if *fail {
					return p.Token, errors.New("refresh failed")
				}
				return p.Token, nil
			}
		}},
		{"JWT callback nil claims", func(c *ginauth.Config, fail *bool) {
			c.Callbacks.JWT = func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
				if *fail {
					return nil, nil
				}
				return p.Token, nil
			}
		}},
		{"Session callback nil session", func(c *ginauth.Config, fail *bool) {
			c.Callbacks.Session = func(_ context.Context, p authjs.SessionParams) (*authjs.Session, error) {
				if *fail {
					return nil, nil
				}
				return p.Session, nil
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fail := false
			a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) { tc.edit(c, &fail) })
			sessionCookie(t, a)
			fail = true
			r := a.do(http.MethodGet, "/api/auth/session", nil)
			cleared, ok := r.cookie(a.sessionCookieName())
			if r.body != "null" || !ok || cleared.MaxAge >= 0 {
				t.Errorf("/session: %s, cookie %+v", r.body, cleared)
			}
		})
	}
}

// TestAuthorizeSeesFieldsButNotTheCSRFToken: Authorize receives every
// string field of the form but the CSRF token.
func TestAuthorizeSeesFieldsButNotTheCSRFToken(t *testing.T) {
	var got map[string]string
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Providers = []providers.Provider{providers.Credentials{
			Authorize: func(ctx context.Context, creds map[string]string, r *authjs.Request) (*authjs.User, error) {
				got = creds
				return authorize(ctx, creds, r)
			},
		}}
	})
	a.postJSON("/api/auth/callback/credentials", map[string]any{
		"username": "alice", "password": "wonderland", "csrfToken": a.csrf(), "remember": true, "otp": "123",
	})
	want := map[string]string{"username": "alice", "password": "wonderland", "otp": "123"}
	if len(got) != len(want) {
		t.Fatalf("Authorize got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Authorize got %s=%q, want %q", k, got[k], v)
		}
	}
}

func TestStrategyString(t *testing.T) {
	for s, want := range map[ginauth.Strategy]string{
		ginauth.StrategyDefault: "default", ginauth.StrategyJWT: "jwt", ginauth.StrategyDatabase: "database", 7: "Strategy(7)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(s), got, want)
		}
	}
}

// nullingStore is a store whose absent user fields are NULL.
type nullingStore struct{ *memory.Store }

func (nullingStore) UserFieldsNullable() bool { return true }

// TestNullUserFields: with a store whose absent fields are NULL, a
// database session's user has "image": null where it has no image, in
// the session answer and in Session(c), as Auth.js answers over an SQL
// adapter; JWT sessions leave the field out.
func TestNullUserFields(t *testing.T) {
	for _, strategy := range []ginauth.Strategy{ginauth.StrategyDatabase, ginauth.StrategyJWT} {
		t.Run(strategy.String(), func(t *testing.T) {
			a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
				c.Adapter = nullingStore{memory.New()}
				c.Session.Strategy = strategy
			})
			a.signIn("bob", "builder", "/")
			want := `{"user":{"name":"Bob","email":"bob@example.com"},`
			if strategy == ginauth.StrategyDatabase {
				want = `{"user":{"name":"Bob","email":"bob@example.com","image":null},`
			}
			if got := a.do(http.MethodGet, "/api/auth/session", nil); !strings.HasPrefix(got.body, want) {
				t.Errorf("session %s, want %s…", got.body, want)
			}
			r := gin.New()
			r.Use(a.auth.Middleware())
			r.GET("/s", func(c *gin.Context) {
				s, _ := ginauth.Session(c)
				c.JSON(http.StatusOK, s)
			})
			req := httptest.NewRequest(http.MethodGet, a.srv.URL+"/s", nil)
			for _, ck := range a.client.Jar.Cookies(req.URL) {
				req.AddCookie(ck)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if !strings.HasPrefix(w.Body.String(), want) {
				t.Errorf("Session(c) %s, want %s…", w.Body.String(), want)
			}
		})
	}
}
