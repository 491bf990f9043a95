package ginauth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/internal/oidctest"
)

// passkeyJSDir holds the passkey tests' Node side: Auth.js's passkey
// client bundled into a page (client.mjs, lib.mjs), the drivers that run it
// in Chromium with a virtual authenticator (flow.mjs), and a real Auth.js
// application with the Passkey provider (authjs.mjs).
const passkeyJSDir = "testdata/passkey"

// passkeyAuthJSSecret is the Auth.js application's AUTH_SECRET.
const passkeyAuthJSSecret = "passkey-client-secret-0123456789abcdef0123"

// passkeyTools returns node and the Chromium executable, or skips the test
// when they or the npm packages of testdata/passkey are missing (or in
// -short mode), unless GINAUTH_REQUIRE_JS=1 makes that a failure.
func passkeyTools(t *testing.T) (node, chromium string) {
	t.Helper()
	if testing.Short() && !oidctest.RequireJS() {
		t.Skip("drives Chromium through Node; skipped in -short mode")
	}
	node = oidctest.NodePath(t)
	for _, pkg := range []string{"playwright-core", "esbuild", "next-auth", "@auth/express", "@auth/unstorage-adapter"} {
		if _, err := os.Stat(filepath.Join(passkeyJSDir, "node_modules", pkg, "package.json")); err != nil {
			oidctest.Unavailable(t, "%s is not installed; run `npm ci` in %s", pkg, passkeyJSDir)
		}
	}
	chromium = os.Getenv("CHROMIUM_PATH")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		oidctest.Unavailable(t, "no browser at %s (apt-get install chromium, or set CHROMIUM_PATH)", chromium)
	}
	return node, chromium
}

// passkeyArtifacts is where the passkey tests' screenshots go:
// testdata/artifacts/<name>, or $GINAUTH_ARTIFACTS_DIR/<name>.
func passkeyArtifacts(t *testing.T, name string) string {
	dir := os.Getenv("GINAUTH_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(oidctest.RepoRoot(t), "testdata", "artifacts")
	}
	return filepath.Join(dir, name)
}

// localhostListener listens on a free loopback port and returns it with
// the origin the browser must use: http://localhost:PORT, since a passkey's
// relying party id must be a domain name (Chromium refuses 127.0.0.1).
func localhostListener(t *testing.T) (*net.TCPListener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return ln.(*net.TCPListener), "http://localhost:" + port
}

// authjsPasskeyApp is a running testdata/passkey/authjs.mjs.
type authjsPasskeyApp struct {
	origin string
	logs   *oidctest.SyncBuffer
}

// startAuthJSPasskey runs authjs.mjs (Auth.js with the Passkey provider and
// an in-memory adapter) on ln, handed to it as file descriptor 3, with env
// added. Node exits when the test ends.
func startAuthJSPasskey(t *testing.T, node string, ln *net.TCPListener, origin string, env ...string) authjsPasskeyApp {
	t.Helper()
	f, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, "authjs.mjs")
	cmd.Dir = passkeyJSDir
	// Auth.js reads AUTH_* and NEXTAUTH_* variables of its own accord:
	// only the test's count.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTH_") && !strings.HasPrefix(kv, "NEXTAUTH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "NODE_NO_WARNINGS=1", "NODE_ENV=test", "LISTEN_FD=3", "EXIT_WITH_STDIN=1",
		"AUTH_SECRET="+passkeyAuthJSSecret)
	cmd.Env = append(cmd.Env, env...)
	cmd.ExtraFiles = []*os.File{f}
	cmd.WaitDelay = 5 * time.Second
	logs := &oidctest.SyncBuffer{}
	cmd.Stderr = logs
	stdin, err := cmd.StdinPipe() // held open: the application exits when it closes
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s authjs.mjs: %v", node, err)
	}
	ln.Close() // Node listens on its copy of the socket now
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cancel()
			<-done
		}
		cancel()
		if t.Failed() {
			t.Logf("Auth.js application stderr:\n%s", logs.String())
		}
	})
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			port <- strings.TrimSpace(sc.Text())
		}
		close(port)
		io.Copy(io.Discard, stdout)
	}()
	_, want, _ := net.SplitHostPort(ln.Addr().String())
	select {
	case p, ok := <-port:
		if !ok || p != want {
			t.Fatalf("authjs.mjs printed port %q, want %s; stderr:\n%s", p, want, logs.String())
		}
	case <-done:
		t.Fatalf("authjs.mjs exited before listening: %v; stderr:\n%s", cmd.ProcessState, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("authjs.mjs did not print its port in 30s; stderr:\n%s", logs.String())
	}
	return authjsPasskeyApp{origin: origin, logs: logs}
}

