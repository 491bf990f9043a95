package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/internal/webauthntest"
)

func TestPasskeysFor(t *testing.T) {
	for _, c := range []struct {
		mode         ginauth.Mode
		url          string
		rpID, origin string // empty: off
		off          string
	}{
		{ginauth.ModeV5, "http://localhost:8080", "localhost", "http://localhost:8080", ""},
		{ginauth.ModeV5, "http://LocalHost:8080", "localhost", "http://localhost:8080", ""},
		{ginauth.ModeV5, "http://dev.localhost:3000", "dev.localhost", "http://dev.localhost:3000", ""},
		{ginauth.ModeV5, "https://app.example.com", "app.example.com", "https://app.example.com", ""},
		{ginauth.ModeV5, "https://app.example.com:8443", "app.example.com", "https://app.example.com:8443", ""},
		{ginauth.ModeV4, "http://localhost:8080", "", "", "v4"},
		{ginauth.ModeV5, "http://127.0.0.1:8080", "", "", "IP address"},
		{ginauth.ModeV5, "https://[::1]:8443", "", "", "IP address"},
		{ginauth.ModeV5, "https://10.0.0.7", "", "", "IP address"},
		{ginauth.ModeV5, "http://app.example.com", "", "", "https"},
		{ginauth.ModeV5, "http://localhost.example.com", "", "", "https"},
		{ginauth.ModeV5, "ftp://localhost", "", "", "https"},
		{ginauth.ModeV5, "::", "", "", "no host"},
	} {
		p := passkeysFor(c.mode, c.url)
		if p.On != (c.rpID != "") || p.RPID != c.rpID || p.Origin != c.origin || !strings.Contains(p.Off, c.off) {
			t.Errorf("passkeysFor(%v, %q) = %+v, want rp id %q, origin %q, off %q", c.mode, c.url, p, c.rpID, c.origin, c.off)
		}
	}
}

func TestPasskeyStartMessage(t *testing.T) {
	var buf bytes.Buffer
	logPasskeys(slog.New(slog.NewTextHandler(&buf, nil)), passkeysFor(ginauth.ModeV5, "http://localhost:8080"))
	for _, want := range []string{"level=INFO", "passkey sign-in", "rp_id=localhost", "origin=http://localhost:8080"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("start message %q lacks %q", buf.String(), want)
		}
	}
	buf.Reset()
	logPasskeys(slog.New(slog.NewTextHandler(&buf, nil)), passkeysFor(ginauth.ModeV5, "http://127.0.0.1:8080"))
	if !strings.Contains(buf.String(), "passkey sign-in is off") || !strings.Contains(buf.String(), "IP address") {
		t.Errorf("start message with passkeys off: %q", buf.String())
	}
}

// passkeyApp is the example serving on http://localhost:<port>, the
// origin its passkeys are made for.
type passkeyApp struct {
	url  string
	auth *ginauth.Auth
	d    *demo
}

