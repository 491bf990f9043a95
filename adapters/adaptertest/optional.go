package adaptertest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// lister returns the store as an authjs.SessionLister, or skips the test.
func lister(t *testing.T, a authjs.Adapter) authjs.SessionLister {
	t.Helper()
	l, ok := a.(authjs.SessionLister)
	if !ok {
		t.Skip("the store does not implement authjs.SessionLister")
	}
	return l
}

// webAuthn returns the store as an authjs.WebAuthnAdapter, or skips the
// test.
func webAuthn(t *testing.T, a authjs.Adapter) authjs.WebAuthnAdapter {
	t.Helper()
	w, ok := a.(authjs.WebAuthnAdapter)
	if !ok {
		t.Skip("the store does not implement authjs.WebAuthnAdapter")
	}
	return w
}

// deleter returns the store as an authjs.WebAuthnAdapter and
// authjs.AuthenticatorDeleter, or skips the test.
func deleter(t *testing.T, a authjs.Adapter) (authjs.WebAuthnAdapter, authjs.AuthenticatorDeleter) {
	t.Helper()
	w := webAuthn(t, a)
	d, ok := a.(authjs.AuthenticatorDeleter)
	if !ok {
		t.Skip("the store does not implement authjs.AuthenticatorDeleter")
	}
	return w, d
}

// checkSessionList checks that got holds exactly the sessions of want, in
// any order.
func checkSessionList(t *testing.T, call string, got []authjs.DatabaseSession, want ...authjs.DatabaseSession) {
	t.Helper()
	byToken := map[string]authjs.DatabaseSession{}
	for _, s := range got {
		if _, dup := byToken[s.SessionToken]; dup {
			t.Errorf("%s: session %q listed twice", call, s.SessionToken)
		}
		byToken[s.SessionToken] = s
	}
	for _, w := range want {
		s, ok := byToken[w.SessionToken]
		if !ok {
			t.Errorf("%s: session %q missing", call, w.SessionToken)
			continue
		}
		checkSession(t, call, &s, w)
		delete(byToken, w.SessionToken)
	}
	for _, tok := range slices.Sorted(maps.Keys(byToken)) {
		t.Errorf("%s: session %q of user %q listed, want only %d sessions", call, tok, byToken[tok].UserID, len(want))
	}
}

