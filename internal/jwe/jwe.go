// Package jwe encodes and decodes session tokens exactly as Auth.js does:
// compact JWE with alg "dir", the content key derived from the secret with
// HKDF-SHA256.
//
//   - v5 (@auth/core): enc A256CBC-HS512, salt = the cookie name,
//     info "Auth.js Generated Encryption Key (<salt>)", 64-byte key, and a
//     "kid" header holding the key's SHA-512 JWK thumbprint (RFC 7638).
//     A256GCM tokens are accepted on decode with a 32-byte key from the same
//     derivation.
//   - v4 (next-auth 4): enc A256GCM, info "NextAuth.js Generated Encryption
//     Key" (with " (<salt>)" appended for a non-empty salt), 32-byte key.
//
// The ciphers are go-jose's A256CBC-HS512 AEAD and the standard library's
// AES-GCM, each built once per secret. This package splits the compact
// serialization, checks the protected header against the allow-list
// before any cryptography, selects the key by "kid", parses the claims,
// and validates the time claims with Auth.js's 15 second tolerance.
package jwe

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	josecipher "github.com/go-jose/go-jose/v4/cipher"
	"github.com/google/uuid"

	"github.com/ginauth/ginauth/authjs"
)

// Format is a token format: Auth.js v5's or NextAuth.js v4's.
type Format int

const (
	// V5 is @auth/core's: A256CBC-HS512 with a kid; A256GCM accepted.
	V5 Format = iota
	// V4 is next-auth 4's: A256GCM, no kid, every secret tried.
	V4
)

// String returns "v5" or "v4".
func (f Format) String() string {
	if f == V4 {
		return "v4"
	}
	return "v5"
}

// Errors of Decode, for errors.Is.
var (
	// ErrInvalidToken reports a token that is malformed, was made with
	// another secret or salt, uses a refused algorithm, or was tampered with.
	ErrInvalidToken = errors.New("jwe: invalid token")
	// ErrTokenExpired reports a token past its "exp" claim (after the
	// clock tolerance), or not yet valid ("nbf").
	ErrTokenExpired = errors.New("jwe: token expired")
	// ErrNoSecret reports a Codec built without a secret.
	ErrNoSecret = errors.New("jwe: no secret")
)

// Failures that floods of forged tokens reach, made once so that refusing
// a token allocates nothing for its error.
var (
	errOversized    = fmt.Errorf("%w: empty or oversized", ErrInvalidToken)
	errNoKey        = fmt.Errorf("%w: no secret decrypts it", ErrInvalidToken)
	errSizes        = fmt.Errorf("%w: wrong IV or tag length for its enc", ErrInvalidToken)
	errBase64       = fmt.Errorf("%w: malformed base64url", ErrInvalidToken)
	errPayload      = fmt.Errorf("%w: payload is not a JSON object", ErrInvalidToken)
	errNotCompact   = fmt.Errorf("%w: not a compact JWE", ErrInvalidToken)
	errKeyWithDir   = fmt.Errorf("%w: unexpected encrypted key with alg dir", ErrInvalidToken)
	errNotCanonical = fmt.Errorf("%w: not a compact JWE in canonical base64url", ErrInvalidToken)
)

// ClockTolerance is the leeway applied to "exp" and "nbf", as in Auth.js.
const ClockTolerance = 15 * time.Second

// MaxTokenLen bounds the length of a token Decode will look at. Auth.js
// sessions rarely exceed a few kilobytes; 64 KiB is 17 cookie chunks.
const MaxTokenLen = 64 << 10

type key struct {
	cbc, gcm       []byte // 64-byte A256CBC-HS512 key (v5 only), 32-byte A256GCM key
	kidCBC, kidGCM string
	// The AEADs, built once: go-jose's CBC-HMAC and the standard library's
	// AES-GCM. Both are safe for concurrent use.
	cbcAEAD, gcmAEAD []cipher.AEAD // one each; cbcAEAD nil for v4
}

// knownHeader is a protected header, in its base64url form, that the codec
// expects and has already checked: what parseHeader would return for it.
type knownHeader struct {
	b64 string
	header
}

