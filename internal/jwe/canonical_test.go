package jwe

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// TestCanonicalForm: a token has one spelling. Every other spelling of the
// same bytes is refused by split, before any cryptography, even while the
// canonical token is cached.
func TestCanonicalForm(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, cacheSize := range []int{0, 16} {
		c, _ := New(Options{Format: V5, Secrets: []string{"secret"}, Salt: "s", Now: func() time.Time { return now }, CacheSize: cacheSize})
		var tok string
		for !strings.ContainsAny(tok, "-_") { // for the alphabet case
			tok, _ = c.Encode(authjs.Claims{"sub": "1"}, time.Hour)
		}
		if _, err := c.Decode(tok); err != nil {
			t.Fatal(err)
		}
		p := strings.Split(tok, ".")
		join := func(q ...string) string { return strings.Join(q, ".") }
		// The tag (32 bytes) ends in a character with 2 unused bits; the
		// IV (16 bytes) in one with 4.
		bump := func(s string) string {
			b := []byte(s)
			b[len(b)-1] = base64URL[strings.IndexByte(base64URL, b[len(b)-1])+1]
			return string(b)
		}
		std := func(s string) string {
			return strings.NewReplacer("-", "+", "_", "/").Replace(s)
		}
		variants := map[string]string{
			"line break":             tok[:20] + "\n" + tok[20:],
			"carriage return":        tok[:20] + "\r" + tok[20:],
			"space":                  tok[:20] + " " + tok[20:],
			"tab":                    tok[:20] + "\t" + tok[20:],
			"leading space":          " " + tok,
			"trailing space":         tok + " ",
			"trailing newline":       tok + "\n",
			"padded tag":             tok + "=",
			"padded IV":              join(p[0], p[1], p[2]+"==", p[3], p[4]),
			"trailing bits, tag":     join(p[0], p[1], p[2], p[3], bump(p[4])),
			"trailing bits, IV":      join(p[0], p[1], bump(p[2]), p[3], p[4]),
			"standard alphabet":      join(std(p[0]), p[1], std(p[2]), std(p[3]), std(p[4])),
			"percent-encoded":        "%65" + tok[1:],
			"extra dot":              tok + ".",
			"six parts":              tok + ".AAAA",
			"empty IV":               join(p[0], p[1], "", p[3], p[4]),
			"empty tag":              join(p[0], p[1], p[2], p[3], ""),
			"impossible length":      join(p[0], p[1], p[2], p[3], p[4]+"AA"),
			"NUL":                    tok[:20] + "\x00" + tok[20:],
			"non-ASCII":              tok[:20] + "é" + tok[20:],
			"encrypted key inserted": join(p[0], "AAAA", p[2], p[3], p[4]),
		}
		for name, v := range variants {
			if v == tok {
				t.Errorf("%s: the variant is the token itself", name)
				continue
			}
			_, err := c.Decode(v)
			if !errors.Is(err, errNotCanonical) && !errors.Is(err, errNotCompact) && !errors.Is(err, errKeyWithDir) {
				t.Errorf("cache %d, %s: err = %v, want split's refusal", cacheSize, name, err)
			}
		}
	}
}

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// FuzzCanonical: split accepts exactly the strings made of five parts,
// the second empty, the others non-empty and equal to the base64url
// encoding (no padding) of what they decode to; and every token built from
// arbitrary bytes is accepted and decodes back to them.
func FuzzCanonical(f *testing.F) {
	for _, tok := range []string{v4Token, v5Token, fuzzV5GCM, v5Token + "=", v5Token[:30] + "\n" + v5Token[30:], "a.b.c.d.e", "AA..AA.AA.AA", "AB..AA.AA.AA", "....", ""} {
		f.Add(tok, []byte("h"), []byte("iv"), []byte("ct"), []byte("tag"))
	}
	enc := base64.RawURLEncoding
	f.Fuzz(func(t *testing.T, s string, h, iv, ct, tag []byte) {
		_, err := split(s)
		want := true
		q := strings.Split(s, ".")
		if len(q) != 5 || q[1] != "" {
			want = false
		} else {
			for _, part := range []string{q[0], q[2], q[3], q[4]} {
				b, derr := enc.DecodeString(part)
				if part == "" || derr != nil || enc.EncodeToString(b) != part {
					want = false
				}
			}
		}
		if (err == nil) != want {
			t.Fatalf("split(%q): err = %v, want accepted = %v", s, err, want)
		}

		if len(h) == 0 || len(iv) == 0 || len(ct) == 0 || len(tag) == 0 {
			return
		}
		tok := enc.EncodeToString(h) + ".." + enc.EncodeToString(iv) + "." + enc.EncodeToString(ct) + "." + enc.EncodeToString(tag)
		p, err := split(tok)
		if err != nil {
			t.Fatalf("split(%q) of encoded bytes: %v", tok, err)
		}
		for i, pair := range [][2]any{{p.header, h}, {p.iv, iv}, {p.ciphertext, ct}, {p.tag, tag}} {
			got, err := b64.DecodeString(pair[0].(string))
			if err != nil || !bytes.Equal(got, pair[1].([]byte)) {
				t.Fatalf("part %d does not decode back: %v", i, err)
			}
		}
	})
}

// FuzzClaims: the claims parser returns what encoding/json returns for
// every payload, and the claims encoder writes what json.Marshal writes.
func FuzzClaims(f *testing.F) {
	for _, s := range []string{
		`{"name":"Test","email":"test@example.com","sub":"1","iat":1700000000,"exp":4102444800,"jti":"00000000-0000-4000-8000-000000000000"}`,
		`{}`, ` { } `, `{"a":1}x`, `{"a":1} {}`, `{"a":-0.5e-3,"b":true,"c":false,"d":null}`,
		`{"a":"\u00e9\n","b":"é","c":"<&>","d":"\ud800"}`, `{"a":[1,"x",{"b":null}],"c":{"d":[]}}`,
		`{"a":1e400}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a" 1}`, `{"a":1,}`, `{,}`, `null`, `[1]`, `"x"`,
		"{\"a\":\"\xff\"}", `{"a":1,"a":"two"}`, `{"exp":1e21,"iat":123456789012345678901234}`,
		`{"roles":["admin","user"],"exp":4102444800.5}`, "\t{\"a\":1}\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		got, ok := parseClaims(p)
		var want authjs.Claims
		dec := json.NewDecoder(bytes.NewReader(p))
		wantOK := dec.Decode(&want) == nil && want != nil && !dec.More()
		if ok != wantOK {
			t.Fatalf("parseClaims(%q): ok = %v, encoding/json: %v", p, ok, wantOK)
		}
		if !ok {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseClaims(%q) = %#v, encoding/json: %#v", p, got, want)
		}
		out, err := appendClaims(nil, got, 1700000000, 4102444800, "jti-1")
		m := map[string]any(got.Clone())
		m["iat"], m["exp"], m["jti"] = int64(1700000000), int64(4102444800), "jti-1"
		ref, refErr := json.Marshal(m)
		if (err == nil) != (refErr == nil) || !bytes.Equal(out, ref) {
			t.Fatalf("appendClaims = %s, %v; json.Marshal = %s, %v", out, err, ref, refErr)
		}
	})
}

// TestNotAlphabet8 checks the eight-bytes-at-once test against the table
// for every byte in every position.
func TestNotAlphabet8(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			b := []byte("AZaz09-_")
			b[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(b[i])
			}
			if got := notAlphabet8(x) == 0; got != b64url[c] {
				t.Fatalf("byte %#x at %d: in the alphabet = %v", c, pos, got)
			}
		}
	}
}
