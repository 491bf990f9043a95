package postgres

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// migrationFiles are the schema's versions: NNNN_name.sql, applied in
// the order of NNNN. A released file never changes; a change of schema is
// a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationsTable is the table, in the store's schema, where Migrate
// records the versions it applied.
const MigrationsTable = "ginauth_schema_migrations"

// lockClass is the first key of the advisory lock Migrate holds ("gina");
// the second is a hash of the schema's name.
const lockClass = 0x67696e61

// A migration is one version of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations, by version.
var migrations = sync.OnceValues(func() ([]migration, error) {
	paths, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, p := range paths {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "migrations/"), ".sql")
		num, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration file %s is not named NNNN_name.sql", p)
		}
		b, err := migrationFiles.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: name, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("two migrations have version %d", out[i].version)
		}
	}
	return out, nil
})

// requiredColumns are the columns the store's queries use, by table.
var requiredColumns = map[string][]string{
	"users":              {"id", "name", "email", "emailVerified", "image"},
	"accounts":           {"userId", "type", "provider", "providerAccountId", "refresh_token", "access_token", "expires_at", "id_token", "scope", "session_state", "token_type"},
	"sessions":           {"userId", "expires", "sessionToken"},
	"verification_token": {"identifier", "expires", "token"},
	"authenticators":     {"credentialID", "userId", "providerAccountId", "credentialPublicKey", "counter", "credentialDeviceType", "credentialBackedUp", "transports"},
}

// Migrate brings the store's schema to the newest version this package
// knows: it creates the tables that are missing and the unique indexes
// the store needs (see the package documentation), then checks that the
// tables have the columns the store uses. It runs in one transaction,
// under an advisory lock on the schema's name, so that processes opening
// one database at once apply each version once; versions that a newer
// release recorded are left alone. Open calls it; calling it again is
// cheap, and on an up-to-date schema it changes nothing, so that it needs
// no privilege beyond reading the tables.
func (s *Store) Migrate(ctx context.Context) error {
	migs, err := migrations()
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.migrateTimeout)
	defer cancel()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Taken first and held until the transaction ends: a second
		// process waits here, then finds the versions the first applied.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1::int4, hashtext(COALESCE(NULLIF($2::text, ''), current_schema(), '')))`, lockClass, s.schema); err != nil {
			return fmt.Errorf("taking the migration lock: %w", err)
		}
		if s.schema != "" {
			if err := createSchema(ctx, tx, s.schema); err != nil {
				return err
			}
		}
		// Only when missing: an up-to-date schema needs no DDL, so that a
		// user without the privilege to change it can Open.
		var recorded bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, MigrationsTable).Scan(&recorded); err != nil {
			return fmt.Errorf("looking for %s: %w", MigrationsTable, err)
		}
		if !recorded {
			if _, err := tx.Exec(ctx, `CREATE TABLE `+MigrationsTable+` (
				version INTEGER PRIMARY KEY,
				name TEXT NOT NULL,
				applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
			)`); err != nil {
				return fmt.Errorf("creating %s: %w", MigrationsTable, err)
			}
		}
		// Tables of another adapter would make the migrations fail with
		// less helpful errors.
		if err := checkColumns(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version FROM `+MigrationsTable)
		if err != nil {
			return fmt.Errorf("reading %s: %w", MigrationsTable, err)
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("reading %s: %w", MigrationsTable, err)
		}
		for _, m := range migs {
			if slices.Contains(applied, int32(m.version)) {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("applying %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+MigrationsTable+` (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return fmt.Errorf("recording %s: %w", m.name, err)
			}
		}
		return checkColumns(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// createSchema creates schema when it is missing and makes it the
// transaction's search_path, where the migrations create their tables.
func createSchema(ctx context.Context, tx pgx.Tx, schema string) error {
	ident := pgx.Identifier{schema}.Sanitize()
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		return fmt.Errorf("looking for the schema: %w", err)
	}
	if !exists {
		// Only when missing: CREATE SCHEMA IF NOT EXISTS would need the
		// CREATE privilege on the database even for a schema that exists.
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+ident); err != nil {
			return fmt.Errorf("creating the schema: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `SET LOCAL search_path TO `+ident); err != nil {
		return fmt.Errorf("setting search_path: %w", err)
	}
	return nil
}

// checkColumns reports a table (found by the transaction's search_path)
// that lacks a column the store uses, or whose user ids are not integers:
// tables of the same names made by something other than @auth/pg-adapter.
// Tables that do not exist are not checked.
func checkColumns(ctx context.Context, tx pgx.Tx) error {
	tables := make([]string, 0, len(requiredColumns))
	for t := range requiredColumns {
		tables = append(tables, pgx.Identifier{t}.Sanitize())
	}
	slices.Sort(tables)
	rows, err := tx.Query(ctx, `SELECT c.relname::text, a.attname::text, format_type(a.atttypid, NULL)
		FROM unnest($1::text[]) AS t(name)
		JOIN pg_class c ON c.oid = to_regclass(t.name)
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped`, tables)
	if err != nil {
		return fmt.Errorf("reading the tables' columns: %w", err)
	}
	have := map[string]string{}
	var table, column, typ string
	if _, err := pgx.ForEachRow(rows, []any{&table, &column, &typ}, func() error {
		have[table+"."+column] = typ
		have[table] = "table"
		return nil
	}); err != nil {
		return fmt.Errorf("reading the tables' columns: %w", err)
	}
	for _, t := range slices.Sorted(maps.Keys(requiredColumns)) {
		if have[t] == "" {
			continue
		}
		for _, c := range requiredColumns[t] {
			typ, ok := have[t+"."+c]
			if !ok {
				return fmt.Errorf("table %s has no column %q: it is not @auth/pg-adapter's", t, c)
			}
			if ((t == "users" && c == "id") || c == "userId") && typ != "integer" && typ != "bigint" {
				return fmt.Errorf("column %s.%q is %s, not an integer: the table is not @auth/pg-adapter's", t, c, typ)
			}
		}
	}
	return nil
}
