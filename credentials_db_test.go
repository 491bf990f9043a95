package ginauth_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// credentialsDB is an app with database sessions whose credentials
// provider returns whatever user the test sets.
type credentialsDB struct {
	*app
	store  *memory.Store
	mu     sync.Mutex
	next   authjs.User // what Authorize returns
	events []string
}

func newCredentialsDB(t *testing.T) *credentialsDB {
	d := &credentialsDB{store: memory.New()}
	record := func(e string) {
		d.mu.Lock()
		d.events = append(d.events, e)
		d.mu.Unlock()
	}
	d.app = newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Adapter = d.store
		c.Providers = []providers.Provider{providers.Credentials{Authorize: func(context.Context, map[string]string, *authjs.Request) (*authjs.User, error) {
			d.mu.Lock()
			defer d.mu.Unlock()
			u := d.next
			return &u, nil
		}}}
		c.Events.CreateUser = func(_ context.Context, e authjs.UserEvent) error { record("createUser:" + e.User.Email); return nil }
		c.Events.LinkAccount = func(_ context.Context, e authjs.LinkAccountEvent) error {
			record("linkAccount:" + e.Account.ProviderAccountID + ":" + e.User.ID)
			return nil
		}
		c.Events.UpdateUser = func(_ context.Context, e authjs.UserEvent) error { record("updateUser:" + e.User.Name); return nil }
	})
	return d
}

// signInAs signs in with Authorize returning u, in a fresh browser, and
// returns the stored user the session belongs to ("" for none).
func (d *credentialsDB) signInAs(u authjs.User) (string, response) {
	d.t.Helper()
	d.mu.Lock()
	d.next, d.events = u, nil
	d.mu.Unlock()
	d.client = newClient(d.t)
	res := d.signIn("any", "any", "/")
	ck, ok := res.cookie(d.sessionCookieName())
	if !ok {
		return "", res
	}
	_, stored, err := d.store.GetSessionAndUser(context.Background(), ck.Value)
	if err != nil {
		d.t.Fatalf("the session cookie names no stored session: %v", err)
	}
	return stored.ID, res
}

func (d *credentialsDB) takeEvents() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.events
	d.events = nil
	return e
}

// TestCredentialsDatabaseSessions walks the rules that give a credentials
// sign-in a stored user under the database strategy.
func TestCredentialsDatabaseSessions(t *testing.T) {
	ctx := context.Background()
	d := newCredentialsDB(t)

	// A stored user with the returned id and email: the account is
	// linked to it.
	ann, err := d.store.CreateUser(ctx, authjs.User{Name: "Ann", Email: "ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := d.signInAs(authjs.User{ID: ann.ID, Name: "Ann", Email: "ann@example.com"})
	if got != ann.ID {
		t.Fatalf("the session belongs to %q, want ann %q", got, ann.ID)
	}
	if ev := d.takeEvents(); !slices.Equal(ev, []string{"linkAccount:" + ann.ID + ":" + ann.ID}) {
		t.Errorf("events %q", ev)
	}
	if u, err := d.store.GetUserByAccount(ctx, "credentials", ann.ID); err != nil || u.ID != ann.ID {
		t.Errorf("credentials account of ann: %+v, %v", u, err)
	}

	// The returned id is a stored user's, the email another's: not that
	// user; a new one.
	bob, err := d.store.CreateUser(ctx, authjs.User{Name: "Bob", Email: "bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = d.signInAs(authjs.User{ID: bob.ID, Name: "Mallory", Email: "mallory@example.com"})
	if got == "" || got == bob.ID {
		t.Fatalf("a credentials user with bob's id and another email got the session of %q (bob is %q)", got, bob.ID)
	}
	if ev := d.takeEvents(); !slices.Equal(ev, []string{"createUser:mallory@example.com", "linkAccount:" + bob.ID + ":" + got}) {
		t.Errorf("events %q", ev)
	}
	mallory := got

	// The same credentials again: the linked account's user, whose name
	// the sign-in updates; an empty field leaves the stored one alone.
	got, _ = d.signInAs(authjs.User{ID: bob.ID, Name: "Mallory M.", Email: "mallory@example.com"})
	if got != mallory {
		t.Errorf("second sign-in: %q, want %q", got, mallory)
	}
	if ev := d.takeEvents(); !slices.Equal(ev, []string{"updateUser:Mallory M."}) {
		t.Errorf("events %q, want the update", ev)
	}
	got, _ = d.signInAs(authjs.User{ID: bob.ID, Email: "mallory@example.com"})
	if got != mallory {
		t.Errorf("third sign-in: %q, want %q", got, mallory)
	}
	if ev := d.takeEvents(); len(ev) != 0 {
		t.Errorf("events %q, want none (nothing changed)", ev)
	}
	if u, _ := d.store.GetUser(ctx, mallory); u.Name != "Mallory M." || u.Email != "mallory@example.com" {
		t.Errorf("stored user %+v", u)
	}

	// Neither has an email: an id alone never names the stored user.
	noMail, err := d.store.CreateUser(ctx, authjs.User{Name: "No mail"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ = d.signInAs(authjs.User{ID: noMail.ID, Name: "Eve"}); got == "" || got == noMail.ID {
		t.Errorf("a credentials user without email and the id of a stored one got the session of %q (the stored user is %q)", got, noMail.ID)
	}

	// A new id with the email of a stored user: refused, unless the
	// provider may link by email.
	got, res := d.signInAs(authjs.User{ID: "x-1", Name: "Ann again", Email: "ann@example.com"})
	if got != "" || !strings.Contains(res.header.Get("Location"), "error=OAuthAccountNotLinked") {
		t.Errorf("an unknown id with ann's email: session of %q, %d %s", got, res.status, res.header.Get("Location"))
	}
	if _, err := d.store.GetUserByAccount(ctx, "credentials", "x-1"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("the refused account was linked: %v", err)
	}
	if got := d.get("/api/protected"); got.status != http.StatusUnauthorized {
		t.Errorf("protected after the refusal: %d", got.status)
	}
}
