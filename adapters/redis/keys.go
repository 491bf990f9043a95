package redis

import "strings"

// normalizeKey is unstorage's normalizeKey (unstorage 1.17, src/utils.ts),
// which Storage applies to every key before a driver sees it: the key is cut
// at the first "?", "/" and "\" become ":", runs of ":" collapse into one,
// and one leading and one trailing ":" are dropped. All the characters it
// touches are ASCII, so working on bytes gives the same result as
// JavaScript's UTF-16 string functions.
func normalizeKey(k string) string {
	if i := strings.IndexByte(k, '?'); i >= 0 {
		k = k[:i]
	}
	b := make([]byte, 0, len(k))
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == '/' || c == '\\' {
			c = ':'
		}
		if c == ':' && len(b) > 0 && b[len(b)-1] == ':' {
			continue
		}
		b = append(b, c)
	}
	s := string(b)
	s = strings.TrimPrefix(s, ":")
	return strings.TrimSuffix(s, ":")
}

// validKey reports whether unstorage accepts a normalized key: it throws
// "Invalid key" for an empty key or one with a "." or ".." segment.
func validKey(k string) bool {
	if k == "" {
		return false
	}
	for seg := range strings.SplitSeq(k, ":") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// driverBase is the prefix unstorage's Redis driver puts before every key
// for its base option: the driver drops one trailing ":", turns "/" and "\"
// into ":", drops one leading and one trailing separator, and joins the
// result to the key with ":" (drivers/redis.ts, drivers/utils/index.ts).
func driverBase(base string) string {
	base = strings.TrimSuffix(base, ":")
	base = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' {
			return ':'
		}
		return r
	}, base)
	base = strings.TrimPrefix(base, ":")
	base = strings.TrimSuffix(base, ":")
	if base == "" {
		return ""
	}
	return base + ":"
}

// keyspace holds the store's key prefixes as @auth/unstorage-adapter
// builds them (baseKeyPrefix followed by the record's prefix), before
// unstorage normalizes the key.
type keyspace struct {
	base          string // driverBase(Options.Base)
	user          string
	email         string
	account       string
	accountByUser string
	session       string
	sessionByUser string
	token         string
	auth          string
	authByUser    string
	sessionIndex  string // ginauth's own
	accountIndex  string // ginauth's own
	authIndex     string // ginauth's own
}

// key returns the Redis key of an item whose unstorage key is prefix+id,
// and false when unstorage would reject that key.
func (ks *keyspace) key(prefix, id string) (string, bool) {
	k := normalizeKey(prefix + id)
	if !validKey(k) {
		return "", false
	}
	return ks.base + k, true
}