var listerTests = []test{
	{"ListExactlyTheUsersSessions", func(t *testing.T, a authjs.Adapter) {
		l := lister(t, a)
		u := createUser(t, a, authjs.User{Name: "Lister", Email: "lister@example.com"})
		other := createUser(t, a, authjs.User{Name: "Other", Email: "other@example.com"})
		var mine, theirs []authjs.DatabaseSession
		for i := range 3 {
			s := authjs.DatabaseSession{SessionToken: fmt.Sprintf("mine-%d", i), UserID: u.ID, Expires: future(time.Duration(i+1) * hour)}
			createSession(t, a, s)
			mine = append(mine, s)
		}
		for i := range 2 {
			s := authjs.DatabaseSession{SessionToken: fmt.Sprintf("theirs-%d", i), UserID: other.ID, Expires: future(time.Duration(i+1) * hour)}
			createSession(t, a, s)
			theirs = append(theirs, s)
		}
		got, err := l.ListSessions(t.Context(), u.ID)
		noErr(t, err, "ListSessions")
		checkSessionList(t, "ListSessions", got, mine...)
		got, err = l.ListSessions(t.Context(), other.ID)
		noErr(t, err, "ListSessions of the other user")
		checkSessionList(t, "ListSessions of the other user", got, theirs...)
	}},
	{"ListNoSessions", func(t *testing.T, a authjs.Adapter) {
		l := lister(t, a)
		u := createUser(t, a, authjs.User{Name: "Sessionless"})
		other := createUser(t, a, authjs.User{Name: "Other"})
		createSession(t, a, authjs.DatabaseSession{SessionToken: "not-yours", UserID: other.ID, Expires: future(hour)})
		got, err := l.ListSessions(t.Context(), u.ID)
		noErr(t, err, "ListSessions of a user without sessions")
		checkSessionList(t, "ListSessions of a user without sessions", got)
		for _, id := range malformedIDs {
			got, err := l.ListSessions(t.Context(), id)
			wantNilOrNotFound(t, err, fmt.Sprintf("ListSessions(%q) of an unknown user", id))
			checkSessionList(t, fmt.Sprintf("ListSessions(%q) of an unknown user", id), got)
		}
	}},
	{"ListIncludesExpired", func(t *testing.T, a authjs.Adapter) {
		l := lister(t, a)
		u := createUser(t, a, authjs.User{Name: "Lapsed"})
		live := authjs.DatabaseSession{SessionToken: "live", UserID: u.ID, Expires: future(hour)}
		lapsed := authjs.DatabaseSession{SessionToken: "lapsed", UserID: u.ID, Expires: time.Now().Add(-hour)}
		createSession(t, a, live)
		createSession(t, a, lapsed)
		got, err := l.ListSessions(t.Context(), u.ID)
		noErr(t, err, "ListSessions")
		if len(got) == 1 {
			t.Log("the store forgets expired sessions")
			checkSessionList(t, "ListSessions", got, live)
		} else {
			checkSessionList(t, "ListSessions", got, live, lapsed)
		}
	}},
	{"DeleteSessions", func(t *testing.T, a authjs.Adapter) {
		l := lister(t, a)
		u := createUser(t, a, authjs.User{Name: "Revoked", Email: "revoked@example.com"})
		other := createUser(t, a, authjs.User{Name: "Untouched", Email: "untouched@example.com"})
		for i := range 3 {
			createSession(t, a, authjs.DatabaseSession{SessionToken: fmt.Sprintf("revoke-%d", i), UserID: u.ID, Expires: future(hour)})
		}
		var theirs []authjs.DatabaseSession
		for i := range 2 {
			s := authjs.DatabaseSession{SessionToken: fmt.Sprintf("untouched-%d", i), UserID: other.ID, Expires: future(hour)}
			createSession(t, a, s)
			theirs = append(theirs, s)
		}
		n, err := l.DeleteSessions(t.Context(), u.ID)
		noErr(t, err, "DeleteSessions")
		if n != 3 {
			t.Errorf("DeleteSessions = %d, want 3 (the user's sessions)", n)
		}
		for i := range 3 {
			_, _, err := a.GetSessionAndUser(t.Context(), fmt.Sprintf("revoke-%d", i))
			wantNotFound(t, err, "GetSessionAndUser of a session DeleteSessions deleted")
		}
		got, err := l.ListSessions(t.Context(), u.ID)
		noErr(t, err, "ListSessions after DeleteSessions")
		checkSessionList(t, "ListSessions after DeleteSessions", got)
		got, err = l.ListSessions(t.Context(), other.ID)
		noErr(t, err, "ListSessions of the other user")
		checkSessionList(t, "ListSessions of the other user after DeleteSessions", got, theirs...)
		for _, s := range theirs {
			gs, _ := getSession(t, a, s.SessionToken)
			checkSession(t, "GetSessionAndUser of the other user's session", gs, s)
		}
		getUser(t, a, u.ID)

		n, err = l.DeleteSessions(t.Context(), u.ID)
		noErr(t, err, "DeleteSessions of a user without sessions")
		if n != 0 {
			t.Errorf("DeleteSessions of a user without sessions = %d, want 0", n)
		}
		for _, id := range malformedIDs {
			n, err := l.DeleteSessions(t.Context(), id)
			wantNilOrNotFound(t, err, fmt.Sprintf("DeleteSessions(%q) of an unknown user", id))
			if n != 0 {
				t.Errorf("DeleteSessions(%q) of an unknown user = %d, want 0", id, n)
			}
		}
	}},
}

