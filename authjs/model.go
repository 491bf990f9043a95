package authjs

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"time"
)

// User is a person who signs in: the identity a provider returns, and the
// user the callbacks receive.
type User struct {
	// ID becomes the token's "sub" claim. A credentials provider's user
	// without an ID gets a random UUID.
	ID string `json:"id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// Email is the address, lower-cased for OAuth and OpenID Connect
	// providers as Auth.js does.
	Email string `json:"email,omitempty"`
	// Image is the URL of the user's picture.
	Image string `json:"image,omitempty"`
	// EmailVerified is when the user proved they own Email (by an email
	// sign-in link); nil when they have not. Only an Adapter keeps it.
	EmailVerified *time.Time `json:"emailVerified,omitempty"`
}

// ProviderType is the type of a sign-in method, as GET /api/auth/providers
// reports it and Account.Type records it.
type ProviderType string

// Provider types.
const (
	// TypeCredentials is a form checked by the application.
	TypeCredentials ProviderType = "credentials"
	// TypeOAuth is an OAuth 2.0 provider.
	TypeOAuth ProviderType = "oauth"
	// TypeOIDC is an OpenID Connect provider.
	TypeOIDC ProviderType = "oidc"
	// TypeEmail is an email (magic link) provider.
	TypeEmail ProviderType = "email"
	// TypeWebAuthn is a passkey provider.
	TypeWebAuthn ProviderType = "webauthn"
)

// Account describes how a user signed in: the provider and, for OAuth and
// OpenID Connect providers, the tokens it returned. An Adapter keeps it as
// the link between a user and a provider account. The JSON names are
// Auth.js's.
type Account struct {
	// UserID is the ID of the user the account belongs to, once it is
	// linked in an Adapter.
	UserID string `json:"userId,omitempty"`
	// Provider is the provider's id, such as "github".
	Provider string `json:"provider"`
	// Type is the provider's type.
	Type ProviderType `json:"type"`
	// ProviderAccountID identifies the user at the provider (for OAuth the
	// provider's user id; for credentials the User.ID).
	ProviderAccountID string `json:"providerAccountId"`
	// AccessToken is the provider's access token.
	AccessToken string `json:"access_token,omitempty"`
	// RefreshToken is the provider's refresh token, when it issued one.
	RefreshToken string `json:"refresh_token,omitempty"`
	// ExpiresAt is the access token's expiry in Unix seconds (0: unknown).
	ExpiresAt int64 `json:"expires_at,omitempty"`
	// IDToken is the OpenID Connect ID token.
	IDToken string `json:"id_token,omitempty"`
	// Scope is the granted scope, space-separated.
	Scope string `json:"scope,omitempty"`
	// TokenType is the token type the provider returned, usually "Bearer".
	TokenType string `json:"token_type,omitempty"`
	// SessionState is the OpenID Connect session_state, when sent.
	SessionState string `json:"session_state,omitempty"`
}

// Claims is the set of claims a session token carries, as Auth.js's
// getToken returns it: name, email, picture, sub, iat, exp, jti and whatever
// the JWT callback added. Values have the types encoding/json produces
// (string, float64, bool, []any, map[string]any, nil).
type Claims map[string]any

// String returns the claim as a string, or "" when it is absent or not a
// string.
func (c Claims) String(name string) string {
	s, _ := c[name].(string)
	return s
}

// Subject returns the "sub" claim.
func (c Claims) Subject() string { return c.String("sub") }

// Name returns the "name" claim.
func (c Claims) Name() string { return c.String("name") }

// Email returns the "email" claim.
func (c Claims) Email() string { return c.String("email") }

// Picture returns the "picture" claim.
func (c Claims) Picture() string { return c.String("picture") }

// Time returns a NumericDate claim such as "exp" or "iat", and false when it
// is absent or not a finite number.
func (c Claims) Time(name string) (time.Time, bool) {
	f, ok := c[name].(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// Expires returns the "exp" claim.
func (c Claims) Expires() (time.Time, bool) { return c.Time("exp") }

// Strings returns a claim holding a string or a list of strings (such as
// "roles") as a slice; other values in a list are skipped.
func (c Claims) Strings(name string) []string {
	switch v := c[name].(type) {
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

// Clone returns a deep copy, so that a caller can change it without touching
// claims shared with other requests.
func (c Claims) Clone() Claims {
	if c == nil {
		return nil
	}
	out := make(Claims, len(c))
	for k, v := range c {
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
	case Claims:
		return v.Clone()
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = cloneValue(e)
		}
		return s
	case []string:
		return slices.Clone(v)
	}
	return v
}

// SessionUser is the user part of a session as clients see it.
type SessionUser struct {
	// Name, Email and Image come from the token's name, email and picture
	// claims.
	Name  string
	Email string
	Image string
	// Nulls writes an empty Name, Email or Image as null instead of
	// leaving it out, as Auth.js answers for a user read from an SQL
	// store, whose absent fields are NULL (see NullUserFields).
	Nulls bool
	// Extra holds fields a Session callback adds to the user (for example
	// "id" or "role"); they are marshalled beside name, email and image,
	// which they cannot replace.
	Extra map[string]any
}

// MarshalJSON writes {"name","email","image"} (each only when not empty,
// or as null when empty and Nulls is set) followed by the Extra fields in
// key order.
func (u SessionUser) MarshalJSON() ([]byte, error) {
	return u.appendJSON(make([]byte, 0, 128))
}

func (u SessionUser) appendJSON(buf []byte) ([]byte, error) {
	var fields [3]field
	n := 0
	for _, f := range [...]struct{ name, value string }{{"name", u.Name}, {"email", u.Email}, {"image", u.Image}} {
		switch {
		case f.value != "":
			fields[n] = field{f.name, f.value}
			n++
		case u.Nulls:
			fields[n] = field{f.name, nil}
			n++
		}
	}
	return appendObject(buf, fields[:n], u.Extra, "name", "email", "image")
}

// Session is a session as GET /api/auth/session returns it and
// ginauth.Session hands it to handlers:
// {"user":{"name","email","image"},"expires":"<ISO time>"} plus whatever a
// Session callback adds.
type Session struct {
	// User is the signed-in user; nil leaves "user" out.
	User *SessionUser
	// Expires is when the session ends unless it is refreshed.
	Expires time.Time
	// Extra holds top-level fields a Session callback adds (for example
	// "accessToken"); they are marshalled after user and expires, which
	// they cannot replace.
	Extra map[string]any
}

// MarshalJSON writes the session in Auth.js's shape, with expires as
// JavaScript's Date.toISOString writes it (UTC, milliseconds), followed by
// the Extra fields in key order.
func (s Session) MarshalJSON() ([]byte, error) {
	var fields [2]field
	n := 0
	if s.User != nil {
		fields[n] = field{"user", s.User}
		n++
	}
	fields[n] = field{"expires", isoTime(s.Expires)}
	return appendObject(make([]byte, 0, 256), fields[:n+1], s.Extra, "user", "expires")
}

// isoTime is a time that marshals as JavaScript's Date.toISOString.
type isoTime time.Time

// SessionFromClaims builds the default session from a token's claims, as
// Auth.js does: name, email and picture become the user's name, email and
// image.
func SessionFromClaims(c Claims, expires time.Time) *Session {
	return &Session{
		User:    &SessionUser{Name: c.Name(), Email: c.Email(), Image: c.Picture()},
		Expires: expires,
	}
}

type field struct {
	name  string
	value any
}

// appendObject writes fields in order, then extra's keys sorted, skipping
// extra keys listed in reserved, each as json.Marshal writes it.
func appendObject(buf []byte, fields []field, extra map[string]any, reserved ...string) ([]byte, error) {
	buf = append(buf, '{')
	write := func(i int, name string, value any) (err error) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, name)
		buf = append(buf, ':')
		buf, err = appendValue(buf, value)
		return err
	}
	for i, f := range fields {
		if err := write(i, f.name, f.value); err != nil {
			return nil, err
		}
	}
	if len(extra) > 0 {
		i := len(fields)
		for _, k := range slices.Sorted(maps.Keys(extra)) {
			if slices.Contains(reserved, k) {
				continue
			}
			if err := write(i, k, extra[k]); err != nil {
				return nil, err
			}
			i++
		}
	}
	return append(buf, '}'), nil
}

// appendValue writes v as json.Marshal does, without reflection for the
// values a session holds.
func appendValue(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendString(buf, v), nil
	case isoTime:
		buf = append(buf, '"')
		buf = time.Time(v).UTC().AppendFormat(buf, "2006-01-02T15:04:05.000Z")
		return append(buf, '"'), nil
	case *SessionUser:
		if v != nil {
			return v.appendJSON(buf)
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

// appendString writes s quoted as json.Marshal does: printable ASCII other
// than quotes, backslashes and HTML characters as it is, anything else
// through json.Marshal.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
