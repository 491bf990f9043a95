// Package dialect owns every difference between the two wire dialects
// ginauth speaks: Auth.js v5 (@auth/core, next-auth@5) and NextAuth.js v4
// (next-auth@4, @sidebase/nuxt-auth). The endpoints ask a *Dialect what to
// send, how to name a failure and which of the dialect's habits apply, so
// that they read the same in both.
package dialect

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/jwe"
)

// Dialect describes one dialect. The two values are V5 and V4; a Dialect is
// never changed after they are built.
type Dialect struct {
	// Name is "v5" or "v4".
	Name string
	// cookiePrefix starts every cookie name: "authjs." or "next-auth.".
	cookiePrefix string
	// ChunkSize is the longest value one session cookie holds: 3936 (v5),
	// 3933 (v4).
	ChunkSize int
	// Token is the session token format.
	Token jwe.Format
	// EmptySession is the body of GET /session without a session: null
	// (v5) or {} (v4).
	EmptySession []byte
	// ConfigErrorMessage is the JSON message of a configuration error.
	ConfigErrorMessage string

	// LogBeacon: POST <base>/_log (the v4 client's logger) answers 200.
	LogBeacon bool
	// ErrorCodeInPath: /error/<code> is read as /error?error=<code> (v4).
	ErrorCodeInPath bool
	// StrictRequests: a request the dialect does not serve (GET
	// /signin/:provider, an unknown provider, GET on a credentials
	// callback) fails with Configuration (v5); v4 answers each its own way.
	StrictRequests bool
	// KeepCookiesOnSessionError: a failed POST /session still sets the
	// CSRF and callback-url cookies (v4); v5 answers errors without cookies.
	KeepCookiesOnSessionError bool
	// SessionFromDecodedToken: /session builds the user from the token the
	// JWT callback received, not the one it returned (v4, which reads the
	// object it decoded; a callback changing it in place shows).
	SessionFromDecodedToken bool
	// RandomOAuthSubject: without a database an OAuth sign-in gets a fresh
	// random "sub" (v5); v4 uses the provider's account id.
	RandomOAuthSubject bool
	// ErrorPageFoldsCase: the error page matches Configuration,
	// AccessDenied and Verification ignoring case (v4).
	ErrorPageFoldsCase bool
	// VerifyRequestKeepsQuery: a custom verify-request page receives the
	// request's query (v5).
	VerifyRequestKeepsQuery bool
	// EmailDomainNeedsDot: the default email normalizer refuses a domain
	// without a "." (v4).
	EmailDomainNeedsDot bool
	// EncryptedState: the OAuth state parameter is itself a JWE (v5).
	EncryptedState bool
	// WebAuthn: passkey providers and GET /webauthn-options/:provider
	// exist (v5).
	WebAuthn bool

	v4 bool
}

// V5 is Auth.js v5: @auth/core 0.41, next-auth@5, @auth/express.
var V5 = &Dialect{
	Name: "v5", cookiePrefix: "authjs.", ChunkSize: 3936, Token: jwe.V5,
	EmptySession:       []byte("null"),
	ConfigErrorMessage: "There was a problem with the server configuration. Check the server logs for more information.",
	StrictRequests:     true, RandomOAuthSubject: true, VerifyRequestKeepsQuery: true, EncryptedState: true,
	WebAuthn: true,
}

// V4 is NextAuth.js v4: next-auth@4.24, and @sidebase/nuxt-auth's authjs
// provider.
var V4 = &Dialect{
	Name: "v4", cookiePrefix: "next-auth.", ChunkSize: 3933, Token: jwe.V4,
	EmptySession:       []byte("{}"),
	ConfigErrorMessage: "There is a problem with the server configuration. Check the server logs for more information.",
	LogBeacon:          true, ErrorCodeInPath: true, KeepCookiesOnSessionError: true, SessionFromDecodedToken: true,
	ErrorPageFoldsCase: true, EmailDomainNeedsDot: true,
	v4: true,
}

// Names returns the cookie names for secure (https) or plain origins.
func (d *Dialect) Names(secure bool) cookies.Names {
	return cookies.DefaultNames(d.cookiePrefix, secure)
}

// SessionSalt returns the HKDF salt of session tokens stored under the
// cookie name: the name itself in v5, the empty salt in v4.
func (d *Dialect) SessionSalt(cookieName string) string {
	if d.v4 {
		return ""
	}
	return cookieName
}

// CSRFSecret returns the secret the CSRF hash uses: @auth/core
// interpolates its secret array, joining the secrets with ","; NextAuth v4
// has one secret.
func (d *Dialect) CSRFSecret(secrets []string) string {
	if d.v4 {
		return secrets[0]
	}
	return strings.Join(secrets, ",")
}

