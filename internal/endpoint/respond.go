package endpoint

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/telemetry"
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

// json writes body as JSON with the queued cookies.
func (r *request) json(status int, body any) {
	r.writeCookies()
	r.writeJSON(status, body)
}

// writeJSON writes body as JSON. Unlike gin's JSON renderer it does not
// escape HTML characters, as JSON.stringify does not.
func (r *request) writeJSON(status int, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		r.h.log(r.ctx, telemetry.EventResponseFailed, "encoding response", err)
		buf.Reset()
		buf.WriteString("null")
	}
	r.c.Data(status, "application/json", bytes.TrimRight(buf.Bytes(), "\n"))
}

// writeRaw writes a JSON document that is already encoded.
func (r *request) writeRaw(status int, body []byte) {
	r.writeCookies()
	r.c.Data(status, "application/json", body)
}

// text answers with an HTTP error status and the dialect's error text.
func (r *request) text(status int, msg string) {
	writeText(r.c, status, r.h.d.ErrorText(msg))
}

// jsonRedirect reports whether the client asked for redirects as JSON: the
// v5 client's X-Auth-Return-Redirect header or the v4 client's json=true.
// Both are honoured in either dialect.
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

// follow answers with a redirect the dialect chose for a failure.
func (r *request) follow(to dialect.Redirect) {
	if to.DropCookies {
		r.cookies = nil
	}
	if header, _ := r.jsonRedirect(); header && to.NoLocation {
		r.writeJSON(http.StatusOK, map[string]string{"url": to.URL})
		return
	}
	r.redirectTo(to.URL, to.Status)
}

// fail answers a request that failed with an Auth.js error code; v4Status
// is the status of a JSON answer to a v4 client.
func (r *request) fail(code string, v4Status int) {
	r.follow(r.h.d.Fail(r.site, code, nil, v4Status))
}

// failWith answers a failure the dialects name differently.
func (r *request) failWith(f dialect.Failure) {
	r.fail(r.h.d.Code(f), http.StatusOK)
}

// html renders a built-in page with the queued cookies and headers that
// keep it out of frames and caches.
func (r *request) html(status int, kind, title string, data any) {
	var buf bytes.Buffer
	if err := pages.Render(&buf, kind, title, r.h.o.Brand, data); err != nil {
		r.h.log(r.ctx, telemetry.EventResponseFailed, "rendering page", err, "page", kind)
		r.c.String(http.StatusInternalServerError, "Internal Server Error")
		return
	}
	r.writeCookies()
	pages.SetPageHeaders(r.c.Writer.Header(), data)
	r.c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
