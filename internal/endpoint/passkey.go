package endpoint

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/accounts"
	"github.com/ginauth/ginauth/internal/checks"
	"github.com/ginauth/ginauth/internal/dialect"
	"github.com/ginauth/ginauth/internal/telemetry"
	"github.com/ginauth/ginauth/providers"
)

// The passkey ceremonies, as the options query and the callback body name
// them.
const (
	passkeyRegister     = "register"
	passkeyAuthenticate = "authenticate"
)

// challengeIdentifier prefixes the verification token that keeps a passkey
// challenge single use.
const challengeIdentifier = "webauthn-challenge:"

// passkeyAlgs are the COSE algorithms registration offers and accepts, as
// @auth/core's passkey provider offers them: Ed25519, ES256, RS256.
var passkeyAlgs = []webauthncose.COSEAlgorithmIdentifier{webauthncose.AlgEdDSA, webauthncose.AlgES256, webauthncose.AlgRS256}

// passkeyProvider is a passkey provider with its defaults applied.
type passkeyProvider struct {
	providers.WebAuthn
	adapter authjs.WebAuthnAdapter
	rp      *webauthn.WebAuthn
	rpID    string
	// secret is hashed with a challenge into its verification token.
	secret string
}

func newPasskey(w providers.WebAuthn, o Options) (*provider, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	if !o.Dialect.WebAuthn {
		return nil, errors.New("passkeys need Auth.js v5's dialect (Mode v5): NextAuth.js v4 has no passkey provider")
	}
	if o.Site == nil || o.Site.Origin == "" {
		return nil, errors.New("a passkey provider needs Config.URL: the relying party and its origin come from the configured URL, never from a request")
	}
	if o.Adapter == nil {
		return nil, errors.New("a passkey provider needs an Adapter to keep users and their passkeys")
	}
	wa, ok := o.Adapter.(authjs.WebAuthnAdapter)
	if !ok {
		return nil, errors.New("a passkey provider needs an Adapter that keeps passkeys (authjs.WebAuthnAdapter)")
	}
	u, err := url.Parse(o.Site.Origin)
	if err != nil {
		return nil, fmt.Errorf("the configured URL: %w", err)
	}
	if w.RPID == "" {
		w.RPID = u.Hostname()
	}
	if w.RPName == "" {
		w.RPName = u.Host
	}
	if len(w.Origins) == 0 {
		w.Origins = []string{o.Site.Origin}
	}
	w.Origins = append([]string(nil), w.Origins...)
	for i, origin := range w.Origins {
		w.Origins[i] = strings.TrimSuffix(strings.ToLower(origin), "/")
		ou, _ := url.Parse(w.Origins[i])
		if host := ou.Hostname(); host != w.RPID && !strings.HasSuffix(host, "."+w.RPID) {
			return nil, fmt.Errorf("the passkey origin %q is not on the relying party id %q or a subdomain of it", origin, w.RPID)
		}
	}
	if w.Timeout == 0 {
		w.Timeout = providers.DefaultPasskeyTimeout
	}
	rp, err := webauthn.New(&webauthn.Config{RPID: w.RPID, RPDisplayName: w.RPName, RPOrigins: w.Origins,
		// No extension output is used; as @simplewebauthn/server, outputs
		// a browser or password manager adds unasked are ignored.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore})
	if err != nil {
		return nil, fmt.Errorf("passkey relying party: %w", err)
	}
	return &provider{info: w.Info(), passkey: &passkeyProvider{WebAuthn: w, adapter: wa, rp: rp, rpID: w.RPID, secret: o.CSRFSecret}}, nil
}

// passkeyChallenge is what the challenge cookie keeps between the options
// and the callback.
type passkeyChallenge struct {
	// ID names the challenge's verification token.
	ID string `json:"id"`
	// Challenge is the challenge, base64url as in the options.
	Challenge string `json:"challenge"`
	// Action is the ceremony: register or authenticate.
	Action string `json:"action"`
	// Handle is the user handle a registration gave the authenticator
	// (the options' user.id): it becomes the passkey's account id.
	Handle string `json:"handle,omitempty"`
	// Email is the address of the account a signed-out registration
	// creates (Auth.js's registerData).
	Email string `json:"email,omitempty"`
	// UserID is the signed-in user a registration adds the passkey to.
	UserID string `json:"userId,omitempty"`
}

// tokenHash is what the adapter keeps of a challenge:
// hex(sha256(id + challenge + secret)).
func (p *passkeyProvider) tokenHash(ch passkeyChallenge) string {
	sum := sha256.Sum256([]byte(ch.ID + ch.Challenge + p.secret))
	return hex.EncodeToString(sum[:])
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// credentialDescriptor is an excludeCredentials or allowCredentials entry.
type credentialDescriptor struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"`
	Transports []string `json:"transports,omitempty"`
}

// credParam is a pubKeyCredParams entry.
type credParam struct {
	Alg  int    `json:"alg"`
	Type string `json:"type"`
}

// registrationOptions are PublicKeyCredentialCreationOptionsJSON, in the
// order @simplewebauthn/server writes them.
type registrationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		Name string `json:"name"`
		ID   string `json:"id"`
	} `json:"rp"`
	User struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	} `json:"user"`
	PubKeyCredParams       []credParam            `json:"pubKeyCredParams"`
	Timeout                int64                  `json:"timeout"`
	Attestation            string                 `json:"attestation"`
	ExcludeCredentials     []credentialDescriptor `json:"excludeCredentials"`
	AuthenticatorSelection struct {
		ResidentKey        string `json:"residentKey"`
		UserVerification   string `json:"userVerification"`
		RequireResidentKey bool   `json:"requireResidentKey"`
	} `json:"authenticatorSelection"`
	Extensions struct {
		CredProps bool `json:"credProps"`
	} `json:"extensions"`
}

