package ginauth_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/csrf"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/providers"
	"github.com/ginauth/ginauth/throttle"
)

// Every bad input must be answered without a session, a 5xx or a panic.
// The tests run a real server (httptest) in both dialects.

const (
	hostileSecret      = "hostile-test-secret-0123456789abcdefghijkl"
	hostileOtherSecret = "some-other-secret-0123456789abcdefghijklmn"
)

var hostileModes = []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4}

type hostileEnv struct {
	mode       ginauth.Mode
	srv        *httptest.Server
	origin     string // http://127.0.0.1:port
	base       string // origin + /api/auth
	now        time.Time
	names      cookies.Names
	authorized atomic.Int32 // Authorize calls
	panics     atomic.Int32
}

// newHostileEnv starts a server with auth.Mount, a route behind
// RequireAuth (/protected) and a route reporting Session and Token
// (/probe). The clock is fixed.
func newHostileEnv(t *testing.T, mode ginauth.Mode, configure ...func(*ginauth.Config)) *hostileEnv {
	t.Helper()
	gin.SetMode(gin.TestMode)
	e := &hostileEnv{mode: mode, now: time.Now().Truncate(time.Second)}
	e.srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(func() {
		e.srv.Close()
		if n := e.panics.Load(); n > 0 {
			t.Errorf("%d handler panics", n)
		}
	})
	e.origin = "http://" + e.srv.Listener.Addr().String()
	e.base = e.origin + "/api/auth"
	cfg := ginauth.Config{
		Secret: hostileSecret,
		URL:    e.origin,
		Mode:   mode,
		Providers: []providers.Provider{providers.Credentials{
			Authorize: func(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
				e.authorized.Add(1)
				if c["username"] == "alice" && c["password"] == "wonderland" {
					return &authjs.User{ID: "1", Name: "Alice", Email: "alice@example.com"}, nil
				}
				return nil, nil
			},
		}},
		Now:      func() time.Time { return e.now },
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Throttle: ginauth.Throttle{CredentialsPerIdentifier: throttle.Unlimited, CredentialsPerClient: throttle.Unlimited},
	}
	for _, f := range configure {
		f(&cfg)
	}
	auth, err := ginauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.names = dialectOf(mode).Names(false)

	r := gin.New()
	r.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) {
		e.panics.Add(1)
		c.AbortWithStatus(http.StatusInternalServerError)
	}))
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/protected", auth.RequireAuth(), func(c *gin.Context) {
		tok, _ := ginauth.Token(c)
		c.JSON(http.StatusOK, gin.H{"sub": tok.Subject()})
	})
	r.GET("/page/*rest", auth.RequireAuth(ginauth.RedirectToSignIn()), func(c *gin.Context) { c.String(http.StatusOK, "page") })
	r.GET("/probe", func(c *gin.Context) {
		s, sessionOK := ginauth.Session(c)
		tok, tokenOK := ginauth.Token(c)
		c.JSON(http.StatusOK, gin.H{"session": sessionOK, "token": tokenOK, "nilSession": s == nil, "nilToken": tok == nil})
	})
	e.srv.Config.Handler = r
	e.srv.Start()
	return e
}

type hostileResp struct {
	status int
	header http.Header
	body   string
}

type hostileSetCookie struct {
	name, value string
	deletion    bool
}

func (r hostileResp) setCookies() []hostileSetCookie {
	var out []hostileSetCookie
	for _, line := range r.header.Values("Set-Cookie") {
		nv, _, _ := strings.Cut(line, ";")
		name, value, _ := strings.Cut(nv, "=")
		out = append(out, hostileSetCookie{name, value, strings.Contains(line, "; Max-Age=0")})
	}
	return out
}

// cookie returns the decoded value of a (non-deleting) Set-Cookie.
func (r hostileResp) cookie(name string) (string, bool) {
	for _, c := range r.setCookies() {
		if c.name == name && !c.deletion {
			v, err := url.PathUnescape(c.value)
			if err != nil {
				return c.value, true
			}
			return v, true
		}
	}
	return "", false
}

type hostileReq struct {
	method string
	path   string // relative to the origin
	body   io.Reader
	ctype  string
	header map[string]string
	client *http.Client // nil: no cookie jar, redirects not followed
}

func (e *hostileEnv) send(t *testing.T, rq hostileReq) hostileResp {
	t.Helper()
	req, err := http.NewRequest(rq.method, e.origin+rq.path, rq.body)
	if err != nil {
		t.Fatal(err)
	}
	if rq.ctype != "" {
		req.Header.Set("Content-Type", rq.ctype)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	c := rq.client
	if c == nil {
		c = hostileClient(nil)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", rq.method, rq.path, err)
	}
	return hostileResp{resp.StatusCode, resp.Header, string(b)}
}

func hostileClient(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *hostileEnv) get(t *testing.T, path string, header map[string]string) hostileResp {
	t.Helper()
	return e.send(t, hostileReq{method: http.MethodGet, path: path, header: header})
}

func (e *hostileEnv) postForm(t *testing.T, path string, form url.Values, header map[string]string) hostileResp {
	t.Helper()
	return e.send(t, hostileReq{method: http.MethodPost, path: path, body: strings.NewReader(form.Encode()),
		ctype: "application/x-www-form-urlencoded", header: header})
}

// csrfPair fetches a CSRF token and the raw (encoded) cookie value that
// vouches for it.
func (e *hostileEnv) csrfPair(t *testing.T) (token, cookie string) {
	t.Helper()
	r := e.get(t, "/api/auth/csrf", nil)
	var body struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || len(body.CSRFToken) != 64 {
		t.Fatalf("GET /csrf: %d %q", r.status, r.body)
	}
	for _, c := range r.setCookies() {
		if c.name == e.names.CSRF {
			return body.CSRFToken, c.value
		}
	}
	t.Fatalf("GET /csrf set no %s cookie", e.names.CSRF)
	return "", ""
}

func (e *hostileEnv) emptySession() string {
	if e.mode == ginauth.ModeV4 {
		return "{}"
	}
	return "null"
}

func (e *hostileEnv) isSessionCookie(name string) bool {
	return name == e.names.Session || strings.HasPrefix(name, e.names.Session+".")
}

// noNewSession fails if r sets a session cookie (deletions are fine) or is
// a 5xx.
func (e *hostileEnv) noNewSession(t *testing.T, r hostileResp) {
	t.Helper()
	if r.status >= 500 {
		t.Errorf("status %d, body %.200q", r.status, r.body)
	}
	for _, c := range r.setCookies() {
		if e.isSessionCookie(c.name) && !c.deletion && c.value != "" {
			t.Errorf("a session cookie %s was set", c.name)
		}
	}
}

// hostileOnOrigin reports why target is not a URL on origin: it must parse
// with net/url to origin's scheme and host, without userinfo, and hold no
// byte a browser would strip or reinterpret (controls, space, backslash).
func hostileOnOrigin(target, origin string) error {
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return fmt.Errorf("%q holds byte %#x", target, c)
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("%q: %v", target, err)
	}
	o, _ := url.Parse(origin)
	if u.Scheme != o.Scheme || u.Host != o.Host || u.User != nil || u.Opaque != "" {
		return fmt.Errorf("%q is not on %s", target, origin)
	}
	if rest := strings.TrimPrefix(target, origin); rest == target || (rest != "" && !strings.ContainsAny(rest[:1], "/?#")) {
		return fmt.Errorf("%q does not start with %s", target, origin)
	}
	return nil
}

