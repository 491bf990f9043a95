package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/ginauth/ginauth/adapters/postgres"
	"github.com/ginauth/ginauth/authjs"
)

// benchStore returns a store holding a user with every field set and one
// session of that user, and the session's token.
func benchStore(b *testing.B) (*postgres.Store, string) {
	admin := adminPool(b)
	s := openStore(b, freshSchema(b, admin))
	ctx := context.Background()
	verified := time.Now()
	u, err := s.CreateUser(ctx, authjs.User{Name: "Bench", Email: "bench@example.com", Image: "https://example.com/bench.png", EmailVerified: &verified})
	if err != nil {
		b.Fatal(err)
	}
	const token = "6f2c1d0e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"
	if err := s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: token, UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	return s, token
}

// BenchmarkGetSessionAndUser measures the lookup ginauth makes on every
// request with a database session: one query, one round trip to a
// PostgreSQL on the loopback interface.
func BenchmarkGetSessionAndUser(b *testing.B) {
	s, token := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.GetSessionAndUser(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetSessionAndUserParallel is BenchmarkGetSessionAndUser from
// GOMAXPROCS goroutines sharing the store's pool.
func BenchmarkGetSessionAndUserParallel(b *testing.B) {
	s, token := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := s.GetSessionAndUser(ctx, token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
