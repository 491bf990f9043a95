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

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/cookies"
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

// fakeStore loads values listed in sessions; "fail" is a store failure.
type fakeStore struct {
	sessions map[string]string // value → sub
	database bool
}

func (f fakeStore) Database() bool { return f.database }
func (f fakeStore) Issue(context.Context, authjs.Claims, *authjs.User) (string, time.Time, error) {
	return "", time.Time{}, errors.New("not used")
}
func (f fakeStore) Revoke(context.Context, string) error { return nil }
func (f fakeStore) Load(_ context.Context, value string, l *session.Loaded) error {
	if value == "fail" {
		return errors.New("database down")
	}
	sub, ok := f.sessions[value]
	if !ok {
		return session.ErrNoSession
	}
	*l = session.Loaded{Value: value, Claims: authjs.Claims{"sub": sub}}
	return nil
}

func TestRead(t *testing.T) {
	store := fakeStore{sessions: map[string]string{"abc": "1", "abcdef": "2", "tok.en": "3", "a.b": "4", "sec": "5"}}
	plain := &session.Variant{Names: cookies.Names{Session: "s"}, Store: store}
	secure := &session.Variant{Names: cookies.Names{Session: "__Secure-s"}, Store: store}
	tests := []struct {
		name          string
		cookie        string
		authorization string
		bearer        bool
		sub           string
		present, fail bool
	}{
		{"cookie", "s=abc", "Bearer tok.en", true, "1", true, false},
		{"chunks", "s.1=def; s.0=abc", "", true, "2", true, false},
		{"the first variant that loads", "s=nope; __Secure-s=sec", "", true, "5", true, false},
		{"bearer without a cookie", "", "Bearer tok.en", true, "3", false, false},
		{"bearer percent-decoded", "", "bEaReR a%2Eb", true, "4", false, false},
		{"bearer not read when turned off", "", "Bearer tok.en", false, "", false, false},
		{"an unknown cookie is not replaced by a bearer", "s=nope", "Bearer tok.en", true, "", true, false},
		{"an unusable cookie is not replaced by a bearer", "s.0=abc; s.2=x", "Bearer tok.en", true, "", true, false},
		{"an unknown bearer", "", "Bearer nope", true, "", false, false},
		{"not a bearer", "", "Basic dGVzdA==", true, "", false, false},
		{"a failing store is an error", "s=fail", "Bearer tok.en", true, "", true, true},
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
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = r
			var into session.Loaded
			l, present, err := session.Read(c, []*session.Variant{secure, plain}, session.Cookies{ChunkSize: 3936}, tt.bearer, &into)
			sub := ""
			if l != nil {
				sub = l.Claims.Subject()
				if l != &into {
					t.Errorf("Read allocated a session rather than filling the one given")
				}
			}
			if sub != tt.sub || present != tt.present || (err != nil) != tt.fail {
				t.Errorf("Read = %q, %v, %v; want %q, %v, failure %v", sub, present, err, tt.sub, tt.present, tt.fail)
			}
		})
	}
}

func TestBearer(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer tok": "tok", "bearer   tok  ": "tok", "Bearer a%2Eb": "a.b", "Bearer %2Ea": ".a",
		"Bearer a%zzb": "a%zzb", "Bearer ": "", "Bearer": "", "Basic dGVzdA==": "", "": "", "Bearertok": "",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", header)
		if got := session.Bearer(r); got != want {
			t.Errorf("Bearer(%q) = %q, want %q", header, got, want)
		}
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
	value, expires, err := store.Issue(ctx, authjs.Claims{"sub": "1", "name": "Alice"}, nil)
	if err != nil || !expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("Issue: %v %v", expires, err)
	}
	l, err := load(ctx, store, value)
	if err != nil || l.Claims.Subject() != "1" || l.Claims.Name() != "Alice" || l.Value != value || l.User != nil || store.Database() {
		t.Fatalf("Load: %+v %v", l, err)
	}
	if !l.Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("exp = %v", l.Expires)
	}
	if err := store.Revoke(ctx, value); err != nil {
		t.Errorf("Revoke: %v", err)
	}
	_, err = load(ctx, store, value[:len(value)-4]+"AAAA")
	if !session.Invalid(err) {
		t.Errorf("a tampered token: %v, not invalid", err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := load(ctx, store, value); !session.Invalid(err) || !errors.Is(err, jwe.ErrTokenExpired) {
		t.Errorf("an expired token: %v", err)
	}
	if session.Invalid(errors.New("database down")) || session.Invalid(nil) {
		t.Error("Invalid reports a store failure as an invalid session")
	}
}