// passkeyRecords are the users, accounts and authenticators a server
// stored, in Auth.js's adapter shapes.
type passkeyRecords struct {
	Users []struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"users"`
	Accounts []struct {
		Provider          string `json:"provider"`
		Type              string `json:"type"`
		ProviderAccountID string `json:"providerAccountId"`
		UserID            string `json:"userId"`
	} `json:"accounts"`
	Authenticators []struct {
		CredentialID         string `json:"credentialID"`
		ProviderAccountID    string `json:"providerAccountId"`
		CredentialPublicKey  string `json:"credentialPublicKey"`
		Counter              int    `json:"counter"`
		CredentialDeviceType string `json:"credentialDeviceType"`
		CredentialBackedUp   bool   `json:"credentialBackedUp"`
		Transports           string `json:"transports"`
		UserID               string `json:"userId"`
	} `json:"authenticators"`
}

// records reads the Auth.js application's adapter through /api/records.
func (a authjsPasskeyApp) records(t *testing.T) passkeyRecords {
	t.Helper()
	res, err := http.Get(strings.Replace(a.origin, "localhost", "127.0.0.1", 1) + "/api/records")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var recs passkeyRecords
	if err := json.NewDecoder(res.Body).Decode(&recs); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/records: %d, %v", res.StatusCode, err)
	}
	return recs
}

// passkeyTranscript is what flow.mjs prints: each step of Auth.js's client
// against one server, normalised so that two servers compare (origins,
// random ids, dates and tokens are placeholders such as <origin>, <hex64>,
// <b64url:32>, <uuid>, <jwe>, <date>).
type passkeyTranscript struct {
	OK              bool          `json:"ok"`
	Steps           []passkeyStep `json:"steps"`
	PageErrors      []string      `json:"pageErrors"`
	Console         []string      `json:"console"`
	BlockedRequests []string      `json:"blockedRequests"`
}

// passkeyStep is one call of the client: what it returned (or threw), the
// requests it made with the answers, the browser's cookies after it, and
// the virtual authenticator's credentials after it.
type passkeyStep struct {
	Step   string `json:"step"`
	Result struct {
		Value  any    `json:"value"`
		Thrown string `json:"thrown"`
	} `json:"result"`
	Requests    []passkeyRequest `json:"requests"`
	Cookies     []passkeyCookie  `json:"cookies"`
	Credentials []struct {
		RPID          string `json:"rpId"`
		IsResidentKey bool   `json:"isResidentKey"`
		UserHandle    string `json:"userHandle"`
		SignCount     int    `json:"signCount"`
	} `json:"credentials"`
}

// passkeyRequest is one request to the server's /api/ and its answer.
type passkeyRequest struct {
	Method      string             `json:"method"`
	Path        string             `json:"path"`
	Query       [][2]any           `json:"query"`
	Headers     map[string]string  `json:"headers"`
	Form        [][2]any           `json:"form"`
	Status      int                `json:"status"`
	StatusText  string             `json:"statusText"`
	ContentType string             `json:"contentType"`
	SetCookies  []passkeySetCookie `json:"setCookies"`
	Location    string             `json:"location"`
	Body        any                `json:"body"`
	BodyLength  int                `json:"bodyLength"`
	Failed      string             `json:"failed"`
}

// passkeySetCookie is one Set-Cookie header: the name, the shape of the
// value ("" when cleared), and the attributes (expires as past/future).
type passkeySetCookie struct {
	Name  string         `json:"name"`
	Value string         `json:"value"`
	Attrs map[string]any `json:"attrs"`
}

// passkeyCookie is one cookie the browser keeps.
type passkeyCookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path"`
	HTTPOnly bool   `json:"httpOnly"`
	Secure   bool   `json:"secure"`
	SameSite string `json:"sameSite"`
	Session  bool   `json:"session"`
}