// authenticationOptions are PublicKeyCredentialRequestOptionsJSON.
type authenticationOptions struct {
	Challenge        string                 `json:"challenge"`
	AllowCredentials []credentialDescriptor `json:"allowCredentials,omitempty"`
	Timeout          int64                  `json:"timeout"`
	UserVerification string                 `json:"userVerification"`
	RPID             string                 `json:"rpId"`
}

// GET /webauthn-options/:provider?action=register|authenticate[&email=]:
// the options of a passkey ceremony, by @auth/core's rules, with the
// challenge cookie.
func (h *Handler) webAuthnOptions(r *request) {
	p := h.providers[r.provider]
	if p == nil || p.passkey == nil || r.c.Request.Method != http.MethodGet {
		r.fail(dialect.CodeConfiguration, http.StatusOK)
		return
	}
	pk := p.passkey
	r.setNoStore()
	// Every ceremony stores a challenge: one client may start only so
	// many. The answer is the JSON error the endpoint's other refusals
	// use, with the wait in Retry-After.
	if wait := h.allow(r, "passkey options", limit{"passkey_client", "passkey-client:" + r.c.ClientIP(), h.o.Limits.PasskeyOptionsPerClient}); wait > 0 {
		r.c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		r.json(http.StatusTooManyRequests, map[string]string{"error": "Too many requests"})
		return
	}
	action, hasAction := r.c.GetQuery("action")
	if hasAction && action != passkeyRegister && action != passkeyAuthenticate {
		r.json(http.StatusBadRequest, map[string]string{"error": "Invalid action"})
		return
	}
	current, err := h.currentUser(r)
	if err != nil {
		h.log(r.ctx, telemetry.EventSessionReadFailed, "passkey options: reading the session", err, "provider", p.info.ID)
		r.failWith(dialect.AdapterFailed)
		return
	}
	// The user the request names: the signed-in one, else the one with
	// the email query (existing or to be created).
	user, exists := current, current != nil
	if raw := r.c.Query("email"); current == nil && raw != "" {
		addr, err := h.normalizeEmail(&emailProvider{}, raw)
		if err != nil && action != passkeyAuthenticate {
			r.json(http.StatusBadRequest, map[string]string{"error": "Invalid request"})
			return
		}
		// A malformed address names no account: a sign-in goes on
		// usernameless.
		if err == nil {
			known, err := h.o.Adapter.GetUserByEmail(r.ctx, addr)
			switch {
			case err == nil:
				user, exists = known, true
			case errors.Is(err, authjs.ErrNotFound):
				user = &authjs.User{Email: addr}
			default:
				h.log(r.ctx, telemetry.EventAdapterError, "passkey options: looking up the user", err, "provider", p.info.ID)
				r.failWith(dialect.AdapterFailed)
				return
			}
		}
	}
	decision := ""
	switch action {
	case passkeyAuthenticate:
		decision = passkeyAuthenticate
	case passkeyRegister:
		// Only a signed-in user, or a new address when signed out.
		if user != nil && (current != nil) == exists {
			decision = passkeyRegister
		}
	default: // no action
		if current == nil {
			decision = passkeyAuthenticate
			if user != nil && !exists {
				decision = passkeyRegister
			}
		}
	}
	if decision == passkeyRegister && (user.Email == "" || (current == nil && pk.DisableSignUp)) {
		decision = ""
	}
	switch decision {
	case passkeyRegister:
		h.registrationOptions(r, p, user, current)
	case passkeyAuthenticate:
		if !exists {
			user = nil
		}
		h.authenticationOptions(r, p, user)
	default:
		r.json(http.StatusBadRequest, map[string]string{"error": "Invalid request"})
	}
}

