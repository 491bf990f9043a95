package session

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// AuthTimeClaim is the token claim that keeps when a JWT session started
// (its first sign-in), in Unix seconds, as OpenID Connect's auth_time does.
// It is set only when an absolute lifetime is configured.
const AuthTimeClaim = "auth_time"

// errEnded reports a session past its absolute lifetime.
var errEnded = fmt.Errorf("%w: past its absolute lifetime", ErrNoSession)

// Started returns when the session of claims started: its AuthTimeClaim,
// or for a token made before an absolute lifetime applied (or by an Auth.js
// application), its "iat": the token's last renewal, which is no earlier
// than the true start, so the lifetime still ends.
func Started(claims authjs.Claims) (time.Time, bool) {
	if t, ok := claims.Time(AuthTimeClaim); ok {
		return t, true
	}
	return claims.Time("iat")
}

// stampLen is the length of a UUID, the random part of a session token.
const stampLen = 36

// stamp appends a database session token's creation time to it: the
// session token is the key the database finds the session by, so the time
// cannot be changed without losing the session.
func stamp(token string, created time.Time) string {
	return token + "." + strconv.FormatInt(created.Unix(), 10)
}

// stampedEnd returns when the session of a stamped token reaches its
// absolute lifetime, and false for a token without a creation time.
func stampedEnd(token string, absolute time.Duration) (time.Time, bool) {
	if len(token) <= stampLen+1 || token[stampLen] != '.' {
		return time.Time{}, false
	}
	created, err := strconv.ParseInt(token[stampLen+1:], 10, 64)
	if err != nil || created <= 0 {
		return time.Time{}, false
	}
	return time.Unix(created, 0).Add(absolute), true
}

// renewal returns the expiry an extension at now would give a database
// session, and whether one is due: the stored expiry was last written
// UpdateAge ago or more, and the extension would move it later. A session
// with an absolute lifetime is extended at most to its end; one whose
// start is unknown is not extended at all.
func (d *Database) renewal(l *Loaded, now time.Time) (next time.Time, due bool) {
	next = now.Add(d.MaxAge)
	if d.Absolute > 0 {
		end, ok := stampedEnd(l.Value, d.Absolute)
		if !ok {
			return l.Expires, false
		}
		if end.Before(next) {
			next = end
		}
	}
	renewed := l.Stored.Add(-d.MaxAge)
	return next, !renewed.Add(d.UpdateAge).After(now) && next.After(l.Stored)
}

// Due reports whether the session l, read through v, is due for renewal:
// a token issued UpdateAge ago or more (one without "iat" too), or a
// database session whose expiry was last written UpdateAge ago or more,
// as of when it was read (l.At; the clock when that is unset). It
// allocates nothing.
func Due(v *Variant, l *Loaded) bool {
	switch s := v.Store.(type) {
	case *JWT:
		iat, ok := l.Claims.Time("iat")
		return !ok || !iat.Add(s.UpdateAge).After(readAt(l, s.Now))
	case *Database:
		_, due := s.renewal(l, readAt(l, s.Now))
		return due
	}
	return false
}

// readAt returns when l was read, or now() for a session whose read time
// is unknown.
func readAt(l *Loaded, now func() time.Time) time.Time {
	if l.At.IsZero() {
		return now()
	}
	return l.At
}

// Renew renews the session l read through v when it is due (see Due): a
// JWT is re-issued with the same claims, a new "exp" and "iat", and its
// start kept; a database session's expiry is extended. It returns the value
// the browser must now keep and its expiry, or ok false when nothing was
// due. The token's claims are not run through the JWT callback.
func Renew(ctx context.Context, v *Variant, l *Loaded) (value string, expires time.Time, ok bool, err error) {
	if !Due(v, l) {
		return "", time.Time{}, false, nil
	}
	switch s := v.Store.(type) {
	case *JWT:
		value, expires, err = s.Reissue(l.Claims.Clone(), l)
	case *Database:
		value = l.Value
		expires, err = s.Extend(ctx, l)
	}
	if err != nil {
		return "", time.Time{}, false, err
	}
	return value, expires, true, nil
}
