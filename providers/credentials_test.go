package providers

import (
	"context"
	"errors"
	"testing"
)

func TestCredentialsDefaults(t *testing.T) {
	p := Credentials(CredentialsConfig{Authorize: func(context.Context, map[string]string) (*User, error) { return &User{ID: "1"}, nil }})
	if p.ID() != "credentials" || p.Name() != "Credentials" || p.Type() != TypeCredentials {
		t.Errorf("defaults: %s %s %s", p.ID(), p.Name(), p.Type())
	}
	f := p.Fields()
	if len(f) != 2 || f[0].Name != "username" || f[1].Name != "password" || f[1].Type != "password" {
		t.Errorf("default fields: %+v", f)
	}
	if u, err := p.Authorize(context.Background(), nil); err != nil || u.ID != "1" {
		t.Errorf("Authorize = %v, %v", u, err)
	}
	if err := p.(interface{ Validate() error }).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestCredentialsCustomFieldsAndMissingAuthorize(t *testing.T) {
	p := Credentials(CredentialsConfig{ID: "otp", Name: "One-time code", Fields: []Field{{Name: "code"}}})
	if f := p.Fields(); len(f) != 1 || f[0].Label != "code" || f[0].Type != "text" {
		t.Errorf("field defaults: %+v", f)
	}
	if err := p.(interface{ Validate() error }).Validate(); !errors.Is(err, errNoAuthorize) {
		t.Errorf("Validate without Authorize: %v", err)
	}
	if _, err := p.Authorize(context.Background(), nil); !errors.Is(err, errNoAuthorize) {
		t.Errorf("Authorize without a function: %v", err)
	}
}
