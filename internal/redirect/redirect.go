// Package redirect holds the rules that keep callbackUrl redirects on the
// application's own origin.
package redirect

import (
	"net/url"
	"strings"
)

// Safe is Auth.js's default redirect callback, made strict:
//
//   - a path starting with "/" is joined to baseURL;
//   - an absolute http(s) URL is kept when its origin equals baseURL's;
//   - anything else (other origins, other schemes such as javascript:,
//     protocol-relative and backslash forms, userinfo, control characters,
//     whitespace) gives baseURL.
//
// baseURL is an origin such as "https://app.example.com" (no trailing
// slash). The result is always an absolute URL on baseURL's origin.
func Safe(raw, baseURL string) string {
	if raw == "" || len(raw) > 4096 || hasUnsafeByte(raw) {
		return baseURL
	}
	if raw == baseURL {
		return baseURL // the usual callback-url cookie: nothing to check
	}
	if raw[0] == '/' {
		// The authority of baseURL ends where the path starts, so whatever
		// follows stays on baseURL's origin ("//evil" becomes a path).
		return baseURL + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || u.Host == "" {
		return baseURL
	}
	if !SameOrigin(u, baseURL) {
		return baseURL
	}
	return u.String()
}

// SameOrigin reports whether u's scheme and host equal baseURL's, ignoring
// case and the default port.
func SameOrigin(u *url.URL, baseURL string) bool {
	b, err := url.Parse(baseURL)
	if err != nil {
		return false
	}
	return equalFoldASCII(u.Scheme, b.Scheme) && (u.Scheme == "http" || u.Scheme == "https") &&
		equalFoldASCII(hostPort(u), hostPort(b))
}

// equalFoldASCII compares ignoring ASCII case only: strings.EqualFold would
// also match "ſ" (U+017F) with "s" and "K" (U+212A) with "k", letting a
// non-ASCII spelling of the host through.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		} else {
			port = "80"
		}
	}
	return u.Hostname() + ":" + port
}

// hasUnsafeByte reports bytes that browsers strip or reinterpret inside
// URLs (controls, space, backslash) and that have no place in a redirect.
func hasUnsafeByte(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == '\\' {
			return true
		}
	}
	return false
}
