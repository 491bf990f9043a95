package ginauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
)

// interopDir holds the Node scripts and the npm packages they run
// (package-lock.json pins them; scripts/test installs them with npm ci).
const interopDir = "testdata/interop"

// requireNode returns the node binary, or skips the test when Node or the
// npm packages are missing, unless GINAUTH_REQUIRE_JS=1 makes that a
// failure (scripts/test and CI set it).
func requireNode(t *testing.T) string {
	t.Helper()
	if testing.Short() && os.Getenv("GINAUTH_REQUIRE_JS") != "1" {
		t.Skip("interop tests start Node; skipped in -short mode")
	}
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("GINAUTH_REQUIRE_JS") == "1" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (set GINAUTH_REQUIRE_JS=1 to fail instead)", args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(interopDir, "node_modules", "next-auth5", "package.json")); err != nil {
		missing("npm packages are not installed; run `npm ci` in %s", interopDir)
	}
	return node
}

// runNode runs a script of testdata/interop with env added to the
// environment and stdin as input, and decodes its stdout (one JSON value)
// into out. Node's stderr is logged.
func runNode(t *testing.T, script string, env []string, stdin any, out any) {
	t.Helper()
	node := requireNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = interopDir
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		b, err := json.Marshal(stdin)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = bytes.NewReader(b)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("node %s: %s", script, time.Since(start).Round(time.Millisecond))
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("node %s stderr:\n%s", script, s)
	}
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stdout.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node %s printed no JSON (%v):\n%s", script, err, stdout.String())
	}
}

// clientStep is one client call as clients.mjs records it, with
// placeholders for origins, CSRF tokens and dates.
type clientStep struct {
	Name        string   `json:"name"`
	Result      any      `json:"result"`
	Requests    []string `json:"requests"`
	Navigations []string `json:"navigations"`
}

