package oauth

import (
	"errors"
	"io"
	"net/http"

	"github.com/ginauth/ginauth/providers"
)

// errResponseTooLarge reports a provider response over
// providers.MaxResponseBytes.
var errResponseTooLarge = errors.New("oauth: response body too large")

// boundedClient returns a copy of c (or a default client with
// providers.DefaultHTTPTimeout) whose response bodies fail past
// providers.MaxResponseBytes.
func boundedClient(c *http.Client) *http.Client {
	if c == nil {
		c = &http.Client{Timeout: providers.DefaultHTTPTimeout}
	}
	cp := *c
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = limitTransport{base: base, max: providers.MaxResponseBytes}
	return &cp
}

type limitTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, errResponseTooLarge
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

// limitedBody fails a read past its limit instead of truncating silently,
// so a cut-off JSON document is never mistaken for a whole one.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errResponseTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
