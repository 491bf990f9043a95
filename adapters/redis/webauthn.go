package redis

import (
	"context"
	"fmt"

	"github.com/ginauth/ginauth/authjs"
)

// GetAuthenticator returns the authenticator with a credential ID.
func (s *Store) GetAuthenticator(ctx context.Context, credentialID string) (*authjs.Authenticator, error) {
	const op = "get authenticator"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.auth, credentialID)
	if !ok || credentialID == "" {
		return nil, notFound(op)
	}
	b, err := s.c.Get(ctx, key).Bytes()
	if err != nil {
		return nil, wrap(op, err)
	}
	a, err := decodeAuthenticator(b)
	if err != nil {
		return nil, wrap(op, err)
	}
	if a.CredentialID != credentialID {
		return nil, notFound(op)
	}
	return a, nil
}

// CreateAuthenticator stores an authenticator of the existing user
// a.UserID (ErrNotFound when there is none), adds it to ginauth's index and
// puts its credential ID first in the user's JavaScript list, atomically.
// A credential ID that exists is an ErrConflict.
func (s *Store) CreateAuthenticator(ctx context.Context, a authjs.Authenticator) error {
	const op = "create authenticator"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.auth, a.CredentialID)
	if !ok || a.CredentialID == "" {
		return fmt.Errorf("redis: %s: credential id: %w", op, errInvalidKey)
	}
	if _, ok := s.ks.key(s.ks.user, a.UserID); !ok || a.UserID == "" {
		return fmt.Errorf("redis: %s: user: %w", op, authjs.ErrNotFound)
	}
	reply, err := s.sc.createAuthenticator.Run(ctx, s.c, []string{key}, encodeAuthenticator(&a), a.CredentialID, a.UserID).Text()
	if err != nil {
		return wrap(op, err)
	}
	switch reply {
	case "ok":
		return nil
	case "conflict":
		return conflict(op, "credential id exists")
	case "nouser":
		return fmt.Errorf("redis: %s: user: %w", op, authjs.ErrNotFound)
	}
	return unexpected(op, reply)
}

// ListAuthenticatorsByUserID returns a user's authenticators in one round
// trip: those of the JavaScript adapter's list in its order (newest first),
// then those only ginauth's index names, each once.
func (s *Store) ListAuthenticatorsByUserID(ctx context.Context, userID string) ([]authjs.Authenticator, error) {
	const op = "list authenticators"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.authByUser, userID)
	if !ok || userID == "" {
		return nil, nil
	}
	res, err := s.sc.listAuthenticators.Run(ctx, s.c, []string{key}, userID).Slice()
	if err != nil {
		return nil, wrap(op, err)
	}
	var out []authjs.Authenticator
	for _, b := range replyStrings(res) {
		a, err := decodeAuthenticator(b)
		if err != nil {
			return nil, wrap(op, err)
		}
		if a.UserID == userID {
			out = append(out, *a)
		}
	}
	return out, nil
}

// UpdateAuthenticatorCounter sets an authenticator's signature counter,
// keeping the record's other fields, and rewrites the user's JavaScript
// list with every authenticator of the user once (the JavaScript adapter's
// own counter update drops or repeats entries). An authenticator that does
// not exist is an ErrNotFound.
func (s *Store) UpdateAuthenticatorCounter(ctx context.Context, credentialID string, counter int64) error {
	const op = "update authenticator counter"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.auth, credentialID)
	if !ok || credentialID == "" {
		return notFound(op)
	}
	for range maxRetries {
		stored, err := s.c.Get(ctx, key).Bytes()
		if err != nil {
			return wrap(op, err)
		}
		old, err := decodeAuthenticator(stored)
		if err != nil {
			return wrap(op, err)
		}
		if old.CredentialID != credentialID {
			return notFound(op)
		}
		rec, err := parseObject(stored)
		if err != nil {
			return wrap(op, err)
		}
		rec.set("counter", jsonValue(counter))
		reply, err := s.sc.updateAuthenticator.Run(ctx, s.c, []string{key}, stored, rec.marshal(), credentialID, old.UserID).Text()
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

// DeleteAuthenticator deletes the authenticator with a credential ID,
// removes it from ginauth's index and rewrites its user's JavaScript list
// without it, atomically. An authenticator that does not exist is an
// ErrNotFound.
func (s *Store) DeleteAuthenticator(ctx context.Context, credentialID string) error {
	const op = "delete authenticator"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.auth, credentialID)
	if !ok || credentialID == "" {
		return notFound(op)
	}
	reply, err := s.sc.deleteAuthenticator.Run(ctx, s.c, []string{key}, credentialID).Text()
	if err != nil {
		return wrap(op, err)
	}
	switch reply {
	case "ok":
		return nil
	case "notfound":
		return notFound(op)
	}
	return unexpected(op, reply)
}
