package jwe

import (
	"crypto/sha256"
	"sync"
	"time"
	"unsafe"

	"github.com/ginauth/ginauth/internal/core"
)

// cache remembers tokens that decrypted and validated, keyed by the SHA-256
// of the token, so that the session read on every request skips the JOSE
// work. An entry is only returned while the token's exp (plus the clock
// tolerance) has not passed. The cache is bounded: when full, an arbitrary
// tenth of the entries is dropped.
type cache struct {
	mu      sync.RWMutex
	max     int
	entries map[[sha256.Size]byte]cacheEntry
}

type cacheEntry struct {
	claims core.Token
	exp    time.Time // zero: no exp claim
}

func newCache(max int) *cache {
	return &cache{max: max, entries: make(map[[sha256.Size]byte]cacheEntry, max)}
}

// hashToken returns the SHA-256 of token without copying it: sha256 only
// reads its input.
func hashToken(token string) [sha256.Size]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

func (c *cache) get(token string, now time.Time) (core.Token, bool) {
	h := hashToken(token)
	c.mu.RLock()
	e, ok := c.entries[h]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	if !e.exp.IsZero() && !e.exp.After(now.Add(-ClockTolerance)) {
		c.mu.Lock()
		delete(c.entries, h)
		c.mu.Unlock()
		return nil, false
	}
	return e.claims, true
}

func (c *cache) put(token string, claims core.Token, exp time.Time) {
	h := hashToken(token)
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
	c.entries[h] = cacheEntry{claims: claims, exp: exp}
}
