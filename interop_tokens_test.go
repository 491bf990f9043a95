package ginauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// previousSecret is the secret before a rotation.
const previousSecret = "previous-secret-0123456789abcdefghijklmn"

// padding gives the users whose names start with "big" a claim large
// enough for a session cookie of 2 or 3 chunks.
var padding = map[string]int{"big2": 4000, "big3": 7000}

func pad(n int) string { return strings.Repeat("0123456789abcdef", n/16) }

// tokenIssuer is a ginauth application that signs in any user with the
// password "pw" and gives the big users a padded token.
func tokenIssuer(t *testing.T, mode ginauth.Mode, edit func(*ginauth.Config)) (*ginauth.Auth, http.Handler) {
	t.Helper()
	cfg := ginauth.Config{
		Secret: testSecret,
		URL:    "http://app.example",
		Mode:   mode,
		Providers: []providers.Provider{providers.Credentials{
			Authorize: func(_ context.Context, c map[string]string, _ *authjs.Request) (*authjs.User, error) {
				if c["password"] != "pw" {
					return nil, nil
				}
				return &authjs.User{ID: c["username"], Name: c["username"], Email: c["username"] + "@example.com"}, nil
			},
		}},
		Callbacks: authjs.Callbacks{JWT: func(_ context.Context, p authjs.JWTParams) (authjs.Claims, error) {
			if p.Trigger == authjs.TriggerSignIn && padding[p.User.ID] > 0 {
				p.Token["pad"] = pad(padding[p.User.ID])
			}
			return p.Token, nil
		}},
	}
	if edit != nil {
		edit(&cfg)
	}
	auth, err := ginauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(auth.Middleware())
	auth.Mount(r)
	return auth, r
}

// signInDirect signs user in through h's endpoints (origin as configured)
// and returns the session cookies the response set.
func signInDirect(t *testing.T, h http.Handler, origin, user string) []*http.Cookie {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, origin+"/api/auth/csrf", nil))
	var csrf struct{ CSRFToken string }
	if err := json.Unmarshal(w.Body.Bytes(), &csrf); err != nil {
		t.Fatalf("csrf: %v", err)
	}
	form := url.Values{"username": {user}, "password": {"pw"}, "csrfToken": {csrf.CSRFToken}, "callbackUrl": {"/"}}
	req := httptest.NewRequest(http.MethodPost, origin+"/api/auth/callback/credentials", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range w.Result().Cookies() {
		req.AddCookie(c)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var out []*http.Cookie
	for _, c := range w.Result().Cookies() {
		if strings.Contains(c.Name, "session-token") && c.MaxAge >= 0 {
			out = append(out, c)
		}
	}
	if w.Code != http.StatusFound || len(out) == 0 {
		t.Fatalf("sign-in of %s: %d, cookies %v", user, w.Code, w.Header().Values("Set-Cookie"))
	}
	return out
}

func cookieHeader(cs []*http.Cookie) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name + "=" + c.Value
	}
	return strings.Join(parts, "; ")
}

func joined(cs []*http.Cookie) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Value)
	}
	return b.String()
}

