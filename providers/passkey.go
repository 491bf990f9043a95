package providers

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// DefaultPasskeyTimeout is how long the browser waits for the
// authenticator when PasskeyConfig.Timeout is zero: 5 minutes, as in
// Auth.js.
const DefaultPasskeyTimeout = 5 * time.Minute

// PasskeyConfig configures Passkey. The zero value is what most
// applications want: the relying party is the configured URL
// (ginauth.Config.URL), never the request's Host.
type PasskeyConfig struct {
	// ID is the provider's URL segment; "passkey" when empty.
	ID string
	// Name is shown on the sign-in page; "Passkey" when empty.
	Name string
	// RPID is the relying party id passkeys are bound to: a domain, the
	// configured URL's hostname when empty. A passkey made for one rp id
	// signs in nowhere else; changing it strands every passkey made
	// before.
	RPID string
	// RPName is the relying party name authenticators show; the
	// configured URL's host when empty.
	RPName string
	// Origins are the origins allowed to run the ceremonies, such as
	// "https://app.example.com"; the configured URL's origin when empty.
	// Each must be an http(s) origin whose host is RPID or a subdomain of
	// it.
	Origins []string
	// Timeout is how long the browser waits for the authenticator;
	// DefaultPasskeyTimeout when zero.
	Timeout time.Duration
	// DisableSignUp refuses to register a passkey for an address that
	// has no account yet: only signed-in users add passkeys.
	DisableSignUp bool
}

// WebAuthn is a passkey provider (Auth.js's WebAuthn provider, type
// "webauthn"), made by Passkey. It signs users in with discoverable
// credentials (no username), lets a signed-in user add passkeys and, unless
// DisableSignUp, creates an account with a passkey for a new address. It
// needs Auth.js v5's dialect, ginauth.Config.URL and an Adapter that keeps
// authenticators (authjs.WebAuthnAdapter).
type WebAuthn struct {
	PasskeyConfig
}

// Passkey returns a passkey provider: Auth.js's Passkey provider (id
// "passkey"), speaking the protocol of @auth/core's WebAuthn endpoints that
// next-auth/webauthn's signIn("passkey") drives. User verification is
// required, passkeys must be discoverable (resident), and attestation is
// not asked for.
func Passkey(cfg PasskeyConfig) WebAuthn {
	return WebAuthn{PasskeyConfig: cfg}
}

// Info returns the provider's id, name and type.
func (w WebAuthn) Info() Info {
	return Info{ID: cmp.Or(w.ID, "passkey"), Name: cmp.Or(w.Name, "Passkey"), Type: authjs.TypeWebAuthn}
}

func (WebAuthn) provider() {}

// Validate reports a provider that cannot work on its own; ginauth.New
// also checks it against the configured URL.
func (w WebAuthn) Validate() error {
	if w.Timeout < 0 {
		return errors.New("providers: a passkey provider's Timeout may not be negative")
	}
	if w.RPID != "" && (strings.ContainsAny(w.RPID, ":/ ") || strings.Trim(w.RPID, ".") != w.RPID) {
		return fmt.Errorf("providers: a passkey provider's RPID must be a domain such as example.com, got %q", w.RPID)
	}
	for _, o := range w.Origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("providers: a passkey provider's Origins must be http(s) origins such as https://app.example.com, got %q", o)
		}
	}
	return nil
}
