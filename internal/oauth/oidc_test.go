package oauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// The signing keys of the test OpenID provider, made once: the one its
// JWKS publishes, and another one that signs forgeries.
var (
	idpKey   = sync.OnceValue(func() *rsa.PrivateKey { return newRSAKey() })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return newRSAKey() })
)

func newRSAKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

const idpKeyID = "key-1"

// testNow is the engines' clock in the OpenID Connect tests; ID tokens are
// issued at it.
var testNow = time.Unix(1_700_000_000, 0)

func clock() time.Time { return testNow }

// idp is an OpenID provider on loopback: discovery for the issuers
// registered with addIssuer, its keys at /jwks, a token endpoint that
// issues an ID token with the claims the test sets, and /userinfo. It
// answers by path whatever the Host, so a routed client can make it play a
// real provider's host.
type idp struct {
	*httptest.Server
	t *testing.T

	mu             sync.Mutex
	docs           map[string]map[string]any // by host and path of the discovery document
	claims         map[string]any            // of the next ID token; nil issues none
	refreshClaims  map[string]any            // of the ID token a refresh returns; nil issues none
	signer         *rsa.PrivateKey
	userinfo       map[string]any
	userinfoStatus int
	photo          []byte // Microsoft Graph's /me/photos answer
	hits           map[string]int
	forms          []url.Values
	auths          []string // Authorization header of each token request
	userinfoAuth   []string
}

func newIDP(t *testing.T) *idp {
	s := &idp{t: t, docs: map[string]map[string]any{}, hits: map[string]int{}, signer: idpKey(), userinfoStatus: 200}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	s.addIssuer(s.URL, s.URL, s.URL)
	return s
}

// addIssuer serves the discovery document of issuer, naming docIssuer
// (a placeholder for multi-tenant endpoints) and endpoints at base.
func (s *idp) addIssuer(issuer, docIssuer, base string) {
	u, err := url.Parse(issuer)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[u.Host+strings.TrimSuffix(u.Path, "/")+"/.well-known/openid-configuration"] = map[string]any{
		"issuer":                                docIssuer,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"jwks_uri":                              base + "/jwks",
		"userinfo_endpoint":                     base + "/userinfo",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	}
}