// readWith reads a request carrying cookies (and an Authorization header
// when bearer is set) with auth's Middleware, as an API would, and returns
// the token's claims. It also checks that RequireAuth agrees.
func readWith(t *testing.T, auth *ginauth.Auth, cookies []*http.Cookie, bearer string) (authjs.Claims, bool) {
	t.Helper()
	r := gin.New()
	r.Use(auth.Middleware())
	var claims authjs.Claims
	var ok bool
	r.GET("/read", func(c *gin.Context) {
		claims, ok = ginauth.Token(c)
		_, sessOK := ginauth.Session(c)
		if sessOK != ok {
			t.Errorf("Session and Token disagree: %v %v", sessOK, ok)
		}
	})
	r.GET("/guarded", auth.RequireAuth(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	guarded := 0
	for _, path := range []string{"/read", "/guarded"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range cookies {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		guarded = w.Code
	}
	if (guarded == http.StatusNoContent) != ok {
		t.Errorf("RequireAuth answered %d while Token found a session: %v", guarded, ok)
	}
	return claims, ok
}

// jsOp is one operation of tokens.mjs.
type jsOp struct {
	Op            string         `json:"op"`
	Mode          string         `json:"mode"`
	Secret        any            `json:"secret,omitempty"`
	Salt          string         `json:"salt,omitempty"`
	Token         map[string]any `json:"token,omitempty"`
	MaxAge        int            `json:"maxAge,omitempty"`
	Name          string         `json:"name,omitempty"`
	Value         string         `json:"value,omitempty"`
	SecureCookie  bool           `json:"secureCookie,omitempty"`
	Cookie        string         `json:"cookie,omitempty"`
	Authorization string         `json:"authorization,omitempty"`
	// Now, when set, is the Unix time the operation runs at (the clock
	// tokens.mjs gives the libraries), so that expiry checks do not
	// depend on how long Node takes to start.
	Now int64 `json:"now,omitempty"`
}

type jsResult struct {
	Value   string         `json:"value"`
	Cookies []*http.Cookie `json:"cookies"`
	Claims  map[string]any `json:"claims"`
	Error   string         `json:"error"`
}

// TestInteropTokens checks that session tokens cross between ginauth and
// the JavaScript libraries in both directions and both modes: tokens and
// cookies written by ginauth are read by @auth/core's / next-auth's decode
// and getToken (plain and __Secure- cookie names, 2 and 3 chunks, Bearer
// header, rotated secrets, the 15 s clock tolerance), and tokens written by
// their encode, chunked by their SessionStore, are read by ginauth's
// Session, Token and RequireAuth, also on a read-only Auth configured with
// nothing but the secret.
func TestInteropTokens(t *testing.T) {
	requireNode(t)
	type check struct {
		name string
		op   jsOp
		want string // the sub the JavaScript side must read; "" for none
	}
	var checks []check
	type jsToken struct {
		name    string
		mode    ginauth.Mode
		op      jsOp
		cookie  string // the cookie name to send it under
		chunks  int    // the chunks the JavaScript SessionStore must make
		readers map[string]bool
	}
	var jsTokens []jsToken
	now := time.Now()

	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		m := mode.String()
		prefix := map[ginauth.Mode]string{ginauth.ModeV5: "authjs", ginauth.ModeV4: "next-auth"}[mode]
		plain, secure := prefix+".session-token", "__Secure-"+prefix+".session-token"
		salt := func(name string) string {
			if mode == ginauth.ModeV4 {
				return ""
			}
			return name
		}
		decode := func(value, cookieName string, secret any) jsOp {
			return jsOp{Op: "decode", Mode: m, Secret: secret, Salt: salt(cookieName), Value: value}
		}

		// ginauth writes, JavaScript reads.
		_, httpApp := tokenIssuer(t, mode, nil)
		_, httpsApp := tokenIssuer(t, mode, func(c *ginauth.Config) { c.URL = "https://app.example" })
		for _, user := range []string{"alice", "big2", "big3"} {
			cs := signInDirect(t, httpApp, "http://app.example", user)
			wantChunks := map[string]int{"alice": 1, "big2": 2, "big3": 3}[user]
			if len(cs) != wantChunks || (wantChunks > 1 && cs[0].Name != plain+".0") {
				t.Fatalf("%s %s: %d cookies (%s), want %d chunks", m, user, len(cs), cs[0].Name, wantChunks)
			}
			checks = append(checks,
				check{m + " decode " + user, decode(joined(cs), plain, testSecret), user},
				check{m + " getToken " + user, jsOp{Op: "getToken", Mode: m, Secret: testSecret, Cookie: cookieHeader(cs)}, user},
			)
			cs = signInDirect(t, httpsApp, "https://app.example", user)
			if cs[0].Name != secure && cs[0].Name != secure+".0" || !cs[0].Secure {
				t.Fatalf("%s https cookie %s secure=%v", m, cs[0].Name, cs[0].Secure)
			}
			checks = append(checks,
				check{m + " decode __Secure- " + user, decode(joined(cs), secure, testSecret), user},
				check{m + " getToken __Secure- " + user, jsOp{Op: "getToken", Mode: m, Secret: testSecret, SecureCookie: true, Cookie: cookieHeader(cs)}, user},
				check{m + " getToken __Secure- " + user + " as plain", jsOp{Op: "getToken", Mode: m, Secret: testSecret, Cookie: cookieHeader(cs)}, ""},
			)
		}
		cs := signInDirect(t, httpApp, "http://app.example", "bearer")
		checks = append(checks,
			check{m + " getToken Bearer", jsOp{Op: "getToken", Mode: m, Secret: testSecret, Authorization: "Bearer " + joined(cs)}, "bearer"},
			check{m + " decode with another secret", decode(joined(cs), plain, previousSecret), ""},
		)

		// Rotation: ginauth encrypts with Secret; Auth.js v5 matches the
		// kid against its secret list, in any position.
		_, rotated := tokenIssuer(t, mode, func(c *ginauth.Config) { c.PreviousSecrets = []string{previousSecret} })
		cs = signInDirect(t, rotated, "http://app.example", "rotated")
		if mode == ginauth.ModeV5 {
			checks = append(checks,
				check{m + " decode rotated, new secret first", decode(joined(cs), plain, []string{testSecret, previousSecret}), "rotated"},
				check{m + " decode rotated, new secret last", decode(joined(cs), plain, []string{previousSecret, testSecret}), "rotated"},
			)
		} else {
			checks = append(checks, check{m + " decode rotated", decode(joined(cs), plain, testSecret), "rotated"})
		}

		// Clock tolerance: a token 5 s past its expiry is still read, one
		// 60 s past it is not.
		for skew, want := range map[time.Duration]string{5 * time.Second: "late", time.Minute: ""} {
			_, late := tokenIssuer(t, mode, func(c *ginauth.Config) {
				c.Session.MaxAge = time.Hour
				c.Now = func() time.Time { return now.Add(-time.Hour - skew) }
			})
			cs := signInDirect(t, late, "http://app.example", "late")
			op := decode(joined(cs), plain, testSecret)
			op.Now = now.Unix()
			checks = append(checks, check{m + " decode expired " + skew.String() + " ago", op, want})
		}

		// JavaScript writes, ginauth reads.
		claims := func(sub string, padLen int) map[string]any {
			c := map[string]any{"sub": sub, "name": "JS " + sub, "email": sub + "@example.com", "picture": "https://img.example.com/" + sub + ".png"}
			if padLen > 0 {
				c["pad"] = pad(padLen)
			}
			return c
		}
		// at makes an operation run at now, and so its token's expiry
		// relative to now, whatever the time Node starts at.
		at := func(op jsOp) jsOp { op.Now = now.Unix(); return op }
		encode := func(sub, cookieName string, secret any, maxAge, padLen int) jsOp {
			return jsOp{Op: "encode", Mode: m, Secret: secret, Salt: salt(cookieName), Token: claims(sub, padLen), MaxAge: maxAge, Name: cookieName}
		}
		for _, name := range []string{plain, secure} {
			n := strings.TrimSuffix(strings.TrimPrefix(name, "__"), prefix+".session-token")
			jsTokens = append(jsTokens,
				jsToken{"js " + n + "1", mode, encode("js-"+n+"1", name, testSecret, 3600, 0), name, 1,
					map[string]bool{"readonly": true, name: true, "other": false}},
				jsToken{"js " + n + "2", mode, encode("js-"+n+"2", name, testSecret, 3600, 4000), name, 2,
					map[string]bool{"readonly": true, name: true}},
				jsToken{"js " + n + "3", mode, encode("js-"+n+"3", name, testSecret, 3600, 7000), name, 3,
					map[string]bool{"readonly": true, name: true}},
			)
		}
		jsTokens = append(jsTokens,
			jsToken{"js old secret", mode, encode("js-old", plain, previousSecret, 3600, 0), plain, 1,
				map[string]bool{"readonly": false, "rotated": true}},
			jsToken{"js expired 5s ago", mode, at(encode("js-late", plain, testSecret, -5, 0)), plain, 1,
				map[string]bool{"readonly": true}},
			jsToken{"js expired 60s ago", mode, at(encode("js-later", plain, testSecret, -60, 0)), plain, 1,
				map[string]bool{"readonly": false}},
			jsToken{"js bearer", mode, encode("js-bearer", plain, testSecret, 3600, 0), "", 1,
				map[string]bool{"readonly": true}},
		)
	}

	var ops []jsOp
	for _, c := range checks {
		ops = append(ops, c.op)
	}
	for _, jt := range jsTokens {
		ops = append(ops, jt.op)
	}
	var results []jsResult
	runNode(t, "tokens.mjs", nil, ops, &results)
	if len(results) != len(ops) {
		t.Fatalf("%d results for %d operations", len(results), len(ops))
	}

	for i, c := range checks {
		r := results[i]
		got, _ := r.Claims["sub"].(string)
		if got != c.want {
			t.Errorf("%s: JavaScript read sub %q (error %q), want %q", c.name, got, r.Error, c.want)
		}
		if got != "" && padding[got] > 0 && r.Claims["pad"] != pad(padding[got]) {
			t.Errorf("%s: padding claim lost", c.name)
		}
	}

	for i, jt := range jsTokens {
		r := results[len(checks)+i]
		if r.Value == "" {
			t.Fatalf("%s: JavaScript encode failed", jt.name)
		}
		m := jt.mode
		readers := map[string]*ginauth.Auth{}
		newReader := func(cfg ginauth.Config) *ginauth.Auth {
			cfg.Secret, cfg.Mode = testSecret, m
			if jt.op.Now != 0 {
				// Read at the time the token was made at.
				cfg.Now = func() time.Time { return time.Unix(jt.op.Now, 0) }
			}
			a, err := ginauth.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		prefix := map[ginauth.Mode]string{ginauth.ModeV5: "authjs", ginauth.ModeV4: "next-auth"}[m]
		readers["readonly"] = newReader(ginauth.Config{})
		readers[prefix+".session-token"] = newReader(ginauth.Config{URL: "http://api.example"})
		readers["__Secure-"+prefix+".session-token"] = newReader(ginauth.Config{URL: "https://api.example"})
		readers["rotated"] = newReader(ginauth.Config{PreviousSecrets: []string{previousSecret}})
		other := "__Secure-" + prefix + ".session-token"
		if jt.cookie == other {
			other = prefix + ".session-token"
		}
		readers["other"] = readers[other]

		var cookies []*http.Cookie
		bearer := ""
		if jt.cookie == "" {
			bearer = r.Value
		} else {
			cookies = r.Cookies // chunked by the JavaScript SessionStore
			if len(cookies) != jt.chunks {
				t.Fatalf("%s %s: JavaScript made %d chunks, want %d", m, jt.name, len(cookies), jt.chunks)
			}
			if len(cookies) > 1 && cookies[0].Name != jt.cookie+".0" {
				t.Errorf("%s %s: first chunk named %s", m, jt.name, cookies[0].Name)
			}
		}
		for reader, want := range jt.readers {
			claims, ok := readWith(t, readers[reader], cookies, bearer)
			if ok != want {
				t.Errorf("%s %s: reader %s found a session: %v, want %v", m, jt.name, reader, ok, want)
				continue
			}
			if ok && (claims.Subject() != jt.op.Token["sub"] || claims.Email() != jt.op.Token["email"] || claims["pad"] != jt.op.Token["pad"]) {
				t.Errorf("%s %s: reader %s read %v", m, jt.name, reader, claims)
			}
		}
	}
}
