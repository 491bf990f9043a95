package handlers

import (
	"net/http"
	"net/url"

	"github.com/ginauth/ginauth/internal/core"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/providers"
)

// signInMessages are shown on the sign-in page for ?error=<code>.
var signInMessages = map[string]string{
	core.CodeOAuthSignin:       "Sign-in could not start. Try again, or use another method.",
	core.CodeOAuthCallback:     "Sign-in could not be completed. Try again, or use another account.",
	core.CodeOAuthCallbackErr:  "Sign-in was cancelled or refused by the provider. Try again, or use another account.",
	"OAuthCreateAccount":       "Your account could not be created. Try another method.",
	"EmailCreateAccount":       "Your account could not be created. Try another method.",
	core.CodeCallback:          "Sign-in could not be completed. Try again, or use another account.",
	core.CodeOAuthNotLinked:    "This email is already linked to another sign-in method. Use the method you used before.",
	core.CodeEmailSignin:       "The sign-in email could not be sent.",
	core.CodeCredentialsSignin: "Sign-in failed. Check that the details you entered are correct.",
	core.CodeSessionRequired:   "Please sign in to see this page.",
	core.CodeMissingCSRF:       "Your sign-in form expired. Please try again.",
}

func signInMessage(code string) string {
	if code == "" {
		return ""
	}
	if m, ok := signInMessages[code]; ok {
		return m
	}
	return "Unable to sign in."
}

// GET /signin: the built-in page, or a redirect to Pages.SignIn.
func (h *Handler) signInPage(r *request) {
	if r.provider != "" && h.o.Mode == core.ModeV5 {
		r.fail(core.CodeConfiguration, nil, http.StatusOK)
		return
	}
	errCode := r.c.Query("error")
	if r.c.Query("csrf") == "true" && errCode == "" {
		errCode = core.CodeMissingCSRF
	}
	if p := h.o.Pages.SignIn; p != "" {
		q := url.Values{"callbackUrl": {r.callback}}
		if errCode != "" {
			q.Set("error", errCode)
		}
		r.redirectTo(p+sep(p)+encodeOrdered(q, "callbackUrl"), http.StatusOK)
		return
	}
	data := pages.SignIn{
		CSRFToken:   r.csrf,
		CallbackURL: r.callback,
		Error:       signInMessage(errCode),
		Email:       r.c.Query("email"),
		Hint:        h.o.SignInHint,
	}
	for _, p := range h.o.Providers {
		v := pages.Provider{ID: p.ID(), Name: p.Name(), Type: p.Type(),
			SigninURL: r.base + "/signin/" + url.PathEscape(p.ID()), CallbackURL: r.base + "/callback/" + url.PathEscape(p.ID())}
		if a, ok := p.(providers.Authorizer); ok {
			for _, f := range a.Fields() {
				v.Fields = append(v.Fields, pages.Field{Name: f.Name, Label: f.Label, Type: f.Type, Placeholder: f.Placeholder})
			}
		}
		data.Providers = append(data.Providers, v)
	}
	r.html(http.StatusOK, "signin", "Sign in", data)
}

// POST /signin[/:provider]: starts an OAuth or email sign-in. Credentials
// sign in through /callback/:provider; for them, and without a provider,
// this redirects to the sign-in page.
func (h *Handler) signIn(r *request) {
	p, known := h.providers[r.provider]
	if r.provider != "" && !known && h.o.Mode == core.ModeV5 {
		r.fail(core.CodeConfiguration, nil, http.StatusOK)
		return
	}
	if !r.csrfOK || (r.provider != "" && !known) {
		h.csrfFailed(r, "/signin")
		return
	}
	if r.provider == "" || p.Type() == providers.TypeCredentials {
		r.redirectTo(r.base+"/signin", http.StatusOK)
		return
	}
	if o, ok := p.(oauthProvider); ok {
		h.oauthSignIn(r, o)
		return
	}
	// Email providers plug in here.
	h.log(r.ctx, "sign-in not supported by provider", errUnsupported, "provider", p.ID(), "type", p.Type())
	v4Code := core.CodeOAuthSignin
	if p.Type() == providers.TypeEmail {
		v4Code = core.CodeEmailSignin
	}
	r.failMode(v4Code, core.CodeConfiguration)
}

// csrfFailed answers a POST whose CSRF token is missing or wrong: v4
// redirects to <base><page>?csrf=true, v5 to the sign-in page with
// error=MissingCSRF.
func (h *Handler) csrfFailed(r *request, page string) {
	if h.o.Mode == core.ModeV4 {
		r.redirectTo(r.base+page+"?csrf=true", http.StatusOK)
		return
	}
	r.fail(core.CodeMissingCSRF, nil, http.StatusOK)
}
