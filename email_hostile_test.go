package ginauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
)

// hostileAddress is a submitted address and where a link for it may go.
type hostileAddress struct {
	in string
	// to is the only recipient a link may have: the address Auth.js's
	// rules make of in; "" when the request is refused and no link is
	// sent at all.
	to string
	// v4 is to in the v4 dialect when it differs (v4 wants a dot in the
	// domain).
	v4 *string
}

var noRecipient = new(string)

// long254 is an address of the longest length a path allows, 254 bytes.
var long254 = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"

// hostileAddresses are look-alike, malformed and injecting addresses.
var hostileAddresses = []hostileAddress{
	{in: "ann@example.com", to: "ann@example.com"},
	// Look-alikes. Fullwidth letters are the same address once NFKC
	// folds them, as Auth.js folds them; a Cyrillic "а" is another
	// address and never ann's.
	{in: "ａｎｎ@ｅｘａｍｐｌｅ.ｃｏｍ", to: "ann@example.com"},
	{in: "\u0430nn@example.com", to: "\u0430nn@example.com"},
	{in: "ann@ex\u0430mple.com", to: "ann@ex\u0430mple.com"},
	{in: "ANN@EXAMPLE.COM\u212a", to: "ann@example.comk"}, // KELVIN SIGN folds to k
	// Homoglyphs of "@" that NFKC turns into a second "@".
	{in: "eve@evil.example\uff20example.com"},
	{in: "eve@evil.example\ufe6bexample.com"},
	// Invisible characters: never a recipient.
	{in: "ann\u200b@example.com"},
	{in: "ann@example.com\u202e"},
	{in: "\u2066ann@example.com"},
	// IDN, as typed and as punycode.
	{in: "ann@bücher.example", to: "ann@bücher.example"},
	{in: "ann@xn--bcher-kva.example", to: "ann@xn--bcher-kva.example"},
	// Quoted local parts, comments, domain literals.
	{in: `"ann"@example.com`},
	{in: `"eve@evil.example"@example.com`},
	{in: `"eve"<eve@evil.example>`},
	{in: "ann(comment)@example.com"},
	{in: "ann@example.com(eve@evil.example)"},
	{in: "ann@(comment)example.com"},
	{in: "ann@[127.0.0.1]"},
	// Several "@", lists, display names.
	{in: "eve@evil.example@example.com"},
	{in: "ann@example.com,eve@evil.example"},
	{in: "ann@example.com;eve@evil.example"},
	{in: "ann@example.com,evil.example", to: "ann@example.com"}, // the domain is cut at a comma, as Auth.js cuts it
	{in: "ann@example.com;evil.example"},
	{in: "Ann <ann@example.com>"},
	{in: "eve<ann@example.com>"},
	{in: "ann@example.com <eve@evil.example>"},
	{in: "<ann@example.com>"},
	// Dots.
	{in: "ann@example.com."},
	{in: "ann@.example.com"},
	{in: "ann@example..com"},
	{in: ".ann@example.com"},
	{in: "ann.@example.com"},
	{in: "an..n@example.com"},
	{in: "ann@localhost", to: "ann@localhost", v4: noRecipient},
	// Header and command injection.
	{in: "ann@example.com\r\nBcc: eve@evil.example"},
	{in: "ann@example.com\r\nX-Injected: yes"},
	{in: "ann@example.com\nRCPT TO:<eve@evil.example>"},
	{in: "ann@example.com\r\n.\r\nMAIL FROM:<x@evil.example>"},
	{in: "ann@example.com\x00eve"},
	{in: "ann@example.com\u2028Bcc: x"},
	{in: "ann@example.com\u0085Bcc: x"},
	{in: "ann\t@example.com"},
	{in: "ann@example.com\r\n", to: "ann@example.com"}, // trimmed, as Auth.js trims
	{in: "=?utf-8?q?eve=40evil.example?=@example.com", to: "=?utf-8?q?eve=40evil.example?=@example.com"},
	{in: "=?utf-8?b?ZXZlQGV2aWwuZXhhbXBsZQ==?= <ann@example.com>"},
	{in: "ann@example.com%0d%0abcc:eve"},
	{in: "ann%0d%0abcc%3aeve@example.com", to: "ann%0d%0abcc%3aeve@example.com"}, // nothing decodes it
	// Sizes.
	{in: ""},
	{in: "@"},
	{in: "ann@"},
	{in: "@example.com"},
	{in: strings.Repeat("a", 65) + "@example.com"},
	{in: "ann@" + strings.Repeat("a", 64) + ".com"},
	{in: long254, to: long254},
	{in: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + "." + strings.Repeat("e", 63)},
	{in: strings.Repeat("a", 10000) + "@example.com"},
	{in: "ann@example.com" + strings.Repeat(" ", 5000)},
	{in: strings.Repeat("ａ", 300) + "@example.com"},
}

