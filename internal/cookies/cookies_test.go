package cookies_test

import (
	"math/bits"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/internal/cookies"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/jwe"
)

// request returns a request carrying one Cookie header per argument.
func request(headers ...string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "http://localhost/", nil)
	for _, h := range headers {
		r.Header.Add("Cookie", h)
	}
	return r
}

// TestMaxChunksCarryLongestToken: every token the codec accepts must fit in
// the chunks ReadChunked accepts, or a long session would be written and
// then never read back.
func TestMaxChunksCarryLongestToken(t *testing.T) {
	for _, d := range []*dialect.Dialect{dialect.V4, dialect.V5} {
		t.Run(d.Name, func(t *testing.T) {
			if got := cookies.MaxChunks * d.ChunkSize; got < jwe.MaxTokenLen {
				t.Errorf("MaxChunks*ChunkSize = %d < jwe.MaxTokenLen %d", got, jwe.MaxTokenLen)
			}
			value := strings.Repeat("t", jwe.MaxTokenLen)
			set := cookies.Chunk("s", value, d.ChunkSize, nil, time.Time{})
			if got, _ := cookies.ReadChunked(request(header(set)), "s"); got != value {
				t.Errorf("a %d-character value in %d chunks did not read back", len(value), len(set))
			}
		})
	}
}

// header is the Cookie header a browser sends after receiving set.
func header(set []cookies.Cookie) string {
	var parts []string
	for _, c := range set {
		if !c.Delete {
			parts = append(parts, c.Name+"="+cookies.EncodeURIComponent(c.Value))
		}
	}
	return strings.Join(parts, "; ")
}

