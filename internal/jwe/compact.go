package jwe

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
)

// b64 is the only spelling of a token's parts that Decode accepts:
// base64url without padding, with zero trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// b64url marks the bytes of the base64url alphabet.
var b64url = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// parts are the five parts of a compact JWE, still base64url-encoded.
type parts struct {
	header, iv, ciphertext, tag string
}

// split checks that token is a compact JWE in its one canonical spelling
// and returns its parts: five parts separated by dots, the encrypted key
// empty (alg "dir"), the others non-empty strings of base64url characters
// without padding, whitespace or non-zero trailing bits. Every other
// spelling of the same bytes is refused, so a token has exactly one form
// and the cache, keyed by the token, sees each session once.
func split(token string) (parts, error) {
	var p parts
	var ok bool
	p.header, token, ok = strings.Cut(token, ".")
	if !ok {
		return p, errNotCompact
	}
	var key string
	key, token, _ = strings.Cut(token, ".")
	if key != "" {
		// With alg "dir" the JWE Encrypted Key must be empty (RFC 7516
		// §5.2 step 10); jose, which Auth.js uses, refuses it too.
		return p, errKeyWithDir
	}
	p.iv, token, _ = strings.Cut(token, ".")
	p.ciphertext, token, _ = strings.Cut(token, ".")
	p.tag = token
	for _, s := range [...]string{p.header, p.iv, p.ciphertext, p.tag} {
		if !canonical(s) {
			return p, errNotCanonical
		}
	}
	return p, nil
}

// canonical reports whether s is non-empty unpadded base64url whose last
// character carries no bits beyond the encoded bytes. A dot, whitespace,
// padding or any other character fails.
func canonical(s string) bool {
	if s == "" || len(s)%4 == 1 {
		return false
	}
	b := view(s)
	i := 0
	for ; i+32 <= len(b); i += 32 {
		w := b[i : i+32]
		if notAlphabet8(binary.LittleEndian.Uint64(w[0:8]))|notAlphabet8(binary.LittleEndian.Uint64(w[8:16]))|
			notAlphabet8(binary.LittleEndian.Uint64(w[16:24]))|notAlphabet8(binary.LittleEndian.Uint64(w[24:32])) != 0 {
			return false
		}
	}
	for ; i+8 <= len(b); i += 8 {
		if notAlphabet8(binary.LittleEndian.Uint64(b[i:i+8])) != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if !b64url[s[i]] {
			return false
		}
	}
	// The last character of a 2- or 3-character group holds 4 or 2
	// unused low bits, which must be zero.
	var unused byte
	switch len(s) % 4 {
	case 2:
		unused = 0x0f
	case 3:
		unused = 0x03
	default:
		return true
	}
	return sextet(s[len(s)-1])&unused == 0
}

// notAlphabet8 tests the 8 bytes packed in x at once and returns zero
// when all are base64url characters. Adding 0x80-lo to a byte below 0x80
// sets its high bit exactly when the byte is at least lo, and no carry
// crosses into the next byte; a byte is in [lo, hi] when that bit is set
// for lo and not for hi+1. Letters are tested in lower case (setting bit
// 0x20 maps A-Z onto a-z and nothing else onto it). Bytes of 0x80 and
// above fail through their own high bit.
func notAlphabet8(x uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	y := x &^ high
	lower := y | 0x20*ones
	letter := (lower + (0x80-'a')*ones) &^ (lower + (0x7f-'z')*ones)
	digit := (y + (0x80-'0')*ones) &^ (y + (0x7f-'9')*ones)
	dash := (y + (0x80-'-')*ones) &^ (y + (0x7f-'-')*ones)
	under := (y + (0x80-'_')*ones) &^ (y + (0x7f-'_')*ones)
	return (^(letter | digit | dash | under) | x) & high
}

func sextet(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A'
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26
	case '0' <= c && c <= '9':
		return c - '0' + 52
	case c == '-':
		return 62
	}
	return 63
}

// Content encryption algorithms accepted by Decode.
const (
	encCBC = "A256CBC-HS512"
	encGCM = "A256GCM"
)

// header is what Decode needs of a protected header that passed the
// allow-list.
type header struct {
	enc string // encCBC or encGCM
	kid string
}

// parseHeader decodes a protected header that is not one of the exact
// headers the codec expects (see Codec.knownHeader) and checks it against
// the allow-list: alg "dir", an accepted enc, a string kid if any, neither
// zip nor crit. Member names are case-sensitive; a repeated member counts
// as its last value, as in JSON.parse.
func (c *Codec) parseHeader(b64Header string) (header, error) {
	raw, err := b64.DecodeString(b64Header)
	if err != nil {
		return header{}, fmt.Errorf("%w: header: %w", ErrInvalidToken, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return header{}, fmt.Errorf("%w: header is not a JSON object", ErrInvalidToken)
	}
	str := func(name string) (string, bool) {
		v, ok := m[name]
		if !ok {
			return "", false
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	}
	if _, ok := m["zip"]; ok {
		return header{}, fmt.Errorf("%w: compressed tokens are not accepted", ErrInvalidToken)
	}
	if _, ok := m["crit"]; ok {
		return header{}, fmt.Errorf("%w: critical header parameters are not supported", ErrInvalidToken)
	}
	if alg, _ := str("alg"); alg != "dir" {
		return header{}, fmt.Errorf("%w: algorithm %q is not accepted", ErrInvalidToken, alg)
	}
	var h header
	h.enc, _ = str("enc")
	if h.enc != encGCM && (h.enc != encCBC || c.format == V4) {
		return header{}, fmt.Errorf("%w: encryption %q is not accepted", ErrInvalidToken, h.enc)
	}
	if _, ok := m["kid"]; ok {
		if h.kid, ok = str("kid"); !ok {
			return header{}, fmt.Errorf("%w: kid is not a string", ErrInvalidToken)
		}
	}
	return h, nil
}
