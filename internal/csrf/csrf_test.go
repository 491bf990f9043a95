package csrf

import (
	"strings"
	"testing"
)

func TestHashVector(t *testing.T) {
	const want = "fa5790049a353d9796744fa82b1af7f283ee25b2da46e646ece34e4ac7b187cb"
	if got := Hash(strings.Repeat("0", 64), "secret"); got != want {
		t.Fatalf("Hash = %s, want %s", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	token, cookie := New("s3cret")
	if len(token) != 64 || strings.ToLower(token) != token {
		t.Fatalf("token %q is not 64 lower-case hex characters", token)
	}
	got, ok := FromCookie(cookie, "s3cret")
	if !ok || got != token {
		t.Fatalf("FromCookie = %q, %v", got, ok)
	}
	if !Verify(token, token) {
		t.Error("Verify rejected the right token")
	}
	for name, c := range map[string]string{
		"other secret":   "",
		"no separator":   token + Hash(token, "s3cret"),
		"tampered token": strings.Repeat("1", 64) + "|" + Hash(token, "s3cret"),
		"tampered hash":  token + "|" + strings.Repeat("0", 64),
		"short":          "abc|def",
		"empty":          "",
	} {
		if name == "other secret" {
			if _, ok := FromCookie(cookie, "other"); ok {
				t.Errorf("%s: accepted", name)
			}
			continue
		}
		if _, ok := FromCookie(c, "s3cret"); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	// Only 64-character tokens are trusted, even with a matching hash
	// (which only the secret's holder can make).
	for _, tok := range []string{"abc", token[:63], token + "0", ""} {
		if _, ok := FromCookie(tok+"|"+Hash(tok, "s3cret"), "s3cret"); ok {
			t.Errorf("a correctly hashed %d-character token was trusted", len(tok))
		}
	}
	if _, ok := FromCookie(token+"|"+Hash(token, "s3cret")+"0", "s3cret"); ok {
		t.Error("a 65-character hash was accepted")
	}
	for _, s := range []string{"", token[:63], token + "0", strings.ToUpper(token)} {
		if Verify(token, s) {
			t.Errorf("Verify accepted %q", s)
		}
	}
	if Verify("", "") {
		t.Error("Verify accepted an empty token")
	}
}