// hostileRedirectTarget returns the target of a redirect answered as a 302 or as
// {"url": ...}.
func hostileRedirectTarget(t *testing.T, r hostileResp) string {
	t.Helper()
	switch r.status {
	case http.StatusFound:
		return r.header.Get("Location")
	case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden:
		var body struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal([]byte(r.body), &body); err == nil && body.URL != "" {
			return body.URL
		}
	}
	t.Fatalf("not a redirect: %d %.300q", r.status, r.body)
	return ""
}

// jsonRedirect sets what makes the dialect's client ask for redirects
// as JSON: the X-Auth-Return-Redirect header (v5) or json=true (v4).
func (e *hostileEnv) jsonRedirect(form url.Values, header map[string]string) {
	if e.mode == ginauth.ModeV4 {
		form.Set("json", "true")
		return
	}
	header["X-Auth-Return-Redirect"] = "1"
}

// ---------------------------------------------------------------------------
// Session tokens

// hostileKey derives the key of a dialect for secret and salt.
func hostileKey(t *testing.T, mode ginauth.Mode, secret, salt string) []byte {
	t.Helper()
	k, err := jwe.DeriveKey(dialectOf(mode).Token, secret, salt)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func hostileEncrypt(t *testing.T, enc jose.ContentEncryption, alg jose.KeyAlgorithm, key any, kid string, opts *jose.EncrypterOptions, payload string) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: key, KeyID: kid, PBES2Count: 1000}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims returns a JSON payload: a session for Mallory valid for an hour,
// with over's entries replacing (or, when nil, removing) claims.
func (e *hostileEnv) claims(over map[string]any) string {
	c := map[string]any{
		"name": "Mallory", "email": "mallory@example.com", "sub": "666",
		"iat": e.now.Unix(), "exp": e.now.Unix() + 3600, "jti": "00000000-0000-4000-8000-000000000666",
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// token makes a session token as the dialect does, for payload; salt is
// the session cookie name (v4 session keys ignore it).
func (e *hostileEnv) token(t *testing.T, mode ginauth.Mode, secret, salt, payload string) string {
	t.Helper()
	if mode == ginauth.ModeV4 {
		salt = ""
	}
	k := hostileKey(t, mode, secret, salt)
	if mode == ginauth.ModeV4 {
		return hostileEncrypt(t, jose.A256GCM, jose.DIRECT, k, "", nil, payload)
	}
	return hostileEncrypt(t, jose.A256CBC_HS512, jose.DIRECT, k, jwe.Thumbprint(k), nil, payload)
}

func (e *hostileEnv) valid(t *testing.T, payload string) string {
	return e.token(t, e.mode, hostileSecret, e.names.Session, payload)
}

func hostileB64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// hostileFlip changes the middle character of part i of a compact token (or puts
// four characters into an empty part).
func hostileFlip(tok string, i int) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[i])
	if len(p) == 0 {
		parts[i] = "AAAA"
	} else {
		m := len(p) / 2
		if p[m] == 'A' {
			p[m] = 'B'
		} else {
			p[m] = 'A'
		}
		parts[i] = string(p)
	}
	return strings.Join(parts, ".")
}

type hostileTokenCase struct {
	name   string
	cookie string // the Cookie header
	bearer string // also sent as "Authorization: Bearer"; "" to skip
	valid  bool
}

