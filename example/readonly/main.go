// Command readonly is a Gin API that sits behind a Next.js or Nuxt
// application: the JavaScript app owns sign-in (Auth.js, NextAuth.js or
// nuxt-auth serve /api/auth there), and this API only reads the session
// cookie the browser sends along, with the shared secret. It serves no
// authentication endpoints of its own.
//
//	AUTH_SECRET=<the front end's AUTH_SECRET> go run ./example/readonly
//
// Environment:
//
//	AUTH_SECRET       the front end's AUTH_SECRET (NEXTAUTH_SECRET in v4); required
//	AUTH_MODE         "v4" when the front end runs NextAuth.js v4 or nuxt-auth (default v5)
//	AUTH_COOKIE_NAME  the session cookie name, when the front end changed it
//	AUTH_SECURE_COOKIES  "true" when the front end is served over https (only
//	                  the __Secure- cookie is read), "false" for plain http;
//	                  unset reads both
//	PORT              listen port (default 8081)
//
// Routes: GET /api/public for everyone, GET /api/me with a session (401
// without), GET /api/admin for tokens whose "role" claim is "admin".
package main

import (
	"errors"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
)

// newAuth builds a read-only Auth: no URL and no providers, only what must
// match the front end (secret, dialect, cookie name).
func newAuth(getenv func(string) string, logger *slog.Logger) (*ginauth.Auth, error) {
	secret := getenv("AUTH_SECRET")
	if secret == "" {
		return nil, errors.New("set AUTH_SECRET to the front end's secret")
	}
	mode := ginauth.ModeV5
	if getenv("AUTH_MODE") == "v4" {
		mode = ginauth.ModeV4
	}
	cookies := ginauth.CookieConfig{SessionName: getenv("AUTH_COOKIE_NAME")}
	switch v := getenv("AUTH_SECURE_COOKIES"); v {
	case "true", "false":
		secure := v == "true"
		cookies.Secure = &secure
	case "":
	default:
		return nil, errors.New(`AUTH_SECURE_COOKIES must be "true" or "false"`)
	}
	return ginauth.New(ginauth.Config{
		Secret:  secret,
		Mode:    mode,
		Cookies: cookies,
		Logger:  logger,
	})
}

// newRouter serves the API. Middleware reads the session lazily;
// RequireAuth answers 401 {"message":"Unauthorized"} without one.
func newRouter(auth *ginauth.Auth) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery(), auth.Middleware())
	r.GET("/api/public", func(c *gin.Context) {
		msg := "hello, stranger"
		if s, ok := ginauth.Session(c); ok {
			msg = "hello, " + s.User.Name
		}
		c.JSON(http.StatusOK, gin.H{"message": msg})
	})
	r.GET("/api/me", auth.RequireAuth(), func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		t, _ := ginauth.Token(c)
		c.JSON(http.StatusOK, gin.H{"id": t.Subject(), "name": s.User.Name, "email": s.User.Email, "expires": s.Expires})
	})
	r.GET("/api/admin", auth.RequireAuth(ginauth.WithRoles("admin")), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "welcome, admin"})
	})
	return r
}

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	auth, err := newAuth(os.Getenv, logger)
	if err != nil {
		log.Fatal(err)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8081"
	}
	logger.Info("listening", "addr", ":"+port)
	log.Fatal(http.ListenAndServe(":"+port, newRouter(auth)))
}
