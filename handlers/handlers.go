// Package handlers holds ginauth's Auth.js endpoints as Gin handlers, one
// per endpoint, for applications that route them themselves: to put a rate
// limiter in front of the credentials callback only, CORS in front of
// /session, or to leave an endpoint out. It plays the part of the
// "handlers" that Auth.js v5's NextAuth() returns.
//
// (*ginauth.Auth).Handlers returns the Endpoints of an Auth. Mount them
// under the Auth's base path (Config.BasePath, default /api/auth) at the
// paths and with the methods each field names: the endpoints build their
// URLs (callback URLs, sign-in links, error pages) from the base path.
//
//	e := auth.Handlers()
//	g := r.Group("/api/auth")
//	g.GET("/csrf", e.CSRF)
//	g.GET("/providers", e.Providers)
//	g.GET("/session", e.Session)
//	g.POST("/session", e.Session)
//	g.POST("/callback/:provider", limiter, e.Callback)
//
// (*ginauth.Auth).Mount registers every endpoint at once on a single
// "<base path>/*action" route, which also answers unknown actions with
// Auth.js's "Bad request." as Auth.js does.
//
// The endpoints are implemented inside the module; this package only names
// them, so that it depends on nothing but Gin and every value in it can be
// built and called from outside the module.
package handlers

import "github.com/gin-gonic/gin"

// Endpoints are the Auth.js endpoints of one Auth. Each handler takes the
// provider id, where it has one, from the route's :provider parameter, and
// answers a method it does not serve with Auth.js's "Bad request." (400).
type Endpoints struct {
	// CSRF serves GET /csrf: {"csrfToken": ...} and the CSRF cookie.
	CSRF gin.HandlerFunc
	// Providers serves GET /providers: the configured providers by id.
	Providers gin.HandlerFunc
	// Session serves GET /session (the session, extending it) and POST
	// /session (the client's update(data), CSRF-checked).
	Session gin.HandlerFunc
	// SignIn serves GET /signin (the sign-in page) and POST
	// /signin/:provider (starts an OAuth sign-in, CSRF-checked).
	SignIn gin.HandlerFunc
	// Callback serves GET and POST /callback/:provider: the OAuth
	// callback, and the credentials form (POST, CSRF-checked).
	Callback gin.HandlerFunc
	// SignOut serves GET /signout (the confirmation page) and POST
	// /signout (ends the session, CSRF-checked).
	SignOut gin.HandlerFunc
	// Error serves GET /error?error=<code>: the error page.
	Error gin.HandlerFunc
	// VerifyRequest serves GET /verify-request: the "check your email"
	// page.
	VerifyRequest gin.HandlerFunc
	// WebAuthnOptions serves GET /webauthn-options/:provider: a passkey
	// ceremony's options and its challenge cookie (Auth.js v5 only).
	WebAuthnOptions gin.HandlerFunc
}
