package session_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/internal/session"
)

func TestStarted(t *testing.T) {
	for _, tc := range []struct {
		claims authjs.Claims
		want   int64
		ok     bool
	}{
		{authjs.Claims{"auth_time": float64(100), "iat": float64(200)}, 100, true},
		{authjs.Claims{"iat": float64(200)}, 200, true},
		{authjs.Claims{"auth_time": "100", "iat": float64(200)}, 200, true},
		{authjs.Claims{}, 0, false},
	} {
		got, ok := session.Started(tc.claims)
		if ok != tc.ok || ok && got.Unix() != tc.want {
			t.Errorf("Started(%v) = %v %v, want %d %v", tc.claims, got.Unix(), ok, tc.want, tc.ok)
		}
	}
}

// jwtStore returns a JWT store on a settable clock.
func jwtStore(t *testing.T, now *time.Time, maxAge, updateAge, absolute time.Duration) (*session.JWT, *session.Variant) {
	t.Helper()
	clock := func() time.Time { return *now }
	codec, err := jwe.New(jwe.Options{Format: jwe.V4, Secrets: []string{"session-test-secret-0123456789abcdefghij"}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	s := &session.JWT{Codec: codec, MaxAge: maxAge, UpdateAge: updateAge, Absolute: absolute, Now: clock}
	return s, &session.Variant{Store: s}
}

// TestJWTRenewal: a token is due exactly UpdateAge after its iat, and a
// renewal keeps its claims, moves iat and exp, and keeps auth_time.
func TestJWTRenewal(t *testing.T) {
	ctx := context.Background()
	start := time.Unix(1_800_000_000, 0)
	now := start
	store, v := jwtStore(t, &now, 10*time.Hour, time.Hour, 0)
	value, _, err := store.Issue(ctx, authjs.Claims{"sub": "1", "role": "admin"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := load(ctx, store, value)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Claims["auth_time"]; ok {
		t.Error("auth_time set without an absolute lifetime")
	}
	now = start.Add(time.Hour - time.Second)
	if session.Due(v, l) {
		t.Error("due before UpdateAge")
	}
	if _, _, ok, err := session.Renew(ctx, v, l); ok || err != nil {
		t.Errorf("renewed before UpdateAge: %v %v", ok, err)
	}
	now = start.Add(time.Hour)
	if session.Due(v, l) {
		t.Error("Due read the clock rather than the time the session was read")
	}
	if l, err = load(ctx, store, value); err != nil {
		t.Fatal(err)
	}
	if !session.Due(v, l) {
		t.Error("not due at UpdateAge")
	}
	next, expires, ok, err := session.Renew(ctx, v, l)
	if !ok || err != nil || next == value || !expires.Equal(now.Add(10*time.Hour)) {
		t.Fatalf("Renew: %v %v %v", ok, err, expires)
	}
	l2, err := load(ctx, store, next)
	if err != nil {
		t.Fatal(err)
	}
	if iat, _ := l2.Claims.Time("iat"); !iat.Equal(now) || !l2.Expires.Equal(now.Add(10*time.Hour)) || l2.Claims["role"] != "admin" || l2.Claims.Subject() != "1" {
		t.Errorf("renewed claims %v", l2.Claims)
	}
	if l.Claims["iat"] != float64(start.Unix()) {
		t.Error("Renew changed the loaded (cached) claims")
	}
	if session.Due(v, &session.Loaded{Claims: authjs.Claims{"sub": "1"}}) != true {
		t.Error("a token without iat is not due")
	}
}

// TestJWTAbsolute: the absolute lifetime runs from auth_time (set at
// issue), or from iat for a token without it, caps exp, and ends the
// session on every read.
func TestJWTAbsolute(t *testing.T) {
	ctx := context.Background()
	start := time.Unix(1_800_000_000, 0)
	now := start
	store, v := jwtStore(t, &now, 10*time.Hour, time.Hour, 24*time.Hour)
	claims := authjs.Claims{"sub": "1"}
	value, expires, err := store.Issue(ctx, claims, nil)
	if err != nil || !expires.Equal(start.Add(10*time.Hour)) || claims["auth_time"] != float64(start.Unix()) {
		t.Fatalf("Issue: %v %v %v", expires, err, claims)
	}
	// Renewed at +20 h: exp is the end, 4 h later, not 10.
	now = start.Add(9 * time.Hour)
	l, err := load(ctx, store, value)
	if err != nil {
		t.Fatal(err)
	}
	now = start.Add(20 * time.Hour)
	value, expires, ok, err := session.Renew(ctx, v, l)
	if !ok || err != nil || !expires.Equal(start.Add(24*time.Hour)) {
		t.Fatalf("Renew: %v %v %v", ok, err, expires)
	}
	// The JWT callback's answer (here without auth_time) keeps the start.
	l, err = load(ctx, store, value)
	if err != nil || !l.Expires.Equal(start.Add(24*time.Hour)) {
		t.Fatalf("Load: %v %v", l, err)
	}
	v2, exp2, err := store.Reissue(authjs.Claims{"sub": "1"}, l)
	if err != nil || !exp2.Equal(start.Add(24*time.Hour)) {
		t.Fatalf("Reissue: %v %v", exp2, err)
	}
	now = start.Add(24*time.Hour - time.Second)
	if _, err := load(ctx, store, v2); err != nil {
		t.Errorf("a second before the end: %v", err)
	}
	if _, e, err := store.Reissue(authjs.Claims{"sub": "1"}, l); err != nil || !e.Equal(start.Add(24*time.Hour)) {
		t.Errorf("Reissue with a second left: %v %v", e, err)
	}
	now = start.Add(24 * time.Hour)
	if _, err := load(ctx, store, v2); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("at the end: %v", err)
	}
	if _, _, err := store.Reissue(authjs.Claims{"sub": "1"}, l); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("Reissue at the end: %v", err)
	}

	// A token without auth_time (made before the limit, or by Auth.js)
	// counts from its iat.
	now = start
	plain, _ := jwtStore(t, &now, 30*time.Hour, time.Hour, 0)
	old, _, err := plain.Issue(ctx, authjs.Claims{"sub": "2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now = start.Add(23 * time.Hour)
	l, err = load(ctx, store, old)
	if err != nil || !l.Expires.Equal(start.Add(24*time.Hour)) {
		t.Fatalf("an old token: %v %v", l, err)
	}
	now = start.Add(24 * time.Hour)
	if _, err := load(ctx, store, old); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("an old token past iat + the limit: %v", err)
	}
	// A token without iat nor auth_time has no known start.
	if _, _, err := store.Reissue(authjs.Claims{}, &session.Loaded{Claims: authjs.Claims{"sub": "3"}}); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("Reissue without a start: %v", err)
	}
}

// TestDatabaseAbsolute: database session tokens carry their creation time
// when a limit is set; a token whose time was changed finds no session,
// and one without a time is read but never extended.
func TestDatabaseAbsolute(t *testing.T) {
	ctx := context.Background()
	start := time.Unix(1_800_000_000, 0)
	now := start
	adapter := memory.New()
	u, err := adapter.CreateUser(ctx, authjs.User{Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	d := &session.Database{Adapter: adapter, MaxAge: 10 * time.Hour, UpdateAge: time.Hour, Absolute: 15 * time.Hour, Now: func() time.Time { return now }}
	v := &session.Variant{Store: d}
	token, expires, err := d.Issue(ctx, nil, u)
	if err != nil || !expires.Equal(start.Add(10*time.Hour)) {
		t.Fatalf("Issue: %v %v", expires, err)
	}
	if len(token) != 36+1+10 || token[36:] != "."+strconv.FormatInt(start.Unix(), 10) || uuid.Validate(token[:36]) != nil {
		t.Errorf("token %q", token)
	}
	short := &session.Database{Adapter: adapter, MaxAge: 10 * time.Hour, UpdateAge: time.Hour, Absolute: 5 * time.Hour, Now: d.Now}
	if _, e, err := short.Issue(ctx, nil, u); err != nil || !e.Equal(start.Add(5*time.Hour)) {
		t.Errorf("Issue under a limit shorter than MaxAge: %v %v", e, err)
	}

	now = start.Add(2 * time.Hour)
	l, err := load(ctx, d, token)
	if err != nil || !l.Expires.Equal(start.Add(10*time.Hour)) || !l.Stored.Equal(start.Add(10*time.Hour)) {
		t.Fatalf("Load: %+v %v", l, err)
	}
	_, e, ok, err := session.Renew(ctx, v, l)
	if !ok || err != nil || !e.Equal(start.Add(12*time.Hour)) {
		t.Fatalf("Renew at +2 h: %v %v %v", ok, err, e)
	}
	now = start.Add(9 * time.Hour)
	l, _ = load(ctx, d, token)
	_, e, ok, err = session.Renew(ctx, v, l)
	if !ok || err != nil || !e.Equal(start.Add(15*time.Hour)) {
		t.Fatalf("Renew at +9 h: %v %v %v", ok, err, e)
	}
	now = start.Add(11 * time.Hour)
	l, _ = load(ctx, d, token)
	if session.Due(v, l) || !l.Expires.Equal(start.Add(15*time.Hour)) {
		t.Errorf("due with nothing left to extend; expires %v", l.Expires)
	}
	if claims := l.Claims; claims["exp"] != float64(start.Add(15*time.Hour).Unix()) {
		t.Errorf("exp claim %v", claims["exp"])
	}
	// An Auth.js application sharing the database extends the row past
	// the end: ginauth still caps the session and ends it there.
	if err := adapter.UpdateSession(ctx, authjs.DatabaseSession{SessionToken: token, UserID: u.ID, Expires: start.Add(40 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if l, err := load(ctx, d, token); err != nil || !l.Expires.Equal(start.Add(15*time.Hour)) || !l.Stored.Equal(start.Add(40*time.Hour)) {
		t.Errorf("a row extended past the end: %+v %v", l, err)
	}
	now = start.Add(15 * time.Hour)
	if _, err := load(ctx, d, token); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("at the end: %v", err)
	}

	// The creation time is part of the key: changing it finds nothing.
	now = start.Add(time.Hour)
	token2, _, err := d.Issue(ctx, nil, u)
	if err != nil {
		t.Fatal(err)
	}
	now = start.Add(16 * time.Hour)
	moved := token2[:37] + strconv.FormatInt(start.Add(10*time.Hour).Unix(), 10)
	if _, err := load(ctx, d, moved); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("a token with a later time: %v", err)
	}

	// Tokens without a creation time: read, cap nothing, never extended.
	for _, tok := range []string{uuid.NewString(), uuid.NewString() + ".", uuid.NewString() + ".0", uuid.NewString() + ".x1", uuid.NewString() + ".-5", "short.123"} {
		s := authjs.DatabaseSession{SessionToken: tok, UserID: u.ID, Expires: now.Add(30 * time.Hour)}
		if err := adapter.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		l, err := load(ctx, d, tok)
		if err != nil || !l.Expires.Equal(s.Expires) {
			t.Errorf("unstamped %q: %+v %v", tok, l, err)
			continue
		}
		now = now.Add(25 * time.Hour)
		if _, _, ok, err := session.Renew(ctx, v, l); ok || err != nil {
			t.Errorf("unstamped %q renewed: %v %v", tok, ok, err)
		}
		now = now.Add(-25 * time.Hour)
	}
}

// TestDatabaseRenewal: without an absolute lifetime, a database session's
// expiry is written back once it was last written UpdateAge ago, to now +
// MaxAge, and its token carries no time.
func TestDatabaseRenewal(t *testing.T) {
	ctx := context.Background()
	start := time.Unix(1_800_000_000, 0)
	now := start
	adapter := memory.New()
	u, err := adapter.CreateUser(ctx, authjs.User{Email: "b@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	d := &session.Database{Adapter: adapter, MaxAge: 10 * time.Hour, UpdateAge: time.Hour, Now: func() time.Time { return now }}
	v := &session.Variant{Store: d}
	token, _, err := d.Issue(ctx, nil, u)
	if err != nil || uuid.Validate(token) != nil {
		t.Fatalf("Issue: %q %v", token, err)
	}
	now = start.Add(time.Hour - time.Second)
	l, err := load(ctx, d, token)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := session.Renew(ctx, v, l); ok || err != nil {
		t.Errorf("renewed before UpdateAge: %v %v", ok, err)
	}
	now = start.Add(time.Hour)
	if _, _, ok, err := session.Renew(ctx, v, l); ok || err != nil {
		t.Errorf("Renew read the clock rather than the time the session was read: %v %v", ok, err)
	}
	if l, err = load(ctx, d, token); err != nil {
		t.Fatal(err)
	}
	value, e, ok, err := session.Renew(ctx, v, l)
	if !ok || err != nil || value != token || !e.Equal(now.Add(10*time.Hour)) {
		t.Fatalf("Renew at UpdateAge: %q %v %v %v", value, e, ok, err)
	}
	if s, _, _ := adapter.GetSessionAndUser(ctx, token); !s.Expires.Equal(now.Add(10 * time.Hour)) {
		t.Errorf("stored expiry %v", s.Expires)
	}
}

// load reads value through store into a new Loaded.
func load(ctx context.Context, store session.Store, value string) (*session.Loaded, error) {
	var l session.Loaded
	if err := store.Load(ctx, value, &l); err != nil {
		return nil, err
	}
	return &l, nil
}
