// Command example is a small Gin application protected by ginauth. It runs
// with no configuration: `go run ./example`, then open http://localhost:8080
// and sign in as alice / wonderland. Its users, accounts and sessions live
// in a SQLite database it creates under ./data.
//
// Flags:
//
//	-data DIR   directory of the SQLite database (default $DATA_DIR, or ./data)
//
// Environment (all optional):
//
//	PORT                   listen port (default 8080)
//	AUTH_SECRET            session secret, at least 32 bytes (default: a development secret)
//	AUTH_URL               public origin (default http://localhost:$PORT)
//	AUTH_MODE              "v4" for the NextAuth.js v4 dialect (default v5)
//	AUTH_SESSION_STRATEGY  "jwt" (default: an encrypted cookie a Next.js app
//	                       with the same secret reads too) or "database"
//	                       (revocable sessions kept in the store)
//	DATA_DIR               directory of the SQLite database (default ./data)
//	DATABASE_URL           postgres://… : keep users and sessions in PostgreSQL,
//	                       in @auth/pg-adapter's tables, instead of SQLite
//	REDIS_URL              redis://… : keep them in Redis, as
//	                       @auth/unstorage-adapter does (when DATABASE_URL is unset)
//	TRUSTED_PROXIES        comma-separated addresses or CIDRs of the reverse
//	                       proxies in front of the example, whose
//	                       X-Forwarded-For names the client (default: none;
//	                       the client is the connection's peer)
//	METRICS_ADDR           host:port, such as 127.0.0.1:9464: serve ginauth's
//	                       metrics (sign-ins, session reads, cache, refused
//	                       tokens, throttling, provider latency) and the Go
//	                       runtime's in the Prometheus format at /metrics on
//	                       a listener of its own, never on PORT (default: off).
//	                       Keep it on loopback or a private network.
//	TRUSTED_ORIGINS        comma-separated origins (https://app.example.com)
//	                       of front ends on other origins whose pages post
//	                       to /api/auth from the browser (default: none;
//	                       other sites' posts are refused with 403)
//
// Sign-in with an OpenID Connect provider is added when these are set, with
// the redirect URI $AUTH_URL/api/auth/callback/oidc registered at the provider:
//
//	OIDC_ISSUER         issuer URL, such as https://accounts.example.com
//	OIDC_CLIENT_ID      client id
//	OIDC_CLIENT_SECRET  client secret
//	OIDC_NAME           button label (default "OpenID Connect")
//
// Sign-in with GitHub is added when GITHUB_ID and GITHUB_SECRET hold an OAuth
// app's client id and secret, with the callback URL
// $AUTH_URL/api/auth/callback/github.
//
// Sign-in with an emailed link works for any address; a demo account's
// address (alice@example.org) signs in as that account. The links are sent
// through an SMTP server when these are set:
//
//	EMAIL_SERVER  smtp://user:password@host:587 (STARTTLS required) or
//	              smtps://user:password@host:465 (TLS from the first byte);
//	              the user and password are URL-encoded and may be left out
//	EMAIL_FROM    the sender, "no-reply@example.com" or
//	              "Example <no-reply@example.com>"; required with EMAIL_SERVER
//	EMAIL_INSECURE_PLAINTEXT
//	              1 to send in clear text (credentials included) to a
//	              development relay that does not offer STARTTLS, such as
//	              Mailpit at smtp://localhost:1025; refused unless
//	              EMAIL_SERVER's host is localhost or a loopback address,
//	              and with smtps://
//
// Sign-in with a passkey is on in the v5 dialect whenever browsers allow
// passkeys on AUTH_URL: an https origin, or http://localhost (the default).
// The relying party id is AUTH_URL's hostname ("localhost" by default):
// a passkey made for it signs in there only, so keep AUTH_URL's host stable.
// http://127.0.0.1 does not work (an IP address is not a relying party
// id); neither does AUTH_MODE=v4 (NextAuth.js v4 has no passkeys). The
// sign-in page's passkey form creates an account with a passkey for an
// address that has none, and signs in with a saved passkey when the
// address is left empty. Passkeys live in the store beside the users.
//
// Without EMAIL_SERVER, and only while AUTH_URL is a loopback origin (the
// default http://localhost:$PORT), the example prints each sign-in link in
// the terminal instead of sending it, and says so at start with a warning:
// a development sender, with which whoever reads the output can sign in as
// any address. On any other origin email sign-in is then off. Either way
// ginauth's default send limits apply: three links at once per address,
// then one every five minutes, and twenty per client address, then one
// every thirty seconds; a request over a limit gets the same answer as one
// that went through.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/crypto/bcrypt"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// devSecret is used when AUTH_SECRET is unset. Anyone who reads this file
// can forge sessions for an app using it: never deploy with it.
const devSecret = "development-secret-do-not-use-in-production"

