package redis

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

func ms(n int64) string { return strconv.FormatInt(n, 10) }

// CreateSession stores a database session of the existing user
// sess.UserID (ErrNotFound when there is none) that expires in Redis at
// sess.Expires, names it in the JavaScript adapter's by-user-id key and
// adds it to ginauth's index of the user's sessions. A session token that
// exists is an ErrConflict.
func (s *Store) CreateSession(ctx context.Context, sess authjs.DatabaseSession) error {
	const op = "create session"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.session, sess.SessionToken)
	if !ok || sess.SessionToken == "" {
		return fmt.Errorf("redis: %s: session token: %w", op, errInvalidKey)
	}
	if _, ok := s.ks.key(s.ks.user, sess.UserID); !ok || sess.UserID == "" {
		return fmt.Errorf("redis: %s: user: %w", op, authjs.ErrNotFound)
	}
	reply, err := s.sc.createSession.Run(ctx, s.c, []string{key},
		encodeSession(&sess), sess.UserID, ms(expiryMillis(sess.Expires)), ms(time.Now().UnixMilli()),
		s.ks.session+sess.SessionToken).Text()
	if err != nil {
		return wrap(op, err)
	}
	switch reply {
	case "ok":
		return nil
	case "conflict":
		return conflict(op, "session token exists")
	case "nouser":
		return fmt.Errorf("redis: %s: user: %w", op, authjs.ErrNotFound)
	}
	return unexpected(op, reply)
}

// GetSessionAndUser returns a session and its user in one round trip (one
// EVALSHA). A session past its expiry has expired in Redis too, and is not
// found.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionToken string) (*authjs.DatabaseSession, *authjs.User, error) {
	const op = "get session"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.session, sessionToken)
	if !ok || sessionToken == "" {
		return nil, nil, notFound(op)
	}
	res, err := s.sc.follow.Run(ctx, s.c, []string{key}, "json").Slice()
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	vals := replyStrings(res)
	if len(vals) != 2 {
		return nil, nil, notFound(op)
	}
	sess, err := decodeSession(vals[0])
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	if sess.SessionToken != sessionToken {
		return nil, nil, notFound(op)
	}
	u, err := decodeUser(vals[1])
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	if u.ID != sess.UserID {
		return nil, nil, notFound(op)
	}
	return sess, u, nil
}

// UpdateSession sets the expiry of the session with s.SessionToken, in its
// record and in Redis, keeping the record's other fields, and names it in
// the JavaScript adapter's by-user-id key as its updateSession does. A
// session that does not exist is an ErrNotFound.
func (s *Store) UpdateSession(ctx context.Context, sess authjs.DatabaseSession) error {
	const op = "update session"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.session, sess.SessionToken)
	if !ok || sess.SessionToken == "" {
		return notFound(op)
	}
	for range maxRetries {
		stored, err := s.c.Get(ctx, key).Bytes()
		if err != nil {
			return wrap(op, err)
		}
		old, err := decodeSession(stored)
		if err != nil {
			return wrap(op, err)
		}
		if old.SessionToken != sess.SessionToken {
			return notFound(op)
		}
		rec, err := parseObject(stored)
		if err != nil {
			return wrap(op, err)
		}
		rec.set("expires", jsonValue(formatTime(sess.Expires)))
		reply, err := s.sc.updateSession.Run(ctx, s.c, []string{key},
			stored, rec.marshal(), old.UserID, ms(expiryMillis(sess.Expires)), ms(time.Now().UnixMilli()),
			s.ks.session+sess.SessionToken).Text()
		if err != nil {
			return wrap(op, err)
		}
		switch reply {
		case "ok":
			return nil
		case "retry":
		case "notfound":
			return notFound(op)
		default:
			return unexpected(op, reply)
		}
	}
	return fmt.Errorf("redis: %s: %w", op, errContended)
}

// DeleteSession deletes a session; deleting one that does not exist is not
// an error.
func (s *Store) DeleteSession(ctx context.Context, sessionToken string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.session, sessionToken)
	if !ok || sessionToken == "" {
		return nil
	}
	if err := s.sc.deleteSession.Run(ctx, s.c, []string{key}, sessionToken).Err(); err != nil {
		return wrap("delete session", err)
	}
	return nil
}

// ListSessions returns the user's sessions that are still in Redis (those
// ginauth created or updated, and the last one the JavaScript side created
// or updated), by expiry.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]authjs.DatabaseSession, error) {
	const op = "list sessions"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.sessionIndex, userID)
	if !ok || userID == "" {
		return nil, nil
	}
	res, err := s.sc.listSessions.Run(ctx, s.c, []string{key}, userID).Slice()
	if err != nil {
		return nil, wrap(op, err)
	}
	var out []authjs.DatabaseSession
	for _, b := range replyStrings(res) {
		sess, err := decodeSession(b)
		if err != nil {
			return nil, wrap(op, err)
		}
		if sess.UserID == userID {
			out = append(out, *sess)
		}
	}
	slices.SortFunc(out, func(a, b authjs.DatabaseSession) int {
		return cmp.Or(a.Expires.Compare(b.Expires), cmp.Compare(a.SessionToken, b.SessionToken))
	})
	return out, nil
}

// DeleteSessions deletes the sessions ListSessions returns, atomically, and
// returns how many there were.
func (s *Store) DeleteSessions(ctx context.Context, userID string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.sessionIndex, userID)
	if !ok || userID == "" {
		return 0, nil
	}
	n, err := s.sc.deleteSessions.Run(ctx, s.c, []string{key}, userID).Int()
	if err != nil {
		return 0, wrap("delete sessions", err)
	}
	return n, nil
}

func (s *Store) tokenKey(identifier, token string) (string, bool) {
	if identifier == "" || token == "" {
		return "", false
	}
	return s.ks.key(s.ks.token, identifier+":"+token)
}

// CreateVerificationToken stores an email verification token that expires
// in Redis at t.Expires, replacing one with the same identifier and token
// as the JavaScript adapter does.
func (s *Store) CreateVerificationToken(ctx context.Context, t authjs.VerificationToken) error {
	const op = "create verification token"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.tokenKey(t.Identifier, t.Token)
	if !ok {
		return fmt.Errorf("redis: %s: %w", op, errInvalidKey)
	}
	if err := s.sc.setUntil.Run(ctx, s.c, []string{key}, encodeToken(&t), ms(expiryMillis(t.Expires))).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// UseVerificationToken deletes and returns the token with the given
// identifier and token, atomically: of concurrent calls exactly one gets
// it. A token past its expiry has expired in Redis too, and is not found.
func (s *Store) UseVerificationToken(ctx context.Context, identifier, token string) (*authjs.VerificationToken, error) {
	const op = "use verification token"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.tokenKey(identifier, token)
	if !ok {
		return nil, notFound(op)
	}
	b, err := s.sc.useToken.Run(ctx, s.c, []string{key}, identifier, token).Text()
	if err != nil {
		return nil, wrap(op, err)
	}
	t, err := decodeToken([]byte(b))
	if err != nil {
		return nil, wrap(op, err)
	}
	return t, nil
}