func (e *hostileEnv) tokenCases(t *testing.T) []hostileTokenCase {
	S := e.names.Session
	one := func(name, tok string) hostileTokenCase {
		return hostileTokenCase{name: name, cookie: S + "=" + tok, bearer: tok}
	}
	good := e.valid(t, e.claims(nil))
	half := len(good) / 2
	parts := strings.Split(good, ".")
	salt := S
	if e.mode == ginauth.ModeV4 {
		salt = ""
	}
	key := hostileKey(t, e.mode, hostileSecret, salt)
	now := e.now.Unix()
	many := func(n, size int) string {
		var b []string
		for i := range n {
			b = append(b, S+"."+strconv.Itoa(i)+"="+strings.Repeat("A", size))
		}
		return strings.Join(b, "; ")
	}
	jws := func(alg jose.SignatureAlgorithm, k []byte) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: k}, nil)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.Sign([]byte(e.claims(nil)))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := obj.CompactSerialize()
		return out
	}
	jsonSerialized := func() string {
		enc, _ := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: key[:32]}, nil)
		obj, _ := enc.Encrypt([]byte(e.claims(nil)))
		return obj.FullSerialize()
	}

	v := func(c hostileTokenCase) hostileTokenCase { c.valid = true; return c }
	cases := []hostileTokenCase{
		v(one("valid", good)),
		v(hostileTokenCase{name: "valid in two chunks", cookie: S + ".1=" + good[half:] + "; " + S + ".0=" + good[:half]}),
		v(one("expired 14s ago (tolerance)", e.valid(t, e.claims(map[string]any{"exp": now - 14})))),
		v(one("nbf in 14s (tolerance)", e.valid(t, e.claims(map[string]any{"nbf": now + 14})))),
	}
	for i := range 5 {
		cases = append(cases, one("part "+strconv.Itoa(i)+" changed", hostileFlip(good, i)))
	}
	cases = append(cases,
		one("last character cut", good[:len(good)-1]),
		one("cut in half", good[:half]),
		one("tag dropped", strings.Join(parts[:4], ".")),
		one("extra part", good+".AAAA"),
		hostileTokenCase{name: "empty", cookie: S + "="},
		hostileTokenCase{name: "empty quoted", cookie: S + `=""`},
		one("oversized garbage", strings.Repeat("A", 70_000)),
		one("oversized authentic", e.valid(t, e.claims(map[string]any{"pad": strings.Repeat("x", 70_000)}))),
		hostileTokenCase{name: "40 chunks", cookie: many(40, 100)},
		hostileTokenCase{name: "17 chunks over 64 KiB", cookie: many(17, 4000)},
		hostileTokenCase{name: "chunk gap", cookie: S + ".0=" + good[:half] + "; " + S + ".2=" + good[half:]},
		hostileTokenCase{name: "second chunk only", cookie: S + ".1=" + good},
		hostileTokenCase{name: "both forms", cookie: S + "=" + good + "; " + S + ".0=" + good},
		hostileTokenCase{name: "odd chunk name", cookie: S + ".x=" + good},
		one("garbage", "garbage"),
		one("five empty parts", "...."),
		one("five junk parts", "a.b.c.d.e"),
		one("percent junk", "%ZZ%00%"),
		one("json null", "null"),
		one("encoded json object", "%7B%7D"),
		one("alg none JWT", hostileB64(`{"alg":"none","typ":"JWT"}`)+"."+hostileB64(e.claims(nil))+"."),
		one("alg none JWE", hostileB64(`{"alg":"none","enc":"A256GCM"}`)+"."+strings.Join(parts[1:], ".")),
		one("enc none", hostileB64(`{"alg":"dir","enc":"none"}`)+"."+strings.Join(parts[1:], ".")),
		one("JWS HS256 with the secret", jws(jose.HS256, []byte(hostileSecret))),
		one("JWS HS256 with the derived key", jws(jose.HS256, key[:32])),
		hostileTokenCase{name: "JSON serialization", cookie: S + "=" + url.PathEscape(jsonSerialized())},
		one("A128GCM", hostileEncrypt(t, jose.A128GCM, jose.DIRECT, key[:16], "", nil, e.claims(nil))),
		one("A192GCM", hostileEncrypt(t, jose.A192GCM, jose.DIRECT, key[:24], "", nil, e.claims(nil))),
		one("A128CBC-HS256", hostileEncrypt(t, jose.A128CBC_HS256, jose.DIRECT, key[:32], "", nil, e.claims(nil))),
		one("A256KW", hostileEncrypt(t, jose.A256GCM, jose.A256KW, key[:32], "", nil, e.claims(nil))),
		one("PBES2 with the secret", hostileEncrypt(t, jose.A256GCM, jose.PBES2_HS512_A256KW, hostileSecret, "", nil, e.claims(nil))),
		one("zip", hostileEncrypt(t, jose.A256GCM, jose.DIRECT, key[:32], "", &jose.EncrypterOptions{Compression: jose.DEFLATE}, e.claims(nil))),
		one("crit", hostileEncrypt(t, jose.A256GCM, jose.DIRECT, key[:32], "", (&jose.EncrypterOptions{}).WithHeader("crit", []string{"exp"}), e.claims(nil))),
		one("encrypted key inserted", strings.Replace(good, "..", ".AAAA.", 1)),
		one("another secret", e.token(t, e.mode, hostileOtherSecret, S, e.claims(nil))),
		one("expired 15s ago", e.valid(t, e.claims(map[string]any{"exp": now - 15}))),
		one("expired 16s ago", e.valid(t, e.claims(map[string]any{"exp": now - 16}))),
		one("expired a year ago", e.valid(t, e.claims(map[string]any{"exp": now - 365*86400}))),
		one("nbf in 16s", e.valid(t, e.claims(map[string]any{"nbf": now + 16}))),
		one("exp a string", e.valid(t, e.claims(map[string]any{"exp": strconv.FormatInt(now+3600, 10)}))),
		one("iat a string", e.valid(t, e.claims(map[string]any{"iat": "now"}))),
		one("exp out of range", e.valid(t, `{"sub":"666","exp":1e400}`)),
		one("array payload", e.valid(t, `[1,2]`)),
		one("null payload", e.valid(t, `null`)),
		one("string payload", e.valid(t, `"666"`)),
		one("two objects", e.valid(t, `{"sub":"1"}{"sub":"2"}`)),
		one("not JSON", e.valid(t, `sub=666`)),
	)
	if e.mode == ginauth.ModeV5 {
		gcm := key[:32] // HKDF output of 32 bytes is the prefix of the 64-byte one
		secure := "__Secure-" + S
		other := hostileKey(t, ginauth.ModeV5, hostileOtherSecret, S)
		cases = append(cases,
			v(one("A256GCM with the v5 key", hostileEncrypt(t, jose.A256GCM, jose.DIRECT, gcm, jwe.Thumbprint(gcm), nil, e.claims(nil)))),
			v(one("no kid", hostileEncrypt(t, jose.A256CBC_HS512, jose.DIRECT, key, "", nil, e.claims(nil)))),
			one("header swapped to A256GCM", hostileB64(`{"alg":"dir","enc":"A256GCM","kid":"`+jwe.Thumbprint(gcm)+`"}`)+"."+strings.Join(parts[1:], ".")),
			one("unknown kid", hostileEncrypt(t, jose.A256CBC_HS512, jose.DIRECT, key, "nope", nil, e.claims(nil))),
			one("kid of another secret", hostileEncrypt(t, jose.A256CBC_HS512, jose.DIRECT, key, jwe.Thumbprint(other), nil, e.claims(nil))),
			one("made for the __Secure- cookie", e.token(t, e.mode, hostileSecret, secure, e.claims(nil))),
			one("made for another cookie name", e.token(t, e.mode, hostileSecret, "session", e.claims(nil))),
			hostileTokenCase{name: "__Secure- cookie on http", cookie: secure + "=" + e.token(t, e.mode, hostileSecret, secure, e.claims(nil))},
			one("v4 token", e.token(t, ginauth.ModeV4, hostileSecret, "", e.claims(nil))),
			one("v4 key with a v5 header", hostileEncrypt(t, jose.A256CBC_HS512, jose.DIRECT, append(hostileKey(t, ginauth.ModeV4, hostileSecret, ""), make([]byte, 32)...), "", nil, e.claims(nil))),
		)
	} else {
		cases = append(cases,
			one("header swapped to A256CBC-HS512", hostileB64(`{"alg":"dir","enc":"A256CBC-HS512"}`)+"."+strings.Join(parts[1:], ".")),
			one("A256CBC-HS512", hostileEncrypt(t, jose.A256CBC_HS512, jose.DIRECT, append(key, key...), "", nil, e.claims(nil))),
			one("v5 token", e.token(t, ginauth.ModeV5, hostileSecret, "authjs.session-token", e.claims(nil))),
			one("v5 token for this cookie name", e.token(t, ginauth.ModeV5, hostileSecret, S, e.claims(nil))),
			one("v5 A256GCM token", hostileEncrypt(t, jose.A256GCM, jose.DIRECT, hostileKey(t, ginauth.ModeV5, hostileSecret, S)[:32], "", nil, e.claims(nil))),
			one("salted with the cookie name", hostileEncrypt(t, jose.A256GCM, jose.DIRECT, hostileKey(t, ginauth.ModeV4, hostileSecret, S), "", nil, e.claims(nil))),
		)
	}
	return cases
}

func TestHostileSessionTokens(t *testing.T) {
	for _, mode := range hostileModes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newHostileEnv(t, mode)
			csrfToken, csrfCookie := e.csrfPair(t)
			for _, tc := range e.tokenCases(t) {
				t.Run(tc.name, func(t *testing.T) {
					e.checkSessionEndpoint(t, tc)
					e.checkUpdateAndSignOut(t, tc, csrfToken, csrfCookie)
					e.checkProtected(t, tc.valid, map[string]string{"Cookie": tc.cookie})
					if tc.bearer != "" {
						t.Run("bearer", func(t *testing.T) {
							h := map[string]string{"Authorization": "Bearer " + tc.bearer}
							e.checkProtected(t, tc.valid, h)
							// GET /session reads cookies only.
							r := e.get(t, "/api/auth/session", h)
							if r.status != http.StatusOK || r.body != e.emptySession() {
								t.Errorf("GET /session with a bearer token = %d %.200q, want 200 %s", r.status, r.body, e.emptySession())
							}
							e.noNewSession(t, r)
						})
						t.Run("cookie jar", func(t *testing.T) { e.checkJar(t, tc) })
					}
				})
			}
		})
	}
}