func (s *idp) serve(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits[r.URL.Path]++
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		doc, ok := s.docs[r.Host+r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		writeJSON(w, 200, doc)
	case r.URL.Path == "/jwks":
		writeJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &idpKey().PublicKey, KeyID: idpKeyID, Algorithm: "RS256", Use: "sig"}}})
	case r.URL.Path == "/token":
		s.forms = append(s.forms, r.PostForm)
		s.auths = append(s.auths, r.Header.Get("Authorization"))
		if r.PostForm.Get("grant_type") == "refresh_token" && r.PostForm.Get("refresh_token") == "rt-oidc" {
			resp := map[string]any{"access_token": "at-oidc-2", "token_type": "Bearer", "expires_in": 3600}
			if s.refreshClaims != nil {
				resp["id_token"] = sign(s.t, s.signer, s.refreshClaims)
			}
			writeJSON(w, 200, resp)
			return
		}
		if r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("code") != "c0de" {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		resp := map[string]any{"access_token": "at-oidc", "token_type": "Bearer", "expires_in": 3600,
			"refresh_token": "rt-oidc", "scope": "openid profile email", "session_state": "ss-1"}
		if s.claims != nil {
			resp["id_token"] = sign(s.t, s.signer, s.claims)
		}
		writeJSON(w, 200, resp)
	case r.URL.Path == "/userinfo" || r.URL.Path == "/custom-userinfo":
		s.userinfoAuth = append(s.userinfoAuth, r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer at-oidc" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if s.userinfoStatus != 200 {
			w.WriteHeader(s.userinfoStatus)
			return
		}
		writeJSON(w, 200, s.userinfo)
	case r.URL.Path == "/v1.0/me/photos/48x48/$value" && s.photo != nil && r.Header.Get("Authorization") == "Bearer at-oidc":
		w.Header().Set("Content-Type", "image/png")
		w.Write(s.photo)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// set changes the provider's answers under its lock.
func (s *idp) set(f func(s *idp)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *idp) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// sign returns claims as a compact JWS signed with key under idpKeyID.
func sign(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: idpKeyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// idClaims are the claims of a valid ID token from issuer for client-1
// with nonce n-1; the changes are laid over them (a nil value deletes).
func idClaims(issuer string, changes map[string]any) map[string]any {
	c := map[string]any{
		"iss": issuer, "sub": "user-1", "aud": "client-1", "iat": testNow.Unix(), "exp": testNow.Add(10 * time.Minute).Unix(),
		"nonce": "n-1", "name": "Alice", "email": "Alice@Example.COM", "picture": "https://img.example.com/a.png",
	}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// oidcProvider is a generic OpenID Connect provider at s.
func (s *idp) provider(mut ...func(*providers.OAuth)) providers.OAuth {
	p := providers.OAuth{ID: "sso", Name: "SSO", Issuer: s.URL, ClientID: "client-1", ClientSecret: "secret-1"}
	for _, m := range mut {
		m(&p)
	}
	if err := p.Validate(); err != nil {
		s.t.Fatal(err)
	}
	return p
}

var callback = CallbackRequest{RedirectURI: "https://app.example.com/api/auth/callback/sso", Code: "c0de", CodeVerifier: "ver", Nonce: "n-1"}

func TestOIDCExchange(t *testing.T) {
	s := newIDP(t)
	s.set(func(s *idp) { s.claims = idClaims(s.URL, nil) })
	e := New(s.provider(), clock)

	// The first sign-in discovers the provider. Its request ends before
	// the ID token is verified; the keys are fetched then, with the
	// provider's client but without that request's cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	raw, err := e.AuthCodeURL(ctx, AuthRequest{RedirectURI: callback.RedirectURI, State: "st", CodeChallenge: "ch", Nonce: "n-1"})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if !strings.HasPrefix(raw, s.URL+"/authorize?") || q.Get("scope") != "openid profile email" || q.Get("nonce") != "n-1" ||
		q.Get("state") != "st" || q.Get("code_challenge") != "ch" || q.Get("client_id") != "client-1" || q.Has("response_mode") {
		t.Errorf("authorization URL %s", raw)
	}

	res, err := e.Exchange(context.Background(), callback)
	if err != nil {
		t.Fatal(err)
	}
	if want := (authjs.User{ID: "user-1", Name: "Alice", Email: "alice@example.com", Image: "https://img.example.com/a.png"}); *res.User != want {
		t.Errorf("user = %+v, want %+v", *res.User, want)
	}
	a := res.Account
	if a.Provider != "sso" || a.Type != authjs.TypeOIDC || a.ProviderAccountID != "user-1" || a.AccessToken != "at-oidc" ||
		a.RefreshToken != "rt-oidc" || a.TokenType != "Bearer" || a.Scope != "openid profile email" || a.SessionState != "ss-1" ||
		a.ExpiresAt == 0 || strings.Count(a.IDToken, ".") != 2 {
		t.Errorf("account = %+v", a)
	}
	if res.Profile["iss"] != s.URL || res.Profile["aud"] != "client-1" || res.Profile["nonce"] != "n-1" || res.Profile["email"] != "Alice@Example.COM" {
		t.Errorf("profile = %v", res.Profile)
	}
	s.mu.Lock()
	form, auth := s.forms[0], s.auths[0]
	s.mu.Unlock()
	if form.Get("code") != "c0de" || form.Get("code_verifier") != "ver" || form.Get("redirect_uri") != callback.RedirectURI ||
		form.Get("grant_type") != "authorization_code" || !strings.HasPrefix(auth, "Basic ") || form.Has("client_secret") {
		t.Errorf("token request: %v, %q", form, auth)
	}
	if n := s.count("/.well-known/openid-configuration"); n != 1 {
		t.Errorf("%d discoveries, want 1", n)
	}
	if n := s.count("/userinfo"); n != 0 {
		t.Errorf("userinfo fetched %d times without FetchUserInfo", n)
	}

	// A second sign-in reuses the discovery and the keys.
	if _, err := e.Exchange(context.Background(), callback); err != nil {
		t.Fatal(err)
	}
	if d, k := s.count("/.well-known/openid-configuration"), s.count("/jwks"); d != 1 || k != 1 {
		t.Errorf("%d discoveries and %d key fetches for two sign-ins, want 1 and 1", d, k)
	}

	// Refresh finds the token endpoint by discovery too.
	if tok, err := New(s.provider(), clock).Refresh(context.Background(), "rt-oidc"); err != nil || tok.AccessToken != "at-oidc-2" || tok.RefreshToken != "rt-oidc" {
		t.Errorf("refresh: %+v, %v", tok, err)
	}
}

// TestOIDCIDTokenChecks: the ID token must be signed by the provider's key,
// name the issuer and the client, be unexpired, and carry the nonce.
func TestOIDCIDTokenChecks(t *testing.T) {
	s := newIDP(t)
	tests := []struct {
		name    string
		changes map[string]any
		none    bool            // no id_token in the token response
		key     *rsa.PrivateKey // signs the token (default: the provider's)
		nonce   string          // expected nonce (default n-1; "-" for none)
		issuer  bool            // the failing check is the issuer's
		ok      bool
	}{
		{name: "valid", ok: true},
		{name: "wrong nonce", nonce: "n-2"},
		{name: "no nonce claim", changes: map[string]any{"nonce": nil}},
		{name: "nonce check off", nonce: "-", changes: map[string]any{"nonce": "whatever"}, ok: true},
		{name: "nonce prefix", changes: map[string]any{"nonce": "n-1x"}},
		{name: "no id_token", none: true},
		{name: "wrong audience", changes: map[string]any{"aud": "client-2"}},
		{name: "audience list with the client", changes: map[string]any{"aud": []string{"api", "client-1"}}, ok: true},
		{name: "expired", changes: map[string]any{"exp": testNow.Add(-time.Second).Unix()}},
		{name: "not yet valid", changes: map[string]any{"nbf": testNow.Add(time.Hour).Unix()}},
		{name: "another issuer", changes: map[string]any{"iss": "https://evil.example.com"}, issuer: true},
		{name: "issuer with a trailing slash", changes: map[string]any{"iss": s.URL + "/"}, issuer: true},
		{name: "signed by another key", key: otherKey()},
		{name: "no subject", changes: map[string]any{"sub": nil}},
		{name: "empty subject", changes: map[string]any{"sub": ""}},
	}
	for _, tt := range tests {
		for _, withVerify := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/VerifyIssuer=%v", tt.name, withVerify), func(t *testing.T) {
				s.set(func(s *idp) {
					s.claims = idClaims(s.URL, tt.changes)
					if tt.none {
						s.claims = nil
					}
					s.signer = idpKey()
					if tt.key != nil {
						s.signer = tt.key
					}
				})
				req := callback
				switch tt.nonce {
				case "":
				case "-":
					req.Nonce = ""
				default:
					req.Nonce = tt.nonce
				}
				var verified bool
				e := New(s.provider(func(p *providers.OAuth) {
					if withVerify {
						// VerifyIssuer runs only after the other checks
						// passed; here it compares iss as go-oidc does.
						p.VerifyIssuer = func(c map[string]any) error {
							verified = true
							if c["iss"] != s.URL {
								return fmt.Errorf("iss %v", c["iss"])
							}
							return nil
						}
					}
				}), clock)
				res, err := e.Exchange(context.Background(), req)
				if tt.ok {
					if err != nil || res.User.ID != "user-1" {
						t.Fatalf("Exchange = %+v, %v", res, err)
					}
					if verified != withVerify {
						t.Errorf("VerifyIssuer ran: %v", verified)
					}
					return
				}
				if !errors.Is(err, ErrIDToken) || res != nil {
					t.Fatalf("Exchange = %+v, %v; want ErrIDToken", res, err)
				}
				if tt.none && !strings.Contains(err.Error(), "no id_token") {
					t.Errorf("missing ID token reported as %q", err)
				}
				if verified != (withVerify && tt.issuer) {
					t.Errorf("VerifyIssuer ran: %v", verified)
				}
			})
		}
	}
}

