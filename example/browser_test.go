package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
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
	"github.com/ginauth/ginauth/internal/oidctest"
)

// browserSummary is what testdata/oidc/browser.mjs prints on success.
type browserSummary struct {
	OK             bool   `json:"ok"`
	ProviderOrigin string `json:"providerOrigin"`
	Steps          []struct {
		Step       string `json:"step"`
		URL        string `json:"url"`
		Screenshot string `json:"screenshot"`
	} `json:"steps"`
	User struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Image string `json:"image"`
	} `json:"user"`
	Cookies             []string `json:"cookies"`
	CookiesAfterSignOut []string `json:"cookiesAfterSignOut"`
	PageErrors          []string `json:"pageErrors"`
	Phone               []struct {
		Path        string `json:"path"`
		Width       int    `json:"width"`
		ScrollWidth int    `json:"scrollWidth"`
		InnerWidth  int    `json:"innerWidth"`
	} `json:"phone"`
}

// TestBrowserOIDC signs in to the example in Chromium through a real
// OpenID provider on loopback, and signs out, in both dialects. Screenshots
// of every page go to testdata/artifacts/browser/<mode>, or under
// $GINAUTH_ARTIFACTS_DIR.
func TestBrowserOIDC(t *testing.T) {
	gin.SetMode(gin.TestMode)
	dir := oidctest.JSDir(t)
	node := oidctest.NodePath(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err != nil {
		oidctest.Unavailable(t, "playwright-core is not installed (npm ci in %s)", dir)
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

	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		t.Run(mode.String(), func(t *testing.T) {
			// Listen first: the redirect URI, registered at the provider,
			// carries the port. The app is reached as localhost, the
			// provider as 127.0.0.1: two sites, as in production.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			appURL := "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			op := oidctest.Start(t, oidctest.Options{
				ClientID:     "ginauth-example",
				ClientSecret: rand.Text(),
				RedirectURIs: []string{appURL + "/api/auth/callback/oidc"},
				RequirePKCE:  true,
			})

			// The providers come from the environment, as in main.
			env := map[string]string{
				"OIDC_ISSUER":        op.Issuer(),
				"OIDC_CLIENT_ID":     op.ClientID(),
				"OIDC_CLIENT_SECRET": op.ClientSecret(),
				"OIDC_NAME":          "Loopback OpenID",
			}
			extra := oauthProviders(func(k string) string { return env[k] })
			if len(extra) != 1 {
				t.Fatalf("oauthProviders: %d providers, want the OIDC one", len(extra))
			}
			var logs oidctest.SyncBuffer
			auth, d, err := newAuth(t.Context(), settings{URL: appURL, Secret: devSecret, Mode: mode, Store: testStore(t).Adapter,
				Logger: slog.New(slog.NewTextHandler(&logs, nil)), Extra: extra})
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: newRouter(auth, d), ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(ln)
			t.Cleanup(func() {
				srv.Close()
				if t.Failed() {
					t.Logf("app log:\n%s", logs.String())
				}
			})

			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			out := filepath.Join(artifacts, "browser", mode.String())
			cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "browser.mjs"),
				"--app", appURL, "--artifacts", out, "--chromium", chromium,
				"--provider-name", "Loopback OpenID", "--login", "alice", "--expect-name", "Alice Liddell")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
			cmd.WaitDelay = 5 * time.Second
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("browser.mjs exited with %d:\n%s%s", ee.ExitCode(), stderr.String(), stdout.String())
				}
				t.Fatalf("browser.mjs: %v\n%s", err, stderr.String())
			}
			var sum browserSummary
			if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &sum); err != nil {
				t.Fatalf("browser.mjs summary: %v in %q", err, stdout.String())
			}

			if !sum.OK || sum.ProviderOrigin != op.Issuer() {
				t.Errorf("ok %t, provider %s (want %s)", sum.OK, sum.ProviderOrigin, op.Issuer())
			}
			alice := oidctest.Accounts["alice"]
			if sum.User.Name != alice.Name || sum.User.Email != alice.Email || sum.User.Image != alice.Picture {
				t.Errorf("session user %+v, want %s <%s> %s", sum.User, alice.Name, alice.Email, alice.Picture)
			}
			var steps []string
			for _, s := range sum.Steps {
				steps = append(steps, s.Step)
				if fi, err := os.Stat(s.Screenshot); err != nil || fi.Size() == 0 {
					t.Errorf("screenshot of %s: %v", s.Step, err)
				}
			}
			want := []string{"signin", "provider-login", "provider-consent", "signed-in", "signout", "signed-out"}
			if !slices.Equal(steps, want) {
				t.Errorf("steps %v, want %v", steps, want)
			}
			session := "authjs.session-token"
			if mode == ginauth.ModeV4 {
				session = "next-auth.session-token"
			}
			if !slices.Contains(sum.Cookies, session) || slices.Contains(sum.CookiesAfterSignOut, session) {
				t.Errorf("cookies signed in %v, after sign-out %v; want %s, then not", sum.Cookies, sum.CookiesAfterSignOut, session)
			}
			// Every page fits a phone screen: no horizontal scrolling at 320
			// and 375 CSS pixels.
			if len(sum.Phone) != 14 {
				t.Errorf("%d pages checked at phone widths, want 14", len(sum.Phone))
			}
			for _, p := range sum.Phone {
				if p.InnerWidth != p.Width || p.ScrollWidth > p.InnerWidth {
					t.Errorf("%s at %d px is %d px wide (window %d)", p.Path, p.Width, p.ScrollWidth, p.InnerWidth)
				}
			}
			if len(sum.PageErrors) > 0 {
				t.Errorf("script errors in the pages: %v", sum.PageErrors)
			}
			t.Logf("screenshots in %s", out)
		})
	}
}

