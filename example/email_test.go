package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/email"
	"github.com/ginauth/ginauth/internal/oidctest"
)

// TestEmailSenderFromEnv checks which sender the environment selects.
func TestEmailSenderFromEnv(t *testing.T) {
	privateCA := &tls.Config{ServerName: "relay.internal"}
	type want struct {
		kind     string // "off", "dev" or "smtp"
		host     string
		port     int
		mode     email.TLSMode
		user, pw string
		from     string
		cleartxt bool
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		appURL  string
		tls     *tls.Config
		want    want
		wantErr string // a part of the error
	}{
		// Without EMAIL_SERVER: the development sender on a loopback
		// origin, nothing elsewhere.
		{name: "localhost", appURL: "http://localhost:8080", want: want{kind: "dev"}},
		{name: "LOCALHOST", appURL: "http://LOCALHOST:8080", want: want{kind: "dev"}},
		{name: "127.0.0.1", appURL: "http://127.0.0.1:8080", want: want{kind: "dev"}},
		{name: "127.0.0.2", appURL: "http://127.0.0.2", want: want{kind: "dev"}},
		{name: "::1", appURL: "http://[::1]:8080", want: want{kind: "dev"}},
		{name: "https localhost", appURL: "https://localhost", want: want{kind: "dev"}},
		{name: "public origin", appURL: "https://app.example.com", want: want{kind: "off"}},
		{name: "private address", appURL: "http://10.0.0.5:8080", want: want{kind: "off"}},
		{name: "unspecified address", appURL: "http://0.0.0.0:8080", want: want{kind: "off"}},
		{name: "localhost look-alike", appURL: "http://localhost.example.com:8080", want: want{kind: "off"}},
		{name: "loopback name resolving anywhere", appURL: "http://127.0.0.1.nip.io", want: want{kind: "off"}},
		{name: "loopback as user info", appURL: "http://localhost@app.example.com", want: want{kind: "off"}},
		{name: "unparsable origin", appURL: "http://[::1", want: want{kind: "off"}},
		{name: "insecure false without a server", env: map[string]string{"EMAIL_INSECURE_PLAINTEXT": "false"}, appURL: "http://localhost:8080", want: want{kind: "dev"}},

		// EMAIL_SERVER, whatever the origin.
		{
			name:   "smtp with credentials",
			env:    map[string]string{"EMAIL_SERVER": "smtp://mailer:p%40ss%3Aword@smtp.example.com:2525", "EMAIL_FROM": "Example <no-reply@example.com>"},
			appURL: "https://app.example.com",
			want:   want{kind: "smtp", host: "smtp.example.com", port: 2525, mode: email.StartTLS, user: "mailer", pw: "p@ss:word", from: "Example <no-reply@example.com>"},
		},
		{
			name:   "smtp default port without credentials",
			env:    map[string]string{"EMAIL_SERVER": "smtp://smtp.example.com", "EMAIL_FROM": "no-reply@example.com"},
			appURL: "http://localhost:8080",
			want:   want{kind: "smtp", host: "smtp.example.com", port: 587, mode: email.StartTLS, from: "no-reply@example.com"},
		},
		{
			name:   "smtps",
			env:    map[string]string{"EMAIL_SERVER": "smtps://mailer:secret@smtp.example.com", "EMAIL_FROM": "no-reply@example.com"},
			appURL: "https://app.example.com",
			want:   want{kind: "smtp", host: "smtp.example.com", port: 465, mode: email.ImplicitTLS, user: "mailer", pw: "secret", from: "no-reply@example.com"},
		},
		{
			name:   "insecure plain text to a loopback relay",
			env:    map[string]string{"EMAIL_SERVER": "smtp://localhost:1025", "EMAIL_FROM": "no-reply@example.com", "EMAIL_INSECURE_PLAINTEXT": "1"},
			appURL: "http://localhost:8080",
			want:   want{kind: "smtp", host: "localhost", port: 1025, mode: email.InsecurePlainText, from: "no-reply@example.com"},
		},
		{
			name:   "insecure plain text with credentials to a loopback relay",
			env:    map[string]string{"EMAIL_SERVER": "smtp://dev:dev@127.0.0.1:1025", "EMAIL_FROM": "no-reply@example.com", "EMAIL_INSECURE_PLAINTEXT": "true"},
			appURL: "http://localhost:8080",
			want:   want{kind: "smtp", host: "127.0.0.1", port: 1025, mode: email.InsecurePlainText, user: "dev", pw: "dev", from: "no-reply@example.com", cleartxt: true},
		},
		{
			name:   "insecure plain text off",
			env:    map[string]string{"EMAIL_SERVER": "smtp://localhost:1025", "EMAIL_FROM": "no-reply@example.com", "EMAIL_INSECURE_PLAINTEXT": "0"},
			appURL: "http://localhost:8080",
			want:   want{kind: "smtp", host: "localhost", port: 1025, mode: email.StartTLS, from: "no-reply@example.com"},
		},
		{
			name:   "a private CA",
			env:    map[string]string{"EMAIL_SERVER": "smtp://relay.internal", "EMAIL_FROM": "no-reply@example.com"},
			appURL: "https://app.example.com",
			tls:    privateCA,
			want:   want{kind: "smtp", host: "relay.internal", port: 587, mode: email.StartTLS, from: "no-reply@example.com"},
		},

		// Refused configurations.
		{name: "no EMAIL_FROM", env: map[string]string{"EMAIL_SERVER": "smtp://smtp.example.com"}, appURL: "http://localhost:8080", wantErr: "EMAIL_SERVER is set but EMAIL_FROM is not"},
		{name: "not an smtp URL", env: map[string]string{"EMAIL_SERVER": "https://smtp.example.com", "EMAIL_FROM": "a@example.com"}, wantErr: `scheme "https" is not smtp or smtps`},
		{name: "host without scheme", env: map[string]string{"EMAIL_SERVER": "smtp.example.com:587", "EMAIL_FROM": "a@example.com"}, wantErr: "EMAIL_SERVER or EMAIL_FROM"},
		{name: "EMAIL_FROM not an address", env: map[string]string{"EMAIL_SERVER": "smtp://smtp.example.com", "EMAIL_FROM": "no reply"}, wantErr: "From"},
		{name: "EMAIL_FROM two addresses", env: map[string]string{"EMAIL_SERVER": "smtp://smtp.example.com", "EMAIL_FROM": "a@example.com, b@example.com"}, wantErr: "From"},
		{name: "bad port, password kept out", env: map[string]string{"EMAIL_SERVER": "smtp://mailer:hunter2-secret@smtp.example.com:99999", "EMAIL_FROM": "a@example.com"}, wantErr: "port"},
		{name: "bad insecure value", env: map[string]string{"EMAIL_SERVER": "smtp://localhost:1025", "EMAIL_FROM": "a@example.com", "EMAIL_INSECURE_PLAINTEXT": "yes please"}, wantErr: "EMAIL_INSECURE_PLAINTEXT"},
		{name: "insecure without a server", env: map[string]string{"EMAIL_INSECURE_PLAINTEXT": "1"}, appURL: "http://localhost:8080", wantErr: "EMAIL_SERVER is not"},
		{name: "insecure to a remote relay", env: map[string]string{"EMAIL_SERVER": "smtp://mailer:pw@smtp.example.com:25", "EMAIL_FROM": "a@example.com", "EMAIL_INSECURE_PLAINTEXT": "1"}, wantErr: "only for a relay on the loopback interface"},
		{name: "insecure to a look-alike relay", env: map[string]string{"EMAIL_SERVER": "smtp://localhost.example.com:1025", "EMAIL_FROM": "a@example.com", "EMAIL_INSECURE_PLAINTEXT": "1"}, wantErr: "only for a relay on the loopback interface"},
		{name: "insecure with smtps", env: map[string]string{"EMAIL_SERVER": "smtps://localhost:1025", "EMAIL_FROM": "a@example.com", "EMAIL_INSECURE_PLAINTEXT": "1"}, wantErr: "contradicts an smtps://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dev bytes.Buffer
			got, err := emailSender(func(k string) string { return tc.env[k] }, tc.appURL, tc.tls, &dev)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				if pw := "hunter2-secret"; strings.Contains(err.Error(), pw) {
					t.Errorf("the error repeats the password: %v", err)
				}
				if got.Sender != nil {
					t.Errorf("a sender along with the error: %#v", got.Sender)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch tc.want.kind {
			case "off":
				if got.Sender != nil || got.SMTP != nil || got.Development {
					t.Errorf("got %+v, want email sign-in off", got)
				}
			case "dev":
				l, ok := got.Sender.(email.Log)
				if !ok || !got.Development || got.SMTP != nil {
					t.Fatalf("got %+v, want the development sender", got)
				}
				if l.Writer != &dev || l.Logger != nil {
					t.Errorf("the development sender writes to %v, not the given writer", l.Writer)
				}
			case "smtp":
				s := got.SMTP
				if s == nil || got.Development || got.Sender != s {
					t.Fatalf("got %+v, want the SMTP sender", got)
				}
				w := tc.want
				if s.Host != w.host || s.Port != w.port || s.TLS != w.mode || s.Username != w.user || s.Password != w.pw || s.From != w.from || s.InsecureAllowCleartextAuth != w.cleartxt {
					t.Errorf("got %s (clear-text auth %t), want %+v", s, s.InsecureAllowCleartextAuth, w)
				}
				if s.TLSConfig != tc.tls {
					t.Errorf("TLSConfig %p, want %p", s.TLSConfig, tc.tls)
				}
			}
		})
	}
}