// TestEmailHostileAddresses submits each hostile address to the sign-in
// endpoint in both dialects, with links going through a real SMTP server and
// through a Sender of the application's own that takes any identifier: no
// answer is a 500, a link goes only to the address Auth.js's rules make of
// the input (one envelope recipient, the same in To and in the link, never
// ann's for a look-alike), nothing reaches any sender for the rest, and
// nobody is signed in by asking.
func TestEmailHostileAddresses(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		relay := startRelay(t)
		viaSMTP := newSMTPApp(t, mode, relay, nil)
		own := newEmailApp(t, mode, nil)
		for _, h := range hostileAddresses {
			want := h.to
			if mode == ginauth.ModeV4 && h.v4 != nil {
				want = *h.v4
			}
			name := fmt.Sprintf("%.80q", h.in)

			n := len(relay.received())
			res := viaSMTP.requestLink(h.in)
			got := relay.received()[n:]
			if wantAnswer(t, viaSMTP, mode, name, res, want) && want != "" {
				if len(got) != 1 {
					t.Errorf("%s: %d messages over SMTP, want 1", name, len(got))
				} else {
					checkOneRecipient(t, name, got[0], want)
				}
			} else if len(got) != 0 {
				t.Errorf("%s: %d messages over SMTP, want none", name, len(got))
			}

			n = own.box.count()
			res = own.requestLink(h.in)
			sent := own.box.count() - n
			if wantAnswer(t, own, mode, name, res, want) && want != "" {
				if m := own.box.last(t); sent != 1 || m.Identifier != want || tokenOf(t, m.URL) != m.Token {
					t.Errorf("%s: %d messages to the Sender, the last for %q, want one for %q", name, sent, m.Identifier, want)
				} else if u, _ := url.Parse(m.URL); u.Query().Get("email") != want {
					t.Errorf("%s: the link is for %q, want %q", name, u.Query().Get("email"), want)
				}
			} else if sent != 0 {
				t.Errorf("%s: %d messages to the Sender, want none", name, sent)
			}
		}
		for _, e := range []*emailApp{viaSMTP, own} {
			if s := e.do(http.MethodGet, "/api/auth/session", nil); s.body != e.emptySession() {
				t.Errorf("session after the hostile requests: %s", s.body)
			}
			if _, err := e.store.GetUserByEmail(context.Background(), "ann@example.com"); !errors.Is(err, authjs.ErrNotFound) {
				t.Errorf("asking for links made a user: %v", err)
			}
		}
		// The missing field, two values, and a value that is not text.
		for _, body := range []url.Values{
			{"csrfToken": {own.csrf()}},
			{"csrfToken": {own.csrf()}, "email": {"ann@example.com", "eve@evil.example"}},
		} {
			n := own.box.count()
			res := own.do(http.MethodPost, "/api/auth/signin/email", body)
			if sent := own.box.count() - n; res.status >= 500 || sent > 1 || (sent == 1 && own.box.last(t).Identifier != "ann@example.com") {
				t.Errorf("body %v: %d, %d messages", body, res.status, sent)
			}
		}
		n := own.box.count()
		res := own.postJSON("/api/auth/signin/email", map[string]any{"email": []string{"ann@example.com", "eve@evil.example"}, "csrfToken": own.csrf()})
		if res.status >= 500 || own.box.count() != n {
			t.Errorf("a JSON list of addresses: %d, %d messages", res.status, own.box.count()-n)
		}
	})
}

