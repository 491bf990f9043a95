package endpoint

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/providers"
)

// GET|POST /callback/:provider.
func (h *Handler) callback(r *request) {
	p := h.providers[r.provider]
	switch {
	case p == nil && h.d.StrictRequests:
		r.fail(dialect.CodeConfiguration, http.StatusOK)
	case p == nil:
		r.text(http.StatusBadRequest, "Callback for provider "+quoteProvider(r.provider)+" not supported")
	case p.credentials != nil:
		h.credentialsCallback(r, p)
	default:
		h.oauthCallback(r, p)
	}
}

func quoteProvider(id string) string {
	if id == "" {
		return "(none)"
	}
	return url.PathEscape(id)
}

// credentialsCallback signs a user in with a form checked by Authorize.
func (h *Handler) credentialsCallback(r *request, p *provider) {
	if r.c.Request.Method != http.MethodPost {
		if h.d.StrictRequests {
			r.fail(dialect.CodeConfiguration, http.StatusOK)
			return
		}
		r.c.Header("Allow", http.MethodPost)
		r.text(http.StatusMethodNotAllowed, "Callback for provider type credentials not supported")
		return
	}
	if !r.csrfOK {
		r.follow(h.d.CSRFFailed(r.site, "/signin"))
		return
	}
	creds := make(map[string]string, len(r.body))
	for k, v := range r.body {
		if s, ok := v.(string); ok && k != "csrfToken" {
			creds[k] = s
		}
	}
	req := r.clientRequest()
	user, err := p.credentials.Authorize(r.ctx, creds, req)
	if err != nil || user == nil {
		h.credentialsFailed(r, p.info.ID, err)
		return
	}
	u := *user
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	account := &authjs.Account{Provider: p.info.ID, Type: authjs.TypeCredentials, ProviderAccountID: u.ID}
	h.completeSignIn(r, &u, account, nil, creds, http.StatusForbidden)
}

// credentialsFailed answers rejected credentials the dialect's way. An
// error that is not a rejection is logged and reported as Configuration,
// without its text.
func (h *Handler) credentialsFailed(r *request, id string, err error) {
	code := "credentials"
	var ce *providers.CredentialsError
	switch {
	case errors.As(err, &ce):
		if ce.Code != "" {
			code = ce.Code
		}
	case err != nil && !errors.Is(err, providers.ErrCredentialsSignin):
		h.log(r.ctx, "authorize failed", err, "provider", id)
		r.fail(dialect.CodeConfiguration, http.StatusUnauthorized)
		return
	}
	r.follow(h.d.CredentialsFailed(r.site, code, id))
}

// completeSignIn runs the SignIn callback, builds the token through the JWT
// callback, issues the session and redirects to the callback URL.
// deniedStatus is the v4 JSON status of a denial (403 for credentials).
func (h *Handler) completeSignIn(r *request, user *authjs.User, account *authjs.Account, profile map[string]any, creds map[string]string, deniedStatus int) {
	req := r.clientRequest()
	if cb := h.o.Callbacks.SignIn; cb != nil {
		err := cb(r.ctx, authjs.SignInParams{User: user, Account: account, Profile: profile, Credentials: creds, Request: req})
		var re *authjs.RedirectError
		switch {
		case errors.As(err, &re):
			r.redirectTo(r.redirect(re.URL), http.StatusOK)
			return
		case err != nil:
			if !errors.Is(err, authjs.ErrAccessDenied) {
				h.log(r.ctx, "signIn callback denied sign-in", err, "provider", account.Provider)
			}
			r.fail(dialect.CodeAccessDenied, deniedStatus)
			return
		}
	}
	token := authjs.Claims{"sub": user.ID}
	setClaim(token, "name", user.Name)
	setClaim(token, "email", user.Email)
	setClaim(token, "picture", user.Image)
	if cb := h.o.Callbacks.JWT; cb != nil {
		var err error
		token, err = cb(r.ctx, authjs.JWTParams{Token: token, User: user, Account: account, Profile: profile, Trigger: authjs.TriggerSignIn, Request: req})
		if err != nil {
			h.log(r.ctx, "jwt callback failed", err, "provider", account.Provider)
			r.fail(dialect.CodeConfiguration, http.StatusOK)
			return
		}
	}
	if token == nil {
		r.clearSession()
	} else {
		value, expires, err := r.v.Store.Issue(r.ctx, token)
		if err != nil {
			h.log(r.ctx, "issuing session", err, "provider", account.Provider)
			r.fail(dialect.CodeConfiguration, http.StatusOK)
			return
		}
		r.setSession(value, expires)
	}
	if ev := h.o.Events.SignIn; ev != nil {
		h.event(r, "signIn", ev(r.ctx, authjs.SignInEvent{User: user, Account: account, Profile: profile, Request: req}))
	}
	r.redirectTo(r.callback, http.StatusOK)
}

func setClaim(t authjs.Claims, k, v string) {
	if v != "" {
		t[k] = v
	}
}
