package endpoint

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/email"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/telemetry"
	"github.com/ginauth/ginauth/providers"
	"github.com/ginauth/ginauth/throttle"
)

// maxEmailLen bounds a submitted address (RFC 5321's path limit).
const maxEmailLen = 254

// errBadEmail reports an address the default rules refuse.
var errBadEmail = errors.New("invalid email address")

// Limits bound sign-in attempts.
type Limits struct {
	// EmailPerAddress and EmailPerClient bound the sign-in links sent per
	// address and per client address; a request over a limit is answered
	// as if the link were sent.
	EmailPerAddress, EmailPerClient throttle.Limiter
	// CredentialsPerIdentifier and CredentialsPerClient bound credentials
	// attempts per submitted account name and per client address.
	CredentialsPerIdentifier, CredentialsPerClient throttle.Limiter
	// PasskeyOptionsPerClient bounds the passkey ceremonies (each one a
	// stored challenge) one client address may start.
	PasskeyOptionsPerClient throttle.Limiter
}

// limit is one limiter with its key.
type limit struct {
	name, key string
	limiter   throttle.Limiter
}

// allow takes one event from each limiter and returns the longest wait
// of those that refused, or 0. A limiter that fails lets the request
// through, and is logged: an outage of a shared limiter store must not lock
// everyone out.
func (h *Handler) allow(r *request, what string, limits ...limit) time.Duration {
	var wait time.Duration
	for _, l := range limits {
		if l.limiter == nil {
			continue
		}
		d, err := l.limiter.Allow(r.ctx, l.key)
		switch {
		case err != nil:
			h.log(r.ctx, telemetry.EventThrottleError, what+": the limiter failed", err, "limit", l.name)
		case !d.Allowed:
			h.o.Telemetry.Throttled(r.ctx, l.name)
			h.o.Logger.WarnContext(r.ctx, "ginauth: "+what+" throttled", telemetry.Event(telemetry.EventThrottleLimited),
				"limit", l.name, "client", r.c.ClientIP(), "retry_after", d.RetryAfter.Round(time.Second).String())
			wait = max(wait, d.RetryAfter, time.Second)
		}
	}
	return wait
}

// emailProvider is an email provider with its defaults applied.
type emailProvider struct {
	providers.Email
	secret string // hashed with the token
}

func newEmail(e providers.Email, o Options) (*provider, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if o.Adapter == nil {
		return nil, errors.New("an email provider needs an Adapter to keep its verification tokens and users")
	}
	if e.MaxAge == 0 {
		e.MaxAge = providers.DefaultEmailMaxAge
	}
	secret := e.Secret
	if secret == "" {
		secret = o.CSRFSecret
	}
	return &provider{info: e.Info(), email: &emailProvider{Email: e, secret: secret}}, nil
}

// normalizeEmail applies the dialect's rules (spec §10 step 1): NFKC, lower
// case, trimmed, exactly one "@", no quote, a non-empty local part and
// domain, the domain cut at a ","; v4 also wants a "." in the domain. The
// result must then be one plain address as email.ValidateAddress defines
// it, so that whatever Sender the application has gets no identifier that
// a mail library could read as a display name, a comment, a list or
// another address: no whitespace, control or invisible formatting
// characters, no <>()[]\,;: and no empty or over-long parts. Auth.js lets
// those through to its sender; here they are refused before a token is
// stored.
func (h *Handler) normalizeEmail(p *emailProvider, raw string) (string, error) {
	if p.Normalize != nil {
		return p.Normalize(raw)
	}
	if len(raw) > 4*maxEmailLen {
		return "", errBadEmail
	}
	s := strings.ToLower(strings.TrimSpace(norm.NFKC.String(raw)))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(domain, "@") || strings.Contains(s, `"`) {
		return "", errBadEmail
	}
	domain, _, _ = strings.Cut(domain, ",")
	if local == "" || domain == "" || (h.d.EmailDomainNeedsDot && !strings.Contains(domain, ".")) {
		return "", errBadEmail
	}
	addr := local + "@" + domain
	if err := email.ValidateAddress(addr); err != nil {
		return "", fmt.Errorf("%w: %w", errBadEmail, err)
	}
	return addr, nil
}

// hashToken is what the adapter keeps of a token: hex(sha256(token+secret)).
func (p *emailProvider) hashToken(token string) string {
	sum := sha256.Sum256([]byte(token + p.secret))
	return hex.EncodeToString(sum[:])
}

func (p *emailProvider) newToken() (string, error) {
	if p.GenerateToken != nil {
		return p.GenerateToken()
	}
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b), nil
}

