package providers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/ginauth/ginauth/internal/core"
)

// Account is the provider account a user signed in with, as the JWT
// callback receives it.
type Account = core.Account

// The checks an OAuth provider can use, as Auth.js names them. Each is a
// random value kept in an encrypted, short-lived cookie between the
// redirect to the provider and the callback.
const (
	// CheckPKCE sends an S256 code challenge and proves it with the
	// verifier at the token endpoint (RFC 7636).
	CheckPKCE = "pkce"
	// CheckState sends a state parameter the callback must repeat.
	CheckState = "state"
	// CheckNonce sends a nonce the ID token must carry (OpenID Connect).
	CheckNonce = "nonce"
	// CheckNone turns every check off, for providers that support none.
	CheckNone = "none"
)

// ClientAuth is how the client authenticates at the token endpoint.
type ClientAuth int

const (
	// ClientSecretBasic sends the client id and secret in an HTTP Basic
	// Authorization header (the default, as in Auth.js).
	ClientSecretBasic ClientAuth = iota
	// ClientSecretPost sends them as client_id and client_secret form fields.
	ClientSecretPost
)

// Defaults for outbound calls to providers.
const (
	// DefaultHTTPTimeout bounds every call to a provider when no HTTPClient
	// is given.
	DefaultHTTPTimeout = 10 * time.Second
	// MaxResponseBytes bounds the body ginauth reads from a provider.
	MaxResponseBytes = 1 << 20
)

// Errors of the OAuth engine, for errors.Is.
var (
	// ErrProviderError reports a callback carrying ?error= from the
	// provider, such as a user who refused consent; see *CallbackError.
	ErrProviderError = errors.New("providers: the provider returned an error")
	// ErrTokenEndpoint reports a token endpoint that refused a request; see
	// *TokenError.
	ErrTokenEndpoint = errors.New("providers: the token endpoint refused the request")
	// ErrIDToken reports a missing or invalid ID token (signature, issuer,
	// audience, expiry or nonce).
	ErrIDToken = errors.New("providers: invalid ID token")
	// ErrDiscovery reports that the issuer's OpenID configuration could not
	// be fetched or is invalid.
	ErrDiscovery = errors.New("providers: OpenID Connect discovery failed")
	// ErrUserInfo reports a failed or unreadable profile request.
	ErrUserInfo = errors.New("providers: fetching the user's profile failed")
	// ErrProfile reports a profile the provider's mapping could not use.
	ErrProfile = errors.New("providers: unusable profile")
	// ErrNoRefreshToken reports a refresh attempted without a refresh token.
	ErrNoRefreshToken = errors.New("providers: no refresh token")
)

// TokenError is a token endpoint's refusal, with the RFC 6749 section 5.2
// fields. It matches ErrTokenEndpoint.
type TokenError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the "error" field, such as "invalid_grant".
	Code string
	// Description and URI are "error_description" and "error_uri".
	Description string
	URI         string
	err         error
}