// TestOAuthProvidersFromEnv checks which providers the environment adds.
func TestOAuthProvidersFromEnv(t *testing.T) {
	ids := func(env map[string]string) []string {
		var out []string
		for _, p := range oauthProviders(func(k string) string { return env[k] }) {
			out = append(out, p.Info().ID+"/"+p.Info().Name)
		}
		return out
	}
	if got := ids(nil); got != nil {
		t.Errorf("no environment: %v", got)
	}
	if got := ids(map[string]string{"OIDC_ISSUER": "https://sso.example.com", "OIDC_CLIENT_ID": "id"}); got != nil {
		t.Errorf("OIDC without a secret: %v", got)
	}
	all := map[string]string{
		"OIDC_ISSUER": "https://sso.example.com", "OIDC_CLIENT_ID": "id", "OIDC_CLIENT_SECRET": "secret",
		"GITHUB_ID": "gh-id", "GITHUB_SECRET": "gh-secret",
	}
	if got, want := ids(all), []string{"oidc/OpenID Connect", "github/GitHub"}; !slices.Equal(got, want) {
		t.Errorf("all set: %v, want %v", got, want)
	}
	all["OIDC_NAME"] = "Corporate SSO"
	if got := ids(all); got[0] != "oidc/Corporate SSO" {
		t.Errorf("OIDC_NAME: %v", got)
	}
}

// TestOIDCAccountGetsNoDemoRole signs in at the OpenID provider as "1", the
// id of the admin demo account: the provider's user must not get its role.
func TestOIDCAccountGetsNoDemoRole(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		t.Run(mode.String(), func(t *testing.T) { oidcAccountGetsNoDemoRole(t, mode) })
	}
}

func oidcAccountGetsNoDemoRole(t *testing.T, mode ginauth.Mode) {
	srv := httptest.NewServer(nil)
	defer srv.Close()
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{srv.URL + "/api/auth/callback/oidc"}})
	env := map[string]string{"OIDC_ISSUER": op.Issuer(), "OIDC_CLIENT_ID": op.ClientID(), "OIDC_CLIENT_SECRET": op.ClientSecret()}
	auth, d, err := newAuth(t.Context(), settings{URL: srv.URL, Secret: devSecret, Mode: mode, Store: testStore(t).Adapter,
		Logger: slog.New(slog.DiscardHandler), Extra: oauthProviders(func(k string) string { return env[k] })})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = newRouter(auth, d)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) *http.Response {
		t.Helper()
		res, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res, err := client.Get(srv.URL + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CSRFToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	res, err = client.PostForm(srv.URL+"/api/auth/signin/oidc", url.Values{"csrfToken": {csrf.CSRFToken}, "callbackUrl": {"/admin"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), op.Issuer()+"/auth?") {
		t.Fatalf("sign-in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	cb := op.Login(t, client, res.Header.Get("Location"), "1")
	if res := get(cb.String()); res.Header.Get("Location") != srv.URL+"/admin" {
		t.Fatalf("callback: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := get(srv.URL + "/account"); res.StatusCode != http.StatusOK {
		t.Fatalf("/account: %d", res.StatusCode)
	}
	if res := get(srv.URL + "/admin"); res.StatusCode != http.StatusForbidden {
		t.Errorf("/admin as the provider's user 1: %d, want 403", res.StatusCode)
	}
}
