package providers

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// DefaultEmailMaxAge is how long a sign-in link works when Email.MaxAge is
// zero: 24 hours, as in Auth.js.
const DefaultEmailMaxAge = 24 * time.Hour

// Email signs users in with a link sent to their address (Auth.js's email
// provider, type "email"). It needs an Adapter that keeps verification
// tokens and users: the link's token is stored only as
// sha256(token + secret), used once, and the address becomes a verified
// user.
type Email struct {
	// ID is the provider's URL segment; "email" when empty.
	ID string
	// Name is shown on the sign-in page; "Email" when empty.
	Name string
	// Sender delivers the link, such as the SMTP sender of package
	// github.com/ginauth/ginauth/email. Required.
	Sender Sender
	// MaxAge is how long a link works; DefaultEmailMaxAge when zero.
	MaxAge time.Duration
	// GenerateToken makes the link's token; 32 random bytes as 64 hex
	// digits when nil. Tokens must be unguessable: only their hash is
	// stored, and whoever holds one signs in as the address.
	GenerateToken func() (string, error)
	// Normalize turns the submitted address into the one the link is sent
	// to and the user is keyed on, or refuses it with an error. When nil,
	// the dialect's own rules apply (NFKC, lower case, trimmed, one "@",
	// the domain cut at a ",", …), and the result must also be one plain
	// address as email.ValidateAddress defines it (no display name,
	// comment, list, quote, whitespace or invisible character), whatever
	// the Sender. A Normalize of the application's own replaces both: its
	// result goes to the Sender as it is.
	Normalize func(address string) (string, error)
	// Secret replaces the configuration's secret in the token's hash
	// (Auth.js's provider.secret); empty uses Config.Secret.
	Secret string
}

// Info returns the provider's id, name and type.
func (e Email) Info() Info {
	return Info{ID: cmp.Or(e.ID, "email"), Name: cmp.Or(e.Name, "Email"), Type: authjs.TypeEmail}
}

func (Email) provider() {}

// Validate reports a provider that cannot work.
func (e Email) Validate() error {
	switch {
	case e.Sender == nil:
		return errors.New("providers: an email provider needs a Sender")
	case e.MaxAge < 0:
		return errors.New("providers: an email provider's MaxAge may not be negative")
	}
	return nil
}

// A Sender delivers sign-in links.
type Sender interface {
	// SendVerificationRequest sends r.URL to r.Identifier. An error fails
	// the sign-in request with EmailSignin (v4) or Configuration (v5),
	// never with the error's text.
	SendVerificationRequest(ctx context.Context, r VerificationRequest) error
}

// SenderFunc adapts a function to a Sender.
type SenderFunc func(ctx context.Context, r VerificationRequest) error

// SendVerificationRequest calls f.
func (f SenderFunc) SendVerificationRequest(ctx context.Context, r VerificationRequest) error {
	return f(ctx, r)
}

// VerificationRequest is one sign-in link to deliver (the argument of
// Auth.js's sendVerificationRequest).
type VerificationRequest struct {
	// Identifier is the normalized address the link is for.
	Identifier string
	// URL is the link: the callback URL on the configured origin with the
	// token, the address and the callback URL in its query.
	URL string
	// Expires is when the link stops working.
	Expires time.Time
	// Token is the link's raw token (already in URL).
	Token string
	// Provider is the email provider's id.
	Provider string
	// Theme is the built-in pages' branding, for a message in their style.
	Theme Theme
	// Request is the sign-in request, for auditing by client address.
	Request *authjs.Request
}

// Theme is the branding of the built-in pages, passed to a Sender.
type Theme struct {
	// Name is the brand name ("Sign in" when the configuration has none).
	Name string
	// Color is the accent colour, "#rgb" or "#rrggbb".
	Color string
	// LogoURL is the logo's URL, or empty.
	LogoURL string
}
