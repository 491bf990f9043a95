package jwe

import (
	"strings"
	"sync"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// cache remembers tokens that decrypted and validated, keyed by the token
// itself (Go's map hash is seeded per process, so chosen tokens cannot
// force collisions, and a hit compares the whole token), so that the
// session read on every request skips the JOSE work. An entry is only
// returned while the token's exp (plus the clock tolerance) has not passed.
// The cache is bounded: when full, an arbitrary tenth of the entries is
// dropped.
type cache struct {
	mu      sync.RWMutex
	max     int
	entries map[string]cacheEntry
}

type cacheEntry struct {
	claims authjs.Claims
	exp    time.Time // zero: no exp claim
}

func newCache(max int, _ int64) *cache {
	return &cache{max: max, entries: make(map[string]cacheEntry, max)}
}

// hash is unused: the map hashes the token itself.
func (c *cache) hash(string) uint64 { return 0 }

func (c *cache) get(token string, _ uint64, now time.Time) (authjs.Claims, bool) {
	c.mu.RLock()
	e, ok := c.entries[token]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	if !e.exp.IsZero() && !e.exp.After(now.Add(-ClockTolerance)) {
		c.mu.Lock()
		delete(c.entries, token)
		c.mu.Unlock()
		return nil, false
	}
	return e.claims, true
}

func (c *cache) put(token string, _ uint64, claims authjs.Claims, exp time.Time, _ int) {
	// The token may be a slice of a whole Cookie header: keep a copy.
	token = strings.Clone(token)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		drop := c.max/10 + 1
		for k := range c.entries {
			delete(c.entries, k)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.entries[token] = cacheEntry{claims: claims, exp: exp}
}
