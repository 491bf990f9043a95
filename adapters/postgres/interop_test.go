package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/adapters/postgres"
	"github.com/ginauth/ginauth/authjs"
)

// requireNode returns the node binary, or skips the test when Node or the
// npm packages of testdata/pgadapter are missing, unless
// GINAUTH_REQUIRE_JS=1 makes that a failure (scripts/test sets it).
func requireNode(t *testing.T) string {
	t.Helper()
	if testing.Short() && os.Getenv("GINAUTH_REQUIRE_JS") != "1" {
		t.Skip("interop tests start Node; skipped in -short mode")
	}
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("GINAUTH_REQUIRE_JS") == "1" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (set GINAUTH_REQUIRE_JS=1 to fail instead)", args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(schemaDir, "node_modules", "@auth", "pg-adapter", "package.json")); err != nil {
		missing("npm packages are not installed; run `npm ci` in %s", schemaDir)
	}
	return node
}

// A jsOp is one call of @auth/pg-adapter (see testdata/pgadapter/pgadapter.mjs).
type jsOp struct {
	Op   string `json:"op"`
	Args []any  `json:"args"`
}

// op returns the call of an adapter method.
func op(method string, args ...any) jsOp { return jsOp{method, args} }

// sqlOp returns a query on the adapter's pool.
func sqlOp(query string, params ...any) jsOp { return jsOp{"sql", []any{query, params}} }

// jsResult is what a call returned (decoded as encoding/json decodes into
// any: numbers are float64, Dates ISO strings) or the error it threw.
type jsResult struct {
	Result any    `json:"result"`
	Error  string `json:"error"`
}

// runJS runs the calls, in order, with the real @auth/pg-adapter on the
// tables of schema, in a Node process whose time zone is not UTC (so that
// Dates must be instants). A call that throws fails the test.
func runJS(t *testing.T, node, schema string, ops ...jsOp) []any {
	t.Helper()
	in, err := json.Marshal(map[string]any{"schema": schema, "ops": ops})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "pgadapter.mjs")
	cmd.Dir = schemaDir
	cmd.Env = append(os.Environ(), "GINAUTH_TEST_POSTGRES_URL="+testURL(t), "TZ=America/St_Johns")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("node pgadapter.mjs (%d calls): %s", len(ops), time.Since(start).Round(time.Millisecond))
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("node stderr:\n%s", s)
	}
	if err != nil {
		t.Fatalf("node pgadapter.mjs: %v\n%s", err, stdout.String())
	}
	var out []jsResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("node printed no JSON (%v):\n%s", err, stdout.String())
	}
	if len(out) != len(ops) {
		t.Fatalf("node returned %d results for %d calls", len(out), len(ops))
	}
	results := make([]any, len(out))
	for i, r := range out {
		if r.Error != "" {
			t.Fatalf("@auth/pg-adapter %s (call %d): %s", ops[i].Op, i, r.Error)
		}
		results[i] = r.Result
	}
	return results
}

// jsNumber returns the Go user ID as @auth/pg-adapter returns ids: a
// JavaScript number.
func jsNumber(t *testing.T, id string) float64 {
	t.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("user ID %q is not an integer", id)
	}
	return float64(n)
}

// goID returns the user ID of a JavaScript number.
func goID(t *testing.T, v any) string {
	t.Helper()
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("id %#v (%T) is not a JavaScript number", v, v)
	}
	return strconv.FormatInt(int64(n), 10)
}

// field returns a field of a result that is an object.
func field(t *testing.T, v any, name string) any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("result %#v is not an object", v)
	}
	return m[name]
}

// checkJS compares a result of the JavaScript adapter with want, key by
// key. Keys whose value in want is anyNumber must hold some number.
func checkJS(t *testing.T, call string, got any, want map[string]any) {
	t.Helper()
	m, ok := got.(map[string]any)
	if !ok {
		t.Errorf("%s: got %#v, want an object %v", call, got, want)
		return
	}
	for k, w := range want {
		g, present := m[k]
		switch {
		case !present:
			t.Errorf("%s: no %q, want %#v", call, k, w)
		case w == anyNumber:
			if _, ok := g.(float64); !ok {
				t.Errorf("%s: %s = %#v (%T), want a number", call, k, g, g)
			}
		case !reflect.DeepEqual(g, w):
			t.Errorf("%s: %s = %#v (%T), want %#v (%T)", call, k, g, g, w, w)
		}
	}
	for k := range m {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected field %s = %#v", call, k, m[k])
		}
	}
}

