package endpoint

import (
	"errors"
	"net/http"
	"time"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/session"
	"github.com/ginauth/ginauth/internal/telemetry"
)

// setSession queues what stores a new session value in the browser.
func (r *request) setSession(value string, expires time.Time) error {
	cks, err := r.h.o.Carrier.Set(r.c, r.v, value, expires)
	r.cookies = append(r.cookies, cks...)
	return err
}

// clearSession queues what removes the session value from the browser.
func (r *request) clearSession() {
	cks, err := r.h.o.Carrier.Clear(r.c, r.v)
	if err != nil {
		r.h.log(r.ctx, telemetry.EventSessionWriteFailed, "clearing the session", err)
	}
	r.cookies = append(r.cookies, cks...)
}

// readSession reads the request's session for this variant (no Bearer
// token: the endpoints answer browsers).
func (r *request) readSession() (*session.Loaded, bool, error) {
	return session.Read(r.c, []*session.Variant{r.v}, r.h.o.Carrier, false, nil)
}

// GET /session: read the session, extend it, shape it through the
// callbacks.
func (h *Handler) getSession(r *request) {
	r.setNoStore()
	h.answerSession(r, http.StatusOK, h.refreshSession(r, authjs.TriggerNone, nil))
}

// POST /session: the client's update(data), CSRF-checked.
func (h *Handler) updateSession(r *request) {
	if !r.csrfOK {
		if !h.d.KeepCookiesOnSessionError {
			r.cookies = nil
		}
		h.answerSession(r, http.StatusBadRequest, nil)
		return
	}
	h.answerSession(r, http.StatusOK, h.refreshSession(r, authjs.TriggerUpdate, r.body["data"]))
}

// answerSession writes a session, or the dialect's empty session for nil.
func (h *Handler) answerSession(r *request, status int, s *authjs.Session) {
	if s == nil {
		r.writeRaw(status, h.d.EmptySession)
		return
	}
	// Session.MarshalJSON writes compact JSON, which is what the encoder
	// in r.json would write for it; writing it directly skips the
	// encoder's reflection and second pass.
	b, err := s.MarshalJSON()
	if err != nil {
		r.json(status, s) // logs the error and answers null
		return
	}
	r.writeRaw(status, b)
}

// refreshSession reads the request's session and extends it; nil means no
// session (and queues the deletion of a session value that leads nowhere).
// A store that fails leaves the browser's session alone, as Auth.js does.
func (h *Handler) refreshSession(r *request, trigger authjs.Trigger, data any) *authjs.Session {
	l, present, err := r.readSession()
	switch {
	case err != nil:
		h.log(r.ctx, telemetry.EventSessionReadFailed, "reading the session", err)
		return nil
	case l == nil:
		if present {
			r.clearSession()
		}
		return nil
	}
	if db, ok := r.v.Store.(*session.Database); ok {
		return h.refreshDatabaseSession(r, db, l, trigger, data)
	}
	// The loaded claims are shared with the token cache: they are copied
	// when anything may change them (a callback, an event handler, or the
	// absolute lifetime's start being written back).
	token := l.Claims
	if j, ok := r.v.Store.(*session.JWT); !ok || j.Absolute > 0 ||
		h.o.Callbacks.JWT != nil || h.o.Callbacks.Session != nil || h.o.Events.Session != nil {
		token = token.Clone()
	}
	given := token
	if cb := h.o.Callbacks.JWT; cb != nil {
		token, err = cb(r.ctx, authjs.JWTParams{Token: token, Trigger: trigger, Session: data, Request: r.clientRequest()})
		if err != nil {
			h.log(r.ctx, telemetry.EventCallbackFailed, "jwt callback failed", err, "callback", "jwt")
		}
		if err != nil || token == nil {
			r.clearSession()
			return nil
		}
	}
	// Re-issue the token, keeping when the session started.
	var value string
	var expires time.Time
	if j, ok := r.v.Store.(*session.JWT); ok {
		value, expires, err = j.Reissue(token, l)
	} else {
		value, expires, err = r.v.Store.Issue(r.ctx, token, nil)
	}
	if err != nil {
		h.log(r.ctx, telemetry.EventSessionWriteFailed, "issuing session", err)
		r.clearSession()
		return nil
	}
	src := token
	if h.d.SessionFromDecodedToken {
		src = given
	}
	sess, ok := h.shapeSession(r, authjs.SessionParams{Session: authjs.SessionFromClaims(src, expires), Token: token, Trigger: trigger, NewSession: data})
	if !ok {
		return nil
	}
	if err := r.setSession(value, expires); err != nil {
		h.log(r.ctx, telemetry.EventSessionWriteFailed, "storing the session", err)
		return nil
	}
	if ev := h.o.Events.Session; ev != nil {
		h.event(r, "session", ev(r.ctx, authjs.SessionEvent{Session: sess, Token: token}))
	}
	return sess
}

// refreshDatabaseSession extends a database session when it is due, as
// Auth.js does: the answer's expires is the stored expiry, the cookie's the
// new one.
func (h *Handler) refreshDatabaseSession(r *request, db *session.Database, l *session.Loaded, trigger authjs.Trigger, data any) *authjs.Session {
	next, err := db.Extend(r.ctx, l)
	if err != nil {
		h.log(r.ctx, telemetry.EventSessionWriteFailed, "extending the session", err)
		return nil
	}
	sess, ok := h.shapeSession(r, authjs.SessionParams{
		Session: l.Session(), Token: l.Claims.Clone(), User: l.User,
		Trigger: trigger, NewSession: data,
	})
	if !ok {
		return nil
	}
	if err := r.setSession(l.Value, next); err != nil {
		h.log(r.ctx, telemetry.EventSessionWriteFailed, "storing the session", err)
		return nil
	}
	if ev := h.o.Events.Session; ev != nil {
		h.event(r, "session", ev(r.ctx, authjs.SessionEvent{Session: sess, Token: l.Claims.Clone()}))
	}
	return sess
}

// shapeSession runs the Session callback; a refusal ends the session.
func (h *Handler) shapeSession(r *request, p authjs.SessionParams) (*authjs.Session, bool) {
	cb := h.o.Callbacks.Session
	if cb == nil {
		return p.Session, true
	}
	s, err := cb(r.ctx, p)
	if err == nil && s == nil {
		err = errors.New("session callback returned no session")
	}
	if err != nil {
		h.log(r.ctx, telemetry.EventCallbackFailed, "session callback ended the session", err, "callback", "session")
		r.clearSession()
		return nil, false
	}
	return s, true
}

// event logs an event handler's error; events never change the answer.
func (h *Handler) event(r *request, name string, err error) {
	if err != nil {
		h.log(r.ctx, telemetry.EventEventHandlerFailed, "event handler failed", err, "handler", name)
	}
}