// descriptors lists a user's passkeys for excludeCredentials or
// allowCredentials.
func (p *passkeyProvider) descriptors(r *request, userID string) ([]credentialDescriptor, error) {
	list, err := p.adapter.ListAuthenticatorsByUserID(r.ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]credentialDescriptor, 0, len(list))
	for _, a := range list {
		id, err := decodeCredentialID(a.CredentialID)
		if err != nil {
			continue // not a credential an authenticator could hold
		}
		d := credentialDescriptor{ID: base64.RawURLEncoding.EncodeToString(id), Type: "public-key"}
		if a.Transports != "" {
			d.Transports = strings.Split(a.Transports, ",")
		}
		out = append(out, d)
	}
	return out, nil
}

// newChallenge makes ch's challenge, records it as a verification token
// that expires with the cookie, and queues the cookie.
func (h *Handler) newChallenge(r *request, p *provider, ch passkeyChallenge) (passkeyChallenge, error) {
	var raw [32]byte
	rand.Read(raw[:])
	ch.ID = randomHex(16)
	ch.Challenge = base64.RawURLEncoding.EncodeToString(raw[:])
	value, err := json.Marshal(ch)
	if err != nil {
		return ch, err
	}
	ck, err := r.v.Checks.Seal(checks.WebAuthn, p.info.ID, string(value))
	if err != nil {
		return ch, err
	}
	vt := authjs.VerificationToken{Identifier: challengeIdentifier + ch.ID, Token: p.passkey.tokenHash(ch), Expires: h.o.Now().Add(checks.MaxAge)}
	if err := h.o.Adapter.CreateVerificationToken(r.ctx, vt); err != nil {
		return ch, err
	}
	r.cookies = append(r.cookies, ck)
	return ch, nil
}

