package email_test

import (
	"errors"
	"testing"

	"github.com/ginauth/ginauth/email"
)

// TestRenderRefusesControlBytesInLinks: every byte below '!' and from DEL
// up is refused in a link, at the start, inside and at the end; the
// printable ASCII around them is not.
func TestRenderRefusesControlBytesInLinks(t *testing.T) {
	base := testRequest().URL
	for b := range 256 {
		if b > ' ' && b < 0x7f {
			continue
		}
		c := string([]byte{byte(b)})
		for _, link := range []string{c + base, base + c + "x", base + "&x=" + c} {
			r := testRequest()
			r.URL = link
			if _, err := email.Render(r); !errors.Is(err, email.ErrConfig) {
				t.Errorf("a link with byte %#x: err = %v, want ErrConfig", b, err)
			}
		}
	}
	r := testRequest()
	r.URL = base + "&x=!~"
	if _, err := email.Render(r); err != nil {
		t.Errorf("a link ending in printable ASCII: %v", err)
	}
}
