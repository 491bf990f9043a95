package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ginauth/ginauth/adapters/adaptertest"
	"github.com/ginauth/ginauth/adapters/postgres"
	"github.com/ginauth/ginauth/authjs"
)

// schemaDir holds @auth/pg-adapter's schema.sql, current and old, and the
// Node package of the interop tests.
const schemaDir = "../../testdata/pgadapter"

// testURL returns the URL of the test database, GINAUTH_TEST_POSTGRES_URL.
// Without it the test is skipped, unless GINAUTH_REQUIRE_SERVICES=1 (set
// by scripts/test, which starts a PostgreSQL) makes that a failure.
func testURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("GINAUTH_TEST_POSTGRES_URL")
	if url == "" {
		const msg = "GINAUTH_TEST_POSTGRES_URL is not set: these tests need a PostgreSQL (scripts/test starts one; by hand: source scripts/services; start_services)"
		if os.Getenv("GINAUTH_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg + "; GINAUTH_REQUIRE_SERVICES=1 requires it")
		}
		t.Skip(msg + " (set GINAUTH_REQUIRE_SERVICES=1 to fail instead)")
	}
	return url
}

// adminPool returns a pool on the test database for setting up schemas,
// closed when the test ends.
func adminPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testURL(t))
	if err != nil {
		t.Fatalf("connecting to the test database: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatalf("connecting to the test database: %v", err)
	}
	return pool
}

// randomName returns prefix followed by random hex digits: a name no
// other test uses.
func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// freshSchema creates an empty schema that is dropped, with everything in
// it, when the test ends, and returns its name.
func freshSchema(t testing.TB, admin *pgxpool.Pool) string {
	t.Helper()
	name := randomName("ginauth_test_")
	if _, err := admin.Exec(context.Background(), "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("CREATE SCHEMA: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("DROP SCHEMA %s: %v", name, err)
		}
	})
	return name
}

// execFile runs the SQL of a file of schemaDir in a schema.
func execFile(t testing.TB, admin *pgxpool.Pool, schema, file string) {
	t.Helper()
	sql, err := os.ReadFile(filepath.Join(schemaDir, file))
	if err != nil {
		t.Fatal(err)
	}
	execIn(t, admin, schema, string(sql))
}

// execIn runs sql (one or more statements, no parameters) with schema as
// the search_path.
func execIn(t testing.TB, admin *pgxpool.Pool, schema, sql string) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+schema); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sql)
		return err
	})
	if err != nil {
		t.Fatalf("running SQL in schema %s: %v", schema, err)
	}
}

// openStore opens a Store on a schema of the test database, closed when
// the test ends.
func openStore(t testing.TB, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), testURL(t), postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// tableOrigins are the ways the tables come to exist before Open: made by
// Open itself, or by an Auth.js application with the current or the old
// schema.sql of @auth/pg-adapter.
var tableOrigins = []struct {
	name string
	file string // in schemaDir; "" for none
}{
	{"Migrated", ""},
	{"NewSchemaSQL", "schema.sql"},
	{"OldSchemaSQL", "schema-old.sql"},
}

// TestConformance runs the adapter suite on stores whose tables were made
// each way, every subtest in a schema of its own.
func TestConformance(t *testing.T) {
	admin := adminPool(t)
	for _, origin := range tableOrigins {
		t.Run(origin.name, func(t *testing.T) {
			adaptertest.Run(t, func(t *testing.T) authjs.Adapter {
				schema := freshSchema(t, admin)
				if origin.file != "" {
					execFile(t, admin, schema, origin.file)
				}
				return openStore(t, schema)
			})
		})
	}
}