// Error describes the refusal without the request's secrets.
func (e *TokenError) Error() string {
	s := fmt.Sprintf("providers: token endpoint answered %d", e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	if e.Code == "" && e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

// Is makes a TokenError match ErrTokenEndpoint.
func (e *TokenError) Is(target error) bool { return target == ErrTokenEndpoint }

// Unwrap returns the transport or decoding error behind a TokenError
// without an RFC 6749 body.
func (e *TokenError) Unwrap() error { return e.err }

// CallbackError is the error a provider sent back to the callback
// (?error=access_denied&error_description=...). It matches ErrProviderError.
type CallbackError struct {
	Code        string
	Description string
	URI         string
}

// Error names the provider's error code and description.
func (e *CallbackError) Error() string {
	s := "providers: the provider returned " + strconv.Quote(e.Code)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is makes a CallbackError match ErrProviderError.
func (e *CallbackError) Is(target error) bool { return target == ErrProviderError }

// Tokens are the tokens a provider issued.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	IDToken      string
	Scope        string
	// ExpiresAt is the access token's expiry in Unix seconds (0: unknown).
	ExpiresAt int64
	// Extra returns another field of the token response.
	Extra func(key string) any
}

// ProfileFunc maps a provider's profile (the ID token's claims, or the
// userinfo response) to a User. An empty User.ID is an error.
type ProfileFunc func(ctx context.Context, profile map[string]any, tokens *Tokens) (*User, error)

// UserInfoFunc fetches the profile of the signed-in user for OAuth 2.0
// providers whose profile needs more than one GET, such as GitHub's
// private email addresses. client is bounded and carries the timeout.
type UserInfoFunc func(ctx context.Context, client *http.Client, tokens *Tokens) (map[string]any, error)

// OAuth2Config declares an OAuth 2.0 provider by its endpoints.
type OAuth2Config struct {
	// ID is the provider's URL segment; Name is shown on the sign-in page.
	ID, Name string
	// ClientID and ClientSecret are the client's registration.
	ClientID, ClientSecret string
	// AuthURL, TokenURL and UserInfoURL are the provider's endpoints.
	// UserInfoURL is not needed when UserInfo is set.
	AuthURL, TokenURL, UserInfoURL string
	// Scopes are requested in the authorization request.
	Scopes []string
	// AuthorizationParams are added to the authorization request. A
	// sign-in request's query (?prompt=consent&login_hint=...) overrides them.
	AuthorizationParams map[string]string
	// Checks are the checks to run (CheckPKCE, CheckState, CheckNonce,
	// CheckNone); nil uses the mode's default, as Auth.js does: PKCE in v5,
	// state in v4.
	Checks []string
	// ClientAuth is the token endpoint authentication (default
	// ClientSecretBasic).
	ClientAuth ClientAuth
	// Profile maps the profile to a User (default: DefaultProfile).
	Profile ProfileFunc
	// UserInfo replaces the GET of UserInfoURL.
	UserInfo UserInfoFunc
	// HTTPClient makes every call to the provider (default: a client with
	// DefaultHTTPTimeout). Response bodies are bounded to MaxResponseBytes.
	HTTPClient *http.Client
}

// OIDCConfig declares an OpenID Connect provider found by discovery at
// Issuer + "/.well-known/openid-configuration".
type OIDCConfig struct {
	// ID is the provider's URL segment; Name is shown on the sign-in page.
	ID, Name string
	// Issuer is the issuer URL exactly as the provider's discovery document
	// and ID tokens spell it ("iss"), trailing slash included when it has one.
	Issuer string
	// ClientID and ClientSecret are the client's registration.
	ClientID, ClientSecret string
	// Scopes default to openid, profile and email.
	Scopes []string
	// AuthorizationParams are added to the authorization request; a
	// sign-in request's query overrides them.
	AuthorizationParams map[string]string
	// Checks are the checks to run; nil uses the mode's default as Auth.js
	// does (PKCE in v5, state in v4). Set all three for the strongest
	// protection.
	Checks []string
	// ClientAuth is the token endpoint authentication.
	ClientAuth ClientAuth
	// UserInfo also fetches the userinfo endpoint and merges its claims
	// over the ID token's (for providers whose ID token is thin).
	UserInfo bool
	// Profile maps the claims to a User (default: DefaultProfile).
	Profile ProfileFunc
	// HTTPClient makes every call to the provider, discovery and keys
	// included.
	HTTPClient *http.Client
	// SkipIssuerCheck accepts an ID token whose "iss" differs from Issuer,
	// for multi-tenant endpoints whose discovery document names a
	// placeholder issuer. The signature, audience, expiry and nonce are
	// still checked.
	SkipIssuerCheck bool
	// ResponseMode "form_post" asks the provider to POST the callback.
	ResponseMode string
}

// OAuthConfig is what a provider preset takes: the client's registration,
// the issuer for issuer-based presets, and optional overrides.
type OAuthConfig struct {
	// ClientID and ClientSecret are the client's registration.
	ClientID, ClientSecret string
	// Issuer is the issuer URL of issuer-based presets (Auth0, Okta,
	// Keycloak, ...), such as "https://example.eu.auth0.com".
	Issuer string
	// ID and Name override the preset's.
	ID, Name string
	// Scopes replace the preset's scopes.
	Scopes []string
	// AuthorizationParams are merged over the preset's.
	AuthorizationParams map[string]string
	// Checks replace the preset's.
	Checks []string
	// Profile replaces the preset's mapping.
	Profile ProfileFunc
	// HTTPClient makes every call to the provider.
	HTTPClient *http.Client
}

// OAuth is an OAuth 2.0 or OpenID Connect provider, built by OAuth2, OIDC or
// a preset. The handlers drive it; applications use Refresh.
type OAuth struct {
	id, name, typ          string
	clientID, clientSecret string
	issuer                 string
	authURL, tokenURL      string
	userInfoURL            string
	scopes                 []string
	params                 map[string]string
	checks                 []string
	clientAuth             ClientAuth
	profile                ProfileFunc
	userInfo               UserInfoFunc
	fetchUserInfo          bool
	skipIssuerCheck        bool
	responseMode           string
	client                 *http.Client
	now                    func() time.Time

	mu        sync.Mutex
	discovery *oidc.Provider
	endpoint  discoveryEndpoints

	discovering singleflight.Group
	refresh     singleflight.Group
}

type discoveryEndpoints struct {
	AuthURL     string `json:"authorization_endpoint"`
	TokenURL    string `json:"token_endpoint"`
	UserInfoURL string `json:"userinfo_endpoint"`
}

// OAuth2 returns a generic OAuth 2.0 provider.
func OAuth2(cfg OAuth2Config) *OAuth {
	return &OAuth{
		id: cfg.ID, name: cfg.Name, typ: TypeOAuth,
		clientID: cfg.ClientID, clientSecret: cfg.ClientSecret,
		authURL: cfg.AuthURL, tokenURL: cfg.TokenURL, userInfoURL: cfg.UserInfoURL,
		scopes: cfg.Scopes, params: cfg.AuthorizationParams, checks: cfg.Checks,
		clientAuth: cfg.ClientAuth, profile: cfg.Profile, userInfo: cfg.UserInfo,
		client: boundedClient(cfg.HTTPClient), now: time.Now,
	}
}

// OIDC returns a generic OpenID Connect provider. Discovery runs on the
// first sign-in (and again after a failure), not here.
func OIDC(cfg OIDCConfig) *OAuth {
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	return &OAuth{
		id: cfg.ID, name: cfg.Name, typ: TypeOIDC,
		clientID: cfg.ClientID, clientSecret: cfg.ClientSecret,
		issuer: cfg.Issuer, scopes: scopes,
		params: cfg.AuthorizationParams, checks: cfg.Checks, clientAuth: cfg.ClientAuth,
		profile: cfg.Profile, fetchUserInfo: cfg.UserInfo, skipIssuerCheck: cfg.SkipIssuerCheck,
		responseMode: cfg.ResponseMode, client: boundedClient(cfg.HTTPClient), now: time.Now,
	}
}

// ID returns the provider's id.
func (p *OAuth) ID() string { return p.id }

// Name returns the provider's display name.
func (p *OAuth) Name() string { return p.name }

// Type returns TypeOAuth or TypeOIDC.
func (p *OAuth) Type() string { return p.typ }

// Checks returns the configured checks; nil means the mode's default.
func (p *OAuth) Checks() []string { return p.checks }

// Issuer returns the issuer URL of an OpenID Connect provider.
func (p *OAuth) Issuer() string { return p.issuer }

// Scopes returns the scopes requested at sign-in.
func (p *OAuth) Scopes() []string { return p.scopes }

// Endpoints returns the configured authorization, token and userinfo URLs
// (empty for those found by discovery).
func (p *OAuth) Endpoints() (auth, token, userInfo string) {
	return p.authURL, p.tokenURL, p.userInfoURL
}

// AuthorizationParams returns the parameters added to the authorization
// request.
func (p *OAuth) AuthorizationParams() map[string]string { return p.params }

// ResponseMode returns the configured response_mode ("" or "form_post").
func (p *OAuth) ResponseMode() string {
	if m := p.params["response_mode"]; m != "" {
		return m
	}
	return p.responseMode
}

// MapProfile runs the provider's profile mapping (DefaultProfile when it
// has none), lower-casing the email as Auth.js does.
func (p *OAuth) MapProfile(ctx context.Context, profile map[string]any, tokens *Tokens) (*User, error) {
	f := p.profile
	if f == nil {
		f = DefaultProfile
	}
	if tokens == nil {
		tokens = &Tokens{Extra: func(string) any { return nil }}
	}
	u, err := f(ctx, profile, tokens)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProfile, err)
	}
	if u == nil || u.ID == "" {
		return nil, fmt.Errorf("%w: no account id", ErrProfile)
	}
	u.Email = strings.ToLower(u.Email)
	return u, nil
}

