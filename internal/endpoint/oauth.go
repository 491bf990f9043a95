package endpoint

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/oauth"
	"github.com/ginauth/ginauth/internal/telemetry"
	"github.com/ginauth/ginauth/providers"
)

// kinds lists the checks in use, in the order their cookies are written.
func kinds(c providers.Checks) []checks.Kind {
	var out []checks.Kind
	for _, k := range []struct {
		c providers.Checks
		k checks.Kind
	}{{providers.CheckPKCE, checks.PKCE}, {providers.CheckState, checks.State}, {providers.CheckNonce, checks.Nonce}} {
		if c&k.c != 0 {
			out = append(out, k.k)
		}
	}
	return out
}

func (r *request) redirectURI(p *provider) string {
	return r.site.Base() + "/callback/" + url.PathEscape(p.info.ID)
}

// oauthSignIn answers POST /signin/:provider for OAuth and OpenID Connect:
// it keeps the check values in cookies and redirects to the provider's
// authorization endpoint. The request's query (prompt, login_hint, ...)
// goes into the authorization request.
func (h *Handler) oauthSignIn(r *request, p *provider) {
	e := p.oauth
	params := r.c.Request.URL.Query()
	params.Del("callbackUrl")
	req := oauth.AuthRequest{RedirectURI: r.redirectURI(p), Params: params}
	sealer := r.v.Checks
	for _, k := range kinds(e.Checks()) {
		var value string
		switch k {
		case checks.PKCE:
			value = checks.Random()
			req.CodeChallenge = checks.Challenge(value)
		case checks.State:
			s, err := sealer.NewState()
			if err != nil {
				h.oauthSignInFailed(r, p, err)
				return
			}
			value, req.State = s, s
		case checks.Nonce:
			value = checks.Random()
			req.Nonce = value
		}
		ck, err := sealer.Seal(k, p.info.ID, value)
		if err != nil {
			h.oauthSignInFailed(r, p, err)
			return
		}
		// With form_post the callback is a cross-site POST: the state and
		// nonce cookies must be SameSite=None to come back with it (as in
		// @auth/core).
		if e.FormPost() && k != checks.PKCE {
			ck.SameSite, ck.Secure = "None", true
		}
		r.cookies = append(r.cookies, ck)
	}
	target, err := e.AuthCodeURL(r.ctx, req)
	if err != nil {
		h.oauthSignInFailed(r, p, err)
		return
	}
	r.redirectTo(target, http.StatusOK)
}

func (h *Handler) oauthSignInFailed(r *request, p *provider, err error) {
	h.log(r.ctx, telemetry.EventProviderError, "starting OAuth sign-in", err, "provider", p.info.ID, "stage", "signin")
	r.failWith(dialect.OAuthSignInFailed)
}

// oauthCallback answers GET /callback/:provider (and the POST of
// response_mode=form_post): it checks the provider's answer against the
// check cookies, which it deletes, redeems the code and signs the user in.
func (h *Handler) oauthCallback(r *request, p *provider) {
	e := p.oauth
	params := r.c.Request.URL.Query()
	if r.c.Request.Method == http.MethodPost {
		params = url.Values{}
		for k, v := range r.body {
			if s, ok := v.(string); ok {
				params.Set(k, s)
			}
		}
	}
	if code := params.Get("error"); code != "" {
		err := &oauth.CallbackError{Code: code, Description: params.Get("error_description"), URI: params.Get("error_uri")}
		h.refused(r, p.info.ID, "provider_error", err)
		r.failWith(dialect.ProviderRefused)
		return
	}
	sealer := r.v.Checks
	req := oauth.CallbackRequest{RedirectURI: r.redirectURI(p), Code: params.Get("code")}
	used := kinds(e.Checks())
	for _, k := range used {
		r.cookies = append(r.cookies, sealer.Delete(k))
	}
	for _, k := range used {
		value, err := sealer.Open(r.c.Request, k, p.info.ID)
		if err != nil {
			h.oauthCallbackFailed(r, p, err)
			return
		}
		switch k {
		case checks.PKCE:
			req.CodeVerifier = value
		case checks.State:
			if !checks.Equal(value, params.Get("state")) {
				h.oauthCallbackFailed(r, p, checks.ErrMismatch)
				return
			}
		case checks.Nonce:
			req.Nonce = value
		}
	}
	if req.Code == "" {
		h.oauthCallbackFailed(r, p, errors.New("the callback has no code"))
		return
	}
	res, err := e.Exchange(r.ctx, req)
	if err != nil {
		h.log(r.ctx, telemetry.EventProviderError, "OAuth callback failed", err, "provider", p.info.ID, "stage", "callback")
		r.failWith(dialect.OAuthCallbackFailed)
		return
	}
	h.completeSignIn(r, p, signIn{user: res.User, account: res.Account, profile: res.Profile})
}

// oauthCallbackFailed answers a callback that failed its checks (a
// missing, expired or forged check cookie, a state that does not match, no
// code): OAuthCallback in v4, Configuration in v5, as Auth.js does. It is
// also how Auth.js answers a failed exchange.
func (h *Handler) oauthCallbackFailed(r *request, p *provider, err error) {
	h.refused(r, p.info.ID, "checks", err)
	r.failWith(dialect.OAuthCallbackFailed)
}
