package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ginauth/ginauth/adapters/postgres"
)

// seedDatabase empties the Auth.js tables of the PostgreSQL database at
// url (creating them first, as ginauth's store does) and writes n users
// with one database session each, expiring in 30 days; it returns the
// sessions' tokens, user i's at index i. Both the ginauth example and
// @auth/express on @auth/pg-adapter read these rows.
func seedDatabase(ctx context.Context, url string, n int) ([]string, error) {
	store, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		return nil, err
	}
	store.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `TRUNCATE users, accounts, sessions, verification_token RESTART IDENTITY CASCADE`); err != nil {
		return nil, err
	}
	users := make([][]any, n)
	for i := range n {
		u := user(i)
		users[i] = []any{i + 1, u["name"], u["email"], u["picture"]}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id", "name", "email", "image"}, pgx.CopyFromRows(users)); err != nil {
		return nil, fmt.Errorf("copy users: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT setval(pg_get_serial_sequence('users', 'id'), $1)`, n); err != nil {
		return nil, err
	}
	tokens := make([]string, n)
	sessions := make([][]any, n)
	expires := time.Now().Add(30 * 24 * time.Hour)
	for i := range n {
		tokens[i] = rand.Text()
		sessions[i] = []any{i + 1, expires, tokens[i]}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"sessions"}, []string{"userId", "expires", "sessionToken"}, pgx.CopyFromRows(sessions)); err != nil {
		return nil, fmt.Errorf("copy sessions: %w", err)
	}
	if _, err := conn.Exec(ctx, `ANALYZE users; ANALYZE sessions`); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "seeded %s users with database sessions\n", strconv.Itoa(n))
	return tokens, nil
}

// databaseKind is the token kind of database sessions: the session
// cookie holds a row's random token; a forged one names no row.
func databaseKind(tokens []string) tokenKind {
	return tokenKind{
		cookie: "authjs.session-token",
		make:   func(i int) (string, error) { return tokens[i], nil },
		garbage: func() string {
			return rand.Text()
		},
	}
}
