package endpoint

import (
	"errors"
	"net/http"
	"time"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/session"
)

// setSession queues the cookies that store a new session value, deleting
// stale chunks.
func (r *request) setSession(value string, expires time.Time) {
	name := r.v.Names.Session
	r.cookies = append(r.cookies, cookies.Chunk(name, value, r.h.d.ChunkSize, cookies.Seen(r.c.Request, name), expires)...)
}

// GET /session: decode, run the JWT callback, re-issue the token (rolling
// expiry), build the session through the Session callback.
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

// refreshSession reads the request's session, runs the JWT callback,
// re-issues the token and shapes the session; nil means no session (and
// queues the deletion of a session cookie that cannot be used).
func (h *Handler) refreshSession(r *request, trigger authjs.Trigger, data any) *authjs.Session {
	value, present := session.Value(r.c.Request, r.v.Names.Session)
	if !present {
		return nil
	}
	store := r.v.Store
	claims, err := store.Load(r.ctx, value)
	if err != nil {
		if !session.Invalid(err) {
			h.log(r.ctx, "loading session", err)
		}
		r.clearSession()
		return nil
	}
	token := claims.Clone()
	given := token
	if cb := h.o.Callbacks.JWT; cb != nil {
		token, err = cb(r.ctx, authjs.JWTParams{Token: token, Trigger: trigger, Session: data, Request: r.clientRequest()})
		if err != nil {
			h.log(r.ctx, "jwt callback failed", err)
		}
		if err != nil || token == nil {
			r.clearSession()
			return nil
		}
	}
	newValue, expires, err := store.Issue(r.ctx, token)
	if err != nil {
		h.log(r.ctx, "issuing session", err)
		r.clearSession()
		return nil
	}
	src := token
	if h.d.SessionFromDecodedToken {
		src = given
	}
	sess := authjs.SessionFromClaims(src, expires)
	if cb := h.o.Callbacks.Session; cb != nil {
		s, err := cb(r.ctx, authjs.SessionParams{Session: sess, Token: token, Trigger: trigger, NewSession: data})
		if err == nil && s == nil {
			err = errors.New("session callback returned no session")
		}
		if err != nil {
			h.log(r.ctx, "session callback ended the session", err)
			r.clearSession()
			return nil
		}
		sess = s
	}
	r.setSession(newValue, expires)
	if ev := h.o.Events.Session; ev != nil {
		h.event(r, "session", ev(r.ctx, authjs.SessionEvent{Session: sess, Token: token}))
	}
	return sess
}

// event logs an event handler's error; events never change the answer.
func (h *Handler) event(r *request, name string, err error) {
	if err != nil {
		h.log(r.ctx, "event handler failed", err, "event", name)
	}
}
