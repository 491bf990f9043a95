// Package sqlite is the embedded default store of ginauth: an
// authjs.Adapter (with authjs.SessionLister, authjs.WebAuthnAdapter and
// authjs.AuthenticatorDeleter) on SQLite, through modernc.org/sqlite, a
// pure-Go build of SQLite that needs no cgo.
//
// # The file
//
// The database lives in the one file given to Open (plus the -wal and -shm
// files SQLite keeps beside it in WAL mode); Open creates it when it is
// missing. Back it up with SQLite's tools (".backup", VACUUM INTO), not by
// copying the file while the application runs. ":memory:" gives a
// database that lives as long as the Store, for tests.
//
//	store, err := sqlite.Open(ctx, "/var/lib/myapp/auth.db", sqlite.Options{})
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	auth, err := ginauth.New(ginauth.Config{Secret: secret, Adapter: store /* ... */})
//
// # The schema
//
// The tables are those of @auth/pg-adapter, with its names, columns and
// meanings, so that tools and queries written for an Auth.js database read
// this one:
//
//	users              (id, name, email, "emailVerified", image)
//	accounts           (id, "userId", type, provider, "providerAccountId", refresh_token,
//	                    access_token, expires_at, id_token, scope, session_state, token_type)
//	sessions           (id, "userId", expires, "sessionToken")
//	verification_token (identifier, expires, token)
//	authenticators     ("credentialID", "userId", "providerAccountId", "credentialPublicKey",
//	                    counter, "credentialDeviceType", "credentialBackedUp", transports)
//
// IDs are integers the database assigns (INTEGER PRIMARY KEY AUTOINCREMENT,
// never reused), handed out as decimal strings; "userId" is an integer.
// Where pg-adapter's documented schema has no constraints this one adds
// them: email is UNIQUE, (provider, "providerAccountId") is UNIQUE,
// "sessionToken" and "credentialID" are UNIQUE, and every "userId" is a
// foreign key with ON DELETE CASCADE. Empty strings are stored as NULL, as
// Auth.js stores absent fields, and accounts.expires_at 0 as NULL.
//
// Times ("emailVerified", expires) are TEXT in RFC 3339, UTC, with
// milliseconds, as JavaScript's Date.toISOString writes them
// ("2024-05-06T07:08:09.123Z"): they sort as text, compare with
// strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), and Date parses them. Reading also
// accepts RFC 3339 with any precision or offset and SQLite's
// "YYYY-MM-DD HH:MM:SS" (as UTC). accounts.expires_at is an integer of Unix
// seconds, as in Auth.js.
//
// # Migrations
//
// The schema is a list of SQL files embedded in the package, one per
// version (1: Auth.js's tables; 2: authenticators). Open applies those the
// database has not had, in order, in one IMMEDIATE transaction, and records
// each in the table ginauth_schema_version; on a database that is up to
// date it only reads that table. A database a newer ginauth migrated is
// refused with ErrSchemaTooNew.
//
// # Connections
//
// Open sets, on every connection of its pool: foreign keys on, WAL journal
// mode, and a busy timeout (Options.BusyTimeout), so that writers wait for
// each other instead of failing with SQLITE_BUSY. Every statement is
// prepared once, by Open, and runs under the caller's context bounded by
// Options.QueryTimeout. Each method is one statement, so that each is
// atomic; GetSessionAndUser is one query joining sessions and users.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ginauth/ginauth/authjs"
)

// Defaults of Options.
const (
	// DefaultQueryTimeout bounds each query when Options.QueryTimeout is 0.
	DefaultQueryTimeout = 5 * time.Second
	// DefaultBusyTimeout is how long a write waits for the database's
	// write lock when Options.BusyTimeout is 0.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultMaxOpenConns caps the pool of Open when Options.MaxOpenConns
	// is 0.
	DefaultMaxOpenConns = 8
)

// Options tunes a Store. The zero value is the recommended configuration.
type Options struct {
	// QueryTimeout bounds every query, on top of the caller's context
	// (0: DefaultQueryTimeout).
	QueryTimeout time.Duration
	// BusyTimeout is how long a statement waits for another connection's
	// write to finish before failing (0: DefaultBusyTimeout). Open and DSN
	// use it; New takes the pool as it is.
	BusyTimeout time.Duration
	// MaxOpenConns caps the connections of the pool Open makes (0:
	// DefaultMaxOpenConns; always 1 for ":memory:", whose data lives in
	// its connection). SQLite runs one writer at a time, and readers
	// beside it in WAL mode.
	MaxOpenConns int
}

func (o Options) validate() error {
	if o.QueryTimeout < 0 || o.BusyTimeout < 0 || o.MaxOpenConns < 0 {
		return errors.New("sqlite: Options: QueryTimeout, BusyTimeout and MaxOpenConns must not be negative")
	}
	return nil
}

func (o Options) queryTimeout() time.Duration {
	if o.QueryTimeout == 0 {
		return DefaultQueryTimeout
	}
	return o.QueryTimeout
}

func (o Options) busyTimeout() time.Duration {
	if o.BusyTimeout == 0 {
		return DefaultBusyTimeout
	}
	return o.BusyTimeout
}

// Store is an authjs.Adapter, authjs.SessionLister, authjs.WebAuthnAdapter
// and authjs.AuthenticatorDeleter on a SQLite database. It is safe for
// concurrent use. Make one with Open or New, and Close it when done.
type Store struct {
	db      *sql.DB
	ownDB   bool // Close closes db: Open opened it
	timeout time.Duration
	st      statements
}

