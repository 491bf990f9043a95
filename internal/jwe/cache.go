package jwe

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// cache remembers tokens that decrypted and validated, keyed by the token
// itself in its one canonical spelling (a hit compares the whole token),
// so that the session read on every request skips the cryptography. An
// entry is only returned while the token's exp (plus the clock tolerance)
// has not passed. Failures are never cached, nor tokens over
// maxCachedToken.
//
// Eviction is S3-FIFO (Yang et al., SOSP 2023), behind a doorkeeper. A
// token verified for the first time is not cached: only its hash is
// remembered, and a token verified again while remembered enters a small
// FIFO queue holding a tenth of the bounds. It moves to the main queue
// only if it is read again before it reaches the queue's end; otherwise it
// leaves, and its hash is remembered (the ghost queue) so that it enters
// the main queue directly if it comes back. A pass over any number of
// distinct tokens, each seen once (a crawl of every user's session, a
// flood of valid tokens), therefore changes nothing but the doorkeeper's
// hashes: no copies, no evictions. The main queue gives each entry read
// since its last pass one more round.
//
// The cache is bounded by entries and by bytes (each entry weighs its
// token, about twice its claims' JSON size, and a fixed overhead). It is
// split into shards by a per-process seeded hash, each with its own lock
// and a share of the bounds; hits take only a shard's read lock.
type cache struct {
	seed   maphash.Seed
	shards []cacheShard
}

type cacheEntry struct {
	claims authjs.Claims
	exp    time.Time // zero: no exp claim
}

// maxCachedToken is the longest token the cache keeps (four cookie
// chunks); longer ones are decrypted on every request rather than crowd
// out many ordinary sessions.
const maxCachedToken = 16 << 10

// entryOverhead estimates the memory of an entry beyond its token and
// claims: the node, the index's slot, the claims map's header and buckets.
const entryOverhead = 512

// defaultEntryBytes is the byte budget per entry when Options.CacheBytes is
// zero: twice a typical session's weight.
const defaultEntryBytes = 2 << 10

// shardMin is the least number of entries per shard; smaller caches have
// one shard.
const shardMin = 512

func newCache(entries int, bytes int64) *cache {
	if bytes <= 0 {
		bytes = int64(entries) * defaultEntryBytes
	}
	n := 1
	for n < 16 && entries/(n*2) >= shardMin {
		n *= 2
	}
	c := &cache{seed: maphash.MakeSeed(), shards: make([]cacheShard, n)}
	for i := range c.shards {
		s := &c.shards[i]
		s.items = make(map[uint64]*cacheNode)
		s.maxN = max(entries/n, 1)
		s.ghost = newHashRing(s.maxN)
		s.seen = newHashRing(s.maxN)
		s.maxW = max(bytes/int64(n), 1)
	}
	return c
}

func (c *cache) shard(h uint64) *cacheShard {
	return &c.shards[h&uint64(len(c.shards)-1)]
}

// hash returns the key of a token: its seeded 64-bit hash. Tokens are
// long, so they are hashed once per Decode; the index is keyed by the
// hash, and a hit still compares the whole token.
func (c *cache) hash(token string) uint64 { return maphash.String(c.seed, token) }

func (c *cache) get(token string, h uint64, now time.Time) (authjs.Claims, time.Time, bool) {
	s := c.shard(h)
	s.mu.RLock()
	n := s.items[h]
	var e cacheEntry
	if n != nil {
		e = n.entry
	}
	s.mu.RUnlock()
	if n == nil || n.key != token {
		return nil, time.Time{}, false
	}
	if !e.exp.IsZero() && !e.exp.After(now.Add(-ClockTolerance)) {
		s.mu.Lock()
		if s.items[h] == n {
			s.remove(n)
		}
		s.mu.Unlock()
		return nil, time.Time{}, false
	}
	if n.freq.Load() < 3 {
		n.freq.Add(1)
	}
	return e.claims, e.exp, true
}

