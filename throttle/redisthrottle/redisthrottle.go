// Package redisthrottle is a throttle.Limiter kept in Redis, so that every
// instance of an application behind a load balancer counts against the
// same limits. It runs the generic cell rate algorithm of
// github.com/go-redis/redis_rate (one Lua script, one round trip per
// decision) on a go-redis v9 client.
package redisthrottle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"github.com/ginauth/ginauth/throttle"
)

// DefaultTimeout bounds one decision when Options.Timeout is zero.
const DefaultTimeout = time.Second

// Options configure a Limiter.
type Options struct {
	// Prefix goes before every key ("ginauth:throttle:" when empty); give
	// each limit a prefix of its own.
	Prefix string
	// Timeout bounds one decision, within the caller's context;
	// DefaultTimeout when zero.
	Timeout time.Duration
}

// Limiter is a throttle.Limiter in Redis. It is safe for concurrent use.
type Limiter struct {
	rl      *redis_rate.Limiter
	limit   redis_rate.Limit
	prefix  string
	timeout time.Duration
}

var _ throttle.Limiter = (*Limiter)(nil)

// New returns a Limiter allowing limit per key, on client.
func New(client goredis.UniversalClient, limit throttle.Limit, opts Options) (*Limiter, error) {
	if client == nil {
		return nil, errors.New("redisthrottle: a client is required")
	}
	if !limit.Valid() {
		return nil, throttle.ErrInvalidLimit
	}
	if opts.Timeout < 0 {
		return nil, errors.New("redisthrottle: Timeout may not be negative")
	}
	if opts.Prefix == "" {
		opts.Prefix = "ginauth:throttle:"
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	return &Limiter{
		rl:      redis_rate.NewLimiter(client),
		limit:   redis_rate.Limit{Rate: 1, Period: limit.Every, Burst: limit.Burst},
		prefix:  opts.Prefix,
		timeout: opts.Timeout,
	}, nil
}

// Allow takes one event for key.
func (l *Limiter) Allow(ctx context.Context, key string) (throttle.Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	res, err := l.rl.Allow(ctx, l.prefix+key, l.limit)
	if err != nil {
		return throttle.Decision{}, fmt.Errorf("redisthrottle: %w", err)
	}
	if res.Allowed > 0 {
		return throttle.Decision{Allowed: true}, nil
	}
	return throttle.Decision{RetryAfter: max(res.RetryAfter, time.Millisecond)}, nil
}
