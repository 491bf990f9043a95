package jwe

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// TestReason: each way a token is refused has its reason.
func TestReason(t *testing.T) {
	secret := strings.Repeat("s", 40)
	mk := func(secret string, now time.Time, claims authjs.Claims) string {
		t.Helper()
		c, err := New(Options{Format: V5, Secrets: []string{secret}, Salt: "authjs.session-token", Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.Encode(claims, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	c, err := New(Options{Format: V5, Secrets: []string{secret}, Salt: "authjs.session-token", CacheSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	good := mk(secret, time.Now(), authjs.Claims{"sub": "1"})
	parts := strings.Split(good, ".")
	rsa := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM"}`))
	for _, tt := range []struct{ token, want string }{
		{"", "oversized"},
		{strings.Repeat("a", MaxTokenLen+1), "oversized"},
		{"not-a-token", "malformed"},
		{parts[0] + ".." + parts[2] + "." + parts[3] + "!." + parts[4], "malformed"},
		{rsa + ".." + parts[2] + "." + parts[3] + "." + parts[4], "header"},
		{mk(strings.Repeat("o", 40), time.Now(), authjs.Claims{"sub": "1"}), "key"},
		{mk(secret, time.Now().Add(-3*time.Hour), authjs.Claims{"sub": "1"}), "expired"},
		{mk(secret, time.Now(), authjs.Claims{"sub": "1", "nbf": "soon"}), "claims"},
	} {
		_, _, err := c.DecodeLookup(tt.token)
		if got := Reason(err); got != tt.want {
			t.Errorf("%.30q: reason %q (%v), want %q", tt.token, got, err, tt.want)
		}
	}
	if _, lookup, err := c.DecodeLookup(good); err != nil || lookup != LookupMiss {
		t.Errorf("first decode: %v, %v", lookup, err)
	}
	if Reason(nil) != "" || Reason(errors.New("x")) != "other" {
		t.Error("Reason of nil or a foreign error")
	}
}
