package ginauth_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/internal/oidctest"
	"github.com/ginauth/ginauth/providers"
	"github.com/ginauth/ginauth/throttle"
)

// TestEmailLinkInterop runs a real Auth.js application (testdata/authjs:
// @auth/express with Auth.js's email provider, its messages kept in a file)
// and a ginauth server in v5 mode on one store, @auth/pg-adapter's tables
// on PostgreSQL and then @auth/unstorage-adapter's keys on Redis, with the
// same secret, and checks that a sign-in link either side sends signs in
// on the other: the session it makes is read by both, one address is one
// user whichever side saw it first, its address is marked verified, and
// the link is used up for both. Then both sides rotate to a new secret (an
// array of secrets in Auth.js, Secret and PreviousSecrets in ginauth):
// links cross both ways again, and a link sent before the rotation works
// on neither, as Auth.js hashes tokens with all its secrets joined.
func TestEmailLinkInterop(t *testing.T) {
	node := authjsNode(t)
	for _, backend := range []struct {
		name string
		open func(*testing.T) dbBackend
	}{
		{"postgres", postgresBackend},
		{"redis", redisBackend},
	} {
		t.Run(backend.name, func(t *testing.T) { emailLinkInterop(t, node, backend.open(t)) })
	}
}

// emailPeers is an Auth.js application and a ginauth server on one store,
// each with an email provider, and where their messages go.
type emailPeers struct {
	js, gs dbPeer
	// outbox is the file the Auth.js application appends its messages to.
	outbox string
	// box is ginauth's Sender.
	box *mailbox
}

// startEmailPeers starts both servers on b's store with secrets (the
// first signs, all are tried, as Auth.js's array).
func startEmailPeers(t *testing.T, node string, b dbBackend, secrets []string) emailPeers {
	t.Helper()
	lnGo, lnJS := listenLoopback(t), listenLoopback(t)
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{
		"http://" + lnGo.Addr().String() + "/api/auth/callback/" + dbProvider,
		"http://" + lnJS.Addr().String() + "/api/auth/callback/" + dbProvider,
	}})
	p := emailPeers{outbox: filepath.Join(t.TempDir(), "outbox.jsonl"), box: &mailbox{}}
	env := append([]string{"EMAIL_OUTBOX=" + p.outbox}, b.env...)
	// Auth.js's secret array is [AUTH_SECRET_3, AUTH_SECRET_2,
	// AUTH_SECRET_1, AUTH_SECRET]: AUTH_SECRET, which startAuthJS sets to
	// dbSecret, comes last.
	if secrets[len(secrets)-1] != dbSecret || len(secrets) > 4 {
		t.Fatalf("secrets %q: the last must be dbSecret", secrets)
	}
	for i, s := range secrets[:len(secrets)-1] {
		env = append(env, "AUTH_SECRET_"+string(rune('0'+len(secrets)-1-i))+"="+s)
	}
	p.js = startAuthJS(t, node, lnJS, op, env)

	origin := "http://" + lnGo.Addr().String()
	logs := &oidctest.SyncBuffer{}
	auth, err := ginauth.New(ginauth.Config{
		Secret: secrets[0], PreviousSecrets: secrets[1:], URL: origin, Mode: ginauth.ModeV5,
		Providers: []providers.Provider{providers.Email{Sender: p.box}},
		Adapter:   b.store,
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
		Throttle:  ginauth.Throttle{EmailPerAddress: throttle.Unlimited, EmailPerClient: throttle.Unlimited},
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
	serveOn(t, lnGo, r, false)
	p.gs = dbPeer{name: "ginauth", site: &oauthSite{t: t, mode: ginauth.ModeV5, origin: origin, auth: auth, logs: logs}}
	return p
}

// requestLink asks peer for a sign-in link to addr as a browser does
// (CSRF token, then the form) and returns the link it sent.
func (p emailPeers) requestLink(t *testing.T, peer dbPeer, addr string) string {
	t.Helper()
	c := browser()
	peer.site.t = t
	csrf := peer.site.csrf(c)
	before := p.sent(t, peer)
	res, err := c.PostForm(peer.origin()+"/api/auth/signin/email", url.Values{
		"email": {addr}, "csrfToken": {csrf}, "callbackUrl": {peer.origin() + "/dashboard"},
	})
	if err != nil {
		t.Fatalf("%s sign-in request: %v", peer.name, err)
	}
	res.Body.Close()
	if want := peer.origin() + "/api/auth/verify-request?provider=email&type=email"; res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
		t.Fatalf("%s sign-in request for %s: %d to %q, want %s", peer.name, addr, res.StatusCode, res.Header.Get("Location"), want)
	}
	msgs := p.sent(t, peer)
	if len(msgs) != len(before)+1 {
		t.Fatalf("%s sent %d messages for one request", peer.name, len(msgs)-len(before))
	}
	m := msgs[len(msgs)-1]
	if m.to != strings.ToLower(addr) || !strings.HasPrefix(m.url, peer.origin()+"/api/auth/callback/email?callbackUrl=") {
		t.Fatalf("%s sent %+v for %s", peer.name, m, addr)
	}
	return m.url
}

