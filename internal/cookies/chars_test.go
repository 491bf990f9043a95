package cookies

import "testing"

// TestTokenChars8 checks the eight-bytes-at-once test against the byte
// table for every byte in every position.
func TestTokenChars8(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			b := []byte("Az09-_.x")
			b[pos] = byte(c)
			want := c != '!' && c != '~' && c != '*' && c != '\'' && c != '(' && c != ')' && unreservedSet[c]
			if got := tokenChars8(string(b)); got != want {
				t.Fatalf("byte %#x at %d: tokenChars8 = %v, want %v", c, pos, got, want)
			}
		}
	}
}
