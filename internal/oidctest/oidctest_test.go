package oidctest_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ginauth/ginauth/internal/oidctest"
)

// redirectURI is registered at the provider; nothing listens there, the
// interaction drivers stop at the redirect.
const redirectURI = "http://127.0.0.1:9/callback"

// rp is a plain relying party on golang.org/x/oauth2 and go-oidc.
type rp struct {
	op       *oidctest.Provider
	provider *oidc.Provider
	config   oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newRP(t *testing.T, op *oidctest.Provider) *rp {
	t.Helper()
	provider, err := oidc.NewProvider(t.Context(), op.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{
		op:       op,
		provider: provider,
		config: oauth2.Config{
			ClientID:     op.ClientID(),
			ClientSecret: op.ClientSecret(),
			Endpoint:     provider.Endpoint(),
			RedirectURL:  redirectURI,
			Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: op.ClientID()}),
	}
}

// browser is a fresh user agent: an HTTP client with an empty cookie jar.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// flow is one authorization request's secrets.
type flow struct {
	state, nonce, verifier string
	authURL                string
}

func (r *rp) start(extra ...oauth2.AuthCodeOption) flow {
	f := flow{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}, extra...)
	f.authURL = r.config.AuthCodeURL(f.state, opts...)
	return f
}

// signIn runs the code flow as login up to the token response.
func (r *rp) signIn(t *testing.T, login string) (flow, *oauth2.Token, error) {
	t.Helper()
	f := r.start()
	cb := r.op.Login(t, browser(), f.authURL, login)
	q := cb.Query()
	if q.Get("error") != "" {
		t.Fatalf("authorization error: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != f.state {
		t.Fatalf("state %q, want %q", q.Get("state"), f.state)
	}
	if q.Get("iss") != r.op.Issuer() {
		t.Errorf("iss %q, want %q", q.Get("iss"), r.op.Issuer())
	}
	tok, err := r.config.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(f.verifier))
	return f, tok, err
}

func idToken(t *testing.T, tok *oauth2.Token) string {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("no id_token in the token response")
	}
	return raw
}

// header decodes a JWT's protected header.
func header(t *testing.T, raw string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// jwksKids fetches the provider's JWKS.
func jwksKids(t *testing.T, r *rp) []string {
	t.Helper()
	var d struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := r.provider.Claims(&d); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(d.JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			D   string `json:"d"`
		} `json:"keys"`
	}
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		if k.D != "" {
			t.Fatal("the JWKS publishes a private key")
		}
		kids = append(kids, k.Kid)
	}
	return kids
}

type profile struct {
	Sub           string `json:"sub"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Picture       string `json:"picture"`
	Nonce         string `json:"nonce"`
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
	r := newRP(t, op)
	var d struct {
		Issuer                string   `json:"issuer"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
		ScopesSupported       []string `json:"scopes_supported"`
		ResponseModes         []string `json:"response_modes_supported"`
		IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported"`
		TokenEndpointAuthAlgs []string `json:"token_endpoint_auth_methods_supported"`
		UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	}
	if err := r.provider.Claims(&d); err != nil {
		t.Fatal(err)
	}
	if d.Issuer != op.Issuer() || !strings.HasPrefix(op.Issuer(), "http://127.0.0.1:") {
		t.Errorf("issuer %q (provider says %q)", op.Issuer(), d.Issuer)
	}
	if !slices.Contains(d.CodeChallengeMethods, "S256") {
		t.Errorf("code_challenge_methods_supported %v", d.CodeChallengeMethods)
	}
	for _, s := range []string{"openid", "profile", "email", "offline_access"} {
		if !slices.Contains(d.ScopesSupported, s) {
			t.Errorf("scope %s not supported: %v", s, d.ScopesSupported)
		}
	}
	if !slices.Contains(d.ResponseModes, "form_post") || !slices.Contains(d.IDTokenSigningAlgs, "RS256") {
		t.Errorf("response modes %v, ID token algs %v", d.ResponseModes, d.IDTokenSigningAlgs)
	}
	if r.provider.Endpoint().AuthURL != op.Issuer()+"/auth" || r.provider.Endpoint().TokenURL != op.Issuer()+"/token" || d.UserinfoEndpoint != op.Issuer()+"/me" {
		t.Errorf("endpoints %+v, userinfo %s", r.provider.Endpoint(), d.UserinfoEndpoint)
	}
	if kids := jwksKids(t, r); len(kids) != 1 {
		t.Errorf("JWKS kids %v, want one", kids)
	}
}

