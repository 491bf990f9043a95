package ginauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/email"
	"github.com/ginauth/ginauth/providers"
)

// emailClientStep is one client call as email.mjs records it.
type emailClientStep struct {
	Name        string   `json:"name"`
	Result      any      `json:"result"`
	Requests    []string `json:"requests"`
	Navigations []string `json:"navigations"`
	Cookies     []string `json:"cookies"`
	Messages    []struct {
		To      string   `json:"to"`
		Subject string   `json:"subject"`
		URL     string   `json:"url"`
		Query   []string `json:"query"`
	} `json:"messages"`
}

// newEmailClientApp is a ginauth server set up like the JavaScript servers
// of testdata/interop/lib/email-servers.mjs: the email provider alone,
// users, tokens and sessions in memory (database sessions), no limits; and
// a server answering the messages it sent as JSON [{to, subject, url}],
// the subject as the SMTP sender renders it.
func newEmailClientApp(t *testing.T, mode ginauth.Mode) (*emailApp, string) {
	t.Helper()
	e := newEmailApp(t, mode, func(c *ginauth.Config) {
		var only []providers.Provider
		for _, p := range c.Providers {
			if _, ok := p.(providers.Email); ok {
				only = append(only, p)
			}
		}
		c.Providers, c.Callbacks = only, authjs.Callbacks{}
	})
	mail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		e.box.mu.Lock()
		defer e.box.mu.Unlock()
		out := []map[string]string{}
		for _, m := range e.box.sent {
			msg, err := email.Render(m)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			out = append(out, map[string]string{"to": m.Identifier, "subject": msg.Subject, "url": m.URL})
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(mail.Close)
	return e, mail.URL
}

// TestInteropEmailClients runs email sign-in through the real clients,
// next-auth/react v5 and v4 (signIn("email", {email, redirect: false})
// and redirecting, the link, getSession, useSession, signOut), against
// @auth/express with Auth.js's email provider and next-auth v4 with its
// EmailProvider (nodemailer, the messages kept), and against ginauth in the
// same mode. Every step must give ginauth the same result, the same
// requests with the same statuses, the same navigations, the same cookies
// (names and attributes) and a message to the same recipient with the same
// subject and link (placeholders for the origin and the token); no
// difference is allowed. The results are also checked against what the
// clients document.
func TestInteropEmailClients(t *testing.T) {
	requireNode(t)
	v5, v5Mail := newEmailClientApp(t, ginauth.ModeV5)
	v4, v4Mail := newEmailClientApp(t, ginauth.ModeV4)
	var out map[string]struct {
		JS      []emailClientStep `json:"js"`
		Ginauth []emailClientStep `json:"ginauth"`
	}
	runNode(t, "email.mjs", []string{"GINAUTH_SECRET=" + testSecret,
		"GINAUTH_V5_URL=" + v5.srv.URL, "GINAUTH_V5_MAIL=" + v5Mail,
		"GINAUTH_V4_URL=" + v4.srv.URL, "GINAUTH_V4_MAIL=" + v4Mail}, nil, &out)
	for _, client := range []string{"next-auth/react v5", "next-auth/react v4"} {
		t.Run(client, func(t *testing.T) {
			runs, ok := out[client]
			if !ok || len(runs.JS) < 10 || len(runs.JS) != len(runs.Ginauth) {
				t.Fatalf("%d steps against the JavaScript server, %d against ginauth", len(runs.JS), len(runs.Ginauth))
			}
			for i, js := range runs.JS {
				g := runs.Ginauth[i]
				fields := map[string][2]any{
					"result":      {js.Result, g.Result},
					"requests":    {js.Requests, g.Requests},
					"navigations": {js.Navigations, g.Navigations},
					"cookies":     {js.Cookies, g.Cookies},
					"messages":    {js.Messages, g.Messages},
				}
				for field, v := range fields {
					if reflect.DeepEqual(v[0], v[1]) {
						continue
					}
					t.Errorf("%s %s differs:\n javascript: %s\n ginauth:    %s", js.Name, field, plainJSON(v[0]), plainJSON(v[1]))
				}
			}
			checkEmailClientResults(t, client, runs.Ginauth)
		})
	}
}

// checkEmailClientResults asserts the documented results, so that the
// comparison cannot pass on two servers that fail alike.
func checkEmailClientResults(t *testing.T, client string, steps []emailClientStep) {
	t.Helper()
	byName := map[string]emailClientStep{}
	for _, s := range steps {
		byName[s.Name] = s
	}
	verify := "{origin}/api/auth/verify-request?provider=email&type=email"
	ann := `{"expires":"{date}","user":{"email":"ann@example.com"}}`
	want := map[string]string{
		"getProviders":                    `{"email":{"callbackUrl":"{origin}/api/auth/callback/email","id":"email","name":"Email","signinUrl":"{origin}/api/auth/signin/email","type":"email"}}`,
		"getSession before the link":      `null`,
		"getSession":                      ann,
		"getSession after the link again": ann,
		"getSession after signOut":        `null`,
		"signOut":                         `{"url":"{origin}/bye"}`,
		"getSession carl":                 `{"expires":"{date}","user":{"email":"carl@example.com"}}`,
		"getSession dora":                 `{"expires":"{date}","user":{"email":"dora@example.com"}}`,
	}
	if client == "next-auth/react v5" {
		want["signIn email"] = `{"code":"{undefined}","error":"{undefined}","ok":true,"status":200,"url":"` + verify + `"}`
		want["signIn email, not an address"] = `{"code":"{undefined}","error":"Configuration","ok":true,"status":200,"url":null}`
	} else {
		want["signIn email"] = `{"error":null,"ok":true,"status":200,"url":"` + verify + `"}`
		want["signIn email, not an address"] = `{"error":"EmailSignin","ok":true,"status":200,"url":null}`
	}
	for name, w := range want {
		s, ok := byName[name]
		if !ok {
			t.Errorf("no step %q", name)
			continue
		}
		if got := plainJSON(s.Result); got != w {
			t.Errorf("%s = %s, want %s", name, got, w)
		}
	}
	link := "{origin}/api/auth/callback/email?callbackUrl={origin}%2Fdashboard&token={csrf}&email=ann%40example.com"
	if m := byName["signIn email"].Messages; len(m) != 1 || m[0].To != "ann@example.com" || m[0].URL != link ||
		m[0].Subject != "Sign in to {host}" {
		t.Errorf("signIn email sent %+v, want one message to ann@example.com with %s", m, link)
	}
	if r := byName["open the link"].Requests; len(r) != 2 || !strings.HasSuffix(r[0], " 302") || r[1] != "GET /dashboard {page}" {
		t.Errorf("open the link requested %q", r)
	}
	if c := byName["open the link"].Cookies; len(c) != 1 || !strings.Contains(c[0], "session-token; value={uuid}; Path=/; Expires; HttpOnly; SameSite=Lax") {
		t.Errorf("open the link set %q, want a database session cookie", c)
	}
	if r := byName["open the link again"].Requests; len(r) < 2 || !strings.Contains(r[1], "/api/auth/error?error=Verification") {
		t.Errorf("open the link again requested %q", r)
	}
	for _, name := range []string{"signIn email, not an address", "signIn email, two addresses"} {
		if m := byName[name].Messages; len(m) != 0 {
			t.Errorf("%s sent %+v", name, m)
		}
	}
	if m := byName["signIn email, foreign callbackUrl"].Messages; len(m) != 1 || !strings.Contains(m[0].URL, "callbackUrl={origin}&") {
		t.Errorf("a foreign callbackUrl: the link is %+v, want the origin as its callbackUrl", m)
	}
	if n := byName["signIn email redirecting"].Navigations; len(n) != 1 || n[0] != verify {
		t.Errorf("signIn email redirecting navigated to %q, want %s", n, verify)
	}
}

// plainJSON is v as JSON without HTML escapes.
func plainJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}
