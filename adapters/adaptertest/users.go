package adaptertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// malformedIDs are user IDs no store may answer with anything but
// ErrNotFound: foreign formats, injection attempts and edge cases.
var malformedIDs = []string{
	"",
	"abc",
	"' OR 1=1 --",
	"1; DROP TABLE users",
	"0",
	"-1",
	"+1",
	"01",
	"1.5",
	" 1",
	"99999999999999999999999999",
	"9223372036854775807",
	"00000000-0000-0000-0000-000000000000",
	"not-a-uuid",
	"*",
	"%",
	"{\"$ne\":null}",
}

var userTests = []test{
	{"CreateAssignsDistinctIDs", func(t *testing.T, a authjs.Adapter) {
		seen := map[string]int{}
		for i := range 5 {
			u := createUser(t, a, authjs.User{Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@example.com", i)})
			if j, dup := seen[u.ID]; dup {
				t.Fatalf("CreateUser returned ID %q for user %d and user %d; IDs must be distinct", u.ID, j, i)
			}
			seen[u.ID] = i
		}
	}},
	{"CreateIgnoresOrKeepsSuggestedID", func(t *testing.T, a authjs.Adapter) {
		// v5 passes a random UUID as a suggestion; the store may use it
		// or assign its own, but the returned ID must find the user.
		suggested := "4f1b2c7e-9a51-4c1e-8f7d-1d2e3f4a5b6c"
		u := createUser(t, a, authjs.User{ID: suggested, Name: "Suggested", Email: "suggested@example.com"})
		checkUser(t, "GetUser(returned ID)", getUser(t, a, u.ID), authjs.User{ID: u.ID, Name: "Suggested", Email: "suggested@example.com"})
	}},
	{"CreateAndGetRoundTrip", func(t *testing.T, a authjs.Adapter) {
		verified := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		cases := []struct {
			name string
			user authjs.User
		}{
			{"all fields", authjs.User{Name: "Ada Lovelace", Email: "ada@example.com", Image: "https://example.com/ada.png", EmailVerified: &verified}},
			{"email only", authjs.User{Email: "only-email@example.com"}},
			{"name only", authjs.User{Name: "Nameless Email"}},
			{"no fields", authjs.User{}},
			{"unicode and quotes", authjs.User{Name: "Zoë \"Q\" O'Brien — 名前", Email: "zoë+tag@exämple.com", Image: "https://example.com/a?b=c&d='e'"}},
			{"long values", authjs.User{Name: longString(255), Email: longString(200) + "@example.com", Image: "https://example.com/" + longString(2000)}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				created := createUser(t, a, c.user)
				want := c.user
				want.ID = created.ID
				checkUser(t, "CreateUser result", created, want)
				checkUser(t, "GetUser", getUser(t, a, created.ID), want)
				if c.user.Email != "" {
					got, err := a.GetUserByEmail(t.Context(), c.user.Email)
					noErr(t, err, fmt.Sprintf("GetUserByEmail(%q)", c.user.Email))
					checkUser(t, "GetUserByEmail", got, want)
				}
			})
		}
	}},
	{"NilEmailVerifiedStaysNil", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Unverified", Email: "unverified@example.com"})
		if u.EmailVerified != nil {
			t.Errorf("CreateUser without EmailVerified returned EmailVerified = %s, want nil", fmtTime(*u.EmailVerified))
		}
		if got := getUser(t, a, u.ID); got.EmailVerified != nil {
			t.Errorf("GetUser: EmailVerified = %s, want nil", fmtTime(*got.EmailVerified))
		}
	}},
	{"DuplicateEmailIsConflict", func(t *testing.T, a authjs.Adapter) {
		first := createUser(t, a, authjs.User{Name: "First", Email: "taken@example.com"})
		_, err := a.CreateUser(t.Context(), authjs.User{Name: "Second", Email: "taken@example.com"})
		wantConflict(t, err, "CreateUser with an email another user has")
		got, err := a.GetUserByEmail(t.Context(), "taken@example.com")
		noErr(t, err, "GetUserByEmail after the conflict")
		checkUser(t, "GetUserByEmail after the conflict", got, authjs.User{ID: first.ID, Name: "First", Email: "taken@example.com"})
	}},
	{"ManyUsersWithoutEmail", func(t *testing.T, a authjs.Adapter) {
		var ids []string
		for i := range 3 {
			ids = append(ids, createUser(t, a, authjs.User{Name: fmt.Sprintf("No email %d", i)}).ID)
		}
		for i, id := range ids {
			checkUser(t, "GetUser", getUser(t, a, id), authjs.User{ID: id, Name: fmt.Sprintf("No email %d", i)})
		}
		// Users without email must not be found by the empty address.
		_, err := a.GetUserByEmail(t.Context(), "")
		wantNotFound(t, err, `GetUserByEmail("") with users without email in the store`)
	}},
	{"GetUserUnknownOrMalformedID", func(t *testing.T, a authjs.Adapter) {
		// With a user in the store, so that a query ignoring its
		// condition would find something.
		createUser(t, a, authjs.User{Name: "Present", Email: "present@example.com"})
		for _, id := range malformedIDs {
			_, err := a.GetUser(t.Context(), id)
			wantNotFound(t, err, fmt.Sprintf("GetUser(%q)", id))
		}
	}},
	{"GetUserDeletedID", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Gone", Email: "gone@example.com"})
		noErr(t, a.DeleteUser(t.Context(), u.ID), "DeleteUser")
		_, err := a.GetUser(t.Context(), u.ID)
		wantNotFound(t, err, "GetUser of a deleted user")
	}},
	{"GetUserByEmailExactMatch", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Exact", Email: "exact@example.com"})
		got, err := a.GetUserByEmail(t.Context(), "exact@example.com")
		noErr(t, err, "GetUserByEmail")
		checkUser(t, "GetUserByEmail", got, authjs.User{ID: u.ID, Name: "Exact", Email: "exact@example.com"})
		for _, email := range []string{"EXACT@example.com", "exact@example.co", "xact@example.com", "exact@example.com ", "%@example.com", "' OR ''='", "unknown@example.com"} {
			_, err := a.GetUserByEmail(t.Context(), email)
			wantNotFound(t, err, fmt.Sprintf("GetUserByEmail(%q) (the store holds exact@example.com)", email))
		}
	}},
	{"GetUserByAccount", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Linked", Email: "linked@example.com"})
		linkAccount(t, a, oauthAccount(u.ID, "1001"))
		got, err := a.GetUserByAccount(t.Context(), "github", "1001")
		noErr(t, err, "GetUserByAccount(github, 1001)")
		checkUser(t, "GetUserByAccount", got, authjs.User{ID: u.ID, Name: "Linked", Email: "linked@example.com"})
		for _, k := range [][2]string{{"github", "1002"}, {"gitlab", "1001"}, {"1001", "github"}, {"", ""}, {"github", ""}, {"GitHub", "1001"}, {"github", "' OR 1=1 --"}} {
			_, err := a.GetUserByAccount(t.Context(), k[0], k[1])
			wantNotFound(t, err, fmt.Sprintf("GetUserByAccount(%q, %q)", k[0], k[1]))
		}
	}},
	{"UpdateReplacesFields", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Before", Email: "before@example.com", Image: "https://example.com/before.png"})
		other := createUser(t, a, authjs.User{Name: "Bystander", Email: "bystander@example.com"})
		verified := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		want := authjs.User{ID: u.ID, Name: "After", Email: "after@example.com", Image: "https://example.com/after.png", EmailVerified: &verified}
		got, err := a.UpdateUser(t.Context(), want)
		noErr(t, err, "UpdateUser")
		checkUser(t, "UpdateUser result", got, want)
		checkUser(t, "GetUser after UpdateUser", getUser(t, a, u.ID), want)
		byEmail, err := a.GetUserByEmail(t.Context(), "after@example.com")
		noErr(t, err, "GetUserByEmail(new email)")
		checkUser(t, "GetUserByEmail(new email)", byEmail, want)
		_, err = a.GetUserByEmail(t.Context(), "before@example.com")
		wantNotFound(t, err, "GetUserByEmail(old email) after UpdateUser changed it")
		checkUser(t, "GetUser of another user after UpdateUser", getUser(t, a, other.ID), authjs.User{ID: other.ID, Name: "Bystander", Email: "bystander@example.com"})

		// The old email is free again.
		createUser(t, a, authjs.User{Name: "Reuses old email", Email: "before@example.com"})
	}},
	{"UpdateClearsFields", func(t *testing.T, a authjs.Adapter) {
		verified := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		u := createUser(t, a, authjs.User{Name: "Full", Email: "full@example.com", Image: "https://example.com/full.png", EmailVerified: &verified})
		want := authjs.User{ID: u.ID}
		got, err := a.UpdateUser(t.Context(), want)
		noErr(t, err, "UpdateUser with empty fields")
		checkUser(t, "UpdateUser result", got, want)
		checkUser(t, "GetUser after clearing", getUser(t, a, u.ID), want)
		_, err = a.GetUserByEmail(t.Context(), "full@example.com")
		wantNotFound(t, err, "GetUserByEmail(cleared email)")
		// A user without email does not collide with another one.
		createUser(t, a, authjs.User{Name: "Also no email"})
	}},
	{"UpdateSetsEmailVerified", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Verify me", Email: "verify@example.com"})
		verified := time.Now()
		want := *u
		want.EmailVerified = &verified
		got, err := a.UpdateUser(t.Context(), want)
		noErr(t, err, "UpdateUser setting EmailVerified")
		checkUser(t, "UpdateUser result", got, want)
		checkUser(t, "GetUser", getUser(t, a, u.ID), want)
	}},
	{"UpdateKeepsOwnEmail", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Same", Email: "same@example.com"})
		want := authjs.User{ID: u.ID, Name: "Same, renamed", Email: "same@example.com"}
		got, err := a.UpdateUser(t.Context(), want)
		noErr(t, err, "UpdateUser keeping the user's own email")
		checkUser(t, "UpdateUser result", got, want)
	}},
	{"UpdateEmailConflict", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Mover", Email: "mover@example.com"})
		createUser(t, a, authjs.User{Name: "Holder", Email: "holder@example.com"})
		_, err := a.UpdateUser(t.Context(), authjs.User{ID: u.ID, Name: "Mover", Email: "holder@example.com"})
		wantConflict(t, err, "UpdateUser to an email another user has")
		checkUser(t, "GetUser after the failed update", getUser(t, a, u.ID), authjs.User{ID: u.ID, Name: "Mover", Email: "mover@example.com"})
	}},
	{"UpdateUnknownUser", func(t *testing.T, a authjs.Adapter) {
		createUser(t, a, authjs.User{Name: "Present", Email: "present@example.com"})
		for _, id := range malformedIDs {
			_, err := a.UpdateUser(t.Context(), authjs.User{ID: id, Name: "Ghost", Email: fmt.Sprintf("ghost-%x@example.com", id)})
			wantNotFound(t, err, fmt.Sprintf("UpdateUser(ID %q)", id))
		}
		u := createUser(t, a, authjs.User{Name: "Deleted"})
		noErr(t, a.DeleteUser(t.Context(), u.ID), "DeleteUser")
		_, err := a.UpdateUser(t.Context(), authjs.User{ID: u.ID, Name: "Revived"})
		wantNotFound(t, err, "UpdateUser of a deleted user")
		_, err = a.GetUser(t.Context(), u.ID)
		wantNotFound(t, err, "GetUser after UpdateUser of a deleted user (it must not be recreated)")
	}},
	{"DeleteCascades", func(t *testing.T, a authjs.Adapter) {
		ctx := t.Context()
		u := createUser(t, a, authjs.User{Name: "Doomed", Email: "doomed@example.com"})
		keep := createUser(t, a, authjs.User{Name: "Survivor", Email: "survivor@example.com"})
		linkAccount(t, a, oauthAccount(u.ID, "doomed-1"))
		google := oauthAccount(u.ID, "doomed-2")
		google.Provider = "google"
		linkAccount(t, a, google)
		linkAccount(t, a, oauthAccount(keep.ID, "survivor-1"))
		createSession(t, a, authjs.DatabaseSession{SessionToken: "doomed-session-1", UserID: u.ID, Expires: future(hour)})
		createSession(t, a, authjs.DatabaseSession{SessionToken: "doomed-session-2", UserID: u.ID, Expires: future(hour)})
		survivorSession := authjs.DatabaseSession{SessionToken: "survivor-session", UserID: keep.ID, Expires: future(hour)}
		createSession(t, a, survivorSession)
		wa, webauthn := a.(authjs.WebAuthnAdapter)
		if webauthn {
			noErr(t, wa.CreateAuthenticator(ctx, testAuthenticator(u.ID, "doomed-cred")), "CreateAuthenticator")
			noErr(t, wa.CreateAuthenticator(ctx, testAuthenticator(keep.ID, "survivor-cred")), "CreateAuthenticator")
		}

		noErr(t, a.DeleteUser(ctx, u.ID), "DeleteUser")

		_, err := a.GetUser(ctx, u.ID)
		wantNotFound(t, err, "GetUser of the deleted user")
		_, err = a.GetUserByEmail(ctx, "doomed@example.com")
		wantNotFound(t, err, "GetUserByEmail of the deleted user")
		for _, k := range [][2]string{{"github", "doomed-1"}, {"google", "doomed-2"}} {
			_, err = a.GetUserByAccount(ctx, k[0], k[1])
			wantNotFound(t, err, fmt.Sprintf("GetUserByAccount(%s, %s) of the deleted user", k[0], k[1]))
			if webauthn {
				_, err = wa.GetAccount(ctx, k[0], k[1])
				wantNotFound(t, err, fmt.Sprintf("GetAccount(%s, %s) of the deleted user", k[0], k[1]))
			}
		}
		for _, tok := range []string{"doomed-session-1", "doomed-session-2"} {
			_, _, err = a.GetSessionAndUser(ctx, tok)
			wantNotFound(t, err, "GetSessionAndUser of a session of the deleted user")
		}
		if webauthn {
			_, err = wa.GetAuthenticator(ctx, "doomed-cred")
			wantNotFound(t, err, "GetAuthenticator of the deleted user's passkey")
		}
		if l, ok := a.(authjs.SessionLister); ok {
			list, err := l.ListSessions(ctx, u.ID)
			if err != nil && !isNotFound(err) {
				t.Errorf("ListSessions of the deleted user: unexpected error %v", err)
			}
			if len(list) != 0 {
				t.Errorf("ListSessions of the deleted user returned %d sessions, want none", len(list))
			}
		}

		// The other user keeps everything.
		checkUser(t, "GetUser of the other user", getUser(t, a, keep.ID), authjs.User{ID: keep.ID, Name: "Survivor", Email: "survivor@example.com"})
		got, err := a.GetUserByAccount(ctx, "github", "survivor-1")
		noErr(t, err, "GetUserByAccount of the other user's account")
		checkUser(t, "GetUserByAccount of the other user's account", got, authjs.User{ID: keep.ID, Name: "Survivor", Email: "survivor@example.com"})
		s, su, err := a.GetSessionAndUser(ctx, "survivor-session")
		noErr(t, err, "GetSessionAndUser of the other user's session")
		checkSession(t, "GetSessionAndUser of the other user's session", s, survivorSession)
		checkUser(t, "GetSessionAndUser of the other user's session", su, authjs.User{ID: keep.ID, Name: "Survivor", Email: "survivor@example.com"})
		if webauthn {
			_, err = wa.GetAuthenticator(ctx, "survivor-cred")
			noErr(t, err, "GetAuthenticator of the other user's passkey")
		}

		// The email address and the accounts are free again.
		again := createUser(t, a, authjs.User{Name: "Doomed again", Email: "doomed@example.com"})
		linkAccount(t, a, oauthAccount(again.ID, "doomed-1"))
	}},
	{"DeleteUnknownUser", func(t *testing.T, a authjs.Adapter) {
		keep := createUser(t, a, authjs.User{Name: "Present", Email: "present@example.com"})
		for _, id := range malformedIDs {
			wantNilOrNotFound(t, a.DeleteUser(t.Context(), id), fmt.Sprintf("DeleteUser(%q)", id))
		}
		getUser(t, a, keep.ID)
	}},
	{"RecordsAreCopies", func(t *testing.T, a authjs.Adapter) {
		verified := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		in := authjs.User{Name: "Original", Email: "original@example.com", EmailVerified: ptr(verified)}
		u := createUser(t, a, in)
		// Changing what the store was given or returned must not change it.
		*in.EmailVerified = verified.Add(48 * time.Hour)
		u.Name = "Changed by the caller"
		if u.EmailVerified != nil {
			*u.EmailVerified = verified.Add(72 * time.Hour)
		}
		got := getUser(t, a, u.ID)
		want := authjs.User{ID: u.ID, Name: "Original", Email: "original@example.com", EmailVerified: ptr(verified)}
		checkUser(t, "GetUser after the caller changed its copies", got, want)
		got.Name = "Changed again"
		if got.EmailVerified != nil {
			*got.EmailVerified = verified.Add(96 * time.Hour)
		}
		checkUser(t, "GetUser after the caller changed a returned user", getUser(t, a, u.ID), want)
	}},
}

// longString returns n ASCII letters.
func longString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return string(b)
}
