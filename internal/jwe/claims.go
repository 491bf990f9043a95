package jwe

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/ginauth/ginauth/authjs"
)

// parseClaims decodes a token's payload, which must be exactly one JSON
// object (whitespace may follow), into Claims with the values
// encoding/json gives (string, float64, bool, nil, []any, map[string]any).
//
// Session payloads have a known shape: a flat object of short strings and
// numbers. Those are read directly, with one string allocation for all the
// text; anything else (escapes, non-ASCII text, nested values) is handed to
// encoding/json, member by member or, on any doubt, for the whole payload.
func parseClaims(p []byte) (authjs.Claims, bool) {
	if c, ok := fastClaims(p); ok {
		return c, true
	}
	var claims authjs.Claims
	dec := json.NewDecoder(bytes.NewReader(p))
	if err := dec.Decode(&claims); err != nil || claims == nil || dec.More() {
		return nil, false
	}
	return claims, true
}

// fastClaims parses the common case; ok false means "use encoding/json",
// not "invalid".
func fastClaims(p []byte) (authjs.Claims, bool) {
	i := skipSpace(p, 0)
	if i >= len(p) || p[i] != '{' {
		return nil, false
	}
	// One string holds the payload's text; keys and values are slices of
	// it. The payload buffer itself is reused by the next Decode.
	text := string(p)
	claims := make(authjs.Claims, 8)
	i = skipSpace(p, i+1)
	if i < len(p) && p[i] == '}' {
		return claims, skipSpace(p, i+1) == len(p)
	}
	for {
		// Key.
		if i >= len(p) || p[i] != '"' {
			return nil, false
		}
		end, ok := plainString(p, i+1)
		if !ok {
			return nil, false
		}
		key := internKey(text[i+1 : end])
		i = skipSpace(p, end+1)
		if i >= len(p) || p[i] != ':' {
			return nil, false
		}
		i = skipSpace(p, i+1)
		if i >= len(p) {
			return nil, false
		}
		// Value.
		var v any
		switch c := p[i]; {
		case c == '"':
			end, ok := plainString(p, i+1)
			if !ok {
				return nil, false
			}
			v, i = text[i+1:end], end+1
		case c == '-' || '0' <= c && c <= '9':
			end := number(p, i)
			if end < 0 {
				return nil, false
			}
			f, err := strconv.ParseFloat(text[i:end], 64)
			if err != nil {
				return nil, false
			}
			v, i = f, end
		case c == 't' && bytes.HasPrefix(p[i:], []byte("true")):
			v, i = true, i+4
		case c == 'f' && bytes.HasPrefix(p[i:], []byte("false")):
			v, i = false, i+5
		case c == 'n' && bytes.HasPrefix(p[i:], []byte("null")):
			v, i = nil, i+4
		default:
			return nil, false
		}
		claims[key] = v
		i = skipSpace(p, i)
		if i >= len(p) {
			return nil, false
		}
		switch p[i] {
		case ',':
			i = skipSpace(p, i+1)
		case '}':
			return claims, skipSpace(p, i+1) == len(p)
		default:
			return nil, false
		}
	}
}

func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// plainString returns the index of the quote closing the string whose
// text starts at i, when the string holds only printable ASCII without
// escapes (which encoding/json would return as it is).
func plainString(p []byte, i int) (int, bool) {
	for ; i < len(p); i++ {
		switch c := p[i]; {
		case c == '"':
			return i, true
		case c < 0x20 || c == '\\' || c >= utf8.RuneSelf:
			return 0, false
		}
	}
	return 0, false
}

// number returns the end of the JSON number starting at i, or -1.
func number(p []byte, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(p) && '0' <= p[j] && p[j] <= '9' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
	if p[i] == '-' {
		i++
	}
	if i >= len(p) {
		return -1
	}
	if p[i] == '0' {
		i++
	} else if i = digits(i); i < 0 {
		return -1
	}
	if i < len(p) && p[i] == '.' {
		if i = digits(i + 1); i < 0 {
			return -1
		}
	}
	if i < len(p) && (p[i] == 'e' || p[i] == 'E') {
		i++
		if i < len(p) && (p[i] == '+' || p[i] == '-') {
			i++
		}
		if i = digits(i); i < 0 {
			return -1
		}
	}
	return i
}

// internKey returns a constant for the claim names every session has, so
// that they share storage.
func internKey(k string) string {
	for _, s := range [...]string{"name", "email", "picture", "sub", "iat", "exp", "jti", "nbf", "role"} {
		if k == s {
			return s
		}
	}
	return k
}

// appendClaims writes claims as json.Marshal writes a map: keys sorted,
// HTML characters escaped. The extra members (iat, exp, jti) replace
// claims of the same name. Values other than printable ASCII strings,
// integral numbers, booleans and null go through json.Marshal.
func appendClaims(b []byte, claims authjs.Claims, iat, exp int64, jti string) ([]byte, error) {
	keys := make([]string, 0, len(claims)+3)
	for k := range claims {
		if k != "iat" && k != "exp" && k != "jti" {
			keys = append(keys, k)
		}
	}
	keys = append(keys, "iat", "exp", "jti")
	slices.Sort(keys)
	b = append(b, '{')
	for n, k := range keys {
		if n > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendString(b, k); err != nil {
			return nil, err
		}
		b = append(b, ':')
		switch k {
		case "iat":
			b = strconv.AppendInt(b, iat, 10)
		case "exp":
			b = strconv.AppendInt(b, exp, 10)
		case "jti":
			b, err = appendString(b, jti)
		default:
			b, err = appendValue(b, claims[k])
		}
		if err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v)
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		// json.Marshal writes integral values below 1e21 in 'f' format.
		if v == math.Trunc(v) && math.Abs(v) < 1e21 {
			return strconv.AppendFloat(b, v, 'f', -1, 64), nil
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}

// appendString quotes s as json.Marshal does; only printable ASCII without
// quotes, backslashes or HTML characters is written directly.
func appendString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			out, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			return append(b, out...), nil
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}