// anyNumber in a want of checkJS accepts any number.
const anyNumber = "<any number>"

// iso writes an instant as JSON.stringify writes a Date.
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Two hashes of verification tokens.
const (
	hashJS = "1f3870be274f6c49b3e31a0c6728957f1f3870be274f6c49b3e31a0c6728957f"
	hashGo = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
)

// TestInteropPgAdapter runs ginauth's store and the real @auth/pg-adapter
// (npm) on the same tables, made by Open or by an Auth.js application
// with either schema.sql: each reads, field by field, the users, accounts,
// sessions and verification tokens the other wrote; a verification token
// made on one side and used on the other is gone for both; a session
// deleted on one side is gone for both; an update on one side is seen by
// the other.
func TestInteropPgAdapter(t *testing.T) {
	node := requireNode(t)
	admin := adminPool(t)
	for _, origin := range tableOrigins {
		t.Run(origin.name, func(t *testing.T) {
			schema := freshSchema(t, admin)
			if origin.file != "" {
				execFile(t, admin, schema, origin.file)
			}
			interop(t, node, schema, openStore(t, schema))
		})
	}
}

// interop is TestInteropPgAdapter on one schema.
func interop(t *testing.T, node, schema string, s *postgres.Store) {
	ctx := context.Background()
	// Milliseconds: what a JavaScript Date holds.
	adaVerified := time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	jsSessionExpires := time.Date(2031, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	jsTokenExpires := time.Date(2030, 1, 1, 0, 0, 0, 500_000_000, time.UTC)
	jsAccount := map[string]any{
		"userId": "$0.id", "type": "oauth", "provider": "github", "providerAccountId": "js-1",
		"access_token": "gho_js-access", "refresh_token": "ghr_js-refresh", "expires_at": 1893456000,
		"id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqcyJ9.c2ln", "scope": "read:user user:email",
		"token_type": "bearer", "session_state": "js-state",
	}

	// 1. The JavaScript adapter writes.
	js := runJS(t, node, schema,
		op("createUser", map[string]any{"name": "Ada JS", "email": "ada.js@example.com", "emailVerified": iso(adaVerified), "image": "https://example.com/ada.png"}),
		op("createUser", map[string]any{"email": "bare.js@example.com"}),
		op("linkAccount", jsAccount),
		op("createSession", map[string]any{"sessionToken": "js-session", "userId": "$0.id", "expires": iso(jsSessionExpires)}),
		op("createSession", map[string]any{"sessionToken": "js-session-2", "userId": "$1.id", "expires": iso(jsSessionExpires)}),
		op("createVerificationToken", map[string]any{"identifier": "ada.js@example.com", "token": hashJS, "expires": iso(jsTokenExpires)}),
	)
	ada, bare := goID(t, field(t, js[0], "id")), goID(t, field(t, js[1], "id"))
	checkJS(t, "JS createUser", js[0], map[string]any{"id": anyNumber, "name": "Ada JS", "email": "ada.js@example.com", "emailVerified": iso(adaVerified), "image": "https://example.com/ada.png"})
	checkJS(t, "JS createUser without name and image", js[1], map[string]any{"id": anyNumber, "name": nil, "email": "bare.js@example.com", "emailVerified": nil, "image": nil})
	// linkAccount alone turns the BIGINT expires_at into a number.
	wantLinked := map[string]any{"id": anyNumber, "userId": jsNumber(t, ada)}
	for k, v := range jsAccount {
		if k != "userId" {
			wantLinked[k] = v
		}
	}
	wantLinked["expires_at"] = float64(1893456000)
	checkJS(t, "JS linkAccount", js[2], wantLinked)

	// 2. ginauth reads them, field by field.
	wantAda := authjs.User{ID: ada, Name: "Ada JS", Email: "ada.js@example.com", Image: "https://example.com/ada.png", EmailVerified: &adaVerified}
	u, err := s.GetUser(ctx, ada)
	noErr(t, err)
	checkGoUser(t, "GetUser of a JS user", u, wantAda)
	u, err = s.GetUser(ctx, bare)
	noErr(t, err)
	checkGoUser(t, "GetUser of a JS user without name and image", u, authjs.User{ID: bare, Email: "bare.js@example.com"})
	u, err = s.GetUserByEmail(ctx, "ada.js@example.com")
	noErr(t, err)
	checkGoUser(t, "GetUserByEmail of a JS user", u, wantAda)
	u, err = s.GetUserByAccount(ctx, "github", "js-1")
	noErr(t, err)
	checkGoUser(t, "GetUserByAccount of a JS account", u, wantAda)
	acct, err := s.GetAccount(ctx, "github", "js-1")
	noErr(t, err)
	wantAcct := authjs.Account{
		UserID: ada, Type: authjs.TypeOAuth, Provider: "github", ProviderAccountID: "js-1",
		AccessToken: "gho_js-access", RefreshToken: "ghr_js-refresh", ExpiresAt: 1893456000,
		IDToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqcyJ9.c2ln", Scope: "read:user user:email",
		TokenType: "bearer", SessionState: "js-state",
	}
	if *acct != wantAcct {
		t.Errorf("GetAccount of a JS account = %+v, want %+v", *acct, wantAcct)
	}
	sess, su, err := s.GetSessionAndUser(ctx, "js-session")
	if err != nil {
		t.Fatalf("GetSessionAndUser of a JS session: %v", err)
	}
	if sess.SessionToken != "js-session" || sess.UserID != ada || !sess.Expires.Equal(jsSessionExpires) {
		t.Errorf("GetSessionAndUser of a JS session = %+v, want user %s until %v", sess, ada, jsSessionExpires)
	}
	checkGoUser(t, "GetSessionAndUser of a JS session", su, wantAda)
	if list, err := s.ListSessions(ctx, ada); err != nil || len(list) != 1 || list[0].SessionToken != "js-session" {
		t.Errorf("ListSessions of a JS user = %+v, %v; want js-session", list, err)
	}
	vt, err := s.UseVerificationToken(ctx, "ada.js@example.com", hashJS)
	if err != nil {
		t.Fatalf("UseVerificationToken of a JS token: %v", err)
	}
	if vt.Identifier != "ada.js@example.com" || vt.Token != hashJS || !vt.Expires.Equal(jsTokenExpires) {
		t.Errorf("UseVerificationToken of a JS token = %+v, want it until %v", vt, jsTokenExpires)
	}
	if err := s.DeleteSession(ctx, "js-session-2"); err != nil {
		t.Fatal(err)
	}

	// 3. ginauth writes.
	graceVerified := time.Date(2025, 1, 2, 3, 4, 5, 678_000_000, time.FixedZone("IST", 5*3600+1800))
	grace, err := s.CreateUser(ctx, authjs.User{ID: "ignored", Name: "Grace Go", Email: "grace.go@example.com", Image: "https://example.com/grace.png", EmailVerified: &graceVerified})
	noErr(t, err)
	nameOnly, err := s.CreateUser(ctx, authjs.User{Name: "Name only"})
	noErr(t, err)
	goAccount := authjs.Account{
		UserID: grace.ID, Type: authjs.TypeOIDC, Provider: "google", ProviderAccountID: "go-1",
		AccessToken: "ya29.go-access", RefreshToken: "1//go-refresh", ExpiresAt: 1700003600,
		IDToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJnbyJ9.c2ln", Scope: "openid email profile",
		TokenType: "Bearer", SessionState: "go-state",
	}
	noErr(t, s.LinkAccount(ctx, goAccount))
	noErr(t, s.LinkAccount(ctx, authjs.Account{UserID: nameOnly.ID, Type: authjs.TypeOAuth, Provider: "discord", ProviderAccountID: "go-2"}))
	goSessionExpires := time.Date(2032, 7, 1, 12, 0, 0, 250_000_000, time.FixedZone("", -5*3600))
	noErr(t, s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "go-session", UserID: grace.ID, Expires: goSessionExpires}))
	noErr(t, s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "go-session-2", UserID: nameOnly.ID, Expires: goSessionExpires}))
	goTokenExpires := time.Date(2030, 6, 7, 8, 9, 10, 11_000_000, time.UTC)
	noErr(t, s.CreateVerificationToken(ctx, authjs.VerificationToken{Identifier: "grace.go@example.com", Token: hashGo, Expires: goTokenExpires}))
	noErr(t, s.CreateAuthenticator(ctx, authjs.Authenticator{CredentialID: "Z3JhY2U", UserID: grace.ID, ProviderAccountID: "Z3JhY2U", CredentialPublicKey: "cHVibGlj", Counter: 1, CredentialDeviceType: "multiDevice", CredentialBackedUp: true}))

	// 4. The JavaScript adapter reads them, uses ginauth's token, deletes
	// one of its sessions, and finds what ginauth used and deleted gone.
	jsRenewed := time.Date(2033, 1, 1, 0, 0, 0, 0, time.UTC)
	js = runJS(t, node, schema,
		op("getUser", grace.ID),
		op("getUser", nameOnly.ID),
		op("getUserByEmail", "grace.go@example.com"),
		op("getUserByAccount", map[string]any{"provider": "google", "providerAccountId": "go-1"}),
		op("getSessionAndUser", "go-session"),
		sqlOp(`SELECT * FROM accounts WHERE provider = $1`, "google"),
		sqlOp(`SELECT * FROM accounts WHERE provider = $1`, "discord"),
		op("useVerificationToken", map[string]any{"identifier": "grace.go@example.com", "token": hashGo}),
		op("deleteSession", "go-session-2"),
		op("getSessionAndUser", "js-session-2"),
		op("useVerificationToken", map[string]any{"identifier": "ada.js@example.com", "token": hashJS}),
		op("getUser", "abc"),
		op("updateSession", map[string]any{"sessionToken": "go-session", "expires": iso(jsRenewed)}),
		op("updateUser", map[string]any{"id": grace.ID, "name": "Grace, renamed by JS"}),
	)
	graceID := jsNumber(t, grace.ID)
	wantGrace := map[string]any{"id": graceID, "name": "Grace Go", "email": "grace.go@example.com", "emailVerified": iso(graceVerified), "image": "https://example.com/grace.png"}
	checkJS(t, "JS getUser of a Go user", js[0], wantGrace)
	checkJS(t, "JS getUser of a Go user with a name only", js[1], map[string]any{"id": jsNumber(t, nameOnly.ID), "name": "Name only", "email": nil, "emailVerified": nil, "image": nil})
	checkJS(t, "JS getUserByEmail of a Go user", js[2], wantGrace)
	checkJS(t, "JS getUserByAccount of a Go account", js[3], wantGrace)
	checkJS(t, "JS getSessionAndUser of a Go session: session", field(t, js[4], "session"), map[string]any{"id": anyNumber, "sessionToken": "go-session", "userId": graceID, "expires": iso(goSessionExpires)})
	checkJS(t, "JS getSessionAndUser of a Go session: user", field(t, js[4], "user"), wantGrace)
	rows, _ := js[5].([]any)
	if len(rows) != 1 {
		t.Fatalf("accounts rows of google: %#v", js[5])
	}
	// expires_at is a BIGINT, which pg returns as a string.
	checkJS(t, "the accounts row of a Go account", rows[0], map[string]any{
		"id": anyNumber, "userId": graceID, "type": "oidc", "provider": "google", "providerAccountId": "go-1",
		"access_token": "ya29.go-access", "refresh_token": "1//go-refresh", "expires_at": "1700003600",
		"id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJnbyJ9.c2ln", "scope": "openid email profile",
		"token_type": "Bearer", "session_state": "go-state",
	})
	rows, _ = js[6].([]any)
	if len(rows) != 1 {
		t.Fatalf("accounts rows of discord: %#v", js[6])
	}
	checkJS(t, "the accounts row of a Go account without tokens", rows[0], map[string]any{
		"id": anyNumber, "userId": jsNumber(t, nameOnly.ID), "type": "oauth", "provider": "discord", "providerAccountId": "go-2",
		"access_token": nil, "refresh_token": nil, "expires_at": nil, "id_token": nil, "scope": nil, "token_type": nil, "session_state": nil,
	})
	checkJS(t, "JS useVerificationToken of a Go token", js[7], map[string]any{"identifier": "grace.go@example.com", "token": hashGo, "expires": iso(goTokenExpires)})
	if js[9] != nil {
		t.Errorf("JS getSessionAndUser of a session ginauth deleted = %#v, want null", js[9])
	}
	if js[10] != nil {
		t.Errorf("JS useVerificationToken of a token ginauth used = %#v, want null", js[10])
	}
	if js[11] != nil {
		t.Errorf("JS getUser(\"abc\") = %#v, want null", js[11])
	}

	// 5. ginauth finds what JavaScript used, deleted and changed.
	if _, err := s.UseVerificationToken(ctx, "grace.go@example.com", hashGo); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("UseVerificationToken of a token JS used: %v, want ErrNotFound", err)
	}
	if _, _, err := s.GetSessionAndUser(ctx, "go-session-2"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("GetSessionAndUser of a session JS deleted: %v, want ErrNotFound", err)
	}
	sess, su, err = s.GetSessionAndUser(ctx, "go-session")
	if err != nil {
		t.Fatal(err)
	}
	if !sess.Expires.Equal(jsRenewed) {
		t.Errorf("GetSessionAndUser after JS updateSession: Expires = %v, want %v", sess.Expires, jsRenewed)
	}
	wantRenamed := authjs.User{ID: grace.ID, Name: "Grace, renamed by JS", Email: "grace.go@example.com", Image: "https://example.com/grace.png", EmailVerified: &graceVerified}
	checkGoUser(t, "GetSessionAndUser after JS updateUser", su, wantRenamed)

	// 6. Each side deletes a user of the other, with everything it has.
	noErr(t, s.DeleteUser(ctx, ada))
	js = runJS(t, node, schema,
		op("getUser", ada),
		op("getUserByAccount", map[string]any{"provider": "github", "providerAccountId": "js-1"}),
		op("getSessionAndUser", "js-session"),
		sqlOp(`SELECT count(*)::int AS n FROM accounts WHERE "userId" = $1`, ada),
		op("deleteUser", grace.ID),
	)
	for i, call := range []string{"getUser", "getUserByAccount", "getSessionAndUser"} {
		if js[i] != nil {
			t.Errorf("JS %s of a user ginauth deleted = %#v, want null", call, js[i])
		}
	}
	if rows, _ := js[3].([]any); len(rows) != 1 || field(t, rows[0], "n") != float64(0) {
		t.Errorf("accounts of a user ginauth deleted: %#v, want none", js[3])
	}
	if _, err := s.GetUser(ctx, grace.ID); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("GetUser of a user JS deleted: %v, want ErrNotFound", err)
	}
	if _, err := s.GetAccount(ctx, "google", "go-1"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("GetAccount of a user JS deleted: %v, want ErrNotFound", err)
	}
	if _, _, err := s.GetSessionAndUser(ctx, "go-session"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("GetSessionAndUser of a user JS deleted: %v, want ErrNotFound", err)
	}
	// @auth/pg-adapter does not know the authenticators table: its
	// foreign key deletes the passkeys.
	if _, err := s.GetAuthenticator(ctx, "Z3JhY2U"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("GetAuthenticator of a user JS deleted: %v, want ErrNotFound", err)
	}
}

// noErr fails the test on an error.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// checkGoUser compares a user the store returned with want, the
// EmailVerified instants exactly.
func checkGoUser(t *testing.T, call string, got *authjs.User, want authjs.User) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil user", call)
		return
	}
	g, w := *got, want
	g.EmailVerified, w.EmailVerified = nil, nil
	if g != w {
		t.Errorf("%s = %+v, want %+v", call, g, w)
	}
	switch {
	case (got.EmailVerified == nil) != (want.EmailVerified == nil):
		t.Errorf("%s: EmailVerified = %v, want %v", call, got.EmailVerified, want.EmailVerified)
	case got.EmailVerified != nil && !got.EmailVerified.Equal(*want.EmailVerified):
		t.Errorf("%s: EmailVerified = %v, want the instant %v", call, *got.EmailVerified, *want.EmailVerified)
	}
}
