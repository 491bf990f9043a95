package providers

import "cmp"

// oauthPreset builds an OAuth 2.0 preset from its declaration d and the
// application's settings c: the registration, then any override.
func oauthPreset(c OAuthConfig, d OAuth2Config) *OAuth {
	d.ClientID, d.ClientSecret, d.HTTPClient = c.ClientID, c.ClientSecret, c.HTTPClient
	d.ID, d.Name = cmp.Or(c.ID, d.ID), cmp.Or(c.Name, d.Name)
	if len(c.Scopes) > 0 {
		d.Scopes = c.Scopes
	}
	d.AuthorizationParams = mergeParams(d.AuthorizationParams, c.AuthorizationParams)
	if c.Checks != nil {
		d.Checks = c.Checks
	}
	if c.Profile != nil {
		d.Profile = c.Profile
	}
	return OAuth2(d)
}

// oidcPreset builds an OpenID Connect preset from its declaration d and
// the application's settings c. d.Issuer is used when c.Issuer is empty.
func oidcPreset(c OAuthConfig, d OIDCConfig) *OAuth {
	d.ClientID, d.ClientSecret, d.HTTPClient = c.ClientID, c.ClientSecret, c.HTTPClient
	d.ID, d.Name, d.Issuer = cmp.Or(c.ID, d.ID), cmp.Or(c.Name, d.Name), cmp.Or(c.Issuer, d.Issuer)
	if len(c.Scopes) > 0 {
		d.Scopes = c.Scopes
	}
	d.AuthorizationParams = mergeParams(d.AuthorizationParams, c.AuthorizationParams)
	if c.Checks != nil {
		d.Checks = c.Checks
	}
	if c.Profile != nil {
		d.Profile = c.Profile
	}
	return OIDC(d)
}

func mergeParams(base, over map[string]string) map[string]string {
	if len(over) == 0 {
		return base
	}
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}
