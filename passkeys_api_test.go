package ginauth_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/webauthntest"
)

// TestPasskeysAPI lists and deletes a user's passkeys on every store: a
// user cannot delete another's, a deleted passkey no longer signs in, and
// its account goes with it.
func TestPasskeysAPI(t *testing.T) {
	forPasskeyStores(t, func(t *testing.T, open func(t *testing.T) authjs.Adapter) {
		p := newPasskeyApp(t, open(t), nil)
		ctx := t.Context()
		wa := p.store.(authjs.WebAuthnAdapter)
		wantURL(t, p.register(p.key, "owner@example.com", webauthntest.Tamper{}), p.origin+"/account")
		second := &webauthntest.Authenticator{Synced: true}
		wantURL(t, p.register(second, "", webauthntest.Tamper{}), p.origin+"/account")
		owner, err := p.store.GetUserByEmail(ctx, "owner@example.com")
		if err != nil {
			t.Fatal(err)
		}
		p.newBrowser()
		wantURL(t, p.register(&webauthntest.Authenticator{}, "other@example.com", webauthntest.Tamper{}), p.origin+"/account")
		other, err := p.store.GetUserByEmail(ctx, "other@example.com")
		if err != nil {
			t.Fatal(err)
		}
		// A passkey Auth.js registered for the owner: its account is
		// named by the credential ID.
		authjsKey := &webauthntest.Authenticator{}
		signInAsAuthJS(t, p, authjsKey, owner)

		list, err := p.auth.Passkeys(ctx, owner.ID)
		if err != nil || len(list) != 3 {
			t.Fatalf("Passkeys: %+v, %v", list, err)
		}
		id := func(k *webauthntest.Authenticator) string {
			return base64.StdEncoding.EncodeToString(k.Credentials()[0].ID)
		}
		byID := map[string]ginauth.Passkey{}
		for _, k := range list {
			byID[k.CredentialID] = k
		}
		if k := byID[id(second)]; !k.Synced || !k.BackedUp || len(k.Transports) != 1 || k.Transports[0] != "internal" {
			t.Errorf("synced passkey listed as %+v", k)
		}
		if k, ok := byID[id(p.key)]; !ok || k.Synced || k.BackedUp {
			t.Errorf("first passkey listed as %+v", k)
		}
		if l, err := p.auth.Passkeys(ctx, "no-such-user"); err != nil || len(l) != 0 {
			t.Errorf("Passkeys of an unknown user: %v, %v", l, err)
		}

		// Not the owner's: refused, left alone.
		otherKey, err := p.auth.Passkeys(ctx, other.ID)
		if err != nil || len(otherKey) != 1 {
			t.Fatalf("other's passkeys: %v, %v", otherKey, err)
		}
		for _, c := range []struct{ user, cred string }{
			{owner.ID, otherKey[0].CredentialID}, {other.ID, id(p.key)}, {owner.ID, "bm90LWEta2V5"}, {"", id(p.key)}, {owner.ID, ""},
			{owner.ID, base64.RawURLEncoding.EncodeToString(p.key.Credentials()[0].ID)},
		} {
			if err := p.auth.DeletePasskey(ctx, c.user, c.cred); !errors.Is(err, ginauth.ErrPasskeyNotFound) || !errors.Is(err, authjs.ErrNotFound) {
				t.Errorf("DeletePasskey(%q, %q) = %v, want ErrPasskeyNotFound", c.user, c.cred, err)
			}
		}
		if _, err := wa.GetAuthenticator(ctx, otherKey[0].CredentialID); err != nil {
			t.Errorf("another's passkey was deleted: %v", err)
		}

		// The owner's: gone, with its account; it no longer signs in.
		first, _ := wa.GetAuthenticator(ctx, id(p.key))
		if err := p.auth.DeletePasskey(ctx, owner.ID, id(p.key)); err != nil {
			t.Fatalf("DeletePasskey: %v", err)
		}
		if _, err := wa.GetAccount(ctx, "passkey", first.ProviderAccountID); !errors.Is(err, authjs.ErrNotFound) {
			t.Errorf("its account remains: %v", err)
		}
		if err := p.auth.DeletePasskey(ctx, owner.ID, id(p.key)); !errors.Is(err, ginauth.ErrPasskeyNotFound) {
			t.Errorf("second delete: %v", err)
		}
		p.newBrowser()
		p.wantRefused(p.authenticate(p.key, webauthntest.Tamper{}), "Configuration")
		// The Auth.js one too.
		if err := p.auth.DeletePasskey(ctx, owner.ID, id(authjsKey)); err != nil {
			t.Fatalf("DeletePasskey (Auth.js record): %v", err)
		}
		if _, err := wa.GetAccount(ctx, "passkey", id(authjsKey)); !errors.Is(err, authjs.ErrNotFound) {
			t.Errorf("the Auth.js passkey's account remains: %v", err)
		}
		list, _ = p.auth.Passkeys(ctx, owner.ID)
		if len(list) != 1 || list[0].CredentialID != id(second) {
			t.Errorf("left: %+v", list)
		}
		wantURL(t, p.authenticate(second, webauthntest.Tamper{}), p.origin+"/account")
		if got := p.sessionEmail(); got != "owner@example.com" {
			t.Errorf("the remaining passkey signs in as %q", got)
		}
	})

	t.Run("no store", func(t *testing.T) {
		type onlyAdapter struct{ authjs.Adapter }
		for _, adapter := range []authjs.Adapter{nil, onlyAdapter{memory.New()}} {
			a, err := ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://localhost:3000", Adapter: adapter})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Passkeys(t.Context(), "1"); !errors.Is(err, ginauth.ErrNoPasskeyStore) {
				t.Errorf("Passkeys: %v", err)
			}
			if err := a.DeletePasskey(t.Context(), "1", "x"); !errors.Is(err, ginauth.ErrNoPasskeyStore) {
				t.Errorf("DeletePasskey: %v", err)
			}
		}
	})
}

// signInAsAuthJS stores a passkey of key for user as Auth.js registers
// them (account named by the credential ID) and signs in with it.
func signInAsAuthJS(t *testing.T, p *passkeyApp, key *webauthntest.Authenticator, user *authjs.User) {
	t.Helper()
	opts := `{"challenge":"AAAA","rp":{"id":"localhost"},"user":{"id":"` + randomSuffix() + `"},"pubKeyCredParams":[{"alg":-8}]}`
	if _, _, err := key.Register([]byte(opts), p.origin, webauthntest.Tamper{}); err != nil {
		t.Fatal(err)
	}
	c := key.Credentials()[len(key.Credentials())-1]
	storeCredential(t, p.store, c, user.ID, base64.StdEncoding.EncodeToString(c.ID))
	p.newBrowser()
	wantURL(t, p.authenticate(key, webauthntest.Tamper{}), p.origin+"/account")
	if got := p.sessionEmail(); got != user.Email {
		t.Fatalf("signed in as %q, want %q", got, user.Email)
	}
}
