package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/ginauth/ginauth/internal/core"
	"github.com/ginauth/ginauth/providers"
)

var errUnsupported = errors.New("provider type not supported by this endpoint")

// GET|POST /callback/:provider.
func (h *Handler) callback(r *request) {
	p, known := h.providers[r.provider]
	if !known {
		if h.o.Mode == core.ModeV4 {
			r.respondStatus(http.StatusBadRequest, "Callback for provider "+quoteProvider(r.provider)+" not supported")
			return
		}
		r.fail(core.CodeConfiguration, nil, http.StatusOK)
		return
	}
	if a, ok := p.(providers.Authorizer); ok {
		h.credentialsCallback(r, a)
		return
	}
	if o, ok := p.(oauthProvider); ok {
		h.oauthCallback(r, o)
		return
	}
	// Email callbacks plug in here.
	h.log(r.ctx, "callback not supported by provider", errUnsupported, "provider", p.ID(), "type", p.Type())
	r.failMode(core.CodeCallback, core.CodeConfiguration)
}

func quoteProvider(id string) string {
	if id == "" {
		return "(none)"
	}
	return url.PathEscape(id)
}

// credentialsCallback signs a user in with a form checked by Authorize.
func (h *Handler) credentialsCallback(r *request, p providers.Authorizer) {
	if r.c.Request.Method != http.MethodPost {
		if h.o.Mode == core.ModeV4 {
			r.c.Header("Allow", http.MethodPost)
			r.respondStatus(http.StatusMethodNotAllowed, "Callback for provider type credentials not supported")
			return
		}
		r.fail(core.CodeConfiguration, nil, http.StatusOK)
		return
	}
	if !r.csrfOK {
		h.csrfFailed(r, "/signin")
		return
	}
	creds := make(map[string]string, len(r.body))
	for k, v := range r.body {
		if s, ok := v.(string); ok && k != "csrfToken" {
			creds[k] = s
		}
	}
	user, err := p.Authorize(r.ctx, creds)
	if err != nil || user == nil {
		h.credentialsFailed(r, p.ID(), err)
		return
	}
	u := *user
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	account := &core.Account{Provider: p.ID(), Type: providers.TypeCredentials, ProviderAccountID: u.ID}
	h.completeSignIn(r, &u, account, nil, creds, http.StatusForbidden)
}

// credentialsFailed answers rejected credentials. v4: 401 and
// <base>/error?error=CredentialsSignin&provider=<id> (or the CredentialsError
// code); v5: the sign-in page with error=CredentialsSignin&code=<code>. An
// error that is not a rejection is logged and reported as Configuration,
// without its text.
func (h *Handler) credentialsFailed(r *request, id string, err error) {
	code := "credentials"
	var ce *core.CredentialsError
	switch {
	case errors.As(err, &ce):
		if ce.Code != "" {
			code = ce.Code
		}
	case err != nil && !errors.Is(err, core.ErrCredentialsSignin):
		h.log(r.ctx, "authorize failed", err, "provider", id)
		r.fail(core.CodeConfiguration, nil, http.StatusUnauthorized)
		return
	}
	if h.o.Mode == core.ModeV4 {
		errCode := core.CodeCredentialsSignin
		if code != "credentials" {
			errCode = code
		}
		r.fail(errCode, url.Values{"provider": {id}}, http.StatusUnauthorized)
		return
	}
	r.fail(core.CodeCredentialsSignin, url.Values{"code": {code}}, http.StatusOK)
}

// completeSignIn runs the SignIn callback, builds the token through the JWT
// callback, issues the session and redirects to the callback URL.
// deniedStatus is the v4 JSON status of a denial (403 for credentials).
func (h *Handler) completeSignIn(r *request, user *core.User, account *core.Account, profile map[string]any, creds map[string]string, deniedStatus int) {
	if cb := h.o.Callbacks.SignIn; cb != nil {
		err := cb(r.ctx, core.SignInParams{User: user, Account: account, Profile: profile, Credentials: creds})
		var re *core.RedirectError
		switch {
		case errors.As(err, &re):
			r.redirectTo(r.redirect(re.URL), http.StatusOK)
			return
		case err != nil:
			if !errors.Is(err, core.ErrAccessDenied) {
				h.log(r.ctx, "signIn callback denied sign-in", err, "provider", account.Provider)
			}
			r.fail(core.CodeAccessDenied, nil, deniedStatus)
			return
		}
	}
	token := core.Token{"sub": user.ID}
	setClaim(token, "name", user.Name)
	setClaim(token, "email", user.Email)
	setClaim(token, "picture", user.Image)
	if cb := h.o.Callbacks.JWT; cb != nil {
		var err error
		token, err = cb(r.ctx, core.JWTParams{Token: token, User: user, Account: account, Profile: profile, Trigger: core.TriggerSignIn})
		if err != nil {
			h.log(r.ctx, "jwt callback failed", err, "provider", account.Provider)
			r.fail(core.CodeConfiguration, nil, http.StatusOK)
			return
		}
	}
	if token == nil {
		r.clearSession()
	} else {
		value, expires, err := r.v.Store.Issue(r.ctx, token)
		if err != nil {
			h.log(r.ctx, "issuing session", err, "provider", account.Provider)
			r.fail(core.CodeConfiguration, nil, http.StatusOK)
			return
		}
		r.setSession(value, expires)
	}
	h.event(r, "signIn", func() error {
		if h.o.Events.SignIn == nil {
			return nil
		}
		return h.o.Events.SignIn(r.ctx, core.SignInEvent{User: user, Account: account, Profile: profile})
	})
	r.redirectTo(r.callback, http.StatusOK)
}

func setClaim(t core.Token, k, v string) {
	if v != "" {
		t[k] = v
	}
}
