// Package oauth runs OAuth 2.0 and OpenID Connect providers declared with
// providers.OAuth: the authorization URL, the code exchange on
// golang.org/x/oauth2, discovery and ID-token verification on
// github.com/coreos/go-oidc/v3, the profile, and token refresh. One Engine
// serves one provider of one Auth; it keeps the discovery result and
// collapses concurrent discoveries and refreshes.
package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/telemetry"
	"github.com/ginauth/ginauth/providers"
)

// Errors of a sign-in's exchange, for errors.Is. They are logged, never
// shown to the client.
var (
	// ErrProviderError reports a callback carrying ?error= from the
	// provider, such as a user who refused consent; see *CallbackError.
	ErrProviderError = errors.New("oauth: the provider returned an error")
	// ErrIDToken reports a missing or invalid ID token (signature, issuer,
	// audience, expiry or nonce).
	ErrIDToken = errors.New("oauth: invalid ID token")
	// ErrUserInfo reports a failed or unreadable profile request.
	ErrUserInfo = errors.New("oauth: fetching the user's profile failed")
	// ErrProfile reports a profile the provider's mapping could not use.
	ErrProfile = errors.New("oauth: unusable profile")
)

// CallbackError is the error a provider sent back to the callback
// (?error=access_denied&error_description=...). It matches ErrProviderError.
type CallbackError struct {
	Code, Description, URI string
}

