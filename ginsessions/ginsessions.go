// Package ginsessions keeps ginauth's sessions in a gin-contrib/sessions
// store (its cookie store, memstore, Redis, PostgreSQL, ... stores), for
// applications already built on github.com/gin-contrib/sessions.
//
// Store is a ginauth.SessionStore: set it as ginauth.Config.Session.Store
// and ginauth keeps the session's value (the JWT, or a database session's
// token) under one key of the request's gin-contrib session instead of in
// its own cookie. The gin-contrib/sessions middleware must run before the
// ginauth endpoints and before every route that reads the session:
//
//	store := memstore.NewStore([]byte(os.Getenv("SESSION_KEY")))
//	r.Use(sessions.Sessions("app", store))
//	auth, err := ginauth.New(ginauth.Config{
//		// ...
//		Session: ginauth.SessionConfig{Store: ginsessions.Store{}},
//	})
//
// ginauth still checks every session's expiry itself; give the
// gin-contrib store a MaxAge at least as long as ginauth's Session.MaxAge,
// or its sessions end first. JavaScript front ends that read ginauth's
// session cookie (next-auth/react, nuxt-auth) keep working against the
// endpoints, which answer the same, but a Next.js server cannot read such a
// session with getToken or auth(): share sessions with JavaScript servers
// through ginauth's own cookie instead.
package ginsessions

import (
	"errors"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
)

// DefaultKey is the session key of ginauth's value when Store.Key is empty.
const DefaultKey = "ginauth.session"

// ErrNoSessions reports a route on which the gin-contrib/sessions middleware
// (sessions.Sessions or sessions.SessionsMany) does not run, or does not
// know Store.Name.
var ErrNoSessions = errors.New("ginsessions: no gin-contrib/sessions session on this route")

// Store keeps ginauth's session value in the request's gin-contrib session.
// The zero value uses the session of sessions.Sessions under DefaultKey.
type Store struct {
	// Name picks a session of sessions.SessionsMany; empty for the one
	// session of sessions.Sessions.
	Name string
	// Key is the session key of the value; DefaultKey when empty.
	Key string
}

// session returns the request's gin-contrib session without panicking
// when the middleware is missing (sessions.Default would).
func (s Store) session(c *gin.Context) (sessions.Session, error) {
	v, ok := c.Get(sessions.DefaultKey)
	if !ok {
		return nil, ErrNoSessions
	}
	if s.Name == "" {
		if sess, ok := v.(sessions.Session); ok {
			return sess, nil
		}
		return nil, ErrNoSessions
	}
	if many, ok := v.(map[string]sessions.Session); ok && many[s.Name] != nil {
		return many[s.Name], nil
	}
	return nil, ErrNoSessions
}

func (s Store) key() string {
	if s.Key == "" {
		return DefaultKey
	}
	return s.Key
}

// Get returns the session value, or "" when the session holds none.
func (s Store) Get(c *gin.Context) (string, error) {
	sess, err := s.session(c)
	if err != nil {
		return "", err
	}
	v, _ := sess.Get(s.key()).(string)
	return v, nil
}

// Set stores value in the session and saves it. expires is checked by
// ginauth; the gin-contrib store's own MaxAge governs its cookie.
func (s Store) Set(c *gin.Context, value string, _ time.Time) error {
	sess, err := s.session(c)
	if err != nil {
		return err
	}
	sess.Set(s.key(), value)
	return sess.Save()
}

// Delete removes the value from the session and saves it.
func (s Store) Delete(c *gin.Context) error {
	sess, err := s.session(c)
	if err != nil {
		return err
	}
	sess.Delete(s.key())
	return sess.Save()
}