// demoUser is a demo account of the password form.
type demoUser struct {
	user authjs.User // the stored user
	role string
	hash []byte // bcrypt hash of the password
}

// demo holds the demo accounts shown on the sign-in page.
type demo struct {
	byLogin map[string]demoUser // login name → account
	roles   map[string]string   // stored user id → role
	dummy   []byte              // a hash to compare against for unknown logins
}

// seedDemo makes sure the demo accounts exist in the store and returns
// them. Their roles are keyed by the stored user id, which every session
// names (the JWT's sub or the database session's user), whatever the
// strategy.
func seedDemo(ctx context.Context, store authjs.Adapter) (*demo, error) {
	// Passwords are kept as bcrypt hashes at bcrypt's default cost, as a
	// real user table would keep them.
	hash := func(pw string) ([]byte, error) { return bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost) }
	d := &demo{byLogin: map[string]demoUser{}, roles: map[string]string{}}
	var err error
	if d.dummy, err = hash("dummy"); err != nil {
		return nil, err
	}
	for _, a := range []struct{ login, password, name, email, role string }{
		{"alice", "wonderland", "Alice Liddell", "alice@example.org", "admin"},
		{"bob", "canwefixit", "Bob Builder", "bob@example.org", "user"},
	} {
		u, err := store.GetUserByEmail(ctx, a.email)
		if errors.Is(err, authjs.ErrNotFound) {
			u, err = store.CreateUser(ctx, authjs.User{Name: a.name, Email: a.email})
			if errors.Is(err, authjs.ErrConflict) { // another process created it first
				u, err = store.GetUserByEmail(ctx, a.email)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", a.login, err)
		}
		h, err := hash(a.password)
		if err != nil {
			return nil, err
		}
		d.byLogin[a.login] = demoUser{user: *u, role: a.role, hash: h}
		d.roles[u.ID] = a.role
	}
	return d, nil
}

// authorize checks a login and password of the password form.
func (d *demo) authorize(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
	u, ok := d.byLogin[c["username"]]
	if !ok {
		// Spend the time a wrong password takes, so that the answer's
		// delay does not tell which logins exist.
		bcrypt.CompareHashAndPassword(d.dummy, []byte(c["password"]))
		return nil, nil
	}
	if bcrypt.CompareHashAndPassword(u.hash, []byte(c["password"])) != nil {
		return nil, nil
	}
	user := u.user
	return &user, nil
}

// isAdmin admits the sessions of users with the admin role.
func (d *demo) isAdmin(_ *gin.Context, t authjs.Claims) bool {
	return d.roles[t.Subject()] == "admin"
}

// oauthProviders returns the OAuth and OpenID Connect providers configured
// in the environment, read through getenv.
func oauthProviders(getenv func(string) string) []providers.Provider {
	var ps []providers.Provider
	if issuer, id, secret := getenv("OIDC_ISSUER"), getenv("OIDC_CLIENT_ID"), getenv("OIDC_CLIENT_SECRET"); issuer != "" && id != "" && secret != "" {
		name := getenv("OIDC_NAME")
		if name == "" {
			name = "OpenID Connect"
		}
		// Checks default to PKCE, state and nonce for an OpenID provider.
		ps = append(ps, providers.OAuth{ID: "oidc", Name: name, Issuer: issuer, ClientID: id, ClientSecret: secret})
	}
	if id, secret := getenv("GITHUB_ID"), getenv("GITHUB_SECRET"); id != "" && secret != "" {
		ps = append(ps, providers.GitHub(providers.OAuth{ClientID: id, ClientSecret: secret}))
	}
	return ps
}

// settings configure the example.
type settings struct {
	URL      string
	Secret   string
	Mode     ginauth.Mode
	Strategy ginauth.Strategy
	Store    authjs.Adapter
	Logger   *slog.Logger
	Email    emailSetup           // how sign-in links are sent; none when its Sender is nil
	Passkeys bool                 // offer passkey sign-in (v5 only)
	Extra    []providers.Provider // providers beside the password form and the email link
	Throttle ginauth.Throttle     // limits on sign-in links; ginauth's defaults when zero
	LogoURL  string               // the brand's logo; the example's own, under URL, when empty
	Now      func() time.Time     // the clock; time.Now when nil
	Metrics  metric.MeterProvider // receives ginauth's metrics; the global provider when nil
	// TrustedOrigins are the origins of front ends on other origins
	// allowed to post to the endpoints from the browser.
	TrustedOrigins []string
}

