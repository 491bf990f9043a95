package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// ErrSchemaTooNew reports a database whose schema a newer version of this
// package migrated: this version does not know its tables, and refuses to
// use it rather than write rows a newer schema may not expect.
var ErrSchemaTooNew = errors.New("sqlite: the database schema is newer than this version of ginauth supports")

// versionTable records the migrations applied to a database, one row per
// version.
const versionTable = "ginauth_schema_version"

// migrationFiles holds the schema, one file per version, named
// NNNN_description.sql and applied in order of NNNN.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// A migration is one version of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations in order, checking that
// their versions are 1, 2, 3… without gaps.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlite: list migrations: %w", err)
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("sqlite: migration %s: name is not NNNN_description.sql", base)
		}
		text, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(base, ".sql"), sql: string(text)})
	}
	// fs.Glob returns names in lexical order, which is version order for
	// zero-padded numbers; check it.
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migration %s has version %d, want %d (versions must run 1, 2, 3… without gaps)", m.name, m.version, i+1)
		}
	}
	return ms, nil
}

// latest is the target of migrate for the newest schema.
const latest = -1

// migrate brings the database to version target (or latest) in one IMMEDIATE transaction, so that concurrent Opens of one file
// migrate it once and a failed migration leaves it as it was. It returns
// the version the database had.
func migrate(ctx context.Context, db *sql.DB, target int) (from int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	if target == latest {
		target = len(ms)
	}
	if target < 0 || target > len(ms) {
		return 0, fmt.Errorf("sqlite: migrate to version %d: versions run from 0 to %d", target, len(ms))
	}

	// Fast path, without taking the write lock: nothing to do.
	if v, err := currentVersion(ctx, db); err != nil {
		return 0, err
	} else if v == target {
		return v, nil
	} else if v > len(ms) {
		return v, tooNew(v, len(ms))
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer conn.Close()
	// BEGIN IMMEDIATE takes the write lock before reading the version, so
	// that a concurrent Open waits (busy timeout) and then sees the work
	// done, instead of failing to upgrade a read transaction.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, fmt.Errorf("sqlite: migrate: begin: %w", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, rerr := conn.ExecContext(rctx, "ROLLBACK"); rerr != nil {
			// Never hand a connection inside a transaction back to the
			// pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+versionTable+` (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return 0, fmt.Errorf("sqlite: migrate: create %s: %w", versionTable, err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+versionTable).Scan(&from); err != nil {
		return 0, fmt.Errorf("sqlite: migrate: read the schema version: %w", err)
	}
	if from > len(ms) {
		return from, tooNew(from, len(ms))
	}
	if from > target {
		return from, fmt.Errorf("sqlite: migrate to version %d: the database is at version %d, and migrations only go up", target, from)
	}
	for _, m := range ms[from:target] {
		if _, err := conn.ExecContext(ctx, m.sql); err != nil {
			return from, fmt.Errorf("sqlite: migration %s: %w", m.name, err)
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO `+versionTable+` (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, formatTime(time.Now())); err != nil {
			return from, fmt.Errorf("sqlite: migration %s: record the version: %w", m.name, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return from, fmt.Errorf("sqlite: migrate: commit: %w", err)
	}
	committed = true
	return from, nil
}

// currentVersion returns the schema version of the database, 0 for one
// that was never migrated.
func currentVersion(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, versionTable).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: read the schema version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+versionTable).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read the schema version: %w", err)
	}
	return v, nil
}

// tooNew is the error for a database at version have when this package
// knows versions up to known.
func tooNew(have, known int) error {
	return fmt.Errorf("%w: the database is at schema version %d, this version of ginauth knows versions up to %d; upgrade ginauth or use another database file", ErrSchemaTooNew, have, known)
}
