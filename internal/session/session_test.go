package session_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/internal/session"
)

func TestResolve(t *testing.T) {
	yes, no := true, false
	req := func(host string, header ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://"+host+"/", nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return r
	}
	long255 := strings.Repeat("a", 251) + ".com"
	noHost := req("app.example")
	noHost.Host = ""
	tlsReq := req("app.example")
	tlsReq.TLS = &tls.ConnectionState{}
	tests := []struct {
		name       string
		site       session.Site
		r          *http.Request
		origin     string
		secure, ok bool
	}{
		{"configured origin ignores the Host header", session.Site{Origin: "https://app.example.com"}, req("evil.example", "X-Forwarded-Host", "evil.example"),
			"https://app.example.com", true, true},
		{"http origin", session.Site{Origin: "http://localhost:3000"}, req("x"), "http://localhost:3000", false, true},
		{"forced secure", session.Site{Origin: "http://localhost:3000", Secure: &yes}, req("x"), "http://localhost:3000", true, true},
		{"forced plain", session.Site{Origin: "https://app.example.com", Secure: &no}, req("x"), "https://app.example.com", false, true},
		{"no origin and no trust", session.Site{}, req("app.example"), "", false, false},
		{"trusted host", session.Site{TrustHost: true}, req("App.Example:8080"), "http://app.example:8080", false, true},
		{"trusted forwarded headers", session.Site{TrustHost: true}, req("internal:80", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "app.example.com, proxy.internal"),
			"https://app.example.com", true, true},
		{"unknown forwarded proto", session.Site{TrustHost: true}, req("app.example", "X-Forwarded-Proto", "javascript"), "http://app.example", false, true},
		{"TLS without forwarded proto", session.Site{TrustHost: true}, tlsReq, "https://app.example", true, true},
		{"host with a path", session.Site{TrustHost: true}, req("app.example", "X-Forwarded-Host", "evil.example/path"), "", false, false},
		{"host with userinfo", session.Site{TrustHost: true}, req("app.example", "X-Forwarded-Host", "user@evil.example"), "", false, false},
		{"host with a backslash", session.Site{TrustHost: true}, req("app.example", "X-Forwarded-Host", `evil.example\@app.example`), "", false, false},
		{"host with a quote", session.Site{TrustHost: true}, req("app.example", "X-Forwarded-Host", `evil".example`), "", false, false},
		{"ipv6 host", session.Site{TrustHost: true}, req("[::1]:8080"), "http://[::1]:8080", false, true},
		{"every character class", session.Site{TrustHost: true}, req("a0-Z9_z.A:1"), "http://a0-z9_z.a:1", false, true},
		{"empty host", session.Site{TrustHost: true}, noHost, "", false, false},
		{"a 255-character host", session.Site{TrustHost: true}, req(long255), "http://" + long255, false, true},
		{"a 256-character host", session.Site{TrustHost: true}, req(long255 + "a"), "", false, false},
		{"a non-ASCII host", session.Site{TrustHost: true}, req("app.example", "X-Forwarded-Host", "аpp.example"), "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origin, secure, ok := tt.site.Resolve(tt.r)
			if origin != tt.origin || secure != tt.secure || ok != tt.ok {
				t.Errorf("Resolve = %q %v %v, want %q %v %v", origin, secure, ok, tt.origin, tt.secure, tt.ok)
			}
		})
	}
}

func TestValueAndBearer(t *testing.T) {
	tests := []struct {
		name          string
		cookie        string
		authorization string
		value         string
		present       bool
	}{
		{"cookie", "s=abc", "Bearer other", "abc", true},
		{"chunks", "s.1=def; s.0=abc", "", "abcdef", true},
		{"bearer without a cookie", "", "Bearer tok.en", "tok.en", false},
		{"bearer in any case, percent-decoded", "", "bEaReR a%2Eb", "a.b", false},
		{"bearer with spaces", "", "Bearer   tok  ", "tok", false},
		{"an unusable cookie is still a cookie", "s.0=abc; s.2=x", "Bearer tok", "", true},
		{"not a bearer", "", "Basic dXNlcjpwYXNz", "", false},
		{"empty bearer", "", "Bearer ", "", false},
		{"undecodable bearer is kept", "", "Bearer a%zzb", "a%zzb", false},
		{"an escape at the start", "", "Bearer %2Ea", ".a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.cookie != "" {
				r.Header.Set("Cookie", tt.cookie)
			}
			if tt.authorization != "" {
				r.Header.Set("Authorization", tt.authorization)
			}
			value, present := session.Value(r, "s")
			if value != tt.value || present != tt.present {
				t.Errorf("Value = %q %v, want %q %v", value, present, tt.value, tt.present)
			}
		})
	}
}

func TestJWTStore(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	codec, err := jwe.New(jwe.Options{Format: jwe.V5, Secrets: []string{"session-test-secret-0123456789abcdefghij"}, Salt: "authjs.session-token", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	store := &session.JWT{Codec: codec, MaxAge: time.Hour, Now: clock}
	ctx := context.Background()
	value, expires, err := store.Issue(ctx, authjs.Claims{"sub": "1", "name": "Alice"})
	if err != nil || !expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("Issue: %v %v", expires, err)
	}
	claims, err := store.Load(ctx, value)
	if err != nil || claims.Subject() != "1" || claims.Name() != "Alice" {
		t.Fatalf("Load: %v %v", claims, err)
	}
	if exp, _ := claims.Expires(); !exp.Equal(now.Add(time.Hour)) {
		t.Errorf("exp = %v", exp)
	}
	if err := store.Revoke(ctx, value); err != nil {
		t.Errorf("Revoke: %v", err)
	}
	_, err = store.Load(ctx, value[:len(value)-4]+"AAAA")
	if !session.Invalid(err) {
		t.Errorf("a tampered token: %v, not invalid", err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := store.Load(ctx, value); !session.Invalid(err) || !errors.Is(err, jwe.ErrTokenExpired) {
		t.Errorf("an expired token: %v", err)
	}
	if session.Invalid(errors.New("database down")) || session.Invalid(nil) {
		t.Error("Invalid reports a store failure as an invalid session")
	}
}
