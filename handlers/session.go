package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/core"
	"github.com/ginauth/ginauth/internal/session"
)

// emptySession is the body of /session without a session: {} in v4, null in v5.
func (h *Handler) emptySession() any {
	if h.o.Mode == core.ModeV4 {
		return struct{}{}
	}
	return nil
}

// setSession queues the cookies that store a new session value, deleting
// stale chunks.
func (r *request) setSession(value string, expires time.Time) {
	name := r.v.Names.Session
	r.cookies = append(r.cookies, cookies.Chunk(name, value, r.h.chunkSize, cookies.Seen(r.c.Request, name), expires)...)
}

// GET /session: decode, run the JWT callback, re-issue the token (rolling
// expiry), build the session through the Session callback.
func (h *Handler) getSession(r *request) {
	r.setNoStore()
	body := h.refreshSession(r, core.TriggerNone, nil)
	r.json(http.StatusOK, body)
}

// POST /session: the client's update(data), CSRF-checked.
func (h *Handler) updateSession(r *request) {
	if !r.csrfOK {
		if h.o.Mode == core.ModeV5 {
			r.cookies = nil // v5 answers errors on POST /session without cookies
		}
		r.json(http.StatusBadRequest, h.emptySession())
		return
	}
	body := h.refreshSession(r, core.TriggerUpdate, r.body["data"])
	r.json(http.StatusOK, body)
}

func (h *Handler) refreshSession(r *request, trigger core.Trigger, data any) any {
	value, present := session.Value(r.c.Request, r.v.Names.Session)
	if !present {
		return h.emptySession()
	}
	store := r.v.Store
	claims, err := store.Load(r.ctx, value)
	if err != nil {
		if !isInvalid(err) {
			h.log(r.ctx, "loading session", err)
		}
		r.clearSession()
		return h.emptySession()
	}
	token := claims.Clone()
	given := token
	if cb := h.o.Callbacks.JWT; cb != nil {
		token, err = cb(r.ctx, core.JWTParams{Token: token, Trigger: trigger, Session: data})
		if err != nil {
			h.log(r.ctx, "jwt callback failed", err)
			r.clearSession()
			return h.emptySession()
		}
		if token == nil {
			r.clearSession()
			return h.emptySession()
		}
	}
	newValue, expires, err := store.Issue(r.ctx, token)
	if err != nil {
		h.log(r.ctx, "issuing session", err)
		r.clearSession()
		return h.emptySession()
	}
	src := token
	if h.o.Mode == core.ModeV4 {
		// v4 builds the user from the decoded token object, which is the
		// one the JWT callback received: changes made to it in place show,
		// a token returned as a new object does not.
		src = given
	}
	sess := core.SessionFromToken(src, expires)
	if cb := h.o.Callbacks.Session; cb != nil {
		s, err := cb(r.ctx, core.SessionParams{Session: sess, Token: token, Trigger: trigger, NewSession: data})
		if err != nil || s == nil {
			if err == nil {
				err = errors.New("session callback returned nil")
			}
			h.log(r.ctx, "session callback failed", err)
			r.clearSession()
			return h.emptySession()
		}
		sess = s
	}
	r.setSession(newValue, expires)
	h.event(r, "session", func() error {
		if h.o.Events.Session == nil {
			return nil
		}
		return h.o.Events.Session(r.ctx, core.SessionEvent{Session: sess, Token: token})
	})
	return sess
}

func isInvalid(err error) bool {
	return errors.Is(err, core.ErrInvalidToken) || errors.Is(err, core.ErrTokenExpired)
}

// event runs an event handler; its error is logged and swallowed.
func (h *Handler) event(r *request, name string, fn func() error) {
	if err := fn(); err != nil {
		h.log(r.ctx, "event handler failed", err, "event", name)
	}
}
