package jwe

import (
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

var benchClaims = authjs.Claims{"name": "Alice Liddell", "email": "alice@example.com", "picture": "https://img.example.com/alice.png", "sub": "1"}

func benchCodec(b *testing.B, mode Format, cache int) *Codec {
	c, err := New(Options{Format: mode, Secrets: []string{"bench-secret-0123456789abcdefghijklmnop"}, Salt: "authjs.session-token", CacheSize: cache})
	if err != nil {
		b.Fatal(err)
	}
	return c
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
