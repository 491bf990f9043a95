// Package csrf implements Auth.js's double-submit CSRF token: a cookie
// holding "<token>|<hash>", where token is 32 random bytes in lower-case hex
// and hash = hex(SHA-256(token + secret)), and a form field that must repeat
// the token on every state-changing POST.
package csrf

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Hash returns hex(SHA-256(token + secret)).
func Hash(token, secret string) string {
	sum := sha256.Sum256([]byte(token + secret))
	return hex.EncodeToString(sum[:])
}

// New returns a fresh token and the cookie value that vouches for it.
func New(secret string) (token, cookie string) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on an unusable source)
	token = hex.EncodeToString(b[:])
	return token, token + "|" + Hash(token, secret)
}

// FromCookie returns the token of a cookie value whose hash matches secret,
// comparing in constant time.
func FromCookie(cookie, secret string) (string, bool) {
	token, hash, ok := strings.Cut(cookie, "|")
	if !ok || len(token) != 64 || len(hash) != 64 {
		return "", false
	}
	want := Hash(token, secret)
	if subtle.ConstantTimeCompare([]byte(hash), []byte(want)) != 1 {
		return "", false
	}
	return token, true
}

// Verify reports, in constant time, whether submitted equals the cookie's
// token. An empty token never verifies.
func Verify(token, submitted string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(submitted)) == 1
}