// Codec encodes and decodes tokens for one salt (a cookie name in v5, the
// empty string for v4 sessions) and an ordered list of secrets: the first
// encrypts, all decrypt.
type Codec struct {
	format Format
	keys   []key
	known  []knownHeader
	v4GCM  []cipher.AEAD // every secret's A256GCM AEAD, in order (v4)
	// Encoding: the first secret's header and AEAD.
	encHeader string
	encAEAD   cipher.AEAD
	now       func() time.Time
	cache     *cache
}

// Options configure a Codec.
type Options struct {
	Format Format
	// Secrets are the raw secret strings; the first encrypts.
	Secrets []string
	// Salt is the HKDF salt: the cookie name for v5 sessions and for check
	// cookies in both modes, "" for v4 sessions.
	Salt string
	// Now returns the current time (time.Now when nil).
	Now func() time.Time
	// CacheSize bounds the number of entries in the cache of verified
	// tokens; 0 disables it.
	CacheSize int
	// CacheBytes bounds the memory the cache's entries hold, estimated
	// from the token and claim sizes; 0 means CacheSize × 2 KiB.
	CacheBytes int64
}

// New derives the keys for every secret and returns a Codec.
func New(o Options) (*Codec, error) {
	if len(o.Secrets) == 0 {
		return nil, ErrNoSecret
	}
	c := &Codec{format: o.Format, now: o.Now}
	if c.now == nil {
		c.now = time.Now
	}
	for _, s := range o.Secrets {
		k, err := deriveKey(o.Format, s, o.Salt)
		if err != nil {
			return nil, err
		}
		c.keys = append(c.keys, k)
		c.v4GCM = append(c.v4GCM, k.gcmAEAD[0])
	}
	first := c.keys[0]
	if o.Format == V4 {
		c.encHeader = b64Header(encGCM, "")
		c.encAEAD = first.gcmAEAD[0]
		c.known = []knownHeader{{c.encHeader, header{encGCM, ""}}}
	} else {
		c.encHeader = b64Header(encCBC, first.kidCBC)
		c.encAEAD = first.cbcAEAD[0]
		c.known = []knownHeader{
			{b64Header(encCBC, ""), header{encCBC, ""}},
			{b64Header(encGCM, ""), header{encGCM, ""}},
		}
		for _, k := range c.keys {
			c.known = append(c.known,
				knownHeader{b64Header(encCBC, k.kidCBC), header{encCBC, k.kidCBC}},
				knownHeader{b64Header(encGCM, k.kidGCM), header{encGCM, k.kidGCM}})
		}
	}
	if o.CacheSize > 0 {
		c.cache = newCache(o.CacheSize, o.CacheBytes)
	}
	return c, nil
}

// b64Header returns the protected header Auth.js writes, base64url-encoded:
// members in the order alg, enc, kid (kids are base64url, which needs no
// JSON escaping).
func b64Header(enc, kid string) string {
	h := `{"alg":"dir","enc":"` + enc + `"`
	if kid != "" {
		h += `,"kid":"` + kid + `"`
	}
	return base64.RawURLEncoding.EncodeToString([]byte(h + "}"))
}

// DeriveKey returns the content-encryption key Auth.js derives from secret
// and salt: 64 bytes for v5 (A256CBC-HS512), 32 bytes for v4 (A256GCM).
func DeriveKey(format Format, secret, salt string) ([]byte, error) {
	k, err := deriveKey(format, secret, salt)
	if err != nil {
		return nil, err
	}
	if format == V4 {
		return k.gcm, nil
	}
	return k.cbc, nil
}

