package jwe

import (
	"strconv"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

func TestCacheBoundedAndExact(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newCache(10, 0)
	for i := range 100 {
		c.put("token-"+strconv.Itoa(i), 0, authjs.Claims{"i": i}, now.Add(time.Hour), 0)
		if len(c.entries) > 10 {
			t.Fatalf("cache holds %d entries, bound 10", len(c.entries))
		}
		// A full cache drops a tenth of its entries, not all of them.
		if i >= 10 && len(c.entries) < 8 {
			t.Fatalf("after %d puts the cache holds %d entries, want at least 8 of its 10", i+1, len(c.entries))
		}
	}
	if _, ok := c.get("token-99", 0, now); !ok {
		t.Error("the newest entry was evicted")
	}
	if _, ok := c.get("token-99 ", 0, now); ok {
		t.Error("a different token hit the cache")
	}
	c.put("short", 0, authjs.Claims{}, now.Add(time.Second), 0)
	if _, ok := c.get("short", 0, now.Add(16*time.Second)); ok {
		t.Error("an expired entry was returned")
	}
	if _, ok := c.entries["short"]; ok {
		t.Error("an expired entry was kept")
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
