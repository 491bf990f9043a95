package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/telemetry"
	"github.com/ginauth/ginauth/providers"
)

// Refresh exchanges a refresh token for new tokens at the provider's token
// endpoint. Concurrent refreshes of one grant (the same refresh token)
// share one request, so a burst of requests with an expired access token
// does not spend a rotating refresh token twice. When the provider does not
// rotate the refresh token, the returned Tokens keep the one given.
func (e *Engine) Refresh(ctx context.Context, refreshToken string) (*providers.Tokens, error) {
	if refreshToken == "" {
		return nil, providers.ErrNoRefreshToken
	}
	key := sha256.Sum256([]byte(refreshToken)) // not the token itself as a map key
	ch := e.refreshing.DoChan(string(key[:]), func() (any, error) {
		// The shared request must not fail because the first caller left.
		cctx := context.WithoutCancel(ctx)
		cfg, err := e.config(cctx, "")
		if err != nil {
			return nil, err
		}
		src := cfg.TokenSource(telemetry.WithOp(e.clientContext(cctx), telemetry.OpToken), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
		tok, err := src.Token()
		if err != nil {
			return nil, tokenError(err)
		}
		t := toTokens(tok)
		if t.RefreshToken == "" {
			t.RefreshToken = refreshToken
		}
		// A refreshed ID token is verified like the first one (OpenID
		// Connect Core section 12.2), but carries no nonce.
		if e.typ == authjs.TypeOIDC && t.IDToken != "" {
			if _, err := e.verifyIDToken(cctx, t.IDToken, ""); err != nil {
				return nil, err
			}
		}
		return t, nil
	})
	e.wait()
	shared, err := await[*providers.Tokens](ctx, ch)
	if err != nil {
		return nil, err
	}
	t := *shared // each caller gets its own copy
	return &t, nil
}

// RefreshClaims keeps the provider tokens stored in session claims fresh:
// it reads "access_token", "refresh_token" and "expires_at" (Unix seconds)
// from claims and, when the access token expires within leeway of now,
// refreshes and writes the new values back. It reports whether it
// refreshed. Claims without expires_at are left alone. A refreshed ID token
// replaces the claims' "id_token" only when it is about the same subject.
func (e *Engine) RefreshClaims(ctx context.Context, claims authjs.Claims, now time.Time, leeway time.Duration) (bool, error) {
	exp, ok := numberClaim(claims["expires_at"])
	if !ok || now.Add(leeway).Unix() < exp {
		return false, nil
	}
	rt, _ := claims["refresh_token"].(string)
	if rt == "" {
		return false, fmt.Errorf("%w: the access token expired", providers.ErrNoRefreshToken)
	}
	t, err := e.Refresh(ctx, rt)
	if err != nil {
		return false, err
	}
	old, had := claims["id_token"].(string)
	if had && t.IDToken != "" && subject(old) != subject(t.IDToken) {
		return false, fmt.Errorf("%w: the refreshed ID token is about another subject", ErrIDToken)
	}
	claims["access_token"] = t.AccessToken
	claims["refresh_token"] = t.RefreshToken
	if t.ExpiresAt != 0 {
		claims["expires_at"] = t.ExpiresAt
	} else {
		delete(claims, "expires_at")
	}
	if had && t.IDToken != "" {
		claims["id_token"] = t.IDToken
	}
	return true, nil
}

// subject returns an ID token's "sub" without verifying it: the old token
// was verified at sign-in and kept inside the encrypted session, the new
// one by Refresh. "" when it does not parse.
func subject(idToken string) string {
	tok, err := jwt.ParseSigned(idToken, allowedAlgs)
	if err != nil {
		return ""
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return ""
	}
	return c.Subject
}

// allowedAlgs are the ID token signature algorithms subject parses; the
// verification itself is go-oidc's, with the provider's advertised ones.
var allowedAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.HS256, jose.HS384, jose.HS512,
}

func numberClaim(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}
