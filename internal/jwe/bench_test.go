package jwe

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

var benchClaims = authjs.Claims{"name": "Alice Liddell", "email": "alice@example.com", "picture": "https://img.example.com/alice.png", "sub": "1"}

const benchSecret = "bench-secret-0123456789abcdefghijklmnop"

func benchCodec(b *testing.B, mode Format, cache int) *Codec {
	c, err := New(Options{Format: mode, Secrets: []string{benchSecret}, Salt: "authjs.session-token", CacheSize: cache})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchTokenCount is how many distinct tokens the many-token benchmarks
// rotate through: far more than the 10,000 entries of the default cache.
const benchTokenCount = 100_000

var (
	benchTokensOnce sync.Once
	benchTokens     [][]string // by Format
)

// distinctTokens returns benchTokenCount valid tokens of mode, each for
// another user, made once per process.
func distinctTokens(b *testing.B, mode Format) []string {
	benchTokensOnce.Do(func() {
		benchTokens = make([][]string, 2)
		for _, m := range []Format{V5, V4} {
			c := benchCodec(b, m, 0)
			toks := make([]string, benchTokenCount)
			for i := range toks {
				id := strconv.Itoa(i)
				var err error
				toks[i], err = c.Encode(authjs.Claims{"name": "User " + id, "email": "user" + id + "@example.com", "picture": "https://img.example.com/" + id + ".png", "sub": id}, time.Hour)
				if err != nil {
					b.Fatal(err)
				}
			}
			benchTokens[m] = toks
		}
	})
	return benchTokens[mode]
}

func BenchmarkEncode(b *testing.B) {
	for _, mode := range []Format{V5, V4} {
		b.Run(mode.String(), func(b *testing.B) {
			c := benchCodec(b, mode, 0)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Encode(benchClaims, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecode decrypts and validates on every call (no cache).
func BenchmarkDecode(b *testing.B) {
	for _, mode := range []Format{V5, V4} {
		b.Run(mode.String(), func(b *testing.B) {
			c := benchCodec(b, mode, 0)
			tok, _ := c.Encode(benchClaims, time.Hour)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Decode(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeCached hits the verified-token cache.
func BenchmarkDecodeCached(b *testing.B) {
	c := benchCodec(b, V5, 1000)
	tok, _ := c.Encode(benchClaims, time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeCachedParallel hits the cache from every core with 1,000
// users' tokens.
func BenchmarkDecodeCachedParallel(b *testing.B) {
	c := benchCodec(b, V5, 10_000)
	toks := distinctTokens(b, V5)[:1000]
	for _, t := range toks {
		for range 3 {
			if _, err := c.Decode(t); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.Decode(toks[i%len(toks)]); err != nil {
				b.Error(err)
				return
			}
			i += 7
		}
	})
}

// BenchmarkDecodeMiss decodes a different valid token on every call, out of
// benchTokenCount, with a cache of the default size: nearly all miss.
func BenchmarkDecodeMiss(b *testing.B) {
	for _, mode := range []Format{V5, V4} {
		b.Run(mode.String(), func(b *testing.B) {
			toks := distinctTokens(b, mode)
			c := benchCodec(b, mode, 10_000)
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if _, err := c.Decode(toks[i]); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(toks) {
					i = 0
				}
			}
		})
	}
}

// BenchmarkDecodeGarbage decodes distinct forged tokens: a valid v5 header
// with random IV, ciphertext and tag.
func BenchmarkDecodeGarbage(b *testing.B) {
	c := benchCodec(b, V5, 10_000)
	real, _ := c.Encode(benchClaims, time.Hour)
	parts := strings.Split(real, ".")
	rnd := func(n int) string {
		p := make([]byte, base64.RawURLEncoding.DecodedLen(n))
		_, _ = rand.Read(p)
		return base64.RawURLEncoding.EncodeToString(p)
	}
	toks := make([]string, 4096)
	for i := range toks {
		toks[i] = parts[0] + ".." + rnd(len(parts[2])) + "." + rnd(len(parts[3])) + "." + rnd(len(parts[4]))
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := c.Decode(toks[i%len(toks)]); err == nil {
			b.Fatal("a forged token decoded")
		}
		i++
	}
}
