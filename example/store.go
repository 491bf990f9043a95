package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ginauth/ginauth/adapters/postgres"
	"github.com/ginauth/ginauth/adapters/redis"
	"github.com/ginauth/ginauth/adapters/sqlite"
	"github.com/ginauth/ginauth/authjs"
)

// store is the example's store of users, accounts and sessions.
type store struct {
	Adapter authjs.Adapter // the store itself, with all the interfaces it implements
	Name    string         // what it is, for the log
	close   func()
}

// Close closes the store's connections.
func (s *store) Close() { s.close() }

// openStore opens the store the environment names: PostgreSQL at
// DATABASE_URL, else Redis at REDIS_URL, else a SQLite database in
// dataDir, which it creates. Each store creates or migrates its schema.
func openStore(ctx context.Context, getenv func(string) string, dataDir string) (*store, error) {
	if url := getenv("DATABASE_URL"); url != "" {
		s, err := postgres.Open(ctx, url, postgres.Options{})
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return &store{Adapter: s, Name: "postgres", close: func() { s.Close() }}, nil
	}
	if url := getenv("REDIS_URL"); url != "" {
		s, err := redis.Open(url, redis.Options{})
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		return &store{Adapter: s, Name: "redis", close: func() { s.Close() }}, nil
	}
	// The database holds sessions and account tokens: only this user may
	// read the directory.
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dataDir, "ginauth.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("SQLite database %s: %w", path, err)
	}
	return &store{Adapter: s, Name: "sqlite " + path, close: func() { s.Close() }}, nil
}
