package ginauth_test

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/webauthntest"
	"github.com/ginauth/ginauth/throttle"
)

// challengeCountingStore counts the verification tokens (stored challenges) it is
// asked to create.
type challengeCountingStore struct {
	*memory.Store
	created atomic.Int64
}

func (s *challengeCountingStore) CreateVerificationToken(ctx context.Context, vt authjs.VerificationToken) error {
	s.created.Add(1)
	return s.Store.CreateVerificationToken(ctx, vt)
}

// manyCeremonies is a limiter for tests that start more passkey
// ceremonies from one address than the default limit lets through.
func manyCeremonies(t *testing.T) throttle.Limiter {
	l, err := throttle.NewMemory(throttle.Limit{Every: time.Millisecond, Burst: 1 << 20}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestPasskeyOptionsThrottle: one client starts only so many passkey
// ceremonies; past the limit the options endpoint answers 429 with
// Retry-After, stores no challenge and sets no challenge cookie, and the
// ceremonies it allowed still complete.
func TestPasskeyOptionsThrottle(t *testing.T) {
	if ginauth.DefaultPasskeyOptionsPerClient.Burst <= 0 || ginauth.DefaultPasskeyOptionsPerClient.Every <= 0 {
		t.Fatalf("the default limit %+v bounds nothing", ginauth.DefaultPasskeyOptionsPerClient)
	}
	limiter, err := throttle.NewMemory(throttle.Limit{Every: time.Hour, Burst: 2}, 0)
	if err != nil {
		t.Fatal(err)
	}
	store := &challengeCountingStore{Store: memory.New()}
	p := newPasskeyApp(t, store, func(c *ginauth.Config) { c.Throttle.PasskeyOptionsPerClient = limiter })
	q := url.Values{"email": {"ann@example.com"}}
	var last response
	for i := range 2 {
		if last = p.options(q); last.status != http.StatusOK {
			t.Fatalf("ceremony %d: %d %s", i+1, last.status, last.body)
		}
	}
	if n := store.created.Load(); n != 2 {
		t.Fatalf("%d challenges stored for 2 ceremonies", n)
	}
	r := p.options(q)
	if r.status != http.StatusTooManyRequests || r.body != `{"error":"Too many requests"}` {
		t.Fatalf("third ceremony: %d %s", r.status, r.body)
	}
	if got := r.header.Get("Retry-After"); got == "" || got == "0" {
		t.Errorf("Retry-After %q", got)
	}
	for _, c := range r.header.Values("Set-Cookie") {
		if len(c) > 0 {
			if ck, err := http.ParseSetCookie(c); err == nil && ck.Name == "authjs.challenge" {
				t.Errorf("a refused ceremony set the challenge cookie: %s", c)
			}
		}
	}
	if n := store.created.Load(); n != 2 {
		t.Errorf("a refused ceremony stored a challenge (%d stored)", n)
	}
	// The browser still holds the second ceremony's challenge: it
	// completes.
	action, opts := p.ceremony(last)
	if action != "register" {
		t.Fatalf("action %q", action)
	}
	data, _, err := p.key.Register(opts, p.origin, webauthntest.Tamper{})
	if err != nil {
		t.Fatal(err)
	}
	wantURL(t, p.callback("register", data, "email", "ann@example.com"), p.origin+"/account")
}
