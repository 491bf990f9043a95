package main

import (
	"crypto/sha256"
	"net/http"
	"time"

	jwt "github.com/appleboy/gin-jwt/v2"
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/gorilla/securecookie"
)

// The Go peers: the same protected route, GET /api/protected, answering
// 200 {"status":"Authorized","user":{...}} with a valid credential and
// 401 without, behind gin-jwt's middleware and behind gin-contrib/sessions'
// cookie store.

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
			c.JSON(code, gin.H{"status": "Not authorized"})
		},
	})
}

func serveGinJWT(addr, secret string) error {
	mw, err := ginJWT(secret)
	if err != nil {
		return err
	}
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/api/protected", mw.MiddlewareFunc(), func(c *gin.Context) {
		cl := jwt.ExtractClaims(c)
		c.JSON(http.StatusOK, gin.H{"status": "Authorized", "user": gin.H{"name": cl["name"], "email": cl["email"], "image": cl["picture"], "id": cl["sub"]}})
	})
	return http.ListenAndServe(addr, r)
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

func serveSessions(addr, secret string) error {
	store := cookie.NewStore(sessionKeys(secret))
	store.Options(sessions.Options{Path: "/", MaxAge: 30 * 86400, HttpOnly: true})
	r := gin.New()
	r.Use(gin.Recovery(), sessions.Sessions("session", store))
	r.GET("/api/protected", func(c *gin.Context) {
		s := sessions.Default(c)
		sub, ok := s.Get("sub").(string)
		if !ok {
			c.JSON(http.StatusUnauthorized, gin.H{"status": "Not authorized"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "Authorized", "user": gin.H{"name": s.Get("name"), "email": s.Get("email"), "image": s.Get("picture"), "id": sub}})
	})
	return http.ListenAndServe(addr, r)
}
