package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ginauth/ginauth/authjs"
)

// GetAccount returns a provider account, with NULL columns as empty
// strings and a NULL expires_at as 0.
func (s *Store) GetAccount(ctx context.Context, provider, providerAccountID string) (*authjs.Account, error) {
	const op = "get account"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if !storable(provider, providerAccountID) {
		return nil, notFound(op)
	}
	var (
		a      authjs.Account
		userID int64
		typ    string
	)
	err = s.pool.QueryRow(ctx, s.q.getAccount, provider, providerAccountID).Scan(
		&userID, &typ, &a.Provider, &a.ProviderAccountID,
		&a.RefreshToken, &a.AccessToken, &a.ExpiresAt,
		&a.IDToken, &a.Scope, &a.SessionState, &a.TokenType)
	if err != nil {
		return nil, fail(op, err)
	}
	a.UserID = formatID(userID)
	a.Type = authjs.ProviderType(typ)
	return &a, nil
}

// scanAuthenticator reads the authenticatorColumns of a row into a.
func scanAuthenticator(row pgx.Row, a *authjs.Authenticator) error {
	var userID int64
	if err := row.Scan(&a.CredentialID, &userID, &a.ProviderAccountID, &a.CredentialPublicKey,
		&a.Counter, &a.CredentialDeviceType, &a.CredentialBackedUp, &a.Transports); err != nil {
		return err
	}
	a.UserID = formatID(userID)
	return nil
}

// GetAuthenticator returns the passkey with a credential ID.
func (s *Store) GetAuthenticator(ctx context.Context, credentialID string) (*authjs.Authenticator, error) {
	const op = "get authenticator"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if !storable(credentialID) {
		return nil, notFound(op)
	}
	var a authjs.Authenticator
	if err := scanAuthenticator(s.pool.QueryRow(ctx, s.q.getAuthenticator, credentialID), &a); err != nil {
		return nil, fail(op, err)
	}
	return &a, nil
}

// CreateAuthenticator stores a passkey of the user a.UserID:
// authjs.ErrNotFound when there is no such user, authjs.ErrConflict when
// the credential ID is stored already. Empty Transports are stored as
// NULL.
func (s *Store) CreateAuthenticator(ctx context.Context, a authjs.Authenticator) error {
	const op = "create authenticator"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	n, ok := parseID(a.UserID)
	if !ok {
		return notFound(op)
	}
	_, err = s.pool.Exec(ctx, s.q.createAuthenticator, a.CredentialID, n, a.ProviderAccountID,
		a.CredentialPublicKey, a.Counter, a.CredentialDeviceType, a.CredentialBackedUp, null(a.Transports))
	if err != nil {
		return fail(op, err)
	}
	return nil
}

// ListAuthenticatorsByUserID returns the user's passkeys, by credential
// ID; an empty list for a user without passkeys or an ID that names no
// user.
func (s *Store) ListAuthenticatorsByUserID(ctx context.Context, userID string) ([]authjs.Authenticator, error) {
	const op = "list authenticators"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	list := []authjs.Authenticator{}
	n, ok := parseID(userID)
	if !ok {
		return list, nil
	}
	rows, err := s.pool.Query(ctx, s.q.listAuthenticators, n)
	if err != nil {
		return nil, fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a authjs.Authenticator
		if err := scanAuthenticator(rows, &a); err != nil {
			return nil, fail(op, err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(op, err)
	}
	return list, nil
}

// UpdateAuthenticatorCounter sets a passkey's signature counter:
// authjs.ErrNotFound when there is no such passkey.
func (s *Store) UpdateAuthenticatorCounter(ctx context.Context, credentialID string, counter int64) error {
	const op = "update authenticator counter"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	if !storable(credentialID) {
		return notFound(op)
	}
	tag, err := s.pool.Exec(ctx, s.q.updateCounter, credentialID, counter)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// DeleteAuthenticator deletes the passkey with a credential ID:
// authjs.ErrNotFound when there is no such passkey.
func (s *Store) DeleteAuthenticator(ctx context.Context, credentialID string) error {
	const op = "delete authenticator"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	if !storable(credentialID) {
		return notFound(op)
	}
	tag, err := s.pool.Exec(ctx, s.q.deleteAuthenticator, credentialID)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}
