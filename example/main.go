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
	"github.com/ginauth/ginauth/providers"
)

// devSecret is used when AUTH_SECRET is unset. Anyone who reads this file
// can forge sessions for an app using it: never deploy with it.
const devSecret = "development-secret-do-not-use-in-production"

// demoUser is the account shown on the sign-in page.
type demoUser struct {
	user ginauth.User
	role string
	hash []byte
}

func newDemoUsers() map[string]demoUser {
	// Passwords are stored as bcrypt hashes, as a real user table would.
	hash := func(pw string) []byte {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		return h
	}
	return map[string]demoUser{
		"alice": {ginauth.User{ID: "1", Name: "Alice Liddell", Email: "alice@example.com"}, "admin", hash("wonderland")},
		"bob":   {ginauth.User{ID: "2", Name: "Bob Builder", Email: "bob@example.com"}, "user", hash("canwefixit")},
	}
}

// newAuth configures ginauth for the example.
func newAuth(url, secret string, mode ginauth.Mode, logger *slog.Logger) (*ginauth.Auth, error) {
	users := newDemoUsers()
	roles := map[string]string{}
	for _, u := range users {
		roles[u.user.ID] = u.role
	}
	// dummy keeps the time of a failed lookup close to a wrong password.
	dummy, _ := bcrypt.GenerateFromPassword([]byte("dummy"), bcrypt.MinCost)
	return ginauth.New(ginauth.Config{
		Secret: secret,
		URL:    url,
		Mode:   mode,
		Providers: []providers.Provider{
			providers.Credentials(providers.CredentialsConfig{
				Name: "Password",
				Fields: []providers.Field{
					{Name: "username", Label: "Username", Type: "text", Placeholder: "alice"},
					{Name: "password", Label: "Password", Type: "password"},
				},
				Authorize: func(_ context.Context, c map[string]string) (*ginauth.User, error) {
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
			}),
		},
		Callbacks: ginauth.Callbacks{
			// Put the user's id and role into the token at sign-in ...
			JWT: func(_ context.Context, p ginauth.JWTParams) (ginauth.TokenClaims, error) {
				if p.Trigger == ginauth.TriggerSignIn {
					p.Token["role"] = roles[p.User.ID]
				}
				return p.Token, nil
			},
			// ... and expose them in the session.
			Session: func(_ context.Context, p ginauth.SessionParams) (*ginauth.SessionData, error) {
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
	r.Use(gin.Recovery())
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
	auth, err := newAuth(url, secret, mode, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gin.SetMode(gin.ReleaseMode)
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           newRouter(auth),
		ReadHeaderTimeout: 10 * time.Second,
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
