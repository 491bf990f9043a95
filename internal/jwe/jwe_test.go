package jwe

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ginauth/ginauth/authjs"
)

// Test vectors from the Auth.js protocol notes (secret "secret").
const (
	v4Token = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..fxPEUmv5M_-RLLZk.OVuqMkC1E7JmZ4dOn4LZTy4V2GnrFCWhjx6Wtp1RsFOxUD6Lv5BD2fIEYUiBt70qHL5orE3r8AfCWjCvWsM9w0KyuQRD9I1YdPqR1brKbPQr_VYDBbm7NTRqNh1g4J8GPLf6MVfEg-f4hpDOfZY-lWz_lZUolgnFfX9TC08KLtHFngk.YIWiCcJHlGt_Xk5VuLj2SQ"
	v5Token = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwia2lkIjoiN3g5RFVNVmFFVTZnaWFiMGwwT1dEdDRlNFNzUkhfY2J3TW9mMkV6RXl5Nm9uSzVvOHhTUFBCNzk5UlZvcW0ydjZ6Njc0a1FDdjlqb20yVDhTLWExZFEifQ..1EvhsoJa8Jx9c5lKRXCtDQ.MamXe6RbsHNv650sDZRnwDmeE8cQkev7iJgG8ROeZpDTza67EXR0IVUK7Y9_lpFHJiMr3fo0C3HHxLkK6W7Z53FlYG_y9kn7hQXLbK9ah9b3I2SK0K2lg1upoW8FSg-V59wYXH1SKLyth2T0WYaN9LbtHAh_2rQOGj7K8YkhSHOh7BHfI3cFyGxFOIPBqfjn.DtjsCddqxdZHR6a73fdQi7ORnC4flCSD6G911Hq0sig"
)

func TestKeyVectors(t *testing.T) {
	tests := []struct {
		name    string
		mode    Format
		salt    string
		wantKey string
		wantKid string
	}{
		{"v4 session", V4, "", "9ab5058ebf5be88f82f4aee99d22cf8be7a34a4af1836299d0668f4d83020f5a", ""},
		{"v4 state cookie", V4, "next-auth.state", "c01f89640026c3c617ec6a68dc377509d2c405289c116743082c17c9874371a7", ""},
		{"v5 session", V5, "authjs.session-token",
			"b1ef6cdd915c44c0a71232574a6a70546a5e16d12bb38df4638e3b96bdd32025131e90695ff072a9d148f1511c7a4981a85b63a628311da1fa7ccfc49c47c2bb",
			"7x9DUMVaEU6giab0l0OWDt4e4SsRH_cbwMof2EzEyy6onK5o8xSPPB799RVoqm2v6z674kQCv9jom2T8S-a1dQ"},
		{"v5 secure session", V5, "__Secure-authjs.session-token",
			"0d8bf2d720367891eda6b7cc8f1960cf3fac4c0e5972e05c0ea71f835d01d69a60b8d258a71a473d46b0eec5ed3dfe45a7bcfbe54ccfa14f50206f3af0f777f5",
			"7E3YIGAxRtn6djTGy1UjZrFvXELHKzM9vfWl0nQ4b88EsnrmmX0grN0VKis7G3fjgB626TXm_lEtBG1N0E7Xyg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := DeriveKey(tt.mode, "secret", tt.salt)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(k); got != tt.wantKey {
				t.Errorf("key = %s, want %s", got, tt.wantKey)
			}
			if tt.wantKid != "" {
				if got := Thumbprint(k); got != tt.wantKid {
					t.Errorf("kid = %s, want %s", got, tt.wantKid)
				}
			}
		})
	}
}