// Thumbprint returns the RFC 7638 SHA-512 thumbprint of a symmetric key, the
// "kid" Auth.js v5 writes into its token headers.
func Thumbprint(k []byte) string {
	// The required members of an "oct" JWK are "k" and "kty", in that order.
	// base64url output needs no JSON escaping.
	in := `{"k":"` + base64.RawURLEncoding.EncodeToString(k) + `","kty":"oct"}`
	sum := sha512.Sum512([]byte(in))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func deriveKey(format Format, secret, salt string) (key, error) {
	if secret == "" {
		return key{}, ErrNoSecret
	}
	var info string
	if format == V4 {
		info = "NextAuth.js Generated Encryption Key"
		if salt != "" {
			info += " (" + salt + ")"
		}
	} else {
		info = "Auth.js Generated Encryption Key (" + salt + ")"
	}
	var k key
	var err error
	if k.gcm, err = hkdf.Key(sha256.New, []byte(secret), []byte(salt), info, 32); err != nil {
		return key{}, fmt.Errorf("jwe: deriving key: %w", err)
	}
	k.kidGCM = Thumbprint(k.gcm)
	block, err := aes.NewCipher(k.gcm)
	if err != nil {
		return key{}, fmt.Errorf("jwe: building AES-GCM: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, fmt.Errorf("jwe: building AES-GCM: %w", err)
	}
	k.gcmAEAD = []cipher.AEAD{gcm}
	if format == V5 {
		if k.cbc, err = hkdf.Key(sha256.New, []byte(secret), []byte(salt), info, 64); err != nil {
			return key{}, fmt.Errorf("jwe: deriving key: %w", err)
		}
		k.kidCBC = Thumbprint(k.cbc)
		cbc, err := josecipher.NewCBCHMAC(k.cbc, aes.NewCipher)
		if err != nil {
			return key{}, fmt.Errorf("jwe: building A256CBC-HS512: %w", err)
		}
		k.cbcAEAD = []cipher.AEAD{cbc}
	}
	return k, nil
}

// bufPool holds the scratch buffers of Encode and Decode: decoded token
// parts, plaintext, output.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuf keeps the buffers of rare, large tokens out of the pool.
const maxPooledBuf = 32 << 10

func getBuf(n int) *[]byte {
	bp := bufPool.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, 0, n)
	}
	return bp
}

func putBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledBuf {
		*bp = (*bp)[:0]
		bufPool.Put(bp)
	}
}

