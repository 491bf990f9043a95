// Package endpoint implements the Auth.js REST endpoints (csrf, providers,
// session, signin, callback, signout, error, verify-request) for ginauth.
// The root package builds a Handler from its Config and hands its methods
// out as the handlers.Endpoints; every difference between the v4 and v5
// dialects is asked of a *dialect.Dialect.
package endpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/csrf"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/oauth"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/redirect"
	"github.com/ginauth/ginauth/internal/session"
	"github.com/ginauth/ginauth/internal/telemetry"
	"github.com/ginauth/ginauth/providers"
)

// MaxBodyBytes bounds the body of a POST to the endpoints.
const MaxBodyBytes = 64 << 10

// Options are a Handler's dependencies.
type Options struct {
	Dialect  *dialect.Dialect
	BasePath string
	Site     *session.Site
	// Insecure and Secure are the cookie variants for http and https origins.
	Insecure, Secure *session.Variant
	// Carrier keeps the session value in the browser.
	Carrier session.Carrier
	// Adapter keeps users and accounts (and database sessions); nil
	// without one.
	Adapter authjs.Adapter
	// CSRFSecret is hashed with the CSRF token.
	CSRFSecret string
	Providers  []providers.Provider
	Callbacks  authjs.Callbacks
	Events     authjs.Events
	Pages      dialect.Pages
	Brand      pages.Brand
	SignInHint string
	Logger     *slog.Logger
	// Telemetry receives metrics and spans; nil records none.
	Telemetry *telemetry.T
	// Now is the clock of the OAuth engines and of email links.
	Now func() time.Time
	// Limits bound sign-in attempts.
	Limits Limits
	// CrossOrigin refuses state-changing requests that another site made
	// a browser send; nil checks nothing.
	CrossOrigin *http.CrossOriginProtection
}

// provider is a configured provider with what runs it.
type provider struct {
	info        providers.Info
	credentials *providers.Credentials // credentials providers
	fields      []providers.Field
	oauth       *oauth.Engine    // OAuth 2.0 and OpenID Connect providers
	email       *emailProvider   // email providers
	passkey     *passkeyProvider // passkey (WebAuthn) providers
	// linkByEmail is the provider's AllowDangerousEmailAccountLinking.
	linkByEmail bool
}

