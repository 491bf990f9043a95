package ginauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/oidctest"
	"github.com/ginauth/ginauth/providers"
)

// oauthSite is a ginauth server on loopback signing in through a real
// OpenID provider (oidc-provider, started by oidctest) with the providers
// "corp" (all three checks), "plain" (the mode's default checks) and
// "other" (a second registration of the same provider).
type oauthSite struct {
	t      *testing.T
	mode   ginauth.Mode
	op     *oidctest.Provider
	srv    *httptest.Server
	origin string
	auth   *ginauth.Auth
	corp   providers.OAuth

	logs     *oidctest.SyncBuffer
	mu       sync.Mutex
	accounts []*authjs.Account
	profiles []map[string]any
	deny     bool
}

const oauthSecret = "oauth-test-secret-0123456789abcdef0123"

func newOAuthSite(t *testing.T, mode ginauth.Mode, edits ...func(*ginauth.Config)) *oauthSite {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://" + ln.Addr().String()
	var uris []string
	for _, id := range []string{"corp", "plain", "other", "trusted"} {
		uris = append(uris, origin+"/api/auth/callback/"+id)
	}
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: uris})
	s := &oauthSite{t: t, mode: mode, op: op, origin: origin, logs: &oidctest.SyncBuffer{}}
	s.corp = providers.OAuth{ID: "corp", Name: "Corp SSO", Issuer: op.Issuer(),
		ClientID: op.ClientID(), ClientSecret: op.ClientSecret(),
		Checks: providers.CheckPKCE | providers.CheckState | providers.CheckNonce}
	plain := providers.OAuth{ID: "plain", Name: "Plain", Issuer: op.Issuer(),
		ClientID: op.ClientID(), ClientSecret: op.ClientSecret()}
	other := providers.OAuth{ID: "other", Name: "Other", Issuer: op.Issuer(),
		ClientID: op.ClientID(), ClientSecret: op.ClientSecret(),
		Checks: providers.CheckPKCE | providers.CheckState | providers.CheckNonce}
	cfg := ginauth.Config{
		Secret: oauthSecret, URL: origin, Mode: mode,
		Providers: []providers.Provider{s.corp, plain, other},
		Callbacks: authjs.Callbacks{
			SignIn: func(_ context.Context, p authjs.SignInParams) error {
				s.mu.Lock()
				defer s.mu.Unlock()
				if s.deny {
					return authjs.ErrAccessDenied
				}
				return nil
			},
			JWT: func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
				if p.Account != nil {
					s.mu.Lock()
					s.accounts = append(s.accounts, p.Account)
					s.profiles = append(s.profiles, p.Profile)
					s.mu.Unlock()
					p.Token["provider"] = p.Account.Provider
					p.Token["access_token"] = p.Account.AccessToken
					p.Token["refresh_token"] = p.Account.RefreshToken
					p.Token["expires_at"] = p.Account.ExpiresAt
				}
				return p.Token, nil
			},
		},
		Logger: slog.New(slog.NewTextHandler(s.logs, nil)),
	}
	for _, edit := range edits {
		edit(&cfg)
	}
	s.auth, err = ginauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(s.auth.Middleware())
	s.auth.Mount(r)
	r.GET("/dashboard", s.auth.RequireAuth(), func(c *gin.Context) {
		sess, _ := ginauth.Session(c)
		c.String(http.StatusOK, "hello "+sess.User.Name)
	})
	s.srv = serveOn(t, ln, r, false)
	return s
}

// serveOn serves h on ln, a listener opened before the server so that its
// address could be registered at the provider, over TLS when tls is set.
func serveOn(t *testing.T, ln net.Listener, h http.Handler, tls bool) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

// browser is a cookie-keeping client that does not follow redirects.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

func (s *oauthSite) csrf(c *http.Client) string {
	s.t.Helper()
	res, err := c.Get(s.origin + "/api/auth/csrf")
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&body)
	return body.CsrfToken
}

// start posts the sign-in form and returns the provider's authorization
// URL and the response.
func (s *oauthSite) start(c *http.Client, provider, query string) (*url.URL, *http.Response) {
	s.t.Helper()
	form := url.Values{"csrfToken": {s.csrf(c)}, "callbackUrl": {s.origin + "/dashboard"}}
	res, err := c.PostForm(s.origin+"/api/auth/signin/"+provider+query, form)
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		s.t.Fatalf("sign-in: status %d", res.StatusCode)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(u.String(), s.op.Issuer()) {
		s.t.Fatalf("sign-in redirects to %q, want the provider", res.Header.Get("Location"))
	}
	return u, res
}

