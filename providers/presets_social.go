package providers

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/ginauth/ginauth/authjs"
)

// GitHub's API endpoints used by the GitHub preset.
const (
	githubUserURL   = "https://api.github.com/user"
	githubEmailsURL = "https://api.github.com/user/emails"
)

// GitHub returns the GitHub provider (id "github", OAuth 2.0).
//
// Register an OAuth App at https://github.com/settings/developers with the
// authorization callback URL <origin>/api/auth/callback/github. The preset
// asks for "read:user user:email". When the user keeps their email private,
// the profile's email is null and the preset reads /user/emails instead,
// taking the primary address only if GitHub has verified it; otherwise the
// user has no email. The account id is GitHub's numeric user id as a
// string; the name falls back to the login.
//
// Checks: the default, PKCE and state (GitHub supports both; Auth.js sets
// none, which means PKCE alone in v5 and state alone in v4).
func GitHub(o OAuth) OAuth {
	return OAuth{
		ID: "github", Name: "GitHub", Type: authjs.TypeOAuth,
		AuthURL:  "https://github.com/login/oauth/authorize",
		TokenURL: "https://github.com/login/oauth/access_token",
		// UserInfoURL documents the endpoint; githubUserInfo fetches it.
		UserInfoURL: githubUserURL,
		Scopes:      []string{"read:user", "user:email"},
		UserInfo:    githubUserInfo,
		Profile:     githubProfile,
	}.With(o)
}

// githubEmail is an entry of GitHub's GET /user/emails.
type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// githubUserInfo fetches /user and, when its email is null, the primary
// verified address from /user/emails. A refused /user/emails (a token
// without the user:email scope) leaves the email empty, as in Auth.js.
func githubUserInfo(ctx context.Context, client *http.Client, tokens *Tokens) (map[string]any, error) {
	var profile map[string]any
	if err := GetJSON(ctx, client, githubUserURL, tokens.AccessToken, &profile); err != nil {
		return nil, err
	}
	if profile == nil {
		profile = map[string]any{}
	}
	if String(profile, "email") != "" {
		return profile, nil
	}
	var emails []githubEmail
	if err := GetJSON(ctx, client, githubEmailsURL, tokens.AccessToken, &emails); err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			return profile, nil // refused: no email, as in Auth.js
		}
		return nil, err
	}
	for _, e := range emails {
		if e.Primary && e.Verified && e.Email != "" {
			profile["email"] = e.Email
			break
		}
	}
	return profile, nil
}

func githubProfile(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
	return &authjs.User{
		ID:    String(p, "id"),
		Name:  cmp.Or(String(p, "name"), String(p, "login")),
		Email: String(p, "email"),
		Image: String(p, "avatar_url"),
	}, nil
}

// Google returns the Google provider (id "google", OpenID Connect, issuer
// https://accounts.google.com).
//
// Create an OAuth client ID of type "Web application" in the Google Cloud
// console and add the authorized redirect URI
// <origin>/api/auth/callback/google. The profile comes from the ID token
// (sub, name, email, picture). Google issues a refresh token only on the
// first consent; pass AuthorizationParams {"access_type": "offline",
// "prompt": "consent"} to get one on every sign-in.
//
// Checks: the default, PKCE, state and nonce, all of which Google supports
// (Auth.js v4 sets PKCE and state; v5 sets none, which means PKCE alone).
func Google(o OAuth) OAuth {
	return OAuth{
		ID: "google", Name: "Google",
		Issuer: "https://accounts.google.com",
	}.With(o)
}

// GitLab returns the GitLab.com provider (id "gitlab", OAuth 2.0).
//
// Add an application under User Settings > Applications on gitlab.com with
// the redirect URI <origin>/api/auth/callback/gitlab and the read_user
// scope. The account id is GitLab's numeric user id as a string; the name
// falls back to the username.
//
// Checks: the default, PKCE and state (Auth.js v4 sets both; v5 sets
// none, which means PKCE alone). GitLab supports both.
func GitLab(o OAuth) OAuth {
	return OAuth{
		ID: "gitlab", Name: "GitLab", Type: authjs.TypeOAuth,
		AuthURL:     "https://gitlab.com/oauth/authorize",
		TokenURL:    "https://gitlab.com/oauth/token",
		UserInfoURL: "https://gitlab.com/api/v4/user",
		Scopes:      []string{"read_user"},
		Profile: func(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
			return &authjs.User{
				ID:    String(p, "id"),
				Name:  cmp.Or(String(p, "name"), String(p, "username")),
				Email: String(p, "email"),
				Image: String(p, "avatar_url"),
			}, nil
		},
	}.With(o)
}

