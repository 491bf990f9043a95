package ginauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/adapters/sqlite"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/oidctest"
	"github.com/ginauth/ginauth/providers"
)

// passkeySite is a ginauth application with the passkey provider on
// http://localhost:PORT, as the browser tests drive it: the endpoints,
// a protected page and a protected JSON route, and a hook that moves the
// server's clock.
type passkeySite struct {
	origin string
	auth   *ginauth.Auth
	store  authjs.Adapter
	clock  *testClock
	logs   *oidctest.SyncBuffer
}

// passkeyPage is the test application's home and protected pages.
var passkeyPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><h1>{{.Title}}</h1>
{{if .Email}}<p>Signed in as <strong id="email">{{.Email}}</strong>.</p>{{else}}<p>You are not signed in.</p>{{end}}
</body></html>`))

// startPasskeySite serves ginauth with the passkey provider on ln, reached
// as origin, keeping users and passkeys in store, and sessions as strategy
// says (StrategyDefault: in store, as Auth.js does with an adapter).
//
// Routes besides /api/auth: GET / (says who is signed in), GET /account
// (sends a visitor without a session to the sign-in page), GET
// /api/protected (the session, or 401 {"message":"Not authenticated"}, as
// testdata/passkey/authjs.mjs answers), and POST /__test/clock?advance=S,
// which moves the server's clock S seconds on.
func startPasskeySite(t *testing.T, ln net.Listener, origin string, store authjs.Adapter, strategy ginauth.Strategy) *passkeySite {
	t.Helper()
	gin.SetMode(gin.TestMode)
	var err error
	s := &passkeySite{origin: origin, store: store, clock: &testClock{now: time.Now()}, logs: &oidctest.SyncBuffer{}}
	s.auth, err = ginauth.New(ginauth.Config{
		Secret:    testSecret,
		URL:       origin,
		Mode:      ginauth.ModeV5,
		Adapter:   store,
		Session:   ginauth.SessionConfig{Strategy: strategy},
		Providers: []providers.Provider{providers.Passkey(providers.PasskeyConfig{})},
		Logger:    slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       s.clock.Now,
		Throttle:  ginauth.Throttle{PasskeyOptionsPerClient: manyCeremonies(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(gin.Recovery(), s.auth.Middleware())
	s.auth.Mount(r)
	page := func(c *gin.Context, title string) {
		email := ""
		if sess, ok := ginauth.Session(c); ok && sess.User != nil {
			email = sess.User.Email
		}
		c.Status(http.StatusOK)
		c.Header("Content-Type", "text/html; charset=utf-8")
		if err := passkeyPage.Execute(c.Writer, map[string]string{"Title": title, "Email": email}); err != nil {
			c.Error(err)
		}
	}
	r.GET("/", func(c *gin.Context) { page(c, "Home") })
	r.GET("/account", s.auth.RequireAuth(ginauth.RedirectToSignIn()), func(c *gin.Context) { page(c, "Account") })
	r.GET("/api/protected", s.auth.RequireAuth(ginauth.WithUnauthorized(http.StatusUnauthorized, gin.H{"message": "Not authenticated"})),
		func(c *gin.Context) {
			sess, _ := ginauth.Session(c)
			c.JSON(http.StatusOK, sess)
		})
	r.POST("/__test/clock", func(c *gin.Context) {
		n, err := strconv.Atoi(c.Query("advance"))
		if err != nil || n < 0 {
			c.Status(http.StatusBadRequest)
			return
		}
		s.clock.advance(time.Duration(n) * time.Second)
		c.Status(http.StatusNoContent)
	})
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("ginauth log:\n%s", s.logs.String())
		}
	})
	return s
}

// records reads what ginauth stored for email, in Auth.js's adapter
// shapes: the user, its passkey accounts and its authenticators.
func (s *passkeySite) records(t *testing.T, email string) passkeyRecords {
	t.Helper()
	ctx := t.Context()
	var recs passkeyRecords
	u, err := s.store.GetUserByEmail(ctx, email)
	if errors.Is(err, authjs.ErrNotFound) {
		return recs
	}
	if err != nil {
		t.Fatal(err)
	}
	recs.Users = append(recs.Users, struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}{u.ID, u.Email})
	wa := s.store.(authjs.WebAuthnAdapter)
	auths, err := wa.ListAuthenticatorsByUserID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range auths {
		recs.Authenticators = append(recs.Authenticators, struct {
			CredentialID         string `json:"credentialID"`
			ProviderAccountID    string `json:"providerAccountId"`
			CredentialPublicKey  string `json:"credentialPublicKey"`
			Counter              int    `json:"counter"`
			CredentialDeviceType string `json:"credentialDeviceType"`
			CredentialBackedUp   bool   `json:"credentialBackedUp"`
			Transports           string `json:"transports"`
			UserID               string `json:"userId"`
		}{a.CredentialID, a.ProviderAccountID, a.CredentialPublicKey, int(a.Counter), a.CredentialDeviceType, a.CredentialBackedUp, a.Transports, a.UserID})
		if seen[a.ProviderAccountID] {
			continue
		}
		seen[a.ProviderAccountID] = true
		acct, err := wa.GetAccount(ctx, "passkey", a.ProviderAccountID)
		if err != nil {
			t.Fatalf("the account of authenticator %s: %v", a.CredentialID, err)
		}
		recs.Accounts = append(recs.Accounts, struct {
			Provider          string `json:"provider"`
			Type              string `json:"type"`
			ProviderAccountID string `json:"providerAccountId"`
			UserID            string `json:"userId"`
		}{acct.Provider, string(acct.Type), acct.ProviderAccountID, acct.UserID})
	}
	return recs
}

// TestPasskeyClient runs Auth.js's passkey client (signIn("passkey") of
// next-auth/webauthn, in Chromium with a virtual authenticator) through
// the same flow against a real Auth.js application (@auth/core with the
// Passkey provider) and against ginauth: sign up, session, protected route,
// sign out, sign-up refused for a taken address, usernameless sign-in,
// session, the same authenticator excluded when adding a passkey, an
// unknown action refused. Both must pass the same checks and give the same
// normalised transcript: requests made, query and form fields, statuses,
// JSON bodies, Set-Cookie names, value shapes and attributes, the browser's
// cookies, what the client returned or threw, what it logged, and the
// authenticator's credentials. Two differences are kept on purpose: the HTTP
// reason phrase (see diffPasskeyTranscripts), and a second assertion for a
// challenge that already signed in, which Auth.js accepts and ginauth
// refuses (see passkeySingleUseSteps). Differences in the stored
// records, which the client does not see, are checked in the subtests: the
// account of a ginauth passkey is named after the user handle. Screenshots
// of the client page go to testdata/artifacts/passkey-client/<strategy>/{authjs,ginauth}.
// Both session strategies are compared: database (Auth.js's default with an
// adapter) and JWT.
func TestPasskeyClient(t *testing.T) {
	node, chromium := passkeyTools(t)
	const email = "ada@example.com"
	for _, strategy := range []struct {
		name    string
		ginauth ginauth.Strategy
		token   string // the session cookie's value, normalised
	}{
		{"database", ginauth.StrategyDefault, "<uuid>"},
		{"jwt", ginauth.StrategyJWT, "<jwe>"},
	} {
		t.Run(strategy.name, func(t *testing.T) {
			ln, origin := localhostListener(t)
			app := startAuthJSPasskey(t, node, ln, origin, "SESSION_STRATEGY="+strategy.name)
			ref := runPasskeyFlow(t, node, chromium, origin, passkeyArtifacts(t, filepath.Join("passkey-client", strategy.name, "authjs")))
			t.Run("authjs", func(t *testing.T) {
				checkPasskeyFlow(t, ref, email)
				checkSecondAssertion(t, ref, email, false)
				// Auth.js's own marks: the session cookie of the
				// strategy, the challenge cookie a JWE.
				reg := ref.step(t, "register")
				if c, _ := reg.request(t, "POST", "/api/auth/callback/passkey").setCookie("authjs.session-token"); c.Value != strategy.token {
					t.Errorf("Auth.js's session token is %s, want %s", c.Value, strategy.token)
				}
				if c, _ := reg.request(t, "GET", "/api/auth/webauthn-options/passkey").setCookie("authjs.challenge"); c.Value != "<jwe>" {
					t.Errorf("Auth.js's challenge cookie is %s, want a JWE", c.Value)
				}
				recs := app.records(t)
				checkPasskeyRecords(t, recs, email, ref.step(t, "same-challenge-second").Credentials[0].SignCount)
				// Auth.js names the account after the credential.
				if a := recs.Authenticators[0]; a.ProviderAccountID != a.CredentialID {
					t.Errorf("Auth.js's providerAccountId %s, want the credential id %s", a.ProviderAccountID, a.CredentialID)
				}
			})

			// The memory store, as Auth.js's unstorage adapter over memory:
			// a store that keeps no NULL columns, so the session's user has
			// only the fields it was given (over SQL stores both answer
			// absent ones as null).
			gln, gorigin := localhostListener(t)
			site := startPasskeySite(t, gln, gorigin, memory.New(), strategy.ginauth)
			got := runPasskeyFlow(t, node, chromium, gorigin, passkeyArtifacts(t, filepath.Join("passkey-client", strategy.name, "ginauth")))
			t.Run("ginauth", func(t *testing.T) {
				checkPasskeyFlow(t, got, email)
				checkSecondAssertion(t, got, email, true)
				recs := site.records(t, email)
				// The counter of the last assertion that signed in.
				checkPasskeyRecords(t, recs, email, got.step(t, "same-challenge-options").Credentials[0].SignCount-1)
				// ginauth names the account after the registration's user
				// handle (the options' user.id, which the authenticator
				// returns on every sign-in), so that the handle can be
				// checked.
				if a := recs.Authenticators[0]; len(a.ProviderAccountID) != 64 || a.ProviderAccountID == a.CredentialID {
					t.Errorf("ginauth's providerAccountId %s, want the 64-hex user handle", a.ProviderAccountID)
				}
			})

			t.Run("same as Auth.js", func(t *testing.T) {
				for _, d := range diffPasskeyTranscripts(ref, got) {
					t.Errorf("%s:\n\tAuth.js: %s\n\tginauth: %s", d.Where, d.AuthJS, d.Ginauth)
				}
			})
		})
	}
}

// passkeyPagesSummary is what pages.mjs prints on success.
type passkeyPagesSummary struct {
	OK    bool `json:"ok"`
	Steps []struct {
		Step       string `json:"step"`
		URL        string `json:"url"`
		Query      string `json:"query"`
		Title      string `json:"title"`
		Text       string `json:"text"`
		Screenshot string `json:"screenshot"`
	} `json:"steps"`
	Attacks map[string]struct {
		Status     int      `json:"status"`
		URL        string   `json:"url"`
		SetCookies []string `json:"setCookies"`
		Page       string   `json:"page"`
		Error      string   `json:"error"`
		Session    any      `json:"session"`
		First      *struct {
			Status     int      `json:"status"`
			URL        string   `json:"url"`
			SetCookies []string `json:"setCookies"`
		} `json:"first"`
	} `json:"attacks"`
	Credential struct {
		RPID                 string `json:"rpId"`
		UserHandle           string `json:"userHandle"`
		SignCountAfterSignUp int    `json:"signCountAfterSignUp"`
		SignCountAtEnd       int    `json:"signCountAtEnd"`
	} `json:"credential"`
	Session      json.RawMessage `json:"session"`
	FinalSession json.RawMessage `json:"finalSession"`
	Cookies      []string        `json:"cookies"`
	PageErrors   []string        `json:"pageErrors"`
	Blocked      []string        `json:"blockedRequests"`
}

// TestPasskeyBrowserPages drives ginauth's built-in pages in Chromium with a
// virtual authenticator (testdata/passkey/pages.mjs): a protected page
// sends the visitor to the sign-in page, where a new address and the
// passkey button make an account with a passkey; the visitor signs out on
// the sign-out page, signs in usernameless with the passkey button and
// reaches the protected page. Then each attack must end on the error page with no
// session: a replayed callback, a second assertion for a used challenge,
// the counter set back (a cloned authenticator), the user handle swapped,
// a challenge expired on the server's clock, the passkey used on another
// site, and a passkey of another site. Screenshots of
// every page go to testdata/artifacts/browser-passkey.
func TestPasskeyBrowserPages(t *testing.T) {
	node, chromium := passkeyTools(t)
	const email = "grace@example.com"
	ln, origin := localhostListener(t)
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "auth.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	site := startPasskeySite(t, ln, origin, store, ginauth.StrategyDefault)
	out := passkeyArtifacts(t, "browser-passkey")
	if err := os.RemoveAll(out); err != nil { // no screenshot of an earlier run stays
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "pages.mjs", "--app", origin, "--email", email, "--artifacts", out, "--chromium", chromium)
	cmd.Dir = passkeyJSDir
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("pages.mjs exited with %d:\n%s%s", ee.ExitCode(), stderr.String(), stdout.String())
		}
		t.Fatalf("pages.mjs: %v\n%s", err, stderr.String())
	}
	var sum passkeyPagesSummary
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &sum); err != nil {
		t.Fatalf("pages.mjs summary: %v in %q", err, stdout.String())
	}
	if !sum.OK {
		t.Fatalf("pages.mjs did not finish: %s", stdout.String())
	}

	var steps []string
	for _, s := range sum.Steps {
		steps = append(steps, s.Step)
		if fi, err := os.Stat(s.Screenshot); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot of %s: %v", s.Step, err)
		}
		t.Logf("%s: %s%s %q: %s", s.Step, s.URL, s.Query, s.Title, s.Text)
	}
	want := []string{"signin", "signup-filled", "signed-up", "signout", "signed-out", "signed-in",
		"replay-refused", "same-challenge-refused", "counter-refused", "user-handle-refused", "expired-refused",
		"other-site-refused", "other-site-credential-refused", "signed-in-again"}
	if !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	for _, name := range []string{"signed-up", "signed-in", "signed-in-again"} {
		for _, s := range sum.Steps {
			if s.Step == name && (s.URL != "/account" || !strings.Contains(s.Text, "Signed in as "+email)) {
				t.Errorf("%s: %s %q, want the account page of %s", name, s.URL, s.Text, email)
			}
		}
	}
	var sess struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := json.Unmarshal(sum.Session, &sess); err != nil || sess.User.Email != email {
		t.Errorf("session after the passkey button: %s", sum.Session)
	}
	if err := json.Unmarshal(sum.FinalSession, &sess); err != nil || sess.User.Email != email {
		t.Errorf("session at the end: %s", sum.FinalSession)
	}
	if !slices.Contains(sum.Cookies, "authjs.session-token") {
		t.Errorf("cookies when signed in: %v", sum.Cookies)
	}

	// Every attack ends on the error page with no session, and the
	// attacker's copies of the callback got no session cookie. The error
	// codes are Auth.js's: WebAuthnVerificationError for an assertion that
	// does not verify, Configuration for a challenge cookie that is gone or
	// expired and for a credential the server does not know (Auth.js throws
	// a plain AuthError there).
	attacks := map[string]string{
		"replay":                "WebAuthnVerificationError",
		"same-challenge":        "WebAuthnVerificationError",
		"counter":               "WebAuthnVerificationError",
		"user-handle":           "WebAuthnVerificationError",
		"expired":               "Configuration",
		"other-site":            "WebAuthnVerificationError",
		"other-site-credential": "Configuration",
	}
	for name, code := range attacks {
		a, ok := sum.Attacks[name]
		if !ok {
			t.Errorf("attack %s did not run", name)
			continue
		}
		if a.Page != "/api/auth/error" || a.Error != code || jsonOf(a.Session) != "null" || slices.Contains(a.SetCookies, "authjs.session-token") {
			t.Errorf("attack %s: %+v, want the error page (error=%s), no session", name, a, code)
		}
		t.Logf("attack %s: refused with error=%s (status %d, Set-Cookie %v)", name, a.Error, a.Status, a.SetCookies)
	}
	// The refusals logged, in the attacks' order, name the check that
	// refused each: the single-use challenge (twice: the replay's counter
	// would have refused it too), the counter, the user handle, the
	// challenge cookie's lifetime, the origin, the unknown credential.
	var reasons []string
	for _, line := range strings.Split(site.logs.String(), "\n") {
		if strings.Contains(line, "event=signin.refused") {
			_, reason, _ := strings.Cut(line, " reason=")
			reason, _, _ = strings.Cut(reason, " ")
			reasons = append(reasons, reason)
		}
	}
	wantReasons := []string{"challenge_used", "challenge_used", "counter_not_increased", "assertion_not_verified",
		"challenge_cookie", "assertion_not_verified", "unknown_passkey"}
	if !slices.Equal(reasons, wantReasons) {
		t.Errorf("refusals logged %v, want %v:\n%s", reasons, wantReasons, site.logs.String())
	}
	for _, want := range []string{`error="User handle and User ID do not match"`, `error="Error validating origin"`, "token expired"} {
		if !strings.Contains(site.logs.String(), want) {
			t.Errorf("no refusal logged with %s", want)
		}
	}
	if f := sum.Attacks["same-challenge"].First; f == nil || !slices.Contains(f.SetCookies, "authjs.session-token") {
		t.Errorf("same-challenge: the first assertion for the challenge did not sign in: %+v", f)
	}

	// The store: one user, one passkey, its counter the authenticator's
	// last (the refused assertions changed nothing).
	recs := site.records(t, email)
	checkPasskeyRecords(t, recs, email, sum.Credential.SignCountAtEnd)
	if sum.Credential.RPID != "localhost" || len(sum.Credential.UserHandle) != 64 {
		t.Errorf("credential %+v", sum.Credential)
	}
	if len(sum.PageErrors) > 0 || len(sum.Blocked) > 0 {
		t.Errorf("page errors %v, requests off loopback %v", sum.PageErrors, sum.Blocked)
	}
	t.Logf("screenshots in %s", out)
}

// TestPasskeyBrowserSharedStore runs Auth.js (with @auth/unstorage-adapter)
// and ginauth (adapters/redis) on one Redis, on two ports of localhost (one
// relying party id), and drives both with Auth.js's client in one Chromium
// with one virtual authenticator (testdata/passkey/cross.mjs): a passkey
// made on Auth.js signs in on ginauth and again on Auth.js, and one made on
// ginauth signs in on Auth.js and again on ginauth. Each side reads the
// other's records and updates their counters. Screenshots of the client
// page go to testdata/artifacts/passkey-shared-store.
func TestPasskeyBrowserSharedStore(t *testing.T) {
	node, chromium := passkeyTools(t)
	backend := redisBackend(t)
	aln, aorigin := localhostListener(t)
	startAuthJSPasskey(t, node, aln, aorigin, backend.env...)
	gln, gorigin := localhostListener(t)
	site := startPasskeySite(t, gln, gorigin, backend.store, ginauth.StrategyDefault)
	out := passkeyArtifacts(t, "passkey-shared-store")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "cross.mjs", "--authjs", aorigin, "--ginauth", gorigin, "--artifacts", out, "--chromium", chromium)
	cmd.Dir = passkeyJSDir
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("cross.mjs: %v\n%s%s", err, stderr.String(), stdout.String())
	}
	var sum struct {
		OK    bool `json:"ok"`
		Steps []struct {
			Step   string `json:"step"`
			Server string `json:"server"`
			Result struct {
				OK    bool    `json:"ok"`
				Error *string `json:"error"`
			} `json:"result"`
			Email        string `json:"email"`
			SignCount    int    `json:"signCount"`
			CredentialID string `json:"credentialId"`
			SignedOut    bool   `json:"signedOut"`
		} `json:"steps"`
		PageErrors []string `json:"pageErrors"`
		Blocked    []string `json:"blockedRequests"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &sum); err != nil || !sum.OK {
		t.Fatalf("cross.mjs summary: %v in %q", err, stdout.String())
	}
	want := []struct{ step, server, email string }{
		{"signup-on-authjs", "authjs", "ada@example.com"},
		{"signin-on-ginauth", "ginauth", "ada@example.com"},
		{"signin-on-authjs", "authjs", "ada@example.com"},
		{"signup-on-ginauth", "ginauth", "grace@example.com"},
		{"signin-on-authjs-2", "authjs", "grace@example.com"},
		{"signin-on-ginauth-2", "ginauth", "grace@example.com"},
	}
	if len(sum.Steps) != len(want) {
		t.Fatalf("steps %+v", sum.Steps)
	}
	counts := map[string]int{}
	for i, s := range sum.Steps {
		w := want[i]
		if s.Step != w.step || s.Server != w.server || !s.Result.OK || s.Result.Error != nil || s.Email != w.email || !s.SignedOut {
			t.Errorf("step %d: %+v, want %s on %s signed in as %s, then signed out", i, s, w.step, w.server, w.email)
		}
		if i > 0 && sum.Steps[i-1].CredentialID == s.CredentialID && s.SignCount <= sum.Steps[i-1].SignCount {
			t.Errorf("%s: the counter did not go up: %d after %d", s.Step, s.SignCount, sum.Steps[i-1].SignCount)
		}
		counts[s.Step] = s.SignCount
		t.Logf("%s on %s: signed in as %s, counter %d", s.Step, s.Server, s.Email, s.SignCount)
	}

	// The records: Auth.js's passkey named by its credential, ginauth's by
	// its user handle, each at the counter of its last sign-in, whichever
	// server that was.
	ada := site.records(t, "ada@example.com")
	checkPasskeyRecords(t, ada, "ada@example.com", counts["signin-on-authjs"])
	if a := ada.Authenticators[0]; a.ProviderAccountID != a.CredentialID {
		t.Errorf("Auth.js's passkey: providerAccountId %s, want its credential id %s", a.ProviderAccountID, a.CredentialID)
	}
	grace := site.records(t, "grace@example.com")
	checkPasskeyRecords(t, grace, "grace@example.com", counts["signin-on-ginauth-2"])
	if a := grace.Authenticators[0]; len(a.ProviderAccountID) != 64 || a.ProviderAccountID == a.CredentialID {
		t.Errorf("ginauth's passkey: providerAccountId %s, want the 64-hex user handle", a.ProviderAccountID)
	}
	if len(sum.PageErrors) > 0 || len(sum.Blocked) > 0 {
		t.Errorf("page errors %v, requests off loopback %v", sum.PageErrors, sum.Blocked)
	}
}
