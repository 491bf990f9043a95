// Package throttle limits how often something may happen per key (a client
// address, an email address, a login name): ginauth uses it to bound the
// sign-in links it sends and the passwords it checks.
//
// A Limiter answers one question, Allow, and a Memory limiter answers it
// for one process with a token bucket per key (golang.org/x/time/rate).
// Applications running several instances behind a load balancer share
// limits by giving every instance a Limiter backed by a shared store.
package throttle

import (
	"context"
	"errors"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// A Limiter decides whether one more event for a key may happen now.
type Limiter interface {
	// Allow takes one event for key and reports whether it may happen;
	// when it may not, RetryAfter says when it may. An error is a failure
	// of the limiter's store; callers decide whether to fail open or
	// closed.
	Allow(ctx context.Context, key string) (Decision, error)
}

// Decision is a Limiter's answer.
type Decision struct {
	// Allowed reports that the event may happen.
	Allowed bool
	// RetryAfter is how long to wait before the next event is allowed
	// (zero when Allowed).
	RetryAfter time.Duration
}

// Limit is a token bucket: Burst events at once, then one every Every.
type Limit struct {
	// Every is the time it takes to earn one more event.
	Every time.Duration
	// Burst is how many events may happen at once.
	Burst int
}

// Valid reports whether l is a usable limit.
func (l Limit) Valid() bool { return l.Every > 0 && l.Burst > 0 }

// ErrInvalidLimit reports a Limit with a zero or negative field.
var ErrInvalidLimit = errors.New("throttle: a limit needs a positive Every and Burst")

// DefaultMaxKeys bounds the keys a Memory limiter tracks when maxKeys is 0.
const DefaultMaxKeys = 100_000

// Memory is a Limiter for one process: a token bucket per key, keeping the
// most recently used maxKeys keys. A key pushed out by more recent ones
// starts again with a full bucket, so the limit holds for as many keys as
// it tracks; pair a per-identifier limit with a per-client one so that a
// client cannot push keys out by itself.
type Memory struct {
	limit Limit
	keys  *lru.Cache[string, *rate.Limiter]
	now   func() time.Time
}

// NewMemory returns a Memory limiter with the given limit, tracking at
// most maxKeys keys (DefaultMaxKeys when 0).
func NewMemory(limit Limit, maxKeys int) (*Memory, error) {
	if !limit.Valid() {
		return nil, ErrInvalidLimit
	}
	if maxKeys == 0 {
		maxKeys = DefaultMaxKeys
	}
	keys, err := lru.New[string, *rate.Limiter](maxKeys)
	if err != nil {
		return nil, err
	}
	return &Memory{limit: limit, keys: keys, now: time.Now}, nil
}

// Allow takes one event for key.
func (m *Memory) Allow(_ context.Context, key string) (Decision, error) {
	l, ok := m.keys.Get(key)
	if !ok {
		l = rate.NewLimiter(rate.Every(m.limit.Every), m.limit.Burst)
		// Another request may have added the key meanwhile: keep theirs.
		if prev, found, _ := m.keys.PeekOrAdd(key, l); found {
			l = prev
		}
	}
	now := m.now()
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return Decision{RetryAfter: d}, nil
	}
	return Decision{Allowed: true}, nil
}

// Unlimited is a Limiter that allows everything, to turn a default limit
// off.
var Unlimited Limiter = unlimited{}

type unlimited struct{}

func (unlimited) Allow(context.Context, string) (Decision, error) {
	return Decision{Allowed: true}, nil
}
