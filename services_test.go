package ginauth_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/postgres"
	"github.com/ginauth/ginauth/adapters/redis"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
	"github.com/ginauth/ginauth/throttle"
	"github.com/ginauth/ginauth/throttle/redisthrottle"
)

// serviceURL returns the URL of a test server from the environment, or
// skips the test when it is not set, unless GINAUTH_REQUIRE_SERVICES=1
// (scripts/test sets it, and starts the servers) makes that a failure.
func serviceURL(t testing.TB, env string) string {
	t.Helper()
	u := os.Getenv(env)
	if u == "" {
		msg := env + " is not set (scripts/test starts the servers; by hand: source scripts/services; start_services)"
		if os.Getenv("GINAUTH_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg + "; GINAUTH_REQUIRE_SERVICES=1 requires it")
		}
		t.Skip(msg)
	}
	return u
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// storeKind opens one kind of shared store at a URL, in a namespace (a
// PostgreSQL schema, a Redis key prefix).
type storeKind struct {
	name string
	env  string
	// open opens a store in namespace ns on the server at rawURL.
	open func(ctx context.Context, rawURL, ns string) (authjs.Adapter, func(), error)
	// drop deletes namespace ns.
	drop func(t testing.TB, rawURL, ns string)
}

var storeKinds = []storeKind{
	{
		name: "postgres", env: "GINAUTH_TEST_POSTGRES_URL",
		open: func(ctx context.Context, rawURL, ns string) (authjs.Adapter, func(), error) {
			s, err := postgres.Open(ctx, rawURL, postgres.Options{Schema: ns, QueryTimeout: 2 * time.Second})
			if err != nil {
				return nil, nil, err
			}
			return s, func() { s.Close() }, nil
		},
		drop: func(t testing.TB, rawURL, ns string) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			pool, err := pgxpool.New(ctx, rawURL)
			if err != nil {
				t.Errorf("dropping schema %s: %v", ns, err)
				return
			}
			defer pool.Close()
			if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+ns+" CASCADE"); err != nil {
				t.Errorf("dropping schema %s: %v", ns, err)
			}
		},
	},
	{
		name: "redis", env: "GINAUTH_TEST_REDIS_URL",
		open: func(_ context.Context, rawURL, ns string) (authjs.Adapter, func(), error) {
			s, err := redis.Open(rawURL, redis.Options{BaseKeyPrefix: ns + ":", Timeout: 2 * time.Second})
			if err != nil {
				return nil, nil, err
			}
			return s, func() { s.Close() }, nil
		},
		drop: func(t testing.TB, rawURL, ns string) {
			o, err := goredis.ParseURL(rawURL)
			if err != nil {
				t.Error(err)
				return
			}
			c := goredis.NewClient(o)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			iter := c.Scan(ctx, 0, ns+":*", 1000).Iterator()
			for iter.Next(ctx) {
				c.Del(ctx, iter.Val())
			}
			if err := iter.Err(); err != nil {
				t.Errorf("deleting %s:*: %v", ns, err)
			}
		},
	},
}

// cutProxy forwards TCP connections to a server until it is cut: then it
// refuses new connections and breaks the open ones, as a database that
// stopped does, until it is restored on the same address.
type cutProxy struct {
	t      testing.TB
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
}

