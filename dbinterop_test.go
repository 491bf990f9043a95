package ginauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/internal/oidctest"
)

// TestDatabaseSessionInterop runs a real Auth.js application
// (testdata/authjs: @auth/express with @auth/pg-adapter, then with
// @auth/unstorage-adapter on Redis, database session strategy) and a
// ginauth server in v5 mode with its store on the same data, the same
// secret and the same OpenID provider, each on its own loopback port, and
// checks with sign-ins through the real provider that:
//
//   - a session either side creates is read by the other: GET
//     /api/auth/session on both answers the same JSON, ginauth's
//     ginauth.Session behind RequireAuth shows the stored user id, and the
//     Auth.js route that calls getSession shows the session;
//   - one OpenID account signing in on either side is one stored user,
//     whichever side saw it first;
//   - a sign-out on either side (the form post with the CSRF token) ends
//     the session on both, and leaves the user's other sessions alone;
//   - the session cookie is the same on both sides: name, value format and
//     attributes when set, re-set and cleared;
//   - expiry is handled alike: a session due for refresh (last refreshed
//     more than updateAge ago) is extended by either side's GET
//     /api/auth/session, which answers the stored expiry; an expired one is
//     no session and is deleted by whichever side reads it.
//
// The subtest SessionWithoutImage compares the session JSON of a user
// without a picture strictly, null fields included.
//
// Each server gets the session cookie value explicitly: the browsers (cookie
// jars) of one server never talk to the other, which shares its host.
func TestDatabaseSessionInterop(t *testing.T) {
	node := authjsNode(t)
	for _, backend := range []struct {
		name string
		open func(*testing.T) dbBackend
	}{
		{"postgres", postgresBackend},
		{"redis", redisBackend},
	} {
		t.Run(backend.name, func(t *testing.T) { dbInterop(t, node, backend.open(t)) })
	}
}

