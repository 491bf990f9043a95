// Package soak_test runs ginauth under mixed load on loopback for a while
// (GINAUTH_SOAK, a duration; 5s when unset, 15s in scripts/test, 60s from
// scripts/soak): credentials sign-ins of many distinct users, session
// reads, a protected route with thousands of distinct users' tokens,
// forged tokens, cookie floods and password guessing, with the secret
// rotated halfway through (a new Auth with the new secret first and the
// old one kept, as a restart with AUTH_SECRET=new,old does). Every answer
// must be the intended one (401, 403 and 429 included), no handler may
// panic, no session may be lost across the rotation, and the memory and
// goroutines of the process must stay flat; both are reported over time.
package soak_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/providers"
)

const (
	oldSecret = "soak-secret-before-rotation-0123456789abcdef"
	newSecret = "soak-secret-after-rotation-fedcba9876543210"
	// sessionCookie is the v5 session cookie on an http origin.
	sessionCookie = "authjs.session-token"
	csrfCookie    = "authjs.csrf-token"
	// mintedUsers is how many distinct users' tokens the protected-route
	// workers rotate through: more than the token cache holds.
	mintedUsers = 20_000
	// floodCookies is the size of a cookie flood, under the server's
	// 1 MiB header limit.
	floodCookies = 5_000
	// victim is the account the password guesser attacks.
	victim = "victim"
)

// soakDuration reads GINAUTH_SOAK.
func soakDuration(t *testing.T) time.Duration {
	v := os.Getenv("GINAUTH_SOAK")
	if v == "" {
		return 5 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		t.Fatalf("GINAUTH_SOAK=%q: want a duration of at least 1s", v)
	}
	return d
}

// authorize accepts "user-<n>" with password "pw-<n>", and nothing else.
func authorize(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
	n, ok := strings.CutPrefix(c["username"], "user-")
	if !ok || c["password"] != "pw-"+n {
		return nil, nil
	}
	return &authjs.User{ID: "u" + n, Name: "User " + n, Email: "user" + n + "@example.com"}, nil
}

// server is the application under load: its handler can be replaced while
// it serves, as a rolling restart replaces a process.
type server struct {
	srv     *httptest.Server
	origin  string
	current atomic.Pointer[gin.Engine]
	panics  atomic.Int64
	errLogs atomic.Int64
}

// countingHandler counts error records: a request that makes ginauth log
// an error is a failure of the run.
type countingHandler struct {
	slog.Handler
	n *atomic.Int64
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return countingHandler{h.Handler.WithAttrs(as), h.n}
}

func (h countingHandler) WithGroup(name string) slog.Handler {
	return countingHandler{h.Handler.WithGroup(name), h.n}
}

func newServer(t *testing.T) *server {
	s := &server{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.current.Load().ServeHTTP(w, r)
	}))
	// The example's bounds on every phase of a connection.
	s.srv.Config.ReadHeaderTimeout = 5 * time.Second
	s.srv.Config.ReadTimeout = 15 * time.Second
	s.srv.Config.WriteTimeout = 30 * time.Second
	s.srv.Config.IdleTimeout = 2 * time.Minute
	s.srv.Config.ErrorLog = nil
	s.origin = "http://" + s.srv.Listener.Addr().String()
	s.install(t, oldSecret)
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// install serves a new Auth made with secrets (the first signs, all
// decrypt), as a process started with AUTH_SECRET=secrets would.
func (s *server) install(t *testing.T, secrets ...string) {
	auth, err := ginauth.New(ginauth.Config{
		Secret:          secrets[0],
		PreviousSecrets: secrets[1:],
		URL:             s.origin,
		Providers:       []providers.Provider{providers.Credentials{Authorize: authorize}},
		Logger:          slog.New(countingHandler{slog.NewTextHandler(io.Discard, nil), &s.errLogs}),
	})
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) {
		s.panics.Add(1)
		c.AbortWithStatus(http.StatusInternalServerError)
	}))
	// Clients are told apart by X-Forwarded-For from the loopback proxy,
	// so that the per-client limits see many clients.
	if err := r.SetTrustedProxies([]string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	r.Use(auth.Middleware())
	auth.Mount(r)
	r.GET("/protected", auth.RequireAuth(), func(c *gin.Context) {
		tok, _ := ginauth.Token(c)
		c.JSON(http.StatusOK, gin.H{"sub": tok.Subject()})
	})
	s.current.Store(r)
}

