package providers

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/ginauth/ginauth/authjs"
)

// Credentials is a provider that signs users in with a form whose fields
// the application checks in Authorize.
type Credentials struct {
	// ID is the provider's URL segment; "credentials" when empty.
	ID string
	// Name is shown on the sign-in page; "Credentials" when empty.
	Name string
	// Fields are the form's inputs; a "username" text input and a
	// "password" input when empty.
	Fields []Field
	// Authorize checks the submitted form: every string field of the
	// request body except csrfToken. It returns the user on success; a nil
	// user, ErrCredentialsSignin or a *CredentialsError to reject the
	// credentials; any other error for a failure of its own, which the
	// client sees as a Configuration error, never the error's text. r is
	// the request, for throttling and auditing by client address.
	//
	// Compare passwords with golang.org/x/crypto/bcrypt or argon2, never
	// with ==, and spend the same time on unknown users.
	//
	// With the database session strategy the session belongs to a user of
	// the Adapter: the one this provider's account (provider ID, returned
	// user's ID) is linked to; else the stored user with the returned ID
	// and the same email, to which the account is then linked; else a new
	// user with the account linked, created as a first OAuth sign-in is
	// (an email another user has fails with OAuthAccountNotLinked unless
	// AllowDangerousEmailAccountLinking). With the JWT strategy nothing is
	// stored, as in Auth.js: the token's sub is the returned ID.
	Authorize func(ctx context.Context, credentials map[string]string, r *authjs.Request) (*authjs.User, error)
	// IdentifierField is the form field that names the account, whose
	// attempts the configuration's Throttle limits. When empty it is
	// "username" if the form has that field, else the form's email field
	// (named "email" or of type "email"), else "username".
	IdentifierField string
	// AllowDangerousEmailAccountLinking lets a first database-session
	// sign-in link to an existing user of the Adapter with the same email
	// address; without it such a sign-in fails with OAuthAccountNotLinked.
	AllowDangerousEmailAccountLinking bool
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

// Info returns the provider's id, name and type.
func (c Credentials) Info() Info {
	return Info{ID: cmp.Or(c.ID, "credentials"), Name: cmp.Or(c.Name, "Credentials"), Type: authjs.TypeCredentials}
}

func (Credentials) provider() {}

// Form returns the form's inputs with their defaults applied.
func (c Credentials) Form() []Field {
	if len(c.Fields) == 0 {
		return []Field{
			{Name: "username", Label: "Username", Type: "text"},
			{Name: "password", Label: "Password", Type: "password"},
		}
	}
	out := make([]Field, len(c.Fields))
	for i, f := range c.Fields {
		f.Label = cmp.Or(f.Label, f.Name)
		f.Type = cmp.Or(f.Type, "text")
		out[i] = f
	}
	return out
}

// Identifier returns the name of the field that names the account.
func (c Credentials) Identifier() string {
	if c.IdentifierField != "" {
		return c.IdentifierField
	}
	email := ""
	for _, f := range c.Form() {
		switch {
		case f.Name == "username":
			return "username"
		case email == "" && (f.Name == "email" || f.Type == "email"):
			email = f.Name
		}
	}
	if email != "" {
		return email
	}
	return "username"
}

// Validate reports a provider that cannot work.
func (c Credentials) Validate() error {
	if c.Authorize == nil {
		return errors.New("providers: a credentials provider needs an Authorize function")
	}
	for _, f := range c.Fields {
		if f.Name == "" || f.Name == "csrfToken" {
			return fmt.Errorf("providers: credentials field name %q is empty or reserved", f.Name)
		}
	}
	return nil
}

// ErrCredentialsSignin is returned by (or wrapped in errors from) an
// Authorize function to reject the credentials. Returning a nil user and a
// nil error means the same.
var ErrCredentialsSignin = errors.New("providers: invalid credentials")

// CredentialsError rejects credentials with a specific code, which reaches
// the client as ?error=CredentialsSignin&code=<Code> (Auth.js v5's
// CredentialsSignin subclasses) or ?error=<Code> (v4). It matches
// ErrCredentialsSignin with errors.Is.
type CredentialsError struct {
	// Code is a short, client-safe reason such as "invalid_otp". Empty
	// means "credentials".
	Code string
}

// Error implements error.
func (e *CredentialsError) Error() string {
	if e.Code == "" {
		return ErrCredentialsSignin.Error()
	}
	return ErrCredentialsSignin.Error() + ": " + e.Code
}

// Is reports whether target is ErrCredentialsSignin.
func (e *CredentialsError) Is(target error) bool { return target == ErrCredentialsSignin }
