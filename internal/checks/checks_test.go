package checks

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/jwe"
)

const secret = "0123456789abcdef0123456789abcdef-checks"

func request(cs ...cookies.Cookie) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "http://localhost/api/auth/callback/oidc", nil)
	for _, c := range cs {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return r
}

func TestSealOpen(t *testing.T) {
	for _, mode := range []*dialect.Dialect{dialect.V5, dialect.V4} {
		for _, secure := range []bool{false, true} {
			names := mode.Names(secure)
			s, err := New(mode, []string{secret}, names, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []Kind{PKCE, State, Nonce} {
				ck, err := s.Seal(k, "oidc", "value-"+k.String())
				if err != nil {
					t.Fatal(err)
				}
				if ck.Name != s.Name(k) || !strings.Contains(ck.Name, map[Kind]string{PKCE: "pkce.code_verifier", State: "state", Nonce: "nonce"}[k]) {
					t.Errorf("%v %v: cookie name %q", mode.Name, k, ck.Name)
				}
				if wantMaxAge := map[Kind]int{PKCE: 900, State: 900, Nonce: 0}[k]; ck.MaxAge != wantMaxAge || ck.Expires.IsZero() {
					t.Errorf("%v %v: Max-Age %d (want %d), Expires %v", mode.Name, k, ck.MaxAge, wantMaxAge, ck.Expires)
				}
				got, err := s.Open(request(ck), k, "oidc")
				if err != nil || got != "value-"+k.String() {
					t.Errorf("%v %v: Open = %q, %v", mode.Name, k, got, err)
				}
				if _, err := s.Open(request(ck), k, "github"); !errors.Is(err, ErrInvalid) {
					t.Errorf("%v %v: cookie for another provider: %v", mode.Name, k, err)
				}
				if _, err := s.Open(request(), k, "oidc"); !errors.Is(err, ErrMissing) {
					t.Errorf("%v %v: no cookie: %v", mode.Name, k, err)
				}
				tampered := ck
				tampered.Value = ck.Value[:len(ck.Value)-3] + "AAA"
				if _, err := s.Open(request(tampered), k, "oidc"); !errors.Is(err, ErrInvalid) {
					t.Errorf("%v %v: tampered cookie: %v", mode.Name, k, err)
				}
				d := s.Delete(k)
				if !d.Delete || d.Name != ck.Name {
					t.Errorf("%v %v: delete cookie %+v", mode.Name, k, d)
				}
			}
			// A cookie of one kind does not open as another: each is salted
			// with its own name.
			ck, _ := s.Seal(PKCE, "oidc", "v")
			ck.Name = s.Name(State)
			if _, err := s.Open(request(ck), State, "oidc"); !errors.Is(err, ErrInvalid) {
				t.Errorf("%v: PKCE cookie accepted as state: %v", mode.Name, err)
			}
		}
	}
}

func TestOpenExpiredAndForeign(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	names := dialect.V5.Names(false)
	s, _ := New(dialect.V5, []string{secret}, names, clock)
	ck, _ := s.Seal(State, "oidc", "v")
	now = now.Add(MaxAge + jwe.ClockTolerance + time.Second)
	if _, err := s.Open(request(ck), State, "oidc"); !errors.Is(err, ErrInvalid) || !errors.Is(err, jwe.ErrTokenExpired) {
		t.Errorf("expired cookie: %v", err)
	}
	other, _ := New(dialect.V5, []string{"another-secret-another-secret-0123456789"}, names, nil)
	if _, err := other.Open(request(ck), State, "oidc"); !errors.Is(err, ErrInvalid) {
		t.Errorf("cookie sealed with another secret: %v", err)
	}
	// A cookie without a provider (made by an older server) is refused.
	c, _ := jwe.New(jwe.Options{Format: jwe.V5, Secrets: []string{secret}, Salt: names.State})
	v, _ := c.Encode(authjs.Claims{"value": "v"}, MaxAge)
	if _, err := s.Open(request(cookies.Cookie{Name: names.State, Value: v}), State, "oidc"); !errors.Is(err, ErrInvalid) {
		t.Errorf("cookie without provider: %v", err)
	}
	// A cookie holding an empty value is refused: an empty state would
	// otherwise match a callback that sends none.
	for _, k := range []Kind{PKCE, State, Nonce} {
		empty, _ := s.Seal(k, "oidc", "")
		if got, err := s.Open(request(empty), k, "oidc"); !errors.Is(err, ErrInvalid) {
			t.Errorf("%v cookie with an empty value: %q, %v", k, got, err)
		}
	}
	// An empty cookie is a missing one.
	if _, err := s.Open(request(cookies.Cookie{Name: names.Nonce, Value: ""}), Nonce, "oidc"); !errors.Is(err, ErrMissing) {
		t.Errorf("empty nonce cookie: %v", err)
	}
}

func TestNewState(t *testing.T) {
	names := dialect.V5.Names(false)
	s, _ := New(dialect.V5, []string{secret}, names, nil)
	st, err := s.NewState()
	if err != nil || strings.Count(st, ".") != 4 {
		t.Fatalf("v5 state %q, %v: want a compact JWE", st, err)
	}
	c, _ := jwe.New(jwe.Options{Format: jwe.V5, Secrets: []string{secret}, Salt: "encodedState"})
	tok, err := c.Decode(st)
	if err != nil || len(tok.String("random")) != 43 {
		t.Errorf("v5 state decodes to %v, %v", tok, err)
	}
	v4, _ := New(dialect.V4, []string{secret}, dialect.V4.Names(false), nil)
	if st, _ := v4.NewState(); len(st) != 43 || strings.Contains(st, ".") {
		t.Errorf("v4 state %q: want 43 random characters", st)
	}
	if a, b := Random(), Random(); a == b || len(a) != 43 {
		t.Errorf("Random gave %q and %q", a, b)
	}
}

func TestChallenge(t *testing.T) {
	// RFC 7636 appendix B.
	if got := Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("Challenge = %q", got)
	}
	if !Equal("abc", "abc") || Equal("abc", "abd") || Equal("abc", "") {
		t.Error("Equal")
	}
}
