package ginauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// storedSite is an OAuth site whose users live in an adapter, with a
// "trusted" provider that may link by email.
type storedSite struct {
	*oauthSite
	store  *memory.Store
	mu     sync.Mutex
	events []string
	jwt    []authjs.JWTParams
	// signInUsers are the ids of the users the SignIn callback saw.
	signInUsers []string
}

func (s *storedSite) record(e string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func (s *storedSite) takeEvents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.events
	s.events = nil
	return out
}

func newStoredSite(t *testing.T, mode ginauth.Mode, strategy ginauth.Strategy, edits ...func(*ginauth.Config)) *storedSite {
	s := &storedSite{store: memory.New()}
	s.oauthSite = newOAuthSite(t, mode, append([]func(*ginauth.Config){func(c *ginauth.Config) {
		c.Adapter = s.store
		c.Session.Strategy = strategy
		trusted := c.Providers[0].(providers.OAuth)
		trusted.ID, trusted.Name, trusted.AllowDangerousEmailAccountLinking = "trusted", "Trusted", true
		c.Providers = append(c.Providers, trusted, providers.Credentials{Authorize: authorize})
		signIn := c.Callbacks.SignIn
		c.Callbacks.SignIn = func(ctx context.Context, p authjs.SignInParams) error {
			s.mu.Lock()
			s.signInUsers = append(s.signInUsers, p.User.ID)
			s.mu.Unlock()
			return signIn(ctx, p)
		}
		jwt := c.Callbacks.JWT
		c.Callbacks.JWT = func(ctx context.Context, p authjs.JWTParams) (authjs.Claims, error) {
			if p.Trigger != authjs.TriggerNone {
				s.mu.Lock()
				s.jwt = append(s.jwt, p)
				s.mu.Unlock()
			}
			return jwt(ctx, p)
		}
		c.Events = authjs.Events{
			SignIn: func(_ context.Context, e authjs.SignInEvent) error {
				s.record("signIn:" + e.Account.Provider + ":" + e.User.ID + ":" + map[bool]string{true: "new", false: "old"}[e.IsNewUser])
				return nil
			},
			CreateUser: func(_ context.Context, e authjs.UserEvent) error {
				s.record("createUser:" + e.User.ID + ":" + e.User.Email)
				return nil
			},
			LinkAccount: func(_ context.Context, e authjs.LinkAccountEvent) error {
				s.record("linkAccount:" + e.Account.Provider + ":" + e.Account.ProviderAccountID + ":" + e.User.ID)
				return nil
			},
			UpdateUser: func(_ context.Context, e authjs.UserEvent) error {
				s.record("updateUser:" + e.User.ID)
				return nil
			},
		}
	}}, edits...)...)
	return s
}

// signIn runs the whole flow as login with a fresh session at the
// provider, so one browser can come back as another of its users.
func (s *storedSite) signIn(c *http.Client, provider, login string) *http.Response {
	s.t.Helper()
	authURL, _ := s.start(c, provider, "")
	return s.callback(c, s.op.Login(s.t, browser(), authURL.String(), login))
}

// userOf returns the stored user of an account at the provider.
func (s *storedSite) userOf(provider, sub string) *authjs.User {
	s.t.Helper()
	u, err := s.store.GetUserByAccount(context.Background(), provider, sub)
	if errors.Is(err, authjs.ErrNotFound) {
		return nil
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}

// subject returns the "sub" the browser's session says.
func (s *storedSite) subject(c *http.Client) string {
	s.t.Helper()
	return s.tokenClaims(c)["sub"].(string)
}

// wantNotLinked checks a callback refused with OAuthAccountNotLinked.
func (s *storedSite) wantNotLinked(res *http.Response) {
	s.t.Helper()
	want := s.origin + "/api/auth/signin?error=OAuthAccountNotLinked"
	if s.mode == ginauth.ModeV4 {
		want = s.origin + "/api/auth/error?error=OAuthAccountNotLinked"
	}
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
		s.t.Fatalf("callback: %d to %q, want %q", res.StatusCode, res.Header.Get("Location"), want)
	}
}