// stats counts answers by request kind and status, and keeps the first
// unexpected ones.
type stats struct {
	mu         sync.Mutex
	byKind     map[string]map[int]int
	unexpected []string
	nUnexp     int
	total      atomic.Int64
}

func (st *stats) record(kind string, status int, ok bool, detail string) {
	st.total.Add(1)
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.byKind[kind]
	if m == nil {
		m = map[int]int{}
		st.byKind[kind] = m
	}
	m[status]++
	if !ok {
		st.nUnexp++
		if len(st.unexpected) < 20 {
			st.unexpected = append(st.unexpected, fmt.Sprintf("%s: %d %s", kind, status, detail))
		}
	}
}

// session is a signed-in user's cookie and the name the session must show.
type session struct {
	cookie string // name=value
	name   string
	before bool // issued before the rotation
}

// pool keeps the sessions signed in so far.
type pool struct {
	mu   sync.Mutex
	list []session
}

func (p *pool) add(s session) {
	p.mu.Lock()
	p.list = append(p.list, s)
	p.mu.Unlock()
}

func (p *pool) pick() (session, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.list) == 0 {
		return session{}, false
	}
	return p.list[randN(len(p.list))], true
}

func (p *pool) all() []session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.list)
}

func randN(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}

// load is one run's shared state.
type load struct {
	t        *testing.T
	s        *server
	st       *stats
	sessions pool
	minted   []string // Cookie headers of distinct users' tokens
	users    atomic.Int64
	rotated  atomic.Bool
	client   *http.Client
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (l *load) do(method, path, cookie, xff string, form url.Values) (answer, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, l.s.origin+path, body)
	if err != nil {
		return answer{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	res, err := l.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, b}, err
}

// setCookie returns the value a response sets for name ("" when it sets
// none or deletes it).
func setCookie(h http.Header, name string) string {
	for _, line := range h.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}

// sessionName returns the user name of a /api/auth/session answer, or ""
// for null.
func sessionName(b []byte) (string, bool) {
	var s *struct {
		User struct{ Name string } `json:"user"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return "", false
	}
	if s == nil {
		return "", true
	}
	return s.User.Name, true
}

// csrf fetches a CSRF token and its cookie.
func (l *load) csrf(xff string) (token, cookie string, err error) {
	a, err := l.do(http.MethodGet, "/api/auth/csrf", "", xff, nil)
	if err != nil {
		return "", "", err
	}
	var b struct{ CsrfToken string }
	if a.status != http.StatusOK || json.Unmarshal(a.body, &b) != nil || b.CsrfToken == "" {
		return "", "", fmt.Errorf("csrf: %d %.100q", a.status, a.body)
	}
	return b.CsrfToken, csrfCookie + "=" + setCookie(a.header, csrfCookie), nil
}

// signIn signs in a new user from an address of its own.
func (l *load) signIn() {
	n := l.users.Add(1)
	id := strconv.FormatInt(n, 10)
	xff := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	before := !l.rotated.Load()
	token, cookie, err := l.csrf(xff)
	if err != nil {
		l.st.record("sign-in", 0, false, err.Error())
		return
	}
	a, err := l.do(http.MethodPost, "/api/auth/callback/credentials", cookie, xff,
		url.Values{"username": {"user-" + id}, "password": {"pw-" + id}, "csrfToken": {token}, "callbackUrl": {"/"}})
	if err != nil {
		l.st.record("sign-in", 0, false, err.Error())
		return
	}
	if l.staleCSRF(a, before) {
		return
	}
	tok := setCookie(a.header, sessionCookie)
	ok := a.status == http.StatusFound && a.header.Get("Location") == l.s.origin+"/" && tok != ""
	l.st.record("sign-in", a.status, ok, a.header.Get("Location"))
	if !ok {
		return
	}
	s := session{cookie: sessionCookie + "=" + tok, name: "User " + id, before: before}
	l.readSession(s)
	l.sessions.add(s)
}

// staleCSRF reports, and counts, the answer to a form whose CSRF cookie
// was made before the rotation and posted after it: the CSRF hash is
// keyed by the secrets, as in Auth.js (@auth/core hashes with its secrets
// joined), so such a form fails with MissingCSRF and the client starts
// again, as it would with Auth.js.
func (l *load) staleCSRF(a answer, before bool) bool {
	// A form answer redirects; a JSON one names the same URL.
	var b struct{ URL string }
	json.Unmarshal(a.body, &b)
	missing := a.status == http.StatusFound && strings.HasSuffix(a.header.Get("Location"), "error=MissingCSRF") ||
		a.status == http.StatusOK && strings.HasSuffix(b.URL, "error=MissingCSRF")
	if !before || !l.rotated.Load() || !missing {
		return false
	}
	l.st.record("stale-csrf", a.status, true, "")
	return true
}

// readSession reads s's session: it must still be s's user's.
func (l *load) readSession(s session) {
	a, err := l.do(http.MethodGet, "/api/auth/session", s.cookie, "", nil)
	if err != nil {
		l.st.record("session", 0, false, err.Error())
		return
	}
	name, ok := sessionName(a.body)
	l.st.record("session", a.status, a.status == http.StatusOK && ok && name == s.name,
		fmt.Sprintf("%s (issued before the rotation: %t, rotated: %t): %.100q", s.name, s.before, l.rotated.Load(), a.body))
}

// protected calls the protected route as one of the minted users.
func (l *load) protected() {
	i := randN(len(l.minted))
	a, err := l.do(http.MethodGet, "/protected", l.minted[i], "", nil)
	if err != nil {
		l.st.record("protected", 0, false, err.Error())
		return
	}
	want := `{"sub":"m` + strconv.Itoa(i) + `"}`
	l.st.record("protected", a.status, a.status == http.StatusOK && string(a.body) == want, string(a.body))
}

// garbage sends a forged or broken token to the protected route and to
// the session endpoint.
func (l *load) garbage() {
	p := make([]byte, 48)
	rand.Read(p)
	r := base64.RawURLEncoding.EncodeToString(p)
	var tok string
	switch randN(4) {
	case 0: // a v5 header with random parts
		tok = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwia2lkIjoiIn0.." + r[:22] + "." + r + "." + r[:43]
	case 1: // a real token with a character changed
		real := strings.TrimPrefix(l.minted[randN(len(l.minted))], sessionCookie+"=")
		i := randN(len(real))
		c := byte('A')
		if real[i] == 'A' {
			c = 'B'
		}
		tok = real[:i] + string(c) + real[i+1:]
	case 2: // a real token cut short
		real := strings.TrimPrefix(l.minted[randN(len(l.minted))], sessionCookie+"=")
		tok = real[:randN(len(real))]
	default:
		tok = r
	}
	cookie := sessionCookie + "=" + tok
	a, err := l.do(http.MethodGet, "/protected", cookie, "", nil)
	if err != nil {
		l.st.record("garbage", 0, false, err.Error())
		return
	}
	l.st.record("garbage", a.status, a.status == http.StatusUnauthorized, string(a.body))
	a, err = l.do(http.MethodGet, "/api/auth/session", cookie, "", nil)
	if err != nil {
		l.st.record("garbage", 0, false, err.Error())
		return
	}
	l.st.record("garbage", a.status, a.status == http.StatusOK && string(a.body) == "null", string(a.body))
}

var floodLine = func() string {
	var b strings.Builder
	for i := range floodCookies {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s.%d=x", sessionCookie, i)
	}
	return b.String()
}()

// flood sends floodCookies cookies named like session chunks.
func (l *load) flood() {
	a, err := l.do(http.MethodGet, "/api/auth/session", floodLine, "", nil)
	if err != nil {
		l.st.record("flood", 0, false, err.Error())
		return
	}
	n := len(a.header.Values("Set-Cookie"))
	l.st.record("flood", a.status, a.status == http.StatusOK && string(a.body) == "null" && n <= 1+cookies.MaxChunks+cookies.MaxStale+2,
		fmt.Sprintf("%d Set-Cookies, %.100q", n, a.body))
	a, err = l.do(http.MethodGet, "/protected", floodLine, "", nil)
	if err != nil {
		l.st.record("flood", 0, false, err.Error())
		return
	}
	l.st.record("flood", a.status, a.status == http.StatusUnauthorized, string(a.body))
}

// guess tries a wrong password for the victim from one address: refused,
// then throttled, never signed in.
func (l *load) guess() {
	const xff = "192.0.2.1"
	before := !l.rotated.Load()
	token, cookie, err := l.csrf(xff)
	if err != nil {
		l.st.record("guess", 0, false, err.Error())
		return
	}
	form := url.Values{"username": {victim}, "password": {rand.Text()}, "csrfToken": {token}}
	jsonAnswer := randN(2) == 0
	if jsonAnswer {
		// As next-auth/react v4 posts: the answer as JSON.
		form.Set("json", "true")
	}
	a, err := l.do(http.MethodPost, "/api/auth/callback/credentials", cookie, xff, form)
	if err != nil {
		l.st.record("guess", 0, false, err.Error())
		return
	}
	if l.staleCSRF(a, before) {
		return
	}
	loc := a.header.Get("Location")
	if jsonAnswer {
		var b struct{ URL string }
		json.Unmarshal(a.body, &b)
		loc = b.URL
	}
	kind, ok := "guess", false
	switch {
	case strings.Contains(loc, "code=rate_limited"):
		// Throttled: the refused credentials' answer with its own code
		// and Retry-After; 429 when the client asked for JSON.
		kind = "throttled"
		ok = a.header.Get("Retry-After") != "" && (a.status == http.StatusFound && !jsonAnswer || a.status == http.StatusTooManyRequests && jsonAnswer)
	case jsonAnswer:
		ok = a.status < 500 && strings.Contains(loc, "error=CredentialsSignin")
	default:
		ok = a.status == http.StatusFound && strings.Contains(loc, "error=CredentialsSignin")
	}
	l.st.record(kind, a.status, ok && setCookie(a.header, sessionCookie) == "", fmt.Sprintf("%s %.100q", loc, a.body))
}

// sample is the process's memory and goroutines at one time.
type sample struct {
	at         time.Duration
	rssKiB     int64
	heapKiB    int64 // the Go heap in use
	goroutines int
	requests   int64
}

// take samples the process now.
func take(start time.Time, requests int64) sample {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return sample{at: time.Since(start), rssKiB: rssKiB(), heapKiB: int64(m.HeapInuse >> 10), goroutines: runtime.NumGoroutine(), requests: requests}
}

func rssKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func TestSoak(t *testing.T) {
	dur := soakDuration(t)
	s := newServer(t)
	codec, err := jwe.New(jwe.Options{Format: jwe.V5, Secrets: []string{oldSecret}, Salt: sessionCookie})
	if err != nil {
		t.Fatal(err)
	}
	l := &load{t: t, s: s, st: &stats{byKind: map[string]map[int]int{}},
		client: &http.Client{
			Transport:     &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true},
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
	l.minted = make([]string, mintedUsers)
	for i := range l.minted {
		id := strconv.Itoa(i)
		tok, err := codec.Encode(authjs.Claims{"sub": "m" + id, "name": "Minted " + id, "email": "m" + id + "@example.com"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		l.minted[i] = sessionCookie + "=" + tok
	}

	runtime.GC()
	start := time.Now()
	base := take(start, 0)
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for _, w := range []struct {
		n  int
		fn func()
	}{
		{2, l.signIn},
		{3, func() {
			if s, ok := l.sessions.pick(); ok {
				l.readSession(s)
			}
		}},
		{3, l.protected},
		{2, l.garbage},
		{1, l.flood},
		{1, l.guess},
	} {
		for range w.n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					w.fn()
				}
			}()
		}
	}

	// Rotate halfway, and sample twelve times.
	var samples []sample
	tick := time.NewTicker(dur / 12)
	rotateAt := time.After(dur / 2)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
loop:
	for {
		select {
		case <-rotateAt:
			s.install(t, newSecret, oldSecret)
			l.rotated.Store(true)
			t.Logf("%5.1fs: secret rotated", time.Since(start).Seconds())
		case <-tick.C:
			samples = append(samples, take(start, l.st.total.Load()))
		case <-done:
			break loop
		}
	}
	tick.Stop()
	elapsed := time.Since(start)

	// Every session signed in, before and after the rotation, still reads.
	all := l.sessions.all()
	lost := 0
	for _, sess := range all {
		a, err := l.do(http.MethodGet, "/api/auth/session", sess.cookie, "", nil)
		if name, ok := sessionName(a.body); err != nil || !ok || name != sess.name {
			lost++
		}
	}

	// Goroutines once the load has stopped and the idle connections are
	// closed.
	l.client.CloseIdleConnections()
	s.srv.CloseClientConnections()
	var after sample
	for range 50 {
		runtime.GC()
		after = take(start, l.st.total.Load())
		if after.goroutines <= base.goroutines+5 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The report.
	var rep bytes.Buffer
	total := l.st.total.Load()
	fmt.Fprintf(&rep, "%d requests in %.1fs: %.0f/s; %d users signed in (%d before the rotation)\n",
		total, elapsed.Seconds(), float64(total)/elapsed.Seconds(), len(all), countBefore(all))
	kinds := make([]string, 0, len(l.st.byKind))
	for k := range l.st.byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		var parts []string
		codes := make([]int, 0)
		for c := range l.st.byKind[k] {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		for _, c := range codes {
			parts = append(parts, fmt.Sprintf("%d×%d", l.st.byKind[k][c], c))
		}
		fmt.Fprintf(&rep, "  %-10s %s\n", k, strings.Join(parts, " "))
	}
	fmt.Fprintf(&rep, "  time     RSS MiB  heap MiB  goroutines  requests\n")
	row := func(label string, sm sample) {
		fmt.Fprintf(&rep, "  %-7s  %7.1f  %8.1f  %10d  %8d\n", label, float64(sm.rssKiB)/1024, float64(sm.heapKiB)/1024, sm.goroutines, sm.requests)
	}
	row("start", base)
	for _, sm := range samples {
		row(fmt.Sprintf("%.1fs", sm.at.Seconds()), sm)
	}
	row("idle", after)
	fmt.Fprintf(&rep, "unexpected answers %d, panics %d, error logs %d, sessions lost %d of %d\n",
		l.st.nUnexp, s.panics.Load(), s.errLogs.Load(), lost, len(all))
	t.Logf("soak report:\n%s", rep.String())

	for _, u := range l.st.unexpected {
		t.Errorf("unexpected answer: %s", u)
	}
	if n := s.panics.Load(); n > 0 {
		t.Errorf("%d panics", n)
	}
	if n := s.errLogs.Load(); n > 0 {
		t.Errorf("%d error logs", n)
	}
	if lost > 0 {
		t.Errorf("%d of %d sessions lost", lost, len(all))
	}
	if countBefore(all) == 0 || len(all) == countBefore(all) {
		t.Errorf("sessions signed in before the rotation %d, after %d: want both", countBefore(all), len(all)-countBefore(all))
	}
	for _, k := range []string{"sign-in", "session", "protected", "garbage", "flood", "guess"} {
		if len(l.st.byKind[k]) == 0 {
			t.Errorf("no %s requests were made", k)
		}
	}
	if len(l.st.byKind["throttled"]) == 0 {
		t.Errorf("the password guesser was never throttled")
	}
	// Flat: no goroutine left behind once idle, and the memory of the
	// second half of the run within half again of the first half's.
	if after.goroutines > base.goroutines+5 {
		t.Errorf("%d goroutines once idle, %d before the run", after.goroutines, base.goroutines)
	}
	if len(samples) >= 4 {
		half := len(samples) / 2
		first, second := maxRSS(samples[:half]), maxRSS(samples[half:])
		if second > first*3/2 {
			t.Errorf("RSS grew from %d KiB to %d KiB between the halves of the run", first, second)
		}
	}
}

func countBefore(ss []session) int {
	n := 0
	for _, s := range ss {
		if s.before {
			n++
		}
	}
	return n
}

func maxRSS(ss []sample) int64 {
	var m int64
	for _, s := range ss {
		m = max(m, s.rssKiB)
	}
	return m
}
