package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/accounts"
)

// concurrently runs f(0) … f(n-1) in goroutines released together, and
// waits for all of them.
func concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

// recorder is an adapter that remembers the IDs of the users it created.
type recorder struct {
	authjs.Adapter
	mu      sync.Mutex
	created []string
}

// CreateUser creates the user and records its ID.
func (r *recorder) CreateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	got, err := r.Adapter.CreateUser(ctx, u)
	if err == nil && got != nil {
		r.mu.Lock()
		r.created = append(r.created, got.ID)
		r.mu.Unlock()
	}
	return got, err
}

// raceFirstSignIn runs n concurrent first sign-ins of one account, with
// the profile's email (or none), and checks that they end with one user
// linked to the account and no user left over.
func raceFirstSignIn(t *testing.T, a authjs.Adapter, n int, email string) {
	rec := &recorder{Adapter: a}
	acct := authjs.Account{Provider: "github", Type: authjs.TypeOAuth, ProviderAccountID: "racer-1", AccessToken: "gho_race", TokenType: "bearer"}
	profile := authjs.User{Name: "Racer", Email: email, Image: "https://example.com/racer.png"}
	results := make([]accounts.Result, n)
	errs := make([]error, n)
	concurrently(n, func(i int) {
		results[i], errs[i] = accounts.Resolve(t.Context(), rec, accounts.Request{Account: acct, Profile: profile})
	})

	winner, err := a.GetUserByAccount(t.Context(), acct.Provider, acct.ProviderAccountID)
	noErr(t, err, "GetUserByAccount after the concurrent first sign-ins")
	checkUser(t, "GetUserByAccount after the concurrent first sign-ins", winner, authjs.User{Name: "Racer", Email: email, Image: "https://example.com/racer.png"})
	created, signedIn, notLinked := 0, 0, 0
	for i := range n {
		switch {
		case errs[i] == nil:
			signedIn++
			if results[i].User == nil || results[i].User.ID != winner.ID {
				t.Errorf("sign-in %d resolved to user %+v, want the user %q linked to the account", i, results[i].User, winner.ID)
			}
			if results[i].Created {
				created++
			}
		case errors.Is(errs[i], accounts.ErrNotLinked):
			notLinked++
		default:
			t.Errorf("sign-in %d failed with %v; want the linked user or accounts.ErrNotLinked (a store error here means a uniqueness rule does not hold under concurrency or a lost race is not reported as ErrConflict)", i, errs[i])
		}
	}
	t.Logf("%d sign-ins: %d signed in, %d ErrNotLinked, %d users created by the store", n, signedIn, notLinked, len(rec.created))
	if created != 1 {
		t.Errorf("%d sign-ins reported Created; want exactly 1", created)
	}
	if email != "" {
		byEmail, err := a.GetUserByEmail(t.Context(), email)
		noErr(t, err, "GetUserByEmail after the concurrent first sign-ins")
		if byEmail.ID != winner.ID {
			t.Errorf("GetUserByEmail(%q) = user %q, GetUserByAccount = user %q; want one user", email, byEmail.ID, winner.ID)
		}
	}
	// Every user a losing sign-in created must be gone again.
	rec.mu.Lock()
	ids := slices.Clone(rec.created)
	rec.mu.Unlock()
	if !slices.Contains(ids, winner.ID) {
		t.Errorf("the linked user %q was not created by any of the sign-ins", winner.ID)
	}
	for _, id := range ids {
		if id == winner.ID {
			continue
		}
		_, err := a.GetUser(t.Context(), id)
		if !isNotFound(err) {
			t.Errorf("user %q, created by a sign-in that lost the race, is still in the store (GetUser: %v); want exactly one user", id, err)
		}
	}
}

var raceTests = []test{
	{"UseVerificationTokenOnce", func(t *testing.T, a authjs.Adapter) {
		const n = 20
		vt := authjs.VerificationToken{Identifier: "race@example.com", Token: tokenHash, Expires: future(hour)}
		createToken(t, a, vt)
		errs := make([]error, n)
		got := make([]*authjs.VerificationToken, n)
		concurrently(n, func(i int) { got[i], errs[i] = a.UseVerificationToken(t.Context(), vt.Identifier, vt.Token) })
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
				checkToken(t, fmt.Sprintf("UseVerificationToken %d", i), got[i], vt)
			case !isNotFound(err):
				t.Errorf("UseVerificationToken %d of %d concurrent ones: got error %v, want success or ErrNotFound", i, n, err)
			}
		}
		if wins != 1 {
			t.Errorf("%d of %d concurrent UseVerificationToken calls for one token succeeded; want exactly 1", wins, n)
		}
	}},
	{"CreateUserSameEmail", func(t *testing.T, a authjs.Adapter) {
		const n = 10
		users := make([]*authjs.User, n)
		errs := make([]error, n)
		concurrently(n, func(i int) {
			users[i], errs[i] = a.CreateUser(t.Context(), authjs.User{Name: fmt.Sprintf("Contender %d", i), Email: "contended@example.com"})
		})
		var winner *authjs.User
		for i, err := range errs {
			switch {
			case err == nil:
				if winner != nil {
					t.Errorf("CreateUser %d and another concurrent CreateUser with one email both succeeded (users %q and %q)", i, winner.ID, users[i].ID)
				}
				winner = users[i]
			case !errors.Is(err, authjs.ErrConflict):
				t.Errorf("CreateUser %d of %d concurrent ones with one email: got error %v, want success or ErrConflict", i, n, err)
			}
		}
		if winner == nil {
			t.Fatal("none of the concurrent CreateUser calls with one email succeeded")
		}
		got, err := a.GetUserByEmail(t.Context(), "contended@example.com")
		noErr(t, err, "GetUserByEmail")
		if got.ID != winner.ID {
			t.Errorf("GetUserByEmail = user %q, want the one CreateUser that succeeded (%q)", got.ID, winner.ID)
		}
	}},
	{"LinkAccountTwoUsers", func(t *testing.T, a authjs.Adapter) {
		const n = 10
		u := [2]*authjs.User{
			createUser(t, a, authjs.User{Name: "Left", Email: "left@example.com"}),
			createUser(t, a, authjs.User{Name: "Right", Email: "right@example.com"}),
		}
		errs := make([]error, n)
		concurrently(n, func(i int) { errs[i] = a.LinkAccount(t.Context(), oauthAccount(u[i%2].ID, "contested")) })
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Errorf("LinkAccount %d and %d of one account both succeeded; want exactly one", winner, i)
				}
				winner = i
			case !errors.Is(err, authjs.ErrConflict):
				t.Errorf("LinkAccount %d of %d concurrent ones of one account: got error %v, want success or ErrConflict", i, n, err)
			}
		}
		if winner < 0 {
			t.Fatal("none of the concurrent LinkAccount calls succeeded")
		}
		got, err := a.GetUserByAccount(t.Context(), "github", "contested")
		noErr(t, err, "GetUserByAccount")
		if want := u[winner%2].ID; got.ID != want {
			t.Errorf("GetUserByAccount = user %q, want %q (the user of the LinkAccount that succeeded)", got.ID, want)
		}
	}},
	{"FirstSignInWithEmail", func(t *testing.T, a authjs.Adapter) {
		raceFirstSignIn(t, a, 10, "racer@example.com")
	}},
	{"FirstSignInWithoutEmail", func(t *testing.T, a authjs.Adapter) {
		raceFirstSignIn(t, a, 10, "")
	}},
}
