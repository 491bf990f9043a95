package providers

import (
	"context"
	"errors"
)

// CredentialsConfig configures a credentials provider: a form whose fields
// are passed to Authorize.
type CredentialsConfig struct {
	// ID defaults to "credentials".
	ID string
	// Name defaults to "Credentials".
	Name string
	// Fields default to a "username" text input and a "password" input.
	Fields []Field
	// Authorize checks the submitted fields; see Authorizer.Authorize.
	// Compare passwords with golang.org/x/crypto/bcrypt or argon2, never
	// with ==.
	Authorize func(ctx context.Context, credentials map[string]string) (*User, error)
}

type credentials struct {
	cfg CredentialsConfig
}

// Credentials returns a provider that signs users in with a form checked by
// cfg.Authorize. Sessions from credentials are always stateless tokens.
func Credentials(cfg CredentialsConfig) Authorizer {
	if cfg.ID == "" {
		cfg.ID = "credentials"
	}
	if cfg.Name == "" {
		cfg.Name = "Credentials"
	}
	if len(cfg.Fields) == 0 {
		cfg.Fields = []Field{
			{Name: "username", Label: "Username", Type: "text"},
			{Name: "password", Label: "Password", Type: "password"},
		}
	}
	for i := range cfg.Fields {
		if cfg.Fields[i].Label == "" {
			cfg.Fields[i].Label = cfg.Fields[i].Name
		}
		if cfg.Fields[i].Type == "" {
			cfg.Fields[i].Type = "text"
		}
	}
	return &credentials{cfg: cfg}
}

func (p *credentials) ID() string      { return p.cfg.ID }
func (p *credentials) Name() string    { return p.cfg.Name }
func (p *credentials) Type() string    { return TypeCredentials }
func (p *credentials) Fields() []Field { return p.cfg.Fields }

// errNoAuthorize reports a credentials provider built without Authorize.
var errNoAuthorize = errors.New("providers: credentials provider has no Authorize function")

func (p *credentials) Authorize(ctx context.Context, creds map[string]string) (*User, error) {
	if p.cfg.Authorize == nil {
		return nil, errNoAuthorize
	}
	return p.cfg.Authorize(ctx, creds)
}

// Validate reports a provider that cannot work.
func (p *credentials) Validate() error {
	if p.cfg.Authorize == nil {
		return errNoAuthorize
	}
	return nil
}
