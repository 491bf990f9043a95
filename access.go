package ginauth

import (
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/session"
	"github.com/ginauth/ginauth/internal/telemetry"
)

// stateKey is the gin context key of the per-request state; unexported so
// nothing else can collide with it or forge it.
type stateKey struct{}

// state is what ginauth knows about one request, computed once. It is safe
// for concurrent use: gin.Context.Copy shares it between the request's
// handler and the goroutines it hands copies to.
type state struct {
	auth *Auth
	// c is the request's own context, the only one that may write the
	// response's headers (copies handed to goroutines may not).
	c *gin.Context

	readOnce sync.Once
	loaded   *session.Loaded // nil without a session, else &into; its claims are read-only
	into     session.Loaded  // the session, kept here to spare an allocation
	err      error           // the store failed

	sessionOnce sync.Once
	session     *authjs.Session
}

// state returns the request's state for a, attaching a new one when none
// exists or when another Auth attached it (the innermost middleware wins, so
// Session(c) in a handler reads with the Auth whose RequireAuth guards it).
func (a *Auth) state(c *gin.Context) *state {
	if v, ok := c.Get(stateKey{}); ok {
		if s, ok := v.(*state); ok && s.auth == a {
			return s
		}
	}
	s := &state{auth: a, c: c}
	c.Set(stateKey{}, s)
	return s
}

func lookup(c *gin.Context) *state {
	if c == nil {
		return nil
	}
	v, ok := c.Get(stateKey{})
	if !ok {
		return nil
	}
	s, _ := v.(*state)
	return s
}

// read reads the request's session once: from the session cookie (or the
// configured SessionStore), or, for JWT sessions, from an
// "Authorization: Bearer" token when no session value is sent at all, as
// Auth.js's getToken reads it.
func (s *state) read(c *gin.Context) (*session.Loaded, error) {
	s.readOnce.Do(func() {
		a := s.auth
		variants := a.readVariants(c.Request)
		s.loaded, _, s.err = session.Read(c, variants, a.carrier, a.cfg.Session.Strategy == StrategyJWT, &s.into)
		if s.err != nil {
			a.logger.ErrorContext(c.Request.Context(), "ginauth: reading the session", telemetry.Event(telemetry.EventSessionReadFailed), "error", s.err.Error())
		}
		if s.loaded != nil && c == s.c {
			a.renew(c, s.loaded)
		}
	})
	return s.loaded, s.err
}

// renew sets the session cookie again, with a later expiry, when the
// session read from it is due for renewal (SessionConfig.UpdateAge), as
// Auth.js's middleware does, so that a server-rendered application keeps
// its active users signed in without calling /api/auth/session. A read-only
// Auth never writes cookies, a Bearer token is not a cookie to renew, and
// a response already started cannot take one. A session not due costs no
// allocation.
func (a *Auth) renew(c *gin.Context, l *session.Loaded) {
	if l.Variant == nil || a.readOnly() || c.Writer.Written() {
		return
	}
	ctx := c.Request.Context()
	value, expires, ok, err := session.Renew(ctx, l.Variant, l)
	if err != nil {
		a.logger.ErrorContext(ctx, "ginauth: renewing the session", telemetry.Event(telemetry.EventSessionWriteFailed), "error", err.Error())
		return
	}
	if !ok {
		return
	}
	cks, err := a.carrier.Set(c, l.Variant, value, expires)
	if err != nil {
		a.logger.ErrorContext(ctx, "ginauth: storing the renewed session", telemetry.Event(telemetry.EventSessionWriteFailed), "error", err.Error())
		return
	}
	h := c.Writer.Header()
	for _, ck := range cks {
		h.Add("Set-Cookie", ck.String(l.Variant.Attrs))
	}
	// A response that sets a session cookie must not be shared by caches;
	// a handler may still set its own Cache-Control.
	h.Set("Cache-Control", "private, no-cache, no-store")
}

// readVariants returns the cookie variants a request's session may use:
// the one its origin decides, or, on a read-only Auth (no URL, no
// TrustHost), the __Secure- variant and the plain one, since such an API
// cannot know whether the browser reached the front end over https.
// Cookies.Secure, when set, picks one.
func (a *Auth) readVariants(r *http.Request) []*session.Variant {
	if a.readOnly() {
		switch {
		case a.cfg.Cookies.Secure != nil && *a.cfg.Cookies.Secure:
			return a.onlySecure
		case a.cfg.Cookies.Secure != nil:
			return a.onlyInsecure
		case a.secure.Names.Session == a.insecure.Names.Session:
			return a.onlySecure // same name, same key
		}
		return a.both
	}
	_, secure, ok := a.site.Resolve(r)
	switch {
	case !ok:
		return nil
	case secure:
		return a.onlySecure
	}
	return a.onlyInsecure
}