// testAuthenticator returns a passkey of the user with every field set.
func testAuthenticator(userID, credentialID string) authjs.Authenticator {
	return authjs.Authenticator{
		CredentialID:         credentialID,
		UserID:               userID,
		ProviderAccountID:    credentialID,
		CredentialPublicKey:  "pQECAyYgASFYIH7Y0lq3vtbxKwWhAv-5pcdsA_lRzTQk0ZTUgrZ5LrL6IlggTe0I0NwTSAiUaFb2vmxzvHLSGuAPJaAzkV7N1ok8H7c",
		Counter:              7,
		CredentialDeviceType: "multiDevice",
		CredentialBackedUp:   true,
		Transports:           "internal,hybrid",
	}
}

// checkAuthenticator compares an authenticator read back with the one
// stored, field by field.
func checkAuthenticator(t *testing.T, call string, got *authjs.Authenticator, want authjs.Authenticator) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got a nil authenticator", call)
		return
	}
	if *got != want {
		t.Errorf("%s: got %+v, want %+v", call, *got, want)
	}
}

var webAuthnTests = []test{
	{"GetAccountUnknown", func(t *testing.T, a authjs.Adapter) {
		w := webAuthn(t, a)
		u := createUser(t, a, authjs.User{Name: "Owner"})
		linkAccount(t, a, oauthAccount(u.ID, "known"))
		for _, k := range [][2]string{{"github", "unknown"}, {"gitlab", "known"}, {"known", "github"}, {"", ""}, {"github", "' OR 1=1 --"}} {
			_, err := w.GetAccount(t.Context(), k[0], k[1])
			wantNotFound(t, err, fmt.Sprintf("GetAccount(%q, %q)", k[0], k[1]))
		}
	}},
	{"AuthenticatorRoundTrip", func(t *testing.T, a authjs.Adapter) {
		w := webAuthn(t, a)
		u := createUser(t, a, authjs.User{Name: "Passkey holder"})
		full := testAuthenticator(u.ID, "Y3JlZC1mdWxs")
		full.Counter = 1<<40 + 3
		minimal := authjs.Authenticator{CredentialID: "Y3JlZC1taW4", UserID: u.ID, ProviderAccountID: "Y3JlZC1taW4", CredentialPublicKey: "cHVibGljLWtleQ", CredentialDeviceType: "singleDevice"}
		for _, c := range []struct {
			name string
			a    authjs.Authenticator
		}{
			{"every field", full},
			{"no transports, not backed up, counter 0", minimal},
			{"one transport", func() authjs.Authenticator {
				a := testAuthenticator(u.ID, "Y3JlZC1vbmU")
				a.Transports = "usb"
				return a
			}()},
		} {
			t.Run(c.name, func(t *testing.T) {
				noErr(t, w.CreateAuthenticator(t.Context(), c.a), "CreateAuthenticator")
				got, err := w.GetAuthenticator(t.Context(), c.a.CredentialID)
				noErr(t, err, "GetAuthenticator")
				checkAuthenticator(t, "GetAuthenticator", got, c.a)
			})
		}
	}},
	{"GetAuthenticatorUnknown", func(t *testing.T, a authjs.Adapter) {
		w := webAuthn(t, a)
		u := createUser(t, a, authjs.User{Name: "Holder"})
		noErr(t, w.CreateAuthenticator(t.Context(), testAuthenticator(u.ID, "present")), "CreateAuthenticator")
		for _, id := range []string{"absent", "", "PRESENT", "presen", "' OR 1=1 --", "%"} {
			_, err := w.GetAuthenticator(t.Context(), id)
			wantNotFound(t, err, fmt.Sprintf("GetAuthenticator(%q)", id))
		}
	}},
	{"ListAuthenticatorsByUserID", func(t *testing.T, a authjs.Adapter) {
		w := webAuthn(t, a)
		u := createUser(t, a, authjs.User{Name: "Two keys"})
		other := createUser(t, a, authjs.User{Name: "One key"})
		none := createUser(t, a, authjs.User{Name: "No key"})
		mine := []authjs.Authenticator{testAuthenticator(u.ID, "key-a"), testAuthenticator(u.ID, "key-b")}
		mine[1].Counter, mine[1].Transports, mine[1].CredentialBackedUp = 0, "", false
		theirs := testAuthenticator(other.ID, "key-c")
		for _, k := range append(slices.Clone(mine), theirs) {
			noErr(t, w.CreateAuthenticator(t.Context(), k), "CreateAuthenticator("+k.CredentialID+")")
		}
		check := func(userID string, want ...authjs.Authenticator) {
			t.Helper()
			got, err := w.ListAuthenticatorsByUserID(t.Context(), userID)
			noErr(t, err, fmt.Sprintf("ListAuthenticatorsByUserID(%q)", userID))
			byID := map[string]authjs.Authenticator{}
			for _, g := range got {
				byID[g.CredentialID] = g
			}
			if len(got) != len(want) || len(byID) != len(want) {
				t.Errorf("ListAuthenticatorsByUserID(%q) returned %d authenticators %v, want %d", userID, len(got), slices.Sorted(maps.Keys(byID)), len(want))
			}
			for _, w := range want {
				g, ok := byID[w.CredentialID]
				if !ok {
					t.Errorf("ListAuthenticatorsByUserID(%q): %q missing", userID, w.CredentialID)
					continue
				}
				checkAuthenticator(t, fmt.Sprintf("ListAuthenticatorsByUserID(%q)", userID), &g, w)
			}
		}
		check(u.ID, mine...)
		check(other.ID, theirs)
		check(none.ID)
		for _, id := range []string{"abc", "' OR 1=1 --", ""} {
			got, err := w.ListAuthenticatorsByUserID(t.Context(), id)
			wantNilOrNotFound(t, err, fmt.Sprintf("ListAuthenticatorsByUserID(%q) of an unknown user", id))
			if len(got) != 0 {
				t.Errorf("ListAuthenticatorsByUserID(%q) of an unknown user returned %d authenticators, want none", id, len(got))
			}
		}
	}},
	{"UpdateAuthenticatorCounter", func(t *testing.T, a authjs.Adapter) {
		w := webAuthn(t, a)
		u := createUser(t, a, authjs.User{Name: "Counter"})
		k := testAuthenticator(u.ID, "counted")
		other := testAuthenticator(u.ID, "not-counted")
		noErr(t, w.CreateAuthenticator(t.Context(), k), "CreateAuthenticator")
		noErr(t, w.CreateAuthenticator(t.Context(), other), "CreateAuthenticator")
		for _, counter := range []int64{8, 1 << 33, 0} {
			noErr(t, w.UpdateAuthenticatorCounter(t.Context(), k.CredentialID, counter), fmt.Sprintf("UpdateAuthenticatorCounter(%d)", counter))
			got, err := w.GetAuthenticator(t.Context(), k.CredentialID)
			noErr(t, err, "GetAuthenticator")
			want := k
			want.Counter = counter
			checkAuthenticator(t, fmt.Sprintf("GetAuthenticator after UpdateAuthenticatorCounter(%d)", counter), got, want)
		}
		got, err := w.GetAuthenticator(t.Context(), other.CredentialID)
		noErr(t, err, "GetAuthenticator of another authenticator")
		checkAuthenticator(t, "GetAuthenticator of an authenticator UpdateAuthenticatorCounter did not name", got, other)
		for _, id := range []string{"unknown", "", "' OR 1=1 --"} {
			wantNotFound(t, w.UpdateAuthenticatorCounter(t.Context(), id, 9), fmt.Sprintf("UpdateAuthenticatorCounter(%q)", id))
			_, err := w.GetAuthenticator(t.Context(), id)
			wantNotFound(t, err, fmt.Sprintf("GetAuthenticator(%q) after UpdateAuthenticatorCounter of it (it must not be created)", id))
		}
	}},
	{"DuplicateCredentialIsConflict", func(t *testing.T, a authjs.Adapter) {
		w := webAuthn(t, a)
		owner := createUser(t, a, authjs.User{Name: "Owner"})
		thief := createUser(t, a, authjs.User{Name: "Thief"})
		original := testAuthenticator(owner.ID, "unique-cred")
		noErr(t, w.CreateAuthenticator(t.Context(), original), "CreateAuthenticator")
		for _, userID := range []string{owner.ID, thief.ID} {
			dup := testAuthenticator(userID, "unique-cred")
			dup.CredentialPublicKey, dup.Counter = "b3RoZXIta2V5", 99
			wantConflict(t, w.CreateAuthenticator(t.Context(), dup), "CreateAuthenticator of a credential ID already stored")
		}
		got, err := w.GetAuthenticator(t.Context(), "unique-cred")
		noErr(t, err, "GetAuthenticator after the conflict")
		checkAuthenticator(t, "GetAuthenticator after the conflict", got, original)
	}},
	{"CreateAuthenticatorForUnknownUser", func(t *testing.T, a authjs.Adapter) {
		w := webAuthn(t, a)
		createUser(t, a, authjs.User{Name: "Present"})
		for _, id := range []string{"abc", "123456789", "00000000-0000-0000-0000-000000000000"} {
			wantNilOrNotFound(t, w.CreateAuthenticator(t.Context(), testAuthenticator(id, "orphan-"+id)), fmt.Sprintf("CreateAuthenticator for the unknown user %q", id))
		}
	}},
}

