// Package oidctest runs a real OpenID provider (panva's oidc-provider, from
// testdata/oidc) on loopback for tests, and drives its sign-in pages the way
// a user's browser would.
//
// The provider is a Node.js process. When node or testdata/oidc/node_modules
// is missing, Start skips the test, or fails it when the environment has
// GINAUTH_REQUIRE_JS=1 (as scripts/test sets after installing them).
//
// Besides the real protocol, the provider can be told to misbehave: Rotate
// changes its signing key, Tamper damages the answers of its token endpoint
// (see the Tamper* modes), Reset undoes Tamper.
package oidctest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Tamper modes: what the provider does to every token-endpoint answer until
// Reset. Each re-signed token is signed with the provider's real current key
// unless the mode says otherwise.
const (
	// TamperNone answers honestly.
	TamperNone = "none"
	// TamperBadSignature flips bits of the ID token's signature.
	TamperBadSignature = "bad-signature"
	// TamperExpiredIDToken re-signs the ID token with iat and exp in the past
	// (exp an hour ago).
	TamperExpiredIDToken = "expired-id-token"
	// TamperWrongNonce re-signs the ID token with a different nonce.
	TamperWrongNonce = "wrong-nonce"
	// TamperWrongAudience re-signs the ID token for another client (aud and azp).
	TamperWrongAudience = "wrong-audience"
	// TamperWrongIssuer re-signs the ID token with another issuer.
	TamperWrongIssuer = "wrong-issuer"
	// TamperUnknownKid signs the ID token with a key that is not in the JWKS.
	TamperUnknownKid = "unknown-kid"
	// TamperTokenError answers 400 {"error":"invalid_grant",...} (after the
	// real endpoint has consumed the code or refresh token).
	TamperTokenError = "token-error"
)

// Token endpoint client authentication methods.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthNone              = "none"
)

// Options configure the provider's single client and its behaviour.
type Options struct {
	// ClientID defaults to "ginauth-test".
	ClientID string
	// ClientSecret defaults to "ginauth-test-secret"; unused with AuthNone.
	ClientSecret string
	// RedirectURIs are the client's registered redirect URIs; at least one.
	RedirectURIs []string
	// AuthMethod is the token endpoint auth method, AuthClientSecretBasic by default.
	AuthMethod string
	// AccessTokenTTL is the access token lifetime (whole seconds, at least
	// one); an hour by default.
	AccessTokenTTL time.Duration
	// RequirePKCE makes the provider refuse authorization requests without
	// an S256 code challenge. Without it PKCE is used when the client sends it.
	RequirePKCE bool
	// ConformIDTokenClaims keeps the profile and email claims out of the ID
	// token when an access token is issued: clients must call userinfo.
	ConformIDTokenClaims bool
	// Port is the port to listen on; 0 (any free port) by default.
	Port int
}

// Accounts known to the provider. Any other login signs in too, with sub
// equal to the login and a generic profile ("User <login>").
var Accounts = map[string]Account{
	"alice": {Sub: "alice", Name: "Alice Liddell", Email: "alice@example.com", EmailVerified: true, Picture: "https://images.example.com/alice.png"},
	"bob":   {Sub: "bob", Name: "Bob Builder", Email: "bob@example.com", EmailVerified: false, Picture: "https://images.example.com/bob.png"},
}

// Account is the profile the provider returns for a login.
type Account struct {
	Sub, Name, Email string
	EmailVerified    bool
	Picture          string
}

// Provider is a running oidc-provider process.
type Provider struct {
	issuer       string
	clientID     string
	clientSecret string
	redirectURIs []string
	ctl          *http.Client
}

// startTimeout bounds the wait for the provider's ready line.
const startTimeout = 30 * time.Second

