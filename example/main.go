// Command example is a small Gin application protected by ginauth. It runs
// with no configuration: `go run ./example`, then open http://localhost:8080
// and sign in as alice / wonderland.
//
// Environment (all optional):
//
//	PORT         listen port (default 8080)
//	AUTH_SECRET  session secret, at least 32 bytes (default: a development secret)
//	AUTH_URL     public origin (default http://localhost:$PORT)
//	AUTH_MODE    "v4" for the NextAuth.js v4 dialect (default v5)
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
package main

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// devSecret is used when AUTH_SECRET is unset. Anyone who reads this file
// can forge sessions for an app using it: never deploy with it.
const devSecret = "development-secret-do-not-use-in-production"

// demoUser is the account shown on the sign-in page.
type demoUser struct {
	user authjs.User
	role string
	hash []byte
}

func newDemoUsers() map[string]demoUser {
	// Passwords are stored as bcrypt hashes at bcrypt's default cost, as a
	// real user table would.
	hash := func(pw string) []byte {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			panic(err)
		}
		return h
	}
	return map[string]demoUser{
		"alice": {authjs.User{ID: "1", Name: "Alice Liddell", Email: "alice@example.com"}, "admin", hash("wonderland")},
		"bob":   {authjs.User{ID: "2", Name: "Bob Builder", Email: "bob@example.com"}, "user", hash("canwefixit")},
	}
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

// newAuth configures ginauth for the example: the demo accounts' password
// form, then the extra providers.
func newAuth(url, secret string, mode ginauth.Mode, logger *slog.Logger, extra ...providers.Provider) (*ginauth.Auth, error) {
	users := newDemoUsers()
	roles := map[string]string{}
	for _, u := range users {
		roles[u.user.ID] = u.role
	}
	// dummy keeps the time of a failed lookup close to a wrong password.
	dummy, _ := bcrypt.GenerateFromPassword([]byte("dummy"), bcrypt.DefaultCost)
	return ginauth.New(ginauth.Config{
		Secret: secret,
		URL:    url,
		Mode:   mode,
		Providers: append([]providers.Provider{
			providers.Credentials{
				Name: "Password",
				Fields: []providers.Field{
					{Name: "username", Label: "Username", Type: "text", Placeholder: "alice"},
					{Name: "password", Label: "Password", Type: "password"},
				},
				Authorize: func(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
					u, ok := users[c["username"]]
					if !ok {
						bcrypt.CompareHashAndPassword(dummy, []byte(c["password"]))
						return nil, nil
					}
					if bcrypt.CompareHashAndPassword(u.hash, []byte(c["password"])) != nil {
						return nil, nil
					}
					return &u.user, nil
				},
			},
		}, extra...),
		Callbacks: authjs.Callbacks{
			// Put the user's id and role into the token at sign-in ...
			JWT: func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
				// Roles belong to the demo accounts only: an account at
				// another provider may have the same id.
				if p.Trigger == authjs.TriggerSignIn && p.Account != nil && p.Account.Type == authjs.TypeCredentials {
					p.Token["role"] = roles[p.User.ID]
				}
				return p.Token, nil
			},
			// ... and expose them in the session.
			Session: func(_ context.Context, p authjs.SessionParams) (*authjs.Session, error) {
				p.Session.User.Extra = map[string]any{"id": p.Token.Subject()}
				if role := p.Token.String("role"); role != "" {
					p.Session.User.Extra["role"] = role
				}
				return p.Session, nil
			},
		},
		Brand:      ginauth.Brand{Name: "ginauth example", Color: "#0f766e"},
		SignInHint: "Demo accounts: alice / wonderland (admin), bob / canwefixit (user).",
		Logger:     logger,
	})
}

// newRouter builds the example application.
func newRouter(auth *ginauth.Auth) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery(), securityHeaders)
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
		render(c, http.StatusOK, accountPage, gin.H{"Session": s, "Base": auth.BasePath()})
	})

	admin := r.Group("/admin", auth.RequireAuth(ginauth.RedirectToSignIn(), ginauth.WithRoles("admin")))
	admin.GET("", func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		render(c, http.StatusOK, adminPage, gin.H{"Session": s, "Base": auth.BasePath()})
	})
	return r
}

// securityHeaders keeps the example's own pages out of frames and other
// sites' referrers, and allows them nothing but their inline style. (The
// built-in sign-in pages set their own.)
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Next()
}

func render(c *gin.Context, status int, t *template.Template, data any) {
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := t.Execute(c.Writer, data); err != nil {
		c.Error(err)
	}
}

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	port := envOr("PORT", "8080")
	url := envOr("AUTH_URL", "http://localhost:"+port)
	secret := os.Getenv("AUTH_SECRET")
	if secret == "" {
		secret = devSecret
		logger.Warn("AUTH_SECRET is not set: using the built-in development secret. Anyone can forge sessions with it; set AUTH_SECRET (openssl rand -base64 32) before deploying.")
	}
	mode := ginauth.ModeV5
	if os.Getenv("AUTH_MODE") == "v4" {
		mode = ginauth.ModeV4
	}
	extra := oauthProviders(os.Getenv)
	for _, p := range extra {
		info := p.Info()
		logger.Info("sign-in provider", "id", info.ID, "name", info.Name, "redirect_uri", url+"/api/auth/callback/"+info.ID)
	}
	auth, err := newAuth(url, secret, mode, logger, extra...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gin.SetMode(gin.ReleaseMode)
	// Every phase of a connection is bounded, so that slow or idle clients
	// cannot hold connections and memory forever.
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           newRouter(auth),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	logger.Info("example listening", "url", url, "mode", mode.String())
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