// Validate reports a provider that cannot work.
func (p *OAuth) Validate() error {
	switch {
	case p.name == "":
		return errors.New("providers: OAuth provider has no Name")
	case p.clientID == "":
		return errors.New("providers: OAuth provider has no ClientID")
	}
	if p.typ == TypeOIDC {
		if p.issuer == "" {
			return fmt.Errorf("providers: the %s provider (id %q) needs an Issuer URL", p.name, p.id)
		}
		if err := checkURL("Issuer", p.issuer); err != nil {
			return err
		}
	} else {
		for _, e := range []struct{ name, url string }{{"AuthURL", p.authURL}, {"TokenURL", p.tokenURL}} {
			if err := checkURL(e.name, e.url); err != nil {
				return err
			}
		}
		if p.userInfo == nil {
			if err := checkURL("UserInfoURL", p.userInfoURL); err != nil {
				return err
			}
		}
	}
	for _, c := range p.checks {
		switch c {
		case CheckPKCE, CheckState, CheckNonce, CheckNone:
		default:
			return fmt.Errorf("providers: unknown check %q", c)
		}
	}
	if slices.Contains(p.checks, CheckNonce) && p.typ != TypeOIDC {
		return errors.New("providers: the nonce check needs an OpenID Connect provider")
	}
	return nil
}

func checkURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("providers: %s must be an absolute http(s) URL, got %q", name, raw)
	}
	return nil
}

// AuthorizationRequest is what the sign-in endpoint needs from a provider
// to build the redirect to it.
type AuthorizationRequest struct {
	// RedirectURI is <origin><base path>/callback/<id>.
	RedirectURI string
	// State, CodeChallenge (S256) and Nonce are set for the checks in use.
	State, CodeChallenge, Nonce string
	// Params are the sign-in request's query parameters; they override the
	// provider's, but never the protocol's own (client_id, redirect_uri,
	// response_type, state, nonce, code_challenge*).
	Params url.Values
}

// reservedParams cannot be set from a sign-in request's query.
var reservedParams = map[string]bool{
	"client_id": true, "redirect_uri": true, "response_type": true, "state": true,
	"nonce": true, "code_challenge": true, "code_challenge_method": true, "client_secret": true,
}

// AuthorizationURL returns the URL to send the user to.
func (p *OAuth) AuthorizationURL(ctx context.Context, req AuthorizationRequest) (string, error) {
	cfg, err := p.config(ctx, req.RedirectURI)
	if err != nil {
		return "", err
	}
	params := map[string]string{}
	for k, v := range p.params {
		params[k] = v
	}
	if p.responseMode != "" && params["response_mode"] == "" {
		params["response_mode"] = p.responseMode
	}
	for k, v := range req.Params {
		if !reservedParams[k] && len(v) > 0 {
			params[k] = v[0]
		}
	}
	if s, ok := params["scope"]; ok {
		cfg.Scopes = strings.Fields(s)
		delete(params, "scope")
	}
	opts := make([]oauth2.AuthCodeOption, 0, len(params)+3)
	for k, v := range params {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if req.CodeChallenge != "" {
		opts = append(opts, oauth2.SetAuthURLParam("code_challenge", req.CodeChallenge),
			oauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	if req.Nonce != "" {
		opts = append(opts, oidc.Nonce(req.Nonce))
	}
	return cfg.AuthCodeURL(req.State, opts...), nil
}

// CallbackRequest is what the callback endpoint hands the provider after
// it has validated the checks.
type CallbackRequest struct {
	// RedirectURI must equal the one of the authorization request.
	RedirectURI string
	// Code is the authorization code.
	Code string
	// CodeVerifier is the PKCE verifier ("" without PKCE).
	CodeVerifier string
	// Nonce is the nonce the ID token must carry ("" without the check).
	Nonce string
}

// Result is a completed OAuth sign-in.
type Result struct {
	User    *User
	Account *Account
	// Profile is the provider's profile (the ID token's claims for OpenID
	// Connect, merged with userinfo when asked).
	Profile map[string]any
	Tokens  *Tokens
}

// Exchange redeems the code at the token endpoint, verifies the ID token
// (OpenID Connect), fetches the profile and maps it to a User.
func (p *OAuth) Exchange(ctx context.Context, req CallbackRequest) (*Result, error) {
	cfg, err := p.config(ctx, req.RedirectURI)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := cfg.Exchange(p.clientContext(ctx), req.Code, opts...)
	if err != nil {
		return nil, tokenError(err)
	}
	tokens := toTokens(tok)
	var profile map[string]any
	if p.typ == TypeOIDC {
		profile, err = p.verifyIDToken(ctx, tokens.IDToken, req.Nonce)
		if err != nil {
			return nil, err
		}
		if p.fetchUserInfo {
			if err := p.mergeUserInfo(ctx, tok, profile); err != nil {
				return nil, err
			}
		}
	} else {
		profile, err = p.fetchProfile(ctx, tokens)
		if err != nil {
			return nil, err
		}
	}
	user, err := p.MapProfile(ctx, profile, tokens)
	if err != nil {
		return nil, err
	}
	account := &Account{
		Provider: p.id, Type: p.typ, ProviderAccountID: user.ID,
		AccessToken: tokens.AccessToken, RefreshToken: tokens.RefreshToken, ExpiresAt: tokens.ExpiresAt,
		IDToken: tokens.IDToken, Scope: tokens.Scope, TokenType: tokens.TokenType,
	}
	if s, ok := tokens.Extra("session_state").(string); ok {
		account.SessionState = s
	}
	return &Result{User: user, Account: account, Profile: profile, Tokens: tokens}, nil
}

// config returns the x/oauth2 configuration, running discovery first for
// OpenID Connect providers.
func (p *OAuth) config(ctx context.Context, redirectURI string) (*oauth2.Config, error) {
	authURL, tokenURL := p.authURL, p.tokenURL
	if p.typ == TypeOIDC && (authURL == "" || tokenURL == "") {
		if _, err := p.discover(ctx); err != nil {
			return nil, err
		}
		p.mu.Lock()
		e := p.endpoint
		p.mu.Unlock()
		if authURL == "" {
			authURL = e.AuthURL
		}
		if tokenURL == "" {
			tokenURL = e.TokenURL
		}
	}
	style := oauth2.AuthStyleInHeader
	if p.clientAuth == ClientSecretPost {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID: p.clientID, ClientSecret: p.clientSecret, RedirectURL: redirectURI,
		Scopes:   append([]string(nil), p.scopes...),
		Endpoint: oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: style},
	}, nil
}

// discoveryJoined runs once a caller waits on a discovery; tests replace
// it to know every caller shares one request.
var discoveryJoined = func() {}

// discover fetches the issuer's configuration once; a failure is retried
// on the next sign-in. Concurrent first sign-ins share one fetch.
func (p *OAuth) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	d := p.discovery
	p.mu.Unlock()
	if d != nil {
		return d, nil
	}
	ch := p.discovering.DoChan("", func() (any, error) {
		// The key set keeps the context it was created with for later key
		// fetches: keep the client, drop the request's cancellation.
		dctx := oidc.ClientContext(context.WithoutCancel(ctx), p.client)
		if p.skipIssuerCheck {
			dctx = oidc.InsecureIssuerURLContext(dctx, p.issuer)
		}
		d, err := oidc.NewProvider(dctx, p.issuer)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
		}
		var e discoveryEndpoints
		if err := d.Claims(&e); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
		}
		for _, u := range []struct{ name, url string }{{"authorization_endpoint", e.AuthURL}, {"token_endpoint", e.TokenURL}} {
			if err := checkURL(u.name, u.url); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
			}
		}
		p.mu.Lock()
		p.discovery, p.endpoint = d, e
		p.mu.Unlock()
		return d, nil
	})
	discoveryJoined()
	return await[*oidc.Provider](ctx, ch)
}

