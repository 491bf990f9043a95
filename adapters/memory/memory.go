// Package memory is an authjs.Adapter that keeps users, accounts, sessions,
// verification tokens and passkeys in the memory of the process.
//
// It is meant for tests and single-process demos: everything it holds is
// lost when the process stops, and two processes never see each other's
// records. Use the sqlite adapter (or PostgreSQL, Redis) for anything that
// must survive a restart.
//
//	auth, err := ginauth.New(ginauth.Config{
//		Secret:  secret,
//		Adapter: memory.New(),
//		// ...
//	})
//
// A Store is safe for concurrent use. User IDs are random UUIDs. Like the
// database stores, it keeps at most one user per email address and one link
// per provider account, and it returns copies: changing a record it returned
// does not change the store.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ginauth/ginauth/authjs"
)

// Store is an in-memory authjs.Adapter, authjs.SessionLister,
// authjs.WebAuthnAdapter and authjs.AuthenticatorDeleter. Make one with
// New; the zero Store is not usable.
type Store struct {
	mu             sync.RWMutex
	users          map[string]authjs.User                // by ID
	emails         map[string]string                     // email → user ID
	accounts       map[accountKey]authjs.Account         // by provider and provider account ID
	sessions       map[string]authjs.DatabaseSession     // by session token
	tokens         map[tokenKey]authjs.VerificationToken // by identifier and token
	authenticators map[string]authjs.Authenticator       // by credential ID
}

type accountKey struct{ provider, providerAccountID string }

type tokenKey struct{ identifier, token string }

// Compile-time checks of the interfaces Store implements.
var (
	_ authjs.Adapter              = (*Store)(nil)
	_ authjs.SessionLister        = (*Store)(nil)
	_ authjs.WebAuthnAdapter      = (*Store)(nil)
	_ authjs.AuthenticatorDeleter = (*Store)(nil)
)

// New returns an empty Store.
func New() *Store {
	return &Store{
		users:          make(map[string]authjs.User),
		emails:         make(map[string]string),
		accounts:       make(map[accountKey]authjs.Account),
		sessions:       make(map[string]authjs.DatabaseSession),
		tokens:         make(map[tokenKey]authjs.VerificationToken),
		authenticators: make(map[string]authjs.Authenticator),
	}
}

// notFound and conflict wrap the sentinel errors with the operation.
func notFound(op string) error { return fmt.Errorf("memory: %s: %w", op, authjs.ErrNotFound) }
func conflict(op string) error { return fmt.Errorf("memory: %s: %w", op, authjs.ErrConflict) }

// live reports a cancelled or expired context as the error of op.
func live(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %s: %w", op, err)
	}
	return nil
}

// instant returns t in UTC without its monotonic clock reading, as a store
// that serialises times would give it back.
func instant(t time.Time) time.Time { return t.Round(0).UTC() }

// cloneUser returns a copy of u that shares no memory with it.
func cloneUser(u authjs.User) *authjs.User {
	if u.EmailVerified != nil {
		v := instant(*u.EmailVerified)
		u.EmailVerified = &v
	}
	return &u
}

// CreateUser stores a new user under a random UUID (u.ID is ignored). An
// email address another user has is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	if err := live(ctx, "create user"); err != nil {
		return nil, err
	}
	u = *cloneUser(u)
	u.ID = uuid.NewString()
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.Email != "" {
		if _, taken := s.emails[u.Email]; taken {
			return nil, conflict("create user: email already used")
		}
		s.emails[u.Email] = u.ID
	}
	s.users[u.ID] = u
	return cloneUser(u), nil
}

