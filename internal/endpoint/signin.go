package endpoint

import (
	"net/http"
	"net/url"

	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/pages"
)

// signInMessages are shown on the sign-in page for ?error=<code>.
var signInMessages = map[string]string{
	dialect.CodeOAuthSignin:        "Sign-in could not start. Try again, or use another method.",
	dialect.CodeOAuthCallback:      "Sign-in could not be completed. Try again, or use another account.",
	dialect.CodeOAuthCallbackErr:   "Sign-in was cancelled or refused by the provider. Try again, or use another account.",
	dialect.CodeOAuthCreateAccount: "Your account could not be created. Try another method.",
	"EmailCreateAccount":           "Your account could not be created. Try another method.",
	dialect.CodeCallback:           "Sign-in could not be completed. Try again, or use another account.",
	dialect.CodeOAuthNotLinked:     "This email is already linked to another sign-in method. Use the method you used before.",
	dialect.CodeAccountNotLinked:   "This passkey or email address belongs to another account. Sign in the way you did before.",
	dialect.CodeEmailSignin:        "The sign-in email could not be sent.",
	dialect.CodeCredentialsSignin:  "Sign-in failed. Check that the details you entered are correct.",
	dialect.CodeSessionRequired:    "Please sign in to see this page.",
	dialect.CodeMissingCSRF:        "Your sign-in form expired. Please try again.",
	dialect.CodeRateLimited:        "Too many sign-in attempts. Wait a little, then try again.",
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
	if r.provider != "" && h.d.StrictRequests {
		r.fail(dialect.CodeConfiguration, http.StatusOK)
		return
	}
	errCode := r.c.Query("error")
	if r.c.Query("csrf") == "true" && errCode == "" {
		errCode = dialect.CodeMissingCSRF
	}
	if errCode == dialect.CodeCredentialsSignin && r.c.Query("code") == dialect.CodeRateLimited {
		errCode = dialect.CodeRateLimited
	}
	if p := h.o.Pages.SignIn; p != "" {
		q := url.Values{"callbackUrl": {r.callback}}
		if errCode != "" {
			q.Set("error", errCode)
		}
		r.redirectTo(p+dialect.Sep(p)+dialect.EncodeOrdered(q, "callbackUrl"), http.StatusOK)
		return
	}
	data := pages.SignIn{
		CSRFToken:   r.csrf,
		CallbackURL: r.callback,
		Error:       signInMessage(errCode),
		Email:       r.c.Query("email"),
		Hint:        h.o.SignInHint,
	}
	base := r.site.Base()
	for _, p := range h.list {
		id := url.PathEscape(p.info.ID)
		v := pages.Provider{ID: p.info.ID, Name: p.info.Name, Type: string(p.info.Type),
			SigninURL: base + "/signin/" + id, CallbackURL: base + "/callback/" + id}
		if v.Type == pages.TypeWebAuthn {
			v.OptionsURL = base + "/webauthn-options/" + id
			data.CSRFURL = base + "/csrf"
		}
		for _, f := range p.fields {
			v.Fields = append(v.Fields, pages.Field{Name: f.Name, Label: f.Label, Type: f.Type, Placeholder: f.Placeholder})
		}
		data.Providers = append(data.Providers, v)
	}
	r.html(http.StatusOK, "signin", "Sign in", data)
}

// POST /signin[/:provider]: starts an OAuth sign-in. Credentials sign in
// through /callback/:provider; for them, and without a provider, this
// redirects to the sign-in page.
func (h *Handler) signIn(r *request) {
	p := h.providers[r.provider]
	if r.provider != "" && p == nil && h.d.StrictRequests {
		r.fail(dialect.CodeConfiguration, http.StatusOK)
		return
	}
	if !r.csrfOK || (r.provider != "" && p == nil) {
		r.follow(h.d.CSRFFailed(r.site, "/signin"))
		return
	}
	switch {
	case p != nil && p.email != nil:
		h.emailSignIn(r, p)
	case p == nil || p.oauth == nil:
		r.redirectTo(r.site.Base()+"/signin", http.StatusOK)
	default:
		h.oauthSignIn(r, p)
	}
}
