package ginauth_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/oidctest"
	"github.com/ginauth/ginauth/internal/webauthntest"
)

// authjsPasskeyClient is a browser of the Auth.js application of
// testdata/authjs with its Passkey provider, reached as localhost (its
// relying party id is the request's host).
type authjsPasskeyClient struct {
	t      *testing.T
	origin string
	client *http.Client
}

func (c *authjsPasskeyClient) do(method, path string, form url.Values, header ...string) response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.origin+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

// ceremony asks Auth.js for options and posts key's response, as
// next-auth/webauthn's signIn("passkey") does.
func (c *authjsPasskeyClient) ceremony(key *webauthntest.Authenticator, action, email string) response {
	c.t.Helper()
	q := url.Values{"action": {action}}
	if email != "" {
		q.Set("email", email)
	}
	r := c.do(http.MethodGet, "/api/auth/webauthn-options/passkey?"+q.Encode(), nil)
	var o struct {
		Action  string          `json:"action"`
		Options json.RawMessage `json:"options"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &o) != nil || o.Action != action {
		c.t.Fatalf("Auth.js options: %d %s", r.status, r.body)
	}
	var data string
	var err error
	if action == "register" {
		data, _, err = key.Register(o.Options, c.origin, webauthntest.Tamper{})
	} else {
		data, err = key.Assert(o.Options, c.origin, webauthntest.Tamper{})
	}
	if err != nil {
		c.t.Fatal(err)
	}
	csrf := c.do(http.MethodGet, "/api/auth/csrf", nil)
	var tok struct{ CSRFToken string }
	json.Unmarshal([]byte(csrf.body), &tok)
	form := url.Values{"action": {action}, "data": {data}, "csrfToken": {tok.CSRFToken}, "callbackUrl": {c.origin + "/"}}
	if email != "" {
		form.Set("email", email)
	}
	return c.do(http.MethodPost, "/api/auth/callback/passkey", form, "X-Auth-Return-Redirect", "1")
}

func (c *authjsPasskeyClient) sessionEmail() string {
	c.t.Helper()
	r := c.do(http.MethodGet, "/api/auth/session", nil)
	var s struct{ User struct{ Email string } }
	json.Unmarshal([]byte(r.body), &s)
	return s.User.Email
}

// TestPasskeyAuthJSSharedStore: ginauth and a real Auth.js application
// (@auth/core's Passkey provider over @auth/unstorage-adapter) share one
// Redis store: a passkey registered on either signs in on the other, as
// the same user, and each moves the signature counter the other checks.
func TestPasskeyAuthJSSharedStore(t *testing.T) {
	node := authjsNode(t)
	be := redisBackend(t)
	ln := listenLoopback(t)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{"http://localhost:" + port + "/api/auth/callback/" + dbProvider}})
	startAuthJS(t, node, ln, op, append(be.env, "PASSKEY=1"))
	js := &authjsPasskeyClient{t: t, origin: "http://localhost:" + port, client: newClient(t)}
	g := newPasskeyApp(t, be.store, nil)
	wa := be.store.(authjs.WebAuthnAdapter)
	counter := func(key *webauthntest.Authenticator) int64 {
		t.Helper()
		a, err := wa.GetAuthenticator(t.Context(), base64.StdEncoding.EncodeToString(key.Credentials()[0].ID))
		if err != nil {
			t.Fatalf("the passkey is not in the store: %v", err)
		}
		return a.Counter
	}

	t.Run("registered on Auth.js, signs in on ginauth", func(t *testing.T) {
		defer g.use(t)()
		js.t = t
		key := &webauthntest.Authenticator{CounterStep: 1}
		wantURL(t, js.ceremony(key, "register", "js@example.com"), js.origin+"/")
		if got := js.sessionEmail(); got != "js@example.com" {
			t.Fatalf("Auth.js session: %q", got)
		}
		g.newBrowser()
		wantURL(t, g.authenticate(key, webauthntest.Tamper{}), g.origin+"/account")
		if got := g.sessionEmail(); got != "js@example.com" {
			t.Fatalf("ginauth session: %q", got)
		}
		if n := be.usersWithEmail(t, "js@example.com"); n != 1 {
			t.Errorf("%d users with the address", n)
		}
		if c := counter(key); c != 1 {
			t.Errorf("counter %d after ginauth's sign-in", c)
		}
		// Auth.js checks the counter ginauth wrote.
		js.client = newClient(t)
		wantURL(t, js.ceremony(key, "authenticate", ""), js.origin+"/")
		if c := counter(key); c != 2 {
			t.Errorf("counter %d after Auth.js's sign-in", c)
		}
	})

	t.Run("registered on ginauth, signs in on Auth.js", func(t *testing.T) {
		defer g.use(t)()
		js.t = t
		g.newBrowser()
		key := &webauthntest.Authenticator{CounterStep: 1}
		wantURL(t, g.register(key, "go@example.com", webauthntest.Tamper{}), g.origin+"/account")
		js.client = newClient(t)
		wantURL(t, js.ceremony(key, "authenticate", ""), js.origin+"/")
		if got := js.sessionEmail(); got != "go@example.com" {
			t.Fatalf("Auth.js session: %q", got)
		}
		if c := counter(key); c != 1 {
			t.Errorf("counter %d after Auth.js's sign-in", c)
		}
		// ginauth checks the counter Auth.js wrote.
		g.newBrowser()
		wantURL(t, g.authenticate(key, webauthntest.Tamper{}), g.origin+"/account")
		if c := counter(key); c != 2 {
			t.Errorf("counter %d after ginauth's sign-in", c)
		}
	})
}