// checkSessionEndpoint: GET /api/auth/session answers 200 with the empty
// session and deletes every session cookie sent, or, for a valid token,
// the session and a fresh cookie.
func (e *hostileEnv) checkSessionEndpoint(t *testing.T, tc hostileTokenCase) {
	t.Helper()
	r := e.get(t, "/api/auth/session", map[string]string{"Cookie": tc.cookie})
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /session = %d %q %.200q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if tc.valid {
		var s struct {
			User struct{ Name string } `json:"user"`
		}
		if err := json.Unmarshal([]byte(r.body), &s); err != nil || s.User.Name != "Mallory" {
			t.Errorf("GET /session with a valid token = %.300q", r.body)
		}
		if _, ok := r.cookie(e.names.Session); !ok {
			t.Errorf("a valid session was not re-issued: %q", r.header.Values("Set-Cookie"))
		}
		return
	}
	if r.body != e.emptySession() {
		t.Errorf("GET /session body = %.300q, want %s", r.body, e.emptySession())
	}
	e.noNewSession(t, r)
	e.checkCleared(t, r, tc.cookie)
}

// checkCleared fails unless r deletes every session cookie sent with a
// value in the Cookie header cookie.
func (e *hostileEnv) checkCleared(t *testing.T, r hostileResp, cookie string) {
	t.Helper()
	deleted := map[string]bool{}
	for _, c := range r.setCookies() {
		if c.deletion {
			deleted[c.name] = true
		}
	}
	for part := range strings.SplitSeq(cookie, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		if e.isSessionCookie(name) && value != "" && value != `""` && !deleted[name] {
			t.Errorf("cookie %s was not cleared; Set-Cookie: %q", name, r.header.Values("Set-Cookie"))
		}
	}
}

// checkUpdateAndSignOut: POST /session (update) with a valid CSRF token
// answers like GET /session, and POST /signout deletes every session cookie
// sent and redirects to the origin.
func (e *hostileEnv) checkUpdateAndSignOut(t *testing.T, tc hostileTokenCase, csrfToken, csrfCookie string) {
	t.Helper()
	h := map[string]string{"Cookie": e.names.CSRF + "=" + csrfCookie + "; " + tc.cookie}
	body := `{"csrfToken":"` + csrfToken + `","data":{"name":"Eve"}}`
	r := e.send(t, hostileReq{method: http.MethodPost, path: "/api/auth/session", body: strings.NewReader(body), ctype: "application/json", header: h})
	if r.status != http.StatusOK {
		t.Fatalf("POST /session = %d %.200q", r.status, r.body)
	}
	if tc.valid {
		if !strings.Contains(r.body, `"user":`) {
			t.Errorf("POST /session with a valid token = %.300q", r.body)
		}
	} else {
		if r.body != e.emptySession() {
			t.Errorf("POST /session body = %.300q, want %s", r.body, e.emptySession())
		}
		e.noNewSession(t, r)
	}

	r = e.postForm(t, "/api/auth/signout", url.Values{"csrfToken": {csrfToken}}, h)
	if r.status != http.StatusFound || r.header.Get("Location") != e.origin {
		t.Errorf("POST /signout = %d %q, want 302 %s", r.status, r.header.Get("Location"), e.origin)
	}
	e.noNewSession(t, r)
	e.checkCleared(t, r, tc.cookie)
}

// checkProtected: the RequireAuth route answers 401 and Session/Token
// report nothing, unless the token is valid.
func (e *hostileEnv) checkProtected(t *testing.T, valid bool, h map[string]string) {
	t.Helper()
	r := e.get(t, "/protected", h)
	want := http.StatusUnauthorized
	if valid {
		want = http.StatusOK
	}
	if r.status != want {
		t.Errorf("GET /protected = %d %.200q, want %d", r.status, r.body, want)
	}
	if !valid && r.body != `{"message":"Unauthorized"}` {
		t.Errorf("GET /protected body = %.200q", r.body)
	}
	r = e.get(t, "/probe", h)
	want2 := `{"nilSession":true,"nilToken":true,"session":false,"token":false}`
	if valid {
		want2 = `{"nilSession":false,"nilToken":false,"session":true,"token":true}`
	}
	if r.status != http.StatusOK || r.body != want2 {
		t.Errorf("Session/Token probe = %d %s, want %s", r.status, r.body, want2)
	}
}