func (h *Handler) registrationOptions(r *request, p *provider, user, current *authjs.User) {
	pk := p.passkey
	ch := passkeyChallenge{Action: passkeyRegister, Handle: randomHex(32)}
	var o registrationOptions
	o.ExcludeCredentials = []credentialDescriptor{}
	if current != nil {
		ch.UserID = current.ID
		list, err := pk.descriptors(r, current.ID)
		if err != nil {
			h.log(r.ctx, telemetry.EventAdapterError, "passkey options: listing passkeys", err, "provider", p.info.ID)
			r.failWith(dialect.AdapterFailed)
			return
		}
		o.ExcludeCredentials = list
	} else {
		ch.Email = user.Email
	}
	ch, err := h.newChallenge(r, p, ch)
	if err != nil {
		h.log(r.ctx, telemetry.EventAdapterError, "passkey options: keeping the challenge", err, "provider", p.info.ID)
		r.failWith(dialect.AdapterFailed)
		return
	}
	o.Challenge = ch.Challenge
	o.RP.Name, o.RP.ID = pk.RPName, pk.rpID
	o.User.ID, o.User.Name, o.User.DisplayName = ch.Handle, user.Email, user.Email
	if user.Name != "" {
		o.User.DisplayName = user.Name
	}
	for _, a := range passkeyAlgs {
		o.PubKeyCredParams = append(o.PubKeyCredParams, credParam{Alg: int(a), Type: "public-key"})
	}
	o.Timeout = pk.Timeout.Milliseconds()
	o.Attestation = "none"
	o.AuthenticatorSelection.ResidentKey = "required"
	o.AuthenticatorSelection.UserVerification = "required"
	o.AuthenticatorSelection.RequireResidentKey = true
	o.Extensions.CredProps = true
	r.json(http.StatusOK, struct {
		Action  string              `json:"action"`
		Options registrationOptions `json:"options"`
	}{passkeyRegister, o})
}

// authenticationOptions answers the options of a sign-in: usernameless
// without a known user, else limited to the user's passkeys.
func (h *Handler) authenticationOptions(r *request, p *provider, user *authjs.User) {
	pk := p.passkey
	var o authenticationOptions
	if user != nil {
		list, err := pk.descriptors(r, user.ID)
		if err != nil {
			h.log(r.ctx, telemetry.EventAdapterError, "passkey options: listing passkeys", err, "provider", p.info.ID)
			r.failWith(dialect.AdapterFailed)
			return
		}
		o.AllowCredentials = list
	}
	ch, err := h.newChallenge(r, p, passkeyChallenge{Action: passkeyAuthenticate})
	if err != nil {
		h.log(r.ctx, telemetry.EventAdapterError, "passkey options: keeping the challenge", err, "provider", p.info.ID)
		r.failWith(dialect.AdapterFailed)
		return
	}
	o.Challenge = ch.Challenge
	o.Timeout = pk.Timeout.Milliseconds()
	o.UserVerification = "required"
	o.RPID = pk.rpID
	r.json(http.StatusOK, struct {
		Action  string                `json:"action"`
		Options authenticationOptions `json:"options"`
	}{passkeyAuthenticate, o})
}

// decodeCredentialID decodes a credential ID as Auth.js stores it
// (standard base64 with padding), also accepting base64url.
func decodeCredentialID(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err == nil && len(b) == 0 {
		err = errors.New("empty credential id")
	}
	return b, err
}

// encodeCredentialID encodes a credential ID or public key as Auth.js
// stores it: standard base64 with padding.
func encodeCredentialID(b []byte) string {
	return base64.StdEncoding.EncodeToString(b)
}

// Errors of a passkey sign-in that completeSignIn answers.
var (
	// errPasskeyNotLinked: the passkey belongs to another user than the
	// signed-in one, or a new account's address is taken (Auth.js's
	// AccountNotLinked).
	errPasskeyNotLinked = errors.New("passkey: the account is linked to another user")
	// errPasskeyMismatch: the session changed between the options and the
	// registration.
	errPasskeyMismatch = errors.New("passkey: the registration was started by another session")
)

// passkeySignIn is what a passkey ceremony adds to a sign-in.
type passkeySignIn struct {
	// current is the signed-in user, or nil.
	current *authjs.User
	// authenticator is the passkey a registration stores; nil when
	// signing in.
	authenticator *authjs.Authenticator
}

