package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
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
			"refresh_token": "rt-1", "scope": []string{"read", "write"}, "session_state": "ss-1"})
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
		token, userinfo := ts.token, ts.userinfo
		ts.mu.Unlock()
		switch r.URL.Path {
		case "/token":
			token(w, r.PostForm)
		case "/userinfo":
			userinfo(w, r)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// setToken and setUserinfo replace the answers of the token and userinfo
// endpoints.
func (ts *tokenServer) setToken(f func(w http.ResponseWriter, form url.Values)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.token = f
}

func (ts *tokenServer) setUserinfo(f func(w http.ResponseWriter, r *http.Request)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.userinfo = f
}

func (ts *tokenServer) request(i int) (*http.Request, url.Values) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.requests[i], ts.forms[i]
}

func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.requests)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// provider returns an OAuth 2.0 provider on ts that passes Validate.
func (ts *tokenServer) provider(t *testing.T, mut ...func(*providers.OAuth)) providers.OAuth {
	t.Helper()
	p := providers.OAuth{ID: "acme", Name: "Acme", ClientID: "client:id", ClientSecret: "s3cr&t",
		AuthURL: ts.URL + "/authorize?audience=api", TokenURL: ts.URL + "/token", UserInfoURL: ts.URL + "/userinfo",
		Scopes: []string{"read", "write"}, AuthorizationParams: map[string]string{"prompt": "login", "access_type": "offline"}}
	for _, m := range mut {
		m(&p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}

func (ts *tokenServer) engine(t *testing.T, mut ...func(*providers.OAuth)) *Engine {
	t.Helper()
	return New(ts.provider(t, mut...), nil)
}

// authQuery builds e's authorization URL and returns its query.
func authQuery(t *testing.T, e *Engine, req AuthRequest) url.Values {
	t.Helper()
	raw, err := e.AuthCodeURL(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func TestNew(t *testing.T) {
	oauth2 := providers.OAuth{ID: "acme", Name: "Acme", ClientID: "c", AuthURL: "https://a.example.com/auth",
		TokenURL: "https://a.example.com/token", UserInfoURL: "https://a.example.com/me"}
	oidc := providers.OAuth{ID: "sso", Name: "SSO", ClientID: "c", Issuer: "https://sso.example.com",
		AuthURL: "https://sso.example.com/auth", TokenURL: "https://sso.example.com/token"}
	with := func(p providers.OAuth, f func(*providers.OAuth)) providers.OAuth { f(&p); return p }

	for _, tt := range []struct {
		name string
		p    providers.OAuth
		want providers.Checks
	}{
		{"OAuth 2.0 default", oauth2, providers.CheckPKCE | providers.CheckState},
		{"OIDC default", oidc, providers.CheckPKCE | providers.CheckState | providers.CheckNonce},
		{"explicit", with(oidc, func(p *providers.OAuth) { p.Checks = providers.CheckState }), providers.CheckState},
		{"none", with(oauth2, func(p *providers.OAuth) { p.Checks = providers.InsecureNoChecks }), providers.InsecureNoChecks},
	} {
		if got := New(tt.p, nil).Checks(); got != tt.want {
			t.Errorf("%s: Checks() = %v, want %v", tt.name, got, tt.want)
		}
	}
	if id := New(oidc, nil).ID(); id != "sso" {
		t.Errorf("ID() = %q", id)
	}
	if New(oidc, nil).FormPost() || !New(with(oidc, func(p *providers.OAuth) { p.ResponseMode = providers.ResponseModeFormPost }), nil).FormPost() {
		t.Error("FormPost does not follow ResponseMode")
	}
	if e := New(oauth2, nil); e.now == nil || e.now().IsZero() {
		t.Error("no clock without one given")
	}

	// Scopes: OpenID Connect providers default to openid profile email;
	// OAuth 2.0 providers send none unless declared.
	req := AuthRequest{RedirectURI: "https://app.example.com/cb", State: "s"}
	if q := authQuery(t, New(oidc, nil), req); q.Get("scope") != "openid profile email" {
		t.Errorf("OIDC default scope = %q", q.Get("scope"))
	}
	if q := authQuery(t, New(with(oidc, func(p *providers.OAuth) { p.Scopes = []string{"openid", "groups"} }), nil), req); q.Get("scope") != "openid groups" {
		t.Errorf("OIDC declared scope = %q", q.Get("scope"))
	}
	if q := authQuery(t, New(oauth2, nil), req); q.Has("scope") {
		t.Errorf("OAuth 2.0 without scopes sent scope %q", q.Get("scope"))
	}
	// The provider's default is not written back into the declaration.
	if oidc.Scopes != nil {
		t.Errorf("New changed the declaration's scopes: %v", oidc.Scopes)
	}

	// The engine keeps its own copies of the declaration's slices and maps.
	p := with(oauth2, func(p *providers.OAuth) {
		p.Scopes = []string{"read"}
		p.AuthorizationParams = map[string]string{"prompt": "login"}
	})
	e := New(p, nil)
	p.Scopes[0] = "admin"
	p.AuthorizationParams["prompt"] = "none"
	p.AuthorizationParams["audience"] = "evil"
	if q := authQuery(t, e, req); q.Get("scope") != "read" || q.Get("prompt") != "login" || q.Has("audience") {
		t.Errorf("the engine shares the declaration's slices or maps: %v", q)
	}
}

func TestAuthorizationURL(t *testing.T) {
	ts := newTokenServer(t)
	e := ts.engine(t)
	q := authQuery(t, e, AuthRequest{
		RedirectURI: "http://localhost:3000/api/auth/callback/acme", State: "st", CodeChallenge: "ch",
		Params: url.Values{"prompt": {"consent"}, "login_hint": {"a@b.c"}, "client_id": {"evil"}, "redirect_uri": {"https://evil"},
			"state": {"x"}, "code_challenge": {"x"}, "response_type": {"token"}},
	})
	want := map[string]string{
		"audience": "api", "client_id": "client:id", "redirect_uri": "http://localhost:3000/api/auth/callback/acme",
		"response_type": "code", "scope": "read write", "state": "st", "code_challenge": "ch",
		"code_challenge_method": "S256", "prompt": "consent", "login_hint": "a@b.c", "access_type": "offline",
	}
	for k, v := range want {
		if q.Get(k) != v || len(q[k]) != 1 {
			t.Errorf("%s = %q, want %q (query %v)", k, q[k], v, q)
		}
	}
	if len(q) != len(want) {
		t.Errorf("query has %d parameters, want %d: %v", len(q), len(want), q)
	}
	if q.Has("nonce") {
		t.Error("nonce sent without the check")
	}
	// A request's parameters do not stay for the next one.
	authQuery(t, e, AuthRequest{RedirectURI: "http://x/cb", Params: url.Values{"scope": {"x"}}})
	q = authQuery(t, e, AuthRequest{RedirectURI: "http://x/cb"})
	if q.Get("prompt") != "login" || q.Has("login_hint") || q.Get("scope") != "read write" {
		t.Errorf("parameters of an earlier request: %v", q)
	}
	if q := authQuery(t, e, AuthRequest{RedirectURI: "http://x/cb", Params: url.Values{"scope": {"  read \t openid "}}}); q.Get("scope") != "read openid" {
		t.Errorf("scope from the query = %q", q.Get("scope"))
	}
	// The query may replace the scope.
	q = authQuery(t, e, AuthRequest{RedirectURI: "http://x/cb", Params: url.Values{"scope": {"read"}}, Nonce: "n"})
	if q.Get("scope") != "read" || q.Get("nonce") != "n" || q.Has("state") || q.Has("code_challenge") || q.Has("code_challenge_method") {
		t.Errorf("scope from query / nonce / no state / no challenge: %v", q)
	}
	// So may AuthorizationParams, and the query wins over them.
	e = ts.engine(t, func(p *providers.OAuth) { p.AuthorizationParams = map[string]string{"scope": "read profile"} })
	if q := authQuery(t, e, AuthRequest{RedirectURI: "http://x/cb"}); q.Get("scope") != "read profile" {
		t.Errorf("scope from AuthorizationParams = %q", q.Get("scope"))
	}
	if q := authQuery(t, e, AuthRequest{RedirectURI: "http://x/cb", Params: url.Values{"scope": {"openid"}}}); q.Get("scope") != "openid" {
		t.Errorf("scope from the query over AuthorizationParams = %q", q.Get("scope"))
	}
	// The first value of a repeated parameter counts; an empty list none.
	if q := authQuery(t, e, AuthRequest{RedirectURI: "http://x/cb", Params: url.Values{"prompt": {"a", "b"}, "ui_locales": {}}}); q.Get("prompt") != "a" ||
		len(q["prompt"]) != 1 || q.Has("ui_locales") {
		t.Errorf("repeated or empty parameters: %v", q)
	}
}

// TestAuthCodeURLReservedParams: the sign-in request's query cannot set the
// protocol's parameters, nor replace the request (request, request_uri) or
// how the answer travels (response_mode); response_mode is form_post
// exactly for ResponseModeFormPost.
func TestAuthCodeURLReservedParams(t *testing.T) {
	ts := newTokenServer(t)
	evil := url.Values{"prompt": {"consent"}, "login_hint": {"a@b.c"}}
	for _, k := range []string{"client_id", "client_secret", "redirect_uri", "response_type", "response_mode", "state",
		"nonce", "code_challenge", "code_challenge_method", "request", "request_uri"} {
		if !providers.Reserved(k) {
			t.Fatalf("%s is not reserved", k)
		}
		evil.Set(k, "evil")
	}
	for _, formPost := range []bool{false, true} {
		e := ts.engine(t, func(p *providers.OAuth) {
			if formPost {
				p.ResponseMode = providers.ResponseModeFormPost
			}
		})
		for _, checks := range []AuthRequest{
			{State: "st", CodeChallenge: "ch", Nonce: "n"},
			{}, // no checks: the reserved values must still not come from the query
		} {
			req := checks
			req.RedirectURI, req.Params = "https://app.example.com/cb", evil
			q := authQuery(t, e, req)
			want := url.Values{
				"client_id": {"client:id"}, "redirect_uri": {"https://app.example.com/cb"}, "response_type": {"code"},
				"scope": {"read write"}, "audience": {"api"}, "prompt": {"consent"}, "login_hint": {"a@b.c"}, "access_type": {"offline"},
			}
			if req.State != "" {
				want.Set("state", "st")
				want.Set("code_challenge", "ch")
				want.Set("code_challenge_method", "S256")
				want.Set("nonce", "n")
			}
			if formPost {
				want.Set("response_mode", "form_post")
			}
			if !reflect.DeepEqual(q, want) {
				t.Errorf("form_post %v, checks %+v:\n got %v\nwant %v", formPost, checks, q, want)
			}
		}
	}
}

func TestExchangeOAuth2(t *testing.T) {
	for _, auth := range []providers.ClientAuth{providers.ClientSecretBasic, providers.ClientSecretPost} {
		ts := newTokenServer(t)
		e := ts.engine(t, func(p *providers.OAuth) { p.ClientAuth = auth })
		before := time.Now().Unix()
		res, err := e.Exchange(context.Background(), CallbackRequest{RedirectURI: "http://localhost/cb", Code: "c0de", CodeVerifier: "ver"})
		if err != nil {
			t.Fatal(err)
		}
		tr, form := ts.request(0)
		if form.Get("code") != "c0de" || form.Get("code_verifier") != "ver" || form.Get("redirect_uri") != "http://localhost/cb" || form.Get("grant_type") != "authorization_code" {
			t.Errorf("token request form: %v", form)
		}
		switch auth {
		case providers.ClientSecretBasic:
			// RFC 6749 2.3.1: id and secret are form-encoded, then Basic.
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("client:id")+":"+url.QueryEscape("s3cr&t")))
			if tr.Header.Get("Authorization") != want || form.Has("client_secret") {
				t.Errorf("basic auth: %q, form %v", tr.Header.Get("Authorization"), form)
			}
		case providers.ClientSecretPost:
			if tr.Header.Get("Authorization") != "" || form.Get("client_id") != "client:id" || form.Get("client_secret") != "s3cr&t" {
				t.Errorf("post auth: %q, form %v", tr.Header.Get("Authorization"), form)
			}
		}
		u, a := res.User, res.Account
		if u.ID != "4217" || u.Name != "Alice" || u.Email != "alice@example.com" || u.Image != "https://img/a.png" {
			t.Errorf("user %+v", u)
		}
		if a.Provider != "acme" || a.Type != authjs.TypeOAuth || a.ProviderAccountID != "4217" || a.AccessToken != "at-1" ||
			a.RefreshToken != "rt-1" || a.TokenType != "Bearer" || a.Scope != "read write" || a.ExpiresAt < before+3599 || a.ExpiresAt > time.Now().Unix()+3600 ||
			a.IDToken != "" || a.SessionState != "ss-1" {
			t.Errorf("account %+v", a)
		}
		if res.Profile["name"] != "Alice" || res.Profile["email"] != "Alice@Example.COM" {
			t.Errorf("profile %v", res.Profile)
		}
		if n := ts.count(); n != 2 {
			t.Errorf("%d requests, want token and userinfo", n)
		}
	}

	// A UserInfo function replaces the GET of UserInfoURL, and receives
	// the tokens and the engine's client.
	ts := newTokenServer(t)
	var got *providers.Tokens
	var gotClient *http.Client
	e := ts.engine(t, func(p *providers.OAuth) {
		p.UserInfoURL = ""
		p.UserInfo = func(_ context.Context, c *http.Client, tok *providers.Tokens) (map[string]any, error) {
			got, gotClient = tok, c
			return map[string]any{"id": "u-9", "email": "X@Y.Z"}, nil
		}
	})
	res, err := e.Exchange(context.Background(), CallbackRequest{RedirectURI: "http://localhost/cb", Code: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if res.User.ID != "u-9" || res.User.Email != "x@y.z" || got.AccessToken != "at-1" || got.RefreshToken != "rt-1" ||
		got.Scope != "read write" || got.Extra("session_state") != "ss-1" || gotClient != e.client {
		t.Errorf("UserInfo: user %+v, tokens %+v", res.User, got)
	}
	if n := ts.count(); n != 1 {
		t.Errorf("%d requests, want the token request only", n)
	}
	// The scope may come as a string too.
	ts.setToken(func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, map[string]any{"access_token": "at-1", "token_type": "Bearer", "scope": "read,write"})
	})
	if res, err := e.Exchange(context.Background(), CallbackRequest{RedirectURI: "http://localhost/cb", Code: "c"}); err != nil ||
		res.Account.Scope != "read,write" || res.Account.ExpiresAt != 0 || res.Account.RefreshToken != "" {
		t.Errorf("string scope, no expiry: %+v, %v", res, err)
	}
}

func TestExchangeErrors(t *testing.T) {
	ts := newTokenServer(t)
	e := ts.engine(t)
	ctx := context.Background()
	req := CallbackRequest{RedirectURI: "http://localhost/cb", Code: "c"}

	ts.setToken(func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "code expired", "error_uri": "https://docs/e"})
	})
	_, err := e.Exchange(ctx, req)
	var te *providers.TokenError
	if !errors.Is(err, providers.ErrTokenEndpoint) || !errors.As(err, &te) || te.StatusCode != 400 || te.Code != "invalid_grant" ||
		te.Description != "code expired" || te.URI != "https://docs/e" {
		t.Fatalf("token error: %#v", err)
	}
	if !strings.Contains(err.Error(), "invalid_grant") || strings.Contains(err.Error(), "s3cr&t") {
		t.Errorf("message %q", err)
	}

	ts.setToken(func(w http.ResponseWriter, _ url.Values) { w.WriteHeader(502); w.Write([]byte("<html>bad gateway")) })
	if _, err := e.Exchange(ctx, req); !errors.As(err, &te) || te.StatusCode != 502 || te.Code != "" || te.Err == nil || !errors.Is(err, providers.ErrTokenEndpoint) {
		t.Errorf("non-JSON token error: %#v", err)
	}

	ts.setToken(func(w http.ResponseWriter, _ url.Values) { writeJSON(w, 200, map[string]any{"token_type": "Bearer"}) })
	if _, err := e.Exchange(ctx, req); !errors.As(err, &te) || te.Err == nil || !errors.Is(err, providers.ErrTokenEndpoint) {
		t.Errorf("token response without an access token: %#v", err)
	}

	ts.setToken(func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, map[string]any{"access_token": "at-1", "token_type": "Bearer"})
	})
	ts.setUserinfo(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
	var se *providers.StatusError
	if _, err := e.Exchange(ctx, req); !errors.Is(err, ErrUserInfo) || !errors.As(err, &se) || se.StatusCode != 500 {
		t.Errorf("userinfo 500: %v", err)
	}
	ts.setUserinfo(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, nil) })
	if _, err := e.Exchange(ctx, req); !errors.Is(err, ErrUserInfo) {
		t.Errorf("userinfo null: %v", err)
	}

	// A profile larger than MaxResponseBytes is refused, not truncated.
	ts.setUserinfo(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"1","pad":"` + strings.Repeat("x", providers.MaxResponseBytes) + `"}`))
	})
	if _, err := e.Exchange(ctx, req); !errors.Is(err, ErrUserInfo) || !errors.Is(err, errResponseTooLarge) {
		t.Errorf("oversized profile: %v", err)
	}
	// Streamed without a Content-Length, too.
	ts.setUserinfo(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"1","pad":"`))
		for range 40 {
			w.Write([]byte(strings.Repeat("x", 32<<10)))
			w.(http.Flusher).Flush()
		}
		w.Write([]byte(`"}`))
	})
	if _, err := e.Exchange(ctx, req); !errors.Is(err, errResponseTooLarge) {
		t.Errorf("oversized streamed profile: %v", err)
	}

	ts.setUserinfo(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]any{"name": "x"}) })
	e2 := ts.engine(t, func(p *providers.OAuth) {
		p.Profile = func(context.Context, map[string]any, *providers.Tokens) (*authjs.User, error) {
			return &authjs.User{}, nil
		}
	})
	if _, err := e2.Exchange(ctx, req); !errors.Is(err, ErrProfile) {
		t.Errorf("profile without id: %v", err)
	}
	e2 = ts.engine(t, func(p *providers.OAuth) {
		p.Profile = func(context.Context, map[string]any, *providers.Tokens) (*authjs.User, error) { return nil, nil }
	})
	if _, err := e2.Exchange(ctx, req); !errors.Is(err, ErrProfile) {
		t.Errorf("nil profile: %v", err)
	}
	mine := errors.New("no such team")
	e2 = ts.engine(t, func(p *providers.OAuth) {
		p.Profile = func(context.Context, map[string]any, *providers.Tokens) (*authjs.User, error) { return nil, mine }
	})
	if _, err := e2.Exchange(ctx, req); !errors.Is(err, ErrProfile) || !errors.Is(err, mine) {
		t.Errorf("profile error: %v", err)
	}
	e2 = ts.engine(t, func(p *providers.OAuth) {
		p.UserInfo = func(context.Context, *http.Client, *providers.Tokens) (map[string]any, error) { return nil, mine }
	})
	if _, err := e2.Exchange(ctx, req); !errors.Is(err, ErrUserInfo) || !errors.Is(err, mine) {
		t.Errorf("UserInfo error: %v", err)
	}
	e2 = ts.engine(t, func(p *providers.OAuth) {
		p.UserInfo = func(context.Context, *http.Client, *providers.Tokens) (map[string]any, error) { return nil, nil }
	})
	if _, err := e2.Exchange(ctx, req); !errors.Is(err, ErrUserInfo) {
		t.Errorf("UserInfo without a profile: %v", err)
	}

	// The request's context bounds the call.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Exchange(cctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestCallbackError(t *testing.T) {
	err := error(&CallbackError{Code: "access_denied", Description: "The user said no", URI: "https://e"})
	if !errors.Is(err, ErrProviderError) || errors.Is(err, ErrIDToken) {
		t.Errorf("errors.Is: %v", err)
	}
	if err.Error() != `oauth: the provider returned "access_denied": The user said no` {
		t.Errorf("message %q", err)
	}
	if got := (&CallbackError{Code: "x\ny"}).Error(); got != `oauth: the provider returned "x\ny"` {
		t.Errorf("message without a description %q", got)
	}
}

