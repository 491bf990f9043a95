package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// The engine that runs these declarations (authorization URL, exchange,
// refresh, discovery) is tested in internal/oauth; this file tests what is
// data here: Info, With, Validate, the checks and the helpers.

// validOAuth2 and validOIDC are providers that pass Validate; the tests
// change one field at a time.
func validOAuth2() OAuth {
	return OAuth{ID: "acme", Name: "Acme", ClientID: "c", ClientSecret: "s",
		AuthURL: "https://a.example.com/auth", TokenURL: "https://a.example.com/token", UserInfoURL: "https://a.example.com/me"}
}

func validOIDC() OAuth {
	return OAuth{ID: "sso", Name: "SSO", ClientID: "c", ClientSecret: "s", Issuer: "https://sso.example.com/"}
}

func TestInfo(t *testing.T) {
	tests := []struct {
		name string
		p    OAuth
		want Info
	}{
		{"endpoints only", validOAuth2(), Info{ID: "acme", Name: "Acme", Type: authjs.TypeOAuth}},
		{"issuer without type", validOIDC(), Info{ID: "sso", Name: "SSO", Type: authjs.TypeOIDC}},
		{"explicit OIDC", OAuth{ID: "x", Name: "X", Type: authjs.TypeOIDC}, Info{ID: "x", Name: "X", Type: authjs.TypeOIDC}},
		{"explicit OAuth with issuer", OAuth{ID: "x", Type: authjs.TypeOAuth, Issuer: "https://i"}, Info{ID: "x", Type: authjs.TypeOAuth}},
		{"nothing", OAuth{}, Info{Type: authjs.TypeOAuth}},
	}
	for _, tt := range tests {
		if got := tt.p.Info(); got != tt.want {
			t.Errorf("%s: Info() = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	var _ Provider = OAuth{}
	var _ Provider = &OAuth{}
	var _ Provider = Credentials{}
	var _ Provider = &Credentials{}
}

func TestValidate(t *testing.T) {
	userInfo := func(context.Context, *http.Client, *Tokens) (map[string]any, error) { return nil, nil }
	for name, p := range map[string]OAuth{
		"OAuth 2.0":                        validOAuth2(),
		"OpenID Connect":                   validOIDC(),
		"UserInfo function instead of URL": func() OAuth { p := validOAuth2(); p.UserInfoURL, p.UserInfo = "", userInfo; return p }(),
		"explicit TypeOAuth":               func() OAuth { p := validOAuth2(); p.Type = authjs.TypeOAuth; return p }(),
		"explicit TypeOIDC":                func() OAuth { p := validOIDC(); p.Type = authjs.TypeOIDC; return p }(),
		"OIDC with endpoint overrides": func() OAuth {
			p := validOIDC()
			p.AuthURL, p.TokenURL, p.UserInfoURL = "https://sso.example.com/a", "https://sso.example.com/t", "http://sso.internal/u"
			return p
		}(),
		"every check on OIDC":    func() OAuth { p := validOIDC(); p.Checks = CheckPKCE | CheckState | CheckNonce; return p }(),
		"nonce alone on OIDC":    func() OAuth { p := validOIDC(); p.Checks = CheckNonce; return p }(),
		"InsecureNoChecks alone": func() OAuth { p := validOAuth2(); p.Checks = InsecureNoChecks; return p }(),
		"state alone on OAuth":   func() OAuth { p := validOAuth2(); p.Checks = CheckState; return p }(),
		"client_secret_post":     func() OAuth { p := validOAuth2(); p.ClientAuth = ClientSecretPost; return p }(),
		"form_post":              func() OAuth { p := validOIDC(); p.ResponseMode = ResponseModeFormPost; return p }(),
		"FetchUserInfo on OIDC":  func() OAuth { p := validOIDC(); p.FetchUserInfo = true; return p }(),
		"VerifyIssuer on OIDC":   func() OAuth { p := validOIDC(); p.VerifyIssuer = func(map[string]any) error { return nil }; return p }(),
		"unreserved auth params": func() OAuth {
			p := validOAuth2()
			p.AuthorizationParams = map[string]string{"prompt": "login", "scope": "a b", "audience": "api"}
			return p
		}(),
		"no client secret (PKCE)": func() OAuth { p := validOAuth2(); p.ClientSecret = ""; return p }(),
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	tests := []struct {
		name string
		p    OAuth
		want string // a part of the error message
	}{
		{"no ID", func() OAuth { p := validOAuth2(); p.ID = ""; return p }(), "has no ID"},
		{"no name", func() OAuth { p := validOAuth2(); p.Name = ""; return p }(), "has no Name"},
		{"no client id", func() OAuth { p := validOAuth2(); p.ClientID = ""; return p }(), "no ClientID"},
		{"relative AuthURL", func() OAuth { p := validOAuth2(); p.AuthURL = "/auth"; return p }(), "AuthURL"},
		{"AuthURL with credentials", func() OAuth { p := validOAuth2(); p.AuthURL = "https://u:p@a.example.com/auth"; return p }(), "AuthURL"},
		{"AuthURL not http", func() OAuth { p := validOAuth2(); p.AuthURL = "javascript://a.example.com/x"; return p }(), "AuthURL"},
		{"no TokenURL", func() OAuth { p := validOAuth2(); p.TokenURL = ""; return p }(), "TokenURL"},
		{"no UserInfoURL and no UserInfo", func() OAuth { p := validOAuth2(); p.UserInfoURL = ""; return p }(), "UserInfoURL"},
		{"OIDC with a relative AuthURL override", func() OAuth { p := validOIDC(); p.AuthURL = "auth"; return p }(), "AuthURL"},
		{"OIDC with a bad UserInfoURL override", func() OAuth { p := validOIDC(); p.UserInfoURL = "ftp://x/u"; return p }(), "UserInfoURL"},
		{"OIDC without issuer names the provider", func() OAuth { p := validOIDC(); p.Type, p.Issuer = authjs.TypeOIDC, ""; return p }(),
			`the SSO provider (id "sso") needs an Issuer URL`},
		{"relative issuer", func() OAuth { p := validOIDC(); p.Issuer = "sso.example.com"; return p }(), "Issuer"},
		{"Type TypeCredentials", func() OAuth { p := validOAuth2(); p.Type = authjs.TypeCredentials; return p }(), `Type "credentials"`},
		{"unknown Type", func() OAuth { p := validOIDC(); p.Type = "saml"; return p }(), `Type "saml"`},
		{"Issuer on explicit TypeOAuth", func() OAuth {
			p := validOAuth2()
			p.Type, p.Issuer = authjs.TypeOAuth, "https://i.example.com"
			return p
		}(),
			"cannot have an Issuer"},
		{"VerifyIssuer on OAuth 2.0", func() OAuth {
			p := validOAuth2()
			p.VerifyIssuer = func(map[string]any) error { return nil }
			return p
		}(), "VerifyIssuer"},
		{"FetchUserInfo on OAuth 2.0", func() OAuth { p := validOAuth2(); p.FetchUserInfo = true; return p }(), "FetchUserInfo"},
		{"empty-but-invalid checks", func() OAuth { p := validOIDC(); p.Checks = 1 << 6; return p }(), "unknown checks in 0x40"},
		{"unknown bit 1<<5", func() OAuth { p := validOIDC(); p.Checks = 1 << 5; return p }(), "unknown checks in 0x20"},
		{"known check with an unknown bit", func() OAuth { p := validOIDC(); p.Checks = CheckPKCE | 1<<3; return p }(), "unknown checks in 0x9"},
		{"InsecureNoChecks|CheckPKCE", func() OAuth { p := validOAuth2(); p.Checks = InsecureNoChecks | CheckPKCE; return p }(), "cannot be combined"},
		{"InsecureNoChecks|CheckNonce on OIDC", func() OAuth { p := validOIDC(); p.Checks = InsecureNoChecks | CheckNonce; return p }(), "cannot be combined"},
		{"nonce on OAuth 2.0", func() OAuth { p := validOAuth2(); p.Checks = CheckNonce | CheckState; return p }(), "nonce check needs an OpenID Connect provider"},
		{"unknown ClientAuth", func() OAuth { p := validOAuth2(); p.ClientAuth = ClientSecretPost + 1; return p }(), "unknown ClientAuth 2"},
		{"negative ClientAuth", func() OAuth { p := validOAuth2(); p.ClientAuth = -1; return p }(), "unknown ClientAuth -1"},
		{"unknown ResponseMode", func() OAuth { p := validOIDC(); p.ResponseMode = "fragment"; return p }(), `unknown ResponseMode "fragment"`},
	}
	reserved := []string{"client_id", "client_secret", "redirect_uri", "response_type", "response_mode", "state",
		"nonce", "code_challenge", "code_challenge_method", "request", "request_uri"}
	for _, k := range reserved {
		p := validOIDC()
		p.AuthorizationParams = map[string]string{"prompt": "login", k: "x"}
		tests = append(tests, struct {
			name string
			p    OAuth
			want string
		}{"reserved AuthorizationParams key " + k, p, fmt.Sprintf("AuthorizationParams cannot set %q", k)})
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.want)
		}
		if !strings.HasPrefix(err.Error(), "providers: ") {
			t.Errorf("%s: error %q lacks the package prefix", tt.name, err)
		}
	}
}

func TestReserved(t *testing.T) {
	for _, k := range []string{"client_id", "client_secret", "redirect_uri", "response_type", "response_mode", "state",
		"nonce", "code_challenge", "code_challenge_method", "request", "request_uri"} {
		if !Reserved(k) {
			t.Errorf("Reserved(%q) = false", k)
		}
	}
	for _, k := range []string{"prompt", "login_hint", "scope", "audience", "access_type", "claims", "", "State", "grant_type"} {
		if Reserved(k) {
			t.Errorf("Reserved(%q) = true", k)
		}
	}
	if n := len(reservedParams); n != 11 {
		t.Errorf("%d reserved parameters, want 11", n)
	}
}

func TestDefaultChecks(t *testing.T) {
	if c := DefaultChecks(authjs.TypeOIDC); c != CheckPKCE|CheckState|CheckNonce {
		t.Errorf("OIDC default = %v", c)
	}
	if c := DefaultChecks(authjs.TypeOAuth); c != CheckPKCE|CheckState {
		t.Errorf("OAuth default = %v", c)
	}
	// Each default passes Validate for its type.
	for _, p := range []OAuth{validOAuth2(), validOIDC()} {
		p.Checks = DefaultChecks(p.Info().Type)
		if err := p.Validate(); err != nil {
			t.Errorf("%s with its default checks: %v", p.ID, err)
		}
	}
	// The checks are distinct bits, and InsecureNoChecks is none of them.
	all := []Checks{CheckPKCE, CheckState, CheckNonce, InsecureNoChecks}
	for i, a := range all {
		if a == 0 || a&(a-1) != 0 {
			t.Errorf("check %v is not one bit", a)
		}
		for _, b := range all[i+1:] {
			if a&b != 0 {
				t.Errorf("checks %v and %v overlap", a, b)
			}
		}
	}
}

func TestChecksString(t *testing.T) {
	for c, want := range map[Checks]string{
		0:                                   "",
		CheckPKCE:                           "pkce",
		CheckState:                          "state",
		CheckNonce:                          "nonce",
		CheckPKCE | CheckState:              "pkce,state",
		CheckNonce | CheckState:             "state,nonce",
		CheckPKCE | CheckState | CheckNonce: "pkce,state,nonce",
		InsecureNoChecks:                    "none",
		InsecureNoChecks | CheckPKCE:        "pkce,invalid(0x81)",
		1 << 5:                              "invalid(0x20)",
		CheckState | 1<<6:                   "state,invalid(0x42)",
		CheckPKCE | CheckState | CheckNonce | InsecureNoChecks: "pkce,state,nonce,invalid(0x87)",
	} {
		if got := c.String(); got != want {
			t.Errorf("Checks(%#x).String() = %q, want %q", uint8(c), got, want)
		}
	}
}

// funcID identifies a func value for comparisons (nil is 0).
func funcID(f any) uintptr {
	v := reflect.ValueOf(f)
	if !v.IsValid() || v.IsNil() {
		return 0
	}
	return v.Pointer()
}

// sameOAuth compares two OAuth values field by field, func fields by
// identity, and names the fields that differ.
func sameOAuth(a, b OAuth) []string {
	var diff []string
	av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range av.NumField() {
		f := av.Type().Field(i)
		x, y := av.Field(i), bv.Field(i)
		var eq bool
		if f.Type.Kind() == reflect.Func {
			eq = funcID(x.Interface()) == funcID(y.Interface())
		} else {
			eq = reflect.DeepEqual(x.Interface(), y.Interface())
		}
		if !eq {
			diff = append(diff, f.Name)
		}
	}
	return diff
}

func userInfoA(context.Context, *http.Client, *Tokens) (map[string]any, error) { return nil, nil }
func userInfoB(context.Context, *http.Client, *Tokens) (map[string]any, error) { return nil, nil }
func profileA(context.Context, map[string]any, *Tokens) (*authjs.User, error)  { return nil, nil }
func profileB(context.Context, map[string]any, *Tokens) (*authjs.User, error)  { return nil, nil }
func issuerA(map[string]any) error                                             { return nil }
func issuerB(map[string]any) error                                             { return nil }

func TestWith(t *testing.T) {
	base := OAuth{
		ID: "base", Name: "Base", Type: authjs.TypeOIDC, Issuer: "https://base.example.com",
		ClientID: "base-id", ClientSecret: "base-secret",
		AuthURL: "https://base.example.com/a", TokenURL: "https://base.example.com/t", UserInfoURL: "https://base.example.com/u",
		Scopes:              []string{"openid", "base"},
		AuthorizationParams: map[string]string{"prompt": "login", "claims": "{}"},
		Checks:              CheckNonce | CheckState, ClientAuth: ClientSecretPost, ResponseMode: ResponseModeFormPost,
		UserInfo: userInfoA, FetchUserInfo: true, Profile: profileA, VerifyIssuer: issuerA,
		HTTPClient: &http.Client{Timeout: time.Second},
	}
	over := OAuth{
		ID: "over", Name: "Over", Type: authjs.TypeOAuth, Issuer: "https://over.example.com",
		ClientID: "over-id", ClientSecret: "over-secret",
		AuthURL: "https://over.example.com/a", TokenURL: "https://over.example.com/t", UserInfoURL: "https://over.example.com/u",
		Scopes:              []string{"over"},
		AuthorizationParams: map[string]string{"prompt": "consent", "login_hint": "a@b.c"},
		Checks:              CheckPKCE, ClientAuth: ClientSecretPost, ResponseMode: ResponseModeFormPost,
		UserInfo: userInfoB, FetchUserInfo: true, Profile: profileB, VerifyIssuer: issuerB,
		HTTPClient: &http.Client{Timeout: 2 * time.Second},
	}

	// A zero value overrides nothing.
	if d := sameOAuth(base.With(OAuth{}), base); d != nil {
		t.Errorf("With(OAuth{}) changed %v", d)
	}
	// Every non-zero field overrides; the parameters are merged.
	got := base.With(over)
	want := over
	want.AuthorizationParams = map[string]string{"prompt": "consent", "claims": "{}", "login_hint": "a@b.c"}
	if d := sameOAuth(got, want); d != nil {
		t.Errorf("With(over) differs from over in %v: %+v", d, got)
	}
	// Onto a zero value, With is a copy.
	if d := sameOAuth(OAuth{}.With(over), over); d != nil {
		t.Errorf("OAuth{}.With(over) differs in %v", d)
	}
	// Neither argument's map changes.
	if !reflect.DeepEqual(base.AuthorizationParams, map[string]string{"prompt": "login", "claims": "{}"}) ||
		!reflect.DeepEqual(over.AuthorizationParams, map[string]string{"prompt": "consent", "login_hint": "a@b.c"}) {
		t.Errorf("With changed its inputs' params: %v, %v", base.AuthorizationParams, over.AuthorizationParams)
	}
	got.AuthorizationParams["x"] = "y"
	if _, ok := base.AuthorizationParams["x"]; ok {
		t.Error("the result shares its params with the receiver")
	}
	if _, ok := over.AuthorizationParams["x"]; ok {
		t.Error("the result shares its params with the argument")
	}

	// Field by field: each one overrides alone, and its zero value does not.
	fields := []struct {
		name string
		set  func(*OAuth)
	}{
		{"ID", func(o *OAuth) { o.ID = over.ID }},
		{"Name", func(o *OAuth) { o.Name = over.Name }},
		{"Type", func(o *OAuth) { o.Type = over.Type }},
		{"Issuer", func(o *OAuth) { o.Issuer = over.Issuer }},
		{"ClientID", func(o *OAuth) { o.ClientID = over.ClientID }},
		{"ClientSecret", func(o *OAuth) { o.ClientSecret = over.ClientSecret }},
		{"AuthURL", func(o *OAuth) { o.AuthURL = over.AuthURL }},
		{"TokenURL", func(o *OAuth) { o.TokenURL = over.TokenURL }},
		{"UserInfoURL", func(o *OAuth) { o.UserInfoURL = over.UserInfoURL }},
		{"Scopes", func(o *OAuth) { o.Scopes = over.Scopes }},
		{"Checks", func(o *OAuth) { o.Checks = over.Checks }},
		{"UserInfo", func(o *OAuth) { o.UserInfo = over.UserInfo }},
		{"Profile", func(o *OAuth) { o.Profile = over.Profile }},
		{"VerifyIssuer", func(o *OAuth) { o.VerifyIssuer = over.VerifyIssuer }},
		{"HTTPClient", func(o *OAuth) { o.HTTPClient = over.HTTPClient }},
	}
	for _, f := range fields {
		var o OAuth
		f.set(&o)
		got := base.With(o)
		if d := sameOAuth(got, base); len(d) != 1 || d[0] != f.name {
			t.Errorf("With(%s) changed %v", f.name, d)
		}
		var w OAuth
		f.set(&w)
		if d := sameOAuth(OAuth{}.With(o), w); d != nil {
			t.Errorf("OAuth{}.With(%s) differs in %v", f.name, d)
		}
	}
	// The fields whose zero value is meaningful override from the zero
	// value of the receiver.
	zero := OAuth{}
	if p := zero.With(OAuth{ClientAuth: ClientSecretPost}); p.ClientAuth != ClientSecretPost {
		t.Error("ClientAuth not laid over")
	}
	if p := zero.With(OAuth{ResponseMode: ResponseModeFormPost}); p.ResponseMode != ResponseModeFormPost {
		t.Error("ResponseMode not laid over")
	}
	if p := zero.With(OAuth{FetchUserInfo: true}); !p.FetchUserInfo {
		t.Error("FetchUserInfo not laid over")
	}
	if p := zero.With(OAuth{AuthorizationParams: map[string]string{"a": "1"}}); !reflect.DeepEqual(p.AuthorizationParams, map[string]string{"a": "1"}) {
		t.Errorf("params onto none = %v", p.AuthorizationParams)
	}
	// Empty scopes and params are zero values too.
	if p := base.With(OAuth{Scopes: []string{}, AuthorizationParams: map[string]string{}}); !reflect.DeepEqual(p.Scopes, base.Scopes) ||
		!reflect.DeepEqual(p.AuthorizationParams, base.AuthorizationParams) {
		t.Errorf("empty scopes or params overrode: %v %v", p.Scopes, p.AuthorizationParams)
	}
}

func TestDefaultProfileAndString(t *testing.T) {
	u, _ := DefaultProfile(context.Background(), map[string]any{"id": float64(12345678901), "nickname": "al", "email": "A@B.C", "picture": "p"}, nil)
	if u.ID != "12345678901" || u.Name != "al" || u.Email != "A@B.C" || u.Image != "p" {
		t.Errorf("DefaultProfile: %+v", u)
	}
	u, _ = DefaultProfile(context.Background(), map[string]any{"sub": "s", "id": "i", "preferred_username": "pu"}, nil)
	if u.ID != "s" || u.Name != "pu" {
		t.Errorf("sub wins over id: %+v", u)
	}
	u, _ = DefaultProfile(context.Background(), map[string]any{"name": "n", "nickname": "nn", "preferred_username": "pu"}, nil)
	if u.Name != "n" {
		t.Errorf("name wins over nickname: %+v", u)
	}
	u, _ = DefaultProfile(context.Background(), map[string]any{}, nil)
	u2, _ := DefaultProfile(context.Background(), map[string]any{}, nil)
	if len(u.ID) != 36 || u.ID == u2.ID {
		t.Errorf("no id gives a random UUID: %q, %q", u.ID, u2.ID)
	}
	for _, tt := range []struct {
		v    any
		want string
	}{
		{"x", "x"}, {float64(1.5), "1.5"}, {float64(1e21), "1000000000000000000000"}, {json.Number("77"), "77"},
		{9, "9"}, {int64(10), "10"}, {true, ""}, {nil, ""}, {[]any{"a"}, ""}, {map[string]any{"a": "b"}, ""},
	} {
		if got := String(map[string]any{"k": tt.v}, "k"); got != tt.want {
			t.Errorf("String(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
	if got := String(nil, "k"); got != "" {
		t.Errorf("String of a nil profile = %q", got)
	}
}

func TestTokenError(t *testing.T) {
	cause := errors.New("connection reset")
	tests := []struct {
		err  *TokenError
		want string
	}{
		{&TokenError{StatusCode: 400, Code: "invalid_grant", Description: "code expired", URI: "https://docs/e"},
			"providers: token endpoint answered 400 invalid_grant: code expired"},
		{&TokenError{StatusCode: 401, Code: "invalid_client", Err: cause}, "providers: token endpoint answered 401 invalid_client"},
		{&TokenError{StatusCode: 502, Err: errors.New("unexpected response")}, "providers: token endpoint answered 502: unexpected response"},
		{&TokenError{Err: cause}, "providers: token endpoint answered 0: connection reset"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.err, ErrTokenEndpoint) {
			t.Errorf("%v does not match ErrTokenEndpoint", tt.err)
		}
		if errors.Is(tt.err, ErrDiscovery) {
			t.Errorf("%v matches ErrDiscovery", tt.err)
		}
	}
	wrapped := fmt.Errorf("refresh: %w", &TokenError{Err: cause})
	var te *TokenError
	if !errors.Is(wrapped, cause) || !errors.As(wrapped, &te) || !errors.Is(wrapped, ErrTokenEndpoint) {
		t.Errorf("wrapped TokenError: %v", wrapped)
	}
}

func TestGetJSON(t *testing.T) {
	var gotAuth, gotAccept, gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotAccept, gotUA = r.Header.Get("Authorization"), r.Header.Get("Accept"), r.Header.Get("User-Agent")
		switch r.URL.Path {
		case "/ok":
			fmt.Fprint(w, `{"id":7}`)
		case "/broken":
			fmt.Fprint(w, `{"id":`)
		default:
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()

	var v map[string]any
	if err := GetJSON(ctx, srv.Client(), srv.URL+"/ok", "tok", &v); err != nil || v["id"] != float64(7) {
		t.Errorf("GetJSON = %v, %v", v, err)
	}
	if gotAuth != "Bearer tok" || gotAccept != "application/json" || gotUA != "ginauth" {
		t.Errorf("headers: %q %q %q", gotAuth, gotAccept, gotUA)
	}
	if err := GetJSON(ctx, srv.Client(), srv.URL+"/ok", "", &v); err != nil || gotAuth != "" {
		t.Errorf("without a token: %v, Authorization %q", err, gotAuth)
	}

	err := GetJSON(ctx, srv.Client(), srv.URL+"/private?access_token=secret#frag", "tok", &v)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden || se.URL != srv.URL+"/private" {
		t.Fatalf("refusal: %#v", err)
	}
	if strings.Contains(err.Error(), "secret") || err.Error() != "GET "+srv.URL+"/private: status 403" {
		t.Errorf("refusal message %q", err)
	}
	err = GetJSON(ctx, srv.Client(), srv.URL+"/broken?access_token=secret", "tok", &v)
	if err == nil || errors.As(err, &se) || strings.Contains(err.Error(), "secret") {
		t.Errorf("broken JSON: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := GetJSON(cctx, srv.Client(), srv.URL+"/ok", "tok", &v); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
