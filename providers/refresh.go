package providers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// Refresh exchanges a refresh token for new tokens at the provider's token
// endpoint. Concurrent refreshes of the same grant (the same refresh token)
// share one request, so a burst of requests with an expired access token
// does not spend a rotating refresh token twice. When the provider does not
// rotate the refresh token, the returned Tokens keep the one given. A
// refusal is a *TokenError (errors.Is(err, ErrTokenEndpoint)); its Code is
// "invalid_grant" when the grant was revoked or expired and the user must
// sign in again.
func (p *OAuth) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, ErrNoRefreshToken
	}
	ch := p.refresh.DoChan(refreshKey(refreshToken), func() (any, error) {
		// The shared request must not fail because the first caller left.
		cctx := context.WithoutCancel(ctx)
		cfg, err := p.config(cctx, "")
		if err != nil {
			return nil, err
		}
		src := cfg.TokenSource(p.clientContext(cctx), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
		tok, err := src.Token()
		if err != nil {
			return nil, tokenError(err)
		}
		t := toTokens(tok)
		if t.RefreshToken == "" {
			t.RefreshToken = refreshToken
		}
		return t, nil
	})
	refreshJoined()
	shared, err := await[*Tokens](ctx, ch)
	if err != nil {
		return nil, err
	}
	t := *shared // each caller gets its own copy
	return &t, nil
}

// RefreshClaims keeps the provider tokens stored in session claims fresh,
// for use in the JWT callback. It reads "access_token", "refresh_token" and
// "expires_at" (Unix seconds, as Account.ExpiresAt) from claims; when the
// access token expires within leeway of now, it refreshes and writes the
// new values back. It reports whether it refreshed. A claims set without
// expires_at is left alone.
//
// On a refusal the claims are unchanged and the error is a *TokenError:
// the usual answer is to end the session (return nil claims from the JWT
// callback) or to mark it, as Auth.js's guides do with
// error="RefreshTokenError".
func (p *OAuth) RefreshClaims(ctx context.Context, claims map[string]any, now time.Time, leeway time.Duration) (bool, error) {
	exp, ok := numberClaim(claims["expires_at"])
	if !ok || now.Add(leeway).Unix() < exp {
		return false, nil
	}
	rt, _ := claims["refresh_token"].(string)
	if rt == "" {
		return false, fmt.Errorf("%w: the access token expired", ErrNoRefreshToken)
	}
	t, err := p.Refresh(ctx, rt)
	if err != nil {
		return false, err
	}
	claims["access_token"] = t.AccessToken
	claims["refresh_token"] = t.RefreshToken
	if t.ExpiresAt != 0 {
		claims["expires_at"] = t.ExpiresAt
	} else {
		delete(claims, "expires_at")
	}
	if t.IDToken != "" {
		if _, had := claims["id_token"]; had {
			claims["id_token"] = t.IDToken
		}
	}
	return true, nil
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

// refreshJoined runs once a caller has joined (or started) a refresh; tests
// replace it to know every caller is waiting on the shared request.
var refreshJoined = func() {}
