package ginauth_test

import (
	"net/http"
	"testing"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/checks"
)

// TestInteropCheckCookies checks that the OAuth check cookies (PKCE, state,
// nonce) cross between ginauth and the JavaScript libraries: values sealed
// by @auth/core's / next-auth's encode with the cookie's name as salt open
// in ginauth, ginauth's open in their decode, and the v5 state parameter is
// a JWE their decode reads with the salt "encodedState". An Auth.js server
// and ginauth sharing a secret and a domain can finish each other's
// sign-ins.
func TestInteropCheckCookies(t *testing.T) {
	const secret = "interop-check-cookies-secret-0123456789"
	for _, mode := range []ginauth.Mode{ginauth.ModeV5, ginauth.ModeV4} {
		m := modeName(mode)
		for _, secure := range []bool{false, true} {
			names := dialectOf(mode).Names(secure)
			sealer, err := checks.New(dialectOf(mode), []string{secret}, names, nil)
			if err != nil {
				t.Fatal(err)
			}
			kinds := []checks.Kind{checks.PKCE, checks.State, checks.Nonce}
			var ops []jsOp
			for _, k := range kinds {
				name := sealer.Name(k)
				ops = append(ops, jsOp{Op: "encode", Mode: m, Secret: secret, Salt: name, MaxAge: 900,
					Token: map[string]any{"value": "js-" + k.String(), "provider": "corp"}})
				ck, err := sealer.Seal(k, "corp", "go-"+k.String())
				if err != nil {
					t.Fatal(err)
				}
				ops = append(ops, jsOp{Op: "decode", Mode: m, Secret: secret, Salt: name, Value: ck.Value})
			}
			state, err := sealer.NewState()
			if err != nil {
				t.Fatal(err)
			}
			if mode == ginauth.ModeV5 {
				ops = append(ops, jsOp{Op: "decode", Mode: m, Secret: secret, Salt: "encodedState", Value: state})
			}
			var res []jsResult
			runNode(t, "tokens.mjs", nil, ops, &res)
			if len(res) != len(ops) {
				t.Fatalf("%s: %d results for %d operations", m, len(res), len(ops))
			}
			for i, k := range kinds {
				enc, dec := res[2*i], res[2*i+1]
				req, _ := http.NewRequest(http.MethodGet, "http://localhost/api/auth/callback/corp", nil)
				req.AddCookie(&http.Cookie{Name: sealer.Name(k), Value: enc.Value})
				if got, err := sealer.Open(req, k, "corp"); err != nil || got != "js-"+k.String() {
					t.Errorf("%s secure=%v %s: ginauth opened the JavaScript cookie as %q, %v", m, secure, k, got, err)
				}
				if _, err := sealer.Open(req, k, "github"); err == nil {
					t.Errorf("%s %s: the JavaScript cookie for corp opened for github", m, k)
				}
				if dec.Error != "" || dec.Claims["value"] != "go-"+k.String() || dec.Claims["provider"] != "corp" {
					t.Errorf("%s secure=%v %s: JavaScript decoded ginauth's cookie as %v (%s)", m, secure, k, dec.Claims, dec.Error)
				}
				exp, _ := authjs.Claims(dec.Claims).Time("exp")
				iat, _ := authjs.Claims(dec.Claims).Time("iat")
				if exp.Sub(iat) != checks.MaxAge {
					t.Errorf("%s %s: lifetime %v, want %v", m, k, exp.Sub(iat), checks.MaxAge)
				}
			}
			if mode == ginauth.ModeV5 {
				if st := res[len(res)-1]; st.Error != "" || len(st.Claims["random"].(string)) != 43 {
					t.Errorf("v5 state parameter decoded by @auth/core as %v (%s)", st.Claims, st.Error)
				}
			}
		}
	}
}
