// Package providers defines the sign-in methods ginauth offers.
//
// Every provider has an id (the :provider segment of /api/auth/signin/:provider
// and /api/auth/callback/:provider), a display name and a type, one of
// "credentials", "oauth", "oidc" and "email", as Auth.js reports them from
// /api/auth/providers. What a provider does is told by the interface it
// implements next to Provider: a credentials provider implements Authorizer.
package providers

import (
	"context"

	"github.com/ginauth/ginauth/internal/core"
)

// User is the identity a provider returns.
type User = core.User

// Provider types as reported by GET /api/auth/providers.
const (
	TypeCredentials = "credentials"
	TypeOAuth       = "oauth"
	TypeOIDC        = "oidc"
	TypeEmail       = "email"
)

// Provider is the part every sign-in method shares.
type Provider interface {
	// ID is the provider's URL segment, such as "credentials" or "github".
	ID() string
	// Name is shown on the sign-in page, such as "GitHub".
	Name() string
	// Type is one of TypeCredentials, TypeOAuth, TypeOIDC, TypeEmail.
	Type() string
}

// Field is one input of a credentials form.
type Field struct {
	// Name is the form field's name, such as "username".
	Name string
	// Label is shown beside the input; it defaults to Name.
	Label string
	// Type is the HTML input type: "text" (default), "password", "email", ….
	Type string
	// Placeholder is shown inside the empty input.
	Placeholder string
}

// Authorizer is implemented by credentials providers.
type Authorizer interface {
	Provider
	// Fields lists the form inputs shown on the sign-in page.
	Fields() []Field
	// Authorize checks the submitted form. It returns the user on success;
	// a nil user, ErrCredentialsSignin or a *CredentialsError to reject the
	// credentials; any other error for a failure of its own (which the
	// client sees as a Configuration error, never the error's text).
	Authorize(ctx context.Context, credentials map[string]string) (*User, error)
}

// ErrCredentialsSignin rejects credentials (errors.Is-compatible with
// ginauth.ErrCredentialsSignin).
var ErrCredentialsSignin = core.ErrCredentialsSignin

// CredentialsError rejects credentials with a client-visible code.
type CredentialsError = core.CredentialsError