// view returns the bytes of s without copying them, for functions that
// only read their input (base64 decoding, AEAD additional data).
func view(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Encode sets iat, exp (iat + maxAge) and a fresh jti on a copy of claims and
// returns the compact JWE.
func (c *Codec) Encode(claims authjs.Claims, maxAge time.Duration) (string, error) {
	now := c.now().Unix()
	nonceSize := c.encAEAD.NonceSize()
	var rnd [16 + 16]byte // the jti's UUID, then the IV
	if _, err := rand.Read(rnd[:16+nonceSize]); err != nil {
		return "", fmt.Errorf("jwe: reading random bytes: %w", err)
	}
	id := uuid.UUID(rnd[:16])
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	iv := rnd[16 : 16+nonceSize]

	bp := getBuf(2048)
	defer putBuf(bp)
	payload, err := appendClaims((*bp)[:0], claims, now, now+int64(maxAge/time.Second), id.String())
	if err != nil {
		return "", fmt.Errorf("jwe: encoding claims: %w", err)
	}
	// The sealed text and then its base64url form follow the payload in
	// the same buffer; make room for them once.
	enc := base64.RawURLEncoding
	sealedMax := len(payload) + 64
	if need := len(payload) + sealedMax + enc.EncodedLen(sealedMax); cap(payload) < need {
		payload = append(make([]byte, 0, need), payload...)
	}
	*bp = payload[:0]
	sealed := c.encAEAD.Seal(payload[len(payload):], iv, payload, view(c.encHeader))
	tagSize := c.encAEAD.Overhead()
	if c.format == V5 {
		tagSize = 32 // the CBC-HMAC Overhead includes the padding
	}
	ct, tag := sealed[:len(sealed)-tagSize], sealed[len(sealed)-tagSize:]

	n := len(c.encHeader) + 3 + enc.EncodedLen(len(iv)) + enc.EncodedLen(len(ct)) + enc.EncodedLen(len(tag))
	var b strings.Builder
	b.Grow(n)
	b.WriteString(c.encHeader)
	b.WriteString("..")
	var scratch [64]byte
	b.Write(enc.AppendEncode(scratch[:0], iv))
	b.WriteByte('.')
	b.Write(enc.AppendEncode(sealed[len(sealed):], ct)) // after the sealed text
	b.WriteByte('.')
	b.Write(enc.AppendEncode(scratch[:0], tag))
	return b.String(), nil
}

// Decode decrypts and validates a token. The returned Token may be shared
// with other callers through the verified-token cache: treat it as
// read-only and Clone it before changing it.
//
// A token has one spelling (see split): any other is refused before
// anything is done with it but comparing it with the cached tokens, and its
// header must pass the allow-list before any decryption. Every failure
// wraps ErrInvalidToken or ErrTokenExpired.
func (c *Codec) Decode(token string) (authjs.Claims, error) {
	claims, _, err := c.DecodeLookup(token)
	return claims, err
}

// Lookup is what the verified-token cache did for a Decode.
type Lookup uint8

const (
	// LookupNone: the cache was not asked (no cache, or a token refused
	// for its size).
	LookupNone Lookup = iota
	// LookupHit: the token was in the cache.
	LookupHit
	// LookupMiss: the token was not in the cache.
	LookupMiss
)

// DecodeLookup is Decode, also reporting what the cache did.
func (c *Codec) DecodeLookup(token string) (authjs.Claims, Lookup, error) {
	claims, _, lookup, err := c.DecodeAt(token, c.now())
	return claims, lookup, err
}

// DecodeAt is DecodeLookup with the token's times checked against now,
// for a caller that needs the same instant for its own checks (and reads
// the clock once). It also returns the token's expiry (its exp claim; zero
// without one), as checked, so that the caller need not read it from the
// claims again.
func (c *Codec) DecodeAt(token string, now time.Time) (authjs.Claims, time.Time, Lookup, error) {
	if token == "" || len(token) > MaxTokenLen {
		return nil, time.Time{}, LookupNone, errOversized
	}
	now = now.Truncate(time.Second) // jose compares whole seconds
	var h uint64
	lookup := LookupNone
	if c.cache != nil {
		// The cache holds only tokens that passed split's canonical
		// check, and a hit compares the whole string: a hit is one of
		// them, spelled the one way. Checking the spelling first would
		// add a pass over the token to every hit.
		h = c.cache.hash(token)
		if t, exp, ok := c.cache.get(token, h, now); ok {
			return t, exp, LookupHit, nil
		}
		lookup = LookupMiss
	}
	p, err := split(token)
	if err != nil {
		return nil, time.Time{}, lookup, err
	}
	claims, size, err := c.decrypt(p)
	if err != nil {
		return nil, time.Time{}, lookup, err
	}
	exp, err := checkTimes(claims, now)
	if err != nil {
		if !errors.Is(err, ErrTokenExpired) {
			err = reasoned{err, "claims"}
		}
		return nil, time.Time{}, lookup, err
	}
	if c.cache != nil {
		c.cache.put(token, h, claims, exp, size)
	}
	return claims, exp, lookup, nil
}

// reasoned marks an error with the reason Reason reports for it.
type reasoned struct {
	error
	reason string
}

func (r reasoned) Unwrap() error { return r.error }

// Reason names why Decode refused a token, for metrics: "oversized",
// "malformed" (not a compact JWE in canonical base64url, or parts of the
// wrong size), "header" (a refused algorithm or header), "key" (no secret
// decrypts it: another secret, another cookie name, or tampered with),
// "payload" (not a JSON object), "claims" (a time claim that is not a
// number) or "expired" (past exp, or before nbf). It returns "" for nil
// and "other" for an error Decode does not return.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	for e := err; e != nil; e = errors.Unwrap(e) { // errors.As would allocate
		if r, ok := e.(reasoned); ok {
			return r.reason
		}
	}
	switch {
	case errors.Is(err, ErrTokenExpired):
		return "expired"
	case errors.Is(err, errOversized):
		return "oversized"
	case errors.Is(err, errNoKey):
		return "key"
	case errors.Is(err, errPayload):
		return "payload"
	case errors.Is(err, errNotCompact), errors.Is(err, errBase64), errors.Is(err, errNotCanonical),
		errors.Is(err, errKeyWithDir), errors.Is(err, errSizes):
		return "malformed"
	}
	return "other"
}