func TestCodeFlow(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}, AccessTokenTTL: 90 * time.Second})
	r := newRP(t, op)
	f, tok, err := r.signIn(t, "alice")
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.RefreshToken == "" || tok.ExpiresIn != 90 {
		t.Errorf("token: type %q, access %t, refresh %t, expires_in %d", tok.TokenType, tok.AccessToken != "", tok.RefreshToken != "", tok.ExpiresIn)
	}
	raw := idToken(t, tok)
	if h := header(t, raw); h["alg"] != "RS256" || h["kid"] != jwksKids(t, r)[0] {
		t.Errorf("ID token header %v", h)
	}
	id, err := r.verifier.Verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var p profile
	if err := id.Claims(&p); err != nil {
		t.Fatal(err)
	}
	alice := oidctest.Accounts["alice"]
	want := profile{Sub: alice.Sub, Name: alice.Name, Email: alice.Email, EmailVerified: true, Picture: alice.Picture, Nonce: f.nonce}
	if p != want || id.Nonce != f.nonce {
		t.Errorf("ID token claims %+v, want %+v", p, want)
	}
	if id.AccessTokenHash != "" {
		if err := id.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Errorf("at_hash: %v", err)
		}
	}

	info, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != "alice" || info.Email != alice.Email {
		t.Errorf("userinfo %+v", info)
	}
}

