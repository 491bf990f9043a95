package authjs

import (
	"encoding/json"
	"testing"
	"time"
)

func TestSessionJSON(t *testing.T) {
	exp := time.Date(2026, 12, 23, 7, 24, 42, 336e6, time.UTC)
	tests := []struct {
		name string
		s    Session
		want string
	}{
		{"defaults", *SessionFromClaims(Claims{"name": "Bob", "email": "bob@x.io"}, exp),
			`{"user":{"name":"Bob","email":"bob@x.io"},"expires":"2026-12-23T07:24:42.336Z"}`},
		{"extras keep order and cannot replace standard fields", Session{
			User:    &SessionUser{Name: "A", Image: "i", Extra: map[string]any{"role": "admin", "name": "forged", "id": "1"}},
			Expires: exp,
			Extra:   map[string]any{"accessToken": "t", "expires": "forged", "user": "forged"},
		}, `{"user":{"name":"A","image":"i","id":"1","role":"admin"},"expires":"2026-12-23T07:24:42.336Z","accessToken":"t"}`},
		{"nulls for an SQL store's absent fields", Session{
			User: &SessionUser{Name: "Bob", Nulls: true, Extra: map[string]any{"image": "forged"}}, Expires: exp,
		}, `{"user":{"name":"Bob","email":null,"image":null},"expires":"2026-12-23T07:24:42.336Z"}`},
		{"no user", Session{Expires: exp.In(time.FixedZone("X", 3600))}, `{"expires":"2026-12-23T07:24:42.336Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

func TestClaimsAccessors(t *testing.T) {
	var tok Claims
	if err := json.Unmarshal([]byte(`{"sub":"1","exp":1800000000,"iat":"x","roles":["a",2,"b"],"role":"admin","nested":{"k":[1]}}`), &tok); err != nil {
		t.Fatal(err)
	}
	if tok.Subject() != "1" || tok.Email() != "" {
		t.Errorf("Subject/Email = %q/%q", tok.Subject(), tok.Email())
	}
	if e, ok := tok.Expires(); !ok || e.Unix() != 1800000000 {
		t.Errorf("Expires = %v %v", e, ok)
	}
	if _, ok := tok.Time("iat"); ok {
		t.Error("a string iat parsed as a time")
	}
	if got := tok.Strings("roles"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Strings(roles) = %v", got)
	}
	if got := tok.Strings("role"); len(got) != 1 || got[0] != "admin" {
		t.Errorf("Strings(role) = %v", got)
	}
	c := tok.Clone()
	c["sub"] = "2"
	c["nested"].(map[string]any)["k"].([]any)[0] = 9.0
	c["roles"].([]any)[0] = "z"
	if tok.Subject() != "1" || tok["nested"].(map[string]any)["k"].([]any)[0] != 1.0 || tok["roles"].([]any)[0] != "a" {
		t.Error("Clone shares state with the original")
	}
	if Claims(nil).Clone() != nil {
		t.Error("Clone(nil) is not nil")
	}
}