// checkJar stores the token in a cookie jar as a browser would and reads
// the session: a bad token leaves the jar without a session cookie.
func (e *hostileEnv) checkJar(t *testing.T, tc hostileTokenCase) {
	ck := &http.Cookie{Name: e.names.Session, Value: tc.bearer, Path: "/"}
	if ck.Valid() != nil {
		return // a browser cannot store it; the raw Cookie header checks cover it
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(e.origin)
	jar.SetCookies(u, []*http.Cookie{ck})
	r := e.send(t, hostileReq{method: http.MethodGet, path: "/api/auth/session", client: hostileClient(jar)})
	if r.status != http.StatusOK {
		t.Fatalf("GET /session = %d", r.status)
	}
	has := false
	for _, c := range jar.Cookies(u) {
		if e.isSessionCookie(c.Name) {
			has = true
		}
	}
	if has != tc.valid {
		t.Errorf("session cookie in the jar after GET /session: %v, want %v", has, tc.valid)
	}
}

// ---------------------------------------------------------------------------
// CSRF

func TestHostileCSRF(t *testing.T) {
	for _, mode := range hostileModes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newHostileEnv(t, mode)
			token, cookie := e.csrfPair(t)
			token2, cookie2 := e.csrfPair(t)
			otherToken, otherCookie := csrf.New(hostileOtherSecret)
			forged := strings.Repeat("ab", 32)
			tampered := []byte(cookie)
			if tampered[len(tampered)-1] == '0' {
				tampered[len(tampered)-1] = '1'
			} else {
				tampered[len(tampered)-1] = '0'
			}
			decoded, _ := url.PathUnescape(cookie)

			const omit = "\x00omit"
			type csrfCase struct {
				name   string
				cookie string // raw CSRF cookie value; omit for none
				token  string // body csrfToken; omit for none
				json   any    // when set, a JSON body with this csrfToken
				query  bool   // token in the query string instead
				header bool   // token in headers instead
			}
			cases := []csrfCase{
				{name: "no csrfToken", cookie: cookie, token: omit},
				{name: "empty csrfToken", cookie: cookie, token: ""},
				{name: "wrong csrfToken", cookie: cookie, token: strings.Repeat("0", 64)},
				{name: "token of another cookie", cookie: cookie, token: token2},
				{name: "cookie and token of another secret", cookie: cookies.EncodeURIComponent(otherCookie), token: otherToken},
				{name: "right token without cookie", cookie: omit, token: token},
				{name: "right token with another cookie", cookie: cookie2, token: token},
				{name: "tampered cookie hash", cookie: string(tampered), token: token},
				{name: "cookie without hash", cookie: token, token: token},
				{name: "cookie hash without secret", cookie: forged + "%7C" + csrf.Hash(forged, ""), token: forged},
				{name: "token|token cookie", cookie: token + "%7C" + token, token: token},
				{name: "empty cookie", cookie: "", token: ""},
				{name: "cookie value as token", cookie: cookie, token: decoded},
				{name: "upper-case token", cookie: cookie, token: strings.ToUpper(token)},
				{name: "token with a space", cookie: cookie, token: token + " "},
				{name: "token prefix", cookie: cookie, token: token[:63]},
				{name: "token in the query", cookie: cookie, token: omit, query: true},
				{name: "token in headers", cookie: cookie, token: omit, header: true},
				{name: "JSON array token", cookie: cookie, json: []string{token}},
				{name: "JSON number token", cookie: cookie, json: 1},
				{name: "JSON object token", cookie: cookie, json: map[string]string{"csrfToken": token}},
			}
			endpoints := []string{"/callback/credentials", "/signin/credentials", "/signout", "/session"}
			for _, ep := range endpoints {
				for _, tc := range cases {
					for _, asJSON := range []bool{false, true} {
						name := ep + "/" + tc.name
						if asJSON {
							if ep == "/session" {
								continue
							}
							name += "/redirect as JSON"
						}
						t.Run(name, func(t *testing.T) {
							h := map[string]string{}
							if tc.cookie != omit {
								h["Cookie"] = e.names.CSRF + "=" + tc.cookie
							}
							form := url.Values{"username": {"alice"}, "password": {"wonderland"}, "callbackUrl": {"/after"}}
							if asJSON {
								e.jsonRedirect(form, h)
							}
							path := "/api/auth" + ep
							if tc.query {
								path += "?csrfToken=" + token
							}
							if tc.header {
								h["X-CSRF-Token"], h["X-XSRF-Token"], h["CSRF-Token"] = token, token, token
							}
							var r hostileResp
							before := e.authorized.Load()
							if tc.json != nil {
								body := map[string]any{"csrfToken": tc.json, "username": "alice", "password": "wonderland", "callbackUrl": "/after"}
								if form.Get("json") != "" {
									body["json"] = "true"
								}
								b, _ := json.Marshal(body)
								r = e.send(t, hostileReq{method: http.MethodPost, path: path, body: strings.NewReader(string(b)), ctype: "application/json", header: h})
							} else {
								if tc.token != omit {
									form.Set("csrfToken", tc.token)
								}
								r = e.postForm(t, path, form, h)
							}
							e.noNewSession(t, r)
							if n := e.authorized.Load() - before; n != 0 {
								t.Errorf("Authorize ran %d times", n)
							}
							e.checkCSRFFailure(t, ep, r)
						})
					}
				}
			}

			t.Run("control: right token and cookie", func(t *testing.T) {
				h := map[string]string{"Cookie": e.names.CSRF + "=" + cookie}
				form := url.Values{"csrfToken": {token}, "username": {"alice"}, "password": {"wonderland"}, "callbackUrl": {"/after"}}
				r := e.postForm(t, "/api/auth/callback/credentials", form, h)
				if r.status != http.StatusFound || r.header.Get("Location") != e.origin+"/after" {
					t.Fatalf("sign-in = %d %q", r.status, r.header.Get("Location"))
				}
				if _, ok := r.cookie(e.names.Session); !ok {
					t.Errorf("no session cookie after a valid sign-in")
				}
			})
			t.Run("control: cookie jar flow", func(t *testing.T) {
				jar, _ := cookiejar.New(nil)
				c := hostileClient(jar)
				r := e.send(t, hostileReq{method: http.MethodGet, path: "/api/auth/csrf", client: c})
				var body struct {
					CSRFToken string `json:"csrfToken"`
				}
				json.Unmarshal([]byte(r.body), &body)
				form := url.Values{"csrfToken": {body.CSRFToken}, "username": {"alice"}, "password": {"wonderland"}}
				r = e.send(t, hostileReq{method: http.MethodPost, path: "/api/auth/callback/credentials", body: strings.NewReader(form.Encode()),
					ctype: "application/x-www-form-urlencoded", client: c})
				if r.status != http.StatusFound {
					t.Fatalf("sign-in = %d", r.status)
				}
				r = e.send(t, hostileReq{method: http.MethodGet, path: "/protected", client: c})
				if r.status != http.StatusOK || r.body != `{"sub":"1"}` {
					t.Errorf("GET /protected after sign-in = %d %s", r.status, r.body)
				}
				// A wrong token from the same browser signs nobody out.
				form = url.Values{"csrfToken": {strings.Repeat("0", 64)}}
				r = e.send(t, hostileReq{method: http.MethodPost, path: "/api/auth/signout", body: strings.NewReader(form.Encode()),
					ctype: "application/x-www-form-urlencoded", client: c})
				e.checkCSRFFailure(t, "/signout", r)
				r = e.send(t, hostileReq{method: http.MethodGet, path: "/protected", client: c})
				if r.status != http.StatusOK {
					t.Errorf("a sign-out with a wrong CSRF token ended the session: %d", r.status)
				}
			})
		})
	}
}

// checkCSRFFailure checks the dialect's answer to a POST without a valid
// CSRF token.
func (e *hostileEnv) checkCSRFFailure(t *testing.T, ep string, r hostileResp) {
	t.Helper()
	if ep == "/session" {
		if r.status != http.StatusBadRequest || r.body != e.emptySession() {
			t.Errorf("POST /session = %d %.200q, want 400 %s", r.status, r.body, e.emptySession())
		}
		return
	}
	want := e.origin + "/api/auth/signin?error=MissingCSRF"
	if e.mode == ginauth.ModeV4 {
		want = e.base + "/signin?csrf=true"
		if ep == "/signout" {
			want = e.base + "/signout?csrf=true"
		}
	}
	if r.status == http.StatusOK {
		if r.body != `{"url":"`+want+`"}` {
			t.Errorf("POST %s = 200 %.200q, want {\"url\":%q}", ep, r.body, want)
		}
		return
	}
	if r.status != http.StatusFound || r.header.Get("Location") != want {
		t.Errorf("POST %s = %d Location %q, want 302 %s", ep, r.status, r.header.Get("Location"), want)
	}
}

// ---------------------------------------------------------------------------
// callbackUrl

// hostilePayloads reads the shared table of open-redirect payloads and
// fills its placeholders for origin.
func hostilePayloads(t *testing.T, origin string) []string {
	data, err := os.ReadFile("internal/redirect/testdata/hostile-callback-urls.txt")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(origin)
	fill := strings.NewReplacer("{host}", u.Host, "{hostname}", u.Hostname(), "{port}", u.Port())
	var out []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("bad payload line %s: %v", line, err)
		}
		out = append(out, fill.Replace(p))
	}
	out = append(out, "/"+strings.Repeat("a", 5000), origin+".evil.com/", origin+"@evil.com/")
	if len(out) < 30 {
		t.Fatalf("only %d payloads", len(out))
	}
	return out
}

var hostileHiddenCallback = regexp.MustCompile(`name="callbackUrl" value="([^"]*)"`)

