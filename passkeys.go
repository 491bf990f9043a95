package ginauth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// Errors of Passkeys and DeletePasskey, matched with errors.Is.
var (
	// ErrNoPasskeyStore reports a call that needs an Adapter keeping
	// passkeys (authjs.WebAuthnAdapter, and authjs.AuthenticatorDeleter to
	// delete one) on an Auth without one. Every adapter of this module
	// keeps them.
	ErrNoPasskeyStore = errors.New("ginauth: the adapter does not keep passkeys")
	// ErrPasskeyNotFound reports a passkey that does not exist or is not
	// the given user's; it also matches authjs.ErrNotFound.
	ErrPasskeyNotFound = fmt.Errorf("ginauth: no such passkey: %w", authjs.ErrNotFound)
)

// Passkey is one of a user's passkeys, as Passkeys lists it, for an
// account page where users review and remove them.
type Passkey struct {
	// CredentialID names the passkey, as the store keeps it (standard
	// base64, as Auth.js writes it): what DeletePasskey takes.
	CredentialID string
	// Counter is the signature counter of the last sign-in; passkeys
	// that do not count stay at 0.
	Counter int64
	// Synced reports a passkey that can be synced to other devices
	// (credentialDeviceType "multiDevice"), such as one in a password
	// manager or a platform's keychain.
	Synced bool
	// BackedUp reports a passkey that was synced when it was registered.
	BackedUp bool
	// Transports lists how its authenticator is reached ("internal",
	// "hybrid", "usb", "nfc", "ble"), when the browser said.
	Transports []string
}

// webAuthnStore returns the adapter's passkey methods.
func (a *Auth) webAuthnStore() (authjs.WebAuthnAdapter, error) {
	if s, ok := a.cfg.Adapter.(authjs.WebAuthnAdapter); ok {
		return s, nil
	}
	return nil, ErrNoPasskeyStore
}

// Passkeys returns a user's passkeys (none for an unknown user). It needs
// an Adapter that keeps passkeys (ErrNoPasskeyStore otherwise).
func (a *Auth) Passkeys(ctx context.Context, userID string) ([]Passkey, error) {
	s, err := a.webAuthnStore()
	if err != nil {
		return nil, err
	}
	list, err := s.ListAuthenticatorsByUserID(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("ginauth: listing passkeys: %w", err)
	}
	out := make([]Passkey, 0, len(list))
	for _, k := range list {
		p := Passkey{CredentialID: k.CredentialID, Counter: k.Counter, Synced: k.CredentialDeviceType == "multiDevice", BackedUp: k.CredentialBackedUp}
		if k.Transports != "" {
			p.Transports = strings.Split(k.Transports, ",")
		}
		out = append(out, p)
	}
	return out, nil
}

// DeletePasskey removes one of a user's passkeys: it no longer signs in.
// The passkey must be the user's: one of another user, like one that does
// not exist, is ErrPasskeyNotFound and is left alone, so that a handler
// may pass the signed-in user's ID and a credential ID from a form. The
// passkey's webauthn account goes too when no other passkey uses it. The
// user's sessions stay; removing the last passkey of a user who has no
// other way to sign in is the application's call. It needs an Adapter
// implementing authjs.AuthenticatorDeleter (ErrNoPasskeyStore otherwise).
func (a *Auth) DeletePasskey(ctx context.Context, userID, credentialID string) error {
	s, err := a.webAuthnStore()
	if err != nil {
		return err
	}
	del, ok := a.cfg.Adapter.(authjs.AuthenticatorDeleter)
	if !ok {
		return ErrNoPasskeyStore
	}
	if userID == "" || credentialID == "" {
		return ErrPasskeyNotFound
	}
	k, err := s.GetAuthenticator(ctx, credentialID)
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		return ErrPasskeyNotFound
	case err != nil:
		return fmt.Errorf("ginauth: reading the passkey: %w", err)
	case k.UserID != userID || k.CredentialID != credentialID:
		return ErrPasskeyNotFound
	}
	switch err := del.DeleteAuthenticator(ctx, credentialID); {
	case errors.Is(err, authjs.ErrNotFound): // deleted meanwhile
		return ErrPasskeyNotFound
	case err != nil:
		return fmt.Errorf("ginauth: deleting the passkey: %w", err)
	}
	rest, err := s.ListAuthenticatorsByUserID(ctx, userID)
	if err != nil {
		return fmt.Errorf("ginauth: the passkey is deleted, its account may remain: %w", err)
	}
	for _, other := range rest {
		if other.ProviderAccountID == k.ProviderAccountID {
			return nil
		}
	}
	for _, id := range a.passkeyProviderIDs() {
		acc, err := s.GetAccount(ctx, id, k.ProviderAccountID)
		switch {
		case errors.Is(err, authjs.ErrNotFound):
			continue
		case err != nil:
			return fmt.Errorf("ginauth: the passkey is deleted, its account may remain: %w", err)
		case acc.UserID != userID:
			continue
		}
		if err := a.cfg.Adapter.UnlinkAccount(ctx, id, k.ProviderAccountID); err != nil {
			return fmt.Errorf("ginauth: the passkey is deleted, its account remains: %w", err)
		}
	}
	return nil
}

// passkeyProviderIDs returns the ids of the passkey providers, or
// Auth.js's default "passkey" when none is configured.
func (a *Auth) passkeyProviderIDs() []string {
	var ids []string
	for _, p := range a.cfg.Providers {
		switch p := p.(type) {
		case providers.WebAuthn:
			ids = append(ids, p.Info().ID)
		case *providers.WebAuthn:
			if p != nil {
				ids = append(ids, p.Info().ID)
			}
		}
	}
	if len(ids) == 0 {
		ids = []string{"passkey"}
	}
	return ids
}
