package providers

import "strings"

// This file holds what the provider presets share. Each preset is a
// declaration of one identity provider (endpoints or issuer, scopes,
// checks, client authentication and a profile mapping) with the OAuth
// value the application passes laid over it by With.

// issuerPreset finishes an OpenID Connect preset whose issuer the
// application supplies. The issuer is kept exactly as the provider spells
// it: withSlash reports a provider (Auth0, Authentik) whose issuer ends in
// "/", which ID tokens must then carry byte for byte; other issuers lose a
// trailing "/". Without an issuer, Validate reports it by the preset's name.
func issuerPreset(p OAuth, withSlash bool) OAuth {
	if p.Issuer != "" {
		p.Issuer = strings.TrimRight(p.Issuer, "/")
		if withSlash {
			p.Issuer += "/"
		}
	}
	return p
}
