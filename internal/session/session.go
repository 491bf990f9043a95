// Package session reads, starts, extends and ends sessions: the path every
// request takes. A Store turns a session value into a session and back (the
// JWT strategy keeps the claims in the value itself; the database strategy
// keeps a random token in it and the session in an adapter); a Carrier
// keeps the value in the browser (ginauth's own chunked cookie, or another
// session mechanism such as gin-contrib/sessions).
package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/internal/telemetry"
)

// ErrNoSession reports a session value that leads to no session: unknown,
// expired or malformed. Any other error from a Store is a failure of the
// store, which must not be mistaken for a signed-out user.
var ErrNoSession = errors.New("session: no such session")

// Invalid reports whether err from Load means "no valid session" rather than
// a failure of the store.
func Invalid(err error) bool {
	return errors.Is(err, ErrNoSession) || errors.Is(err, jwe.ErrInvalidToken) || errors.Is(err, jwe.ErrTokenExpired)
}

// Loaded is a session read from a request.
type Loaded struct {
	// Value is the session value the request carried.
	Value string
	// Claims are the token's claims (JWT strategy; shared with the token
	// cache: read-only), or, for a database session, the claims ginauth
	// derives from its user (sub, name, email, picture, exp).
	Claims authjs.Claims
	// User is the session's user (database strategy only).
	User *authjs.User
	// Expires is when the session ends.
	Expires time.Time
	// Nulls: the user's empty fields are null in the session (a database
	// session from a store whose absent fields are NULL).
	Nulls bool
	// Stored is the expiry the database keeps for the session (database
	// strategy only); Expires may be earlier, at the absolute lifetime's end.
	Stored time.Time
	// Variant is the cookie variant whose value the session came from;
	// nil for a session read from an "Authorization: Bearer" header.
	Variant *Variant
	// At is when the session was read: the time its expiry was checked
	// against, which Due reuses rather than reading the clock again.
	At time.Time
}

// Session builds the default session, before any Session callback.
func (l *Loaded) Session() *authjs.Session {
	s := authjs.SessionFromClaims(l.Claims, l.Expires)
	if l.Nulls && s.User != nil {
		s.User.Nulls = true
	}
	return s
}

// Store is a session strategy.
type Store interface {
	// Database reports whether sessions are kept in an adapter (the
	// database strategy) rather than in the value (the JWT strategy).
	Database() bool
	// Issue starts a session: the JWT strategy encodes claims, the
	// database strategy stores a session of user. It returns the value and
	// when the session expires.
	Issue(ctx context.Context, claims authjs.Claims, user *authjs.User) (value string, expires time.Time, err error)
	// Load reads the session of a value into l (which it overwrites
	// whole, so a caller can keep it without allocating); an error for
	// which Invalid reports true means there is none, and leaves l unset.
	Load(ctx context.Context, value string, l *Loaded) error
	// Revoke ends a session (a no-op for stateless tokens).
	Revoke(ctx context.Context, value string) error
}

// JWT is the stateless strategy: an encrypted token as the value.
type JWT struct {
	Codec  *jwe.Codec
	MaxAge time.Duration
	// UpdateAge is how old a token must be before Renew re-issues it.
	UpdateAge time.Duration
	// Absolute, when positive, is the longest a session lives after its
	// first sign-in (the AuthTimeClaim), however often it is renewed.
	Absolute time.Duration
	Now      func() time.Time
	// Tel counts cache lookups and refused tokens; nil counts nothing.
	Tel *telemetry.T
}

// Database reports false.
func (j *JWT) Database() bool { return false }

// Issue encodes claims into a token valid for MaxAge. With an absolute
// lifetime, a token without an AuthTimeClaim starts now (claims gets one).
func (j *JWT) Issue(_ context.Context, claims authjs.Claims, _ *authjs.User) (string, time.Time, error) {
	now := j.Now()
	if j.Absolute > 0 {
		if claims == nil {
			claims = authjs.Claims{}
		}
		if _, ok := claims.Time(AuthTimeClaim); !ok {
			claims[AuthTimeClaim] = float64(now.Unix())
		}
	}
	return j.encode(claims, now)
}

// Reissue encodes claims into a new token for the session from was read
// as, keeping from's start: the absolute lifetime goes on from the first
// sign-in, whatever claims (the JWT callback's answer) hold.
func (j *JWT) Reissue(claims authjs.Claims, from *Loaded) (string, time.Time, error) {
	if j.Absolute > 0 {
		start, ok := Started(from.Claims)
		if !ok {
			return "", time.Time{}, fmt.Errorf("%w: the token has no start", ErrNoSession)
		}
		claims[AuthTimeClaim] = float64(start.Unix())
	}
	return j.encode(claims, j.Now())
}

