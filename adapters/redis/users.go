package redis

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/ginauth/ginauth/authjs"
)

// CreateUser stores u under a new random UUID (u.ID is ignored, as the
// JavaScript adapter ignores it) with its email key, atomically, and
// returns the stored user (EmailVerified in whole milliseconds). An email
// another user has is an ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	const op = "create user"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if u.EmailVerified != nil {
		t := jsTime(*u.EmailVerified)
		u.EmailVerified = &t
	}
	var emailKey string
	if u.Email != "" {
		k, ok := s.ks.key(s.ks.email, u.Email)
		if !ok {
			return nil, fmt.Errorf("redis: %s: email: %w", op, errInvalidKey)
		}
		emailKey = k
	}
	for range 3 {
		u.ID = uuid.NewString()
		userKey, _ := s.ks.key(s.ks.user, u.ID)
		keys := []string{userKey}
		if emailKey != "" {
			keys = append(keys, emailKey)
		}
		reply, err := s.sc.createUser.Run(ctx, s.c, keys, encodeUser(&u), u.ID).Text()
		if err != nil {
			return nil, wrap(op, err)
		}
		switch reply {
		case "ok":
			return &u, nil
		case "conflict":
			return nil, conflict(op, "email in use")
		case "exists": // a UUID collision: draw again
		default:
			return nil, unexpected(op, reply)
		}
	}
	return nil, fmt.Errorf("redis: %s: no free user id", op)
}

// GetUser returns the user with the given ID.
func (s *Store) GetUser(ctx context.Context, id string) (*authjs.User, error) {
	const op = "get user"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.user, id)
	if !ok || id == "" {
		return nil, notFound(op)
	}
	b, err := s.c.Get(ctx, key).Bytes()
	if err != nil {
		return nil, wrap(op, err)
	}
	u, err := decodeUser(b)
	if err != nil {
		return nil, wrap(op, err)
	}
	if u.ID != id {
		return nil, notFound(op)
	}
	return u, nil
}

// GetUserByEmail returns the user whose email is exactly email, in one
// round trip.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*authjs.User, error) {
	const op = "get user by email"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.email, email)
	if !ok || email == "" {
		return nil, notFound(op)
	}
	res, err := s.sc.follow.Run(ctx, s.c, []string{key}, "raw").Slice()
	if err != nil {
		return nil, wrap(op, err)
	}
	vals := replyStrings(res)
	if len(vals) != 2 {
		return nil, notFound(op)
	}
	u, err := decodeUser(vals[1])
	if err != nil {
		return nil, wrap(op, err)
	}
	// The key may be stale (the user changed email) or shared with
	// another email (see the package documentation).
	if u.Email != email || u.ID != string(vals[0]) {
		return nil, notFound(op)
	}
	return u, nil
}

// GetUserByAccount returns the user linked to a provider account, in one
// round trip.
func (s *Store) GetUserByAccount(ctx context.Context, provider, providerAccountID string) (*authjs.User, error) {
	const op = "get user by account"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.accountKey(provider, providerAccountID)
	if !ok {
		return nil, notFound(op)
	}
	res, err := s.sc.follow.Run(ctx, s.c, []string{key}, "json").Slice()
	if err != nil {
		return nil, wrap(op, err)
	}
	vals := replyStrings(res)
	if len(vals) != 2 {
		return nil, notFound(op)
	}
	a, err := decodeAccount(vals[0])
	if err != nil {
		return nil, wrap(op, err)
	}
	if a.Provider != provider || a.ProviderAccountID != providerAccountID {
		return nil, notFound(op)
	}
	u, err := decodeUser(vals[1])
	if err != nil {
		return nil, wrap(op, err)
	}
	if u.ID != a.UserID {
		return nil, notFound(op)
	}
	return u, nil
}