func TestRefresh(t *testing.T) {
	ts := newTokenServer(t)
	var calls atomic.Int32
	release := make(chan struct{})
	ts.setToken(func(w http.ResponseWriter, form url.Values) {
		calls.Add(1)
		<-release
		if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != "rt-old" {
			writeJSON(w, 400, map[string]string{"error": "invalid_request"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": "at-new", "token_type": "Bearer", "expires_in": 60, "refresh_token": "rt-new"})
	})
	e := ts.engine(t)

	const n = 8
	var joined sync.WaitGroup
	joined.Add(n)
	e.joined = joined.Done
	results := make(chan *providers.Tokens, n)
	for range n {
		go func() {
			tok, err := e.Refresh(context.Background(), "rt-old")
			if err != nil {
				t.Error(err)
			}
			results <- tok
		}()
	}
	joined.Wait() // every caller waits on one request
	close(release)
	var got []*providers.Tokens
	for range n {
		tok := <-results
		if tok == nil || tok.AccessToken != "at-new" || tok.RefreshToken != "rt-new" || tok.ExpiresAt == 0 {
			t.Errorf("refreshed tokens %+v", tok)
		}
		got = append(got, tok)
	}
	e.joined = nil
	if c := calls.Load(); c != 1 {
		t.Errorf("%d token requests for %d concurrent refreshes, want 1", c, n)
	}
	// Each caller has its own copy.
	if got[0] != nil && got[1] != nil {
		got[0].AccessToken = "changed"
		if got[1].AccessToken != "at-new" {
			t.Error("callers share the refreshed tokens")
		}
	}
	// The client authenticates as at the exchange.
	if tr, _ := ts.request(0); tr.Header.Get("Authorization") == "" {
		t.Error("refresh without client authentication")
	}

	// A provider that does not rotate keeps the refresh token.
	ts.setToken(func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, map[string]any{"access_token": "at-2", "token_type": "Bearer", "expires_in": 60})
	})
	if tok, err := e.Refresh(context.Background(), "rt-keep"); err != nil || tok.RefreshToken != "rt-keep" || tok.AccessToken != "at-2" {
		t.Errorf("non-rotating refresh: %+v, %v", tok, err)
	}
	if _, err := e.Refresh(context.Background(), ""); !errors.Is(err, providers.ErrNoRefreshToken) {
		t.Errorf("empty refresh token: %v", err)
	}
	ts.setToken(func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
	})
	var te *providers.TokenError
	if _, err := e.Refresh(context.Background(), "rt-revoked"); !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Errorf("revoked: %v", err)
	}
}