// emailSignIn sends a sign-in link (POST /signin/:provider, CSRF already
// checked) and sends the browser to the verify-request page.
func (h *Handler) emailSignIn(r *request, p *provider) {
	e := p.email
	raw, _ := r.body["email"].(string)
	addr, err := h.normalizeEmail(e, raw)
	if err != nil {
		h.o.Logger.DebugContext(r.ctx, "ginauth: email sign-in refused an address", telemetry.Event(telemetry.EventEmailRefused), "provider", p.info.ID, "error", err.Error())
		r.failWith(dialect.EmailSignInFailed)
		return
	}
	verify := r.site.Base() + "/verify-request?" + formEncode("provider", p.info.ID, "type", string(authjs.TypeEmail))
	if h.allow(r, "email sign-in",
		limit{"email_client", "email-client:" + r.c.ClientIP(), h.o.Limits.EmailPerClient},
		limit{"email_address", "email-address:" + addr, h.o.Limits.EmailPerAddress}) > 0 {
		// Answered as a sent link, so that limits tell nothing about
		// addresses.
		r.redirectTo(verify, http.StatusOK)
		return
	}
	a := h.o.Adapter
	user, err := a.GetUserByEmail(r.ctx, addr)
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		id := addr
		if h.d.RandomOAuthSubject { // v5 gives the placeholder a random id
			id = uuid.NewString()
		}
		user = &authjs.User{ID: id, Email: addr}
	case err != nil:
		h.log(r.ctx, telemetry.EventAdapterError, "email sign-in: looking up the user", err, "provider", p.info.ID)
		r.failWith(dialect.EmailSignInFailed)
		return
	}
	account := &authjs.Account{Provider: p.info.ID, Type: authjs.TypeEmail, ProviderAccountID: addr, UserID: user.ID}
	if !h.signInAllowed(r, authjs.SignInParams{User: user, Account: account, VerificationRequest: true, Request: r.clientRequest()}) {
		return
	}
	token, err := e.newToken()
	if err != nil || token == "" {
		h.log(r.ctx, telemetry.EventEmailError, "email sign-in: making the token", errors.Join(err, errors.New("empty token")), "provider", p.info.ID)
		r.failWith(dialect.EmailSignInFailed)
		return
	}
	expires := h.o.Now().Add(e.MaxAge)
	if err := a.CreateVerificationToken(r.ctx, authjs.VerificationToken{Identifier: addr, Token: e.hashToken(token), Expires: expires}); err != nil {
		h.log(r.ctx, telemetry.EventAdapterError, "email sign-in: storing the token", err, "provider", p.info.ID)
		r.failWith(dialect.EmailSignInFailed)
		return
	}
	// The link's origin is the configured one (or the trusted proxy's),
	// never a Host header the configuration does not vouch for.
	link := r.site.Base() + "/callback/" + p.info.ID + "?" + formEncode("callbackUrl", r.callback, "token", token, "email", addr)
	vr := providers.VerificationRequest{Identifier: addr, URL: link, Expires: expires, Token: token, Provider: p.info.ID,
		Theme: providers.Theme{Name: h.o.Brand.Name, Color: h.o.Brand.Color, LogoURL: h.o.Brand.LogoURL}, Request: r.clientRequest()}
	if err := e.Sender.SendVerificationRequest(r.ctx, vr); err != nil {
		h.log(r.ctx, telemetry.EventEmailError, "email sign-in: sending the link", err, "provider", p.info.ID)
		r.failWith(dialect.EmailSignInFailed)
		return
	}
	r.redirectTo(verify, http.StatusOK)
}

// emailCallback signs in with a link's token (GET /callback/:provider).
func (h *Handler) emailCallback(r *request, p *provider) {
	e := p.email
	q := r.c.Request.URL.Query()
	token, addr := q.Get("token"), q.Get("email")
	if token == "" {
		h.refused(r, p.info.ID, "no_token", nil)
		r.failWith(dialect.EmailTokenMissing)
		return
	}
	a := h.o.Adapter
	vt, err := a.UseVerificationToken(r.ctx, addr, e.hashToken(token))
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		h.refused(r, p.info.ID, "verification", nil)
		r.fail(dialect.CodeVerification, http.StatusOK)
		return
	case err != nil:
		h.adapterFailed(r, p, err)
		return
	case vt.Identifier != addr || !vt.Expires.After(h.o.Now()):
		h.refused(r, p.info.ID, "verification", nil)
		r.fail(dialect.CodeVerification, http.StatusOK)
		return
	}
	user, err := a.GetUserByEmail(r.ctx, addr)
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		user = &authjs.User{ID: uuid.NewString(), Email: addr}
	case err != nil:
		h.adapterFailed(r, p, err)
		return
	}
	account := &authjs.Account{Provider: p.info.ID, Type: authjs.TypeEmail, ProviderAccountID: addr, UserID: user.ID}
	h.completeSignIn(r, p, signIn{user: user, account: account})
}

// emailUser marks the stored user of an email sign-in verified, or creates
// it verified.
func (h *Handler) emailUser(r *request, in signIn) (stored, error) {
	a := h.o.Adapter
	now := h.o.Now().UTC()
	u, err := a.GetUserByEmail(r.ctx, in.user.Email)
	switch {
	case err == nil:
		u.EmailVerified = &now
		updated, err := a.UpdateUser(r.ctx, *u)
		if err != nil {
			return stored{}, err
		}
		out := stored{Updated: true}
		out.User = updated
		return out, nil
	case !errors.Is(err, authjs.ErrNotFound):
		return stored{}, err
	}
	created, err := a.CreateUser(r.ctx, authjs.User{Email: in.user.Email, EmailVerified: &now})
	if errors.Is(err, authjs.ErrConflict) { // a concurrent sign-in created it
		if u, err := a.GetUserByEmail(r.ctx, in.user.Email); err == nil {
			out := stored{}
			out.User = u
			return out, nil
		}
	}
	if err != nil {
		return stored{}, errors.Join(errEmailCreateUser, err)
	}
	out := stored{}
	out.User, out.Created = created, true
	return out, nil
}

// errEmailCreateUser marks a failure to create an email sign-in's user.
var errEmailCreateUser = errors.New("creating the user failed")

// formEncode encodes pairs as JavaScript's URLSearchParams does (in order;
// space as "+"; only *-._ and alphanumerics left as they are).
func formEncode(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		formEscape(&b, pairs[i])
		b.WriteByte('=')
		formEscape(&b, pairs[i+1])
	}
	return b.String()
}

func formEscape(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
}
