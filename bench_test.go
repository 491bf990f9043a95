package ginauth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
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

func serve(b *testing.B, r *gin.Engine, path string, cookie *http.Cookie, want int) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	// A realistic browser also sends the CSRF and callback-url cookies.
	req.Header.Add("Cookie", "authjs.callback-url=http%3A%2F%2Flocalhost%3A8080; authjs.csrf-token=abc%7Cdef")
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
	serve(b, r, "/api/auth/session", c, http.StatusOK)
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
