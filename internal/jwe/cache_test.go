package jwe

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// stats returns the live entries and their weight.
func (c *cache) stats() (n int, w int64) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += s.n
		w += s.w
		s.mu.RUnlock()
	}
	return n, w
}

// has reports whether token is cached, without counting a read.
func (c *cache) has(token string) bool {
	h := c.hash(token)
	s := c.shard(h)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.items[h] != nil && s.items[h].key == token
}

// testGet and testPut hash the token, as Decode does.
func (c *cache) testGet(token string, now time.Time) (authjs.Claims, bool) {
	claims, _, ok := c.get(token, c.hash(token), now)
	return claims, ok
}

func (c *cache) testPut(token string, claims authjs.Claims, exp time.Time, size int) {
	c.put(token, c.hash(token), claims, exp, size)
}

// testPut2 verifies a token twice: the first time only its hash is kept.
func (c *cache) testPut2(token string, claims authjs.Claims, exp time.Time, size int) {
	c.testPut(token, claims, exp, size)
	c.testPut(token, claims, exp, size)
}

func TestCacheBoundedAndExact(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newCache(10, 0)
	for i := range 100 {
		c.testPut2("token-"+strconv.Itoa(i), authjs.Claims{"i": i}, now.Add(time.Hour), 100)
		if n, _ := c.stats(); n > 10 {
			t.Fatalf("cache holds %d entries, bound 10", n)
		}
	}
	if !c.has("token-99") {
		t.Error("the newest entry was evicted")
	}
	if _, ok := c.testGet("token-99 ", now); ok {
		t.Error("a different token hit the cache")
	}
	c.testPut2("short", authjs.Claims{}, now.Add(time.Second), 10)
	if _, ok := c.testGet("short", now); !ok {
		t.Fatal("a fresh entry was not returned")
	}
	if _, ok := c.testGet("short", now.Add(16*time.Second)); ok {
		t.Error("an expired entry was returned")
	}
	if c.has("short") {
		t.Error("an expired entry was kept")
	}
	long := strings.Repeat("A", maxCachedToken+1)
	c.testPut2(long, authjs.Claims{}, now.Add(time.Hour), 10)
	if c.has(long) {
		t.Error("an oversized token was cached")
	}
}

// TestCacheBytes: large entries are bounded by the byte budget before the
// entry count.
func TestCacheBytes(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	const budget = 1 << 20
	c := newCache(10_000, budget)
	for i := range 2000 {
		c.testPut2("token-"+strconv.Itoa(i), authjs.Claims{}, now.Add(time.Hour), 4000)
		if _, w := c.stats(); w > budget {
			t.Fatalf("weight %d over the budget %d", w, budget)
		}
	}
	if n, _ := c.stats(); n < budget/(8100+entryOverhead)*9/10 {
		t.Errorf("only %d entries of 8.6 KB in a 1 MiB budget", n)
	}
}

// TestCacheScanResistant: one pass over many distinct tokens, each seen
// once, leaves the working set (tokens read more than once) in the cache,
// and caches none of them.
func TestCacheScanResistant(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, size := range []int{1000, 10_000} {
		c := newCache(size, 0)
		hot := make([]string, size/2)
		for i := range hot {
			hot[i] = "hot-" + strconv.Itoa(i)
		}
		access := func(tok string) {
			if _, ok := c.testGet(tok, now); !ok {
				c.testPut(tok, authjs.Claims{}, now.Add(time.Hour), 100)
			}
		}
		for range 3 {
			for _, tok := range hot {
				access(tok)
			}
		}
		for i := range 100 * size {
			access("scan-" + strconv.Itoa(i))
		}
		kept := 0
		for _, tok := range hot {
			if c.has(tok) {
				kept++
			}
		}
		if kept < len(hot)*99/100 {
			t.Errorf("size %d: %d of the %d hot tokens survived the scan", size, kept, len(hot))
		}
		if n, _ := c.stats(); n != len(hot) {
			t.Errorf("size %d: %d entries, want the %d hot ones only", size, n, len(hot))
		}
	}
}

// TestCacheDoorkeeper: a token verified once is not cached; verified
// again while its hash is remembered, it is.
func TestCacheDoorkeeper(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newCache(100, 0)
	c.testPut("once", authjs.Claims{}, now.Add(time.Hour), 10)
	if c.has("once") {
		t.Fatal("a token verified once was cached")
	}
	c.testPut("once", authjs.Claims{}, now.Add(time.Hour), 10)
	if !c.has("once") {
		t.Fatal("a token verified twice was not cached")
	}
	// The doorkeeper remembers maxN hashes.
	c.testPut("forgotten", authjs.Claims{}, now.Add(time.Hour), 10)
	for i := range 100 {
		c.testPut("other-"+strconv.Itoa(i), authjs.Claims{}, now.Add(time.Hour), 10)
	}
	c.testPut("forgotten", authjs.Claims{}, now.Add(time.Hour), 10)
	if c.has("forgotten") {
		t.Error("a token seen twice, 100 other tokens apart, was cached by a doorkeeper of 100")
	}
}

// TestCacheGhost: a token evicted from the small queue that comes back
// goes to the main queue directly.
func TestCacheGhost(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newCache(100, 0)
	c.testPut2("returning", authjs.Claims{}, now.Add(time.Hour), 10)
	for i := range 150 {
		c.testPut2("scan-"+strconv.Itoa(i), authjs.Claims{}, now.Add(time.Hour), 10)
	}
	if c.has("returning") {
		t.Fatal("a token read once outlived a scan longer than the cache")
	}
	c.testPut("returning", authjs.Claims{}, now.Add(time.Hour), 10)
	if !c.has("returning") {
		t.Fatal("a returning token was not cached at once")
	}
	for i := range 200 {
		c.testPut2("scan2-"+strconv.Itoa(i), authjs.Claims{}, now.Add(time.Hour), 10)
	}
	if !c.has("returning") {
		t.Error("a returning token was evicted by a scan")
	}
}

// TestCachedTokenOtherSecret: a token cached by one codec is not accepted by
// a codec with other secrets.
func TestCachedTokenOtherSecret(t *testing.T) {
	a, _ := New(Options{Format: V5, Secrets: []string{"secret-a"}, Salt: "s", CacheSize: 10})
	b, _ := New(Options{Format: V5, Secrets: []string{"secret-b"}, Salt: "s", CacheSize: 10})
	tok, _ := a.Encode(authjs.Claims{"sub": "1"}, time.Hour)
	if _, err := a.Decode(tok); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Decode(tok); err == nil {
		t.Error("another codec accepted the token")
	}
}

// TestFailuresNotCached: refused tokens leave nothing in the cache.
func TestFailuresNotCached(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c, _ := New(Options{Format: V5, Secrets: []string{"secret"}, Salt: "s", CacheSize: 10, Now: func() time.Time { return now }})
	tok, _ := c.Encode(authjs.Claims{"sub": "1"}, time.Hour)
	expired, _ := c.Encode(authjs.Claims{"sub": "1"}, -time.Hour)
	for _, bad := range []string{flipPart(tok, 3), flipPart(tok, 4), expired, tok + "\n"} {
		if _, err := c.Decode(bad); err == nil {
			t.Fatalf("%q decoded", bad)
		}
	}
	if n, _ := c.cache.stats(); n != 0 {
		t.Errorf("%d entries after failures", n)
	}
	for range 2 {
		if _, err := c.Decode(tok); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := c.cache.stats(); n != 1 {
		t.Errorf("%d entries after two successes", n)
	}
}
