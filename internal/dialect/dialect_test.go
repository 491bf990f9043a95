package dialect_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/jwe"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name   string
		d      *dialect.Dialect
		secure bool
		want   cookies.Names
	}{
		{"v5 http", dialect.V5, false, cookies.Names{
			Session: "authjs.session-token", CSRF: "authjs.csrf-token", CallbackURL: "authjs.callback-url",
			PKCE: "authjs.pkce.code_verifier", State: "authjs.state", Nonce: "authjs.nonce",
			Challenge: "authjs.challenge",
		}},
		{"v5 https", dialect.V5, true, cookies.Names{
			Session: "__Secure-authjs.session-token", CSRF: "__Host-authjs.csrf-token", CallbackURL: "__Secure-authjs.callback-url",
			PKCE: "__Secure-authjs.pkce.code_verifier", State: "__Secure-authjs.state", Nonce: "__Secure-authjs.nonce",
			Challenge: "__Secure-authjs.challenge",
		}},
		{"v4 http", dialect.V4, false, cookies.Names{
			Session: "next-auth.session-token", CSRF: "next-auth.csrf-token", CallbackURL: "next-auth.callback-url",
			PKCE: "next-auth.pkce.code_verifier", State: "next-auth.state", Nonce: "next-auth.nonce",
			Challenge: "next-auth.challenge",
		}},
		{"v4 https", dialect.V4, true, cookies.Names{
			Session: "__Secure-next-auth.session-token", CSRF: "__Host-next-auth.csrf-token", CallbackURL: "__Secure-next-auth.callback-url",
			PKCE: "__Secure-next-auth.pkce.code_verifier", State: "__Secure-next-auth.state", Nonce: "__Secure-next-auth.nonce",
			Challenge: "__Secure-next-auth.challenge",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Names(tt.secure); got != tt.want {
				t.Errorf("Names = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestChunkSize(t *testing.T) {
	if dialect.V4.ChunkSize != 3933 || dialect.V5.ChunkSize != 3936 {
		t.Errorf("chunk sizes %d (v4), %d (v5); want 3933, 3936", dialect.V4.ChunkSize, dialect.V5.ChunkSize)
	}
}

func TestFormats(t *testing.T) {
	if dialect.V5.Token != jwe.V5 || dialect.V4.Token != jwe.V4 {
		t.Error("token formats swapped")
	}
	if string(dialect.V5.EmptySession) != "null" || string(dialect.V4.EmptySession) != "{}" {
		t.Errorf("empty sessions %s, %s", dialect.V5.EmptySession, dialect.V4.EmptySession)
	}
	if got := dialect.V5.SessionSalt("authjs.session-token"); got != "authjs.session-token" {
		t.Errorf("v5 salt = %q", got)
	}
	if got := dialect.V4.SessionSalt("next-auth.session-token"); got != "" {
		t.Errorf("v4 salt = %q", got)
	}
	secrets := []string{"new", "old"}
	if got := dialect.V5.CSRFSecret(secrets); got != "new,old" {
		t.Errorf("v5 CSRF secret = %q", got)
	}
	if got := dialect.V4.CSRFSecret(secrets); got != "new" {
		t.Errorf("v4 CSRF secret = %q", got)
	}
	for _, tt := range []struct {
		d        *dialect.Dialect
		in, want string
	}{
		{dialect.V5, "oidc", "oidc"}, {dialect.V5, "oauth", "oauth"}, {dialect.V5, "credentials", "credentials"},
		{dialect.V4, "oidc", "oauth"}, {dialect.V4, "oauth", "oauth"}, {dialect.V4, "credentials", "credentials"},
	} {
		if got := tt.d.ProviderType(tt.in); got != tt.want {
			t.Errorf("%s ProviderType(%q) = %q, want %q", tt.d.Name, tt.in, got, tt.want)
		}
	}
}

func TestTexts(t *testing.T) {
	for _, tt := range []struct {
		got        dialect.Text
		ctype, out string
	}{
		{dialect.V5.BadRequest("PUT"), "application/json", `"Bad request."`},
		{dialect.V4.BadRequest("PUT"), "text/plain; charset=utf-8", "Error: This action with HTTP PUT is not supported by NextAuth.js"},
		{dialect.V5.ErrorText("Request body too large."), "application/json", `"Request body too large."`},
		{dialect.V4.ErrorText("Request body too large."), "text/plain; charset=utf-8", "Error: Request body too large."},
	} {
		if tt.got.ContentType != tt.ctype || string(tt.got.Body) != tt.out {
			t.Errorf("got %q %q, want %q %q", tt.got.ContentType, tt.got.Body, tt.ctype, tt.out)
		}
	}
}

func TestCodes(t *testing.T) {
	want := map[dialect.Failure][2]string{
		dialect.OAuthSignInFailed:     {"OAuthSignin", "Configuration"},
		dialect.OAuthCallbackFailed:   {"OAuthCallback", "Configuration"},
		dialect.ProviderRefused:       {"Callback", "OAuthCallbackError"},
		dialect.EmailSignInFailed:     {"EmailSignin", "Configuration"},
		dialect.CallbackUnsupported:   {"Callback", "Configuration"},
		dialect.CreateUserFailed:      {"OAuthCreateAccount", "Configuration"},
		dialect.AdapterFailed:         {"Callback", "Configuration"},
		dialect.EmailCreateUserFailed: {"EmailCreateAccount", "Configuration"},
		dialect.EmailTokenMissing:     {"configuration", "Configuration"},
	}
	for f, w := range want {
		if got := dialect.V4.Code(f); got != w[0] {
			t.Errorf("v4 Code(%d) = %q, want %q", f, got, w[0])
		}
		if got := dialect.V5.Code(f); got != w[1] {
			t.Errorf("v5 Code(%d) = %q, want %q", f, got, w[1])
		}
	}
}

func TestRedirects(t *testing.T) {
	site := dialect.Site{Origin: "https://app.example.com", BasePath: "/api/auth"}
	custom := site
	custom.Pages = dialect.Pages{SignIn: "/login?x=1", Error: "/oops"}
	tests := []struct {
		name string
		got  dialect.Redirect
		want dialect.Redirect
	}{
		{"v5 error page", dialect.V5.Fail(site, "Configuration", nil, 401),
			dialect.Redirect{URL: "https://app.example.com/api/auth/error?error=Configuration", Status: 200, DropCookies: true, NoLocation: true}},
		{"v5 sign-in errors go to the sign-in page", dialect.V5.Fail(site, "OAuthAccountNotLinked", nil, 200),
			dialect.Redirect{URL: "https://app.example.com/api/auth/signin?error=OAuthAccountNotLinked", Status: 200, DropCookies: true, NoLocation: true}},
		{"v5 custom pages", dialect.V5.Fail(custom, "AccessDenied", nil, 403),
			dialect.Redirect{URL: "https://app.example.com/oops?error=AccessDenied", Status: 200, DropCookies: true, NoLocation: true}},
		{"v5 custom sign-in page with a query", dialect.V5.CSRFFailed(custom, "/signin"),
			dialect.Redirect{URL: "https://app.example.com/login?x=1&error=MissingCSRF", Status: 200, DropCookies: true, NoLocation: true}},
		{"v4 goes through the error endpoint with its status", dialect.V4.Fail(custom, "AccessDenied", nil, 403),
			dialect.Redirect{URL: "https://app.example.com/api/auth/error?error=AccessDenied", Status: 403}},
		{"v4 CSRF", dialect.V4.CSRFFailed(site, "/signout"),
			dialect.Redirect{URL: "https://app.example.com/api/auth/signout?csrf=true", Status: 200}},
		{"v5 credentials", dialect.V5.CredentialsFailed(site, "credentials", "pw"),
			dialect.Redirect{URL: "https://app.example.com/api/auth/signin?error=CredentialsSignin&code=credentials", Status: 200, DropCookies: true, NoLocation: true}},
		{"v5 credentials code", dialect.V5.CredentialsFailed(site, "invalid_otp", "pw"),
			dialect.Redirect{URL: "https://app.example.com/api/auth/signin?error=CredentialsSignin&code=invalid_otp", Status: 200, DropCookies: true, NoLocation: true}},
		{"v4 credentials", dialect.V4.CredentialsFailed(site, "credentials", "pw"),
			dialect.Redirect{URL: "https://app.example.com/api/auth/error?error=CredentialsSignin&provider=pw", Status: http.StatusUnauthorized}},
		{"v4 credentials code", dialect.V4.CredentialsFailed(site, "invalid_otp", "pw"),
			dialect.Redirect{URL: "https://app.example.com/api/auth/error?error=invalid_otp&provider=pw", Status: http.StatusUnauthorized}},
		{"extra parameters are encoded", dialect.V5.Fail(site, "Configuration", url.Values{"a": {"x y"}, "b": {"&"}}, 200),
			dialect.Redirect{URL: "https://app.example.com/api/auth/error?error=Configuration&a=x+y&b=%26", Status: 200, DropCookies: true, NoLocation: true}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n got  %+v\n want %+v", tt.name, tt.got, tt.want)
		}
	}
}

func TestErrorToSignIn(t *testing.T) {
	for _, code := range []string{"Signin", "OAuthSignin", "OAuthCallback", "OAuthCreateAccount", "EmailCreateAccount",
		"Callback", "OAuthAccountNotLinked", "EmailSignin", "CredentialsSignin", "SessionRequired"} {
		if !dialect.V4.ErrorToSignIn(code) {
			t.Errorf("v4 keeps %s on the error page", code)
		}
		if dialect.V5.ErrorToSignIn(code) {
			t.Errorf("v5 sends %s to the sign-in page", code)
		}
	}
	for _, code := range []string{"Configuration", "AccessDenied", "Verification", "credentialssignin", ""} {
		if dialect.V4.ErrorToSignIn(code) {
			t.Errorf("v4 sends %q to the sign-in page", code)
		}
	}
}

func TestHabits(t *testing.T) {
	v5, v4 := dialect.V5, dialect.V4
	for _, tt := range []struct {
		name   string
		v5, v4 bool
	}{
		{"LogBeacon", v5.LogBeacon, !v4.LogBeacon},
		{"ErrorCodeInPath", v5.ErrorCodeInPath, !v4.ErrorCodeInPath},
		{"StrictRequests", !v5.StrictRequests, v4.StrictRequests},
		{"KeepCookiesOnSessionError", v5.KeepCookiesOnSessionError, !v4.KeepCookiesOnSessionError},
		{"SessionFromDecodedToken", v5.SessionFromDecodedToken, !v4.SessionFromDecodedToken},
		{"RandomOAuthSubject", !v5.RandomOAuthSubject, v4.RandomOAuthSubject},
		{"ErrorPageFoldsCase", v5.ErrorPageFoldsCase, !v4.ErrorPageFoldsCase},
		{"VerifyRequestKeepsQuery", !v5.VerifyRequestKeepsQuery, v4.VerifyRequestKeepsQuery},
		{"EncryptedState", !v5.EncryptedState, v4.EncryptedState},
	} {
		if tt.v5 || tt.v4 {
			t.Errorf("%s is set for the wrong dialect", tt.name)
		}
	}
}
