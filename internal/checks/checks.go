// Package checks keeps the OAuth check values (PKCE code verifier, state,
// nonce) between the redirect to a provider and its callback, and a passkey
// ceremony's challenge between its options and its callback, in cookies
// named and encoded as Auth.js does: a JWE with the library's session token
// format, salted with the cookie's name, holding {"value", "provider"} and
// expiring after 15 minutes. A cookie is bound to the provider it was made
// for and deleted when used.
package checks

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/jwe"
)

// MaxAge is the lifetime of a check cookie and of the v5 state.
const MaxAge = 15 * time.Minute

// Kind is one of the checks.
type Kind int

// The checks.
const (
	PKCE Kind = iota
	State
	Nonce
	// WebAuthn is a passkey ceremony's challenge (authjs.challenge).
	WebAuthn
	numKinds
)

// String returns the check's name as Auth.js spells it.
func (k Kind) String() string {
	switch k {
	case PKCE:
		return "pkce"
	case State:
		return "state"
	case WebAuthn:
		return "webauthnChallenge"
	default:
		return "nonce"
	}
}

// Errors returned by Open.
var (
	// ErrMissing reports a callback without the check's cookie.
	ErrMissing = errors.New("checks: cookie missing")
	// ErrInvalid reports a cookie that does not decrypt, has expired or
	// was made for another provider.
	ErrInvalid = errors.New("checks: cookie invalid")
	// ErrMismatch reports a value the provider returned that differs from
	// the cookie's.
	ErrMismatch = errors.New("checks: value mismatch")
)

// Sealer seals and opens the check cookies of one cookie variant.
type Sealer struct {
	names  [numKinds]string
	codecs [numKinds]*jwe.Codec
	state  *jwe.Codec // v5: the state parameter is itself a JWE
	now    func() time.Time
}

// New returns a Sealer for the cookie names of one variant of dialect d.
func New(d *dialect.Dialect, secrets []string, names cookies.Names, now func() time.Time) (*Sealer, error) {
	if now == nil {
		now = time.Now
	}
	s := &Sealer{names: [numKinds]string{names.PKCE, names.State, names.Nonce, names.Challenge}, now: now}
	for i, n := range s.names {
		c, err := jwe.New(jwe.Options{Format: d.Token, Secrets: secrets, Salt: n, Now: now})
		if err != nil {
			return nil, err
		}
		s.codecs[i] = c
	}
	if d.EncryptedState {
		c, err := jwe.New(jwe.Options{Format: d.Token, Secrets: secrets, Salt: "encodedState", Now: now})
		if err != nil {
			return nil, err
		}
		s.state = c
	}
	return s, nil
}

// Name returns the cookie name of k.
func (s *Sealer) Name(k Kind) string { return s.names[k] }

// Random returns 32 random bytes, base64url-encoded (43 characters), as
// Auth.js makes state, nonce and PKCE verifier values.
func Random() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Challenge returns the S256 PKCE code challenge of verifier.
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NewState returns a state parameter: a random value in v4; in v5, as
// @auth/core does, a JWE (salt "encodedState") wrapping a random value.
func (s *Sealer) NewState() (string, error) {
	if s.state == nil {
		return Random(), nil
	}
	return s.state.Encode(authjs.Claims{"random": Random()}, MaxAge)
}

// Seal returns the cookie keeping value for provider. PKCE and state
// cookies carry Max-Age and Expires; the nonce cookie only Expires, as in
// Auth.js. Its token expires after MaxAge either way.
func (s *Sealer) Seal(k Kind, provider, value string) (cookies.Cookie, error) {
	v, err := s.codecs[k].Encode(authjs.Claims{"value": value, "provider": provider}, MaxAge)
	if err != nil {
		return cookies.Cookie{}, fmt.Errorf("checks: sealing %s: %w", k, err)
	}
	c := cookies.Cookie{Name: s.names[k], Value: v, Expires: s.now().Add(MaxAge)}
	if k != Nonce {
		c.MaxAge = int(MaxAge / time.Second)
	}
	return c, nil
}

// Open returns the value kept for provider in the request's cookie of
// kind k.
func (s *Sealer) Open(r *http.Request, k Kind, provider string) (string, error) {
	raw, ok := cookies.Get(r, s.names[k])
	if !ok || raw == "" {
		return "", fmt.Errorf("%w: %s", ErrMissing, k)
	}
	t, err := s.codecs[k].Decode(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrInvalid, k, err)
	}
	value := t.String("value")
	if value == "" {
		return "", fmt.Errorf("%w: %s: no value", ErrInvalid, k)
	}
	// Auth.js stores the provider since @auth/core 0.41.3 and next-auth
	// 4.24.15; a cookie without it, made by an older server, is refused.
	if !Equal(t.String("provider"), provider) {
		return "", fmt.Errorf("%w: %s: made for another provider", ErrInvalid, k)
	}
	return value, nil
}

// Equal compares a returned value with the kept one in constant time.
func Equal(kept, returned string) bool {
	return subtle.ConstantTimeCompare([]byte(kept), []byte(returned)) == 1
}

// Delete returns the cookie deleting k.
func (s *Sealer) Delete(k Kind) cookies.Cookie {
	return cookies.Cookie{Name: s.names[k], Delete: true}
}