// readOnly reports whether a has no way to know its origin (neither URL nor
// TrustHost): it reads sessions made by another application sharing the
// secret, and its endpoints answer a configuration error.
func (a *Auth) readOnly() bool { return a.site.Origin == "" && !a.site.TrustHost }

// unconfigured answers every endpoint request of a read-only Auth: without
// an origin, redirects and cookie names would have to be guessed from the
// request, which an attacker controls.
func (a *Auth) unconfigured(c *gin.Context) {
	a.logger.ErrorContext(c.Request.Context(), "ginauth: the endpoints need Config.URL (or TrustHost behind a proxy); this Auth only reads sessions",
		telemetry.Event(telemetry.EventConfigNoOrigin), "path", c.Request.URL.Path)
	c.Header("Cache-Control", "private, no-cache, no-store")
	c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"message": a.dialect.ConfigErrorMessage})
}

// Session returns the current session, read from the request once per
// request and shaped by the Session callback. It returns (nil, false) when
// there is no valid session, when the Session callback refuses it, when the
// session store failed (see SessionError), or when no ginauth middleware
// (Middleware, RequireAuth) runs on the route. It never panics, and it is
// safe to call from several goroutines holding copies of c
// (gin.Context.Copy).
//
// The session's Expires is when the session ends. Unlike GET
// /api/auth/session, Session neither runs the JWT callback nor extends the
// session.
func Session(c *gin.Context) (*authjs.Session, bool) {
	s := lookup(c)
	if s == nil {
		return nil, false
	}
	s.sessionOnce.Do(func() { s.session = s.buildSession(c) })
	return s.session, s.session != nil
}

// buildSession shapes the request's session through the Session callback.
func (s *state) buildSession(c *gin.Context) *authjs.Session {
	l, _ := s.read(c)
	if l == nil {
		return nil
	}
	sess := l.Session()
	cb := s.auth.cfg.Callbacks.Session
	if cb == nil {
		return sess
	}
	ctx := c.Request.Context()
	out, err := cb(ctx, authjs.SessionParams{Session: sess, Token: l.Claims.Clone(), User: l.User})
	if err != nil {
		s.auth.logger.ErrorContext(ctx, "ginauth: session callback ended the session", telemetry.Event(telemetry.EventCallbackFailed), "callback", "session", "error", err.Error())
	}
	if err != nil || out == nil {
		return nil
	}
	return out
}

// Token returns the claims of the current session, as Auth.js's getToken
// does: name, email, picture, sub, iat, exp, jti and whatever the JWT
// callback added. For a database session they are derived from its user:
// sub (the stored user's ID), name, email, picture and exp. The result is
// the caller's own copy. It returns (nil, false) when there is no valid
// session or no ginauth middleware on the route. Like Session, it is safe
// for concurrent use through copies of c.
func Token(c *gin.Context) (authjs.Claims, bool) {
	s := lookup(c)
	if s == nil {
		return nil, false
	}
	l, _ := s.read(c)
	if l == nil {
		return nil, false
	}
	return l.Claims.Clone(), true
}

// SessionToken returns the raw session value of the request's valid
// session: the JWT (the session cookie's value, reassembled from its
// chunks, or the Bearer token), or a database session's token. A handler
// calling another API that shares the secret can forward a JWT as
// "Authorization: Bearer <token>". It returns ("", false) without a valid
// session or without a ginauth middleware on the route.
func SessionToken(c *gin.Context) (string, bool) {
	s := lookup(c)
	if s == nil {
		return "", false
	}
	l, _ := s.read(c)
	if l == nil {
		return "", false
	}
	return l.Value, true
}

// SessionError returns why the request's session could not be read: an
// error wrapping ErrSessionUnavailable when its store (the Adapter, or the
// SessionStore) failed, which is not the same as having no session; nil
// otherwise. RequireAuth answers such requests with 503.
func SessionError(c *gin.Context) error {
	s := lookup(c)
	if s == nil {
		return nil
	}
	_, err := s.read(c)
	return sessionUnavailable(err)
}