// TestInteropClients runs the real JavaScript clients (next-auth/react v4
// and v5, and nuxt-auth's requests) through the same calls against the
// JavaScript servers and against ginauth. Every call must give ginauth the
// same result, make the same requests with the same statuses, and navigate
// the same way; the results are also checked against what the clients are
// documented to return.
func TestInteropClients(t *testing.T) {
	requireNode(t)
	v5 := newApp(t, ginauth.ModeV5, nil)
	v4 := newApp(t, ginauth.ModeV4, nil)
	var out map[string]struct {
		JS      []clientStep `json:"js"`
		Ginauth []clientStep `json:"ginauth"`
	}
	runNode(t, "clients.mjs", []string{"GINAUTH_SECRET=" + testSecret, "GINAUTH_V5_URL=" + v5.srv.URL, "GINAUTH_V4_URL=" + v4.srv.URL}, nil, &out)
	for _, client := range []string{"next-auth/react v5", "next-auth/react v4", "nuxt-auth authjs"} {
		t.Run(client, func(t *testing.T) {
			runs, ok := out[client]
			if !ok || len(runs.JS) == 0 {
				t.Fatalf("no results for %s", client)
			}
			if len(runs.JS) != len(runs.Ginauth) {
				t.Fatalf("%d steps against the JavaScript server, %d against ginauth", len(runs.JS), len(runs.Ginauth))
			}
			for i, js := range runs.JS {
				g := runs.Ginauth[i]
				if !reflect.DeepEqual(js, g) {
					t.Errorf("%s differs:\n javascript: %s\n ginauth:    %s", js.Name, mustJSON(js), mustJSON(g))
				}
			}
			checkClientResults(t, client, runs.Ginauth)
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// checkClientResults asserts the documented results of the calls, so that
// the comparison cannot pass on two servers that fail alike.
func checkClientResults(t *testing.T, client string, steps []clientStep) {
	t.Helper()
	v5 := client == "next-auth/react v5"
	byName := map[string]clientStep{}
	for _, s := range steps {
		byName[s.Name] = s
	}
	alice := `{"expires":"{date}","user":{"email":"alice@example.com","image":"https://img.example.com/a.png","name":"Alice"}}`
	want := map[string]string{
		"getCsrfToken":             `"{csrf}"`,
		"getProviders":             `{"credentials":{"callbackUrl":"{origin}/api/auth/callback/credentials","id":"credentials","name":"Credentials","signinUrl":"{origin}/api/auth/signin/credentials","type":"credentials"}}`,
		"getSession signed out":    `null`,
		"getSession":               alice,
		"getSession after signOut": `null`,
	}
	switch client {
	case "next-auth/react v5":
		want["signIn wrong password"] = `{"code":"credentials","error":"CredentialsSignin","ok":true,"status":200,"url":null}`
		want["signIn"] = `{"code":"{undefined}","error":"{undefined}","ok":true,"status":200,"url":"{origin}/dashboard"}`
		want["signOut"] = `{"url":"{origin}/bye"}`
	case "next-auth/react v4":
		want["signIn wrong password"] = `{"error":"CredentialsSignin","ok":false,"status":401,"url":null}`
		want["signIn"] = `{"error":null,"ok":true,"status":200,"url":"{origin}/dashboard"}`
		want["signOut"] = `{"url":"{origin}/bye"}`
	case "nuxt-auth authjs":
		want["signIn wrong password"] = `{"error":"CredentialsSignin","ok":true,"status":200,"url":null}`
		want["signIn"] = `{"error":null,"ok":true,"status":200,"url":"{origin}/dashboard"}`
		want["signOut"] = `{"url":"{origin}/bye"}`
	}
	if client != "nuxt-auth authjs" {
		want["useSession signed out"] = `{"data":null,"status":"unauthenticated"}`
		want["getSession bob"] = `{"expires":"{date}","user":{"email":"bob@example.com","name":"Bob"}}`
		// v5 builds the session from the updated token; v4 from the
		// decoded one, which the JWT callback changed in place.
		want["getSession after update"] = strings.Replace(alice, `"Alice"`, `"Alice L."`, 1)
	}
	for name, w := range want {
		s, ok := byName[name]
		if !ok {
			t.Errorf("no step %q", name)
			continue
		}
		if got := mustJSON(s.Result); got != w {
			t.Errorf("%s = %s, want %s", name, got, w)
		}
	}
	nav := func(name string, want ...string) {
		t.Helper()
		if got := byName[name].Navigations; !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s navigated to %q, want %q", name, got, want)
		}
	}
	nav("signIn redirecting", "{origin}/home")
	nav("signIn unknown provider", "/api/auth/signin?callbackUrl=%2Fdashboard")
	if client != "nuxt-auth authjs" {
		nav("signIn redirecting, foreign callbackUrl", "{origin}")
		nav("signOut redirecting", "{origin}/app")
		fail := "{origin}/api/auth/signin?error=CredentialsSignin&code=credentials"
		if !v5 {
			fail = "{origin}/api/auth/error?error=CredentialsSignin&provider=credentials"
		}
		nav("signIn redirecting, wrong password", fail)
		u := byName["useSession update"].Result
		if got := mustJSON(u); !strings.Contains(got, `"returned":{"expires":"{date}","user":{"email":"alice@example.com","image":"https://img.example.com/a.png","name":"Alice L."}}`) {
			t.Errorf("update() = %s", got)
		}
	} else {
		nav("signOut redirecting", "{origin}/app")
	}
}

// observation is one response as conformance.mjs describes it.
type observation struct {
	Step     string   `json:"step"`
	Status   int      `json:"status"`
	Type     string   `json:"type"`
	Body     any      `json:"body"`
	Location string   `json:"location"`
	Cookies  []string `json:"cookies"`
}

// allowedDifferences are the places where ginauth deliberately answers
// differently from the JavaScript server, keyed by mode, step and field.
// Each names the phrase of the README's list of deliberate differences
// that explains it; the test fails if that phrase is missing, or if a
// listed difference no longer occurs.
var allowedDifferences = map[string]string{
	"v5 session, javascript: callbackUrl: status":  "Auth.js answers the query or cookie form with a 500 configuration error",
	"v5 session, javascript: callbackUrl: body":    "Auth.js answers the query or cookie form with a 500 configuration error",
	"v5 session, javascript: callbackUrl: cookies": "Auth.js answers the query or cookie form with a 500 configuration error",
	"v4 session, javascript: callbackUrl: status":  "Auth.js answers the query or cookie form with a 500 configuration error",
	"v4 session, javascript: callbackUrl: body":    "Auth.js answers the query or cookie form with a 500 configuration error",
	"v4 session, javascript: callbackUrl: cookies": "Auth.js answers the query or cookie form with a 500 configuration error",
	"v4 GET credentials callback: status":          "answers `405`",
}

// TestInteropConformance sends one request sequence (csrf, providers,
// empty session, credentials sign-in good and bad, CSRF missing, foreign
// callbackUrl, session, update, sign-out, error pages) to @auth/express
// (v5) and next-auth v4, and to ginauth in the same mode, and compares
// status codes, JSON bodies, Location headers and Set-Cookie names and
// attributes. Tokens, CSRF values, dates and the origin are normalized.
func TestInteropConformance(t *testing.T) {
	requireNode(t)
	v5 := newApp(t, ginauth.ModeV5, nil)
	v4 := newApp(t, ginauth.ModeV4, nil)
	var out map[string]struct {
		JS      []observation `json:"js"`
		Ginauth []observation `json:"ginauth"`
	}
	runNode(t, "conformance.mjs", []string{"GINAUTH_SECRET=" + testSecret, "GINAUTH_V5_URL=" + v5.srv.URL, "GINAUTH_V4_URL=" + v4.srv.URL}, nil, &out)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, differences, _ := strings.Cut(string(readme), "Deliberate differences:")
	seen := map[string]bool{}
	for _, mode := range []string{"v5", "v4"} {
		runs := out[mode]
		if len(runs.JS) < 20 || len(runs.JS) != len(runs.Ginauth) {
			t.Fatalf("%s: %d steps against the JavaScript server, %d against ginauth", mode, len(runs.JS), len(runs.Ginauth))
		}
		for i, js := range runs.JS {
			g := runs.Ginauth[i]
			fields := map[string][2]any{
				"status":   {js.Status, g.Status},
				"type":     {js.Type, g.Type},
				"body":     {js.Body, g.Body},
				"location": {js.Location, g.Location},
				"cookies":  {js.Cookies, g.Cookies},
			}
			if _, text := js.Body.(string); js.Type == "" && text && js.Body != "" {
				// NextAuth v4 leaves the media type of its plain-text
				// answers to Next.js, which the test server does not run.
				delete(fields, "type")
			}
			for field, v := range fields {
				if reflect.DeepEqual(v[0], v[1]) {
					continue
				}
				key := mode + " " + js.Step + ": " + field
				seen[key] = true
				phrase, ok := allowedDifferences[key]
				switch {
				case !ok:
					t.Errorf("%s differs:\n javascript: %s\n ginauth:    %s", key, mustJSON(v[0]), mustJSON(v[1]))
				case !strings.Contains(differences, phrase):
					t.Errorf("%s differs as allowed, but the README's deliberate differences do not mention %q", key, phrase)
				}
			}
		}
	}
	for key := range allowedDifferences {
		if !seen[key] {
			t.Errorf("allowed difference %q no longer occurs; remove it from allowedDifferences", key)
		}
	}
}

// TestV4SessionFromDecodedToken: NextAuth.js v4 builds the session user from
// the decoded token object it hands to the jwt callback, so a callback that
// changes that object in place shows its change in the answer, and one that
// returns a new object does not (the cookie holds the new token either way).
func TestV4SessionFromDecodedToken(t *testing.T) {
	for _, inPlace := range []bool{true, false} {
		a := newApp(t, ginauth.ModeV4, func(c *ginauth.Config) {
			c.Callbacks.JWT = func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
				if p.Trigger != authjs.TriggerUpdate {
					return p.Token, nil
				}
				tok := p.Token
				if !inPlace {
					tok = p.Token.Clone()
				}
				tok["name"] = "Renamed"
				return tok, nil
			}
		})
		a.signIn("alice", "wonderland", "/")
		r := a.postJSON("/api/auth/session", map[string]any{"csrfToken": a.csrf(), "data": map[string]any{}})
		want := map[bool]string{true: `"name":"Renamed"`, false: `"name":"Alice"`}[inPlace]
		if !strings.Contains(r.body, want) {
			t.Errorf("in place %v: update answered %s, want %s", inPlace, r.body, want)
		}
		if r = a.do(http.MethodGet, "/", nil); r.body != "hello Renamed" {
			t.Errorf("in place %v: the new token was not stored: %q", inPlace, r.body)
		}
	}
}