// Discord returns the Discord provider (id "discord", OAuth 2.0).
//
// Create an application at https://discord.com/developers/applications and
// add the redirect <origin>/api/auth/callback/discord under OAuth2. The
// preset asks for "identify email". The image is the user's avatar on
// Discord's CDN (a GIF for animated avatars), or Discord's default avatar
// when the user has none. The name is the display name (global_name),
// falling back to the username. Checks: the default, PKCE and state.
func Discord(o OAuth) OAuth {
	return OAuth{
		ID: "discord", Name: "Discord", Type: authjs.TypeOAuth,
		AuthURL:     "https://discord.com/api/oauth2/authorize",
		TokenURL:    "https://discord.com/api/oauth2/token",
		UserInfoURL: "https://discord.com/api/users/@me",
		Scopes:      []string{"identify", "email"},
		Profile: func(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
			id := String(p, "id")
			return &authjs.User{
				ID:    id,
				Name:  cmp.Or(String(p, "global_name"), String(p, "username")),
				Email: String(p, "email"),
				Image: discordAvatar(id, String(p, "avatar"), String(p, "discriminator")),
			}, nil
		},
	}.With(o)
}

// discordAvatar returns the CDN URL of a Discord user's avatar, following
// https://discord.com/developers/docs/reference#image-formatting: the
// user's own avatar, or one of the default ones, chosen from the user id
// for users migrated to unique usernames (discriminator "0") and from the
// legacy discriminator otherwise.
func discordAvatar(id, hash, discriminator string) string {
	if hash != "" {
		ext := "png"
		if strings.HasPrefix(hash, "a_") {
			ext = "gif"
		}
		return "https://cdn.discordapp.com/avatars/" + id + "/" + hash + "." + ext
	}
	var n uint64
	if discriminator == "" || discriminator == "0" {
		if v, err := strconv.ParseUint(id, 10, 64); err == nil {
			n = (v >> 22) % 6
		}
	} else if v, err := strconv.ParseUint(discriminator, 10, 64); err == nil {
		n = v % 5
	}
	return "https://cdn.discordapp.com/embed/avatars/" + strconv.FormatUint(n, 10) + ".png"
}

// Apple returns the Sign in with Apple provider (id "apple", OpenID
// Connect, issuer https://appleid.apple.com).
//
// Register a Services ID (its identifier is the ClientID) with the return
// URL <origin>/api/auth/callback/apple; Apple requires https, even in
// development. ClientSecret is not a fixed string: it is a JWT signed with
// the key Apple gave you (ES256, at most six months valid) that the
// application generates and renews. Apple answers the callback with a
// form POST (response_mode form_post), so the check cookies must reach a
// cross-site POST. The preset asks for "name email", authenticates at the
// token endpoint with client_secret_post and maps the ID token: id from
// sub, email from email. Apple puts the user's name only in the first
// callback's form, never in the ID token, so the name is usually empty.
//
// Checks: nonce and state, not the default's PKCE: Apple documents state
// and nonce and no PKCE, and Auth.js v5 sets the same two.
func Apple(o OAuth) OAuth {
	return OAuth{
		ID: "apple", Name: "Apple",
		Issuer:       "https://appleid.apple.com",
		Scopes:       []string{"name", "email"},
		ResponseMode: ResponseModeFormPost,
		ClientAuth:   ClientSecretPost,
		Checks:       CheckNonce | CheckState,
	}.With(o)
}

