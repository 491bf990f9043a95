package ginauth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/throttle"
)

// TestCredentialsThrottle: password guesses are capped per account name
// and per client, on by default; over a limit the answer is the rejected
// credentials' path with code rate_limited (v5) or error rate_limited with
// 429 (v4 JSON), with Retry-After, the same whether the account exists or
// the password is right.
func TestCredentialsThrottle(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		a := newApp(t, mode, func(c *ginauth.Config) { c.Throttle = ginauth.Throttle{} })
		try := func(user, pw string, header ...string) response {
			t.Helper()
			body := url.Values{"username": {user}, "password": {pw}, "csrfToken": {a.csrf()}, "callbackUrl": {"/"}}
			return a.do(http.MethodPost, "/api/auth/callback/credentials", body, header...)
		}
		limited := func(r response) bool {
			loc := r.header.Get("Location")
			if mode == ginauth.ModeV4 {
				return strings.Contains(loc, "error=rate_limited")
			}
			return strings.Contains(loc, "error=CredentialsSignin&code=rate_limited")
		}
		burst := ginauth.DefaultCredentialsPerIdentifier.Burst
		for i := range burst {
			if r := try("Alice", "guess"); limited(r) {
				t.Fatalf("guess %d was throttled", i)
			}
		}
		for _, r := range []response{try("alice", "wonderland"), try(" ALICE ", "guess")} {
			if !limited(r) {
				t.Errorf("past the limit for alice: %d to %q", r.status, r.header.Get("Location"))
			}
			if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
				t.Errorf("Retry-After %q", ra)
			}
			if _, ok := r.cookie(a.sessionCookieName()); ok {
				t.Error("a throttled sign-in set a session")
			}
		}
		// Another account is not affected; an unknown one is limited the
		// same way.
		if r := try("bob", "builder"); limited(r) || !strings.HasSuffix(r.header.Get("Location"), "/") {
			t.Errorf("bob: %d to %q", r.status, r.header.Get("Location"))
		}
		for range burst {
			try("nobody", "guess")
		}
		known, unknown := try("alice", "guess"), try("nobody", "guess")
		if known.status != unknown.status || known.header.Get("Location") != unknown.header.Get("Location") {
			t.Errorf("the answers tell accounts apart: %d %q, %d %q", known.status, known.header.Get("Location"), unknown.status, unknown.header.Get("Location"))
		}

		// The JSON answer of the v4 client carries 429 and the v5 client's
		// the URL with the code.
		var r response
		if mode == ginauth.ModeV4 {
			body := url.Values{"username": {"alice"}, "password": {"x"}, "csrfToken": {a.csrf()}, "callbackUrl": {"/"}, "json": {"true"}}
			r = a.do(http.MethodPost, "/api/auth/callback/credentials", body)
			if r.status != http.StatusTooManyRequests {
				t.Errorf("v4 JSON answer: %d %s", r.status, r.body)
			}
		} else {
			r = try("alice", "x", "X-Auth-Return-Redirect", "1")
			var v struct{ URL string }
			json.Unmarshal([]byte(r.body), &v)
			if !strings.Contains(v.URL, "code=rate_limited") {
				t.Errorf("v5 JSON answer: %d %s", r.status, r.body)
			}
		}
		if r.header.Get("Retry-After") == "" {
			t.Error("no Retry-After on the JSON answer")
		}
		// The sign-in page it leads to says why.
		page := a.do(http.MethodGet, "/api/auth/signin?error=CredentialsSignin&code=rate_limited", nil)
		if mode == ginauth.ModeV4 {
			page = a.do(http.MethodGet, "/api/auth/signin?error=rate_limited", nil)
		}
		if !strings.Contains(page.body, "Too many sign-in attempts") {
			t.Errorf("the sign-in page does not explain the throttling: %d", page.status)
		}
		if !strings.Contains(a.logs.String(), "credentials sign-in throttled") || strings.Contains(a.logs.String(), "guess") {
			t.Errorf("the throttling is not logged, or logged with a password:\n%s", a.logs)
		}
	})
}

// TestCredentialsThrottlePerClient: one client trying many account names
// is capped too.
func TestCredentialsThrottlePerClient(t *testing.T) {
	limit := throttle.Limit{Every: time.Hour, Burst: 5}
	perClient, err := throttle.NewMemory(limit, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.Throttle = ginauth.Throttle{CredentialsPerClient: perClient, CredentialsPerIdentifier: throttle.Unlimited}
	})
	n := 0
	for i := range 8 {
		r := a.do(http.MethodPost, "/api/auth/callback/credentials", url.Values{
			"username": {"user" + string(rune('a'+i))}, "password": {"x"}, "csrfToken": {a.csrf()}, "callbackUrl": {"/"}})
		if strings.Contains(r.header.Get("Location"), "rate_limited") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d of 8 attempts from one client throttled, want 3 past the burst of 5", n)
	}
}