// wantAnswer checks the answer to a request for a link to an address
// that should go to want ("" for none) and reports whether it is the
// verify-request page.
func wantAnswer(t *testing.T, e *emailApp, mode ginauth.Mode, name string, res response, want string) bool {
	t.Helper()
	verify := e.srv.URL + "/api/auth/verify-request?provider=email&type=email"
	refused := e.errorURL("Configuration")
	if mode == ginauth.ModeV4 {
		refused = e.errorURL("EmailSignin")
	}
	if _, ok := res.cookie(e.sessionCookieName()); ok {
		t.Errorf("%s: asking for a link set a session cookie", name)
	}
	loc := res.header.Get("Location")
	switch {
	case res.status != http.StatusFound:
		t.Errorf("%s: answered %d %s", name, res.status, res.body)
	case want == "" && loc != refused:
		t.Errorf("%s: to %q, want %s", name, loc, refused)
	case want != "" && loc != verify:
		t.Errorf("%s: to %q, want %s", name, loc, verify)
	}
	return loc == verify
}

// checkOneRecipient checks that a received message went to want alone:
// one envelope recipient, one To address, the link for want, and no other
// recipient header.
func checkOneRecipient(t *testing.T, name string, got relayMessage, want string) {
	t.Helper()
	if len(got.rcpts) != 1 || got.rcpts[0] != want {
		t.Errorf("%s: envelope recipients %q, want [%q]", name, got.rcpts, want)
	}
	m := parseMail(t, got.data)
	if len(m.to) != 1 || m.to[0].Address != want || m.to[0].Name != "" {
		t.Errorf("%s: To %v, want %q alone", name, m.to, want)
	}
	for _, h := range []string{"Cc", "Bcc", "Reply-To", "X-Injected"} {
		if v, ok := m.header[h]; ok {
			t.Errorf("%s: header %s: %q", name, h, v)
		}
	}
	u, err := url.Parse(m.link(t))
	if err != nil || u.Query().Get("email") != want {
		t.Errorf("%s: the link is for %q (%v), want %q", name, u.Query().Get("email"), err, want)
	}
}

// TestEmailHostileBrand: a brand name with line breaks, encoded words and
// a recipient list, and a logo URL that is not https, change neither the
// recipients nor the headers of the message; the brand is shown as text.
func TestEmailHostileBrand(t *testing.T) {
	for _, brand := range []string{
		"Acme\r\nBcc: eve@evil.example",
		"Acme\nX-Injected: yes\n\nbody",
		"=?utf-8?q?Acme=0D=0ABcc:_eve@evil.example?=",
		"=?utf-8?b?QWNtZQ0KQmNjOiBldmVAZXZpbC5leGFtcGxl?=",
		`"Acme" <eve@evil.example>, Eve`,
		"Acme\u2028Bcc: eve@evil.example\u0085X-Injected: yes",
		strings.Repeat("Ⓐ", 5000),
	} {
		relay := startRelay(t)
		e := newSMTPApp(t, ginauth.ModeV5, relay, func(c *ginauth.Config) {
			c.Brand = ginauth.Brand{Name: brand, LogoURL: "javascript:alert(1)"}
		})
		name := fmt.Sprintf("%.60q", brand)
		if res := e.requestLink("ann@example.com"); res.header.Get("Location") != e.srv.URL+"/api/auth/verify-request?provider=email&type=email" {
			t.Errorf("brand %s: %d to %q", name, res.status, res.header.Get("Location"))
			continue
		}
		got := relay.only(t, 0)
		checkOneRecipient(t, name, got, "ann@example.com")
		m := parseMail(t, got.data)
		if len(m.from) != 1 || m.from[0].Address != "no-reply@app.test" || strings.ContainsAny(m.from[0].Name, "\r\n\u2028\u0085") {
			t.Errorf("brand %s: From %q", name, m.from)
		}
		if h := m.header["Subject"]; len(h) != 1 || m.subject != "Sign in to "+strings.TrimPrefix(e.srv.URL, "http://") {
			t.Errorf("brand %s: Subject %q", name, h)
		}
		if strings.Contains(m.html, "javascript:") || strings.Contains(m.html, "<eve@") {
			t.Errorf("brand %s: the HTML body carries the hostile values:\n%s", name, m.html)
		}
	}
}