// dbInterop is TestDatabaseSessionInterop on one store.
func dbInterop(t *testing.T, node string, b dbBackend) {
	lnGo, lnJS := listenLoopback(t), listenLoopback(t)
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{
		"http://" + lnGo.Addr().String() + "/api/auth/callback/" + dbProvider,
		"http://" + lnJS.Addr().String() + "/api/auth/callback/" + dbProvider,
	}})
	gs := startGinauth(t, lnGo, op, b.store)
	js := startAuthJS(t, node, lnJS, op, b.env)
	peers := []dbPeer{js, gs}

	alice := oidctest.Accounts["alice"]
	aliceUser := map[string]any{"name": alice.Name, "email": alice.Email, "image": alice.Picture}
	// carol has the provider's generic profile: no picture.
	const carolLogin = "carol"
	carolEmail := carolLogin + "@example.net"

	// 1. Alice signs in on Auth.js first: Auth.js creates her user, account
	// and session; ginauth reads the session and finds the stored user.
	jsRes, aliceJS := js.signIn(t, "alice")
	aliceID := b.sessionUser(t, aliceJS)
	if aliceID == "" {
		t.Fatalf("Auth.js stored no session for its token")
	}
	checkSessionToken(t, js, aliceJS)
	aliceSession := sameSession(t, peers, aliceJS, aliceUser)
	wantProtected(t, gs, aliceJS, aliceSession, aliceID)
	wantProtected(t, js, aliceJS, aliceSession, "")
	if u, err := b.store.GetUserByAccount(context.Background(), dbProvider, alice.Sub); err != nil || u.ID != aliceID {
		t.Errorf("ginauth's store finds the account Auth.js linked as %+v, %v; want user %s", u, err, aliceID)
	}
	checkSignInCookie(t, js, jsRes, aliceSession)

	// 2. Alice signs in on ginauth too: the account Auth.js wrote leads to
	// the same user, and Auth.js reads ginauth's session.
	goRes, aliceGo := gs.signIn(t, "alice")
	checkSessionToken(t, gs, aliceGo)
	if id := b.sessionUser(t, aliceGo); id != aliceID {
		t.Errorf("ginauth's session for alice is stored for user %q, want Auth.js's user %s", id, aliceID)
	}
	if n := b.usersWithEmail(t, alice.Email); n != 1 {
		t.Errorf("%d stored users with alice's email after a sign-in on each side, want 1", n)
	}
	aliceGoSession := sameSession(t, peers, aliceGo, aliceUser)
	wantProtected(t, js, aliceGo, aliceGoSession, "")
	wantProtected(t, gs, aliceGo, aliceGoSession, aliceID)
	checkSignInCookie(t, gs, goRes, aliceGoSession)
	sameCookieShape(t, "the session cookie set at sign-in", jsRes, goRes)

	// 3. Carol signs in on ginauth first, then on Auth.js: the account
	// ginauth wrote leads Auth.js to the same user.
	_, carolGo := gs.signIn(t, carolLogin)
	carolID := b.sessionUser(t, carolGo)
	if carolID == "" {
		t.Fatalf("ginauth stored no session for its token")
	}
	carolUser := map[string]any{"name": "User " + carolLogin, "email": carolEmail}
	carolGoSession := sameSession(t, peers, carolGo, carolUser)
	wantProtected(t, js, carolGo, carolGoSession, "")
	wantProtected(t, gs, carolGo, carolGoSession, carolID)
	_, carolJS := js.signIn(t, carolLogin)
	if id := b.sessionUser(t, carolJS); id != carolID {
		t.Errorf("Auth.js's session for carol is stored for user %q, want ginauth's user %s", id, carolID)
	}
	if n := b.usersWithEmail(t, carolEmail); n != 1 {
		t.Errorf("%d stored users with carol's email after a sign-in on each side, want 1", n)
	}
	carolJSSession := sameSession(t, peers, carolJS, carolUser)
	wantProtected(t, gs, carolJS, carolJSSession, carolID)
	wantProtected(t, js, carolJS, carolJSSession, "")
	// A user without a picture: the same JSON, null fields included.
	t.Run("SessionWithoutImage", func(t *testing.T) {
		dbStrictSession(t, js, gs, carolGo)
		dbStrictSession(t, js, gs, carolJS)
	})

	// Both sides re-set the cookie on GET /api/auth/session alike.
	sameCookieShape(t, "the session cookie re-set by GET /api/auth/session",
		js.get(t, "/api/auth/session", aliceJS), gs.get(t, "/api/auth/session", aliceJS))

	// 4. Sign-outs, each session created on one side and ended on either:
	// the session is gone for both, the user's other session stays.
	outs := []struct {
		what    string
		token   string
		at      dbPeer
		another string // a session of the same user that must survive
	}{
		{"alice's Auth.js session signed out at ginauth", aliceJS, gs, aliceGo},
		{"alice's ginauth session signed out at Auth.js", aliceGo, js, ""},
		{"carol's ginauth session signed out at ginauth", carolGo, gs, carolJS},
		{"carol's Auth.js session signed out at Auth.js", carolJS, js, ""},
	}
	var clears []dbResponse
	for _, o := range outs {
		clears = append(clears, o.at.signOut(t, o.token))
		if id := b.sessionUser(t, o.token); id != "" {
			t.Errorf("%s: the stored session is still there", o.what)
		}
		for _, p := range peers {
			wantSignedOut(t, p, o.token, o.what)
		}
		if o.another != "" {
			for _, p := range peers {
				if r := p.get(t, "/api/protected", o.another); r.status != http.StatusOK {
					t.Errorf("%s: the user's other session no longer passes %s's protected route: %d %s", o.what, p.name, r.status, r.body)
				}
			}
		}
	}
	sameCookieShape(t, "the session cookie cleared by sign-out", clears[1], clears[0])

	// 5. Expiry, with the stored expiry moved as time passing would leave
	// it; Auth.js's defaults on both sides: maxAge 30 days, updateAge a day.
	_, erinJS := js.signIn(t, "erin")
	_, erinGo := gs.signIn(t, "erin")
	var refreshes []dbResponse
	for _, p := range peers {
		refreshes = append(refreshes, wantRefreshed(t, b, p, erinJS))
		refreshes = append(refreshes, wantRefreshed(t, b, p, erinGo))
	}
	sameCookieShape(t, "the session cookie re-set by a refresh", refreshes[0], refreshes[2])
	// An expired session, read first by the side that did not create it:
	// no session, the cookie cleared and the stored session deleted.
	for _, c := range []struct {
		token  string
		reader dbPeer
	}{{erinJS, gs}, {erinGo, js}} {
		b.setSessionExpires(t, c.token, time.Now().Add(-time.Minute))
		wantSignedOut(t, c.reader, c.token, "an expired session")
		if id := b.sessionUser(t, c.token); id != "" {
			t.Errorf("%s kept an expired session it read", c.reader.name)
		}
	}
}

