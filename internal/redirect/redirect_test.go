package redirect_test

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ginauth/ginauth/internal/redirect"
)

// hostilePayloads reads testdata/hostile-callback-urls.txt (shared with
// the end-to-end tests of the root package) and adds a path longer than
// Safe accepts.
func hostilePayloads(t testing.TB) []string {
	data, err := os.ReadFile("testdata/hostile-callback-urls.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("bad line %s: %v", line, err)
		}
		out = append(out, p)
	}
	if len(out) < 30 {
		t.Fatalf("only %d payloads", len(out))
	}
	return append(out, "/"+strings.Repeat("a", 5000))
}

// expand fills the placeholders of a payload for base.
func expand(payload, base string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	return strings.NewReplacer("{host}", u.Host, "{hostname}", u.Hostname(), "{port}", u.Port()).Replace(payload)
}

// checkOnOrigin reports why target is not a URL on base's origin as a
// browser would read it. Browsers strip leading and trailing spaces and
// controls, drop tabs and newlines anywhere and read "\" as "/" in http(s)
// URLs; none of those may appear, so net/url then reads the authority as a
// browser does.
func checkOnOrigin(target, base string) error {
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return fmt.Errorf("%q holds byte %#x", target, c)
		}
	}
	if !strings.HasPrefix(strings.ToLower(target), "http://") && !strings.HasPrefix(strings.ToLower(target), "https://") {
		return fmt.Errorf("%q is not an absolute http(s) URL", target)
	}
	u, err := url.Parse(target)
	if err != nil {
		// net/url refuses some paths browsers take as they are (such as
		// "/%zz"); the origin is then the text before the path.
		rest, ok := strings.CutPrefix(target, base)
		if !ok || (rest != "" && !strings.ContainsAny(rest[:1], "/?#")) {
			return fmt.Errorf("%q does not parse (%v) and does not start with %s", target, err, base)
		}
		return nil
	}
	if u.User != nil {
		return fmt.Errorf("%q has userinfo", target)
	}
	if u.Opaque != "" {
		return fmt.Errorf("%q is opaque", target)
	}
	got, want := origin(u), origin(mustParse(base))
	if got != want {
		return fmt.Errorf("%q is on origin %s, want %s", target, got, want)
	}
	return nil
}

// origin is scheme://host:port as a browser normalises it: lower case,
// port as a number, the default port dropped.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil {
			return "invalid port " + port
		}
		port = strconv.Itoa(n)
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

var bases = []string{
	"http://127.0.0.1:8080",
	"https://app.example.com",
	"http://localhost:3000",
	"https://[::1]:8443",
}

func TestSafeHostile(t *testing.T) {
	payloads := hostilePayloads(t)
	for _, base := range bases {
		for _, p := range payloads {
			raw := expand(p, base)
			t.Run(base+"/"+strconv.Quote(raw), func(t *testing.T) {
				got := redirect.Safe(raw, base)
				if err := checkOnOrigin(got, base); err != nil {
					t.Errorf("Safe(%q, %q): %v", raw, base, err)
				}
				// A path stays as it is; anything else falls back to the
				// base, unless it was already a same-origin URL.
				switch {
				case got == base:
				case strings.HasPrefix(raw, "/") && got == base+raw:
				case strings.HasPrefix(strings.ToLower(raw), base+"/"):
				default:
					t.Errorf("Safe(%q, %q) = %q, want %q or the path on it", raw, base, got, base)
				}
			})
		}
	}
}

func TestSafeAllowed(t *testing.T) {
	tests := []struct {
		raw, base, want string
	}{
		{"/", "http://127.0.0.1:8080", "http://127.0.0.1:8080/"},
		{"/dashboard", "http://127.0.0.1:8080", "http://127.0.0.1:8080/dashboard"},
		{"/a/b?c=d&e=f#g", "http://127.0.0.1:8080", "http://127.0.0.1:8080/a/b?c=d&e=f#g"},
		{"/?callbackUrl=https%3A%2F%2Fevil.com", "http://127.0.0.1:8080", "http://127.0.0.1:8080/?callbackUrl=https%3A%2F%2Fevil.com"},
		{"/caf%C3%A9", "http://127.0.0.1:8080", "http://127.0.0.1:8080/caf%C3%A9"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080", "http://127.0.0.1:8080/"},
		{"http://127.0.0.1:8080/x?y=1#z", "http://127.0.0.1:8080", "http://127.0.0.1:8080/x?y=1#z"},
		{"HTTP://127.0.0.1:8080/x", "http://127.0.0.1:8080", "http://127.0.0.1:8080/x"},
		{"https://app.example.com/account", "https://app.example.com", "https://app.example.com/account"},
		{"https://APP.Example.COM/x", "https://app.example.com", "https://APP.Example.COM/x"},
		{"https://app.example.com:443/x", "https://app.example.com", "https://app.example.com:443/x"},
		{"http://localhost:3000/?q=%2F%2Fevil.com", "http://localhost:3000", "http://localhost:3000/?q=%2F%2Fevil.com"},
		{"https://[::1]:8443/x", "https://[::1]:8443", "https://[::1]:8443/x"},
	}
	for _, tt := range tests {
		t.Run(tt.base+"/"+tt.raw, func(t *testing.T) {
			if got := redirect.Safe(tt.raw, tt.base); got != tt.want {
				t.Errorf("Safe(%q, %q) = %q, want %q", tt.raw, tt.base, got, tt.want)
			}
		})
	}
}

// TestSafeRefusesLookalikeHosts: net/url keeps non-ASCII host names, and
// Unicode case folding matches "ſ" with "s" and "K" (Kelvin) with "k"; only
// the exact host (ASCII case aside) is the same origin.
func TestSafeRefusesLookalikeHosts(t *testing.T) {
	tests := []struct{ raw, base string }{
		{"http://localhoſt:3000/x", "http://localhost:3000"},
		{"http://LOCALHOſT:3000/x", "http://localhost:3000"},
		{"https://\u212Aey.example.com/x", "https://key.example.com"},
		{"https://app.example.com./x", "https://app.example.com"},
		{"http://127.0.0.1:08080/x", "http://127.0.0.1:8080"},
		{"https://app.example.com:8443/x", "https://app.example.com"},
		{"http://app.example.com/x", "https://app.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := redirect.Safe(tt.raw, tt.base); got != tt.base {
				t.Errorf("Safe(%q, %q) = %q, want %q", tt.raw, tt.base, got, tt.base)
			}
		})
	}
}

