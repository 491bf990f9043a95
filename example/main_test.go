package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
)

// testStore opens the example's default store, SQLite, in a directory of
// its own.
func testStore(t *testing.T) *store {
	t.Helper()
	s, err := openStore(t.Context(), func(string) string { return "" }, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestExampleApp drives the example as a user would, in both dialects and
// with both session strategies.
func TestExampleApp(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		for _, strategy := range []string{"jwt", "database"} {
			t.Run(mode.String()+"/"+strategy, func(t *testing.T) { exampleApp(t, mode, strategy) })
		}
	}
}

func exampleApp(t *testing.T, mode ginauth.Mode, strategyName string) {
	strategy, err := parseStrategy(strategyName)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	defer srv.Close()
	st := testStore(t)
	auth, d, err := newAuth(t.Context(), settings{URL: srv.URL, Secret: devSecret, Mode: mode, Strategy: strategy, Store: st.Adapter, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = newRouter(auth, d)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string, string) {
		res, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Location"), string(b)
	}
	signIn := func(user, pw string) {
		_, _, body := get("/api/auth/csrf")
		var c struct{ CSRFToken string }
		json.Unmarshal([]byte(body), &c)
		res, err := client.PostForm(srv.URL+"/api/auth/callback/credentials", url.Values{"username": {user}, "password": {pw}, "csrfToken": {c.CSRFToken}, "callbackUrl": {"/account"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != srv.URL+"/account" {
			t.Fatalf("sign-in as %s: %d %s", user, res.StatusCode, res.Header.Get("Location"))
		}
	}

	if code, _, body := get("/api/hello"); code != 200 || body != `{"message":"Hello, world"}` {
		t.Errorf("/api/hello: %d %s", code, body)
	}
	if code, _, body := get("/api/protected"); code != 401 || body != `{"status":"Not authorized"}` {
		t.Errorf("/api/protected signed out: %d %s", code, body)
	}
	if code, _, body := get("/api/me"); code != 401 || body != `{"status":"Not authorized"}` {
		t.Errorf("/api/me signed out: %d %s", code, body)
	}
	if code, loc, _ := get("/account"); code != 302 || !strings.HasPrefix(loc, srv.URL+"/api/auth/signin?callbackUrl=") {
		t.Errorf("/account signed out: %d %s", code, loc)
	}
	if _, _, body := get("/api/auth/signin"); !strings.Contains(body, "alice / wonderland") {
		t.Error("the sign-in page does not show the demo account")
	}

	signIn("alice", "wonderland")
	if code, _, body := get("/"); code != 200 || !strings.Contains(body, "Signed in as <strong>Alice Liddell</strong>") {
		t.Errorf("home signed in: %d %s", code, body)
	}
	if code, _, body := get("/api/protected"); code != 200 || !strings.Contains(body, `"status":"Authorized"`) {
		t.Errorf("/api/protected signed in: %d %s", code, body)
	}
	if code, _, body := get("/api/me"); code != 200 || !strings.Contains(body, `"role":"admin"`) || !strings.Contains(body, `"id":"`+d.byLogin["alice"].user.ID+`"`) {
		t.Errorf("/api/me signed in: %d %s", code, body)
	}
	if code, _, body := get("/account"); code != 200 || !strings.Contains(body, `<strong id="user-name">Alice Liddell</strong>`) {
		t.Errorf("/account signed in: %d %s", code, body)
	}
	if code, _, _ := get("/admin"); code != 200 {
		t.Errorf("/admin as alice: %d", code)
	}

	signIn("bob", "canwefixit")
	if code, _, body := get("/admin"); code != 403 || !strings.Contains(body, "Access denied") {
		t.Errorf("/admin as bob: %d %s", code, body)
	}

	// A restart on the same store (its demo accounts seeded
	// again) keeps users and sessions.
	auth, d2, err := newAuth(t.Context(), settings{URL: srv.URL, Secret: devSecret, Mode: mode, Strategy: strategy, Store: st.Adapter, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if d2.byLogin["bob"].user.ID != d.byLogin["bob"].user.ID {
		t.Errorf("bob is %s after the restart, was %s", d2.byLogin["bob"].user.ID, d.byLogin["bob"].user.ID)
	}
	srv.Config.Handler = newRouter(auth, d2)
	if code, _, body := get("/api/me"); code != 200 || !strings.Contains(body, `"name":"Bob Builder"`) {
		t.Errorf("/api/me after the restart: %d %s", code, body)
	}
	if strategy == ginauth.StrategyDatabase {
		sessions, err := auth.Sessions(t.Context(), d.byLogin["bob"].user.ID)
		if err != nil || len(sessions) != 1 {
			t.Fatalf("bob's stored sessions: %v, %v", sessions, err)
		}
		if n, err := auth.RevokeSessions(t.Context(), d.byLogin["bob"].user.ID); n != 1 || err != nil {
			t.Errorf("RevokeSessions = %d, %v", n, err)
		}
		if code, _, _ := get("/api/me"); code != 401 {
			t.Errorf("/api/me after revoking bob's sessions: %d", code)
		}
	}
}

// TestExampleTrustedOrigins: the example refuses sign-in posts that
// another site's page makes the browser send, and accepts those of the
// front ends in TRUSTED_ORIGINS.
func TestExampleTrustedOrigins(t *testing.T) {
	gin.SetMode(gin.TestMode)
	srv := httptest.NewServer(nil)
	defer srv.Close()
	st := testStore(t)
	s := settings{URL: srv.URL, Secret: devSecret, Mode: ginauth.ModeV5, Strategy: ginauth.StrategyJWT, Store: st.Adapter,
		Logger: slog.New(slog.DiscardHandler), TrustedOrigins: splitList(" https://front.example , ")}
	auth, d, err := newAuth(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = newRouter(auth, d)
	for origin, want := range map[string]int{"https://front.example": http.StatusFound, "https://evil.example": http.StatusForbidden} {
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Get(srv.URL + "/api/auth/csrf")
		if err != nil {
			t.Fatal(err)
		}
		var c struct{ CSRFToken string }
		json.NewDecoder(res.Body).Decode(&c)
		res.Body.Close()
		form := url.Values{"username": {"alice"}, "password": {"wonderland"}, "csrfToken": {c.CSRFToken}, "callbackUrl": {"/account"}}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/auth/callback/credentials", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", origin)
		res, err = client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("sign-in posted from %s: %d, want %d", origin, res.StatusCode, want)
		}
	}
}