// Facebook returns the Facebook provider (id "facebook", OAuth 2.0).
//
// Create an app at https://developers.facebook.com with Facebook Login and
// add <origin>/api/auth/callback/facebook to its valid OAuth redirect URIs.
// Production apps cannot use localhost callbacks; use a separate
// development app. The preset asks for "email" and reads id, name, email
// and picture from the Graph API; accounts created on mobile may have no
// email. Checks: the default, PKCE and state.
func Facebook(o OAuth) OAuth {
	return OAuth{
		ID: "facebook", Name: "Facebook", Type: authjs.TypeOAuth,
		AuthURL:     "https://www.facebook.com/v19.0/dialog/oauth",
		TokenURL:    "https://graph.facebook.com/oauth/access_token",
		UserInfoURL: "https://graph.facebook.com/me?fields=id,name,email,picture",
		Scopes:      []string{"email"},
		Profile: func(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
			return &authjs.User{
				ID:    String(p, "id"),
				Name:  String(p, "name"),
				Email: String(p, "email"),
				Image: String(object(object(p, "picture"), "data"), "url"),
			}, nil
		},
	}.With(o)
}

// LinkedIn returns the LinkedIn provider (id "linkedin", OpenID Connect,
// issuer https://www.linkedin.com/oauth).
//
// Create an app at https://www.linkedin.com/developers/apps, add the
// product "Sign In with LinkedIn using OpenID Connect" and the authorized
// redirect URL <origin>/api/auth/callback/linkedin. LinkedIn wants the
// client secret in the form (client_secret_post). The profile comes from
// the ID token (sub, name, email, picture).
//
// Checks: state only, as Auth.js sets it: LinkedIn's web flow documents
// neither PKCE nor a nonce in its ID token.
func LinkedIn(o OAuth) OAuth {
	return OAuth{
		ID: "linkedin", Name: "LinkedIn",
		Issuer:     "https://www.linkedin.com/oauth",
		ClientAuth: ClientSecretPost,
		Checks:     CheckState,
	}.With(o)
}

// Slack returns the Sign in with Slack provider (id "slack", OpenID
// Connect, issuer https://slack.com).
//
// Create an app at https://api.slack.com/apps and add the redirect URL
// <origin>/api/auth/callback/slack under OAuth & Permissions, with the
// user scopes openid, profile and email. Slack requires https redirect
// URLs, even in development. The profile comes from the ID token (sub,
// name, email, picture).
//
// Checks: nonce and state, not PKCE, which Slack's OpenID Connect flow
// does not document (Auth.js v5 sets nonce alone; v4 state alone).
func Slack(o OAuth) OAuth {
	return OAuth{
		ID: "slack", Name: "Slack",
		Issuer: "https://slack.com",
		Checks: CheckNonce | CheckState,
	}.With(o)
}

// Twitch returns the Twitch provider (id "twitch", OpenID Connect, issuer
// https://id.twitch.tv/oauth2).
//
// Register an application at https://dev.twitch.tv/console/apps with the
// OAuth redirect URL <origin>/api/auth/callback/twitch. The preset asks for
// "openid user:read:email", requests the email, picture and
// preferred_username claims in the ID token (the claims parameter), and
// sends the client secret in the form (client_secret_post). The name is
// the preferred_username claim. Checks: state and nonce; Twitch does not
// document PKCE.
func Twitch(o OAuth) OAuth {
	return OAuth{
		ID: "twitch", Name: "Twitch",
		Checks: CheckState | CheckNonce,
		Issuer: "https://id.twitch.tv/oauth2",
		Scopes: []string{"openid", "user:read:email"},
		AuthorizationParams: map[string]string{
			"claims": `{"id_token":{"email":null,"picture":null,"preferred_username":null}}`,
		},
		ClientAuth: ClientSecretPost,
	}.With(o)
}

