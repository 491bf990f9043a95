package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
)

// TestMetricsEndpoint: with METRICS_ADDR's listener, the example's
// sign-ins and session reads show in the Prometheus text at /metrics on
// that listener, beside the Go runtime's, and not on the application's
// port.
func TestMetricsEndpoint(t *testing.T) {
	gin.SetMode(gin.TestMode)
	met, err := newMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- met.Serve() }()
	t.Cleanup(func() {
		if err := met.Shutdown(t.Context()); err != nil {
			t.Error(err)
		}
		if err := <-served; err != nil {
			t.Error(err)
		}
	})

	srv := httptest.NewServer(nil)
	defer srv.Close()
	st := testStore(t)
	auth, d, err := newAuth(t.Context(), settings{URL: srv.URL, Secret: devSecret, Mode: ginauth.ModeV5, Strategy: ginauth.StrategyJWT,
		Store: st.Adapter, Logger: slog.New(slog.DiscardHandler), Metrics: met.Provider})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = newRouter(auth, d)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, string) {
		t.Helper()
		res, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	signIn := func(user, pw string) {
		t.Helper()
		_, body := get(srv.URL + "/api/auth/csrf")
		var c struct{ CSRFToken string }
		json.Unmarshal([]byte(body), &c)
		res, err := client.PostForm(srv.URL+"/api/auth/callback/credentials", url.Values{"username": {user}, "password": {pw}, "csrfToken": {c.CSRFToken}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	signIn("alice", "wrong")
	signIn("alice", "wonderland")
	for range 3 {
		if status, _ := get(srv.URL + "/api/protected"); status != http.StatusOK {
			t.Fatalf("protected: %d", status)
		}
	}
	if status, _ := get(srv.URL + "/metrics"); status != http.StatusNotFound {
		t.Errorf("the application's port serves /metrics: %d", status)
	}

	status, text := get("http://" + met.Addr() + "/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
	for _, want := range []string{
		`ginauth_signins_total{otel_scope_name="github.com/ginauth/ginauth",otel_scope_schema_url="",otel_scope_version="",outcome="success",provider="credentials"} 1`,
		`ginauth_signins_total{otel_scope_name="github.com/ginauth/ginauth",otel_scope_schema_url="",otel_scope_version="",outcome="refused",provider="credentials"} 1`,
		`ginauth_session_reads_total{otel_scope_name="github.com/ginauth/ginauth",otel_scope_schema_url="",otel_scope_version="",outcome="valid",strategy="jwt"} 3`,
		`ginauth_token_cache_lookups_total{otel_scope_name="github.com/ginauth/ginauth",otel_scope_schema_url="",otel_scope_version="",result="hit"} 1`,
		"# HELP go_goroutines ",
	} {
		if !strings.Contains(text, want+"\n") && !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
	if status, _ := get("http://" + met.Addr() + "/"); status != http.StatusNotFound {
		t.Errorf("the metrics listener serves /: %d", status)
	}
}

// TestMetricsAddr: METRICS_ADDR must be host:port.
func TestMetricsAddr(t *testing.T) {
	for _, addr := range []string{"9464", "http://127.0.0.1:9464", "127.0.0.1"} {
		if m, err := newMetrics(addr); err == nil {
			m.Shutdown(t.Context())
			t.Errorf("newMetrics(%q) accepted it", addr)
		}
	}
}
