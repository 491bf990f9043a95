package providers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tokenServer is an OAuth 2.0 authorization server's token and userinfo
// endpoints on loopback, answering with what the test sets.
type tokenServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	forms    []url.Values
	token    func(w http.ResponseWriter, form url.Values)
	userinfo func(w http.ResponseWriter, r *http.Request)
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.token = func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, map[string]any{"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600,
			"refresh_token": "rt-1", "scope": []string{"read", "write"}})
	}
	ts.userinfo = func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-1" {
			w.WriteHeader(401)
			return
		}
		writeJSON(w, 200, map[string]any{"id": 4217, "name": "Alice", "email": "Alice@Example.COM", "picture": "https://img/a.png"})
	}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		ts.mu.Lock()
		ts.requests = append(ts.requests, r)
		ts.forms = append(ts.forms, r.PostForm)
		ts.mu.Unlock()
		switch r.URL.Path {
		case "/token":
			ts.token(w, r.PostForm)
		case "/userinfo":
			ts.userinfo(w, r)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (ts *tokenServer) provider(mut ...func(*OAuth2Config)) *OAuth {
	cfg := OAuth2Config{ID: "acme", Name: "Acme", ClientID: "client:id", ClientSecret: "s3cr&t",
		AuthURL: ts.URL + "/authorize?audience=api", TokenURL: ts.URL + "/token", UserInfoURL: ts.URL + "/userinfo",
		Scopes: []string{"read", "write"}, AuthorizationParams: map[string]string{"prompt": "login", "access_type": "offline"}}
	for _, m := range mut {
		m(&cfg)
	}
	return OAuth2(cfg)
}

func TestAuthorizationURL(t *testing.T) {
	ts := newTokenServer(t)
	p := ts.provider()
	raw, err := p.AuthorizationURL(context.Background(), AuthorizationRequest{
		RedirectURI: "http://localhost:3000/api/auth/callback/acme", State: "st", CodeChallenge: "ch",
		Params: url.Values{"prompt": {"consent"}, "login_hint": {"a@b.c"}, "client_id": {"evil"}, "redirect_uri": {"https://evil"},
			"state": {"x"}, "code_challenge": {"x"}, "response_type": {"token"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	want := map[string]string{
		"audience": "api", "client_id": "client:id", "redirect_uri": "http://localhost:3000/api/auth/callback/acme",
		"response_type": "code", "scope": "read write", "state": "st", "code_challenge": "ch",
		"code_challenge_method": "S256", "prompt": "consent", "login_hint": "a@b.c", "access_type": "offline",
	}
	for k, v := range want {
		if q.Get(k) != v || len(q[k]) != 1 {
			t.Errorf("%s = %q, want %q (url %s)", k, q[k], v, raw)
		}
	}
	if q.Has("nonce") {
		t.Error("nonce sent without the check")
	}
	// The query may replace the scope.
	raw, _ = p.AuthorizationURL(context.Background(), AuthorizationRequest{RedirectURI: "http://x/cb", Params: url.Values{"scope": {"read"}}, Nonce: "n"})
	u, _ = url.Parse(raw)
	if u.Query().Get("scope") != "read" || u.Query().Get("nonce") != "n" || u.Query().Has("state") {
		t.Errorf("scope from query / nonce / no state: %s", raw)
	}
}

func TestExchangeOAuth2(t *testing.T) {
	for _, auth := range []ClientAuth{ClientSecretBasic, ClientSecretPost} {
		ts := newTokenServer(t)
		p := ts.provider(func(c *OAuth2Config) { c.ClientAuth = auth })
		before := time.Now().Unix()
		res, err := p.Exchange(context.Background(), CallbackRequest{RedirectURI: "http://localhost/cb", Code: "c0de", CodeVerifier: "ver"})
		if err != nil {
			t.Fatal(err)
		}
		tr, form := ts.requests[0], ts.forms[0]
		if form.Get("code") != "c0de" || form.Get("code_verifier") != "ver" || form.Get("redirect_uri") != "http://localhost/cb" || form.Get("grant_type") != "authorization_code" {
			t.Errorf("token request form: %v", form)
		}
		switch auth {
		case ClientSecretBasic:
			// RFC 6749 2.3.1: id and secret are form-encoded, then Basic.
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("client:id")+":"+url.QueryEscape("s3cr&t")))
			if tr.Header.Get("Authorization") != want || form.Has("client_secret") {
				t.Errorf("basic auth: %q, form %v", tr.Header.Get("Authorization"), form)
			}
		case ClientSecretPost:
			if tr.Header.Get("Authorization") != "" || form.Get("client_id") != "client:id" || form.Get("client_secret") != "s3cr&t" {
				t.Errorf("post auth: %q, form %v", tr.Header.Get("Authorization"), form)
			}
		}
		u, a := res.User, res.Account
		if u.ID != "4217" || u.Name != "Alice" || u.Email != "alice@example.com" || u.Image != "https://img/a.png" {
			t.Errorf("user %+v", u)
		}
		if a.Provider != "acme" || a.Type != TypeOAuth || a.ProviderAccountID != "4217" || a.AccessToken != "at-1" ||
			a.RefreshToken != "rt-1" || a.TokenType != "Bearer" || a.Scope != "read write" || a.ExpiresAt < before+3599 || a.ExpiresAt > time.Now().Unix()+3600 {
			t.Errorf("account %+v", a)
		}
		if res.Profile["name"] != "Alice" {
			t.Errorf("profile %v", res.Profile)
		}
	}
}

func TestExchangeErrors(t *testing.T) {
	ts := newTokenServer(t)
	p := ts.provider()
	ctx := context.Background()
	req := CallbackRequest{RedirectURI: "http://localhost/cb", Code: "c"}

	ts.token = func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "code expired", "error_uri": "https://docs/e"})
	}
	_, err := p.Exchange(ctx, req)
	var te *TokenError
	if !errors.Is(err, ErrTokenEndpoint) || !errors.As(err, &te) || te.StatusCode != 400 || te.Code != "invalid_grant" ||
		te.Description != "code expired" || te.URI != "https://docs/e" {
		t.Fatalf("token error: %#v", err)
	}
	if !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("message %q", err)
	}

	ts.token = func(w http.ResponseWriter, _ url.Values) { w.WriteHeader(502); w.Write([]byte("<html>bad gateway")) }
	if _, err := p.Exchange(ctx, req); !errors.As(err, &te) || te.StatusCode != 502 || te.Code != "" || !errors.Is(err, ErrTokenEndpoint) {
		t.Errorf("non-JSON token error: %#v", err)
	}

	ts.token = func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, map[string]any{"access_token": "at-1", "token_type": "Bearer"})
	}
	ts.userinfo = func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }
	if _, err := p.Exchange(ctx, req); !errors.Is(err, ErrUserInfo) {
		t.Errorf("userinfo 500: %v", err)
	}

	// A profile larger than MaxResponseBytes is refused, not truncated.
	ts.userinfo = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"1","pad":"` + strings.Repeat("x", MaxResponseBytes) + `"}`))
	}
	if _, err := p.Exchange(ctx, req); !errors.Is(err, ErrUserInfo) || !errors.Is(err, errResponseTooLarge) {
		t.Errorf("oversized profile: %v", err)
	}
	// Streamed without a Content-Length, too.
	ts.userinfo = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"1","pad":"`))
		for range 40 {
			w.Write([]byte(strings.Repeat("x", 32<<10)))
			w.(http.Flusher).Flush()
		}
		w.Write([]byte(`"}`))
	}
	if _, err := p.Exchange(ctx, req); !errors.Is(err, errResponseTooLarge) {
		t.Errorf("oversized streamed profile: %v", err)
	}

	ts.userinfo = func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]any{"name": "x"}) }
	p2 := ts.provider(func(c *OAuth2Config) {
		c.Profile = func(context.Context, map[string]any, *Tokens) (*User, error) { return &User{}, nil }
	})
	if _, err := p2.Exchange(ctx, req); !errors.Is(err, ErrProfile) {
		t.Errorf("profile without id: %v", err)
	}

	// The request's context bounds the call.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Exchange(cctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	ts := newTokenServer(t)
	var calls atomic.Int32
	release := make(chan struct{})
	ts.token = func(w http.ResponseWriter, form url.Values) {
		calls.Add(1)
		<-release
		if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != "rt-old" {
			writeJSON(w, 400, map[string]string{"error": "invalid_request"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": "at-new", "token_type": "Bearer", "expires_in": 60, "refresh_token": "rt-new"})
	}
	p := ts.provider()

	const n = 8
	var joined sync.WaitGroup
	joined.Add(n)
	refreshJoined = joined.Done
	defer func() { refreshJoined = func() {} }()
	results := make(chan *Tokens, n)
	for range n {
		go func() {
			tok, err := p.Refresh(context.Background(), "rt-old")
			if err != nil {
				t.Error(err)
			}
			results <- tok
		}()
	}
	joined.Wait() // every caller waits on one request
	close(release)
	for range n {
		tok := <-results
		if tok == nil || tok.AccessToken != "at-new" || tok.RefreshToken != "rt-new" || tok.ExpiresAt == 0 {
			t.Errorf("refreshed tokens %+v", tok)
		}
	}
	if c := calls.Load(); c != 1 {
		t.Errorf("%d token requests for %d concurrent refreshes, want 1", c, n)
	}
	refreshJoined = func() {}

	// A provider that does not rotate keeps the refresh token.
	ts.token = func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, map[string]any{"access_token": "at-2", "token_type": "Bearer", "expires_in": 60})
	}
	if tok, err := p.Refresh(context.Background(), "rt-keep"); err != nil || tok.RefreshToken != "rt-keep" || tok.AccessToken != "at-2" {
		t.Errorf("non-rotating refresh: %+v, %v", tok, err)
	}
	if _, err := p.Refresh(context.Background(), ""); !errors.Is(err, ErrNoRefreshToken) {
		t.Errorf("empty refresh token: %v", err)
	}
}

