package authjs

import (
	"context"
	"errors"
	"time"
)

// An Adapter keeps users, their provider accounts, database sessions and
// email verification tokens in a store, with Auth.js's method set (the
// Adapter of @auth/core/adapters), so that a store shared with an Auth.js
// application holds the same records. Every method takes the request's
// context; a store must bound its work by it.
//
// The contract, which the adaptertest suite checks:
//
//   - Lookups, updates and links of a record that does not exist return an
//     error matching ErrNotFound (an unknown user, session, token or
//     authenticator; a session whose user is gone; an id that is not in the
//     store's format). Deleting what does not exist is not an error.
//   - A write that would duplicate a unique key returns an error matching
//     ErrConflict: a second account with the same provider and provider
//     account id, a second user with the same email, a second session or
//     authenticator with the same key. (A second verification token with
//     the same identifier and hash, which random tokens make impossible in
//     practice, may be refused or replace the first.)
//   - Empty optional fields (a user's name, email and image, an account's
//     tokens, scope and expires_at 0, an authenticator's transports) are
//     absent values (NULL in SQL): users without an email never collide,
//     and GetUserByEmail("") is ErrNotFound. A lookup by a key the store
//     cannot hold (invalid UTF-8, a NUL byte, longer than its column) is
//     ErrNotFound too, never a failure.
//   - Times keep at least whole seconds, truncated (never rounded up), and
//     come back as the same instants.
//   - No session, account or authenticator outlives its user, even when
//     written while DeleteUser runs.
//   - Lists of a user with no records are empty, not ErrNotFound.
//   - Any other error is a failure of the store, which ginauth answers as a
//     temporary outage (503 on protected routes), never as a missing
//     session.
//
// The packages under github.com/ginauth/ginauth/adapters implement it on
// SQLite, PostgreSQL, Redis and in memory.
type Adapter interface {
	// CreateUser stores a new user and returns it with the ID the store
	// assigned (u.ID is a suggestion the store may ignore).
	CreateUser(ctx context.Context, u User) (*User, error)
	// GetUser returns the user with the given ID.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByEmail returns the user with the given email address,
	// compared exactly (byte for byte: ginauth lower-cases addresses from
	// providers before they reach the store).
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// GetUserByAccount returns the user linked to a provider account.
	GetUserByAccount(ctx context.Context, provider, providerAccountID string) (*User, error)
	// UpdateUser replaces the name, email, emailVerified and image of the
	// user with u.ID (all four: read, change and write back to change one)
	// and returns the stored user.
	UpdateUser(ctx context.Context, u User) (*User, error)
	// DeleteUser deletes a user with its accounts, sessions and
	// authenticators.
	DeleteUser(ctx context.Context, id string) error
	// LinkAccount stores a provider account of the user a.UserID, which
	// must exist.
	LinkAccount(ctx context.Context, a Account) error
	// UnlinkAccount deletes a provider account.
	UnlinkAccount(ctx context.Context, provider, providerAccountID string) error
	// CreateSession stores a database session of an existing user.
	CreateSession(ctx context.Context, s DatabaseSession) error
	// GetSessionAndUser returns a session and its user in one round trip,
	// expired or not (the caller checks Expires); a store whose records
	// expire on their own, such as Redis, may report an expired session as
	// ErrNotFound instead.
	GetSessionAndUser(ctx context.Context, sessionToken string) (*DatabaseSession, *User, error)
	// UpdateSession sets the expiry of the session with s.SessionToken; it
	// never brings back a session that was deleted, and updating one that
	// does not exist returns nil or ErrNotFound.
	UpdateSession(ctx context.Context, s DatabaseSession) error
	// DeleteSession deletes a session; deleting one that does not exist is
	// not an error.
	DeleteSession(ctx context.Context, sessionToken string) error
	// CreateVerificationToken stores an email verification token (its
	// Token is the hash the store keeps, never the link's raw token).
	CreateVerificationToken(ctx context.Context, t VerificationToken) error
	// UseVerificationToken deletes and returns the token with the given
	// identifier and hash. Of concurrent calls for one token exactly one
	// succeeds; the others get ErrNotFound.
	UseVerificationToken(ctx context.Context, identifier, token string) (*VerificationToken, error)
}

// SessionLister is implemented by adapters that can find a user's
// sessions, for the server-side APIs that list and revoke them (Auth.js has
// no equivalent). Every adapter of this module implements it.
type SessionLister interface {
	// ListSessions returns the user's sessions, soonest expiry first,
	// with the expired ones the store still holds.
	ListSessions(ctx context.Context, userID string) ([]DatabaseSession, error)
	// DeleteSessions deletes every session of the user and returns how
	// many there were.
	DeleteSessions(ctx context.Context, userID string) (int, error)
}

