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
// The JOSE work is done by go-jose; this package derives the keys, enforces
// the algorithm allow-list, selects the key by "kid", and validates the
// time claims with Auth.js's 15 second tolerance.
package jwe

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
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

// ClockTolerance is the leeway applied to "exp" and "nbf", as in Auth.js.
const ClockTolerance = 15 * time.Second

// MaxTokenLen bounds the length of a token Decode will look at. Auth.js
// sessions rarely exceed a few kilobytes; 64 KiB is 17 cookie chunks.
const MaxTokenLen = 64 << 10

type key struct {
	cbc, gcm       []byte // 64-byte A256CBC-HS512 key (v5 only), 32-byte A256GCM key
	kidCBC, kidGCM string
}

// Codec encodes and decodes tokens for one salt (a cookie name in v5, the
// empty string for v4 sessions) and an ordered list of secrets: the first
// encrypts, all decrypt.
type Codec struct {
	format Format
	keys   []key
	encs   []jose.ContentEncryption
	enc    jose.Encrypter
	now    func() time.Time
	cache  *cache
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
	// CacheSize bounds the cache of verified tokens; 0 disables it.
	CacheSize int
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
	}
	var rcpt jose.Recipient
	var enc jose.ContentEncryption
	if o.Format == V4 {
		c.encs = []jose.ContentEncryption{jose.A256GCM}
		enc, rcpt = jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: c.keys[0].gcm}
	} else {
		c.encs = []jose.ContentEncryption{jose.A256CBC_HS512, jose.A256GCM}
		enc, rcpt = jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.DIRECT, Key: c.keys[0].cbc, KeyID: c.keys[0].kidCBC}
	}
	e, err := jose.NewEncrypter(enc, rcpt, nil)
	if err != nil {
		return nil, fmt.Errorf("jwe: building encrypter: %w", err)
	}
	c.enc = e
	if o.CacheSize > 0 {
		c.cache = newCache(o.CacheSize)
	}
	return c, nil
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
	if format == V5 {
		if k.cbc, err = hkdf.Key(sha256.New, []byte(secret), []byte(salt), info, 64); err != nil {
			return key{}, fmt.Errorf("jwe: deriving key: %w", err)
		}
		k.kidCBC = Thumbprint(k.cbc)
	}
	return k, nil
}

// Encode sets iat, exp (iat + maxAge) and a fresh jti on a copy of claims and
// returns the compact JWE.
func (c *Codec) Encode(claims authjs.Claims, maxAge time.Duration) (string, error) {
	now := c.now().Unix()
	out := make(map[string]any, len(claims)+3)
	for k, v := range claims {
		out[k] = v
	}
	out["iat"] = now
	out["exp"] = now + int64(maxAge/time.Second)
	out["jti"] = uuid.NewString()
	payload, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("jwe: encoding claims: %w", err)
	}
	obj, err := c.enc.Encrypt(payload)
	if err != nil {
		return "", fmt.Errorf("jwe: encrypting: %w", err)
	}
	return obj.CompactSerialize()
}

// Decode decrypts and validates a token. The returned Token may be shared
// with other callers through the verified-token cache: treat it as
// read-only and Clone it before changing it.
//
// Every failure wraps ErrInvalidToken or ErrTokenExpired.
func (c *Codec) Decode(token string) (authjs.Claims, error) {
	if token == "" || len(token) > MaxTokenLen {
		return nil, fmt.Errorf("%w: empty or oversized", ErrInvalidToken)
	}
	now := c.now().Truncate(time.Second) // jose compares whole seconds
	if c.cache != nil {
		if t, ok := c.cache.get(token, now); ok {
			return t, nil
		}
	}
	claims, err := c.decrypt(token)
	if err != nil {
		return nil, err
	}
	exp, err := checkTimes(claims, now)
	if err != nil {
		return nil, err
	}
	if c.cache != nil {
		c.cache.put(token, claims, exp)
	}
	return claims, nil
}

func (c *Codec) decrypt(token string) (authjs.Claims, error) {
	// With alg "dir" the JWE Encrypted Key must be empty (RFC 7516 §5.2
	// step 10). go-jose ignores it, so a token with bytes inserted there
	// would still decrypt; jose, which Auth.js uses, refuses it.
	if _, rest, _ := strings.Cut(token, "."); rest != "" && rest[0] != '.' {
		return nil, fmt.Errorf("%w: unexpected encrypted key with alg dir", ErrInvalidToken)
	}
	obj, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.DIRECT}, c.encs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	h := obj.Header
	if _, ok := h.ExtraHeaders["zip"]; ok {
		return nil, fmt.Errorf("%w: compressed tokens are not accepted", ErrInvalidToken)
	}
	if _, ok := h.ExtraHeaders["crit"]; ok {
		return nil, fmt.Errorf("%w: critical header parameters are not supported", ErrInvalidToken)
	}
	enc, _ := h.ExtraHeaders[jose.HeaderKey("enc")].(string)
	var plaintext []byte
	for _, k := range c.candidates(enc, h.KeyID) {
		if plaintext, err = obj.Decrypt(k); err == nil {
			break
		}
	}
	if plaintext == nil {
		return nil, fmt.Errorf("%w: no secret decrypts it", ErrInvalidToken)
	}
	var claims authjs.Claims
	dec := json.NewDecoder(bytes.NewReader(plaintext))
	if err := dec.Decode(&claims); err != nil || claims == nil || dec.More() {
		return nil, fmt.Errorf("%w: payload is not a JSON object", ErrInvalidToken)
	}
	return claims, nil
}

// candidates lists the keys to try for a token with the given enc and kid,
// following @auth/core: without a kid only the first secret is tried; with a
// kid only the secret whose thumbprint matches. v4 tokens carry no kid and
// every secret is tried in order (AES-GCM rejects a wrong key).
func (c *Codec) candidates(enc, kid string) [][]byte {
	pick := func(k key) ([]byte, string) {
		if enc == string(jose.A256GCM) {
			return k.gcm, k.kidGCM
		}
		return k.cbc, k.kidCBC
	}
	if c.format == V4 {
		out := make([][]byte, len(c.keys))
		for i, k := range c.keys {
			out[i], _ = pick(k)
		}
		return out
	}
	if kid == "" {
		b, _ := pick(c.keys[0])
		return [][]byte{b}
	}
	for _, k := range c.keys {
		if b, id := pick(k); id == kid {
			return [][]byte{b}
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
