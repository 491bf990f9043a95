// Package ginauth adds Auth.js-style authentication to Gin applications.
//
// New builds an Auth from a Config; Mount serves the Auth.js REST endpoints
// (/api/auth/csrf, /providers, /session, /signin, /callback, /signout,
// /error, /verify-request, and /webauthn-options with a passkey provider)
// with Auth.js's request and response shapes, cookies and CSRF rules, so
// next-auth/react, next-auth/webauthn and @sidebase/nuxt-auth clients talk
// to it unchanged. Sessions are encrypted JWTs that are wire-compatible
// with Auth.js v5 (the default) and NextAuth.js v4 (Config.Mode = ModeV4):
// a Next.js or Nuxt front end sharing the secret reads ginauth's sessions and
// ginauth reads theirs. With an Adapter (the stores under adapters/: SQLite,
// PostgreSQL, Redis), users and provider accounts are stored and linked as
// Auth.js links them, and sessions may be database sessions instead:
// revocable at once, shared with an Auth.js application on the same
// database (SessionConfig.Strategy).
//
// Middleware makes the session readable in the handlers after it:
// Session(c) returns it and Token(c) the token's claims, read from the
// request itself and decoded once per request. RequireAuth protects routes:
// a JSON 401 for APIs, a redirect to the sign-in page for pages, and
// authorization checks (roles, claims, any predicate).
//
// # Packages
//
// The module is layered so that its import graph is a DAG: authjs holds the
// nouns every layer shares (User, Account, Claims, Session, the callbacks
// and their parameters); providers declares the sign-in methods as plain
// data; handlers names the endpoints as Gin handlers; this package
// assembles an Auth from them. Nothing imports this package, and the
// machinery (the token codec, cookies, CSRF, the OAuth engines, the
// dialects) lives under internal/, where it can change without changing
// what applications see.
//
// # Observability
//
// Logs go to Config.Logger. Every record carries an "event" attribute
// whose values are stable (messages may change); none holds a password, a
// session token, a CSRF token, an authorization code, a provider's token
// or a secret. Records with an "error" attribute hold the error's text;
// "provider" is a configured provider's id.
//
//   - signin.success (info): a session was started. provider, user_id,
//     new_user.
//   - signin.refused (info): a sign-in was refused. provider, reason:
//     credentials (with code, the answer's error code), csrf, checks (an
//     OAuth check cookie missing, expired or not matching, or no code),
//     provider_error (the provider answered ?error=), signin_callback,
//     account_not_linked, no_token or verification (email links), or the
//     passkey ceremony's step that failed (challenge_used,
//     assertion_not_verified, unknown_passkey, ...); error for some
//     reasons.
//   - signin.error (error): a credentials provider's Authorize failed
//     (not a refusal). provider, error.
//   - provider.error (error): a call to an OAuth or OpenID Connect provider
//     failed (discovery, token, ID token, userinfo, profile). provider,
//     stage (signin or callback), error.
//   - throttle.limited (warn): a limit refused a sign-in attempt, an
//     email link or a passkey ceremony. limit (credentials_client,
//     credentials_identifier, email_client, email_address,
//     passkey_client), client, retry_after.
//   - throttle.error (error): a limiter's store failed; the request went
//     through. limit, error.
//   - session.decode_failed (debug): a session token was refused. reason
//     (as the decode_failures metric).
//   - session.read_failed (error): the session store failed while reading.
//     error.
//   - session.write_failed (error): a session could not be issued, stored,
//     extended or cleared. error.
//   - session.revoke_failed (error): a database session could not be
//     deleted at sign-out. error.
//   - callback.failed (error): a callback failed or ended the session.
//     callback (jwt, session, redirect), error.
//   - event_handler.failed (error): a Config.Events handler failed.
//     handler, error.
//   - adapter.error (error): the Adapter failed during a sign-in.
//     provider, error.
//   - email.address_refused (debug): an email sign-in address was refused.
//     provider, error.
//   - email.error (error): making or sending a sign-in link failed.
//     provider, error.
//   - email.dev_link (warn): the development sender of package email
//     printed a sign-in link (with its token, by design: never use it in
//     production). to, url, expires.
//   - response.failed (error): an answer or a page could not be written.
//     error, page.
//   - config.no_origin (error): the endpoints were used without Config.URL
//     or TrustHost. path.
//   - request.cross_origin_refused (warn): a state-changing request from
//     another origin than the application's and TrustedOrigins was
//     refused. action, origin, sec_fetch_site.
//
// Metrics and spans go through the OpenTelemetry API to
// Config.MeterProvider and Config.TracerProvider (the global providers by
// default, which record nothing until the application installs one), with
// the instrumentation scope "github.com/ginauth/ginauth":
//
//   - ginauth.signins (counter): callbacks of a configured provider, by
//     provider and outcome (success, refused, throttled, error).
//   - ginauth.session.reads (counter): session reads, by strategy (jwt,
//     database) and outcome (valid, absent, invalid: a value that leads to
//     no session, error: the store failed).
//   - ginauth.token_cache.lookups (counter): lookups in the cache of
//     verified tokens, by result (hit, miss).
//   - ginauth.session.decode_failures (counter): refused session tokens, by
//     reason: oversized, malformed, header (a refused algorithm), key (no
//     secret decrypts it), payload, claims (a time claim that is not a
//     number), expired.
//   - ginauth.throttle.limited (counter): requests a limit refused, by
//     limit.
//   - ginauth.provider.duration (histogram, seconds): calls to OAuth and
//     OpenID Connect providers, by provider, operation (discovery, jwks,
//     token, userinfo) and outcome (success, error).
//
// Spans: "ginauth.callback" around each callback of a configured provider
// (attributes ginauth.provider and ginauth.signin.outcome; status Error
// when the sign-in failed), and a client span "ginauth.provider.<operation>"
// around each call to a provider (ginauth.provider,
// ginauth.provider.operation, http.response.status_code), under the
// callback's span. The signing keys are fetched by the key set discovery
// created, outside any request: their spans start their own traces. No
// trace context is sent to providers. Reading a session records two
// counter increments whose attributes are built once: with the no-op
// providers it allocates nothing.
package ginauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/handlers"
	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/endpoint"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/session"
	"github.com/ginauth/ginauth/internal/telemetry"
	"github.com/ginauth/ginauth/providers"
	"github.com/ginauth/ginauth/throttle"
)

