package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ginauth/ginauth/authjs"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanUser reads the userColumns after the destinations in before.
func scanUser(sc scanner, before ...any) (*authjs.User, error) {
	var (
		id                           int64
		name, email, verified, image sql.NullString
	)
	if err := sc.Scan(append(before, &id, &name, &email, &verified, &image)...); err != nil {
		return nil, err
	}
	u := &authjs.User{ID: formatID(id), Name: name.String, Email: email.String, Image: image.String}
	if verified.Valid {
		t, err := parseTime(verified.String)
		if err != nil {
			return nil, fmt.Errorf("users.\"emailVerified\": %w", err)
		}
		u.EmailVerified = &t
	}
	return u, nil
}

// scanAccount reads the accountColumns.
func scanAccount(sc scanner) (*authjs.Account, error) {
	var (
		userID, expiresAt                                        sql.NullInt64
		typ, provider, providerAccountID                         string
		refresh, access, idToken, scope, sessionState, tokenType sql.NullString
	)
	if err := sc.Scan(&userID, &typ, &provider, &providerAccountID, &refresh, &access, &expiresAt, &idToken, &scope, &sessionState, &tokenType); err != nil {
		return nil, err
	}
	return &authjs.Account{
		UserID:            formatID(userID.Int64),
		Type:              authjs.ProviderType(typ),
		Provider:          provider,
		ProviderAccountID: providerAccountID,
		RefreshToken:      refresh.String,
		AccessToken:       access.String,
		ExpiresAt:         expiresAt.Int64,
		IDToken:           idToken.String,
		Scope:             scope.String,
		SessionState:      sessionState.String,
		TokenType:         tokenType.String,
	}, nil
}

// scanAuthenticator reads the authenticatorColumns.
func scanAuthenticator(sc scanner) (*authjs.Authenticator, error) {
	var (
		a          authjs.Authenticator
		userID     int64
		backedUp   int64
		transports sql.NullString
	)
	if err := sc.Scan(&a.CredentialID, &userID, &a.ProviderAccountID, &a.CredentialPublicKey, &a.Counter, &a.CredentialDeviceType, &backedUp, &transports); err != nil {
		return nil, err
	}
	a.UserID, a.CredentialBackedUp, a.Transports = formatID(userID), backedUp != 0, transports.String
	return &a, nil
}

// rowsAffected returns the rows a statement changed.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CreateUser stores a new user under the next integer ID (u.ID is
// ignored). An email address another user has is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	got, err := scanUser(s.st.createUser.QueryRowContext(ctx, nullString(u.Name), nullString(u.Email), nullTime(u.EmailVerified), nullString(u.Image)))
	if err != nil {
		return nil, fail("create user", err)
	}
	return got, nil
}

// GetUser returns the user with the given ID; an ID that is not a decimal
// integer is ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (*authjs.User, error) {
	n, ok := parseID(id)
	if !ok {
		if err := ctx.Err(); err != nil {
			return nil, fail("get user", err)
		}
		return nil, notFound("get user")
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	u, err := scanUser(s.st.getUser.QueryRowContext(ctx, n))
	if err != nil {
		return nil, fail("get user", err)
	}
	return u, nil
}

// GetUserByEmail returns the user with the given email address, compared
// exactly.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*authjs.User, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	u, err := scanUser(s.st.getUserByEmail.QueryRowContext(ctx, email))
	if err != nil {
		return nil, fail("get user by email", err)
	}
	return u, nil
}

// GetUserByAccount returns the user linked to a provider account.
func (s *Store) GetUserByAccount(ctx context.Context, provider, providerAccountID string) (*authjs.User, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	u, err := scanUser(s.st.getUserByAccount.QueryRowContext(ctx, provider, providerAccountID))
	if err != nil {
		return nil, fail("get user by account", err)
	}
	return u, nil
}

// UpdateUser replaces the name, email, emailVerified and image of the user
// with u.ID and returns the stored user. An email address another user has
// is ErrConflict; an unknown user ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	n, ok := parseID(u.ID)
	if !ok {
		if err := ctx.Err(); err != nil {
			return nil, fail("update user", err)
		}
		return nil, notFound("update user")
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	got, err := scanUser(s.st.updateUser.QueryRowContext(ctx, nullString(u.Name), nullString(u.Email), nullTime(u.EmailVerified), nullString(u.Image), n))
	if err != nil {
		return nil, fail("update user", err)
	}
	return got, nil
}

