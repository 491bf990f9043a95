// Package adaptertest is the conformance suite of authjs.Adapter
// implementations: every store of this module runs it, and so can an
// application's own adapter. It is the specification of a store: a store
// that passes it behaves as ginauth's endpoints and account linking
// (internal/accounts) expect.
//
// Call Run from a test of the store's package with a function that returns
// an empty store; Run calls it once per subtest, and no two subtests share a
// store, so the function may hand out a fresh database, schema, key prefix
// or file each time:
//
//	func TestConformance(t *testing.T) {
//		adaptertest.Run(t, func(t *testing.T) authjs.Adapter {
//			store, err := mystore.Open(t.Context(), filepath.Join(t.TempDir(), "auth.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { store.Close() })
//			return store
//		})
//	}
//
// Subtests run one after the other (never in parallel), so a factory may
// reuse one database that it empties each time. Some subtests start many
// goroutines against one store: run the suite with -race.
//
// # What the suite requires
//
//   - Lookups of missing records return an error matching authjs.ErrNotFound,
//     including users whose ID is not in the store's format ("abc" for integer
//     IDs, "' OR 1=1 --", ""), sessions whose user was deleted, and used
//     verification tokens. DeleteSession of an unknown token is not an error.
//   - A second link of one (provider, providerAccountId), a second user with
//     one email address and a second authenticator with one credential ID
//     return an error matching authjs.ErrConflict; users without email may be
//     many. Uniqueness holds under concurrent writes.
//   - CreateUser returns a non-empty ID the store chose; IDs are distinct.
//   - Times (EmailVerified, session and token Expires) come back as the same
//     instant to the second (sub-second precision may be dropped, and the
//     location may change); a nil EmailVerified stays nil.
//   - Records are copies: changing what a store returned, or what it was
//     given, does not change the store.
//   - Of concurrent UseVerificationToken calls for one token exactly one
//     succeeds; concurrent first sign-ins through accounts.Resolve end with
//     one user and one account.
//   - A cancelled context makes a method fail, never succeed, never panic,
//     and never report ErrNotFound for a record that exists.
//   - authjs.SessionLister, authjs.WebAuthnAdapter and
//     authjs.AuthenticatorDeleter are checked when the store implements them
//     (the subtests are skipped otherwise); with WebAuthnAdapter, DeleteUser
//     also deletes the user's authenticators. DeleteAuthenticator deletes
//     one authenticator and nothing else, answers ErrNotFound for one that
//     does not exist, and of concurrent calls for one exactly one succeeds.
//
// # Where the suite is lenient
//
// A store may return either nil or ErrNotFound (never another error) from
// DeleteUser, UnlinkAccount and UpdateSession of a record that does not
// exist, and from LinkAccount, CreateSession and CreateAuthenticator for a
// user that does not exist (stores without foreign keys cannot tell), and
// from ListSessions, DeleteSessions and ListAuthenticatorsByUserID for a
// user that does not exist (with no records). An UpdateSession of an
// unknown token must not create a session. A store
// whose records expire (such as Redis) may answer an expired session or
// verification token with ErrNotFound instead of returning it.
package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// A test is one subtest of the suite, run on a fresh store.
type test struct {
	name string
	run  func(t *testing.T, a authjs.Adapter)
}

// A group is a named list of subtests.
type group struct {
	name  string
	tests []test
}

// suite returns the subtests of Run in the order it runs them.
func suite() []group {
	return []group{
		{"User", userTests},
		{"Account", accountTests},
		{"Session", sessionTests},
		{"VerificationToken", tokenTests},
		{"Time", timeTests},
		{"Race", raceTests},
		{"Resolve", resolveTests},
		{"SessionLister", listerTests},
		{"WebAuthn", webAuthnTests},
		{"AuthenticatorDeleter", deleterTests},
		{"Context", contextTests},
	}
}

// Run checks the adapter newAdapter makes against the contract of
// authjs.Adapter (and of authjs.SessionLister, authjs.WebAuthnAdapter and
// authjs.AuthenticatorDeleter when it implements them). newAdapter is called once per subtest and must
// return an empty store that the subtest alone uses.
func Run(t *testing.T, newAdapter func(t *testing.T) authjs.Adapter) {
	t.Helper()
	for _, g := range suite() {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					a := newAdapter(t)
					if a == nil {
						t.Fatal("newAdapter returned a nil adapter")
					}
					tc.run(t, a)
				})
			}
		})
	}
}

// ---- helpers ----

// hour is a lifetime far enough in the future that nothing expires during
// a test.
const hour = time.Hour

// future returns an expiry d from now.
func future(d time.Duration) time.Time { return time.Now().Add(d) }

// sameInstant reports whether got and want are one instant to the second:
// stores may drop sub-second precision and change the location.
func sameInstant(got, want time.Time) bool {
	return got.Truncate(time.Second).Equal(want.Truncate(time.Second))
}

// fmtTime formats a time for failure messages.
func fmtTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// fmtTimePtr formats an optional time for failure messages.
func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return fmtTime(*t)
}

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }

// wantErrIs fails the test unless err matches target.
func wantErrIs(t *testing.T, err, target error, call string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want one matching %v", call, err, target)
	}
}