// callback delivers the provider's redirect to ginauth.
func (s *oauthSite) callback(c *http.Client, u *url.URL) *http.Response {
	s.t.Helper()
	res, err := c.Get(u.String())
	if err != nil {
		s.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// signIn runs the whole flow as login and returns the callback response.
func (s *oauthSite) signIn(c *http.Client, provider, login string) *http.Response {
	s.t.Helper()
	authURL, _ := s.start(c, provider, "")
	return s.callback(c, s.op.Login(s.t, c, authURL.String(), login))
}

func (s *oauthSite) session(c *http.Client) map[string]any {
	s.t.Helper()
	res, err := c.Get(s.origin + "/api/auth/session")
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	return body
}

// wantSignedIn checks a callback that succeeded.
func (s *oauthSite) wantSignedIn(c *http.Client, res *http.Response, name string) {
	s.t.Helper()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != s.origin+"/dashboard" {
		s.t.Fatalf("callback: %d to %q, want 302 to /dashboard", res.StatusCode, res.Header.Get("Location"))
	}
	sess := s.session(c)
	user, _ := sess["user"].(map[string]any)
	if user["name"] != name {
		s.t.Fatalf("session %v, want user %q", sess, name)
	}
	page, err := c.Get(s.origin + "/dashboard")
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if string(b) != "hello "+name {
		s.t.Fatalf("protected page: %d %q", page.StatusCode, b)
	}
}

// wantFailed checks a callback that was refused with the mode's error and
// no session.
func (s *oauthSite) wantFailed(c *http.Client, res *http.Response, v5Code, v4Code string) {
	s.t.Helper()
	want := s.origin + "/api/auth/error?error=" + v5Code
	if v5Code == "OAuthCallbackError" {
		want = s.origin + "/api/auth/signin?error=" + v5Code
	}
	if s.mode == ginauth.ModeV4 {
		want = s.origin + "/api/auth/error?error=" + v4Code
	}
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
		s.t.Fatalf("callback: %d to %q, want 302 to %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	for _, sc := range res.Header.Values("Set-Cookie") {
		if strings.Contains(sc, "session-token=") && !strings.Contains(sc, "Max-Age=0") {
			s.t.Fatalf("a failed callback set a session: %s", sc)
		}
	}
	if sess := s.session(c); len(sess) != 0 {
		s.t.Fatalf("session after a failed callback: %v", sess)
	}
}

func setCookies(res *http.Response) map[string]string {
	out := map[string]string{}
	for _, sc := range res.Header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(sc, "=")
		out[name] = sc
	}
	return out
}

func TestOAuthFlows(t *testing.T) {
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		t.Run(modeName(mode), func(t *testing.T) {
			s := newOAuthSite(t, mode)
			names := dialectOf(mode).Names(false)

			t.Run("success with pkce, state and nonce", func(t *testing.T) {
				s.t = t
				c := browser()
				authURL, res := s.start(c, "corp", "?prompt=login&login_hint=alice")
				q := authURL.Query()
				for _, k := range []string{"code_challenge", "state", "nonce"} {
					if q.Get(k) == "" {
						t.Errorf("authorization URL has no %s: %s", k, authURL)
					}
				}
				if q.Get("code_challenge_method") != "S256" || q.Get("prompt") != "login" || q.Get("login_hint") != "alice" ||
					q.Get("client_id") != s.op.ClientID() || q.Get("redirect_uri") != s.origin+"/api/auth/callback/corp" ||
					q.Get("scope") != "openid profile email" || q.Get("response_type") != "code" {
					t.Errorf("authorization URL %s", authURL)
				}
				if mode == ginauth.ModeV5 && strings.Count(q.Get("state"), ".") != 4 {
					t.Errorf("v5 state %q is not a JWE", q.Get("state"))
				}
				set := setCookies(res)
				for _, n := range []string{names.PKCE, names.State} {
					if sc := set[n]; !strings.Contains(sc, "Max-Age=900; Path=/; Expires=") || !strings.HasSuffix(sc, "HttpOnly; SameSite=Lax") {
						t.Errorf("check cookie %s: %q", n, sc)
					}
				}
				if sc := set[names.Nonce]; sc == "" || strings.Contains(sc, "Max-Age") || !strings.Contains(sc, "Expires=") {
					t.Errorf("nonce cookie %q", sc)
				}
				cb := s.op.Login(t, c, authURL.String(), "alice")
				res = s.callback(c, cb)
				deleted := setCookies(res)
				for _, n := range []string{names.PKCE, names.State, names.Nonce} {
					if sc := deleted[n]; !strings.HasPrefix(sc, n+"=; Max-Age=0;") {
						t.Errorf("check cookie %s not deleted: %q", n, sc)
					}
				}
				s.wantSignedIn(c, res, "Alice Liddell")
				sess := s.session(c)
				if u := sess["user"].(map[string]any); u["email"] != "alice@example.com" || u["image"] != "https://images.example.com/alice.png" {
					t.Errorf("session user %v", u)
				}

				s.mu.Lock()
				a, p := s.accounts[len(s.accounts)-1], s.profiles[len(s.profiles)-1]
				s.mu.Unlock()
				if a.Provider != "corp" || a.Type != "oidc" || a.ProviderAccountID != "alice" || a.AccessToken == "" ||
					a.IDToken == "" || a.ExpiresAt <= time.Now().Unix() || !strings.EqualFold(a.TokenType, "bearer") || !strings.Contains(a.Scope, "openid") {
					t.Errorf("account %+v", a)
				}
				if p["sub"] != "alice" || p["iss"] != s.op.Issuer() || p["email"] != "alice@example.com" {
					t.Errorf("profile %v", p)
				}
				tok := s.tokenClaims(c)
				wantSub := "alice"
				if mode == ginauth.ModeV5 {
					wantSub = tok["sub"].(string) // a random id per sign-in, as @auth/core
					if len(wantSub) != 36 {
						t.Errorf("v5 sub %q is not a UUID", wantSub)
					}
				}
				if tok["sub"] != wantSub || tok["provider"] != "corp" {
					t.Errorf("token claims %v", tok)
				}
			})

			t.Run("no secrets in the logs", func(t *testing.T) {
				s.t = t
				s.logs.Reset()
				c := browser()
				s.wantSignedIn(c, s.signIn(c, "corp", "alice"), "Alice Liddell")
				s.op.Tamper(t, "wrong-nonce")
				defer s.op.Reset(t)
				c = browser()
				s.wantFailed(c, s.signIn(c, "corp", "alice"), "Configuration", "OAuthCallback")
				s.mu.Lock()
				a := s.accounts[len(s.accounts)-1]
				s.mu.Unlock()
				logs := s.logs.String()
				for _, secret := range []string{s.op.ClientSecret(), a.AccessToken, a.IDToken, a.RefreshToken, oauthSecret} {
					if secret != "" && strings.Contains(logs, secret) {
						t.Errorf("the log holds a secret or token: %.12s...", secret)
					}
				}
				if logs == "" {
					t.Error("the failed sign-in was not logged")
				}
			})

			t.Run("default checks", func(t *testing.T) {
				s.t = t
				c := browser()
				authURL, res := s.start(c, "plain", "")
				q, set := authURL.Query(), setCookies(res)
				// PKCE, state and nonce for an OpenID provider, in both
				// modes (Auth.js: PKCE alone in v5, state alone in v4).
				if q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" ||
					set[names.PKCE] == "" || set[names.State] == "" || set[names.Nonce] == "" {
					t.Errorf("the default must be PKCE, state and nonce: %s %v", authURL, set)
				}
				s.wantSignedIn(c, s.callback(c, s.op.Login(t, c, authURL.String(), "bob")), "Bob Builder")
			})

			// signIn("corp") from next-auth/react: v4 sends json=true, v5 the
			// X-Auth-Return-Redirect header, both with the authorization
			// parameters in the query.
			for _, client := range []string{"json=true", "X-Auth-Return-Redirect"} {
				t.Run("json redirect with "+client, func(t *testing.T) {
					s.t = t
					c := browser()
					form := url.Values{"csrfToken": {s.csrf(c)}, "callbackUrl": {s.origin + "/dashboard"}}
					if client == "json=true" {
						form.Set("json", "true")
					}
					req, _ := http.NewRequest(http.MethodPost, s.origin+"/api/auth/signin/corp?prompt=consent", strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					if client != "json=true" {
						req.Header.Set("X-Auth-Return-Redirect", "1")
					}
					res, err := c.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					var body struct{ URL string }
					json.NewDecoder(res.Body).Decode(&body)
					res.Body.Close()
					if res.StatusCode != 200 || !strings.HasPrefix(body.URL, s.op.Issuer()) || mustURL(body.URL).Query().Get("prompt") != "consent" {
						t.Fatalf("%s: %d %q", client, res.StatusCode, body.URL)
					}
					s.wantSignedIn(c, s.callback(c, s.op.Login(t, c, body.URL, "alice")), "Alice Liddell")
				})
			}

			t.Run("missing csrf", func(t *testing.T) {
				s.t = t
				c := browser()
				s.csrf(c)
				res, err := c.PostForm(s.origin+"/api/auth/signin/corp", url.Values{"callbackUrl": {s.origin}})
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if loc := res.Header.Get("Location"); strings.HasPrefix(loc, s.op.Issuer()) || res.StatusCode != 302 {
					t.Fatalf("sign-in without CSRF token went to %q", loc)
				}
			})

			t.Run("user denies", func(t *testing.T) {
				s.t = t
				c := browser()
				authURL, _ := s.start(c, "corp", "")
				cb := s.op.Deny(t, c, authURL.String())
				if cb.Query().Get("error") != "access_denied" {
					t.Fatalf("deny: %s", cb)
				}
				s.wantFailed(c, s.callback(c, cb), "OAuthCallbackError", "Callback")
			})

			t.Run("signIn callback refuses", func(t *testing.T) {
				s.t = t
				s.mu.Lock()
				s.deny = true
				s.mu.Unlock()
				defer func() { s.mu.Lock(); s.deny = false; s.mu.Unlock() }()
				c := browser()
				s.wantFailed(c, s.signIn(c, "corp", "alice"), "AccessDenied", "AccessDenied")
			})

			t.Run("state mismatch", func(t *testing.T) {
				s.t = t
				c := browser()
				authURL, _ := s.start(c, "corp", "")
				cb := s.op.Login(t, c, authURL.String(), "alice")
				q := cb.Query()
				q.Set("state", "forged-"+q.Get("state"))
				cb.RawQuery = q.Encode()
				s.wantFailed(c, s.callback(c, cb), "Configuration", "OAuthCallback")
			})

			t.Run("callback without check cookies", func(t *testing.T) {
				s.t = t
				c := browser()
				authURL, _ := s.start(c, "corp", "")
				cb := s.op.Login(t, c, authURL.String(), "alice")
				fresh := browser() // another browser: the attacker's, holding only the URL
				s.wantFailed(fresh, s.callback(fresh, cb), "Configuration", "OAuthCallback")
			})

			t.Run("check cookies of another provider", func(t *testing.T) {
				s.t = t
				c := browser()
				authURL, _ := s.start(c, "other", "")
				cb := s.op.Login(t, c, authURL.String(), "alice")
				cb.Path = "/api/auth/callback/corp"
				s.wantFailed(c, s.callback(c, cb), "Configuration", "OAuthCallback")
			})

			t.Run("replayed callback", func(t *testing.T) {
				s.t = t
				c := browser()
				authURL, _ := s.start(c, "corp", "")
				before := c.Jar.Cookies(mustURL(s.origin))
				cb := s.op.Login(t, c, authURL.String(), "alice")
				s.wantSignedIn(c, s.callback(c, cb), "Alice Liddell")
				// The same browser: the check cookies are gone.
				res := s.callback(c, cb)
				if loc := res.Header.Get("Location"); loc == s.origin+"/dashboard" {
					t.Fatal("a replayed callback signed in again")
				}
				// A copy of the check cookies from before: the provider refuses
				// the used code.
				thief := browser()
				thief.Jar.SetCookies(mustURL(s.origin), before)
				s.wantFailed(thief, s.callback(thief, cb), "Configuration", "OAuthCallback")
			})

			t.Run("wrong nonce", func(t *testing.T) {
				s.t = t
				c := browser()
				authURL, _ := s.start(c, "corp", "")
				cb := s.op.Login(t, c, authURL.String(), "alice")
				// Swap the nonce cookie for a valid one holding another nonce.
				sealer, err := checks.New(dialectOf(mode), []string{oauthSecret}, names, nil)
				if err != nil {
					t.Fatal(err)
				}
				ck, _ := sealer.Seal(checks.Nonce, "corp", checks.Random())
				c.Jar.SetCookies(mustURL(s.origin), []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: "/"}})
				s.wantFailed(c, s.callback(c, cb), "Configuration", "OAuthCallback")
			})

			t.Run("wrong PKCE verifier: the token endpoint refuses", func(t *testing.T) {
				s.t = t
				c := browser()
				authURL, _ := s.start(c, "corp", "")
				cb := s.op.Login(t, c, authURL.String(), "alice")
				sealer, _ := checks.New(dialectOf(mode), []string{oauthSecret}, names, nil)
				ck, _ := sealer.Seal(checks.PKCE, "corp", checks.Random())
				c.Jar.SetCookies(mustURL(s.origin), []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: "/"}})
				s.wantFailed(c, s.callback(c, cb), "Configuration", "OAuthCallback")
			})

			// Each defect is refused for its own reason, which the log names.
			for tamper, reason := range map[string]string{
				"bad-signature":    "failed to verify signature",
				"expired-id-token": "token is expired",
				"wrong-nonce":      "nonce mismatch",
				"wrong-audience":   "expected audience",
				"wrong-issuer":     "id token issued by a different provider",
				"unknown-kid":      "failed to verify signature",
				"token-error":      "invalid_grant",
			} {
				t.Run("provider "+tamper, func(t *testing.T) {
					s.t = t
					s.op.Tamper(t, tamper)
					defer s.op.Reset(t)
					c := browser()
					s.logs.Reset()
					s.wantFailed(c, s.signIn(c, "corp", "alice"), "Configuration", "OAuthCallback")
					if logs := s.logs.String(); !strings.Contains(logs, reason) {
						t.Errorf("log does not give the reason %q:\n%s", reason, logs)
					}
				})
			}

			t.Run("key rotation at the provider", func(t *testing.T) {
				s.t = t
				c := browser()
				s.wantSignedIn(c, s.signIn(c, "corp", "alice"), "Alice Liddell")
				ks := s.op.Rotate(t, false) // the JWKS now holds only a key ginauth has not seen
				c = browser()
				s.wantSignedIn(c, s.signIn(c, "corp", "bob"), "Bob Builder")
				s.mu.Lock()
				idt := s.accounts[len(s.accounts)-1].IDToken
				s.mu.Unlock()
				if kid := jwtHeader(t, idt)["kid"]; kid != ks.Kid {
					t.Errorf("ID token kid %v, want the new key %s", kid, ks.Kid)
				}
			})

			t.Run("refresh the access token", func(t *testing.T) {
				s.t = t
				c := browser()
				s.wantSignedIn(c, s.signIn(c, "corp", "alice"), "Alice Liddell")
				tok := s.tokenClaims(c)
				rt, _ := tok["refresh_token"].(string)
				if rt == "" {
					t.Fatalf("no refresh token in %v", tok)
				}
				claims := map[string]any{"access_token": tok["access_token"], "refresh_token": rt, "expires_at": tok["expires_at"]}
				// A leeway past the token's lifetime makes it due.
				did, err := s.auth.RefreshClaims(context.Background(), "corp", claims, 3*time.Hour)
				if err != nil || !did || claims["access_token"] == tok["access_token"] || claims["access_token"] == "" {
					t.Fatalf("RefreshClaims: %v %v %v", did, err, claims)
				}
				// A grant the provider does not know is refused with a typed error.
				_, err = s.auth.Refresh(context.Background(), "corp", "not-a-refresh-token")
				var te *providers.TokenError
				if !errors.As(err, &te) || te.Code != "invalid_grant" || te.StatusCode != http.StatusBadRequest {
					t.Fatalf("refresh with an unknown token: %v", err)
				}
			})
		})
	}
}

