package ginauth_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/postgres"
	"github.com/ginauth/ginauth/adapters/redis"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/oidctest"
	"github.com/ginauth/ginauth/providers"
)

// authjsAppDir holds the Auth.js application (server.mjs) and its npm
// packages, pinned by package-lock.json (scripts/test runs npm ci there).
const authjsAppDir = "testdata/authjs"

// dbSecret is the AUTH_SECRET both servers share.
const dbSecret = "dbinterop-secret-0123456789abcdef0123456789"

// dbSessionCookie is the session cookie of Auth.js v5 over http, the name
// on both sides.
const dbSessionCookie = "authjs.session-token"

// dbProvider is the id of the OpenID provider on both sides.
const dbProvider = "corp"

// dbBackend is one store shared by the Auth.js application and ginauth,
// with raw reads of what either wrote (not through ginauth's store).
type dbBackend struct {
	// store is ginauth's adapter on the shared data.
	store authjs.Adapter
	// env configures server.mjs's adapter on the same data.
	env []string
	// sessionUser returns the user id of the stored session with a token,
	// or "" when there is none.
	sessionUser func(t *testing.T, token string) string
	// usersWithEmail counts the stored users with an email address.
	usersWithEmail func(t *testing.T, email string) int
	// sessionExpires returns the stored expiry of the session with a
	// token.
	sessionExpires func(t *testing.T, token string) time.Time
	// setSessionExpires changes the stored expiry of the session with a
	// token, as time passing would leave it (in Redis, the key keeps its
	// time to live).
	setSessionExpires func(t *testing.T, token string, expires time.Time)
}