// encode encodes claims valid for MaxAge, or until the absolute
// lifetime ends when that is sooner.
func (j *JWT) encode(claims authjs.Claims, now time.Time) (string, time.Time, error) {
	maxAge := j.MaxAge
	if j.Absolute > 0 {
		start, _ := claims.Time(AuthTimeClaim)
		left := start.Add(j.Absolute).Sub(now).Truncate(time.Second)
		if left < time.Second {
			return "", time.Time{}, fmt.Errorf("%w: past its absolute lifetime", ErrNoSession)
		}
		maxAge = min(maxAge, left)
	}
	v, err := j.Codec.Encode(claims, maxAge)
	if err != nil {
		return "", time.Time{}, err
	}
	return v, now.Add(maxAge), nil
}

// Load decodes and validates a token, and refuses one past its absolute
// lifetime.
func (j *JWT) Load(ctx context.Context, value string, l *Loaded) error {
	now := j.Now()
	claims, exp, lookup, err := j.Codec.DecodeAt(value, now)
	switch lookup {
	case jwe.LookupHit:
		j.Tel.CacheHit(ctx)
	case jwe.LookupMiss:
		j.Tel.CacheMiss(ctx)
	}
	if err != nil {
		j.Tel.DecodeFailed(ctx, jwe.Reason(err))
		return err
	}
	if j.Absolute > 0 {
		start, ok := Started(claims)
		end := start.Add(j.Absolute)
		if !ok || !end.After(now) {
			return errEnded
		}
		if end.Before(exp) {
			exp = end
		}
	}
	*l = Loaded{Value: value, Claims: claims, Expires: exp, At: now}
	return nil
}

// Revoke does nothing: a stateless token cannot be revoked before it
// expires, only removed from the browser.
func (j *JWT) Revoke(context.Context, string) error { return nil }

// maxTokenLen bounds a database session token: @auth/pg-adapter's column
// holds 255 characters, and ginauth's tokens are UUIDs.
const maxTokenLen = 255

// Database is the database strategy (Auth.js's "database" session
// strategy): a random token as the value, the session in an adapter.
type Database struct {
	Adapter authjs.Adapter
	// MaxAge is the session's lifetime after its last extension;
	// UpdateAge how often at most it is extended (Auth.js's updateAge).
	MaxAge, UpdateAge time.Duration
	// Absolute, when positive, is the longest a session lives after it
	// was created, however often it is extended. The creation time is
	// part of the session token (see Issue); a session without one (made
	// by an Auth.js application sharing the database) is never extended.
	Absolute time.Duration
	Now      func() time.Time
	// Nulls: the adapter keeps absent user fields as NULL.
	Nulls bool
}

// Database reports true.
func (d *Database) Database() bool { return true }

// Issue stores a new session of user, with a random UUID as its token.
func (d *Database) Issue(ctx context.Context, _ authjs.Claims, user *authjs.User) (string, time.Time, error) {
	if user == nil || user.ID == "" {
		return "", time.Time{}, errors.New("session: a database session needs a stored user")
	}
	now := d.Now()
	s := authjs.DatabaseSession{SessionToken: uuid.NewString(), UserID: user.ID, Expires: now.Add(d.MaxAge)}
	if d.Absolute > 0 {
		s.SessionToken = stamp(s.SessionToken, now)
		if end := now.Add(d.Absolute); end.Before(s.Expires) {
			s.Expires = end
		}
	}
	if err := d.Adapter.CreateSession(ctx, s); err != nil {
		return "", time.Time{}, fmt.Errorf("session: creating the session: %w", err)
	}
	return s.SessionToken, s.Expires, nil
}

// Load finds the session and its user in one call to the adapter. An
// expired session is deleted.
func (d *Database) Load(ctx context.Context, value string, l *Loaded) error {
	if value == "" || len(value) > maxTokenLen {
		return ErrNoSession
	}
	end, stamped := time.Time{}, false
	if d.Absolute > 0 {
		if end, stamped = stampedEnd(value, d.Absolute); stamped && !end.After(d.Now()) {
			return errEnded // its row expires by itself: Extend never passes end
		}
	}
	s, u, err := d.Adapter.GetSessionAndUser(ctx, value)
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		return ErrNoSession
	case err != nil:
		return fmt.Errorf("session: reading the session: %w", err)
	}
	// The clock is read after the store answers: a slow query must not
	// let a session expire unseen.
	now := d.Now()
	if !s.Expires.After(now) {
		if err := d.Adapter.DeleteSession(ctx, value); err != nil {
			return fmt.Errorf("session: deleting an expired session: %w", err)
		}
		return ErrNoSession
	}
	claims := authjs.Claims{"sub": u.ID, "exp": float64(s.Expires.Unix())}
	for k, v := range map[string]string{"name": u.Name, "email": u.Email, "picture": u.Image} {
		if v != "" {
			claims[k] = v
		}
	}
	expires := s.Expires
	if stamped && end.Before(expires) {
		expires = end
		claims["exp"] = float64(end.Unix())
	}
	*l = Loaded{Value: value, Claims: claims, User: u, Expires: expires, Stored: s.Expires, Nulls: d.Nulls, At: now}
	return nil
}

