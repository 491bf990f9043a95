package adaptertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// tokenHash is a token as ginauth stores it: the hex SHA-256 of the link's
// token and the secret.
const tokenHash = "6f1ed002ab5595859014ebf0951522d9e2b7a6a1f0e9a3bbbd3b6c2a7c1f2e3d"

// createToken stores t, failing the test on an error.
func createToken(t *testing.T, a authjs.Adapter, vt authjs.VerificationToken) {
	t.Helper()
	noErr(t, a.CreateVerificationToken(t.Context(), vt), fmt.Sprintf("CreateVerificationToken(identifier %q)", vt.Identifier))
}

// checkToken compares a used token with the one stored.
func checkToken(t *testing.T, call string, got *authjs.VerificationToken, want authjs.VerificationToken) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got a nil token and no error", call)
		return
	}
	if got.Identifier != want.Identifier {
		t.Errorf("%s: Identifier = %q, want %q", call, got.Identifier, want.Identifier)
	}
	if got.Token != want.Token {
		t.Errorf("%s: Token = %q, want the stored hash", call, got.Token)
	}
	if !sameInstant(got.Expires, want.Expires) {
		t.Errorf("%s: Expires = %s, want the instant %s (to the second)", call, fmtTime(got.Expires), fmtTime(want.Expires))
	}
}

// useToken uses a token that must be there.
func useToken(t *testing.T, a authjs.Adapter, want authjs.VerificationToken) {
	t.Helper()
	got, err := a.UseVerificationToken(t.Context(), want.Identifier, want.Token)
	noErr(t, err, fmt.Sprintf("UseVerificationToken(%q, hash)", want.Identifier))
	checkToken(t, "UseVerificationToken", got, want)
}

var tokenTests = []test{
	{"CreateAndUseOnce", func(t *testing.T, a authjs.Adapter) {
		vt := authjs.VerificationToken{Identifier: "reader@example.com", Token: tokenHash, Expires: future(24 * hour)}
		createToken(t, a, vt)
		useToken(t, a, vt)
		got, err := a.UseVerificationToken(t.Context(), vt.Identifier, vt.Token)
		wantNotFound(t, err, "UseVerificationToken of a token already used")
		if got != nil {
			t.Error("UseVerificationToken of a token already used returned a token along with the error")
		}
	}},
	{"UnknownOrMismatched", func(t *testing.T, a authjs.Adapter) {
		vt := authjs.VerificationToken{Identifier: "owner@example.com", Token: tokenHash, Expires: future(24 * hour)}
		createToken(t, a, vt)
		for _, c := range []struct{ name, identifier, token string }{
			{"unknown token", "owner@example.com", "0000000000000000000000000000000000000000000000000000000000000000"},
			{"right token, another identifier", "attacker@example.com", tokenHash},
			{"right token, empty identifier", "", tokenHash},
			{"right identifier, empty token", "owner@example.com", ""},
			{"identifier and token swapped", tokenHash, "owner@example.com"},
			{"prefix of the token", "owner@example.com", tokenHash[:32]},
			{"identifier in another case", "OWNER@example.com", tokenHash},
			{"injection", "' OR 1=1 --", "' OR 1=1 --"},
		} {
			got, err := a.UseVerificationToken(t.Context(), c.identifier, c.token)
			wantNotFound(t, err, "UseVerificationToken with "+c.name)
			if got != nil {
				t.Errorf("UseVerificationToken with %s returned a token along with the error", c.name)
			}
		}
		// None of the failed attempts used the token up.
		useToken(t, a, vt)
	}},
	{"SameHashForTwoIdentifiers", func(t *testing.T, a authjs.Adapter) {
		one := authjs.VerificationToken{Identifier: "one@example.com", Token: tokenHash, Expires: future(hour)}
		two := authjs.VerificationToken{Identifier: "two@example.com", Token: tokenHash, Expires: future(2 * hour)}
		createToken(t, a, one)
		createToken(t, a, two)
		useToken(t, a, one)
		useToken(t, a, two)
	}},
	{"TwoTokensForOneIdentifier", func(t *testing.T, a authjs.Adapter) {
		first := authjs.VerificationToken{Identifier: "twice@example.com", Token: tokenHash, Expires: future(hour)}
		second := authjs.VerificationToken{Identifier: "twice@example.com", Token: "a" + tokenHash[1:], Expires: future(2 * hour)}
		createToken(t, a, first)
		createToken(t, a, second)
		useToken(t, a, second)
		useToken(t, a, first)
	}},
	{"ExpiredToken", func(t *testing.T, a authjs.Adapter) {
		// The caller checks Expires: a store returns (and deletes) an
		// expired token, unless its records expire on their own.
		vt := authjs.VerificationToken{Identifier: "late@example.com", Token: tokenHash, Expires: time.Now().Add(-hour)}
		createToken(t, a, vt)
		got, err := a.UseVerificationToken(t.Context(), vt.Identifier, vt.Token)
		switch {
		case isNotFound(err):
			t.Log("the store forgets expired verification tokens (ErrNotFound)")
		case err != nil:
			t.Errorf("UseVerificationToken of an expired token: got error %v, want the token or ErrNotFound", err)
		default:
			checkToken(t, "UseVerificationToken of an expired token", got, vt)
			_, err = a.UseVerificationToken(t.Context(), vt.Identifier, vt.Token)
			wantNotFound(t, err, "UseVerificationToken of an expired token already used")
		}
	}},
}