// Error names the provider's error code and description.
func (e *CallbackError) Error() string {
	s := fmt.Sprintf("oauth: the provider returned %q", e.Code)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is makes a CallbackError match ErrProviderError.
func (e *CallbackError) Is(target error) bool { return target == ErrProviderError }

// Engine runs one provider. It is safe for concurrent use.
type Engine struct {
	p      providers.OAuth // validated; slices and maps are its own
	typ    authjs.ProviderType
	checks providers.Checks
	scopes []string
	client *http.Client
	now    func() time.Time
	// tr reports the calls to the provider (nil unless Observe was called).
	tr *telemetry.Transport

	mu        sync.Mutex
	discovery *oidc.Provider
	endpoint  endpoints

	discovering singleflight.Group
	refreshing  singleflight.Group
	// joined, when set (by tests), runs once a caller waits on a shared
	// discovery or refresh.
	joined func()
}

type endpoints struct {
	AuthURL     string `json:"authorization_endpoint"`
	TokenURL    string `json:"token_endpoint"`
	UserInfoURL string `json:"userinfo_endpoint"`
	JWKSURL     string `json:"jwks_uri"`
}

// New returns an Engine for p, which must have passed p.Validate. now is
// the clock for ID-token expiry (time.Now when nil).
func New(p providers.OAuth, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	p.Scopes = slices.Clone(p.Scopes)
	p.AuthorizationParams = maps.Clone(p.AuthorizationParams)
	e := &Engine{p: p, typ: p.Info().Type, checks: p.Checks, scopes: p.Scopes, client: boundedClient(p.HTTPClient), now: now}
	if e.checks == 0 {
		e.checks = providers.DefaultChecks(e.typ)
	}
	if len(e.scopes) == 0 && e.typ == authjs.TypeOIDC {
		e.scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	return e
}

// Observe reports the engine's calls to the provider to t: their
// durations and spans. Call it before the engine is used.
func (e *Engine) Observe(t *telemetry.T) {
	lt, ok := e.client.Transport.(limitTransport)
	if t == nil || !ok {
		return
	}
	e.tr = t.Transport(lt.base, e.p.ID)
	lt.base = e.tr
	e.client.Transport = lt
}

// ID returns the provider's id.
func (e *Engine) ID() string { return e.p.ID }

// Checks returns the checks in use: the provider's, or the default.
func (e *Engine) Checks() providers.Checks { return e.checks }

// FormPost reports whether the provider answers the callback with a POST.
func (e *Engine) FormPost() bool { return e.p.ResponseMode == providers.ResponseModeFormPost }

// AuthRequest is what the sign-in endpoint needs to build the redirect to
// the provider.
type AuthRequest struct {
	// RedirectURI is <origin><base path>/callback/<id>.
	RedirectURI string
	// State, CodeChallenge (S256) and Nonce are set for the checks in use.
	State, CodeChallenge, Nonce string
	// Params are the sign-in request's query parameters; they override the
	// provider's, but never the reserved ones (providers.Reserved).
	Params url.Values
}

// AuthCodeURL returns the URL to send the user to.
func (e *Engine) AuthCodeURL(ctx context.Context, req AuthRequest) (string, error) {
	cfg, err := e.config(ctx, req.RedirectURI)
	if err != nil {
		return "", err
	}
	params := maps.Clone(e.p.AuthorizationParams)
	if params == nil {
		params = map[string]string{}
	}
	for k, v := range req.Params {
		if !providers.Reserved(k) && len(v) > 0 {
			params[k] = v[0]
		}
	}
	if s, ok := params["scope"]; ok {
		cfg.Scopes = strings.Fields(s)
		delete(params, "scope")
	}
	opts := make([]oauth2.AuthCodeOption, 0, len(params)+4)
	for k, v := range params {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if e.FormPost() {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", string(providers.ResponseModeFormPost)))
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

// CallbackRequest is what the callback endpoint hands the engine once it
// has validated the checks.
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

// Result is a completed sign-in at the provider.
type Result struct {
	User    *authjs.User
	Account *authjs.Account
	// Profile is the provider's profile (the ID token's claims for OpenID
	// Connect, merged with userinfo when asked).
	Profile map[string]any
}

// Exchange redeems the code at the token endpoint, verifies the ID token
// (OpenID Connect), fetches the profile and maps it to a User.
func (e *Engine) Exchange(ctx context.Context, req CallbackRequest) (*Result, error) {
	cfg, err := e.config(ctx, req.RedirectURI)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := cfg.Exchange(telemetry.WithOp(e.clientContext(ctx), telemetry.OpToken), req.Code, opts...)
	if err != nil {
		return nil, tokenError(err)
	}
	tokens := toTokens(tok)
	var profile map[string]any
	uctx := telemetry.WithOp(ctx, telemetry.OpUserInfo)
	if e.typ == authjs.TypeOIDC {
		if profile, err = e.verifyIDToken(ctx, tokens.IDToken, req.Nonce); err != nil {
			return nil, err
		}
		if e.p.FetchUserInfo {
			if err := e.mergeUserInfo(uctx, tok, profile); err != nil {
				return nil, err
			}
		}
		if e.p.UserInfo != nil {
			extra, err := e.p.UserInfo(uctx, e.client, tokens)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrUserInfo, err)
			}
			maps.Copy(profile, extra)
		}
	} else if profile, err = e.fetchProfile(uctx, tokens); err != nil {
		return nil, err
	}
	user, err := e.mapProfile(ctx, profile, tokens)
	if err != nil {
		return nil, err
	}
	account := &authjs.Account{
		Provider: e.p.ID, Type: e.typ, ProviderAccountID: user.ID,
		AccessToken: tokens.AccessToken, RefreshToken: tokens.RefreshToken, ExpiresAt: tokens.ExpiresAt,
		IDToken: tokens.IDToken, Scope: tokens.Scope, TokenType: tokens.TokenType,
	}
	if s, ok := tokens.Extra("session_state").(string); ok {
		account.SessionState = s
	}
	return &Result{User: user, Account: account, Profile: profile}, nil
}

// mapProfile runs the provider's profile mapping (DefaultProfile when it
// has none), lower-casing the email as Auth.js does.
func (e *Engine) mapProfile(ctx context.Context, profile map[string]any, tokens *providers.Tokens) (*authjs.User, error) {
	f := e.p.Profile
	if f == nil {
		f = providers.DefaultProfile
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

// config returns the x/oauth2 configuration, running discovery first for
// OpenID Connect providers whose endpoints are not all configured.
func (e *Engine) config(ctx context.Context, redirectURI string) (*oauth2.Config, error) {
	authURL, tokenURL := e.p.AuthURL, e.p.TokenURL
	if e.typ == authjs.TypeOIDC && (authURL == "" || tokenURL == "") {
		if _, err := e.discover(ctx); err != nil {
			return nil, err
		}
		e.mu.Lock()
		d := e.endpoint
		e.mu.Unlock()
		if authURL == "" {
			authURL = d.AuthURL
		}
		if tokenURL == "" {
			tokenURL = d.TokenURL
		}
	}
	style := oauth2.AuthStyleInHeader
	if e.p.ClientAuth == providers.ClientSecretPost {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID: e.p.ClientID, ClientSecret: e.p.ClientSecret, RedirectURL: redirectURI,
		Scopes:   slices.Clone(e.scopes),
		Endpoint: oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: style},
	}, nil
}

// discover fetches the issuer's configuration once; a failure is retried
// on the next sign-in. Concurrent first sign-ins share one fetch.
func (e *Engine) discover(ctx context.Context) (*oidc.Provider, error) {
	e.mu.Lock()
	d := e.discovery
	e.mu.Unlock()
	if d != nil {
		return d, nil
	}
	ch := e.discovering.DoChan("", func() (any, error) {
		// The key set keeps the context it was created with for later key
		// fetches: keep the client, drop the request's cancellation.
		dctx := oidc.ClientContext(telemetry.WithOp(context.WithoutCancel(ctx), telemetry.OpDiscovery), e.client)
		if e.p.VerifyIssuer != nil {
			// The document names a placeholder issuer; VerifyIssuer checks
			// each token's.
			dctx = oidc.InsecureIssuerURLContext(dctx, e.p.Issuer)
		}
		d, err := oidc.NewProvider(dctx, e.p.Issuer)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", providers.ErrDiscovery, err)
		}
		var found endpoints
		if err := d.Claims(&found); err != nil {
			return nil, fmt.Errorf("%w: %w", providers.ErrDiscovery, err)
		}
		for _, u := range []struct{ name, url string }{{"authorization_endpoint", found.AuthURL}, {"token_endpoint", found.TokenURL}} {
			if err := checkURL(u.name, u.url); err != nil {
				return nil, fmt.Errorf("%w: %w", providers.ErrDiscovery, err)
			}
		}
		e.tr.SetJWKS(found.JWKSURL)
		e.mu.Lock()
		e.discovery, e.endpoint = d, found
		e.mu.Unlock()
		return d, nil
	})
	e.wait()
	return await[*oidc.Provider](ctx, ch)
}

func (e *Engine) wait() {
	if e.joined != nil {
		e.joined()
	}
}

func checkURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%s must be an absolute http(s) URL without userinfo, got %q", name, raw)
	}
	return nil
}

// await returns the result of a shared call, or the context's error when
// the caller stops waiting first (the call goes on for the others).
func await[T any](ctx context.Context, ch <-chan singleflight.Result) (T, error) {
	var zero T
	select {
	case <-ctx.Done():
		return zero, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		return res.Val.(T), nil
	}
}

func (e *Engine) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, e.client)
}

