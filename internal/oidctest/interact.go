package oidctest

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Callback is how the provider sent the user back to the relying party.
type Callback struct {
	// URL is the redirect to the redirect URI, with its query (query
	// response mode), or the redirect URI the form posts to (form_post).
	URL *url.URL
	// Form holds the posted fields with response_mode=form_post; nil for a
	// redirect.
	Form url.Values
}

// Login signs in at the provider as login (any password) with client, which
// must have a cookie jar: it GETs authURL, follows the provider's redirects,
// submits the login and consent forms, and returns the URL the provider
// redirects to at the relying party's redirect URI, without following it.
// Steps the provider skips (an existing session or grant in the jar) are
// skipped. An error the provider sends back to the redirect URI is returned
// like a success; an error page at the provider fails the test.
func (p *Provider) Login(t testing.TB, client *http.Client, authURL, login string) *url.URL {
	t.Helper()
	cb := p.Interact(t, client, authURL, login, false)
	if cb.Form != nil {
		t.Fatalf("oidctest: the provider answered with a form post (response_mode=form_post); use LoginFormPost or Interact")
	}
	return cb.URL
}

// LoginFormPost is Login for response_mode=form_post: it returns the redirect
// URI the provider's auto-submitting page posts to and the posted fields.
func (p *Provider) LoginFormPost(t testing.TB, client *http.Client, authURL, login string) (*url.URL, url.Values) {
	t.Helper()
	cb := p.Interact(t, client, authURL, login, false)
	if cb.Form == nil {
		t.Fatalf("oidctest: the provider redirected to %s instead of posting a form", redact(cb.URL))
	}
	return cb.URL, cb.Form
}

// Deny starts the interaction like Login and cancels it at the first page
// the provider shows, which sends error=access_denied to the redirect URI.
func (p *Provider) Deny(t testing.TB, client *http.Client, authURL string) *url.URL {
	t.Helper()
	cb := p.Interact(t, client, authURL, "", true)
	if cb.Form != nil {
		t.Fatalf("oidctest: the provider answered with a form post (response_mode=form_post); use Interact")
	}
	return cb.URL
}

// maxSteps bounds the requests of one interaction.
const maxSteps = 20

var (
	formRe   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRe  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attrRe   = regexp.MustCompile(`(?is)([a-z_:-]+)\s*=\s*"([^"]*)"`)
	abortRe  = regexp.MustCompile(`(?is)<a\s+href="([^"]*/abort)"`)
	tagRe    = regexp.MustCompile(`(?s)<[^>]*>`)
	styleRe  = regexp.MustCompile(`(?is)<(style|script)\b.*?</(style|script)>`)
	spacesRe = regexp.MustCompile(`\s+`)
)

// Interact drives the provider's pages from authURL until the provider
// sends the user back to a registered redirect URI: it signs in as login
// and consents, or, with deny, cancels at the first page. client must have a
// cookie jar; its redirect policy is not used.
func (p *Provider) Interact(t testing.TB, client *http.Client, authURL, login string, deny bool) Callback {
	t.Helper()
	if client == nil || client.Jar == nil {
		t.Fatal("oidctest: the client needs a cookie jar")
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	req, err := http.NewRequest(http.MethodGet, authURL, nil)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	for range maxSteps {
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("oidctest: %s %s: %v", req.Method, redact(req.URL), err)
		}
		body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		if err != nil {
			t.Fatalf("oidctest: %s %s: %v", req.Method, redact(req.URL), err)
		}
		page := string(body)

		switch {
		case res.StatusCode >= 300 && res.StatusCode < 400:
			loc, err := res.Request.URL.Parse(res.Header.Get("Location"))
			if err != nil || res.Header.Get("Location") == "" {
				t.Fatalf("oidctest: %s %s: %s with a bad Location %q", req.Method, redact(req.URL), res.Status, res.Header.Get("Location"))
			}
			if p.isRedirectURI(loc) {
				return Callback{URL: loc}
			}
			req, _ = http.NewRequest(http.MethodGet, loc.String(), nil)
			continue
		case res.StatusCode != http.StatusOK:
			t.Fatalf("oidctest: %s %s: %s: %s", req.Method, redact(req.URL), res.Status, pageText(page))
		}

		m := formRe.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("oidctest: %s %s: a page without a form: %s", req.Method, redact(req.URL), pageText(page))
		}
		action, err := res.Request.URL.Parse(html.UnescapeString(attrs(m[1])["action"]))
		if err != nil {
			t.Fatalf("oidctest: bad form action: %v", err)
		}
		fields := url.Values{}
		for _, in := range inputRe.FindAllStringSubmatch(m[2], -1) {
			a := attrs(in[1])
			if a["name"] != "" {
				fields.Set(a["name"], html.UnescapeString(a["value"]))
			}
		}
		if p.isRedirectURI(action) { // response_mode=form_post
			return Callback{URL: action, Form: fields}
		}
		if deny {
			a := abortRe.FindStringSubmatch(page)
			if a == nil {
				t.Fatalf("oidctest: %s: no cancel link on the page: %s", redact(req.URL), pageText(page))
			}
			abort, err := res.Request.URL.Parse(html.UnescapeString(a[1]))
			if err != nil {
				t.Fatalf("oidctest: bad cancel link: %v", err)
			}
			req, _ = http.NewRequest(http.MethodGet, abort.String(), nil)
			continue
		}
		switch fields.Get("prompt") {
		case "login":
			if login == "" {
				t.Fatal("oidctest: the provider asks for a login and none was given")
			}
			fields.Set("login", login)
			fields.Set("password", "any password")
		case "consent":
		default:
			t.Fatalf("oidctest: %s: an unexpected form (prompt %q): %s", redact(req.URL), fields.Get("prompt"), pageText(page))
		}
		req, _ = http.NewRequest(http.MethodPost, action.String(), strings.NewReader(fields.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	t.Fatalf("oidctest: no redirect to a registered redirect URI after %d requests", maxSteps)
	return Callback{}
}

// isRedirectURI reports whether u is one of the registered redirect URIs,
// with any query or fragment.
func (p *Provider) isRedirectURI(u *url.URL) bool {
	s := u.String()
	for _, r := range p.redirectURIs {
		if s == r || strings.HasPrefix(s, r+"?") || strings.HasPrefix(s, r+"#") ||
			(strings.Contains(r, "?") && strings.HasPrefix(s, r+"&")) {
			return true
		}
	}
	return false
}

func attrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRe.FindAllStringSubmatch(s, -1) {
		out[strings.ToLower(m[1])] = m[2]
	}
	return out
}

// pageText is a page's visible text, shortened, for failure messages.
func pageText(page string) string {
	s := styleRe.ReplaceAllString(page, " ")
	s = html.UnescapeString(tagRe.ReplaceAllString(s, " "))
	s = strings.TrimSpace(spacesRe.ReplaceAllString(s, " "))
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// redact drops a URL's query, which may carry codes and states.
func redact(u *url.URL) string {
	v := *u
	if v.RawQuery != "" {
		v.RawQuery = "…"
	}
	return v.String()
}