func TestCodeFlowVariants(t *testing.T) {
	t.Parallel()
	t.Run("unknown login gets a generic profile", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
		r := newRP(t, op)
		_, tok, err := r.signIn(t, "zed")
		if err != nil {
			t.Fatal(err)
		}
		id, err := r.verifier.Verify(t.Context(), idToken(t, tok))
		if err != nil {
			t.Fatal(err)
		}
		var p profile
		id.Claims(&p)
		if p.Sub != "zed" || p.Name != "User zed" || p.Email != "zed@example.net" {
			t.Errorf("claims %+v", p)
		}
	})

	t.Run("client_secret_post", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}, AuthMethod: oidctest.AuthClientSecretPost, ClientID: "post-client", ClientSecret: "post-secret"})
		r := newRP(t, op)
		r.config.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		if _, tok, err := r.signIn(t, "bob"); err != nil || tok.AccessToken == "" {
			t.Fatalf("exchange with the secret in the body: %v", err)
		}
		// Basic authentication is refused for this client.
		r.config.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		_, _, err := r.signIn(t, "bob")
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
			t.Errorf("exchange with Basic auth: %v", err)
		}
	})

	t.Run("public client", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}, AuthMethod: oidctest.AuthNone, ClientID: "public-client"})
		r := newRP(t, op)
		r.config.ClientSecret = ""
		r.config.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		if _, tok, err := r.signIn(t, "alice"); err != nil || tok.AccessToken == "" {
			t.Fatalf("exchange without a secret: %v", err)
		}
		// oidc-provider requires PKCE of public clients.
		q := op.Login(t, browser(), r.config.AuthCodeURL("s"), "alice").Query()
		if q.Get("error") != "invalid_request" {
			t.Errorf("without PKCE: %v", q)
		}
	})

	t.Run("wrong client secret", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
		r := newRP(t, op)
		r.config.ClientSecret = "not-the-secret"
		_, _, err := r.signIn(t, "alice")
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
			t.Errorf("exchange: %v", err)
		}
	})

	t.Run("PKCE verifier is checked", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
		r := newRP(t, op)
		f := r.start()
		q := op.Login(t, browser(), f.authURL, "alice").Query()
		_, err := r.config.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Errorf("exchange with the wrong verifier: %v", err)
		}
	})

	t.Run("a code is single use", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
		r := newRP(t, op)
		f := r.start()
		code := op.Login(t, browser(), f.authURL, "alice").Query().Get("code")
		if _, err := r.config.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier)); err != nil {
			t.Fatal(err)
		}
		_, err := r.config.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Errorf("second exchange: %v", err)
		}
	})

	t.Run("RequirePKCE refuses a request without a challenge", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}, RequirePKCE: true})
		r := newRP(t, op)
		u := r.config.AuthCodeURL("some-state")
		q := op.Login(t, browser(), u, "alice").Query()
		if q.Get("error") != "invalid_request" || q.Get("state") != "some-state" {
			t.Errorf("callback %v", q)
		}
		if _, tok, err := r.signIn(t, "alice"); err != nil || tok.AccessToken == "" {
			t.Errorf("with PKCE: %v", err)
		}
	})

	t.Run("ConformIDTokenClaims leaves the profile to userinfo", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}, ConformIDTokenClaims: true})
		r := newRP(t, op)
		_, tok, err := r.signIn(t, "alice")
		if err != nil {
			t.Fatal(err)
		}
		id, err := r.verifier.Verify(t.Context(), idToken(t, tok))
		if err != nil {
			t.Fatal(err)
		}
		var p profile
		id.Claims(&p)
		if p.Sub != "alice" || p.Name != "" || p.Email != "" {
			t.Errorf("ID token claims %+v, want sub only", p)
		}
		info, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		var ip profile
		info.Claims(&ip)
		if ip.Name != "Alice Liddell" || ip.Email != "alice@example.com" {
			t.Errorf("userinfo %+v", ip)
		}
	})

	t.Run("form_post", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
		r := newRP(t, op)
		f := r.start(oauth2.SetAuthURLParam("response_mode", "form_post"))
		action, fields := op.LoginFormPost(t, browser(), f.authURL, "alice")
		if action.String() != redirectURI || fields.Get("state") != f.state || fields.Get("iss") != op.Issuer() || fields.Get("code") == "" {
			t.Fatalf("form post to %s: %v", action, fields)
		}
		tok, err := r.config.Exchange(t.Context(), fields.Get("code"), oauth2.VerifierOption(f.verifier))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.verifier.Verify(t.Context(), idToken(t, tok)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a second sign-in in the same browser skips login and consent", func(t *testing.T) {
		t.Parallel()
		op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
		r := newRP(t, op)
		b := browser()
		if q := op.Login(t, b, r.start().authURL, "alice").Query(); q.Get("code") == "" {
			t.Fatalf("first: %v", q)
		}
		f := r.start()
		q := op.Login(t, b, f.authURL, "").Query() // no login needed
		tok, err := r.config.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(f.verifier))
		if err != nil {
			t.Fatal(err)
		}
		id, err := r.verifier.Verify(t.Context(), idToken(t, tok))
		if err != nil || id.Subject != "alice" {
			t.Fatalf("second: %v %v", id, err)
		}
	})
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}, AccessTokenTTL: 5 * time.Second})
	r := newRP(t, op)
	_, tok, err := r.signIn(t, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.ExpiresIn != 5 {
		t.Fatalf("refresh token %t, expires_in %d", tok.RefreshToken != "", tok.ExpiresIn)
	}
	// Refresh as a client does when the access token has expired.
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	fresh, err := r.config.TokenSource(t.Context(), &stale).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == "" || fresh.AccessToken == tok.AccessToken {
		t.Error("the refresh grant did not issue a new access token")
	}
	id, err := r.verifier.Verify(t.Context(), idToken(t, fresh))
	if err != nil || id.Subject != "alice" {
		t.Fatalf("refreshed ID token: %v", err)
	}
	if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(fresh)); err != nil {
		t.Errorf("userinfo with the refreshed access token: %v", err)
	}

	// A refresh token the provider does not know is refused.
	bogus := &oauth2.Token{RefreshToken: "not-a-refresh-token", Expiry: time.Now().Add(-time.Minute)}
	_, err = r.config.TokenSource(t.Context(), bogus).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("bogus refresh: %v", err)
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
	r := newRP(t, op)
	_, before, err := r.signIn(t, "alice")
	if err != nil {
		t.Fatal(err)
	}
	oldRaw := idToken(t, before)
	oldKid := header(t, oldRaw)["kid"].(string)
	if _, err := r.verifier.Verify(t.Context(), oldRaw); err != nil {
		t.Fatal(err)
	}

	st := op.Rotate(t, true)
	if st.Kid == oldKid || !slices.Equal(st.Kids, []string{st.Kid, oldKid}) {
		t.Fatalf("after rotate(keepOld): %+v, old kid %s", st, oldKid)
	}
	if kids := jwksKids(t, r); !slices.Equal(kids, st.Kids) {
		t.Errorf("JWKS kids %v, want %v", kids, st.Kids)
	}
	// New tokens carry the new kid; the verifier, which cached the old key
	// set, picks the new key up.
	_, after, err := r.signIn(t, "alice")
	if err != nil {
		t.Fatal(err)
	}
	newRaw := idToken(t, after)
	if kid := header(t, newRaw)["kid"]; kid != st.Kid {
		t.Errorf("new ID token kid %v, want %s", kid, st.Kid)
	}
	if _, err := r.verifier.Verify(t.Context(), newRaw); err != nil {
		t.Errorf("verify a token signed with the new key: %v", err)
	}
	if _, err := newRP(t, op).verifier.Verify(t.Context(), oldRaw); err != nil {
		t.Errorf("verify a token signed with the kept old key: %v", err)
	}
	// The provider was rebuilt; its grants survived: the old refresh token works.
	stale := *before
	stale.Expiry = time.Now().Add(-time.Minute)
	if _, err := r.config.TokenSource(t.Context(), &stale).Token(); err != nil {
		t.Errorf("refresh across the rotation: %v", err)
	}

	st2 := op.Rotate(t, false)
	if !slices.Equal(st2.Kids, []string{st2.Kid}) || !slices.Equal(jwksKids(t, r), st2.Kids) {
		t.Fatalf("after rotate(drop old): %+v", st2)
	}
	_, err = newRP(t, op).verifier.Verify(t.Context(), newRaw)
	if err == nil || !strings.Contains(err.Error(), "failed to verify signature") {
		t.Errorf("verify a token whose key was dropped: %v", err)
	}
	_, last, err := r.signIn(t, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.verifier.Verify(t.Context(), idToken(t, last)); err != nil || header(t, idToken(t, last))["kid"] != st2.Kid {
		t.Errorf("a token signed after the second rotation: %v", err)
	}
}