// verifyIDToken checks the ID token's signature (refreshing the provider's
// keys on an unknown key id), issuer, audience, expiry and nonce, and
// returns its claims.
func (e *Engine) verifyIDToken(ctx context.Context, raw, nonce string) (map[string]any, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: the token response has no id_token", ErrIDToken)
	}
	d, err := e.discover(ctx)
	if err != nil {
		return nil, err
	}
	v := d.Verifier(&oidc.Config{ClientID: e.p.ClientID, Now: e.now, SkipIssuerCheck: e.p.VerifyIssuer != nil})
	idt, err := v.Verify(oidc.ClientContext(ctx, e.client), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	if idt.Subject == "" {
		return nil, fmt.Errorf("%w: no subject", ErrIDToken) // OpenID Connect Core section 2 requires one
	}
	// go-oidc leaves the nonce to its caller.
	if nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce mismatch", ErrIDToken)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	if e.p.VerifyIssuer != nil {
		if err := e.p.VerifyIssuer(claims); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrIDToken, err)
		}
	}
	return claims, nil
}

// mergeUserInfo adds the userinfo endpoint's claims to the ID token's: the
// configured UserInfoURL, or the discovered endpoint. A userinfo response
// about another subject is refused (OpenID Connect Core section 5.3.2).
func (e *Engine) mergeUserInfo(ctx context.Context, tok *oauth2.Token, claims map[string]any) error {
	var extra map[string]any
	if e.p.UserInfoURL != "" {
		if err := providers.GetJSON(ctx, e.client, e.p.UserInfoURL, tok.AccessToken, &extra); err != nil {
			return fmt.Errorf("%w: %w", ErrUserInfo, err)
		}
	} else {
		d, err := e.discover(ctx)
		if err != nil {
			return err
		}
		ui, err := d.UserInfo(oidc.ClientContext(ctx, e.client), oauth2.StaticTokenSource(tok))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUserInfo, err)
		}
		if err := ui.Claims(&extra); err != nil {
			return fmt.Errorf("%w: %w", ErrUserInfo, err)
		}
	}
	sub, _ := claims["sub"].(string)
	if got, _ := extra["sub"].(string); sub == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sub)) != 1 {
		return fmt.Errorf("%w: userinfo is about another subject", ErrUserInfo)
	}
	maps.Copy(claims, extra)
	return nil
}

// fetchProfile gets an OAuth 2.0 provider's profile: its UserInfo function,
// or a GET of UserInfoURL with the access token.
func (e *Engine) fetchProfile(ctx context.Context, tokens *providers.Tokens) (map[string]any, error) {
	var profile map[string]any
	var err error
	if e.p.UserInfo != nil {
		profile, err = e.p.UserInfo(ctx, e.client, tokens)
	} else {
		err = providers.GetJSON(ctx, e.client, e.p.UserInfoURL, tokens.AccessToken, &profile)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUserInfo, err)
	}
	if profile == nil {
		return nil, fmt.Errorf("%w: empty profile", ErrUserInfo)
	}
	return profile, nil
}

// tokenError turns an x/oauth2 error into a *providers.TokenError.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &providers.TokenError{Code: re.ErrorCode, Description: re.ErrorDescription, URI: re.ErrorURI}
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		if te.Code == "" {
			te.Err = errors.New("unexpected response")
		}
		return te
	}
	return &providers.TokenError{Err: err}
}

func toTokens(tok *oauth2.Token) *providers.Tokens {
	t := &providers.Tokens{
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