// wantRefreshed moves the stored expiry of a session back so that it is
// due for refresh (its last refresh more than updateAge ago) and checks
// that GET /api/auth/session at p answers the stored expiry, extends the
// stored session to maxAge from now, and re-sets the cookie to that.
func wantRefreshed(t *testing.T, b dbBackend, p dbPeer, token string) dbResponse {
	t.Helper()
	const maxAge, updateAge = 30 * 24 * time.Hour, 24 * time.Hour
	due := time.Now().Add(maxAge - updateAge - time.Hour).Truncate(time.Millisecond)
	b.setSessionExpires(t, token, due)
	r := p.get(t, "/api/auth/session", token)
	var body struct{ Expires string }
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || body.Expires != due.UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("%s GET /api/auth/session of a session due for refresh: %s, want expires %s (the stored expiry)", p.name, r.body, due.UTC().Format(time.RFC3339Nano))
	}
	want := time.Now().Add(maxAge)
	if got := b.sessionExpires(t, token); got.Before(want.Add(-time.Minute)) || got.After(want) {
		t.Errorf("%s did not extend a session due for refresh: stored expiry %v, want about %v", p.name, got, want)
	}
	if ck, ok := r.sessionCookie(); !ok || ck.Expires.Before(want.Add(-time.Minute)) || ck.Expires.After(want.Add(time.Second)) {
		t.Errorf("%s re-set the session cookie of a refreshed session as %q, want it to expire about %v", p.name, r.header.Values("Set-Cookie"), want)
	}
	return r
}

// uuidPattern matches a random UUID, as crypto.randomUUID makes them.
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkSessionToken checks that a session token is a random UUID, as
// Auth.js's generateSessionToken makes it.
func checkSessionToken(t *testing.T, p dbPeer, token string) {
	t.Helper()
	if !uuidPattern.MatchString(token) {
		t.Errorf("%s's session token %q is not a random UUID", p.name, token)
	}
}

// sameSession checks that every peer's GET /api/auth/session answers the
// same session for token, with user as its user, and returns it. User
// fields that are null count as absent here (see dbStrictSession).
func sameSession(t *testing.T, peers []dbPeer, token string, user map[string]any) map[string]any {
	t.Helper()
	var first map[string]any
	var firstBody string
	for i, p := range peers {
		r := p.get(t, "/api/auth/session", token)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s GET /api/auth/session: %d %s %s", p.name, r.status, r.header.Get("Content-Type"), r.body)
		}
		if cc := r.header.Get("Cache-Control"); cc != "private, no-cache, no-store" {
			t.Errorf("%s GET /api/auth/session: Cache-Control %q", p.name, cc)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(r.body), &body); err != nil || body == nil {
			t.Fatalf("%s GET /api/auth/session: %s is not a session (%v)", p.name, r.body, err)
		}
		dropNullUserFields(body)
		if !reflect.DeepEqual(body["user"], user) {
			t.Errorf("%s GET /api/auth/session: user %v, want %v", p.name, body["user"], user)
		}
		expires, _ := body["expires"].(string)
		if at, err := time.Parse(time.RFC3339Nano, expires); err != nil || at.Before(time.Now()) || !strings.HasSuffix(expires, "Z") || len(expires) != len("2006-01-02T15:04:05.000Z") {
			t.Errorf("%s GET /api/auth/session: expires %q, want a future ISO time with milliseconds", p.name, expires)
		}
		if ck, ok := r.sessionCookie(); !ok || ck.Value != token {
			t.Errorf("%s GET /api/auth/session did not re-set the session cookie: %q", p.name, r.header.Values("Set-Cookie"))
		}
		if i == 0 {
			first, firstBody = body, r.body
		} else if !reflect.DeepEqual(body, first) {
			t.Errorf("GET /api/auth/session for one session:\n%s: %s\n%s: %s", peers[0].name, firstBody, p.name, r.body)
		}
	}
	return first
}

// dropNullUserFields deletes the fields of a session's user that are
// null.
func dropNullUserFields(session map[string]any) {
	if u, ok := session["user"].(map[string]any); ok {
		for k, v := range u {
			if v == nil {
				delete(u, k)
			}
		}
	}
}

