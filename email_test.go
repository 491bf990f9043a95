package ginauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
	"github.com/ginauth/ginauth/throttle"
)

// mailbox is a Sender that keeps what it was asked to send.
type mailbox struct {
	mu   sync.Mutex
	sent []providers.VerificationRequest
	fail error
}

func (m *mailbox) SendVerificationRequest(_ context.Context, r providers.VerificationRequest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, r)
	return nil
}

func (m *mailbox) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

func (m *mailbox) last(t *testing.T) providers.VerificationRequest {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sent) == 0 {
		t.Fatal("no message was sent")
	}
	return m.sent[len(m.sent)-1]
}

// emailApp is an app with an email provider on an in-memory store.
type emailApp struct {
	*app
	store *memory.Store
	box   *mailbox
	clock *testClock
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newEmailApp(t *testing.T, mode ginauth.Mode, edit func(*ginauth.Config)) *emailApp {
	e := &emailApp{store: memory.New(), box: &mailbox{}, clock: &testClock{now: time.Now()}}
	e.app = newApp(t, mode, func(c *ginauth.Config) {
		c.Adapter = e.store
		c.Now = e.clock.Now
		c.Providers = append(c.Providers, providers.Email{Sender: e.box})
		c.Throttle = ginauth.Throttle{EmailPerAddress: throttle.Unlimited, EmailPerClient: throttle.Unlimited}
		if edit != nil {
			edit(c)
		}
	})
	return e
}

// requestLink posts the email form and returns the answer.
func (e *emailApp) requestLink(address string) response {
	e.t.Helper()
	return e.do(http.MethodPost, "/api/auth/signin/email", url.Values{
		"email": {address}, "csrfToken": {e.csrf()}, "callbackUrl": {e.srv.URL + "/account"},
	})
}

// open follows a link (its path and query) in the app's browser.
func (e *emailApp) open(link string) response {
	e.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(http.MethodGet, u.RequestURI(), nil)
}

func (e *emailApp) errorURL(code string) string {
	return e.srv.URL + "/api/auth/error?error=" + code
}

// TestEmailSignIn walks the magic-link flow in both dialects: the link is
// sent to the normalized address, its token is stored only as a hash, it
// signs in once and makes a verified user, and it fails when used again,
// expired, or for another address.
func TestEmailSignIn(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		e := newEmailApp(t, mode, nil)
		ctx := context.Background()
		res := e.requestLink("  Ann@Example.COM ")
		verify := e.srv.URL + "/api/auth/verify-request?provider=email&type=email"
		if res.status != http.StatusFound || res.header.Get("Location") != verify {
			t.Fatalf("sign-in: %d to %q, want %s", res.status, res.header.Get("Location"), verify)
		}
		m := e.box.last(t)
		want := e.srv.URL + "/api/auth/callback/email?callbackUrl=" + url.QueryEscape(e.srv.URL+"/account") + "&token=" + m.Token + "&email=ann%40example.com"
		if m.Identifier != "ann@example.com" || m.URL != want || len(m.Token) != 64 || m.Provider != "email" {
			t.Fatalf("message %+v, want the link %s", m, want)
		}
		if d := m.Expires.Sub(e.clock.Now()); d != 24*time.Hour {
			t.Errorf("the link lives %v, want 24h", d)
		}
		// The store holds sha256(token + secret), never the token.
		hash := sha256.Sum256([]byte(m.Token + testSecret))
		if _, err := e.store.UseVerificationToken(ctx, "ann@example.com", m.Token); !errors.Is(err, authjs.ErrNotFound) {
			t.Errorf("the raw token is stored: %v", err)
		}
		e.requestLink("ann@example.com")
		m2 := e.box.last(t)
		if vt, err := e.store.UseVerificationToken(ctx, "ann@example.com", hex.EncodeToString(hash[:])); err != nil || vt.Identifier != "ann@example.com" {
			t.Fatalf("the token's hash is not stored: %+v, %v", vt, err)
		}

		// The second link signs in; the user is created verified.
		got := e.open(m2.URL)
		if got.status != http.StatusFound || got.header.Get("Location") != e.srv.URL+"/account" {
			t.Fatalf("callback: %d to %q", got.status, got.header.Get("Location"))
		}
		u, err := e.store.GetUserByEmail(ctx, "ann@example.com")
		if err != nil || u.EmailVerified == nil {
			t.Fatalf("stored user %+v, %v; want a verified user", u, err)
		}
		if s := e.do(http.MethodGet, "/api/auth/session", nil); !strings.Contains(s.body, `"email":"ann@example.com"`) {
			t.Errorf("session: %s", s.body)
		}
		if p := e.get("/api/protected"); p.status != http.StatusOK || !strings.Contains(p.body, `"sub":"`+u.ID+`"`) {
			t.Errorf("protected: %d %s", p.status, p.body)
		}

		// Used again: Verification.
		e.client = newClient(t)
		if got := e.open(m2.URL); got.header.Get("Location") != e.errorURL("Verification") {
			t.Errorf("second use: %d to %q", got.status, got.header.Get("Location"))
		}
		if _, ok := e.open(m2.URL).cookie(e.sessionCookieName()); ok {
			t.Error("a used link set a session cookie")
		}

		// Another address in the link: Verification, and the token is gone.
		e.requestLink("ann@example.com")
		m3 := e.box.last(t)
		forged := strings.Replace(m3.URL, "email=ann%40example.com", "email=eve%40example.com", 1)
		if got := e.open(forged); got.header.Get("Location") != e.errorURL("Verification") {
			t.Errorf("a link for another address: %d to %q", got.status, got.header.Get("Location"))
		}

		// Expired: Verification.
		e.requestLink("ann@example.com")
		m4 := e.box.last(t)
		e.clock.advance(24*time.Hour + time.Second)
		if got := e.open(m4.URL); got.header.Get("Location") != e.errorURL("Verification") {
			t.Errorf("an expired link: %d to %q", got.status, got.header.Get("Location"))
		}

		// No token.
		wantMissing := e.errorURL("Configuration")
		if mode == ginauth.ModeV4 {
			wantMissing = e.errorURL("configuration")
		}
		if got := e.do(http.MethodGet, "/api/auth/callback/email?email=ann%40example.com", nil); got.header.Get("Location") != wantMissing {
			t.Errorf("no token: %d to %q, want %s", got.status, got.header.Get("Location"), wantMissing)
		}
		// A forged token.
		if got := e.do(http.MethodGet, "/api/auth/callback/email?token=00&email=ann%40example.com", nil); got.header.Get("Location") != e.errorURL("Verification") {
			t.Errorf("forged token: %d to %q", got.status, got.header.Get("Location"))
		}
	})
}

