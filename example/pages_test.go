package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/ginauth/ginauth"
)

// TestPageHeaders: every answer of the example, its own pages, its API
// and the built-in pages alike, carries the security headers; the built-in
// pages keep their own Content-Security-Policy, and no header turns off
// passkeys.
func TestPageHeaders(t *testing.T) {
	gin.SetMode(gin.TestMode)
	srv := httptest.NewServer(nil)
	defer srv.Close()
	auth, d, err := newAuth(t.Context(), settings{URL: srv.URL, Secret: devSecret, Mode: ginauth.ModeV5, Store: testStore(t).Adapter, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = newRouter(auth, d)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	check := func(name string, res *http.Response, builtIn bool) {
		t.Helper()
		h := res.Header
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Permissions-Policy":     featurePolicy,
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", name, k, got, want)
			}
		}
		if rp := h.Get("Referrer-Policy"); rp != "strict-origin-when-cross-origin" && rp != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", name, rp)
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", name, csp)
		}
		if !builtIn && csp != pagePolicy {
			t.Errorf("%s: Content-Security-Policy %q, want the example's", name, csp)
		}
		if strings.Contains(h.Get("Permissions-Policy"), "publickey-credentials") {
			t.Errorf("%s: Permissions-Policy restricts passkeys", name)
		}
	}

	res, _ := get("/")
	check("home", res, false)
	res, _ = get("/account")
	check("account signed out", res, false)
	res, _ = get("/api/hello")
	check("/api/hello", res, false)
	res, _ = get("/api/protected")
	check("/api/protected signed out", res, false)
	res, signInPage := get("/api/auth/signin")
	check("sign-in page", res, true)

	// The built-in pages carry the example's brand colour, as its own
	// links and buttons do.
	if !strings.Contains(signInPage, brandColor) {
		t.Errorf("the sign-in page does not use the brand colour %s", brandColor)
	}
	_, home := get("/")
	if !strings.Contains(home, "a{color:"+brandColor+"}") {
		t.Errorf("the home page's links are not in the brand colour %s", brandColor)
	}

	// Signed in: the account and admin pages.
	_, body := get("/api/auth/csrf")
	token := body[strings.Index(body, `":"`)+3 : strings.LastIndex(body, `"`)]
	post, err := client.PostForm(srv.URL+"/api/auth/callback/credentials", url.Values{"username": {"bob"}, "password": {"canwefixit"}, "csrfToken": {token}})
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusFound {
		t.Fatalf("sign-in: %d", post.StatusCode)
	}
	check("sign-in answer", post, false)
	res, _ = get("/account")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/account signed in: %d", res.StatusCode)
	}
	check("account", res, false)
	res, _ = get("/admin")
	check("admin refused", res, true)
}

// TestDemoPasswordCost: the demo accounts' passwords are hashed at
// bcrypt's default cost, as a real user table's would be.
func TestDemoPasswordCost(t *testing.T) {
	d, err := seedDemo(t.Context(), testStore(t).Adapter)
	if err != nil {
		t.Fatal(err)
	}
	hashes := [][]byte{d.dummy}
	for _, u := range d.byLogin {
		hashes = append(hashes, u.hash)
	}
	for _, h := range hashes {
		if c, err := bcrypt.Cost(h); err != nil || c != bcrypt.DefaultCost {
			t.Errorf("bcrypt cost %d (%v), want %d", c, err, bcrypt.DefaultCost)
		}
	}
}