// DeleteUser deletes a user with its accounts, sessions and
// authenticators (foreign keys cascade). An unknown user is ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	n, ok := parseID(id)
	if !ok {
		if err := ctx.Err(); err != nil {
			return fail("delete user", err)
		}
		return notFound("delete user")
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	count, err := rowsAffected(s.st.deleteUser.ExecContext(ctx, n))
	if err != nil {
		return fail("delete user", err)
	}
	if count == 0 {
		return notFound("delete user")
	}
	return nil
}

// LinkAccount stores a provider account of the user a.UserID. An account
// that is already linked is ErrConflict; an unknown user ErrNotFound.
func (s *Store) LinkAccount(ctx context.Context, a authjs.Account) error {
	n, ok := parseID(a.UserID)
	if !ok {
		if err := ctx.Err(); err != nil {
			return fail("link account", err)
		}
		return notFound("link account: no such user")
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	_, err := s.st.linkAccount.ExecContext(ctx, n, string(a.Type), a.Provider, a.ProviderAccountID,
		nullString(a.RefreshToken), nullString(a.AccessToken), nullInt(a.ExpiresAt), nullString(a.IDToken),
		nullString(a.Scope), nullString(a.SessionState), nullString(a.TokenType))
	if err != nil {
		return fail("link account", err)
	}
	return nil
}

// UnlinkAccount deletes a provider account. An unknown account is
// ErrNotFound.
func (s *Store) UnlinkAccount(ctx context.Context, provider, providerAccountID string) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	count, err := rowsAffected(s.st.unlinkAccount.ExecContext(ctx, provider, providerAccountID))
	if err != nil {
		return fail("unlink account", err)
	}
	if count == 0 {
		return notFound("unlink account")
	}
	return nil
}

// GetAccount returns a provider account.
func (s *Store) GetAccount(ctx context.Context, provider, providerAccountID string) (*authjs.Account, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	a, err := scanAccount(s.st.getAccount.QueryRowContext(ctx, provider, providerAccountID))
	if err != nil {
		return nil, fail("get account", err)
	}
	return a, nil
}

// CreateSession stores a database session. A session token already in
// use is ErrConflict; an unknown user ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, ses authjs.DatabaseSession) error {
	n, ok := parseID(ses.UserID)
	if !ok {
		if err := ctx.Err(); err != nil {
			return fail("create session", err)
		}
		return notFound("create session: no such user")
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if _, err := s.st.createSession.ExecContext(ctx, ses.SessionToken, n, formatTime(ses.Expires)); err != nil {
		return fail("create session", err)
	}
	return nil
}

// GetSessionAndUser returns a session and its user, expired or not, with
// one query joining sessions and users.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionToken string) (*authjs.DatabaseSession, *authjs.User, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	var expires string
	u, err := scanUser(s.st.getSessionAndUser.QueryRowContext(ctx, sessionToken), &expires)
	if err != nil {
		return nil, nil, fail("get session", err)
	}
	t, err := parseTime(expires)
	if err != nil {
		return nil, nil, fail("get session: sessions.expires", err)
	}
	return &authjs.DatabaseSession{SessionToken: sessionToken, UserID: u.ID, Expires: t}, u, nil
}

// UpdateSession sets the expiry of the session with ses.SessionToken (its
// user does not change). An unknown session is ErrNotFound.
func (s *Store) UpdateSession(ctx context.Context, ses authjs.DatabaseSession) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	count, err := rowsAffected(s.st.updateSession.ExecContext(ctx, formatTime(ses.Expires), ses.SessionToken))
	if err != nil {
		return fail("update session", err)
	}
	if count == 0 {
		return notFound("update session")
	}
	return nil
}

// DeleteSession deletes a session; an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, sessionToken string) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if _, err := s.st.deleteSession.ExecContext(ctx, sessionToken); err != nil {
		return fail("delete session", err)
	}
	return nil
}

// ListSessions returns the user's sessions, expired ones included, in
// order of expiry. An unknown user has none.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]authjs.DatabaseSession, error) {
	n, ok := parseID(userID)
	if !ok {
		if err := ctx.Err(); err != nil {
			return nil, fail("list sessions", err)
		}
		return nil, nil
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rows, err := s.st.listSessions.QueryContext(ctx, n)
	if err != nil {
		return nil, fail("list sessions", err)
	}
	defer rows.Close()
	var out []authjs.DatabaseSession
	for rows.Next() {
		var token, expires string
		if err := rows.Scan(&token, &expires); err != nil {
			return nil, fail("list sessions", err)
		}
		t, err := parseTime(expires)
		if err != nil {
			return nil, fail("list sessions: sessions.expires", err)
		}
		out = append(out, authjs.DatabaseSession{SessionToken: token, UserID: userID, Expires: t})
	}
	if err := rows.Err(); err != nil {
		return nil, fail("list sessions", err)
	}
	return out, nil
}