// linkFor asks e for a link to addr through its mailbox and returns it.
func linkFor(t *testing.T, e *emailApp, addr string) string {
	t.Helper()
	n := e.box.count()
	e.requestLink(addr)
	if e.box.count() != n+1 {
		t.Fatalf("no link was sent to %s", addr)
	}
	return e.box.last(t).URL
}

// TestEmailForgedTokens opens forged and replayed links in both dialects:
// none signs anyone in or answers a 500, and none burns the real link.
func TestEmailForgedTokens(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		store := memory.New()
		e := newEmailApp(t, mode, func(c *ginauth.Config) { c.Adapter = store })
		// Another server on the same store with another secret.
		other := newEmailApp(t, mode, func(c *ginauth.Config) {
			c.Adapter = store
			c.Secret = "another-secret-0123456789abcdefghijklmnopqrstuvwxyz"
		})
		link := linkFor(t, e, "ann@example.com")
		tok := tokenOf(t, link)
		otherLink := linkFor(t, other, "ann@example.com")
		bobLink := linkFor(t, e, "bob@example.com")
		base := e.srv.URL + "/api/auth/callback/email?"
		q := func(pairs ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(pairs); i += 2 {
				v.Add(pairs[i], pairs[i+1])
			}
			return base + v.Encode()
		}
		missing := e.errorURL("Configuration")
		if mode == ginauth.ModeV4 {
			missing = e.errorURL("configuration")
		}
		verification := e.errorURL("Verification")
		for _, c := range []struct{ what, link, want string }{
			{"no token", q("email", "ann@example.com"), missing},
			{"an empty token", q("token", "", "email", "ann@example.com"), missing},
			{"a short token", q("token", tok[:63], "email", "ann@example.com"), verification},
			{"a long token", q("token", tok+"0", "email", "ann@example.com"), verification},
			{"an upper-case token", q("token", strings.ToUpper(tok), "email", "ann@example.com"), verification},
			{"a token that is not hex", q("token", strings.Repeat("z", 64), "email", "ann@example.com"), verification},
			{"a token with a NUL", q("token", tok[:32]+"\x00"+tok[33:], "email", "ann@example.com"), verification},
			{"a token with a line break", q("token", tok+"\r\n", "email", "ann@example.com"), verification},
			{"a huge token", q("token", strings.Repeat(tok, 100), "email", "ann@example.com"), verification},
			{"the stored hash as the token", q("token", hashOf(tok), "email", "ann@example.com"), verification},
			{"a token under another secret", strings.Replace(otherLink, other.srv.URL, e.srv.URL, 1), verification},
			{"ann's token for bob", q("token", tok, "email", "bob@example.com"), verification},
			{"bob's token for ann", q("token", tokenOf(t, bobLink), "email", "ann@example.com"), verification},
			{"ann's token without an address", q("token", tok), verification},
			{"ann's token for an upper-case ann", q("token", tok, "email", "ANN@example.com"), verification},
			{"ann's token for ann with a space", q("token", tok, "email", "ann@example.com "), verification},
			{"ann's token for ann's look-alike", q("token", tok, "email", "\u0430nn@example.com"), verification},
			{"ann's token with bob's address first", q("token", tok, "email", "bob@example.com", "email", "ann@example.com"), verification},
		} {
			e.client = newClient(t)
			res := e.open(c.link)
			if res.status >= 500 || res.header.Get("Location") != c.want {
				t.Errorf("%s: %d to %q, want %s", c.what, res.status, res.header.Get("Location"), c.want)
			}
			if _, ok := res.cookie(e.sessionCookieName()); ok {
				t.Errorf("%s: set a session cookie", c.what)
			}
		}
		// The real links still work, once.
		for _, l := range []string{link, bobLink} {
			e.client = newClient(t)
			if res := e.open(l); res.header.Get("Location") != e.srv.URL+"/account" {
				t.Errorf("a real link after the forgeries: %d to %q", res.status, res.header.Get("Location"))
			}
		}
		e.client = newClient(t)
		if res := e.open(link); res.header.Get("Location") != verification {
			t.Errorf("a replayed link: %d to %q", res.status, res.header.Get("Location"))
		}
		// The other server's link works there.
		if res := other.open(otherLink); res.header.Get("Location") != other.srv.URL+"/account" {
			t.Errorf("the other server's link there: %d to %q", res.status, res.header.Get("Location"))
		}
	})
}