// TestAccountLinking walks every row of Auth.js's account linking (spec
// §8.6) against the real OpenID provider, in both dialects and with both
// session strategies.
func TestAccountLinking(t *testing.T) {
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		for _, strategy := range []ginauth.Strategy{ginauth.StrategyJWT, ginauth.StrategyDatabase} {
			name := map[ginauth.Strategy]string{ginauth.StrategyJWT: "jwt", ginauth.StrategyDatabase: "database"}[strategy]
			t.Run(modeName(mode)+"/"+name, func(t *testing.T) {
				accountLinking(t, newStoredSite(t, mode, strategy))
			})
		}
	}
}

func accountLinking(t *testing.T, s *storedSite) {
	s.t = t
	ctx := context.Background()
	database := s.auth != nil && s.subjectIsStored()

	// Row 5: an unknown account, nobody signed in, a new email: a new user
	// (emailVerified unset) with the account linked; isNewUser.
	alice := browser()
	s.wantSignedIn(alice, s.signIn(alice, "corp", "alice"), "Alice Liddell")
	u := s.userOf("corp", "alice")
	if u == nil || u.Email != "alice@example.com" || u.Name != "Alice Liddell" || u.EmailVerified != nil {
		t.Fatalf("stored user %+v", u)
	}
	if got, want := s.takeEvents(), []string{"createUser:" + u.ID + ":alice@example.com", "linkAccount:corp:alice:" + u.ID, "signIn:corp:" + u.ID + ":new"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if sub := s.subject(alice); sub != u.ID {
		t.Errorf("the session's sub is %q, want the stored user's id %q", sub, u.ID)
	}
	if !database {
		s.mu.Lock()
		last := s.jwt[len(s.jwt)-1]
		s.mu.Unlock()
		if last.Trigger != authjs.TriggerSignUp || !last.IsNewUser || last.User.ID != u.ID {
			t.Errorf("first sign-in: JWT callback trigger %q, isNewUser %v, user %+v", last.Trigger, last.IsNewUser, last.User)
		}
	}

	// Row 2: the known account signs its user in, in another browser.
	again := browser()
	s.wantSignedIn(again, s.signIn(again, "corp", "alice"), "Alice Liddell")
	if sub := s.subject(again); sub != u.ID {
		t.Errorf("second sign-in: sub %q, want %q", sub, u.ID)
	}
	if got, want := s.takeEvents(), []string{"signIn:corp:" + u.ID + ":old"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	s.mu.Lock()
	seen := s.signInUsers[len(s.signInUsers)-1]
	s.mu.Unlock()
	if seen != u.ID {
		t.Errorf("the SignIn callback saw user %q, want the stored user %q", seen, u.ID)
	}

	// Row 3: an unknown account while signed in: linked to the signed-in
	// user, whatever its email.
	s.wantSignedIn(alice, s.signIn(alice, "other", "carol"), "Alice Liddell")
	if linked := s.userOf("other", "carol"); linked == nil || linked.ID != u.ID {
		t.Errorf("other/carol linked to %+v, want user %s", linked, u.ID)
	}
	if got, want := s.takeEvents(), []string{"linkAccount:other:carol:" + u.ID, "signIn:other:" + u.ID + ":old"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}

	// Row 1: a known account while signed in as another user: refused,
	// and the session stays the one it was.
	bob := browser()
	s.wantSignedIn(bob, s.signIn(bob, "corp", "bob"), "Bob Builder")
	bobID := s.userOf("corp", "bob").ID
	s.takeEvents()
	s.wantNotLinked(s.signIn(bob, "corp", "alice"))
	if sub := s.subject(bob); sub != bobID {
		t.Errorf("after the refusal the session is %q's, want bob's %q", sub, bobID)
	}
	if ev := s.takeEvents(); len(ev) != 0 {
		t.Errorf("a refused sign-in fired %q", ev)
	}

	// Row 4: an unknown account, nobody signed in, an email a user has:
	// refused unless the provider may link by email.
	dave, err := s.store.CreateUser(ctx, authjs.User{Name: "Dave", Email: "dave@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	fresh := browser()
	s.wantNotLinked(s.signIn(fresh, "corp", "dave"))
	if s.userOf("corp", "dave") != nil {
		t.Error("the refused account was linked")
	}
	if sess := s.session(fresh); len(sess) != 0 {
		t.Errorf("session after the refusal: %v", sess)
	}
	s.wantSignedIn(fresh, s.signIn(fresh, "trusted", "dave"), "Dave")
	if linked := s.userOf("trusted", "dave"); linked == nil || linked.ID != dave.ID {
		t.Errorf("trusted/dave linked to %+v, want %s", linked, dave.ID)
	}
	if got, want := s.takeEvents(), []string{"linkAccount:trusted:dave:" + dave.ID, "signIn:trusted:" + dave.ID + ":old"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	users := 0
	for _, login := range []string{"alice", "bob", "dave"} {
		if _, err := s.store.GetUserByEmail(ctx, strings.ToLower(login)+map[string]string{"alice": "@example.com", "bob": "@example.com", "dave": "@example.net"}[login]); err == nil {
			users++
		}
	}
	if users != 3 {
		t.Errorf("%d users by email, want 3", users)
	}
}

// subjectIsStored reports the database strategy.
func (s *storedSite) subjectIsStored() bool {
	_, err := s.auth.Sessions(context.Background(), "0")
	return err == nil
}

// TestNewUserPage: a sign-up lands on Pages.NewUser with the callback URL;
// a later sign-in goes to the callback URL.
func TestNewUserPage(t *testing.T) {
	s := newStoredSite(t, ginauth.ModeV5, ginauth.StrategyDatabase, func(c *ginauth.Config) { c.Pages.NewUser = "/welcome" })
	c := browser()
	res := s.signIn(c, "corp", "alice")
	want := s.origin + "/welcome?" + url.Values{"callbackUrl": {s.origin + "/dashboard"}}.Encode()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
		t.Fatalf("sign-up: %d to %q, want %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	again := browser()
	s.wantSignedIn(again, s.signIn(again, "corp", "alice"), "Alice Liddell")
}

// TestDatabaseSessions: with the database strategy the cookie holds a
// random token, /session extends the stored session only after UpdateAge,
// sign-out deletes it, and the server APIs list and revoke sessions.
func TestDatabaseSessions(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		now := time.Now().Truncate(time.Second)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		store := memory.New()
		a := newApp(t, mode, func(c *ginauth.Config) {
			c.Adapter = store
			c.Now = clock
			c.Session.MaxAge = 10 * time.Hour
			c.Session.UpdateAge = time.Hour
		})
		ctx := context.Background()
		r := a.signIn("alice", "wonderland", "/")
		ck, ok := r.cookie(a.sessionCookieName())
		if !ok || strings.Count(ck.Value, "-") != 4 || len(ck.Value) != 36 {
			t.Fatalf("session cookie %+v: want a UUID", ck)
		}
		s, u, err := store.GetSessionAndUser(ctx, ck.Value)
		if err != nil || u.Email != "alice@example.com" || !s.Expires.Equal(now.Add(10*time.Hour)) {
			t.Fatalf("stored session %+v %+v %v", s, u, err)
		}
		if got := a.do(http.MethodGet, "/api/protected", nil); got.status != http.StatusOK || !strings.Contains(got.body, `"sub":"`+u.ID+`"`) {
			t.Fatalf("protected: %d %s", got.status, got.body)
		}

		// Within UpdateAge /session leaves the stored expiry alone but
		// re-sets the cookie; past it, it extends the stored session.
		advance(30 * time.Minute)
		got := a.do(http.MethodGet, "/api/auth/session", nil)
		if !strings.Contains(got.body, `"expires":"`+now.Add(-30*time.Minute).Add(10*time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")+`"`) {
			t.Errorf("session within UpdateAge: %s", got.body)
		}
		if s2, _, _ := store.GetSessionAndUser(ctx, ck.Value); !s2.Expires.Equal(s.Expires) {
			t.Errorf("extended within UpdateAge: %v", s2.Expires)
		}
		if c, ok := got.cookie(a.sessionCookieName()); !ok || c.Value != ck.Value {
			t.Errorf("the cookie was not re-set: %+v", c)
		}
		advance(time.Hour)
		a.do(http.MethodGet, "/api/auth/session", nil)
		if s3, _, _ := store.GetSessionAndUser(ctx, ck.Value); !s3.Expires.Equal(now.Add(10 * time.Hour)) {
			t.Errorf("not extended past UpdateAge: %v, want %v", s3.Expires, now.Add(10*time.Hour))
		}

		// A second browser; the server APIs see both sessions and revoke one.
		other := newClient(t)
		b := &app{t: t, srv: a.srv, auth: a.auth, mode: mode, client: other, logs: a.logs, events: a.events}
		b.signIn("alice", "wonderland", "/")
		list, err := a.auth.Sessions(ctx, u.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("Sessions = %v, %v", list, err)
		}
		if err := a.auth.RevokeSession(ctx, ck.Value); err != nil {
			t.Fatal(err)
		}
		if got := a.do(http.MethodGet, "/api/protected", nil); got.status != http.StatusUnauthorized {
			t.Errorf("a revoked session still passes: %d", got.status)
		}
		if got := b.do(http.MethodGet, "/api/protected", nil); got.status != http.StatusOK {
			t.Errorf("the other session was revoked too: %d", got.status)
		}
		if n, err := a.auth.RevokeSessions(ctx, u.ID); err != nil || n != 1 {
			t.Errorf("RevokeSessions = %d, %v", n, err)
		}
		if got := b.do(http.MethodGet, "/api/protected", nil); got.status != http.StatusUnauthorized {
			t.Errorf("signed out everywhere, still in: %d", got.status)
		}

		// Sign-out deletes the stored session.
		a.signIn("alice", "wonderland", "/")
		ck2, _ := a.do(http.MethodGet, "/api/auth/session", nil).cookie(a.sessionCookieName())
		a.do(http.MethodPost, "/api/auth/signout", url.Values{"csrfToken": {a.csrf()}})
		if _, _, err := store.GetSessionAndUser(ctx, ck2.Value); !errors.Is(err, authjs.ErrNotFound) {
			t.Errorf("sign-out kept the stored session: %v", err)
		}

		// An expired stored session is no session, and is deleted.
		a.signIn("alice", "wonderland", "/")
		ck3, _ := a.do(http.MethodGet, "/api/auth/session", nil).cookie(a.sessionCookieName())
		advance(11 * time.Hour)
		if got := a.do(http.MethodGet, "/api/auth/session", nil); got.body != a.emptySession() {
			t.Errorf("expired session: %s", got.body)
		}
		if _, _, err := store.GetSessionAndUser(ctx, ck3.Value); !errors.Is(err, authjs.ErrNotFound) {
			t.Errorf("the expired session was kept: %v", err)
		}
	})
}

// TestLinkingNeedsTheSessionsEmail: with JWT sessions, a credentials
// sign-in keeps the id Authorize returned, which here is also the id of a
// stored user (Alice); a provider account added in that browser must not
// be linked to Alice, whose email the token does not carry.
func TestLinkingNeedsTheSessionsEmail(t *testing.T) {
	var next authjs.User // what Authorize returns
	var mu sync.Mutex
	s := newStoredSite(t, ginauth.ModeV5, ginauth.StrategyJWT, func(c *ginauth.Config) {
		c.Providers[len(c.Providers)-1] = providers.Credentials{Authorize: func(context.Context, map[string]string, *authjs.Request) (*authjs.User, error) {
			mu.Lock()
			defer mu.Unlock()
			u := next
			return &u, nil
		}}
	})
	alice := browser()
	s.wantSignedIn(alice, s.signIn(alice, "corp", "alice"), "Alice Liddell")
	noMail, err := s.store.CreateUser(context.Background(), authjs.User{Name: "No mail"})
	if err != nil {
		t.Fatal(err)
	}

	for i, victim := range []authjs.User{*s.userOf("corp", "alice"), *noMail} {
		// Mallory's credentials carry the victim's id, not its email.
		mu.Lock()
		next = authjs.User{ID: victim.ID, Name: "Mallory"}
		if victim.Email != "" {
			next.Email = "mallory@example.org"
		}
		mu.Unlock()
		mallory := browser()
		res, err := mallory.PostForm(s.origin+"/api/auth/callback/credentials", url.Values{"csrfToken": {s.csrf(mallory)}, "callbackUrl": {s.origin + "/dashboard"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if sub := s.subject(mallory); sub != victim.ID {
			t.Fatalf("the credentials session's sub is %q, want Authorize's id %q", sub, victim.ID)
		}
		login := fmt.Sprintf("carol%d", i)
		s.wantSignedIn(mallory, s.signIn(mallory, "other", login), "User "+login)
		linked := s.userOf("other", login)
		if linked == nil || linked.ID == victim.ID {
			t.Fatalf("other/%s linked to %+v: %s's account was taken over", login, linked, victim.Name)
		}
		if sub := s.subject(mallory); sub != linked.ID {
			t.Errorf("session sub %q, want the new user %q", sub, linked.ID)
		}
	}
}
