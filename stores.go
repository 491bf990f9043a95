package ginauth

import (
	"context"
	"fmt"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/session"
)

// storeCarrier keeps session values in a SessionStore.
type storeCarrier struct{ s SessionStore }

// Value reads the value; a SessionStore that fails is unavailable, as a
// failing Adapter is (RequireAuth answers 503), never a signed-out user.
func (k storeCarrier) Value(c *gin.Context, _ *session.Variant) (string, bool, error) {
	v, err := k.s.Get(c)
	if err != nil {
		return "", true, fmt.Errorf("ginauth: reading the session store: %w", err)
	}
	return v, v != "", nil
}

func (k storeCarrier) Set(c *gin.Context, _ *session.Variant, value string, expires time.Time) ([]cookies.Cookie, error) {
	return nil, k.s.Set(c, value, expires)
}

func (k storeCarrier) Clear(c *gin.Context, _ *session.Variant) ([]cookies.Cookie, error) {
	return nil, k.s.Delete(c)
}

// sessionLister returns the adapter's session listing, when sessions are
// kept in a database.
func (a *Auth) sessionLister() (authjs.SessionLister, error) {
	if a.cfg.Session.Strategy != StrategyDatabase {
		return nil, ErrNoSessionStore
	}
	l, ok := a.cfg.Adapter.(authjs.SessionLister)
	if !ok {
		return nil, fmt.Errorf("%w: the adapter cannot list sessions (it does not implement authjs.SessionLister)", ErrNoSessionStore)
	}
	return l, nil
}

// Sessions returns a user's database sessions (expired ones included, the
// soonest expiry first), for a "where you are signed in" page. It needs the
// database strategy and an adapter implementing authjs.SessionLister, as
// every adapter of this module does; otherwise it returns
// ErrNoSessionStore.
func (a *Auth) Sessions(ctx context.Context, userID string) ([]authjs.DatabaseSession, error) {
	l, err := a.sessionLister()
	if err != nil {
		return nil, err
	}
	return l.ListSessions(ctx, userID)
}

// RevokeSession ends one database session at once, wherever its browser
// is: its next request is signed out. It needs the database strategy
// (ErrNoSessionStore otherwise); revoking a session that does not exist is
// not an error.
func (a *Auth) RevokeSession(ctx context.Context, sessionToken string) error {
	if a.cfg.Session.Strategy != StrategyDatabase {
		return ErrNoSessionStore
	}
	return a.cfg.Adapter.DeleteSession(ctx, sessionToken)
}

// RevokeSessions ends every database session of a user ("sign out
// everywhere") and returns how many there were. It needs what Sessions
// needs.
func (a *Auth) RevokeSessions(ctx context.Context, userID string) (int, error) {
	l, err := a.sessionLister()
	if err != nil {
		return 0, err
	}
	return l.DeleteSessions(ctx, userID)
}

// sessionUnavailable reports a read that failed because the store did.
func sessionUnavailable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrSessionUnavailable, err)
}