// put caches a verified token whose plaintext was size bytes long.
func (c *cache) put(token string, h uint64, claims authjs.Claims, exp time.Time, size int) {
	if len(token) > maxCachedToken {
		return
	}
	w := int64(len(token) + 2*size + entryOverhead)
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if w > s.maxW {
		return
	}
	if _, ok := s.items[h]; ok {
		// Another request verified it meanwhile, or (once in 2^64)
		// another token has the same hash and keeps the slot.
		return
	}
	toMain := s.ghost.remove(h)
	if !toMain && !s.seen.remove(h) {
		s.seen.add(h) // first verification: remember the hash only
		return
	}
	for s.n >= s.maxN || s.w+w > s.maxW {
		s.evict()
	}
	// The token may be a slice of a whole Cookie header: keep a copy.
	n := &cacheNode{key: strings.Clone(token), hash: h, weight: w, entry: cacheEntry{claims: claims, exp: exp}}
	s.items[h] = n
	s.n++
	s.w += w
	if toMain {
		n.main = true
		s.main.push(n)
	} else {
		s.small.push(n)
		s.smallN++
		s.smallW += w
	}
}

type cacheShard struct {
	mu          sync.RWMutex
	items       map[uint64]*cacheNode // by hash
	small, main fifo
	n, smallN   int   // live entries, those in the small queue
	w, smallW   int64 // live weight, weight in the small queue
	maxN        int
	maxW        int64
	ghost       *hashRing // tokens evicted from the small queue
	seen        *hashRing // tokens verified once, not cached (the doorkeeper)
}

type cacheNode struct {
	key    string
	hash   uint64
	weight int64
	entry  cacheEntry
	freq   atomic.Int32 // reads since insertion or the last pass, at most 3
	main   bool
	dead   bool // removed from items, still queued
	next   *cacheNode
}

// fifo is a queue of nodes linked through next.
type fifo struct{ head, tail *cacheNode }

func (q *fifo) push(n *cacheNode) {
	n.next = nil
	if q.tail == nil {
		q.head = n
	} else {
		q.tail.next = n
	}
	q.tail = n
}

func (q *fifo) pop() *cacheNode {
	n := q.head
	if n != nil {
		q.head = n.next
		if q.head == nil {
			q.tail = nil
		}
		n.next = nil
	}
	return n
}

// remove drops a live node from the index; its queue drops it when it
// reaches the end.
func (s *cacheShard) remove(n *cacheNode) {
	delete(s.items, n.hash)
	s.n--
	s.w -= n.weight
	if !n.main {
		s.smallN--
		s.smallW -= n.weight
	}
	n.dead = true
	n.entry = cacheEntry{}
}

// evict removes one entry (or a queued dead node): from the small queue
// when it holds more than a tenth of either bound, else from the main
// queue.
func (s *cacheShard) evict() {
	for {
		if s.small.head != nil && (s.smallN > s.maxN/10 || s.smallW > s.maxW/10 || s.main.head == nil) {
			n := s.small.pop()
			switch {
			case n.dead:
				return
			case n.freq.Load() > 0:
				// Read again while in the small queue: promote.
				s.smallN--
				s.smallW -= n.weight
				n.main = true
				n.freq.Store(0)
				s.main.push(n)
				continue
			}
			s.remove(n)
			s.ghost.add(n.hash)
			return
		}
		n := s.main.pop()
		if n == nil {
			return
		}
		if n.dead {
			return
		}
		if f := n.freq.Load(); f > 0 {
			n.freq.Store(f - 1)
			s.main.push(n)
			continue
		}
		s.remove(n)
		return
	}
}

// hashRing remembers up to max hashes, forgetting the oldest first.
type hashRing struct {
	set  map[uint64]struct{}
	ring []uint64 // oldest at head once full
	head int
	max  int
}

func newHashRing(max int) *hashRing {
	return &hashRing{set: make(map[uint64]struct{}), max: max}
}

func (r *hashRing) add(h uint64) {
	if len(r.ring) < r.max {
		r.ring = append(r.ring, h)
	} else {
		// A hash removed meanwhile may still hold a slot; if it was
		// added again, it is forgotten early, which costs at most one
		// more decryption.
		delete(r.set, r.ring[r.head])
		r.ring[r.head] = h
		r.head = (r.head + 1) % len(r.ring)
	}
	r.set[h] = struct{}{}
}

// remove forgets h and reports whether it was remembered.
func (r *hashRing) remove(h uint64) bool {
	if _, ok := r.set[h]; !ok {
		return false
	}
	delete(r.set, h)
	return true
}
