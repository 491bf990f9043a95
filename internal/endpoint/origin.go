package endpoint

import (
	"net/http"
	"strings"

	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/telemetry"
)

// crossOriginGuarded reports whether a POST to action is checked for its
// origin: every one but an OAuth provider's callback, which the provider's
// own page posts (response_mode=form_post) and the state, PKCE and nonce
// checks protect.
func (h *Handler) crossOriginGuarded(action, provider string) bool {
	if action != ActionCallback {
		return true
	}
	p := h.providers[provider]
	return p == nil || p.oauth == nil
}

// crossOriginAllowed reports whether a state-changing request may go on:
// net/http's cross-origin protection accepts it (a same-origin request by
// Sec-Fetch-Site, a trusted origin, or a client that is not a browser and
// sends neither Sec-Fetch-Site nor Origin), or its Origin is the
// application's own origin as resolved for the request (behind a proxy
// that rewrites Host, for browsers that send no Sec-Fetch-Site).
func (r *request) crossOriginAllowed() bool {
	cop := r.h.o.CrossOrigin
	if cop == nil {
		return true
	}
	req := r.c.Request
	if cop.Check(req) == nil {
		return true
	}
	origin := req.Header.Get("Origin")
	return origin != "" && strings.EqualFold(origin, r.site.Origin)
}

// refuseCrossOrigin answers a state-changing request that another site
// made a browser send: 403 without cookies, as the session's empty value
// for POST /session, as {"url": <error page>?error=AccessDenied} to the
// JavaScript clients (which read the error from it), and as a page to a
// form post.
func (r *request) refuseCrossOrigin() {
	req := r.c.Request
	r.h.o.Logger.WarnContext(r.ctx, "ginauth: cross-origin request refused", telemetry.Event(telemetry.EventCrossOriginRefused), "action", r.action,
		"origin", req.Header.Get("Origin"), "sec_fetch_site", req.Header.Get("Sec-Fetch-Site"))
	// Refused before init: no cookie is queued.
	r.setNoStore()
	if r.action == ActionSession {
		r.writeRaw(http.StatusForbidden, r.h.d.EmptySession)
		return
	}
	header, body := r.jsonRedirect()
	ct := req.Header.Get("Content-Type")
	if header || body || strings.HasPrefix(ct, "application/json") || strings.Contains(req.Header.Get("Accept"), "application/json") {
		r.writeJSON(http.StatusForbidden, map[string]string{"url": r.site.Base() + "/error?error=" + dialect.CodeAccessDenied})
		return
	}
	data := pages.Error{
		Status:    http.StatusForbidden,
		Title:     "Request refused",
		Message:   "This request was sent from another site, so it was not carried out. Go back to the application and try again.",
		HomeURL:   r.site.Origin,
		SignInURL: r.site.Base() + "/signin",
	}
	r.html(http.StatusForbidden, "error", data.Title, data)
}
