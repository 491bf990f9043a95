// Package providers declares the sign-in methods ginauth offers: a
// credentials form checked by the application (Credentials), links sent by
// email (Email), passkeys (Passkey, a WebAuthn provider), and OAuth 2.0 and
// OpenID Connect providers (OAuth), with presets for the well-known
// identity providers.
//
// A provider here is plain data: a struct whose fields say what the provider
// is. ginauth.New validates the providers it is given and builds what runs
// them (the OAuth 2.0 flow on golang.org/x/oauth2, OpenID Connect discovery
// and ID-token verification on github.com/coreos/go-oidc/v3), so a provider
// value can be copied, compared in tests and changed field by field before
// New, and nothing here exposes the machinery the endpoints drive.
//
// Presets are functions returning a filled-in OAuth value: the declaration
// of one identity provider (endpoints or issuer, scopes, checks, client
// authentication, profile mapping) with the fields of the OAuth value given
// to them laid over it, as Auth.js's provider options are:
//
//	providers.GitHub(providers.OAuth{ClientID: id, ClientSecret: secret})
//
// Every field of the result can still be set before it is passed to New.
//
// Passkey returns Auth.js's passkey provider, which speaks @auth/core's
// WebAuthn protocol (GET /api/auth/webauthn-options/passkey, then POST
// /api/auth/callback/passkey) to next-auth/webauthn in the browser; the
// ceremonies are verified by github.com/go-webauthn/webauthn. It stores
// users, accounts and authenticators through the Adapter as Auth.js does,
// so passkeys registered by an Auth.js application sharing the database
// sign in here and the other way round. Unlike Auth.js, each challenge is
// also kept in the Adapter until it is used, so that it works once.
package providers

import "github.com/ginauth/ginauth/authjs"

// Info identifies a provider.
type Info struct {
	// ID is the provider's URL segment, such as "github": the :provider of
	// /api/auth/signin/:provider and /api/auth/callback/:provider.
	ID string
	// Name is shown on the sign-in page, such as "GitHub".
	Name string
	// Type is the provider's type.
	Type authjs.ProviderType
}

// Provider is a sign-in method: a Credentials, Email, WebAuthn or OAuth
// value (or a pointer to one). The set is closed: the endpoints know how
// to run each.
type Provider interface {
	// Info returns the provider's id, name and type, defaults applied.
	Info() Info
	provider()
}