// DefaultBasePath is where the endpoints are served unless Config.BasePath
// says otherwise.
const DefaultBasePath = "/api/auth"

// DefaultSessionMaxAge is how long a session lasts without activity: 30 days,
// as in Auth.js. Every successful GET /api/auth/session extends it.
const DefaultSessionMaxAge = 30 * 24 * time.Hour

// DefaultTokenCacheSize bounds the cache of verified session tokens.
const DefaultTokenCacheSize = 10_000

// MinSecretLen is the shortest secret New accepts, in bytes.
const MinSecretLen = 32

// Mode selects the Auth.js dialect spoken on the wire.
type Mode int

const (
	// ModeV5 speaks Auth.js v5 (@auth/core, next-auth@5): authjs.* cookies,
	// A256CBC-HS512 tokens keyed by the cookie's name, null for an empty
	// session. It is the default.
	ModeV5 Mode = iota
	// ModeV4 speaks NextAuth.js v4 (next-auth@4, @sidebase/nuxt-auth):
	// next-auth.* cookies, A256GCM tokens, {} for an empty session.
	ModeV4
)

// String returns "v5" or "v4".
func (m Mode) String() string {
	if m == ModeV4 {
		return "v4"
	}
	return "v5"
}

func (m Mode) dialect() *dialect.Dialect {
	if m == ModeV4 {
		return dialect.V4
	}
	return dialect.V5
}

// Errors of New and Refresh, matched with errors.Is.
var (
	// ErrConfig is wrapped by every error New returns.
	ErrConfig = errors.New("ginauth: invalid configuration")
	// ErrNoSecret reports that no secret was configured.
	ErrNoSecret = fmt.Errorf("%w: a secret is required (set Config.Secret, e.g. from AUTH_SECRET; generate one with `openssl rand -base64 32`)", ErrConfig)
	// ErrShortSecret reports a secret shorter than MinSecretLen bytes.
	ErrShortSecret = fmt.Errorf("%w: every secret must be at least %d bytes long", ErrConfig, MinSecretLen)
	// ErrUnknownProvider reports a provider id that names no OAuth or
	// OpenID Connect provider of the Auth.
	ErrUnknownProvider = errors.New("ginauth: no such OAuth provider")
	// ErrNoSessionStore reports a call that needs database sessions on an
	// Auth whose sessions are JWTs.
	ErrNoSessionStore = errors.New("ginauth: sessions are not kept in a database")
	// ErrSessionUnavailable is wrapped by SessionError when the session
	// could not be read because its store failed.
	ErrSessionUnavailable = errors.New("ginauth: the session store is unavailable")
)