// GetUser returns the user with the given ID.
func (s *Store) GetUser(ctx context.Context, id string) (*authjs.User, error) {
	if err := live(ctx, "get user"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	if !ok {
		return nil, notFound("get user")
	}
	return cloneUser(u), nil
}

// GetUserByEmail returns the user with the given email address.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*authjs.User, error) {
	if err := live(ctx, "get user by email"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.emails[email]
	if !ok || email == "" {
		return nil, notFound("get user by email")
	}
	return cloneUser(s.users[id]), nil
}

// GetUserByAccount returns the user linked to a provider account.
func (s *Store) GetUserByAccount(ctx context.Context, provider, providerAccountID string) (*authjs.User, error) {
	if err := live(ctx, "get user by account"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.accounts[accountKey{provider, providerAccountID}]
	if !ok {
		return nil, notFound("get user by account")
	}
	u, ok := s.users[a.UserID]
	if !ok {
		return nil, notFound("get user by account")
	}
	return cloneUser(u), nil
}

// UpdateUser replaces the name, email, emailVerified and image of the user
// with u.ID.
func (s *Store) UpdateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	if err := live(ctx, "update user"); err != nil {
		return nil, err
	}
	u = *cloneUser(u)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.users[u.ID]
	if !ok {
		return nil, notFound("update user")
	}
	if u.Email != old.Email {
		if u.Email != "" {
			if _, taken := s.emails[u.Email]; taken {
				return nil, conflict("update user: email already used")
			}
			s.emails[u.Email] = u.ID
		}
		if old.Email != "" {
			delete(s.emails, old.Email)
		}
	}
	s.users[u.ID] = u
	return cloneUser(u), nil
}

// DeleteUser deletes a user with its accounts, sessions and
// authenticators. An unknown ID is ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	if err := live(ctx, "delete user"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return notFound("delete user")
	}
	delete(s.users, id)
	if u.Email != "" {
		delete(s.emails, u.Email)
	}
	for k, a := range s.accounts {
		if a.UserID == id {
			delete(s.accounts, k)
		}
	}
	for k, ses := range s.sessions {
		if ses.UserID == id {
			delete(s.sessions, k)
		}
	}
	for k, a := range s.authenticators {
		if a.UserID == id {
			delete(s.authenticators, k)
		}
	}
	return nil
}

