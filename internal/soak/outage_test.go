package soak_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/internal/oidctest"
	"github.com/ginauth/ginauth/providers"
)

// outageSite is ginauth signing in through an OpenID provider that the
// test stops and starts again on the same port.
type outageSite struct {
	origin string
	port   int // the provider's
	issuer string
}

// browser is a cookie-keeping client that does not follow redirects.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// begin starts a sign-in with the provider: the authorization URL.
func (s *outageSite) begin(t *testing.T, c *http.Client) (*url.URL, error) {
	res, err := c.Get(s.origin + "/api/auth/csrf")
	if err != nil {
		return nil, err
	}
	var b struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&b)
	res.Body.Close()
	res, err = c.PostForm(s.origin+"/api/auth/signin/oidc", url.Values{"csrfToken": {b.CsrfToken}, "callbackUrl": {s.origin + "/dashboard"}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	return loc, nil
}

// finish delivers the provider's redirect to the callback and reports
// where it sent the browser and whether a session came of it.
func (s *outageSite) finish(t *testing.T, c *http.Client, cb *url.URL) (status int, location, user string) {
	t.Helper()
	res, err := c.Get(cb.String())
	if err != nil {
		t.Fatalf("callback: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	s2, err := c.Get(s.origin + "/api/auth/session")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Body.Close()
	b, _ := io.ReadAll(s2.Body)
	name, _ := sessionName(b)
	return res.StatusCode, res.Header.Get("Location"), name
}

// TestSoakProviderOutage stops the OpenID provider between the
// authorization and the callbacks of sign-ins in flight, and starts it
// again on the same address: the callbacks made while it is down, and
// those carrying the codes of the stopped provider, fail cleanly (the
// sign-in page with OAuthCallbackError, no session, no 5xx, no panic),
// sign-ins started during the outage fail as cleanly, sessions made before
// still read, and sign-ins work again once the provider is back.
func TestSoakProviderOutage(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &outageSite{origin: "http://" + ln.Addr().String()}
	opLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = opLn.Addr().(*net.TCPAddr).Port
	opLn.Close()
	s.issuer = "http://127.0.0.1:" + fmt.Sprint(s.port)
	opts := oidctest.Options{Port: s.port, RedirectURIs: []string{s.origin + "/api/auth/callback/oidc"}, RequirePKCE: true}

	var panics, errLogs atomic.Int64
	logs := &oidctest.SyncBuffer{}
	auth, err := ginauth.New(ginauth.Config{
		Secret: oldSecret, URL: s.origin,
		Providers: []providers.Provider{providers.OAuth{ID: "oidc", Name: "Loopback OpenID", Issuer: s.issuer,
			ClientID: "ginauth-test", ClientSecret: "ginauth-test-secret"}},
		Logger: slog.New(countingHandler{slog.NewTextHandler(logs, nil), &errLogs}),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) {
		panics.Add(1)
		c.AbortWithStatus(http.StatusInternalServerError)
	}))
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/dashboard", auth.RequireAuth(), func(c *gin.Context) {
		sess, _ := ginauth.Session(c)
		c.String(http.StatusOK, "hello "+sess.User.Name)
	})
	srv := httptest.NewUnstartedServer(r)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	const inFlight = 8
	var signedIn []*http.Client
	type pending struct {
		c  *http.Client
		cb *url.URL
	}
	var held []pending

	// The provider up: sign-ins succeed; then sign-ins reach the provider
	// and come back with a code, but their callbacks wait. The provider
	// stops when the subtest ends.
	t.Run("provider up", func(t *testing.T) {
		op := oidctest.Start(t, opts)
		if op.Issuer() != s.issuer {
			t.Fatalf("provider at %s, want %s", op.Issuer(), s.issuer)
		}
		for i := range 4 {
			c := browser()
			authURL, err := s.begin(t, c)
			if err != nil {
				t.Fatal(err)
			}
			cb := op.Login(t, c, authURL.String(), "alice")
			status, loc, user := s.finish(t, c, cb)
			if status != http.StatusFound || loc != s.origin+"/dashboard" || user != "Alice Liddell" {
				t.Fatalf("sign-in %d: %d to %q as %q", i, status, loc, user)
			}
			signedIn = append(signedIn, c)
		}
		for range inFlight {
			c := browser()
			authURL, err := s.begin(t, c)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, pending{c, op.Login(t, c, authURL.String(), "alice")})
		}
	})
	if t.Failed() {
		return
	}
	if len(held) != inFlight {
		t.Skip("the provider did not start (see the subtest above)")
	}

	clean := func(t *testing.T, what string, status int, loc, user string) {
		t.Helper()
		if status != http.StatusFound || user != "" ||
			(loc != s.origin+"/api/auth/signin?error=OAuthCallbackError" && loc != s.origin+"/api/auth/error?error=Configuration") {
			t.Errorf("%s: %d to %q, session %q; want a redirect to the sign-in or error page and no session", what, status, loc, user)
		}
		t.Logf("%s: %d to %s", what, status, strings.TrimPrefix(loc, s.origin))
	}
	// The provider down: the held callbacks fail cleanly, a new sign-in
	// fails cleanly or goes to the provider (whose discovery document is
	// kept), and the sessions made before are still good.
	t.Run("provider down", func(t *testing.T) {
		for i, p := range held[:inFlight/2] {
			status, loc, user := s.finish(t, p.c, p.cb)
			clean(t, fmt.Sprintf("held callback %d", i), status, loc, user)
		}
		c := browser()
		authURL, err := s.begin(t, c)
		t.Logf("a sign-in while the provider is down: %v, %v", authURL, err)
		switch {
		case err != nil && !strings.Contains(err.Error(), "error=Configuration"):
			t.Errorf("a sign-in while the provider is down: %v", err)
		case err == nil && !strings.HasPrefix(authURL.String(), s.issuer+"/"):
			t.Errorf("a sign-in while the provider is down went to %s", authURL)
		}
		for i, c := range signedIn {
			res, err := c.Get(s.origin + "/dashboard")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || string(b) != "hello Alice Liddell" {
				t.Errorf("session %d while the provider is down: %d %q", i, res.StatusCode, b)
			}
		}
	})

	// The provider back, with new keys and no memory of its codes: the
	// remaining held callbacks fail cleanly, and new sign-ins succeed.
	t.Run("provider back", func(t *testing.T) {
		op := oidctest.Start(t, opts)
		for i, p := range held[inFlight/2:] {
			status, loc, user := s.finish(t, p.c, p.cb)
			clean(t, fmt.Sprintf("held callback %d after the restart", i), status, loc, user)
		}
		for i := range 4 {
			c := browser()
			authURL, err := s.begin(t, c)
			if err != nil {
				t.Fatal(err)
			}
			cb := op.Login(t, c, authURL.String(), "bob")
			status, loc, user := s.finish(t, c, cb)
			if status != http.StatusFound || loc != s.origin+"/dashboard" || user != "Bob Builder" {
				t.Errorf("sign-in %d after the restart: %d to %q as %q", i, status, loc, user)
			}
		}
	})
	if n := panics.Load(); n > 0 {
		t.Errorf("%d panics", n)
	}
	// The provider's failures are logged as errors, one per failed call.
	t.Logf("ginauth logged %d errors during the outage", errLogs.Load())
	if t.Failed() {
		t.Logf("ginauth's log:\n%s", logs.String())
	}
}