// Compile-time checks of the interfaces Store implements.
var (
	_ authjs.Adapter              = (*Store)(nil)
	_ authjs.SessionLister        = (*Store)(nil)
	_ authjs.WebAuthnAdapter      = (*Store)(nil)
	_ authjs.AuthenticatorDeleter = (*Store)(nil)
	_ authjs.NullUserFields       = (*Store)(nil)
)

// isMemory reports whether path names an in-memory database, whose data
// lives in its connection.
func isMemory(path string) bool {
	name, query, _ := strings.Cut(path, "?")
	return name == ":memory:" || name == "file::memory:" || strings.Contains("&"+query+"&", "&mode=memory&")
}

// DSN returns the data source name Open uses: path (a file name or a
// "file:" URI, optionally with parameters of its own, which take
// precedence) with the parameters that turn foreign keys on, select WAL
// mode, set the busy timeout of opts, and make transactions IMMEDIATE. Use
// it to open a pool for New yourself:
//
//	db, err := sql.Open("sqlite", sqlite.DSN("auth.db", sqlite.Options{}))
func DSN(path string, opts Options) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(opts.busyTimeout().Milliseconds(), 10))
	q.Set("_foreign_keys", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_txlock", "immediate")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + q.Encode()
}

// Open opens (creating it if needed) the SQLite database at path, migrates
// its schema and returns a Store that closes the database on Close. path is
// a file name, a "file:" URI or ":memory:"; see DSN for the parameters
// added to it. ctx bounds the opening and the migration.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("sqlite: Open: empty path (use \":memory:\" for an in-memory database)")
	}
	db, err := sql.Open("sqlite", DSN(path, opts))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	switch {
	case isMemory(path):
		// Each connection to ":memory:" is its own database: keep one,
		// forever.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	case opts.MaxOpenConns > 0:
		db.SetMaxOpenConns(opts.MaxOpenConns)
		db.SetMaxIdleConns(opts.MaxOpenConns)
	default:
		db.SetMaxOpenConns(DefaultMaxOpenConns)
		db.SetMaxIdleConns(DefaultMaxOpenConns)
	}
	s, err := newStore(ctx, db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.ownDB = true
	return s, nil
}

// New returns a Store on a pool the caller opened with the driver
// "sqlite" of modernc.org/sqlite (this package imports it), migrating its
// schema. Every connection of the pool must have foreign keys on, and
// should have WAL mode and a busy timeout: open it with DSN. New fails if
// foreign keys are off. Close leaves db open.
func New(ctx context.Context, db *sql.DB, opts Options) (*Store, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if db == nil {
		return nil, errors.New("sqlite: New: nil *sql.DB")
	}
	return newStore(ctx, db, opts)
}

func newStore(ctx context.Context, db *sql.DB, opts Options) (*Store, error) {
	var fk int
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if fk != 1 {
		return nil, errors.New("sqlite: foreign keys are off on the pool's connections; open the database with sqlite.DSN (or the parameter _pragma=foreign_keys(1)) so that deleting a user deletes its accounts and sessions")
	}
	if _, err := migrate(ctx, db, latest); err != nil {
		return nil, err
	}
	s := &Store{db: db, timeout: opts.queryTimeout()}
	if err := s.st.prepare(ctx, db); err != nil {
		s.st.close()
		return nil, err
	}
	return s, nil
}

// UserFieldsNullable reports true: absent user fields are NULL, and
// database sessions answer them as null, as Auth.js does over its SQL
// adapters.
func (s *Store) UserFieldsNullable() bool { return true }

// Close releases the prepared statements and, for a Store made by Open,
// closes the database.
func (s *Store) Close() error {
	err := s.st.close()
	if s.ownDB {
		if cerr := s.db.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("sqlite: close: %w", cerr))
		}
	}
	return err
}

// withTimeout bounds a query by the caller's context and the query
// timeout.
func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// fail maps err of operation op to the adapter's errors: no rows is
// ErrNotFound, a UNIQUE or PRIMARY KEY violation ErrConflict, a FOREIGN KEY
// violation ErrNotFound (the user does not exist); anything else is wrapped
// as a failure of the store. SQLite's messages name tables and columns,
// never the values bound to a statement.
func fail(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, authjs.ErrNotFound)
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w (%w)", op, authjs.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: no such user: %w (%w)", op, authjs.ErrNotFound, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// notFound is ErrNotFound for operation op.
func notFound(op string) error { return fmt.Errorf("sqlite: %s: %w", op, authjs.ErrNotFound) }

// parseID returns the integer of a user ID in its canonical decimal form,
// and false for anything else ("abc", "01", "+1", "").
func parseID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return 0, false
	}
	return n, true
}

// formatID is the inverse of parseID.
func formatID(n int64) string { return strconv.FormatInt(n, 10) }

// timeLayout is how times are stored: RFC 3339 in UTC with milliseconds,
// JavaScript's Date.toISOString.
const timeLayout = "2006-01-02T15:04:05.000Z"

// formatTime returns t as stored.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseLayouts are the forms of time read back: RFC 3339 (any precision,
// any offset) and SQLite's datetime() form, taken as UTC.
var parseLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

// parseTime reads a stored time.
func parseTime(s string) (time.Time, error) {
	for _, layout := range parseLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("sqlite: unrecognised time %q (want RFC 3339)", s)
}

// nullString stores "" as NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullTime stores a nil time as NULL.
func nullTime(t *time.Time) sql.NullString {
	if t == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(*t), Valid: true}
}

// nullInt stores 0 as NULL.
func nullInt(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: n != 0} }
