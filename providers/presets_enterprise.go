package providers

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/ginauth/ginauth/authjs"
)

// Microsoft Entra ID endpoints and limits used by the MicrosoftEntraID
// preset.
const (
	// entraCommonIssuer admits personal, work and school accounts.
	entraCommonIssuer = "https://login.microsoftonline.com/common/v2.0"
	// entraPhotoURL is the signed-in user's 48x48 photo in Microsoft Graph.
	entraPhotoURL = "https://graph.microsoft.com/v1.0/me/photos/48x48/$value"
	// maxEntraPhotoBytes bounds the photo kept as a data: URL, which ends up
	// in the session token.
	maxEntraPhotoBytes = 8 << 10
)

// MicrosoftEntraID returns the Microsoft Entra ID provider (id
// "microsoft-entra-id", OpenID Connect).
//
// Register an application in the Entra admin center with a Web redirect URI
// <origin>/api/auth/callback/microsoft-entra-id and create a client secret.
// The Issuer given selects who may sign in:
//
//   - empty: https://login.microsoftonline.com/common/v2.0, any work,
//     school or personal Microsoft account (the app registration must be
//     multi-tenant);
//   - https://login.microsoftonline.com/<tenant id>/v2.0, or the bare
//     directory (tenant) id: only that tenant's users;
//   - "organizations", "consumers" or a tenant domain name, bare or in the
//     same URL form.
//
// When the issuer names a tenant by its id, ID tokens must carry exactly
// that issuer. For the other forms the discovery document names a
// placeholder issuer and each token carries its user's tenant, so the
// preset sets VerifyIssuer to check that "iss" is
// https://login.microsoftonline.com/<tid>/v2.0 for the token's own "tid"
// claim, as Microsoft advises for multi-tenant apps; the signature,
// audience, expiry and checks are verified as always. An application that
// admits several tenants should still decide in its SignIn callback which
// tenants it accepts.
//
// The preset asks for "openid profile email User.Read" and maps sub, name
// and email. The image is the user's 48x48 photo from Microsoft Graph as a
// data: URL (none when the user has no photo or it exceeds 8 KiB), fetched
// by its UserInfo function, as Auth.js does. Checks: the default, PKCE,
// state and nonce.
func MicrosoftEntraID(o OAuth) OAuth {
	p := OAuth{
		ID: "microsoft-entra-id", Name: "Microsoft Entra ID",
		Scopes:   []string{"openid", "profile", "email", "User.Read"},
		UserInfo: entraPhoto,
		Profile:  entraProfile,
	}.With(o)
	p.Issuer = entraIssuer(o.Issuer)
	if u, err := url.Parse(p.Issuer); err == nil && u.Host != "" && !isGUID(firstSegment(u.Path)) && p.VerifyIssuer == nil {
		p.VerifyIssuer = entraTenantIssuer(u.Scheme + "://" + u.Host)
	}
	return p
}

func entraProfile(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
	return &authjs.User{
		ID:    String(p, "sub"),
		Name:  String(p, "name"),
		Email: String(p, "email"),
		Image: String(p, "picture"),
	}, nil
}

// entraIssuer expands the Issuer given to MicrosoftEntraID: empty means
// the common endpoint, a bare tenant (id, domain, "organizations") its
// v2.0 issuer.
func entraIssuer(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return entraCommonIssuer
	case !strings.Contains(s, "://"):
		return "https://login.microsoftonline.com/" + strings.Trim(s, "/") + "/v2.0"
	}
	return strings.TrimRight(s, "/")
}

// entraTenantIssuer returns the multi-tenant issuer check: "iss" must be
// <base>/<tid>/v2.0 for the token's own "tid".
func entraTenantIssuer(base string) func(map[string]any) error {
	return func(claims map[string]any) error {
		tid, iss := String(claims, "tid"), String(claims, "iss")
		if tid == "" || iss != base+"/"+tid+"/v2.0" {
			return fmt.Errorf("issuer %q does not match the token's tenant %q", iss, tid)
		}
		return nil
	}
}

// entraPhoto fetches the user's Microsoft Graph photo and returns it as
// the "picture" claim, a data: URL; like Auth.js it never fails the
// sign-in, and returns no claim when there is no usable photo.
func entraPhoto(ctx context.Context, client *http.Client, t *Tokens) (map[string]any, error) {
	out := map[string]any{}
	if t.AccessToken == "" {
		return out, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, entraPhotoURL, nil)
	if err != nil {
		return out, nil
	}
	req.Header.Set("Authorization", "Bearer "+t.AccessToken)
	resp, err := client.Do(req)
	if err != nil {
		return out, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return out, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxEntraPhotoBytes+1))
	if err != nil || len(body) == 0 || len(body) > maxEntraPhotoBytes {
		return out, nil
	}
	typ, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(typ, "image/") {
		typ = "image/jpeg"
	}
	out["picture"] = "data:" + typ + ";base64," + base64.StdEncoding.EncodeToString(body)
	return out, nil
}

func firstSegment(path string) string {
	path = strings.TrimLeft(path, "/")
	if i := strings.IndexByte(path, '/'); i >= 0 {
		path = path[:i]
	}
	return path
}

// isGUID reports a tenant id such as 72f988bf-86f1-41af-91ab-2d7cd011db47.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// Auth0 returns the Auth0 provider (id "auth0", OpenID Connect).
//
// Issuer is required: the tenant's domain as a URL, such as
// https://example.eu.auth0.com (or a custom domain). Auth0's issuer ends
// in "/", and the preset adds it when missing. Create a "Regular Web
// Application" and add <origin>/api/auth/callback/auth0 to its allowed
// callback URLs. The profile comes from the ID token (sub, name, email,
// picture).
//
// Checks: the default, PKCE, state and nonce (Auth.js v4 sets PKCE and
// state; v5 sets none, which means PKCE alone).
func Auth0(o OAuth) OAuth {
	return issuerPreset(OAuth{ID: "auth0", Name: "Auth0", Type: authjs.TypeOIDC}.With(o), true)
}

// Okta returns the Okta provider (id "okta", OpenID Connect).
//
// Issuer is required: the authorization server's issuer, such
// as https://example.okta.com/oauth2/default (a custom authorization
// server) or https://example.okta.com (the org server). Create an OIDC
// "Web Application" integration with the sign-in redirect URI
// <origin>/api/auth/callback/okta. The profile comes from the ID token.
//
// Checks: the default, PKCE, state and nonce (Auth.js v5 sets PKCE and
// state).
func Okta(o OAuth) OAuth {
	return issuerPreset(OAuth{ID: "okta", Name: "Okta", Type: authjs.TypeOIDC}.With(o), false)
}

// Keycloak returns the Keycloak provider (id "keycloak", OpenID Connect).
//
// Issuer is required: the realm's URL, such as
// https://kc.example.com/realms/main. Create an OpenID Connect client with
// client authentication on (a confidential client) and the valid redirect
// URI <origin>/api/auth/callback/keycloak. The profile comes from the ID
// token; the name falls back to preferred_username.
//
// Checks: the default, PKCE, state and nonce (Auth.js v4 sets PKCE and
// state; v5 sets none, which means PKCE alone).
func Keycloak(o OAuth) OAuth {
	return issuerPreset(OAuth{ID: "keycloak", Name: "Keycloak", Type: authjs.TypeOIDC}.With(o), false)
}

// Authentik returns the authentik provider (id "authentik", OpenID
// Connect).
//
// Issuer is required: the provider's issuer, such as
// https://auth.example.com/application/o/my-app/. authentik's issuer ends
// in "/", and the preset adds it when missing. Create an OAuth2/OpenID
// provider of client type "Confidential" with the redirect URI
// <origin>/api/auth/callback/authentik. The profile comes from the ID
// token; the name falls back to nickname and preferred_username.
//
// Checks: the default, PKCE, state and nonce (Auth.js v4 sets PKCE and
// state; v5 sets none, which means PKCE alone).
func Authentik(o OAuth) OAuth {
	return issuerPreset(OAuth{ID: "authentik", Name: "Authentik", Type: authjs.TypeOIDC}.With(o), true)
}

// Zitadel returns the ZITADEL provider (id "zitadel", OpenID Connect).
//
// Issuer is required: the instance's URL, such as
// https://example-abc123.zitadel.cloud. Create a "Web" application with
// the "Code" authentication method and the redirect URI
// <origin>/api/auth/callback/zitadel (development mode allows http
// redirects). The profile comes from the ID token.
//
// Checks: the default, PKCE, state and nonce (Auth.js v4 sets PKCE and
// state; v5 sets none, which means PKCE alone).
func Zitadel(o OAuth) OAuth {
	return issuerPreset(OAuth{ID: "zitadel", Name: "ZITADEL", Type: authjs.TypeOIDC}.With(o), false)
}

// Cognito returns the Amazon Cognito provider (id "cognito", OpenID
// Connect).
//
// Issuer is required: the user pool's issuer,
// https://cognito-idp.<region>.amazonaws.com/<user pool id> (the pool id,
// not the app client id). Create an app client with a client secret, the
// authorization code grant, the scopes openid, profile and email, and the
// callback URL <origin>/api/auth/callback/cognito. The profile comes from
// the ID token. Checks: the default, PKCE, state and nonce.
func Cognito(o OAuth) OAuth {
	return issuerPreset(OAuth{ID: "cognito", Name: "Cognito", Type: authjs.TypeOIDC}.With(o), false)
}