// wantNotFound fails the test unless err matches authjs.ErrNotFound.
func wantNotFound(t *testing.T, err error, call string) {
	t.Helper()
	wantErrIs(t, err, authjs.ErrNotFound, call)
}

// wantConflict fails the test unless err matches authjs.ErrConflict.
func wantConflict(t *testing.T, err error, call string) {
	t.Helper()
	wantErrIs(t, err, authjs.ErrConflict, call)
}

// wantNilOrNotFound fails the test unless err is nil or matches
// authjs.ErrNotFound: what the suite accepts where the contract leaves the
// choice to the store.
func wantNilOrNotFound(t *testing.T, err error, call string) {
	t.Helper()
	if err != nil && !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("%s: got error %v, want nil or one matching authjs.ErrNotFound", call, err)
	}
}

// noErr fails the test now when err is not nil.
func noErr(t *testing.T, err error, call string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", call, err)
	}
}

// createUser stores u and checks the result.
func createUser(t *testing.T, a authjs.Adapter, u authjs.User) *authjs.User {
	t.Helper()
	got, err := a.CreateUser(t.Context(), u)
	noErr(t, err, fmt.Sprintf("CreateUser(email %q)", u.Email))
	if got == nil {
		t.Fatalf("CreateUser(email %q) returned a nil user and no error", u.Email)
	}
	if got.ID == "" {
		t.Fatalf("CreateUser(email %q) returned a user with an empty ID", u.Email)
	}
	return got
}

// getUser returns the user with the given ID, failing the test when it is
// not there.
func getUser(t *testing.T, a authjs.Adapter, id string) *authjs.User {
	t.Helper()
	got, err := a.GetUser(t.Context(), id)
	noErr(t, err, fmt.Sprintf("GetUser(%q)", id))
	if got == nil {
		t.Fatalf("GetUser(%q) returned a nil user and no error", id)
	}
	return got
}

// checkUser compares the fields of got with want (and their IDs when
// want.ID is set).
func checkUser(t *testing.T, call string, got *authjs.User, want authjs.User) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got a nil user, want %+v", call, want)
		return
	}
	if want.ID != "" && got.ID != want.ID {
		t.Errorf("%s: ID = %q, want %q", call, got.ID, want.ID)
	}
	if got.Name != want.Name {
		t.Errorf("%s: Name = %q, want %q", call, got.Name, want.Name)
	}
	if got.Email != want.Email {
		t.Errorf("%s: Email = %q, want %q", call, got.Email, want.Email)
	}
	if got.Image != want.Image {
		t.Errorf("%s: Image = %q, want %q", call, got.Image, want.Image)
	}
	switch {
	case (got.EmailVerified == nil) != (want.EmailVerified == nil):
		t.Errorf("%s: EmailVerified = %s, want %s", call, fmtTimePtr(got.EmailVerified), fmtTimePtr(want.EmailVerified))
	case got.EmailVerified != nil && !sameInstant(*got.EmailVerified, *want.EmailVerified):
		t.Errorf("%s: EmailVerified = %s, want the instant %s (to the second)", call, fmtTime(*got.EmailVerified), fmtTime(*want.EmailVerified))
	}
}

// linkAccount links a to its user, failing the test on an error.
func linkAccount(t *testing.T, a authjs.Adapter, acct authjs.Account) {
	t.Helper()
	noErr(t, a.LinkAccount(t.Context(), acct), fmt.Sprintf("LinkAccount(%s/%s to user %q)", acct.Provider, acct.ProviderAccountID, acct.UserID))
}

// createSession stores s, failing the test on an error.
func createSession(t *testing.T, a authjs.Adapter, s authjs.DatabaseSession) {
	t.Helper()
	noErr(t, a.CreateSession(t.Context(), s), fmt.Sprintf("CreateSession(user %q)", s.UserID))
}

// oauthAccount returns a GitHub-like account of the user with the given
// ID, with every token field set.
func oauthAccount(userID, providerAccountID string) authjs.Account {
	return authjs.Account{
		UserID:            userID,
		Provider:          "github",
		Type:              authjs.TypeOAuth,
		ProviderAccountID: providerAccountID,
		AccessToken:       "gho_access-" + providerAccountID,
		RefreshToken:      "ghr_refresh-" + providerAccountID,
		ExpiresAt:         1893456000,
		IDToken:           "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
		Scope:             "read:user user:email",
		TokenType:         "bearer",
		SessionState:      "state-" + providerAccountID,
	}
}

// checkSession compares a session read back with the one stored.
func checkSession(t *testing.T, call string, got *authjs.DatabaseSession, want authjs.DatabaseSession) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got a nil session", call)
		return
	}
	if got.SessionToken != want.SessionToken {
		t.Errorf("%s: SessionToken = %q, want %q", call, got.SessionToken, want.SessionToken)
	}
	if got.UserID != want.UserID {
		t.Errorf("%s: UserID = %q, want %q", call, got.UserID, want.UserID)
	}
	if !sameInstant(got.Expires, want.Expires) {
		t.Errorf("%s: Expires = %s, want the instant %s (to the second)", call, fmtTime(got.Expires), fmtTime(want.Expires))
	}
}

// ctxCancelled returns a context that is already cancelled.
func ctxCancelled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}
