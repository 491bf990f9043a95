package ginauth_test

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/csrf"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/providers"
)

// benchSetup returns an engine with a bare route, the same route behind
// RequireAuth, and a valid v5 session cookie.
func benchSetup(b *testing.B, cacheSize int) (*gin.Engine, *http.Cookie) {
	b.Helper()
	auth, err := ginauth.New(ginauth.Config{
		Secret:         testSecret,
		URL:            "http://localhost:8080",
		TokenCacheSize: cacheSize,
		Providers:      []providers.Provider{providers.Credentials{Authorize: authorize}},
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	r := gin.New()
	r.GET("/bare", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/protected", auth.RequireAuth(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/session", auth.RequireAuth(), func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		if s.User.Name == "" {
			b.Fatal("no name")
		}
		c.Status(http.StatusNoContent)
	})

	// Sign in once through the endpoint to get a real cookie.
	c := signIn(r)
	if c == nil {
		b.Fatal("no session cookie")
	}
	return r, c
}

// otherCookies are what a browser that has used the endpoints also sends:
// the callback-url cookie and a valid CSRF cookie (the one GET
// /api/auth/csrf or any endpoint sets on the first visit).
var otherCookies = "authjs.callback-url=http%3A%2F%2Flocalhost%3A8080; authjs.csrf-token=" + url.QueryEscape(csrfCookie())

// csrfCookie returns a valid CSRF cookie value for testSecret.
func csrfCookie() string {
	_, cookie := csrf.New(testSecret)
	return cookie
}

func serve(b *testing.B, r *gin.Engine, path string, cookie *http.Cookie, want int) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	req.Header.Add("Cookie", otherCookies)
	w := &discard{header: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.status = 0
		r.ServeHTTP(w, req)
		if w.status != want {
			b.Fatalf("status %d, want %d", w.status, want)
		}
	}
}

// serveMany sends a different Cookie header on every request, cycling
// through lines.
func serveMany(b *testing.B, r *gin.Engine, path string, lines [][]string, want int) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	w := &discard{header: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		req.Header["Cookie"] = lines[i]
		if i++; i == len(lines) {
			i = 0
		}
		w.status = 0
		r.ServeHTTP(w, req)
		if w.status != want {
			b.Fatalf("status %d, want %d", w.status, want)
		}
	}
}

// manyUsers is how many distinct session tokens the "many users"
// benchmarks rotate through: twenty times the default cache size, so that
// nearly every request misses the verified-token cache.
const manyUsers = 200_000

var (
	usersOnce  sync.Once
	userLines  [][]string
	garbageSet [][]string
)

