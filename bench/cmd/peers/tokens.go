package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/jwe"
)

// A token kind is how one family of servers reads its credential: the
// cookie name and how to make a valid value for user i.
type tokenKind struct {
	cookie string
	make   func(i int) (string, error)
	// garbage makes a forged value of the same shape.
	garbage func() string
}

func user(i int) map[string]string {
	id := strconv.Itoa(i)
	return map[string]string{"name": "User " + id, "email": "user" + id + "@example.com", "picture": "https://img.example.com/" + id + ".png", "sub": id}
}

func randB64(n int) string {
	p := make([]byte, n)
	_, _ = rand.Read(p)
	return base64.RawURLEncoding.EncodeToString(p)
}

func tokenKinds(secret string) (map[string]tokenKind, error) {
	codec := func(f jwe.Format, salt string) (*jwe.Codec, error) {
		return jwe.New(jwe.Options{Format: f, Secrets: []string{secret}, Salt: salt})
	}
	v5, err := codec(jwe.V5, "authjs.session-token")
	if err != nil {
		return nil, err
	}
	v4, err := codec(jwe.V4, "")
	if err != nil {
		return nil, err
	}
	jwtMW, err := ginJWT(secret)
	if err != nil {
		return nil, err
	}
	session := func(c *jwe.Codec) func(int) (string, error) {
		return func(i int) (string, error) {
			claims := authjs.Claims{"role": "user"}
			for k, v := range user(i) {
				claims[k] = v
			}
			return c.Encode(claims, 30*24*time.Hour)
		}
	}
	// Forged JWEs keep a real header (so they pass the allow-list) and
	// carry random IV, ciphertext and tag of a real token's sizes.
	forged := func(mk func(int) (string, error)) func() string {
		real, _ := mk(0)
		p := strings.Split(real, ".")
		return func() string {
			return p[0] + ".." + randB64(len(p[2])*3/4) + "." + randB64(len(p[3])*3/4) + "." + randB64(len(p[4])*3/4)
		}
	}
	codecs := sessionCodecs(secret)
	kinds := map[string]tokenKind{
		"v5": {cookie: "authjs.session-token", make: session(v5)},
		"v4": {cookie: "next-auth.session-token", make: session(v4)},
		"gin-jwt": {cookie: "jwt", make: func(i int) (string, error) {
			t, _, err := jwtMW.TokenGenerator(user(i))
			return t, err
		}},
		"sessions": {cookie: "session", make: func(i int) (string, error) {
			values := map[any]any{}
			for k, v := range user(i) {
				values[k] = v
			}
			return securecookie.EncodeMulti("session", values, codecs...)
		}},
	}
	for name, k := range kinds {
		switch name {
		case "gin-jwt":
			real, _ := k.make(0)
			p := strings.Split(real, ".")
			k.garbage = func() string { return p[0] + "." + p[1] + "." + randB64(32) }
		case "sessions":
			real, _ := k.make(0)
			k.garbage = func() string { return randB64(len(real) * 3 / 4) }
		default:
			k.garbage = forged(k.make)
		}
		kinds[name] = k
	}
	return kinds, nil
}

// writeTokens writes n Cookie header values, one a line: valid ones for
// users 0..n-1, or forged ones.
func writeTokens(path string, k tokenKind, n int, garbage bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		var v string
		if garbage {
			v = k.garbage()
		} else if v, err = k.make(i); err != nil {
			f.Close()
			return fmt.Errorf("token %d: %w", i, err)
		}
		fmt.Fprintf(w, "%s=%s\n", k.cookie, v)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