func TestDecodeVectors(t *testing.T) {
	want := map[string]any{"name": "Test", "email": "test@example.com", "sub": "1", "iat": 1700000000.0, "exp": 4102444800.0, "jti": "00000000-0000-4000-8000-000000000000"}
	for _, tt := range []struct {
		name  string
		mode  Format
		salt  string
		token string
	}{
		{"v4", V4, "", v4Token},
		{"v5", V5, "authjs.session-token", v5Token},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{Format: tt.mode, Secrets: []string{"secret"}, Salt: tt.salt})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Decode(tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("claims = %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("claim %s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestCrossModeAndSaltRejected(t *testing.T) {
	v5other, _ := New(Options{Format: V5, Secrets: []string{"secret"}, Salt: "__Secure-authjs.session-token"})
	v4, _ := New(Options{Format: V4, Secrets: []string{"secret"}})
	v5, _ := New(Options{Format: V5, Secrets: []string{"secret"}, Salt: "authjs.session-token"})
	for name, tc := range map[string]struct {
		c   *Codec
		tok string
	}{
		"v5 token, other cookie name": {v5other, v5Token},
		"v5 token read as v4":         {v4, v5Token},
		"v4 token read as v5":         {v5, v4Token},
	} {
		if _, err := tc.c.Decode(tc.tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: err = %v, want ErrInvalidToken", name, err)
		}
	}
}

func TestRoundTripAndRotation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	for _, mode := range []Format{V4, V5} {
		t.Run(mode.String(), func(t *testing.T) {
			old, _ := New(Options{Format: mode, Secrets: []string{"old-secret"}, Salt: "s", Now: clock})
			tok, err := old.Encode(authjs.Claims{"sub": "42", "iat": "overwritten"}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			rotated, _ := New(Options{Format: mode, Secrets: []string{"new-secret", "old-secret"}, Salt: "s", Now: clock})
			got, err := rotated.Decode(tok)
			if err != nil {
				t.Fatalf("rotated decode: %v", err)
			}
			if got.Subject() != "42" || got["iat"] != float64(now.Unix()) || got["exp"] != float64(now.Unix()+3600) || len(got.String("jti")) != 36 {
				t.Errorf("claims = %v", got)
			}
			dropped, _ := New(Options{Format: mode, Secrets: []string{"new-secret"}, Salt: "s", Now: clock})
			if _, err := dropped.Decode(tok); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("retired secret: err = %v", err)
			}
			newTok, _ := rotated.Encode(authjs.Claims{"sub": "42"}, time.Hour)
			if got, err := rotated.Decode(newTok); err != nil || got.Subject() != "42" {
				t.Errorf("a token from the first secret: %v, %v", got, err)
			}
			if _, err := old.Decode(newTok); err == nil {
				t.Error("a token from the new secret decoded with only the old one")
			}
			if mode == V5 {
				obj, err := jose.ParseEncryptedCompact(newTok, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256CBC_HS512})
				if err != nil {
					t.Fatal(err)
				}
				k, _ := DeriveKey(mode, "new-secret", "s")
				if obj.Header.KeyID != Thumbprint(k) {
					t.Errorf("kid = %q, want thumbprint of the first secret", obj.Header.KeyID)
				}
			}
		})
	}
}

// TestExpiryTolerance applies Auth.js's 15 seconds of tolerance to exp,
// with the verified-token cache and without it.
func TestExpiryTolerance(t *testing.T) {
	for _, cache := range []int{0, 16} {
		t.Run("cache "+strconv.Itoa(cache), func(t *testing.T) { expiryTolerance(t, cache) })
	}
}

func expiryTolerance(t *testing.T, cacheSize int) {
	now := time.Unix(1_800_000_000, 0)
	var clock = now
	c, _ := New(Options{Format: V5, Secrets: []string{"secret"}, Salt: "x", Now: func() time.Time { return clock }, CacheSize: cacheSize})
	tok, _ := c.Encode(authjs.Claims{"sub": "1"}, time.Minute)
	for _, tc := range []struct {
		after time.Duration
		ok    bool
	}{
		{0, true},
		{time.Minute, true},
		{time.Minute + 14*time.Second, true},
		{time.Minute + 15*time.Second, false},
		{time.Hour, false},
	} {
		clock = now.Add(tc.after)
		_, err := c.Decode(tok)
		if tc.ok != (err == nil) {
			t.Errorf("after %v: err = %v, want ok=%v", tc.after, err, tc.ok)
		}
		if !tc.ok && !errors.Is(err, ErrTokenExpired) {
			t.Errorf("after %v: err = %v, want ErrTokenExpired", tc.after, err)
		}
	}
}

func TestFormatAndCacheOption(t *testing.T) {
	if V4.String() != "v4" || V5.String() != "v5" {
		t.Errorf("Format names %q, %q", V4.String(), V5.String())
	}
	for size, want := range map[int]bool{0: false, -1: false, 1: true, 100: true} {
		c, err := New(Options{Format: V5, Secrets: []string{"secret"}, Salt: "x", CacheSize: size})
		if err != nil || (c.cache != nil) != want {
			t.Errorf("CacheSize %d: cache %v, err %v", size, c.cache != nil, err)
		}
	}
	if _, err := New(Options{Format: V5}); !errors.Is(err, ErrNoSecret) {
		t.Errorf("no secrets: %v", err)
	}
	c, _ := New(Options{Format: V5, Secrets: []string{"secret"}, Salt: "x"})
	for _, tok := range []string{"", strings.Repeat("a", MaxTokenLen+1)} {
		if _, err := c.Decode(tok); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "empty or oversized") {
			t.Errorf("a %d-character token: %v", len(tok), err)
		}
	}
}

