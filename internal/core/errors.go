package core

import (
	"errors"
	"fmt"
)

// Sentinel errors. The root package re-exports them with the same values so
// errors.Is matches across packages.
var (
	// ErrConfig reports an invalid Config given to New.
	ErrConfig = errors.New("ginauth: invalid configuration")
	// ErrNoSecret reports that no secret was configured.
	ErrNoSecret = fmt.Errorf("%w: a secret is required (set Config.Secret, e.g. from AUTH_SECRET; generate one with `openssl rand -base64 32`)", ErrConfig)
	// ErrShortSecret reports a secret too short to be safe.
	ErrShortSecret = fmt.Errorf("%w: every secret must be at least %d bytes long", ErrConfig, MinSecretLen)

	// ErrInvalidToken reports a session token that is malformed, was made
	// with another secret or cookie name, uses a refused algorithm, or was
	// tampered with.
	ErrInvalidToken = errors.New("ginauth: invalid session token")
	// ErrTokenExpired reports a session token past its "exp" claim (after
	// the 15 second clock tolerance), or not yet valid ("nbf").
	ErrTokenExpired = errors.New("ginauth: session token expired")

	// ErrCredentialsSignin is returned by (or wrapped in errors from) a
	// credentials Authorize function to reject the credentials. Returning a
	// nil user and a nil error means the same.
	ErrCredentialsSignin = errors.New("ginauth: invalid credentials")
	// ErrAccessDenied is returned by a SignIn callback to deny a sign-in.
	ErrAccessDenied = errors.New("ginauth: access denied")
	// ErrMissingCSRF reports a POST without a valid CSRF token.
	ErrMissingCSRF = errors.New("ginauth: missing or invalid CSRF token")
)

// MinSecretLen is the shortest secret New accepts, in bytes.
const MinSecretLen = 32

// CredentialsError rejects credentials with a specific code, which reaches
// the client as ?error=CredentialsSignin&code=<Code> (Auth.js v5's
// CredentialsSignin subclasses) or ?error=<Code> (v4). It matches
// ErrCredentialsSignin with errors.Is.
type CredentialsError struct {
	// Code is a short, client-safe reason such as "invalid_otp". Empty
	// means "credentials".
	Code string
}

// Error implements error.
func (e *CredentialsError) Error() string {
	if e.Code == "" {
		return ErrCredentialsSignin.Error()
	}
	return ErrCredentialsSignin.Error() + ": " + e.Code
}

// Is reports whether target is ErrCredentialsSignin.
func (e *CredentialsError) Is(target error) bool { return target == ErrCredentialsSignin }

// RedirectError is returned by a SignIn callback to send the user somewhere
// else instead of signing in (Auth.js's "return a URL from signIn").
type RedirectError struct {
	URL string
}

// Error implements error.
func (e *RedirectError) Error() string { return "ginauth: sign-in redirected" }

// Auth.js error codes used in ?error= query parameters.
const (
	CodeConfiguration     = "Configuration"
	CodeAccessDenied      = "AccessDenied"
	CodeVerification      = "Verification"
	CodeCredentialsSignin = "CredentialsSignin"
	CodeMissingCSRF       = "MissingCSRF"
	CodeOAuthSignin       = "OAuthSignin"
	CodeOAuthCallback     = "OAuthCallback"
	CodeOAuthCallbackErr  = "OAuthCallbackError"
	CodeOAuthNotLinked    = "OAuthAccountNotLinked"
	CodeEmailSignin       = "EmailSignin"
	CodeCallback          = "Callback"
	CodeSessionRequired   = "SessionRequired"
	CodeSignin            = "Signin"
)
