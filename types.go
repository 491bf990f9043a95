package ginauth

import "github.com/ginauth/ginauth/internal/core"

// Mode selects the Auth.js dialect spoken on the wire.
type Mode = core.Mode

const (
	// ModeV5 speaks Auth.js v5 (@auth/core, next-auth@5), the default.
	ModeV5 = core.ModeV5
	// ModeV4 speaks NextAuth.js v4 (next-auth@4, @sidebase/nuxt-auth).
	ModeV4 = core.ModeV4
)

// User is the identity a provider returns after a successful sign-in.
type User = core.User

// Account describes how a user signed in.
type Account = core.Account

// TokenClaims is a session token's claims, as Token returns them.
type TokenClaims = core.Token

// SessionData is a session as clients see it:
// {"user":{"name","email","image"},"expires"} plus callback additions.
type SessionData = core.SessionData

// SessionUser is the user part of a session.
type SessionUser = core.SessionUser

// Trigger names why the JWT or Session callback runs.
type Trigger = core.Trigger

// Triggers passed to the JWT and Session callbacks.
const (
	TriggerNone   = core.TriggerNone
	TriggerSignIn = core.TriggerSignIn
	TriggerSignUp = core.TriggerSignUp
	TriggerUpdate = core.TriggerUpdate
)

// Callbacks customise sign-in, redirects, the token and the session.
type Callbacks = core.Callbacks

// SignInParams is passed to the SignIn callback.
type SignInParams = core.SignInParams

// RedirectParams is passed to the Redirect callback.
type RedirectParams = core.RedirectParams

// JWTParams is passed to the JWT callback.
type JWTParams = core.JWTParams

// SessionParams is passed to the Session callback.
type SessionParams = core.SessionParams

// Events are notified after sign-ins, sign-outs and session reads.
type Events = core.Events

// SignInEvent is passed to the SignIn event.
type SignInEvent = core.SignInEvent

// SignOutEvent is passed to the SignOut event.
type SignOutEvent = core.SignOutEvent

// SessionEvent is passed to the Session event.
type SessionEvent = core.SessionEvent

// CredentialsError rejects credentials with a client-visible code.
type CredentialsError = core.CredentialsError

// RedirectError, returned by a SignIn callback, sends the user to URL
// instead of signing in.
type RedirectError = core.RedirectError

// Errors, matched with errors.Is.
var (
	// ErrConfig is wrapped by every error New returns.
	ErrConfig = core.ErrConfig
	// ErrNoSecret: Config.Secret is empty.
	ErrNoSecret = core.ErrNoSecret
	// ErrShortSecret: a secret is shorter than MinSecretLen bytes.
	ErrShortSecret = core.ErrShortSecret
	// ErrInvalidToken: a session token is malformed, tampered with, made
	// with another secret or cookie name, or uses a refused algorithm.
	ErrInvalidToken = core.ErrInvalidToken
	// ErrTokenExpired: a session token is past its expiry.
	ErrTokenExpired = core.ErrTokenExpired
	// ErrCredentialsSignin: credentials were rejected.
	ErrCredentialsSignin = core.ErrCredentialsSignin
	// ErrAccessDenied: a SignIn callback denied the sign-in.
	ErrAccessDenied = core.ErrAccessDenied
	// ErrMissingCSRF: a POST lacked a valid CSRF token.
	ErrMissingCSRF = core.ErrMissingCSRF
)

// MinSecretLen is the shortest secret New accepts, in bytes.
const MinSecretLen = core.MinSecretLen