// tokenClaims reads the raw token through a handler using ginauth.Token.
func (s *oauthSite) tokenClaims(c *http.Client) map[string]any {
	s.t.Helper()
	r := gin.New()
	r.Use(s.auth.Middleware())
	r.GET("/token", func(gc *gin.Context) {
		tok, _ := ginauth.Token(gc)
		gc.JSON(200, tok)
	})
	req := httptest.NewRequest(http.MethodGet, s.origin+"/token", nil)
	for _, ck := range c.Jar.Cookies(mustURL(s.origin)) {
		req.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return out
}

func modeName(m ginauth.Mode) string {
	if m == ginauth.ModeV4 {
		return "v4"
	}
	return "v5"
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newServer(t *testing.T, auth *ginauth.Auth) *httptest.Server {
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func jwtHeader(t *testing.T, raw string) map[string]any {
	t.Helper()
	h, _, _ := strings.Cut(raw, ".")
	b, err := decodeSegment(h)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func TestOAuthSignInFailsWhenDiscoveryFails(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		auth, err := ginauth.New(ginauth.Config{Secret: oauthSecret, URL: "http://localhost:3000", Mode: mode, Logger: discardLogger(),
			Providers: []providers.Provider{providers.OAuth{ID: "corp", Name: "Corp", Issuer: dead, ClientID: "c"}}})
		if err != nil {
			t.Fatal(err)
		}
		srv := newServer(t, auth)
		c := browser()
		res, err := c.Get(srv.URL + "/api/auth/csrf")
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ CsrfToken string }
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		res, err = c.PostForm(srv.URL+"/api/auth/signin/corp", url.Values{"csrfToken": {body.CsrfToken}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := "http://localhost:3000/api/auth/error?error=Configuration"
		if mode == ginauth.ModeV4 {
			want = "http://localhost:3000/api/auth/error?error=OAuthSignin"
		}
		if loc := res.Header.Get("Location"); loc != want {
			t.Errorf("%v: sign-in with a dead issuer went to %q, want %q", mode, loc, want)
		}
	}
}

// TestOAuthFormPost signs in with response_mode=form_post: the provider's
// page POSTs the code to the callback, cross-site in a real browser, so the
// state and nonce cookies are SameSite=None; Secure (which needs https).
func TestOAuthFormPost(t *testing.T) {
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		t.Run(modeName(mode), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			origin := "https://" + ln.Addr().String()
			op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{origin + "/api/auth/callback/corp"}})
			auth, err := ginauth.New(ginauth.Config{Secret: oauthSecret, URL: origin, Mode: mode, Logger: discardLogger(),
				Providers: []providers.Provider{providers.OAuth{ID: "corp", Name: "Corp", Issuer: op.Issuer(),
					ClientID: op.ClientID(), ClientSecret: op.ClientSecret(), ResponseMode: "form_post",
					Checks: providers.CheckPKCE | providers.CheckState | providers.CheckNonce}}})
			if err != nil {
				t.Fatal(err)
			}
			r := gin.New()
			r.Use(auth.Middleware())
			auth.Mount(r)
			srv := serveOn(t, ln, r, true)
			c := browser()
			c.Transport = srv.Client().Transport

			res, err := c.Get(origin + "/api/auth/csrf")
			if err != nil {
				t.Fatal(err)
			}
			var csrf struct{ CsrfToken string }
			json.NewDecoder(res.Body).Decode(&csrf)
			res.Body.Close()
			res, err = c.PostForm(origin+"/api/auth/signin/corp", url.Values{"csrfToken": {csrf.CsrfToken}, "callbackUrl": {origin + "/welcome"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			authURL := res.Header.Get("Location")
			if u := mustURL(authURL); u.Query().Get("response_mode") != "form_post" {
				t.Fatalf("authorization URL %s has no response_mode=form_post", authURL)
			}
			names := dialectOf(mode).Names(true)
			set := setCookies(res)
			for n, want := range map[string]string{names.State: "; Secure; SameSite=None", names.Nonce: "; Secure; SameSite=None", names.PKCE: "; Secure; SameSite=Lax"} {
				if !strings.HasSuffix(set[n], want) {
					t.Errorf("cookie %s: %q, want it to end with %q", n, set[n], want)
				}
			}
			target, form := op.LoginFormPost(t, c, authURL, "alice")
			if !strings.HasPrefix(target.String(), origin+"/api/auth/callback/corp") || form.Get("code") == "" {
				t.Fatalf("form post to %s with %v", target, form)
			}
			res, err = c.PostForm(target.String(), form)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusFound || res.Header.Get("Location") != origin+"/welcome" {
				t.Fatalf("form_post callback: %d to %q", res.StatusCode, res.Header.Get("Location"))
			}
			if sc := setCookies(res)[names.Session]; !strings.HasPrefix(sc, names.Session+"=ey") {
				t.Fatalf("no session cookie: %v", res.Header.Values("Set-Cookie"))
			}
		})
	}
}

// TestOAuthSignInPage shows a button for each OAuth provider, posting the
// CSRF token to /signin/:provider.
func TestOAuthSignInPage(t *testing.T) {
	auth, err := ginauth.New(ginauth.Config{Secret: oauthSecret, URL: "http://localhost:3000", Logger: discardLogger(),
		Providers: []providers.Provider{
			providers.OAuth{ID: "corp", Name: "Corp SSO", Issuer: "https://sso.example.com", ClientID: "c"},
			providers.OAuth{ID: "acme", Name: "Acme", ClientID: "c", AuthURL: "https://acme.example/auth",
				TokenURL: "https://acme.example/token", UserInfoURL: "https://acme.example/me"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, auth)
	res, err := http.Get(srv.URL + "/api/auth/signin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page := string(b)
	for _, want := range []string{
		`action="http://localhost:3000/api/auth/signin/corp"`, "Sign in with Corp SSO",
		`action="http://localhost:3000/api/auth/signin/acme"`, "Sign in with Acme", `name="csrfToken"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	res, err = http.Get(srv.URL + "/api/auth/providers")
	if err != nil {
		t.Fatal(err)
	}
	var provs map[string]map[string]string
	json.NewDecoder(res.Body).Decode(&provs)
	res.Body.Close()
	if p := provs["corp"]; p["type"] != "oidc" || p["signinUrl"] != "http://localhost:3000/api/auth/signin/corp" || p["callbackUrl"] != "http://localhost:3000/api/auth/callback/corp" {
		t.Errorf("providers: %v", provs)
	}
	if provs["acme"]["type"] != "oauth" {
		t.Errorf("providers: %v", provs)
	}
}

// TestOAuthProfileSources signs in through the real provider with the
// generic OAuth 2.0 engine (profile from the userinfo endpoint, no ID token
// handling) and with OpenID Connect taking the profile from userinfo when
// the ID token carries only the subject.
func TestOAuthProfileSources(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://" + ln.Addr().String()
	op := oidctest.Start(t, oidctest.Options{ConformIDTokenClaims: true,
		RedirectURIs: []string{origin + "/api/auth/callback/plain-oauth", origin + "/api/auth/callback/thin-oidc"}})
	plain := providers.OAuth{ID: "plain-oauth", Name: "Plain OAuth", ClientID: op.ClientID(), ClientSecret: op.ClientSecret(),
		AuthURL: op.Issuer() + "/auth", TokenURL: op.Issuer() + "/token", UserInfoURL: op.Issuer() + "/me",
		Scopes: []string{"openid", "profile", "email"}, Checks: providers.CheckPKCE | providers.CheckState}
	thin := providers.OAuth{ID: "thin-oidc", Name: "Thin", Issuer: op.Issuer(), ClientID: op.ClientID(),
		ClientSecret: op.ClientSecret(), FetchUserInfo: true}
	var mu sync.Mutex
	var got []*authjs.Account
	auth, err := ginauth.New(ginauth.Config{Secret: oauthSecret, URL: origin, Mode: ginauth.ModeV4, Logger: discardLogger(),
		Providers: []providers.Provider{plain, thin},
		Callbacks: authjs.Callbacks{JWT: func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
			if p.Account != nil {
				mu.Lock()
				got = append(got, p.Account)
				mu.Unlock()
			}
			return p.Token, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	srv := serveOn(t, ln, r, false)
	s := &oauthSite{t: t, mode: ginauth.ModeV4, op: op, srv: srv, origin: origin, auth: auth, logs: &oidctest.SyncBuffer{}}
	for _, id := range []string{"plain-oauth", "thin-oidc"} {
		t.Run(id, func(t *testing.T) {
			s.t = t
			c := browser()
			res := s.signIn(c, id, "alice")
			if res.StatusCode != http.StatusFound || res.Header.Get("Location") != origin+"/dashboard" {
				t.Fatalf("callback: %d %q", res.StatusCode, res.Header.Get("Location"))
			}
			user, _ := s.session(c)["user"].(map[string]any)
			if user["name"] != "Alice Liddell" || user["email"] != "alice@example.com" {
				t.Fatalf("session user %v", user)
			}
			mu.Lock()
			a := got[len(got)-1]
			mu.Unlock()
			wantType := map[string]authjs.ProviderType{"plain-oauth": authjs.TypeOAuth, "thin-oidc": authjs.TypeOIDC}[id]
			if a.Provider != id || a.Type != wantType || a.ProviderAccountID != "alice" || a.AccessToken == "" {
				t.Errorf("account %+v", a)
			}
			if tok := s.tokenClaims(c); tok["sub"] != "alice" {
				t.Errorf("v4 sub %v, want the provider's id", tok["sub"])
			}
		})
	}
}

// TestOAuthCallbackHostile sends malformed and forged callbacks: each gets
// the mode's error redirect (or 413 for an oversized body), never a 500 and
// never a session. The provider's issuer is unreachable, so nothing here
// gets past the checks to a network call that could hide a failure.
func TestOAuthCallbackHostile(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		t.Run(modeName(mode), func(t *testing.T) {
			auth, err := ginauth.New(ginauth.Config{Secret: oauthSecret, URL: "http://localhost:3000", Mode: mode, Logger: discardLogger(),
				Providers: []providers.Provider{providers.OAuth{ID: "corp", Name: "Corp", Issuer: dead, ClientID: "c",
					Checks: providers.CheckPKCE | providers.CheckState | providers.CheckNonce}}})
			if err != nil {
				t.Fatal(err)
			}
			srv := newServer(t, auth)
			names := dialectOf(mode).Names(false)
			sealer, _ := checks.New(dialectOf(mode), []string{oauthSecret}, names, nil)
			seal := func(k checks.Kind, provider, value string) *http.Cookie {
				ck, err := sealer.Seal(k, provider, value)
				if err != nil {
					t.Fatal(err)
				}
				return &http.Cookie{Name: ck.Name, Value: ck.Value}
			}
			past := time.Now().Add(-time.Hour)
			oldSealer, _ := checks.New(dialectOf(mode), []string{oauthSecret}, names, func() time.Time { return past })
			oldState, _ := oldSealer.Seal(checks.State, "corp", "s1")
			good := []*http.Cookie{seal(checks.PKCE, "corp", "v"), seal(checks.State, "corp", "s1"), seal(checks.Nonce, "corp", "n")}
			cases := []struct {
				name    string
				method  string
				query   string
				body    string
				ctype   string
				cookies []*http.Cookie
			}{
				{"no parameters", "GET", "", "", "", nil},
				{"code without cookies", "GET", "?code=abc&state=s1", "", "", nil},
				{"provider error with markup", "GET", "?error=%3Cscript%3Ealert(1)%3C/script%3E&error_description=%00%0d%0a", "", "", good},
				{"huge provider error", "GET", "?error=" + strings.Repeat("x", 8000), "", "", nil},
				{"garbage check cookies", "GET", "?code=abc&state=s1", "", "", []*http.Cookie{{Name: names.PKCE, Value: "garbage"}, {Name: names.State, Value: "a.b.c.d.e"}, {Name: names.Nonce, Value: strings.Repeat("A", 5000)}}},
				{"cookies for another provider", "GET", "?code=abc&state=s1", "", "", []*http.Cookie{seal(checks.PKCE, "evil", "v"), seal(checks.State, "evil", "s1"), seal(checks.Nonce, "evil", "n")}},
				{"expired state cookie", "GET", "?code=abc&state=s1", "", "", []*http.Cookie{good[0], {Name: oldState.Name, Value: oldState.Value}, good[2]}},
				{"state missing", "GET", "?code=abc", "", "", good},
				{"state differs", "GET", "?code=abc&state=s2", "", "", good},
				{"repeated state", "GET", "?code=abc&state=s2&state=s1", "", "", good},
				{"good checks, no code", "GET", "?state=s1", "", "", good},
				{"pkce cookie missing", "GET", "?code=abc&state=s1", "", "", good[1:]},
				{"nonce cookie missing", "GET", "?code=abc&state=s1", "", "", good[:2]},
				{"form post without cookies", "POST", "", "code=abc&state=s1", "application/x-www-form-urlencoded", nil},
				{"json post", "POST", "", `{"code":["abc"],"state":{"x":1}}`, "application/json", good},
				{"malformed json post", "POST", "", `{"code":`, "application/json", good},
				{"oversized post", "POST", "", "code=" + strings.Repeat("a", 70<<10), "application/x-www-form-urlencoded", good},
			}
			for _, tc := range cases {
				req, _ := http.NewRequest(tc.method, srv.URL+"/api/auth/callback/corp"+tc.query, strings.NewReader(tc.body))
				if tc.ctype != "" {
					req.Header.Set("Content-Type", tc.ctype)
				}
				for _, ck := range tc.cookies {
					req.AddCookie(ck)
				}
				res, err := browser().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode >= 500 {
					t.Errorf("%s: status %d %q", tc.name, res.StatusCode, b)
				}
				for _, sc := range res.Header.Values("Set-Cookie") {
					if strings.Contains(sc, "session-token=ey") {
						t.Errorf("%s: set a session", tc.name)
					}
				}
				loc := res.Header.Get("Location")
				switch {
				case res.StatusCode == http.StatusRequestEntityTooLarge || res.StatusCode == http.StatusBadRequest:
				case res.StatusCode == http.StatusFound && strings.HasPrefix(loc, "http://localhost:3000/api/auth/"):
					if strings.Contains(loc, "<") || strings.Contains(loc, "script") {
						t.Errorf("%s: the provider's error reached the redirect: %q", tc.name, loc)
					}
				default:
					t.Errorf("%s: %d to %q", tc.name, res.StatusCode, loc)
				}
			}
		})
	}
}