// parseStrategy reads AUTH_SESSION_STRATEGY.
func parseStrategy(s string) (ginauth.Strategy, error) {
	switch s {
	case "", "jwt":
		// JWT is the example's default, so that a Next.js or Nuxt front
		// end with the same secret can read its cookie.
		return ginauth.StrategyJWT, nil
	case "database":
		return ginauth.StrategyDatabase, nil
	}
	return 0, fmt.Errorf("AUTH_SESSION_STRATEGY %q: want jwt or database", s)
}

// newAuth configures ginauth for the example: the demo accounts' password
// form, the email link, passkeys, then the extra providers, with users,
// accounts and passkeys in the store.
func newAuth(ctx context.Context, s settings) (*ginauth.Auth, *demo, error) {
	d, err := seedDemo(ctx, s.Store)
	if err != nil {
		return nil, nil, err
	}
	ps := []providers.Provider{
		providers.Credentials{
			Name: "Password",
			Fields: []providers.Field{
				{Name: "username", Label: "Username", Type: "text", Placeholder: "alice"},
				{Name: "password", Label: "Password", Type: "password"},
			},
			Authorize: d.authorize,
		},
	}
	hint := "Demo accounts: alice / wonderland (admin), bob / canwefixit (user)."
	if s.Email.Sender != nil {
		// Links live 24 hours and work once; the store keeps only their
		// hash.
		ps = append(ps, providers.Email{Sender: s.Email.Sender})
		if s.Email.Development {
			hint += " Email sign-in links are printed in the server's terminal."
		}
	}
	if s.Passkeys {
		// The relying party is the configured URL; passkeys need a
		// discoverable credential and user verification, and sign-ups
		// with a new address are allowed.
		ps = append(ps, providers.Passkey(providers.PasskeyConfig{}))
		hint += " Passkey: enter a new address to create an account with a passkey, or leave it empty to use yours."
	}
	auth, err := ginauth.New(ginauth.Config{
		Secret:  s.Secret,
		URL:     s.URL,
		Mode:    s.Mode,
		Adapter: s.Store,
		Session: ginauth.SessionConfig{Strategy: s.Strategy},
		// Posts from other sites' pages are refused, except from these.
		TrustedOrigins: s.TrustedOrigins,
		Providers:      append(ps, s.Extra...),
		// The default limits: 3 links at once per address, 20 per client.
		Throttle: s.Throttle,
		Callbacks: authjs.Callbacks{
			// Expose the user's id and role in the session.
			Session: func(_ context.Context, p authjs.SessionParams) (*authjs.Session, error) {
				id := p.Token.Subject()
				p.Session.User.Extra = map[string]any{"id": id}
				if role := d.roles[id]; role != "" {
					p.Session.User.Extra["role"] = role
				}
				return p.Session, nil
			},
		},
		// The logo shows on the pages, and in the emails on an https
		// origin.
		Brand:      ginauth.Brand{Name: "ginauth example", Color: "#0f766e", LogoURL: cmp.Or(s.LogoURL, brandLogoURL(s.URL))},
		SignInHint: hint,
		Logger:     s.Logger,
		Now:        s.Now,

		// Metrics for METRICS_ADDR's Prometheus endpoint.
		MeterProvider: s.Metrics,
	})
	if err != nil {
		return nil, nil, err
	}
	return auth, d, nil
}