// NullUserFields is implemented by adapters that keep a user's absent
// name, email and image as NULL, as SQL databases do. Auth.js answers a
// database session of such a user with "image": null (and so on) where it
// leaves the field out for other stores; ginauth's session answer and
// Session(c) follow the same rule when the adapter reports true.
type NullUserFields interface {
	// UserFieldsNullable reports whether absent user fields are NULL.
	UserFieldsNullable() bool
}

// WebAuthnAdapter is implemented by adapters that keep passkeys, with
// @auth/core's optional WebAuthn methods.
type WebAuthnAdapter interface {
	// GetAccount returns a provider account (note the order: provider
	// first, unlike Auth.js's getAccount(providerAccountId, provider)).
	GetAccount(ctx context.Context, provider, providerAccountID string) (*Account, error)
	// GetAuthenticator returns the authenticator with a credential ID.
	GetAuthenticator(ctx context.Context, credentialID string) (*Authenticator, error)
	// CreateAuthenticator stores an authenticator.
	CreateAuthenticator(ctx context.Context, a Authenticator) error
	// ListAuthenticatorsByUserID returns a user's authenticators.
	ListAuthenticatorsByUserID(ctx context.Context, userID string) ([]Authenticator, error)
	// UpdateAuthenticatorCounter sets an authenticator's signature counter.
	UpdateAuthenticatorCounter(ctx context.Context, credentialID string, counter int64) error
}

// AuthenticatorDeleter is implemented by adapters that can delete one
// passkey, for the server-side API that removes a user's passkey (Auth.js
// has no equivalent). Every adapter of this module implements it.
type AuthenticatorDeleter interface {
	// DeleteAuthenticator deletes the authenticator with a credential ID,
	// and nothing else (the webauthn account it belongs to stays). Unlike
	// the other deletes, an authenticator that does not exist is an error
	// matching ErrNotFound, so that a caller learns that nothing was
	// deleted; of concurrent calls for one authenticator exactly one
	// succeeds.
	DeleteAuthenticator(ctx context.Context, credentialID string) error
}

// Errors adapters return, for errors.Is.
var (
	// ErrNotFound reports a record that does not exist.
	ErrNotFound = errors.New("authjs: not found")
	// ErrConflict reports a write that would duplicate a unique key.
	ErrConflict = errors.New("authjs: conflict")
)

// DatabaseSession is a session kept in an adapter (Auth.js's
// AdapterSession). The session cookie holds SessionToken.
type DatabaseSession struct {
	// SessionToken is the random value of the session cookie.
	SessionToken string `json:"sessionToken"`
	// UserID is the ID of the session's user.
	UserID string `json:"userId"`
	// Expires is when the session ends unless it is extended.
	Expires time.Time `json:"expires"`
}

// VerificationToken is an email sign-in token as an adapter keeps it
// (Auth.js's VerificationToken).
type VerificationToken struct {
	// Identifier is the email address the link was sent to.
	Identifier string `json:"identifier"`
	// Token is the hash of the link's token.
	Token string `json:"token"`
	// Expires is when the link stops working.
	Expires time.Time `json:"expires"`
}

// Authenticator is a passkey as an adapter keeps it (Auth.js's
// AdapterAuthenticator).
type Authenticator struct {
	// CredentialID is the credential's raw ID in standard base64 with
	// padding ("+", "/", "="), as Auth.js stores it (the wire uses
	// base64url without padding).
	CredentialID string `json:"credentialID"`
	// UserID is the ID of the passkey's user.
	UserID string `json:"userId"`
	// ProviderAccountID is the ID of the webauthn account it belongs to.
	ProviderAccountID string `json:"providerAccountId"`
	// CredentialPublicKey is the credential's COSE public key in standard
	// base64 with padding, as Auth.js stores it.
	CredentialPublicKey string `json:"credentialPublicKey"`
	// Counter is the signature counter.
	Counter int64 `json:"counter"`
	// CredentialDeviceType is "singleDevice" or "multiDevice".
	CredentialDeviceType string `json:"credentialDeviceType"`
	// CredentialBackedUp reports a passkey synced to other devices.
	CredentialBackedUp bool `json:"credentialBackedUp"`
	// Transports lists how the authenticator is reached, comma-separated
	// ("usb,nfc"), as Auth.js stores it.
	Transports string `json:"transports,omitempty"`
}
