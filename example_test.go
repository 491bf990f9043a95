package ginauth_test

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// checkPassword is a stand-in for a lookup in a user table; real code
// compares bcrypt or argon2 hashes.
func checkPassword(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
	if c["username"] == "alice" && subtle.ConstantTimeCompare([]byte(c["password"]), []byte("wonderland")) == 1 {
		return &authjs.User{ID: "1", Name: "Alice", Email: "alice@example.com"}, nil
	}
	return nil, nil // wrong credentials: the client sees error=CredentialsSignin
}

// signIn performs a credentials sign-in against h and returns the session
// cookie, as a browser posting the sign-in form would.
func signIn(h http.Handler) *http.Cookie {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/auth/csrf", nil))
	csrf := w.Result().Cookies()[0]
	token, _, _ := strings.Cut(csrf.Value, "%7C")
	form := url.Values{"username": {"alice"}, "password": {"wonderland"}, "csrfToken": {token}}
	req := httptest.NewRequest(http.MethodPost, "/api/auth/callback/credentials", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrf)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.Name == "authjs.session-token" {
			return c
		}
	}
	return nil
}

func get(h http.Handler, path string, cookie *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// New configures ginauth with a credentials provider and mounts the Auth.js
// endpoints on a Gin engine.
func ExampleNew() {
	auth, err := ginauth.New(ginauth.Config{
		Secret: "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:    "http://localhost:8080",
		Providers: []providers.Provider{
			providers.Credentials{Authorize: checkPassword},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)

	w := get(r, "/api/auth/providers", nil)
	fmt.Println(w.Code, w.Body.String())

	_, err = ginauth.New(ginauth.Config{Secret: "too short", URL: "http://localhost:8080"})
	fmt.Println(errors.Is(err, ginauth.ErrShortSecret))
	// Output:
	// 200 {"credentials":{"id":"credentials","name":"Credentials","type":"credentials","signinUrl":"http://localhost:8080/api/auth/signin/credentials","callbackUrl":"http://localhost:8080/api/auth/callback/credentials"}}
	// true
}

// Session reads the signed-in user inside any handler, straight from the
// request.
func ExampleSession() {
	auth, _ := ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "http://localhost:8080",
		Providers: []providers.Provider{providers.Credentials{Authorize: checkPassword}},
	})
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/hello", func(c *gin.Context) {
		s, ok := ginauth.Session(c)
		if !ok {
			c.String(http.StatusOK, "Hello, stranger")
			return
		}
		c.String(http.StatusOK, "Hello, %s <%s>", s.User.Name, s.User.Email)
	})

	fmt.Println(get(r, "/hello", nil).Body.String())
	fmt.Println(get(r, "/hello", signIn(r)).Body.String())
	// Output:
	// Hello, stranger
	// Hello, Alice <alice@example.com>
}

// RequireAuth protects an API group with a JSON 401, a page with a redirect
// to the sign-in page, and an admin area with a role check.
func ExampleAuth_RequireAuth() {
	auth, _ := ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "http://localhost:8080",
		Providers: []providers.Provider{providers.Credentials{Authorize: checkPassword}},
	})
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	api := r.Group("/api", auth.RequireAuth())
	api.GET("/me", func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		c.JSON(http.StatusOK, gin.H{"name": s.User.Name})
	})
	r.GET("/account", auth.RequireAuth(ginauth.RedirectToSignIn()), func(c *gin.Context) {
		c.String(http.StatusOK, "your account")
	})
	r.GET("/admin", auth.RequireAuth(ginauth.WithRoles("admin")), func(c *gin.Context) {
		c.String(http.StatusOK, "admin area")
	})

	w := get(r, "/api/me", nil)
	fmt.Println(w.Code, w.Body.String())
	w = get(r, "/account", nil)
	fmt.Println(w.Code, w.Header().Get("Location"))

	session := signIn(r)
	w = get(r, "/api/me", session)
	fmt.Println(w.Code, w.Body.String())
	w = get(r, "/admin", session) // the token has no "role" claim
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 401 {"message":"Unauthorized"}
	// 302 http://localhost:8080/api/auth/signin?callbackUrl=http%3A%2F%2Flocalhost%3A8080%2Faccount
	// 200 {"name":"Alice"}
	// 403 {"message":"Forbidden"}
}

