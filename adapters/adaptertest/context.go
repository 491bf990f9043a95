package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// call runs f, reporting a panic as panicked and an error.
func call(f func() error) (panicked bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			panicked, err = true, fmt.Errorf("panic: %v", r)
		}
	}()
	return false, f()
}

// A ctxCall is one method call made with a dead context.
type ctxCall struct {
	name string
	// existing: the call names a record that exists, so ErrNotFound
	// would be a lie.
	existing bool
	f        func() error
}

// deadContexts are the contexts a store must refuse to work under.
func deadContexts(t *testing.T) []struct {
	name string
	ctx  context.Context
} {
	expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	t.Cleanup(cancel)
	return []struct {
		name string
		ctx  context.Context
	}{
		{"cancelled", ctxCancelled(t)},
		{"deadline exceeded", expired},
	}
}

var contextTests = []test{
	{"DeadContextFails", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Existing", Email: "existing@example.com"})
		linkAccount(t, a, oauthAccount(u.ID, "ctx-1"))
		s := authjs.DatabaseSession{SessionToken: "ctx-session", UserID: u.ID, Expires: future(hour)}
		createSession(t, a, s)
		vt := authjs.VerificationToken{Identifier: "existing@example.com", Token: tokenHash, Expires: future(hour)}
		createToken(t, a, vt)
		var cred *authjs.Authenticator
		if w, ok := a.(authjs.WebAuthnAdapter); ok {
			if _, ok := a.(authjs.AuthenticatorDeleter); ok {
				k := testAuthenticator(u.ID, "Y3R4LWNyZWQ=")
				noErr(t, w.CreateAuthenticator(t.Context(), k), "CreateAuthenticator")
				cred = &k
			}
		}

		for _, dc := range deadContexts(t) {
			t.Run(dc.name, func(t *testing.T) {
				ctx := dc.ctx
				calls := []ctxCall{
					{"GetUser", true, func() error { _, err := a.GetUser(ctx, u.ID); return err }},
					{"GetUserByEmail", true, func() error { _, err := a.GetUserByEmail(ctx, u.Email); return err }},
					{"GetUserByAccount", true, func() error { _, err := a.GetUserByAccount(ctx, "github", "ctx-1"); return err }},
					{"GetSessionAndUser", true, func() error { _, _, err := a.GetSessionAndUser(ctx, s.SessionToken); return err }},
					{"UseVerificationToken", true, func() error { _, err := a.UseVerificationToken(ctx, vt.Identifier, vt.Token); return err }},
					{"UpdateUser", true, func() error {
						_, err := a.UpdateUser(ctx, authjs.User{ID: u.ID, Name: "Changed", Email: u.Email})
						return err
					}},
					{"UpdateSession", true, func() error {
						return a.UpdateSession(ctx, authjs.DatabaseSession{SessionToken: s.SessionToken, Expires: future(48 * hour)})
					}},
					{"DeleteSession", true, func() error { return a.DeleteSession(ctx, s.SessionToken) }},
					{"UnlinkAccount", true, func() error { return a.UnlinkAccount(ctx, "github", "ctx-1") }},
					{"DeleteUser", true, func() error { return a.DeleteUser(ctx, u.ID) }},
					{"CreateUser", false, func() error {
						_, err := a.CreateUser(ctx, authjs.User{Name: "Never", Email: "never@example.com"})
						return err
					}},
					{"LinkAccount", false, func() error { return a.LinkAccount(ctx, oauthAccount(u.ID, "never")) }},
					{"CreateSession", false, func() error {
						return a.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "never", UserID: u.ID, Expires: future(hour)})
					}},
					{"CreateVerificationToken", false, func() error {
						return a.CreateVerificationToken(ctx, authjs.VerificationToken{Identifier: "never@example.com", Token: tokenHash, Expires: future(hour)})
					}},
				}
				if l, ok := a.(authjs.SessionLister); ok {
					calls = append(calls,
						ctxCall{"ListSessions", true, func() error { _, err := l.ListSessions(ctx, u.ID); return err }},
						ctxCall{"DeleteSessions", true, func() error { _, err := l.DeleteSessions(ctx, u.ID); return err }},
					)
				}
				if w, ok := a.(authjs.WebAuthnAdapter); ok {
					calls = append(calls,
						ctxCall{"GetAccount", true, func() error { _, err := w.GetAccount(ctx, "github", "ctx-1"); return err }},
						ctxCall{"CreateAuthenticator", false, func() error { return w.CreateAuthenticator(ctx, testAuthenticator(u.ID, "never")) }},
					)
				}
				if d, ok := a.(authjs.AuthenticatorDeleter); ok && cred != nil {
					calls = append(calls, ctxCall{"DeleteAuthenticator", true, func() error { return d.DeleteAuthenticator(ctx, cred.CredentialID) }})
				}
				for _, c := range calls {
					panicked, err := call(c.f)
					switch {
					case panicked:
						t.Errorf("%s with a %s context: %v", c.name, dc.name, err)
					case err == nil:
						t.Errorf("%s with a %s context succeeded; want an error", c.name, dc.name)
					case c.existing && errors.Is(err, authjs.ErrNotFound):
						t.Errorf("%s of an existing record with a %s context: got %v; want an error that does not match ErrNotFound (a failed store is not a missing record)", c.name, dc.name, err)
					}
				}
			})
		}

		// Nothing the refused calls named changed.
		checkUser(t, "GetUser after the refused calls", getUser(t, a, u.ID), authjs.User{ID: u.ID, Name: "Existing", Email: "existing@example.com"})
		gs, _ := getSession(t, a, s.SessionToken)
		checkSession(t, "GetSessionAndUser after the refused calls", gs, s)
		got, err := a.GetUserByAccount(t.Context(), "github", "ctx-1")
		noErr(t, err, "GetUserByAccount after the refused calls")
		checkUser(t, "GetUserByAccount after the refused calls", got, authjs.User{ID: u.ID, Name: "Existing", Email: "existing@example.com"})
		_, err = a.GetUserByEmail(t.Context(), "never@example.com")
		wantNotFound(t, err, "GetUserByEmail of a user CreateUser refused to create")
		_, err = a.GetUserByAccount(t.Context(), "github", "never")
		wantNotFound(t, err, "GetUserByAccount of an account LinkAccount refused to link")
		_, _, err = a.GetSessionAndUser(t.Context(), "never")
		wantNotFound(t, err, "GetSessionAndUser of a session CreateSession refused to create")
		useToken(t, a, vt)
		if cred != nil {
			got, err := a.(authjs.WebAuthnAdapter).GetAuthenticator(t.Context(), cred.CredentialID)
			noErr(t, err, "GetAuthenticator after the refused calls")
			checkAuthenticator(t, "GetAuthenticator after the refused calls", got, *cred)
		}
	}},
}