// decrypt authenticates and decrypts a token split into canonical parts and
// parses its claims; size is the plaintext's length.
func (c *Codec) decrypt(p parts) (authjs.Claims, int, error) {
	h, ok := c.lookupHeader(p.header)
	if !ok {
		var err error
		if h, err = c.parseHeader(p.header); err != nil {
			return nil, 0, reasoned{err, "header"}
		}
	}
	aeads := c.candidates(h)
	if len(aeads) == 0 {
		return nil, 0, errNoKey
	}
	nonceSize, tagSize := 12, 16
	if h.enc == encCBC {
		nonceSize, tagSize = 16, 32
	}
	enc := base64.RawURLEncoding
	ivLen, ctLen, tagLen := enc.DecodedLen(len(p.iv)), enc.DecodedLen(len(p.ciphertext)), enc.DecodedLen(len(p.tag))
	if ivLen != nonceSize || tagLen != tagSize {
		return nil, 0, errSizes
	}
	// One buffer: IV, ciphertext and tag (contiguous, as Open wants
	// them), then room for the plaintext.
	bp := getBuf(ivLen + 2*ctLen + tagLen)
	defer putBuf(bp)
	buf := (*bp)[:ivLen+ctLen+tagLen]
	if _, err := b64.Decode(buf, view(p.iv)); err != nil {
		return nil, 0, errBase64
	}
	if _, err := b64.Decode(buf[ivLen:], view(p.ciphertext)); err != nil {
		return nil, 0, errBase64
	}
	if _, err := b64.Decode(buf[ivLen+ctLen:], view(p.tag)); err != nil {
		return nil, 0, errBase64
	}
	iv, sealed, dst := buf[:ivLen], buf[ivLen:], buf[len(buf):]
	aad := view(p.header)
	var plaintext []byte
	for _, a := range aeads {
		if pt, err := a.Open(dst, iv, sealed, aad); err == nil {
			plaintext = pt
			break
		}
	}
	if plaintext == nil {
		return nil, 0, errNoKey
	}
	claims, ok := parseClaims(plaintext)
	if !ok {
		return nil, 0, errPayload
	}
	return claims, len(plaintext), nil
}

// lookupHeader returns the checked header for one of the exact headers
// the codec expects.
func (c *Codec) lookupHeader(b64Header string) (header, bool) {
	for _, k := range c.known {
		if k.b64 == b64Header {
			return k.header, true
		}
	}
	return header{}, false
}

// candidates lists the AEADs to try for a token with the given header,
// following @auth/core: without a kid only the first secret is tried; with
// a kid only the secret whose thumbprint matches. v4 tokens carry no kid
// and every secret is tried in order (AES-GCM rejects a wrong key).
func (c *Codec) candidates(h header) []cipher.AEAD {
	if c.format == V4 {
		return c.v4GCM
	}
	pick := func(k key) ([]cipher.AEAD, string) {
		if h.enc == encGCM {
			return k.gcmAEAD, k.kidGCM
		}
		return k.cbcAEAD, k.kidCBC
	}
	if h.kid == "" {
		a, _ := pick(c.keys[0])
		return a
	}
	for _, k := range c.keys {
		if a, id := pick(k); id == h.kid {
			return a
		}
	}
	return nil
}

// checkTimes applies jose's JWT claim rules with the 15 s tolerance: exp must
// be after now-15s, nbf before now+15s, and iat, when present, a number. It
// returns the expiry (zero when the token has no exp).
func checkTimes(t authjs.Claims, now time.Time) (time.Time, error) {
	var exp time.Time
	if v, present := t["exp"]; present {
		e, ok := t.Time("exp")
		if !ok {
			return exp, fmt.Errorf("%w: exp is not a number (%T)", ErrInvalidToken, v)
		}
		if !e.After(now.Add(-ClockTolerance)) {
			return exp, ErrTokenExpired
		}
		exp = e
	}
	if v, present := t["nbf"]; present {
		n, ok := t.Time("nbf")
		if !ok {
			return exp, fmt.Errorf("%w: nbf is not a number (%T)", ErrInvalidToken, v)
		}
		if n.After(now.Add(ClockTolerance)) {
			return exp, fmt.Errorf("%w: not valid yet", ErrTokenExpired)
		}
	}
	if v, present := t["iat"]; present {
		if _, ok := t.Time("iat"); !ok {
			return exp, fmt.Errorf("%w: iat is not a number (%T)", ErrInvalidToken, v)
		}
	}
	return exp, nil
}