// passkeyUser is a stored passkey as go-webauthn sees it.
type passkeyUser struct {
	id   []byte
	cred []webauthn.Credential
}

func (u passkeyUser) WebAuthnID() []byte                         { return u.id }
func (u passkeyUser) WebAuthnName() string                       { return "" }
func (u passkeyUser) WebAuthnDisplayName() string                { return "" }
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.cred }

// passkeyRefused answers a passkey callback that failed, without a
// session and without cookies, and records why.
func (h *Handler) passkeyRefused(r *request, p *provider, code, reason string, err error) {
	h.refused(r, p.info.ID, reason, err)
	r.fail(code, http.StatusOK)
}

// passkeyCallback completes a passkey ceremony (POST /callback/:provider
// with action, data and, for a registration, email): the challenge
// cookie's challenge is used once, the response verified by go-webauthn,
// and the user signed in as after any other sign-in.
func (h *Handler) passkeyCallback(r *request, p *provider) {
	if r.c.Request.Method != http.MethodPost {
		r.fail(dialect.CodeConfiguration, http.StatusOK)
		return
	}
	pk := p.passkey
	action := r.field("action")
	if action != passkeyRegister && action != passkeyAuthenticate {
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "invalid_action", nil)
		return
	}
	data := []byte(r.field("data"))
	var head map[string]json.RawMessage
	var id string
	if json.Unmarshal(data, &head) != nil || json.Unmarshal(head["id"], &id) != nil {
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "invalid_response", nil)
		return
	}
	raw, err := r.v.Checks.Open(r.c.Request, checks.WebAuthn, p.info.ID)
	if err != nil {
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "challenge_cookie", err)
		return
	}
	var ch passkeyChallenge
	if err := json.Unmarshal([]byte(raw), &ch); err != nil || ch.ID == "" || ch.Challenge == "" {
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "challenge_cookie", err)
		return
	}
	// The challenge is single use: its verification token goes now,
	// whatever the outcome.
	vt, err := h.o.Adapter.UseVerificationToken(r.ctx, challengeIdentifier+ch.ID, pk.tokenHash(ch))
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "challenge_used", nil)
		return
	case err != nil:
		h.adapterFailed(r, p, err)
		return
	case !vt.Expires.After(h.o.Now()):
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "challenge_expired", nil)
		return
	case ch.Action != action:
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "ceremony_mismatch", nil)
		return
	}
	current, err := h.currentUser(r)
	if err != nil {
		h.adapterFailed(r, p, err)
		return
	}
	r.cookies = append(r.cookies, r.v.Checks.Delete(checks.WebAuthn))
	if action == passkeyRegister {
		h.passkeyRegistration(r, p, ch, data, current)
		return
	}
	h.passkeyAuthentication(r, p, ch, data, current)
}

// passkeyAuthentication verifies an assertion of a stored passkey and
// signs its user in.
func (h *Handler) passkeyAuthentication(r *request, p *provider, ch passkeyChallenge, data []byte, current *authjs.User) {
	pk := p.passkey
	parsed, err := protocol.ParseCredentialRequestResponseBytes(data)
	if err != nil {
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "unreadable_assertion", err)
		return
	}
	credID := encodeCredentialID(parsed.RawID)
	stored, err := pk.adapter.GetAuthenticator(r.ctx, credID)
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "unknown_passkey", nil)
		return
	case err != nil:
		h.adapterFailed(r, p, err)
		return
	}
	pub, err := decodeCredentialID(stored.CredentialPublicKey)
	if err != nil || stored.Counter < 0 || stored.Counter > 1<<32-1 {
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "unreadable_stored_passkey", err)
		return
	}
	cred := webauthn.Credential{
		ID:            parsed.RawID,
		PublicKey:     pub,
		Flags:         webauthn.CredentialFlags{BackupEligible: stored.CredentialDeviceType == "multiDevice", BackupState: stored.CredentialBackedUp},
		Authenticator: webauthn.Authenticator{SignCount: uint32(stored.Counter)},
	}
	// Passkeys registered here name their account by the user handle
	// given to the authenticator, which must come back with the
	// assertion. Auth.js names the account by the credential ID and keeps
	// no user handle: its passkeys are found by credential ID alone.
	checkHandle := stored.ProviderAccountID != stored.CredentialID
	session := webauthn.SessionData{Challenge: ch.Challenge, RelyingPartyID: pk.rpID, UserVerification: protocol.VerificationRequired}
	_, verified, err := pk.rp.ValidatePasskeyLogin(func(_, userHandle []byte) (webauthn.User, error) {
		if !checkHandle {
			return passkeyUser{id: userHandle, cred: []webauthn.Credential{cred}}, nil
		}
		want, err := base64.RawURLEncoding.DecodeString(stored.ProviderAccountID)
		if err != nil {
			return nil, fmt.Errorf("stored user handle: %w", err)
		}
		return passkeyUser{id: want, cred: []webauthn.Credential{cred}}, nil
	}, session, parsed)
	if err != nil {
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "assertion_not_verified", err)
		return
	}
	if verified.Authenticator.CloneWarning {
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "counter_not_increased", nil)
		return
	}
	if err := pk.adapter.UpdateAuthenticatorCounter(r.ctx, stored.CredentialID, int64(verified.Authenticator.SignCount)); err != nil {
		h.adapterFailed(r, p, err)
		return
	}
	account, err := pk.adapter.GetAccount(r.ctx, p.info.ID, stored.ProviderAccountID)
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "account_missing", nil)
		return
	case err != nil:
		h.adapterFailed(r, p, err)
		return
	case account.UserID != stored.UserID:
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "account_mismatch", nil)
		return
	}
	user, err := h.o.Adapter.GetUser(r.ctx, account.UserID)
	switch {
	case errors.Is(err, authjs.ErrNotFound):
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "user_missing", nil)
		return
	case err != nil:
		h.adapterFailed(r, p, err)
		return
	}
	h.completeSignIn(r, p, signIn{user: user, account: account, passkey: &passkeySignIn{current: current}})
}

// passkeyRegistration verifies a new passkey and stores it: for the
// signed-in user, or with a new account for the address the options were
// asked for.
func (h *Handler) passkeyRegistration(r *request, p *provider, ch passkeyChallenge, data []byte, current *authjs.User) {
	pk := p.passkey
	if ch.Handle == "" || (ch.UserID == "" && ch.Email == "") {
		h.passkeyRefused(r, p, dialect.CodeConfiguration, "no_registration_data", nil)
		return
	}
	switch {
	case ch.UserID != "" && (current == nil || current.ID != ch.UserID):
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "session_mismatch", nil)
		return
	case ch.UserID == "" && current != nil:
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "session_mismatch", nil)
		return
	case ch.UserID == "" && pk.DisableSignUp:
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "signup_disabled", nil)
		return
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(data)
	if err != nil {
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "unreadable_attestation", err)
		return
	}
	params := make([]protocol.CredentialParameter, len(passkeyAlgs))
	for i, a := range passkeyAlgs {
		params[i] = protocol.CredentialParameter{Type: protocol.PublicKeyCredentialType, Algorithm: a}
	}
	handle := []byte(ch.Handle)
	session := webauthn.SessionData{Challenge: ch.Challenge, RelyingPartyID: pk.rpID, UserID: handle,
		UserVerification: protocol.VerificationRequired, CredParams: params,
		Extensions: protocol.SessionExtensions{Requested: []string{"credProps"}}}
	cred, err := pk.rp.CreateCredential(passkeyUser{id: handle}, session, parsed)
	if err != nil {
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "attestation_not_verified", err)
		return
	}
	credID := encodeCredentialID(cred.ID)
	if credID == ch.Handle {
		// Such a record would read as one of Auth.js's, whose user handle
		// is not checked.
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "credential_id_is_user_handle", nil)
		return
	}
	switch _, err := pk.adapter.GetAuthenticator(r.ctx, credID); {
	case err == nil:
		h.passkeyRefused(r, p, dialect.CodeWebAuthnVerification, "passkey_exists", nil)
		return
	case !errors.Is(err, authjs.ErrNotFound):
		h.adapterFailed(r, p, err)
		return
	}
	device := "singleDevice"
	if cred.Flags.BackupEligible {
		device = "multiDevice"
	}
	authn := &authjs.Authenticator{
		CredentialID:         credID,
		ProviderAccountID:    ch.Handle,
		CredentialPublicKey:  encodeCredentialID(cred.PublicKey),
		Counter:              int64(cred.Authenticator.SignCount),
		CredentialDeviceType: device,
		CredentialBackedUp:   cred.Flags.BackupState,
		Transports:           joinTransports(parsed.Response.Transports),
	}
	account := &authjs.Account{Provider: p.info.ID, Type: authjs.TypeWebAuthn, ProviderAccountID: ch.Handle}
	user := current
	if user == nil {
		user = &authjs.User{Email: ch.Email}
	}
	h.completeSignIn(r, p, signIn{user: user, account: account, passkey: &passkeySignIn{current: current, authenticator: authn}})
}

// joinTransports joins the transports an authenticator reported as
// Auth.js stores them ("internal,hybrid"), keeping only well-formed names.
func joinTransports(ts []protocol.AuthenticatorTransport) string {
	var out []string
	for _, t := range ts {
		s := string(t)
		if len(s) == 0 || len(s) > 32 || len(out) == 8 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz-") != "" {
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

// passkeyStoredUser stores what a passkey sign-in adds, as Auth.js does:
// nothing when signing in (the passkey's user must be the signed-in one,
// if any); for a registration, the account and the authenticator, on the
// signed-in user or on a new user with the address, which must be free.
func (h *Handler) passkeyStoredUser(r *request, in signIn) (stored, error) {
	a := h.o.Adapter
	pk := in.passkey
	out := stored{}
	if pk.authenticator == nil {
		if pk.current != nil && pk.current.ID != in.user.ID {
			return stored{}, errPasskeyNotLinked
		}
		out.User = in.user
		return out, nil
	}
	wa, ok := a.(authjs.WebAuthnAdapter) // checked by newPasskey
	if !ok {
		return stored{}, errors.New("passkey: the adapter does not keep passkeys")
	}
	account := *in.account
	authn := *pk.authenticator
	if pk.current != nil {
		account.UserID, authn.UserID = pk.current.ID, pk.current.ID
		if err := a.LinkAccount(r.ctx, account); err != nil {
			return stored{}, err
		}
		if err := wa.CreateAuthenticator(r.ctx, authn); err != nil {
			return stored{}, errors.Join(err, a.UnlinkAccount(r.ctx, account.Provider, account.ProviderAccountID))
		}
		out.User, out.Linked = pk.current, true
		return out, nil
	}
	switch _, err := a.GetUserByEmail(r.ctx, in.user.Email); {
	case err == nil:
		return stored{}, errPasskeyNotLinked
	case !errors.Is(err, authjs.ErrNotFound):
		return stored{}, err
	}
	created, err := a.CreateUser(r.ctx, authjs.User{Email: in.user.Email})
	switch {
	case errors.Is(err, authjs.ErrConflict):
		return stored{}, errPasskeyNotLinked
	case err != nil:
		return stored{}, fmt.Errorf("%w: %w", accounts.ErrCreateUser, err)
	}
	account.UserID, authn.UserID = created.ID, created.ID
	err = a.LinkAccount(r.ctx, account)
	if err == nil {
		err = wa.CreateAuthenticator(r.ctx, authn)
	}
	if err != nil {
		// Leave no user that nothing signs in to.
		return stored{}, errors.Join(err, a.DeleteUser(r.ctx, created.ID))
	}
	out.User, out.Created, out.Linked = created, true, true
	return out, nil
}