func newCutProxy(t testing.TB, target string) *cutProxy {
	p := &cutProxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *cutProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *cutProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// cut closes the listener and every open connection.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// restore listens again on the same address.
func (p *cutProxy) restore() {
	var ln net.Listener
	var err error
	for range 50 { // the port was ours a moment ago; retry a bind that races its release
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("restoring the proxy on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// viaProxy returns rawURL with its host replaced by addr.
func viaProxy(t testing.TB, rawURL, addr string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// hostOf returns the host:port a server URL names.
func hostOf(t testing.TB, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() != "" {
		return u.Host
	}
	port := "5432"
	if strings.HasPrefix(u.Scheme, "redis") {
		port = "6379"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// TestDatabaseOutage stops the real database under a running application
// (the connection to PostgreSQL or Redis is cut, then restored): protected
// routes answer 503 JSON without touching the cookie, the session
// endpoint the empty session, sign-ins the dialect's error; when the
// database is back the same session works, and none was lost.
func TestDatabaseOutage(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			rawURL := serviceURL(t, kind.env)
			proxy := newCutProxy(t, hostOf(t, rawURL))
			ns := "ginauth_outage_" + randomSuffix()
			t.Cleanup(func() { kind.drop(t, rawURL, ns) })
			store, closeStore, err := kind.open(t.Context(), viaProxy(t, rawURL, proxy.addr), ns)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(closeStore)
			a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) { c.Adapter = store })
			a.signIn("alice", "wonderland", "/")
			if got := a.get("/api/protected"); got.status != http.StatusOK {
				t.Fatalf("before the outage: %d %s", got.status, got.body)
			}
			cookie, _ := url.Parse(a.srv.URL)
			before := fmt.Sprint(a.client.Jar.Cookies(cookie))

			proxy.cut()
			if got := a.get("/api/protected"); got.status != http.StatusServiceUnavailable || got.body != `{"message":"Service Unavailable"}` || got.header.Get("Set-Cookie") != "" {
				t.Errorf("protected during the outage: %d %s (Set-Cookie %q)", got.status, got.body, got.header.Get("Set-Cookie"))
			}
			if got := a.get("/api/auth/session"); got.status != http.StatusOK || got.body != "null" || got.header.Get("Set-Cookie") != "" {
				t.Errorf("session during the outage: %d %s (Set-Cookie %q)", got.status, got.body, got.header.Get("Set-Cookie"))
			}
			b := &app{t: t, srv: a.srv, auth: a.auth, mode: ginauth.ModeV5, client: newClient(t), logs: a.logs, events: a.events}
			if res := b.signIn("bob", "builder", "/"); !strings.HasSuffix(res.header.Get("Location"), "/api/auth/error?error=Configuration") {
				t.Errorf("sign-in during the outage: %d to %q", res.status, res.header.Get("Location"))
			}

			proxy.restore()
			if after := fmt.Sprint(a.client.Jar.Cookies(cookie)); after != before {
				t.Errorf("cookies changed through the outage: %s, then %s", before, after)
			}
			// The pool may hold connections the cut broke: a request or
			// two may still fail while it finds out, never with a 500.
			var got response
			for range 5 {
				if got = a.get("/api/protected"); got.status != http.StatusServiceUnavailable {
					break
				}
			}
			if got.status != http.StatusOK || !strings.Contains(got.body, `"name":"Alice"`) {
				t.Errorf("after the outage: %d %s", got.status, got.body)
			}
			if res := b.signIn("bob", "builder", "/"); strings.Contains(res.header.Get("Location"), "error") {
				t.Errorf("sign-in after the outage: %d to %q", res.status, res.header.Get("Location"))
			}
		})
	}
}

// The two-process test runs this test binary again as a server
// (TestServerProcess), configured by these variables.
const (
	envServerKind = "GINAUTH_TEST_SERVER_KIND"
	envServerURL  = "GINAUTH_TEST_SERVER_URL"
	envServerNS   = "GINAUTH_TEST_SERVER_NS"
)

// TestServerProcess is not a test: run by TestTwoProcesses in a process of
// its own, it serves ginauth with database sessions on a shared store
// until its standard input closes, after printing its origin.
func TestServerProcess(t *testing.T) {
	kindName := os.Getenv(envServerKind)
	if kindName == "" {
		t.Skip("run by TestTwoProcesses")
	}
	var kind storeKind
	for _, k := range storeKinds {
		if k.name == kindName {
			kind = k
		}
	}
	ctx := context.Background()
	store, closeStore, err := kind.open(ctx, os.Getenv(envServerURL), os.Getenv(envServerNS))
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://" + ln.Addr().String()
	cfg := ginauth.Config{
		Secret: testSecret, URL: origin,
		Providers: []providers.Provider{providers.Credentials{Authorize: authorize}},
		Adapter:   store,
		Session:   ginauth.SessionConfig{Strategy: ginauth.StrategyDatabase},
	}
	if kind.name == "redis" {
		// The processes share the credentials limit per account name.
		o, err := goredis.ParseURL(os.Getenv(envServerURL))
		if err != nil {
			t.Fatal(err)
		}
		c := goredis.NewClient(o)
		defer c.Close()
		l, err := redisthrottle.New(c, sharedLimit, redisthrottle.Options{Prefix: os.Getenv(envServerNS) + ":throttle:"})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Throttle.CredentialsPerIdentifier = l
	}
	auth, err := ginauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	auth.Mount(r)
	r.GET("/api/protected", auth.RequireAuth(), func(c *gin.Context) {
		s, _ := ginauth.Session(c)
		tok, _ := ginauth.Token(c)
		c.JSON(http.StatusOK, gin.H{"name": s.User.Name, "sub": tok.Subject(), "origin": origin})
	})
	// Sign the user out everywhere, as an administration page would.
	r.POST("/admin/sessions/:user/revoke", func(c *gin.Context) {
		n, err := auth.RevokeSessions(c, c.Param("user"))
		if err != nil {
			c.AbortWithStatus(http.StatusServiceUnavailable)
			return
		}
		c.JSON(http.StatusOK, gin.H{"revoked": n})
	})
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Println(origin)
	io.Copy(io.Discard, os.Stdin)
	srv.Shutdown(ctx)
}

// serverProcess starts TestServerProcess and returns its origin.
func serverProcess(t *testing.T, kind storeKind, rawURL, ns string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envServerKind+"="+kind.name, envServerURL+"="+rawURL, envServerNS+"="+ns)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://127.0.0.1:") {
		t.Fatalf("server process: %q, %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	return strings.TrimSpace(line)
}

// TestTwoProcesses runs two ginauth processes on one PostgreSQL (then one
// Redis): a session signed in on the first is read on the second, a
// sign-out on the second ends it on the first, and so does signing the
// user out everywhere from the second.
func TestTwoProcesses(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			rawURL := serviceURL(t, kind.env)
			ns := "ginauth_procs_" + randomSuffix()
			t.Cleanup(func() { kind.drop(t, rawURL, ns) })
			// Both start at once: the first migration is shared.
			origins := make([]string, 2)
			var wg sync.WaitGroup
			for i := range origins {
				wg.Go(func() { origins[i] = serverProcess(t, kind, rawURL, ns) })
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			one, two := &peer{t: t, origin: origins[0]}, &peer{t: t, origin: origins[1]}

			browser := newClient(t)
			one.signIn(browser, "alice")
			first := one.protected(browser)
			if first.status != http.StatusOK {
				t.Fatalf("on the first process: %d %s", first.status, first.body)
			}
			second := two.protected(browser)
			if second.status != http.StatusOK || !strings.Contains(second.body, `"name":"Alice"`) || second.json(t).(map[string]any)["origin"] != two.origin {
				t.Fatalf("on the second process: %d %s", second.status, second.body)
			}
			userID := second.json(t).(map[string]any)["sub"].(string)
			if userID == "" || userID != first.json(t).(map[string]any)["sub"] {
				t.Fatalf("the processes disagree on the user: %s, %s", first.body, second.body)
			}

			// Sign-out on the second process; the first sees it at once.
			two.post(browser, "/api/auth/signout", url.Values{"csrfToken": {two.csrf(browser)}})
			if got := one.protected(browser); got.status != http.StatusUnauthorized {
				t.Errorf("signed out on the second process, the first says %d %s", got.status, got.body)
			}

			// Two browsers signed in on the first; the second process
			// signs the user out everywhere.
			other := newClient(t)
			one.signIn(browser, "alice")
			one.signIn(other, "alice")
			res := two.post(newClient(t), "/admin/sessions/"+url.PathEscape(userID)+"/revoke", nil)
			if res.status != http.StatusOK || res.body != `{"revoked":2}` {
				t.Errorf("revoke on the second process: %d %s", res.status, res.body)
			}
			for _, c := range []*http.Client{browser, other} {
				if got := one.protected(c); got.status != http.StatusUnauthorized {
					t.Errorf("revoked on the second process, the first says %d %s", got.status, got.body)
				}
			}
			if kind.name == "redis" {
				sharedThrottle(t, one, two)
			}
		})
	}
}

