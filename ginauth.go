// Package ginauth adds Auth.js-style authentication to Gin applications.
//
// New builds an Auth from a Config; Mount serves the Auth.js REST endpoints
// (/api/auth/csrf, /providers, /session, /signin, /callback, /signout,
// /error, /verify-request) with Auth.js's request and response shapes,
// cookies and CSRF rules, so next-auth/react and @sidebase/nuxt-auth clients
// talk to it unchanged. Sessions are encrypted JWTs that are wire-compatible
// with Auth.js v5 (the default) and NextAuth.js v4 (Config.Mode = ModeV4):
// a Next.js or Nuxt front end sharing the secret reads ginauth's sessions and
// ginauth reads theirs.
//
// Inside handlers, Session(c) returns the current session and Token(c) the
// token's claims, read from the request itself and decoded once per request.
// RequireAuth protects routes: a JSON 401 for APIs, a redirect to the sign-in
// page for pages, and authorization checks (roles, claims, any predicate).
package ginauth

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/handlers"
	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/core"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/internal/pages"
	"github.com/ginauth/ginauth/internal/session"
	"github.com/ginauth/ginauth/providers"
)

// DefaultBasePath is where Mount serves the endpoints unless
// Config.BasePath says otherwise.
const DefaultBasePath = "/api/auth"

// DefaultSessionMaxAge is how long a session lasts without activity: 30 days,
// as in Auth.js. Every successful GET /api/auth/session extends it.
const DefaultSessionMaxAge = 30 * 24 * time.Hour

// DefaultTokenCacheSize bounds the cache of verified session tokens.
const DefaultTokenCacheSize = 10_000

// Config configures an Auth. Only Secret, URL (or TrustHost) and Providers
// are needed in most applications.
type Config struct {
	// Secret encrypts session tokens and signs CSRF tokens. It must be at
	// least 32 bytes of high-entropy text (`openssl rand -base64 32`) and be
	// the same as the AUTH_SECRET of any Next.js or Nuxt app sharing the
	// sessions. Whoever knows it can mint sessions.
	Secret string
	// PreviousSecrets are older secrets still accepted for decryption, to
	// rotate Secret without signing everyone out (Auth.js v5's secret array
	// is [Secret, PreviousSecrets...]).
	PreviousSecrets []string

	// URL is the application's public origin, optionally with the base path:
	// "https://app.example.com" or "https://app.example.com/api/auth" (as
	// AUTH_URL). It decides the redirect origin and whether cookies are
	// __Secure-. Required for Mount unless TrustHost is set; an Auth with
	// neither only reads sessions (Middleware, Session, RequireAuth), trying
	// the __Secure- cookie name and the plain one.
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

	// Providers are the sign-in methods, shown in this order.
	Providers []providers.Provider
	// Callbacks customise sign-in, redirects, the token and the session.
	Callbacks Callbacks
	// Events are notified of sign-ins, sign-outs and session reads.
	Events Events
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

	// Logger receives the library's logs (never tokens, secrets or
	// claims); slog.Default() when nil.
	Logger *slog.Logger
	// Now returns the current time; time.Now when nil. For tests.
	Now func() time.Time
}

// SessionConfig configures sessions.
type SessionConfig struct {
	// MaxAge is how long a session lives after its last refresh;
	// DefaultSessionMaxAge when zero.
	MaxAge time.Duration
}

// CookieConfig adjusts cookies. Names must match the JavaScript side when
// sessions are shared; in v5 the session cookie name is also the key
// derivation salt.
type CookieConfig struct {
	// SessionToken overrides the session cookie name.
	SessionToken string
	// Domain sets the Domain attribute (for sharing across subdomains).
	Domain string
	// Secure forces __Secure- names and the Secure attribute on (true) or
	// off (false); nil derives it from the origin's scheme.
	Secure *bool
}

// Pages are paths of the application's own pages used instead of the
// built-in ones, such as "/login".
type Pages = handlers.Pages

// Brand customises the built-in pages: a name, a logo URL and an accent
// colour (#rgb or #rrggbb).
type Brand = pages.Brand

