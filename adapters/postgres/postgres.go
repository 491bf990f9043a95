// Package postgres is an authjs.Adapter on PostgreSQL, through pgx v5's
// connection pool, that shares its tables with @auth/pg-adapter: an
// Auth.js application and ginauth can use one database at the same time,
// and each reads what the other wrote.
//
//	store, err := postgres.Open(ctx, "postgres://app@db.internal/app", postgres.Options{})
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	// pass store as the adapter of ginauth's configuration
//
// A Store implements authjs.Adapter, authjs.SessionLister,
// authjs.WebAuthnAdapter and authjs.AuthenticatorDeleter, and is safe for
// concurrent use.
//
// # Tables
//
// The tables, columns and types are those of @auth/pg-adapter's
// schema.sql: users, accounts, sessions and verification_token, with
// quoted camelCase columns ("userId", "emailVerified", "sessionToken",
// "providerAccountId") and SERIAL integer ids. User IDs are those integers
// as decimal strings ("42"); an ID in any other form ("abc", "042", a
// UUID) names no user: lookups report authjs.ErrNotFound, never an SQL
// error. Empty strings and a zero expires_at are written as NULL, and NULL
// is read as "" or 0, as @auth/pg-adapter writes undefined fields. Times
// are truncated to the microsecond (Auth.js keeps milliseconds) and
// returned in UTC. Names and email addresses are VARCHAR(255): longer ones are
// refused. Text that PostgreSQL cannot store (invalid UTF-8, NUL bytes)
// is refused too; a lookup by such a key finds nothing (ErrNotFound), as
// does a lookup by a key longer than its column.
//
// ginauth adds one table of its own for passkeys, authenticators, with
// the columns of Auth.js's Authenticator model: "credentialID" TEXT
// UNIQUE, "userId" INTEGER REFERENCES users ON DELETE CASCADE,
// "providerAccountId", "credentialPublicKey", counter BIGINT,
// "credentialDeviceType", "credentialBackedUp" BOOLEAN and transports
// (NULL when empty). @auth/pg-adapter has no passkey methods, so an
// Auth.js application on the same database does not read it.
//
// # Schema management
//
// Open applies the package's migrations (SQL files embedded in the
// binary) in one transaction under a PostgreSQL advisory lock, so that two
// processes starting at once never race, and records the versions it
// applied in the table ginauth_schema_migrations. Tables that exist
// already, created by an Auth.js application with the current schema.sql
// (UNIQUE and foreign keys) or the older documented one (primary keys
// only), are kept as they are: tables are created only when missing, and
// the unique indexes the store relies on (users.email,
// accounts(provider, "providerAccountId"), sessions."sessionToken") are
// added when the tables lack them. Those indexes do not change what
// @auth/pg-adapter's queries do; a database that already holds duplicate
// rows must be cleaned up before Open can add them. An application that
// manages the schema itself (or connects as a user that may not change
// it) calls New and skips Migrate; the tables must then have those unique
// indexes.
//
// # Queries
//
// Every method runs under a context derived from the caller's with
// Options.QueryTimeout (5 seconds by default). GetSessionAndUser, which
// ginauth calls on every request with a database session, is one query
// (a join) and one round trip. The store relies on pgx's default query
// mode (QueryExecModeCacheStatement): each statement is prepared once per
// connection and its prepared form reused; a pool configured with another
// mode (such as QueryExecModeExec behind PgBouncer) works too, at the cost
// of parsing each query again.
//
// Uniqueness is the database's: a duplicate email, provider account,
// session token, verification token or credential ID is refused by a
// unique index (SQLSTATE 23505) and reported as authjs.ErrConflict, so it
// holds between concurrent requests and between processes. LinkAccount and
// CreateSession insert only while the user exists (locking its row like a
// foreign key would, for tables of the old schema that have none) and
// report authjs.ErrNotFound otherwise; DeleteUser deletes the user's
// sessions, accounts and passkeys itself, in one transaction with the
// user, for the same tables. UseVerificationToken is a DELETE … RETURNING:
// of concurrent uses of one token exactly one gets it.
//
// Error messages carry the operation and PostgreSQL's message, never a
// token or another value the caller passed.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ginauth/ginauth/authjs"
)

// DefaultQueryTimeout bounds each method of a Store whose Options leave
// QueryTimeout zero.
const DefaultQueryTimeout = 5 * time.Second

// DefaultMigrateTimeout bounds Migrate when Options leave MigrateTimeout
// zero. Migrate may wait for another process's migration and build
// indexes on existing tables, so it has longer than a query.
const DefaultMigrateTimeout = time.Minute

// Options configure a Store. The zero value is the default: the tables are
// found by the connection's search_path (usually the public schema), and
// each method has DefaultQueryTimeout.
type Options struct {
	// Schema is the PostgreSQL schema that holds the tables. Empty means
	// the connections' search_path, which is where @auth/pg-adapter's
	// queries look too. When set, every query names the schema (the
	// connections' search_path is not changed), and Migrate creates the
	// schema if it is missing.
	Schema string
	// QueryTimeout bounds each method call, within the caller's
	// context. Zero means DefaultQueryTimeout; it may not be negative.
	QueryTimeout time.Duration
	// MigrateTimeout bounds Migrate, within the caller's context. Zero
	// means DefaultMigrateTimeout; it may not be negative.
	MigrateTimeout time.Duration
}

