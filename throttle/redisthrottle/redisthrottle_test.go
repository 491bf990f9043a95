package redisthrottle_test

import (
	"context"
	"crypto/rand"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ginauth/ginauth/throttle"
	"github.com/ginauth/ginauth/throttle/redisthrottle"
)

// client connects to GINAUTH_TEST_REDIS_URL, or skips (fails under
// GINAUTH_REQUIRE_SERVICES=1, as scripts/test runs).
func client(t *testing.T) *goredis.Client {
	t.Helper()
	u := os.Getenv("GINAUTH_TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("GINAUTH_REQUIRE_SERVICES") == "1" {
			t.Fatal("GINAUTH_TEST_REDIS_URL is not set and GINAUTH_REQUIRE_SERVICES=1")
		}
		t.Skip("GINAUTH_TEST_REDIS_URL is not set (scripts/test starts a Redis)")
	}
	o, err := goredis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSharedLimit: two limiters (as two processes would hold) on one
// Redis share one budget per key, exactly, under concurrency.
func TestSharedLimit(t *testing.T) {
	c1, c2 := client(t), client(t)
	prefix := "ginauth-test:" + rand.Text() + ":"
	limit := throttle.Limit{Every: time.Hour, Burst: 10}
	a, err := redisthrottle.New(c1, limit, redisthrottle.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	b, err := redisthrottle.New(c2, limit, redisthrottle.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			d, err := l.Allow(context.Background(), "alice")
			if err != nil {
				t.Error(err)
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Errorf("%d of 40 events allowed across two limiters, want 10", n)
	}
	d, err := b.Allow(context.Background(), "alice")
	if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > time.Hour {
		t.Errorf("over the limit: %+v, %v", d, err)
	}
	if d, _ := a.Allow(context.Background(), "bob"); !d.Allowed {
		t.Error("another key was refused")
	}
}

func TestRefill(t *testing.T) {
	l, err := redisthrottle.New(client(t), throttle.Limit{Every: 200 * time.Millisecond, Burst: 1}, redisthrottle.Options{Prefix: "ginauth-test:" + rand.Text() + ":"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if d, _ := l.Allow(ctx, "k"); !d.Allowed {
		t.Fatal("first event refused")
	}
	d, _ := l.Allow(ctx, "k")
	if d.Allowed {
		t.Fatal("second event allowed at once")
	}
	time.Sleep(d.RetryAfter + 50*time.Millisecond)
	if d, _ := l.Allow(ctx, "k"); !d.Allowed {
		t.Error("refused after waiting RetryAfter")
	}
}

func TestErrors(t *testing.T) {
	if _, err := redisthrottle.New(nil, throttle.Limit{Every: time.Second, Burst: 1}, redisthrottle.Options{}); err == nil {
		t.Error("New without a client succeeded")
	}
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer c.Close()
	if _, err := redisthrottle.New(c, throttle.Limit{}, redisthrottle.Options{}); err != throttle.ErrInvalidLimit {
		t.Errorf("New with an invalid limit: %v", err)
	}
	l, err := redisthrottle.New(c, throttle.Limit{Every: time.Second, Burst: 1}, redisthrottle.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Allow(context.Background(), "k"); err == nil {
		t.Error("Allow on an unreachable Redis succeeded")
	}
}
