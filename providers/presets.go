package providers

import "strings"

// This file holds what the provider presets share. Each preset is a
// declaration over the OAuth engine: endpoints or issuer, scopes, checks,
// client authentication and a profile mapping. Every preset takes an
// OAuthConfig, whose ID, Name, Scopes, AuthorizationParams, Checks, Profile
// and HTTPClient override the preset's own.

// issuerPreset builds an OpenID Connect preset whose issuer the
// application supplies. The issuer is kept exactly as the provider spells
// it: withSlash reports a provider (Auth0, Authentik) whose issuer ends in
// "/", which ID tokens must then carry byte for byte; other issuers lose a
// trailing "/".
func issuerPreset(c OAuthConfig, d OIDCConfig, withSlash bool) *OAuth {
	p := oidcPreset(c, d)
	if p.issuer != "" {
		p.issuer = strings.TrimRight(p.issuer, "/")
		if withSlash {
			p.issuer += "/"
		}
	}
	return p
}

// object returns profile[key] as a JSON object, or nil.
func object(profile map[string]any, key string) map[string]any {
	m, _ := profile[key].(map[string]any)
	return m
}
