package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/providertest"
	"github.com/ginauth/ginauth/providers"
)

// The presets run by the engine: the authorization URLs they produce and
// full exchanges against loopback servers that play the providers' hosts.

// noNetwork is a client that refuses every request.
var noNetwork = providertest.Offline()

// authRequest is the authorization request the sign-in endpoint makes for
// the checks in use.
func authRequest(id string, checks providers.Checks) AuthRequest {
	req := AuthRequest{RedirectURI: "https://app.example.com/api/auth/callback/" + id}
	if checks&providers.CheckState != 0 {
		req.State = "st"
	}
	if checks&providers.CheckPKCE != 0 {
		req.CodeChallenge = "cc"
	}
	if checks&providers.CheckNonce != 0 {
		req.Nonce = "n-1"
	}
	return req
}

// checkAuthorizationURL builds a preset's authorization URL and checks its
// endpoint and parameters.
func checkAuthorizationURL(t *testing.T, e *Engine, authURL, scope string, extra url.Values) {
	t.Helper()
	checks := e.Checks()
	raw, err := e.AuthCodeURL(context.Background(), authRequest(e.ID(), checks))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := url.Parse(authURL)
	if u.Scheme != "https" || u.Host != want.Host || u.Path != want.Path {
		t.Errorf("authorization endpoint = %s://%s%s, want %s", u.Scheme, u.Host, u.Path, authURL)
	}
	wantQ := url.Values{
		"client_id": {"client-1"}, "response_type": {"code"}, "scope": {scope},
		"redirect_uri": {"https://app.example.com/api/auth/callback/" + e.ID()},
	}
	if checks&providers.CheckState != 0 {
		wantQ.Set("state", "st")
	}
	if checks&providers.CheckPKCE != 0 {
		wantQ.Set("code_challenge", "cc")
		wantQ.Set("code_challenge_method", "S256")
	}
	if checks&providers.CheckNonce != 0 {
		wantQ.Set("nonce", "n-1")
	}
	for k, v := range extra {
		wantQ[k] = v
	}
	if q := u.Query(); !reflect.DeepEqual(q, wantQ) {
		t.Errorf("query:\n got %v\nwant %v", q, wantQ)
	}
}

const (
	ps  = providers.CheckPKCE | providers.CheckState
	psn = providers.CheckPKCE | providers.CheckState | providers.CheckNonce
	sn  = providers.CheckState | providers.CheckNonce
)

// TestOAuth2PresetAuthorizationURLs: building an OAuth 2.0 preset's
// authorization URL needs no network.
func TestOAuth2PresetAuthorizationURLs(t *testing.T) {
	reg := providers.OAuth{ClientID: "client-1", ClientSecret: "client-secret", HTTPClient: noNetwork}
	for _, tt := range []struct {
		p       providers.OAuth
		authURL string
		scope   string
		checks  providers.Checks
	}{
		{providers.GitHub(reg), "https://github.com/login/oauth/authorize", "read:user user:email", ps},
		{providers.GitLab(reg), "https://gitlab.com/oauth/authorize", "read_user", ps},
		{providers.Discord(reg), "https://discord.com/api/oauth2/authorize", "identify email", ps},
		{providers.Facebook(reg), "https://www.facebook.com/v19.0/dialog/oauth", "email", ps},
		{providers.Spotify(reg), "https://accounts.spotify.com/authorize", "user-read-email", ps},
		{providers.Twitter(reg), "https://x.com/i/oauth2/authorize", "users.read tweet.read offline.access", ps},
		{providers.Bitbucket(reg), "https://bitbucket.org/site/oauth2/authorize", "account", providers.CheckState},
		{providers.Reddit(reg), "https://www.reddit.com/api/v1/authorize", "identity", providers.CheckState},
	} {
		t.Run(tt.p.ID, func(t *testing.T) {
			if err := tt.p.Validate(); err != nil {
				t.Fatal(err)
			}
			e := New(tt.p, nil)
			if e.Checks() != tt.checks {
				t.Errorf("checks = %v, want %v", e.Checks(), tt.checks)
			}
			if e.FormPost() {
				t.Error("form_post")
			}
			checkAuthorizationURL(t, e, tt.authURL, tt.scope, nil)
		})
	}
}