// TestEmailConcurrentReplay opens one link from many browsers at once:
// exactly one is signed in.
func TestEmailConcurrentReplay(t *testing.T) {
	e := newEmailApp(t, ginauth.ModeV5, nil)
	link := linkFor(t, e, "ann@example.com")
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	signedIn, refused := 0, 0
	for range n {
		wg.Go(func() {
			c := newClient(t)
			res, err := c.Get(link)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch loc := res.Header.Get("Location"); {
			case loc == e.srv.URL+"/account" && len(res.Cookies()) > 0:
				signedIn++
			case loc == e.errorURL("Verification"):
				refused++
			default:
				t.Errorf("%d to %q", res.StatusCode, loc)
			}
		})
	}
	wg.Wait()
	if signedIn != 1 || refused != n-1 {
		t.Errorf("%d browsers signed in and %d refused, want 1 and %d", signedIn, refused, n-1)
	}
}

// TestEmailForeignCallbackURL: a callbackUrl on another host, given when
// asking for the link or written into the link, never leads off the
// origin.
func TestEmailForeignCallbackURL(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		e := newEmailApp(t, mode, nil)
		for _, foreign := range []string{"https://evil.example/steal", "//evil.example/x", "javascript:alert(1)",
			"http://" + strings.TrimPrefix(e.srv.URL, "http://") + ".evil.example/", "https://evil.example\\@" + strings.TrimPrefix(e.srv.URL, "http://")} {
			e.client = newClient(t)
			res := e.do(http.MethodPost, "/api/auth/signin/email", url.Values{
				"email": {"ann@example.com"}, "csrfToken": {e.csrf()}, "callbackUrl": {foreign},
			})
			if res.status >= 500 {
				t.Errorf("callbackUrl %q: %d", foreign, res.status)
				continue
			}
			if loc := res.header.Get("Location"); loc != "" && !onOrigin(e, loc) {
				t.Errorf("callbackUrl %q: asking for a link led to %q", foreign, loc)
			}
			sent := e.box.count() > 0 && e.box.last(t).Identifier == "ann@example.com"
			if sent {
				link := e.box.last(t).URL
				if !strings.HasPrefix(link, e.srv.URL+"/api/auth/callback/email?") {
					t.Errorf("callbackUrl %q: the link is %s", foreign, link)
				}
				u, _ := url.Parse(link)
				if cb := u.Query().Get("callbackUrl"); cb != "" && !strings.HasPrefix(cb, e.srv.URL) {
					t.Errorf("callbackUrl %q: the link carries callbackUrl %q", foreign, cb)
				}
				if r := e.open(link); !onOrigin(e, r.header.Get("Location")) {
					t.Errorf("callbackUrl %q: the link led to %q", foreign, r.header.Get("Location"))
				}
			}
			// The same address, its link's callbackUrl rewritten.
			link := linkFor(t, e, "ann@example.com")
			u, _ := url.Parse(link)
			v := u.Query()
			v.Set("callbackUrl", foreign)
			e.client = newClient(t)
			r := e.open(e.srv.URL + u.Path + "?" + v.Encode())
			if r.status >= 500 || !onOrigin(e, r.header.Get("Location")) {
				t.Errorf("a link with callbackUrl %q: %d to %q", foreign, r.status, r.header.Get("Location"))
			}
		}
	})
}