func TestRefreshClaims(t *testing.T) {
	ts := newTokenServer(t)
	ts.token = func(w http.ResponseWriter, form url.Values) {
		if form.Get("refresh_token") == "revoked" {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": "at-new", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-new"})
	}
	p := ts.provider()
	ctx, now := context.Background(), time.Now()

	fresh := map[string]any{"access_token": "at", "refresh_token": "rt", "expires_at": float64(now.Add(time.Hour).Unix())}
	if did, err := p.RefreshClaims(ctx, fresh, now, time.Minute); did || err != nil || fresh["access_token"] != "at" {
		t.Errorf("fresh token refreshed: %v %v %v", did, err, fresh)
	}
	expired := map[string]any{"access_token": "at", "refresh_token": "rt", "expires_at": json.Number(strconv.FormatInt(now.Unix()-10, 10))}
	if did, err := p.RefreshClaims(ctx, expired, now, time.Minute); !did || err != nil ||
		expired["access_token"] != "at-new" || expired["refresh_token"] != "rt-new" || expired["expires_at"].(int64) < now.Unix()+3500 {
		t.Errorf("expired token: %v %v %v", did, err, expired)
	}
	soon := map[string]any{"access_token": "at", "refresh_token": "rt", "expires_at": now.Unix() + 30}
	if did, err := p.RefreshClaims(ctx, soon, now, time.Minute); !did || err != nil {
		t.Errorf("token expiring within the leeway: %v %v", did, err)
	}
	revoked := map[string]any{"access_token": "at", "refresh_token": "revoked", "expires_at": float64(now.Unix() - 1)}
	var te *TokenError
	if did, err := p.RefreshClaims(ctx, revoked, now, 0); did || !errors.As(err, &te) || te.Code != "invalid_grant" || revoked["access_token"] != "at" {
		t.Errorf("revoked grant: %v %v %v", did, err, revoked)
	}
	noRT := map[string]any{"access_token": "at", "expires_at": float64(now.Unix() - 1)}
	if _, err := p.RefreshClaims(ctx, noRT, now, 0); !errors.Is(err, ErrNoRefreshToken) {
		t.Errorf("expired without refresh token: %v", err)
	}
	if did, err := p.RefreshClaims(ctx, map[string]any{"sub": "x"}, now, 0); did || err != nil {
		t.Errorf("claims without provider tokens: %v %v", did, err)
	}
}

