// Package accounts decides which user a provider sign-in belongs to when an
// adapter keeps users and accounts, following Auth.js's account linking
// (@auth/core's handleLoginOrRegister): a known account signs its user in,
// an unknown one is linked to the signed-in user or to a new user, and an
// email address shared with another user links only when the provider
// allows it. Concurrent first sign-ins of one account end with one user and
// one account, whatever the order in which they reach the store.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// ErrNotLinked reports a sign-in with an account that belongs to another
// user than the signed-in one, or whose email belongs to a user the account
// may not be linked to: Auth.js's OAuthAccountNotLinked.
var ErrNotLinked = errors.New("accounts: the account is not linked to this user")

// ErrCreateUser wraps a store's failure to create the user of a first
// sign-in (Auth.js v4 reports it as OAuthCreateAccount).
var ErrCreateUser = errors.New("accounts: creating the user failed")

// Request is one sign-in to resolve.
type Request struct {
	// Account is the provider account; its UserID is ignored.
	Account authjs.Account
	// Profile is the user the provider describes; its ID is ignored.
	Profile authjs.User
	// Current is the user already signed in, or nil.
	Current *authjs.User
	// LinkByEmail links the account to an existing user with the same
	// email address (the provider's AllowDangerousEmailAccountLinking).
	LinkByEmail bool
}

// Result is a resolved sign-in.
type Result struct {
	// User is the user to sign in.
	User *authjs.User
	// Created reports that the sign-in created User (Auth.js's isNewUser).
	Created bool
	// Linked reports that the sign-in linked the account to User.
	Linked bool
}

// maxAttempts bounds the retries after losing a race to a concurrent
// sign-in of the same account or email.
const maxAttempts = 5

// backoff is the wait before the nth retry: 25, 50, 100, 200 ms.
func backoff(n int) time.Duration { return 25 * time.Millisecond << (n - 1) }

// Resolve finds or makes the user of a sign-in.
func Resolve(ctx context.Context, a authjs.Adapter, req Request) (Result, error) {
	var err error
	for n := range maxAttempts {
		if n > 0 {
			select {
			case <-ctx.Done():
				return Result{}, ctx.Err()
			case <-time.After(backoff(n)):
			}
		}
		var res Result
		res, err = resolve(ctx, a, req)
		switch {
		case errors.Is(err, authjs.ErrConflict):
			// Another sign-in created the user or linked the account
			// meanwhile: look again.
		case errors.Is(err, ErrNotLinked) && req.Current == nil:
			// The email's user may be the one a concurrent first sign-in
			// of this very account has created and not linked yet: give
			// it the time before refusing.
		default:
			return res, err
		}
	}
	if errors.Is(err, ErrNotLinked) {
		return Result{}, err
	}
	return Result{}, fmt.Errorf("accounts: sign-in kept losing races: %w", err)
}

func resolve(ctx context.Context, a authjs.Adapter, req Request) (Result, error) {
	acct := req.Account
	known, err := a.GetUserByAccount(ctx, acct.Provider, acct.ProviderAccountID)
	switch {
	case err == nil:
		if req.Current != nil && req.Current.ID != known.ID {
			return Result{}, ErrNotLinked
		}
		return Result{User: known}, nil
	case !errors.Is(err, authjs.ErrNotFound):
		return Result{}, err
	}

	if req.Current != nil {
		acct.UserID = req.Current.ID
		if err := a.LinkAccount(ctx, acct); err != nil {
			return Result{}, err
		}
		return Result{User: req.Current, Linked: true}, nil
	}

	if req.Profile.Email != "" {
		byEmail, err := a.GetUserByEmail(ctx, req.Profile.Email)
		switch {
		case err == nil:
			if !req.LinkByEmail {
				return Result{}, ErrNotLinked
			}
			acct.UserID = byEmail.ID
			if err := a.LinkAccount(ctx, acct); err != nil {
				return Result{}, err
			}
			return Result{User: byEmail, Linked: true}, nil
		case !errors.Is(err, authjs.ErrNotFound):
			return Result{}, err
		}
	}

	profile := req.Profile
	profile.ID, profile.EmailVerified = "", nil
	created, err := a.CreateUser(ctx, profile)
	switch {
	case errors.Is(err, authjs.ErrConflict):
		return Result{}, err // a concurrent sign-in took the email: retried
	case err != nil:
		return Result{}, fmt.Errorf("%w: %w", ErrCreateUser, err)
	}
	acct.UserID = created.ID
	if err := a.LinkAccount(ctx, acct); err != nil {
		// A concurrent first sign-in linked the account first: give up
		// the user made here, and take theirs on the next attempt.
		if derr := a.DeleteUser(ctx, created.ID); derr != nil {
			return Result{}, errors.Join(err, derr)
		}
		return Result{}, err
	}
	return Result{User: created, Created: true, Linked: true}, nil
}
