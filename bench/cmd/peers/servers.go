package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"time"

	jwt "github.com/appleboy/gin-jwt/v2"
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/gorilla/securecookie"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// The Go servers: the same protected route, GET /api/protected, answering
// 200 {"status":"Authorized","user":{...}} with a valid credential and
// 401 {"status":"Not authorized"} without, each on a bare Gin engine (only
// gin.Recovery in front): gin-jwt's middleware, gin-contrib/sessions'
// cookie store, and ginauth itself, so that the libraries are compared
// without the example's pages, security headers and callbacks.

var notAuthorized = gin.H{"status": "Not authorized"}

// ginJWT returns gin-jwt's middleware reading the token from the "jwt"
// cookie (HS256 with the shared secret).
func ginJWT(secret string) (*jwt.GinJWTMiddleware, error) {
	return jwt.New(&jwt.GinJWTMiddleware{
		Realm:       "bench",
		Key:         []byte(secret),
		IdentityKey: "sub",
		TokenLookup: "cookie:jwt",
		Timeout:     30 * 24 * time.Hour,
		PayloadFunc: func(data any) jwt.MapClaims {
			if m, ok := data.(map[string]string); ok {
				out := jwt.MapClaims{}
				for k, v := range m {
					out[k] = v
				}
				return out
			}
			return jwt.MapClaims{}
		},
		IdentityHandler: func(c *gin.Context) any {
			return jwt.ExtractClaims(c)["sub"]
		},
		Unauthorized: func(c *gin.Context, code int, _ string) {
			c.JSON(code, notAuthorized)
		},
	})
}

func ginJWTRouter(secret string) (*gin.Engine, error) {
	mw, err := ginJWT(secret)
	if err != nil {
		return nil, err
	}
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/api/protected", mw.MiddlewareFunc(), func(c *gin.Context) {
		cl := jwt.ExtractClaims(c)
		c.JSON(http.StatusOK, gin.H{"status": "Authorized", "user": gin.H{"name": cl["name"], "email": cl["email"], "image": cl["picture"], "id": cl["sub"]}})
	})
	return r, nil
}

// sessionKeys derives the cookie store's HMAC-SHA256 and AES-256 keys from
// the shared secret.
func sessionKeys(secret string) (hashKey, blockKey []byte) {
	h := sha256.Sum256([]byte("hash:" + secret))
	b := sha256.Sum256([]byte("block:" + secret))
	return h[:], b[:]
}

// sessionCodecs are the codecs gin-contrib/sessions' cookie store uses
// (gorilla/sessions' CookieStore: securecookie, signed and encrypted).
func sessionCodecs(secret string) []securecookie.Codec {
	return securecookie.CodecsFromPairs(sessionKeys(secret))
}

func sessionsRouter(secret string) (*gin.Engine, error) {
	store := cookie.NewStore(sessionKeys(secret))
	store.Options(sessions.Options{Path: "/", MaxAge: 30 * 86400, HttpOnly: true})
	r := gin.New()
	r.Use(gin.Recovery(), sessions.Sessions("session", store))
	r.GET("/api/protected", func(c *gin.Context) {
		s := sessions.Default(c)
		sub, ok := s.Get("sub").(string)
		if !ok {
			c.JSON(http.StatusUnauthorized, notAuthorized)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "Authorized", "user": gin.H{"name": s.Get("name"), "email": s.Get("email"), "image": s.Get("picture"), "id": sub}})
	})
	return r, nil
}

// ginauthRouter serves the route with ginauth's RequireAuth in the given
// dialect, reading the claims as the gin-jwt route does (ginauth.Token,
// Auth.js's getToken), the Auth.js endpoints mounted beside it as an
// application would, with one credentials provider that accepts nobody
// (the tokens are made with the shared secret).
func ginauthRouter(secret string, mode ginauth.Mode, addr string) (*gin.Engine, error) {
	auth, err := ginauth.New(ginauth.Config{
		Secret: secret,
		URL:    "http://" + addr,
		Mode:   mode,
		Providers: []providers.Provider{providers.Credentials{
			Authorize: func(context.Context, map[string]string, *authjs.Request) (*authjs.User, error) { return nil, nil },
		}},
	})
	if err != nil {
		return nil, err
	}
	r := gin.New()
	r.Use(gin.Recovery())
	auth.Mount(r)
	r.GET("/api/protected", auth.RequireAuth(ginauth.WithUnauthorized(http.StatusUnauthorized, notAuthorized)), func(c *gin.Context) {
		cl, _ := ginauth.Token(c)
		c.JSON(http.StatusOK, gin.H{"status": "Authorized", "user": gin.H{"name": cl["name"], "email": cl["email"], "image": cl["picture"], "id": cl["sub"]}})
	})
	return r, nil
}

// routers builds the Go servers by their serve name.
var routers = map[string]func(secret, addr string) (*gin.Engine, error){
	"gin-jwt":  func(secret, _ string) (*gin.Engine, error) { return ginJWTRouter(secret) },
	"sessions": func(secret, _ string) (*gin.Engine, error) { return sessionsRouter(secret) },
	"ginauth-v5": func(secret, addr string) (*gin.Engine, error) {
		return ginauthRouter(secret, ginauth.ModeV5, addr)
	},
	"ginauth-v4": func(secret, addr string) (*gin.Engine, error) {
		return ginauthRouter(secret, ginauth.ModeV4, addr)
	},
}

// serve runs the named Go server on addr with the timeouts a production
// server has.
func serve(name, addr, secret string) error {
	mk, ok := routers[name]
	if !ok {
		return fmt.Errorf("unknown server %q", name)
	}
	r, err := mk(secret, addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: r, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	return srv.ListenAndServe()
}
