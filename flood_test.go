package ginauth_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/providers"
	"github.com/ginauth/ginauth/throttle"
)

// A request can carry as many cookies as the server's header limit holds
// (net/http's default 1 MiB fits about forty thousand short ones). Cookies
// named like session chunks must cost work linear in the header and a
// bounded answer, on every endpoint that reads or rewrites the session.

// floodSize is the number of cookies a flood carries: about what a
// 1 MiB header holds.
const floodSize = 40_000

// floodShape names a flood's cookies.
type floodShape struct {
	name string
	// cookie returns the i-th cookie of the flood, "name=value".
	cookie func(base string, i int) string
}

var floodShapes = []floodShape{
	{"numbered chunks", func(base string, i int) string { return base + "." + strconv.Itoa(i) + "=x" }},
	{"one chunk repeated", func(base string, i int) string { return base + ".0=x" + strconv.Itoa(i) }},
	{"the cookie repeated", func(base string, i int) string { return base + "=x" + strconv.Itoa(i) }},
	{"other dialect", func(base string, i int) string {
		other := "next-auth.session-token"
		if strings.Contains(base, "next-auth.") {
			other = "authjs.session-token"
		}
		return other + "." + strconv.Itoa(i) + "=x"
	}},
	{"secure chunks", func(base string, i int) string { return "__Secure-" + base + "." + strconv.Itoa(i) + "=x" }},
	{"empty chunks", func(base string, i int) string { return base + "." + strconv.Itoa(i) + "=" }},
	{"mixed", func(base string, i int) string {
		switch i % 4 {
		case 0:
			return base + "." + strconv.Itoa(i%64) + "=x"
		case 1:
			return base + ".a" + strconv.Itoa(i) + "=%zz"
		case 2:
			return "__Secure-" + base + "=x"
		}
		return "other" + strconv.Itoa(i) + "=y"
	}},
}

// floodLine returns one Cookie header of n cookies of shape s, preceded by
// extra (a CSRF cookie, a session cookie) when not empty.
func floodLine(s floodShape, base string, n int, extra ...string) string {
	var b strings.Builder
	for _, e := range extra {
		b.WriteString(e)
		b.WriteString("; ")
	}
	for i := range n {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s.cookie(base, i))
	}
	return b.String()
}

// floodEnv is an engine with the Auth.js endpoints, a route behind
// RequireAuth and one behind RequireAuth(RedirectToSignIn()).
type floodEnv struct {
	h          http.Handler
	names      cookies.Names
	csrfToken  string
	csrfCookie string // name=value
	session    string // name=value of a valid session cookie
	lines      map[floodKey]string
}

func newFloodEnv(tb testing.TB, mode ginauth.Mode) *floodEnv {
	tb.Helper()
	auth, err := ginauth.New(ginauth.Config{
		Secret:    testSecret,
		URL:       "http://localhost:8080",
		Mode:      mode,
		Providers: []providers.Provider{providers.Credentials{Authorize: authorize}},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Throttle:  ginauth.Throttle{CredentialsPerIdentifier: throttle.Unlimited, CredentialsPerClient: throttle.Unlimited},
	})
	if err != nil {
		tb.Fatal(err)
	}
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/protected", auth.RequireAuth(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/page", auth.RequireAuth(ginauth.RedirectToSignIn()), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	e := &floodEnv{h: r, names: dialectOf(mode).Names(false), lines: map[floodKey]string{}}

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/auth/csrf", nil))
	for _, c := range w.Result().Cookies() {
		if c.Name == e.names.CSRF {
			e.csrfCookie = c.Name + "=" + c.Value
			e.csrfToken, _, _ = strings.Cut(c.Value, "%7C")
		}
	}
	if e.csrfToken == "" {
		tb.Fatal("no CSRF cookie")
	}
	form := url.Values{"username": {"alice"}, "password": {"wonderland"}, "csrfToken": {e.csrfToken}}
	req := httptest.NewRequest(http.MethodPost, "/api/auth/callback/credentials", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", e.csrfCookie)
	w = httptest.NewRecorder()
	r.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.Name == e.names.Session {
			e.session = c.Name + "=" + c.Value
		}
	}
	if e.session == "" {
		tb.Fatal("no session cookie")
	}
	return e
}

// floodRequest is one request a flood rides on.
type floodRequest struct {
	name        string
	method      string
	path        string
	body        string // form; csrfToken is added
	withSession bool   // also send the valid session cookie
}

func floodRequests() []floodRequest {
	return []floodRequest{
		{name: "GET session", method: http.MethodGet, path: "/api/auth/session"},
		{name: "GET session signed in", method: http.MethodGet, path: "/api/auth/session", withSession: true},
		{name: "POST session", method: http.MethodPost, path: "/api/auth/session", body: "data=x", withSession: true},
		{name: "GET csrf", method: http.MethodGet, path: "/api/auth/csrf"},
		{name: "GET providers", method: http.MethodGet, path: "/api/auth/providers"},
		{name: "GET signin", method: http.MethodGet, path: "/api/auth/signin"},
		{name: "POST signout", method: http.MethodPost, path: "/api/auth/signout", body: "x=1", withSession: true},
		{name: "POST callback", method: http.MethodPost, path: "/api/auth/callback/credentials", body: "username=alice&password=wonderland"},
		{name: "RequireAuth", method: http.MethodGet, path: "/protected", withSession: true},
		{name: "RequireAuth without a session", method: http.MethodGet, path: "/protected"},
		{name: "RequireAuth redirect", method: http.MethodGet, path: "/page"},
	}
}