// TestOIDCVerifyIssuer: VerifyIssuer replaces the issuer comparison for a
// multi-tenant endpoint; it sees the verified claims, and its error fails
// the exchange.
func TestOIDCVerifyIssuer(t *testing.T) {
	s := newIDP(t)
	issuer := s.URL + "/common"
	s.addIssuer(issuer, s.URL+"/{tenantid}", s.URL)
	var mu sync.Mutex
	var seen []map[string]any
	refuse := errors.New("tenant not allowed")
	p := s.provider(func(p *providers.OAuth) {
		p.Issuer = issuer
		p.VerifyIssuer = func(c map[string]any) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, maps.Clone(c))
			if c["iss"] != s.URL+"/"+fmt.Sprint(c["tid"]) {
				return refuse
			}
			return nil
		}
	})
	e := New(p, clock)

	s.set(func(s *idp) { s.claims = idClaims(s.URL+"/tenant-a", map[string]any{"tid": "tenant-a"}) })
	res, err := e.Exchange(context.Background(), callback)
	if err != nil {
		t.Fatal(err)
	}
	if res.User.ID != "user-1" || res.Profile["iss"] != s.URL+"/tenant-a" {
		t.Errorf("result %+v, profile %v", res.User, res.Profile)
	}
	mu.Lock()
	if len(seen) != 1 || seen[0]["iss"] != s.URL+"/tenant-a" || seen[0]["tid"] != "tenant-a" || seen[0]["sub"] != "user-1" || seen[0]["aud"] != "client-1" {
		t.Errorf("VerifyIssuer saw %v", seen)
	}
	mu.Unlock()

	s.set(func(s *idp) { s.claims = idClaims(s.URL+"/tenant-b", map[string]any{"tid": "tenant-a"}) })
	res, err = e.Exchange(context.Background(), callback)
	if !errors.Is(err, ErrIDToken) || !errors.Is(err, refuse) || res != nil {
		t.Errorf("refused issuer: %+v, %v", res, err)
	}
	mu.Lock()
	if len(seen) != 2 {
		t.Errorf("VerifyIssuer ran %d times, want 2", len(seen))
	}
	mu.Unlock()

	// The same provider without VerifyIssuer refuses the placeholder
	// document.
	p.VerifyIssuer = nil
	if _, err := New(p, clock).Exchange(context.Background(), callback); !errors.Is(err, providers.ErrDiscovery) {
		t.Errorf("placeholder document without VerifyIssuer: %v", err)
	}
}

