package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ginauth/ginauth/authjs"
)

// OAuth is an OAuth 2.0 or OpenID Connect provider: the one configuration
// type of the generic engines and of every preset.
//
// An OpenID Connect provider (Type authjs.TypeOIDC, or any provider with an
// Issuer) is found by discovery at Issuer + "/.well-known/openid-configuration"
// on its first sign-in; its ID tokens are verified (signature with the
// provider's published keys, issuer, audience, expiry, nonce) and their
// claims are the profile. An OAuth 2.0 provider is declared by its
// endpoints, and its profile is read from UserInfoURL (or by UserInfo).
type OAuth struct {
	// ID is the provider's URL segment (the redirect URI registered at the
	// provider is <origin><base path>/callback/<ID>); Name is shown on the
	// sign-in page. Both are required.
	ID, Name string
	// Type is authjs.TypeOAuth or authjs.TypeOIDC; empty means authjs.TypeOIDC when Issuer is
	// set and authjs.TypeOAuth otherwise.
	Type authjs.ProviderType
	// Issuer is an OpenID Connect provider's issuer URL, exactly as its
	// discovery document and ID tokens spell it ("iss"), trailing slash
	// included when it has one.
	Issuer string
	// ClientID and ClientSecret are the client's registration at the
	// provider.
	ClientID, ClientSecret string
	// AuthURL, TokenURL and UserInfoURL are an OAuth 2.0 provider's
	// endpoints (UserInfoURL is not needed when UserInfo is set). For an
	// OpenID Connect provider discovery finds them, and a value set here
	// replaces the discovered one.
	AuthURL, TokenURL, UserInfoURL string
	// Scopes are requested in the authorization request; OpenID Connect
	// providers default to openid, profile and email.
	Scopes []string
	// AuthorizationParams are added to the authorization request, such as
	// {"prompt": "consent"}. A sign-in request's query overrides them. The
	// protocol's own parameters (client_id, redirect_uri, response_type,
	// response_mode, state, nonce, code_challenge, code_challenge_method,
	// request, request_uri) cannot be set here.
	AuthorizationParams map[string]string
	// Checks are the checks that bind a callback to the browser that
	// started the sign-in; the zero value means DefaultChecks.
	Checks Checks
	// ClientAuth is how the client authenticates at the token endpoint
	// (default ClientSecretBasic).
	ClientAuth ClientAuth
	// ResponseMode ResponseModeFormPost asks the provider to POST the
	// callback (Apple); the default is a redirect with a query.
	ResponseMode ResponseMode
	// UserInfo fetches the profile when one GET of UserInfoURL is not
	// enough (GitHub's private email addresses). For an OAuth 2.0 provider
	// it replaces that GET; for an OpenID Connect provider its result is
	// merged over the ID token's claims.
	UserInfo UserInfoFunc
	// FetchUserInfo makes an OpenID Connect provider also fetch the
	// userinfo endpoint and merge its claims over the ID token's, for
	// providers whose ID token is thin. A userinfo answer about another
	// subject fails the sign-in.
	FetchUserInfo bool
	// Profile maps the profile to a User; DefaultProfile when nil. A User
	// without an ID fails the sign-in.
	Profile ProfileFunc
	// VerifyIssuer replaces the comparison of the ID token's "iss" with
	// Issuer, for multi-tenant endpoints whose discovery document names a
	// placeholder issuer and whose tokens carry their tenant's (Microsoft
	// Entra ID's common endpoint). It receives the ID token's claims after
	// the signature, audience and expiry were verified. Nil compares "iss"
	// with Issuer exactly.
	VerifyIssuer func(claims map[string]any) error
	// HTTPClient makes every call to the provider, discovery and keys
	// included (default: a client with DefaultHTTPTimeout). Response bodies
	// are limited to MaxResponseBytes.
	HTTPClient *http.Client
	// AllowDangerousEmailAccountLinking links a first sign-in with this
	// provider to an existing user of the Adapter with the same email
	// address. Without it such a sign-in fails with OAuthAccountNotLinked,
	// as in Auth.js: whoever controls an account at this provider with your
	// user's address would otherwise get into your user's account. Set it
	// only for providers that verify email addresses and that you trust to.
	AllowDangerousEmailAccountLinking bool
}