func TestValidate(t *testing.T) {
	ok := OAuth2Config{ID: "x", Name: "X", ClientID: "c", AuthURL: "https://a/auth", TokenURL: "https://a/token", UserInfoURL: "https://a/me"}
	if err := OAuth2(ok).Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*OAuth2Config){
		"no name":        func(c *OAuth2Config) { c.Name = "" },
		"no client id":   func(c *OAuth2Config) { c.ClientID = "" },
		"relative auth":  func(c *OAuth2Config) { c.AuthURL = "/auth" },
		"no token url":   func(c *OAuth2Config) { c.TokenURL = "" },
		"no userinfo":    func(c *OAuth2Config) { c.UserInfoURL = "" },
		"bad check":      func(c *OAuth2Config) { c.Checks = []string{"pkce", "magic"} },
		"nonce on oauth": func(c *OAuth2Config) { c.Checks = []string{CheckNonce} },
	} {
		c := ok
		mut(&c)
		if err := OAuth2(c).Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	c := ok
	c.UserInfoURL, c.UserInfo = "", func(context.Context, *http.Client, *Tokens) (map[string]any, error) { return nil, nil }
	if err := OAuth2(c).Validate(); err != nil {
		t.Errorf("UserInfo function instead of URL: %v", err)
	}
	if err := OIDC(OIDCConfig{ID: "o", Name: "O", ClientID: "c"}).Validate(); err == nil {
		t.Error("OIDC without issuer accepted")
	}
	o := OIDC(OIDCConfig{ID: "o", Name: "O", ClientID: "c", Issuer: "https://sso.example.com/", Checks: []string{CheckNonce, CheckState, CheckPKCE}})
	if err := o.Validate(); err != nil || o.Issuer() != "https://sso.example.com/" || strings.Join(o.Scopes(), " ") != "openid profile email" {
		t.Errorf("OIDC: %v, issuer %q, scopes %v", err, o.Issuer(), o.Scopes())
	}
}

