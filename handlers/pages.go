package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/ginauth/ginauth/internal/core"
	"github.com/ginauth/ginauth/internal/pages"
)

// GET /providers: {"<id>": {id, name, type, signinUrl, callbackUrl}} in
// configuration order. No cookies.
func (h *Handler) providersJSON(r *request) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range h.o.Providers {
		if i > 0 {
			buf.WriteByte(',')
		}
		id := url.PathEscape(p.ID())
		k, _ := json.Marshal(p.ID())
		v, _ := json.Marshal(struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			Type        string `json:"type"`
			SigninURL   string `json:"signinUrl"`
			CallbackURL string `json:"callbackUrl"`
		}{p.ID(), p.Name(), p.Type(), r.base + "/signin/" + id, r.base + "/callback/" + id})
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	r.c.Data(http.StatusOK, "application/json", buf.Bytes())
}

// v4RedirectToSignIn are the v4 error codes /error forwards to the sign-in page.
var v4RedirectToSignIn = map[string]bool{
	"Signin": true, "OAuthSignin": true, "OAuthCallback": true, "OAuthCreateAccount": true,
	"EmailCreateAccount": true, "Callback": true, "OAuthAccountNotLinked": true,
	"EmailSignin": true, "CredentialsSignin": true, "SessionRequired": true,
}

// GET /error?error=<code>.
func (h *Handler) errorPage(r *request) {
	code := r.c.Query("error")
	if code == "" && h.o.Mode == core.ModeV4 {
		code = r.provider // v4 also reads /error/<code>
	}
	if h.o.Mode == core.ModeV4 && v4RedirectToSignIn[code] {
		r.redirectTo(r.base+"/signin?"+url.Values{"error": {code}}.Encode(), http.StatusOK)
		return
	}
	if p := h.o.Pages.Error; p != "" {
		r.redirectTo(p+sep(p)+url.Values{"error": {code}}.Encode(), http.StatusOK)
		return
	}
	key := code // v5 matches the code exactly, v4 ignoring case
	if h.o.Mode == core.ModeV4 {
		for _, c := range []string{core.CodeConfiguration, core.CodeAccessDenied, core.CodeVerification} {
			if strings.EqualFold(code, c) {
				key = c
			}
		}
	}
	data := pages.Error{HomeURL: r.origin, Title: "Error", Message: "Something went wrong while signing in."}
	status := http.StatusOK
	switch key {
	case core.CodeConfiguration:
		status, data.Title, data.Message = http.StatusInternalServerError, "Server error",
			"There is a problem with the server configuration. Check the server logs for more information."
	case core.CodeAccessDenied:
		status, data.Title, data.Message = http.StatusForbidden, "Access denied",
			"You do not have permission to sign in."
		data.SignInURL = r.base + "/signin"
	case core.CodeVerification:
		status, data.Title, data.Message = http.StatusForbidden, "Unable to sign in",
			"The sign-in link is no longer valid. It may have been used already, or it may have expired."
		data.SignInURL = r.base + "/signin"
	}
	data.Status = status
	r.html(status, "error", data.Title, data)
}

// GET /verify-request: the "check your email" page.
func (h *Handler) verifyRequestPage(r *request) {
	if p := h.o.Pages.VerifyRequest; p != "" {
		target := p
		if q := r.c.Request.URL.RawQuery; q != "" && h.o.Mode == core.ModeV5 {
			target += sep(p) + q
		}
		r.redirectTo(target, http.StatusOK)
		return
	}
	r.html(http.StatusOK, "verify-request", "Check your email", pages.VerifyRequest{HomeURL: r.origin})
}
