package providers_test

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/providers"
)

// GitHub needs only the OAuth App's client id and secret; the callback URL
// to register is <origin>/api/auth/callback/github.
func ExampleGitHub() {
	github := providers.GitHub(providers.OAuth{
		ClientID:     "Iv1.0123456789abcdef", // from os.Getenv("AUTH_GITHUB_ID")
		ClientSecret: "github-client-secret", // from os.Getenv("AUTH_GITHUB_SECRET")
	})
	auth, err := ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "http://localhost:8080",
		Providers: []providers.Provider{github},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := gin.New()
	auth.Mount(r)

	// The provider is plain data: its fields say what it is.
	info := github.Info()
	checks := cmp.Or(github.Checks, providers.DefaultChecks(info.Type))
	fmt.Println(info.ID, info.Type, github.Scopes, github.AuthURL)
	fmt.Println(checks, github.Validate())
	// Output:
	// github oauth [read:user user:email] https://github.com/login/oauth/authorize
	// pkce,state <nil>
}

// Keycloak is found by discovery from the realm's issuer URL, on the first
// sign-in. The callback URL to register is
// <origin>/api/auth/callback/keycloak.
func ExampleKeycloak() {
	keycloak := providers.Keycloak(providers.OAuth{
		Issuer:       "https://kc.example.com/realms/main/",
		ClientID:     "ginauth",
		ClientSecret: "keycloak-client-secret",
	})
	info := keycloak.Info()
	fmt.Println(info.ID, info.Type, keycloak.Issuer, providers.DefaultChecks(info.Type), keycloak.Validate())

	// Without an issuer the provider cannot work, and says so.
	fmt.Println(providers.Keycloak(providers.OAuth{ClientID: "ginauth"}).Validate())
	// Output:
	// keycloak oidc https://kc.example.com/realms/main pkce,state,nonce <nil>
	// providers: the Keycloak provider (id "keycloak") needs an Issuer URL
}

// A preset's fields can be changed with With, or assigned, before the
// provider is passed to ginauth.New. AuthorizationParams are merged.
func ExampleOAuth_With() {
	google := providers.Google(providers.OAuth{ClientID: "id", ClientSecret: "secret"}).With(providers.OAuth{
		ID:                  "google-offline",
		AuthorizationParams: map[string]string{"access_type": "offline", "prompt": "consent"},
	})
	google.Checks = providers.CheckState | providers.CheckNonce
	fmt.Println(google.Info(), google.AuthorizationParams, google.Checks, google.Validate())

	// A check that the provider type cannot run is refused.
	github := providers.GitHub(providers.OAuth{ClientID: "id", Checks: providers.CheckNonce})
	fmt.Println(github.Validate())
	// Output:
	// {google-offline Google oidc} map[access_type:offline prompt:consent] state,nonce <nil>
	// providers: the GitHub provider (id "github"): the nonce check needs an OpenID Connect provider
}

// Passkey signs users in with passkeys: next-auth/webauthn's
// signIn("passkey") in the browser, or the built-in sign-in page. It needs
// the configured URL (the relying party id is its hostname, the allowed
// origin its origin) and a store that keeps passkeys; every store under
// adapters/ does.
func ExamplePasskey() {
	passkey := providers.Passkey(providers.PasskeyConfig{
		// Only signed-in users add passkeys; leave false to let a new
		// address sign up with one.
		DisableSignUp: true,
	})
	auth, err := ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "https://app.example.com",
		Adapter:   memory.New(), // sqlite.Open, postgres.Open or redis.Open in production
		Providers: []providers.Provider{passkey},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := gin.New()
	auth.Mount(r) // GET /api/auth/webauthn-options/passkey, POST /api/auth/callback/passkey, ...

	fmt.Println(passkey.Info(), passkey.Validate())

	// Without a store for passkeys, or without the URL, New refuses it.
	_, err = ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "https://app.example.com",
		Providers: []providers.Provider{passkey},
	})
	fmt.Println(errors.Is(err, ginauth.ErrConfig))
	// Output:
	// {passkey Passkey webauthn} <nil>
	// true
}