// Extend pushes the session's expiry to now + MaxAge (or to the end of its
// absolute lifetime, when sooner) when it was last extended more than
// UpdateAge ago, as Auth.js does on /session, and returns the cookie's new
// expiry.
func (d *Database) Extend(ctx context.Context, l *Loaded) (time.Time, error) {
	next, due := d.renewal(l, d.Now())
	if due {
		s := authjs.DatabaseSession{SessionToken: l.Value, UserID: l.User.ID, Expires: next}
		if err := d.Adapter.UpdateSession(ctx, s); err != nil {
			return time.Time{}, fmt.Errorf("session: extending the session: %w", err)
		}
	}
	return next, nil
}

// Revoke deletes the session.
func (d *Database) Revoke(ctx context.Context, value string) error {
	if value == "" || len(value) > maxTokenLen {
		return nil
	}
	if err := d.Adapter.DeleteSession(ctx, value); err != nil {
		return fmt.Errorf("session: deleting the session: %w", err)
	}
	return nil
}

// Carrier keeps a session value in the browser.
type Carrier interface {
	// Value returns the request's session value for variant v; present
	// reports whether the request carries one at all (an empty or broken
	// one included); an error is a failure of the carrier itself.
	Value(c *gin.Context, v *Variant) (value string, present bool, err error)
	// Set keeps value until expires; it returns the cookies the response
	// must set, or sets what it needs itself.
	Set(c *gin.Context, v *Variant, value string, expires time.Time) ([]cookies.Cookie, error)
	// Clear removes the value; it returns the cookies that delete it, or
	// deletes it itself.
	Clear(c *gin.Context, v *Variant) ([]cookies.Cookie, error)
}

// Cookies is the carrier of ginauth's own session cookie, chunked as
// Auth.js chunks it.
type Cookies struct {
	// ChunkSize is the dialect's largest cookie value.
	ChunkSize int
}

// Value reads the session cookie, reassembled from its chunks.
func (k Cookies) Value(c *gin.Context, v *Variant) (string, bool, error) {
	value, present := cookies.ReadChunked(c.Request, v.Names.Session)
	return value, present, nil
}

// Set returns the cookies that store value, deleting stale chunks.
func (k Cookies) Set(c *gin.Context, v *Variant, value string, expires time.Time) ([]cookies.Cookie, error) {
	name := v.Names.Session
	return cookies.Chunk(name, value, k.ChunkSize, cookies.Seen(c.Request, name), expires), nil
}

// Clear returns deletions for every session cookie the request sent.
func (k Cookies) Clear(c *gin.Context, v *Variant) ([]cookies.Cookie, error) {
	return cookies.Clear(cookies.Seen(c.Request, v.Names.Session)), nil
}

// Read returns the request's session: the first variant whose carried value
// loads, or, when no variant carries a value at all and bearer is set, an
// "Authorization: Bearer" token (as Auth.js's getToken reads one): a value
// that fails to load is never replaced by the header. present reports that
// the request carried a session value; a store failure is an error. The
// session is read into into when it is not nil (l is then into), so that
// a caller keeping per-request state need not allocate another.
func Read(c *gin.Context, variants []*Variant, carrier Carrier, bearer bool, into *Loaded) (l *Loaded, present bool, err error) {
	if into == nil {
		into = new(Loaded)
	}
	l, present, err = read(c, variants, carrier, bearer, into)
	if len(variants) > 0 {
		out := telemetry.ReadAbsent
		switch {
		case err != nil:
			out = telemetry.ReadError
		case l != nil:
			out = telemetry.ReadValid
		case present:
			out = telemetry.ReadInvalid
		}
		v := variants[0]
		v.Tel.SessionRead(c.Request.Context(), v.Store.Database(), out)
	}
	return l, present, err
}

func read(c *gin.Context, variants []*Variant, carrier Carrier, bearer bool, l *Loaded) (_ *Loaded, present bool, err error) {
	ctx := c.Request.Context()
	for _, v := range variants {
		value, sent, err := carrier.Value(c, v)
		if err != nil {
			return nil, true, err
		}
		present = present || sent
		if value == "" {
			continue
		}
		err = v.Store.Load(ctx, value, l)
		if err == nil {
			l.Variant = v
			return l, true, nil
		}
		if !Invalid(err) {
			return nil, true, err
		}
	}
	if present || !bearer {
		return nil, present, nil
	}
	if value := Bearer(c.Request); value != "" {
		for _, v := range variants {
			if err := v.Store.Load(ctx, value, l); err == nil {
				return l, false, nil
			}
		}
	}
	return nil, false, nil
}

// Variant is everything that depends on whether cookies are secure: the
// cookie names (and so, in v5, the token keys) and their attributes.
type Variant struct {
	Names cookies.Names
	Attrs cookies.Attrs
	Store Store
	// Checks keeps the OAuth check values in cookies.
	Checks *checks.Sealer
	// Tel counts session reads; nil counts nothing.
	Tel *telemetry.T
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