// DeleteSessions deletes every session of the user and returns how many
// there were.
func (s *Store) DeleteSessions(ctx context.Context, userID string) (int, error) {
	n, ok := parseID(userID)
	if !ok {
		if err := ctx.Err(); err != nil {
			return 0, fail("delete sessions", err)
		}
		return 0, nil
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	count, err := rowsAffected(s.st.deleteSessions.ExecContext(ctx, n))
	if err != nil {
		return 0, fail("delete sessions", err)
	}
	return int(count), nil
}

// CreateVerificationToken stores an email verification token. A token with
// the same identifier and hash is ErrConflict.
func (s *Store) CreateVerificationToken(ctx context.Context, t authjs.VerificationToken) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if _, err := s.st.createToken.ExecContext(ctx, t.Identifier, t.Token, formatTime(t.Expires)); err != nil {
		return fail("create verification token", err)
	}
	return nil
}

// UseVerificationToken deletes and returns the token with the given
// identifier and hash, expired or not, in one statement (DELETE …
// RETURNING): of concurrent calls exactly one gets it.
func (s *Store) UseVerificationToken(ctx context.Context, identifier, token string) (*authjs.VerificationToken, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	var (
		t       authjs.VerificationToken
		expires string
	)
	if err := s.st.useToken.QueryRowContext(ctx, identifier, token).Scan(&t.Identifier, &t.Token, &expires); err != nil {
		return nil, fail("use verification token", err)
	}
	exp, err := parseTime(expires)
	if err != nil {
		return nil, fail("use verification token: verification_token.expires", err)
	}
	t.Expires = exp
	return &t, nil
}

// CreateAuthenticator stores an authenticator. A credential ID already
// stored is ErrConflict; an unknown user ErrNotFound.
func (s *Store) CreateAuthenticator(ctx context.Context, a authjs.Authenticator) error {
	n, ok := parseID(a.UserID)
	if !ok {
		if err := ctx.Err(); err != nil {
			return fail("create authenticator", err)
		}
		return notFound("create authenticator: no such user")
	}
	backedUp := 0
	if a.CredentialBackedUp {
		backedUp = 1
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	_, err := s.st.createAuthenticator.ExecContext(ctx, a.CredentialID, n, a.ProviderAccountID, a.CredentialPublicKey,
		a.Counter, a.CredentialDeviceType, backedUp, nullString(a.Transports))
	if err != nil {
		return fail("create authenticator", err)
	}
	return nil
}

// GetAuthenticator returns the authenticator with a credential ID.
func (s *Store) GetAuthenticator(ctx context.Context, credentialID string) (*authjs.Authenticator, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	a, err := scanAuthenticator(s.st.getAuthenticator.QueryRowContext(ctx, credentialID))
	if err != nil {
		return nil, fail("get authenticator", err)
	}
	return a, nil
}

// ListAuthenticatorsByUserID returns a user's authenticators in order of
// credential ID. An unknown user has none.
func (s *Store) ListAuthenticatorsByUserID(ctx context.Context, userID string) ([]authjs.Authenticator, error) {
	n, ok := parseID(userID)
	if !ok {
		if err := ctx.Err(); err != nil {
			return nil, fail("list authenticators", err)
		}
		return nil, nil
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rows, err := s.st.listAuthenticators.QueryContext(ctx, n)
	if err != nil {
		return nil, fail("list authenticators", err)
	}
	defer rows.Close()
	var out []authjs.Authenticator
	for rows.Next() {
		a, err := scanAuthenticator(rows)
		if err != nil {
			return nil, fail("list authenticators", err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("list authenticators", err)
	}
	return out, nil
}

// UpdateAuthenticatorCounter sets an authenticator's signature counter. An
// unknown credential ID is ErrNotFound.
func (s *Store) UpdateAuthenticatorCounter(ctx context.Context, credentialID string, counter int64) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	count, err := rowsAffected(s.st.updateCounter.ExecContext(ctx, counter, credentialID))
	if err != nil {
		return fail("update authenticator counter", err)
	}
	if count == 0 {
		return notFound("update authenticator counter")
	}
	return nil
}

// DeleteAuthenticator deletes the authenticator with a credential ID. An
// unknown credential ID is ErrNotFound.
func (s *Store) DeleteAuthenticator(ctx context.Context, credentialID string) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	count, err := rowsAffected(s.st.deleteAuthenticator.ExecContext(ctx, credentialID))
	if err != nil {
		return fail("delete authenticator", err)
	}
	if count == 0 {
		return notFound("delete authenticator")
	}
	return nil
}
