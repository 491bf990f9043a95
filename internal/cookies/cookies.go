// Package cookies names, writes and reads Auth.js's cookies, including the
// session cookie split into chunks when it exceeds the browser's 4 KiB limit.
package cookies

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Names are the cookie names of one dialect and security mode.
type Names struct {
	Session     string
	CSRF        string
	CallbackURL string
	PKCE        string
	State       string
	Nonce       string
	// Challenge keeps a passkey ceremony's challenge (v5's
	// authjs.challenge).
	Challenge string
}

// DefaultNames returns Auth.js's names for a dialect's prefix ("authjs."
// or "next-auth."), with the "__Secure-" prefix (and "__Host-" for the CSRF
// cookie) when secure is true.
func DefaultNames(prefix string, secure bool) Names {
	p, host := "", ""
	if secure {
		p, host = "__Secure-", "__Host-"
	}
	return Names{
		Session:     p + prefix + "session-token",
		CSRF:        host + prefix + "csrf-token",
		CallbackURL: p + prefix + "callback-url",
		PKCE:        p + prefix + "pkce.code_verifier",
		State:       p + prefix + "state",
		Nonce:       p + prefix + "nonce",
		Challenge:   p + prefix + "challenge",
	}
}

// MaxChunks bounds how many chunks of a session cookie ReadChunked
// accepts: enough for the longest token the codec decodes (64 KiB) at the
// smaller chunk size (NextAuth.js v4's 3933), ceil(65536/3933) = 17.
const MaxChunks = 17

// maxIndexDigits is the length of the largest chunk index in decimal.
const maxIndexDigits = 2

// Compile-time checks: chunk indexes have at most maxIndexDigits digits,
// and Seen's bit set holds the chunks and the cookie itself.
const (
	_ = uint(99 - (MaxChunks - 1))
	_ = uint(31 - MaxChunks)
)

// Attrs are the attributes shared by every cookie ginauth writes.
type Attrs struct {
	Secure bool
	// Domain is empty by default (host-only cookies).
	Domain string
	// SameSite is "Lax" by default.
	SameSite string
}

// Cookie is one Set-Cookie to emit.
type Cookie struct {
	Name  string
	Value string
	// MaxAge, when positive, emits Max-Age; a deletion sets Delete instead.
	MaxAge  int
	Expires time.Time
	Delete  bool
	// SameSite overrides Attrs.SameSite for this cookie when not empty.
	SameSite string
	// Secure forces the Secure attribute (needed with SameSite=None).
	Secure bool
}

// String serialises the cookie in Auth.js's attribute order:
// name=value; Max-Age; Path=/; Expires; HttpOnly; Secure; SameSite.
// The value is encoded as JavaScript's encodeURIComponent does.
func (c Cookie) String(a Attrs) string {
	var b strings.Builder
	b.Grow(len(c.Name) + len(c.Value) + len(a.Domain) + 96)
	b.WriteString(c.Name)
	b.WriteByte('=')
	if c.Delete {
		b.WriteString("; Max-Age=0")
	} else {
		writeURIComponent(&b, c.Value)
		if c.MaxAge > 0 {
			b.WriteString("; Max-Age=")
			b.WriteString(strconv.Itoa(c.MaxAge))
		}
	}
	b.WriteString("; Path=/")
	if a.Domain != "" && !strings.HasPrefix(c.Name, "__Host-") {
		b.WriteString("; Domain=")
		b.WriteString(a.Domain)
	}
	if !c.Delete && !c.Expires.IsZero() {
		b.WriteString("; Expires=")
		var t [len(http.TimeFormat) + 8]byte
		b.Write(c.Expires.UTC().AppendFormat(t[:0], http.TimeFormat))
	}
	b.WriteString("; HttpOnly")
	if a.Secure || c.Secure || strings.HasPrefix(c.Name, "__Secure-") || strings.HasPrefix(c.Name, "__Host-") {
		b.WriteString("; Secure")
	}
	ss := c.SameSite
	if ss == "" {
		ss = a.SameSite
	}
	if ss == "" {
		ss = "Lax"
	}
	b.WriteString("; SameSite=")
	b.WriteString(ss)
	return b.String()
}

