package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/ginauth/ginauth/authjs"
)

func TestCredentialsDefaults(t *testing.T) {
	var got map[string]string
	var gotReq *authjs.Request
	p := Credentials{Authorize: func(_ context.Context, c map[string]string, r *authjs.Request) (*authjs.User, error) {
		got, gotReq = c, r
		return &authjs.User{ID: "1"}, nil
	}}
	if info := p.Info(); info != (Info{ID: "credentials", Name: "Credentials", Type: authjs.TypeCredentials}) {
		t.Errorf("defaults: %+v", info)
	}
	f := p.Form()
	want := []Field{{Name: "username", Label: "Username", Type: "text"}, {Name: "password", Label: "Password", Type: "password"}}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("default fields: %+v", f)
	}
	if p.Fields != nil {
		t.Errorf("Form changed Fields: %+v", p.Fields)
	}
	req := &authjs.Request{HTTP: httptest.NewRequest("POST", "/api/auth/callback/credentials", nil), ClientIP: "192.0.2.1"}
	creds := map[string]string{"username": "alice", "password": "pw"}
	if u, err := p.Authorize(context.Background(), creds, req); err != nil || u.ID != "1" || !reflect.DeepEqual(got, creds) || gotReq != req {
		t.Errorf("Authorize = %v, %v; saw %v, %v", u, err, got, gotReq)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	// A pointer is a provider too.
	if info := (&p).Info(); info.ID != "credentials" {
		t.Errorf("pointer Info: %+v", info)
	}
}

func TestCredentialsCustomFieldsAndMissingAuthorize(t *testing.T) {
	fields := []Field{{Name: "code"}, {Name: "email", Label: "E-mail", Type: "email", Placeholder: "you@example.com"}}
	p := Credentials{ID: "otp", Name: "One-time code", Fields: fields}
	if info := p.Info(); info != (Info{ID: "otp", Name: "One-time code", Type: authjs.TypeCredentials}) {
		t.Errorf("Info = %+v", info)
	}
	f := p.Form()
	want := []Field{{Name: "code", Label: "code", Type: "text"}, {Name: "email", Label: "E-mail", Type: "email", Placeholder: "you@example.com"}}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("field defaults: %+v", f)
	}
	// Form applies the defaults to a copy.
	if fields[0].Label != "" || fields[0].Type != "" {
		t.Errorf("Form changed the declared fields: %+v", fields)
	}
	// Without Authorize the provider cannot work; Validate says so before
	// any sign-in could call the missing function.
	err := p.Validate()
	if err == nil || !strings.Contains(err.Error(), "Authorize") {
		t.Errorf("Validate without Authorize: %v", err)
	}
}

func TestCredentialsValidateFieldNames(t *testing.T) {
	authorize := func(context.Context, map[string]string, *authjs.Request) (*authjs.User, error) { return nil, nil }
	for _, name := range []string{"", "csrfToken"} {
		p := Credentials{Authorize: authorize, Fields: []Field{{Name: "username"}, {Name: name}}}
		err := p.Validate()
		if err == nil {
			t.Errorf("field name %q accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
			t.Errorf("field name %q: error %q does not name it", name, err)
		}
	}
	for _, name := range []string{"code", "csrftoken", "callbackUrl", "password"} {
		p := Credentials{Authorize: authorize, Fields: []Field{{Name: name}}}
		if err := p.Validate(); err != nil {
			t.Errorf("field name %q: %v", name, err)
		}
	}
}

func TestCredentialsErrors(t *testing.T) {
	for _, err := range []error{
		ErrCredentialsSignin,
		&CredentialsError{},
		&CredentialsError{Code: "invalid_otp"},
		fmt.Errorf("checking: %w", &CredentialsError{Code: "locked"}),
	} {
		if !errors.Is(err, ErrCredentialsSignin) {
			t.Errorf("%v does not match ErrCredentialsSignin", err)
		}
	}
	if errors.Is(errors.New("providers: invalid credentials"), ErrCredentialsSignin) {
		t.Error("an unrelated error with the same text matches")
	}
	if got := (&CredentialsError{}).Error(); got != "providers: invalid credentials" {
		t.Errorf("empty code: %q", got)
	}
	if got := (&CredentialsError{Code: "invalid_otp"}).Error(); got != "providers: invalid credentials: invalid_otp" {
		t.Errorf("with code: %q", got)
	}
	var ce *CredentialsError
	if !errors.As(fmt.Errorf("x: %w", &CredentialsError{Code: "locked"}), &ce) || ce.Code != "locked" {
		t.Errorf("errors.As: %+v", ce)
	}
}

func TestCredentialsIdentifier(t *testing.T) {
	for _, tc := range []struct {
		c    Credentials
		want string
	}{
		{Credentials{}, "username"},
		{Credentials{Fields: []Field{{Name: "email"}, {Name: "password", Type: "password"}}}, "email"},
		{Credentials{Fields: []Field{{Name: "login", Type: "email"}, {Name: "password", Type: "password"}}}, "login"},
		{Credentials{Fields: []Field{{Name: "email"}, {Name: "username"}}}, "username"},
		{Credentials{Fields: []Field{{Name: "pin", Type: "password"}}}, "username"},
		{Credentials{IdentifierField: "account", Fields: []Field{{Name: "username"}}}, "account"},
	} {
		if got := tc.c.Identifier(); got != tc.want {
			t.Errorf("Identifier of %+v = %q, want %q", tc.c.Fields, got, tc.want)
		}
	}
}
