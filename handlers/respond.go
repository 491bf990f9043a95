package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/core"
	"github.com/ginauth/ginauth/internal/pages"
)

func (r *request) writeCookies() {
	h := r.c.Writer.Header()
	for _, ck := range r.cookies {
		h.Add("Set-Cookie", ck.String(r.v.Attrs))
	}
}

func (r *request) setNoStore() {
	h := r.c.Writer.Header()
	h.Set("Cache-Control", "private, no-cache, no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "0")
}

// json writes body as JSON with the queued cookies. Unlike gin's JSON
// renderer it does not escape HTML characters, matching JSON.stringify.
func (r *request) json(status int, body any) {
	r.writeCookies()
	r.writeJSON(status, body)
}

func (r *request) writeJSON(status int, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		r.h.log(r.ctx, "encoding response", err)
		buf.Reset()
		buf.WriteString("null")
	}
	r.c.Writer.Header().Set("Content-Type", "application/json")
	r.c.Writer.WriteHeader(status)
	r.c.Writer.Write(bytes.TrimRight(buf.Bytes(), "\n"))
}

// badRequest answers an unknown action, provider segment or method.
func (r *request) badRequest() {
	if r.h.o.Mode == core.ModeV4 {
		r.c.Header("Content-Type", "text/plain; charset=utf-8")
		r.c.String(http.StatusBadRequest, "Error: This action with HTTP %s is not supported by NextAuth.js", r.c.Request.Method)
		return
	}
	r.writeJSON(http.StatusBadRequest, "Bad request.")
}

func (r *request) respondStatus(status int, msg string) {
	if r.h.o.Mode == core.ModeV4 {
		r.c.Header("Content-Type", "text/plain; charset=utf-8")
		r.c.String(status, "Error: %s", msg)
		return
	}
	r.writeJSON(status, msg)
}

// jsonRedirect reports whether the client asked for redirects as JSON: the
// v5 client's X-Auth-Return-Redirect header or the v4 client's json=true.
func (r *request) jsonRedirect() (header, body bool) {
	return r.c.GetHeader("X-Auth-Return-Redirect") != "", r.field("json") == "true"
}

// redirectTo answers with a 302 to target carrying the queued cookies, or
// with {"url": target} when the client asked for JSON: status 200 for the
// header, status for json=true (401 or 403 for some v4 failures).
func (r *request) redirectTo(target string, status int) {
	r.writeCookies()
	header, body := r.jsonRedirect()
	switch {
	case header:
		r.c.Header("Location", target)
		r.writeJSON(http.StatusOK, map[string]string{"url": target})
	case body:
		r.writeJSON(status, map[string]string{"url": target})
	default:
		// A bare 302 without a body, as Auth.js sends it.
		r.c.Header("Location", target)
		r.c.Status(http.StatusFound)
	}
}

// fail redirects to an error for code the way the mode does it. v5 sends
// "sign-in" errors (CredentialsSignin, MissingCSRF, OAuthCallbackError,
// OAuthAccountNotLinked) to the sign-in page and the rest to the error page,
// without cookies. v4 goes through <base>/error with the init cookies.
func (r *request) fail(code string, extra url.Values, v4Status int) {
	q := url.Values{"error": {code}}
	for k, v := range extra {
		q[k] = v
	}
	if r.h.o.Mode == core.ModeV4 {
		r.redirectTo(r.base+"/error?"+encodeOrdered(q, "error"), v4Status)
		return
	}
	r.cookies = nil
	page := r.h.o.BasePath + "/error"
	if r.h.o.Pages.Error != "" {
		page = r.h.o.Pages.Error
	}
	switch code {
	case core.CodeCredentialsSignin, core.CodeMissingCSRF, core.CodeOAuthCallbackErr, core.CodeOAuthNotLinked:
		page = r.h.o.BasePath + "/signin"
		if r.h.o.Pages.SignIn != "" {
			page = r.h.o.Pages.SignIn
		}
	}
	target := r.origin + page + sep(page) + encodeOrdered(q, "error")
	if header, _ := r.jsonRedirect(); header {
		// Auth.js's error path answers {"url"} without a Location header.
		r.writeJSON(http.StatusOK, map[string]string{"url": target})
		return
	}
	r.redirectTo(target, http.StatusOK)
}

// failMode fails with v4Code in v4 mode and v5Code in v5 mode, where the
// two dialects name the same failure differently.
func (r *request) failMode(v4Code, v5Code string) {
	if r.h.o.Mode == core.ModeV4 {
		r.fail(v4Code, nil, http.StatusOK)
		return
	}
	r.fail(v5Code, nil, http.StatusOK)
}

// encodeOrdered encodes q with the key first first, the rest sorted.
func encodeOrdered(q url.Values, first string) string {
	s := url.Values{first: q[first]}.Encode()
	delete(q, first)
	if rest := q.Encode(); rest != "" {
		s += "&" + rest
	}
	return s
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// html renders a built-in page with the queued cookies and headers that
// keep it out of frames and caches.
func (r *request) html(status int, kind, title string, data any) {
	var buf bytes.Buffer
	if err := pages.Render(&buf, kind, title, r.h.o.Brand, data); err != nil {
		r.h.log(r.ctx, "rendering page", err, "page", kind)
		r.c.String(http.StatusInternalServerError, "Internal Server Error")
		return
	}
	r.writeCookies()
	pages.SetHeaders(r.c.Writer.Header())
	r.c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (r *request) clearSession() {
	r.cookies = append(r.cookies, cookies.Clear(cookies.Seen(r.c.Request, r.v.Names.Session))...)
}
