// Package handlers implements the Auth.js REST endpoints (csrf, providers,
// session, signin, callback, signout, error, verify-request) as one Gin
// handler mounted on "<base path>/*action". It receives every dependency in
// Options and never imports the root package.
package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/core"
	"github.com/ginauth/ginauth/internal/csrf"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/redirect"
	"github.com/ginauth/ginauth/internal/session"
	"github.com/ginauth/ginauth/providers"
)

// MaxBodyBytes bounds the body of a POST to the endpoints.
const MaxBodyBytes = 64 << 10

// Pages are custom page paths replacing the built-in pages; each is a path
// on the application's origin such as "/login". Empty means built-in.
type Pages struct {
	SignIn        string
	SignOut       string
	Error         string
	VerifyRequest string
}

// Options are the handler's dependencies.
type Options struct {
	Mode     core.Mode
	BasePath string
	Site     *session.Site
	// Insecure and Secure are the cookie variants for http and https origins.
	Insecure, Secure *session.Variant
	// CSRFSecret is hashed with the CSRF token (v5 joins several secrets
	// with ",", as @auth/core does).
	CSRFSecret string
	Providers  []providers.Provider
	Callbacks  core.Callbacks
	Events     core.Events
	Pages      Pages
	Brand      pages.Brand
	SignInHint string
	Logger     *slog.Logger
}

// Handler serves the endpoints.
type Handler struct {
	o         Options
	providers map[string]providers.Provider
	chunkSize int
}

// New returns a Handler. Options must already be validated.
func New(o Options) *Handler {
	h := &Handler{o: o, providers: make(map[string]providers.Provider, len(o.Providers)), chunkSize: cookies.ChunkSize(o.Mode)}
	for _, p := range o.Providers {
		h.providers[p.ID()] = p
	}
	return h
}

var actions = map[string]bool{
	"providers": true, "session": true, "csrf": true, "signin": true, "signout": true,
	"callback": true, "verify-request": true, "error": true,
}

// request is the state of one request to an endpoint.
type request struct {
	h        *Handler
	c        *gin.Context
	ctx      context.Context
	action   string
	provider string
	origin   string // "https://app.example.com"
	base     string // origin + base path
	v        *session.Variant
	body     map[string]any
	csrf     string // the trusted CSRF token
	csrfOK   bool   // the POST body repeated it
	callback string // the validated callback URL
	cookies  []cookies.Cookie
}

// Handle is the Gin handler for "<base path>/*action".
func (h *Handler) Handle(c *gin.Context) {
	r := &request{h: h, c: c, ctx: c.Request.Context()}
	method := c.Request.Method
	if method != http.MethodGet && method != http.MethodPost {
		r.badRequest()
		return
	}
	rest := strings.TrimPrefix(c.Param("action"), "/")
	parts := strings.Split(rest, "/")
	if len(parts) > 2 || !actions[parts[0]] {
		if h.o.Mode == core.ModeV4 && parts[0] == "_log" && method == http.MethodPost && len(parts) == 1 {
			c.Status(http.StatusOK) // the v4 client's logger beacon
			return
		}
		r.badRequest()
		return
	}
	r.action = parts[0]
	if len(parts) == 2 && parts[1] != "undefined" {
		r.provider = parts[1]
	}
	if r.provider != "" && r.action != "signin" && r.action != "callback" && !(h.o.Mode == core.ModeV4 && r.action == "error") {
		r.badRequest()
		return
	}
	origin, secure, ok := h.o.Site.Resolve(c.Request)
	if !ok {
		r.badRequest()
		return
	}
	r.origin, r.base = origin, origin+h.o.BasePath
	r.v = h.o.Insecure
	if secure {
		r.v = h.o.Secure
	}
	if method == http.MethodPost {
		if err := r.parseBody(); err != nil {
			if errors.Is(err, errTooLarge) {
				r.respondStatus(http.StatusRequestEntityTooLarge, "Request body too large.")
				return
			}
			r.badRequest()
			return
		}
	}
	if r.action == "providers" {
		if method != http.MethodGet {
			r.badRequest()
			return
		}
		h.providersJSON(r)
		return
	}
	r.init()
	switch {
	case r.action == "csrf" && method == http.MethodGet:
		r.setNoStore()
		r.json(http.StatusOK, map[string]string{"csrfToken": r.csrf})
	case r.action == "session" && method == http.MethodGet:
		h.getSession(r)
	case r.action == "session":
		h.updateSession(r)
	case r.action == "signin" && method == http.MethodGet:
		h.signInPage(r)
	case r.action == "signin":
		h.signIn(r)
	case r.action == "callback":
		h.callback(r)
	case r.action == "signout" && method == http.MethodGet:
		h.signOutPage(r)
	case r.action == "signout":
		h.signOut(r)
	case r.action == "error" && method == http.MethodGet:
		h.errorPage(r)
	case r.action == "verify-request" && method == http.MethodGet:
		h.verifyRequestPage(r)
	default:
		r.badRequest()
	}
}

