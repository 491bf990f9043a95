package accounts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ginauth/ginauth/adapters/adaptertest"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/accounts"
)

// TestResolve runs the conformance suite, whose Resolve subtests walk the
// linking rules and the races of first sign-ins, on the in-memory store.
func TestResolve(t *testing.T) {
	adaptertest.Run(t, func(*testing.T) authjs.Adapter { return memory.New() })
}

// failing is a store whose named method fails as an unreachable database
// does, and which can run a hook after GetUserByEmail.
type failing struct {
	*memory.Store
	method     string
	afterEmail func()
}

var errDown = errors.New("store down")

func (f *failing) fail(m string) error {
	if f.method == m {
		return errDown
	}
	return nil
}

func (f *failing) GetUserByAccount(ctx context.Context, p, id string) (*authjs.User, error) {
	if err := f.fail("GetUserByAccount"); err != nil {
		return nil, err
	}
	return f.Store.GetUserByAccount(ctx, p, id)
}

func (f *failing) GetUserByEmail(ctx context.Context, email string) (*authjs.User, error) {
	if err := f.fail("GetUserByEmail"); err != nil {
		return nil, err
	}
	u, err := f.Store.GetUserByEmail(ctx, email)
	if f.afterEmail != nil {
		f.afterEmail()
		f.afterEmail = nil
	}
	return u, err
}

func (f *failing) CreateUser(ctx context.Context, u authjs.User) (*authjs.User, error) {
	if err := f.fail("CreateUser"); err != nil {
		return nil, err
	}
	return f.Store.CreateUser(ctx, u)
}

func (f *failing) LinkAccount(ctx context.Context, a authjs.Account) error {
	if err := f.fail("LinkAccount"); err != nil {
		return err
	}
	return f.Store.LinkAccount(ctx, a)
}

var account = authjs.Account{Provider: "corp", ProviderAccountID: "42", Type: authjs.TypeOIDC}

// TestResolveStoreFailures: a failing store is an error, never a reason
// to refuse the account or to make another user.
func TestResolveStoreFailures(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		method  string
		current bool
		email   string // a user with this email exists
	}{
		{method: "GetUserByAccount"},
		{method: "LinkAccount", current: true},
		{method: "GetUserByEmail"},
		{method: "CreateUser"},
		{method: "LinkAccount"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			f := &failing{Store: memory.New()}
			req := accounts.Request{Account: account, Profile: authjs.User{Name: "Ann", Email: "ann@example.com"}}
			if tc.current {
				cur, err := f.CreateUser(ctx, authjs.User{Name: "Cur", Email: "cur@example.com"})
				if err != nil {
					t.Fatal(err)
				}
				req.Current = cur
			}
			f.method = tc.method
			_, err := accounts.Resolve(ctx, f, req)
			if !errors.Is(err, errDown) || errors.Is(err, accounts.ErrNotLinked) {
				t.Fatalf("Resolve = %v, want the store's failure", err)
			}
			if errors.Is(err, accounts.ErrCreateUser) != (tc.method == "CreateUser") {
				t.Errorf("Resolve = %v: ErrCreateUser only when CreateUser failed", err)
			}
			f.method = ""
			if _, err := f.GetUserByEmail(ctx, "ann@example.com"); !errors.Is(err, authjs.ErrNotFound) {
				t.Errorf("a user was left behind: %v", err)
			}
		})
	}
}

// TestResolveWaitsForALink: a first sign-in that finds its email taken
// looks again before refusing, and signs in the user a concurrent sign-in
// of the same account has meanwhile linked it to.
func TestResolveWaitsForALink(t *testing.T) {
	ctx := context.Background()
	f := &failing{Store: memory.New()}
	ann, err := f.CreateUser(ctx, authjs.User{Name: "Ann", Email: "ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f.afterEmail = func() {
		a := account
		a.UserID = ann.ID
		if err := f.Store.LinkAccount(ctx, a); err != nil {
			t.Error(err)
		}
	}
	res, err := accounts.Resolve(ctx, f, accounts.Request{Account: account, Profile: authjs.User{Email: "ann@example.com"}})
	if err != nil || res.User.ID != ann.ID || res.Created || res.Linked {
		t.Fatalf("Resolve = %+v, %v; want ann's user, found by the account", res, err)
	}

	// Without such a link the refusal stands, after the retries.
	res, err = accounts.Resolve(ctx, f, accounts.Request{Account: authjs.Account{Provider: "corp", ProviderAccountID: "43"}, Profile: authjs.User{Email: "ann@example.com"}})
	if !errors.Is(err, accounts.ErrNotLinked) {
		t.Fatalf("Resolve = %+v, %v; want ErrNotLinked", res, err)
	}
	// A cancelled request stops waiting.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := accounts.Resolve(cctx, f, accounts.Request{Account: authjs.Account{Provider: "corp", ProviderAccountID: "44"}, Profile: authjs.User{Email: "ann@example.com"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Resolve with a cancelled context = %v", err)
	}
}
