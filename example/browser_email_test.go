package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
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

// emailLook is what testdata/oidc/browser-email.mjs reads from the
// rendered message.
type emailLook struct {
	Title             string   `json:"title"`
	Hrefs             []string `json:"hrefs"`
	ButtonHref        string   `json:"buttonHref"`
	ButtonColor       string   `json:"buttonColor"`
	ButtonBackground  string   `json:"buttonBackground"`
	ButtonWidth       float64  `json:"buttonWidth"`
	ButtonHeight      float64  `json:"buttonHeight"`
	CopyColor         string   `json:"copyColor"`
	CopyBackground    string   `json:"copyBackground"`
	HeadingColor      string   `json:"headingColor"`
	HeadingBackground string   `json:"headingBackground"`
	HeadingText       string   `json:"headingText"`
	BrandShown        bool     `json:"brandShown"`
	LogoAlt           *string  `json:"logoAlt"`
	LogoLoaded        bool     `json:"logoLoaded"`
	CardBackground    string   `json:"cardBackground"`
	BodyBackground    string   `json:"bodyBackground"`
	Text              string   `json:"text"`
}

// browserEmailSummary is what browser-email.mjs prints on success.
type browserEmailSummary struct {
	OK    bool `json:"ok"`
	Steps []struct {
		Step       string `json:"step"`
		URL        string `json:"url"`
		Title      string `json:"title"`
		Screenshot string `json:"screenshot"`
	} `json:"steps"`
	VerifyRequest struct {
		Heading    string  `json:"heading"`
		Text       string  `json:"text"`
		SignInLink *string `json:"signInLink"`
		LinkLight  struct {
			Color      string `json:"color"`
			Background string `json:"background"`
		} `json:"linkLight"`
		LinkDark struct {
			Color      string `json:"color"`
			Background string `json:"background"`
		} `json:"linkDark"`
	} `json:"verifyRequest"`
	Email struct {
		Subject  string    `json:"subject"`
		TextLink string    `json:"textLink"`
		Light    emailLook `json:"light"`
		Dark     emailLook `json:"dark"`
	} `json:"email"`
	User struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"user"`
	Cookies []string `json:"cookies"`
	Reused  struct {
		Error   string         `json:"error"`
		Heading string         `json:"heading"`
		Text    string         `json:"text"`
		Session map[string]any `json:"session"`
		Cookies []string       `json:"cookies"`
	} `json:"reused"`
	Phone []struct {
		Path        string `json:"path"`
		Width       int    `json:"width"`
		ScrollWidth int    `json:"scrollWidth"`
		InnerWidth  int    `json:"innerWidth"`
	} `json:"phone"`
	BlockedRequests []string `json:"blockedRequests"`
	PageErrors      []string `json:"pageErrors"`
}

// TestBrowserEmail signs in to the example in Chromium with a link that
// went through a real SMTP server on loopback (STARTTLS, AUTH PLAIN), in
// both dialects: the address typed on the sign-in page, the verify-request
// page, the message's HTML part rendered in the browser (light, dark, at
// phone widths), its button clicked, the protected page, and the link
// used a second time. Screenshots go to testdata/artifacts/browser-email/
// <mode>, or under $GINAUTH_ARTIFACTS_DIR.
func TestBrowserEmail(t *testing.T) {
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

	// Mail clients load a message's images over https only: the logo is
	// served over https on loopback, with a certificate Chromium is told
	// to accept by its key.
	logo := httptest.NewUnstartedServer(nil)
	r := gin.New()
	serveLogo(r)
	logo.Config.Handler = r
	logo.StartTLS()
	defer logo.Close()
	spki := sha256.Sum256(logo.Certificate().RawSubjectPublicKeyInfo)

	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		t.Run(mode.String(), func(t *testing.T) {
			user, pw := "mailer", "p@ss:/"+strconv.FormatInt(time.Now().UnixNano(), 36)
			mb := startMailbox(t, user, pw)
			env := map[string]string{
				"EMAIL_SERVER": (&url.URL{Scheme: "smtp", User: url.UserPassword(user, pw), Host: "127.0.0.1:" + strconv.Itoa(mb.port)}).String(),
				"EMAIL_FROM":   "no-reply@example.org",
			}
			// The app is reached as localhost, as in development.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			appURL := "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			sender, err := emailSender(func(k string) string { return env[k] }, appURL, mb.tlsConfig(), nil)
			if err != nil || sender.SMTP == nil {
				t.Fatalf("emailSender: %+v, %v", sender, err)
			}
			var logs oidctest.SyncBuffer
			auth, d, err := newAuth(t.Context(), settings{URL: appURL, Secret: devSecret, Mode: mode, Store: testStore(t).Adapter,
				Logger: slog.New(slog.NewTextHandler(&logs, nil)), Email: sender, LogoURL: logo.URL + logoPath})
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

			// The mailbox, read by the script.
			box := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				to := r.URL.Query().Get("to")
				msgs := mb.received()
				for i := len(msgs) - 1; i >= 0; i-- {
					if !slices.Equal(msgs[i].To, []string{to}) {
						continue
					}
					m, err := parseSignInMail(msgs[i].Data)
					if err != nil {
						http.Error(w, err.Error(), http.StatusInternalServerError)
						return
					}
					json.NewEncoder(w).Encode(map[string]string{"subject": m.Subject, "html": m.HTML, "textLink": m.TextLink})
					return
				}
				http.NotFound(w, r)
			}))
			defer box.Close()

			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			out := filepath.Join(artifacts, "browser-email", mode.String())
			cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "browser-email.mjs"),
				"--app", appURL, "--mailbox", box.URL, "--artifacts", out, "--chromium", chromium,
				"--email", "alice@example.org", "--expect-name", "Alice Liddell", "--brand", "ginauth example",
				"--trust-spki", base64.StdEncoding.EncodeToString(spki[:]))
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
			cmd.WaitDelay = 5 * time.Second
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("browser-email.mjs exited with %d:\n%s%s", ee.ExitCode(), stderr.String(), stdout.String())
				}
				t.Fatalf("browser-email.mjs: %v\n%s", err, stderr.String())
			}
			var sum browserEmailSummary
			if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &sum); err != nil {
				t.Fatalf("browser-email.mjs summary: %v in %q", err, stdout.String())
			}
			t.Logf("browser-email.mjs saw: %s", stdout.String())
			checkBrowserEmail(t, &sum, mode, appURL, mb)
			t.Logf("screenshots in %s", out)
		})
	}
}

func checkBrowserEmail(t *testing.T, sum *browserEmailSummary, mode ginauth.Mode, appURL string, mb *mailbox) {
	t.Helper()
	if !sum.OK {
		t.Error("the script did not finish")
	}
	var steps []string
	for _, s := range sum.Steps {
		steps = append(steps, s.Step)
		if fi, err := os.Stat(s.Screenshot); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot of %s: %v", s.Step, err)
		}
	}
	want := []string{"signin", "verify-request", "verify-request-dark", "email", "email-dark", "signed-in", "link-reused"}
	if !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}

	// The verify-request page says what happened and leads back to sign in.
	v := sum.VerifyRequest
	if v.Heading != "Check your email" || !strings.Contains(v.Text, "A sign-in link has been sent to your email address") {
		t.Errorf("verify-request page: %q / %q", v.Heading, v.Text)
	}
	if v.SignInLink == nil || *v.SignInLink != appURL+"/api/auth/signin" {
		t.Errorf("verify-request page's way back to sign in: %v", v.SignInLink)
	}
	if c := contrast(v.LinkLight.Color, v.LinkLight.Background); c < 4.5 {
		t.Errorf("verify-request page's link %s on %s, contrast %.2f < 4.5", v.LinkLight.Color, v.LinkLight.Background, c)
	}
	if c := contrast(v.LinkDark.Color, v.LinkDark.Background); c < 4.5 {
		t.Errorf("verify-request page's link in dark mode %s on %s, contrast %.2f < 4.5", v.LinkDark.Color, v.LinkDark.Background, c)
	}

	// One message, over TLS after AUTH, to the address typed.
	msgs := mb.received()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].Authn != "mailer" || !slices.Equal(msgs[0].To, []string{"alice@example.org"}) {
		t.Errorf("%d messages; the first: %+v", len(msgs), msgs)
	}
	host := strings.TrimPrefix(appURL, "http://")
	if sum.Email.Subject != "Sign in to "+host || sum.Email.TextLink != appURL+"/api/auth/callback/email" {
		t.Errorf("message: subject %q, link %q", sum.Email.Subject, sum.Email.TextLink)
	}

	// The message as Chromium rendered it, light and dark.
	for name, l := range map[string]emailLook{"light": sum.Email.Light, "dark": sum.Email.Dark} {
		if l.ButtonHref != sum.Email.TextLink || len(l.Hrefs) != 2 {
			t.Errorf("%s: button %q, links %q", name, l.ButtonHref, l.Hrefs)
		}
		if !l.BrandShown || l.LogoAlt == nil || *l.LogoAlt != "ginauth example" || !l.LogoLoaded {
			t.Errorf("%s: brand shown %t, logo alt %v loaded %t", name, l.BrandShown, l.LogoAlt, l.LogoLoaded)
		}
		if !strings.Contains(l.HeadingText, "Sign in to "+host) {
			t.Errorf("%s: heading %q", name, l.HeadingText)
		}
		// A button a thumb can hit, its label readable on its colour.
		if l.ButtonWidth < 120 || l.ButtonHeight < 44 {
			t.Errorf("%s: the button is %.0f×%.0f px", name, l.ButtonWidth, l.ButtonHeight)
		}
		if c := contrast(l.ButtonColor, l.ButtonBackground); c < 4.5 {
			t.Errorf("%s: button text %s on %s, contrast %.2f < 4.5", name, l.ButtonColor, l.ButtonBackground, c)
		}
		if c := contrast(l.HeadingColor, l.HeadingBackground); c < 4.5 {
			t.Errorf("%s: heading %s on %s, contrast %.2f < 4.5", name, l.HeadingColor, l.HeadingBackground, c)
		}
		if c := contrast(l.CopyColor, l.CopyBackground); c < 4.5 {
			t.Errorf("%s: the link's copy %s on %s, contrast %.2f < 4.5", name, l.CopyColor, l.CopyBackground, c)
		}
	}
	if sum.Email.Light.ButtonBackground != "rgb(15, 118, 110)" {
		t.Errorf("the button is %s, want the brand colour #0f766e", sum.Email.Light.ButtonBackground)
	}
	if luminance(sum.Email.Dark.CardBackground) > 0.1 || luminance(sum.Email.Light.CardBackground) < 0.9 {
		t.Errorf("the message's card is %s light and %s dark", sum.Email.Light.CardBackground, sum.Email.Dark.CardBackground)
	}

	// Signed in by the message's button as the demo account.
	if sum.User.Name != "Alice Liddell" || sum.User.Email != "alice@example.org" {
		t.Errorf("session user %+v", sum.User)
	}
	session := "authjs.session-token"
	if mode == ginauth.ModeV4 {
		session = "next-auth.session-token"
	}
	if !slices.Contains(sum.Cookies, session) {
		t.Errorf("cookies signed in %v, want %s", sum.Cookies, session)
	}
	// The second use: the Verification error page, no session.
	r := sum.Reused
	if r.Error != "Verification" || len(r.Session) != 0 || slices.Contains(r.Cookies, session) {
		t.Errorf("the link's second use: %+v", r)
	}

	// Every page and the message fit a phone screen.
	if len(sum.Phone) != 4 {
		t.Errorf("%d pages checked at phone widths, want 4", len(sum.Phone))
	}
	for _, p := range sum.Phone {
		if p.InnerWidth != p.Width || p.ScrollWidth > p.InnerWidth {
			t.Errorf("%s at %d px is %d px wide (window %d)", p.Path, p.Width, p.ScrollWidth, p.InnerWidth)
		}
	}
	if len(sum.PageErrors) > 0 {
		t.Errorf("script errors in the pages: %v", sum.PageErrors)
	}
	if len(sum.BlockedRequests) > 0 {
		t.Errorf("the pages reached beyond loopback: %v", sum.BlockedRequests)
	}
}

// luminance is the WCAG relative luminance of a CSS rgb()/rgba() colour,
// or -1 when it does not parse.
func luminance(css string) float64 {
	inner, ok := strings.CutPrefix(css, "rgb(")
	if !ok {
		inner, ok = strings.CutPrefix(css, "rgba(")
	}
	inner, _ = strings.CutSuffix(inner, ")")
	parts := strings.Split(inner, ",")
	if !ok || len(parts) < 3 {
		return -1
	}
	var lin [3]float64
	for i := range 3 {
		v, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		if err != nil {
			return -1
		}
		c := v / 255
		if c <= 0.03928 {
			lin[i] = c / 12.92
		} else {
			lin[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*lin[0] + 0.7152*lin[1] + 0.0722*lin[2]
}

// contrast is the WCAG contrast ratio of two CSS colours; 0 when either
// does not parse.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < 0 || lb < 0 {
		return 0
	}
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}