// EncodeURIComponent escapes s as JavaScript's encodeURIComponent does.
func EncodeURIComponent(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreservedSet[s[i]] {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	writeURIComponent(&b, s)
	return b.String()
}

// writeURIComponent writes s escaped as encodeURIComponent does, copying
// runs of unreserved bytes at once.
func writeURIComponent(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	// Session tokens are base64url and dots: skip over them 8 bytes at a
	// time.
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if !tokenChars8(s[i : i+8]) {
			break
		}
	}
	start := 0
	for ; i < len(s); i++ {
		if c := s[i]; !unreservedSet[c] {
			b.WriteString(s[start:i])
			b.Write([]byte{'%', hex[c>>4], hex[c&15]})
			start = i + 1
		}
	}
	b.WriteString(s[start:])
}

// tokenChars8 reports whether the 8 bytes of s are all letters, digits,
// '-', '_' or '.' (all unreserved), testing them at once: adding 0x80-lo
// to a byte below 0x80 sets its high bit exactly when the byte is at least
// lo, without a carry into the next byte, so a byte is in [lo, hi] when
// that bit is set for lo and not for hi+1. Letters are tested in lower
// case (setting bit 0x20 maps A-Z onto a-z and nothing else onto it).
func tokenChars8(s string) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	if x&high != 0 {
		return false
	}
	in := func(v, lo, hi uint64) uint64 { return (v + (0x80-lo)*ones) &^ (v + (0x7f-hi)*ones) }
	ok := in(x|0x20*ones, 'a', 'z') | in(x, '0', '9') | in(x, '-', '.') | in(x, '_', '_')
	return ok&high == high
}

// unreservedSet marks the bytes encodeURIComponent leaves as they are.
var unreservedSet = func() (t [256]bool) {
	for c := range 256 {
		t[c] = unreserved(byte(c))
	}
	return t
}()

func unreserved(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '.', '!', '~', '*', '\'', '(', ')':
		return true
	}
	return false
}

// decode undoes EncodeURIComponent; a value that does not decode is
// returned as it is, as Auth.js's cookie parser does.
func decode(v string) string {
	if strings.IndexByte(v, '%') < 0 {
		return v
	}
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}

// each calls fn for every cookie in the request's Cookie headers, without
// allocating, until fn returns false.
func each(r *http.Request, fn func(name, value string) bool) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			name, value, ok := strings.Cut(part, "=")
			if !ok || name == "" {
				continue
			}
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if !fn(name, value) {
				return
			}
		}
	}
}

// Get returns the decoded value of the first cookie called name.
func Get(r *http.Request, name string) (string, bool) {
	var out string
	found := false
	each(r, func(n, v string) bool {
		if n == name {
			out, found = decode(v), true
			return false
		}
		return true
	})
	return out, found
}