// Start launches the provider and stops it when the test ends. It skips the
// test when Node.js or the provider's packages are missing, unless
// GINAUTH_REQUIRE_JS=1.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID = "ginauth-test"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "ginauth-test-secret"
	}
	if opts.AuthMethod == "" {
		opts.AuthMethod = AuthClientSecretBasic
	}
	if len(opts.RedirectURIs) == 0 {
		t.Fatal("oidctest: Options.RedirectURIs is empty")
	}
	dir := JSDir(t)
	node := NodePath(t)

	args := []string{filepath.Join(dir, "provider.mjs"),
		"--exit-with-stdin",
		"--port", strconv.Itoa(opts.Port),
		"--client-id", opts.ClientID,
		"--client-secret", opts.ClientSecret,
		"--auth-method", opts.AuthMethod,
	}
	for _, u := range opts.RedirectURIs {
		args = append(args, "--redirect-uri", u)
	}
	if opts.AccessTokenTTL > 0 {
		secs := int(opts.AccessTokenTTL / time.Second)
		if secs < 1 {
			secs = 1
		}
		args = append(args, "--access-token-ttl", strconv.Itoa(secs))
	}
	if opts.RequirePKCE {
		args = append(args, "--require-pkce")
	}
	if opts.ConformIDTokenClaims {
		args = append(args, "--conform-id-token-claims")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	cmd.WaitDelay = 5 * time.Second
	stderr := &SyncBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe() // held open: the provider exits when it closes
	if err != nil {
		cancel()
		t.Fatalf("oidctest: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatalf("oidctest: %v", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("oidctest: starting %s: %v", node, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		<-done
		if t.Failed() {
			t.Logf("oidctest: provider stderr:\n%s", stderr.String())
		}
	})

	type ready struct {
		Issuer string `json:"issuer"`
	}
	lines := make(chan ready, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var r ready
			if json.Unmarshal(sc.Bytes(), &r) == nil && r.Issuer != "" {
				lines <- r
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var r ready
	select {
	case r = <-lines:
	case <-done:
		t.Fatalf("oidctest: the provider exited before it was ready (%v):\n%s", cmd.ProcessState, stderr.String())
	case <-time.After(startTimeout):
		t.Fatalf("oidctest: the provider was not ready within %v:\n%s", startTimeout, stderr.String())
	}
	return &Provider{
		issuer:       r.Issuer,
		clientID:     opts.ClientID,
		clientSecret: opts.ClientSecret,
		redirectURIs: append([]string(nil), opts.RedirectURIs...),
		ctl:          &http.Client{Timeout: 30 * time.Second},
	}
}

// Issuer is the provider's issuer, http://127.0.0.1:PORT.
func (p *Provider) Issuer() string { return p.issuer }

// ClientID is the registered client's id.
func (p *Provider) ClientID() string { return p.clientID }

// ClientSecret is the registered client's secret.
func (p *Provider) ClientSecret() string { return p.clientSecret }

// KeyState is what the provider reports after a control request.
type KeyState struct {
	// Kid is the new signing key's id (Rotate only).
	Kid string `json:"kid"`
	// Mode is the tamper mode in force.
	Mode string `json:"mode"`
	// Kids are the key ids in the JWKS, the signing key first.
	Kids []string `json:"kids"`
}

// Rotate makes a new signing key sign from now on. With keepOld the previous
// keys stay in the JWKS; without, the JWKS holds only the new key.
func (p *Provider) Rotate(t testing.TB, keepOld bool) KeyState {
	t.Helper()
	return p.control(t, "rotate", map[string]any{"keepOld": keepOld})
}

// Tamper sets the mode applied to every token-endpoint answer until Reset.
func (p *Provider) Tamper(t testing.TB, mode string) {
	t.Helper()
	p.control(t, "tamper", map[string]any{"mode": mode})
}

// Reset sets the tamper mode back to TamperNone. Rotated keys stay.
func (p *Provider) Reset(t testing.TB) {
	t.Helper()
	p.control(t, "reset", map[string]any{})
}

// State reports the tamper mode and the key ids in the JWKS.
func (p *Provider) State(t testing.TB) KeyState {
	t.Helper()
	return p.control(t, "state", map[string]any{})
}

func (p *Provider) control(t testing.TB, name string, body any) KeyState {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := p.ctl.Post(p.issuer+"/__test/"+name, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("oidctest: %s: %v", name, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("oidctest: %s: %s %s", name, res.Status, out)
	}
	var s KeyState
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("oidctest: %s: %v in %s", name, err, out)
	}
	return s
}

// RepoRoot walks up from the working directory to the directory holding
// go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("oidctest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// RequireJS reports whether GINAUTH_REQUIRE_JS asks for the JavaScript
// tests to fail, instead of skipping, when their tools are missing.
func RequireJS() bool {
	v := os.Getenv("GINAUTH_REQUIRE_JS")
	return v != "" && v != "0" && v != "false"
}

// Unavailable skips the test, or fails it when RequireJS.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if RequireJS() {
		t.Fatalf("%s (GINAUTH_REQUIRE_JS is set)", msg)
	}
	t.Skipf("%s; run scripts/test, or set GINAUTH_REQUIRE_JS=1 to fail instead of skipping", msg)
}

// JSDir is testdata/oidc with its node_modules installed, or it skips (or
// fails) the test.
func JSDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "testdata", "oidc")
	for _, pkg := range []string{"oidc-provider", "jose"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			Unavailable(t, "oidctest: %s is not installed (npm ci in %s)", pkg, dir)
		}
	}
	return dir
}

// NodePath is the node executable, or it skips (or fails) the test.
func NodePath(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Unavailable(t, "oidctest: node is not on PATH")
	}
	return node
}

// SyncBuffer collects output written from several goroutines, such as a
// child process's stderr or a test server's log.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Reset discards what was written.
func (s *SyncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}