// runPasskeyFlow runs flow.mjs against origin and returns its transcript.
func runPasskeyFlow(t *testing.T, node, chromium, origin, artifacts string) passkeyTranscript {
	t.Helper()
	if err := os.RemoveAll(artifacts); err != nil { // no screenshot of an earlier run stays
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "flow.mjs", "--app", origin, "--chromium", chromium, "--artifacts", artifacts)
	cmd.Dir = passkeyJSDir
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("flow.mjs exited with %d:\n%s%s", ee.ExitCode(), stderr.String(), stdout.String())
		}
		t.Fatalf("flow.mjs: %v\n%s", err, stderr.String())
	}
	var tr passkeyTranscript
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &tr); err != nil {
		t.Fatalf("flow.mjs transcript: %v in %q", err, stdout.String())
	}
	if !tr.OK {
		t.Fatalf("flow.mjs did not finish: %s", stdout.String())
	}
	return tr
}

// step returns the transcript's step called name.
func (tr passkeyTranscript) step(t *testing.T, name string) passkeyStep {
	t.Helper()
	for _, s := range tr.Steps {
		if s.Step == name {
			return s
		}
	}
	t.Fatalf("no step %q in the transcript", name)
	return passkeyStep{}
}

// request returns the step's one request to method path.
func (s passkeyStep) request(t *testing.T, method, path string) passkeyRequest {
	t.Helper()
	var found []passkeyRequest
	for _, r := range s.Requests {
		if r.Method == method && r.Path == path {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("step %s: %d requests %s %s, want 1", s.Step, len(found), method, path)
	}
	return found[0]
}

// setCookie returns the request's Set-Cookie for name.
func (r passkeyRequest) setCookie(name string) (passkeySetCookie, bool) {
	for _, c := range r.SetCookies {
		if c.Name == name {
			return c, true
		}
	}
	return passkeySetCookie{}, false
}

// jsonOf is v as compact JSON (keys sorted, < and > kept), for
// comparisons and messages.
func jsonOf(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err.Error()
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// checkPasskeyFlow checks what Auth.js's client must see on any server
// speaking Auth.js's passkey protocol, flow.mjs's steps one by one.
func checkPasskeyFlow(t *testing.T, tr passkeyTranscript, email string) {
	t.Helper()
	var names []string
	for _, s := range tr.Steps {
		names = append(names, s.Step)
	}
	want := []string{"register", "session-after-register", "protected-after-register", "signout",
		"session-after-signout", "protected-after-signout", "register-taken-email", "signin",
		"session-after-signin", "protected-after-signin", "register-again-signed-in", "unknown-action",
		"signout-before-same-challenge", "same-challenge-options", "same-challenge-first",
		"signout-after-same-challenge-first", "same-challenge-second", "session-after-same-challenge-second"}
	if !slices.Equal(names, want) {
		t.Fatalf("steps %v, want %v", names, want)
	}
	signedIn := jsonOf(map[string]any{"error": nil, "code": nil, "status": 200, "ok": true, "url": "<origin>/__passkey-client/"})
	session := jsonOf(map[string]any{"user": map[string]any{"email": email}, "expires": "<date>"})

	// Sign-up: the options ask for a discoverable, user-verified credential
	// of rp id localhost; the callback sets the session and clears the
	// challenge.
	reg := tr.step(t, "register")
	if got := jsonOf(reg.Result.Value); got != signedIn {
		t.Errorf("register: signIn returned %s, want %s", got, signedIn)
	}
	opts := reg.request(t, "GET", "/api/auth/webauthn-options/passkey")
	if opts.Status != 200 || opts.ContentType != "application/json" {
		t.Errorf("register options: %d %s", opts.Status, opts.ContentType)
	}
	o, _ := opts.Body.(map[string]any)
	ro, _ := o["options"].(map[string]any)
	if o["action"] != "register" || jsonOf(ro["rp"]) != `{"id":"localhost","name":"localhost:<port>"}` ||
		jsonOf(ro["user"]) != jsonOf(map[string]any{"displayName": email, "id": "<hex64>", "name": email}) ||
		ro["challenge"] != "<b64url:32>" || jsonOf(ro["excludeCredentials"]) != "[]" ||
		jsonOf(ro["authenticatorSelection"]) != `{"requireResidentKey":true,"residentKey":"required","userVerification":"required"}` {
		t.Errorf("register options: %s", jsonOf(opts.Body))
	}
	if c, ok := opts.setCookie("authjs.challenge"); !ok || c.Value == "" ||
		jsonOf(c.Attrs) != `{"expires":"future","httponly":true,"max-age":900,"path":"/","samesite":"lax"}` {
		t.Errorf("register options: challenge cookie %s", jsonOf(c))
	}
	cb := reg.request(t, "POST", "/api/auth/callback/passkey")
	if cb.Status != 200 || jsonOf(cb.Body) != `{"url":"<origin>/__passkey-client/"}` ||
		cb.Headers["x-auth-return-redirect"] != "1" || cb.Headers["content-type"] != "application/x-www-form-urlencoded" {
		t.Errorf("register callback: %d %s %v", cb.Status, jsonOf(cb.Body), cb.Headers)
	}
	if c, ok := cb.setCookie("authjs.challenge"); !ok || c.Value != "" || c.Attrs["max-age"] != float64(0) {
		t.Errorf("register callback: challenge cookie not cleared: %s", jsonOf(cb.SetCookies))
	}
	if c, ok := cb.setCookie("authjs.session-token"); !ok || c.Value == "" || c.Attrs["httponly"] != true || c.Attrs["samesite"] != "lax" || c.Attrs["path"] != "/" {
		t.Errorf("register callback: no session cookie: %s", jsonOf(cb.SetCookies))
	}
	if len(reg.Credentials) != 1 || reg.Credentials[0].RPID != "localhost" || !reg.Credentials[0].IsResidentKey ||
		reg.Credentials[0].UserHandle != "<hex64>" {
		t.Errorf("register: the authenticator holds %+v, want one discoverable credential of localhost", reg.Credentials)
	}
	for _, name := range []string{"session-after-register", "session-after-signin"} {
		if got := jsonOf(tr.step(t, name).Result.Value); got != session {
			t.Errorf("%s: %s, want %s", name, got, session)
		}
	}
	for _, name := range []string{"protected-after-register", "protected-after-signin"} {
		if got := jsonOf(tr.step(t, name).Result.Value); got != jsonOf(map[string]any{"status": 200, "body": json.RawMessage(session)}) {
			t.Errorf("%s: %s", name, got)
		}
	}

	// Signed out, the session is gone and the protected route refuses.
	out := tr.step(t, "signout")
	if so := out.request(t, "POST", "/api/auth/signout"); so.Status != 200 {
		t.Errorf("signout: %d", so.Status)
	}
	if got := jsonOf(tr.step(t, "session-after-signout").Result.Value); got != "null" {
		t.Errorf("session after sign-out: %s", got)
	}
	if got := jsonOf(tr.step(t, "protected-after-signout").Result.Value); !strings.HasPrefix(got, `{"body":`) || !strings.HasSuffix(got, `"status":401}`) {
		t.Errorf("protected after sign-out: %s", got)
	}

	// Signing up again with the email of an existing user is refused.
	taken := tr.step(t, "register-taken-email")
	if r := taken.request(t, "GET", "/api/auth/webauthn-options/passkey"); r.Status != 400 || jsonOf(r.Body) != `{"error":"Invalid request"}` {
		t.Errorf("register-taken-email options: %d %s", r.Status, jsonOf(r.Body))
	}

	// Usernameless sign-in: authenticate options without allowCredentials,
	// and the counter went up.
	in := tr.step(t, "signin")
	if got := jsonOf(in.Result.Value); got != signedIn {
		t.Errorf("signin: signIn returned %s, want %s", got, signedIn)
	}
	ao := in.request(t, "GET", "/api/auth/webauthn-options/passkey")
	if ao.Status != 200 || jsonOf(ao.Body) != `{"action":"authenticate","options":{"challenge":"<b64url:32>","rpId":"localhost","timeout":300000,"userVerification":"required"}}` {
		t.Errorf("authenticate options: %d %s", ao.Status, jsonOf(ao.Body))
	}
	if c, ok := in.request(t, "POST", "/api/auth/callback/passkey").setCookie("authjs.session-token"); !ok || c.Value == "" {
		t.Errorf("signin: no session cookie")
	}
	if len(in.Credentials) != 1 || in.Credentials[0].SignCount <= reg.Credentials[0].SignCount {
		t.Errorf("signin: the authenticator's counter did not go up: %+v then %+v", reg.Credentials, in.Credentials)
	}

	// Signed in, register excludes the credential the browser holds; the
	// browser refuses to make a second one for the same account.
	again := tr.step(t, "register-again-signed-in")
	if again.Result.Thrown != "InvalidStateError" {
		t.Errorf("register-again-signed-in: %s, want the browser's InvalidStateError", jsonOf(again.Result))
	}
	ag := again.request(t, "GET", "/api/auth/webauthn-options/passkey")
	ago, _ := ag.Body.(map[string]any)
	agro, _ := ago["options"].(map[string]any)
	if ag.Status != 200 || jsonOf(agro["excludeCredentials"]) != `[{"id":"<b64url:32>","transports":["internal"],"type":"public-key"}]` {
		t.Errorf("register-again-signed-in options: %d %s", ag.Status, jsonOf(ag.Body))
	}
	if r := tr.step(t, "unknown-action").request(t, "GET", "/api/auth/webauthn-options/passkey"); r.Status != 400 || jsonOf(r.Body) != `{"error":"Invalid action"}` {
		t.Errorf("unknown-action options: %d %s", r.Status, jsonOf(r.Body))
	}
	// The first of two assertions for one challenge signs in.
	first := tr.step(t, "same-challenge-first")
	if got := jsonOf(first.Result.Value); got != `{"body":{"url":"<origin>/__passkey-client/"},"status":200}` {
		t.Errorf("same-challenge-first: %s", got)
	}
	if c, ok := first.request(t, "POST", "/api/auth/callback/passkey").setCookie("authjs.session-token"); !ok || c.Value == "" {
		t.Errorf("same-challenge-first: no session cookie")
	}
	if len(tr.PageErrors) > 0 || len(tr.BlockedRequests) > 0 {
		t.Errorf("page errors %v, requests off loopback %v", tr.PageErrors, tr.BlockedRequests)
	}
}

// checkPasskeyRecords checks the records a server keeps after flow.mjs, in
// Auth.js's adapter shapes: one user with the email, a webauthn account, and
// its authenticator with the credential id and public key in standard
// base64 with padding and the counter of the last sign-in.
func checkPasskeyRecords(t *testing.T, recs passkeyRecords, email string, signCount int) {
	t.Helper()
	if len(recs.Users) != 1 || recs.Users[0].Email != email || len(recs.Accounts) != 1 || len(recs.Authenticators) != 1 {
		t.Fatalf("records: %s", jsonOf(recs))
	}
	user, acct, auth := recs.Users[0], recs.Accounts[0], recs.Authenticators[0]
	if acct.Provider != "passkey" || acct.Type != "webauthn" || acct.UserID != user.ID || auth.UserID != user.ID ||
		auth.ProviderAccountID != acct.ProviderAccountID {
		t.Errorf("account %+v, authenticator %+v of user %s", acct, auth, user.ID)
	}
	for what, v := range map[string]string{"credentialID": auth.CredentialID, "credentialPublicKey": auth.CredentialPublicKey} {
		b, err := base64.StdEncoding.Strict().DecodeString(v)
		if err != nil || len(b) == 0 {
			t.Errorf("authenticator %s %q is not standard base64: %v", what, v, err)
		}
	}
	if auth.Counter != signCount || auth.CredentialDeviceType != "singleDevice" || auth.CredentialBackedUp || auth.Transports != "internal" {
		t.Errorf("authenticator %+v, want counter %d, singleDevice, not backed up, transports internal", auth, signCount)
	}
}

// passkeyDifference is one place where ginauth's transcript differs from
// Auth.js's.
type passkeyDifference struct {
	Where   string
	AuthJS  string
	Ginauth string
}

// diffPasskeyTranscripts lists every difference between two transcripts of
// flow.mjs, request by request and Set-Cookie by Set-Cookie.
func diffPasskeyTranscripts(a, g passkeyTranscript) []passkeyDifference {
	var out []passkeyDifference
	cmp := func(where string, x, y any) {
		if jx, jy := jsonOf(x), jsonOf(y); jx != jy {
			out = append(out, passkeyDifference{where, jx, jy})
		}
	}
	cmp("console", a.Console, g.Console)
	cmp("page errors", a.PageErrors, g.PageErrors)
	if len(a.Steps) != len(g.Steps) {
		cmp("steps", len(a.Steps), len(g.Steps))
		return out
	}
	for i, as := range a.Steps {
		gs := g.Steps[i]
		cmp(fmt.Sprintf("step %d", i), as.Step, gs.Step)
		if passkeySingleUseSteps[as.Step] {
			continue // checked on their own: see passkeySingleUseSteps
		}
		cmp(as.Step+": result", as.Result, gs.Result)
		cmp(as.Step+": cookies", as.Cookies, gs.Cookies)
		cmp(as.Step+": credentials", as.Credentials, gs.Credentials)
		if len(as.Requests) != len(gs.Requests) {
			var ar, gr []string
			for _, r := range as.Requests {
				ar = append(ar, r.Method+" "+r.Path)
			}
			for _, r := range gs.Requests {
				gr = append(gr, r.Method+" "+r.Path)
			}
			cmp(as.Step+": requests", ar, gr)
			continue
		}
		for j, ar := range as.Requests {
			gr := gs.Requests[j]
			at := fmt.Sprintf("%s: %s %s", as.Step, ar.Method, ar.Path)
			cmp(at, ar.Method+" "+ar.Path, gr.Method+" "+gr.Path)
			cmp(at+": query", ar.Query, gr.Query)
			cmp(at+": headers", ar.Headers, gr.Headers)
			cmp(at+": form", ar.Form, gr.Form)
			cmp(at+": status", ar.Status, gr.Status)
			// The one difference kept: @auth/express answers Auth.js's
			// routes with an empty HTTP reason phrase ("HTTP/1.1 200 "),
			// Go's server with the standard one ("200 OK"). No client
			// reads it (fetch's statusText); any other is a difference.
			if !strings.HasPrefix(ar.Path, "/api/auth/") || ar.StatusText != "" || gr.StatusText != http.StatusText(gr.Status) {
				cmp(at+": status text", ar.StatusText, gr.StatusText)
			}
			cmp(at+": content type", ar.ContentType, gr.ContentType)
			cmp(at+": location", ar.Location, gr.Location)
			cmp(at+": body", ar.Body, gr.Body)
			cmp(at+": body length", ar.BodyLength, gr.BodyLength)
			cmp(at+": failed", ar.Failed, gr.Failed)
			names := map[string]bool{}
			for _, c := range ar.SetCookies {
				names[c.Name] = true
			}
			for _, c := range gr.SetCookies {
				names[c.Name] = true
			}
			for _, name := range slices.Sorted(func(yield func(string) bool) {
				for n := range names {
					if !yield(n) {
						return
					}
				}
			}) {
				ac, aok := ar.setCookie(name)
				gc, gok := gr.setCookie(name)
				var x, y any = "(none)", "(none)"
				if aok {
					x = ac
				}
				if gok {
					y = gc
				}
				cmp(at+": Set-Cookie "+name, x, y)
			}
		}
	}
	return out
}

// passkeySingleUseSteps are the steps of flow.mjs where ginauth differs
// from Auth.js on purpose: ginauth's challenges are single use, so a second
// assertion for a challenge that already signed someone in is refused,
// where Auth.js, which keeps nothing of a challenge but the cookie, signs
// in again (its only defence, the counter, went up). TestPasskeyClient
// checks these steps on each side instead of comparing them.
var passkeySingleUseSteps = map[string]bool{
	"same-challenge-second":               true,
	"session-after-same-challenge-second": true,
}

// checkSecondAssertion checks the steps of passkeySingleUseSteps: the
// second assertion for a used challenge signs in (Auth.js) or is refused
// with WebAuthnVerificationError, no Set-Cookie and no session (ginauth).
func checkSecondAssertion(t *testing.T, tr passkeyTranscript, email string, singleUse bool) {
	t.Helper()
	second := tr.step(t, "same-challenge-second")
	cb := second.request(t, "POST", "/api/auth/callback/passkey")
	after := jsonOf(tr.step(t, "session-after-same-challenge-second").Result.Value)
	if singleUse {
		if cb.Status != 200 || jsonOf(cb.Body) != `{"url":"<origin>/api/auth/error?error=WebAuthnVerificationError"}` || len(cb.SetCookies) != 0 || after != "null" {
			t.Errorf("second assertion for a used challenge: %d %s, Set-Cookie %s, then session %s; want refused, no cookie, no session",
				cb.Status, jsonOf(cb.Body), jsonOf(cb.SetCookies), after)
		}
		return
	}
	if _, ok := cb.setCookie("authjs.session-token"); cb.Status != 200 || jsonOf(cb.Body) != `{"url":"<origin>/__passkey-client/"}` || !ok ||
		after != jsonOf(map[string]any{"user": map[string]any{"email": email}, "expires": "<date>"}) {
		t.Errorf("second assertion for a used challenge: %d %s, Set-Cookie %s, then session %s; want signed in (Auth.js accepts it)",
			cb.Status, jsonOf(cb.Body), jsonOf(cb.SetCookies), after)
	}
}