// chunkIndex returns i for a cookie named "<base>.<i>", i in decimal
// without leading zeros and below MaxChunks. It allocates nothing, so that
// a flood of lookalike names costs no garbage.
func chunkIndex(name, base string) (int, bool) {
	if len(name) < len(base)+2 || name[len(base)] != '.' || !strings.HasPrefix(name, base) {
		return 0, false
	}
	digits := name[len(base)+1:]
	if len(digits) > maxIndexDigits || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	i := 0
	for j := 0; j < len(digits); j++ {
		c := digits[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		i = i*10 + int(c-'0')
	}
	if i >= MaxChunks {
		return 0, false
	}
	return i, true
}

// isChunkName reports whether name is "<base>." followed by anything.
func isChunkName(name, base string) bool {
	return len(name) > len(base) && name[len(base)] == '.' && strings.HasPrefix(name, base)
}

// ReadChunked returns the session value stored under base, either as one
// cookie or as chunks base.0 … base.n-1, concatenated in order. present
// reports whether any session cookie was sent at all; a present but
// unusable set (a gap in the chunks, both forms at once, too many chunks)
// yields present=true and value="" so that the caller clears it.
// Empty values (deleted cookies still sent) are skipped, as in Auth.js.
func ReadChunked(r *http.Request, base string) (value string, present bool) {
	var chunks [MaxChunks]string
	var single string
	n, bad := 0, false
	each(r, func(name, v string) bool {
		if v == "" {
			return true
		}
		if name == base {
			present = true
			if single == "" {
				single = v
			}
			return true
		}
		if i, ok := chunkIndex(name, base); ok {
			present = true
			if chunks[i] == "" {
				chunks[i] = v
				n++
			}
			return true
		}
		if isChunkName(name, base) {
			present, bad = true, true
		}
		return true
	})
	switch {
	case bad || (single != "" && n > 0):
		return "", present
	case n == 0:
		return decode(single), present
	}
	size := 0
	for i := range n {
		if chunks[i] == "" {
			return "", true
		}
		size += len(chunks[i])
	}
	var b strings.Builder
	b.Grow(size)
	for i := range n {
		b.WriteString(chunks[i])
	}
	return decode(b.String()), true
}

// MaxStale bounds how many names Seen returns beside the session cookie
// and its MaxChunks chunk names: other names starting "<base>." that a
// response deletes. ginauth never writes such names and browsers keep a
// few hundred cookies per site at most (Chromium 180), so debris of them
// goes in a response or three, while a request carrying thousands, which
// no browser sends, gets no more deletions than this, and reading them
// costs work linear in the request.
const MaxStale = 64

// Seen lists the names of the session cookie and its chunks sent with the
// request (including empty ones), in the order they come, so that a new
// write can delete them: base and base.0 … base.<MaxChunks-1> each once,
// and at most MaxStale other names starting "<base>.". The work is linear
// in the Cookie headers and the list holds at most 1+MaxChunks+MaxStale
// names, however many the request carries.
func Seen(r *http.Request, base string) []string {
	var out []string
	var have uint32 // bit i: chunk i; bit MaxChunks: base itself
	stale := 0
	each(r, func(name, _ string) bool {
		var bit uint32
		switch i, ok := chunkIndex(name, base); {
		case name == base:
			bit = 1 << MaxChunks
		case ok:
			bit = 1 << i
		case !isChunkName(name, base) || stale == MaxStale || slices.Contains(out, name):
			return true
		default:
			stale++
		}
		if have&bit != 0 {
			return true
		}
		have |= bit
		out = append(out, name)
		return true
	})
	return out
}

// Chunk splits a session value into cookies, as Auth.js's SessionStore does:
// one cookie named base when it fits in size characters, else base.0, base.1, ….
// Deletions for every previously seen name not overwritten come first.
func Chunk(base, value string, size int, seen []string, expires time.Time) []Cookie {
	var set []Cookie
	if len(value) <= size {
		set = []Cookie{{Name: base, Value: value, Expires: expires}}
	} else {
		for i := 0; i*size < len(value); i++ {
			end := min((i+1)*size, len(value))
			set = append(set, Cookie{Name: base + "." + strconv.Itoa(i), Value: value[i*size : end], Expires: expires})
		}
	}
	out := make([]Cookie, 0, len(seen)+len(set))
	for _, name := range seen {
		overwritten := false
		for _, c := range set {
			if c.Name == name {
				overwritten = true
				break
			}
		}
		if !overwritten {
			out = append(out, Cookie{Name: name, Delete: true})
		}
	}
	return append(out, set...)
}

// Clear returns deletions for every session cookie name seen.
func Clear(seen []string) []Cookie {
	out := make([]Cookie, len(seen))
	for i, name := range seen {
		out[i] = Cookie{Name: name, Delete: true}
	}
	return out
}