// await returns the result of a shared call, or the context's error when
// the caller stops waiting first (the call goes on for the others).
func await[T any](ctx context.Context, ch <-chan singleflight.Result) (T, error) {
	select {
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			var zero T
			return zero, res.Err
		}
		return res.Val.(T), nil
	}
}

func (p *OAuth) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.client)
}

// verifyIDToken checks the ID token's signature (refreshing the provider's
// keys on an unknown key id), issuer, audience, expiry and nonce, and
// returns its claims.
func (p *OAuth) verifyIDToken(ctx context.Context, raw, nonce string) (map[string]any, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: the token response has no id_token", ErrIDToken)
	}
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	v := d.Verifier(&oidc.Config{ClientID: p.clientID, Now: p.now, SkipIssuerCheck: p.skipIssuerCheck})
	idt, err := v.Verify(oidc.ClientContext(ctx, p.client), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce mismatch", ErrIDToken)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	return claims, nil
}

// mergeUserInfo adds the userinfo endpoint's claims to the ID token's; a
// userinfo response about another subject is refused.
func (p *OAuth) mergeUserInfo(ctx context.Context, tok *oauth2.Token, claims map[string]any) error {
	d, err := p.discover(ctx)
	if err != nil {
		return err
	}
	ui, err := d.UserInfo(oidc.ClientContext(ctx, p.client), oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUserInfo, err)
	}
	var extra map[string]any
	if err := ui.Claims(&extra); err != nil {
		return fmt.Errorf("%w: %w", ErrUserInfo, err)
	}
	if sub, _ := claims["sub"].(string); ui.Subject != sub {
		return fmt.Errorf("%w: userinfo is about another subject", ErrUserInfo)
	}
	for k, v := range extra {
		claims[k] = v
	}
	return nil
}

