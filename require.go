package ginauth

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/telemetry"
)

// RequireOption configures RequireAuth.
type RequireOption func(*requirement)

type requirement struct {
	redirect     bool
	unauthStatus int
	unauthBody   any
	forbidStatus int
	forbidBody   any
	checks       []func(*gin.Context, authjs.Claims) bool
}

// Default bodies of RequireAuth's JSON answers.
var (
	defaultUnauthorizedBody = gin.H{"message": "Unauthorized"}
	defaultForbiddenBody    = gin.H{"message": "Forbidden"}
)

// RedirectToSignIn makes RequireAuth answer a request without a session by
// redirecting to the sign-in page (Pages.SignIn or the built-in page) with
// callbackUrl set to the requested URL, for routes that browsers open. A
// request that has a session but fails an authorization check gets a 403
// "Access denied" page (or a redirect to Pages.Error?error=AccessDenied).
func RedirectToSignIn() RequireOption {
	return func(r *requirement) { r.redirect = true }
}

// WithUnauthorized sets the status and JSON body of the answer to a request
// without a session; default 401 {"message":"Unauthorized"}. For example
// nuxt-auth's server middleware answers 403 {"message":"Unauthenticated"}.
func WithUnauthorized(status int, body any) RequireOption {
	return func(r *requirement) { r.unauthStatus, r.unauthBody = status, body }
}

// WithForbidden sets the status and JSON body of the answer to a request
// whose session fails an authorization check; default 403
// {"message":"Forbidden"}.
func WithForbidden(status int, body any) RequireOption {
	return func(r *requirement) { r.forbidStatus, r.forbidBody = status, body }
}

// WithRoles admits a session whose role claim (Config.RoleClaim, default
// "role": a string or a list of strings, set in the JWT callback) holds at
// least one of roles.
func WithRoles(roles ...string) RequireOption {
	return func(r *requirement) {
		r.checks = append(r.checks, func(c *gin.Context, t authjs.Claims) bool {
			a := lookup(c).auth
			for _, have := range t.Strings(a.cfg.RoleClaim) {
				if slices.Contains(roles, have) {
					return true
				}
			}
			return false
		})
	}
}

// WithClaim admits a session whose claim name equals one of values (for a
// list claim: contains one of them). With no values, the claim must be
// present and not false, null or "".
func WithClaim(name string, values ...string) RequireOption {
	return func(r *requirement) {
		r.checks = append(r.checks, func(_ *gin.Context, t authjs.Claims) bool {
			if len(values) == 0 {
				v, ok := t[name]
				return ok && v != nil && v != false && v != ""
			}
			for _, have := range t.Strings(name) {
				if slices.Contains(values, have) {
					return true
				}
			}
			return false
		})
	}
}

// WithCheck admits a session for which allow returns true. The token must be
// treated as read-only.
func WithCheck(allow func(c *gin.Context, t authjs.Claims) bool) RequireOption {
	return func(r *requirement) { r.checks = append(r.checks, allow) }
}

// RequireAuth returns middleware that lets a request through only with a
// valid session that passes every authorization check (and, when a Session
// callback is configured, that the callback accepts, so that Session(c)
// always succeeds behind RequireAuth). Without a session it
// answers 401 JSON (or redirects, with RedirectToSignIn); with a session that
// fails a check, 403 JSON (or a redirect to the AccessDenied error page).
// When the session store failed (a database that is down), it answers 503
// {"message":"Service Unavailable"} and leaves the browser's session alone:
// an outage is not a sign-out. It needs no other ginauth middleware on the
// route.
//
// A session older than SessionConfig.UpdateAge is renewed on the way: the
// response sets the session cookie again with a later expiry (a new JWT,
// or the database session's extended expiry), so that users who only ever
// load server-rendered pages stay signed in while active, up to
// SessionConfig.AbsoluteMaxAge when one is set.
func (a *Auth) RequireAuth(opts ...RequireOption) gin.HandlerFunc {
	req := &requirement{
		unauthStatus: http.StatusUnauthorized, unauthBody: defaultUnauthorizedBody,
		forbidStatus: http.StatusForbidden, forbidBody: defaultForbiddenBody,
	}
	for _, o := range opts {
		o(req)
	}
	return func(c *gin.Context) {
		s := a.state(c)
		l, err := s.read(c)
		if err != nil {
			c.Header("Cache-Control", "private, no-cache, no-store")
			c.Header("Retry-After", "5")
			c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"message": "Service Unavailable"})
			return
		}
		var tok authjs.Claims
		if l != nil {
			tok = l.Claims
		}
		if tok != nil && a.cfg.Callbacks.Session != nil {
			// A Session callback that refuses the token ends the session.
			if _, ok := Session(c); !ok {
				tok = nil
			}
		}
		if tok == nil {
			if req.redirect {
				a.redirectToSignIn(c)
				return
			}
			c.AbortWithStatusJSON(req.unauthStatus, req.unauthBody)
			return
		}
		for _, check := range req.checks {
			if !check(c, tok) {
				if req.redirect {
					a.forbiddenPage(c)
					return
				}
				c.AbortWithStatusJSON(req.forbidStatus, req.forbidBody)
				return
			}
		}
		c.Next()
	}
}

func (a *Auth) redirectToSignIn(c *gin.Context) {
	origin, _, ok := a.site.Resolve(c.Request)
	page := a.cfg.Pages.SignIn
	if page == "" {
		page = a.basePath + "/signin"
	}
	back := c.Request.URL.RequestURI()
	if ok {
		back = origin + back
	}
	c.Header("Cache-Control", "private, no-cache, no-store")
	c.Redirect(http.StatusFound, origin+page+"?"+url.Values{"callbackUrl": {back}}.Encode())
	c.Abort()
}

// forbiddenPage answers a browser whose session fails an authorization
// check: a 403 page (or a redirect to Pages.Error with error=AccessDenied).
func (a *Auth) forbiddenPage(c *gin.Context) {
	origin, _, _ := a.site.Resolve(c.Request)
	c.Header("Cache-Control", "private, no-cache, no-store")
	if p := a.cfg.Pages.Error; p != "" {
		c.Redirect(http.StatusFound, origin+p+"?"+url.Values{"error": {dialect.CodeAccessDenied}}.Encode())
		c.Abort()
		return
	}
	back := origin + c.Request.URL.RequestURI()
	data := pages.Error{
		Status:    http.StatusForbidden,
		Title:     "Access denied",
		Message:   "Your account does not have permission to view this page.",
		SignInURL: origin + a.basePath + "/signin?" + url.Values{"callbackUrl": {back}}.Encode(),
		HomeURL:   origin,
	}
	var buf bytes.Buffer
	if err := pages.Render(&buf, "error", data.Title, pages.Brand(a.cfg.Brand), data); err != nil {
		a.logger.ErrorContext(c.Request.Context(), "ginauth: rendering page", telemetry.Event(telemetry.EventResponseFailed), "page", "forbidden", "error", err.Error())
		c.AbortWithStatus(http.StatusForbidden)
		return
	}
	pages.SetHeaders(c.Writer.Header())
	c.Data(http.StatusForbidden, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}