// LinkAccount stores a provider account of the user a.UserID. An account
// that is already linked is ErrConflict; an unknown user is ErrNotFound.
func (s *Store) LinkAccount(ctx context.Context, a authjs.Account) error {
	if err := live(ctx, "link account"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[a.UserID]; !ok {
		return notFound("link account: no such user")
	}
	k := accountKey{a.Provider, a.ProviderAccountID}
	if _, taken := s.accounts[k]; taken {
		return conflict("link account: account already linked")
	}
	s.accounts[k] = a
	return nil
}

// UnlinkAccount deletes a provider account. An unknown account is
// ErrNotFound.
func (s *Store) UnlinkAccount(ctx context.Context, provider, providerAccountID string) error {
	if err := live(ctx, "unlink account"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := accountKey{provider, providerAccountID}
	if _, ok := s.accounts[k]; !ok {
		return notFound("unlink account")
	}
	delete(s.accounts, k)
	return nil
}

// GetAccount returns a provider account.
func (s *Store) GetAccount(ctx context.Context, provider, providerAccountID string) (*authjs.Account, error) {
	if err := live(ctx, "get account"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.accounts[accountKey{provider, providerAccountID}]
	if !ok {
		return nil, notFound("get account")
	}
	return &a, nil
}

// CreateSession stores a database session. A session token already in
// use is ErrConflict; an unknown user is ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, ses authjs.DatabaseSession) error {
	if err := live(ctx, "create session"); err != nil {
		return err
	}
	ses.Expires = instant(ses.Expires)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[ses.UserID]; !ok {
		return notFound("create session: no such user")
	}
	if _, taken := s.sessions[ses.SessionToken]; taken {
		return conflict("create session: token already used")
	}
	s.sessions[ses.SessionToken] = ses
	return nil
}

// GetSessionAndUser returns a session and its user, expired or not.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionToken string) (*authjs.DatabaseSession, *authjs.User, error) {
	if err := live(ctx, "get session"); err != nil {
		return nil, nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ses, ok := s.sessions[sessionToken]
	if !ok {
		return nil, nil, notFound("get session")
	}
	u, ok := s.users[ses.UserID]
	if !ok {
		return nil, nil, notFound("get session")
	}
	return &ses, cloneUser(u), nil
}

// UpdateSession sets the expiry of the session with ses.SessionToken; its
// user does not change. An unknown session is ErrNotFound.
func (s *Store) UpdateSession(ctx context.Context, ses authjs.DatabaseSession) error {
	if err := live(ctx, "update session"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.sessions[ses.SessionToken]
	if !ok {
		return notFound("update session")
	}
	old.Expires = instant(ses.Expires)
	s.sessions[ses.SessionToken] = old
	return nil
}

// DeleteSession deletes a session; an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, sessionToken string) error {
	if err := live(ctx, "delete session"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sessionToken)
	return nil
}

// ListSessions returns the user's sessions, expired ones included, in
// order of expiry.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]authjs.DatabaseSession, error) {
	if err := live(ctx, "list sessions"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var out []authjs.DatabaseSession
	for _, ses := range s.sessions {
		if ses.UserID == userID {
			out = append(out, ses)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b authjs.DatabaseSession) int {
		return cmp.Or(a.Expires.Compare(b.Expires), cmp.Compare(a.SessionToken, b.SessionToken))
	})
	return out, nil
}

// DeleteSessions deletes every session of the user and returns how many
// there were.
func (s *Store) DeleteSessions(ctx context.Context, userID string) (int, error) {
	if err := live(ctx, "delete sessions"); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, ses := range s.sessions {
		if ses.UserID == userID {
			delete(s.sessions, k)
			n++
		}
	}
	return n, nil
}

// CreateVerificationToken stores an email verification token. A token
// with the same identifier and hash is ErrConflict.
func (s *Store) CreateVerificationToken(ctx context.Context, t authjs.VerificationToken) error {
	if err := live(ctx, "create verification token"); err != nil {
		return err
	}
	t.Expires = instant(t.Expires)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey{t.Identifier, t.Token}
	if _, taken := s.tokens[k]; taken {
		return conflict("create verification token")
	}
	s.tokens[k] = t
	return nil
}

// UseVerificationToken deletes and returns the token with the given
// identifier and hash, expired or not.
func (s *Store) UseVerificationToken(ctx context.Context, identifier, token string) (*authjs.VerificationToken, error) {
	if err := live(ctx, "use verification token"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey{identifier, token}
	t, ok := s.tokens[k]
	if !ok {
		return nil, notFound("use verification token")
	}
	delete(s.tokens, k)
	return &t, nil
}

// CreateAuthenticator stores an authenticator. A credential ID already
// stored is ErrConflict; an unknown user is ErrNotFound.
func (s *Store) CreateAuthenticator(ctx context.Context, a authjs.Authenticator) error {
	if err := live(ctx, "create authenticator"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[a.UserID]; !ok {
		return notFound("create authenticator: no such user")
	}
	if _, taken := s.authenticators[a.CredentialID]; taken {
		return conflict("create authenticator: credential already stored")
	}
	s.authenticators[a.CredentialID] = a
	return nil
}

// GetAuthenticator returns the authenticator with a credential ID.
func (s *Store) GetAuthenticator(ctx context.Context, credentialID string) (*authjs.Authenticator, error) {
	if err := live(ctx, "get authenticator"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.authenticators[credentialID]
	if !ok {
		return nil, notFound("get authenticator")
	}
	return &a, nil
}

// ListAuthenticatorsByUserID returns a user's authenticators in order of
// credential ID.
func (s *Store) ListAuthenticatorsByUserID(ctx context.Context, userID string) ([]authjs.Authenticator, error) {
	if err := live(ctx, "list authenticators"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var out []authjs.Authenticator
	for _, a := range s.authenticators {
		if a.UserID == userID {
			out = append(out, a)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b authjs.Authenticator) int { return cmp.Compare(a.CredentialID, b.CredentialID) })
	return out, nil
}

// UpdateAuthenticatorCounter sets an authenticator's signature counter. An
// unknown credential ID is ErrNotFound.
func (s *Store) UpdateAuthenticatorCounter(ctx context.Context, credentialID string, counter int64) error {
	if err := live(ctx, "update authenticator counter"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authenticators[credentialID]
	if !ok {
		return notFound("update authenticator counter")
	}
	a.Counter = counter
	s.authenticators[credentialID] = a
	return nil
}

// DeleteAuthenticator deletes the authenticator with a credential ID. An
// unknown credential ID is ErrNotFound.
func (s *Store) DeleteAuthenticator(ctx context.Context, credentialID string) error {
	if err := live(ctx, "delete authenticator"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.authenticators[credentialID]; !ok {
		return notFound("delete authenticator")
	}
	delete(s.authenticators, credentialID)
	return nil
}
