package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ginauth/ginauth/authjs"
)

// parseID returns the SERIAL value a user ID names: a positive INTEGER in
// canonical decimal form. Other IDs ("abc", "042", "+1", a UUID, values
// past INTEGER's range) name no user.
func parseID(id string) (int32, bool) {
	if id == "" || id[0] < '1' || id[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(id, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// storable reports whether PostgreSQL can hold all the strings in a text
// column: valid UTF-8 without NUL bytes. A lookup by a key it could not
// hold finds nothing, without asking (PostgreSQL would answer with an
// error, which ginauth would take for an outage).
func storable(keys ...string) bool {
	for _, k := range keys {
		if !utf8.ValidString(k) || strings.IndexByte(k, 0) >= 0 {
			return false
		}
	}
	return true
}

// formatID returns the user ID of a SERIAL value.
func formatID(id int64) string { return strconv.FormatInt(id, 10) }

// null returns s, or nil (SQL NULL) when it is empty.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullInt returns n, or nil (SQL NULL) when it is zero.
func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// nullTime returns *t, or nil (SQL NULL) when t is nil.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// scanUser reads the userColumns of a row.
func scanUser(row pgx.Row) (*authjs.User, error) {
	var (
		u  authjs.User
		id int64
	)
	if err := row.Scan(&id, &u.Name, &u.Email, &u.EmailVerified, &u.Image); err != nil {
		return nil, err
	}
	u.ID = formatID(id)
	if u.EmailVerified != nil {
		*u.EmailVerified = u.EmailVerified.UTC()
	}
	return &u, nil
}

// CreateUser inserts a user and returns it with the id PostgreSQL
// assigned; u.ID is ignored. A second user with the same email is
// authjs.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	const op = "create user"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	got, err := scanUser(s.pool.QueryRow(ctx, s.q.createUser, null(u.Name), null(u.Email), nullTime(u.EmailVerified), null(u.Image)))
	if err != nil {
		return nil, fail(op, err)
	}
	return got, nil
}

// GetUser returns the user with the given id.
func (s *Store) GetUser(ctx context.Context, id string) (*authjs.User, error) {
	const op = "get user"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	n, ok := parseID(id)
	if !ok {
		return nil, notFound(op)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, s.q.getUser, n))
	if err != nil {
		return nil, fail(op, err)
	}
	return u, nil
}

// GetUserByEmail returns the user with the given email address, compared
// exactly. No user has the empty address.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*authjs.User, error) {
	const op = "get user by email"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if email == "" || !storable(email) {
		return nil, notFound(op)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, s.q.getUserByEmail, email))
	if err != nil {
		return nil, fail(op, err)
	}
	return u, nil
}

// GetUserByAccount returns the user linked to a provider account.
func (s *Store) GetUserByAccount(ctx context.Context, provider, providerAccountID string) (*authjs.User, error) {
	const op = "get user by account"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if !storable(provider, providerAccountID) {
		return nil, notFound(op)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, s.q.getUserByAccount, provider, providerAccountID))
	if err != nil {
		return nil, fail(op, err)
	}
	return u, nil
}

// UpdateUser replaces the name, email, emailVerified and image of the user
// u.ID and returns the stored user: authjs.ErrNotFound when there is no
// such user, authjs.ErrConflict when another user has the email.
func (s *Store) UpdateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	const op = "update user"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	n, ok := parseID(u.ID)
	if !ok {
		return nil, notFound(op)
	}
	got, err := scanUser(s.pool.QueryRow(ctx, s.q.updateUser, n, null(u.Name), null(u.Email), nullTime(u.EmailVerified), null(u.Image)))
	if err != nil {
		return nil, fail(op, err)
	}
	return got, nil
}

// DeleteUser deletes a user with its sessions, accounts and passkeys, in
// one transaction. Deleting a user that does not exist is not an error.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	const op = "delete user"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	n, ok := parseID(id)
	if !ok {
		return nil
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, q := range s.q.deleteUser {
			b.Queue(q, n)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fail(op, err)
	}
	return nil
}

