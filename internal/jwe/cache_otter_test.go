package jwe

import (
	"math"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/ginauth/ginauth/authjs"
)

// otterCache is the token cache built on otter's W-TinyLFU (bounded by
// weight: each entry weighs its estimated memory and at least
// bytes/entries, so that both bounds hold), for the comparison benchmarks
// with the S3-FIFO cache the codec uses.
type otterCache struct {
	c        *otter.Cache[string, otterEntry]
	minEntry uint32 // the least weight of an entry: bytes/entries
}

type otterEntry struct {
	claims authjs.Claims
	exp    time.Time // zero: no exp claim
	weight uint32
}

func newOtterCache(entries int, bytes int64) *otterCache {
	if bytes <= 0 {
		bytes = int64(entries) * defaultEntryBytes
	}
	minEntry := min(max(bytes/int64(entries), 1), math.MaxUint32)
	c := otter.Must(&otter.Options[string, otterEntry]{
		MaximumWeight:   uint64(bytes),
		Weigher:         func(_ string, e otterEntry) uint32 { return e.weight },
		InitialCapacity: min(entries, 1024),
	})
	return &otterCache{c: c, minEntry: uint32(minEntry)}
}

func (c *otterCache) get(token string, now time.Time) (authjs.Claims, bool) {
	e, ok := c.c.GetIfPresent(token)
	if !ok {
		return nil, false
	}
	if !e.exp.IsZero() && !e.exp.After(now.Add(-ClockTolerance)) {
		c.c.Invalidate(token)
		return nil, false
	}
	return e.claims, true
}

// put caches a verified token whose plaintext was size bytes long.
func (c *otterCache) put(token string, claims authjs.Claims, exp time.Time, size int) {
	if len(token) > maxCachedToken {
		return
	}
	// Parsed claims take about twice their JSON's size.
	w := max(uint32(len(token)+2*size+entryOverhead), c.minEntry)
	// The token may be a slice of a whole Cookie header: keep a copy.
	c.c.Set(strings.Clone(token), otterEntry{claims: claims, exp: exp, weight: w})
}
