// Package session holds the session strategy (how a session cookie's value
// maps to claims), the per-deployment cookie settings, and the reading of
// the session from a request: the path every request takes.
package session

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/jwe"
)

// Store is a session strategy. The JWT strategy keeps the claims in the
// cookie itself; a database strategy keeps an opaque id in the cookie and the
// session in a store, which makes sessions revocable.
type Store interface {
	// Issue starts a session holding claims and returns the cookie value
	// and when the session expires.
	Issue(ctx context.Context, claims authjs.Claims) (value string, expires time.Time, err error)
	// Load returns the claims of the session whose cookie value is given.
	// A session that does not exist, has expired or was tampered with is an
	// error for which Invalid reports true.
	Load(ctx context.Context, value string) (authjs.Claims, error)
	// Revoke ends a session (a no-op for stateless tokens).
	Revoke(ctx context.Context, value string) error
}

// Invalid reports whether err from Load means "no valid session" (a
// malformed, tampered, unknown or expired value) rather than a failure of
// the store.
func Invalid(err error) bool {
	return errors.Is(err, jwe.ErrInvalidToken) || errors.Is(err, jwe.ErrTokenExpired)
}

// JWT is the stateless strategy: an encrypted token in the cookie.
type JWT struct {
	Codec  *jwe.Codec
	MaxAge time.Duration
	Now    func() time.Time
}

// Issue encodes claims into a token valid for MaxAge.
func (j *JWT) Issue(_ context.Context, claims authjs.Claims) (string, time.Time, error) {
	v, err := j.Codec.Encode(claims, j.MaxAge)
	if err != nil {
		return "", time.Time{}, err
	}
	return v, j.Now().Add(j.MaxAge), nil
}

// Load decodes and validates a token.
func (j *JWT) Load(_ context.Context, value string) (authjs.Claims, error) {
	return j.Codec.Decode(value)
}

// Revoke does nothing: a stateless token cannot be revoked before it
// expires, only removed from the browser.
func (j *JWT) Revoke(context.Context, string) error { return nil }

// Variant is everything that depends on whether cookies are secure: the
// cookie names (and so, in v5, the token keys) and their attributes.
type Variant struct {
	Names cookies.Names
	Attrs cookies.Attrs
	Store Store
	// Checks keeps the OAuth check values in cookies.
	Checks *checks.Sealer
}

// Site resolves the application's origin for a request.
type Site struct {
	// Origin is the configured origin ("https://app.example.com"), or "".
	Origin string
	// TrustHost lets X-Forwarded-Proto and X-Forwarded-Host (or the Host
	// header) decide the origin when Origin is empty.
	TrustHost bool
	// Secure forces secure cookies on or off; nil derives them from the
	// origin's scheme.
	Secure *bool
}

// Resolve returns the origin for r and whether cookies must be secure. ok is
// false when the origin cannot be trusted or the forwarded host is malformed.
func (s *Site) Resolve(r *http.Request) (origin string, secure bool, ok bool) {
	origin = s.Origin
	if origin == "" {
		if !s.TrustHost {
			return "", false, false
		}
		proto := firstValue(r.Header.Get("X-Forwarded-Proto"))
		if proto != "http" && proto != "https" {
			proto = "http"
			if r.TLS != nil {
				proto = "https"
			}
		}
		host := firstValue(r.Header.Get("X-Forwarded-Host"))
		if host == "" {
			host = r.Host
		}
		if !validHost(host) {
			return "", false, false
		}
		origin = proto + "://" + strings.ToLower(host)
	}
	secure = strings.HasPrefix(origin, "https://")
	if s.Secure != nil {
		secure = *s.Secure
	}
	return origin, secure, true
}

func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

// validHost accepts a host name, IPv4 or bracketed IPv6 address with an
// optional port, and nothing that could change a URL's meaning.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	u, err := url.Parse("http://" + h)
	if err != nil || u.Host != h || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_' ||
			'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// Value returns the raw session value sent with r: the session cookie
// (reassembled from its chunks) or, without one, an
// "Authorization: Bearer <token>" header, as Auth.js's getToken reads it.
// present reports whether a session cookie was sent at all.
func Value(r *http.Request, name string) (value string, present bool) {
	value, present = cookies.ReadChunked(r, name)
	if present {
		return value, true
	}
	return Bearer(r), false
}

// Bearer returns the token of an "Authorization: Bearer <token>" header
// (percent-decoded, as getToken does), or "".
func Bearer(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if len(auth) <= 7 || !strings.EqualFold(auth[:7], "bearer ") {
		return ""
	}
	v := strings.TrimSpace(auth[7:])
	if strings.IndexByte(v, '%') >= 0 {
		if d, err := url.PathUnescape(v); err == nil {
			v = d
		}
	}
	return v
}