// Auth is a configured authentication service. It is safe for concurrent use.
type Auth struct {
	cfg      Config
	basePath string
	site     *session.Site
	insecure *session.Variant
	secure   *session.Variant
	// onlyInsecure, onlySecure and both are the lists readVariants
	// returns, built once so that reading a session allocates nothing.
	onlyInsecure, onlySecure, both []*session.Variant
	handler                        *handlers.Handler
	logger                         *slog.Logger
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// New validates cfg and returns an Auth. It never panics; every problem is an
// error wrapping ErrConfig (or ErrNoSecret, ErrShortSecret).
func New(cfg Config) (*Auth, error) {
	if cfg.Secret == "" {
		return nil, ErrNoSecret
	}
	secrets := append([]string{cfg.Secret}, cfg.PreviousSecrets...)
	for i, s := range secrets {
		if len(s) < core.MinSecretLen {
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
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "role"
	}
	if cfg.TokenCacheSize == 0 {
		cfg.TokenCacheSize = DefaultTokenCacheSize
	}
	a := &Auth{cfg: cfg, logger: cfg.Logger}

	origin, basePath, err := parseURL(cfg.URL, cfg.BasePath)
	if err != nil {
		return nil, err
	}
	// Without URL and TrustHost the Auth only reads sessions (see
	// Middleware); Mount then serves a configuration error.
	a.basePath = basePath
	a.site = &session.Site{Origin: origin, TrustHost: cfg.TrustHost, Secure: cfg.Cookies.Secure}

	if cfg.Brand.Color != "" && !pages.ValidColor(cfg.Brand.Color) {
		return nil, fmt.Errorf("%w: Brand.Color must be #rgb or #rrggbb, got %q", ErrConfig, cfg.Brand.Color)
	}
	for name, p := range map[string]string{"SignIn": cfg.Pages.SignIn, "SignOut": cfg.Pages.SignOut, "Error": cfg.Pages.Error, "VerifyRequest": cfg.Pages.VerifyRequest} {
		if p != "" && (!strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t ")) {
			return nil, fmt.Errorf("%w: Pages.%s must be a path on the application's origin such as /login, got %q", ErrConfig, name, p)
		}
	}
	seen := map[string]bool{}
	for i, p := range cfg.Providers {
		if p == nil {
			return nil, fmt.Errorf("%w: Providers[%d] is nil", ErrConfig, i)
		}
		if !idPattern.MatchString(p.ID()) {
			return nil, fmt.Errorf("%w: provider id %q must be 1-64 letters, digits, '-' or '_'", ErrConfig, p.ID())
		}
		if seen[p.ID()] {
			return nil, fmt.Errorf("%w: two providers have the id %q", ErrConfig, p.ID())
		}
		seen[p.ID()] = true
		if v, ok := p.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				return nil, fmt.Errorf("%w: provider %q: %w", ErrConfig, p.ID(), err)
			}
		}
	}

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

	csrfSecret := cfg.Secret
	if cfg.Mode == ModeV5 {
		csrfSecret = strings.Join(secrets, ",") // @auth/core hashes `${token}${secret}` with secret an array
	}
	a.handler = handlers.New(handlers.Options{
		Mode:       cfg.Mode,
		BasePath:   basePath,
		Site:       a.site,
		Insecure:   a.insecure,
		Secure:     a.secure,
		CSRFSecret: csrfSecret,
		Providers:  cfg.Providers,
		Callbacks:  cfg.Callbacks,
		Events:     cfg.Events,
		Pages:      cfg.Pages,
		Brand:      cfg.Brand,
		SignInHint: cfg.SignInHint,
		Logger:     cfg.Logger,
	})
	return a, nil
}

// variant builds the cookie names, attributes and session store for http
// (secure=false) or https origins.
func (a *Auth) variant(secrets []string, secure bool) (*session.Variant, error) {
	cfg := &a.cfg
	names := cookies.DefaultNames(cfg.Mode, secure)
	if cfg.Cookies.SessionToken != "" {
		names.Session = cfg.Cookies.SessionToken
	}
	salt := names.Session
	if cfg.Mode == ModeV4 {
		salt = "" // NextAuth v4 session keys use the empty salt
	}
	cacheSize := max(cfg.TokenCacheSize, 0)
	codec, err := jwe.New(jwe.Options{Mode: cfg.Mode, Secrets: secrets, Salt: salt, Now: cfg.Now, CacheSize: cacheSize})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	sealer, err := checks.New(cfg.Mode, secrets, names, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &session.Variant{
		Names:  names,
		Attrs:  cookies.Attrs{Secure: secure, Domain: cfg.Cookies.Domain},
		Store:  &session.JWT{Codec: codec, MaxAge: cfg.Session.MaxAge, Now: cfg.Now},
		Checks: sealer,
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

// Mount serves the Auth.js endpoints under the base path on r, and makes the
// session available to every route registered after it (Session, Token).
//
// Without Config.URL or Config.TrustHost the endpoints cannot know the
// origin: they answer 500 with Auth.js's configuration-error message, and
// Mount logs an error. Use Middleware alone for such a read-only API.
func (a *Auth) Mount(r *gin.Engine) {
	r.Use(a.Middleware())
	handle := a.handler.Handle
	if a.readOnly() {
		a.logger.Error("ginauth: Mount needs Config.URL (or TrustHost behind a proxy); the endpoints under " + a.basePath + " answer a configuration error")
		handle = a.unconfigured
	}
	r.Any(a.basePath+"/*action", handle)
}

// Middleware makes the session available to the handlers after it, without
// serving any endpoint: use it alone when another app (Next.js, Nuxt) owns
// sign-in and this API only reads the sessions; such an Auth needs only
// Secret (and Mode, and Cookies.SessionToken when the front end renames the
// cookie). Reading is lazy: a request whose handlers never ask for the
// session pays nothing for it.
func (a *Auth) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		a.state(c)
		c.Next()
	}
}