// Config configures an Auth. Only Secret, URL (or TrustHost) and Providers
// are needed in most applications.
type Config struct {
	// Secret encrypts session tokens and signs CSRF tokens. It must be at
	// least MinSecretLen bytes of high-entropy text (`openssl rand -base64
	// 32`) and be the same as the AUTH_SECRET of any Next.js or Nuxt app
	// sharing the sessions. Whoever knows it can mint sessions.
	Secret string
	// PreviousSecrets are older secrets still accepted for decryption, to
	// rotate Secret without signing everyone out (Auth.js v5's secret array
	// is [Secret, PreviousSecrets...]).
	PreviousSecrets []string

	// URL is the application's public origin, optionally with the base path:
	// "https://app.example.com" or "https://app.example.com/api/auth" (as
	// AUTH_URL). It decides the redirect origin and whether cookies are
	// __Secure-. Required for the endpoints unless TrustHost is set; an Auth
	// with neither only reads sessions (Middleware, Session, RequireAuth),
	// trying the __Secure- cookie name and the plain one.
	URL string
	// TrustHost derives the origin from X-Forwarded-Proto and
	// X-Forwarded-Host (or Host) when URL is empty. Enable it only behind a
	// proxy that sets those headers.
	TrustHost bool
	// BasePath is where the endpoints live; DefaultBasePath when empty (or
	// the path of URL when it has one).
	BasePath string

	// Mode selects the Auth.js v5 dialect (default) or NextAuth.js v4.
	Mode Mode

	// Providers are the sign-in methods, shown in this order. Ids must
	// match [A-Za-z0-9_-]{1,64} and be unique.
	Providers []providers.Provider
	// Adapter keeps users, their provider accounts and, with the database
	// session strategy (the default when an Adapter is set, as in Auth.js),
	// revocable sessions: adapters/sqlite, adapters/postgres,
	// adapters/redis. Without one, sessions are JWTs and OAuth sign-ins
	// store nothing.
	Adapter authjs.Adapter
	// Callbacks customise sign-in, redirects, the token and the session.
	Callbacks authjs.Callbacks
	// Events are notified of sign-ins, sign-outs, session reads and, with
	// an Adapter, of users created or updated and accounts linked.
	Events authjs.Events
	// Pages replace the built-in pages with the application's own.
	Pages Pages
	// Brand customises the built-in pages.
	Brand Brand
	// SignInHint is an optional note shown on the built-in sign-in page.
	SignInHint string

	// Session configures session lifetime.
	Session SessionConfig
	// Cookies adjusts cookie names and attributes.
	Cookies CookieConfig

	// RoleClaim is the token claim WithRoles reads: a string or a list of
	// strings. Default "role".
	RoleClaim string
	// TokenCacheSize bounds the cache of verified session tokens that keeps
	// decryption off the per-request path; 0 means DefaultTokenCacheSize,
	// a negative value disables the cache.
	TokenCacheSize int

	// TrustedOrigins are the origins ("https://app.example.com": scheme,
	// host and port only) of front ends on another origin whose pages may
	// make the browser post to the endpoints (sign-in, sign-out, session
	// updates). Such a request from any other site is refused with 403, as
	// net/http's CrossOriginProtection decides from Sec-Fetch-Site and
	// Origin; the application's own origin is always allowed, and so are
	// clients that send neither header (servers, scripts). OAuth
	// providers' callbacks are not checked: a provider's own page posts
	// them (response_mode=form_post), and the state, PKCE and nonce checks
	// protect them.
	TrustedOrigins []string

	// Throttle bounds how often clients may ask for sign-in links and try
	// credentials; ginauth's default limits when zero.
	Throttle Throttle

	// Logger receives the library's logs (never tokens, secrets or
	// claims); slog.Default() when nil. Every record carries an "event"
	// attribute naming what happened (see Observability in the package
	// documentation).
	Logger *slog.Logger
	// MeterProvider receives ginauth's metrics (see Observability in the
	// package documentation); the global one (otel.GetMeterProvider) when
	// nil, which records nothing until the application installs one.
	MeterProvider metric.MeterProvider
	// TracerProvider receives ginauth's spans; the global one
	// (otel.GetTracerProvider) when nil.
	TracerProvider trace.TracerProvider
	// Now returns the current time; time.Now when nil. For tests.
	Now func() time.Time
}

