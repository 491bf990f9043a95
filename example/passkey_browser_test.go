package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/internal/oidctest"
)

// passkeyPagesSummary is the part of testdata/passkey/pages.mjs's summary
// these tests read.
type passkeyPagesSummary struct {
	OK    bool `json:"ok"`
	Steps []struct {
		Step       string `json:"step"`
		URL        string `json:"url"`
		Title      string `json:"title"`
		Text       string `json:"text"`
		Screenshot string `json:"screenshot"`
	} `json:"steps"`
	Attacks map[string]struct {
		SetCookies []string `json:"setCookies"`
		Page       string   `json:"page"`
		Error      string   `json:"error"`
		Session    any      `json:"session"`
	} `json:"attacks"`
	Credential struct {
		RPID           string `json:"rpId"`
		SignCountAtEnd int64  `json:"signCountAtEnd"`
	} `json:"credential"`
	FinalSession struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
	} `json:"finalSession"`
	Whoami struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"whoami"`
	PageErrors []string `json:"pageErrors"`
	Blocked    []string `json:"blockedRequests"`
}

// TestBrowserPasskey signs up and in with a passkey on the example in
// Chromium with a virtual authenticator (testdata/passkey/pages.mjs):
// /account sends the visitor to the built-in sign-in page, where a new
// address and "Sign in with Passkey" make an account with a passkey; the
// visitor signs out, signs in usernameless with the same button and
// reaches /account. A replayed callback, a second assertion for a used
// challenge, a counter set back, a swapped user handle, the passkey used
// on another site and another site's passkey each end on the error page
// with no session. (The example has no clock to move: the expired
// challenge is tested on ginauth's test server.) Screenshots go to
// testdata/artifacts/browser-passkey-example, or under
// $GINAUTH_ARTIFACTS_DIR.
func TestBrowserPasskey(t *testing.T) {
	gin.SetMode(gin.TestMode)
	if testing.Short() && !oidctest.RequireJS() {
		t.Skip("drives Chromium through Node; skipped in -short mode")
	}
	node := oidctest.NodePath(t)
	dir := filepath.Join(oidctest.RepoRoot(t), "testdata", "passkey")
	for _, pkg := range []string{"playwright-core", "esbuild", "next-auth"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			oidctest.Unavailable(t, "%s is not installed (npm ci in %s)", pkg, dir)
		}
	}
	chromium := os.Getenv("CHROMIUM_PATH")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		oidctest.Unavailable(t, "no browser at %s (apt-get install chromium, or set CHROMIUM_PATH)", chromium)
	}
	artifacts := os.Getenv("GINAUTH_ARTIFACTS_DIR")
	if artifacts == "" {
		artifacts = filepath.Join(oidctest.RepoRoot(t), "testdata", "artifacts")
	}
	out := filepath.Join(artifacts, "browser-passkey-example")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}

	const email = "grace@example.com"
	app := startPasskeyApp(t, ginauth.StrategyDatabase)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "pages.mjs", "--app", app.url, "--email", email, "--protected", "/account",
		"--clock", "none", "--whoami", "/api/me", "--artifacts", out, "--chromium", chromium)
	cmd.Dir = dir
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
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &sum); err != nil || !sum.OK {
		t.Fatalf("pages.mjs summary: %v in %q", err, stdout.String())
	}

	var steps []string
	for _, s := range sum.Steps {
		steps = append(steps, s.Step)
		if fi, err := os.Stat(s.Screenshot); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot of %s: %v", s.Step, err)
		}
		t.Logf("%s: %s %q: %s", s.Step, s.URL, s.Title, s.Text)
	}
	want := []string{"signin", "signup-filled", "signed-up", "signout", "signed-out", "signed-in",
		"replay-refused", "same-challenge-refused", "counter-refused", "user-handle-refused",
		"other-site-refused", "other-site-credential-refused", "signed-in-again"}
	if !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	for _, s := range sum.Steps {
		if strings.HasPrefix(s.Step, "signed-") && s.Step != "signed-out" && (s.URL != "/account" || !strings.Contains(s.Text, "Email: "+email)) {
			t.Errorf("%s: %s %q, want the account page of %s", s.Step, s.URL, s.Text, email)
		}
	}
	codes := map[string]string{
		"replay":                "WebAuthnVerificationError",
		"same-challenge":        "WebAuthnVerificationError",
		"counter":               "WebAuthnVerificationError",
		"user-handle":           "WebAuthnVerificationError",
		"other-site":            "WebAuthnVerificationError",
		"other-site-credential": "Configuration",
	}
	for name, code := range codes {
		a, ok := sum.Attacks[name]
		if !ok || a.Page != "/api/auth/error" || a.Error != code || a.Session != nil || slices.Contains(a.SetCookies, "authjs.session-token") {
			t.Errorf("attack %s: %+v (ran %t), want the error page (error=%s), no session", name, a, ok, code)
		}
	}
	if sum.FinalSession.User.Email != email || sum.Credential.RPID != "localhost" {
		t.Errorf("final session %+v, credential %+v", sum.FinalSession, sum.Credential)
	}

	// The server's API sees the one passkey, at the counter of the last
	// sign-in: the refused assertions changed nothing.
	keys, err := app.auth.Passkeys(t.Context(), sum.Whoami.User.ID)
	if err != nil || len(keys) != 1 || keys[0].Counter != sum.Credential.SignCountAtEnd {
		t.Errorf("Passkeys: %+v, %v; want one at counter %d", keys, err, sum.Credential.SignCountAtEnd)
	}
	if len(sum.PageErrors) > 0 || len(sum.Blocked) > 0 {
		t.Errorf("page errors %v, requests off loopback %v", sum.PageErrors, sum.Blocked)
	}
	t.Logf("screenshots in %s", out)
}