// TestRefreshLeavingCaller: a caller that stops waiting gets its context's
// error, and the shared request, which that caller started, goes on for
// the others.
func TestRefreshLeavingCaller(t *testing.T) {
	ts := newTokenServer(t)
	release, arrived := make(chan struct{}), make(chan struct{}, 1)
	var calls atomic.Int32
	ts.setToken(func(w http.ResponseWriter, _ url.Values) {
		calls.Add(1)
		arrived <- struct{}{}
		<-release
		writeJSON(w, 200, map[string]any{"access_token": "at-new", "token_type": "Bearer", "expires_in": 60})
	})
	e := ts.engine(t)
	joined := make(chan struct{})
	e.joined = func() { joined <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	first, second := make(chan error, 1), make(chan *providers.Tokens, 1)
	go func() { _, err := e.Refresh(ctx, "rt"); first <- err }()
	<-joined
	<-arrived // the first caller's request is at the provider
	go func() {
		tok, err := e.Refresh(context.Background(), "rt")
		if err != nil {
			t.Error(err)
		}
		second <- tok
	}()
	<-joined
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("leaving caller: %v", err)
	}
	close(release)
	if tok := <-second; tok == nil || tok.AccessToken != "at-new" {
		t.Errorf("remaining caller: %+v", tok)
	}
	if c := calls.Load(); c != 1 {
		t.Errorf("%d token requests, want 1", c)
	}
}

