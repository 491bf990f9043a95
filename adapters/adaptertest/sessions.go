package adaptertest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// isNotFound reports whether err matches authjs.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, authjs.ErrNotFound) }

// getSession reads a session and its user, failing the test on an error.
func getSession(t *testing.T, a authjs.Adapter, token string) (*authjs.DatabaseSession, *authjs.User) {
	t.Helper()
	s, u, err := a.GetSessionAndUser(t.Context(), token)
	noErr(t, err, fmt.Sprintf("GetSessionAndUser(%q)", token))
	if s == nil || u == nil {
		t.Fatalf("GetSessionAndUser(%q) returned session %v and user %v with no error; want both", token, s, u)
	}
	return s, u
}

var sessionTests = []test{
	{"CreateAndGet", func(t *testing.T, a authjs.Adapter) {
		verified := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
		want := authjs.User{Name: "Sessioned", Email: "sessioned@example.com", Image: "https://example.com/s.png", EmailVerified: &verified}
		u := createUser(t, a, want)
		want.ID = u.ID
		s := authjs.DatabaseSession{SessionToken: "0b8e2a8c-5d7e-4bfb-9a3c-2f4f1e6d7c8b", UserID: u.ID, Expires: future(30 * 24 * hour)}
		createSession(t, a, s)
		gs, gu := getSession(t, a, s.SessionToken)
		checkSession(t, "GetSessionAndUser", gs, s)
		checkUser(t, "GetSessionAndUser", gu, want)
	}},
	{"UnknownToken", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Holder"})
		createSession(t, a, authjs.DatabaseSession{SessionToken: "real-token", UserID: u.ID, Expires: future(hour)})
		for _, tok := range []string{"", "unknown-token", "real-token ", "REAL-TOKEN", "real-toke", "' OR 1=1 --", "%", "*"} {
			s, su, err := a.GetSessionAndUser(t.Context(), tok)
			wantNotFound(t, err, fmt.Sprintf("GetSessionAndUser(%q)", tok))
			if s != nil || su != nil {
				t.Errorf("GetSessionAndUser(%q) returned a session or user along with the error", tok)
			}
		}
	}},
	{"ManySessionsPerUser", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Multi-device", Email: "multi@example.com"})
		other := createUser(t, a, authjs.User{Name: "Other", Email: "other@example.com"})
		var sessions []authjs.DatabaseSession
		for i := range 3 {
			s := authjs.DatabaseSession{SessionToken: fmt.Sprintf("multi-%d", i), UserID: u.ID, Expires: future(time.Duration(i+1) * hour)}
			createSession(t, a, s)
			sessions = append(sessions, s)
		}
		otherSession := authjs.DatabaseSession{SessionToken: "other-0", UserID: other.ID, Expires: future(hour)}
		createSession(t, a, otherSession)
		for _, s := range sessions {
			gs, gu := getSession(t, a, s.SessionToken)
			checkSession(t, "GetSessionAndUser", gs, s)
			checkUser(t, "GetSessionAndUser", gu, authjs.User{ID: u.ID, Name: "Multi-device", Email: "multi@example.com"})
		}
		gs, gu := getSession(t, a, otherSession.SessionToken)
		checkSession(t, "GetSessionAndUser of the other user", gs, otherSession)
		checkUser(t, "GetSessionAndUser of the other user", gu, authjs.User{ID: other.ID, Name: "Other", Email: "other@example.com"})
	}},
	{"ExpiredSession", func(t *testing.T, a authjs.Adapter) {
		// The caller checks Expires: a store returns an expired session,
		// unless its records expire on their own (then ErrNotFound).
		u := createUser(t, a, authjs.User{Name: "Expired"})
		s := authjs.DatabaseSession{SessionToken: "expired-token", UserID: u.ID, Expires: time.Now().Add(-hour)}
		createSession(t, a, s)
		gs, gu, err := a.GetSessionAndUser(t.Context(), s.SessionToken)
		switch {
		case isNotFound(err):
			t.Log("the store forgets expired sessions (ErrNotFound)")
		case err != nil:
			t.Errorf("GetSessionAndUser of an expired session: got error %v, want the session or ErrNotFound", err)
		default:
			checkSession(t, "GetSessionAndUser of an expired session", gs, s)
			checkUser(t, "GetSessionAndUser of an expired session", gu, authjs.User{ID: u.ID, Name: "Expired"})
		}
	}},
	{"UpdateMovesExpires", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Refreshing"})
		other := createUser(t, a, authjs.User{Name: "Other"})
		s := authjs.DatabaseSession{SessionToken: "refresh-me", UserID: u.ID, Expires: future(hour)}
		bystander := authjs.DatabaseSession{SessionToken: "leave-me", UserID: u.ID, Expires: future(2 * hour)}
		createSession(t, a, s)
		createSession(t, a, bystander)
		for _, c := range []struct {
			name   string
			userID string
			moveBy time.Duration
		}{
			{"later", u.ID, 30 * 24 * hour},
			{"earlier", u.ID, 10 * time.Minute},
			{"without UserID", "", 7 * 24 * hour},
			{"with another UserID", other.ID, 3 * hour},
		} {
			t.Run(c.name, func(t *testing.T) {
				upd := authjs.DatabaseSession{SessionToken: s.SessionToken, UserID: c.userID, Expires: future(c.moveBy)}
				noErr(t, a.UpdateSession(t.Context(), upd), "UpdateSession")
				gs, gu := getSession(t, a, s.SessionToken)
				// UpdateSession sets the expiry only: the session keeps
				// its user whatever UserID the caller passed.
				checkSession(t, "GetSessionAndUser after UpdateSession", gs, authjs.DatabaseSession{SessionToken: s.SessionToken, UserID: u.ID, Expires: upd.Expires})
				checkUser(t, "GetSessionAndUser after UpdateSession", gu, authjs.User{ID: u.ID, Name: "Refreshing"})
				bs, _ := getSession(t, a, bystander.SessionToken)
				checkSession(t, "GetSessionAndUser of a session UpdateSession did not name", bs, bystander)
			})
		}
	}},
	{"UpdateUnknown", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Signed out"})
		s := authjs.DatabaseSession{SessionToken: "signed-out", UserID: u.ID, Expires: future(hour)}
		createSession(t, a, s)
		noErr(t, a.DeleteSession(t.Context(), s.SessionToken), "DeleteSession")
		// A refresh racing a sign-out must not bring the session back.
		for _, tok := range []string{s.SessionToken, "never-existed"} {
			err := a.UpdateSession(t.Context(), authjs.DatabaseSession{SessionToken: tok, UserID: u.ID, Expires: future(2 * hour)})
			wantNilOrNotFound(t, err, fmt.Sprintf("UpdateSession(%q) of a session that does not exist", tok))
			_, _, err = a.GetSessionAndUser(t.Context(), tok)
			wantNotFound(t, err, fmt.Sprintf("GetSessionAndUser(%q) after UpdateSession of a missing session (it must not be created)", tok))
		}
	}},
	{"Delete", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Signing out"})
		gone := authjs.DatabaseSession{SessionToken: "delete-me", UserID: u.ID, Expires: future(hour)}
		kept := authjs.DatabaseSession{SessionToken: "keep-me", UserID: u.ID, Expires: future(hour)}
		createSession(t, a, gone)
		createSession(t, a, kept)
		noErr(t, a.DeleteSession(t.Context(), gone.SessionToken), "DeleteSession")
		_, _, err := a.GetSessionAndUser(t.Context(), gone.SessionToken)
		wantNotFound(t, err, "GetSessionAndUser of a deleted session")
		noErr(t, a.DeleteSession(t.Context(), gone.SessionToken), "DeleteSession of a session already deleted")
		for _, tok := range []string{"never-existed", "", "' OR 1=1 --", "%"} {
			noErr(t, a.DeleteSession(t.Context(), tok), fmt.Sprintf("DeleteSession(%q) of an unknown session", tok))
		}
		ks, _ := getSession(t, a, kept.SessionToken)
		checkSession(t, "GetSessionAndUser of the session that was not deleted", ks, kept)
		getUser(t, a, u.ID)
	}},
	{"UserDeleted", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Leaving"})
		createSession(t, a, authjs.DatabaseSession{SessionToken: "orphaned", UserID: u.ID, Expires: future(hour)})
		noErr(t, a.DeleteUser(t.Context(), u.ID), "DeleteUser")
		s, su, err := a.GetSessionAndUser(t.Context(), "orphaned")
		wantNotFound(t, err, "GetSessionAndUser of a session whose user was deleted")
		if s != nil || su != nil {
			t.Error("GetSessionAndUser of a session whose user was deleted returned a session or user along with the error")
		}
	}},
	{"UserIsCurrent", func(t *testing.T, a authjs.Adapter) {
		// The user comes from the users records, not from a copy made
		// when the session was created.
		u := createUser(t, a, authjs.User{Name: "Before", Email: "before@example.com"})
		createSession(t, a, authjs.DatabaseSession{SessionToken: "current", UserID: u.ID, Expires: future(hour)})
		verified := time.Now()
		want := authjs.User{ID: u.ID, Name: "After", Email: "after@example.com", Image: "https://example.com/after.png", EmailVerified: &verified}
		_, err := a.UpdateUser(t.Context(), want)
		noErr(t, err, "UpdateUser")
		_, gu := getSession(t, a, "current")
		checkUser(t, "GetSessionAndUser after UpdateUser", gu, want)
	}},
	{"CreateForUnknownUser", func(t *testing.T, a authjs.Adapter) {
		createUser(t, a, authjs.User{Name: "Present"})
		for _, id := range []string{"", "abc", "123456789", "00000000-0000-0000-0000-000000000000"} {
			tok := "orphan-session-" + id
			err := a.CreateSession(t.Context(), authjs.DatabaseSession{SessionToken: tok, UserID: id, Expires: future(hour)})
			wantNilOrNotFound(t, err, fmt.Sprintf("CreateSession for the unknown user %q", id))
			_, _, err = a.GetSessionAndUser(t.Context(), tok)
			wantNotFound(t, err, fmt.Sprintf("GetSessionAndUser of a session of the unknown user %q", id))
		}
	}},
}