// build returns the request fr carrying a flood of n cookies of shape s.
func (e *floodEnv) build(fr floodRequest, s floodShape, n int) *http.Request {
	extra := []string{e.csrfCookie}
	if fr.withSession {
		extra = append(extra, e.session)
	}
	var req *http.Request
	if fr.body != "" {
		req = httptest.NewRequest(fr.method, fr.path, strings.NewReader(fr.body+"&csrfToken="+e.csrfToken))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(fr.method, fr.path, nil)
	}
	key := floodKey{s.name, n, fr.withSession}
	line, ok := e.lines[key]
	if !ok {
		line = floodLine(s, e.names.Session, n, extra...)
		e.lines[key] = line
	}
	req.Header.Set("Cookie", line)
	return req
}

type floodKey struct {
	shape       string
	n           int
	withSession bool
}

// BenchmarkCookieFlood measures one request carrying floodSize cookies
// named like session chunks, per endpoint: the time, the CPU time of the
// process (which a busy machine does not inflate) and the Set-Cookies of
// the answer.
func BenchmarkCookieFlood(b *testing.B) {
	e := newFloodEnv(b, ginauth.ModeV5)
	for _, fr := range floodRequests() {
		b.Run(strings.ReplaceAll(fr.name, " ", "_"), func(b *testing.B) {
			proto := e.build(fr, floodShapes[0], floodSize)
			line := proto.Header.Get("Cookie")
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			setCookies := 0
			cpu := processCPU()
			for b.Loop() {
				req := e.build(fr, floodShapes[0], 0)
				req.Header.Set("Cookie", line)
				w := &floodWriter{header: http.Header{}}
				e.h.ServeHTTP(w, req)
				if w.status >= 500 {
					b.Fatalf("status %d", w.status)
				}
				setCookies = len(w.header.Values("Set-Cookie"))
			}
			b.ReportMetric(float64(setCookies), "set-cookies/op")
			if spent := processCPU() - cpu; spent > 0 {
				b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// floodWriter records the status and headers of an answer and discards
// its body.
type floodWriter struct {
	header http.Header
	status int
	body   int
}

func (w *floodWriter) Header() http.Header { return w.header }
func (w *floodWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body += len(p)
	return len(p), nil
}
func (w *floodWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}

// maxSetCookies bounds the Set-Cookies of one answer: deletions of every
// session cookie name Seen keeps, a new session in MaxChunks chunks, and
// the CSRF and callback-url cookies.
const maxSetCookies = 1 + cookies.MaxChunks + cookies.MaxStale + cookies.MaxChunks + 2

// TestCookieFlood sends every endpoint and RequireAuth requests carrying
// floodSize cookies named like session chunks, in both dialects: no 5xx,
// at most maxSetCookies Set-Cookies, and no more allocations than the
// same request with a handful of such cookies (the work per cookie is a
// scan, never a copy or a comparison with every other cookie). The time
// per request is BenchmarkCookieFlood's.
func TestCookieFlood(t *testing.T) {
	for _, mode := range hostileModes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newFloodEnv(t, mode)
			for _, s := range floodShapes {
				t.Run(s.name, func(t *testing.T) {
					for _, fr := range floodRequests() {
						t.Run(fr.name, func(t *testing.T) {
							serve := func(n int) *floodWriter {
								w := &floodWriter{header: http.Header{}}
								e.h.ServeHTTP(w, e.build(fr, s, n))
								return w
							}
							w := serve(floodSize)
							if w.status >= 500 || w.status == 0 {
								t.Fatalf("status %d", w.status)
							}
							if n := len(w.header.Values("Set-Cookie")); n > maxSetCookies {
								t.Errorf("%d Set-Cookies", n)
							}
							if fr.withSession && s.name == "other dialect" {
								// Cookies of another name leave the session alone.
								if w.status >= 400 {
									t.Errorf("status %d: the session was not read", w.status)
								}
							}
							// Allocations: the request is built outside the
							// count, so build one per run ahead.
							const runs = 4
							count := func(n int) float64 {
								reqs := make([]*http.Request, runs+1)
								for i := range reqs {
									reqs[i] = e.build(fr, s, n)
								}
								i := 0
								return testing.AllocsPerRun(runs, func() {
									e.h.ServeHTTP(&floodWriter{header: http.Header{}}, reqs[i])
									i++
								})
							}
							// Past the caps, twenty times the cookies make no
							// more allocations (give or take the noise of
							// sync.Pool, which the race detector empties at
							// random): linear growth would add thousands.
							if few, many := count(floodSize/20), count(floodSize); many > few+16 {
								t.Errorf("%v allocations with %d cookies, %v with %d", many, floodSize, few, floodSize/20)
							}
						})
					}
				})
			}
		})
	}
}

// TestCookieFloodOverTheWire sends a flood as large as net/http's default
// header limit admits through a real connection: the answer is the
// bounded one, and a request over the limit is refused before ginauth
// reads it.
func TestCookieFloodOverTheWire(t *testing.T) {
	e := newFloodEnv(t, ginauth.ModeV5)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		n    int
		want int
	}{
		{floodSize * 3 / 4, http.StatusOK},
		{floodSize * 2, http.StatusRequestHeaderFieldsTooLarge},
	} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/auth/session", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Cookie", floodLine(floodShapes[0], e.names.Session, tc.n))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%d cookies (%d bytes): status %d, want %d", tc.n, len(req.Header.Get("Cookie")), resp.StatusCode, tc.want)
		}
		if n := len(resp.Header.Values("Set-Cookie")); n > maxSetCookies {
			t.Errorf("%d cookies: %d Set-Cookies", tc.n, n)
		}
		if tc.want == http.StatusOK && string(body) != "null" {
			t.Errorf("%d cookies: body %.100q, want null", tc.n, body)
		}
	}
}
