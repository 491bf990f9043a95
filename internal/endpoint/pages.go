package endpoint

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/pages"
)

// GET /providers: {"<id>": {id, name, type, signinUrl, callbackUrl}} in
// configuration order. No cookies.
func (h *Handler) providersJSON(r *request) {
	base := r.site.Base()
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range h.list {
		if i > 0 {
			buf.WriteByte(',')
		}
		id := url.PathEscape(p.info.ID)
		k, _ := json.Marshal(p.info.ID)
		v, _ := json.Marshal(struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			Type        string `json:"type"`
			SigninURL   string `json:"signinUrl"`
			CallbackURL string `json:"callbackUrl"`
		}{p.info.ID, p.info.Name, h.d.ProviderType(string(p.info.Type)), base + "/signin/" + id, base + "/callback/" + id})
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	r.c.Data(http.StatusOK, "application/json", buf.Bytes())
}

// GET /error?error=<code>.
func (h *Handler) errorPage(r *request) {
	code := r.c.Query("error")
	if code == "" && h.d.ErrorCodeInPath {
		code = r.provider
	}
	if h.d.ErrorToSignIn(code) {
		r.redirectTo(r.site.Base()+"/signin?"+url.Values{"error": {code}}.Encode(), http.StatusOK)
		return
	}
	if p := h.o.Pages.Error; p != "" {
		r.redirectTo(p+dialect.Sep(p)+url.Values{"error": {code}}.Encode(), http.StatusOK)
		return
	}
	key := code
	if h.d.ErrorPageFoldsCase {
		for _, c := range []string{dialect.CodeConfiguration, dialect.CodeAccessDenied, dialect.CodeVerification} {
			if strings.EqualFold(code, c) {
				key = c
			}
		}
	}
	data := pages.Error{HomeURL: r.site.Origin, Title: "Error", Message: "Something went wrong while signing in."}
	status := http.StatusOK
	switch key {
	case dialect.CodeConfiguration:
		status, data.Title, data.Message = http.StatusInternalServerError, "Server error",
			"There is a problem with the server configuration. Check the server logs for more information."
	case dialect.CodeAccessDenied:
		status, data.Title, data.Message = http.StatusForbidden, "Access denied",
			"You do not have permission to sign in."
		data.SignInURL = r.site.Base() + "/signin"
	case dialect.CodeVerification:
		status, data.Title, data.Message = http.StatusForbidden, "Unable to sign in",
			"The sign-in link is no longer valid. It may have been used already, or it may have expired."
		data.SignInURL = r.site.Base() + "/signin"
	case dialect.CodeWebAuthnVerification:
		// Auth.js answers it with its default error page, status 200.
		data.Title, data.Message = "Unable to sign in",
			"The passkey could not be verified. Try again, or use another passkey or sign-in method."
		data.SignInURL = r.site.Base() + "/signin"
	}
	data.Status = status
	r.html(status, "error", data.Title, data)
}

// GET /verify-request: the "check your email" page.
func (h *Handler) verifyRequestPage(r *request) {
	if p := h.o.Pages.VerifyRequest; p != "" {
		target := p
		if q := r.c.Request.URL.RawQuery; q != "" && h.d.VerifyRequestKeepsQuery {
			target += dialect.Sep(p) + q
		}
		r.redirectTo(target, http.StatusOK)
		return
	}
	r.html(http.StatusOK, "verify-request", "Check your email", pages.VerifyRequest{SignInURL: r.site.Base() + "/signin", HomeURL: r.site.Origin})
}