// TestEncodeURIComponent compares with JavaScript's encodeURIComponent,
// whose outputs are spelled out here.
func TestEncodeURIComponent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcXYZ0189", "abcXYZ0189"},
		{"-_.!~*'()", "-_.!~*'()"},
		{"a|b", "a%7Cb"},
		{"http://x/y?z=1 2", "http%3A%2F%2Fx%2Fy%3Fz%3D1%202"},
		{"http://localhost:3000/dashboard", "http%3A%2F%2Flocalhost%3A3000%2Fdashboard"},
		{" ", "%20"},
		{"+", "%2B"},
		{"%", "%25"},
		{"%41", "%2541"},
		{"&=#", "%26%3D%23"},
		{"$,;@", "%24%2C%3B%40"},
		{`"<>\`, "%22%3C%3E%5C"},
		{"[]{}^`", "%5B%5D%7B%7D%5E%60"},
		{"\x00\t\n\r\x1f\x7f", "%00%09%0A%0D%1F%7F"},
		{"é", "%C3%A9"},
		{"€", "%E2%82%AC"},
		{"😀", "%F0%9F%98%80"},
		{"evil。com", "evil%E3%80%82com"},
		{"eyJhbGciOiJkaXIi..x-_y.z", "eyJhbGciOiJkaXIi..x-_y.z"},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			if got := cookies.EncodeURIComponent(tt.in); got != tt.want {
				t.Errorf("EncodeURIComponent(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCookieString(t *testing.T) {
	exp := time.Date(2026, 12, 23, 7, 24, 42, 336e6, time.UTC)
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name   string
		cookie cookies.Cookie
		attrs  cookies.Attrs
		want   string
	}{
		{"session", cookies.Cookie{Name: "authjs.session-token", Value: "eyJ", Expires: exp}, cookies.Attrs{},
			"authjs.session-token=eyJ; Path=/; Expires=Wed, 23 Dec 2026 07:24:42 GMT; HttpOnly; SameSite=Lax"},
		{"expires in another zone is written in GMT", cookies.Cookie{Name: "n", Value: "v", Expires: exp.In(tokyo)}, cookies.Attrs{},
			"n=v; Path=/; Expires=Wed, 23 Dec 2026 07:24:42 GMT; HttpOnly; SameSite=Lax"},
		{"secure attrs", cookies.Cookie{Name: "n", Value: "v", Expires: exp}, cookies.Attrs{Secure: true},
			"n=v; Path=/; Expires=Wed, 23 Dec 2026 07:24:42 GMT; HttpOnly; Secure; SameSite=Lax"},
		{"__Secure- name is always Secure", cookies.Cookie{Name: "__Secure-authjs.session-token", Value: "v"}, cookies.Attrs{},
			"__Secure-authjs.session-token=v; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{"__Host- name is always Secure", cookies.Cookie{Name: "__Host-authjs.csrf-token", Value: "a|b"}, cookies.Attrs{},
			"__Host-authjs.csrf-token=a%7Cb; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{"session cookie without expiry", cookies.Cookie{Name: "authjs.callback-url", Value: "http://localhost:3000/dashboard"}, cookies.Attrs{},
			"authjs.callback-url=http%3A%2F%2Flocalhost%3A3000%2Fdashboard; Path=/; HttpOnly; SameSite=Lax"},
		{"max-age and expires", cookies.Cookie{Name: "authjs.state", Value: "s", MaxAge: 900, Expires: exp}, cookies.Attrs{},
			"authjs.state=s; Max-Age=900; Path=/; Expires=Wed, 23 Dec 2026 07:24:42 GMT; HttpOnly; SameSite=Lax"},
		{"deletion", cookies.Cookie{Name: "authjs.session-token", Delete: true}, cookies.Attrs{},
			"authjs.session-token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"},
		{"deletion ignores value, max-age and expires", cookies.Cookie{Name: "n", Value: "v", MaxAge: 5, Expires: exp, Delete: true}, cookies.Attrs{},
			"n=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"},
		{"secure deletion", cookies.Cookie{Name: "__Secure-authjs.session-token.1", Delete: true}, cookies.Attrs{Secure: true},
			"__Secure-authjs.session-token.1=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{"samesite from attrs", cookies.Cookie{Name: "n", Value: "v"}, cookies.Attrs{SameSite: "Strict"},
			"n=v; Path=/; HttpOnly; SameSite=Strict"},
		{"samesite override", cookies.Cookie{Name: "n", Value: "v", SameSite: "None"}, cookies.Attrs{Secure: true, SameSite: "Strict"},
			"n=v; Path=/; HttpOnly; Secure; SameSite=None"},
		{"value with separators is encoded", cookies.Cookie{Name: "n", Value: "a; Domain=evil.com\r\nX: y"}, cookies.Attrs{},
			"n=a%3B%20Domain%3Devil.com%0D%0AX%3A%20y; Path=/; HttpOnly; SameSite=Lax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cookie.String(tt.attrs); got != tt.want {
				t.Errorf("String() =\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}

	t.Run("domain", func(t *testing.T) {
		got := cookies.Cookie{Name: "n", Value: "v"}.String(cookies.Attrs{Domain: "example.com"})
		if !strings.Contains(got, "; Domain=example.com") {
			t.Errorf("String() = %s, want a Domain attribute", got)
		}
		got = cookies.Cookie{Name: "__Host-authjs.csrf-token", Value: "v"}.String(cookies.Attrs{Domain: "example.com"})
		if strings.Contains(got, "Domain") {
			t.Errorf("__Host- cookie with a Domain: %s", got)
		}
	})
}

func TestChunk(t *testing.T) {
	const base = "authjs.session-token"
	exp := time.Date(2026, 12, 23, 7, 24, 42, 0, time.UTC)
	set := func(name, value string) cookies.Cookie { return cookies.Cookie{Name: name, Value: value, Expires: exp} }
	del := func(name string) cookies.Cookie { return cookies.Cookie{Name: name, Delete: true} }
	size := 4
	tests := []struct {
		name  string
		value string
		seen  []string
		want  []cookies.Cookie
	}{
		{"short", "abc", nil, []cookies.Cookie{set(base, "abc")}},
		{"exactly one chunk", "abcd", nil, []cookies.Cookie{set(base, "abcd")}},
		{"two chunks", "abcde", nil, []cookies.Cookie{set(base+".0", "abcd"), set(base+".1", "e")}},
		{"three chunks", "abcdefghi", nil, []cookies.Cookie{set(base+".0", "abcd"), set(base+".1", "efgh"), set(base+".2", "i")}},
		{"exactly two chunks", "abcdefgh", nil, []cookies.Cookie{set(base+".0", "abcd"), set(base+".1", "efgh")}},
		{"rewrite of a single cookie", "xyz", []string{base}, []cookies.Cookie{set(base, "xyz")}},
		{"single to chunks deletes the single cookie", "abcdefghi", []string{base},
			[]cookies.Cookie{del(base), set(base+".0", "abcd"), set(base+".1", "efgh"), set(base+".2", "i")}},
		{"chunks to single deletes every chunk", "ab", []string{base + ".0", base + ".1", base + ".2"},
			[]cookies.Cookie{del(base + ".0"), del(base + ".1"), del(base + ".2"), set(base, "ab")}},
		{"fewer chunks deletes the higher ones", "abcdefg", []string{base + ".0", base + ".1", base + ".2", base + ".3"},
			[]cookies.Cookie{del(base + ".2"), del(base + ".3"), set(base+".0", "abcd"), set(base+".1", "efg")}},
		{"stray names are deleted", "abcde", []string{base + ".x", base + ".00", base},
			[]cookies.Cookie{del(base + ".x"), del(base + ".00"), del(base), set(base+".0", "abcd"), set(base+".1", "e")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cookies.Chunk(base, tt.value, size, tt.seen, exp)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Chunk =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}

	t.Run("real chunk sizes", func(t *testing.T) {
		for _, d := range []*dialect.Dialect{dialect.V4, dialect.V5} {
			n := d.ChunkSize
			value := strings.Repeat("a", n) + strings.Repeat("b", n) + "c"
			got := cookies.Chunk(base, value, n, nil, exp)
			if len(got) != 3 || got[0].Name != base+".0" || len(got[0].Value) != n || got[1].Value != strings.Repeat("b", n) || got[2].Value != "c" {
				t.Errorf("%v: chunks %d, first %q (%d chars)", d.Name, len(got), got[0].Name, len(got[0].Value))
			}
			if one := cookies.Chunk(base, value[:n], n, nil, exp); len(one) != 1 || one[0].Name != base {
				t.Errorf("%v: a %d-character value was chunked: %+v", d.Name, n, one)
			}
		}
	})
}

func TestClear(t *testing.T) {
	got := cookies.Clear([]string{"a", "a.0", "a.1"})
	want := []cookies.Cookie{{Name: "a", Delete: true}, {Name: "a.0", Delete: true}, {Name: "a.1", Delete: true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Clear = %+v, want %+v", got, want)
	}
	if got := cookies.Clear(nil); len(got) != 0 {
		t.Errorf("Clear(nil) = %+v", got)
	}
}

func TestReadChunked(t *testing.T) {
	const b = "authjs.session-token"
	tooHigh := b + "." + strconv.Itoa(cookies.MaxChunks)
	tests := []struct {
		name        string
		headers     []string
		want        string
		wantPresent bool
	}{
		{"no cookie header", nil, "", false},
		{"other cookies only", []string{"a=1; authjs.session-tokenx=2; xauthjs.session-token=3; authjs.csrf-token=4; authjs.session-toke=5; authjs.session-tok=6"}, "", false},
		{"lookalike of a chunk", []string{b + ".0=a; " + b + "x1=b; " + b + "-1=c"}, "a", true},
		{"lone quote", []string{b + `="`}, `"`, true},
		{"single", []string{b + "=tok"}, "tok", true},
		{"single among others", []string{"a=1; " + b + "=tok; c=3"}, "tok", true},
		{"single percent-encoded", []string{b + "=a%7Cb%20c"}, "a|b c", true},
		{"single with a bad escape stays raw", []string{b + "=a%zzb"}, "a%zzb", true},
		{"plus is not a space", []string{b + "=a+b"}, "a+b", true},
		{"quoted value", []string{b + `="tok"`}, "tok", true},
		{"spaces around pairs", []string{"  " + b + "=tok  ;  a=1 "}, "tok", true},
		{"chunks in order", []string{b + ".0=ab; " + b + ".1=cd; " + b + ".2=e"}, "abcde", true},
		{"chunks out of order", []string{b + ".2=e; " + b + ".0=ab; " + b + ".1=cd"}, "abcde", true},
		{"chunks across headers", []string{b + ".1=cd", "x=1; " + b + ".0=ab"}, "abcd", true},
		{"chunk 10 sorts after 9", []string{chunks(b, 11, "v")}, strings.Repeat("v", 11), true},
		{"gap", []string{b + ".0=ab; " + b + ".2=e"}, "", true},
		{"missing first chunk", []string{b + ".1=cd"}, "", true},
		{"both forms", []string{b + "=tok; " + b + ".0=ab"}, "", true},
		{"both forms, chunk first", []string{b + ".0=ab; " + b + "=tok"}, "", true},
		{"duplicate single, first wins", []string{b + "=one; " + b + "=two"}, "one", true},
		{"duplicate chunk, first wins", []string{b + ".0=a; " + b + ".0=x; " + b + ".1=b"}, "ab", true},
		{"empty single is skipped", []string{b + "="}, "", false},
		{"empty chunks are skipped", []string{b + "=; " + b + ".0=; " + b + ".1="}, "", false},
		{"empty single beside chunks", []string{b + "=; " + b + ".0=ab; " + b + ".1=c"}, "abc", true},
		{"empty stale chunk after the last", []string{b + ".0=ab; " + b + ".1=c; " + b + ".2="}, "abc", true},
		{"empty quoted value", []string{b + `=""`}, "", false},
		{"leading zero index", []string{b + ".0=a; " + b + ".01=b"}, "", true},
		{"plus sign index", []string{b + ".0=a; " + b + ".+1=b"}, "", true},
		{"negative index", []string{b + ".0=a; " + b + ".-1=b"}, "", true},
		{"named suffix", []string{b + "=tok; " + b + ".sig=x"}, "", true},
		{"empty suffix", []string{b + ".=x"}, "", true},
		{"index at MaxChunks", []string{chunks(b, cookies.MaxChunks, "v") + "; " + tooHigh + "=v"}, "", true},
		{"MaxChunks chunks", []string{chunks(b, cookies.MaxChunks, "v")}, strings.Repeat("v", cookies.MaxChunks), true},
		{"huge index", []string{b + ".0=a; " + b + ".99999999999999999999=b"}, "", true},
		{"pair without equals sign", []string{b + "; " + b + ".0=a"}, "a", true},
		{"empty name", []string{"=x; " + b + "=tok"}, "tok", true},
		{"value with equals signs", []string{b + "=a=b=="}, "a=b==", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, present := cookies.ReadChunked(request(tt.headers...), b)
			if got != tt.want || present != tt.wantPresent {
				t.Errorf("ReadChunked = %q, %v; want %q, %v", got, present, tt.want, tt.wantPresent)
			}
		})
	}
}

// chunks returns "<b>.0=v; <b>.1=v; …" with n chunks.
func chunks(b string, n int, v string) string {
	parts := make([]string, n)
	for i := range n {
		parts[i] = b + "." + strconv.Itoa(i) + "=" + v
	}
	return strings.Join(parts, "; ")
}

func TestGet(t *testing.T) {
	tests := []struct {
		name      string
		headers   []string
		want      string
		wantFound bool
	}{
		{"absent", []string{"a=1"}, "", false},
		{"plain", []string{"a=1; authjs.csrf-token=x%7Cy"}, "x|y", true},
		{"first of duplicates", []string{"authjs.csrf-token=one", "authjs.csrf-token=two"}, "one", true},
		{"empty value is found", []string{"authjs.csrf-token="}, "", true},
		{"prefix does not match", []string{"authjs.csrf-token.0=x"}, "", false},
		{"pair without equals sign", []string{"authjs.csrf-token; a=1"}, "", false},
		{"escape at the start", []string{"authjs.csrf-token=%7Cx"}, "|x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := cookies.Get(request(tt.headers...), "authjs.csrf-token")
			if got != tt.want || found != tt.wantFound {
				t.Errorf("Get = %q, %v; want %q, %v", got, found, tt.want, tt.wantFound)
			}
		})
	}
}

func TestSeen(t *testing.T) {
	const b = "s"
	got := cookies.Seen(request("s=; s.1=a; x=1; s.0=b", "s.1=c; sx=1; s.junk=2"), b)
	want := []string{"s", "s.1", "s.0", "s.junk"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Seen = %q, want %q", got, want)
	}
	if got := cookies.Seen(request(), b); got != nil {
		t.Errorf("Seen without cookies = %q", got)
	}
}

// TestSeenBounded: however many names like the session cookie's a request
// carries, Seen returns the cookie and its chunk names once each and at
// most MaxStale others, so that a response deletes a bounded number.
func TestSeenBounded(t *testing.T) {
	const b = "authjs.session-token"
	const n = 40_000
	line := func(name func(i int) string) string {
		parts := make([]string, n)
		for i := range n {
			parts[i] = name(i) + "=x"
		}
		return strings.Join(parts, "; ")
	}
	valid := []string{b}
	for i := range cookies.MaxChunks {
		valid = append(valid, b+"."+strconv.Itoa(i))
	}
	tests := []struct {
		name   string
		header string
		want   []string
	}{
		{"numbered chunks", line(func(i int) string { return b + "." + strconv.Itoa(i) }),
			func() []string {
				out := slices.Clone(valid[1:])
				for i := range cookies.MaxStale {
					out = append(out, b+"."+strconv.Itoa(cookies.MaxChunks+i))
				}
				return out
			}()},
		{"one chunk repeated", line(func(int) string { return b + ".3" }), []string{b + ".3"}},
		{"the cookie repeated", line(func(int) string { return b }), []string{b}},
		{"stale name repeated", line(func(int) string { return b + ".x" }), []string{b + ".x"}},
		{"real names after the stale ones", line(func(i int) string { return b + ".x" + strconv.Itoa(i) }) + "; " + strings.Join(valid, "=v; ") + "=v",
			func() []string {
				var out []string
				for i := range cookies.MaxStale {
					out = append(out, b+".x"+strconv.Itoa(i))
				}
				return append(out, valid...)
			}()},
		{"other names", line(func(i int) string { return "authjs.session-tokenx" + strconv.Itoa(i) }), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.header)
			got := cookies.Seen(r, b)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Seen returned %d names %.300q…, want %d %.300q…", len(got), got, len(tt.want), tt.want)
			}
			if len(got) > 1+cookies.MaxChunks+cookies.MaxStale {
				t.Errorf("Seen returned %d names", len(got))
			}
			if d := cookies.Clear(got); len(d) != len(got) {
				t.Errorf("Clear wrote %d deletions for %d names", len(d), len(got))
			}
			// The list grows by doubling up to its bound: no allocation
			// per cookie read.
			if a := testing.AllocsPerRun(3, func() { cookies.Seen(r, b) }); a > float64(bits.Len(1+cookies.MaxChunks+cookies.MaxStale)+1) {
				t.Errorf("Seen made %v allocations for %d cookies", a, n)
			}
		})
	}
}

// TestFloodAllocations: past the bounds, reading a request of forty
// thousand cookies allocates no more than reading one of two thousand.
func TestFloodAllocations(t *testing.T) {
	const b = "authjs.session-token"
	flood := func(n int) *http.Request {
		parts := make([]string, n)
		for i := range n {
			parts[i] = b + "." + strconv.Itoa(i) + "=x%20" + strconv.Itoa(i)
		}
		return request(strings.Join(parts, "; ") + "; authjs.csrf-token=a%7Cb")
	}
	small, large := flood(2_000), flood(40_000)
	for _, f := range []struct {
		name string
		fn   func(r *http.Request)
	}{
		{"ReadChunked", func(r *http.Request) { cookies.ReadChunked(r, b) }},
		{"Get", func(r *http.Request) { cookies.Get(r, "authjs.csrf-token") }},
		{"Seen", func(r *http.Request) { cookies.Seen(r, b) }},
		{"Chunk", func(r *http.Request) { cookies.Chunk(b, "value", 3933, cookies.Seen(r, b), time.Time{}) }},
	} {
		a, z := testing.AllocsPerRun(3, func() { f.fn(small) }), testing.AllocsPerRun(3, func() { f.fn(large) })
		if z > a {
			t.Errorf("%s: %v allocations for 40000 cookies, %v for 2000", f.name, z, a)
		}
	}
}