func TestNotBeforeAndBadTimes(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c, _ := New(Options{Format: V4, Secrets: []string{"secret"}, Now: func() time.Time { return now }})
	enc, _ := New(Options{Format: V4, Secrets: []string{"secret"}, Now: func() time.Time { return now }})
	tok, _ := enc.Encode(authjs.Claims{"nbf": float64(now.Unix() + 60)}, time.Hour)
	if _, err := c.Decode(tok); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("future nbf: err = %v", err)
	}
	tok, _ = enc.Encode(authjs.Claims{"nbf": float64(now.Unix() + 10)}, time.Hour)
	if _, err := c.Decode(tok); err != nil {
		t.Errorf("nbf within tolerance: err = %v", err)
	}
	tok, _ = enc.Encode(authjs.Claims{"nbf": "soon"}, time.Hour)
	if _, err := c.Decode(tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("string nbf: err = %v", err)
	}
}

func TestRefusedHeaders(t *testing.T) {
	key, _ := DeriveKey(V5, "secret", "s")
	c, _ := New(Options{Format: V5, Secrets: []string{"secret"}, Salt: "s"})
	mk := func(enc jose.ContentEncryption, k []byte, opts *jose.EncrypterOptions) string {
		e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: jose.DIRECT, Key: k}, opts)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := e.Encrypt([]byte(`{"sub":"1"}`))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := obj.CompactSerialize()
		return s
	}
	cases := map[string]string{
		"zip":           mk(jose.A256CBC_HS512, key, &jose.EncrypterOptions{Compression: jose.DEFLATE}),
		"crit":          mk(jose.A256CBC_HS512, key, (&jose.EncrypterOptions{}).WithHeader("crit", []string{"x"})),
		"A128CBC-HS256": mk(jose.A128CBC_HS256, key[:32], nil),
		"A128GCM":       mk(jose.A128GCM, key[:16], nil),
		"json serialization": func() string {
			e, _ := jose.NewEncrypter(jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.DIRECT, Key: key}, nil)
			obj, _ := e.Encrypt([]byte(`{"sub":"1"}`))
			return obj.FullSerialize()
		}(),
		"array payload": mk(jose.A256CBC_HS512, key, nil)[:0] + func() string {
			e, _ := jose.NewEncrypter(jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.DIRECT, Key: key}, nil)
			obj, _ := e.Encrypt([]byte(`[1,2]`))
			s, _ := obj.CompactSerialize()
			return s
		}(),
		"none":      "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
		"truncated": strings.Join(strings.Split(v5Token, ".")[:4], "."),
		"garbage":   "a.b.c.d.e",
		"empty":     "",
		"oversized": strings.Repeat("A", MaxTokenLen+1),
	}
	for name, tok := range cases {
		if _, err := c.Decode(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: err = %v, want ErrInvalidToken", name, err)
		}
	}
	// The same header without zip/crit decodes: the refusals above are
	// about the headers, not the key.
	if _, err := c.Decode(mk(jose.A256CBC_HS512, key, nil)); err != nil {
		t.Errorf("control token: %v", err)
	}
	// A256GCM with the v5 derivation is accepted, as @auth/core does.
	gk, _ := hkdfGCM("secret", "s")
	if _, err := c.Decode(mk(jose.A256GCM, gk, nil)); err != nil {
		t.Errorf("v5 A256GCM: %v", err)
	}
}

func hkdfGCM(secret, salt string) ([]byte, error) {
	k, err := deriveKey(V5, secret, salt)
	return k.gcm, err
}

// TestDecodeAtExpiry: DecodeAt reports the token's exp, the same whether
// the token was decrypted or found in the cache.
func TestDecodeAtExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	want := now.Add(time.Hour)
	for _, cacheSize := range []int{0, 16} {
		c, _ := New(Options{Format: V5, Secrets: []string{"secret"}, Salt: "x", Now: func() time.Time { return now }, CacheSize: cacheSize})
		tok, _ := c.Encode(authjs.Claims{"sub": "1"}, time.Hour)
		hits := 0
		for i := range 4 {
			claims, exp, lookup, err := c.DecodeAt(tok, now.Add(time.Duration(i)*time.Minute))
			if err != nil || claims["sub"] != "1" {
				t.Fatalf("cache %d, decode %d: %v %v", cacheSize, i, claims, err)
			}
			if !exp.Equal(want) {
				t.Errorf("cache %d, decode %d (%v): exp %v, want %v", cacheSize, i, lookup, exp, want)
			}
			if lookup == LookupHit {
				hits++
			}
		}
		if (hits > 0) != (cacheSize > 0) {
			t.Errorf("cache %d: %d hits", cacheSize, hits)
		}
		if _, exp, _, err := c.DecodeAt(tok, want.Add(time.Minute)); err == nil || !exp.IsZero() {
			t.Errorf("cache %d, expired: exp %v, err %v", cacheSize, exp, err)
		}
	}
}
