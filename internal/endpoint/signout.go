package endpoint

import (
	"net/http"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/session"
	"github.com/ginauth/ginauth/internal/telemetry"
)

// GET /signout: a confirmation page posting back with the CSRF token.
func (h *Handler) signOutPage(r *request) {
	if p := h.o.Pages.SignOut; p != "" {
		r.redirectTo(p, http.StatusOK)
		return
	}
	data := pages.SignOut{CSRFToken: r.csrf, CallbackURL: r.callback, Action: r.site.Base() + "/signout"}
	if r.c.Query("csrf") == "true" {
		data.Error = "Your sign-out form expired. Please try again."
	}
	r.html(http.StatusOK, "signout", "Sign out", data)
}

// POST /signout: ends the session (deleting a database session), clears
// the browser's and redirects to the callback URL.
func (h *Handler) signOut(r *request) {
	if !r.csrfOK {
		r.follow(h.d.CSRFFailed(r.site, "/signout"))
		return
	}
	value, _, err := h.o.Carrier.Value(r.c, r.v)
	if err != nil {
		h.log(r.ctx, telemetry.EventSessionReadFailed, "reading the session at sign-out", err)
	}
	if value != "" {
		var l session.Loaded
		err := r.v.Store.Load(r.ctx, value, &l)
		switch {
		case err == nil:
			if ev := h.o.Events.SignOut; ev != nil {
				e := authjs.SignOutEvent{Token: l.Claims.Clone()}
				if l.User != nil {
					e.Session = &authjs.DatabaseSession{SessionToken: l.Value, UserID: l.User.ID, Expires: l.Expires}
				}
				h.event(r, "signOut", ev(r.ctx, e))
			}
		case !session.Invalid(err):
			h.log(r.ctx, telemetry.EventSessionReadFailed, "reading the session at sign-out", err)
		}
		if err := r.v.Store.Revoke(r.ctx, value); err != nil {
			h.log(r.ctx, telemetry.EventSessionRevokeFailed, "revoking the session", err)
		}
	}
	r.clearSession()
	r.redirectTo(r.callback, http.StatusOK)
}