// LinkAccount stores a provider account of the user a.UserID:
// authjs.ErrNotFound when there is no such user, authjs.ErrConflict when
// the provider account is linked already. Empty token fields and a zero
// ExpiresAt are stored as NULL.
func (s *Store) LinkAccount(ctx context.Context, a authjs.Account) error {
	const op = "link account"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	n, ok := parseID(a.UserID)
	if !ok {
		return notFound(op)
	}
	tag, err := s.pool.Exec(ctx, s.q.linkAccount, n, string(a.Type), a.Provider, a.ProviderAccountID,
		null(a.RefreshToken), null(a.AccessToken), nullInt(a.ExpiresAt), null(a.IDToken),
		null(a.Scope), null(a.SessionState), null(a.TokenType))
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// UnlinkAccount deletes a provider account; unlinking one that is not
// linked is not an error.
func (s *Store) UnlinkAccount(ctx context.Context, provider, providerAccountID string) error {
	const op = "unlink account"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	if !storable(provider, providerAccountID) {
		return nil
	}
	if _, err := s.pool.Exec(ctx, s.q.unlinkAccount, provider, providerAccountID); err != nil {
		return fail(op, err)
	}
	return nil
}

// CreateSession stores a database session of the user s.UserID:
// authjs.ErrNotFound when there is no such user, authjs.ErrConflict when
// the token is taken.
func (s *Store) CreateSession(ctx context.Context, sess authjs.DatabaseSession) error {
	const op = "create session"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	n, ok := parseID(sess.UserID)
	if !ok {
		return notFound(op)
	}
	tag, err := s.pool.Exec(ctx, s.q.createSession, n, sess.Expires, sess.SessionToken)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// GetSessionAndUser returns a session and its user, expired or not, with
// one query: authjs.ErrNotFound when there is no such session or its user
// is gone.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionToken string) (*authjs.DatabaseSession, *authjs.User, error) {
	const op = "get session and user"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, nil, err
	}
	defer cancel()
	if sessionToken == "" || !storable(sessionToken) {
		return nil, nil, notFound(op)
	}
	var (
		sess   = authjs.DatabaseSession{SessionToken: sessionToken}
		u      authjs.User
		userID int64
	)
	err = s.pool.QueryRow(ctx, s.q.getSessionAndUser, sessionToken).
		Scan(&userID, &sess.Expires, &u.Name, &u.Email, &u.EmailVerified, &u.Image)
	if err != nil {
		return nil, nil, fail(op, err)
	}
	sess.UserID = formatID(userID)
	sess.Expires = sess.Expires.UTC()
	u.ID = sess.UserID
	if u.EmailVerified != nil {
		*u.EmailVerified = u.EmailVerified.UTC()
	}
	return &sess, &u, nil
}

// UpdateSession sets the expiry of the session s.SessionToken (its user
// stays): authjs.ErrNotFound when there is no such session.
func (s *Store) UpdateSession(ctx context.Context, sess authjs.DatabaseSession) error {
	const op = "update session"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	if !storable(sess.SessionToken) {
		return notFound(op)
	}
	tag, err := s.pool.Exec(ctx, s.q.updateSession, sess.SessionToken, sess.Expires)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// DeleteSession deletes a session; deleting one that does not exist is not
// an error.
func (s *Store) DeleteSession(ctx context.Context, sessionToken string) error {
	const op = "delete session"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	if !storable(sessionToken) {
		return nil
	}
	if _, err := s.pool.Exec(ctx, s.q.deleteSession, sessionToken); err != nil {
		return fail(op, err)
	}
	return nil
}

// CreateVerificationToken stores an email verification token:
// authjs.ErrConflict when the identifier has that token already.
func (s *Store) CreateVerificationToken(ctx context.Context, t authjs.VerificationToken) error {
	const op = "create verification token"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	if _, err := s.pool.Exec(ctx, s.q.createToken, t.Identifier, t.Expires, t.Token); err != nil {
		return fail(op, err)
	}
	return nil
}

// UseVerificationToken deletes and returns a verification token, with one
// DELETE … RETURNING: of concurrent calls for one token, exactly one gets
// it and the others authjs.ErrNotFound.
func (s *Store) UseVerificationToken(ctx context.Context, identifier, token string) (*authjs.VerificationToken, error) {
	const op = "use verification token"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if !storable(identifier, token) {
		return nil, notFound(op)
	}
	var t authjs.VerificationToken
	if err := s.pool.QueryRow(ctx, s.q.useToken, identifier, token).Scan(&t.Identifier, &t.Expires, &t.Token); err != nil {
		return nil, fail(op, err)
	}
	t.Expires = t.Expires.UTC()
	return &t, nil
}

// ListSessions returns the user's sessions, expired ones included,
// soonest expiry first; an empty list for a user without sessions or an
// ID that names no user.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]authjs.DatabaseSession, error) {
	const op = "list sessions"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	list := []authjs.DatabaseSession{}
	n, ok := parseID(userID)
	if !ok {
		return list, nil
	}
	rows, err := s.pool.Query(ctx, s.q.listSessions, n)
	if err != nil {
		return nil, fail(op, err)
	}
	sess := authjs.DatabaseSession{UserID: userID}
	_, err = pgx.ForEachRow(rows, []any{&sess.SessionToken, &sess.Expires}, func() error {
		sess.Expires = sess.Expires.UTC()
		list = append(list, sess)
		return nil
	})
	if err != nil {
		return nil, fail(op, err)
	}
	return list, nil
}

// DeleteSessions deletes every session of the user and returns how many
// there were.
func (s *Store) DeleteSessions(ctx context.Context, userID string) (int, error) {
	const op = "delete sessions"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return 0, err
	}
	defer cancel()
	n, ok := parseID(userID)
	if !ok {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, s.q.deleteSessions, n)
	if err != nil {
		return 0, fail(op, err)
	}
	return int(tag.RowsAffected()), nil
}