// ProviderType returns the type GET /providers reports: v4 knows no "oidc"
// and reports every OAuth 2.0 and OpenID Connect provider as "oauth".
func (d *Dialect) ProviderType(t string) string {
	if d.v4 && t == "oidc" {
		return "oauth"
	}
	return t
}

// Text is a plain error answer: a content type and a body.
type Text struct {
	ContentType string
	Body        []byte
}

// ErrorText returns the answer to a request the endpoints refuse with an
// HTTP status (400, 405, 413): v5 sends the message as a JSON string, v4
// as text after "Error: ".
func (d *Dialect) ErrorText(msg string) Text {
	if d.v4 {
		return Text{"text/plain; charset=utf-8", []byte("Error: " + msg)}
	}
	b, _ := json.Marshal(msg) // a string always marshals
	return Text{"application/json", b}
}

// BadRequest returns the answer to an unknown action or provider segment,
// or a method the action does not take.
func (d *Dialect) BadRequest(method string) Text {
	if d.v4 {
		return d.ErrorText("This action with HTTP " + method + " is not supported by NextAuth.js")
	}
	return d.ErrorText("Bad request.")
}

// Auth.js error codes used in ?error= query parameters.
const (
	CodeConfiguration      = "Configuration"
	CodeAccessDenied       = "AccessDenied"
	CodeVerification       = "Verification"
	CodeCredentialsSignin  = "CredentialsSignin"
	CodeMissingCSRF        = "MissingCSRF"
	CodeOAuthSignin        = "OAuthSignin"
	CodeOAuthCallback      = "OAuthCallback"
	CodeOAuthCallbackErr   = "OAuthCallbackError"
	CodeOAuthNotLinked     = "OAuthAccountNotLinked"
	CodeOAuthCreateAccount = "OAuthCreateAccount"
	CodeEmailSignin        = "EmailSignin"
	CodeEmailCreateAccount = "EmailCreateAccount"
	CodeCallback           = "Callback"
	CodeSessionRequired    = "SessionRequired"
	// CodeWebAuthnVerification: a passkey ceremony's response failed
	// verification (v5).
	CodeWebAuthnVerification = "WebAuthnVerificationError"
	// CodeAccountNotLinked: a passkey belongs to another user than the
	// signed-in one, or its new account's address is taken (v5).
	CodeAccountNotLinked = "AccountNotLinked"
	// CodeRateLimited is the code of throttled credentials: v5's
	// CredentialsSignin code, v4's error.
	CodeRateLimited = "rate_limited"
)

// Failure names a way a sign-in can fail that the dialects report under
// different codes.
type Failure int

const (
	// OAuthSignInFailed: the redirect to the provider could not be built
	// (discovery failed, ...).
	OAuthSignInFailed Failure = iota
	// OAuthCallbackFailed: a check, the code exchange, the ID token or the
	// profile failed.
	OAuthCallbackFailed
	// ProviderRefused: the provider answered the callback with ?error=.
	ProviderRefused
	// EmailSignInFailed: an email sign-in could not start.
	EmailSignInFailed
	// CallbackUnsupported: the provider has no callback of this kind.
	CallbackUnsupported
	// CreateUserFailed: the adapter could not create a new user.
	CreateUserFailed
	// AdapterFailed: the adapter failed during a sign-in.
	AdapterFailed
	// EmailCreateUserFailed: the adapter could not create the user of an
	// email sign-in.
	EmailCreateUserFailed
	// EmailTokenMissing: an email callback without a token.
	EmailTokenMissing
)

// Code returns the error code of a failure.
func (d *Dialect) Code(f Failure) string {
	v4 := [...]string{CodeOAuthSignin, CodeOAuthCallback, CodeCallback, CodeEmailSignin, CodeCallback, CodeOAuthCreateAccount, CodeCallback,
		CodeEmailCreateAccount, "configuration"}
	v5 := [...]string{CodeConfiguration, CodeConfiguration, CodeOAuthCallbackErr, CodeConfiguration, CodeConfiguration, CodeConfiguration, CodeConfiguration,
		CodeConfiguration, CodeConfiguration}
	if d.v4 {
		return v4[f]
	}
	return v5[f]
}

// Pages are the custom page paths of a deployment ("" for built-in).
type Pages struct {
	SignIn, SignOut, Error, VerifyRequest, NewUser string
}

