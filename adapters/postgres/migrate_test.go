package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ginauth/ginauth/adapters/postgres"
	"github.com/ginauth/ginauth/authjs"
)

// column is a column as information_schema describes it.
type column struct {
	Table, Name, Type, Nullable, Default string
	Length                               int32
}

// columns returns the columns of the tables in schema.
func columns(t *testing.T, admin *pgxpool.Pool, schema string) []column {
	t.Helper()
	rows, err := admin.Query(context.Background(), `SELECT table_name::text, column_name::text, data_type::text, is_nullable::text,
			COALESCE(column_default, '')::text, COALESCE(character_maximum_length, -1)::int4
		FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`, schema)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// index is an index as pg_indexes describes it.
type index struct{ Table, Name, Def string }

// indexes returns the indexes of the tables in schema.
func indexes(t *testing.T, admin *pgxpool.Pool, schema string) []index {
	t.Helper()
	rows, err := admin.Query(context.Background(), `SELECT tablename::text, indexname::text, indexdef
		FROM pg_indexes WHERE schemaname = $1 ORDER BY tablename, indexname`, schema)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := pgx.CollectRows(rows, pgx.RowToStructByPos[index])
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// constraints returns the constraints of the tables in schema as
// "table: definition".
func constraints(t *testing.T, admin *pgxpool.Pool, schema string) []string {
	t.Helper()
	rows, err := admin.Query(context.Background(), `SELECT c.conrelid::regclass::text || ': ' || pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE n.nspname = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// appliedVersions returns the versions recorded in schema.
func appliedVersions(t *testing.T, admin *pgxpool.Pool, schema string) []int32 {
	t.Helper()
	rows, err := admin.Query(context.Background(), `SELECT version FROM `+pgx.Identifier{schema, postgres.MigrationsTable}.Sanitize()+` ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// authjsTables are the tables of @auth/pg-adapter.
var authjsTables = []string{"accounts", "sessions", "users", "verification_token"}

// only keeps the items of list whose table is one of tables.
func only[T any](list []T, table func(T) string, tables ...string) []T {
	var out []T
	for _, x := range list {
		if slices.Contains(tables, table(x)) {
			out = append(out, x)
		}
	}
	return out
}

// TestOpenKeepsExistingTables opens the store on tables an Auth.js
// application created with the current and the old schema.sql, holding
// rows: the columns, the constraints and the rows stay as they were; the
// old schema gains exactly the three unique indexes the store relies on,
// the current one none; the authenticators table and the migrations
// record are added.
func TestOpenKeepsExistingTables(t *testing.T) {
	admin := adminPool(t)
	for _, c := range []struct {
		file       string
		newIndexes []string
	}{
		{"schema.sql", nil},
		{"schema-old.sql", []string{
			`accounts: CREATE UNIQUE INDEX "accounts_provider_providerAccountId_key" ON %s.accounts USING btree (provider, "providerAccountId")`,
			`sessions: CREATE UNIQUE INDEX "sessions_sessionToken_key" ON %s.sessions USING btree ("sessionToken")`,
			`users: CREATE UNIQUE INDEX users_email_key ON %s.users USING btree (email)`,
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			ctx := context.Background()
			schema := freshSchema(t, admin)
			execFile(t, admin, schema, c.file)
			execIn(t, admin, schema, `
				INSERT INTO users (name, email, "emailVerified") VALUES ('Existing', 'existing@example.com', '2024-01-02T03:04:05.678Z');
				INSERT INTO accounts ("userId", type, provider, "providerAccountId", expires_at) VALUES (1, 'oauth', 'github', '77', 1700000000);
				INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, '2099-01-01T00:00:00Z', 'existing-session');
				INSERT INTO verification_token (identifier, expires, token) VALUES ('existing@example.com', '2099-01-01T00:00:00Z', 'hash');`)
			colsBefore := columns(t, admin, schema)
			consBefore := constraints(t, admin, schema)
			idxBefore := indexes(t, admin, schema)

			s := openStore(t, schema)

			if got := only(columns(t, admin, schema), func(c column) string { return c.Table }, authjsTables...); !slices.Equal(got, colsBefore) {
				t.Errorf("Open changed the columns:\nbefore %+v\nafter  %+v", colsBefore, got)
			}
			consAfter := constraints(t, admin, schema)
			if got := only(consAfter, func(c string) string { return strings.TrimPrefix(c[:strings.Index(c, ":")], schema+".") }, authjsTables...); !slices.Equal(got, consBefore) {
				t.Errorf("Open changed the constraints of the Auth.js tables:\nbefore %q\nafter  %q", consBefore, got)
			}
			var added []string
			for _, ix := range only(indexes(t, admin, schema), func(i index) string { return i.Table }, authjsTables...) {
				if !slices.Contains(idxBefore, ix) {
					added = append(added, ix.Table+": "+ix.Def)
				}
			}
			var want []string
			for _, w := range c.newIndexes {
				want = append(want, fmt.Sprintf(w, schema))
			}
			if !slices.Equal(added, want) {
				t.Errorf("Open added the indexes\n%s\nwant\n%s", strings.Join(added, "\n"), strings.Join(want, "\n"))
			}
			if got := appliedVersions(t, admin, schema); !slices.Equal(got, []int32{1, 2}) {
				t.Errorf("recorded versions %v, want [1 2]", got)
			}
			if !slices.ContainsFunc(consAfter, func(c string) bool {
				return strings.Contains(c, "authenticators: FOREIGN KEY (\"userId\") REFERENCES "+schema+".users(id) ON DELETE CASCADE")
			}) {
				t.Errorf("no foreign key from authenticators to users among %q", consAfter)
			}

			// The rows are there, as the store reads them.
			u, err := s.GetUserByEmail(ctx, "existing@example.com")
			if err != nil {
				t.Fatal(err)
			}
			verified := time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
			if u.ID != "1" || u.Name != "Existing" || u.EmailVerified == nil || !u.EmailVerified.Equal(verified) {
				t.Errorf("GetUserByEmail = %+v, want user 1 verified at %v", u, verified)
			}
			if u, err := s.GetUserByAccount(ctx, "github", "77"); err != nil || u.ID != "1" {
				t.Errorf("GetUserByAccount = %+v, %v; want user 1", u, err)
			}
			if sess, _, err := s.GetSessionAndUser(ctx, "existing-session"); err != nil || sess.UserID != "1" {
				t.Errorf("GetSessionAndUser = %+v, %v; want a session of user 1", sess, err)
			}
			if _, err := s.UseVerificationToken(ctx, "existing@example.com", "hash"); err != nil {
				t.Errorf("UseVerificationToken: %v", err)
			}
			// The serial goes on where the application left it.
			if u, err := s.CreateUser(ctx, authjs.User{Name: "Next"}); err != nil || u.ID != "2" {
				t.Errorf("CreateUser = %+v, %v; want user 2", u, err)
			}
		})
	}
}

// TestOpenAgain checks that opening a migrated schema again changes
// nothing, and that a version recorded by a newer release is left alone.
func TestOpenAgain(t *testing.T) {
	admin := adminPool(t)
	schema := freshSchema(t, admin)
	openStore(t, schema)
	before := indexes(t, admin, schema)
	execIn(t, admin, schema, `INSERT INTO `+postgres.MigrationsTable+` (version, name) VALUES (999, '0999_from_the_future')`)
	openStore(t, schema)
	if got := appliedVersions(t, admin, schema); !slices.Equal(got, []int32{1, 2, 999}) {
		t.Errorf("recorded versions %v, want [1 2 999]", got)
	}
	if after := indexes(t, admin, schema); !slices.Equal(after, before) {
		t.Errorf("a second Open changed the indexes:\nbefore %v\nafter  %v", before, after)
	}
}

// TestOpenOldSchemaWithDuplicates opens the store on old-schema tables
// holding two users with one email address: the unique index cannot be
// built, Open fails, and its transaction leaves nothing behind.
func TestOpenOldSchemaWithDuplicates(t *testing.T) {
	admin := adminPool(t)
	schema := freshSchema(t, admin)
	execFile(t, admin, schema, "schema-old.sql")
	execIn(t, admin, schema, `INSERT INTO users (name, email) VALUES ('One', 'twice@example.com'), ('Two', 'twice@example.com')`)
	before := indexes(t, admin, schema)
	s, err := postgres.Open(context.Background(), testURL(t), postgres.Options{Schema: schema})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a users table with a duplicate email")
	}
	t.Logf("Open: %v", err)
	if !strings.Contains(err.Error(), "users_email_key") || strings.Contains(err.Error(), "twice@example.com") {
		t.Errorf("Open's error %q should name the index users_email_key and not the duplicated value", err)
	}
	if after := indexes(t, admin, schema); !slices.Equal(after, before) {
		t.Errorf("a failed Open changed the indexes:\nbefore %v\nafter  %v", before, after)
	}
	var n int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(authjsTables) {
		t.Errorf("after a failed Open the schema has %d tables, want the %d it had", n, len(authjsTables))
	}
}

// TestOpenRejectsForeignTables opens the store on a users table of
// another adapter (text ids, as Prisma's and Drizzle's): Open refuses it.
func TestOpenRejectsForeignTables(t *testing.T) {
	admin := adminPool(t)
	for _, c := range []struct{ name, sql, want string }{
		{"text ids", `CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT, email TEXT UNIQUE, "emailVerified" TIMESTAMPTZ, image TEXT)`, "not an integer"},
		{"missing column", `CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT, email TEXT UNIQUE, image TEXT)`, `no column "emailVerified"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			schema := freshSchema(t, admin)
			execIn(t, admin, schema, c.sql)
			s, err := postgres.Open(context.Background(), testURL(t), postgres.Options{Schema: schema})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open: %v; want an error saying %q", err, c.want)
			}
		})
	}
}

// withDatabase returns url with its database replaced by name.
func withDatabase(t *testing.T, rawURL, name string) string {
	t.Helper()
	if !strings.Contains(rawURL, "://") {
		return rawURL + " dbname=" + name // later keys win
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// TestOpenConcurrently opens stores from several goroutines at once on an
// empty database, in its default schema: every Open succeeds and each
// migration is applied once, under the advisory lock.
func TestOpenConcurrently(t *testing.T) {
	admin := adminPool(t)
	ctx := context.Background()
	dbURL := testURL(t)
	schema := "public"
	name := randomName("ginauth_test_")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		// Without the privilege, an empty schema of the test database
		// stands in for an empty database.
		t.Logf("CREATE DATABASE: %v; using a schema instead", err)
		schema = freshSchema(t, admin)
	} else {
		dbURL = withDatabase(t, dbURL, name)
		t.Cleanup(func() {
			if _, err := admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("DROP DATABASE: %v", err)
			}
		})
	}
	opts := postgres.Options{}
	if schema != "public" {
		opts.Schema = schema
	}

	const n = 8
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(ctx, dbURL, opts)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d of %d concurrent ones: %v", i, n, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	pool := stores[0].Pool()
	rows, err := pool.Query(ctx, `SELECT version FROM `+pgx.Identifier{schema, postgres.MigrationsTable}.Sanitize()+` ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions, []int32{1, 2}) {
		t.Errorf("recorded versions %v, want [1 2] (each once)", versions)
	}
	// Every store works on the one set of tables.
	u, err := stores[n-1].CreateUser(ctx, authjs.User{Email: "concurrent@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := stores[0].GetUser(ctx, u.ID); err != nil || got.Email != u.Email {
		t.Errorf("GetUser through another store = %+v, %v", got, err)
	}
}

// TestNewAndMigrate uses a pool the caller made: New does not touch the
// database, Migrate creates the tables, and Close leaves the pool open.
func TestNewAndMigrate(t *testing.T) {
	admin := adminPool(t)
	ctx := context.Background()
	schema := freshSchema(t, admin)
	s, err := postgres.New(admin, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, authjs.User{Name: "Too early"}); err == nil || errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("CreateUser before Migrate: %v; want the error of a missing table", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, authjs.User{Name: "In time"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := admin.Ping(ctx); err != nil {
		t.Errorf("the caller's pool after Close: %v", err)
	}

	for _, opts := range []postgres.Options{{QueryTimeout: -1}, {MigrateTimeout: -time.Second}} {
		if _, err := postgres.New(admin, opts); err == nil {
			t.Errorf("New(%+v) succeeded; want an error", opts)
		}
	}
	if _, err := postgres.New(nil, postgres.Options{}); err == nil {
		t.Error("New(nil pool) succeeded; want an error")
	}
	if _, err := postgres.Open(ctx, "postgres://u:secret-password@127.0.0.1:1/x?sslmode=bogus", postgres.Options{}); err == nil || strings.Contains(err.Error(), "secret-password") {
		t.Errorf("Open of a bad URL: %v; want an error without the password", err)
	}
}

// TestQueryTimeout holds a lock on a session row from another
// transaction: UpdateSession gives up after QueryTimeout with an error
// matching context.DeadlineExceeded (not ErrNotFound), and the caller's
// context stays alive.
func TestQueryTimeout(t *testing.T) {
	admin := adminPool(t)
	ctx := context.Background()
	schema := freshSchema(t, admin)
	openStore(t, schema) // migrates
	s, err := postgres.Open(ctx, testURL(t), postgres.Options{Schema: schema, QueryTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.CreateUser(ctx, authjs.User{Name: "Locked"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "locked", UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM `+pgx.Identifier{schema, "sessions"}.Sanitize()+` WHERE "sessionToken" = 'locked' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	err = s.UpdateSession(ctx, authjs.DatabaseSession{SessionToken: "locked", Expires: time.Now().Add(2 * time.Hour)})
	elapsed := time.Since(begin)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("UpdateSession of a locked row: %v; want an error matching context.DeadlineExceeded", err)
	}
	if elapsed < 250*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("UpdateSession gave up after %v; want about the 300ms QueryTimeout", elapsed)
	}
	if ctx.Err() != nil {
		t.Error("the caller's context was cancelled")
	}
}

// TestErrorsHideValues makes the store fail on values the caller passed
// (duplicate keys, values too long for their columns) and checks that no
// error message repeats them.
func TestErrorsHideValues(t *testing.T) {
	admin := adminPool(t)
	ctx := context.Background()
	s := openStore(t, freshSchema(t, admin))
	u, err := s.CreateUser(ctx, authjs.User{Email: "secret-owner@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	const token = "secret-session-token-0123456789"
	exp := time.Now().Add(time.Hour)
	if err := s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: token, UserID: u.ID, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateVerificationToken(ctx, authjs.VerificationToken{Identifier: "secret-owner@example.com", Token: "secret-hash", Expires: exp}); err != nil {
		t.Fatal(err)
	}
	long := "secret-" + strings.Repeat("x", 300)
	for _, c := range []struct {
		name   string
		err    error
		target error
		values []string
	}{
		{"duplicate session token", s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: token, UserID: u.ID, Expires: exp}), authjs.ErrConflict, []string{token}},
		{"duplicate verification token", s.CreateVerificationToken(ctx, authjs.VerificationToken{Identifier: "secret-owner@example.com", Token: "secret-hash", Expires: exp}), authjs.ErrConflict, []string{"secret-hash", "secret-owner"}},
		{"duplicate email", func() error {
			_, err := s.CreateUser(ctx, authjs.User{Email: "secret-owner@example.com"})
			return err
		}(), authjs.ErrConflict, []string{"secret-owner"}},
		{"session token too long", s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: long, UserID: u.ID, Expires: exp}), nil, []string{long[:20]}},
	} {
		switch {
		case c.err == nil:
			t.Errorf("%s: no error", c.name)
			continue
		case c.target != nil && !errors.Is(c.err, c.target):
			t.Errorf("%s: %v; want an error matching %v", c.name, c.err, c.target)
		case c.target == nil && (errors.Is(c.err, authjs.ErrNotFound) || errors.Is(c.err, authjs.ErrConflict)):
			t.Errorf("%s: %v; want a store failure", c.name, c.err)
		}
		for _, v := range c.values {
			if strings.Contains(c.err.Error(), v) {
				t.Errorf("%s: the error %q contains the value %q", c.name, c.err, v)
			}
		}
		t.Logf("%s: %v", c.name, c.err)
	}
}

// TestLookupsOfUnstorableKeys looks records up by keys PostgreSQL cannot
// hold in a text column (invalid UTF-8, NUL bytes) and by keys longer
// than their VARCHAR(255) columns: nothing is found, and no lookup fails
// as a store error would (ginauth answers those as an outage).
func TestLookupsOfUnstorableKeys(t *testing.T) {
	admin := adminPool(t)
	ctx := context.Background()
	s := openStore(t, freshSchema(t, admin))
	for _, key := range []string{"bad\xffutf8", "nul\x00byte", strings.Repeat("long", 100)} {
		for _, c := range []struct {
			name  string
			err   error
			nilOK bool
		}{
			{"GetUserByEmail", second(s.GetUserByEmail(ctx, key)), false},
			{"GetUserByAccount", second(s.GetUserByAccount(ctx, "github", key)), false},
			{"GetAccount", second(s.GetAccount(ctx, key, "1")), false},
			{"GetSessionAndUser", func() error { _, _, err := s.GetSessionAndUser(ctx, key); return err }(), false},
			{"UpdateSession", s.UpdateSession(ctx, authjs.DatabaseSession{SessionToken: key, Expires: time.Now()}), false},
			{"UseVerificationToken", second(s.UseVerificationToken(ctx, key, "hash")), false},
			{"GetAuthenticator", second(s.GetAuthenticator(ctx, key)), false},
			{"UpdateAuthenticatorCounter", s.UpdateAuthenticatorCounter(ctx, key, 1), false},
			{"DeleteSession", s.DeleteSession(ctx, key), true},
			{"UnlinkAccount", s.UnlinkAccount(ctx, key, "1"), true},
		} {
			if !errors.Is(c.err, authjs.ErrNotFound) && !(c.nilOK && c.err == nil) {
				t.Errorf("%s(%q): %v; want ErrNotFound", c.name, key[:min(len(key), 12)], c.err)
			}
		}
	}
}

// second returns the error of a call that returns a value and an error.
func second[T any](_ T, err error) error { return err }

// TestDeleteUserRacesWithoutForeignKeys deletes users of old-schema tables
// (no foreign keys) while other goroutines create sessions and link
// accounts for them: every write either fails with ErrNotFound or is
// deleted with its user, and no session or account is left without one.
func TestDeleteUserRacesWithoutForeignKeys(t *testing.T) {
	admin := adminPool(t)
	ctx := context.Background()
	schema := freshSchema(t, admin)
	execFile(t, admin, schema, "schema-old.sql")
	s := openStore(t, schema)
	const rounds, writers = 30, 6
	for round := range rounds {
		u, err := s.CreateUser(ctx, authjs.User{Name: fmt.Sprintf("Doomed %d", round)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 2*writers+1)
		for w := range writers {
			wg.Go(func() {
				<-start
				key := fmt.Sprintf("%d-%d", round, w)
				if err := s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "race-" + key, UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil && !errors.Is(err, authjs.ErrNotFound) {
					errs <- fmt.Errorf("CreateSession: %w", err)
				}
				if err := s.LinkAccount(ctx, authjs.Account{UserID: u.ID, Type: authjs.TypeOAuth, Provider: "github", ProviderAccountID: "race-" + key}); err != nil && !errors.Is(err, authjs.ErrNotFound) {
					errs <- fmt.Errorf("LinkAccount: %w", err)
				}
			})
		}
		wg.Go(func() {
			<-start
			if err := s.DeleteUser(ctx, u.ID); err != nil {
				errs <- fmt.Errorf("DeleteUser: %w", err)
			}
		})
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	for _, table := range []string{"sessions", "accounts"} {
		var orphans int
		q := `SELECT count(*) FROM ` + pgx.Identifier{schema, table}.Sanitize() + ` x
			WHERE NOT EXISTS (SELECT 1 FROM ` + pgx.Identifier{schema, "users"}.Sanitize() + ` u WHERE u.id = x."userId")`
		if err := admin.QueryRow(ctx, q).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		if orphans != 0 {
			t.Errorf("%d rows of %s belong to no user", orphans, table)
		}
	}
}

// TestOpenUpToDateWithoutDDLPrivileges opens a migrated schema as a role
// that may read and write the tables but not create anything: Open
// succeeds and the store works.
func TestOpenUpToDateWithoutDDLPrivileges(t *testing.T) {
	admin := adminPool(t)
	ctx := context.Background()
	schema := freshSchema(t, admin)
	openStore(t, schema)
	role, password := randomName("ginauth_test_role_"), randomName("pw")
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD '"+password+"'"); err != nil {
		t.Skipf("CREATE ROLE: %v (the test database does not allow it)", err)
	}
	t.Cleanup(func() {
		for _, q := range []string{"DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := admin.Exec(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	for _, q := range []string{
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
		"GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + role,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	roleURL := testURL(t)
	if strings.Contains(roleURL, "://") {
		u, err := url.Parse(roleURL)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(role, password)
		roleURL = u.String()
	} else {
		roleURL += " user=" + role + " password=" + password
	}
	s, err := postgres.Open(ctx, roleURL, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("Open as a role without DDL privileges: %v", err)
	}
	defer s.Close()
	u, err := s.CreateUser(ctx, authjs.User{Email: "dml-only@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	// On an empty schema the same role cannot migrate, and says why.
	empty := freshSchema(t, admin)
	if _, err := admin.Exec(ctx, "GRANT USAGE ON SCHEMA "+empty+" TO "+role); err != nil {
		t.Fatal(err)
	}
	if s, err := postgres.Open(ctx, roleURL, postgres.Options{Schema: empty}); err == nil {
		s.Close()
		t.Error("Open of an empty schema as a role without CREATE succeeded")
	} else if !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("Open of an empty schema as a role without CREATE: %v; want permission denied", err)
	}
}