// peer is a ginauth server in another process.
type peer struct {
	t      *testing.T
	origin string
}

func (p *peer) do(c *http.Client, req *http.Request) response {
	p.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func (p *peer) get(c *http.Client, path string) response {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.origin+path, nil)
	return p.do(c, req)
}

func (p *peer) post(c *http.Client, path string, form url.Values) response {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.origin+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.do(c, req)
}

func (p *peer) csrf(c *http.Client) string {
	p.t.Helper()
	body := p.get(c, "/api/auth/csrf").json(p.t).(map[string]any)
	return body["csrfToken"].(string)
}

func (p *peer) signIn(c *http.Client, login string) {
	p.t.Helper()
	res := p.post(c, "/api/auth/callback/credentials", url.Values{
		"username": {login}, "password": {users[login].password}, "csrfToken": {p.csrf(c)}, "callbackUrl": {p.origin + "/"},
	})
	if res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
		p.t.Fatalf("sign-in on %s: %d to %q", p.origin, res.status, res.header.Get("Location"))
	}
}

func (p *peer) protected(c *http.Client) response {
	p.t.Helper()
	return p.get(c, "/api/protected")
}

// sharedLimit is the credentials limit per account name the server
// processes share through Redis.
var sharedLimit = throttle.Limit{Every: time.Hour, Burst: 5}

// sharedThrottle guesses bob's password on both processes in turn: the
// limit is one budget for both, and once it is spent even the right
// password is refused, with the answer any account name gets.
func sharedThrottle(t *testing.T, one, two *peer) {
	t.Helper()
	guess := func(p *peer, password string) response {
		c := newClient(t)
		return p.post(c, "/api/auth/callback/credentials", url.Values{
			"username": {"bob"}, "password": {password}, "csrfToken": {p.csrf(c)}, "callbackUrl": {p.origin + "/"},
		})
	}
	for i := range sharedLimit.Burst {
		p := []*peer{one, two}[i%2]
		if res := guess(p, "wrong"); !strings.Contains(res.header.Get("Location"), "error=CredentialsSignin&code=credentials") {
			t.Fatalf("guess %d: %d to %q, want a rejected password", i, res.status, res.header.Get("Location"))
		}
	}
	for _, p := range []*peer{one, two} {
		res := guess(p, users["bob"].password)
		if !strings.Contains(res.header.Get("Location"), "code=rate_limited") || res.header.Get("Retry-After") == "" {
			t.Errorf("past the shared limit on %s: %d to %q (Retry-After %q)", p.origin, res.status, res.header.Get("Location"), res.header.Get("Retry-After"))
		}
		if _, ok := res.cookie("authjs.session-token"); ok {
			t.Error("a throttled sign-in set a session")
		}
	}
}