func TestHostileCallbackURL(t *testing.T) {
	for _, mode := range hostileModes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newHostileEnv(t, mode)
			token, cookie := e.csrfPair(t)
			csrfCookie := e.names.CSRF + "=" + cookie
			onOrigin := func(t *testing.T, what, target string) {
				t.Helper()
				if err := hostileOnOrigin(target, e.origin); err != nil {
					t.Errorf("%s: %v", what, err)
				}
			}
			for _, p := range hostilePayloads(t, e.origin) {
				t.Run(strconv.Quote(p), func(t *testing.T) {
					signIn := url.Values{"csrfToken": {token}, "username": {"alice"}, "password": {"wonderland"}}

					t.Run("sign-in body", func(t *testing.T) {
						form := url.Values{"callbackUrl": {p}}
						for k, v := range signIn {
							form[k] = v
						}
						r := e.postForm(t, "/api/auth/callback/credentials", form, map[string]string{"Cookie": csrfCookie})
						if r.status != http.StatusFound {
							t.Fatalf("sign-in = %d %.200q", r.status, r.body)
						}
						onOrigin(t, "Location", hostileRedirectTarget(t, r))
						if v, ok := r.cookie(e.names.CallbackURL); ok {
							onOrigin(t, "callback-url cookie", v)
						}
						h := map[string]string{"Cookie": csrfCookie}
						e.jsonRedirect(form, h)
						r = e.postForm(t, "/api/auth/callback/credentials", form, h)
						if r.status != http.StatusOK {
							t.Fatalf("sign-in as JSON = %d %.200q", r.status, r.body)
						}
						onOrigin(t, "JSON url", hostileRedirectTarget(t, r))
					})

					t.Run("sign-in page query", func(t *testing.T) {
						r := e.get(t, "/api/auth/signin?"+url.Values{"callbackUrl": {p}}.Encode(), nil)
						if r.status != http.StatusOK {
							t.Fatalf("GET /signin = %d %.200q", r.status, r.body)
						}
						v, ok := r.cookie(e.names.CallbackURL)
						if !ok {
							t.Fatalf("no callback-url cookie: %q", r.header.Values("Set-Cookie"))
						}
						onOrigin(t, "callback-url cookie", v)
						m := hostileHiddenCallback.FindAllStringSubmatch(r.body, -1)
						if len(m) == 0 {
							t.Fatalf("no callbackUrl field in the sign-in page")
						}
						for _, f := range m {
							onOrigin(t, "callbackUrl field", html.UnescapeString(f[1]))
						}
					})

					t.Run("callback-url cookie", func(t *testing.T) {
						h := map[string]string{"Cookie": csrfCookie + "; " + e.names.CallbackURL + "=" + cookies.EncodeURIComponent(p)}
						r := e.postForm(t, "/api/auth/callback/credentials", signIn, h)
						if r.status != http.StatusFound {
							t.Fatalf("sign-in = %d %.200q", r.status, r.body)
						}
						onOrigin(t, "Location after sign-in", hostileRedirectTarget(t, r))
						r = e.postForm(t, "/api/auth/signout", url.Values{"csrfToken": {token}}, h)
						if r.status != http.StatusFound {
							t.Fatalf("sign-out = %d %.200q", r.status, r.body)
						}
						onOrigin(t, "Location after sign-out", hostileRedirectTarget(t, r))
						if (&http.Cookie{Name: "c", Value: p}).Valid() == nil && !strings.ContainsAny(p, " ,") {
							// The same value not encoded, as another client may write it.
							h["Cookie"] = csrfCookie + "; " + e.names.CallbackURL + "=" + p
							r = e.postForm(t, "/api/auth/signout", url.Values{"csrfToken": {token}}, h)
							if r.status != http.StatusFound {
								t.Fatalf("sign-out = %d %.200q", r.status, r.body)
							}
							onOrigin(t, "Location after sign-out (raw cookie)", hostileRedirectTarget(t, r))
						}
					})
				})
			}
		})
	}
}

