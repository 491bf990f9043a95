package jwe

import (
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// More tokens made once with the fixed secrets below, all with the claims
// {"name":"Fuzz","sub":"7","iat":1700000000,"exp":4102444800,"jti":"…7"}.
// They are constants so that every fuzzing worker knows the same set of
// valid tokens.
const (
	// v5, enc A256GCM with the 32-byte v5 key, kid = its thumbprint.
	fuzzV5GCM = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoiM21CNnNJR1dKaWpGcl9XeDZYemNJOHRMWTZEXzc2aDVreDJqVEJkUVB3anJxbHJud1lSenV3WmVRZkU5MDI4N3BfazUyWWRwSFNwZ2RYV1RuSktSbWcifQ.._X2tXHf9WOS5iaZJ.1ErWQPnUCO0fK3NVWHuvndJ61PARSwwVzAUVKLQZQO4JOusMsM597nWhqatJvSWUfuQib9lIY2abx-UEadBlYPE1hJcdm16YYBRHMbKOIvbgEpeq_5gnoFajRapaYyp1DoACZgUhZeM.DIy47Gk5L2fyYKrQLQkVjg"
	// v5 without a kid, secret "secret".
	fuzzV5NoKid = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0..O-nV4V2V7qUX1xGKKsei9Q._QKIm0GNaebRjFL8M03UqFDWd8Ia5XFYtlW42KW5RQx-qAUJ3ecWiPKlRdMt8IDjhHbWf8O_gmvZ-Ugwbq1EWzqwDno1-vrEyUxRk-vPdRPCsvtPpYGjbyKMUIaSzWVioaRMiE45afqLlb_j4lxaxA.BP_7J4oUzjMdlWnLKAHo_BXrRxhQMFRFOy_ZannACFY"
	// v5 with secret "new-secret".
	fuzzV5New = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwia2lkIjoidzJCQzFETEY0R29oU0JmU2l1WUExRHVnbndEbXMzVHFQOE9WOUJwQjhIQjB1bmM2MTRod1RJNzRFOE9LQ1FXX0JCc3BxTE9fNGRoeU1Bc2tEQ04yQWcifQ..9Dpybg0TOdcwn7EsA_yLlA.BXNnb-Y1qkfJcAiajt_NLYByABYtiWwGC9tJRzOD9JsnavSdfSVezDDXFSIVNU7pFvdg3M3HzRPai_0ZY5WHMHopBL1QX6AUAF-EP9b10lVDcbpOyzSRWH5ywmITNsnFitL1Fnz6BCxmHvjFUh4AWQ.DZqAeRdsXpAnIe8xrd-PVm3Jb_DBExS8OkJYP041B2U"
	// v4 with secret "secret".
	fuzzV4 = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..ufn0LES3fdUQAyAO.N7riTqfnhbGMVzxj2caScySvKowXVHqCErSspGNKuBpp_5g-yMACz4ahJKDiumZFn3A3NpaNuV7P-2xaN8KqmrCy4Ur8Eakt51L3dDB-BpbPLaRuLoHll2ebg-3H5Rg0pyT0fNL2axw.4GY9AoKcJTxvF_Z2gVEqAQ"
)

// fuzzNow is inside every constant token's lifetime.
var fuzzNow = time.Unix(1_800_000_000, 0)

type fuzzCodec struct {
	name  string
	c     *Codec
	valid map[string]string // token → its "sub"
}

func fuzzCodecs(t testing.TB) []fuzzCodec {
	mk := func(mode Format, salt string, cache int, secrets ...string) *Codec {
		c, err := New(Options{Format: mode, Secrets: secrets, Salt: salt, Now: func() time.Time { return fuzzNow }, CacheSize: cache})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return []fuzzCodec{
		{"v4", mk(V4, "", 0, "secret"), map[string]string{v4Token: "1", fuzzV4: "7"}},
		{"v4 cached", mk(V4, "", 4, "secret"), map[string]string{v4Token: "1", fuzzV4: "7"}},
		{"v5", mk(V5, "authjs.session-token", 0, "secret"), map[string]string{v5Token: "1", fuzzV5GCM: "7", fuzzV5NoKid: "7"}},
		{"v5 rotated", mk(V5, "authjs.session-token", 4, "new-secret", "secret"), map[string]string{v5Token: "1", fuzzV5GCM: "7", fuzzV5New: "7"}},
		{"v5 secure name", mk(V5, "__Secure-authjs.session-token", 0, "secret"), map[string]string{}},
	}
}

// flipPart changes one character in the middle of part i of a compact JWE
// (the middle character's bits all reach the decoded bytes); an empty part
// gets four characters instead.
func flipPart(tok string, i int) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[i])
	if len(p) == 0 {
		parts[i] = "AAAA"
		return strings.Join(parts, ".")
	}
	m := len(p) / 2
	if p[m] == 'A' {
		p[m] = 'B'
	} else {
		p[m] = 'A'
	}
	parts[i] = string(p)
	return strings.Join(parts, ".")
}

