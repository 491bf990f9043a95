package adaptertest

import (
	"fmt"
	"testing"

	"github.com/ginauth/ginauth/authjs"
)

// checkAccount compares an account read back with the one linked, field
// by field.
func checkAccount(t *testing.T, call string, got *authjs.Account, want authjs.Account) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got a nil account", call)
		return
	}
	fields := []struct {
		name      string
		got, want any
	}{
		{"UserID", got.UserID, want.UserID},
		{"Provider", got.Provider, want.Provider},
		{"Type", got.Type, want.Type},
		{"ProviderAccountID", got.ProviderAccountID, want.ProviderAccountID},
		{"AccessToken (access_token)", got.AccessToken, want.AccessToken},
		{"RefreshToken (refresh_token)", got.RefreshToken, want.RefreshToken},
		{"ExpiresAt (expires_at)", got.ExpiresAt, want.ExpiresAt},
		{"IDToken (id_token)", got.IDToken, want.IDToken},
		{"Scope (scope)", got.Scope, want.Scope},
		{"TokenType (token_type)", got.TokenType, want.TokenType},
		{"SessionState (session_state)", got.SessionState, want.SessionState},
	}
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("%s: %s = %#v, want %#v", call, f.name, f.got, f.want)
		}
	}
}

// accountShapes are accounts as the provider types produce them.
func accountShapes(userID string) []struct {
	name    string
	account authjs.Account
} {
	full := oauthAccount(userID, "shape-oauth")
	oidc := authjs.Account{
		UserID: userID, Provider: "google", Type: authjs.TypeOIDC, ProviderAccountID: "109876543210987654321",
		AccessToken: "ya29.a0-access", ExpiresAt: 1700003600,
		IDToken: "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2FjY291bnRzLmdvb2dsZS5jb20ifQ.sig",
		Scope:   "openid email profile", TokenType: "Bearer", SessionState: "a1b2c3.d4e5",
	}
	return []struct {
		name    string
		account authjs.Account
	}{
		{"oauth with every token field", full},
		{"oidc without refresh token", oidc},
		{"oauth without tokens", authjs.Account{UserID: userID, Provider: "discord", Type: authjs.TypeOAuth, ProviderAccountID: "80351110224678912"}},
		{"oauth with a negative expires_at", authjs.Account{UserID: userID, Provider: "odd", Type: authjs.TypeOAuth, ProviderAccountID: "neg", AccessToken: "x", ExpiresAt: -1}},
		{"oauth with a large expires_at", authjs.Account{UserID: userID, Provider: "big", Type: authjs.TypeOAuth, ProviderAccountID: "big", ExpiresAt: 1 << 40}},
		{"oauth with a long token", authjs.Account{UserID: userID, Provider: "long", Type: authjs.TypeOAuth, ProviderAccountID: "long", AccessToken: longString(4096), IDToken: longString(8192)}},
		{"email", authjs.Account{UserID: userID, Provider: "email", Type: authjs.TypeEmail, ProviderAccountID: "someone@example.com"}},
		{"credentials", authjs.Account{UserID: userID, Provider: "credentials", Type: authjs.TypeCredentials, ProviderAccountID: userID}},
		{"webauthn", authjs.Account{UserID: userID, Provider: "passkey", Type: authjs.TypeWebAuthn, ProviderAccountID: "cred-account-1"}},
	}
}

