package ginauth_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/providers"
)

// TestCrossOriginProtection: a browser made to post to the state-changing
// endpoints from another site (Sec-Fetch-Site, or Origin for browsers
// without it) gets 403, no cookie and no session, shaped for the client:
// a page for a form, {"url": ...?error=AccessDenied} for the JavaScript
// clients, the empty session for POST /session. Same-origin requests, the
// application's own Origin, trusted origins, Sec-Fetch-Site "none" and
// clients sending neither header pass. OAuth callbacks, which the
// provider's page posts, are not checked.
func TestCrossOriginProtection(t *testing.T) {
	const evil = "https://evil.example"
	const front = "https://front.example"
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		m := mode.String()
		a := newApp(t, mode, func(c *ginauth.Config) {
			c.TrustedOrigins = []string{front}
			c.Providers = append(c.Providers, providers.GitHub(providers.OAuth{ClientID: "id", ClientSecret: "secret"}))
		})
		own := a.srv.URL
		empty := map[ginauth.Mode]string{ginauth.ModeV5: "null", ginauth.ModeV4: "{}"}[mode]
		errURL := own + "/api/auth/error?error=AccessDenied"

		signIn := func(header ...string) response {
			t.Helper()
			a.client = newClient(t)
			return a.do(http.MethodPost, "/api/auth/callback/credentials", url.Values{
				"username": {"alice"}, "password": {"wonderland"}, "csrfToken": {a.csrf()}, "callbackUrl": {"/"},
			}, header...)
		}
		signedIn := func() bool {
			t.Helper()
			return a.do(http.MethodGet, "/api/protected", nil).status == http.StatusOK
		}
		refused := func(name string, r response, body string) {
			t.Helper()
			if r.status != http.StatusForbidden || len(r.header.Values("Set-Cookie")) > 0 || !strings.Contains(r.body, body) {
				t.Errorf("%s %s: %d, cookies %v, body %.200q; want 403 with %q and no cookie", m, name, r.status, r.header.Values("Set-Cookie"), r.body, body)
			}
			if signedIn() {
				t.Errorf("%s %s: signed in", m, name)
			}
		}

		// Cross-site form posts and the JavaScript clients' requests.
		refused("cross-site form", signIn("Sec-Fetch-Site", "cross-site", "Origin", evil), "Request refused")
		if r := signIn("Sec-Fetch-Site", "cross-site", "Origin", evil); !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || r.header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: the refusal page's headers %v", m, r.header)
		}
		refused("same-site form", signIn("Sec-Fetch-Site", "same-site", "Origin", "https://sub.evil.example"), "Request refused")
		refused("old browser, other Origin", signIn("Origin", evil), "Request refused")
		refused("cross-site, null Origin", signIn("Sec-Fetch-Site", "cross-site", "Origin", "null"), "Request refused")
		refused("cross-site X-Auth-Return-Redirect", signIn("Sec-Fetch-Site", "cross-site", "Origin", evil, "X-Auth-Return-Redirect", "1"),
			`{"url":"`+errURL+`"}`)
		refused("cross-site Accept JSON", signIn("Sec-Fetch-Site", "cross-site", "Origin", evil, "Accept", "application/json"), `"url":"`+errURL)

		a.client = newClient(t)
		v4json := a.do(http.MethodPost, "/api/auth/signin/credentials", url.Values{"csrfToken": {a.csrf()}, "json": {"true"}},
			"Sec-Fetch-Site", "cross-site", "Origin", evil)
		refused("cross-site v4 json=true sign-in", v4json, `"url":"`+errURL)

		// A signed-in user: sign-out and session updates from another site
		// are refused and leave the session alone.
		if r := signIn("Sec-Fetch-Site", "same-origin", "Origin", own); r.status != http.StatusFound || !signedIn() {
			t.Fatalf("%s same-origin sign-in: %d", m, r.status)
		}
		csrf := a.csrf()
		r := a.do(http.MethodPost, "/api/auth/signout", url.Values{"csrfToken": {csrf}}, "Sec-Fetch-Site", "cross-site", "Origin", evil)
		if r.status != http.StatusForbidden || len(r.header.Values("Set-Cookie")) > 0 || !signedIn() {
			t.Errorf("%s cross-site sign-out: %d, cookies %v, still signed in: %v", m, r.status, r.header.Values("Set-Cookie"), signedIn())
		}
		r = a.do(http.MethodPost, "/api/auth/session", url.Values{"csrfToken": {csrf}, "data": {"x"}}, "Sec-Fetch-Site", "cross-site", "Origin", evil)
		if r.status != http.StatusForbidden || r.body != empty || len(r.header.Values("Set-Cookie")) > 0 {
			t.Errorf("%s cross-site session update: %d %q, cookies %v", m, r.status, r.body, r.header.Values("Set-Cookie"))
		}
		if r := a.do(http.MethodPost, "/api/auth/session", url.Values{"csrfToken": {csrf}}, "Sec-Fetch-Site", "same-origin", "Origin", own); r.status != http.StatusOK || !strings.Contains(r.body, "alice") {
			t.Errorf("%s same-origin session update: %d %q", m, r.status, r.body)
		}
		// Reads are never checked.
		if r := a.do(http.MethodGet, "/api/auth/session", nil, "Sec-Fetch-Site", "cross-site", "Origin", evil); r.status != http.StatusOK || !strings.Contains(r.body, "alice") {
			t.Errorf("%s cross-site GET /session: %d %q", m, r.status, r.body)
		}
		if r := a.do(http.MethodPost, "/api/auth/signout", url.Values{"csrfToken": {csrf}}, "Sec-Fetch-Site", "same-origin"); r.status != http.StatusFound || signedIn() {
			t.Errorf("%s same-origin sign-out: %d, still signed in: %v", m, r.status, signedIn())
		}

		// What passes.
		for name, header := range map[string][]string{
			"same-origin":                   {"Sec-Fetch-Site", "same-origin", "Origin", own},
			"own Origin, no Sec-Fetch-Site": {"Origin", own},
			"trusted front end":             {"Sec-Fetch-Site", "cross-site", "Origin", front},
			"trusted front end, old":        {"Origin", front},
			"user-initiated":                {"Sec-Fetch-Site", "none"},
			"no browser headers":            nil,
		} {
			if r := signIn(header...); r.status != http.StatusFound || !signedIn() {
				t.Errorf("%s %s: %d %.200q, signed in %v", m, name, r.status, r.body, signedIn())
			}
		}

		// An OAuth callback posted by the provider's page is not checked
		// here (it fails for its missing state, not for its origin).
		a.client = newClient(t)
		r = a.do(http.MethodPost, "/api/auth/callback/github", url.Values{"code": {"c"}, "state": {"s"}},
			"Sec-Fetch-Site", "cross-site", "Origin", "https://github.com")
		if r.status == http.StatusForbidden {
			t.Errorf("%s: a form_post OAuth callback was refused for its origin: %q", m, r.body)
		}
		if !strings.Contains(a.logs.String(), "request.cross_origin_refused") {
			t.Errorf("%s: no request.cross_origin_refused event logged", m)
		}
	}

	// Trusted origins must be origins.
	for _, o := range []string{"front.example", "https://front.example/app", "https://front.example?x", ""} {
		_, err := ginauth.New(ginauth.Config{Secret: testSecret, URL: "http://localhost", TrustedOrigins: []string{o}})
		if !errors.Is(err, ginauth.ErrConfig) {
			t.Errorf("TrustedOrigins %q: %v", o, err)
		}
	}
}