// Token returns the raw claims, as Auth.js's getToken does.
func ExampleToken() {
	auth, _ := ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "http://localhost:8080",
		Providers: []providers.Provider{providers.Credentials{Authorize: checkPassword}},
	})
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/claims", func(c *gin.Context) {
		tok, ok := ginauth.Token(c)
		if !ok {
			c.Status(http.StatusUnauthorized)
			return
		}
		_, hasExp := tok.Expires()
		c.String(http.StatusOK, "sub=%s email=%s exp=%v", tok.Subject(), tok.Email(), hasExp)
	})
	fmt.Println(get(r, "/claims", signIn(r)).Body.String())
	// Output: sub=1 email=alice@example.com exp=true
}

// Mount serves the endpoints from a group, whose middleware then runs
// before them; Middleware, attached on its own, makes the session readable
// by the application's routes.
func ExampleAuth_Mount() {
	auth, _ := ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "http://localhost:8080",
		Providers: []providers.Provider{providers.Credentials{Authorize: checkPassword}},
	})
	r := gin.New()
	r.Use(auth.Middleware())
	api := r.Group("/api", func(c *gin.Context) {
		c.Header("X-API", "v1") // applies to the endpoints under /api/auth too
	})
	auth.Mount(api) // the default base path is /api/auth
	api.GET("/me", auth.RequireAuth(), func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		c.String(http.StatusOK, s.User.Name)
	})

	w := get(r, "/api/auth/csrf", nil)
	fmt.Println(w.Code, w.Header().Get("X-API"))
	fmt.Println(get(r, "/api/me", signIn(r)).Body.String())
	// Output:
	// 200 v1
	// Alice
}

// Handlers routes the endpoints one by one, here with a limit on
// credentials sign-ins that the other endpoints do not pay for.
func ExampleAuth_Handlers() {
	auth, _ := ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "http://localhost:8080",
		Providers: []providers.Provider{providers.Credentials{Authorize: checkPassword}},
	})
	attempts := 0
	limit := func(c *gin.Context) {
		if attempts++; attempts > 1 {
			c.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"message": "Try again later"})
		}
	}
	e := auth.Handlers()
	r := gin.New()
	g := r.Group("/api/auth")
	g.GET("/csrf", e.CSRF)
	g.GET("/providers", e.Providers)
	g.POST("/callback/:provider", limit, e.Callback)

	fmt.Println(signIn(r) != nil) // the first sign-in passes the limit
	fmt.Println(signIn(r) != nil) // the second does not
	fmt.Println(get(r, "/api/auth/providers", nil).Code)
	// Output:
	// true
	// false
	// 200
}

// SessionToken forwards the caller's session to another service that
// shares the secret.
func ExampleSessionToken() {
	auth, _ := ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "http://localhost:8080",
		Providers: []providers.Provider{providers.Credentials{Authorize: checkPassword}},
	})
	// The other service only reads sessions: no URL, no endpoints.
	orders, _ := ginauth.New(ginauth.Config{Secret: "a-secret-of-at-least-32-bytes-from-AUTH_SECRET"})
	svc := gin.New()
	svc.GET("/orders", orders.RequireAuth(), func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		c.String(http.StatusOK, "orders of %s", s.User.Email)
	})

	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/my-orders", func(c *gin.Context) {
		token, ok := ginauth.SessionToken(c)
		if !ok {
			c.Status(http.StatusUnauthorized)
			return
		}
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		svc.ServeHTTP(w, req) // in production: an HTTP call to the service
		c.String(w.Code, w.Body.String())
	})
	fmt.Println(get(r, "/my-orders", signIn(r)).Body.String())
	// Output: orders of alice@example.com
}