// Store is an authjs.Adapter, authjs.SessionLister,
// authjs.WebAuthnAdapter and authjs.AuthenticatorDeleter on PostgreSQL.
// Make one with Open or New.
type Store struct {
	pool           *pgxpool.Pool
	ownsPool       bool
	schema         string
	timeout        time.Duration
	migrateTimeout time.Duration
	q              queries
}

// Compile-time checks of the interfaces Store implements.
var (
	_ authjs.Adapter              = (*Store)(nil)
	_ authjs.SessionLister        = (*Store)(nil)
	_ authjs.WebAuthnAdapter      = (*Store)(nil)
	_ authjs.AuthenticatorDeleter = (*Store)(nil)
	_ authjs.NullUserFields       = (*Store)(nil)
)

// Open connects to the database at url (a PostgreSQL URL or key=value
// connection string, as pgxpool.ParseConfig reads it, pool settings such
// as pool_max_conns included), applies the migrations (see Migrate) and
// returns the Store. Close closes its pool.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s, err := New(pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownsPool = true
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// New returns a Store on a pool the caller made and keeps: Close leaves
// it open. New does not touch the database: call Migrate to create the
// tables, or manage them yourself (see the package documentation).
func New(pool *pgxpool.Pool, opts Options) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres: New: nil pool")
	}
	if opts.QueryTimeout < 0 {
		return nil, fmt.Errorf("postgres: negative QueryTimeout %v", opts.QueryTimeout)
	}
	if opts.MigrateTimeout < 0 {
		return nil, fmt.Errorf("postgres: negative MigrateTimeout %v", opts.MigrateTimeout)
	}
	s := &Store{
		pool:           pool,
		schema:         opts.Schema,
		timeout:        opts.QueryTimeout,
		migrateTimeout: opts.MigrateTimeout,
		q:              newQueries(opts.Schema),
	}
	if s.timeout == 0 {
		s.timeout = DefaultQueryTimeout
	}
	if s.migrateTimeout == 0 {
		s.migrateTimeout = DefaultMigrateTimeout
	}
	return s, nil
}

// Close closes the pool when Open made it; a pool passed to New stays
// open. It always returns nil (it has an error result so that a Store is
// an io.Closer, as the other stores are).
func (s *Store) Close() error {
	if s.ownsPool {
		s.pool.Close()
	}
	return nil
}

// UserFieldsNullable reports true: absent user fields are NULL, and
// database sessions answer them as null, as Auth.js does over
// @auth/pg-adapter.
func (s *Store) UserFieldsNullable() bool { return true }

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// begin checks that ctx is alive and returns the context of one method
// call, bounded by the store's timeout.
func (s *Store) begin(ctx context.Context, op string) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("postgres: %s: %w", op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	return ctx, cancel, nil
}