// onOrigin reports whether loc is the app's origin or a URL under it.
func onOrigin(e *emailApp, loc string) bool {
	return loc == e.srv.URL || strings.HasPrefix(loc, e.srv.URL+"/")
}

// TestEmailHugeBody: a body far over the limit is refused without a 500
// and sends nothing.
func TestEmailHugeBody(t *testing.T) {
	e := newEmailApp(t, ginauth.ModeV5, nil)
	big := url.Values{"email": {"ann@example.com"}, "csrfToken": {e.csrf()}, "pad": {strings.Repeat("x", 8<<20)}}
	res := e.do(http.MethodPost, "/api/auth/signin/email", big)
	if res.status != http.StatusRequestEntityTooLarge || e.box.count() != 0 {
		t.Errorf("an 8 MiB body: %d, %d messages", res.status, e.box.count())
	}
	res = e.do(http.MethodPost, "/api/auth/signin/email", url.Values{"email": {strings.Repeat("a", 60000) + "@example.com"}, "csrfToken": {e.csrf()}})
	if res.status >= 500 || e.box.count() != 0 {
		t.Errorf("a 60 kB address: %d, %d messages", res.status, e.box.count())
	}
}

// hashOf is what the store keeps of a token under the test secret:
// hex(sha256(token + secret)).
func hashOf(tok string) string {
	sum := sha256.Sum256([]byte(tok + testSecret))
	return hex.EncodeToString(sum[:])
}

// TestEmailLinkOriginIgnoresRequestHost: with Config.URL set, the link's
// origin is the configured one whatever Host and X-Forwarded-* headers the
// request carries.
func TestEmailLinkOriginIgnoresRequestHost(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		e := newEmailApp(t, mode, nil)
		body := url.Values{"email": {"ann@example.com"}, "csrfToken": {e.csrf()}, "callbackUrl": {"/account"}}
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/auth/signin/email", strings.NewReader(body.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// The client keys its cookies on the Host it sends: they are added
		// by hand.
		u, _ := url.Parse(e.srv.URL)
		for _, c := range e.client.Jar.Cookies(u) {
			req.AddCookie(c)
		}
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "https")
		e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res := e.send(req)
		if loc := res.header.Get("Location"); !onOrigin(e, loc) {
			t.Fatalf("answered %d to %q %s", res.status, loc, res.body)
		}
		if link := e.box.last(t).URL; !strings.HasPrefix(link, e.srv.URL+"/api/auth/callback/email?callbackUrl="+url.QueryEscape(e.srv.URL+"/account")+"&") {
			t.Errorf("the link is %s", link)
		}
	})
}

// tokenOnlyStore is a store whose UseVerificationToken finds a token by
// its hash alone, ignoring the identifier, as Auth.js allows an adapter of
// an application's own to do.
type tokenOnlyStore struct {
	*memory.Store
	mu     sync.Mutex
	owners map[string]string // hash → identifier
}

func (s *tokenOnlyStore) CreateVerificationToken(ctx context.Context, t authjs.VerificationToken) error {
	s.mu.Lock()
	s.owners[t.Token] = t.Identifier
	s.mu.Unlock()
	return s.Store.CreateVerificationToken(ctx, t)
}