// newRouter builds the example application.
func newRouter(auth *ginauth.Auth, d *demo) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery(), securityHeaders)
	serveLogo(r)
	// The endpoints under /api/auth; the session readable on every route.
	r.Use(auth.Middleware())
	auth.Mount(r)

	r.GET("/", func(c *gin.Context) {
		s, ok := ginauth.Session(c)
		render(c, http.StatusOK, homePage, gin.H{"Session": s, "SignedIn": ok, "Base": auth.BasePath()})
	})
	r.GET("/api/hello", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "Hello, world"})
	})

	api := r.Group("/api", auth.RequireAuth(ginauth.WithUnauthorized(http.StatusUnauthorized, gin.H{"status": "Not authorized"})))
	api.GET("/me", func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		c.JSON(http.StatusOK, s)
	})
	api.GET("/protected", func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		c.JSON(http.StatusOK, gin.H{"status": "Authorized", "user": s.User})
	})

	account := r.Group("/account", auth.RequireAuth(ginauth.RedirectToSignIn()))
	account.GET("", func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		// The user's passkeys, from the store (the Session callback
		// put the stored user's id into the session).
		id, _ := s.User.Extra["id"].(string)
		keys, err := auth.Passkeys(c.Request.Context(), id)
		if err != nil {
			c.Error(err)
		}
		render(c, http.StatusOK, accountPage, gin.H{"Session": s, "Base": auth.BasePath(), "Passkeys": keys, "PasskeysFailed": err != nil})
	})

	admin := r.Group("/admin", auth.RequireAuth(ginauth.RedirectToSignIn(), ginauth.WithCheck(d.isAdmin)))
	admin.GET("", func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		render(c, http.StatusOK, adminPage, gin.H{"Session": s, "Base": auth.BasePath()})
	})
	return r
}

func render(c *gin.Context, status int, t *template.Template, data any) {
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := t.Execute(c.Writer, data); err != nil {
		c.Error(err)
	}
}

func main() {
	dataDir := flag.String("data", envOr("DATA_DIR", "data"), "directory of the SQLite database")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*dataDir, logger); err != nil {
		logger.Error("example stopped", "err", err)
		os.Exit(1)
	}
}

// run serves the example until SIGINT or SIGTERM.
func run(dataDir string, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	port := envOr("PORT", "8080")
	s := settings{URL: envOr("AUTH_URL", "http://localhost:"+port), Secret: os.Getenv("AUTH_SECRET"), Mode: ginauth.ModeV5, Logger: logger}
	if s.Secret == "" {
		s.Secret = devSecret
		logger.Warn("AUTH_SECRET is not set: using the built-in development secret. Anyone can forge sessions with it; set AUTH_SECRET (openssl rand -base64 32) before deploying.")
	}
	if os.Getenv("AUTH_MODE") == "v4" {
		s.Mode = ginauth.ModeV4
	}
	s.TrustedOrigins = splitList(os.Getenv("TRUSTED_ORIGINS"))
	var err error
	if s.Strategy, err = parseStrategy(os.Getenv("AUTH_SESSION_STRATEGY")); err != nil {
		return err
	}
	// The development sender writes to standard error, as the logger does.
	if s.Email, err = emailSender(os.Getenv, s.URL, nil, os.Stderr); err != nil {
		return err
	}
	logEmail(logger, s.Email)
	pk := passkeysFor(s.Mode, s.URL)
	s.Passkeys = pk.On
	logPasskeys(logger, pk)
	openCtx, cancel := context.WithTimeout(ctx, time.Minute)
	store, err := openStore(openCtx, os.Getenv, dataDir)
	cancel()
	if err != nil {
		return err
	}
	defer store.Close()
	s.Store = store.Adapter
	s.Extra = oauthProviders(os.Getenv)
	if addr := os.Getenv("METRICS_ADDR"); addr != "" {
		met, err := newMetrics(addr)
		if err != nil {
			return err
		}
		s.Metrics = met.Provider
		go func() {
			if err := met.Serve(); err != nil {
				logger.Error("metrics server stopped", "err", err)
			}
		}()
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			met.Shutdown(ctx)
		}()
		logger.Info("metrics served", "url", "http://"+met.Addr()+"/metrics")
	}
	for _, p := range s.Extra {
		info := p.Info()
		logger.Info("sign-in provider", "id", info.ID, "name", info.Name, "redirect_uri", s.URL+"/api/auth/callback/"+info.ID)
	}
	auth, d, err := newAuth(ctx, s)
	if err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	router := newRouter(auth, d)
	// The client address that the sign-in link limits and the logs use is
	// the connection's peer, or the address forwarded by a proxy named in
	// TRUSTED_PROXIES: a client cannot choose it with a header.
	if err := router.SetTrustedProxies(splitList(os.Getenv("TRUSTED_PROXIES"))); err != nil {
		return fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	// Every phase of a connection is bounded, so that slow or idle clients
	// cannot hold connections and memory forever.
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           router,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	logger.Info("example listening", "url", s.URL, "mode", s.Mode.String(), "sessions", s.Strategy.String(), "store", store.Name)
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Let requests in flight finish before the store closes.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// splitList splits a comma-separated list, dropping spaces and empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