var errTooLarge = errors.New("body too large")

// parseBody reads a JSON or form body, as Auth.js does; other content types
// leave the body empty.
func (r *request) parseBody() error {
	req := r.c.Request
	if req.ContentLength > MaxBodyBytes {
		return errTooLarge
	}
	ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "application/x-www-form-urlencoded" {
		return nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(r.c.Writer, req.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return err
	}
	if ct == "application/json" {
		if len(strings.TrimSpace(string(data))) == 0 {
			return nil
		}
		var body map[string]any
		if err := json.Unmarshal(data, &body); err != nil {
			return err
		}
		r.body = body
		return nil
	}
	vals, err := url.ParseQuery(string(data))
	if err != nil {
		return err
	}
	r.body = make(map[string]any, len(vals))
	for k, v := range vals {
		r.body[k] = v[0]
	}
	return nil
}

// field returns a string body field.
func (r *request) field(name string) string {
	s, _ := r.body[name].(string)
	return s
}

// init computes the CSRF token and the callback URL, and queues their
// cookies, as Auth.js does on every request but /providers.
func (r *request) init() {
	o := &r.h.o
	names := r.v.Names
	if raw, ok := cookies.Get(r.c.Request, names.CSRF); ok {
		r.csrf, _ = csrf.FromCookie(raw, o.CSRFSecret)
	}
	if r.csrf == "" {
		var value string
		r.csrf, value = csrf.New(o.CSRFSecret)
		r.cookies = append(r.cookies, cookies.Cookie{Name: names.CSRF, Value: value})
	}
	r.csrfOK = r.c.Request.Method == http.MethodPost && csrf.Verify(r.csrf, r.field("csrfToken"))

	cookieURL, hasCookie := cookies.Get(r.c.Request, names.CallbackURL)
	requested := r.field("callbackUrl")
	if requested == "" {
		requested = r.c.Query("callbackUrl")
	}
	switch {
	case requested != "":
		r.callback = r.redirect(requested)
	case hasCookie && cookieURL != "":
		r.callback = r.redirect(cookieURL)
	default:
		r.callback = r.origin
	}
	if r.callback != cookieURL {
		r.cookies = append(r.cookies, cookies.Cookie{Name: names.CallbackURL, Value: r.callback})
	}
}

// redirect runs a URL through the Redirect callback (default: stay on the
// origin). A failing callback yields the origin.
func (r *request) redirect(target string) string {
	cb := r.h.o.Callbacks.Redirect
	if cb == nil {
		return redirect.Safe(target, r.origin)
	}
	out, err := cb(r.ctx, core.RedirectParams{URL: target, BaseURL: r.origin})
	if err != nil {
		r.h.log(r.ctx, "redirect callback failed", err)
		return r.origin
	}
	if out == "" || strings.ContainsAny(out, "\r\n") {
		return r.origin
	}
	return out
}

func (h *Handler) log(ctx context.Context, msg string, err error, attrs ...any) {
	if h.o.Logger == nil {
		return
	}
	h.o.Logger.ErrorContext(ctx, "ginauth: "+msg, append([]any{slog.String("error", err.Error())}, attrs...)...)
}
