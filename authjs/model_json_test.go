package authjs

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"
)

// refObject is the plain way to write a session object: json.Marshal for
// every key and value.
func refObject(fields []field, extra map[string]any, reserved ...string) []byte {
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if !slices.Contains(reserved, k) {
			fields = append(fields, field{k, extra[k]})
		}
	}
	buf := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, _ := json.Marshal(f.name)
		v, _ := json.Marshal(f.value)
		buf = append(append(append(buf, k...), ':'), v...)
	}
	return append(buf, '}')
}

func refSession(s Session) []byte {
	var fields []field
	if s.User != nil {
		u := s.User
		var uf []field
		for _, f := range []field{{"name", u.Name}, {"email", u.Email}, {"image", u.Image}} {
			if f.value != "" {
				uf = append(uf, f)
			}
		}
		fields = append(fields, field{"user", json.RawMessage(refObject(uf, u.Extra, "name", "email", "image"))})
	}
	fields = append(fields, field{"expires", s.Expires.UTC().Format("2006-01-02T15:04:05.000Z")})
	return refObject(fields, s.Extra, "user", "expires")
}

func TestSessionJSONMatchesJSONMarshal(t *testing.T) {
	exp := time.Date(2026, 12, 23, 7, 24, 42, 123456789, time.FixedZone("x", 3600))
	for _, s := range []Session{
		{User: &SessionUser{Name: "Alice", Email: "alice@example.com", Image: "https://img.example.com/a.png"}, Expires: exp},
		{Expires: exp},
		{User: &SessionUser{}, Expires: exp},
		{User: &SessionUser{Name: `Bob "<b>" & \ é ☃ ` + "\u2028\x01\xff", Extra: map[string]any{"id": "2", "name": "ignored", "role": []string{"a", "b"}, "n": 1.5, "<k>": nil}}, Expires: exp},
		{User: &SessionUser{Email: "e@x"}, Expires: exp, Extra: map[string]any{"accessToken": "tok", "user": "reserved", "expires": 1, "nested": map[string]any{"z": 1, "a": []any{true, nil}}, "t": exp}},
	} {
		got, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if want := refSession(s); string(got) != string(want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		if s.User != nil {
			got, err := json.Marshal(s.User)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(got, &m); err != nil {
				t.Errorf("user JSON %s: %v", got, err)
			}
		}
	}
	if _, err := json.Marshal(Session{Extra: map[string]any{"bad": func() {}}}); err == nil {
		t.Error("an unmarshallable extra value marshalled")
	}
}
