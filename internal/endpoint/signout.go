package endpoint

import (
	"net/http"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/session"
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

// POST /signout: ends the session, clears its cookies and redirects to the
// callback URL.
func (h *Handler) signOut(r *request) {
	if !r.csrfOK {
		r.follow(h.d.CSRFFailed(r.site, "/signout"))
		return
	}
	value, present := session.Value(r.c.Request, r.v.Names.Session)
	if present && value != "" {
		claims, err := r.v.Store.Load(r.ctx, value)
		switch {
		case err == nil:
			if ev := h.o.Events.SignOut; ev != nil {
				h.event(r, "signOut", ev(r.ctx, authjs.SignOutEvent{Token: claims.Clone()}))
			}
		case !session.Invalid(err):
			h.log(r.ctx, "loading session at sign-out", err)
		}
		if err := r.v.Store.Revoke(r.ctx, value); err != nil {
			h.log(r.ctx, "revoking session", err)
		}
	}
	r.clearSession()
	r.redirectTo(r.callback, http.StatusOK)
}
