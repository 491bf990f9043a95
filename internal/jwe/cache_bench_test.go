package jwe

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// The cache benchmarks measure hits from one and from every core, misses
// that insert, the hit ratio under a skewed load, and what a scan leaves
// of the working set. (Commit "Cache verified tokens in a sharded S3-FIFO"
// ran them against otter's W-TinyLFU as well.)

type benchCache interface {
	lookup(token string, now time.Time) bool
	store(token string, exp time.Time)
}

type fifoBench struct{ c *cache }

func (f fifoBench) lookup(tok string, now time.Time) bool {
	_, _, ok := f.c.get(tok, f.c.hash(tok), now)
	return ok
}
func (f fifoBench) store(tok string, exp time.Time) {
	f.c.put(tok, f.c.hash(tok), authjs.Claims{}, exp, 300)
}

var cacheImpls = []struct {
	name string
	make func(entries int) benchCache
}{
	{"s3fifo", func(n int) benchCache { return fifoBench{newCache(n, 0)} }},
}

// tokenLike returns n distinct 600-character strings.
func tokenLike(n int) []string {
	out := make([]string, n)
	pad := strings.Repeat("x", 600)
	for i := range out {
		s := "tok-" + strconv.Itoa(i) + "-"
		out[i] = s + pad[len(s):]
	}
	return out
}

func BenchmarkCache(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	exp := now.Add(time.Hour)
	toks := tokenLike(200_000)
	for _, impl := range cacheImpls {
		b.Run(impl.name+"/hit", func(b *testing.B) {
			c := impl.make(10_000)
			c.store(toks[0], exp)
			c.store(toks[0], exp)
			b.ReportAllocs()
			for b.Loop() {
				if !c.lookup(toks[0], now) {
					b.Fatal("miss")
				}
			}
		})
		b.Run(impl.name+"/hit-parallel", func(b *testing.B) {
			c := impl.make(10_000)
			for _, t := range toks[:1000] {
				c.store(t, exp)
				c.store(t, exp)
				c.lookup(t, now)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					c.lookup(toks[i%1000], now)
					i += 7
				}
			})
		})
		b.Run(impl.name+"/miss-insert", func(b *testing.B) {
			c := impl.make(10_000)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				t := toks[i%len(toks)]
				if !c.lookup(t, now) {
					c.store(t, exp)
				}
				i++
			}
		})
		// zipf: 200,000 users, a few much more active than the rest
		// (s = 1.1), through a cache of 10,000.
		b.Run(impl.name+"/zipf", func(b *testing.B) {
			c := impl.make(10_000)
			z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.1, 1, uint64(len(toks)-1))
			hits, n := 0, 0
			b.ReportAllocs()
			for b.Loop() {
				t := toks[z.Uint64()]
				if c.lookup(t, now) {
					hits++
				} else {
					c.store(t, exp)
				}
				n++
			}
			b.ReportMetric(100*float64(hits)/float64(n), "hit%")
		})
		// scan: 5,000 users read three times each, then 100,000
		// distinct tokens once; the metric is the share of the first
		// that are still cached.
		b.Run(impl.name+"/scan", func(b *testing.B) {
			kept := 0.0
			for b.Loop() {
				c := impl.make(10_000)
				hot := toks[:5000]
				for range 3 {
					for _, t := range hot {
						if !c.lookup(t, now) {
							c.store(t, exp)
						}
					}
				}
				for _, t := range toks[5000:105_000] {
					if !c.lookup(t, now) {
						c.store(t, exp)
					}
				}
				n := 0
				for _, t := range hot {
					if c.(fifoBench).c.has(t) {
						n++
					}
				}
				kept = 100 * float64(n) / float64(len(hot))
			}
			b.ReportMetric(kept, "kept%")
		})
	}
}