// TestSafeFoldsASCIICase: scheme and host compare without regard to ASCII
// case, from A to Z.
func TestSafeFoldsASCIICase(t *testing.T) {
	for _, base := range []string{"https://Az.example.com", "https://aZ.example.com", "https://az.example.com"} {
		for _, raw := range []string{"HTTPS://AZ.Example.COM/x", "https://az.example.com/x", "https://aZ.EXAMPLE.com:443/x", "https://Az.example.com/x"} {
			if got := redirect.Safe(raw, base); !strings.EqualFold(got, raw) {
				t.Errorf("Safe(%q, %q) = %q, want it kept", raw, base, got)
			}
		}
	}
	for _, raw := range []string{"https://@z.example.com/x", "https://[z.example.com/x", "https://`z.example.com/x", "https://{z.example.com/x"} {
		if got := redirect.Safe(raw, "https://az.example.com"); got != "https://az.example.com" {
			t.Errorf("Safe(%q) = %q, want the origin", raw, got)
		}
	}
}

func TestSafeEmptyAndLong(t *testing.T) {
	const base = "http://127.0.0.1:8080"
	for _, raw := range []string{"", "/" + strings.Repeat("a", 4096)} {
		if got := redirect.Safe(raw, base); got != base {
			t.Errorf("Safe(%d bytes) = %q, want %q", len(raw), got, base)
		}
	}
	if raw := "/" + strings.Repeat("a", 4095); redirect.Safe(raw, base) != base+raw {
		t.Errorf("a 4096-byte path was refused")
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		u, base string
		want    bool
	}{
		{"http://a.com/x", "http://a.com", true},
		{"http://a.com:80/x", "http://a.com", true},
		{"https://a.com:443", "https://a.com", true},
		{"HTTP://A.COM", "http://a.com", true},
		{"https://a.com", "http://a.com", false},
		{"http://a.com:81", "http://a.com", false},
		{"http://b.a.com", "http://a.com", false},
		{"ftp://a.com", "ftp://a.com", false},
		{"http://a.com", "%zz", false},
	}
	for _, tt := range tests {
		t.Run(tt.u+" vs "+tt.base, func(t *testing.T) {
			if got := redirect.SameOrigin(mustParse(tt.u), tt.base); got != tt.want {
				t.Errorf("SameOrigin(%q, %q) = %v, want %v", tt.u, tt.base, got, tt.want)
			}
		})
	}
}

// FuzzSafe: whatever the callbackUrl, Safe gives a URL on the base origin
// as a browser reads it, and a plain path is kept on it.
func FuzzSafe(f *testing.F) {
	for _, p := range hostilePayloads(f) {
		f.Add(expand(p, bases[0]), uint8(0))
	}
	for i, b := range bases {
		f.Add(b+"/x?y=z", uint8(i))
		f.Add("/ok", uint8(i))
		f.Add(strings.ToUpper(b), uint8(i))
	}
	f.Add("http://localhoſt:3000/", uint8(2))
	f.Add("https://[::1%25eth0]:8443/", uint8(3))
	f.Fuzz(func(t *testing.T, raw string, which uint8) {
		base := bases[int(which)%len(bases)]
		got := redirect.Safe(raw, base)
		if err := checkOnOrigin(got, base); err != nil {
			t.Fatalf("Safe(%q, %q): %v", raw, base, err)
		}
		if got != base && !strings.HasPrefix(got, base+"/") {
			// An absolute URL kept as same-origin must be what was asked.
			u, err := url.Parse(raw)
			if err != nil || u.String() != got {
				t.Fatalf("Safe(%q, %q) = %q, which is neither the base, a path on it, nor the input", raw, base, got)
			}
		}
	})
}