// Info returns the provider's id, name and type.
func (p OAuth) Info() Info {
	t := p.Type
	if t == "" {
		t = authjs.TypeOAuth
		if p.Issuer != "" {
			t = authjs.TypeOIDC
		}
	}
	return Info{ID: p.ID, Name: p.Name, Type: t}
}

func (OAuth) provider() {}

// With returns p with every field of o that is not the zero value laid
// over it; AuthorizationParams are merged key by key. Presets use it to
// apply the application's settings to their declaration. To set a field of
// the result to its zero value, assign it.
func (p OAuth) With(o OAuth) OAuth {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.ID, o.ID)
	set(&p.Name, o.Name)
	set(&p.Issuer, o.Issuer)
	set(&p.ClientID, o.ClientID)
	set(&p.ClientSecret, o.ClientSecret)
	set(&p.AuthURL, o.AuthURL)
	set(&p.TokenURL, o.TokenURL)
	set(&p.UserInfoURL, o.UserInfoURL)
	if o.Type != "" {
		p.Type = o.Type
	}
	if len(o.Scopes) > 0 {
		p.Scopes = o.Scopes
	}
	if len(o.AuthorizationParams) > 0 {
		m := maps.Clone(p.AuthorizationParams)
		if m == nil {
			m = map[string]string{}
		}
		maps.Copy(m, o.AuthorizationParams)
		p.AuthorizationParams = m
	}
	if o.Checks != 0 {
		p.Checks = o.Checks
	}
	if o.ClientAuth != ClientSecretBasic {
		p.ClientAuth = o.ClientAuth
	}
	if o.ResponseMode != "" {
		p.ResponseMode = o.ResponseMode
	}
	if o.UserInfo != nil {
		p.UserInfo = o.UserInfo
	}
	if o.FetchUserInfo {
		p.FetchUserInfo = true
	}
	if o.Profile != nil {
		p.Profile = o.Profile
	}
	if o.VerifyIssuer != nil {
		p.VerifyIssuer = o.VerifyIssuer
	}
	if o.HTTPClient != nil {
		p.HTTPClient = o.HTTPClient
	}
	if o.AllowDangerousEmailAccountLinking {
		p.AllowDangerousEmailAccountLinking = true
	}
	return p
}

// reservedParams are the authorization parameters that neither
// AuthorizationParams nor a sign-in request's query may set: the
// protocol's own, and those that would let a caller replace the whole
// request (request, request_uri) or how the answer travels (response_mode).
var reservedParams = map[string]bool{
	"client_id": true, "client_secret": true, "redirect_uri": true, "response_type": true,
	"response_mode": true, "state": true, "nonce": true, "code_challenge": true,
	"code_challenge_method": true, "request": true, "request_uri": true,
}

// Reserved reports whether an authorization parameter is one ginauth sets
// itself, which neither AuthorizationParams nor a sign-in request's query
// may set.
func Reserved(param string) bool { return reservedParams[param] }

// Validate reports a provider that cannot work, naming the field.
func (p OAuth) Validate() error {
	what := fmt.Sprintf("the %s provider (id %q)", p.Name, p.ID)
	switch {
	case p.ID == "":
		return fmt.Errorf("providers: the %s provider has no ID", p.Name)
	case p.Name == "":
		return fmt.Errorf("providers: the provider %q has no Name", p.ID)
	case p.ClientID == "":
		return fmt.Errorf("providers: %s has no ClientID", what)
	}
	switch p.Info().Type {
	case authjs.TypeOIDC:
		if p.Issuer == "" {
			return fmt.Errorf("providers: %s needs an Issuer URL", what)
		}
		if err := checkURL("Issuer", p.Issuer); err != nil {
			return fmt.Errorf("providers: %s: %w", what, err)
		}
	case authjs.TypeOAuth:
		if p.Issuer != "" {
			return fmt.Errorf("providers: %s is an OAuth 2.0 provider and cannot have an Issuer; set Type to authjs.TypeOIDC", what)
		}
		if p.VerifyIssuer != nil || p.FetchUserInfo {
			return fmt.Errorf("providers: %s: VerifyIssuer and FetchUserInfo are for OpenID Connect providers", what)
		}
		if err := checkURL("AuthURL", p.AuthURL); err != nil {
			return fmt.Errorf("providers: %s: %w", what, err)
		}
		if err := checkURL("TokenURL", p.TokenURL); err != nil {
			return fmt.Errorf("providers: %s: %w", what, err)
		}
		if p.UserInfo == nil {
			if err := checkURL("UserInfoURL", p.UserInfoURL); err != nil {
				return fmt.Errorf("providers: %s: %w", what, err)
			}
		}
	default:
		return fmt.Errorf("providers: %s has Type %q; want authjs.TypeOAuth or authjs.TypeOIDC", what, p.Type)
	}
	for name, u := range map[string]string{"AuthURL": p.AuthURL, "TokenURL": p.TokenURL, "UserInfoURL": p.UserInfoURL} {
		if u != "" {
			if err := checkURL(name, u); err != nil {
				return fmt.Errorf("providers: %s: %w", what, err)
			}
		}
	}
	if err := p.Checks.validate(p.Info().Type); err != nil {
		return fmt.Errorf("providers: %s: %w", what, err)
	}
	switch p.ClientAuth {
	case ClientSecretBasic, ClientSecretPost:
	default:
		return fmt.Errorf("providers: %s: unknown ClientAuth %d", what, p.ClientAuth)
	}
	switch p.ResponseMode {
	case "", ResponseModeFormPost:
	default:
		return fmt.Errorf("providers: %s: unknown ResponseMode %q", what, p.ResponseMode)
	}
	for k := range p.AuthorizationParams {
		if Reserved(k) {
			return fmt.Errorf("providers: %s: AuthorizationParams cannot set %q", what, k)
		}
	}
	return nil
}

func checkURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%s must be an absolute http(s) URL, got %q", name, raw)
	}
	return nil
}

// Checks is a set of the checks that bind an OAuth callback to the browser
// that started the sign-in. Each is a random value kept in an encrypted,
// short-lived cookie between the redirect to the provider and its callback,
// as Auth.js keeps them.
type Checks uint8

// The checks. Combine them with |.
const (
	// CheckPKCE sends an S256 code challenge and proves it with the
	// verifier at the token endpoint (RFC 7636): a stolen authorization
	// code is useless without the verifier.
	CheckPKCE Checks = 1 << iota
	// CheckState sends a state parameter that the callback must repeat
	// (RFC 6749 section 10.12): it stops a forged callback from signing
	// the browser into the attacker's account.
	CheckState
	// CheckNonce sends a nonce that the ID token must carry (OpenID
	// Connect Core section 3.1.2.1): it stops a replayed ID token.
	CheckNonce
	// InsecureNoChecks turns every check off, for the rare provider that
	// refuses all of them (Auth.js's "none"). Any site can then complete a
	// sign-in in the user's browser. It cannot be combined with the others.
	InsecureNoChecks Checks = 1 << 7
)

// DefaultChecks are the checks of a provider whose Checks field is zero:
// PKCE and state, plus nonce for OpenID Connect providers. (Auth.js
// defaults to PKCE alone in v5 and state alone in v4; ginauth uses the
// stronger set in both, and the presets of providers that support less
// say why.)
func DefaultChecks(t authjs.ProviderType) Checks {
	if t == authjs.TypeOIDC {
		return CheckPKCE | CheckState | CheckNonce
	}
	return CheckPKCE | CheckState
}

// String lists the checks as Auth.js names them: "pkce,state,nonce" or "none".
func (c Checks) String() string {
	if c == InsecureNoChecks {
		return "none"
	}
	var names []string
	for _, k := range []struct {
		c    Checks
		name string
	}{{CheckPKCE, "pkce"}, {CheckState, "state"}, {CheckNonce, "nonce"}} {
		if c&k.c != 0 {
			names = append(names, k.name)
		}
	}
	if rest := c &^ (CheckPKCE | CheckState | CheckNonce | InsecureNoChecks); rest != 0 || c&InsecureNoChecks != 0 {
		names = append(names, fmt.Sprintf("invalid(%#x)", uint8(c)))
	}
	return strings.Join(names, ",")
}

// validate refuses what is not a set of known checks: unknown bits,
// InsecureNoChecks beside another check, and nonce for OAuth 2.0.
func (c Checks) validate(t authjs.ProviderType) error {
	switch {
	case c&^(CheckPKCE|CheckState|CheckNonce|InsecureNoChecks) != 0:
		return fmt.Errorf("unknown checks in %#x", uint8(c))
	case c&InsecureNoChecks != 0 && c != InsecureNoChecks:
		return errors.New("InsecureNoChecks cannot be combined with other checks")
	case c&CheckNonce != 0 && t != authjs.TypeOIDC:
		return errors.New("the nonce check needs an OpenID Connect provider")
	}
	return nil
}