// fetchProfile gets an OAuth 2.0 provider's profile: its UserInfo function,
// or a GET of UserInfoURL with the access token.
func (p *OAuth) fetchProfile(ctx context.Context, tokens *Tokens) (map[string]any, error) {
	if p.userInfo != nil {
		profile, err := p.userInfo(ctx, p.client, tokens)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUserInfo, err)
		}
		return profile, nil
	}
	var profile map[string]any
	if err := GetJSON(ctx, p.client, p.userInfoURL, tokens.AccessToken, &profile); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUserInfo, err)
	}
	return profile, nil
}

// GetJSON GETs url with the access token as a Bearer token and decodes the
// JSON answer into v. Presets use it in their UserInfo functions; the
// client's body limit applies.
func GetJSON(ctx context.Context, client *http.Client, url, accessToken string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ginauth")
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &StatusError{URL: redactURL(url), StatusCode: resp.StatusCode}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", redactURL(url), err)
	}
	return nil
}

// StatusError is a provider API's answer other than 2xx to GetJSON.
type StatusError struct {
	// URL is the request URL without its query.
	URL        string
	StatusCode int
}

// Error names the URL (without its query) and the status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: status %d", e.URL, e.StatusCode)
}

// redactURL drops the query, which may carry tokens, from a URL for errors.
func redactURL(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}

// tokenError turns an x/oauth2 error into a *TokenError.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Code: re.ErrorCode, Description: re.ErrorDescription, URI: re.ErrorURI}
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		if te.Code == "" {
			te.err = errors.New("unexpected response")
		}
		return te
	}
	return &TokenError{err: err}
}

func toTokens(tok *oauth2.Token) *Tokens {
	t := &Tokens{
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: tok.TokenType,
		Extra: tok.Extra,
	}
	if !tok.Expiry.IsZero() {
		t.ExpiresAt = tok.Expiry.Unix()
	}
	if s, ok := tok.Extra("id_token").(string); ok {
		t.IDToken = s
	}
	switch s := tok.Extra("scope").(type) {
	case string:
		t.Scope = s
	case []any:
		parts := make([]string, 0, len(s))
		for _, x := range s {
			if v, ok := x.(string); ok {
				parts = append(parts, v)
			}
		}
		t.Scope = strings.Join(parts, " ")
	}
	return t
}

// DefaultProfile maps a standard profile as Auth.js does for custom
// providers: id from "sub" or "id", name from "name", "nickname" or
// "preferred_username", "email", and image from "picture".
func DefaultProfile(_ context.Context, profile map[string]any, _ *Tokens) (*User, error) {
	u := &User{
		ID:    firstString(profile, "sub", "id"),
		Name:  firstString(profile, "name", "nickname", "preferred_username"),
		Email: firstString(profile, "email"),
		Image: firstString(profile, "picture"),
	}
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	return u, nil
}

// String returns profile[key] as a string: strings as they are, numbers in
// decimal without exponent (GitHub and others send numeric ids), "" for
// anything else.
func String(profile map[string]any, key string) string {
	switch v := profile[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

func firstString(profile map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := String(profile, k); s != "" {
			return s
		}
	}
	return ""
}

// refreshKey identifies an account's grant for single-flight refreshes
// without keeping the token itself as a map key.
func refreshKey(refreshToken string) string {
	sum := sha256.Sum256([]byte(refreshToken))
	return hex.EncodeToString(sum[:])
}