// dbStrictSession checks that ginauth's GET /api/auth/session answers
// exactly the JSON value Auth.js's does for token, null fields included:
// with @auth/pg-adapter a user whose image (or name) is NULL in the
// database gets "image":null in Auth.js's session.
func dbStrictSession(t *testing.T, js, gs dbPeer, token string) {
	t.Helper()
	a, b := js.get(t, "/api/auth/session", token), gs.get(t, "/api/auth/session", token)
	var va, vb any
	if json.Unmarshal([]byte(a.body), &va) != nil || json.Unmarshal([]byte(b.body), &vb) != nil || !reflect.DeepEqual(va, vb) {
		t.Errorf("GET /api/auth/session for one session:\nAuth.js: %s\nginauth: %s", a.body, b.body)
	}
}

// wantProtected checks that a peer's protected route lets token through
// with the session (null user fields count as absent here;
// dbStrictSession compares them). ginauth's answers the session
// (ginauth.Session) and the user id (ginauth.Token's sub), which must be
// userID; Auth.js's answers what getSession returns.
func wantProtected(t *testing.T, p dbPeer, token string, session map[string]any, userID string) {
	t.Helper()
	r := p.get(t, "/api/protected", token)
	if r.status != http.StatusOK {
		t.Errorf("%s /api/protected: %d %s", p.name, r.status, r.body)
		return
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Errorf("%s /api/protected: %s: %v", p.name, r.body, err)
		return
	}
	want := session
	if userID == "" {
		dropNullUserFields(body)
	} else {
		want = map[string]any{"session": session, "userId": userID}
		if s, ok := body["session"].(map[string]any); ok {
			dropNullUserFields(s)
		}
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("%s /api/protected: %s, want %s", p.name, r.body, mustJSON(want))
	}
}

// wantSignedOut checks that a peer takes token for no session: GET
// /api/auth/session answers null (v5) and clears the cookie, and the
// protected route answers 401 JSON.
func wantSignedOut(t *testing.T, p dbPeer, token, what string) {
	t.Helper()
	r := p.get(t, "/api/auth/session", token)
	if r.status != http.StatusOK || r.body != "null" {
		t.Errorf("%s: %s GET /api/auth/session: %d %s, want null", what, p.name, r.status, r.body)
	}
	if ck, ok := r.sessionCookie(); !ok || ck.MaxAge >= 0 {
		t.Errorf("%s: %s GET /api/auth/session did not clear the cookie: %q", what, p.name, r.header.Values("Set-Cookie"))
	}
	r = p.get(t, "/api/protected", token)
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || !json.Valid([]byte(r.body)) {
		t.Errorf("%s: %s /api/protected: %d %s %s, want 401 JSON", what, p.name, r.status, r.header.Get("Content-Type"), r.body)
	}
}

// checkSignInCookie checks the session cookie a sign-in set: a session
// cookie with Expires (no Max-Age) at the session's expiry, for the whole
// site, HttpOnly, SameSite=Lax, and not Secure over http.
func checkSignInCookie(t *testing.T, p dbPeer, res dbResponse, session map[string]any) {
	t.Helper()
	ck, _ := res.sessionCookie()
	expires, _ := time.Parse(time.RFC3339Nano, session["expires"].(string))
	if d := ck.Expires.Sub(expires); d < -time.Second || d > time.Second {
		t.Errorf("%s: the session cookie expires at %v, the session at %v", p.name, ck.Expires, expires)
	}
	if ck.MaxAge != 0 || ck.Path != "/" || ck.Domain != "" || !ck.HttpOnly || ck.Secure || ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("%s: session cookie %q", p.name, res.header.Values("Set-Cookie"))
	}
}

// cookieDate matches the date of an Expires attribute.
var cookieDate = regexp.MustCompile(`(?i)(; Expires=)[^;]+`)

// cookieShape returns the Set-Cookie header of the session cookie in an
// answer with its value and date left out: its name and attributes in
// order.
func cookieShape(r dbResponse) string {
	for _, sc := range r.header.Values("Set-Cookie") {
		name, rest, _ := strings.Cut(sc, "=")
		if name != dbSessionCookie {
			continue
		}
		_, attrs, _ := strings.Cut(rest, ";")
		return name + "=<value>;" + cookieDate.ReplaceAllString(attrs, "${1}<date>")
	}
	return "(none)"
}

// sameCookieShape checks that the Auth.js application and ginauth set the
// session cookie alike in two answers.
func sameCookieShape(t *testing.T, what string, js, gs dbResponse) {
	t.Helper()
	if a, b := cookieShape(js), cookieShape(gs); a != b {
		t.Errorf("%s:\nAuth.js: %s\nginauth: %s", what, a, b)
	}
}