// SessionConfig configures sessions.
type SessionConfig struct {
	// Strategy chooses how sessions are kept; the zero value picks the
	// database strategy when Config.Adapter is set and JWTs otherwise.
	Strategy Strategy
	// MaxAge is how long a session lives after its last refresh;
	// DefaultSessionMaxAge when zero, at least a second.
	MaxAge time.Duration
	// UpdateAge is how old a session must be before RequireAuth and
	// Middleware renew it: a JWT older than UpdateAge is re-issued (same
	// claims, without running the JWT callback) and a database session's
	// expiry is written back, and the session cookie is set again with the
	// new expiry, so that users of a server-rendered application stay
	// signed in while they are active. It is also how often at most GET
	// /api/auth/session writes a database session's expiry back.
	// DefaultSessionUpdateAge when zero; it must not exceed MaxAge.
	UpdateAge time.Duration
	// AbsoluteMaxAge, when positive, is the longest a session lives after
	// its first sign-in, however active it is: no renewal (GET
	// /api/auth/session, RequireAuth, Middleware) extends it past that, and
	// every read refuses a session past it, so a stolen session cannot be
	// kept alive forever. Zero means no such limit, as in Auth.js. A JWT
	// keeps its start in the "auth_time" claim (a token without one counts
	// from its "iat"); a database session keeps it in its token, and one
	// without it (started by an Auth.js application sharing the database,
	// or before the limit was set) is no longer extended by ginauth.
	AbsoluteMaxAge time.Duration
	// Store keeps the session's value (the JWT, or the database session's
	// token) in the browser by other means than ginauth's own cookie, such
	// as the gin-contrib/sessions bridge in package ginsessions. nil keeps
	// it in ginauth's session cookie, named and chunked as Auth.js does,
	// which JavaScript front ends sharing the session need.
	Store SessionStore
}

// DefaultSessionUpdateAge is how often at most a database session's
// expiry is written back: a day, as in Auth.js.
const DefaultSessionUpdateAge = 24 * time.Hour

// Strategy is how sessions are kept.
type Strategy int

const (
	// StrategyDefault is the database strategy when Config.Adapter is set,
	// and the JWT strategy otherwise, as in Auth.js.
	StrategyDefault Strategy = iota
	// StrategyJWT keeps the session in an encrypted token (a JWE) in the
	// browser: nothing to store, readable by JavaScript apps sharing the
	// secret, but not revocable before it expires. With an Adapter, users
	// and accounts are still stored, and the token's "sub" is the stored
	// user's ID.
	StrategyJWT
	// StrategyDatabase keeps a random token in the browser and the session
	// in Config.Adapter: revocable at once (sign-out deletes it, and
	// Auth.RevokeSessions signs a user out everywhere), at the cost of one
	// lookup per request that reads it.
	StrategyDatabase
)