// UpdateUser replaces the name, email, emailVerified and image of the user
// with u.ID (an empty string removes the field), keeping any other field
// of the stored record, moves its email key, and returns the stored user.
// An email another user has is an ErrConflict.
func (s *Store) UpdateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	const op = "update user"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.user, u.ID)
	if !ok || u.ID == "" {
		return nil, notFound(op)
	}
	if u.Email != "" {
		if _, ok := s.ks.key(s.ks.email, u.Email); !ok {
			return nil, fmt.Errorf("redis: %s: email: %w", op, errInvalidKey)
		}
	}
	for range maxRetries {
		stored, err := s.c.Get(ctx, key).Bytes()
		if err != nil {
			return nil, wrap(op, err)
		}
		old, err := decodeUser(stored)
		if err != nil {
			return nil, wrap(op, err)
		}
		if old.ID != u.ID {
			return nil, notFound(op)
		}
		rec, err := parseObject(stored)
		if err != nil {
			return nil, wrap(op, err)
		}
		rec.setString("name", u.Name)
		rec.setString("email", u.Email)
		rec.setString("image", u.Image)
		setEmailVerified(&rec, u.EmailVerified)
		next := rec.marshal()
		reply, err := s.sc.updateUser.Run(ctx, s.c, []string{key}, stored, next, u.ID, old.Email, u.Email).Text()
		if err != nil {
			return nil, wrap(op, err)
		}
		switch reply {
		case "ok":
			out, err := decodeUser(next)
			if err != nil {
				return nil, wrap(op, err)
			}
			return out, nil
		case "retry":
		case "notfound":
			return nil, notFound(op)
		case "conflict":
			return nil, conflict(op, "email in use")
		default:
			return nil, unexpected(op, reply)
		}
	}
	return nil, fmt.Errorf("redis: %s: %w", op, errContended)
}

// DeleteUser deletes a user with its email key, its accounts, its sessions
// and its authenticators, atomically. Deleting a user that does not exist
// is not an error.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.ks.key(s.ks.user, id)
	if !ok || id == "" {
		return nil
	}
	if err := s.sc.deleteUser.Run(ctx, s.c, []string{key}, id).Err(); err != nil {
		return wrap("delete user", err)
	}
	return nil
}

func (s *Store) accountKey(provider, providerAccountID string) (string, bool) {
	if provider == "" || providerAccountID == "" {
		return "", false
	}
	return s.ks.key(s.ks.account, provider+":"+providerAccountID)
}

// LinkAccount stores a provider account of the existing user a.UserID
// (ErrNotFound when there is none). An account that is linked to an
// existing user is an ErrConflict.
func (s *Store) LinkAccount(ctx context.Context, a authjs.Account) error {
	const op = "link account"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.accountKey(a.Provider, a.ProviderAccountID)
	if !ok {
		return fmt.Errorf("redis: %s: provider and provider account id: %w", op, errInvalidKey)
	}
	if _, ok := s.ks.key(s.ks.user, a.UserID); !ok || a.UserID == "" {
		return fmt.Errorf("redis: %s: user: %w", op, authjs.ErrNotFound)
	}
	pointer := s.ks.account + a.Provider + ":" + a.ProviderAccountID
	reply, err := s.sc.linkAccount.Run(ctx, s.c, []string{key}, encodeAccount(&a), a.UserID, pointer).Text()
	if err != nil {
		return wrap(op, err)
	}
	switch reply {
	case "ok":
		return nil
	case "conflict":
		return conflict(op, "account already linked")
	case "nouser":
		return fmt.Errorf("redis: %s: user: %w", op, authjs.ErrNotFound)
	}
	return unexpected(op, reply)
}

// UnlinkAccount deletes a provider account; unlinking one that does not
// exist is not an error.
func (s *Store) UnlinkAccount(ctx context.Context, provider, providerAccountID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.accountKey(provider, providerAccountID)
	if !ok {
		return nil
	}
	if err := s.sc.unlinkAccount.Run(ctx, s.c, []string{key}, provider, providerAccountID).Err(); err != nil {
		return wrap("unlink account", err)
	}
	return nil
}

// GetAccount returns a provider account.
func (s *Store) GetAccount(ctx context.Context, provider, providerAccountID string) (*authjs.Account, error) {
	const op = "get account"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, ok := s.accountKey(provider, providerAccountID)
	if !ok {
		return nil, notFound(op)
	}
	b, err := s.c.Get(ctx, key).Bytes()
	if err != nil {
		return nil, wrap(op, err)
	}
	a, err := decodeAccount(b)
	if err != nil {
		return nil, wrap(op, err)
	}
	if a.Provider != provider || a.ProviderAccountID != providerAccountID {
		return nil, notFound(op)
	}
	return a, nil
}
