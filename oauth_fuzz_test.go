package ginauth_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/providers"
)

// FuzzOAuthCallback sends arbitrary callbacks (query, cookies, body) to an
// OpenID Connect provider's callback endpoint: the answer is never a 5xx
// and never a session. The issuer is unreachable, so a callback that passes
// every check fails at the token exchange without leaving the machine.
func FuzzOAuthCallback(f *testing.F) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	auth, err := ginauth.New(ginauth.Config{Secret: oauthSecret, URL: "http://localhost:3000", Logger: discardLogger(),
		Providers: []providers.Provider{providers.OAuth{ID: "corp", Name: "Corp", Issuer: dead, ClientID: "c",
			Checks: providers.CheckPKCE | providers.CheckState | providers.CheckNonce}}})
	if err != nil {
		f.Fatal(err)
	}
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)

	names := dialect.V5.Names(false)
	sealer, _ := checks.New(dialect.V5, []string{oauthSecret}, names, nil)
	var jar []string
	for _, k := range []checks.Kind{checks.PKCE, checks.State, checks.Nonce} {
		ck, _ := sealer.Seal(k, "corp", "s1")
		jar = append(jar, ck.Name+"="+ck.Value)
	}
	good := strings.Join(jar, "; ")
	f.Add("code=abc&state=s1", good, "", false)
	f.Add("error=access_denied&error_description=no", good, "", false)
	f.Add("", good, "code=abc&state=s1", true)
	f.Add("code=abc&state=s1", names.State+"=x.y.z.w.v", "", false)
	f.Add("state=%ZZ&code", "", "", false)
	f.Add("", "", `{"code":"abc"}`, true)

	f.Fuzz(func(t *testing.T, query, cookie, body string, post bool) {
		method, ctype := http.MethodGet, ""
		if post {
			method, ctype = http.MethodPost, "application/x-www-form-urlencoded"
			if strings.HasPrefix(body, "{") {
				ctype = "application/json"
			}
		}
		req := httptest.NewRequest(method, "http://localhost:3000/api/auth/callback/corp", strings.NewReader(body))
		req.URL.RawQuery = query
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for query %q cookie %q body %q", w.Code, query, cookie, body)
		}
		for _, sc := range w.Header().Values("Set-Cookie") {
			if strings.HasPrefix(sc, names.Session) && !strings.Contains(sc, "Max-Age=0") {
				t.Fatalf("session set for query %q cookie %q body %q", query, cookie, body)
			}
		}
	})
}