// Site locates the endpoints of one request.
type Site struct {
	// Origin is "https://app.example.com"; BasePath is "/api/auth".
	Origin, BasePath string
	Pages            Pages
}

// Base returns origin + base path.
func (s Site) Base() string { return s.Origin + s.BasePath }

// Redirect is where a failed request goes.
type Redirect struct {
	// URL is the target.
	URL string
	// Status is the status of a JSON answer to a v4 client (json=true):
	// 401 or 403 for some failures, 200 otherwise.
	Status int
	// DropCookies: answer without the CSRF and callback-url cookies (v5's
	// error path).
	DropCookies bool
	// NoLocation: a JSON answer to X-Auth-Return-Redirect carries no
	// Location header (v5's error path).
	NoLocation bool
}

// signInErrors are the v5 codes that land on the sign-in page rather than
// the error page (@auth/core's SignInError kinds).
var signInErrors = map[string]bool{
	CodeCredentialsSignin: true, CodeMissingCSRF: true, CodeOAuthCallbackErr: true, CodeOAuthNotLinked: true,
	CodeAccountNotLinked: true,
}

// Fail returns where a request failing with code goes. v4 goes through
// <base>/error?error=<code>, keeping the cookies, with v4Status for a JSON
// answer; v5 goes to the sign-in page for sign-in errors and to the error
// page for the rest (or their custom pages), without cookies. extra adds
// query parameters after error.
func (d *Dialect) Fail(s Site, code string, extra url.Values, v4Status int) Redirect {
	q := url.Values{"error": {code}}
	for k, v := range extra {
		q[k] = v
	}
	if d.v4 {
		return Redirect{URL: s.Base() + "/error?" + EncodeOrdered(q, "error"), Status: v4Status}
	}
	page := s.BasePath + "/error"
	if s.Pages.Error != "" {
		page = s.Pages.Error
	}
	if signInErrors[code] {
		page = s.BasePath + "/signin"
		if s.Pages.SignIn != "" {
			page = s.Pages.SignIn
		}
	}
	return Redirect{URL: s.Origin + page + Sep(page) + EncodeOrdered(q, "error"), Status: http.StatusOK, DropCookies: true, NoLocation: true}
}

// CSRFFailed returns where a POST with a missing or wrong CSRF token goes:
// v4 back to <base><page>?csrf=true, v5 to the sign-in page with
// error=MissingCSRF.
func (d *Dialect) CSRFFailed(s Site, page string) Redirect {
	if d.v4 {
		return Redirect{URL: s.Base() + page + "?csrf=true", Status: http.StatusOK}
	}
	return d.Fail(s, CodeMissingCSRF, nil, http.StatusOK)
}

// CredentialsFailed returns where rejected credentials go. code is the
// rejection's code ("credentials" by default). v4: 401 and
// <base>/error?error=CredentialsSignin&provider=<id>, the code replacing
// CredentialsSignin when it is not the default; v5: the sign-in page with
// error=CredentialsSignin&code=<code>.
func (d *Dialect) CredentialsFailed(s Site, code, provider string) Redirect {
	if d.v4 {
		errCode := CodeCredentialsSignin
		if code != "credentials" {
			errCode = code
		}
		return d.Fail(s, errCode, url.Values{"provider": {provider}}, http.StatusUnauthorized)
	}
	return d.Fail(s, CodeCredentialsSignin, url.Values{"code": {code}}, http.StatusOK)
}

// v4ErrorsToSignIn are the codes v4's /error forwards to the sign-in page.
var v4ErrorsToSignIn = map[string]bool{
	"Signin": true, CodeOAuthSignin: true, CodeOAuthCallback: true,
	CodeOAuthCreateAccount: true, "EmailCreateAccount": true, CodeCallback: true, CodeOAuthNotLinked: true,
	CodeEmailSignin: true, CodeCredentialsSignin: true, CodeSessionRequired: true, CodeRateLimited: true,
}

// ErrorToSignIn reports whether GET /error?error=<code> redirects to the
// sign-in page with the code (v4, for sign-in errors).
func (d *Dialect) ErrorToSignIn(code string) bool { return d.v4 && v4ErrorsToSignIn[code] }

// EncodeOrdered encodes q with the key first first and the rest sorted.
func EncodeOrdered(q url.Values, first string) string {
	s := url.Values{first: q[first]}.Encode()
	rest := url.Values{}
	for k, v := range q {
		if k != first {
			rest[k] = v
		}
	}
	if r := rest.Encode(); r != "" {
		s += "&" + r
	}
	return s
}

// Sep returns the separator that appends a query to u: "&" when u already
// has one, "?" otherwise.
func Sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}