// TestEmailExistingUser: a link for a stored user's address signs that
// user in and marks the address verified (UpdateUser), with Pages.NewUser
// only for new users.
func TestEmailExistingUser(t *testing.T) {
	var events []string
	var mu sync.Mutex
	e := newEmailApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Pages.NewUser = "/welcome"
		c.Events.UpdateUser = func(_ context.Context, ev authjs.UserEvent) error {
			mu.Lock()
			events = append(events, "update:"+ev.User.ID)
			mu.Unlock()
			return nil
		}
		c.Events.CreateUser = func(_ context.Context, ev authjs.UserEvent) error {
			mu.Lock()
			events = append(events, "create:"+ev.User.Email)
			mu.Unlock()
			return nil
		}
	})
	ctx := context.Background()
	bob, err := e.store.CreateUser(ctx, authjs.User{Name: "Bob", Email: "bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	e.requestLink("bob@example.com")
	if got := e.open(e.box.last(t).URL); got.header.Get("Location") != e.srv.URL+"/account" {
		t.Errorf("existing user: to %q, want the callback URL", got.header.Get("Location"))
	}
	if u, _ := e.store.GetUser(ctx, bob.ID); u.EmailVerified == nil || u.Name != "Bob" {
		t.Errorf("bob after the link: %+v", u)
	}
	e.client = newClient(t)
	e.requestLink("new@example.com")
	want := e.srv.URL + "/welcome?" + url.Values{"callbackUrl": {e.srv.URL + "/account"}}.Encode()
	if got := e.open(e.box.last(t).URL); got.header.Get("Location") != want {
		t.Errorf("new user: to %q, want %s", got.header.Get("Location"), want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0] != "update:"+bob.ID || events[1] != "create:new@example.com" {
		t.Errorf("events %q", events)
	}
}

// TestEmailRefusals: bad addresses, a SignIn callback that refuses the
// request, a failing sender and a missing adapter.
func TestEmailRefusals(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		var refuse bool
		var seen []authjs.SignInParams
		var mu sync.Mutex
		e := newEmailApp(t, mode, func(c *ginauth.Config) {
			c.Callbacks.SignIn = func(_ context.Context, p authjs.SignInParams) error {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, p)
				if refuse {
					return authjs.ErrAccessDenied
				}
				return nil
			}
		})
		bad := e.errorURL("Configuration")
		if mode == ginauth.ModeV4 {
			bad = e.errorURL("EmailSignin")
		}
		hostile := []string{"", "ann", "@example.com", "ann@", "a@b@example.com", `"a"@example.com`,
			"ann@example.com\r\nBcc: eve@example.com", "ann @example.com", strings.Repeat("a", 300) + "@example.com"}
		if mode == ginauth.ModeV4 {
			hostile = append(hostile, "ann@localhost")
		}
		for _, addr := range hostile {
			if got := e.requestLink(addr); got.header.Get("Location") != bad {
				t.Errorf("address %q: %d to %q, want %s", addr, got.status, got.header.Get("Location"), bad)
			}
		}
		if n := e.box.count(); n != 0 {
			t.Fatalf("%d messages sent to bad addresses", n)
		}
		// The domain is cut at a comma, as Auth.js cuts it.
		e.requestLink("ann@example.com,evil.example")
		if m := e.box.last(t); m.Identifier != "ann@example.com" {
			t.Errorf("sent to %q", m.Identifier)
		}
		mu.Lock()
		last := seen[len(seen)-1]
		mu.Unlock()
		if !last.VerificationRequest || last.Account.Type != authjs.TypeEmail || last.User.Email != "ann@example.com" {
			t.Errorf("SignIn callback saw %+v", last)
		}

		mu.Lock()
		refuse = true
		mu.Unlock()
		if got := e.requestLink("carl@example.com"); got.header.Get("Location") != e.errorURL("AccessDenied") {
			t.Errorf("refused by the SignIn callback: %d to %q", got.status, got.header.Get("Location"))
		}
		if e.box.last(t).Identifier == "carl@example.com" {
			t.Error("a refused sign-in sent a message")
		}
		mu.Lock()
		refuse = false
		mu.Unlock()

		e.box.mu.Lock()
		e.box.fail = errors.New("smtp: 550 relay denied for secret-host")
		e.box.mu.Unlock()
		got := e.requestLink("dora@example.com")
		if got.header.Get("Location") != bad || strings.Contains(got.body, "secret-host") {
			t.Errorf("a failing sender: %d to %q %s", got.status, got.header.Get("Location"), got.body)
		}
	})

	_, err := ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://localhost", Providers: []providers.Provider{providers.Email{Sender: &mailbox{}}}})
	if !errors.Is(err, ginauth.ErrConfig) || !strings.Contains(err.Error(), "Adapter") {
		t.Errorf("an email provider without an adapter: %v", err)
	}
	_, err = ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://localhost", Adapter: memory.New(), Providers: []providers.Provider{providers.Email{}}})
	if !errors.Is(err, ginauth.ErrConfig) {
		t.Errorf("an email provider without a sender: %v", err)
	}
}