// SQLSTATE codes the store maps to authjs errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// fail returns err, from op, as the store's error: no rows and foreign-key
// violations match authjs.ErrNotFound, unique violations
// authjs.ErrConflict. PostgreSQL's messages name constraints and types,
// never the values of a statement (those are in PgError.Detail, which
// Error leaves out).
func fail(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(op)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case uniqueViolation:
			return fmt.Errorf("postgres: %s: %w: %w", op, authjs.ErrConflict, err)
		case foreignKeyViolation:
			return fmt.Errorf("postgres: %s: %w: %w", op, authjs.ErrNotFound, err)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// notFound reports that op found no record.
func notFound(op string) error { return fmt.Errorf("postgres: %s: %w", op, authjs.ErrNotFound) }

// queries are the store's SQL statements, with the table names qualified
// by the schema of the Options.
type queries struct {
	createUser, getUser, getUserByEmail, getUserByAccount, updateUser string
	deleteUser                                                        []string
	linkAccount, unlinkAccount, getAccount                            string
	createSession, getSessionAndUser, updateSession, deleteSession    string
	listSessions, deleteSessions                                      string
	createToken, useToken                                             string
	createAuthenticator, getAuthenticator, listAuthenticators         string
	updateCounter, deleteAuthenticator                                string
}

// userColumns are the columns of a user as the store scans them (see
// scanUser), from the table aliased u.
const userColumns = `u.id, COALESCE(u.name, ''), COALESCE(u.email, ''), u."emailVerified", COALESCE(u.image, '')`

// accountColumns are the columns of an account as scanAccount reads them.
const accountColumns = `"userId", type, provider, "providerAccountId",
	COALESCE(refresh_token, ''), COALESCE(access_token, ''), COALESCE(expires_at, 0),
	COALESCE(id_token, ''), COALESCE(scope, ''), COALESCE(session_state, ''), COALESCE(token_type, '')`

// authenticatorColumns are the columns of a passkey as
// scanAuthenticator reads them.
const authenticatorColumns = `"credentialID", "userId", "providerAccountId", "credentialPublicKey",
	counter, "credentialDeviceType", "credentialBackedUp", COALESCE(transports, '')`

// newQueries writes the statements for tables in schema ("" for the
// search_path).
func newQueries(schema string) queries {
	table := func(name string) string {
		if schema == "" {
			return pgx.Identifier{name}.Sanitize()
		}
		return pgx.Identifier{schema, name}.Sanitize()
	}
	r := strings.NewReplacer(
		"{users}", table("users"),
		"{accounts}", table("accounts"),
		"{sessions}", table("sessions"),
		"{verification_token}", table("verification_token"),
		"{authenticators}", table("authenticators"),
		"{userColumns}", userColumns,
		"{accountColumns}", accountColumns,
		"{authenticatorColumns}", authenticatorColumns,
	)
	q := func(sql string) string { return r.Replace(sql) }
	return queries{
		createUser: q(`INSERT INTO {users} AS u (name, email, "emailVerified", image)
			VALUES ($1, $2, $3, $4)
			RETURNING {userColumns}`),
		getUser:        q(`SELECT {userColumns} FROM {users} u WHERE u.id = $1`),
		getUserByEmail: q(`SELECT {userColumns} FROM {users} u WHERE u.email = $1`),
		getUserByAccount: q(`SELECT {userColumns} FROM {users} u
			JOIN {accounts} a ON a."userId" = u.id
			WHERE a.provider = $1 AND a."providerAccountId" = $2`),
		updateUser: q(`UPDATE {users} AS u SET name = $2, email = $3, "emailVerified" = $4, image = $5
			WHERE u.id = $1
			RETURNING {userColumns}`),
		// The user's row goes first: a LinkAccount or CreateSession that
		// locked it has committed by then, and one that waits for it
		// finds it gone. The others delete what the tables' foreign keys
		// (when they have them) have already deleted.
		deleteUser: []string{
			q(`DELETE FROM {users} WHERE id = $1`),
			q(`DELETE FROM {sessions} WHERE "userId" = $1`),
			q(`DELETE FROM {accounts} WHERE "userId" = $1`),
			q(`DELETE FROM {authenticators} WHERE "userId" = $1`),
		},
		// The user's row is locked as a foreign key check would lock it,
		// so that DeleteUser cannot remove it before this commits.
		linkAccount: q(`INSERT INTO {accounts} ("userId", type, provider, "providerAccountId",
				refresh_token, access_token, expires_at, id_token, scope, session_state, token_type)
			SELECT id, $2::varchar, $3::varchar, $4::varchar, $5::text, $6::text, $7::bigint,
				$8::text, $9::text, $10::text, $11::text
			FROM {users} WHERE id = $1 FOR KEY SHARE`),
		unlinkAccount: q(`DELETE FROM {accounts} WHERE provider = $1 AND "providerAccountId" = $2`),
		getAccount:    q(`SELECT {accountColumns} FROM {accounts} WHERE provider = $1 AND "providerAccountId" = $2`),
		createSession: q(`INSERT INTO {sessions} ("userId", expires, "sessionToken")
			SELECT id, $2::timestamptz, $3::varchar FROM {users} WHERE id = $1 FOR KEY SHARE`),
		getSessionAndUser: q(`SELECT s."userId", s.expires,
				COALESCE(u.name, ''), COALESCE(u.email, ''), u."emailVerified", COALESCE(u.image, '')
			FROM {sessions} s JOIN {users} u ON u.id = s."userId"
			WHERE s."sessionToken" = $1`),
		updateSession:  q(`UPDATE {sessions} SET expires = $2 WHERE "sessionToken" = $1`),
		deleteSession:  q(`DELETE FROM {sessions} WHERE "sessionToken" = $1`),
		listSessions:   q(`SELECT "sessionToken", expires FROM {sessions} WHERE "userId" = $1 ORDER BY expires, "sessionToken"`),
		deleteSessions: q(`DELETE FROM {sessions} WHERE "userId" = $1`),
		createToken:    q(`INSERT INTO {verification_token} (identifier, expires, token) VALUES ($1, $2, $3)`),
		useToken: q(`DELETE FROM {verification_token} WHERE identifier = $1 AND token = $2
			RETURNING identifier, expires, token`),
		createAuthenticator: q(`INSERT INTO {authenticators} ("credentialID", "userId", "providerAccountId",
				"credentialPublicKey", counter, "credentialDeviceType", "credentialBackedUp", transports)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`),
		getAuthenticator:    q(`SELECT {authenticatorColumns} FROM {authenticators} WHERE "credentialID" = $1`),
		listAuthenticators:  q(`SELECT {authenticatorColumns} FROM {authenticators} WHERE "userId" = $1 ORDER BY "credentialID"`),
		updateCounter:       q(`UPDATE {authenticators} SET counter = $2 WHERE "credentialID" = $1`),
		deleteAuthenticator: q(`DELETE FROM {authenticators} WHERE "credentialID" = $1`),
	}
}
