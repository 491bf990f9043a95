package adaptertest

import (
	"errors"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/accounts"
)

// A resolveRow is one account-linking rule of Auth.js (protocol spec §8.6)
// checked against the store.
type resolveRow struct {
	name string
	// linked: the account is already linked to the user "owner".
	linked bool
	// current: who is signed in: "", "owner" or "other".
	current string
	// email: the profile's email: "owner" (the owner's address), "fresh"
	// (nobody's) or "" (none).
	email       string
	linkByEmail bool
	// want: the user signed in: "owner", "other" or "new"; or wantErr.
	want                    string
	wantErr                 error
	wantCreated, wantLinked bool
}

var resolveRows = []resolveRow{
	{name: "KnownAccountSignsItsUserIn", linked: true, email: "owner", want: "owner"},
	{name: "KnownAccountWithChangedEmail", linked: true, email: "fresh", want: "owner"},
	{name: "KnownAccountSignedInAsItsUser", linked: true, current: "owner", email: "owner", want: "owner"},
	{name: "KnownAccountSignedInAsAnotherUser", linked: true, current: "other", email: "owner", wantErr: accounts.ErrNotLinked},
	{name: "UnknownAccountSignedInLinksToCurrentUser", current: "other", email: "fresh", want: "other", wantLinked: true},
	{name: "UnknownAccountSignedInIgnoresEmailOwner", current: "other", email: "owner", want: "other", wantLinked: true},
	{name: "UnknownAccountEmailTakenIsNotLinked", email: "owner", wantErr: accounts.ErrNotLinked},
	{name: "UnknownAccountEmailTakenLinkByEmail", email: "owner", linkByEmail: true, want: "owner", wantLinked: true},
	{name: "UnknownAccountNewEmailCreatesUser", email: "fresh", want: "new", wantCreated: true, wantLinked: true},
	{name: "UnknownAccountNewEmailLinkByEmailCreatesUser", email: "fresh", linkByEmail: true, want: "new", wantCreated: true, wantLinked: true},
	{name: "UnknownAccountWithoutEmailCreatesUser", email: "", want: "new", wantCreated: true, wantLinked: true},
}

// runResolveRow sets up the store for one row, resolves the sign-in and
// checks the result and the store.
func runResolveRow(t *testing.T, a authjs.Adapter, row resolveRow) {
	ctx := t.Context()
	owner := createUser(t, a, authjs.User{Name: "Owner", Email: "owner@example.com"})
	other := createUser(t, a, authjs.User{Name: "Other", Email: "other@example.com"})
	acct := oauthAccount("", "resolve-1")
	if row.linked {
		linked := acct
		linked.UserID = owner.ID
		linkAccount(t, a, linked)
	}
	users := map[string]*authjs.User{"owner": owner, "other": other}
	emails := map[string]string{"owner": "owner@example.com", "fresh": "fresh@example.com", "": ""}
	verified := time.Now()
	req := accounts.Request{
		Account: acct,
		// The profile's ID and EmailVerified never reach the store.
		Profile:     authjs.User{ID: "profile-id", Name: "Profile Name", Email: emails[row.email], Image: "https://example.com/profile.png", EmailVerified: &verified},
		Current:     users[row.current],
		LinkByEmail: row.linkByEmail,
	}
	req.Account.UserID = "ignored-user-id"

	res, err := accounts.Resolve(ctx, a, req)

	if row.wantErr != nil {
		if !errors.Is(err, row.wantErr) {
			t.Fatalf("Resolve: got (%+v, %v), want error %v", res, err, row.wantErr)
		}
		got, err := a.GetUserByAccount(ctx, acct.Provider, acct.ProviderAccountID)
		if row.linked {
			noErr(t, err, "GetUserByAccount after the refused sign-in")
			if got.ID != owner.ID {
				t.Errorf("GetUserByAccount after the refused sign-in = user %q, want the owner %q", got.ID, owner.ID)
			}
		} else {
			wantNotFound(t, err, "GetUserByAccount after the refused sign-in (nothing may be linked)")
		}
		return
	}
	noErr(t, err, "Resolve")
	if res.User == nil {
		t.Fatal("Resolve returned no user and no error")
	}
	if res.Created != row.wantCreated || res.Linked != row.wantLinked {
		t.Errorf("Resolve: Created = %v, Linked = %v; want %v, %v", res.Created, res.Linked, row.wantCreated, row.wantLinked)
	}
	switch row.want {
	case "new":
		if res.User.ID == owner.ID || res.User.ID == other.ID {
			t.Fatalf("Resolve signed in existing user %q, want a new user", res.User.ID)
		}
		want := authjs.User{ID: res.User.ID, Name: "Profile Name", Email: emails[row.email], Image: "https://example.com/profile.png"}
		// A new user's email is not verified (Auth.js creates it with
		// emailVerified null), whatever the profile said.
		checkUser(t, "Resolve result", res.User, want)
		checkUser(t, "GetUser of the new user", getUser(t, a, res.User.ID), want)
	default:
		want := users[row.want]
		if res.User.ID != want.ID {
			t.Fatalf("Resolve signed in user %q, want the %s %q", res.User.ID, row.want, want.ID)
		}
		// An existing user is not changed by the profile.
		checkUser(t, "GetUser of the signed-in user", getUser(t, a, want.ID), *want)
	}
	got, err := a.GetUserByAccount(ctx, acct.Provider, acct.ProviderAccountID)
	noErr(t, err, "GetUserByAccount after Resolve")
	if got.ID != res.User.ID {
		t.Errorf("GetUserByAccount after Resolve = user %q, want the signed-in user %q", got.ID, res.User.ID)
	}
	if wa, ok := a.(authjs.WebAuthnAdapter); ok && row.wantLinked {
		linked, err := wa.GetAccount(ctx, acct.Provider, acct.ProviderAccountID)
		noErr(t, err, "GetAccount after Resolve")
		want := acct
		want.UserID = res.User.ID
		checkAccount(t, "GetAccount after Resolve", linked, want)
	}
}

var resolveTests = func() []test {
	var tests []test
	for _, row := range resolveRows {
		tests = append(tests, test{row.name, func(t *testing.T, a authjs.Adapter) { runResolveRow(t, a, row) }})
	}
	return tests
}()