// authenticTokens are tokens made with the right key but refused for
// another reason (algorithm, header, claims). They are fine seeds: no
// mutation can make them valid without the key.
func authenticTokens(t testing.TB) []string {
	key, err := DeriveKey(V5, "secret", "authjs.session-token")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(enc jose.ContentEncryption, alg jose.KeyAlgorithm, k any, payload string, opts *jose.EncrypterOptions) string {
		e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: k, PBES2Count: 1000}, opts)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := e.Encrypt([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		s, err := obj.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ok := `{"sub":"9"}`
	return []string{
		mk(jose.A256CBC_HS512, jose.DIRECT, key, ok, &jose.EncrypterOptions{Compression: jose.DEFLATE}),
		mk(jose.A256CBC_HS512, jose.DIRECT, key, ok, (&jose.EncrypterOptions{}).WithHeader("crit", []string{"exp"})),
		mk(jose.A128CBC_HS256, jose.DIRECT, key[:32], ok, nil),
		mk(jose.A128GCM, jose.DIRECT, key[:16], ok, nil),
		mk(jose.A256CBC_HS512, jose.A256KW, key[:32], ok, nil),
		mk(jose.A256CBC_HS512, jose.PBES2_HS512_A256KW, "secret", ok, nil),
		mk(jose.A256CBC_HS512, jose.DIRECT, key, `[1,2]`, nil),
		mk(jose.A256CBC_HS512, jose.DIRECT, key, `null`, nil),
		mk(jose.A256CBC_HS512, jose.DIRECT, key, `{"sub":"9"} {}`, nil),
		mk(jose.A256CBC_HS512, jose.DIRECT, key, `{"exp":1700000000}`, nil),
		mk(jose.A256CBC_HS512, jose.DIRECT, key, `{"exp":"4102444800"}`, nil),
		mk(jose.A256CBC_HS512, jose.DIRECT, key, `{"nbf":4102444800}`, nil),
		mk(jose.A256CBC_HS512, jose.DIRECT, key, `{"iat":"yesterday"}`, nil),
	}
}

func FuzzDecode(f *testing.F) {
	valid := []string{v4Token, v5Token, fuzzV5GCM, fuzzV5NoKid, fuzzV5New, fuzzV4}
	for _, tok := range valid {
		f.Add(tok)
		for i := range 5 {
			f.Add(flipPart(tok, i))
		}
		f.Add(tok[:len(tok)-1])
		f.Add(tok + "=")
		f.Add(tok + ".")
		f.Add(strings.Join(strings.Split(tok, ".")[:4], "."))
		f.Add(tok[:len(tok)/2] + "\n" + tok[len(tok)/2:])
		f.Add(strings.Replace(tok, "..", ".AA.", 1))
	}
	for _, tok := range authenticTokens(f) {
		f.Add(tok)
	}
	for _, s := range []string{
		"", ".", "....", "a.b.c.d.e", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
		`{"protected":"eyJhbGciOiJkaXIifQ","iv":"","ciphertext":"","tag":""}`,
		"eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwiemlwIjoiREVGIn0..AAAA.AAAA.AAAA",
		strings.Repeat("A", MaxTokenLen+1),
	} {
		f.Add(s)
	}

	codecs := fuzzCodecs(f)
	f.Fuzz(func(t *testing.T, tok string) {
		for _, fc := range codecs {
			claims, err := fc.c.Decode(tok)
			if err != nil {
				if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrTokenExpired) {
					t.Fatalf("%s: error %v wraps neither ErrInvalidToken nor ErrTokenExpired", fc.name, err)
				}
				if claims != nil {
					t.Fatalf("%s: claims %v returned with error %v", fc.name, claims, err)
				}
				if _, ok := fc.valid[tok]; ok {
					t.Fatalf("%s: a valid token was refused: %v", fc.name, err)
				}
				continue
			}
			// Only the key holder can produce an authentication tag, and a
			// token has one spelling, so a string that decodes must be
			// exactly a token made with the key.
			sub, known := fc.valid[tok]
			if !known {
				t.Fatalf("%s: %q decoded to %v but is not a token made with the key", fc.name, tok, claims)
			}
			if claims == nil || claims.Subject() != sub {
				t.Fatalf("%s: %q decoded to %v, want sub %q", fc.name, tok, claims, sub)
			}
		}
	})
}

// TestDecodeMalleability pins what a changed token does: any changed byte
// is refused, including bytes inserted into the (empty) encrypted-key part,
// and so are other spellings of the same bytes (see TestCanonicalForm).
func TestDecodeMalleability(t *testing.T) {
	for _, fc := range fuzzCodecs(t) {
		for tok, sub := range fc.valid {
			t.Run(fc.name+"/"+tok[len(tok)-8:], func(t *testing.T) {
				for i := range 5 {
					if _, err := fc.c.Decode(flipPart(tok, i)); !errors.Is(err, ErrInvalidToken) {
						t.Errorf("part %d changed: err = %v, want ErrInvalidToken", i, err)
					}
				}
				got, err := fc.c.Decode(tok)
				if err != nil || got.Subject() != sub {
					t.Errorf("Decode(%q) = %v, %v; want sub %q", tok, got, err, sub)
				}
				if _, err := fc.c.Decode(tok[:20] + "\n" + tok[20:]); !errors.Is(err, ErrInvalidToken) {
					t.Errorf("a line break inside: err = %v, want ErrInvalidToken", err)
				}
			})
		}
	}
}

// TestAuthenticButRefused checks that tokens made with the key but with a
// refused algorithm, header or payload are refused with the documented
// errors.
func TestAuthenticButRefused(t *testing.T) {
	c := fuzzCodecs(t)[2].c
	for i, tok := range authenticTokens(t) {
		_, err := c.Decode(tok)
		if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrTokenExpired) {
			t.Errorf("token %d: err = %v", i, err)
		}
	}
}
