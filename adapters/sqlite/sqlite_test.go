package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginauth/ginauth/adapters/adaptertest"
	"github.com/ginauth/ginauth/authjs"
)

// openTemp opens a store on a new file in a temporary directory.
func openTemp(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "auth.db")
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestConformanceFile(t *testing.T) {
	adaptertest.Run(t, func(t *testing.T) authjs.Adapter {
		s, _ := openTemp(t, Options{})
		return s
	})
}

func TestConformanceMemory(t *testing.T) {
	adaptertest.Run(t, func(t *testing.T) authjs.Adapter {
		s, err := Open(t.Context(), ":memory:", Options{})
		if err != nil {
			t.Fatalf("Open(:memory:): %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestConformanceNew runs the suite on a pool the caller opened with DSN.
func TestConformanceNew(t *testing.T) {
	adaptertest.Run(t, func(t *testing.T) authjs.Adapter {
		db, err := sql.Open("sqlite", DSN(filepath.Join(t.TempDir(), "auth.db"), Options{}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := New(t.Context(), db, Options{})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// versions returns the versions recorded in the database, in order.
func versions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM ` + versionTable + ` ORDER BY version`)
	if err != nil {
		t.Fatalf("read %s: %v", versionTable, err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// allVersions returns 1…n for the embedded migrations.
func allVersions(t *testing.T) []int {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.version)
	}
	return vs
}

func TestMigrationsAreNumberedInOrder(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 {
		t.Fatalf("%d migrations, want at least 2 (the upgrade test needs them)", len(ms))
	}
	for i, m := range ms {
		if m.version != i+1 || strings.TrimSpace(m.sql) == "" {
			t.Errorf("migration %d: version %d, %d bytes of SQL", i, m.version, len(m.sql))
		}
	}
}

func TestOpenTwiceIsNoop(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "auth.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, authjs.User{Name: "Kept", Email: "kept@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err = Open(ctx, path, Options{})
		if err != nil {
			t.Fatalf("Open of a migrated database: %v", err)
		}
		got, err := s.GetUser(ctx, u.ID)
		if err != nil || got.Email != "kept@example.com" {
			t.Fatalf("GetUser after reopening = %+v, %v; want the user", got, err)
		}
		if got, want := versions(t, s.db), allVersions(t); !slices.Equal(got, want) {
			t.Errorf("recorded versions %v, want %v (each once)", got, want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUpgradeFromVersion1(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "auth.db")
	db, err := sql.Open("sqlite", DSN(path, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if from, err := migrate(ctx, db, 1); err != nil || from != 0 {
		t.Fatalf("migrate to version 1 = %d, %v", from, err)
	}
	if got := versions(t, db); !slices.Equal(got, []int{1}) {
		t.Fatalf("versions after migrating to 1: %v", got)
	}
	// Rows written by version 1, as Auth.js would write them.
	for _, q := range []string{
		`INSERT INTO users (id, name, email, "emailVerified", image) VALUES (7, 'Old', 'old@example.com', '2023-01-02T03:04:05.678Z', NULL)`,
		`INSERT INTO accounts ("userId", type, provider, "providerAccountId", access_token, expires_at, token_type) VALUES (7, 'oauth', 'github', '99', 'gho_x', 1700000000, 'bearer')`,
		`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (7, '2099-01-01T00:00:00.000Z', 'old-session')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'authenticators'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("authenticators exists at version 1 (%d, %v)", n, err)
	}
	db.Close()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open of a version 1 database: %v", err)
	}
	defer s.Close()
	if got, want := versions(t, s.db), allVersions(t); !slices.Equal(got, want) {
		t.Errorf("versions after the upgrade %v, want %v", got, want)
	}
	ses, u, err := s.GetSessionAndUser(ctx, "old-session")
	if err != nil {
		t.Fatalf("GetSessionAndUser of a version 1 session: %v", err)
	}
	if u.ID != "7" || u.Email != "old@example.com" || u.EmailVerified == nil || !u.EmailVerified.Equal(time.Date(2023, 1, 2, 3, 4, 5, 678e6, time.UTC)) {
		t.Errorf("user after the upgrade = %+v", u)
	}
	if !ses.Expires.Equal(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("session expires after the upgrade = %v", ses.Expires)
	}
	if err := s.CreateAuthenticator(ctx, authjs.Authenticator{CredentialID: "c", UserID: "7", ProviderAccountID: "c", CredentialPublicKey: "k", CredentialDeviceType: "singleDevice"}); err != nil {
		t.Errorf("CreateAuthenticator after the upgrade: %v", err)
	}
	// The new table cascades like the old ones.
	if err := s.DeleteUser(ctx, "7"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAuthenticator(ctx, "c"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("GetAuthenticator after DeleteUser: %v, want ErrNotFound", err)
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t, Options{})
	next := len(allVersions(t)) + 1
	if _, err := s.db.Exec(`INSERT INTO `+versionTable+` (version, name, applied_at) VALUES (?, 'from_the_future', '2100-01-01T00:00:00.000Z')`, next); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a database at version %d: %v, want ErrSchemaTooNew", next, err)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprint(next)) || !strings.Contains(msg, fmt.Sprint(next-1)) {
		t.Errorf("error %q does not name both versions", msg)
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	const n = 8
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), path, Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
	for _, s := range stores {
		if s != nil {
			defer s.Close()
		}
	}
	if stores[0] != nil {
		if got, want := versions(t, stores[0].db), allVersions(t); !slices.Equal(got, want) {
			t.Errorf("versions %v, want %v", got, want)
		}
	}
}

// TestSchemaMatchesPgAdapter pins the tables and columns shared with
// @auth/pg-adapter.
func TestSchemaMatchesPgAdapter(t *testing.T) {
	s, _ := openTemp(t, Options{})
	want := map[string][]string{
		"users":              {"id", "name", "email", "emailVerified", "image"},
		"accounts":           {"id", "userId", "type", "provider", "providerAccountId", "refresh_token", "access_token", "expires_at", "id_token", "scope", "session_state", "token_type"},
		"sessions":           {"id", "userId", "expires", "sessionToken"},
		"verification_token": {"identifier", "expires", "token"},
		"authenticators":     {"credentialID", "userId", "providerAccountId", "credentialPublicKey", "counter", "credentialDeviceType", "credentialBackedUp", "transports"},
	}
	for table, cols := range want {
		rows, err := s.db.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			got = append(got, c)
		}
		rows.Close()
		if !slices.Equal(got, cols) {
			t.Errorf("columns of %s = %q, want %q", table, got, cols)
		}
	}
}

func TestConnectionSettings(t *testing.T) {
	s, _ := openTemp(t, Options{BusyTimeout: 1234 * time.Millisecond})
	// Check several connections of the pool, not just one.
	ctx := t.Context()
	var conns []*sql.Conn
	for range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var fk, busy int
		var mode string
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || mode != "wal" || busy != 1234 {
			t.Errorf("connection %d: foreign_keys=%d journal_mode=%s busy_timeout=%d; want 1, wal, 1234", i, fk, mode, busy)
		}
		c.Close()
	}
}

func TestNewRequiresForeignKeys(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := New(t.Context(), db, Options{}); err == nil || !strings.Contains(err.Error(), "foreign keys") {
		t.Fatalf("New on a pool without foreign keys: %v, want an error about foreign keys", err)
	}
}

func TestNewLeavesPoolOpen(t *testing.T) {
	db, err := sql.Open("sqlite", DSN(filepath.Join(t.TempDir(), "auth.db"), Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := New(t.Context(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Errorf("the caller's pool was closed by Store.Close: %v", err)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	for _, opts := range []Options{{QueryTimeout: -1}, {BusyTimeout: -1}, {MaxOpenConns: -1}} {
		if _, err := Open(t.Context(), filepath.Join(t.TempDir(), "auth.db"), opts); err == nil {
			t.Errorf("Open with %+v succeeded", opts)
		}
	}
	if _, err := Open(t.Context(), "", Options{}); err == nil {
		t.Error("Open with an empty path succeeded")
	}
}

// TestStoredFormats pins how times, empty strings and booleans are stored.
func TestStoredFormats(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t, Options{})
	verified := time.Date(2024, 5, 6, 9, 8, 9, 123456789, time.FixedZone("", 2*3600))
	u, err := s.CreateUser(ctx, authjs.User{Email: "f@example.com", EmailVerified: &verified})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LinkAccount(ctx, authjs.Account{UserID: u.ID, Provider: "p", Type: authjs.TypeOAuth, ProviderAccountID: "1"}); err != nil {
		t.Fatal(err)
	}
	var name, image, access sql.NullString
	var expiresAt sql.NullInt64
	var stored, typ string
	if err := s.db.QueryRow(`SELECT name, image, "emailVerified", typeof(id) FROM users`).Scan(&name, &image, &stored, &typ); err != nil {
		t.Fatal(err)
	}
	if name.Valid || image.Valid {
		t.Errorf("empty name and image stored as %v, %v; want NULL", name, image)
	}
	if stored != "2024-05-06T07:08:09.123Z" || typ != "integer" {
		t.Errorf(`"emailVerified" stored as %q, id as %s; want "2024-05-06T07:08:09.123Z", integer`, stored, typ)
	}
	if err := s.db.QueryRow(`SELECT access_token, expires_at FROM accounts`).Scan(&access, &expiresAt); err != nil {
		t.Fatal(err)
	}
	if access.Valid || expiresAt.Valid {
		t.Errorf("empty access_token and expires_at stored as %v, %v; want NULL", access, expiresAt)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, s := range []string{"2024-05-06T07:08:09.000Z", "2024-05-06T07:08:09Z", "2024-05-06T09:08:09+02:00", "2024-05-06 07:08:09", "2024-05-06T07:08:09", "2024-05-06 07:08:09+00:00"} {
		got, err := parseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "1700000000", "yesterday"} {
		if _, err := parseTime(s); err == nil {
			t.Errorf("parseTime(%q) succeeded", s)
		}
	}
}

func TestParseID(t *testing.T) {
	for id, want := range map[string]int64{"1": 1, "42": 42, "9223372036854775807": 1<<63 - 1} {
		if n, ok := parseID(id); !ok || n != want {
			t.Errorf("parseID(%q) = %d, %v", id, n, ok)
		}
	}
	for _, id := range []string{"", "0", "-1", "+1", "01", " 1", "1 ", "abc", "1e3", "9223372036854775808"} {
		if _, ok := parseID(id); ok {
			t.Errorf("parseID(%q) accepted", id)
		}
	}
}

// TestErrorsOmitValues checks that errors name the operation and SQLite's
// cause but none of the values bound: tokens must not reach logs.
func TestErrorsOmitValues(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t, Options{})
	u, err := s.CreateUser(ctx, authjs.User{Email: "secret-email@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "secret-session-token-value"
	ses := authjs.DatabaseSession{SessionToken: secret, UserID: u.ID, Expires: time.Now().Add(time.Hour)}
	if err := s.CreateSession(ctx, ses); err != nil {
		t.Fatal(err)
	}
	errs := []error{s.CreateSession(ctx, ses)}
	_, err = s.CreateUser(ctx, authjs.User{Email: "secret-email@example.com"})
	errs = append(errs, err)
	_, err = s.UseVerificationToken(ctx, "secret-email@example.com", secret)
	errs = append(errs, err)
	_, _, err = s.GetSessionAndUser(ctx, secret+"x")
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		if msg := err.Error(); strings.Contains(msg, "secret") {
			t.Errorf("error %q contains a bound value", msg)
		}
	}
	if !errors.Is(errs[0], authjs.ErrConflict) || !errors.Is(errs[1], authjs.ErrConflict) {
		t.Errorf("duplicate session token, duplicate email: %v, %v; want ErrConflict", errs[0], errs[1])
	}
}

// TestQueryTimeout holds the write lock from another connection: a write
// must give up after QueryTimeout, not wait for the (longer) busy timeout,
// and must not look like a missing record.
func TestQueryTimeout(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t, Options{QueryTimeout: 200 * time.Millisecond, BusyTimeout: 20 * time.Second})
	u, err := s.CreateUser(ctx, authjs.User{Name: "Waiting"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", DSN(path, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")

	start := time.Now()
	_, err = s.UpdateUser(ctx, authjs.User{ID: u.ID, Name: "Blocked"})
	elapsed := time.Since(start)
	if err == nil || errors.Is(err, authjs.ErrNotFound) || errors.Is(err, authjs.ErrConflict) {
		t.Fatalf("UpdateUser while another connection holds the write lock: %v; want a store failure", err)
	}
	if elapsed > 5*time.Second {
		t.Errorf("UpdateUser gave up after %v; want about the query timeout (200ms)", elapsed)
	}
	// Readers are not blocked by a writer in WAL mode.
	if _, err := s.GetUser(ctx, u.ID); err != nil {
		t.Errorf("GetUser while another connection holds the write lock: %v", err)
	}
}

// TestQueriesUseIndexes checks that the lookups on the sign-in and session
// paths search by index, never scan a table.
func TestQueriesUseIndexes(t *testing.T) {
	s, _ := openTemp(t, Options{})
	var st statements
	queries := map[string]string{}
	for _, q := range st.queries() {
		switch q.stmt {
		case &st.getSessionAndUser:
			queries["getSessionAndUser"] = q.sql
		case &st.getUserByAccount:
			queries["getUserByAccount"] = q.sql
		case &st.getUserByEmail:
			queries["getUserByEmail"] = q.sql
		case &st.useToken:
			queries["useToken"] = q.sql
		case &st.listSessions:
			queries["listSessions"] = q.sql
		}
	}
	if len(queries) != 5 {
		t.Fatalf("found %d of 5 queries", len(queries))
	}
	for name, q := range queries {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = "x"
		}
		rows, err := s.db.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") {
				t.Errorf("%s scans a table: %q", name, plan)
			}
		}
		t.Logf("%s: %q", name, plan)
	}
}

func BenchmarkGetSessionAndUser(b *testing.B) {
	ctx := context.Background()
	s, _ := openTemp(b, Options{})
	verified := time.Now()
	u, err := s.CreateUser(ctx, authjs.User{Name: "Bench", Email: "bench@example.com", Image: "https://example.com/b.png", EmailVerified: &verified})
	if err != nil {
		b.Fatal(err)
	}
	// Other users' sessions, so that the lookup uses the index.
	for i := range 1000 {
		o, err := s.CreateUser(ctx, authjs.User{Email: fmt.Sprintf("u%d@example.com", i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: fmt.Sprintf("tok-%d", i), UserID: o.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	const token = "3f1c9a52-1d7b-4e8a-9b2c-7f6e5d4c3b2a"
	if err := s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: token, UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := s.GetSessionAndUser(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := s.GetSessionAndUser(ctx, token); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