// TestOIDCPresets runs every OpenID Connect preset against the loopback
// OpenID provider playing its issuer's host: discovery, the authorization
// URL, the token request with the preset's client authentication, and the
// ID token's verification and mapping.
func TestOIDCPresets(t *testing.T) {
	const tid = "9122040d-6c67-4c5b-b112-36a304b66dad"
	s := newIDP(t)
	photo := []byte("\x89PNG a tiny png")
	s.set(func(s *idp) { s.photo = photo })
	alice := authjs.User{ID: "user-1", Name: "Alice", Email: "alice@example.com", Image: "https://img.example.com/a.png"}
	tests := []struct {
		preset     func(providers.OAuth) providers.OAuth
		issuer     string // given to the preset
		discovered string // the preset's issuer, found by discovery
		docIssuer  string // the issuer the discovery document names (default discovered)
		tokenIss   string // the ID token's iss (default discovered)
		claims     map[string]any
		scope      string
		checks     providers.Checks
		post       bool // client_secret_post
		extra      url.Values
		user       authjs.User
	}{
		{preset: providers.Google, discovered: "https://accounts.google.com", scope: "openid profile email", checks: psn, user: alice},
		{preset: providers.Apple, discovered: "https://appleid.apple.com", scope: "name email", checks: sn, post: true,
			extra: url.Values{"response_mode": {"form_post"}}, user: alice},
		{preset: providers.LinkedIn, discovered: "https://www.linkedin.com/oauth", scope: "openid profile email",
			checks: providers.CheckState, post: true, user: alice},
		{preset: providers.Slack, discovered: "https://slack.com", scope: "openid profile email", checks: sn, user: alice},
		{preset: providers.Twitch, discovered: "https://id.twitch.tv/oauth2", scope: "openid user:read:email", checks: sn, post: true,
			extra:  url.Values{"claims": {`{"id_token":{"email":null,"picture":null,"preferred_username":null}}`}},
			claims: map[string]any{"name": nil, "preferred_username": "TwitchDev"},
			user:   authjs.User{ID: "user-1", Name: "TwitchDev", Email: "alice@example.com", Image: "https://img.example.com/a.png"}},
		{preset: providers.Auth0, issuer: "https://example.eu.auth0.com", discovered: "https://example.eu.auth0.com/",
			scope: "openid profile email", checks: psn, user: alice},
		{preset: providers.Okta, issuer: "https://example.okta.com/oauth2/default/", discovered: "https://example.okta.com/oauth2/default",
			scope: "openid profile email", checks: psn, user: alice},
		{preset: providers.Keycloak, issuer: "https://kc.example.com/realms/main", discovered: "https://kc.example.com/realms/main",
			scope: "openid profile email", checks: psn, user: alice},
		{preset: providers.Authentik, issuer: "https://auth.example.com/application/o/my-app", discovered: "https://auth.example.com/application/o/my-app/",
			scope: "openid profile email", checks: psn, user: alice},
		{preset: providers.Zitadel, issuer: "https://example-abc123.zitadel.cloud", discovered: "https://example-abc123.zitadel.cloud",
			scope: "openid profile email", checks: psn, user: alice},
		{preset: providers.Cognito, issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
			discovered: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123", scope: "openid profile email", checks: psn, user: alice},
		// Entra's common endpoint: the document names a placeholder, the
		// token its user's tenant; the photo comes from Microsoft Graph.
		{preset: providers.MicrosoftEntraID, discovered: "https://login.microsoftonline.com/common/v2.0",
			docIssuer: "https://login.microsoftonline.com/{tenantid}/v2.0", tokenIss: "https://login.microsoftonline.com/" + tid + "/v2.0",
			claims: map[string]any{"tid": tid}, scope: "openid profile email User.Read", checks: psn,
			user: authjs.User{ID: "user-1", Name: "Alice", Email: "alice@example.com", Image: "data:image/png;base64," + base64.StdEncoding.EncodeToString(photo)}},
		// A single tenant: the document and the token name it.
		{preset: providers.MicrosoftEntraID, issuer: tid, discovered: "https://login.microsoftonline.com/" + tid + "/v2.0",
			scope: "openid profile email User.Read", checks: psn,
			user: authjs.User{ID: "user-1", Name: "Alice", Email: "alice@example.com", Image: "data:image/png;base64," + base64.StdEncoding.EncodeToString(photo)}},
	}
	for _, tt := range tests {
		iss, _ := url.Parse(tt.discovered)
		t.Run(iss.Host+iss.Path, func(t *testing.T) {
			base := "https://" + iss.Host
			s.addIssuer(tt.discovered, cmpOr(tt.docIssuer, tt.discovered), base)
			client := providertest.RoutedClient(t, s.Server, iss.Host, "graph.microsoft.com")
			p := tt.preset(providers.OAuth{ClientID: "client-1", ClientSecret: "client-secret", Issuer: tt.issuer, HTTPClient: client})
			if p.Issuer != tt.discovered {
				t.Fatalf("issuer = %q, want %q", p.Issuer, tt.discovered)
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			e := New(p, clock)
			if e.Checks() != tt.checks {
				t.Errorf("checks = %v, want %v", e.Checks(), tt.checks)
			}
			if e.FormPost() != (tt.extra.Get("response_mode") == "form_post") {
				t.Errorf("FormPost() = %v", e.FormPost())
			}
			checkAuthorizationURL(t, e, base+"/authorize", tt.scope, tt.extra)

			s.set(func(s *idp) { s.claims = idClaims(cmpOr(tt.tokenIss, tt.discovered), tt.claims) })
			s.mu.Lock()
			nforms := len(s.forms)
			s.mu.Unlock()
			req := callback
			req.RedirectURI = "https://app.example.com/api/auth/callback/" + e.ID()
			if tt.checks&providers.CheckNonce == 0 {
				req.Nonce = ""
			}
			if tt.checks&providers.CheckPKCE == 0 {
				req.CodeVerifier = ""
			}
			res, err := e.Exchange(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if *res.User != tt.user {
				t.Errorf("user = %+v\nwant   %+v", *res.User, tt.user)
			}
			if res.Account.Provider != p.ID || res.Account.Type != authjs.TypeOIDC || res.Account.ProviderAccountID != "user-1" {
				t.Errorf("account = %+v", res.Account)
			}
			s.mu.Lock()
			form, auth := s.forms[nforms], s.auths[nforms]
			s.mu.Unlock()
			if tt.post {
				if auth != "" || form.Get("client_id") != "client-1" || form.Get("client_secret") != "client-secret" {
					t.Errorf("client_secret_post: %q, %v", auth, form)
				}
			} else if !strings.HasPrefix(auth, "Basic ") || form.Has("client_secret") {
				t.Errorf("client_secret_basic: %q, %v", auth, form)
			}
			if form.Has("code_verifier") != (tt.checks&providers.CheckPKCE != 0) {
				t.Errorf("code_verifier sent: %v", form.Has("code_verifier"))
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestEntraTenantCheck: Entra's multi-tenant forms accept a token only
// from its own tenant; a single-tenant issuer accepts only its own.
func TestEntraTenantCheck(t *testing.T) {
	const (
		tid   = "9122040d-6c67-4c5b-b112-36a304b66dad"
		other = "00000000-0000-0000-0000-000000000001"
	)
	s := newIDP(t)
	s.addIssuer("https://login.microsoftonline.com/organizations/v2.0", "https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com")
	s.addIssuer("https://login.microsoftonline.com/"+tid+"/v2.0", "https://login.microsoftonline.com/"+tid+"/v2.0", "https://login.microsoftonline.com")
	client := providertest.RoutedClient(t, s.Server, "login.microsoftonline.com", "graph.microsoft.com")
	tenantIss := func(tid string) string { return "https://login.microsoftonline.com/" + tid + "/v2.0" }
	for _, tt := range []struct {
		name, issuer string
		claims       map[string]any
		ok           bool
	}{
		{"own tenant", "organizations", idClaims(tenantIss(tid), map[string]any{"tid": tid}), true},
		{"issuer of another tenant", "organizations", idClaims(tenantIss(other), map[string]any{"tid": tid}), false},
		{"no tenant claim", "organizations", idClaims(tenantIss(tid), nil), false},
		{"placeholder issuer", "organizations", idClaims("https://login.microsoftonline.com/{tenantid}/v2.0", map[string]any{"tid": tid}), false},
		{"single tenant", tid, idClaims(tenantIss(tid), map[string]any{"tid": tid}), true},
		{"single tenant, another tenant's token", tid, idClaims(tenantIss(other), map[string]any{"tid": other}), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.set(func(s *idp) { s.claims = tt.claims })
			p := providers.MicrosoftEntraID(providers.OAuth{ClientID: "client-1", ClientSecret: "s", Issuer: tt.issuer, HTTPClient: client})
			res, err := New(p, clock).Exchange(context.Background(), callback)
			if tt.ok {
				if err != nil || res.User.ID != "user-1" {
					t.Errorf("Exchange = %+v, %v", res, err)
				}
				return
			}
			if !errors.Is(err, ErrIDToken) {
				t.Errorf("Exchange = %+v, %v; want ErrIDToken", res, err)
			}
		})
	}
}

// githubEngine runs the GitHub preset against a fake GitHub.
func githubEngine(t *testing.T, gs *providertest.GitHub) *Engine {
	p := providers.GitHub(providers.OAuth{ClientID: "client-id", ClientSecret: "client-secret",
		HTTPClient: providertest.RoutedClient(t, gs.Server, "github.com", "api.github.com")})
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(p, nil)
}

// TestGitHubEmailFallback runs whole GitHub sign-ins; the email is
// lower-cased as Auth.js does.
func TestGitHubEmailFallback(t *testing.T) {
	for _, tt := range providertest.EmailCases {
		t.Run(tt.Name, func(t *testing.T) {
			gs := providertest.NewGitHub(t)
			gs.Set(tt.User, 0, tt.Emails)
			res, err := githubEngine(t, gs).Exchange(context.Background(), CallbackRequest{
				RedirectURI: "https://app.example.com/api/auth/callback/github", Code: "code-1", CodeVerifier: "v"})
			if err != nil {
				t.Fatal(err)
			}
			if res.User.ID != "583231" || res.User.Email != strings.ToLower(tt.Email) {
				t.Errorf("user = %+v, want id 583231 and email %q", *res.User, strings.ToLower(tt.Email))
			}
			if res.Account.Provider != "github" || res.Account.ProviderAccountID != "583231" || res.Account.AccessToken != "gho_token" ||
				res.Account.Type != authjs.TypeOAuth {
				t.Errorf("account = %+v", *res.Account)
			}
			want := []string{"github.com POST /login/oauth/access_token", "api.github.com GET /user"}
			if tt.AsksEmails {
				want = append(want, "api.github.com GET /user/emails")
			}
			if got := gs.Requests(); !reflect.DeepEqual(got, want) {
				t.Errorf("requests = %q, want %q", got, want)
			}
		})
	}
}

func TestGitHubUserError(t *testing.T) {
	gs := providertest.NewGitHub(t)
	gs.Set(`{"message":"Bad credentials"}`, http.StatusUnauthorized, "")
	_, err := githubEngine(t, gs).Exchange(context.Background(), CallbackRequest{RedirectURI: "https://app.example.com/api/auth/callback/github", Code: "c"})
	if !errors.Is(err, ErrUserInfo) {
		t.Fatalf("err = %v, want ErrUserInfo", err)
	}
}

// TestGitHubEmailsBroken: an /user/emails answer that is not a refusal but
// cannot be read fails the sign-in instead of dropping the email silently.
func TestGitHubEmailsBroken(t *testing.T) {
	gs := providertest.NewGitHub(t)
	gs.Set(`{"login":"octocat","id":583231,"email":null}`, 0, `[{"email":`)
	_, err := githubEngine(t, gs).Exchange(context.Background(), CallbackRequest{RedirectURI: "https://app.example.com/api/auth/callback/github", Code: "c"})
	if !errors.Is(err, ErrUserInfo) {
		t.Fatalf("err = %v, want ErrUserInfo", err)
	}
}
