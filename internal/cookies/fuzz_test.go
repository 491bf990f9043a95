package cookies_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth/internal/cookies"
)

const fuzzBase = "authjs.session-token"

// pair is one name=value of a Cookie header, split the way browsers send
// them: "; "-separated, the value optionally in double quotes.
type pair struct{ name, value string }

func pairs(headers []string) []pair {
	var out []pair
	for _, h := range headers {
		for part := range strings.SplitSeq(h, ";") {
			name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || name == "" {
				continue
			}
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			out = append(out, pair{name, value})
		}
	}
	return out
}

// decodeValue is decodeURIComponent, keeping a value that does not decode.
func decodeValue(v string) string {
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}

// wantChunked is the specification of ReadChunked over parsed pairs: the
// single cookie, or chunks 0..n-1 (first occurrence of each) concatenated;
// nothing when the set is unusable (a name base.<not a chunk index>, both
// forms, a gap). Empty values do not count.
func wantChunked(ps []pair, base string) (value string, present bool) {
	single, hasSingle := "", false
	chunk := map[int]string{}
	bad := false
	for _, p := range ps {
		if p.value == "" {
			continue
		}
		switch {
		case p.name == base:
			present = true
			if !hasSingle {
				single, hasSingle = p.value, true
			}
		case strings.HasPrefix(p.name, base+"."):
			present = true
			suffix := p.name[len(base)+1:]
			i, err := strconv.Atoi(suffix)
			if err != nil || i < 0 || i >= cookies.MaxChunks || strconv.Itoa(i) != suffix {
				bad = true
				continue
			}
			if _, ok := chunk[i]; !ok {
				chunk[i] = p.value
			}
		}
	}
	if bad || (hasSingle && len(chunk) > 0) {
		return "", present
	}
	if len(chunk) == 0 {
		return decodeValue(single), present
	}
	var b strings.Builder
	for i := range len(chunk) {
		v, ok := chunk[i]
		if !ok {
			return "", present
		}
		b.WriteString(v)
	}
	return decodeValue(b.String()), present
}

// FuzzReadChunked feeds arbitrary Cookie headers (one per line of the
// input) and checks ReadChunked against wantChunked, and Seen against the
// names sent.
func FuzzReadChunked(f *testing.F) {
	b := fuzzBase
	for _, s := range []string{
		"",
		b + "=tok",
		b + "=a%7Cb",
		b + `="tok"`,
		b + ".0=ab; " + b + ".1=cd",
		b + ".1=cd; " + b + ".0=ab",
		b + ".0=ab\n" + b + ".1=cd",
		b + ".0=ab; " + b + ".2=cd",
		b + "=x; " + b + ".0=ab",
		b + ".0=a; " + b + ".0=b; " + b + ".1=c",
		b + "=; " + b + ".0=; " + b + ".1=a",
		b + ".00=a; " + b + ".-1=b; " + b + ".+1=c; " + b + ".x=d",
		b + ".16=a; " + b + ".17=b; " + b + ".99999999999999999999=c",
		chunks(b, cookies.MaxChunks, "v"),
		b + ".0=a%; " + b + ".1=41",
		"a=1;;; ;=;" + b + "==; " + b + "= x ",
		"__Secure-" + b + "=tok; " + b + "x=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		headers := strings.Split(in, "\n")
		r := request(headers...)
		got, present := cookies.ReadChunked(r, b)
		want, wantPresent := wantChunked(pairs(headers), b)
		if got != want || present != wantPresent {
			t.Fatalf("ReadChunked(%q) = %q, %v; want %q, %v", headers, got, present, want, wantPresent)
		}
		// Seen lists, in the order sent, each name that is the base or
		// one of its chunk names once, and the first MaxStale other base.*
		// names once, empty values included, so that a write can delete
		// them.
		var sent []string
		stale := 0
		for _, p := range pairs(headers) {
			if p.name != b && !strings.HasPrefix(p.name, b+".") || slices.Contains(sent, p.name) {
				continue
			}
			suffix, _ := strings.CutPrefix(p.name, b+".")
			if i, err := strconv.Atoi(suffix); p.name != b && (err != nil || i < 0 || i >= cookies.MaxChunks || strconv.Itoa(i) != suffix) {
				if stale == cookies.MaxStale {
					continue
				}
				stale++
			}
			sent = append(sent, p.name)
		}
		seen := cookies.Seen(r, b)
		if !slices.Equal(seen, sent) {
			t.Fatalf("Seen = %q, want %q", seen, sent)
		}
		if present && len(seen) == 0 {
			t.Fatalf("a session cookie is present but Seen is empty")
		}
	})
}

// FuzzChunkRoundTrip writes a value with Chunk over a previous set of
// session cookies (a single cookie and/or chunks 0..prev-1), applies the
// Set-Cookies in order as a browser does, and reads the result back.
func FuzzChunkRoundTrip(f *testing.F) {
	f.Add("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..a.b.c", uint16(3936), uint8(0), false)
	f.Add("abcdefghij", uint16(3), uint8(5), true)
	f.Add("a|b;c d=e%41\"\\\x00é", uint16(2), uint8(1), false)
	f.Add(strings.Repeat("x", 8000), uint16(3933), uint8(2), true)
	f.Add("", uint16(10), uint8(3), true)
	f.Add("abc", uint16(3), uint8(cookies.MaxChunks), false)
	f.Fuzz(func(t *testing.T, value string, size uint16, prev uint8, prevSingle bool) {
		if size == 0 {
			return
		}
		n := int(size)
		if (len(value)+n-1)/n > cookies.MaxChunks {
			return // longer than any token the codec accepts
		}
		jar := map[string]string{}
		var order []string
		put := func(name, value string) {
			if _, ok := jar[name]; !ok {
				order = append(order, name)
			}
			jar[name] = value
		}
		if prevSingle {
			put(fuzzBase, "old")
		}
		for i := range int(prev) % (cookies.MaxChunks + 3) {
			put(fuzzBase+"."+strconv.Itoa(i), "old")
		}
		put("other", "1")
		var lines []string
		for _, name := range order {
			lines = append(lines, name+"="+jar[name])
		}
		before := request(strings.Join(lines, "; "))

		exp := time.Unix(1_800_000_000, 0)
		set := cookies.Chunk(fuzzBase, value, n, cookies.Seen(before, fuzzBase), exp)
		for _, c := range set {
			line := c.String(cookies.Attrs{})
			nameValue, _, _ := strings.Cut(line, ";")
			name, v, _ := strings.Cut(nameValue, "=")
			if name != c.Name {
				t.Fatalf("Set-Cookie %q does not start with the name %q", line, c.Name)
			}
			if c.Delete {
				delete(jar, name)
				continue
			}
			if strings.ContainsAny(v, " ;,\"\\\r\n\t") {
				t.Fatalf("Set-Cookie value %q holds a separator", v)
			}
			put(name, v)
		}
		lines = lines[:0]
		for _, name := range order {
			if v, ok := jar[name]; ok {
				lines = append(lines, name+"="+v)
			}
		}
		got, _ := cookies.ReadChunked(request(strings.Join(lines, "; ")), fuzzBase)
		if got != value {
			t.Fatalf("wrote %q (size %d, over %d old chunks, old single %v), read back %q from %q", value, n, prev, prevSingle, got, lines)
		}
	})
}
