package providers_test

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/providers"
)

// GitHub needs only the OAuth App's client id and secret; the callback URL
// to register is <origin>/api/auth/callback/github.
func ExampleGitHub() {
	github := providers.GitHub(providers.OAuthConfig{
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

	authURL, _, _ := github.Endpoints()
	fmt.Println(github.ID(), github.Type(), github.Scopes(), authURL)
	// Output:
	// github oauth [read:user user:email] https://github.com/login/oauth/authorize
}

// Keycloak is found by discovery from the realm's issuer URL, on the first
// sign-in. The callback URL to register is
// <origin>/api/auth/callback/keycloak.
func ExampleKeycloak() {
	keycloak := providers.Keycloak(providers.OAuthConfig{
		Issuer:       "https://kc.example.com/realms/main",
		ClientID:     "ginauth",
		ClientSecret: "keycloak-client-secret",
	})
	fmt.Println(keycloak.ID(), keycloak.Type(), keycloak.Issuer(), keycloak.Checks(), keycloak.Validate())

	// Without an issuer the provider cannot work, and says so.
	fmt.Println(providers.Keycloak(providers.OAuthConfig{ClientID: "ginauth"}).Validate())
	// Output:
	// keycloak oidc https://kc.example.com/realms/main [pkce state] <nil>
	// providers: the Keycloak provider (id "keycloak") needs an Issuer URL
}
