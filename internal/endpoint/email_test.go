package endpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/providers"
)

// TestNormalizeEmail checks the default address rules of each dialect:
// Auth.js's (NFKC, lower case, trimmed, one "@", no quote, the domain cut
// at a comma, a dot in the domain for v4), then one plain address.
func TestNormalizeEmail(t *testing.T) {
	v5, v4 := &Handler{d: dialect.V5}, &Handler{d: dialect.V4}
	p := &emailProvider{}
	ok := func(h *Handler, in, want string) {
		t.Helper()
		got, err := h.normalizeEmail(p, in)
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	bad := func(h *Handler, in string) {
		t.Helper()
		if got, err := h.normalizeEmail(p, in); !errors.Is(err, errBadEmail) || got != "" {
			t.Errorf("%q: %q, %v; want errBadEmail", in, got, err)
		}
	}
	for _, h := range []*Handler{v5, v4} {
		ok(h, "Ann@Example.COM", "ann@example.com")
		ok(h, " \t ann@example.com\r\n", "ann@example.com")
		ok(h, "ａｎｎ@ｅｘａｍｐｌｅ.com", "ann@example.com")
		ok(h, "ann@example.com,evil.example", "ann@example.com")
		ok(h, "a.b+tag@sub.example.com", "a.b+tag@sub.example.com")
		ok(h, strings.Repeat("a", 64)+"@"+strings.Repeat("b", 63)+".com", strings.Repeat("a", 64)+"@"+strings.Repeat("b", 63)+".com")
		for _, in := range []string{
			"", "ann", "@", "ann@", "@example.com", "ann@,example.com", "a@b@example.com", "ann＠evil.example@example.com",
			`"ann"@example.com`, "ann @example.com", "ann@exa mple.com", "ann\u200b@example.com", "ann@example.com\u202e",
			"ann(x)@example.com", "<ann@example.com>", "eve<ann@example.com>", "ann@example.com;x", "ann@[127.0.0.1]",
			"ann:x@example.com", `ann\x@example.com`, "ann@example.com.", "ann@example..com", ".ann@example.com",
			"ann@example.com\r\nBcc: eve@example.com", "ann\x00@example.com",
			strings.Repeat("a", 65) + "@example.com", "ann@" + strings.Repeat("b", 64) + ".com",
			strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com",
			strings.Repeat("a", 4*maxEmailLen+1),
		} {
			bad(h, in)
		}
	}
	// Just over the raw length bound: refused before any work, even when
	// trimming would leave a good address.
	bad(v5, "ann@example.com"+strings.Repeat(" ", 4*maxEmailLen))
	ok(v5, "ann@example.com"+strings.Repeat(" ", 4*maxEmailLen-len("ann@example.com")), "ann@example.com")
	// v4 wants a dot in the domain; v5 does not.
	ok(v5, "ann@localhost", "ann@localhost")
	bad(v4, "ann@localhost")

	// An application's Normalize replaces the rules.
	own := &emailProvider{Email: providers.Email{Normalize: func(s string) (string, error) { return "x" + s, nil }}}
	if got, err := v5.normalizeEmail(own, "ANN"); err != nil || got != "xANN" {
		t.Errorf("own Normalize: %q, %v", got, err)
	}
}

// TestEmailTokens: the stored hash is hex(sha256(token + secret)) with the
// provider's secret when it has one; tokens are 32 random bytes in hex
// unless GenerateToken makes them.
func TestEmailTokens(t *testing.T) {
	sum := sha256.Sum256([]byte("tok" + "s3cret"))
	if got := (&emailProvider{secret: "s3cret"}).hashToken("tok"); got != hex.EncodeToString(sum[:]) {
		t.Errorf("hashToken = %s", got)
	}
	for _, c := range []struct {
		provider, config, want string
	}{{"", "config-secret", "config-secret"}, {"provider-secret", "config-secret", "provider-secret"}} {
		p, err := newEmail(providers.Email{Sender: providers.SenderFunc(nil), Secret: c.provider}, Options{Adapter: memory.New(), CSRFSecret: c.config})
		if err != nil {
			t.Fatal(err)
		}
		if p.email.secret != c.want || p.email.MaxAge != providers.DefaultEmailMaxAge {
			t.Errorf("provider secret %q, configuration's %q: hashed with %q, MaxAge %v", c.provider, c.config, p.email.secret, p.email.MaxAge)
		}
	}
	if _, err := newEmail(providers.Email{Sender: providers.SenderFunc(nil)}, Options{}); err == nil {
		t.Error("an email provider without an adapter was accepted")
	}
	if _, err := newEmail(providers.Email{}, Options{Adapter: memory.New()}); err == nil {
		t.Error("an email provider without a sender was accepted")
	}
	p := &emailProvider{}
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	a, errA := p.newToken()
	b, errB := p.newToken()
	if errA != nil || errB != nil || !hex64.MatchString(a) || !hex64.MatchString(b) || a == b {
		t.Errorf("tokens %q, %q (%v, %v)", a, b, errA, errB)
	}
	own := &emailProvider{Email: providers.Email{GenerateToken: func() (string, error) { return "mine", nil }}}
	if tok, err := own.newToken(); tok != "mine" || err != nil {
		t.Errorf("GenerateToken: %q, %v", tok, err)
	}
}

// TestFormEncode: the link's query is written as JavaScript's
// URLSearchParams writes it, and reads back as the values.
func TestFormEncode(t *testing.T) {
	got := formEncode("callbackUrl", "http://a.example/x?y=1&z=a b", "token", "ab*-._~!'()", "email", "ä+b@example.com")
	want := "callbackUrl=http%3A%2F%2Fa.example%2Fx%3Fy%3D1%26z%3Da+b&token=ab*-._%7E%21%27%28%29&email=%C3%A4%2Bb%40example.com"
	if got != want {
		t.Errorf("formEncode =\n%s\nwant\n%s", got, want)
	}
	v, err := url.ParseQuery(got)
	if err != nil || v.Get("callbackUrl") != "http://a.example/x?y=1&z=a b" || v.Get("token") != "ab*-._~!'()" || v.Get("email") != "ä+b@example.com" {
		t.Errorf("reads back as %v, %v", v, err)
	}
	var all strings.Builder
	for c := range 256 {
		all.WriteByte(byte(c))
	}
	enc := formEncode("k", all.String())
	if v, err := url.ParseQuery(enc); err != nil || v.Get("k") != all.String() {
		t.Errorf("every byte: %s does not read back (%v)", enc, err)
	}
	if strings.ContainsAny(strings.TrimPrefix(enc, "k="), "=&#?/:@ \r\n") {
		t.Errorf("every byte: %s leaves a delimiter unescaped", enc)
	}
	if formEncode() != "" || formEncode("a", "1", "b") != "a=1" {
		t.Errorf("odd pairs: %q, %q", formEncode(), formEncode("a", "1", "b"))
	}
}
