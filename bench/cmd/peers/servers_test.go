package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gin-gonic/gin"
)

const testSecret = "bench-peers-test-secret-0123456789abcdefghij"

// goServers are the Go servers by serve name, with the token kind each
// reads.
var goServers = []struct{ name, kind string }{
	{"ginauth-v5", "v5"},
	{"ginauth-v4", "v4"},
	{"gin-jwt", "gin-jwt"},
	{"sessions", "sessions"},
}

func init() {
	gin.SetMode(gin.ReleaseMode)
	// gin-contrib/sessions logs every cookie it cannot decode through the
	// standard logger; the benchmarks measure the decoding, not the
	// terminal.
	log.SetOutput(io.Discard)
}

func router(tb testing.TB, name string) *gin.Engine {
	tb.Helper()
	r, err := routers[name](testSecret, "127.0.0.1:8080")
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func request(kind tokenKind, value string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/api/protected", nil)
	if value != "" {
		req.Header.Set("Cookie", kind.cookie+"="+value)
	}
	return req
}

// TestServers checks that every Go server answers the protected route
// alike: the user's fields for a valid token, 401 and the same body for a
// forged, a missing or another user's tampered token.
func TestServers(t *testing.T) {
	kinds, err := tokenKinds(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range goServers {
		t.Run(s.name, func(t *testing.T) {
			r, k := router(t, s.name), kinds[s.kind]
			for _, i := range []int{0, 7} {
				tok, err := k.make(i)
				if err != nil {
					t.Fatal(err)
				}
				w := httptest.NewRecorder()
				r.ServeHTTP(w, request(k, tok))
				var got struct {
					Status string
					User   map[string]string
				}
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
					t.Fatalf("user %d: %d %s (%v)", i, w.Code, w.Body, err)
				}
				id := strconv.Itoa(i)
				want := map[string]string{"name": "User " + id, "email": "user" + id + "@example.com", "image": "https://img.example.com/" + id + ".png", "id": id}
				if got.Status != "Authorized" || fmt.Sprint(got.User) != fmt.Sprint(want) {
					t.Errorf("user %d: %s", i, w.Body)
				}
			}
			// One character in the middle of a valid token changed to
			// another of the same alphabet: the encoding still parses,
			// only the MAC or signature can refuse it.
			valid, _ := k.make(1)
			tampered := []byte(valid)
			mid := len(tampered) / 2
			tampered[mid] = map[bool]byte{false: 'A', true: 'B'}[tampered[mid] == 'A']
			for what, v := range map[string]string{"forged": k.garbage(), "missing": "", "tampered": string(tampered)} {
				w := httptest.NewRecorder()
				r.ServeHTTP(w, request(k, v))
				if w.Code != http.StatusUnauthorized || w.Body.String() != `{"status":"Not authorized"}` {
					t.Errorf("%s token: %d %s", what, w.Code, w.Body)
				}
			}
		})
	}
}

// manyUsers is the number of distinct users' tokens the benchmarks rotate
// through: past ginauth's verified-token cache, so that nearly every
// request decodes its token.
const manyUsers = 200_000

// benchTokens makes manyUsers valid tokens of a kind and 20,000 forged
// ones.
func benchTokens(b *testing.B, k tokenKind) (valid, forged []string) {
	valid = make([]string, manyUsers)
	for i := range valid {
		var err error
		if valid[i], err = k.make(i); err != nil {
			b.Fatal(err)
		}
	}
	forged = make([]string, 20_000)
	for i := range forged {
		forged[i] = k.garbage()
	}
	return valid, forged
}

// BenchmarkProtected measures the protected route of every Go server in
// process, without the network: what each library costs a request, side
// by side in one run. "1 token" repeats one user's token; "200k users"
// rotates through 200,000 users' tokens; "garbage" through forged tokens
// of a valid token's shape.
func BenchmarkProtected(b *testing.B) {
	kinds, err := tokenKinds(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range goServers {
		// Only one server's tokens are alive at a time, so that the
		// collector does not scan the others' while measuring this one.
		k := kinds[s.kind]
		valid, forged := benchTokens(b, k)
		r := router(b, s.name)
		for _, sc := range []struct {
			name   string
			tokens []string
			status int
		}{
			{"1-token", valid[:1], http.StatusOK},
			{"200k-users", valid, http.StatusOK},
			{"garbage", forged, http.StatusUnauthorized},
		} {
			b.Run(s.name+"/"+sc.name, func(b *testing.B) {
				reqs := make([]*http.Request, len(sc.tokens))
				for i, t := range sc.tokens {
					reqs[i] = request(k, t)
				}
				w := &discard{h: http.Header{}}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					clear(w.h)
					w.status = 0
					r.ServeHTTP(w, reqs[i])
					if w.status != sc.status {
						b.Fatalf("status %d, want %d", w.status, sc.status)
					}
					if i++; i == len(reqs) {
						i = 0
					}
				}
			})
		}
	}
}

// discard is a ResponseWriter that keeps only the status, so that the
// benchmark measures the server, not a recorder.
type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	return len(p), nil
}
func (d *discard) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}