// Handler serves the endpoints. It is safe for concurrent use.
type Handler struct {
	o         Options
	d         *dialect.Dialect
	list      []*provider
	providers map[string]*provider
	// passkeys: a passkey provider is configured, so GET
	// /webauthn-options/:provider is served.
	passkeys bool
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ErrProvider reports a provider New cannot use.
var ErrProvider = errors.New("invalid provider")

// New validates the providers and returns a Handler.
func New(o Options) (*Handler, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &Handler{o: o, d: o.Dialect, providers: make(map[string]*provider, len(o.Providers))}
	for i, p := range o.Providers {
		e, err := newProvider(p, o)
		if err != nil {
			return nil, fmt.Errorf("%w: Providers[%d]: %w", ErrProvider, i, err)
		}
		id := e.info.ID
		if !idPattern.MatchString(id) {
			return nil, fmt.Errorf("%w: provider id %q must be 1-64 letters, digits, '-' or '_'", ErrProvider, id)
		}
		if h.providers[id] != nil {
			return nil, fmt.Errorf("%w: two providers have the id %q", ErrProvider, id)
		}
		h.providers[id] = e
		h.list = append(h.list, e)
		o.Telemetry.AddProvider(id)
		if e.oauth != nil {
			e.oauth.Observe(o.Telemetry)
		}
		h.passkeys = h.passkeys || e.passkey != nil
	}
	return h, nil
}

func newProvider(p providers.Provider, o Options) (*provider, error) {
	now := o.Now
	switch p := p.(type) {
	case providers.Email:
		return newEmail(p, o)
	case *providers.Email:
		if p != nil {
			return newEmail(*p, o)
		}
	case providers.Credentials:
		return newCredentials(p)
	case *providers.Credentials:
		if p != nil {
			return newCredentials(*p)
		}
	case providers.WebAuthn:
		return newPasskey(p, o)
	case *providers.WebAuthn:
		if p != nil {
			return newPasskey(*p, o)
		}
	case providers.OAuth:
		return newOAuth(p, now)
	case *providers.OAuth:
		if p != nil {
			return newOAuth(*p, now)
		}
	}
	return nil, errors.New("nil provider")
}

func newCredentials(c providers.Credentials) (*provider, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &provider{info: c.Info(), credentials: &c, fields: c.Form(), linkByEmail: c.AllowDangerousEmailAccountLinking}, nil
}

func newOAuth(p providers.OAuth, now func() time.Time) (*provider, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &provider{info: p.Info(), oauth: oauth.New(p, now), linkByEmail: p.AllowDangerousEmailAccountLinking}, nil
}

// OAuth returns the engine of the OAuth provider with the given id.
func (h *Handler) OAuth(id string) (*oauth.Engine, bool) {
	p := h.providers[id]
	if p == nil || p.oauth == nil {
		return nil, false
	}
	return p.oauth, true
}

// Actions Auth.js serves; a provider segment is allowed for signin and
// callback (and for error, in dialects that read /error/<code>).
const (
	ActionProviders     = "providers"
	ActionSession       = "session"
	ActionCSRF          = "csrf"
	ActionSignIn        = "signin"
	ActionSignOut       = "signout"
	ActionCallback      = "callback"
	ActionVerifyRequest = "verify-request"
	ActionError         = "error"
	// ActionWebAuthnOptions serves a passkey ceremony's options (v5).
	ActionWebAuthnOptions = "webauthn-options"
)

var actions = map[string]bool{
	ActionProviders: true, ActionSession: true, ActionCSRF: true, ActionSignIn: true, ActionSignOut: true,
	ActionCallback: true, ActionVerifyRequest: true, ActionError: true, ActionWebAuthnOptions: true,
}

// request is the state of one request to an endpoint.
type request struct {
	h        *Handler
	c        *gin.Context
	ctx      context.Context
	action   string
	provider string
	site     dialect.Site
	v        *session.Variant
	body     map[string]any
	csrf     string // the trusted CSRF token
	csrfOK   bool   // the POST body repeated it
	callback string // the validated callback URL
	cookies  []cookies.Cookie
	// outcome is how the sign-in attempt of a callback ended; attempt is
	// false when the request was none (a GET on the credentials callback).
	outcome telemetry.Outcome
	attempt bool
}

// Handle serves "<base path>/*action": the action and the provider come
// from the path.
func (h *Handler) Handle(c *gin.Context) {
	rest := strings.TrimPrefix(c.Param("action"), "/")
	parts := strings.Split(rest, "/")
	if len(parts) > 2 {
		h.badRequest(c)
		return
	}
	if h.d.LogBeacon && parts[0] == "_log" && len(parts) == 1 && c.Request.Method == http.MethodPost {
		c.Status(http.StatusOK) // the v4 client's logger beacon
		return
	}
	id := ""
	if len(parts) == 2 {
		id = parts[1]
	}
	h.serve(c, parts[0], id)
}

// Action returns the handler of one action, for routes that name it
// themselves; the provider comes from the route's :provider parameter.
func (h *Handler) Action(action string) gin.HandlerFunc {
	return func(c *gin.Context) { h.serve(c, action, c.Param("provider")) }
}

func (h *Handler) badRequest(c *gin.Context) {
	writeText(c, http.StatusBadRequest, h.d.BadRequest(c.Request.Method))
}

func writeText(c *gin.Context, status int, t dialect.Text) {
	c.Data(status, t.ContentType, t.Body)
}

func (h *Handler) serve(c *gin.Context, action, id string) {
	method := c.Request.Method
	if method != http.MethodGet && method != http.MethodPost || !actions[action] || (action == ActionWebAuthnOptions && !h.passkeys) {
		h.badRequest(c)
		return
	}
	r := &request{h: h, c: c, ctx: c.Request.Context(), action: action}
	if id != "undefined" { // Auth.js treats the literal "undefined" as no provider
		r.provider = id
	}
	if r.provider != "" && action != ActionSignIn && action != ActionCallback && action != ActionWebAuthnOptions &&
		!(h.d.ErrorCodeInPath && action == ActionError) {
		h.badRequest(c)
		return
	}
	origin, secure, ok := h.o.Site.Resolve(c.Request)
	if !ok {
		h.badRequest(c)
		return
	}
	r.site = dialect.Site{Origin: origin, BasePath: h.o.BasePath, Pages: h.o.Pages}
	r.v = h.o.Insecure
	if secure {
		r.v = h.o.Secure
	}
	if method == http.MethodPost {
		if err := r.parseBody(); err != nil {
			if errors.Is(err, errTooLarge) {
				writeText(c, http.StatusRequestEntityTooLarge, h.d.ErrorText("Request body too large."))
				return
			}
			h.badRequest(c)
			return
		}
		if h.crossOriginGuarded(action, r.provider) && !r.crossOriginAllowed() {
			r.refuseCrossOrigin()
			return
		}
	}
	if action == ActionProviders {
		if method != http.MethodGet {
			h.badRequest(c)
			return
		}
		h.providersJSON(r)
		return
	}
	r.init()
	switch {
	case action == ActionCSRF && method == http.MethodGet:
		r.setNoStore()
		r.json(http.StatusOK, map[string]string{"csrfToken": r.csrf})
	case action == ActionSession && method == http.MethodGet:
		h.getSession(r)
	case action == ActionSession:
		h.updateSession(r)
	case action == ActionSignIn && method == http.MethodGet:
		h.signInPage(r)
	case action == ActionSignIn:
		h.signIn(r)
	case action == ActionCallback:
		h.callback(r)
	case action == ActionSignOut && method == http.MethodGet:
		h.signOutPage(r)
	case action == ActionSignOut:
		h.signOut(r)
	case action == ActionError && method == http.MethodGet:
		h.errorPage(r)
	case action == ActionVerifyRequest && method == http.MethodGet:
		h.verifyRequestPage(r)
	case action == ActionWebAuthnOptions:
		h.webAuthnOptions(r)
	default:
		h.badRequest(c)
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
	names := r.v.Names
	if raw, ok := cookies.Get(r.c.Request, names.CSRF); ok {
		r.csrf, _ = csrf.FromCookie(raw, r.h.o.CSRFSecret)
	}
	if r.csrf == "" {
		var value string
		r.csrf, value = csrf.New(r.h.o.CSRFSecret)
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
		r.callback = r.site.Origin
	}
	if r.callback != cookieURL {
		r.cookies = append(r.cookies, cookies.Cookie{Name: names.CallbackURL, Value: r.callback})
	}
}

// redirect runs a URL through the Redirect callback (default: stay on the
// origin). A failing callback, or a result that is empty or could split a
// header, yields the origin.
func (r *request) redirect(target string) string {
	cb := r.h.o.Callbacks.Redirect
	if cb == nil {
		return redirect.Safe(target, r.site.Origin)
	}
	out, err := cb(r.ctx, authjs.RedirectParams{URL: target, BaseURL: r.site.Origin})
	if err != nil {
		r.h.log(r.ctx, telemetry.EventCallbackFailed, "redirect callback failed", err, "callback", "redirect")
		return r.site.Origin
	}
	if out == "" || strings.ContainsAny(out, "\r\n") {
		return r.site.Origin
	}
	return out
}

// clientRequest describes the request for callbacks and Authorize.
func (r *request) clientRequest() *authjs.Request {
	return &authjs.Request{HTTP: r.c.Request, ClientIP: r.c.ClientIP()}
}

// log writes an error record of the given event (see telemetry.Events).
func (h *Handler) log(ctx context.Context, event, msg string, err error, attrs ...any) {
	h.o.Logger.ErrorContext(ctx, "ginauth: "+msg, append([]any{telemetry.Event(event), slog.String("error", err.Error())}, attrs...)...)
}