// TestRefreshDistinctGrants: concurrent refreshes of different refresh
// tokens do not share a request.
func TestRefreshDistinctGrants(t *testing.T) {
	ts := newTokenServer(t)
	release := make(chan struct{})
	ts.setToken(func(w http.ResponseWriter, form url.Values) {
		<-release
		rt := form.Get("refresh_token")
		writeJSON(w, 200, map[string]any{"access_token": "at-for-" + rt, "token_type": "Bearer", "expires_in": 60})
	})
	e := ts.engine(t)
	var joined sync.WaitGroup
	joined.Add(2)
	e.joined = joined.Done
	results := make(chan string, 2)
	for _, rt := range []string{"rt-a", "rt-b"} {
		go func() {
			tok, err := e.Refresh(context.Background(), rt)
			if err != nil {
				t.Error(err)
				results <- ""
				return
			}
			results <- rt + ":" + tok.AccessToken + ":" + tok.RefreshToken
		}()
	}
	joined.Wait()
	close(release)
	got := map[string]bool{<-results: true, <-results: true}
	if !got["rt-a:at-for-rt-a:rt-a"] || !got["rt-b:at-for-rt-b:rt-b"] {
		t.Errorf("results %v", got)
	}
}

func TestRefreshClaims(t *testing.T) {
	ts := newTokenServer(t)
	ts.setToken(func(w http.ResponseWriter, form url.Values) {
		switch form.Get("refresh_token") {
		case "revoked":
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
		case "rt-no-expiry":
			writeJSON(w, 200, map[string]any{"access_token": "at-new", "token_type": "Bearer", "id_token": "idt-new"})
		default:
			writeJSON(w, 200, map[string]any{"access_token": "at-new", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-new"})
		}
	})
	e := ts.engine(t)
	ctx, now := context.Background(), time.Now()

	fresh := authjs.Claims{"access_token": "at", "refresh_token": "rt", "expires_at": float64(now.Add(time.Hour).Unix())}
	if did, err := e.RefreshClaims(ctx, fresh, now, time.Minute); did || err != nil || fresh["access_token"] != "at" {
		t.Errorf("fresh token refreshed: %v %v %v", did, err, fresh)
	}
	expired := authjs.Claims{"access_token": "at", "refresh_token": "rt", "expires_at": json.Number(strconv.FormatInt(now.Unix()-10, 10))}
	if did, err := e.RefreshClaims(ctx, expired, now, time.Minute); !did || err != nil ||
		expired["access_token"] != "at-new" || expired["refresh_token"] != "rt-new" || expired["expires_at"].(int64) < now.Unix()+3500 {
		t.Errorf("expired token: %v %v %v", did, err, expired)
	}
	soon := authjs.Claims{"access_token": "at", "refresh_token": "rt", "expires_at": now.Unix() + 30}
	if did, err := e.RefreshClaims(ctx, soon, now, time.Minute); !did || err != nil {
		t.Errorf("token expiring within the leeway: %v %v", did, err)
	}
	later := authjs.Claims{"access_token": "at", "refresh_token": "rt", "expires_at": int(now.Unix() + 90)}
	if did, err := e.RefreshClaims(ctx, later, now, time.Minute); did || err != nil {
		t.Errorf("token expiring after the leeway: %v %v", did, err)
	}
	atLeeway := authjs.Claims{"access_token": "at", "refresh_token": "rt", "expires_at": float64(now.Unix() + 60)}
	if did, err := e.RefreshClaims(ctx, atLeeway, now, time.Minute); !did || err != nil {
		t.Errorf("token expiring exactly at the leeway: %v %v", did, err)
	}
	expiredInt := authjs.Claims{"access_token": "at", "refresh_token": "rt", "expires_at": int(now.Unix() - 1)}
	if did, err := e.RefreshClaims(ctx, expiredInt, now, 0); !did || err != nil {
		t.Errorf("expired token with an int expires_at: %v %v", did, err)
	}
	badNumber := authjs.Claims{"access_token": "at", "refresh_token": "rt", "expires_at": json.Number("1e3")}
	if did, err := e.RefreshClaims(ctx, badNumber, now, 0); did || err != nil {
		t.Errorf("expires_at that is not an integer: %v %v", did, err)
	}
	revoked := authjs.Claims{"access_token": "at", "refresh_token": "revoked", "expires_at": float64(now.Unix() - 1)}
	var te *providers.TokenError
	if did, err := e.RefreshClaims(ctx, revoked, now, 0); did || !errors.As(err, &te) || te.Code != "invalid_grant" || revoked["access_token"] != "at" {
		t.Errorf("revoked grant: %v %v %v", did, err, revoked)
	}
	noRT := authjs.Claims{"access_token": "at", "expires_at": float64(now.Unix() - 1)}
	if _, err := e.RefreshClaims(ctx, noRT, now, 0); !errors.Is(err, providers.ErrNoRefreshToken) {
		t.Errorf("expired without refresh token: %v", err)
	}
	if did, err := e.RefreshClaims(ctx, authjs.Claims{"sub": "x"}, now, 0); did || err != nil {
		t.Errorf("claims without provider tokens: %v %v", did, err)
	}
	if did, err := e.RefreshClaims(ctx, authjs.Claims{"refresh_token": "rt", "expires_at": "soon"}, now, 0); did || err != nil {
		t.Errorf("expires_at that is not a number: %v %v", did, err)
	}
	// Tokens without an expiry drop expires_at; an ID token replaces one
	// the claims hold, and is not added to claims without one.
	noExp := authjs.Claims{"access_token": "at", "refresh_token": "rt-no-expiry", "expires_at": float64(now.Unix() - 1), "id_token": "idt-old"}
	if did, err := e.RefreshClaims(ctx, noExp, now, 0); !did || err != nil || noExp.String("id_token") != "idt-new" ||
		noExp.String("refresh_token") != "rt-no-expiry" {
		t.Errorf("refresh without expiry: %v %v %v", did, err, noExp)
	}
	if _, ok := noExp["expires_at"]; ok {
		t.Errorf("expires_at kept: %v", noExp)
	}
	noID := authjs.Claims{"access_token": "at", "refresh_token": "rt-no-expiry", "expires_at": float64(now.Unix() - 1)}
	if did, err := e.RefreshClaims(ctx, noID, now, 0); !did || err != nil {
		t.Errorf("refresh: %v %v", did, err)
	}
	if _, ok := noID["id_token"]; ok {
		t.Errorf("id_token added: %v", noID)
	}
	withID := authjs.Claims{"access_token": "at", "refresh_token": "rt", "expires_at": float64(now.Unix() - 1), "id_token": "idt-old"}
	if did, err := e.RefreshClaims(ctx, withID, now, 0); !did || err != nil || withID["id_token"] != "idt-old" {
		t.Errorf("refresh without a new ID token: %v %v %v", did, err, withID)
	}
}

// TestDiscovery: concurrent first sign-ins share one discovery request, a
// failed discovery is tried again on the next sign-in, and a document that
// names another issuer is refused.
func TestDiscovery(t *testing.T) {
	var hits atomic.Int32
	var fail atomic.Bool
	var mu sync.Mutex
	release := make(chan struct{})
	gate := func() chan struct{} { mu.Lock(); defer mu.Unlock(); return release }
	var issuer string
	slow := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
			w.WriteHeader(404)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/slow/") {
			<-slow // answers after the test
		}
		hits.Add(1)
		<-gate()
		if fail.Load() {
			w.WriteHeader(503)
			return
		}
		writeJSON(w, 200, map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
			"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks", "userinfo_endpoint": issuer + "/me"})
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(slow) })
	issuer = srv.URL

	e := New(providers.OAuth{ID: "o", Name: "O", Issuer: issuer, ClientID: "c"}, nil)
	req := AuthRequest{RedirectURI: "http://localhost/cb", State: "s"}

	fail.Store(true)
	close(release)
	if _, err := e.AuthCodeURL(context.Background(), req); !errors.Is(err, providers.ErrDiscovery) {
		t.Fatalf("failed discovery: %v", err)
	}
	fail.Store(false)
	hits.Store(0)
	mu.Lock()
	release = make(chan struct{})
	mu.Unlock()
	const n = 6
	var joined, wg sync.WaitGroup
	joined.Add(n)
	e.joined = joined.Done
	urls := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := e.AuthCodeURL(context.Background(), req)
			if err != nil {
				t.Error(err)
			}
			urls <- u
		}()
	}
	joined.Wait() // every caller waits on the one request
	close(gate())
	wg.Wait()
	e.joined = nil
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
	if _, err := e.AuthCodeURL(context.Background(), req); err != nil || hits.Load() != before {
		t.Errorf("discovery not cached: %v, %d requests", err, hits.Load())
	}

	// A document naming another issuer is refused...
	other := New(providers.OAuth{ID: "x", Name: "X", Issuer: issuer + "/tenant", ClientID: "c"}, nil)
	if _, err := other.AuthCodeURL(context.Background(), req); !errors.Is(err, providers.ErrDiscovery) {
		t.Errorf("foreign issuer: %v", err)
	}
	// ...unless VerifyIssuer checks each token's issuer instead (a
	// multi-tenant endpoint whose document names a placeholder).
	multi := New(providers.OAuth{ID: "x", Name: "X", Issuer: issuer + "/tenant", ClientID: "c",
		VerifyIssuer: func(map[string]any) error { return nil }}, nil)
	if u, err := multi.AuthCodeURL(context.Background(), req); err != nil || !strings.HasPrefix(u, issuer+"/authorize?") {
		t.Errorf("placeholder issuer with VerifyIssuer: %q, %v", u, err)
	}

	// Endpoints set in the declaration replace the discovered ones.
	own := New(providers.OAuth{ID: "o", Name: "O", Issuer: issuer, ClientID: "c", AuthURL: "https://sso.example.com/login"}, nil)
	if u, err := own.AuthCodeURL(context.Background(), req); err != nil || !strings.HasPrefix(u, "https://sso.example.com/login?") {
		t.Errorf("AuthURL override: %q, %v", u, err)
	}
	// With both set, no discovery is needed to build the URL.
	before = hits.Load()
	both := New(providers.OAuth{ID: "o", Name: "O", Issuer: issuer, ClientID: "c",
		AuthURL: "https://sso.example.com/login", TokenURL: "https://sso.example.com/token"}, nil)
	if u, err := both.AuthCodeURL(context.Background(), req); err != nil || !strings.HasPrefix(u, "https://sso.example.com/login?") || hits.Load() != before {
		t.Errorf("both endpoints configured: %q, %v, %d discoveries", u, err, hits.Load()-before)
	}

	// The request's context bounds the wait.
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	fresh := New(providers.OAuth{ID: "o", Name: "O", Issuer: issuer + "/slow", ClientID: "c"}, nil)
	if _, err := fresh.AuthCodeURL(cctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled discovery: %v", err)
	}
}