var accountTests = []test{
	{"LinkRoundTrip", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Owner", Email: "owner@example.com"})
		wa, webauthn := a.(authjs.WebAuthnAdapter)
		if !webauthn {
			t.Log("the store does not implement authjs.WebAuthnAdapter: account fields cannot be read back, only the link is checked")
		}
		for _, c := range accountShapes(u.ID) {
			t.Run(c.name, func(t *testing.T) {
				linkAccount(t, a, c.account)
				got, err := a.GetUserByAccount(t.Context(), c.account.Provider, c.account.ProviderAccountID)
				noErr(t, err, "GetUserByAccount")
				checkUser(t, "GetUserByAccount", got, authjs.User{ID: u.ID, Name: "Owner", Email: "owner@example.com"})
				if webauthn {
					acct, err := wa.GetAccount(t.Context(), c.account.Provider, c.account.ProviderAccountID)
					noErr(t, err, "GetAccount")
					checkAccount(t, "GetAccount", acct, c.account)
				}
			})
		}
	}},
	{"ManyAccountsPerUser", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Many", Email: "many@example.com"})
		other := createUser(t, a, authjs.User{Name: "Other", Email: "other@example.com"})
		for _, p := range []string{"github", "google", "discord"} {
			acct := oauthAccount(u.ID, "many-"+p)
			acct.Provider = p
			linkAccount(t, a, acct)
		}
		linkAccount(t, a, oauthAccount(other.ID, "other-1"))
		for _, p := range []string{"github", "google", "discord"} {
			got, err := a.GetUserByAccount(t.Context(), p, "many-"+p)
			noErr(t, err, fmt.Sprintf("GetUserByAccount(%s)", p))
			checkUser(t, fmt.Sprintf("GetUserByAccount(%s)", p), got, authjs.User{ID: u.ID, Name: "Many", Email: "many@example.com"})
		}
	}},
	{"SameProviderAccountIDAtTwoProviders", func(t *testing.T, a authjs.Adapter) {
		u1 := createUser(t, a, authjs.User{Name: "At GitHub", Email: "gh@example.com"})
		u2 := createUser(t, a, authjs.User{Name: "At GitLab", Email: "gl@example.com"})
		gh := oauthAccount(u1.ID, "42")
		gl := oauthAccount(u2.ID, "42")
		gl.Provider = "gitlab"
		linkAccount(t, a, gh)
		linkAccount(t, a, gl)
		got, err := a.GetUserByAccount(t.Context(), "github", "42")
		noErr(t, err, "GetUserByAccount(github, 42)")
		checkUser(t, "GetUserByAccount(github, 42)", got, authjs.User{ID: u1.ID, Name: "At GitHub", Email: "gh@example.com"})
		got, err = a.GetUserByAccount(t.Context(), "gitlab", "42")
		noErr(t, err, "GetUserByAccount(gitlab, 42)")
		checkUser(t, "GetUserByAccount(gitlab, 42)", got, authjs.User{ID: u2.ID, Name: "At GitLab", Email: "gl@example.com"})
	}},
	{"DuplicateLinkIsConflict", func(t *testing.T, a authjs.Adapter) {
		owner := createUser(t, a, authjs.User{Name: "Owner", Email: "owner@example.com"})
		thief := createUser(t, a, authjs.User{Name: "Thief", Email: "thief@example.com"})
		original := oauthAccount(owner.ID, "7")
		linkAccount(t, a, original)
		cases := []struct {
			name   string
			userID string
		}{
			{"same user", owner.ID},
			{"another user", thief.ID},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				dup := oauthAccount(c.userID, "7")
				dup.AccessToken, dup.RefreshToken = "replaced-access", "replaced-refresh"
				wantConflict(t, a.LinkAccount(t.Context(), dup), "LinkAccount of an account already linked ("+c.name+")")
				got, err := a.GetUserByAccount(t.Context(), "github", "7")
				noErr(t, err, "GetUserByAccount after the conflict")
				checkUser(t, "GetUserByAccount after the conflict", got, authjs.User{ID: owner.ID, Name: "Owner", Email: "owner@example.com"})
				if wa, ok := a.(authjs.WebAuthnAdapter); ok {
					acct, err := wa.GetAccount(t.Context(), "github", "7")
					noErr(t, err, "GetAccount after the conflict")
					checkAccount(t, "GetAccount after the conflict (the first link must be kept whole)", acct, original)
				}
			})
		}
	}},
	{"Unlink", func(t *testing.T, a authjs.Adapter) {
		ctx := t.Context()
		u := createUser(t, a, authjs.User{Name: "Unlinker", Email: "unlinker@example.com"})
		linkAccount(t, a, oauthAccount(u.ID, "u-1"))
		google := oauthAccount(u.ID, "u-2")
		google.Provider = "google"
		linkAccount(t, a, google)

		noErr(t, a.UnlinkAccount(ctx, "github", "u-1"), "UnlinkAccount(github, u-1)")
		_, err := a.GetUserByAccount(ctx, "github", "u-1")
		wantNotFound(t, err, "GetUserByAccount of an unlinked account")
		if wa, ok := a.(authjs.WebAuthnAdapter); ok {
			_, err = wa.GetAccount(ctx, "github", "u-1")
			wantNotFound(t, err, "GetAccount of an unlinked account")
		}
		checkUser(t, "GetUser after UnlinkAccount (the user stays)", getUser(t, a, u.ID), authjs.User{ID: u.ID, Name: "Unlinker", Email: "unlinker@example.com"})
		got, err := a.GetUserByAccount(ctx, "google", "u-2")
		noErr(t, err, "GetUserByAccount of the user's other account")
		checkUser(t, "GetUserByAccount of the user's other account", got, authjs.User{ID: u.ID, Name: "Unlinker", Email: "unlinker@example.com"})

		wantNilOrNotFound(t, a.UnlinkAccount(ctx, "github", "u-1"), "UnlinkAccount of an account already unlinked")
		// The account can be linked again, to anyone.
		other := createUser(t, a, authjs.User{Name: "Next owner"})
		linkAccount(t, a, oauthAccount(other.ID, "u-1"))
		got, err = a.GetUserByAccount(ctx, "github", "u-1")
		noErr(t, err, "GetUserByAccount after relinking")
		checkUser(t, "GetUserByAccount after relinking", got, authjs.User{ID: other.ID, Name: "Next owner"})
	}},
	{"UnlinkUnknown", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Keeper"})
		linkAccount(t, a, oauthAccount(u.ID, "k-1"))
		for _, k := range [][2]string{{"github", "k-2"}, {"gitlab", "k-1"}, {"", ""}, {"github", "' OR 1=1 --"}} {
			wantNilOrNotFound(t, a.UnlinkAccount(t.Context(), k[0], k[1]), fmt.Sprintf("UnlinkAccount(%q, %q)", k[0], k[1]))
		}
		_, err := a.GetUserByAccount(t.Context(), "github", "k-1")
		noErr(t, err, "GetUserByAccount of an account that was not unlinked")
	}},
	{"LinkToUnknownUser", func(t *testing.T, a authjs.Adapter) {
		createUser(t, a, authjs.User{Name: "Present"})
		for _, id := range []string{"", "abc", "123456789", "00000000-0000-0000-0000-000000000000"} {
			acct := oauthAccount(id, "orphan-"+id)
			wantNilOrNotFound(t, a.LinkAccount(t.Context(), acct), fmt.Sprintf("LinkAccount to the unknown user %q", id))
			_, err := a.GetUserByAccount(t.Context(), acct.Provider, acct.ProviderAccountID)
			wantNotFound(t, err, fmt.Sprintf("GetUserByAccount of an account linked to the unknown user %q", id))
		}
	}},
}
