package ginauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/sqlite"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// dbBenchUsers is how many distinct users (each with a session of its own)
// the database benchmarks rotate through, so that no cache of one session
// flatters the numbers.
const dbBenchUsers = 2000

// benchStores opens each store the database benchmarks run on: SQLite in a
// temporary file always, PostgreSQL and Redis when their test servers are
// configured.
func benchStores(b *testing.B) map[string]authjs.Adapter {
	stores := map[string]authjs.Adapter{}
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "auth.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	stores["sqlite"] = s
	for _, kind := range storeKinds {
		rawURL := os.Getenv(kind.env)
		if rawURL == "" {
			continue
		}
		ns := "ginauth_bench_" + randomSuffix()
		store, closeStore, err := kind.open(b.Context(), rawURL, ns)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { closeStore(); kind.drop(b, rawURL, ns) })
		stores[kind.name] = store
	}
	return stores
}

// benchSessions stores dbBenchUsers users, each with a database session, and
// returns the session tokens.
func benchSessions(b *testing.B, store authjs.Adapter) []string {
	ctx := context.Background()
	tokens := make([]string, dbBenchUsers)
	for i := range tokens {
		u, err := store.CreateUser(ctx, authjs.User{Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@example.com", i)})
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		if err := store.CreateSession(ctx, authjs.DatabaseSession{SessionToken: tokens[i], UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	return tokens
}

// BenchmarkRequireAuthDatabase serves a route behind RequireAuth with
// database sessions of many distinct users, one store round trip per
// request, from parallel clients (b.RunParallel), on each store.
func BenchmarkRequireAuthDatabase(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	for name, store := range benchStores(b) {
		// Set up once: b.Run calls its function again for each b.N.
		tokens := benchSessions(b, store)
		auth, err := ginauth.New(ginauth.Config{
			Secret: testSecret, URL: "http://localhost:8080", Adapter: store,
			Providers: []providers.Provider{providers.Credentials{Authorize: authorize}},
		})
		if err != nil {
			b.Fatal(err)
		}
		r := gin.New()
		r.GET("/protected", auth.RequireAuth(), func(c *gin.Context) {
			s, _ := ginauth.Session(c)
			c.String(http.StatusOK, s.User.Name)
		})
		b.Run(name, func(b *testing.B) {
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := &discard{header: http.Header{}}
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, "/protected", nil)
					req.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: tokens[next.Add(1)%dbBenchUsers]})
					w.status = 0
					r.ServeHTTP(w, req)
					if w.status != http.StatusOK {
						b.Errorf("status %d", w.status)
						return
					}
				}
			})
		})
	}
}