func startPasskeyApp(t *testing.T, strategy ginauth.Strategy) *passkeyApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	pk := passkeysFor(ginauth.ModeV5, appURL)
	if !pk.On {
		t.Fatalf("passkeys off on %s: %s", appURL, pk.Off)
	}
	auth, d, err := newAuth(t.Context(), settings{URL: appURL, Secret: devSecret, Mode: ginauth.ModeV5, Strategy: strategy,
		Store: testStore(t).Adapter, Logger: slog.New(slog.DiscardHandler), Passkeys: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: newRouter(auth, d), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &passkeyApp{url: appURL, auth: auth, d: d}
}

// browser is a cookie jar and a software authenticator: what a browser
// with a passkey holds.
type browser struct {
	t      *testing.T
	app    *passkeyApp
	client *http.Client
	authn  *webauthntest.Authenticator
}

func (a *passkeyApp) newBrowser(t *testing.T, authn *webauthntest.Authenticator) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, app: a, authn: authn,
		client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	res, err := b.client.Get(b.app.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// signIn runs the sign-in page's passkey protocol (as its script and
// next-auth/webauthn's signIn do) with the email, or none, and returns the
// URL the callback answered.
func (b *browser) signIn(email string) (action, next string) {
	b.t.Helper()
	q := ""
	if email != "" {
		q = "?" + url.Values{"email": {email}}.Encode()
	}
	res, body := b.get("/api/auth/webauthn-options/passkey" + q)
	if res.StatusCode != http.StatusOK {
		b.t.Fatalf("options: %d %s", res.StatusCode, body)
	}
	var o struct {
		Action  string          `json:"action"`
		Options json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal([]byte(body), &o); err != nil {
		b.t.Fatal(err)
	}
	var data string
	var err error
	switch o.Action {
	case "register":
		data, _, err = b.authn.Register(o.Options, b.app.url, webauthntest.Tamper{})
	case "authenticate":
		data, err = b.authn.Assert(o.Options, b.app.url, webauthntest.Tamper{})
	default:
		b.t.Fatalf("options action %q", o.Action)
	}
	if err != nil {
		b.t.Fatalf("%s: %v", o.Action, err)
	}
	_, body = b.get("/api/auth/csrf")
	var csrf struct{ CSRFToken string }
	json.Unmarshal([]byte(body), &csrf)
	form := url.Values{"action": {o.Action}, "data": {data}, "csrfToken": {csrf.CSRFToken}, "callbackUrl": {b.app.url + "/account"}}
	if email != "" {
		form.Set("email", email)
	}
	req, _ := http.NewRequest(http.MethodPost, b.app.url+"/api/auth/callback/passkey", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Auth-Return-Redirect", "1")
	cb, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer cb.Body.Close()
	var answer struct{ URL string }
	if err := json.NewDecoder(cb.Body).Decode(&answer); err != nil || cb.StatusCode != http.StatusOK {
		b.t.Fatalf("callback: %d %v", cb.StatusCode, err)
	}
	return o.Action, answer.URL
}

// me returns /api/me's user, or nil when signed out.
func (b *browser) me() map[string]any {
	b.t.Helper()
	res, body := b.get("/api/me")
	if res.StatusCode == http.StatusUnauthorized {
		return nil
	}
	var s struct{ User map[string]any }
	if err := json.Unmarshal([]byte(body), &s); err != nil || res.StatusCode != http.StatusOK {
		b.t.Fatalf("/api/me: %d %s", res.StatusCode, body)
	}
	return s.User
}

// TestExamplePasskey signs up with a passkey on the example's defaults
// (SQLite, http://localhost:PORT), signs out, signs in with the passkey
// without a username, and removes it with the server API.
func TestExamplePasskey(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, strategy := range []ginauth.Strategy{ginauth.StrategyJWT, ginauth.StrategyDatabase} {
		t.Run(strategy.String(), func(t *testing.T) { examplePasskey(t, strategy) })
	}
}

func examplePasskey(t *testing.T, strategy ginauth.Strategy) {
	app := startPasskeyApp(t, strategy)
	phone := &webauthntest.Authenticator{}
	b := app.newBrowser(t, phone)

	// The sign-in page offers the passkey form, and its policy runs the
	// page's one script, by hash.
	res, page := b.get("/api/auth/signin")
	for _, want := range []string{`id="passkey-form"`, `<label for="input-email-for-passkey-provider">Email</label>`, `>Sign in with Passkey</button>`, "create an account with a passkey"} {
		if !strings.Contains(page, want) {
			t.Errorf("the sign-in page lacks %s", want)
		}
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(scripts) != 1 {
		t.Fatalf("the sign-in page has %d scripts, want 1", len(scripts))
	}
	sum := sha256.Sum256([]byte(scripts[0][1]))
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("the policy %q does not allow the page's script by its hash", csp)
	}
	if res, home := b.get("/"); res.StatusCode != http.StatusOK || strings.Contains(home, "<script") || strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src") {
		t.Errorf("the home page carries or allows a script")
	}

	// A new address creates an account with a passkey.
	action, next := b.signIn("carol@example.org")
	if action != "register" || next != app.url+"/account" {
		t.Fatalf("sign-up: %s, answered %s", action, next)
	}
	me := b.me()
	if me == nil || me["email"] != "carol@example.org" || me["role"] != nil {
		t.Fatalf("/api/me after the sign-up: %v", me)
	}
	carol, _ := me["id"].(string)
	keys, err := app.auth.Passkeys(t.Context(), carol)
	if err != nil || len(keys) != 1 {
		t.Fatalf("Passkeys of the new user: %v, %v", keys, err)
	}
	// A passkey user has an address but no name: the pages name them by it.
	if _, page := b.get("/"); !strings.Contains(page, "Signed in as <strong>carol@example.org</strong>.") {
		t.Errorf("the home page does not name the passkey user by address:\n%s", page)
	}
	if _, page := b.get("/account"); !strings.Contains(page, `<strong id="user-name">carol@example.org</strong>`) {
		t.Errorf("the account page does not name the passkey user by address:\n%s", page)
	}
	if _, page := b.get("/account"); !strings.Contains(page, `<ul id="passkeys">`) || strings.Count(page, "<li>") != 1 {
		t.Errorf("the account page does not list the passkey:\n%s", page)
	}
	if n := len(phone.Credentials()); n != 1 || phone.Credentials()[0].RPID != "localhost" {
		t.Fatalf("the authenticator holds %d passkeys (rp id %v), want one for localhost", n, phone.Credentials())
	}

	// Another browser with the same passkey (a synced one) signs in
	// without a username.
	other := app.newBrowser(t, phone)
	if other.me() != nil {
		t.Fatal("a new browser is signed in")
	}
	action, next = other.signIn("")
	if action != "authenticate" || next != app.url+"/account" {
		t.Fatalf("usernameless sign-in: %s, answered %s", action, next)
	}
	if me := other.me(); me == nil || me["id"] != carol {
		t.Fatalf("/api/me after the passkey sign-in: %v", me)
	}
	// The demo accounts keep their password sign-in and their role.
	if app.d.roles[carol] != "" {
		t.Errorf("the passkey user got the role %q", app.d.roles[carol])
	}

	// Only its owner's ID removes it.
	alice := app.d.byLogin["alice"].user.ID
	if err := app.auth.DeletePasskey(t.Context(), alice, keys[0].CredentialID); !errors.Is(err, ginauth.ErrPasskeyNotFound) {
		t.Errorf("DeletePasskey with another user's ID: %v, want ErrPasskeyNotFound", err)
	}
	// Removed with the server API, the passkey signs in no more.
	if err := app.auth.DeletePasskey(t.Context(), carol, keys[0].CredentialID); err != nil {
		t.Fatalf("DeletePasskey: %v", err)
	}
	if keys, err := app.auth.Passkeys(t.Context(), carol); err != nil || len(keys) != 0 {
		t.Errorf("Passkeys after DeletePasskey: %v, %v", keys, err)
	}
	if _, page := b.get("/account"); !strings.Contains(page, "No passkeys yet.") {
		t.Errorf("the account page after DeletePasskey:\n%s", page)
	}
	third := app.newBrowser(t, phone)
	if _, next := third.signIn(""); !strings.HasPrefix(next, app.url+"/api/auth/error?error=") {
		t.Errorf("sign-in with a deleted passkey answered %s, want the error page", next)
	}
	if third.me() != nil {
		t.Error("a deleted passkey signed in")
	}
}

// TestExampleWithoutPasskeys: with passkeys off the sign-in page carries no
// script and no passkey form, and the options endpoint knows no passkey
// provider.
func TestExampleWithoutPasskeys(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		appURL := "http://" + ln.Addr().String()
		pk := passkeysFor(mode, appURL)
		if pk.On {
			t.Fatalf("passkeys on at %s", appURL)
		}
		auth, d, err := newAuth(t.Context(), settings{URL: appURL, Secret: devSecret, Mode: mode, Store: testStore(t).Adapter,
			Logger: slog.New(slog.DiscardHandler), Passkeys: pk.On})
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: newRouter(auth, d), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		res, err := http.Get(appURL + "/api/auth/signin")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if bytes.Contains(page, []byte("<script")) || bytes.Contains(page, []byte("passkey")) || strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src") {
			t.Errorf("%v: the sign-in page without passkeys carries or allows a script, or a passkey form", mode)
		}
		res, err = http.Get(appURL + "/api/auth/webauthn-options/passkey")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("%v: GET /webauthn-options/passkey answered 200 without a passkey provider", mode)
		}
		srv.Close()
	}
}
