package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sort"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ginauth/ginauth/adapters/redis"
)

// redisURL returns GINAUTH_TEST_REDIS_URL, or skips the test when it is not
// set, unless GINAUTH_REQUIRE_SERVICES=1 makes that a failure (scripts/test
// and CI set both).
func redisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("GINAUTH_TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("GINAUTH_REQUIRE_SERVICES") == "1" {
			t.Fatal("GINAUTH_TEST_REDIS_URL is not set and GINAUTH_REQUIRE_SERVICES=1")
		}
		t.Skip("GINAUTH_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0); set GINAUTH_REQUIRE_SERVICES=1 to fail instead")
	}
	return u
}

// newClient connects to the test server.
func newClient(t testing.TB) *goredis.Client {
	t.Helper()
	o, err := goredis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatalf("GINAUTH_TEST_REDIS_URL: %v", err)
	}
	c := goredis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at GINAUTH_TEST_REDIS_URL: %v", err)
	}
	return c
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testStore is a Store whose keys all start with prefix (a Redis key
// prefix of its own), deleted when the test ends.
type testStore struct {
	*redis.Store
	c      *goredis.Client
	prefix string // every key of the store starts with it
	opts   redis.Options
}

// newStore returns a store on the test server with a BaseKeyPrefix of its
// own, after opts.Base.
func newStore(t testing.TB, opts redis.Options) *testStore {
	t.Helper()
	c := newClient(t)
	opts.BaseKeyPrefix = "gt-" + randomHex(6) + ":" + opts.BaseKeyPrefix
	s, err := redis.New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testStore{Store: s, c: c, prefix: redis.DriverBase(opts.Base) + redis.NormalizeKey(opts.BaseKeyPrefix) + ":", opts: opts}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, k := range ts.keys(t) {
			_ = c.Del(ctx, k).Err()
		}
	})
	return ts
}

// keys returns the store's keys, sorted.
func (ts *testStore) keys(t testing.TB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	iter := ts.c.Scan(ctx, 0, ts.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// get returns a string key's value, or "" when it does not exist.
func (ts *testStore) get(t testing.TB, key string) string {
	t.Helper()
	v, err := ts.c.Get(context.Background(), key).Result()
	if err == goredis.Nil {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// pttl returns a key's time to live (-1: none, -2: no key).
func (ts *testStore) pttl(t testing.TB, key string) time.Duration {
	t.Helper()
	d, err := ts.c.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// k returns the Redis key of a store key (unstorage key after
// BaseKeyPrefix).
func (ts *testStore) k(rest string) string { return ts.prefix + rest }

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }
