package endpoint

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/accounts"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/telemetry"
	"github.com/ginauth/ginauth/providers"
)

// GET|POST /callback/:provider.
func (h *Handler) callback(r *request) {
	p := h.providers[r.provider]
	switch {
	case p == nil && h.d.StrictRequests:
		r.fail(dialect.CodeConfiguration, http.StatusOK)
		return
	case p == nil:
		r.text(http.StatusBadRequest, "Callback for provider "+quoteProvider(r.provider)+" not supported")
		return
	}
	// Every callback of a configured provider is a sign-in attempt: one
	// span, one count by outcome. The paths that end it set the outcome;
	// any other end is an error.
	tel := h.o.Telemetry
	ctx, span := tel.StartCallback(r.ctx, p.info.ID)
	r.ctx, r.outcome, r.attempt = ctx, telemetry.OutcomeError, true
	switch {
	case p.credentials != nil:
		h.credentialsCallback(r, p)
	case p.email != nil:
		h.emailCallback(r, p)
	case p.passkey != nil:
		h.passkeyCallback(r, p)
	default:
		h.oauthCallback(r, p)
	}
	tel.EndCallback(ctx, span, p.info.ID, r.outcome, r.attempt)
}

// refused records and logs a sign-in that the user's side refused (wrong
// credentials, a failed check, the SignIn callback): reason names which.
// err, when given, must carry no secret.
func (h *Handler) refused(r *request, provider, reason string, err error) {
	r.outcome = telemetry.OutcomeRefused
	attrs := []slog.Attr{telemetry.Event(telemetry.EventSignInRefused), slog.String("provider", provider), slog.String("reason", reason)}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.o.Logger.LogAttrs(r.ctx, slog.LevelInfo, "ginauth: sign-in refused", attrs...)
}

func quoteProvider(id string) string {
	if id == "" {
		return "(none)"
	}
	return url.PathEscape(id)
}

// credentialsCallback signs a user in with a form checked by Authorize.
func (h *Handler) credentialsCallback(r *request, p *provider) {
	if r.c.Request.Method != http.MethodPost {
		r.attempt = false
		if h.d.StrictRequests {
			r.fail(dialect.CodeConfiguration, http.StatusOK)
			return
		}
		r.c.Header("Allow", http.MethodPost)
		r.text(http.StatusMethodNotAllowed, "Callback for provider type credentials not supported")
		return
	}
	if !r.csrfOK {
		h.refused(r, p.info.ID, "csrf", nil)
		r.follow(h.d.CSRFFailed(r.site, "/signin"))
		return
	}
	creds := make(map[string]string, len(r.body))
	for k, v := range r.body {
		if s, ok := v.(string); ok && k != "csrfToken" {
			creds[k] = s
		}
	}
	id := strings.ToLower(strings.TrimSpace(creds[p.credentials.Identifier()]))
	lims := []limit{{"credentials_client", "credentials-client:" + r.c.ClientIP(), h.o.Limits.CredentialsPerClient}}
	if id != "" {
		lims = append(lims, limit{"credentials_identifier", "credentials-id:" + p.info.ID + ":" + id, h.o.Limits.CredentialsPerIdentifier})
	}
	if wait := h.allow(r, "credentials sign-in", lims...); wait > 0 {
		r.outcome = telemetry.OutcomeThrottled
		// The answer of rejected credentials with its own code, whether
		// the account exists or not; Retry-After says when to try again.
		r.c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		to := h.d.CredentialsFailed(r.site, dialect.CodeRateLimited, p.info.ID)
		to.Status = http.StatusTooManyRequests
		r.follow(to)
		return
	}
	user, err := p.credentials.Authorize(r.ctx, creds, r.clientRequest())
	if err != nil || user == nil {
		h.credentialsFailed(r, p.info.ID, err)
		return
	}
	u := *user
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	account := &authjs.Account{Provider: p.info.ID, Type: authjs.TypeCredentials, ProviderAccountID: u.ID}
	h.completeSignIn(r, p, signIn{user: &u, account: account, credentials: creds})
}

// credentialsFailed answers rejected credentials the dialect's way. An
// error that is not a rejection is logged and reported as Configuration,
// without its text.
func (h *Handler) credentialsFailed(r *request, id string, err error) {
	code := "credentials"
	var ce *providers.CredentialsError
	switch {
	case errors.As(err, &ce):
		if ce.Code != "" {
			code = ce.Code
		}
	case err != nil && !errors.Is(err, providers.ErrCredentialsSignin):
		h.log(r.ctx, telemetry.EventSignInError, "authorize failed", err, "provider", id)
		r.fail(dialect.CodeConfiguration, http.StatusUnauthorized)
		return
	}
	// The Authorize error's text is the application's: only its code is
	// logged.
	h.refusedCode(r, id, "credentials", code)
	r.follow(h.d.CredentialsFailed(r.site, code, id))
}

// signIn is a sign-in a provider accepted.
type signIn struct {
	// user is the user the provider vouched for.
	user    *authjs.User
	account *authjs.Account
	profile map[string]any
	// credentials are the submitted fields (credentials providers).
	credentials map[string]string
	// passkey is the passkey ceremony's part (passkey providers).
	passkey *passkeySignIn
}

// completeSignIn runs the SignIn callback, finds or creates the user in the
// adapter (linking the account), starts the session (through the JWT
// callback for the JWT strategy) and redirects to the callback URL, or to
// the new-user page after a sign-up.
func (h *Handler) completeSignIn(r *request, p *provider, in signIn) {
	req := r.clientRequest()
	adapter := h.o.Adapter
	database := r.v.Store.Database()
	// With an adapter, OAuth accounts are always linked to stored users;
	// credentials only need one for a database session.
	stored := adapter != nil && (p.oauth != nil || p.email != nil || p.passkey != nil || database)

	user := in.user
	if stored && p.oauth != nil {
		// The SignIn callback sees the stored user when the account is
		// already linked, as in Auth.js.
		known, err := adapter.GetUserByAccount(r.ctx, in.account.Provider, in.account.ProviderAccountID)
		switch {
		case err == nil:
			user = known
		case !errors.Is(err, authjs.ErrNotFound):
			h.adapterFailed(r, p, err)
			return
		}
	}
	if !h.signInAllowed(r, authjs.SignInParams{User: user, Account: in.account, Profile: in.profile, Credentials: in.credentials, Request: req}) {
		return
	}

	isNew := false
	if stored {
		res, err := h.storedUser(r, p, in)
		switch {
		case errors.Is(err, accounts.ErrNotLinked):
			h.refused(r, p.info.ID, "account_not_linked", err)
			r.fail(dialect.CodeOAuthNotLinked, http.StatusOK)
			return
		case errors.Is(err, errPasskeyNotLinked):
			h.passkeyRefused(r, p, dialect.CodeAccountNotLinked, "account_not_linked", err)
			return
		case errors.Is(err, errPasskeyMismatch):
			h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "session_mismatch", err)
			return
		case err != nil:
			h.adapterFailed(r, p, err)
			return
		}
		user, isNew = res.User, res.Created
		if res.Created {
			fire(h, r, "createUser", h.o.Events.CreateUser, authjs.UserEvent{User: user})
		}
		if res.Linked {
			account := *in.account
			account.UserID = user.ID
			fire(h, r, "linkAccount", h.o.Events.LinkAccount, authjs.LinkAccountEvent{User: user, Account: &account, Profile: in.profile})
		}
		if res.Updated {
			fire(h, r, "updateUser", h.o.Events.UpdateUser, authjs.UserEvent{User: user})
		}
	} else if p.oauth != nil && h.d.RandomOAuthSubject {
		// Without a database @auth/core gives each OAuth sign-in a new
		// random user id; the provider's id is in account.providerAccountId.
		u := *user
		u.ID = uuid.NewString()
		user = &u
	}

	var value string
	var expires time.Time
	var err error
	if database {
		value, expires, err = r.v.Store.Issue(r.ctx, nil, user)
	} else {
		token := authjs.Claims{"sub": user.ID}
		setClaim(token, "name", user.Name)
		setClaim(token, "email", user.Email)
		setClaim(token, "picture", user.Image)
		if cb := h.o.Callbacks.JWT; cb != nil {
			trigger := authjs.TriggerSignIn
			if isNew {
				trigger = authjs.TriggerSignUp
			}
			token, err = cb(r.ctx, authjs.JWTParams{Token: token, User: user, Account: in.account, Profile: in.profile,
				IsNewUser: isNew, Trigger: trigger, Request: req})
			if err != nil {
				h.log(r.ctx, telemetry.EventCallbackFailed, "jwt callback failed", err, "callback", "jwt", "provider", p.info.ID)
				r.fail(dialect.CodeConfiguration, http.StatusOK)
				return
			}
		}
		if token == nil {
			r.clearSession()
		} else {
			value, expires, err = r.v.Store.Issue(r.ctx, token, user)
		}
	}
	if err == nil && value != "" {
		err = r.setSession(value, expires)
	}
	if err != nil {
		h.log(r.ctx, telemetry.EventSessionWriteFailed, "starting the session", err, "provider", p.info.ID)
		r.failWith(dialect.AdapterFailed)
		return
	}
	r.outcome = telemetry.OutcomeSuccess
	if h.o.Logger.Enabled(r.ctx, slog.LevelInfo) {
		h.o.Logger.LogAttrs(r.ctx, slog.LevelInfo, "ginauth: signed in", telemetry.Event(telemetry.EventSignInSuccess),
			slog.String("provider", p.info.ID), slog.String("user_id", user.ID), slog.Bool("new_user", isNew))
	}
	fire(h, r, "signIn", h.o.Events.SignIn, authjs.SignInEvent{User: user, Account: in.account, Profile: in.profile, IsNewUser: isNew, Request: req})
	target := r.callback
	if p := h.o.Pages.NewUser; isNew && p != "" {
		target = r.redirect(p + dialect.Sep(p) + url.Values{"callbackUrl": {r.callback}}.Encode())
	}
	r.redirectTo(target, http.StatusOK)
}

// signInAllowed runs the SignIn callback, if any, and answers a refusal
// (a redirect it asks for, or AccessDenied).
func (h *Handler) signInAllowed(r *request, params authjs.SignInParams) bool {
	cb := h.o.Callbacks.SignIn
	if cb == nil {
		return true
	}
	err := cb(r.ctx, params)
	var re *authjs.RedirectError
	switch {
	case err == nil:
		return true
	case errors.As(err, &re):
		h.refused(r, params.Account.Provider, "signin_callback", nil)
		r.redirectTo(r.redirect(re.URL), http.StatusOK)
	default:
		if errors.Is(err, authjs.ErrAccessDenied) {
			err = nil
		}
		h.refused(r, params.Account.Provider, "signin_callback", err)
		r.fail(dialect.CodeAccessDenied, http.StatusForbidden) // v4's JSON status
	}
	return false
}

// adapterFailed answers a sign-in the adapter could not complete.
func (h *Handler) adapterFailed(r *request, p *provider, err error) {
	h.log(r.ctx, telemetry.EventAdapterError, "adapter failed during sign-in", err, "provider", p.info.ID)
	switch {
	case errors.Is(err, accounts.ErrCreateUser):
		r.failWith(dialect.CreateUserFailed)
		return
	case errors.Is(err, errEmailCreateUser):
		r.failWith(dialect.EmailCreateUserFailed)
		return
	}
	r.failWith(dialect.AdapterFailed)
}

// stored is a sign-in's user in the adapter.
type stored struct {
	accounts.Result
	// Updated reports that the sign-in changed the stored user.
	Updated bool
}

// storedUser finds or creates the stored user of a sign-in. OAuth accounts
// link as Auth.js links them (to the signed-in user when there is one).
// A credentials sign-in belongs to the user its account links to, or to
// the stored user with the same ID and email, or to a new one; the stored
// user's name, email and image follow what Authorize returned.
func (h *Handler) storedUser(r *request, p *provider, in signIn) (stored, error) {
	if p.email != nil {
		return h.emailUser(r, in)
	}
	if p.passkey != nil {
		return h.passkeyStoredUser(r, in)
	}
	a := h.o.Adapter
	req := accounts.Request{Account: *in.account, Profile: *in.user, LinkByEmail: p.linkByEmail}
	if p.oauth != nil {
		current, err := h.currentUser(r)
		if err != nil {
			return stored{}, err
		}
		req.Current = current
		res, err := accounts.Resolve(r.ctx, a, req)
		return stored{Result: res}, err
	}

	var res accounts.Result
	known, err := a.GetUserByAccount(r.ctx, in.account.Provider, in.account.ProviderAccountID)
	switch {
	case err == nil:
		res.User = known
	case !errors.Is(err, authjs.ErrNotFound):
		return stored{}, err
	default:
		same, err := a.GetUser(r.ctx, in.user.ID)
		switch {
		case err == nil && same.Email != "" && same.Email == in.user.Email:
			account := *in.account
			account.UserID = same.ID
			if err := a.LinkAccount(r.ctx, account); err != nil {
				return stored{}, err
			}
			res = accounts.Result{User: same, Linked: true}
		case err != nil && !errors.Is(err, authjs.ErrNotFound):
			return stored{}, err
		default:
			if res, err = accounts.Resolve(r.ctx, a, req); err != nil {
				return stored{}, err
			}
		}
	}
	out := stored{Result: res}
	u, want := *res.User, in.user
	changed := false
	for _, f := range []struct {
		have *string
		want string
	}{{&u.Name, want.Name}, {&u.Email, want.Email}, {&u.Image, want.Image}} {
		if f.want != "" && *f.have != f.want {
			*f.have, changed = f.want, true
		}
	}
	if changed && !res.Created {
		updated, err := a.UpdateUser(r.ctx, u)
		if err != nil {
			return stored{}, err
		}
		out.User, out.Updated = updated, true
	}
	return out, nil
}

// currentUser returns the stored user already signed in on this request,
// for linking a new account to it, or nil. A JWT session names its user by
// "sub" alone, so it counts only when its "email" is the stored user's.
func (h *Handler) currentUser(r *request) (*authjs.User, error) {
	l, _, err := r.readSession()
	if err != nil || l == nil {
		return nil, err
	}
	if l.User != nil {
		return l.User, nil
	}
	sub := l.Claims.Subject()
	if sub == "" {
		return nil, nil
	}
	u, err := h.o.Adapter.GetUser(r.ctx, sub)
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		return nil, nil // a token from before the adapter, or of a deleted user
	case err != nil:
		return nil, err
	}
	// With JWT sessions, credentials sign-ins keep the id Authorize
	// returned, which may also be the id of another, stored user: the
	// token is that user's only if it carries the user's email too.
	if u.Email == "" || u.Email != l.Claims.String("email") {
		return nil, nil
	}
	return u, nil
}

// fire runs an event handler, if any, and logs its error.
func fire[E any](h *Handler, r *request, name string, fn func(context.Context, E) error, e E) {
	if fn != nil {
		h.event(r, name, fn(r.ctx, e))
	}
}

func setClaim(t authjs.Claims, k, v string) {
	if v != "" {
		t[k] = v
	}
}

// refusedCode is refused for rejected credentials, logging the code the
// answer carries.
func (h *Handler) refusedCode(r *request, provider, reason, code string) {
	r.outcome = telemetry.OutcomeRefused
	h.o.Logger.LogAttrs(r.ctx, slog.LevelInfo, "ginauth: sign-in refused", telemetry.Event(telemetry.EventSignInRefused),
		slog.String("provider", provider), slog.String("reason", reason), slog.String("code", code))
}
