// Package core holds the types shared by ginauth's packages: users, accounts,
// token claims, sessions, callbacks and the errors that map to Auth.js error
// codes. The root package re-exports them under the same names.
package core

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"time"
)

// Mode selects the Auth.js dialect spoken on the wire.
type Mode int

const (
	// ModeV5 speaks Auth.js v5 (@auth/core, next-auth@5): authjs.* cookies,
	// A256CBC-HS512 tokens keyed by cookie name, null for an empty session.
	ModeV5 Mode = iota
	// ModeV4 speaks NextAuth.js v4: next-auth.* cookies, A256GCM tokens with
	// an empty HKDF salt, {} for an empty session.
	ModeV4
)

// String returns "v5" or "v4".
func (m Mode) String() string {
	if m == ModeV4 {
		return "v4"
	}
	return "v5"
}

// User is the identity a provider returns after a successful sign-in.
type User struct {
	// ID becomes the token's "sub" claim. When empty a random UUID is used.
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Image string `json:"image,omitempty"`
}

// Account describes how a user signed in: the provider and, for OAuth
// providers, the tokens it returned.
type Account struct {
	Provider          string `json:"provider"`
	Type              string `json:"type"`
	ProviderAccountID string `json:"providerAccountId"`
	AccessToken       string `json:"access_token,omitempty"`
	RefreshToken      string `json:"refresh_token,omitempty"`
	ExpiresAt         int64  `json:"expires_at,omitempty"`
	IDToken           string `json:"id_token,omitempty"`
	Scope             string `json:"scope,omitempty"`
	TokenType         string `json:"token_type,omitempty"`
	SessionState      string `json:"session_state,omitempty"`
}

// Token is the set of claims carried by a session token, as Auth.js's
// getToken returns it: name, email, picture, sub, iat, exp, jti and whatever
// the JWT callback added. Values are the types encoding/json produces.
type Token map[string]any

// String returns the claim as a string, or "" when it is absent or not a string.
func (t Token) String(name string) string {
	s, _ := t[name].(string)
	return s
}

// Subject returns the "sub" claim.
func (t Token) Subject() string { return t.String("sub") }

// Name returns the "name" claim.
func (t Token) Name() string { return t.String("name") }

// Email returns the "email" claim.
func (t Token) Email() string { return t.String("email") }

// Picture returns the "picture" claim.
func (t Token) Picture() string { return t.String("picture") }

// Time returns a NumericDate claim such as "exp" or "iat".
func (t Token) Time(name string) (time.Time, bool) {
	f, ok := t[name].(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// Expires returns the "exp" claim.
func (t Token) Expires() (time.Time, bool) { return t.Time("exp") }

// Strings returns a claim holding a string or a list of strings (such as
// "roles"), as a slice.
func (t Token) Strings(name string) []string {
	switch v := t[name].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Clone returns a deep copy of the token, so that a caller can change it
// without touching a token shared with other requests.
func (t Token) Clone() Token {
	if t == nil {
		return nil
	}
	out := make(Token, len(t))
	for k, v := range t {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = cloneValue(e)
		}
		return m
	case Token:
		return v.Clone()
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = cloneValue(e)
		}
		return s
	case []string:
		return append([]string(nil), v...)
	}
	return v
}

// SessionUser is the user part of a session as the clients see it.
type SessionUser struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Image string `json:"image,omitempty"`
	// Extra holds fields a Session callback adds to the user (for example
	// "id" or "role"); they are marshalled beside name, email and image.
	Extra map[string]any `json:"-"`
}

// MarshalJSON writes name, email, image and then the Extra fields as one
// object. Extra cannot replace the three standard fields.
func (u SessionUser) MarshalJSON() ([]byte, error) {
	var fields []field
	if u.Name != "" {
		fields = append(fields, field{"name", u.Name})
	}
	if u.Email != "" {
		fields = append(fields, field{"email", u.Email})
	}
	if u.Image != "" {
		fields = append(fields, field{"image", u.Image})
	}
	return marshalObject(fields, u.Extra, "name", "email", "image")
}

// SessionData is the session returned by GET /api/auth/session and by
// ginauth.Session: {"user":{...},"expires":"<ISO time>"} plus any fields a
// Session callback adds.
type SessionData struct {
	User    *SessionUser
	Expires time.Time
	// Extra holds top-level fields a Session callback adds (for example
	// "accessToken"); they are marshalled beside user and expires.
	Extra map[string]any
}