// TestEmailThrottle: over the limits, the answer is the same as a sent
// link, and nothing is sent.
func TestEmailThrottle(t *testing.T) {
	e := newEmailApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Throttle = ginauth.Throttle{}
	})
	verify := e.srv.URL + "/api/auth/verify-request?provider=email&type=email"
	for i := range ginauth.DefaultEmailPerAddress.Burst + 2 {
		got := e.requestLink("ann@example.com")
		if got.status != http.StatusFound || got.header.Get("Location") != verify {
			t.Fatalf("request %d: %d to %q", i, got.status, got.header.Get("Location"))
		}
	}
	if n := e.box.count(); n != ginauth.DefaultEmailPerAddress.Burst {
		t.Errorf("%d messages to one address, want the burst of %d", n, ginauth.DefaultEmailPerAddress.Burst)
	}
	if !strings.Contains(e.logs.String(), "email sign-in throttled") || strings.Contains(e.logs.String(), "ann@example.com") {
		t.Errorf("the throttling is not logged, or logged with the address:\n%s", e.logs)
	}
	for i := range ginauth.DefaultEmailPerClient.Burst {
		e.requestLink("user" + string(rune('a'+i)) + "@example.com")
	}
	if n := e.box.count(); n != ginauth.DefaultEmailPerClient.Burst-2 { // the two requests over the address limit counted for the client too
		t.Errorf("%d messages from one client, want the burst of %d", n, ginauth.DefaultEmailPerClient.Burst)
	}
}