// TestEmailStartMessage checks what the example says at start about email
// sign-in, and that it never logs the SMTP password.
func TestEmailStartMessage(t *testing.T) {
	const pw = "s3cret-Pa55"
	for _, tc := range []struct {
		name  string
		env   map[string]string
		url   string
		level string
		says  []string
	}{
		{
			name: "development sender", url: "http://localhost:8080", level: "WARN",
			says: []string{"development sender", "printed in this terminal, not sent", "anyone who reads this output can sign in as any address", "set EMAIL_SERVER and EMAIL_FROM"},
		},
		{
			name: "off", url: "https://app.example.com", level: "INFO",
			says: []string{"email sign-in is off", "not a loopback origin", "set EMAIL_SERVER and EMAIL_FROM"},
		},
		{
			name: "smtp", url: "https://app.example.com", level: "INFO",
			env:  map[string]string{"EMAIL_SERVER": "smtps://mailer:" + pw + "@smtp.example.com", "EMAIL_FROM": "no-reply@example.com"},
			says: []string{"email sign-in", "smtp.host=smtp.example.com", "smtp.port=465", "smtp.tls=ImplicitTLS", "smtp.auth=true"},
		},
		{
			name: "clear text", url: "http://localhost:8080", level: "WARN",
			env:  map[string]string{"EMAIL_SERVER": "smtp://mailer:" + pw + "@localhost:1025", "EMAIL_FROM": "no-reply@example.com", "EMAIL_INSECURE_PLAINTEXT": "1"},
			says: []string{"clear text", "EMAIL_INSECURE_PLAINTEXT", "for development only", "smtp.tls=InsecurePlainText"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := emailSender(func(k string) string { return tc.env[k] }, tc.url, nil, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			logEmail(slog.New(slog.NewTextHandler(&buf, nil)), e)
			out := buf.String()
			if strings.Count(out, "\n") != 1 || !strings.Contains(out, "level="+tc.level+" ") {
				t.Errorf("want one line at %s: %s", tc.level, out)
			}
			for _, s := range tc.says {
				if !strings.Contains(out, s) {
					t.Errorf("the start message does not say %q: %s", s, out)
				}
			}
			if strings.Contains(out, pw) || strings.Contains(out, "mailer") {
				t.Errorf("the start message shows the credentials: %s", out)
			}
		})
	}
}

// mailClock is a clock the test moves.
type mailClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *mailClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *mailClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// emailApp is the example served with email sign-in, and a browser.
type emailApp struct {
	t      *testing.T
	srv    *httptest.Server
	mode   ginauth.Mode
	d      *demo
	client *http.Client
}

func startEmailApp(t *testing.T, mode ginauth.Mode, strategy ginauth.Strategy, setup func(appURL string) emailSetup, now func() time.Time) *emailApp {
	t.Helper()
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	auth, d, err := newAuth(t.Context(), settings{URL: srv.URL, Secret: devSecret, Mode: mode, Strategy: strategy, Store: testStore(t).Adapter,
		Logger: slog.New(slog.DiscardHandler), Email: setup(srv.URL), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = newRouter(auth, d)
	return &emailApp{t: t, srv: srv, mode: mode, d: d, client: newBrowser()}
}

// newBrowser is a client with its own cookie jar that does not follow
// redirects.
func newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches a path of the app or an absolute URL.
func (a *emailApp) get(c *http.Client, target string) (int, string, string) {
	a.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = a.srv.URL + target
	}
	res, err := c.Get(target)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

// requestLink submits the sign-in page's email form for addr.
func (a *emailApp) requestLink(c *http.Client, addr, callback string) (int, string) {
	a.t.Helper()
	_, _, body := a.get(c, "/api/auth/csrf")
	var csrf struct{ CSRFToken string }
	if err := json.Unmarshal([]byte(body), &csrf); err != nil || csrf.CSRFToken == "" {
		a.t.Fatalf("/api/auth/csrf: %s", body)
	}
	res, err := c.PostForm(a.srv.URL+"/api/auth/signin/email", url.Values{"email": {addr}, "csrfToken": {csrf.CSRFToken}, "callbackUrl": {callback}})
	if err != nil {
		a.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Location")
}

// sessionCookie is the dialect's session cookie on a plain-HTTP origin.
func (a *emailApp) sessionCookie() string {
	if a.mode == ginauth.ModeV4 {
		return "next-auth.session-token"
	}
	return "authjs.session-token"
}

// hasSession reports whether c holds a session cookie for the app.
func (a *emailApp) hasSession(c *http.Client) bool {
	u, _ := url.Parse(a.srv.URL)
	return slices.ContainsFunc(c.Jar.Cookies(u), func(k *http.Cookie) bool { return k.Name == a.sessionCookie() })
}

// me returns /api/me's user, or nil when signed out.
func (a *emailApp) me(c *http.Client) map[string]any {
	a.t.Helper()
	code, _, body := a.get(c, "/api/me")
	if code == http.StatusUnauthorized {
		return nil
	}
	var s struct{ User map[string]any }
	if err := json.Unmarshal([]byte(body), &s); code != http.StatusOK || err != nil {
		a.t.Fatalf("/api/me: %d %s", code, body)
	}
	return s.User
}

var hexToken = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestExampleEmailSMTP signs in to the example with links that go through
// a real SMTP server on loopback, reached as EMAIL_SERVER names it, over
// STARTTLS with AUTH PLAIN, in both dialects and with both session
// strategies.
func TestExampleEmailSMTP(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		for _, strategy := range []ginauth.Strategy{ginauth.StrategyJWT, ginauth.StrategyDatabase} {
			t.Run(mode.String()+"/"+strategy.String(), func(t *testing.T) { exampleEmailSMTP(t, mode, strategy) })
		}
	}
}

func exampleEmailSMTP(t *testing.T, mode ginauth.Mode, strategy ginauth.Strategy) {
	// A password that needs URL encoding in EMAIL_SERVER.
	user, pw := "mailer", "p@ss:/"+rand.Text()
	mb := startMailbox(t, user, pw)
	server := (&url.URL{Scheme: "smtp", User: url.UserPassword(user, pw), Host: "127.0.0.1:" + strconv.Itoa(mb.port)}).String()
	env := map[string]string{"EMAIL_SERVER": server, "EMAIL_FROM": "Example Sign-in <no-reply@example.org>"}
	clock := &mailClock{now: time.Now()}
	var setupErr error
	app := startEmailApp(t, mode, strategy, func(appURL string) emailSetup {
		var e emailSetup
		e, setupErr = emailSender(func(k string) string { return env[k] }, appURL, mb.tlsConfig(), io.Discard)
		return e
	}, clock.Now)
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	verify := app.srv.URL + "/api/auth/verify-request?provider=email&type=email"

	// The sign-in page offers the email form.
	if _, _, page := app.get(app.client, "/api/auth/signin"); !strings.Contains(page, `name="email" type="email"`) ||
		!strings.Contains(page, "Sign in with Email") || strings.Contains(page, "printed in the server's terminal") {
		t.Errorf("the sign-in page's email form:\n%s", page)
	}

	// linkFor asks for a link for the address typed, addr once
	// normalized, and returns the message that brought it.
	linkFor := func(typed, addr string) (*signInMail, string) {
		t.Helper()
		before := len(mb.received())
		if code, loc := app.requestLink(newBrowser(), typed, "/account"); code != http.StatusFound || loc != verify {
			t.Fatalf("sign-in request for %s: %d %s, want 302 %s", addr, code, loc, verify)
		}
		msgs := mb.received()
		if len(msgs) != before+1 {
			t.Fatalf("%d messages arrived for %s, want 1", len(msgs)-before, addr)
		}
		got := msgs[len(msgs)-1]
		if !got.TLS || got.Authn != user || got.From != "no-reply@example.org" || !slices.Equal(got.To, []string{addr}) {
			t.Errorf("envelope: TLS %t, AUTH as %q, from %q to %v", got.TLS, got.Authn, got.From, got.To)
		}
		m, err := parseSignInMail(got.Data)
		if err != nil {
			t.Fatalf("the message for %s: %v\n%s", addr, err, got.Data)
		}
		return m, m.TextLink
	}

	m, link := linkFor(" Alice@Example.ORG", "alice@example.org")
	if mb.refusals() != 0 {
		t.Errorf("the server refused %d commands: the sender did not STARTTLS and AUTH first", mb.refusals())
	}
	if got := m.Header.Get("To"); !strings.Contains(got, "alice@example.org") {
		t.Errorf("To: %q", got)
	}
	if got := m.Header.Get("From"); got != `"Example Sign-in" <no-reply@example.org>` && got != "Example Sign-in <no-reply@example.org>" {
		t.Errorf("From: %q", got)
	}
	host := strings.TrimPrefix(app.srv.URL, "http://")
	if m.Subject != "Sign in to "+host {
		t.Errorf("Subject %q", m.Subject)
	}
	// The link: on the configured origin, in Auth.js's order, the same in
	// the text, the button and the visible copy.
	u, err := url.Parse(link)
	if err != nil || u.Scheme+"://"+u.Host != app.srv.URL || u.Path != "/api/auth/callback/email" {
		t.Fatalf("link %q", link)
	}
	if !strings.HasPrefix(u.RawQuery, "callbackUrl=") || !strings.Contains(u.RawQuery, "&token=") || !strings.HasSuffix(u.RawQuery, "&email=alice%40example.org") {
		t.Errorf("link query %q, want callbackUrl, token, email in order", u.RawQuery)
	}
	q := u.Query()
	if q.Get("callbackUrl") != app.srv.URL+"/account" || q.Get("email") != "alice@example.org" || !hexToken.MatchString(q.Get("token")) {
		t.Errorf("link query %v", q)
	}
	if m.HTMLLink != link || len(m.Hrefs) != 2 || m.Hrefs[0] != link || m.Hrefs[1] != link {
		t.Errorf("the HTML part's links %q (button %q), want the text part's %q twice", m.Hrefs, m.HTMLLink, link)
	}
	for _, s := range []string{"ginauth example", "#0f766e", "Sign in to"} {
		if !strings.Contains(m.HTML, s) {
			t.Errorf("the HTML part lacks %q", s)
		}
	}
	if !strings.Contains(m.Text, "\n"+link+"\n") || !strings.Contains(m.Text, "can be used once") {
		t.Errorf("the text part:\n%s", m.Text)
	}

	// The link signs in, once, as the demo account with that address.
	browser := newBrowser()
	if code, loc, _ := app.get(browser, link); code != http.StatusFound || loc != app.srv.URL+"/account" {
		t.Fatalf("opening the link: %d %s, want 302 /account", code, loc)
	}
	if code, _, page := app.get(browser, "/account"); code != http.StatusOK || !strings.Contains(page, `<strong id="user-name">Alice Liddell</strong>`) {
		t.Errorf("/account after the link: %d %s", code, page)
	}
	if me := app.me(browser); me == nil || me["email"] != "alice@example.org" || me["id"] != app.d.byLogin["alice"].user.ID || me["role"] != "admin" {
		t.Errorf("/api/me after the link: %v, want the demo account alice", me)
	}
	// A second use fails and signs no one in, in another browser as in
	// the same one.
	for _, c := range []*http.Client{newBrowser(), browser} {
		signedIn := app.hasSession(c)
		code, loc, _ := app.get(c, link)
		if code != http.StatusFound || loc != app.srv.URL+"/api/auth/error?error=Verification" {
			t.Errorf("second use: %d %s, want the Verification error", code, loc)
		}
		if !signedIn && app.hasSession(c) {
			t.Error("the second use set a session cookie")
		}
	}

	// A link whose address was changed to another's signs no one in; the
	// genuine one still works.
	_, bobLink := linkFor("bob@example.org", "bob@example.org")
	forged := strings.Replace(bobLink, "email=bob%40example.org", "email=alice%40example.org", 1)
	if forged == bobLink {
		t.Fatalf("bob's link %q", bobLink)
	}
	other := newBrowser()
	if code, loc, _ := app.get(other, forged); code != http.StatusFound || !strings.HasSuffix(loc, "/api/auth/error?error=Verification") || app.me(other) != nil {
		t.Errorf("bob's token with alice's address: %d %s", code, loc)
	}
	if code, loc, _ := app.get(other, bobLink); code != http.StatusFound || loc != app.srv.URL+"/account" {
		t.Errorf("bob's link: %d %s", code, loc)
	}
	if me := app.me(other); me == nil || me["name"] != "Bob Builder" || me["role"] != "user" {
		t.Errorf("/api/me after bob's link: %v", me)
	}

	// An address without an account becomes a verified user with no
	// demo role.
	_, carolLink := linkFor("carol@example.org", "carol@example.org")
	carol := newBrowser()
	if code, loc, _ := app.get(carol, carolLink); code != http.StatusFound || loc != app.srv.URL+"/account" {
		t.Errorf("carol's link: %d %s", code, loc)
	}
	if me := app.me(carol); me == nil || me["email"] != "carol@example.org" || me["role"] != nil || me["id"] == "" {
		t.Errorf("/api/me after carol's link: %v", me)
	}
	// Without a name, the pages greet the user by address.
	if code, _, page := app.get(carol, "/account"); code != http.StatusOK || !strings.Contains(page, `<strong id="user-name">carol@example.org</strong>`) {
		t.Errorf("/account for carol: %d %s", code, page)
	}
	if code, _, _ := app.get(carol, "/admin"); code != http.StatusForbidden {
		t.Errorf("/admin for carol: %d, want 403", code)
	}

	// A link that has expired (24 hours) signs no one in.
	_, daveLink := linkFor("dave@example.org", "dave@example.org")
	clock.Advance(24*time.Hour + time.Second)
	dave := newBrowser()
	if code, loc, _ := app.get(dave, daveLink); code != http.StatusFound || !strings.HasSuffix(loc, "/api/auth/error?error=Verification") || app.me(dave) != nil {
		t.Errorf("an expired link: %d %s", code, loc)
	}
}

// TestExampleEmailDevelopmentSender signs in with a link the development
// sender printed, as a developer copies it from the terminal.
func TestExampleEmailDevelopmentSender(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		t.Run(mode.String(), func(t *testing.T) {
			var terminal oidctest.SyncBuffer
			app := startEmailApp(t, mode, ginauth.StrategyJWT, func(appURL string) emailSetup {
				e, err := emailSender(func(string) string { return "" }, appURL, nil, &terminal)
				if err != nil || !e.Development {
					t.Fatalf("emailSender on %s: %+v, %v; want the development sender", appURL, e, err)
				}
				return e
			}, nil)
			if _, _, page := app.get(app.client, "/api/auth/signin"); !strings.Contains(page, "Email sign-in links are printed in the server&#39;s terminal.") {
				t.Errorf("the sign-in page does not say where the links go:\n%s", page)
			}
			if code, loc := app.requestLink(app.client, "bob@example.org", "/"); code != http.StatusFound || !strings.HasSuffix(loc, "/api/auth/verify-request?provider=email&type=email") {
				t.Fatalf("sign-in request: %d %s", code, loc)
			}
			out := terminal.String()
			links := linkPattern.FindAllString(out, -1)
			if len(links) != 1 || !strings.Contains(out, "development sender, never use in production") || !strings.Contains(out, "bob@example.org") {
				t.Fatalf("the terminal shows:\n%s", out)
			}
			if code, loc, _ := app.get(app.client, links[0]); code != http.StatusFound || loc != app.srv.URL+"/" {
				t.Fatalf("the printed link: %d %s", code, loc)
			}
			if _, _, page := app.get(app.client, "/"); !strings.Contains(page, "Signed in as <strong>Bob Builder</strong>") {
				t.Errorf("home after the link:\n%s", page)
			}
		})
	}
}

// TestExampleEmailOff checks that a deployed example without EMAIL_SERVER
// offers no email sign-in at all.
func TestExampleEmailOff(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var terminal bytes.Buffer
	app := startEmailApp(t, ginauth.ModeV5, ginauth.StrategyJWT, func(string) emailSetup {
		e, err := emailSender(func(string) string { return "" }, "https://app.example.com", nil, &terminal)
		if err != nil || e.Sender != nil {
			t.Fatalf("emailSender: %+v, %v; want none", e, err)
		}
		return e
	}, nil)
	if _, _, page := app.get(app.client, "/api/auth/signin"); strings.Contains(page, `type="email"`) || strings.Contains(page, "Email sign-in") {
		t.Errorf("the sign-in page offers email sign-in:\n%s", page)
	}
	code, loc := app.requestLink(app.client, "alice@example.org", "/")
	if code != http.StatusFound || strings.Contains(loc, "verify-request") {
		t.Errorf("sign-in request without email sign-in: %d %s", code, loc)
	}
	if terminal.Len() != 0 {
		t.Errorf("something was printed: %s", terminal.String())
	}
}

// TestExampleLogo checks the logo the pages and the emails show.
func TestExampleLogo(t *testing.T) {
	gin.SetMode(gin.TestMode)
	app := startEmailApp(t, ginauth.ModeV5, ginauth.StrategyJWT, func(string) emailSetup { return emailSetup{} }, nil)
	res, err := app.client.Get(app.srv.URL + logoPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	img, err := png.Decode(res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || err != nil {
		t.Fatalf("%s: %d %s, %v", logoPath, res.StatusCode, res.Header.Get("Content-Type"), err)
	}
	if b := img.Bounds(); b.Dx() != 96 || b.Dy() != 96 {
		t.Errorf("the logo is %v", b)
	}
	if _, _, page := app.get(app.client, "/api/auth/signin"); !strings.Contains(page, `<img class="logo" src="`+app.srv.URL+logoPath+`" alt="ginauth example">`) {
		t.Errorf("the sign-in page does not show the logo:\n%s", page)
	}
}