// postgresBackend makes the tables in a fresh schema of the test database
// (dropped when the test ends), as postgres.Open does, and points both
// sides at it: ginauth's store by Options.Schema, the Auth.js application
// by its connections' search_path.
func postgresBackend(t *testing.T) dbBackend {
	t.Helper()
	dbURL := serviceURL(t, "GINAUTH_TEST_POSTGRES_URL")
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatalf("GINAUTH_TEST_POSTGRES_URL: %v", err)
	}
	t.Cleanup(admin.Close)
	if err := admin.Ping(ctx); err != nil {
		t.Fatalf("PostgreSQL at GINAUTH_TEST_POSTGRES_URL: %v", err)
	}
	schema := "ginauth_dbinterop_" + randomSuffix()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("CREATE SCHEMA: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("DROP SCHEMA %s: %v", schema, err)
		}
	})
	store, err := postgres.Open(ctx, dbURL, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	return dbBackend{
		store: store,
		env:   []string{"ADAPTER=pg", "DATABASE_URL=" + dbURL, "PG_SCHEMA=" + schema, "PG_POOL_MAX=4"},
		sessionUser: func(t *testing.T, token string) string {
			t.Helper()
			var id int64
			err := admin.QueryRow(ctx, `SELECT "userId" FROM `+schema+`.sessions WHERE "sessionToken" = $1`, token).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				return ""
			}
			if err != nil {
				t.Fatalf("reading the stored session: %v", err)
			}
			return strconv.FormatInt(id, 10)
		},
		sessionExpires: func(t *testing.T, token string) time.Time {
			t.Helper()
			var at time.Time
			if err := admin.QueryRow(ctx, `SELECT expires FROM `+schema+`.sessions WHERE "sessionToken" = $1`, token).Scan(&at); err != nil {
				t.Fatalf("reading the stored session: %v", err)
			}
			return at
		},
		setSessionExpires: func(t *testing.T, token string, expires time.Time) {
			t.Helper()
			tag, err := admin.Exec(ctx, `UPDATE `+schema+`.sessions SET expires = $1 WHERE "sessionToken" = $2`, expires, token)
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("changing the stored session: %v (%d rows)", err, tag.RowsAffected())
			}
		},
		usersWithEmail: func(t *testing.T, email string) int {
			t.Helper()
			var n int
			if err := admin.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.users WHERE email = $1`, email).Scan(&n); err != nil {
				t.Fatalf("counting users: %v", err)
			}
			return n
		},
	}
}

// redisBackend gives both sides a BaseKeyPrefix of their own on the test
// Redis, whose keys are deleted when the test ends.
func redisBackend(t *testing.T) dbBackend {
	t.Helper()
	redisURL := serviceURL(t, "GINAUTH_TEST_REDIS_URL")
	opts, err := goredis.ParseURL(redisURL)
	if err != nil {
		t.Fatalf("GINAUTH_TEST_REDIS_URL: %v", err)
	}
	rdb := goredis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at GINAUTH_TEST_REDIS_URL: %v", err)
	}
	prefix := "ginauth-dbinterop-" + randomSuffix() + ":"
	// keys lists the test's keys.
	keys := func(t *testing.T) []string {
		t.Helper()
		var out []string
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			out = append(out, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Fatalf("SCAN: %v", err)
		}
		return out
	}
	t.Cleanup(func() {
		if ks := keys(t); len(ks) > 0 {
			if err := rdb.Del(ctx, ks...).Err(); err != nil {
				t.Errorf("deleting the test's keys: %v", err)
			}
		}
	})
	// session reads the stored session with a token as a JSON object.
	session := func(t *testing.T, token string) map[string]any {
		t.Helper()
		v, err := rdb.Get(ctx, prefix+"user:session:"+token).Result()
		if err != nil {
			t.Fatalf("reading the stored session: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			t.Fatalf("stored session %s: %v", v, err)
		}
		return m
	}
	store, err := redis.Open(redisURL, redis.Options{BaseKeyPrefix: prefix})
	if err != nil {
		t.Fatalf("redis.Open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	return dbBackend{
		store: store,
		env:   []string{"ADAPTER=redis", "REDIS_URL=" + redisURL, "REDIS_BASE_KEY_PREFIX=" + prefix},
		sessionUser: func(t *testing.T, token string) string {
			t.Helper()
			v, err := rdb.Get(ctx, prefix+"user:session:"+token).Result()
			if errors.Is(err, goredis.Nil) {
				return ""
			}
			if err != nil {
				t.Fatalf("reading the stored session: %v", err)
			}
			var s struct {
				UserID string `json:"userId"`
			}
			if err := json.Unmarshal([]byte(v), &s); err != nil || s.UserID == "" {
				t.Fatalf("stored session %s: no userId (%v)", v, err)
			}
			return s.UserID
		},
		sessionExpires: func(t *testing.T, token string) time.Time {
			t.Helper()
			s, _ := session(t, token)["expires"].(string)
			at, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatalf("stored session expires %q: %v", s, err)
			}
			return at
		},
		setSessionExpires: func(t *testing.T, token string, expires time.Time) {
			t.Helper()
			m := session(t, token)
			m["expires"] = expires.UTC().Format("2006-01-02T15:04:05.000Z")
			b, _ := json.Marshal(m)
			if err := rdb.SetArgs(ctx, prefix+"user:session:"+token, b, goredis.SetArgs{KeepTTL: true}).Err(); err != nil {
				t.Fatalf("changing the stored session: %v", err)
			}
		},
		// Users are the records under "user:" with an id and an email;
		// the other records there (accounts, sessions, the indexes) have
		// no email or are not objects.
		usersWithEmail: func(t *testing.T, email string) int {
			t.Helper()
			n := 0
			for _, k := range keys(t) {
				if !strings.HasPrefix(k, prefix+"user:") {
					continue
				}
				v, err := rdb.Get(ctx, k).Result()
				if err != nil {
					continue // not a string: an index of ginauth's
				}
				var u struct{ ID, Email string }
				if json.Unmarshal([]byte(v), &u) == nil && u.ID != "" && u.Email == email {
					n++
				}
			}
			return n
		},
	}
}

// dbPeer is one of the two servers sharing the store, as a browser sees
// it.
type dbPeer struct {
	name string // "Auth.js" or "ginauth", for messages
	site *oauthSite
}

// origin returns the peer's origin, http://127.0.0.1:PORT.
func (p dbPeer) origin() string { return p.site.origin }

// dbResponse is an answer of a peer, its body read.
type dbResponse struct {
	status int
	header http.Header
	body   string
}

// sessionCookie returns the session cookie the answer sets, if any.
func (r dbResponse) sessionCookie() (*http.Cookie, bool) {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == dbSessionCookie {
			return c, true
		}
	}
	return nil, false
}

// get requests a path of the peer with only the session cookie token
// (none when empty), without a cookie jar: which cookie goes where is
// explicit, though both servers share the host 127.0.0.1.
func (p dbPeer) get(t *testing.T, path, token string) dbResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.origin()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: dbSessionCookie, Value: token})
	}
	c := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s GET %s: %v", p.name, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s GET %s: %v", p.name, path, err)
	}
	return dbResponse{res.StatusCode, res.Header, string(b)}
}

// signIn signs in as login through the OpenID provider with a fresh
// browser of the peer's own (and a fresh session at the provider), and
// returns the callback's answer and the session token it set.
func (p dbPeer) signIn(t *testing.T, login string) (dbResponse, string) {
	t.Helper()
	s := p.site
	s.t = t
	c := browser()
	authURL, _ := s.start(c, dbProvider, "")
	res := s.callback(c, s.op.Login(t, browser(), authURL.String(), login))
	r := dbResponse{status: res.StatusCode, header: res.Header}
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != s.origin+"/dashboard" {
		t.Fatalf("%s callback for %s: %d to %q, want 302 to %s/dashboard", p.name, login, res.StatusCode, res.Header.Get("Location"), s.origin)
	}
	ck, ok := r.sessionCookie()
	if !ok || ck.Value == "" {
		t.Fatalf("%s callback for %s set no %s: %q", p.name, login, dbSessionCookie, res.Header.Values("Set-Cookie"))
	}
	return r, ck.Value
}

// signOut signs the session token out at the peer as a browser holding
// it does: it fetches a CSRF token and posts the sign-out form. It returns
// the answer to the post.
func (p dbPeer) signOut(t *testing.T, token string) dbResponse {
	t.Helper()
	c := browser()
	u, err := url.Parse(p.origin())
	if err != nil {
		t.Fatal(err)
	}
	c.Jar.SetCookies(u, []*http.Cookie{{Name: dbSessionCookie, Value: token, Path: "/"}})
	p.site.t = t
	csrf := p.site.csrf(c)
	if csrf == "" {
		t.Fatalf("%s gave no CSRF token", p.name)
	}
	res, err := c.PostForm(p.origin()+"/api/auth/signout", url.Values{"csrfToken": {csrf}, "callbackUrl": {p.origin() + "/bye"}})
	if err != nil {
		t.Fatalf("%s sign-out: %v", p.name, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := dbResponse{res.StatusCode, res.Header, string(b)}
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != p.origin()+"/bye" {
		t.Fatalf("%s sign-out: %d to %q, want 302 to %s/bye", p.name, res.StatusCode, res.Header.Get("Location"), p.origin())
	}
	if ck, ok := r.sessionCookie(); !ok || ck.MaxAge >= 0 {
		t.Errorf("%s sign-out did not clear %s: %q", p.name, dbSessionCookie, res.Header.Values("Set-Cookie"))
	}
	return r
}

// startGinauth serves a ginauth server in v5 mode with the database
// session strategy on ln, signing in through op with the store, and a
// protected route GET /api/protected that answers the session
// (ginauth.Session) and the user id (the sub of ginauth.Token).
func startGinauth(t *testing.T, ln net.Listener, op *oidctest.Provider, store authjs.Adapter) dbPeer {
	t.Helper()
	origin := "http://" + ln.Addr().String()
	logs := &oidctest.SyncBuffer{}
	auth, err := ginauth.New(ginauth.Config{
		Secret: dbSecret, URL: origin, Mode: ginauth.ModeV5,
		Providers: []providers.Provider{providers.OAuth{ID: dbProvider, Name: "Corp SSO", Issuer: op.Issuer(),
			ClientID: op.ClientID(), ClientSecret: op.ClientSecret(),
			Checks: providers.CheckPKCE | providers.CheckState | providers.CheckNonce}},
		Adapter: store,
		Session: ginauth.SessionConfig{Strategy: ginauth.StrategyDatabase},
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("ginauth.New: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ginauth logs:\n%s", logs.String())
		}
	})
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/api/protected", auth.RequireAuth(), func(c *gin.Context) {
		sess, ok := ginauth.Session(c)
		tok, _ := ginauth.Token(c)
		if !ok {
			c.JSON(http.StatusInternalServerError, gin.H{"message": "no session behind RequireAuth"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"session": sess, "userId": tok.Subject()})
	})
	serveOn(t, ln, r, false)
	return dbPeer{name: "ginauth", site: &oauthSite{t: t, mode: ginauth.ModeV5, op: op, origin: origin, auth: auth, logs: logs}}
}

// authjsNode returns the node executable, or skips the test when Node or
// the npm packages of testdata/authjs are missing (or in -short mode),
// unless GINAUTH_REQUIRE_JS=1 makes that a failure.
func authjsNode(t *testing.T) string {
	t.Helper()
	if testing.Short() && !oidctest.RequireJS() {
		t.Skip("starts an Auth.js application in Node; skipped in -short mode")
	}
	node := oidctest.NodePath(t)
	if _, err := os.Stat(filepath.Join(authjsAppDir, "node_modules", "@auth", "express", "package.json")); err != nil {
		oidctest.Unavailable(t, "npm packages are not installed; run `npm ci` in %s", authjsAppDir)
	}
	return node
}

// startAuthJS runs testdata/authjs/server.mjs with node on ln (handed to
// it as file descriptor 3), signing in through op, with its adapter
// configured by env. Node exits when the test ends.
func startAuthJS(t *testing.T, node string, ln *net.TCPListener, op *oidctest.Provider, env []string) dbPeer {
	t.Helper()
	f, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, "server.mjs")
	cmd.Dir = authjsAppDir
	// Auth.js reads AUTH_* and NEXTAUTH_* variables of its own accord:
	// only the test's count.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTH_") && !strings.HasPrefix(kv, "NEXTAUTH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"NODE_NO_WARNINGS=1", "NODE_ENV=test", "LISTEN_FD=3", "EXIT_WITH_STDIN=1",
		"AUTH_SECRET="+dbSecret,
		"OIDC_ISSUER="+op.Issuer(), "OIDC_CLIENT_ID="+op.ClientID(), "OIDC_CLIENT_SECRET="+op.ClientSecret(),
		"OIDC_PROVIDER_ID="+dbProvider, "OIDC_CHECKS=pkce,state,nonce")
	cmd.Env = append(cmd.Env, env...)
	cmd.ExtraFiles = []*os.File{f}
	cmd.WaitDelay = 5 * time.Second
	stderr := &oidctest.SyncBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe() // held open: the application exits when it closes
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s server.mjs: %v", node, err)
	}
	// Node listens on its copy of the socket now; ours go.
	ln.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cancel()
			<-done
		}
		cancel()
		if t.Failed() {
			t.Logf("Auth.js application stderr:\n%s", stderr.String())
		}
	})

	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			port <- strings.TrimSpace(sc.Text())
		}
		close(port)
		io.Copy(io.Discard, stdout)
	}()
	_, want, _ := net.SplitHostPort(ln.Addr().String())
	select {
	case p, ok := <-port:
		if !ok || p != want {
			t.Fatalf("server.mjs printed port %q, want %s; stderr:\n%s", p, want, stderr.String())
		}
	case <-done:
		t.Fatalf("server.mjs exited before listening: %v; stderr:\n%s", cmd.ProcessState, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server.mjs did not print its port in 30s; stderr:\n%s", stderr.String())
	}
	origin := "http://" + ln.Addr().String()
	return dbPeer{name: "Auth.js", site: &oauthSite{t: t, mode: ginauth.ModeV5, op: op, origin: origin, logs: stderr}}
}

// listenLoopback opens a listener on a free loopback port, so that its
// address can be registered at the provider before the server starts.
func listenLoopback(t *testing.T) *net.TCPListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.(*net.TCPListener)
}