// Spotify returns the Spotify provider (id "spotify", OAuth 2.0).
//
// Create an app at https://developer.spotify.com/dashboard with the
// redirect URI <origin>/api/auth/callback/spotify. The preset asks for
// "user-read-email"; the image is the first of the profile's images.
// Checks: the default, PKCE and state.
func Spotify(o OAuth) OAuth {
	return OAuth{
		ID: "spotify", Name: "Spotify", Type: authjs.TypeOAuth,
		AuthURL:     "https://accounts.spotify.com/authorize",
		TokenURL:    "https://accounts.spotify.com/api/token",
		UserInfoURL: "https://api.spotify.com/v1/me",
		Scopes:      []string{"user-read-email"},
		Profile: func(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
			u := &authjs.User{ID: String(p, "id"), Name: String(p, "display_name"), Email: String(p, "email")}
			if images, ok := p["images"].([]any); ok && len(images) > 0 {
				if img, ok := images[0].(map[string]any); ok {
					u.Image = String(img, "url")
				}
			}
			return u, nil
		},
	}.With(o)
}

// Twitter returns the X (Twitter) provider over OAuth 2.0 (id "twitter").
//
// In the X developer portal, turn on OAuth 2.0 for the app as a "Web App"
// (a confidential client) and add the callback URI
// <origin>/api/auth/callback/twitter. The preset asks for "users.read
// tweet.read offline.access" and reads /2/users/me, whose user sits under
// "data". The user has an email only when X puts one in data.email,
// which these scopes do not ask for.
//
// Checks: the default, PKCE and state, which X requires and Auth.js sets.
func Twitter(o OAuth) OAuth {
	return OAuth{
		ID: "twitter", Name: "Twitter", Type: authjs.TypeOAuth,
		AuthURL:     "https://x.com/i/oauth2/authorize",
		TokenURL:    "https://api.x.com/2/oauth2/token",
		UserInfoURL: "https://api.x.com/2/users/me?user.fields=profile_image_url",
		Scopes:      []string{"users.read", "tweet.read", "offline.access"},
		Profile: func(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
			d := object(p, "data")
			return &authjs.User{
				ID:    String(d, "id"),
				Name:  String(d, "name"),
				Email: String(d, "email"),
				Image: String(d, "profile_image_url"),
			}, nil
		},
	}.With(o)
}

// Bitbucket returns the Bitbucket Cloud provider (id "bitbucket", OAuth
// 2.0).
//
// Add an OAuth consumer in the workspace settings with the callback URL
// <origin>/api/auth/callback/bitbucket and the "account" permission. The
// account id is Bitbucket's account_id; the name is the display name,
// falling back to the username. Bitbucket's user resource has no email
// address, so the user has none. Checks: state only; Bitbucket does not
// document PKCE.
func Bitbucket(o OAuth) OAuth {
	return OAuth{
		ID: "bitbucket", Name: "Bitbucket", Type: authjs.TypeOAuth,
		Checks:      CheckState,
		AuthURL:     "https://bitbucket.org/site/oauth2/authorize",
		TokenURL:    "https://bitbucket.org/site/oauth2/access_token",
		UserInfoURL: "https://api.bitbucket.org/2.0/user",
		Scopes:      []string{"account"},
		Profile: func(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
			return &authjs.User{
				ID:    String(p, "account_id"),
				Name:  cmp.Or(String(p, "display_name"), String(p, "username")),
				Image: String(object(object(p, "links"), "avatar"), "href"),
			}, nil
		},
	}.With(o)
}

// Reddit returns the Reddit provider (id "reddit", OAuth 2.0).
//
// Create a "web app" at https://www.reddit.com/prefs/apps with the redirect
// URI <origin>/api/auth/callback/reddit; Reddit allows one redirect URI per
// app. The preset asks for "identity", which gives a one-hour access token
// and neither email nor picture; pass AuthorizationParams
// {"duration": "permanent"} for a refresh token.
//
// Checks: state only, as Auth.js sets it: Reddit does not document PKCE.
func Reddit(o OAuth) OAuth {
	return OAuth{
		ID: "reddit", Name: "Reddit", Type: authjs.TypeOAuth,
		AuthURL:     "https://www.reddit.com/api/v1/authorize",
		TokenURL:    "https://www.reddit.com/api/v1/access_token",
		UserInfoURL: "https://oauth.reddit.com/api/v1/me",
		Scopes:      []string{"identity"},
		Checks:      CheckState,
		Profile: func(_ context.Context, p map[string]any, _ *Tokens) (*authjs.User, error) {
			return &authjs.User{ID: String(p, "id"), Name: String(p, "name")}, nil
		},
	}.With(o)
}
