package ginauth

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/core"
	"github.com/ginauth/ginauth/internal/session"
)

// stateKey is the gin context key of the per-request state; unexported so
// nothing else can collide with it or forge it.
type stateKey struct{}

// state is what ginauth knows about one request, computed lazily once.
type state struct {
	auth *Auth

	tokenDone bool
	raw       string     // the session value the token was decoded from
	token     core.Token // shared with the verified-token cache: read-only

	sessionDone bool
	session     *SessionData
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
func (s *state) readToken(c *gin.Context) core.Token {
	if s.tokenDone {
		return s.token
	}
	s.tokenDone = true
	variants := s.auth.readVariants(c.Request)
	// A session cookie wins over an Authorization header, as in Auth.js's
	// getToken; the header is read only when no variant's cookie was sent.
	sent := false
	for _, v := range variants {
		value, present := cookies.ReadChunked(c.Request, v.Names.Session)
		sent = sent || present
		if value != "" && s.load(c, v, value) {
			return s.token
		}
	}
	if sent {
		return nil
	}
	if value := session.Bearer(c.Request); value != "" {
		for _, v := range variants {
			if s.load(c, v, value) {
				return s.token
			}
		}
	}
	return nil
}

// load decodes value with v's store and keeps the claims when it is valid.
func (s *state) load(c *gin.Context, v *session.Variant, value string) bool {
	t, err := v.Store.Load(c.Request.Context(), value)
	if err != nil {
		return false
	}
	s.raw, s.token = value, t
	return true
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
	msg := "There was a problem with the server configuration. Check the server logs for more information."
	if a.cfg.Mode == ModeV4 {
		msg = "There is a problem with the server configuration. Check the server logs for more information."
	}
	c.Header("Cache-Control", "private, no-cache, no-store")
	c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"message": msg})
}

// Session returns the current session, decoded from the request's session
// cookie (or an "Authorization: Bearer" token) once per request and shaped by
// the Session callback. It returns (nil, false) when there is no valid
// session, or when no ginauth middleware (Mount, Middleware, RequireAuth)
// runs on the route. It never panics.
//
// The session's Expires is the token's expiry. Unlike GET /api/auth/session,
// Session neither runs the JWT callback nor extends the session.
func Session(c *gin.Context) (*SessionData, bool) {
	s := lookup(c)
	if s == nil {
		return nil, false
	}
	if s.sessionDone {
		return s.session, s.session != nil
	}
	s.sessionDone = true
	tok := s.readToken(c)
	if tok == nil {
		return nil, false
	}
	exp, _ := tok.Expires()
	sess := core.SessionFromToken(tok, exp)
	if cb := s.auth.cfg.Callbacks.Session; cb != nil {
		out, err := cb(c.Request.Context(), core.SessionParams{Session: sess, Token: tok.Clone()})
		if err != nil || out == nil {
			if err != nil {
				s.auth.logger.ErrorContext(c.Request.Context(), "ginauth: session callback failed", "error", err.Error())
			}
			return nil, false
		}
		sess = out
	}
	s.session = sess
	return sess, true
}

// Token returns the claims of the current session token, as Auth.js's
// getToken does: name, email, picture, sub, iat, exp, jti and whatever the JWT
// callback added. The result is the caller's own copy. It returns
// (nil, false) when there is no valid session or no ginauth middleware on the
// route.
func Token(c *gin.Context) (core.Token, bool) {
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
// without a valid session.
func (a *Auth) SessionToken(c *gin.Context) (string, bool) {
	if c == nil {
		return "", false
	}
	s := a.state(c)
	if s.readToken(c) == nil {
		return "", false
	}
	return s.raw, true
}