func (s *tokenOnlyStore) UseVerificationToken(ctx context.Context, _, token string) (*authjs.VerificationToken, error) {
	s.mu.Lock()
	owner, ok := s.owners[token]
	s.mu.Unlock()
	if !ok {
		return nil, authjs.ErrNotFound
	}
	return s.Store.UseVerificationToken(ctx, owner, token)
}

// TestEmailTokenForAnotherAddressOnALaxStore: with a store that finds
// tokens by hash alone, ann's token in a link for bob still signs nobody
// in, as Auth.js checks the identifier of the token it gets back.
func TestEmailTokenForAnotherAddressOnALaxStore(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		store := &tokenOnlyStore{Store: memory.New(), owners: map[string]string{}}
		e := newEmailApp(t, mode, func(c *ginauth.Config) { c.Adapter = store })
		link := linkFor(t, e, "ann@example.com")
		res := e.open(strings.Replace(link, "email=ann%40example.com", "email=bob%40example.com", 1))
		if res.header.Get("Location") != e.errorURL("Verification") {
			t.Errorf("ann's token for bob: %d to %q", res.status, res.header.Get("Location"))
		}
		if _, ok := res.cookie(e.sessionCookieName()); ok {
			t.Error("ann's token for bob set a session cookie")
		}
		if _, err := store.GetUserByEmail(context.Background(), "bob@example.com"); !errors.Is(err, authjs.ErrNotFound) {
			t.Errorf("ann's token for bob made bob a user: %v", err)
		}
	})
}

// failingTokenStore is a store whose verification tokens cannot be
// stored or used, as during a database outage.
type failingTokenStore struct {
	*memory.Store
	create, use bool
}

var errStoreDown = errors.New("token table unavailable at db.internal:5432")

func (s *failingTokenStore) CreateVerificationToken(ctx context.Context, t authjs.VerificationToken) error {
	if s.create {
		return errStoreDown
	}
	return s.Store.CreateVerificationToken(ctx, t)
}

func (s *failingTokenStore) UseVerificationToken(ctx context.Context, identifier, token string) (*authjs.VerificationToken, error) {
	if s.use {
		return nil, errStoreDown
	}
	return s.Store.UseVerificationToken(ctx, identifier, token)
}

// TestEmailStoreFailures: a store that cannot keep a token fails the
// request before anything is sent; one that cannot use a token signs
// nobody in; neither answers a 500 or shows the store's error.
func TestEmailStoreFailures(t *testing.T) {
	forModes(t, func(t *testing.T, mode ginauth.Mode) {
		store := &failingTokenStore{Store: memory.New()}
		e := newEmailApp(t, mode, func(c *ginauth.Config) { c.Adapter = store })
		link := linkFor(t, e, "ann@example.com")

		store.create = true
		res := e.requestLink("bob@example.com")
		if loc := res.header.Get("Location"); res.status != http.StatusFound || !strings.HasPrefix(loc, e.srv.URL+"/api/auth/error?error=") ||
			e.box.last(t).Identifier == "bob@example.com" || strings.Contains(res.body+loc, "db.internal") {
			t.Errorf("tokens cannot be stored: %d to %q, last message for %s", res.status, loc, e.box.last(t).Identifier)
		}

		store.use = true
		e.client = newClient(t)
		res = e.open(link)
		if loc := res.header.Get("Location"); res.status != http.StatusFound || !strings.HasPrefix(loc, e.srv.URL+"/api/auth/error?error=") ||
			strings.Contains(res.body+loc, "db.internal") {
			t.Errorf("tokens cannot be used: %d to %q %s", res.status, loc, res.body)
		}
		if _, ok := res.cookie(e.sessionCookieName()); ok {
			t.Error("a token the store could not use set a session cookie")
		}
		// Back up: the link was never used, and works once.
		store.use = false
		e.client = newClient(t)
		if res := e.open(link); res.header.Get("Location") != e.srv.URL+"/account" {
			t.Errorf("the link after the outage: %d to %q", res.status, res.header.Get("Location"))
		}
	})
}