// TestOIDCFetchUserInfo: FetchUserInfo merges the userinfo endpoint's
// claims over the ID token's, and refuses an answer about another subject.
func TestOIDCFetchUserInfo(t *testing.T) {
	s := newIDP(t)
	e := New(s.provider(func(p *providers.OAuth) { p.FetchUserInfo = true }), clock)
	tests := []struct {
		name     string
		claims   map[string]any // changes to the ID token
		userinfo map[string]any
		status   int
		ok       bool
	}{
		{name: "same subject", userinfo: map[string]any{"sub": "user-1", "email": "Alice.Work@Example.com", "groups": []any{"admins"}}, ok: true},
		{name: "another subject", userinfo: map[string]any{"sub": "user-2", "email": "mallory@example.com"}},
		{name: "no subject", userinfo: map[string]any{"email": "mallory@example.com"}},
		{name: "subject differing in case", userinfo: map[string]any{"sub": "USER-1"}},
		{name: "userinfo fails", userinfo: map[string]any{"sub": "user-1"}, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.set(func(s *idp) {
				s.claims = idClaims(s.URL, tt.claims)
				s.userinfo, s.userinfoStatus = tt.userinfo, 200
				if tt.status != 0 {
					s.userinfoStatus = tt.status
				}
			})
			before := s.count("/userinfo")
			res, err := e.Exchange(context.Background(), callback)
			if s.count("/userinfo") != before+1 {
				t.Errorf("userinfo fetched %d times, want 1", s.count("/userinfo")-before)
			}
			if !tt.ok {
				if !errors.Is(err, ErrUserInfo) || res != nil {
					t.Fatalf("Exchange = %+v, %v; want ErrUserInfo", res, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.User.ID != "user-1" || res.User.Email != "alice.work@example.com" || res.User.Name != "Alice" {
				t.Errorf("user = %+v", *res.User)
			}
			if g, ok := res.Profile["groups"].([]any); !ok || len(g) != 1 || g[0] != "admins" || res.Profile["iss"] != s.URL {
				t.Errorf("profile = %v", res.Profile)
			}
		})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.userinfoAuth {
		if a != "Bearer at-oidc" {
			t.Errorf("userinfo authorization %q", a)
		}
	}
}

// TestOIDCUserInfoMerged: an OpenID Connect provider's UserInfo function
// adds to the ID token's claims (after the userinfo endpoint's), and its
// error fails the sign-in.
func TestOIDCUserInfoMerged(t *testing.T) {
	s := newIDP(t)
	s.set(func(s *idp) {
		s.claims = idClaims(s.URL, map[string]any{"name": "From ID token"})
		s.userinfo = map[string]any{"sub": "user-1", "name": "From userinfo", "locale": "de"}
	})
	var gotTokens *providers.Tokens
	var gotClient *http.Client
	var fail error
	var mu sync.Mutex
	p := s.provider(func(p *providers.OAuth) {
		p.FetchUserInfo = true
		p.UserInfo = func(_ context.Context, c *http.Client, tok *providers.Tokens) (map[string]any, error) {
			mu.Lock()
			defer mu.Unlock()
			gotTokens, gotClient = tok, c
			if fail != nil {
				return nil, fail
			}
			return map[string]any{"name": "From UserInfo", "picture": "data:image/png;base64,AAAA"}, nil
		}
	})
	e := New(p, clock)
	res, err := e.Exchange(context.Background(), callback)
	if err != nil {
		t.Fatal(err)
	}
	want := authjs.User{ID: "user-1", Name: "From UserInfo", Email: "alice@example.com", Image: "data:image/png;base64,AAAA"}
	if *res.User != want {
		t.Errorf("user = %+v, want %+v", *res.User, want)
	}
	if res.Profile["locale"] != "de" || res.Profile["iss"] != s.URL || res.Profile["sub"] != "user-1" {
		t.Errorf("profile = %v", res.Profile)
	}
	mu.Lock()
	if gotTokens == nil || gotTokens.AccessToken != "at-oidc" || gotTokens.IDToken != res.Account.IDToken || gotClient != e.client {
		t.Errorf("UserInfo got tokens %+v", gotTokens)
	}
	fail = errors.New("graph is down")
	mu.Unlock()
	if _, err := e.Exchange(context.Background(), callback); !errors.Is(err, ErrUserInfo) || !errors.Is(err, fail) {
		t.Errorf("UserInfo error: %v", err)
	}

	// Without FetchUserInfo, the UserInfo function alone adds to the
	// claims, and the userinfo endpoint is not asked.
	p.FetchUserInfo = false
	mu.Lock()
	fail = nil
	mu.Unlock()
	before := s.count("/userinfo")
	res, err = New(p, clock).Exchange(context.Background(), callback)
	if err != nil || res.User.Name != "From UserInfo" || res.Profile["locale"] != nil || s.count("/userinfo") != before {
		t.Errorf("UserInfo without FetchUserInfo: %+v, %v", res, err)
	}
}

// TestOIDCDiscoveryFailure: an OpenID Connect exchange whose discovery
// fails reports ErrDiscovery, before any token request.
func TestOIDCDiscoveryFailure(t *testing.T) {
	s := newIDP(t)
	p := s.provider(func(p *providers.OAuth) { p.Issuer = s.URL + "/nowhere" })
	if _, err := New(p, clock).Exchange(context.Background(), callback); !errors.Is(err, providers.ErrDiscovery) {
		t.Errorf("Exchange = %v, want ErrDiscovery", err)
	}
	// With both endpoints configured the code is redeemed, but the ID
	// token still needs the provider's keys, found by discovery.
	p.AuthURL, p.TokenURL = s.URL+"/authorize", s.URL+"/token"
	s.set(func(s *idp) { s.claims = idClaims(s.URL+"/nowhere", nil) })
	if _, err := New(p, clock).Exchange(context.Background(), callback); !errors.Is(err, providers.ErrDiscovery) {
		t.Errorf("Exchange with configured endpoints = %v, want ErrDiscovery", err)
	}
	if n := s.count("/token"); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

// TestOIDCUserInfoURL: a configured UserInfoURL replaces the discovered
// userinfo endpoint, with the same subject check.
func TestOIDCUserInfoURL(t *testing.T) {
	s := newIDP(t)
	e := New(s.provider(func(p *providers.OAuth) { p.FetchUserInfo, p.UserInfoURL = true, s.URL+"/custom-userinfo" }), clock)
	for _, tt := range []struct {
		sub string
		ok  bool
	}{{"user-1", true}, {"user-2", false}} {
		s.set(func(s *idp) {
			s.claims = idClaims(s.URL, nil)
			s.userinfo = map[string]any{"sub": tt.sub, "groups": []any{"ops"}}
		})
		res, err := e.Exchange(context.Background(), callback)
		if tt.ok && (err != nil || res.Profile["groups"] == nil) {
			t.Errorf("same subject: %v %v", res, err)
		}
		if !tt.ok && !errors.Is(err, ErrUserInfo) {
			t.Errorf("another subject: %v", err)
		}
	}
	if s.count("/custom-userinfo") != 2 || s.count("/userinfo") != 0 {
		t.Errorf("custom endpoint asked %d times, discovered one %d times", s.count("/custom-userinfo"), s.count("/userinfo"))
	}
}

// TestOIDCRefreshedIDToken: an ID token returned by a refresh is verified,
// and replaces the stored one only when it is about the same subject.
func TestOIDCRefreshedIDToken(t *testing.T) {
	s := newIDP(t)
	e := New(s.provider(), clock)
	stored := sign(t, idpKey(), idClaims(s.URL, nil))
	for _, tt := range []struct {
		name   string
		claims map[string]any
		key    *rsa.PrivateKey
		err    error
	}{
		{"same subject", idClaims(s.URL, map[string]any{"nonce": nil}), idpKey(), nil},
		{"another subject", idClaims(s.URL, map[string]any{"nonce": nil, "sub": "user-2"}), idpKey(), ErrIDToken},
		{"forged", idClaims(s.URL, map[string]any{"nonce": nil}), otherKey(), ErrIDToken},
		{"for another client", idClaims(s.URL, map[string]any{"nonce": nil, "aud": "client-2"}), idpKey(), ErrIDToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.set(func(s *idp) { s.refreshClaims, s.signer = tt.claims, tt.key })
			defer s.set(func(s *idp) { s.signer = idpKey() })
			claims := authjs.Claims{"access_token": "at-oidc", "refresh_token": "rt-oidc", "expires_at": float64(testNow.Unix()), "id_token": stored}
			did, err := e.RefreshClaims(context.Background(), claims, testNow, time.Minute)
			if !errors.Is(err, tt.err) || (err == nil) != did {
				t.Fatalf("RefreshClaims = %v, %v; want %v", did, err, tt.err)
			}
			if err != nil && (claims["id_token"] != stored || claims["access_token"] != "at-oidc") {
				t.Errorf("a refused refresh changed the claims: %v", claims)
			}
			if err == nil && (claims["id_token"] == stored || claims["access_token"] != "at-oidc-2") {
				t.Errorf("the refreshed tokens were not stored: %v", claims)
			}
		})
	}
}

// TestDiscoveredEndpointsChecked: a discovery document naming an endpoint
// that is not an absolute http(s) URL without userinfo fails discovery.
func TestDiscoveredEndpointsChecked(t *testing.T) {
	for _, bad := range []string{"ftp://sso.example.com/authorize", "https:///authorize", "https://user:pw@sso.example.com/authorize", "/authorize", "javascript:alert(1)"} {
		t.Run(bad, func(t *testing.T) {
			s := newIDP(t)
			s.set(func(s *idp) {
				for _, doc := range s.docs {
					doc["authorization_endpoint"] = bad
				}
			})
			_, err := New(s.provider(), clock).AuthCodeURL(context.Background(), AuthRequest{RedirectURI: "https://app.example.com/cb", State: "s"})
			if !errors.Is(err, providers.ErrDiscovery) {
				t.Errorf("AuthCodeURL: %v, want ErrDiscovery", err)
			}
		})
	}
}

// TestOIDCEndpointOverrides: an OpenID provider with one endpoint set
// still discovers the other; with both set it needs discovery only for its
// keys.
func TestOIDCEndpointOverrides(t *testing.T) {
	s := newIDP(t)
	s.set(func(s *idp) { s.claims = idClaims(s.URL, nil) })
	for _, tc := range []struct {
		name          string
		auth, token   string
		wantAuthorize string
	}{
		{"authorization endpoint only", "https://login.example.com/authorize", "", "https://login.example.com/authorize"},
		{"token endpoint only", "", s.URL + "/token", s.URL + "/authorize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(s.provider(func(p *providers.OAuth) { p.AuthURL, p.TokenURL = tc.auth, tc.token }), clock)
			raw, err := e.AuthCodeURL(context.Background(), AuthRequest{RedirectURI: "https://app.example.com/cb", State: "s"})
			if err != nil || !strings.HasPrefix(raw, tc.wantAuthorize+"?") {
				t.Fatalf("AuthCodeURL = %q, %v", raw, err)
			}
			if res, err := e.Exchange(context.Background(), callback); err != nil || res.User.ID != "user-1" {
				t.Fatalf("Exchange: %v, %v", res, err)
			}
		})
	}
}

// TestOIDCRefreshFirstIDToken: a refresh that brings an ID token to claims
// that had none succeeds, and does not add it.
func TestOIDCRefreshFirstIDToken(t *testing.T) {
	s := newIDP(t)
	e := New(s.provider(), clock)
	s.set(func(s *idp) { s.refreshClaims = idClaims(s.URL, map[string]any{"nonce": nil}) })
	claims := authjs.Claims{"access_token": "at-oidc", "refresh_token": "rt-oidc", "expires_at": float64(testNow.Unix())}
	did, err := e.RefreshClaims(context.Background(), claims, testNow, time.Minute)
	if err != nil || !did || claims["access_token"] != "at-oidc-2" {
		t.Fatalf("RefreshClaims = %v, %v: %v", did, err, claims)
	}
	if _, ok := claims["id_token"]; ok {
		t.Error("the refresh added an id_token the claims did not keep")
	}
}