// MarshalJSON writes the session in the Auth.js shape, with expires as an
// ISO 8601 UTC time with milliseconds, as JavaScript's toISOString does,
// followed by the Extra fields.
func (s SessionData) MarshalJSON() ([]byte, error) {
	var fields []field
	if s.User != nil {
		fields = append(fields, field{"user", s.User})
	}
	fields = append(fields, field{"expires", ISOTime(s.Expires)})
	return marshalObject(fields, s.Extra, "user", "expires")
}

type field struct {
	name  string
	value any
}

// marshalObject writes fields in order, then extra's keys sorted, skipping
// extra keys listed in reserved.
func marshalObject(fields []field, extra map[string]any, reserved ...string) ([]byte, error) {
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if !slices.Contains(reserved, k) {
			fields = append(fields, field{k, extra[k]})
		}
	}
	buf := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, err := json.Marshal(f.name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		buf = append(append(append(buf, k...), ':'), v...)
	}
	return append(buf, '}'), nil
}

// ISOTime formats t as JavaScript's Date.prototype.toISOString does.
func ISOTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// Trigger names why the JWT or Session callback runs.
type Trigger string

const (
	// TriggerNone is a plain session read (GET /session).
	TriggerNone Trigger = ""
	// TriggerSignIn is a sign-in.
	TriggerSignIn Trigger = "signIn"
	// TriggerSignUp is a sign-in that created a new user in a database.
	TriggerSignUp Trigger = "signUp"
	// TriggerUpdate is a session update (POST /session, the client's update()).
	TriggerUpdate Trigger = "update"
)

// SignInParams is passed to the SignIn callback.
type SignInParams struct {
	User    *User
	Account *Account
	// Profile is the provider's raw profile (OAuth and OpenID Connect).
	Profile map[string]any
	// Credentials holds the submitted form fields (credentials provider).
	Credentials map[string]string
	// VerificationRequest is true when an email provider is about to send a
	// sign-in link.
	VerificationRequest bool
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
	// Token holds the current claims. At sign-in it holds name, email,
	// picture and sub built from User.
	Token Token
	// User, Account and Profile are set only when Trigger is TriggerSignIn
	// or TriggerSignUp.
	User      *User
	Account   *Account
	Profile   map[string]any
	IsNewUser bool
	Trigger   Trigger
	// Session holds the data sent by the client's update(data) when
	// Trigger is TriggerUpdate.
	Session any
}

// SessionParams is passed to the Session callback.
type SessionParams struct {
	// Session is the default session built from Token.
	Session *SessionData
	Token   Token
	Trigger Trigger
	// NewSession holds the data sent by update(data) (TriggerUpdate only).
	NewSession any
}

// Callbacks customise sign-in, redirects, the token and the session. Every
// field is optional; nil means Auth.js's default behaviour.
type Callbacks struct {
	// SignIn decides whether a user may sign in. Returning nil allows it; a
	// *RedirectError sends the user to its URL; any other error denies it
	// with AccessDenied.
	SignIn func(ctx context.Context, p SignInParams) error
	// Redirect validates every callbackUrl. The default keeps the user on
	// the application's origin (see ginauth's README for the exact rules).
	Redirect func(ctx context.Context, p RedirectParams) (string, error)
	// JWT shapes the token's claims at sign-in, on session reads through
	// /session, and on update. Returning a nil Token ends the session.
	JWT func(ctx context.Context, p JWTParams) (Token, error)
	// Session shapes the session returned to clients and by ginauth.Session.
	Session func(ctx context.Context, p SessionParams) (*SessionData, error)
}

// SignInEvent is passed to the SignIn event.
type SignInEvent struct {
	User      *User
	Account   *Account
	Profile   map[string]any
	IsNewUser bool
}

// SignOutEvent is passed to the SignOut event.
type SignOutEvent struct {
	// Token holds the claims of the session that ended, when it could be
	// decoded.
	Token Token
}

// SessionEvent is passed to the Session event.
type SessionEvent struct {
	Session *SessionData
	Token   Token
}

// Events are notified after things happen. Their errors are logged and do
// not change the response.
type Events struct {
	SignIn  func(ctx context.Context, e SignInEvent) error
	SignOut func(ctx context.Context, e SignOutEvent) error
	Session func(ctx context.Context, e SessionEvent) error
}

// SessionFromToken builds the default session from a token's claims:
// name, email and picture become the user's name, email and image.
func SessionFromToken(t Token, expires time.Time) *SessionData {
	return &SessionData{
		User:    &SessionUser{Name: t.Name(), Email: t.Email(), Image: t.Picture()},
		Expires: expires,
	}
}