// TestHostileSignInRedirect: RequireAuth(RedirectToSignIn()) sends the
// requested URL as callbackUrl; a request path shaped like another origin
// must stay on this one all the way through sign-in.
func TestHostileSignInRedirect(t *testing.T) {
	for _, mode := range hostileModes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newHostileEnv(t, mode)
			token, cookie := e.csrfPair(t)
			for _, p := range []string{"/page//evil.com", "/page///evil.com/x", "/page/%2F%2Fevil.com", "/page/%5Cevil.com",
				"/page/x?callbackUrl=https://evil.com", "/page/@evil.com", "/page/..%2F..%2F%2Fevil.com"} {
				t.Run(p, func(t *testing.T) {
					r := e.get(t, p, nil)
					if r.status != http.StatusFound {
						t.Fatalf("GET %s = %d, want 302", p, r.status)
					}
					loc := r.header.Get("Location")
					if err := hostileOnOrigin(loc, e.origin); err != nil {
						t.Fatal(err)
					}
					u, _ := url.Parse(loc)
					back := u.Query().Get("callbackUrl")
					if err := hostileOnOrigin(back, e.origin); err != nil {
						t.Fatalf("callbackUrl: %v", err)
					}
					form := url.Values{"csrfToken": {token}, "username": {"alice"}, "password": {"wonderland"}, "callbackUrl": {back}}
					r = e.postForm(t, "/api/auth/callback/credentials", form, map[string]string{"Cookie": e.names.CSRF + "=" + cookie})
					if err := hostileOnOrigin(hostileRedirectTarget(t, r), e.origin); err != nil {
						t.Errorf("after sign-in: %v", err)
					}
				})
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Malformed requests

type hostileBadReq struct {
	name   string
	method string
	path   string
	ctype  string
	body   func() io.Reader
	header map[string]string
	csrf   bool // send a valid CSRF cookie (the body may hold its token)
	// maySignIn: a session may be set (the request is ambiguous, not bad).
	maySignIn bool
	want      int // 0: anything but a 5xx
	// wantBody, when set, is the exact body.
	wantBody string
}

// hostileUnsized hides a reader's length so that the request is sent chunked.
type hostileUnsized struct{ io.Reader }

func TestHostileRequests(t *testing.T) {
	str := func(s string) func() io.Reader { return func() io.Reader { return strings.NewReader(s) } }
	chunked := func(s string) func() io.Reader {
		return func() io.Reader { return hostileUnsized{strings.NewReader(s)} }
	}
	pad := func(n int) string { return "csrfToken=x&pad=" + strings.Repeat("a", n) }
	bigJSON := `{"data":"` + strings.Repeat("a", 100<<10) + `"}`
	const form = "application/x-www-form-urlencoded"
	for _, mode := range hostileModes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newHostileEnv(t, mode)
			token, cookie := e.csrfPair(t)
			bad := func(method string) string {
				if mode == ginauth.ModeV4 {
					return "Error: This action with HTTP " + method + " is not supported by NextAuth.js"
				}
				return `"Bad request."`
			}
			signIn := "username=alice&password=wonderland&csrfToken=" + token
			var cases []hostileBadReq
			for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, http.MethodTrace, http.MethodHead} {
				for _, p := range []string{"/session", "/csrf", "/providers", "/signin", "/signin/credentials", "/callback/credentials", "/signout", "/error", "/verify-request", "/nope"} {
					c := hostileBadReq{name: m + " " + p, method: m, path: "/api/auth" + p, want: http.StatusBadRequest, wantBody: bad(m)}
					if m == http.MethodHead {
						c.wantBody = ""
					}
					cases = append(cases, c)
				}
			}
			cases = append(cases,
				hostileBadReq{name: "PUT with a valid sign-in", method: http.MethodPut, path: "/api/auth/callback/credentials", ctype: form, body: str(signIn), csrf: true, want: http.StatusBadRequest},
				hostileBadReq{name: "unknown method", method: "FOO", path: "/api/auth/session"},
			)
			for _, p := range []string{"/nope", "/signin/a/b", "/callback/credentials/x", "/", "/session/x", "/csrf/x", "/providers/x", "/signout/x",
				"/verify-request/x", "/%2e%2e/session", "/..%2fsession", "/session%00", "/SESSION", "/session.json", "/webauthn-options/x"} {
				for _, m := range []string{http.MethodGet, http.MethodPost} {
					cases = append(cases, hostileBadReq{name: m + " " + p, method: m, path: "/api/auth" + p, want: http.StatusBadRequest, wantBody: bad(m)})
				}
			}
			logWant := http.StatusBadRequest
			if mode == ginauth.ModeV4 {
				logWant = http.StatusOK // the v4 client's logger beacon
			}
			cases = append(cases,
				hostileBadReq{name: "GET /api/auth", method: http.MethodGet, path: "/api/auth"},
				hostileBadReq{name: "POST /_log", method: http.MethodPost, path: "/api/auth/_log", ctype: form, body: str("level=error&code=x"), want: logWant},
				hostileBadReq{name: "GET /_log", method: http.MethodGet, path: "/api/auth/_log", want: http.StatusBadRequest},
			)
			// Unknown providers.
			for _, id := range []string{"nope", "CREDENTIALS", "credentials%00", "%3Cscript%3E", strings.Repeat("a", 1000), "undefined"} {
				cases = append(cases,
					hostileBadReq{name: "GET /signin/" + id[:min(len(id), 20)], method: http.MethodGet, path: "/api/auth/signin/" + id},
					hostileBadReq{name: "POST /signin/" + id[:min(len(id), 20)], method: http.MethodPost, path: "/api/auth/signin/" + id, ctype: form, body: str(signIn), csrf: true},
					hostileBadReq{name: "GET /callback/" + id[:min(len(id), 20)], method: http.MethodGet, path: "/api/auth/callback/" + id + "?" + signIn},
					hostileBadReq{name: "POST /callback/" + id[:min(len(id), 20)], method: http.MethodPost, path: "/api/auth/callback/" + id, ctype: form, body: str(signIn), csrf: true},
				)
			}
			cases = append(cases,
				hostileBadReq{name: "GET /callback/credentials with credentials in the query", method: http.MethodGet,
					path: "/api/auth/callback/credentials?" + signIn, csrf: true},
				// Bodies over the 64 KiB limit.
				hostileBadReq{name: "form just under the limit", method: http.MethodPost, path: "/api/auth/callback/credentials", ctype: form, body: str(pad(64<<10 - 30)), csrf: true},
				hostileBadReq{name: "form over the limit", method: http.MethodPost, path: "/api/auth/callback/credentials", ctype: form, body: str(pad(64 << 10)), csrf: true, want: http.StatusRequestEntityTooLarge},
				hostileBadReq{name: "form of 1 MiB", method: http.MethodPost, path: "/api/auth/signout", ctype: form, body: str(pad(1 << 20)), csrf: true, want: http.StatusRequestEntityTooLarge},
				hostileBadReq{name: "chunked form over the limit", method: http.MethodPost, path: "/api/auth/callback/credentials", ctype: form, body: chunked(pad(100 << 10)), csrf: true, want: http.StatusRequestEntityTooLarge},
				hostileBadReq{name: "chunked JSON over the limit", method: http.MethodPost, path: "/api/auth/session", ctype: "application/json",
					body: chunked(bigJSON), csrf: true, want: http.StatusRequestEntityTooLarge},
				hostileBadReq{name: "JSON over the limit", method: http.MethodPost, path: "/api/auth/session", ctype: "application/json",
					body: str(bigJSON), want: http.StatusRequestEntityTooLarge},
				hostileBadReq{name: "text over the limit", method: http.MethodPost, path: "/api/auth/signout", ctype: "text/plain", body: str(pad(100 << 10)), want: http.StatusRequestEntityTooLarge},
				hostileBadReq{name: "chunked text over the limit", method: http.MethodPost, path: "/api/auth/signout", ctype: "text/plain", body: chunked(pad(100 << 10))},
				hostileBadReq{name: "huge query", method: http.MethodGet, path: "/api/auth/session?callbackUrl=" + strings.Repeat("%2F", 20000)},
			)
			// Malformed JSON bodies.
			for _, b := range []string{"{", `{"csrfToken":`, "[]", `"str"`, "123", "true", `{"a":1}{`, "\xff\xfe{}", `{"csrfToken":"x","csrfToken":{}}`,
				strings.Repeat("[", 20000), `{"data":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + "}", "null", " ", `{"csrfToken":null}`} {
				for _, p := range []string{"/callback/credentials", "/session", "/signout"} {
					cases = append(cases, hostileBadReq{name: "JSON " + strconv.Quote(b[:min(len(b), 24)]) + " to " + p, method: http.MethodPost,
						path: "/api/auth" + p, ctype: "application/json", body: str(b), csrf: true})
				}
			}
			// A valid sign-in in a body the endpoints do not read.
			multipart := "--X\r\nContent-Disposition: form-data; name=\"csrfToken\"\r\n\r\n" + token +
				"\r\n--X\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--X\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nwonderland\r\n--X--\r\n"
			for _, ct := range []struct{ ctype, body string }{
				{"text/plain", signIn},
				{"", signIn},
				{"application/xml", signIn},
				{"application/x-www-form-urlencodedx", signIn},
				{";;;", signIn},
				{"multipart/form-data; boundary=X", multipart},
				{"application/json", signIn},
			} {
				cases = append(cases, hostileBadReq{name: "content type " + strconv.Quote(ct.ctype), method: http.MethodPost,
					path: "/api/auth/callback/credentials", ctype: ct.ctype, body: str(ct.body), csrf: true})
			}
			// Duplicated fields: no copy of the token is right, so nothing
			// signs in; with one right copy the answer is either a sign-in
			// or a CSRF failure (Auth.js keeps the last form value), but
			// never an error.
			for _, b := range []string{
				"csrfToken=wrong&csrfToken=alsowrong&username=alice&password=wonderland",
				"csrfToken=&csrfToken=&username=alice&password=wonderland",
			} {
				cases = append(cases, hostileBadReq{name: "duplicate fields " + b[:24], method: http.MethodPost,
					path: "/api/auth/callback/credentials", ctype: form, body: str(b), csrf: true})
			}
			for _, b := range []string{
				"csrfToken=wrong&csrfToken=" + token + "&username=alice&password=wonderland",
				"csrfToken=" + token + "&csrfToken=wrong&username=alice&password=wonderland",
				"csrfToken=" + token + "&username=mallory&username=alice&password=wonderland&password=x",
			} {
				cases = append(cases, hostileBadReq{name: "duplicate fields with the token " + b[:24], method: http.MethodPost,
					path: "/api/auth/callback/credentials", ctype: form, body: str(b), csrf: true, maySignIn: true})
			}
			cases = append(cases, hostileBadReq{name: "duplicate JSON keys", method: http.MethodPost, path: "/api/auth/callback/credentials", ctype: "application/json",
				body: str(`{"csrfToken":"wrong","csrfToken":"alsowrong","username":"alice","password":"wonderland"}`), csrf: true})

			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					h := map[string]string{}
					for k, v := range tc.header {
						h[k] = v
					}
					if tc.csrf {
						h["Cookie"] = e.names.CSRF + "=" + cookie
					}
					var body io.Reader
					if tc.body != nil {
						body = tc.body()
					}
					r := e.send(t, hostileReq{method: tc.method, path: tc.path, body: body, ctype: tc.ctype, header: h})
					if tc.maySignIn {
						if r.status != http.StatusFound {
							t.Errorf("status %d, want 302; body %.200q", r.status, r.body)
						}
					} else {
						e.noNewSession(t, r)
					}
					if tc.want != 0 && r.status != tc.want {
						t.Errorf("status %d, want %d; body %.200q", r.status, tc.want, r.body)
					}
					if tc.wantBody != "" && r.body != tc.wantBody {
						t.Errorf("body %.200q, want %q", r.body, tc.wantBody)
					}
				})
			}

			t.Run("form with a charset signs in", func(t *testing.T) {
				for _, ct := range []string{"application/x-www-form-urlencoded; charset=UTF-8", "APPLICATION/X-WWW-FORM-URLENCODED"} {
					r := e.send(t, hostileReq{method: http.MethodPost, path: "/api/auth/callback/credentials", body: strings.NewReader(signIn), ctype: ct,
						header: map[string]string{"Cookie": e.names.CSRF + "=" + cookie}})
					if _, ok := r.cookie(e.names.Session); r.status != http.StatusFound || !ok {
						t.Errorf("%s: sign-in = %d, session cookie %v", ct, r.status, ok)
					}
				}
			})
		})
	}
}

// ---------------------------------------------------------------------------
// Forwarded host headers

func TestHostileForwardedHost(t *testing.T) {
	for _, mode := range hostileModes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newHostileEnv(t, mode, func(c *ginauth.Config) { c.URL, c.TrustHost = "", true })
			junk := []string{
				"evil.com/path", "evil.com?x", "evil.com#x", "a b", "evil.com@x", "user@evil.com", "[::1", "::1]", "evil.com:abc",
				strings.Repeat("a", 300), "évil.com", "evil.com\\x", "<script>", "evil.com:80:80", "%65vil.com", "evil.com\"", "\"",
			}
			for _, h := range junk {
				t.Run("X-Forwarded-Host "+strconv.Quote(h[:min(len(h), 30)]), func(t *testing.T) {
					for _, p := range []string{"/api/auth/session", "/api/auth/csrf", "/api/auth/signin", "/api/auth/providers"} {
						r := e.get(t, p, map[string]string{"X-Forwarded-Host": h})
						e.noNewSession(t, r)
						if r.status != http.StatusBadRequest {
							t.Errorf("GET %s = %d %.200q, want 400", p, r.status, r.body)
						}
						if loc := r.header.Get("Location"); loc != "" {
							t.Errorf("GET %s redirected to %q", p, loc)
						}
					}
					r := e.get(t, "/protected", map[string]string{"X-Forwarded-Host": h})
					if r.status != http.StatusUnauthorized {
						t.Errorf("GET /protected = %d", r.status)
					}
				})
			}
			// Accepted forms: still no 5xx, and the origin is what the header says.
			for _, tc := range []struct{ host, proto, want string }{
				{"app.example.com", "", "http://app.example.com"},
				{"APP.example.com:8443", "https", "https://app.example.com:8443"},
				{"app.example.com, evil.com", "https, http", "https://app.example.com"},
				{"app.example.com", "javascript", "http://app.example.com"},
				{"", "", e.origin},
			} {
				t.Run("accepted "+tc.host+" "+tc.proto, func(t *testing.T) {
					h := map[string]string{"X-Forwarded-Host": tc.host, "X-Forwarded-Proto": tc.proto}
					r := e.get(t, "/api/auth/providers", h)
					if r.status != http.StatusOK || !strings.Contains(r.body, `"signinUrl":"`+tc.want+`/api/auth/signin/credentials"`) {
						t.Errorf("GET /providers = %d %.300q, want URLs on %s", r.status, r.body, tc.want)
					}
				})
			}
			// A junk Host header, sent raw since net/http's client refuses it.
			for _, h := range []string{"evil.com/x", "evil.com:abc", "a b", "", "[::1", "evil.com@x", "évil.com", strings.Repeat("a", 300)} {
				t.Run("Host "+strconv.Quote(h[:min(len(h), 30)]), func(t *testing.T) {
					status := hostileRaw(t, e.srv.Listener.Addr().String(), "GET /api/auth/session HTTP/1.1\r\nHost: "+h+"\r\nConnection: close\r\n\r\n")
					if status != http.StatusBadRequest {
						t.Errorf("status %d, want 400", status)
					}
				})
			}
		})
	}
}

// hostileRaw sends a raw HTTP/1.1 request and returns the response status.
func hostileRaw(t *testing.T, addr, request string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// ---------------------------------------------------------------------------
// Pages with hostile query parameters

func TestHostilePages(t *testing.T) {
	const xss = `<script>alert(1)</script>`
	for _, mode := range hostileModes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newHostileEnv(t, mode)
			type pageCase struct {
				path string
				want int
			}
			cases := []pageCase{
				{"/api/auth/error?error=Configuration", http.StatusInternalServerError}, // by design
				{"/api/auth/error?error=AccessDenied", http.StatusForbidden},
				{"/api/auth/error?error=Verification", http.StatusForbidden},
				{"/api/auth/error?error=" + url.QueryEscape(xss), http.StatusOK},
				{"/api/auth/error?error=" + strings.Repeat("A", 10000), http.StatusOK},
				{"/api/auth/error?error=%00%0d%0a", http.StatusOK},
				{"/api/auth/error?error=%zz", http.StatusOK},
				{"/api/auth/signin?error=" + url.QueryEscape(xss), http.StatusOK},
				{"/api/auth/signin?email=" + url.QueryEscape(`"><img src=x onerror=alert(1)>`), http.StatusOK},
				{"/api/auth/signin?csrf=true&callbackUrl=" + url.QueryEscape("javascript:alert(1)"), http.StatusOK},
				{"/api/auth/signout?csrf=true&callbackUrl=" + url.QueryEscape(`"><script>alert(1)</script>`), http.StatusOK},
				{"/api/auth/verify-request?provider=" + url.QueryEscape(xss), http.StatusOK},
			}
			if mode == ginauth.ModeV4 {
				cases = append(cases,
					pageCase{"/api/auth/error?error=configuration", http.StatusInternalServerError}, // v4 matches the code lower-cased
					pageCase{"/api/auth/error/AccessDenied", http.StatusForbidden},
					pageCase{"/api/auth/error?error=CredentialsSignin", http.StatusFound},
					pageCase{"/api/auth/error/" + url.PathEscape(`<img src=x onerror=alert(1)>`), http.StatusOK},
				)
			} else {
				// v5 matches the code exactly: only "Configuration" is a 500.
				cases = append(cases, pageCase{"/api/auth/error?error=configuration", http.StatusOK})
			}
			for _, tc := range cases {
				t.Run(tc.path[:min(len(tc.path), 80)], func(t *testing.T) {
					r := e.get(t, tc.path, nil)
					if r.status != tc.want {
						t.Errorf("status %d, want %d", r.status, tc.want)
					}
					if tc.want != http.StatusInternalServerError {
						e.noNewSession(t, r)
					}
					for _, raw := range []string{xss, "<img src=x", "<script>"} {
						if strings.Contains(r.body, raw) {
							t.Errorf("the page reflects %q unescaped", raw)
						}
					}
					if loc := r.header.Get("Location"); loc != "" {
						if err := hostileOnOrigin(loc, e.origin); err != nil {
							t.Error(err)
						}
					}
				})
			}
		})
	}
}

// dialectOf returns the dialect a mode speaks.
func dialectOf(m ginauth.Mode) *dialect.Dialect {
	if m == ginauth.ModeV4 {
		return dialect.V4
	}
	return dialect.V5
}