func TestDefaultProfileAndString(t *testing.T) {
	u, _ := DefaultProfile(context.Background(), map[string]any{"id": float64(12345678901), "nickname": "al", "email": "A@B.C", "picture": "p"}, nil)
	if u.ID != "12345678901" || u.Name != "al" || u.Email != "A@B.C" || u.Image != "p" {
		t.Errorf("DefaultProfile: %+v", u)
	}
	u, _ = DefaultProfile(context.Background(), map[string]any{"sub": "s", "id": "i", "preferred_username": "pu"}, nil)
	if u.ID != "s" || u.Name != "pu" {
		t.Errorf("sub wins over id: %+v", u)
	}
	u, _ = DefaultProfile(context.Background(), map[string]any{}, nil)
	if len(u.ID) != 36 {
		t.Errorf("no id gives a random UUID: %q", u.ID)
	}
	for v, want := range map[any]string{"x": "x", float64(1.5): "1.5", json.Number("77"): "77", 9: "9", int64(10): "10", true: "", nil: ""} {
		if got := String(map[string]any{"k": v}, "k"); got != want {
			t.Errorf("String(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestDiscovery: concurrent first sign-ins share one discovery request, a
// failed discovery is tried again on the next sign-in, and a document that
// names another issuer is refused.
func TestDiscovery(t *testing.T) {
	var hits atomic.Int32
	var fail atomic.Bool
	release := make(chan struct{})
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
			w.WriteHeader(404)
			return
		}
		hits.Add(1)
		<-release
		if fail.Load() {
			w.WriteHeader(503)
			return
		}
		writeJSON(w, 200, map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
			"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks", "userinfo_endpoint": issuer + "/me"})
	}))
	t.Cleanup(srv.Close)
	issuer = srv.URL

	p := OIDC(OIDCConfig{ID: "o", Name: "O", Issuer: issuer, ClientID: "c"})
	req := AuthorizationRequest{RedirectURI: "http://localhost/cb", State: "s"}

	fail.Store(true)
	close(release)
	if _, err := p.AuthorizationURL(context.Background(), req); !errors.Is(err, ErrDiscovery) {
		t.Fatalf("failed discovery: %v", err)
	}
	fail.Store(false)
	hits.Store(0)
	release = make(chan struct{})
	const n = 6
	var joined, wg sync.WaitGroup
	joined.Add(n)
	discoveryJoined = joined.Done
	defer func() { discoveryJoined = func() {} }()
	urls := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := p.AuthorizationURL(context.Background(), req)
			if err != nil {
				t.Error(err)
			}
			urls <- u
		}()
	}
	joined.Wait() // every caller waits on the one request
	close(release)
	wg.Wait()
	discoveryJoined = func() {}
	close(urls)
	for u := range urls {
		if !strings.HasPrefix(u, issuer+"/authorize?") {
			t.Errorf("authorization URL %q", u)
		}
	}
	if h := hits.Load(); h != 1 {
		t.Errorf("%d discovery requests for %d concurrent sign-ins, want 1", h, n)
	}
	before := hits.Load()
	if _, err := p.AuthorizationURL(context.Background(), req); err != nil || hits.Load() != before {
		t.Errorf("discovery not cached: %v, %d requests", err, hits.Load())
	}

	// A document naming another issuer is refused.
	other := OIDC(OIDCConfig{ID: "x", Name: "X", Issuer: issuer + "/tenant", ClientID: "c"})
	if _, err := other.AuthorizationURL(context.Background(), req); !errors.Is(err, ErrDiscovery) {
		t.Errorf("foreign issuer: %v", err)
	}
}