// TestDiscoveryLeavingCaller: the first sign-in's discovery, shared with
// a second one, goes on when the first stops waiting.
func TestDiscoveryLeavingCaller(t *testing.T) {
	release, arrived := make(chan struct{}), make(chan struct{}, 1)
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		arrived <- struct{}{}
		<-release
		writeJSON(w, 200, map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
			"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks"})
	}))
	t.Cleanup(srv.Close)
	issuer = srv.URL
	e := New(providers.OAuth{ID: "o", Name: "O", Issuer: issuer, ClientID: "c"}, nil)
	joined := make(chan struct{})
	e.joined = func() { joined <- struct{}{} }
	req := AuthRequest{RedirectURI: "http://localhost/cb"}
	ctx, cancel := context.WithCancel(context.Background())
	first, second := make(chan error, 1), make(chan string, 1)
	go func() { _, err := e.AuthCodeURL(ctx, req); first <- err }()
	<-joined
	<-arrived // the first caller's discovery is at the provider
	go func() {
		u, err := e.AuthCodeURL(context.Background(), req)
		if err != nil {
			t.Error(err)
		}
		second <- u
	}()
	<-joined
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("leaving caller: %v", err)
	}
	close(release)
	if u := <-second; !strings.HasPrefix(u, issuer+"/authorize?") {
		t.Errorf("remaining caller: %q", u)
	}
}

