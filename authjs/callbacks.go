package authjs

import (
	"context"
	"errors"
	"net/http"
)

// Trigger names why the JWT or Session callback runs.
type Trigger string

// Triggers passed to the JWT and Session callbacks.
const (
	// TriggerNone is a plain session read (GET /api/auth/session).
	TriggerNone Trigger = ""
	// TriggerSignIn is a sign-in.
	TriggerSignIn Trigger = "signIn"
	// TriggerSignUp is a sign-in that created a new user in a database.
	TriggerSignUp Trigger = "signUp"
	// TriggerUpdate is a session update (POST /api/auth/session, the
	// client's update(data)).
	TriggerUpdate Trigger = "update"
)

// Request is the HTTP request a sign-in arrived with, for callbacks and
// credentials checks that throttle or audit by client (Auth.js passes the
// request to authorize for the same reason).
type Request struct {
	// HTTP is the incoming request. Its body has been read; its context
	// ends with the request.
	HTTP *http.Request
	// ClientIP is the client's address as gin.Context.ClientIP reports it:
	// the connection's peer, or the address a trusted proxy forwarded
	// (see gin.Engine.SetTrustedProxies and TrustedPlatform).
	ClientIP string
}

// SignInParams is passed to the SignIn callback.
type SignInParams struct {
	// User is the user the provider vouched for.
	User *User
	// Account is the provider account used to sign in.
	Account *Account
	// Profile is the provider's raw profile (OAuth and OpenID Connect).
	Profile map[string]any
	// Credentials holds the submitted form fields (credentials providers).
	Credentials map[string]string
	// VerificationRequest is true when an email provider is about to send
	// a sign-in link (Auth.js's email.verificationRequest): User is the
	// stored user with that address or a placeholder, and denying stops
	// the message. At the link's callback it is false.
	VerificationRequest bool
	// Request is the sign-in's HTTP request.
	Request *Request
}

// RedirectParams is passed to the Redirect callback.
type RedirectParams struct {
	// URL is the requested target, as the client sent it.
	URL string
	// BaseURL is the application's origin, such as "https://app.example.com".
	BaseURL string
}

// JWTParams is passed to the JWT callback.
type JWTParams struct {
	// Token holds the current claims, the callback's own copy. At sign-in
	// it holds name, email, picture and sub built from User.
	Token Claims
	// User, Account and Profile are set only when Trigger is TriggerSignIn
	// or TriggerSignUp.
	User    *User
	Account *Account
	Profile map[string]any
	// IsNewUser reports a sign-in that created the user.
	IsNewUser bool
	// Trigger says why the callback runs.
	Trigger Trigger
	// Session holds the data sent by the client's update(data) when
	// Trigger is TriggerUpdate.
	Session any
	// Request is the HTTP request: the sign-in's, or the session
	// endpoint's.
	Request *Request
}

// SessionParams is passed to the Session callback.
type SessionParams struct {
	// Session is the default session built from Token; the callback may
	// change it and return it.
	Session *Session
	// Token holds the claims, the callback's own copy. For a database
	// session they are derived from User: sub, name, email, picture, exp.
	Token Claims
	// User is the session's user from the Adapter (database sessions
	// only, as Auth.js passes it).
	User *User
	// Trigger is TriggerUpdate for the client's update(data), TriggerNone
	// otherwise.
	Trigger Trigger
	// NewSession holds the data sent by update(data) (TriggerUpdate only).
	NewSession any
}

// Callbacks customise sign-in, redirects, the token and the session. Every
// field is optional; nil means Auth.js's default behaviour. Each receives
// the request's context.
type Callbacks struct {
	// SignIn decides whether a user may sign in. Returning nil allows it; a
	// *RedirectError sends the user to its URL instead; ErrAccessDenied, or
	// any other error (which is also logged), denies it with AccessDenied.
	SignIn func(ctx context.Context, p SignInParams) error
	// Redirect validates every callbackUrl. The default keeps the user on
	// the application's origin. A result that is empty or contains CR or
	// LF, or an error, gives the origin.
	Redirect func(ctx context.Context, p RedirectParams) (string, error)
	// JWT shapes the token's claims at sign-in, on session reads through
	// GET /api/auth/session, and on update. Returning nil claims ends the
	// session. iat, exp and jti are always set by ginauth.
	JWT func(ctx context.Context, p JWTParams) (Claims, error)
	// Session shapes the session returned to clients and by
	// ginauth.Session. A nil session or an error means no session.
	Session func(ctx context.Context, p SessionParams) (*Session, error)
}

// SignInEvent is passed to the SignIn event.
type SignInEvent struct {
	User    *User
	Account *Account
	Profile map[string]any
	// IsNewUser reports a sign-in that created the user in the Adapter.
	IsNewUser bool
	// Request is the sign-in's HTTP request.
	Request *Request
}

// SignOutEvent is passed to the SignOut event.
type SignOutEvent struct {
	// Token holds the claims of the session that ended, when it could be
	// read (for a database session, the claims derived from its user).
	Token Claims
	// Session is the database session that ended (database sessions only).
	Session *DatabaseSession
}

// SessionEvent is passed to the Session event.
type SessionEvent struct {
	Session *Session
	Token   Claims
}

// UserEvent is passed to the CreateUser and UpdateUser events.
type UserEvent struct {
	// User is the user as the Adapter stored it.
	User *User
}

// LinkAccountEvent is passed to the LinkAccount event.
type LinkAccountEvent struct {
	User    *User
	Account *Account
	Profile map[string]any
}

// Events are notified after things happen. They run in the request; their
// errors are logged and do not change the response.
type Events struct {
	// SignIn runs after a sign-in issued its session.
	SignIn func(ctx context.Context, e SignInEvent) error
	// SignOut runs on POST /api/auth/signout.
	SignOut func(ctx context.Context, e SignOutEvent) error
	// Session runs after every successful GET or POST /api/auth/session.
	Session func(ctx context.Context, e SessionEvent) error
	// CreateUser runs after a sign-in created a user in the Adapter.
	CreateUser func(ctx context.Context, e UserEvent) error
	// UpdateUser runs after a sign-in changed a user in the Adapter.
	UpdateUser func(ctx context.Context, e UserEvent) error
	// LinkAccount runs after a sign-in linked a provider account to a
	// user in the Adapter.
	LinkAccount func(ctx context.Context, e LinkAccountEvent) error
}

// ErrAccessDenied is returned by a SignIn callback to deny a sign-in; the
// client sees Auth.js's AccessDenied error.
var ErrAccessDenied = errors.New("authjs: access denied")

// RedirectError is returned by a SignIn callback to send the user somewhere
// else instead of signing in (Auth.js's "return a URL from signIn"). The URL
// goes through the Redirect callback.
type RedirectError struct {
	URL string
}

// Error implements error.
func (e *RedirectError) Error() string { return "authjs: sign-in redirected to another page" }