type sentLink struct{ to, url string }

// sent lists the messages peer has sent.
func (p emailPeers) sent(t *testing.T, peer dbPeer) []sentLink {
	t.Helper()
	var out []sentLink
	if peer.name == "ginauth" {
		p.box.mu.Lock()
		defer p.box.mu.Unlock()
		for _, m := range p.box.sent {
			out = append(out, sentLink{m.Identifier, m.URL})
		}
		return out
	}
	f, err := os.Open(p.outbox)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m struct {
			To  []string `json:"to"`
			URL string   `json:"url"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || len(m.To) != 1 {
			t.Fatalf("outbox line %s: %v", sc.Text(), err)
		}
		out = append(out, sentLink{m.To[0], m.URL})
	}
	return out
}

// open opens link on peer (its path and query on peer's origin) with a
// fresh browser and returns the answer and the session token it set, if
// any.
func openOn(t *testing.T, peer dbPeer, link string) (dbResponse, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	res, err := browser().Get(peer.origin() + u.RequestURI())
	if err != nil {
		t.Fatalf("%s: opening the link: %v", peer.name, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := dbResponse{res.StatusCode, res.Header, string(b)}
	ck, ok := r.sessionCookie()
	if !ok || ck.MaxAge < 0 {
		return r, ""
	}
	return r, ck.Value
}

// wantSignedInByLink opens link on peer and checks that it signs in as
// addr: a redirect on peer's origin with a session cookie whose session
// both peers read as addr's. It returns the session token.
func wantSignedInByLink(t *testing.T, p emailPeers, peer dbPeer, link, addr string) string {
	t.Helper()
	r, token := openOn(t, peer, link)
	loc := r.header.Get("Location")
	if r.status != http.StatusFound || token == "" || !(loc == peer.origin() || strings.HasPrefix(loc, peer.origin()+"/")) {
		t.Fatalf("%s: the link for %s: %d to %q, session cookie %q; body %s", peer.name, addr, r.status, loc, token, r.body)
	}
	for _, other := range []dbPeer{p.js, p.gs} {
		s := other.get(t, "/api/auth/session", token)
		var body struct {
			User struct{ Email string } `json:"user"`
		}
		if err := json.Unmarshal([]byte(s.body), &body); err != nil || body.User.Email != addr {
			t.Errorf("%s reads the session %s made from a link for %s as %s", other.name, peer.name, addr, s.body)
		}
	}
	return token
}

// wantVerificationFailed opens link on peer and checks that it is refused
// with Verification and no session.
func wantVerificationFailed(t *testing.T, peer dbPeer, link, what string) {
	t.Helper()
	r, token := openOn(t, peer, link)
	if want := peer.origin() + "/api/auth/error?error=Verification"; r.status != http.StatusFound || r.header.Get("Location") != want || token != "" {
		t.Errorf("%s: %s: %d to %q (session %q), want %s", peer.name, what, r.status, r.header.Get("Location"), token, want)
	}
}

func emailLinkInterop(t *testing.T, node string, b dbBackend) {
	ctx := context.Background()
	p := startEmailPeers(t, node, b, []string{dbSecret})

	// Auth.js sends ann a link; it signs in on ginauth, once.
	annJS := p.requestLink(t, p.js, "ann@example.com")
	annToken := wantSignedInByLink(t, p, p.gs, annJS, "ann@example.com")
	annID := b.sessionUser(t, annToken)
	wantVerificationFailed(t, p.js, annJS, "Auth.js's link used on ginauth, used again on Auth.js")
	wantVerificationFailed(t, p.gs, annJS, "Auth.js's link used again on ginauth")
	u, err := b.store.GetUserByEmail(ctx, "ann@example.com")
	if err != nil || u.ID != annID || u.EmailVerified == nil {
		t.Errorf("ann after Auth.js's link on ginauth: %+v, %v; want user %s, verified", u, err, annID)
	}

	// ginauth sends ann a link; it signs in on Auth.js as the same user.
	annGo := p.requestLink(t, p.gs, "ann@example.com")
	annToken2 := wantSignedInByLink(t, p, p.js, annGo, "ann@example.com")
	if id := b.sessionUser(t, annToken2); id != annID {
		t.Errorf("Auth.js signed ann in as user %q from ginauth's link, want %s", id, annID)
	}
	wantVerificationFailed(t, p.gs, annGo, "ginauth's link used on Auth.js, used again on ginauth")

	// bob is new to both: ginauth's link makes him on Auth.js, Auth.js's
	// link finds him on ginauth.
	bobToken := wantSignedInByLink(t, p, p.js, p.requestLink(t, p.gs, "Bob@Example.com"), "bob@example.com")
	bobID := b.sessionUser(t, bobToken)
	bobToken2 := wantSignedInByLink(t, p, p.gs, p.requestLink(t, p.js, "bob@example.com"), "bob@example.com")
	if id := b.sessionUser(t, bobToken2); id != bobID || bobID == "" || bobID == annID {
		t.Errorf("bob's users: %q on Auth.js, %q on ginauth (ann is %s)", bobID, id, annID)
	}
	for _, addr := range []string{"ann@example.com", "bob@example.com"} {
		if n := b.usersWithEmail(t, addr); n != 1 {
			t.Errorf("%d stored users for %s, want 1", n, addr)
		}
	}

	// A link's token for another address, on the other side.
	carl := p.requestLink(t, p.js, "carl@example.com")
	wantVerificationFailed(t, p.gs, strings.Replace(carl, "email=carl%40example.com", "email=ann%40example.com", 1), "Auth.js's token for carl with ann's address")
	wantSignedInByLink(t, p, p.gs, carl, "carl@example.com")

	// Rotation: a link sent before it, then both sides on [new, old].
	before := p.requestLink(t, p.js, "dora@example.com")
	beforeGo := p.requestLink(t, p.gs, "dora@example.com")
	const newSecret = "rotated-secret-0123456789abcdef0123456789ab"
	r := startEmailPeers(t, node, b, []string{newSecret, dbSecret})
	erinJS := r.requestLink(t, r.js, "erin@example.com")
	wantSignedInByLink(t, r, r.gs, erinJS, "erin@example.com")
	erinGo := r.requestLink(t, r.gs, "erin@example.com")
	wantSignedInByLink(t, r, r.js, erinGo, "erin@example.com")
	wantVerificationFailed(t, r.js, before, "Auth.js's link from before the rotation on the rotated Auth.js")
	wantVerificationFailed(t, r.gs, beforeGo, "ginauth's link from before the rotation on the rotated ginauth")
	// Those attempts hashed the tokens with the new secrets and matched
	// nothing: the links still work on the servers with the old secret.
	wantSignedInByLink(t, p, p.gs, before, "dora@example.com")
	wantSignedInByLink(t, p, p.js, beforeGo, "dora@example.com")
}