// TestDiscoveryInvalidDocument: a document without usable endpoints fails
// discovery.
func TestDiscoveryInvalidDocument(t *testing.T) {
	var doc map[string]any
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		writeJSON(w, 200, doc)
	}))
	t.Cleanup(srv.Close)
	for name, d := range map[string]map[string]any{
		"no authorization endpoint": {"issuer": srv.URL, "token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/jwks"},
		"relative token endpoint":   {"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize", "token_endpoint": "/token", "jwks_uri": srv.URL + "/jwks"},
		"javascript: endpoint":      {"issuer": srv.URL, "authorization_endpoint": "javascript:alert(1)", "token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/jwks"},
		"not JSON endpoints":        {"issuer": srv.URL, "authorization_endpoint": 7, "token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/jwks"},
	} {
		mu.Lock()
		doc = d
		mu.Unlock()
		e := New(providers.OAuth{ID: "o", Name: "O", Issuer: srv.URL, ClientID: "c"}, nil)
		if _, err := e.AuthCodeURL(context.Background(), AuthRequest{RedirectURI: "http://x/cb"}); !errors.Is(err, providers.ErrDiscovery) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBoundedClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Has("stream") {
			w.(http.Flusher).Flush() // no Content-Length
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		w.Write([]byte(strings.Repeat("x", n)))
	}))
	t.Cleanup(srv.Close)
	c := boundedClient(srv.Client())
	for _, tt := range []struct {
		n      int
		stream bool
	}{
		{10, false}, {providers.MaxResponseBytes, false}, {providers.MaxResponseBytes + 1, false},
		{providers.MaxResponseBytes, true}, {providers.MaxResponseBytes + 1, true},
	} {
		q := "n=" + strconv.Itoa(tt.n)
		if tt.stream {
			q += "&stream"
		}
		resp, err := c.Get(srv.URL + "/?" + q)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if tt.n <= providers.MaxResponseBytes && (err != nil || len(body) != tt.n) {
			t.Errorf("%s: %d bytes, %v", q, len(body), err)
		}
		if tt.n > providers.MaxResponseBytes && !errors.Is(err, errResponseTooLarge) {
			t.Errorf("%s: %v, want errResponseTooLarge", q, err)
		}
	}
	// The given client is copied, not changed; without one, the default
	// timeout applies.
	given := &http.Client{Timeout: time.Second}
	if b := boundedClient(given); given.Transport != nil || b == given || b.Timeout != time.Second {
		t.Errorf("boundedClient changed or kept its argument")
	}
	if b := boundedClient(nil); b.Timeout != providers.DefaultHTTPTimeout {
		t.Errorf("default timeout = %v", b.Timeout)
	}
}
