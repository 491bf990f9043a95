package providers

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/providertest"
)

// The presets are declarations: these tests check their fields, and run
// their Profile, UserInfo and VerifyIssuer functions directly. The
// authorization URLs they produce and full exchanges against a loopback
// provider are tested with the engine, in internal/oauth.

// mapProfile runs a provider's profile mapping as the engine does before
// its own checks: Profile, or DefaultProfile when the preset has none.
func mapProfile(p OAuth, profile map[string]any, tokens *Tokens) (*authjs.User, error) {
	f := p.Profile
	if f == nil {
		f = DefaultProfile
	}
	return f(context.Background(), profile, tokens)
}

func TestPresetDeclarations(t *testing.T) {
	client := &http.Client{}
	reg := OAuth{ClientID: "client-id", ClientSecret: "client-secret", HTTPClient: client}
	withIssuer := func(iss string) OAuth { c := reg; c.Issuer = iss; return c }
	const (
		oauth = authjs.TypeOAuth
		oidc  = authjs.TypeOIDC
		ps    = CheckPKCE | CheckState
		psn   = CheckPKCE | CheckState | CheckNonce
	)
	tests := []struct {
		p                               OAuth
		id, name                        string
		typ                             authjs.ProviderType
		issuer                          string
		authURL, tokenURL, userInfoURL  string
		scopes                          []string
		checks                          Checks // as declared; 0 means the default
		inUse                           Checks
		clientAuth                      ClientAuth
		responseMode                    ResponseMode
		params                          map[string]string
		verifyIssuer, userInfo, profile bool
	}{
		{p: GitHub(reg), id: "github", name: "GitHub", typ: oauth,
			authURL: "https://github.com/login/oauth/authorize", tokenURL: "https://github.com/login/oauth/access_token",
			userInfoURL: "https://api.github.com/user", scopes: []string{"read:user", "user:email"}, inUse: ps,
			userInfo: true, profile: true},
		{p: Google(reg), id: "google", name: "Google", typ: oidc, issuer: "https://accounts.google.com", inUse: psn},
		{p: GitLab(reg), id: "gitlab", name: "GitLab", typ: oauth,
			authURL: "https://gitlab.com/oauth/authorize", tokenURL: "https://gitlab.com/oauth/token",
			userInfoURL: "https://gitlab.com/api/v4/user", scopes: []string{"read_user"}, inUse: ps, profile: true},
		{p: Discord(reg), id: "discord", name: "Discord", typ: oauth,
			authURL: "https://discord.com/api/oauth2/authorize", tokenURL: "https://discord.com/api/oauth2/token",
			userInfoURL: "https://discord.com/api/users/@me", scopes: []string{"identify", "email"}, inUse: ps, profile: true},
		{p: MicrosoftEntraID(reg), id: "microsoft-entra-id", name: "Microsoft Entra ID", typ: oidc,
			issuer: "https://login.microsoftonline.com/common/v2.0", scopes: []string{"openid", "profile", "email", "User.Read"},
			inUse: psn, verifyIssuer: true, userInfo: true, profile: true},
		{p: Apple(reg), id: "apple", name: "Apple", typ: oidc, issuer: "https://appleid.apple.com",
			scopes: []string{"name", "email"}, checks: CheckNonce | CheckState, inUse: CheckNonce | CheckState,
			clientAuth: ClientSecretPost, responseMode: ResponseModeFormPost},
		{p: Facebook(reg), id: "facebook", name: "Facebook", typ: oauth,
			authURL: "https://www.facebook.com/v19.0/dialog/oauth", tokenURL: "https://graph.facebook.com/oauth/access_token",
			userInfoURL: "https://graph.facebook.com/me?fields=id,name,email,picture", scopes: []string{"email"}, inUse: ps, profile: true},
		{p: LinkedIn(reg), id: "linkedin", name: "LinkedIn", typ: oidc, issuer: "https://www.linkedin.com/oauth",
			checks: CheckState, inUse: CheckState, clientAuth: ClientSecretPost},
		{p: Slack(reg), id: "slack", name: "Slack", typ: oidc, issuer: "https://slack.com",
			checks: CheckNonce | CheckState, inUse: CheckNonce | CheckState},
		{p: Twitch(reg), id: "twitch", name: "Twitch", typ: oidc, issuer: "https://id.twitch.tv/oauth2",
			scopes: []string{"openid", "user:read:email"}, clientAuth: ClientSecretPost,
			checks: CheckState | CheckNonce, inUse: CheckState | CheckNonce,
			params: map[string]string{"claims": `{"id_token":{"email":null,"picture":null,"preferred_username":null}}`}},
		{p: Spotify(reg), id: "spotify", name: "Spotify", typ: oauth,
			authURL: "https://accounts.spotify.com/authorize", tokenURL: "https://accounts.spotify.com/api/token",
			userInfoURL: "https://api.spotify.com/v1/me", scopes: []string{"user-read-email"}, inUse: ps, profile: true},
		{p: Twitter(reg), id: "twitter", name: "Twitter", typ: oauth,
			authURL: "https://x.com/i/oauth2/authorize", tokenURL: "https://api.x.com/2/oauth2/token",
			userInfoURL: "https://api.x.com/2/users/me?user.fields=profile_image_url",
			scopes:      []string{"users.read", "tweet.read", "offline.access"}, inUse: ps, profile: true},
		{p: Bitbucket(reg), id: "bitbucket", name: "Bitbucket", typ: oauth,
			authURL: "https://bitbucket.org/site/oauth2/authorize", tokenURL: "https://bitbucket.org/site/oauth2/access_token",
			userInfoURL: "https://api.bitbucket.org/2.0/user", scopes: []string{"account"}, checks: CheckState, inUse: CheckState,
			profile: true},
		{p: Reddit(reg), id: "reddit", name: "Reddit", typ: oauth,
			authURL: "https://www.reddit.com/api/v1/authorize", tokenURL: "https://www.reddit.com/api/v1/access_token",
			userInfoURL: "https://oauth.reddit.com/api/v1/me", scopes: []string{"identity"}, checks: CheckState, inUse: CheckState,
			profile: true},
		{p: Auth0(withIssuer("https://example.eu.auth0.com")), id: "auth0", name: "Auth0", typ: oidc,
			issuer: "https://example.eu.auth0.com/", inUse: psn},
		{p: Okta(withIssuer("https://example.okta.com/oauth2/default")), id: "okta", name: "Okta", typ: oidc,
			issuer: "https://example.okta.com/oauth2/default", inUse: psn},
		{p: Keycloak(withIssuer("https://kc.example.com/realms/main/")), id: "keycloak", name: "Keycloak", typ: oidc,
			issuer: "https://kc.example.com/realms/main", inUse: psn},
		{p: Authentik(withIssuer("https://auth.example.com/application/o/my-app")), id: "authentik", name: "Authentik",
			typ: oidc, issuer: "https://auth.example.com/application/o/my-app/", inUse: psn},
		{p: Zitadel(withIssuer("https://example-abc123.zitadel.cloud")), id: "zitadel", name: "ZITADEL", typ: oidc,
			issuer: "https://example-abc123.zitadel.cloud", inUse: psn},
		{p: Cognito(withIssuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123")), id: "cognito",
			name: "Cognito", typ: oidc, issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123", inUse: psn},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := tt.p
			if seen[p.ID] {
				t.Fatalf("id %q used twice", p.ID)
			}
			seen[p.ID] = true
			if info := p.Info(); info != (Info{ID: tt.id, Name: tt.name, Type: tt.typ}) {
				t.Errorf("Info() = %+v; want %q, %q, %q", info, tt.id, tt.name, tt.typ)
			}
			if p.Issuer != tt.issuer {
				t.Errorf("issuer = %q, want %q", p.Issuer, tt.issuer)
			}
			if p.AuthURL != tt.authURL || p.TokenURL != tt.tokenURL || p.UserInfoURL != tt.userInfoURL {
				t.Errorf("endpoints = %q, %q, %q; want %q, %q, %q", p.AuthURL, p.TokenURL, p.UserInfoURL, tt.authURL, tt.tokenURL, tt.userInfoURL)
			}
			if !reflect.DeepEqual(p.Scopes, tt.scopes) {
				t.Errorf("scopes = %q, want %q", p.Scopes, tt.scopes)
			}
			if p.Checks != tt.checks {
				t.Errorf("checks = %v, want %v", p.Checks, tt.checks)
			}
			if inUse := cmp.Or(p.Checks, DefaultChecks(p.Info().Type)); inUse != tt.inUse {
				t.Errorf("checks in use = %v, want %v", inUse, tt.inUse)
			}
			if p.ClientAuth != tt.clientAuth {
				t.Errorf("client auth = %d, want %d", p.ClientAuth, tt.clientAuth)
			}
			if p.ResponseMode != tt.responseMode {
				t.Errorf("response mode = %q, want %q", p.ResponseMode, tt.responseMode)
			}
			if len(p.AuthorizationParams)+len(tt.params) > 0 && !reflect.DeepEqual(p.AuthorizationParams, tt.params) {
				t.Errorf("params = %v, want %v", p.AuthorizationParams, tt.params)
			}
			if (p.VerifyIssuer != nil) != tt.verifyIssuer {
				t.Errorf("VerifyIssuer set = %v, want %v", p.VerifyIssuer != nil, tt.verifyIssuer)
			}
			if (p.UserInfo != nil) != tt.userInfo {
				t.Errorf("UserInfo set = %v, want %v", p.UserInfo != nil, tt.userInfo)
			}
			if (p.Profile != nil) != tt.profile {
				t.Errorf("Profile set = %v, want %v", p.Profile != nil, tt.profile)
			}
			if p.FetchUserInfo {
				t.Error("FetchUserInfo set")
			}
			if p.ClientID != "client-id" || p.ClientSecret != "client-secret" || p.HTTPClient != client {
				t.Errorf("registration = %q, %q, client %p", p.ClientID, p.ClientSecret, p.HTTPClient)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
	if len(seen) != len(tests) {
		t.Errorf("%d distinct ids for %d presets", len(seen), len(tests))
	}
}

func TestPresetProfiles(t *testing.T) {
	reg := OAuth{ClientID: "client-id", ClientSecret: "client-secret"}
	tests := []struct {
		name    string
		p       OAuth
		profile string
		want    authjs.User
	}{
		{"github", GitHub(reg), `{"login":"octocat","id":583231,"node_id":"MDQ6VXNlcjU4MzIzMQ==",
			"avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","gravatar_id":"","type":"User",
			"site_admin":false,"name":"The Octocat","company":"@github","blog":"https://github.blog",
			"location":"San Francisco","email":"Octocat@GitHub.com","hireable":null,"bio":null,"public_repos":8,
			"followers":9999,"following":9,"created_at":"2011-01-25T18:44:36Z"}`,
			authjs.User{ID: "583231", Name: "The Octocat", Email: "Octocat@GitHub.com", Image: "https://avatars.githubusercontent.com/u/583231?v=4"}},
		{"github without name", GitHub(reg), `{"login":"hubot","id":1234567890123,"avatar_url":"https://avatars.githubusercontent.com/u/1?v=4","name":null,"email":null}`,
			authjs.User{ID: "1234567890123", Name: "hubot", Image: "https://avatars.githubusercontent.com/u/1?v=4"}},
		{"google", Google(reg), `{"iss":"https://accounts.google.com","azp":"client-id","aud":"client-id",
			"sub":"110169484474386276334","email":"Jane.Doe@gmail.com","email_verified":true,"at_hash":"HK6E_P6Dh8Y93mRNtsDB1Q",
			"name":"Jane Doe","picture":"https://lh3.googleusercontent.com/a/ACg8ocJ=s96-c","given_name":"Jane",
			"family_name":"Doe","locale":"en","iat":1700000000,"exp":1700003600}`,
			authjs.User{ID: "110169484474386276334", Name: "Jane Doe", Email: "Jane.Doe@gmail.com", Image: "https://lh3.googleusercontent.com/a/ACg8ocJ=s96-c"}},
		{"gitlab", GitLab(reg), `{"id":1,"username":"john_smith","email":"john@example.com","name":"John Smith",
			"state":"active","avatar_url":"https://gitlab.com/uploads/-/system/user/avatar/1/index.jpg",
			"web_url":"https://gitlab.com/john_smith","created_at":"2012-05-23T08:00:58Z","bio":"","two_factor_enabled":true}`,
			authjs.User{ID: "1", Name: "John Smith", Email: "john@example.com", Image: "https://gitlab.com/uploads/-/system/user/avatar/1/index.jpg"}},
		{"gitlab without name", GitLab(reg), `{"id":42,"username":"jsmith","email":"j@example.com","name":null,"avatar_url":null}`,
			authjs.User{ID: "42", Name: "jsmith", Email: "j@example.com"}},
		{"discord", Discord(reg), `{"id":"80351110224678912","username":"nelly","discriminator":"0",
			"global_name":"Nelly","avatar":"8342729096ea3675442027381ff50dfe","verified":true,"email":"nelly@discord.com",
			"flags":64,"banner":"06c16474723fe537c283b8efa61a30c8","accent_color":16711680,"premium_type":1,
			"public_flags":64,"mfa_enabled":true,"locale":"en-US"}`,
			authjs.User{ID: "80351110224678912", Name: "Nelly", Email: "nelly@discord.com", Image: "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"}},
		{"discord animated, no display name", Discord(reg), `{"id":"175928847299117063","username":"mason",
			"discriminator":"0","global_name":null,"avatar":"a_d5efa99b3eeaa7dd43acca82f5692432","email":null}`,
			authjs.User{ID: "175928847299117063", Name: "mason", Image: "https://cdn.discordapp.com/avatars/175928847299117063/a_d5efa99b3eeaa7dd43acca82f5692432.gif"}},
		{"discord default avatar", Discord(reg), `{"id":"80351110224678912","username":"nelly","discriminator":"0","global_name":null,"avatar":null,"email":"nelly@discord.com"}`,
			authjs.User{ID: "80351110224678912", Name: "nelly", Email: "nelly@discord.com", Image: "https://cdn.discordapp.com/embed/avatars/5.png"}},
		{"apple", Apple(reg), `{"iss":"https://appleid.apple.com","aud":"com.example.web","exp":1700003600,"iat":1700000000,
			"sub":"001234.5a9c1f0e7b2d4c8e9f0a1b2c3d4e5f60.1234","nonce":"abc","c_hash":"x","at_hash":"y",
			"email":"k9x2m4p8q7@privaterelay.appleid.com","email_verified":true,"is_private_email":true,
			"auth_time":1700000000,"nonce_supported":true}`,
			authjs.User{ID: "001234.5a9c1f0e7b2d4c8e9f0a1b2c3d4e5f60.1234", Email: "k9x2m4p8q7@privaterelay.appleid.com"}},
		{"facebook", Facebook(reg), `{"id":"10158263547294512","name":"Jane Doe","email":"jane@example.com",
			"picture":{"data":{"height":50,"is_silhouette":false,"url":"https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158263547294512&height=50&width=50","width":50}}}`,
			authjs.User{ID: "10158263547294512", Name: "Jane Doe", Email: "jane@example.com", Image: "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158263547294512&height=50&width=50"}},
		{"facebook without email", Facebook(reg), `{"id":"10158263547294513","name":"Mobile User"}`,
			authjs.User{ID: "10158263547294513", Name: "Mobile User"}},
		{"linkedin", LinkedIn(reg), `{"iss":"https://www.linkedin.com/oauth","aud":"client-id","iat":1700000000,
			"exp":1700003600,"sub":"782bbtaQ","name":"John Doe","given_name":"John","family_name":"Doe",
			"picture":"https://media.licdn.com/dms/image/C5603AQ/profile-displayphoto-shrink_100_100/0/","email":"doe@email.com",
			"email_verified":true,"locale":"en-US"}`,
			authjs.User{ID: "782bbtaQ", Name: "John Doe", Email: "doe@email.com", Image: "https://media.licdn.com/dms/image/C5603AQ/profile-displayphoto-shrink_100_100/0/"}},
		{"slack", Slack(reg), `{"iss":"https://slack.com","sub":"U0R7JM","aud":"25259531569.1115258246291","exp":1626874955,
			"iat":1626874655,"auth_time":1626874655,"nonce":"abcd","at_hash":"abc","https://slack.com/team_id":"T0R7GR",
			"https://slack.com/user_id":"U0R7JM","email":"krane@slack-corp.com","email_verified":true,
			"date_email_verified":1622128723,"locale":"en-US","name":"krane","given_name":"","family_name":"",
			"picture":"https://secure.gravatar.com/avatar/bc.jpg","https://slack.com/team_name":"kraneflannel"}`,
			authjs.User{ID: "U0R7JM", Name: "krane", Email: "krane@slack-corp.com", Image: "https://secure.gravatar.com/avatar/bc.jpg"}},
		{"twitch", Twitch(reg), `{"aud":"hof5gwx0su6owfnys0yan9c87zr6t","exp":1642889755,"iat":1642888855,
			"iss":"https://id.twitch.tv/oauth2","sub":"713936733","azp":"hof5gwx0su6owfnys0yan9c87zr6t",
			"preferred_username":"TwitchDev","email":"dev@twitch.tv","picture":"https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-profile_image-300x300.png"}`,
			authjs.User{ID: "713936733", Name: "TwitchDev", Email: "dev@twitch.tv", Image: "https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-profile_image-300x300.png"}},
		{"spotify", Spotify(reg), `{"country":"SE","display_name":"JM Wizzler","email":"email@example.com",
			"explicit_content":{"filter_enabled":false,"filter_locked":false},"external_urls":{"spotify":"https://open.spotify.com/user/wizzler"},
			"followers":{"href":null,"total":3829},"href":"https://api.spotify.com/v1/users/wizzler","id":"wizzler",
			"images":[{"height":300,"url":"https://i.scdn.co/image/ab6775700000ee85","width":300},{"height":64,"url":"https://i.scdn.co/image/small","width":64}],
			"product":"premium","type":"user","uri":"spotify:user:wizzler"}`,
			authjs.User{ID: "wizzler", Name: "JM Wizzler", Email: "email@example.com", Image: "https://i.scdn.co/image/ab6775700000ee85"}},
		{"spotify without images", Spotify(reg), `{"display_name":"nobody","email":"n@example.com","id":"31abc","images":[]}`,
			authjs.User{ID: "31abc", Name: "nobody", Email: "n@example.com"}},
		{"twitter", Twitter(reg), `{"data":{"id":"2244994945","name":"Developers","username":"XDevelopers",
			"profile_image_url":"https://pbs.twimg.com/profile_images/1683325380441128960/yRsRRjGO_normal.jpg"}}`,
			authjs.User{ID: "2244994945", Name: "Developers", Image: "https://pbs.twimg.com/profile_images/1683325380441128960/yRsRRjGO_normal.jpg"}},
		{"bitbucket", Bitbucket(reg), `{"display_name":"Erik van Zijst","links":{"self":{"href":"https://api.bitbucket.org/2.0/users/%7Bd301aafa%7D"},
			"avatar":{"href":"https://secure.gravatar.com/avatar/f6bd.png"},"html":{"href":"https://bitbucket.org/%7Bd301aafa%7D/"}},
			"created_on":"2010-07-07T04:15:05.127937+00:00","type":"user","uuid":"{d301aafa-d676-4ee0-88be-962be7417567}",
			"has_2fa_enabled":null,"username":"evzijst","is_staff":false,"account_id":"557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
			"nickname":"evzijst","account_status":"active","location":null}`,
			authjs.User{ID: "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443", Name: "Erik van Zijst", Image: "https://secure.gravatar.com/avatar/f6bd.png"}},
		{"reddit", Reddit(reg), `{"id":"1w72","name":"spez","icon_img":"https://styles.redditmedia.com/t5_3k30p/styles/profileIcon.png?width=256&amp;height=256",
			"total_karma":932402,"created_utc":1118030400.0,"verified":true,"has_verified_email":true}`,
			authjs.User{ID: "1w72", Name: "spez"}},
		{"auth0", Auth0(reg), `{"iss":"https://example.eu.auth0.com/","aud":"client-id","iat":1700000000,"exp":1700036000,
			"sub":"auth0|507f1f77bcf86cd799439020","sid":"Hn5u","given_name":"John","family_name":"Doe","nickname":"john.doe",
			"name":"John Doe","picture":"https://s.gravatar.com/avatar/3bd.png","updated_at":"2024-01-02T03:04:05.678Z",
			"email":"John.Doe@Example.com","email_verified":true}`,
			authjs.User{ID: "auth0|507f1f77bcf86cd799439020", Name: "John Doe", Email: "John.Doe@Example.com", Image: "https://s.gravatar.com/avatar/3bd.png"}},
		{"okta", Okta(reg), `{"sub":"00uid4BxXw6I6TV4m0g3","name":"John Doe","nickname":"Jimmy","preferred_username":"john.doe@example.com",
			"email":"john.doe@example.com","email_verified":true,"ver":1,"iss":"https://example.okta.com/oauth2/default",
			"aud":"client-id","iat":1700000000,"exp":1700003600,"jti":"ID.4eAWJOCMB3SX8XewDfVR","amr":["pwd"],
			"idp":"00ok1u7AsAkrwdZL3z0g","auth_time":1700000000}`,
			authjs.User{ID: "00uid4BxXw6I6TV4m0g3", Name: "John Doe", Email: "john.doe@example.com"}},
		{"keycloak", Keycloak(reg), `{"exp":1700000300,"iat":1700000000,"auth_time":1700000000,"jti":"0b4b9c2e",
			"iss":"https://kc.example.com/realms/main","aud":"ginauth","sub":"f1b5c2a4-3e8d-4a51-9d0c-6a2d1b7e8f90",
			"typ":"ID","azp":"ginauth","sid":"7c1e","email_verified":true,"preferred_username":"alice","email":"alice@example.com"}`,
			authjs.User{ID: "f1b5c2a4-3e8d-4a51-9d0c-6a2d1b7e8f90", Name: "alice", Email: "alice@example.com"}},
		{"authentik", Authentik(reg), `{"iss":"https://auth.example.com/application/o/my-app/","sub":"9c3b0b1e2f","aud":"client-id",
			"exp":1700000300,"iat":1700000000,"auth_time":1700000000,"acr":"goauthentik.io/providers/oauth2/default",
			"email":"bob@example.com","email_verified":true,"name":"Bob Builder","given_name":"Bob Builder",
			"preferred_username":"bob","nickname":"bob","groups":["authentik Admins"]}`,
			authjs.User{ID: "9c3b0b1e2f", Name: "Bob Builder", Email: "bob@example.com"}},
		{"zitadel", Zitadel(reg), `{"amr":["password","pwd"],"at_hash":"x","aud":["170086574599569665@example"],
			"auth_time":1700000000,"azp":"170086574599569665@example","email":"road.runner@acme.ch","email_verified":true,
			"exp":1700043200,"family_name":"Runner","given_name":"Road","iat":1700000000,"iss":"https://example-abc123.zitadel.cloud",
			"locale":"de","name":"Road Runner","picture":"https://example-abc123.zitadel.cloud/assets/v1/avatar.png",
			"preferred_username":"road.runner@acme.zitadel.cloud","sub":"77776025198584418"}`,
			authjs.User{ID: "77776025198584418", Name: "Road Runner", Email: "road.runner@acme.ch", Image: "https://example-abc123.zitadel.cloud/assets/v1/avatar.png"}},
		{"cognito", Cognito(reg), `{"sub":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","cognito:groups":["admin"],"email_verified":true,
			"iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123","cognito:username":"janedoe",
			"aud":"3n4b5urk1ft4fl3mg5e62d9ado","token_use":"id","auth_time":1700000000,"name":"Jane Doe","exp":1700003600,
			"iat":1700000000,"email":"janedoe@example.com"}`,
			authjs.User{ID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", Name: "Jane Doe", Email: "janedoe@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var profile map[string]any
			if err := json.Unmarshal([]byte(tt.profile), &profile); err != nil {
				t.Fatal(err)
			}
			got, err := mapProfile(tt.p, profile, &Tokens{AccessToken: "at"})
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

// TestGitHubUserInfo runs the GitHub preset's UserInfo: /user, and
// /user/emails when the email is private.
func TestGitHubUserInfo(t *testing.T) {
	for _, tt := range providertest.EmailCases {
		t.Run(tt.Name, func(t *testing.T) {
			gs := providertest.NewGitHub(t)
			gs.Set(tt.User, 0, tt.Emails)
			p := GitHub(OAuth{ClientID: "client-id", ClientSecret: "client-secret"})
			client := providertest.RoutedClient(t, gs.Server, "api.github.com")
			profile, err := p.UserInfo(context.Background(), client, &Tokens{AccessToken: "gho_token"})
			if err != nil {
				t.Fatal(err)
			}
			if got := String(profile, "email"); got != tt.Email {
				t.Errorf("email = %q, want %q", got, tt.Email)
			}
			u, err := p.Profile(context.Background(), profile, nil)
			if err != nil || u.ID != "583231" || u.Email != tt.Email {
				t.Errorf("user = %+v, %v; want id 583231 and email %q", u, err, tt.Email)
			}
			want := []string{"api.github.com GET /user"}
			if tt.AsksEmails {
				want = append(want, "api.github.com GET /user/emails")
			}
			if got := gs.Requests(); !reflect.DeepEqual(got, want) {
				t.Errorf("requests = %q, want %q", got, want)
			}
		})
	}
}

// TestGitHubUserInfoErrors: a refused /user fails, and so does an
// /user/emails answer that is not a refusal but cannot be read, instead of
// dropping the email silently.
func TestGitHubUserInfoErrors(t *testing.T) {
	p := GitHub(OAuth{ClientID: "client-id", ClientSecret: "client-secret"})

	gs := providertest.NewGitHub(t)
	gs.Set(`{"message":"Bad credentials"}`, http.StatusUnauthorized, "")
	_, err := p.UserInfo(context.Background(), providertest.RoutedClient(t, gs.Server, "api.github.com"), &Tokens{AccessToken: "gho_token"})
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized || se.URL != "https://api.github.com/user" {
		t.Errorf("refused /user: %v", err)
	}

	gs = providertest.NewGitHub(t)
	gs.Set(`{"login":"octocat","id":583231,"email":null}`, 0, `[{"email":`)
	_, err = p.UserInfo(context.Background(), providertest.RoutedClient(t, gs.Server, "api.github.com"), &Tokens{AccessToken: "gho_token"})
	if err == nil || errors.As(err, &se) {
		t.Errorf("broken /user/emails: %v", err)
	}

	// A /user answer of null is an empty profile, whose email is looked up.
	gs = providertest.NewGitHub(t)
	gs.Set(`null`, 0, `[{"email":"a@example.com","verified":true,"primary":true}]`)
	profile, err := p.UserInfo(context.Background(), providertest.RoutedClient(t, gs.Server, "api.github.com"), &Tokens{AccessToken: "gho_token"})
	if err != nil || !reflect.DeepEqual(profile, map[string]any{"email": "a@example.com"}) {
		t.Errorf("null /user: %v, %v", profile, err)
	}

	// A transport failure of /user/emails is not a refusal either.
	dropping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/user/emails" {
			panic(http.ErrAbortHandler) // drops the connection
		}
		fmt.Fprint(w, `{"login":"octocat","id":583231,"email":null}`)
	}))
	t.Cleanup(dropping.Close)
	if _, err := p.UserInfo(context.Background(), providertest.RoutedClient(t, dropping, "api.github.com"), &Tokens{AccessToken: "gho_token"}); err == nil {
		t.Error("dropped /user/emails: no error")
	}
}

func TestIssuerPresetsNeedIssuer(t *testing.T) {
	reg := OAuth{ClientID: "client-id", ClientSecret: "client-secret"}
	for _, p := range []OAuth{Auth0(reg), Okta(reg), Keycloak(reg), Authentik(reg), Zitadel(reg), Cognito(reg)} {
		if p.Info().Type != authjs.TypeOIDC {
			t.Errorf("%s: type %q without an issuer", p.ID, p.Info().Type)
		}
		err := p.Validate()
		if err == nil {
			t.Errorf("%s: no error without an issuer", p.ID)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, p.Name) || !strings.Contains(msg, "Issuer") {
			t.Errorf("%s: error %q does not name the provider and the Issuer", p.ID, msg)
		}
	}
	bad := reg
	bad.Issuer = "kc.example.com/realms/main"
	if err := Keycloak(bad).Validate(); err == nil {
		t.Error("Keycloak with a relative issuer accepted")
	}
}

// TestIssuerPresetsSlash: Auth0's and authentik's issuers end in "/", the
// others' do not, whichever way the application writes them.
func TestIssuerPresetsSlash(t *testing.T) {
	for _, tt := range []struct {
		preset    func(OAuth) OAuth
		withSlash bool
	}{{Auth0, true}, {Authentik, true}, {Okta, false}, {Keycloak, false}, {Zitadel, false}, {Cognito, false}} {
		for _, iss := range []string{"https://idp.example.com/x", "https://idp.example.com/x/", "https://idp.example.com/x//"} {
			p := tt.preset(OAuth{ClientID: "c", Issuer: iss})
			want := "https://idp.example.com/x"
			if tt.withSlash {
				want += "/"
			}
			if p.Issuer != want {
				t.Errorf("%s(%q): issuer %q, want %q", p.ID, iss, p.Issuer, want)
			}
		}
	}
}

const entraTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

func TestEntraIssuer(t *testing.T) {
	const tenant = entraTenant
	tests := []struct {
		issuer, want string
		verify       bool
	}{
		{"", "https://login.microsoftonline.com/common/v2.0", true},
		{"  ", "https://login.microsoftonline.com/common/v2.0", true},
		{tenant, "https://login.microsoftonline.com/" + tenant + "/v2.0", false},
		{"/" + tenant + "/", "https://login.microsoftonline.com/" + tenant + "/v2.0", false},
		{"https://login.microsoftonline.com/" + tenant + "/v2.0/", "https://login.microsoftonline.com/" + tenant + "/v2.0", false},
		{strings.ToUpper(tenant), "https://login.microsoftonline.com/" + strings.ToUpper(tenant) + "/v2.0", false},
		{"organizations", "https://login.microsoftonline.com/organizations/v2.0", true},
		{"consumers", "https://login.microsoftonline.com/consumers/v2.0", true},
		{"contoso.onmicrosoft.com", "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", true},
		// Almost a GUID: one character short, or a non-hex digit.
		{tenant[:35], "https://login.microsoftonline.com/" + tenant[:35] + "/v2.0", true},
		{"72f988bf-86f1-41af-91ab-2d7cd011db4g", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db4g/v2.0", true},
		{"72f988bf086f1-41af-91ab-2d7cd011db47", "https://login.microsoftonline.com/72f988bf086f1-41af-91ab-2d7cd011db47/v2.0", true},
		{"https://login.microsoftonline.us/" + tenant + "/v2.0", "https://login.microsoftonline.us/" + tenant + "/v2.0", false},
		{"https://login.microsoftonline.us/organizations/v2.0", "https://login.microsoftonline.us/organizations/v2.0", true},
	}
	for _, tt := range tests {
		p := MicrosoftEntraID(OAuth{ClientID: "client-id", ClientSecret: "s", Issuer: tt.issuer})
		if p.Issuer != tt.want || (p.VerifyIssuer != nil) != tt.verify {
			t.Errorf("Issuer %q: issuer %q, VerifyIssuer set %v; want %q, %v", tt.issuer, p.Issuer, p.VerifyIssuer != nil, tt.want, tt.verify)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("Issuer %q: %v", tt.issuer, err)
		}
	}
}

// TestEntraVerifyIssuer: for the multi-tenant forms, "iss" must be the
// issuer of the token's own tenant, on the configured cloud.
func TestEntraVerifyIssuer(t *testing.T) {
	const tid = "9122040d-6c67-4c5b-b112-36a304b66dad"
	claims := func(iss, tid string) map[string]any {
		c := map[string]any{"iss": iss, "sub": "s", "aud": "client-id"}
		if tid != "" {
			c["tid"] = tid
		}
		return c
	}
	tests := []struct {
		name, issuer string
		claims       map[string]any
		ok           bool
	}{
		{"own tenant", "", claims("https://login.microsoftonline.com/"+tid+"/v2.0", tid), true},
		{"organizations", "organizations", claims("https://login.microsoftonline.com/"+tid+"/v2.0", tid), true},
		{"issuer of another tenant", "", claims("https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0", tid), false},
		{"no tenant claim", "", claims("https://login.microsoftonline.com//v2.0", ""), false},
		{"no issuer", "", claims("", tid), false},
		{"another host", "", claims("https://evil.example.com/"+tid+"/v2.0", tid), false},
		{"another cloud", "", claims("https://login.microsoftonline.us/"+tid+"/v2.0", tid), false},
		{"v1 issuer", "", claims("https://sts.windows.net/"+tid+"/", tid), false},
		{"placeholder", "", claims("https://login.microsoftonline.com/{tenantid}/v2.0", tid), false},
		{"sovereign cloud", "https://login.microsoftonline.us/organizations/v2.0", claims("https://login.microsoftonline.us/"+tid+"/v2.0", tid), true},
		{"public cloud token on a sovereign cloud", "https://login.microsoftonline.us/organizations/v2.0",
			claims("https://login.microsoftonline.com/"+tid+"/v2.0", tid), false},
	}
	for _, tt := range tests {
		p := MicrosoftEntraID(OAuth{ClientID: "client-id", Issuer: tt.issuer})
		err := p.VerifyIssuer(tt.claims)
		if (err == nil) != tt.ok {
			t.Errorf("%s: VerifyIssuer = %v, want ok %v", tt.name, err, tt.ok)
		}
	}

	// A Profile override keeps the tenant check.
	p := MicrosoftEntraID(OAuth{ClientID: "client-id",
		Profile: func(context.Context, map[string]any, *Tokens) (*authjs.User, error) {
			return &authjs.User{ID: "x"}, nil
		}})
	if p.VerifyIssuer == nil || p.VerifyIssuer(claims("https://evil.example.com/"+tid+"/v2.0", tid)) == nil {
		t.Error("a Profile override dropped the tenant check")
	}
	// The application's own VerifyIssuer replaces the preset's.
	var called bool
	own := func(map[string]any) error { called = true; return nil }
	p = MicrosoftEntraID(OAuth{ClientID: "client-id", VerifyIssuer: own})
	if err := p.VerifyIssuer(claims("https://evil.example.com/x", "")); err != nil || !called {
		t.Errorf("own VerifyIssuer: %v, called %v", err, called)
	}
}

// entraGraph plays Microsoft Graph's photo endpoint.
type entraGraph struct {
	*httptest.Server
	mu          sync.Mutex
	status      int
	body        []byte
	contentType string
	auth        []string // Authorization of each request
}

func newEntraGraph(t *testing.T) *entraGraph {
	g := &entraGraph{status: http.StatusOK, contentType: "image/jpeg"}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.auth = append(g.auth, r.Header.Get("Authorization"))
		if r.Host != "graph.microsoft.com" || r.URL.Path != "/v1.0/me/photos/48x48/$value" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", g.contentType)
		w.WriteHeader(g.status)
		w.Write(g.body)
	}))
	t.Cleanup(g.Close)
	return g
}

// TestEntraPhoto runs the Entra preset's UserInfo, which fetches the
// user's photo as a data: URL and never fails the sign-in.
func TestEntraPhoto(t *testing.T) {
	photo := []byte("\xff\xd8\xff\xe0 a tiny jpeg")
	const wantJPEG = "data:image/jpeg;base64,/9j/4CBhIHRpbnkganBlZw=="
	full := make([]byte, maxEntraPhotoBytes)
	tests := []struct {
		name        string
		status      int
		contentType string
		body        []byte
		token       string
		want        map[string]any
		requests    int
	}{
		{"jpeg", 200, "image/jpeg", photo, "graph-token", map[string]any{"picture": wantJPEG}, 1},
		{"png", 200, "image/png", photo, "graph-token", map[string]any{"picture": "data:image/png;base64,/9j/4CBhIHRpbnkganBlZw=="}, 1},
		{"type with parameters", 200, "image/png; q=1", photo, "graph-token", map[string]any{"picture": "data:image/png;base64,/9j/4CBhIHRpbnkganBlZw=="}, 1},
		{"not an image type", 200, "text/html", photo, "graph-token", map[string]any{"picture": wantJPEG}, 1},
		{"no type", 200, "", photo, "graph-token", map[string]any{"picture": wantJPEG}, 1},
		{"no photo", 404, "application/json", []byte(`{"error":{"code":"ImageNotFound"}}`), "graph-token", map[string]any{}, 1},
		{"other success status", 203, "image/jpeg", photo, "graph-token", map[string]any{}, 1},
		{"empty photo", 200, "image/jpeg", nil, "graph-token", map[string]any{}, 1},
		{"largest photo", 200, "image/jpeg", full, "graph-token", map[string]any{"picture": "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(full)}, 1},
		{"photo too large", 200, "image/jpeg", make([]byte, maxEntraPhotoBytes+1), "graph-token", map[string]any{}, 1},
		{"no access token", 200, "image/jpeg", photo, "", map[string]any{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newEntraGraph(t)
			g.status, g.contentType, g.body = tt.status, tt.contentType, tt.body
			p := MicrosoftEntraID(OAuth{ClientID: "client-id"})
			got, err := p.UserInfo(context.Background(), providertest.RoutedClient(t, g.Server, "graph.microsoft.com"), &Tokens{AccessToken: tt.token})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("claims = %.120v, want %.120v", got, tt.want)
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if len(g.auth) != tt.requests {
				t.Errorf("%d photo requests, want %d", len(g.auth), tt.requests)
			}
			for _, a := range g.auth {
				if a != "Bearer "+tt.token {
					t.Errorf("photo request authorization = %q", a)
				}
			}
		})
	}
	// A photo that never ends is read no further than the limit.
	done := make(chan struct{})
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(make([]byte, maxEntraPhotoBytes+1))
		w.(http.Flusher).Flush()
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(endless.Close)
	t.Cleanup(func() { close(done) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := MicrosoftEntraID(OAuth{ClientID: "client-id"})
	if got, err := p.UserInfo(ctx, providertest.RoutedClient(t, endless, "graph.microsoft.com"), &Tokens{AccessToken: "t"}); err != nil || len(got) != 0 || ctx.Err() != nil {
		t.Errorf("endless photo: %v, %v, waited for the end: %v", got, err, ctx.Err())
	}

	// A failed request is no photo, not an error.
	p = MicrosoftEntraID(OAuth{ClientID: "client-id"})
	unreachable := providertest.Offline()
	if got, err := p.UserInfo(context.Background(), unreachable, &Tokens{AccessToken: "t"}); err != nil || len(got) != 0 {
		t.Errorf("unreachable Graph: %v, %v", got, err)
	}
}

// TestEntraProfile maps the ID token's claims with the photo merged over
// them, as the engine does, after the tenant check.
func TestEntraProfile(t *testing.T) {
	const (
		tid    = "9122040d-6c67-4c5b-b112-36a304b66dad"
		common = "https://login.microsoftonline.com/" + tid + "/v2.0"
	)
	photo := []byte("\xff\xd8\xff\xe0 a tiny jpeg")
	g := newEntraGraph(t)
	client := providertest.RoutedClient(t, g.Server, "graph.microsoft.com")
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
		wantErr   bool // the tenant check refuses the claims
	}{
		{name: "multi-tenant with photo", claims: claims(common, tid), status: 200, body: photo, wantImage: wantImage, wantName: "Megan Bowen"},
		{name: "no photo", claims: claims(common, tid), status: 404, body: []byte(`{"error":{"code":"ImageNotFound"}}`), wantName: "Megan Bowen"},
		{name: "photo too large", claims: claims(common, tid), status: 200, body: make([]byte, maxEntraPhotoBytes+1), wantName: "Megan Bowen"},
		{name: "issuer of another tenant", claims: claims("https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0", tid), status: 200, body: photo, wantErr: true},
		{name: "no tenant claim", claims: claims(common, ""), status: 200, body: photo, wantErr: true},
		{name: "single tenant", issuer: tid, claims: claims(common, tid), status: 200, body: photo, wantImage: wantImage, wantName: "Megan Bowen"},
		{name: "override keeps the tenant check", claims: claims("https://evil.example.com/"+tid+"/v2.0", tid), status: 200, body: photo, wantErr: true,
			profile: func(context.Context, map[string]any, *Tokens) (*authjs.User, error) {
				return &authjs.User{ID: "x"}, nil
			}},
		{name: "override", claims: claims(common, tid), status: 200, body: photo, wantName: "override",
			profile: func(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
				return &authjs.User{ID: String(p, "oid"), Name: "override", Email: String(p, "preferred_username"), Image: String(p, "picture")}, nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.mu.Lock()
			g.status, g.body, g.auth = tt.status, tt.body, nil
			g.mu.Unlock()
			p := MicrosoftEntraID(OAuth{ClientID: "client-id", ClientSecret: "s", Issuer: tt.issuer, HTTPClient: client, Profile: tt.profile})
			if p.VerifyIssuer != nil {
				err := p.VerifyIssuer(tt.claims)
				if tt.wantErr {
					if err == nil {
						t.Fatal("the tenant check accepted the claims")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
			} else if tt.wantErr {
				t.Fatal("no tenant check")
			}
			extra, err := p.UserInfo(context.Background(), p.HTTPClient, &Tokens{AccessToken: "graph-token"})
			if err != nil {
				t.Fatal(err)
			}
			profile := maps.Clone(tt.claims)
			maps.Copy(profile, extra)
			u, err := p.Profile(context.Background(), profile, &Tokens{AccessToken: "graph-token"})
			if err != nil {
				t.Fatal(err)
			}
			if tt.profile != nil {
				if u.ID != "48d31887-5fad-4d73-a9f5-3c356e68a038" || u.Name != tt.wantName || u.Email != "MeganB@contoso.com" || u.Image != wantImage {
					t.Errorf("user = %+v", *u)
				}
				return
			}
			want := authjs.User{ID: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", Name: tt.wantName, Email: "MeganB@Contoso.com", Image: tt.wantImage}
			if *u != want {
				t.Errorf("user = %+v\nwant   %+v", *u, want)
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if len(g.auth) != 1 || g.auth[0] != "Bearer graph-token" {
				t.Errorf("photo request authorization = %q", g.auth)
			}
		})
	}
}

func TestPresetOverrides(t *testing.T) {
	profile := func(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
		return &authjs.User{ID: "custom-" + String(p, "id"), Name: "custom"}, nil
	}
	c := OAuth{
		ClientID: "client-id", ClientSecret: "client-secret", Issuer: "https://kc.example.com/realms/main",
		ID: "corp", Name: "Corporate SSO", Scopes: []string{"openid", "roles"}, Checks: CheckNonce,
		AuthorizationParams: map[string]string{"prompt": "login", "claims": "{}"},
		Profile:             profile,
	}
	oauth2 := c
	oauth2.Issuer, oauth2.Checks = "", CheckState
	tests := []struct {
		p          OAuth
		wantParams map[string]string
		wantChecks Checks
		wantIssuer string
	}{
		{Keycloak(c), map[string]string{"prompt": "login", "claims": "{}"}, CheckNonce, "https://kc.example.com/realms/main"},
		{Twitch(c), map[string]string{"prompt": "login", "claims": "{}"}, CheckNonce, "https://kc.example.com/realms/main"},
		{Apple(c), map[string]string{"prompt": "login", "claims": "{}"}, CheckNonce, "https://kc.example.com/realms/main"},
		{GitHub(oauth2), map[string]string{"prompt": "login", "claims": "{}"}, CheckState, ""},
		{Twitter(oauth2), map[string]string{"prompt": "login", "claims": "{}"}, CheckState, ""},
	}
	for _, tt := range tests {
		p := tt.p
		if p.ID != "corp" || p.Name != "Corporate SSO" {
			t.Errorf("%s: id, name = %q, %q", p.ID, p.ID, p.Name)
		}
		if !reflect.DeepEqual(p.Scopes, []string{"openid", "roles"}) || p.Checks != tt.wantChecks || p.Issuer != tt.wantIssuer {
			t.Errorf("%s: scopes %q, checks %v, issuer %q", p.Name, p.Scopes, p.Checks, p.Issuer)
		}
		if !reflect.DeepEqual(p.AuthorizationParams, tt.wantParams) {
			t.Errorf("%s: params %v, want %v", p.Name, p.AuthorizationParams, tt.wantParams)
		}
		u, err := p.Profile(context.Background(), map[string]any{"id": float64(7), "sub": "s"}, nil)
		if err != nil || u.ID != "custom-7" || u.Name != "custom" {
			t.Errorf("%s: profile override: %+v, %v", p.Name, u, err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}

	// Merging keeps the preset's parameters that the application does not set.
	tw := Twitch(OAuth{ClientID: "client-id", AuthorizationParams: map[string]string{"force_verify": "true"}})
	want := map[string]string{"force_verify": "true", "claims": `{"id_token":{"email":null,"picture":null,"preferred_username":null}}`}
	if !reflect.DeepEqual(tw.AuthorizationParams, want) {
		t.Errorf("merged params = %v, want %v", tw.AuthorizationParams, want)
	}
	// The application's Issuer replaces a fixed one, and GitHub's profile
	// fetching survives a Profile override.
	if g := Google(OAuth{ClientID: "c", Issuer: "https://accounts.example.com"}); g.Issuer != "https://accounts.example.com" {
		t.Errorf("Google issuer override = %q", g.Issuer)
	}
	if gh := GitHub(oauth2); gh.UserInfo == nil {
		t.Error("GitHub lost its /user/emails fallback with a Profile override")
	}
	// Fields the application leaves zero keep the preset's: Apple's client
	// authentication and response mode, Slack's checks.
	if a := Apple(OAuth{ClientID: "c"}); a.ClientAuth != ClientSecretPost || a.ResponseMode != ResponseModeFormPost || a.Checks != CheckNonce|CheckState {
		t.Errorf("Apple defaults after With: %+v", a)
	}
	if s := Slack(OAuth{ClientID: "c", Checks: 0}); s.Checks != CheckNonce|CheckState {
		t.Errorf("Slack checks = %v", s.Checks)
	}
	// A check the preset's type cannot run is refused by Validate.
	if err := GitHub(OAuth{ClientID: "c", Checks: CheckNonce}).Validate(); err == nil {
		t.Error("nonce on GitHub accepted")
	}
	// An override never leaks into the next preset built from the same
	// preset function.
	tw.AuthorizationParams["leak"] = "x"
	gh := GitHub(oauth2)
	gh.Scopes[0] = "leak"
	if d := Keycloak(OAuth{ClientID: "c", Issuer: "https://kc.example.com/realms/main"}); d.ID != "keycloak" ||
		d.Checks != 0 || len(d.AuthorizationParams) != 0 || d.Profile != nil || d.Scopes != nil {
		t.Errorf("defaults after an override: %q %v %v", d.ID, d.Checks, d.AuthorizationParams)
	}
	if d := Twitch(OAuth{ClientID: "c"}); len(d.AuthorizationParams) != 1 || d.Checks != CheckState|CheckNonce {
		t.Errorf("Twitch after an override: %v %v", d.AuthorizationParams, d.Checks)
	}
	if d := GitHub(OAuth{ClientID: "c"}); d.Scopes[0] != "read:user" || d.Checks != 0 {
		t.Errorf("GitHub after an override: %v %v", d.Scopes, d.Checks)
	}
}

// TestOAuth2PresetsStayOAuth2: an Issuer given to an OAuth 2.0 preset does
// not turn it into an OpenID Connect provider; Validate refuses it.
func TestOAuth2PresetsStayOAuth2(t *testing.T) {
	reg := OAuth{ClientID: "client-id", ClientSecret: "client-secret", Issuer: "https://sso.example.com"}
	for name, preset := range map[string]func(OAuth) OAuth{
		"GitHub": GitHub, "GitLab": GitLab, "Discord": Discord, "Facebook": Facebook,
		"Spotify": Spotify, "Twitter": Twitter, "Bitbucket": Bitbucket, "Reddit": Reddit,
	} {
		p := preset(reg)
		if p.Info().Type != authjs.TypeOAuth {
			t.Errorf("%s with an Issuer has type %s", name, p.Info().Type)
		}
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "cannot have an Issuer") {
			t.Errorf("%s with an Issuer: Validate = %v", name, err)
		}
	}
}