// String returns "default", "jwt" or "database", as Auth.js names the
// strategies.
func (s Strategy) String() string {
	switch s {
	case StrategyDefault:
		return "default"
	case StrategyJWT:
		return "jwt"
	case StrategyDatabase:
		return "database"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// SessionStore keeps a session's value in the browser by other means than
// ginauth's own cookie (see SessionConfig.Store). It is called in the
// request, before the response is written.
type SessionStore interface {
	// Get returns the request's session value, or "" when it has none.
	Get(c *gin.Context) (string, error)
	// Set keeps value for the browser until expires.
	Set(c *gin.Context, value string, expires time.Time) error
	// Delete removes the browser's session value.
	Delete(c *gin.Context) error
}

// CookieConfig adjusts cookies. Names must match the JavaScript side when
// sessions are shared; in v5 the session cookie's name is also the key
// derivation salt.
type CookieConfig struct {
	// SessionName replaces the session cookie's name (authjs.session-token,
	// next-auth.session-token, with __Secure- on https).
	SessionName string
	// Domain sets the Domain attribute, to share cookies across
	// subdomains. It is never set on the __Host- CSRF cookie.
	Domain string
	// Secure forces __Secure- names and the Secure attribute on (true) or
	// off (false); nil derives it from the origin's scheme.
	Secure *bool
}

// Pages are paths of the application's own pages, used instead of the
// built-in ones. Each is a path on the application's origin, such as
// "/login"; empty means the built-in page.
type Pages struct {
	// SignIn receives ?callbackUrl= and, after a failure, ?error=<code>.
	SignIn string
	// SignOut replaces the sign-out confirmation page.
	SignOut string
	// Error receives ?error=<code>.
	Error string
	// VerifyRequest replaces the "check your email" page.
	VerifyRequest string
	// NewUser receives a user whose first sign-in created them in the
	// Adapter, with ?callbackUrl= (Auth.js's pages.newUser).
	NewUser string
}

// Throttle holds the limits on sign-in attempts: sign-in links sent and
// credentials tried. A nil Limiter gets the default, an in-memory limiter
// of this process; throttle.Unlimited turns a limit off. Applications
// running several instances share limits with a Limiter backed by a shared
// store. A request over a limit is logged at level Warn, and answered:
//
//   - for a sign-in link, exactly as a link that was sent (the redirect to
//     the verify-request page), but no link is made or sent: the answer
//     tells nothing about which addresses exist or were asked for before;
//   - for credentials, without calling Authorize, as rejected credentials
//     with a code of their own, "rate_limited" (v5:
//     error=CredentialsSignin&code=rate_limited, v4: error=rate_limited),
//     a Retry-After header with the seconds to wait, and status 429 on a
//     v4 JSON answer. The answer is the same whether the account exists or
//     not, but it differs from a wrong password's.
//
// A Limiter that fails lets the request through, and is logged: an outage
// of a shared store does not lock everyone out.
type Throttle struct {
	// EmailPerAddress bounds the sign-in links sent to one address:
	// DefaultEmailPerAddress when nil.
	EmailPerAddress throttle.Limiter
	// EmailPerClient bounds the sign-in links one client address (Gin's
	// ClientIP, which follows its trusted proxies) may ask for:
	// DefaultEmailPerClient when nil.
	EmailPerClient throttle.Limiter
	// CredentialsPerIdentifier bounds the attempts at one account name
	// (the credentials provider's IdentifierField, compared in lower
	// case) of a credentials provider, whether the account exists or not:
	// DefaultCredentialsPerIdentifier when nil.
	CredentialsPerIdentifier throttle.Limiter
	// CredentialsPerClient bounds the credentials attempts of one client
	// address: DefaultCredentialsPerClient when nil.
	CredentialsPerClient throttle.Limiter
	// PasskeyOptionsPerClient bounds the passkey ceremonies one client
	// address may start (GET /webauthn-options, each of which stores a
	// single-use challenge): DefaultPasskeyOptionsPerClient when nil. A
	// request over it is answered 429 {"error":"Too many requests"} with
	// Retry-After.
	PasskeyOptionsPerClient throttle.Limiter
}

// Default limits of Throttle.
var (
	// DefaultEmailPerAddress: 3 links at once, then one every 5 minutes.
	DefaultEmailPerAddress = throttle.Limit{Every: 5 * time.Minute, Burst: 3}
	// DefaultEmailPerClient: 20 links at once, then one every 30 seconds.
	DefaultEmailPerClient = throttle.Limit{Every: 30 * time.Second, Burst: 20}
	// DefaultCredentialsPerIdentifier: 10 attempts at once, then one
	// every 30 seconds.
	DefaultCredentialsPerIdentifier = throttle.Limit{Every: 30 * time.Second, Burst: 10}
	// DefaultCredentialsPerClient: 30 attempts at once, then one every 2
	// seconds.
	DefaultCredentialsPerClient = throttle.Limit{Every: 2 * time.Second, Burst: 30}
	// DefaultPasskeyOptionsPerClient: 30 passkey ceremonies at once, then
	// one every 2 seconds.
	DefaultPasskeyOptionsPerClient = throttle.Limit{Every: 2 * time.Second, Burst: 30}
)

// limiter returns l, or an in-memory limiter with the default limit.
func limiter(l throttle.Limiter, def throttle.Limit) (throttle.Limiter, error) {
	if l != nil {
		return l, nil
	}
	return throttle.NewMemory(def, 0)
}

// Brand customises the built-in pages.
type Brand struct {
	// Name is shown in the page title and heading; default "Sign in".
	Name string
	// LogoURL is an image shown above the card (same origin, https: or
	// data: URLs, which the pages' Content-Security-Policy allows).
	LogoURL string
	// Color is the accent colour of buttons and links, as #rgb or #rrggbb;
	// default #346df1.
	Color string
}

// Auth is a configured authentication service. It is safe for concurrent use.
type Auth struct {
	cfg      Config
	dialect  *dialect.Dialect
	basePath string
	site     *session.Site
	insecure *session.Variant
	secure   *session.Variant
	// onlyInsecure, onlySecure and both are the lists readVariants
	// returns, built once so that reading a session allocates nothing.
	onlyInsecure, onlySecure, both []*session.Variant
	carrier                        session.Carrier
	endpoints                      *endpoint.Handler
	logger                         *slog.Logger
	tel                            *telemetry.T
}

// New validates cfg and returns an Auth. It never panics; every problem is an
// error wrapping ErrConfig.
func New(cfg Config) (*Auth, error) {
	if cfg.Secret == "" {
		return nil, ErrNoSecret
	}
	secrets := append([]string{cfg.Secret}, cfg.PreviousSecrets...)
	for i, s := range secrets {
		if len(s) < MinSecretLen {
			if i == 0 {
				return nil, fmt.Errorf("%w (Secret has %d)", ErrShortSecret, len(s))
			}
			return nil, fmt.Errorf("%w (PreviousSecrets[%d] has %d)", ErrShortSecret, i-1, len(s))
		}
	}
	if cfg.Mode != ModeV5 && cfg.Mode != ModeV4 {
		return nil, fmt.Errorf("%w: unknown Mode %d", ErrConfig, cfg.Mode)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Session.MaxAge == 0 {
		cfg.Session.MaxAge = DefaultSessionMaxAge
	}
	if cfg.Session.MaxAge < time.Second {
		return nil, fmt.Errorf("%w: Session.MaxAge must be at least a second", ErrConfig)
	}
	if cfg.Session.UpdateAge == 0 {
		cfg.Session.UpdateAge = min(DefaultSessionUpdateAge, cfg.Session.MaxAge)
	}
	if cfg.Session.UpdateAge < 0 || cfg.Session.UpdateAge > cfg.Session.MaxAge {
		return nil, fmt.Errorf("%w: Session.UpdateAge must be between 0 and Session.MaxAge", ErrConfig)
	}
	if cfg.Session.AbsoluteMaxAge != 0 && cfg.Session.AbsoluteMaxAge < time.Second {
		return nil, fmt.Errorf("%w: Session.AbsoluteMaxAge must be zero or at least a second", ErrConfig)
	}
	switch cfg.Session.Strategy {
	case StrategyDefault:
		cfg.Session.Strategy = StrategyJWT
		if cfg.Adapter != nil {
			cfg.Session.Strategy = StrategyDatabase
		}
	case StrategyJWT:
	case StrategyDatabase:
		if cfg.Adapter == nil {
			return nil, fmt.Errorf("%w: the database session strategy needs Config.Adapter", ErrConfig)
		}
	default:
		return nil, fmt.Errorf("%w: unknown Session.Strategy %d", ErrConfig, cfg.Session.Strategy)
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "role"
	}
	if cfg.TokenCacheSize == 0 {
		cfg.TokenCacheSize = DefaultTokenCacheSize
	}
	if cfg.Brand.Color != "" && !pages.ValidColor(cfg.Brand.Color) {
		return nil, fmt.Errorf("%w: Brand.Color must be #rgb or #rrggbb, got %q", ErrConfig, cfg.Brand.Color)
	}
	for name, p := range map[string]string{"SignIn": cfg.Pages.SignIn, "SignOut": cfg.Pages.SignOut, "Error": cfg.Pages.Error,
		"VerifyRequest": cfg.Pages.VerifyRequest, "NewUser": cfg.Pages.NewUser} {
		if p != "" && (!strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t ")) {
			return nil, fmt.Errorf("%w: Pages.%s must be a path on the application's origin such as /login, got %q", ErrConfig, name, p)
		}
	}
	origin, basePath, err := parseURL(cfg.URL, cfg.BasePath)
	if err != nil {
		return nil, err
	}
	a := &Auth{cfg: cfg, dialect: cfg.Mode.dialect(), basePath: basePath, logger: cfg.Logger}
	if a.tel, err = newTelemetry(&cfg); err != nil {
		return nil, err
	}
	a.carrier = session.Cookies{ChunkSize: a.dialect.ChunkSize}
	if cfg.Session.Store != nil {
		a.carrier = storeCarrier{cfg.Session.Store}
	}
	// Without URL and TrustHost the Auth only reads sessions (see
	// Middleware); the endpoints then answer a configuration error.
	a.site = &session.Site{Origin: origin, TrustHost: cfg.TrustHost, Secure: cfg.Cookies.Secure}
	for _, secure := range []bool{false, true} {
		v, err := a.variant(secrets, secure)
		if err != nil {
			return nil, err
		}
		if secure {
			a.secure = v
		} else {
			a.insecure = v
		}
	}
	a.onlyInsecure, a.onlySecure = []*session.Variant{a.insecure}, []*session.Variant{a.secure}
	a.both = []*session.Variant{a.secure, a.insecure}

	// State-changing requests from a browser must come from the
	// application's origin or a trusted one.
	cop := http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("%w: TrustedOrigins: %w", ErrConfig, err)
		}
	}
	var limits endpoint.Limits
	for _, l := range []struct {
		dst *throttle.Limiter
		set throttle.Limiter
		def throttle.Limit
	}{
		{&limits.EmailPerAddress, cfg.Throttle.EmailPerAddress, DefaultEmailPerAddress},
		{&limits.EmailPerClient, cfg.Throttle.EmailPerClient, DefaultEmailPerClient},
		{&limits.CredentialsPerIdentifier, cfg.Throttle.CredentialsPerIdentifier, DefaultCredentialsPerIdentifier},
		{&limits.CredentialsPerClient, cfg.Throttle.CredentialsPerClient, DefaultCredentialsPerClient},
		{&limits.PasskeyOptionsPerClient, cfg.Throttle.PasskeyOptionsPerClient, DefaultPasskeyOptionsPerClient},
	} {
		if *l.dst, err = limiter(l.set, l.def); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	a.endpoints, err = endpoint.New(endpoint.Options{
		Dialect:     a.dialect,
		BasePath:    basePath,
		Site:        a.site,
		Insecure:    a.insecure,
		Secure:      a.secure,
		Carrier:     a.carrier,
		Adapter:     cfg.Adapter,
		CSRFSecret:  a.dialect.CSRFSecret(secrets),
		Providers:   cfg.Providers,
		Callbacks:   cfg.Callbacks,
		Events:      cfg.Events,
		Pages:       dialect.Pages(cfg.Pages),
		Brand:       pages.Brand(cfg.Brand),
		SignInHint:  cfg.SignInHint,
		Logger:      cfg.Logger,
		Telemetry:   a.tel,
		Now:         cfg.Now,
		Limits:      limits,
		CrossOrigin: cop,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return a, nil
}

// variant builds the cookie names, attributes and session store for http
// (secure=false) or https origins.
func (a *Auth) variant(secrets []string, secure bool) (*session.Variant, error) {
	cfg := &a.cfg
	names := a.dialect.Names(secure)
	if cfg.Cookies.SessionName != "" {
		names.Session = cfg.Cookies.SessionName
	}
	codec, err := jwe.New(jwe.Options{
		Format: a.dialect.Token, Secrets: secrets, Salt: a.dialect.SessionSalt(names.Session),
		Now: cfg.Now, CacheSize: max(cfg.TokenCacheSize, 0),
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	sealer, err := checks.New(a.dialect, secrets, names, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	var store session.Store = &session.JWT{Codec: codec, MaxAge: cfg.Session.MaxAge, UpdateAge: cfg.Session.UpdateAge,
		Absolute: cfg.Session.AbsoluteMaxAge, Now: cfg.Now, Tel: a.tel}
	if cfg.Session.Strategy == StrategyDatabase {
		nullable, _ := cfg.Adapter.(authjs.NullUserFields)
		store = &session.Database{Adapter: cfg.Adapter, MaxAge: cfg.Session.MaxAge, UpdateAge: cfg.Session.UpdateAge,
			Absolute: cfg.Session.AbsoluteMaxAge, Now: cfg.Now, Nulls: nullable != nil && nullable.UserFieldsNullable()}
	}
	return &session.Variant{
		Names:  names,
		Attrs:  cookies.Attrs{Secure: secure, Domain: cfg.Cookies.Domain},
		Store:  store,
		Checks: sealer,
		Tel:    a.tel,
	}, nil
}

// parseURL splits a configured URL into its origin and base path.
func parseURL(raw, basePath string) (origin, path string, err error) {
	path = basePath
	if raw != "" {
		if !strings.Contains(raw, "://") {
			raw = "https://" + raw // as NextAuth does for a URL without a scheme
		}
		u, perr := url.Parse(raw)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return "", "", fmt.Errorf("%w: URL must be an http(s) origin such as https://app.example.com, got %q", ErrConfig, raw)
		}
		origin = strings.ToLower(u.Scheme + "://" + u.Host)
		if p := strings.TrimRight(u.Path, "/"); p != "" && path == "" {
			path = p
		}
	}
	if path == "" {
		path = DefaultBasePath
	}
	path = strings.TrimRight(path, "/")
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, ":*?#\\ ") || strings.Contains(path, "//") {
		return "", "", fmt.Errorf("%w: BasePath must be a path such as /api/auth, got %q", ErrConfig, basePath)
	}
	return origin, path, nil
}

// BasePath returns the path the endpoints are served under.
func (a *Auth) BasePath() string { return a.basePath }

// Mount serves every Auth.js endpoint on r, under the base path, on one
// "<base path>/*action" route. r is the engine or a group: a group's path
// must be a prefix of the base path (with the default base path, the
// engine, a group at "/" or one at "/api"), so that the endpoints answer
// where their URLs say they are; Mount panics otherwise, as Gin does for
// routes that cannot be registered. Middleware of the group runs before
// the endpoints. Mount does not make the session readable by other routes:
// attach Middleware for that.
//
// Without Config.URL or Config.TrustHost the endpoints cannot know the
// origin: they answer 500 with Auth.js's configuration-error message, and
// Mount logs an error. Use Middleware alone for such a read-only API.
func (a *Auth) Mount(r gin.IRouter) {
	path := a.basePath
	if g, ok := r.(interface{ BasePath() string }); ok {
		if prefix := strings.TrimRight(g.BasePath(), "/"); prefix != "" {
			if path != prefix && !strings.HasPrefix(path, prefix+"/") {
				panic(fmt.Sprintf("ginauth: Mount: the group's path %q is not a prefix of the base path %q; mount on the engine, or set Config.BasePath under the group", g.BasePath(), a.basePath))
			}
			path = strings.TrimPrefix(path, prefix)
		}
	}
	handle := a.endpoints.Handle
	if a.readOnly() {
		a.logger.Error("ginauth: the endpoints need Config.URL (or TrustHost behind a proxy); those under "+a.basePath+" answer a configuration error",
			telemetry.Event(telemetry.EventConfigNoOrigin))
		handle = a.unconfigured
	}
	r.Any(path+"/*action", handle)
}

// Handlers returns the endpoints one by one, for routing them
// individually; see package handlers. Mount them under the base path.
func (a *Auth) Handlers() handlers.Endpoints {
	h := a.endpoints.Action
	if a.readOnly() {
		h = func(string) gin.HandlerFunc { return a.unconfigured }
	}
	return handlers.Endpoints{
		CSRF:          h(endpoint.ActionCSRF),
		Providers:     h(endpoint.ActionProviders),
		Session:       h(endpoint.ActionSession),
		SignIn:        h(endpoint.ActionSignIn),
		Callback:      h(endpoint.ActionCallback),
		SignOut:       h(endpoint.ActionSignOut),
		Error:         h(endpoint.ActionError),
		VerifyRequest: h(endpoint.ActionVerifyRequest),

		WebAuthnOptions: h(endpoint.ActionWebAuthnOptions),
	}
}

// Middleware makes the session readable by the handlers after it (Session,
// Token, SessionToken), without serving any endpoint. Attach it to the
// engine or to the groups whose handlers read the session; RequireAuth does
// the same for the routes it guards. Reading is lazy: a request whose
// handlers never ask for the session pays nothing for it. A session read
// through it is renewed as RequireAuth renews it (see
// SessionConfig.UpdateAge), when the handler reads it before writing the
// response.
//
// Used alone, it serves an API that reads sessions made by another
// application sharing the secret (a Next.js or Nuxt front end, another
// ginauth service); such an Auth needs only Secret (and Mode, and
// Cookies.SessionName when the front end renames the cookie).
func (a *Auth) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		a.state(c)
		c.Next()
	}
}

// Refresh exchanges a refresh token for new tokens at the token endpoint of
// the OAuth or OpenID Connect provider with the given id. Concurrent
// refreshes of one grant share one request, so a burst of requests with an
// expired access token does not spend a rotating refresh token twice. When
// the provider does not rotate the refresh token, the returned Tokens keep
// the one given. A refusal is a *providers.TokenError (errors.Is(err,
// providers.ErrTokenEndpoint)); its Code is "invalid_grant" when the grant
// was revoked or expired and the user must sign in again.
func (a *Auth) Refresh(ctx context.Context, provider, refreshToken string) (*providers.Tokens, error) {
	e, ok := a.endpoints.OAuth(provider)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProvider, provider)
	}
	return e.Refresh(ctx, refreshToken)
}

// RefreshClaims keeps provider tokens stored in session claims fresh, for
// use in the JWT callback. It reads "access_token", "refresh_token" and
// "expires_at" (Unix seconds, as authjs.Account.ExpiresAt) from claims; when
// the access token expires within leeway, it refreshes at the provider
// with the given id (as Refresh does) and writes the new values back. It
// reports whether it refreshed. Claims without expires_at are left alone.
//
// On a refusal the claims are unchanged and the error is a
// *providers.TokenError: the usual answer is to end the session (return nil
// claims from the JWT callback) or to mark it, as Auth.js's guides do with
// error="RefreshTokenError".
func (a *Auth) RefreshClaims(ctx context.Context, provider string, claims authjs.Claims, leeway time.Duration) (bool, error) {
	e, ok := a.endpoints.OAuth(provider)
	if !ok {
		return false, fmt.Errorf("%w: %q", ErrUnknownProvider, provider)
	}
	return e.RefreshClaims(ctx, claims, a.cfg.Now(), leeway)
}