// ClientAuth is how the client authenticates at the token endpoint.
type ClientAuth int

const (
	// ClientSecretBasic sends the client id and secret in an HTTP Basic
	// Authorization header (the default, as in Auth.js).
	ClientSecretBasic ClientAuth = iota
	// ClientSecretPost sends them as client_id and client_secret form fields.
	ClientSecretPost
)

// ResponseMode is how the provider returns the callback.
type ResponseMode string

// ResponseModeFormPost asks the provider to POST the callback as a form
// (OAuth 2.0 Form Post Response Mode). The callback is then a cross-site
// POST: the state and nonce cookies are made SameSite=None; Secure so that
// it carries them, which needs an https origin.
const ResponseModeFormPost ResponseMode = "form_post"

// Defaults for outbound calls to providers.
const (
	// DefaultHTTPTimeout bounds every call to a provider when no HTTPClient
	// is given.
	DefaultHTTPTimeout = 10 * time.Second
	// MaxResponseBytes bounds the body ginauth reads from a provider.
	MaxResponseBytes = 1 << 20
)

// Tokens are the tokens a provider issued (Auth.js's TokenSet).
type Tokens struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	IDToken      string
	Scope        string
	// ExpiresAt is the access token's expiry in Unix seconds (0: unknown).
	ExpiresAt int64
	// Extra returns another field of the token response, or nil.
	Extra func(key string) any
}

// ProfileFunc maps a provider's profile (the ID token's claims, or the
// userinfo response) to a User.
type ProfileFunc func(ctx context.Context, profile map[string]any, tokens *Tokens) (*authjs.User, error)

// UserInfoFunc fetches profile data with the access token. client is the
// provider's HTTPClient, with its timeout and body limit.
type UserInfoFunc func(ctx context.Context, client *http.Client, tokens *Tokens) (map[string]any, error)

// Errors that reach applications from the engines, for errors.Is.
var (
	// ErrTokenEndpoint reports a token endpoint that refused a request; see
	// *TokenError.
	ErrTokenEndpoint = errors.New("providers: the token endpoint refused the request")
	// ErrDiscovery reports that the issuer's OpenID configuration could not
	// be fetched or is invalid.
	ErrDiscovery = errors.New("providers: OpenID Connect discovery failed")
	// ErrNoRefreshToken reports a refresh attempted without a refresh token.
	ErrNoRefreshToken = errors.New("providers: no refresh token")
)

// TokenError is a token endpoint's refusal, with the RFC 6749 section 5.2
// fields. It matches ErrTokenEndpoint.
type TokenError struct {
	// StatusCode is the HTTP status of the response (0 when none arrived).
	StatusCode int
	// Code is the "error" field, such as "invalid_grant".
	Code string
	// Description and URI are "error_description" and "error_uri".
	Description string
	URI         string
	// Err is the transport or decoding error behind a refusal without an
	// RFC 6749 body.
	Err error
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
	if e.Code == "" && e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes a TokenError match ErrTokenEndpoint.
func (e *TokenError) Is(target error) bool { return target == ErrTokenEndpoint }

// Unwrap returns Err.
func (e *TokenError) Unwrap() error { return e.Err }

// DefaultProfile maps a standard profile as Auth.js does for custom
// providers: id from "sub" or "id" (a random UUID without either), name from "name", "nickname" or
// "preferred_username", "email", and image from "picture".
func DefaultProfile(_ context.Context, profile map[string]any, _ *Tokens) (*authjs.User, error) {
	u := &authjs.User{
		ID:    firstString(profile, "sub", "id"),
		Name:  firstString(profile, "name", "nickname", "preferred_username"),
		Email: firstString(profile, "email"),
		Image: firstString(profile, "picture"),
	}
	if u.ID == "" {
		u.ID = uuid.NewString() // as Auth.js does for a profile without an id
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

// object returns profile[key] as a JSON object, or nil.
func object(profile map[string]any, key string) map[string]any {
	m, _ := profile[key].(map[string]any)
	return m
}

// GetJSON GETs url with the access token as a Bearer token and decodes the
// JSON answer into v. UserInfo functions use it; the client's body limit
// applies. An answer other than 2xx is a *StatusError.
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