// checkAuthenticatorList checks that the user's authenticators are exactly
// want, in any order.
func checkAuthenticatorList(t *testing.T, w authjs.WebAuthnAdapter, call, userID string, want ...authjs.Authenticator) {
	t.Helper()
	got, err := w.ListAuthenticatorsByUserID(t.Context(), userID)
	noErr(t, err, call)
	byID := map[string]authjs.Authenticator{}
	for _, g := range got {
		byID[g.CredentialID] = g
	}
	if len(got) != len(want) || len(byID) != len(want) {
		t.Errorf("%s: %d authenticators %v, want %d", call, len(got), slices.Sorted(maps.Keys(byID)), len(want))
	}
	for _, wa := range want {
		g, ok := byID[wa.CredentialID]
		if !ok {
			t.Errorf("%s: %q missing", call, wa.CredentialID)
			continue
		}
		checkAuthenticator(t, call, &g, wa)
	}
}

var deleterTests = []test{
	{"DeleteAuthenticator", func(t *testing.T, a authjs.Adapter) {
		w, d := deleter(t, a)
		u := createUser(t, a, authjs.User{Name: "Three keys", Email: "three@example.com"})
		other := createUser(t, a, authjs.User{Name: "One key", Email: "one@example.com"})
		acct := authjs.Account{UserID: u.ID, Type: authjs.TypeWebAuthn, Provider: "passkey", ProviderAccountID: "a2V5LWE="}
		linkAccount(t, a, acct)
		mine := []authjs.Authenticator{
			testAuthenticator(u.ID, "a2V5LWE="),
			testAuthenticator(u.ID, "a2V5LWI+"),
			testAuthenticator(u.ID, "a2V5LWM/"),
		}
		theirs := testAuthenticator(other.ID, "a2V5LWQ=")
		for _, k := range append(slices.Clone(mine), theirs) {
			noErr(t, w.CreateAuthenticator(t.Context(), k), "CreateAuthenticator("+k.CredentialID+")")
		}

		noErr(t, d.DeleteAuthenticator(t.Context(), mine[1].CredentialID), "DeleteAuthenticator")
		_, err := w.GetAuthenticator(t.Context(), mine[1].CredentialID)
		wantNotFound(t, err, "GetAuthenticator of a deleted authenticator")
		checkAuthenticatorList(t, w, "ListAuthenticatorsByUserID after DeleteAuthenticator", u.ID, mine[0], mine[2])
		checkAuthenticatorList(t, w, "ListAuthenticatorsByUserID of the other user", other.ID, theirs)
		got, err := w.GetAccount(t.Context(), acct.Provider, acct.ProviderAccountID)
		noErr(t, err, "GetAccount after DeleteAuthenticator (the account stays)")
		if got.UserID != u.ID {
			t.Errorf("GetAccount after DeleteAuthenticator: user %q, want %q", got.UserID, u.ID)
		}
		getUser(t, a, u.ID)

		wantNotFound(t, d.DeleteAuthenticator(t.Context(), mine[1].CredentialID), "DeleteAuthenticator of an authenticator deleted already")
		for _, id := range []string{"absent", "", "A2V5LWE=", "a2V5LWE", "a2V5LWE=x", "' OR 1=1 --", "%", "*", "a2V5LW?=", "a2V5LWE=\x00"} {
			wantNotFound(t, d.DeleteAuthenticator(t.Context(), id), fmt.Sprintf("DeleteAuthenticator(%q) of an unknown credential", id))
		}
		checkAuthenticatorList(t, w, "ListAuthenticatorsByUserID after deletes of unknown credentials", u.ID, mine[0], mine[2])
		checkAuthenticatorList(t, w, "ListAuthenticatorsByUserID of the other user after deletes of unknown credentials", other.ID, theirs)

		// The last ones go, and the credential ID can be stored again.
		noErr(t, d.DeleteAuthenticator(t.Context(), mine[0].CredentialID), "DeleteAuthenticator")
		noErr(t, d.DeleteAuthenticator(t.Context(), mine[2].CredentialID), "DeleteAuthenticator of the last authenticator")
		checkAuthenticatorList(t, w, "ListAuthenticatorsByUserID after deleting every authenticator", u.ID)
		again := testAuthenticator(u.ID, mine[1].CredentialID)
		again.Counter = 0
		noErr(t, w.CreateAuthenticator(t.Context(), again), "CreateAuthenticator of a deleted credential ID")
		checkAuthenticatorList(t, w, "ListAuthenticatorsByUserID after storing a deleted credential ID again", u.ID, again)
		gotA, err := w.GetAuthenticator(t.Context(), again.CredentialID)
		noErr(t, err, "GetAuthenticator of a credential ID stored again")
		checkAuthenticator(t, "GetAuthenticator of a credential ID stored again", gotA, again)
		noErr(t, a.DeleteUser(t.Context(), u.ID), "DeleteUser after DeleteAuthenticator")
		_, err = w.GetAuthenticator(t.Context(), again.CredentialID)
		wantNotFound(t, err, "GetAuthenticator after DeleteUser")
		checkAuthenticatorList(t, w, "ListAuthenticatorsByUserID of the other user after DeleteUser", other.ID, theirs)
	}},
	{"DeleteAuthenticatorOnce", func(t *testing.T, a authjs.Adapter) {
		w, d := deleter(t, a)
		u := createUser(t, a, authjs.User{Name: "Raced"})
		k := testAuthenticator(u.ID, "cmFjZWQ=")
		kept := testAuthenticator(u.ID, "a2VwdA==")
		noErr(t, w.CreateAuthenticator(t.Context(), k), "CreateAuthenticator")
		noErr(t, w.CreateAuthenticator(t.Context(), kept), "CreateAuthenticator")
		const n = 8
		errs := make([]error, n)
		concurrently(n, func(i int) { errs[i] = d.DeleteAuthenticator(t.Context(), k.CredentialID) })
		deleted := 0
		for i, err := range errs {
			switch {
			case err == nil:
				deleted++
			case !errors.Is(err, authjs.ErrNotFound):
				t.Errorf("concurrent DeleteAuthenticator %d: %v, want nil or ErrNotFound", i, err)
			}
		}
		if deleted != 1 {
			t.Errorf("%d of %d concurrent DeleteAuthenticator calls of one authenticator succeeded, want exactly 1", deleted, n)
		}
		checkAuthenticatorList(t, w, "ListAuthenticatorsByUserID after the concurrent deletes", u.ID, kept)
	}},
}
