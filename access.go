package ginauth

import (
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/session"
)

// stateKey is the gin context key of the per-request state; unexported so
// nothing else can collide with it or forge it.
type stateKey struct{}

// state is what ginauth knows about one request, computed once. It is safe
// for concurrent use: gin.Context.Copy shares it between the request's
// handler and the goroutines it hands copies to.
type state struct {
	auth *Auth

	tokenOnce sync.Once
	raw       string        // the session value the token was decoded from
	token     authjs.Claims // shared with the verified-token cache: read-only

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
	s := &state{auth: a}
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

// readToken decodes the session once per request.
func (s *state) readToken(c *gin.Context) authjs.Claims {
	s.tokenOnce.Do(func() { s.raw, s.token = s.auth.readToken(c.Request) })
	return s.token
}

// readToken finds the request's session value and decodes it. A session
// cookie wins over an Authorization header, as in Auth.js's getToken: the
// header is read only when no variant's cookie was sent at all, so that a
// stolen token sent as a header cannot stand in for a cookie that failed.
func (a *Auth) readToken(r *http.Request) (string, authjs.Claims) {
	variants := a.readVariants(r)
	sent := false
	for _, v := range variants {
		value, present := cookies.ReadChunked(r, v.Names.Session)
		sent = sent || present
		if value == "" {
			continue
		}
		if t, err := v.Store.Load(r.Context(), value); err == nil {
			return value, t
		}
	}
	if sent {
		return "", nil
	}
	if value := session.Bearer(r); value != "" {
		for _, v := range variants {
			if t, err := v.Store.Load(r.Context(), value); err == nil {
				return value, t
			}
		}
	}
	return "", nil
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
		"path", c.Request.URL.Path)
	c.Header("Cache-Control", "private, no-cache, no-store")
	c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"message": a.dialect.ConfigErrorMessage})
}

// Session returns the current session, decoded from the request's session
// cookie (or an "Authorization: Bearer" token) once per request and shaped
// by the Session callback. It returns (nil, false) when there is no valid
// session, when the Session callback refuses it, or when no ginauth
// middleware (Middleware, RequireAuth) runs on the route. It never panics,
// and it is safe to call from several goroutines holding copies of c
// (gin.Context.Copy).
//
// The session's Expires is the token's expiry. Unlike GET /api/auth/session,
// Session neither runs the JWT callback nor extends the session.
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
	tok := s.readToken(c)
	if tok == nil {
		return nil
	}
	exp, _ := tok.Expires()
	sess := authjs.SessionFromClaims(tok, exp)
	cb := s.auth.cfg.Callbacks.Session
	if cb == nil {
		return sess
	}
	ctx := c.Request.Context()
	out, err := cb(ctx, authjs.SessionParams{Session: sess, Token: tok.Clone()})
	if err != nil {
		s.auth.logger.ErrorContext(ctx, "ginauth: session callback ended the session", "error", err.Error())
	}
	if err != nil || out == nil {
		return nil
	}
	return out
}

// Token returns the claims of the current session token, as Auth.js's
// getToken does: name, email, picture, sub, iat, exp, jti and whatever the
// JWT callback added. The result is the caller's own copy. It returns
// (nil, false) when there is no valid session or no ginauth middleware on
// the route. Like Session, it is safe for concurrent use through copies
// of c.
func Token(c *gin.Context) (authjs.Claims, bool) {
	s := lookup(c)
	if s == nil {
		return nil, false
	}
	t := s.readToken(c)
	if t == nil {
		return nil, false
	}
	return t.Clone(), true
}

// SessionToken returns the raw session token of the request's valid session
// (the session cookie's value, reassembled from its chunks, or the Bearer
// token), so that a handler calling another API that shares the secret can
// forward it as "Authorization: Bearer <token>". It returns ("", false)
// without a valid session or without a ginauth middleware on the route.
func SessionToken(c *gin.Context) (string, bool) {
	s := lookup(c)
	if s == nil || s.readToken(c) == nil {
		return "", false
	}
	return s.raw, true
}
