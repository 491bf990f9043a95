package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// userColumns are the columns scanUser reads, in order.
const userColumns = `id, name, email, "emailVerified", image`

// accountColumns are the columns scanAccount reads, in order.
const accountColumns = `"userId", type, provider, "providerAccountId", refresh_token, access_token, expires_at, id_token, scope, session_state, token_type`

// authenticatorColumns are the columns scanAuthenticator reads, in order.
const authenticatorColumns = `"credentialID", "userId", "providerAccountId", "credentialPublicKey", counter, "credentialDeviceType", "credentialBackedUp", transports`

// statements are the prepared statements of a Store, one per query.
type statements struct {
	createUser, getUser, getUserByEmail, getUserByAccount, updateUser, deleteUser *sql.Stmt
	linkAccount, unlinkAccount, getAccount                                        *sql.Stmt
	createSession, getSessionAndUser, updateSession, deleteSession                *sql.Stmt
	listSessions, deleteSessions                                                  *sql.Stmt
	createToken, useToken                                                         *sql.Stmt
	createAuthenticator, getAuthenticator, listAuthenticators, updateCounter      *sql.Stmt
	deleteAuthenticator                                                           *sql.Stmt
}

// queries returns each statement's field with its SQL.
func (st *statements) queries() []struct {
	stmt **sql.Stmt
	sql  string
} {
	return []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&st.createUser, `INSERT INTO users (name, email, "emailVerified", image) VALUES (?, ?, ?, ?) RETURNING ` + userColumns},
		{&st.getUser, `SELECT ` + userColumns + ` FROM users WHERE id = ?`},
		{&st.getUserByEmail, `SELECT ` + userColumns + ` FROM users WHERE email = ?`},
		{&st.getUserByAccount, `SELECT u.id, u.name, u.email, u."emailVerified", u.image
			FROM accounts a JOIN users u ON u.id = a."userId"
			WHERE a.provider = ? AND a."providerAccountId" = ?`},
		{&st.updateUser, `UPDATE users SET name = ?, email = ?, "emailVerified" = ?, image = ? WHERE id = ? RETURNING ` + userColumns},
		{&st.deleteUser, `DELETE FROM users WHERE id = ?`},

		{&st.linkAccount, `INSERT INTO accounts (` + accountColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.unlinkAccount, `DELETE FROM accounts WHERE provider = ? AND "providerAccountId" = ?`},
		{&st.getAccount, `SELECT ` + accountColumns + ` FROM accounts WHERE provider = ? AND "providerAccountId" = ?`},

		{&st.createSession, `INSERT INTO sessions ("sessionToken", "userId", expires) VALUES (?, ?, ?)`},
		{&st.getSessionAndUser, `SELECT s.expires, u.id, u.name, u.email, u."emailVerified", u.image
			FROM sessions s JOIN users u ON u.id = s."userId"
			WHERE s."sessionToken" = ?`},
		{&st.updateSession, `UPDATE sessions SET expires = ? WHERE "sessionToken" = ?`},
		{&st.deleteSession, `DELETE FROM sessions WHERE "sessionToken" = ?`},
		{&st.listSessions, `SELECT "sessionToken", expires FROM sessions WHERE "userId" = ? ORDER BY expires, "sessionToken"`},
		{&st.deleteSessions, `DELETE FROM sessions WHERE "userId" = ?`},

		{&st.createToken, `INSERT INTO verification_token (identifier, token, expires) VALUES (?, ?, ?)`},
		{&st.useToken, `DELETE FROM verification_token WHERE identifier = ? AND token = ? RETURNING identifier, token, expires`},

		{&st.createAuthenticator, `INSERT INTO authenticators (` + authenticatorColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.getAuthenticator, `SELECT ` + authenticatorColumns + ` FROM authenticators WHERE "credentialID" = ?`},
		{&st.listAuthenticators, `SELECT ` + authenticatorColumns + ` FROM authenticators WHERE "userId" = ? ORDER BY "credentialID"`},
		{&st.updateCounter, `UPDATE authenticators SET counter = ? WHERE "credentialID" = ?`},
		{&st.deleteAuthenticator, `DELETE FROM authenticators WHERE "credentialID" = ?`},
	}
}

// prepare prepares every statement on db.
func (st *statements) prepare(ctx context.Context, db *sql.DB) error {
	for _, q := range st.queries() {
		stmt, err := db.PrepareContext(ctx, q.sql)
		if err != nil {
			return fmt.Errorf("sqlite: prepare %q: %w", q.sql, err)
		}
		*q.stmt = stmt
	}
	return nil
}

// close closes the statements that were prepared.
func (st *statements) close() error {
	var errs []error
	for _, q := range st.queries() {
		if *q.stmt != nil {
			if err := (*q.stmt).Close(); err != nil {
				errs = append(errs, fmt.Errorf("sqlite: close statement: %w", err))
			}
			*q.stmt = nil
		}
	}
	return errors.Join(errs...)
}
