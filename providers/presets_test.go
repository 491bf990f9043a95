package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// hostRouter sends requests for the given hosts to a loopback test server
// and refuses every other host, so preset tests never reach the network.
type hostRouter struct {
	to    *url.URL
	hosts map[string]bool
}

func (h hostRouter) RoundTrip(r *http.Request) (*http.Response, error) {
	if !h.hosts[r.URL.Host] {
		return nil, fmt.Errorf("test: unexpected request to %s", r.URL.Host)
	}
	r2 := r.Clone(r.Context())
	// The Host header keeps the provider's host, so the server can tell
	// which one was asked.
	r2.URL.Scheme, r2.URL.Host, r2.Host = h.to.Scheme, h.to.Host, r.URL.Host
	return http.DefaultTransport.RoundTrip(r2)
}

// routedClient returns a client whose requests to hosts reach srv.
func routedClient(t *testing.T, srv *httptest.Server, hosts ...string) *http.Client {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, h := range hosts {
		m[h] = true
	}
	return &http.Client{Transport: hostRouter{to: u, hosts: m}}
}

func TestPresetDeclarations(t *testing.T) {
	reg := OAuthConfig{ClientID: "client-id", ClientSecret: "client-secret"}
	withIssuer := func(iss string) OAuthConfig { c := reg; c.Issuer = iss; return c }
	ps := []string{CheckPKCE, CheckState}
	tests := []struct {
		p                       *OAuth
		id, name, typ           string
		issuer                  string
		authURL, tokenURL, info string
		scopes                  []string
		checks                  []string
		clientAuth              ClientAuth
		responseMode            string
		params                  map[string]string
		skipIssuer              bool
	}{
		{p: GitHub(reg), id: "github", name: "GitHub", typ: TypeOAuth,
			authURL: "https://github.com/login/oauth/authorize", tokenURL: "https://github.com/login/oauth/access_token",
			info: "https://api.github.com/user", scopes: []string{"read:user", "user:email"}},
		{p: Google(reg), id: "google", name: "Google", typ: TypeOIDC, issuer: "https://accounts.google.com",
			scopes: []string{"openid", "profile", "email"}, checks: ps},
		{p: GitLab(reg), id: "gitlab", name: "GitLab", typ: TypeOAuth,
			authURL: "https://gitlab.com/oauth/authorize", tokenURL: "https://gitlab.com/oauth/token",
			info: "https://gitlab.com/api/v4/user", scopes: []string{"read_user"}, checks: ps},
		{p: Discord(reg), id: "discord", name: "Discord", typ: TypeOAuth,
			authURL: "https://discord.com/api/oauth2/authorize", tokenURL: "https://discord.com/api/oauth2/token",
			info: "https://discord.com/api/users/@me", scopes: []string{"identify", "email"}},
		{p: MicrosoftEntraID(reg), id: "microsoft-entra-id", name: "Microsoft Entra ID", typ: TypeOIDC,
			issuer: "https://login.microsoftonline.com/common/v2.0", scopes: []string{"openid", "profile", "email", "User.Read"},
			skipIssuer: true},
		{p: Apple(reg), id: "apple", name: "Apple", typ: TypeOIDC, issuer: "https://appleid.apple.com",
			scopes: []string{"name", "email"}, checks: []string{CheckNonce, CheckState}, clientAuth: ClientSecretPost,
			responseMode: "form_post"},
		{p: Facebook(reg), id: "facebook", name: "Facebook", typ: TypeOAuth,
			authURL: "https://www.facebook.com/v19.0/dialog/oauth", tokenURL: "https://graph.facebook.com/oauth/access_token",
			info: "https://graph.facebook.com/me?fields=id,name,email,picture", scopes: []string{"email"}},
		{p: LinkedIn(reg), id: "linkedin", name: "LinkedIn", typ: TypeOIDC, issuer: "https://www.linkedin.com/oauth",
			scopes: []string{"openid", "profile", "email"}, checks: []string{CheckState}, clientAuth: ClientSecretPost},
		{p: Slack(reg), id: "slack", name: "Slack", typ: TypeOIDC, issuer: "https://slack.com",
			scopes: []string{"openid", "profile", "email"}, checks: []string{CheckNonce, CheckState}},
		{p: Twitch(reg), id: "twitch", name: "Twitch", typ: TypeOIDC, issuer: "https://id.twitch.tv/oauth2",
			scopes: []string{"openid", "user:read:email"}, clientAuth: ClientSecretPost, checks: []string{CheckState, CheckNonce},
			params: map[string]string{"claims": `{"id_token":{"email":null,"picture":null,"preferred_username":null}}`}},
		{p: Spotify(reg), id: "spotify", name: "Spotify", typ: TypeOAuth,
			authURL: "https://accounts.spotify.com/authorize", tokenURL: "https://accounts.spotify.com/api/token",
			info: "https://api.spotify.com/v1/me", scopes: []string{"user-read-email"}},
		{p: Twitter(reg), id: "twitter", name: "Twitter", typ: TypeOAuth,
			authURL: "https://x.com/i/oauth2/authorize", tokenURL: "https://api.x.com/2/oauth2/token",
			info:   "https://api.x.com/2/users/me?user.fields=profile_image_url",
			scopes: []string{"users.read", "tweet.read", "offline.access"}, checks: ps},
		{p: Bitbucket(reg), id: "bitbucket", name: "Bitbucket", typ: TypeOAuth,
			authURL: "https://bitbucket.org/site/oauth2/authorize", tokenURL: "https://bitbucket.org/site/oauth2/access_token",
			info: "https://api.bitbucket.org/2.0/user", scopes: []string{"account"}, checks: []string{CheckState}},
		{p: Reddit(reg), id: "reddit", name: "Reddit", typ: TypeOAuth,
			authURL: "https://www.reddit.com/api/v1/authorize", tokenURL: "https://www.reddit.com/api/v1/access_token",
			info: "https://oauth.reddit.com/api/v1/me", scopes: []string{"identity"}, checks: []string{CheckState}},
		{p: Auth0(withIssuer("https://example.eu.auth0.com")), id: "auth0", name: "Auth0", typ: TypeOIDC,
			issuer: "https://example.eu.auth0.com/", scopes: []string{"openid", "profile", "email"}, checks: ps},
		{p: Okta(withIssuer("https://example.okta.com/oauth2/default")), id: "okta", name: "Okta", typ: TypeOIDC,
			issuer: "https://example.okta.com/oauth2/default", scopes: []string{"openid", "profile", "email"}, checks: ps},
		{p: Keycloak(withIssuer("https://kc.example.com/realms/main/")), id: "keycloak", name: "Keycloak", typ: TypeOIDC,
			issuer: "https://kc.example.com/realms/main", scopes: []string{"openid", "profile", "email"}, checks: ps},
		{p: Authentik(withIssuer("https://auth.example.com/application/o/my-app")), id: "authentik", name: "Authentik",
			typ: TypeOIDC, issuer: "https://auth.example.com/application/o/my-app/",
			scopes: []string{"openid", "profile", "email"}, checks: ps},
		{p: Zitadel(withIssuer("https://example-abc123.zitadel.cloud")), id: "zitadel", name: "ZITADEL", typ: TypeOIDC,
			issuer: "https://example-abc123.zitadel.cloud", scopes: []string{"openid", "profile", "email"}, checks: ps},
		{p: Cognito(withIssuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123")), id: "cognito",
			name: "Cognito", typ: TypeOIDC, issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
			scopes: []string{"openid", "profile", "email"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := tt.p
			if seen[p.ID()] {
				t.Fatalf("id %q used twice", p.ID())
			}
			seen[p.ID()] = true
			if p.ID() != tt.id || p.Name() != tt.name || p.Type() != tt.typ {
				t.Errorf("id, name, type = %q, %q, %q; want %q, %q, %q", p.ID(), p.Name(), p.Type(), tt.id, tt.name, tt.typ)
			}
			if p.Issuer() != tt.issuer {
				t.Errorf("issuer = %q, want %q", p.Issuer(), tt.issuer)
			}
			a, tok, info := p.Endpoints()
			if a != tt.authURL || tok != tt.tokenURL || info != tt.info {
				t.Errorf("endpoints = %q, %q, %q; want %q, %q, %q", a, tok, info, tt.authURL, tt.tokenURL, tt.info)
			}
			if !reflect.DeepEqual(p.Scopes(), tt.scopes) {
				t.Errorf("scopes = %q, want %q", p.Scopes(), tt.scopes)
			}
			if !reflect.DeepEqual(p.Checks(), tt.checks) {
				t.Errorf("checks = %q, want %q", p.Checks(), tt.checks)
			}
			if p.clientAuth != tt.clientAuth {
				t.Errorf("client auth = %d, want %d", p.clientAuth, tt.clientAuth)
			}
			if p.ResponseMode() != tt.responseMode {
				t.Errorf("response mode = %q, want %q", p.ResponseMode(), tt.responseMode)
			}
			if len(p.AuthorizationParams())+len(tt.params) > 0 && !reflect.DeepEqual(p.AuthorizationParams(), tt.params) {
				t.Errorf("params = %v, want %v", p.AuthorizationParams(), tt.params)
			}
			if p.skipIssuerCheck != tt.skipIssuer {
				t.Errorf("skip issuer check = %v, want %v", p.skipIssuerCheck, tt.skipIssuer)
			}
			if p.clientID != "client-id" || p.clientSecret != "client-secret" {
				t.Errorf("registration = %q, %q", p.clientID, p.clientSecret)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if tt.typ == TypeOAuth {
				checkAuthorizationURL(t, p, tt.authURL, tt.scopes)
			}
		})
	}
}

// checkAuthorizationURL builds an OAuth 2.0 preset's authorization URL
// (no network) and checks its endpoint and parameters.
func checkAuthorizationURL(t *testing.T, p *OAuth, authURL string, scopes []string) {
	t.Helper()
	raw, err := p.AuthorizationURL(context.Background(), AuthorizationRequest{
		RedirectURI: "https://app.example.com/api/auth/callback/" + p.ID(), State: "st", CodeChallenge: "cc",
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := url.Parse(authURL)
	q := u.Query()
	if u.Scheme != "https" || u.Host != want.Host || u.Path != want.Path {
		t.Errorf("authorization endpoint = %s://%s%s, want %s", u.Scheme, u.Host, u.Path, authURL)
	}
	for k, v := range map[string]string{
		"client_id": "client-id", "response_type": "code", "state": "st", "code_challenge": "cc",
		"code_challenge_method": "S256", "scope": strings.Join(scopes, " "),
		"redirect_uri": "https://app.example.com/api/auth/callback/" + p.ID(),
	} {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
}

func TestPresetProfiles(t *testing.T) {
	reg := OAuthConfig{ClientID: "client-id", ClientSecret: "client-secret", Issuer: "https://sso.example.com"}
	tests := []struct {
		name    string
		p       *OAuth
		profile string
		want    User
	}{
		{"github", GitHub(reg), `{"login":"octocat","id":583231,"node_id":"MDQ6VXNlcjU4MzIzMQ==",
			"avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","gravatar_id":"","type":"User",
			"site_admin":false,"name":"The Octocat","company":"@github","blog":"https://github.blog",
			"location":"San Francisco","email":"Octocat@GitHub.com","hireable":null,"bio":null,"public_repos":8,
			"followers":9999,"following":9,"created_at":"2011-01-25T18:44:36Z"}`,
			User{ID: "583231", Name: "The Octocat", Email: "octocat@github.com", Image: "https://avatars.githubusercontent.com/u/583231?v=4"}},
		{"github without name", GitHub(reg), `{"login":"hubot","id":1234567890123,"avatar_url":"https://avatars.githubusercontent.com/u/1?v=4","name":null,"email":null}`,
			User{ID: "1234567890123", Name: "hubot", Image: "https://avatars.githubusercontent.com/u/1?v=4"}},
		{"google", Google(reg), `{"iss":"https://accounts.google.com","azp":"client-id","aud":"client-id",
			"sub":"110169484474386276334","email":"Jane.Doe@gmail.com","email_verified":true,"at_hash":"HK6E_P6Dh8Y93mRNtsDB1Q",
			"name":"Jane Doe","picture":"https://lh3.googleusercontent.com/a/ACg8ocJ=s96-c","given_name":"Jane",
			"family_name":"Doe","locale":"en","iat":1700000000,"exp":1700003600}`,
			User{ID: "110169484474386276334", Name: "Jane Doe", Email: "jane.doe@gmail.com", Image: "https://lh3.googleusercontent.com/a/ACg8ocJ=s96-c"}},
		{"gitlab", GitLab(reg), `{"id":1,"username":"john_smith","email":"john@example.com","name":"John Smith",
			"state":"active","avatar_url":"https://gitlab.com/uploads/-/system/user/avatar/1/index.jpg",
			"web_url":"https://gitlab.com/john_smith","created_at":"2012-05-23T08:00:58Z","bio":"","two_factor_enabled":true}`,
			User{ID: "1", Name: "John Smith", Email: "john@example.com", Image: "https://gitlab.com/uploads/-/system/user/avatar/1/index.jpg"}},
		{"gitlab without name", GitLab(reg), `{"id":42,"username":"jsmith","email":"j@example.com","name":null,"avatar_url":null}`,
			User{ID: "42", Name: "jsmith", Email: "j@example.com"}},
		{"discord", Discord(reg), `{"id":"80351110224678912","username":"nelly","discriminator":"0",
			"global_name":"Nelly","avatar":"8342729096ea3675442027381ff50dfe","verified":true,"email":"nelly@discord.com",
			"flags":64,"banner":"06c16474723fe537c283b8efa61a30c8","accent_color":16711680,"premium_type":1,
			"public_flags":64,"mfa_enabled":true,"locale":"en-US"}`,
			User{ID: "80351110224678912", Name: "Nelly", Email: "nelly@discord.com", Image: "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"}},
		{"discord animated, no display name", Discord(reg), `{"id":"175928847299117063","username":"mason",
			"discriminator":"0","global_name":null,"avatar":"a_d5efa99b3eeaa7dd43acca82f5692432","email":null}`,
			User{ID: "175928847299117063", Name: "mason", Image: "https://cdn.discordapp.com/avatars/175928847299117063/a_d5efa99b3eeaa7dd43acca82f5692432.gif"}},
		{"discord default avatar", Discord(reg), `{"id":"80351110224678912","username":"nelly","discriminator":"0","global_name":null,"avatar":null,"email":"nelly@discord.com"}`,
			User{ID: "80351110224678912", Name: "nelly", Email: "nelly@discord.com", Image: "https://cdn.discordapp.com/embed/avatars/5.png"}},
		{"apple", Apple(reg), `{"iss":"https://appleid.apple.com","aud":"com.example.web","exp":1700003600,"iat":1700000000,
			"sub":"001234.5a9c1f0e7b2d4c8e9f0a1b2c3d4e5f60.1234","nonce":"abc","c_hash":"x","at_hash":"y",
			"email":"k9x2m4p8q7@privaterelay.appleid.com","email_verified":true,"is_private_email":true,
			"auth_time":1700000000,"nonce_supported":true}`,
			User{ID: "001234.5a9c1f0e7b2d4c8e9f0a1b2c3d4e5f60.1234", Email: "k9x2m4p8q7@privaterelay.appleid.com"}},
		{"facebook", Facebook(reg), `{"id":"10158263547294512","name":"Jane Doe","email":"jane@example.com",
			"picture":{"data":{"height":50,"is_silhouette":false,"url":"https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158263547294512&height=50&width=50","width":50}}}`,
			User{ID: "10158263547294512", Name: "Jane Doe", Email: "jane@example.com", Image: "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158263547294512&height=50&width=50"}},
		{"facebook without email", Facebook(reg), `{"id":"10158263547294513","name":"Mobile User"}`,
			User{ID: "10158263547294513", Name: "Mobile User"}},
		{"linkedin", LinkedIn(reg), `{"iss":"https://www.linkedin.com/oauth","aud":"client-id","iat":1700000000,
			"exp":1700003600,"sub":"782bbtaQ","name":"John Doe","given_name":"John","family_name":"Doe",
			"picture":"https://media.licdn.com/dms/image/C5603AQ/profile-displayphoto-shrink_100_100/0/","email":"doe@email.com",
			"email_verified":true,"locale":"en-US"}`,
			User{ID: "782bbtaQ", Name: "John Doe", Email: "doe@email.com", Image: "https://media.licdn.com/dms/image/C5603AQ/profile-displayphoto-shrink_100_100/0/"}},
		{"slack", Slack(reg), `{"iss":"https://slack.com","sub":"U0R7JM","aud":"25259531569.1115258246291","exp":1626874955,
			"iat":1626874655,"auth_time":1626874655,"nonce":"abcd","at_hash":"abc","https://slack.com/team_id":"T0R7GR",
			"https://slack.com/user_id":"U0R7JM","email":"krane@slack-corp.com","email_verified":true,
			"date_email_verified":1622128723,"locale":"en-US","name":"krane","given_name":"","family_name":"",
			"picture":"https://secure.gravatar.com/avatar/bc.jpg","https://slack.com/team_name":"kraneflannel"}`,
			User{ID: "U0R7JM", Name: "krane", Email: "krane@slack-corp.com", Image: "https://secure.gravatar.com/avatar/bc.jpg"}},
		{"twitch", Twitch(reg), `{"aud":"hof5gwx0su6owfnys0yan9c87zr6t","exp":1642889755,"iat":1642888855,
			"iss":"https://id.twitch.tv/oauth2","sub":"713936733","azp":"hof5gwx0su6owfnys0yan9c87zr6t",
			"preferred_username":"TwitchDev","email":"dev@twitch.tv","picture":"https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-profile_image-300x300.png"}`,
			User{ID: "713936733", Name: "TwitchDev", Email: "dev@twitch.tv", Image: "https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-profile_image-300x300.png"}},
		{"spotify", Spotify(reg), `{"country":"SE","display_name":"JM Wizzler","email":"email@example.com",
			"explicit_content":{"filter_enabled":false,"filter_locked":false},"external_urls":{"spotify":"https://open.spotify.com/user/wizzler"},
			"followers":{"href":null,"total":3829},"href":"https://api.spotify.com/v1/users/wizzler","id":"wizzler",
			"images":[{"height":300,"url":"https://i.scdn.co/image/ab6775700000ee85","width":300},{"height":64,"url":"https://i.scdn.co/image/small","width":64}],
			"product":"premium","type":"user","uri":"spotify:user:wizzler"}`,
			User{ID: "wizzler", Name: "JM Wizzler", Email: "email@example.com", Image: "https://i.scdn.co/image/ab6775700000ee85"}},
		{"spotify without images", Spotify(reg), `{"display_name":"nobody","email":"n@example.com","id":"31abc","images":[]}`,
			User{ID: "31abc", Name: "nobody", Email: "n@example.com"}},
		{"twitter", Twitter(reg), `{"data":{"id":"2244994945","name":"Developers","username":"XDevelopers",
			"profile_image_url":"https://pbs.twimg.com/profile_images/1683325380441128960/yRsRRjGO_normal.jpg"}}`,
			User{ID: "2244994945", Name: "Developers", Image: "https://pbs.twimg.com/profile_images/1683325380441128960/yRsRRjGO_normal.jpg"}},
		{"bitbucket", Bitbucket(reg), `{"display_name":"Erik van Zijst","links":{"self":{"href":"https://api.bitbucket.org/2.0/users/%7Bd301aafa%7D"},
			"avatar":{"href":"https://secure.gravatar.com/avatar/f6bd.png"},"html":{"href":"https://bitbucket.org/%7Bd301aafa%7D/"}},
			"created_on":"2010-07-07T04:15:05.127937+00:00","type":"user","uuid":"{d301aafa-d676-4ee0-88be-962be7417567}",
			"has_2fa_enabled":null,"username":"evzijst","is_staff":false,"account_id":"557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
			"nickname":"evzijst","account_status":"active","location":null}`,
			User{ID: "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443", Name: "Erik van Zijst", Image: "https://secure.gravatar.com/avatar/f6bd.png"}},
		{"reddit", Reddit(reg), `{"id":"1w72","name":"spez","icon_img":"https://styles.redditmedia.com/t5_3k30p/styles/profileIcon.png?width=256&amp;height=256",
			"total_karma":932402,"created_utc":1118030400.0,"verified":true,"has_verified_email":true}`,
			User{ID: "1w72", Name: "spez"}},
		{"auth0", Auth0(reg), `{"iss":"https://example.eu.auth0.com/","aud":"client-id","iat":1700000000,"exp":1700036000,
			"sub":"auth0|507f1f77bcf86cd799439020","sid":"Hn5u","given_name":"John","family_name":"Doe","nickname":"john.doe",
			"name":"John Doe","picture":"https://s.gravatar.com/avatar/3bd.png","updated_at":"2024-01-02T03:04:05.678Z",
			"email":"John.Doe@Example.com","email_verified":true}`,
			User{ID: "auth0|507f1f77bcf86cd799439020", Name: "John Doe", Email: "john.doe@example.com", Image: "https://s.gravatar.com/avatar/3bd.png"}},
		{"okta", Okta(reg), `{"sub":"00uid4BxXw6I6TV4m0g3","name":"John Doe","nickname":"Jimmy","preferred_username":"john.doe@example.com",
			"email":"john.doe@example.com","email_verified":true,"ver":1,"iss":"https://example.okta.com/oauth2/default",
			"aud":"client-id","iat":1700000000,"exp":1700003600,"jti":"ID.4eAWJOCMB3SX8XewDfVR","amr":["pwd"],
			"idp":"00ok1u7AsAkrwdZL3z0g","auth_time":1700000000}`,
			User{ID: "00uid4BxXw6I6TV4m0g3", Name: "John Doe", Email: "john.doe@example.com"}},
		{"keycloak", Keycloak(reg), `{"exp":1700000300,"iat":1700000000,"auth_time":1700000000,"jti":"0b4b9c2e",
			"iss":"https://kc.example.com/realms/main","aud":"ginauth","sub":"f1b5c2a4-3e8d-4a51-9d0c-6a2d1b7e8f90",
			"typ":"ID","azp":"ginauth","sid":"7c1e","email_verified":true,"preferred_username":"alice","email":"alice@example.com"}`,
			User{ID: "f1b5c2a4-3e8d-4a51-9d0c-6a2d1b7e8f90", Name: "alice", Email: "alice@example.com"}},
		{"authentik", Authentik(reg), `{"iss":"https://auth.example.com/application/o/my-app/","sub":"9c3b0b1e2f","aud":"client-id",
			"exp":1700000300,"iat":1700000000,"auth_time":1700000000,"acr":"goauthentik.io/providers/oauth2/default",
			"email":"bob@example.com","email_verified":true,"name":"Bob Builder","given_name":"Bob Builder",
			"preferred_username":"bob","nickname":"bob","groups":["authentik Admins"]}`,
			User{ID: "9c3b0b1e2f", Name: "Bob Builder", Email: "bob@example.com"}},
		{"zitadel", Zitadel(reg), `{"amr":["password","pwd"],"at_hash":"x","aud":["170086574599569665@example"],
			"auth_time":1700000000,"azp":"170086574599569665@example","email":"road.runner@acme.ch","email_verified":true,
			"exp":1700043200,"family_name":"Runner","given_name":"Road","iat":1700000000,"iss":"https://example-abc123.zitadel.cloud",
			"locale":"de","name":"Road Runner","picture":"https://example-abc123.zitadel.cloud/assets/v1/avatar.png",
			"preferred_username":"road.runner@acme.zitadel.cloud","sub":"77776025198584418"}`,
			User{ID: "77776025198584418", Name: "Road Runner", Email: "road.runner@acme.ch", Image: "https://example-abc123.zitadel.cloud/assets/v1/avatar.png"}},
		{"cognito", Cognito(reg), `{"sub":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","cognito:groups":["admin"],"email_verified":true,
			"iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123","cognito:username":"janedoe",
			"aud":"3n4b5urk1ft4fl3mg5e62d9ado","token_use":"id","auth_time":1700000000,"name":"Jane Doe","exp":1700003600,
			"iat":1700000000,"email":"janedoe@example.com"}`,
			User{ID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", Name: "Jane Doe", Email: "janedoe@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var profile map[string]any
			if err := json.Unmarshal([]byte(tt.profile), &profile); err != nil {
				t.Fatal(err)
			}
			got, err := tt.p.MapProfile(context.Background(), profile, &Tokens{AccessToken: "at"})
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("user = %+v\nwant   %+v", *got, tt.want)
			}
		})
	}
}

func TestDiscordAvatar(t *testing.T) {
	tests := []struct {
		name, id, hash, discriminator, want string
	}{
		{"own avatar", "80351110224678912", "8342729096ea3675442027381ff50dfe", "0",
			"https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"},
		{"animated avatar", "80351110224678912", "a_1269e74af4df7417b13759eae50c83dc", "0",
			"https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif"},
		// (80351110224678912 >> 22) % 6 == 5
		{"default, unique username", "80351110224678912", "", "0", "https://cdn.discordapp.com/embed/avatars/5.png"},
		// (175928847299117063 >> 22) % 6 == 2
		{"default, another id", "175928847299117063", "", "0", "https://cdn.discordapp.com/embed/avatars/2.png"},
		// 1337 % 5 == 2
		{"default, legacy discriminator", "80351110224678912", "", "1337", "https://cdn.discordapp.com/embed/avatars/2.png"},
		{"default, legacy discriminator 0005", "80351110224678912", "", "0005", "https://cdn.discordapp.com/embed/avatars/0.png"},
		{"default, no discriminator", "4194304", "", "", "https://cdn.discordapp.com/embed/avatars/1.png"},
	}
	for _, tt := range tests {
		if got := discordAvatar(tt.id, tt.hash, tt.discriminator); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// githubServer plays github.com's token endpoint and api.github.com.
type githubServer struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	user   string // JSON of GET /user
	emails string // JSON of GET /user/emails; "" answers 404
	status int    // status of GET /user (default 200)
}

func newGitHubServer(t *testing.T) *githubServer {
	gs := &githubServer{}
	gs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gs.mu.Lock()
		gs.paths = append(gs.paths, r.Host+" "+r.Method+" "+r.URL.Path)
		user, emails, status := gs.user, gs.emails, gs.status
		gs.mu.Unlock()
		if r.URL.Path != "/login/oauth/access_token" && r.Header.Get("Authorization") != "Bearer gho_token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/login/oauth/access_token":
			if id, secret, ok := r.BasicAuth(); !ok || id != "client-id" || secret != "client-secret" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, `{"access_token":"gho_token","token_type":"bearer","scope":"read:user,user:email"}`)
		case "/user":
			if status != 0 {
				w.WriteHeader(status)
			}
			fmt.Fprint(w, user)
		case "/user/emails":
			if emails == "" {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, `{"message":"Not Found"}`)
				return
			}
			fmt.Fprint(w, emails)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(gs.Close)
	return gs
}

func TestGitHubEmailFallback(t *testing.T) {
	const private = `{"login":"octocat","id":583231,"avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","name":"The Octocat","email":null}`
	tests := []struct {
		name       string
		user       string
		emails     string
		wantEmail  string
		wantEmails bool // whether /user/emails is asked
	}{
		{"public email", `{"login":"octocat","id":583231,"name":null,"email":"octocat@github.com"}`, "", "octocat@github.com", false},
		{"primary verified", private, `[
			{"email":"old@example.com","verified":true,"primary":false,"visibility":null},
			{"email":"Octo@Example.com","verified":true,"primary":true,"visibility":"private"},
			{"email":"583231+octocat@users.noreply.github.com","verified":true,"primary":false,"visibility":null}]`,
			"octo@example.com", true},
		{"primary not verified", private, `[
			{"email":"new@example.com","verified":false,"primary":true,"visibility":"private"},
			{"email":"other@example.com","verified":true,"primary":false,"visibility":null}]`,
			"", true},
		{"no addresses", private, `[]`, "", true},
		{"emails refused", private, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := newGitHubServer(t)
			gs.user, gs.emails = tt.user, tt.emails
			p := GitHub(OAuthConfig{ClientID: "client-id", ClientSecret: "client-secret",
				HTTPClient: routedClient(t, gs.Server, "github.com", "api.github.com")})
			res, err := p.Exchange(context.Background(), CallbackRequest{
				RedirectURI: "https://app.example.com/api/auth/callback/github", Code: "code-1", CodeVerifier: "v"})
			if err != nil {
				t.Fatal(err)
			}
			if res.User.ID != "583231" || res.User.Email != tt.wantEmail {
				t.Errorf("user = %+v, want id 583231 and email %q", *res.User, tt.wantEmail)
			}
			if res.Account.Provider != "github" || res.Account.ProviderAccountID != "583231" || res.Account.AccessToken != "gho_token" {
				t.Errorf("account = %+v", *res.Account)
			}
			gs.mu.Lock()
			defer gs.mu.Unlock()
			want := []string{"github.com POST /login/oauth/access_token", "api.github.com GET /user"}
			if tt.wantEmails {
				want = append(want, "api.github.com GET /user/emails")
			}
			if !reflect.DeepEqual(gs.paths, want) {
				t.Errorf("requests = %q, want %q", gs.paths, want)
			}
		})
	}
}

func TestGitHubUserError(t *testing.T) {
	gs := newGitHubServer(t)
	gs.user, gs.status = `{"message":"Bad credentials"}`, http.StatusUnauthorized
	p := GitHub(OAuthConfig{ClientID: "client-id", ClientSecret: "client-secret",
		HTTPClient: routedClient(t, gs.Server, "github.com", "api.github.com")})
	_, err := p.Exchange(context.Background(), CallbackRequest{RedirectURI: "https://app.example.com/api/auth/callback/github", Code: "c"})
	if !errors.Is(err, ErrUserInfo) {
		t.Fatalf("err = %v, want ErrUserInfo", err)
	}
}

// TestGitHubEmailsBroken: an /user/emails answer that is not a refusal but
// cannot be read fails the sign-in instead of dropping the email silently.
func TestGitHubEmailsBroken(t *testing.T) {
	gs := newGitHubServer(t)
	gs.user, gs.emails = `{"login":"octocat","id":583231,"email":null}`, `[{"email":`
	p := GitHub(OAuthConfig{ClientID: "client-id", ClientSecret: "client-secret",
		HTTPClient: routedClient(t, gs.Server, "github.com", "api.github.com")})
	_, err := p.Exchange(context.Background(), CallbackRequest{RedirectURI: "https://app.example.com/api/auth/callback/github", Code: "c"})
	if !errors.Is(err, ErrUserInfo) {
		t.Fatalf("err = %v, want ErrUserInfo", err)
	}
}

func TestIssuerPresetsNeedIssuer(t *testing.T) {
	reg := OAuthConfig{ClientID: "client-id", ClientSecret: "client-secret"}
	for _, p := range []*OAuth{Auth0(reg), Okta(reg), Keycloak(reg), Authentik(reg), Zitadel(reg), Cognito(reg)} {
		err := p.Validate()
		if err == nil {
			t.Errorf("%s: no error without an issuer", p.ID())
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, p.Name()) || !strings.Contains(msg, "Issuer") {
			t.Errorf("%s: error %q does not name the provider and the Issuer", p.ID(), msg)
		}
	}
	bad := reg
	bad.Issuer = "kc.example.com/realms/main"
	if err := Keycloak(bad).Validate(); err == nil {
		t.Error("Keycloak with a relative issuer accepted")
	}
}

func TestEntraIssuer(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tests := []struct {
		issuer, want string
		skip         bool
	}{
		{"", "https://login.microsoftonline.com/common/v2.0", true},
		{tenant, "https://login.microsoftonline.com/" + tenant + "/v2.0", false},
		{"https://login.microsoftonline.com/" + tenant + "/v2.0/", "https://login.microsoftonline.com/" + tenant + "/v2.0", false},
		{"organizations", "https://login.microsoftonline.com/organizations/v2.0", true},
		{"contoso.onmicrosoft.com", "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", true},
		{"https://login.microsoftonline.us/" + tenant + "/v2.0", "https://login.microsoftonline.us/" + tenant + "/v2.0", false},
	}
	for _, tt := range tests {
		p := MicrosoftEntraID(OAuthConfig{ClientID: "client-id", ClientSecret: "s", Issuer: tt.issuer})
		if p.Issuer() != tt.want || p.skipIssuerCheck != tt.skip {
			t.Errorf("Issuer %q: issuer %q, skip %v; want %q, %v", tt.issuer, p.Issuer(), p.skipIssuerCheck, tt.want, tt.skip)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("Issuer %q: %v", tt.issuer, err)
		}
	}
}

func TestEntraProfile(t *testing.T) {
	const (
		tid    = "9122040d-6c67-4c5b-b112-36a304b66dad"
		common = "https://login.microsoftonline.com/" + tid + "/v2.0"
	)
	photo := []byte("\xff\xd8\xff\xe0 a tiny jpeg")
	var mu sync.Mutex
	photoStatus, photoBody, photoAuth := http.StatusOK, photo, ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		photoAuth = r.Header.Get("Authorization")
		if r.URL.Path != "/v1.0/me/photos/48x48/$value" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.WriteHeader(photoStatus)
		w.Write(photoBody)
	}))
	t.Cleanup(srv.Close)
	client := routedClient(t, srv, "graph.microsoft.com")
	claims := func(iss, tid string) map[string]any {
		return map[string]any{
			"aud": "client-id", "iss": iss, "iat": float64(1700000000), "nbf": float64(1700000000), "exp": float64(1700003600),
			"name": "Megan Bowen", "oid": "48d31887-5fad-4d73-a9f5-3c356e68a038", "preferred_username": "MeganB@contoso.com",
			"email": "MeganB@Contoso.com", "rh": "0.AAA", "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
			"tid": tid, "uti": "AbC", "ver": "2.0",
		}
	}
	wantImage := "data:image/jpeg;base64,/9j/4CBhIHRpbnkganBlZw=="
	tests := []struct {
		name      string
		issuer    string
		profile   ProfileFunc
		claims    map[string]any
		status    int
		body      []byte
		wantImage string
		wantName  string
		wantErr   bool
	}{
		{name: "multi-tenant with photo", claims: claims(common, tid), status: 200, body: photo, wantImage: wantImage, wantName: "Megan Bowen"},
		{name: "no photo", claims: claims(common, tid), status: 404, body: []byte(`{"error":{"code":"ImageNotFound"}}`), wantName: "Megan Bowen"},
		{name: "photo too large", claims: claims(common, tid), status: 200, body: make([]byte, maxEntraPhotoBytes+1), wantName: "Megan Bowen"},
		{name: "issuer of another tenant", claims: claims("https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0", tid), status: 200, body: photo, wantErr: true},
		{name: "no tenant claim", claims: claims(common, ""), status: 200, body: photo, wantErr: true},
		{name: "single tenant", issuer: tid, claims: claims(common, tid), status: 200, body: photo, wantImage: wantImage, wantName: "Megan Bowen"},
		{name: "override keeps the tenant check", claims: claims("https://evil.example.com/"+tid+"/v2.0", tid), status: 200, body: photo, wantErr: true,
			profile: func(context.Context, map[string]any, *Tokens) (*User, error) { return &User{ID: "x"}, nil }},
		{name: "override", claims: claims(common, tid), status: 200, body: photo, wantName: "override",
			profile: func(_ context.Context, p map[string]any, _ *Tokens) (*User, error) {
				return &User{ID: String(p, "oid"), Name: "override", Email: String(p, "preferred_username")}, nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			photoStatus, photoBody, photoAuth = tt.status, tt.body, ""
			mu.Unlock()
			p := MicrosoftEntraID(OAuthConfig{ClientID: "client-id", ClientSecret: "s", Issuer: tt.issuer, HTTPClient: client, Profile: tt.profile})
			u, err := p.MapProfile(context.Background(), tt.claims, &Tokens{AccessToken: "graph-token"})
			if tt.wantErr {
				if !errors.Is(err, ErrProfile) {
					t.Fatalf("err = %v, want ErrProfile", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.profile != nil {
				if u.ID != "48d31887-5fad-4d73-a9f5-3c356e68a038" || u.Name != tt.wantName || u.Email != "meganb@contoso.com" {
					t.Errorf("user = %+v", *u)
				}
				return
			}
			want := User{ID: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", Name: tt.wantName, Email: "meganb@contoso.com", Image: tt.wantImage}
			if *u != want {
				t.Errorf("user = %+v\nwant   %+v", *u, want)
			}
			mu.Lock()
			defer mu.Unlock()
			if photoAuth != "Bearer graph-token" {
				t.Errorf("photo request authorization = %q", photoAuth)
			}
		})
	}
}

func TestPresetOverrides(t *testing.T) {
	profile := func(_ context.Context, p map[string]any, _ *Tokens) (*User, error) {
		return &User{ID: "custom-" + String(p, "id"), Name: "custom"}, nil
	}
	c := OAuthConfig{
		ClientID: "client-id", ClientSecret: "client-secret", Issuer: "https://kc.example.com/realms/main",
		ID: "corp", Name: "Corporate SSO", Scopes: []string{"openid", "roles"}, Checks: []string{CheckNonce},
		AuthorizationParams: map[string]string{"prompt": "login", "claims": "{}"},
		Profile:             profile,
	}
	oauth2 := c
	oauth2.Checks = []string{CheckState}
	tests := []struct {
		p          *OAuth
		wantParams map[string]string
		wantChecks []string
	}{
		{Keycloak(c), map[string]string{"prompt": "login", "claims": "{}"}, []string{CheckNonce}},
		{Twitch(c), map[string]string{"prompt": "login", "claims": "{}"}, []string{CheckNonce}},
		{Apple(c), map[string]string{"prompt": "login", "claims": "{}"}, []string{CheckNonce}},
		{GitHub(oauth2), map[string]string{"prompt": "login", "claims": "{}"}, []string{CheckState}},
		{Twitter(oauth2), map[string]string{"prompt": "login", "claims": "{}"}, []string{CheckState}},
	}
	for _, tt := range tests {
		p := tt.p
		if p.ID() != "corp" || p.Name() != "Corporate SSO" {
			t.Errorf("%s: id, name = %q, %q", p.ID(), p.ID(), p.Name())
		}
		if !reflect.DeepEqual(p.Scopes(), []string{"openid", "roles"}) || !reflect.DeepEqual(p.Checks(), tt.wantChecks) {
			t.Errorf("%s: scopes %q, checks %q", p.Name(), p.Scopes(), p.Checks())
		}
		if !reflect.DeepEqual(p.AuthorizationParams(), tt.wantParams) {
			t.Errorf("%s: params %v, want %v", p.Name(), p.AuthorizationParams(), tt.wantParams)
		}
		u, err := p.MapProfile(context.Background(), map[string]any{"id": float64(7), "sub": "s"}, nil)
		if err != nil || u.ID != "custom-7" || u.Name != "custom" {
			t.Errorf("%s: profile override: %+v, %v", p.Name(), u, err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name(), err)
		}
	}

	// Merging keeps the preset's parameters that the application does not set.
	tw := Twitch(OAuthConfig{ClientID: "client-id", AuthorizationParams: map[string]string{"force_verify": "true"}})
	want := map[string]string{"force_verify": "true", "claims": `{"id_token":{"email":null,"picture":null,"preferred_username":null}}`}
	if !reflect.DeepEqual(tw.AuthorizationParams(), want) {
		t.Errorf("merged params = %v, want %v", tw.AuthorizationParams(), want)
	}
	// The application's Issuer replaces a fixed one, and GitHub's profile
	// fetching survives a Profile override.
	if g := Google(OAuthConfig{ClientID: "c", Issuer: "https://accounts.example.com"}); g.Issuer() != "https://accounts.example.com" {
		t.Errorf("Google issuer override = %q", g.Issuer())
	}
	if gh := GitHub(oauth2); gh.userInfo == nil {
		t.Error("GitHub lost its /user/emails fallback with a Profile override")
	}
	// An override never leaks into the next preset built from the same
	// preset function.
	if d := Keycloak(OAuthConfig{ClientID: "c", Issuer: "https://kc.example.com/realms/main"}); d.ID() != "keycloak" ||
		!reflect.DeepEqual(d.Checks(), []string{CheckPKCE, CheckState}) || len(d.AuthorizationParams()) != 0 {
		t.Errorf("defaults after an override: %q %q %v", d.ID(), d.Checks(), d.AuthorizationParams())
	}
}