// benchUsers returns Cookie headers carrying manyUsers distinct valid v5
// session tokens, made once per process.
func benchUsers(b *testing.B) [][]string {
	usersOnce.Do(func() {
		codec, err := jwe.New(jwe.Options{Format: jwe.V5, Secrets: []string{testSecret}, Salt: "authjs.session-token"})
		if err != nil {
			b.Fatal(err)
		}
		userLines = make([][]string, manyUsers)
		for i := range userLines {
			id := strconv.Itoa(i)
			tok, err := codec.Encode(authjs.Claims{
				"name": "User " + id, "email": "user" + id + "@example.com",
				"picture": "https://img.example.com/" + id + ".png", "sub": id,
			}, 30*24*time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			userLines[i] = []string{"authjs.session-token=" + tok + "; " + otherCookies}
		}
	})
	return userLines
}

// benchGarbage returns Cookie headers carrying distinct forged tokens: a
// v5 header and random IV, ciphertext and tag of a real token's sizes.
func benchGarbage(b *testing.B) [][]string {
	if garbageSet != nil {
		return garbageSet
	}
	real := strings.Split(strings.TrimPrefix(strings.SplitN(benchUsers(b)[0][0], ";", 2)[0], "authjs.session-token="), ".")
	rnd := func(n int) string {
		p := make([]byte, base64.RawURLEncoding.DecodedLen(n))
		_, _ = rand.Read(p)
		return base64.RawURLEncoding.EncodeToString(p)
	}
	garbageSet = make([][]string, 4096)
	for i := range garbageSet {
		tok := real[0] + ".." + rnd(len(real[2])) + "." + rnd(len(real[3])) + "." + rnd(len(real[4]))
		garbageSet[i] = []string{"authjs.session-token=" + tok + "; " + otherCookies}
	}
	return garbageSet
}

// BenchmarkBareRoute is the baseline: a Gin route without ginauth.
func BenchmarkBareRoute(b *testing.B) {
	r, _ := benchSetup(b, 0)
	serve(b, r, "/bare", nil, http.StatusNoContent)
}

// BenchmarkRequireAuth is the same route behind RequireAuth with a valid v5
// session (verified-token cache on, the default).
func BenchmarkRequireAuth(b *testing.B) {
	r, c := benchSetup(b, 0)
	serve(b, r, "/protected", c, http.StatusNoContent)
}

// BenchmarkRequireAuthNoCache decrypts the token on every request.
func BenchmarkRequireAuthNoCache(b *testing.B) {
	r, c := benchSetup(b, -1)
	serve(b, r, "/protected", c, http.StatusNoContent)
}

// BenchmarkRequireAuthManyUsers sends a different valid token on every
// request, out of manyUsers: nearly every request misses the cache, which
// is on (the default size).
func BenchmarkRequireAuthManyUsers(b *testing.B) {
	lines := benchUsers(b)
	r, _ := benchSetup(b, 0)
	serveMany(b, r, "/protected", lines, http.StatusNoContent)
}

// BenchmarkRequireAuthGarbage is a flood of distinct forged tokens, each
// refused with 401.
func BenchmarkRequireAuthGarbage(b *testing.B) {
	lines := benchGarbage(b)
	r, _ := benchSetup(b, 0)
	serveMany(b, r, "/protected", lines, http.StatusUnauthorized)
}

// BenchmarkRequireAuthSession also builds the session with ginauth.Session.
func BenchmarkRequireAuthSession(b *testing.B) {
	r, c := benchSetup(b, 0)
	serve(b, r, "/session", c, http.StatusNoContent)
}

// BenchmarkRequireAuthRejected answers 401 without a session.
func BenchmarkRequireAuthRejected(b *testing.B) {
	r, _ := benchSetup(b, 0)
	serve(b, r, "/protected", nil, http.StatusUnauthorized)
}

// BenchmarkSessionEndpoint is GET /api/auth/session with a valid session:
// decode, re-encode (rolling expiry) and JSON.
func BenchmarkSessionEndpoint(b *testing.B) {
	r, c := benchSetup(b, 0)
	req := httptest.NewRequest(http.MethodGet, "/api/auth/session", nil)
	req.AddCookie(c)
	req.Header.Add("Cookie", otherCookies)
	if n := countSetCookies(r, req); n != 1 {
		b.Fatalf("%d cookies set, want only the session's", n)
	}
	serve(b, r, "/api/auth/session", c, http.StatusOK)
}

// BenchmarkSessionEndpointFirstVisit is GET /api/auth/session from a
// browser that sends only its session cookie: the answer also sets a new
// CSRF cookie and the callback-url cookie.
func BenchmarkSessionEndpointFirstVisit(b *testing.B) {
	r, c := benchSetup(b, 0)
	req := httptest.NewRequest(http.MethodGet, "/api/auth/session", nil)
	req.AddCookie(c)
	if n := countSetCookies(r, req); n != 3 {
		b.Fatalf("%d cookies set, want the session's, a CSRF and a callback-url cookie", n)
	}
	w := &discard{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.status = 0
		r.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// countSetCookies returns how many cookies the answer to req sets.
func countSetCookies(h http.Handler, req *http.Request) int {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return len(w.Result().Cookies())
}

// BenchmarkSessionEndpointManyUsers is GET /api/auth/session with a
// different valid token on every request.
func BenchmarkSessionEndpointManyUsers(b *testing.B) {
	lines := benchUsers(b)
	r, _ := benchSetup(b, 0)
	serveMany(b, r, "/api/auth/session", lines, http.StatusOK)
}

// BenchmarkSignIn is a credentials sign-in: POST
// /api/auth/callback/credentials with the CSRF token, answered with a
// redirect that sets the session cookie.
func BenchmarkSignIn(b *testing.B) {
	r, _ := benchSetup(b, 0)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/auth/csrf", nil))
	csrf := w.Result().Cookies()[0]
	token, _, _ := strings.Cut(csrf.Value, "%7C")
	form := url.Values{"username": {"alice"}, "password": {"wonderland"}, "csrfToken": {token}}.Encode()
	req := httptest.NewRequest(http.MethodPost, "/api/auth/callback/credentials", nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrf)
	req.Header.Add("Cookie", "authjs.callback-url=http%3A%2F%2Flocalhost%3A8080")
	body := strings.NewReader(form)
	d := &discard{header: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		body.Reset(form)
		req.Body = io.NopCloser(body)
		req.ContentLength = int64(len(form))
		d.status = 0
		r.ServeHTTP(d, req)
		if d.status != http.StatusFound {
			b.Fatalf("status %d, want 302", d.status)
		}
	}
}

// discard is a ResponseWriter that keeps nothing but the status.
type discard struct {
	header http.Header
	status int
}

func (d *discard) Header() http.Header {
	clear(d.header)
	return d.header
}
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(s int)           { d.status = s }
