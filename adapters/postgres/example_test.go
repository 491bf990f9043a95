package postgres_test

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ginauth/ginauth/adapters/postgres"
	"github.com/ginauth/ginauth/authjs"
)

// Open connects, creates the tables an Auth.js application would have
// (or keeps the ones it made) and returns the store.
func ExampleOpen() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.Options{QueryTimeout: 2 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	u, err := store.GetUserByEmail(ctx, "ada@example.com")
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		log.Print("no such user")
	case err != nil:
		log.Fatal(err) // the database failed
	default:
		log.Printf("user %s", u.ID)
	}
}

// New shares a pool the application made; Migrate creates the tables.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := postgres.New(pool, postgres.Options{Schema: "auth"})
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
}
