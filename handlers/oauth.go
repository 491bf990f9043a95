package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/core"
	"github.com/ginauth/ginauth/providers"
)

// oauthProvider is what the endpoints need from an OAuth 2.0 or OpenID
// Connect provider (*providers.OAuth).
type oauthProvider interface {
	providers.Provider
	Checks() []string
	ResponseMode() string
	AuthorizationURL(ctx context.Context, req providers.AuthorizationRequest) (string, error)
	Exchange(ctx context.Context, req providers.CallbackRequest) (*providers.Result, error)
}

// errCheck reports a failed state, PKCE or nonce check.
var errCheck = errors.New("oauth check failed")

// checkKinds returns the checks p uses: its own list, or the mode's
// default as in Auth.js (state in v4, PKCE in v5).
func (h *Handler) checkKinds(p oauthProvider) []checks.Kind {
	list := p.Checks()
	if list == nil {
		if h.o.Mode == core.ModeV4 {
			return []checks.Kind{checks.State}
		}
		return []checks.Kind{checks.PKCE}
	}
	var kinds []checks.Kind
	for _, c := range []struct {
		name string
		kind checks.Kind
	}{{providers.CheckPKCE, checks.PKCE}, {providers.CheckState, checks.State}, {providers.CheckNonce, checks.Nonce}} {
		for _, n := range list {
			if n == c.name {
				kinds = append(kinds, c.kind)
				break
			}
		}
	}
	return kinds
}

func (h *Handler) redirectURI(r *request, p providers.Provider) string {
	return r.base + "/callback/" + url.PathEscape(p.ID())
}

// oauthSignIn answers POST /signin/:provider for OAuth and OpenID Connect:
// it keeps the check values in cookies and redirects to the provider's
// authorization endpoint. The request's query (prompt, login_hint, ...)
// goes into the authorization request.
func (h *Handler) oauthSignIn(r *request, p oauthProvider) {
	params := r.c.Request.URL.Query()
	params.Del("callbackUrl")
	req := providers.AuthorizationRequest{RedirectURI: h.redirectURI(r, p), Params: params}
	// With form_post the callback is a cross-site POST: the state and nonce
	// cookies must be SameSite=None to come back with it (as in @auth/core).
	formPost := p.ResponseMode() == "form_post"
	sealer := r.v.Checks
	for _, k := range h.checkKinds(p) {
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
		ck, err := sealer.Seal(k, p.ID(), value)
		if err != nil {
			h.oauthSignInFailed(r, p, err)
			return
		}
		if formPost && k != checks.PKCE {
			ck.SameSite, ck.Secure = "None", true
		}
		r.cookies = append(r.cookies, ck)
	}
	target, err := p.AuthorizationURL(r.ctx, req)
	if err != nil {
		h.oauthSignInFailed(r, p, err)
		return
	}
	r.redirectTo(target, http.StatusOK)
}

// oauthSignInFailed answers a sign-in that could not start: OAuthSignin in
// v4, Configuration in v5.
func (h *Handler) oauthSignInFailed(r *request, p providers.Provider, err error) {
	h.log(r.ctx, "starting OAuth sign-in", err, "provider", p.ID())
	r.failMode(core.CodeOAuthSignin, core.CodeConfiguration)
}

// oauthCallback answers GET /callback/:provider (and the POST of
// response_mode=form_post): it checks the provider's answer against the
// check cookies, which it deletes, redeems the code and signs the user in.
func (h *Handler) oauthCallback(r *request, p oauthProvider) {
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
		err := &providers.CallbackError{Code: code, Description: params.Get("error_description"), URI: params.Get("error_uri")}
		h.log(r.ctx, "provider returned an error", err, "provider", p.ID())
		r.failMode(core.CodeCallback, core.CodeOAuthCallbackErr)
		return
	}
	sealer := r.v.Checks
	req := providers.CallbackRequest{RedirectURI: h.redirectURI(r, p), Code: params.Get("code")}
	kinds := h.checkKinds(p)
	for _, k := range kinds {
		r.cookies = append(r.cookies, sealer.Delete(k))
	}
	for _, k := range kinds {
		value, err := sealer.Open(r.c.Request, k, p.ID())
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
	res, err := p.Exchange(r.ctx, req)
	if err != nil {
		h.oauthCallbackFailed(r, p, err)
		return
	}
	user := *res.User
	if h.o.Mode == core.ModeV5 {
		// Without a database @auth/core gives each OAuth sign-in a new
		// random user id; the provider's id is in account.providerAccountId.
		user.ID = uuid.NewString()
	}
	h.completeSignIn(r, &user, res.Account, res.Profile, nil, http.StatusForbidden)
}

// oauthCallbackFailed answers a callback that failed its checks or its
// exchange: OAuthCallback in v4, Configuration in v5, as Auth.js does.
func (h *Handler) oauthCallbackFailed(r *request, p providers.Provider, err error) {
	h.log(r.ctx, "OAuth callback failed", err, "provider", p.ID())
	r.failMode(core.CodeOAuthCallback, core.CodeConfiguration)
}
