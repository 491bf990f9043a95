package ginauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// pageServer serves ginauth with the providers under basePath at the
// configured URL http://localhost (requests are made with that Host).
func pageServer(t *testing.T, basePath string, ps ...providers.Provider) http.Handler {
	t.Helper()
	gin.SetMode(gin.TestMode)
	auth, err := ginauth.New(ginauth.Config{
		Secret: strings.Repeat("s", 32), URL: "http://localhost" + basePath, Adapter: memory.New(), Providers: ps,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	return r
}

func getPage(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://localhost"+path, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	res := w.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

var pageScriptRE = regexp.MustCompile(`(?s)<script\b[^>]*>(.*?)</script>`)

var pagePassword = providers.Credentials{Name: "Password",
	Fields: []providers.Field{{Name: "username", Label: "Username", Type: "text"}},
	Authorize: func(_ context.Context, _ map[string]string, _ *authjs.Request) (*authjs.User, error) {
		return nil, nil
	}}

// TestSignInPagePasskey: the sign-in page with a passkey provider carries
// the passkey form and exactly one script, which its Content-Security-
// Policy allows by hash, under any base path; no other page carries or
// allows a script.
func TestSignInPagePasskey(t *testing.T) {
	for _, base := range []string{"/api/auth", "/auth/v1"} {
		t.Run(base, func(t *testing.T) {
			h := pageServer(t, base, pagePassword, providers.Passkey(providers.PasskeyConfig{}))
			res, page := getPage(t, h, base+"/signin?callbackUrl=%2Faccount")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("sign-in page: %d", res.StatusCode)
			}
			for _, want := range []string{
				`<form id="passkey-form" action="http://localhost` + base + `/callback/passkey" method="post" data-options-url="http://localhost` + base + `/webauthn-options/passkey" data-csrf-url="http://localhost` + base + `/csrf">`,
				`<input type="hidden" name="callbackUrl" value="http://localhost/account">`,
				`<label for="input-email-for-passkey-provider">Email</label>`,
				`<button id="submitButton-passkey" type="submit">Sign in with Passkey</button>`,
				`<form action="http://localhost` + base + `/callback/credentials" method="post">`,
			} {
				if !strings.Contains(page, want) {
					t.Errorf("the sign-in page lacks %s", want)
				}
			}
			scripts := pageScriptRE.FindAllStringSubmatch(page, -1)
			if len(scripts) != 1 {
				t.Fatalf("the sign-in page has %d scripts, want 1", len(scripts))
			}
			sum := sha256.Sum256([]byte(scripts[0][1]))
			hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
			csp := map[string][]string{}
			for d := range strings.SplitSeq(res.Header.Get("Content-Security-Policy"), ";") {
				if f := strings.Fields(d); len(f) > 0 {
					csp[f[0]] = f[1:]
				}
			}
			if !slices.Equal(csp["script-src"], []string{hash}) {
				t.Errorf("script-src %q, want only the page's script %s", csp["script-src"], hash)
			}
			if !slices.Equal(csp["connect-src"], []string{"'self'"}) || !slices.Equal(csp["default-src"], []string{"'none'"}) ||
				!slices.Equal(csp["frame-ancestors"], []string{"'none'"}) || !slices.Equal(csp["base-uri"], []string{"'none'"}) {
				t.Errorf("policy %v", csp)
			}

			for _, path := range []string{"/signout", "/error?error=WebAuthnVerificationError", "/verify-request", "/error"} {
				res, page := getPage(t, h, base+path)
				if strings.Contains(page, "<script") || strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src") ||
					strings.Contains(res.Header.Get("Content-Security-Policy"), "connect-src") {
					t.Errorf("%s carries or allows a script: %s", path, res.Header.Get("Content-Security-Policy"))
				}
			}
		})
	}
}

// TestSignInPageWithoutPasskey: without a passkey provider the sign-in
// page has no script and the strict policy of the other pages.
func TestSignInPageWithoutPasskey(t *testing.T) {
	h := pageServer(t, "/api/auth", pagePassword)
	res, page := getPage(t, h, "/api/auth/signin")
	if strings.Contains(page, "<script") || strings.Contains(page, "data-options-url") {
		t.Error("the sign-in page without a passkey provider carries the passkey script or form")
	}
	csp := res.Header.Get("Content-Security-Policy")
	if csp != "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'" {
		t.Errorf("policy %q, want the pages' strict one", csp)
	}
}