func TestTamper(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
	r := newRP(t, op)
	kid := jwksKids(t, r)[0]

	// check inspects the token response's result; id is nil when the ID
	// token failed verification with verr.
	type result struct {
		flow flow
		tok  *oauth2.Token
		raw  string
		id   *oidc.IDToken
		verr error
	}
	cases := []struct {
		mode  string
		check func(t *testing.T, res result)
	}{
		{oidctest.TamperNone, func(t *testing.T, res result) {
			if res.verr != nil || res.id.Nonce != res.flow.nonce {
				t.Errorf("verify: %v", res.verr)
			}
		}},
		{oidctest.TamperBadSignature, func(t *testing.T, res result) {
			if res.verr == nil || !strings.Contains(res.verr.Error(), "failed to verify signature") {
				t.Errorf("verify: %v, want a signature failure", res.verr)
			}
			if header(t, res.raw)["kid"] != kid {
				t.Error("the kid changed")
			}
		}},
		{oidctest.TamperExpiredIDToken, func(t *testing.T, res result) {
			var exp *oidc.TokenExpiredError
			if !errors.As(res.verr, &exp) || !exp.Expiry.Before(time.Now().Add(-30*time.Minute)) {
				t.Errorf("verify: %v, want a token expired half an hour ago or more", res.verr)
			}
			// Only the times are wrong: the signature is the provider's.
			v := r.provider.Verifier(&oidc.Config{ClientID: op.ClientID(), SkipExpiryCheck: true})
			if _, err := v.Verify(t.Context(), res.raw); err != nil {
				t.Errorf("verify without the expiry check: %v", err)
			}
		}},
		{oidctest.TamperWrongNonce, func(t *testing.T, res result) {
			if res.verr != nil {
				t.Fatalf("verify: %v (only the nonce should be wrong)", res.verr)
			}
			if res.id.Nonce == "" || res.id.Nonce == res.flow.nonce {
				t.Errorf("nonce %q, want one other than %q", res.id.Nonce, res.flow.nonce)
			}
		}},
		{oidctest.TamperWrongAudience, func(t *testing.T, res result) {
			if res.verr == nil || !strings.Contains(res.verr.Error(), "expected audience") {
				t.Errorf("verify: %v, want an audience failure", res.verr)
			}
			v := r.provider.Verifier(&oidc.Config{ClientID: "some-other-client"})
			if _, err := v.Verify(t.Context(), res.raw); err != nil {
				t.Errorf("verify as the other client: %v", err)
			}
		}},
		{oidctest.TamperWrongIssuer, func(t *testing.T, res result) {
			if res.verr == nil || !strings.Contains(res.verr.Error(), "issued by a different provider") {
				t.Errorf("verify: %v, want an issuer failure", res.verr)
			}
		}},
		{oidctest.TamperUnknownKid, func(t *testing.T, res result) {
			if res.verr == nil || !strings.Contains(res.verr.Error(), "failed to verify signature") {
				t.Errorf("verify: %v, want a signature failure", res.verr)
			}
			if k := header(t, res.raw)["kid"]; k == "" || slices.Contains(jwksKids(t, r), k.(string)) {
				t.Errorf("kid %v is in the JWKS", k)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			op.Tamper(t, tc.mode)
			defer op.Reset(t)
			f, tok, err := r.signIn(t, "alice")
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			res := result{flow: f, tok: tok, raw: idToken(t, tok)}
			res.id, res.verr = r.verifier.Verify(t.Context(), res.raw)
			tc.check(t, res)
		})
	}

	t.Run(oidctest.TamperTokenError, func(t *testing.T) {
		op.Tamper(t, oidctest.TamperTokenError)
		defer op.Reset(t)
		_, _, err := r.signIn(t, "alice")
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.ErrorCode != "invalid_grant" || re.ErrorDescription == "" {
			t.Errorf("exchange: %v", err)
		}
	})

	t.Run("refresh responses are tampered too", func(t *testing.T) {
		_, tok, err := r.signIn(t, "alice")
		if err != nil {
			t.Fatal(err)
		}
		op.Tamper(t, oidctest.TamperBadSignature)
		defer op.Reset(t)
		stale := *tok
		stale.Expiry = time.Now().Add(-time.Minute)
		fresh, err := r.config.TokenSource(t.Context(), &stale).Token()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.verifier.Verify(t.Context(), idToken(t, fresh)); err == nil {
			t.Error("the refreshed ID token verified")
		}
	})

	t.Run("reset", func(t *testing.T) {
		op.Tamper(t, oidctest.TamperWrongIssuer)
		if st := op.State(t); st.Mode != oidctest.TamperWrongIssuer {
			t.Fatalf("state %+v", st)
		}
		op.Reset(t)
		_, tok, err := r.signIn(t, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.verifier.Verify(t.Context(), idToken(t, tok)); err != nil {
			t.Errorf("after reset: %v", err)
		}
	})
}

func TestDeny(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t, oidctest.Options{RedirectURIs: []string{redirectURI}})
	r := newRP(t, op)
	f := r.start()
	cb := op.Deny(t, browser(), f.authURL)
	q := cb.Query()
	if !strings.HasPrefix(cb.String(), redirectURI+"?") || q.Get("error") != "access_denied" || q.Get("state") != f.state || q.Get("code") != "" {
		t.Errorf("callback %s", cb.Redacted())
	}
}
