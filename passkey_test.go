package ginauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/adapters/sqlite"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/webauthntest"
	"github.com/ginauth/ginauth/providers"
)

// passkeyStore is a store passkey tests run on.
type passkeyStore struct {
	name string
	open func(t *testing.T) authjs.Adapter
}

// passkeyStores are memory and SQLite always, PostgreSQL and Redis when
// their servers are configured (scripts/test starts them).
func passkeyStores() []passkeyStore {
	out := []passkeyStore{
		{"memory", func(*testing.T) authjs.Adapter { return memory.New() }},
		{"sqlite", func(t *testing.T) authjs.Adapter {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "auth.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
	}
	for _, k := range storeKinds {
		out = append(out, passkeyStore{k.name, func(t *testing.T) authjs.Adapter {
			rawURL := serviceURL(t, k.env)
			ns := "pk" + randomSuffix()
			s, closeStore, err := k.open(context.Background(), rawURL, ns)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { closeStore(); k.drop(t, rawURL, ns) })
			return s
		}})
	}
	return out
}

func forPasskeyStores(t *testing.T, fn func(t *testing.T, open func(t *testing.T) authjs.Adapter)) {
	for _, s := range passkeyStores() {
		t.Run(s.name, func(t *testing.T) { fn(t, s.open) })
	}
}

// passkeyApp is an application with the passkey provider on localhost (an
// IP address is no relying party id), and a browser with a software
// authenticator.
type passkeyApp struct {
	*app
	store  authjs.Adapter
	clock  *testClock
	origin string
	key    *webauthntest.Authenticator
}

func newPasskeyApp(t *testing.T, store authjs.Adapter, edit func(*ginauth.Config)) *passkeyApp {
	t.Helper()
	p := &passkeyApp{store: store, clock: &testClock{now: time.Now()}, key: &webauthntest.Authenticator{}}
	p.app = newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		c.URL = strings.Replace(c.URL, "127.0.0.1", "localhost", 1)
		c.Adapter = store
		c.Now = p.clock.Now
		c.Providers = append(c.Providers, providers.Passkey(providers.PasskeyConfig{}))
		c.Throttle.PasskeyOptionsPerClient = manyCeremonies(t)
		c.Events.CreateUser = func(_ context.Context, e authjs.UserEvent) error {
			p.events.add("createUser:" + e.User.Email)
			return nil
		}
		c.Events.LinkAccount = func(_ context.Context, e authjs.LinkAccountEvent) error {
			p.events.add("linkAccount:" + e.Account.Provider + ":" + e.User.ID)
			return nil
		}
		if edit != nil {
			edit(c)
		}
		p.origin = c.URL
	})
	return p
}

// options asks for a ceremony's options; query holds action and email.
func (p *passkeyApp) options(query url.Values) response {
	p.t.Helper()
	return p.do(http.MethodGet, "/api/auth/webauthn-options/passkey?"+query.Encode(), nil)
}

// ceremony returns the action and options of a 200 options answer.
func (p *passkeyApp) ceremony(r response) (string, []byte) {
	p.t.Helper()
	if r.status != http.StatusOK {
		p.t.Fatalf("options: %d %s", r.status, r.body)
	}
	var v struct {
		Action  string          `json:"action"`
		Options json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		p.t.Fatal(err)
	}
	return v.Action, v.Options
}

// callback posts a ceremony's response as next-auth/webauthn does.
func (p *passkeyApp) callback(action, data string, extra ...string) response {
	p.t.Helper()
	form := url.Values{"action": {action}, "data": {data}, "csrfToken": {p.csrf()}, "callbackUrl": {p.origin + "/account"}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return p.do(http.MethodPost, "/api/auth/callback/passkey", form, "X-Auth-Return-Redirect", "1")
}

// register registers a passkey of key: a new account for email when
// signed out, or one more passkey of the signed-in user.
func (p *passkeyApp) register(key *webauthntest.Authenticator, email string, t webauthntest.Tamper) response {
	p.t.Helper()
	q := url.Values{"action": {"register"}}
	if email != "" {
		q.Set("email", email)
	}
	_, opts := p.ceremony(p.options(q))
	data, _, err := key.Register(opts, p.origin, t)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.callback("register", data, "email", email)
}

// authenticate signs in usernameless with a passkey of key.
func (p *passkeyApp) authenticate(key *webauthntest.Authenticator, t webauthntest.Tamper) response {
	p.t.Helper()
	_, opts := p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
	data, err := key.Assert(opts, p.origin, t)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.callback("authenticate", data)
}

// sessionEmail returns the session's user's email, or "" without one.
func (p *passkeyApp) sessionEmail() string {
	p.t.Helper()
	r := p.do(http.MethodGet, "/api/auth/session", nil)
	if r.body == "null" {
		return ""
	}
	var s struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		p.t.Fatalf("session %q: %v", r.body, err)
	}
	return s.User.Email
}

// use makes t the test the app reports to, until the returned function
// runs.
func (p *passkeyApp) use(t *testing.T) func() {
	old := p.t
	p.t = t
	return func() { p.t = old }
}

// newBrowser replaces the browser (a fresh cookie jar): signed out.
func (p *passkeyApp) newBrowser() { p.client = newClient(p.t) }

// wantURL checks a JSON redirect answer.
func wantURL(t *testing.T, r response, want string) {
	t.Helper()
	var v struct {
		URL string `json:"url"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &v) != nil || v.URL != want {
		t.Fatalf("answer %d %s, want {\"url\":%q}", r.status, r.body, want)
	}
}

// wantRefused checks a refusal: the error URL with code, and no cookie.
func (p *passkeyApp) wantRefused(r response, code string) {
	p.t.Helper()
	wantURL(p.t, r, p.origin+"/api/auth/error?error="+code)
	if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
		p.t.Errorf("refusal set cookies: %q", sc)
	}
	if e := p.sessionEmail(); e != "" {
		p.t.Errorf("signed in as %q after a refusal", e)
	}
}

var stdB64 = regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}$`)

// TestPasskeySignUpAndSignIn registers a passkey for a new address, which
// creates the user, then signs in with it usernameless in another browser,
// on every store, with database and JWT sessions; the records are those
// Auth.js writes.
func TestPasskeySignUpAndSignIn(t *testing.T) {
	forPasskeyStores(t, func(t *testing.T, open func(t *testing.T) authjs.Adapter) {
		for _, strategy := range []ginauth.Strategy{ginauth.StrategyDatabase, ginauth.StrategyJWT} {
			t.Run(strategy.String(), func(t *testing.T) {
				p := newPasskeyApp(t, open(t), func(c *ginauth.Config) { c.Session.Strategy = strategy })
				p.key.CounterStep = 1
				r := p.register(p.key, "New.User@Example.com", webauthntest.Tamper{})
				wantURL(t, r, p.origin+"/account")
				if ck, ok := r.cookie("authjs.challenge"); !ok || ck.MaxAge >= 0 {
					t.Errorf("the challenge cookie is not cleared: %v", r.header.Values("Set-Cookie"))
				}
				if got := p.sessionEmail(); got != "new.user@example.com" {
					t.Fatalf("session email %q", got)
				}

				ctx := t.Context()
				user, err := p.store.GetUserByEmail(ctx, "new.user@example.com")
				if err != nil {
					t.Fatal(err)
				}
				wa := p.store.(authjs.WebAuthnAdapter)
				list, err := wa.ListAuthenticatorsByUserID(ctx, user.ID)
				if err != nil || len(list) != 1 {
					t.Fatalf("authenticators %v, %v", list, err)
				}
				a := list[0]
				cred := p.key.Credentials()[0]
				if a.CredentialID != base64.StdEncoding.EncodeToString(cred.ID) || !stdB64.MatchString(a.CredentialPublicKey) {
					t.Errorf("credential id %q / public key %q not standard base64", a.CredentialID, a.CredentialPublicKey)
				}
				if a.ProviderAccountID != string(cred.UserHandle) || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(a.ProviderAccountID) {
					t.Errorf("providerAccountId %q, user handle %q", a.ProviderAccountID, cred.UserHandle)
				}
				if a.Counter != 0 || a.CredentialDeviceType != "singleDevice" || a.CredentialBackedUp || a.Transports != "internal" || a.UserID != user.ID {
					t.Errorf("authenticator %+v", a)
				}
				acc, err := wa.GetAccount(ctx, "passkey", a.ProviderAccountID)
				if err != nil || acc.UserID != user.ID || acc.Type != authjs.TypeWebAuthn {
					t.Fatalf("account %+v, %v", acc, err)
				}
				wantEvents := []string{"createUser:new.user@example.com", "linkAccount:passkey:" + user.ID, "signIn:" + user.ID + ":passkey"}
				if got := p.events.list(); len(got) < 3 || strings.Join(got[:3], " ") != strings.Join(wantEvents, " ") {
					t.Errorf("events %q, want %q", got, wantEvents)
				}

				p.newBrowser()
				if p.sessionEmail() != "" {
					t.Fatal("a new browser is signed in")
				}
				wantURL(t, p.authenticate(p.key, webauthntest.Tamper{}), p.origin+"/account")
				if got := p.sessionEmail(); got != "new.user@example.com" {
					t.Fatalf("after passkey sign-in: session email %q", got)
				}
				if r := p.do(http.MethodGet, "/account", nil); r.status != http.StatusOK {
					t.Errorf("protected page: %d", r.status)
				}
				got, err := wa.GetAuthenticator(ctx, a.CredentialID)
				if err != nil || got.Counter != 1 {
					t.Errorf("counter after sign-in: %+v, %v", got, err)
				}
				if u, _ := p.store.GetUserByEmail(ctx, "new.user@example.com"); u == nil || u.ID != user.ID {
					t.Errorf("sign-in made another user: %+v", u)
				}
			})
		}
	})
}

// TestPasskeyAddToSignedInUser: a signed-in user (here by credentials,
// stored) adds passkeys; the options exclude those it has; each signs in
// as that user.
func TestPasskeyAddToSignedInUser(t *testing.T) {
	forPasskeyStores(t, func(t *testing.T, open func(t *testing.T) authjs.Adapter) {
		for _, strategy := range []ginauth.Strategy{ginauth.StrategyDatabase, ginauth.StrategyJWT} {
			t.Run(strategy.String(), func(t *testing.T) {
				p := newPasskeyApp(t, open(t), func(c *ginauth.Config) { c.Session.Strategy = strategy })
				ctx := t.Context()
				// alice's stored user, as a credentials sign-in with a
				// database session would store her.
				alice, err := p.store.CreateUser(ctx, authjs.User{Name: "Alice", Email: "alice@example.com"})
				if err != nil {
					t.Fatal(err)
				}
				first := p.register(p.key, "alice2@example.com", webauthntest.Tamper{}) // someone else's account
				wantURL(t, first, p.origin+"/account")
				p.newBrowser()
				// Sign alice in with a passkey made for her account.
				wa := p.store.(authjs.WebAuthnAdapter)
				mine := &webauthntest.Authenticator{}
				signInAs(t, p, mine, alice)

				// Signed in: the email query is ignored; her passkeys are
				// excluded.
				_, opts := p.ceremony(p.options(url.Values{"action": {"register"}, "email": {"other@example.com"}}))
				var o struct {
					User struct {
						Name, DisplayName string
					}
					ExcludeCredentials []struct{ ID string }
				}
				json.Unmarshal(opts, &o)
				if o.User.Name != "alice@example.com" || o.User.DisplayName != "Alice" || len(o.ExcludeCredentials) != 1 ||
					o.ExcludeCredentials[0].ID != base64.RawURLEncoding.EncodeToString(mine.Credentials()[0].ID) {
					t.Fatalf("options for a signed-in user: %s", opts)
				}
				if _, _, err := mine.Register(opts, p.origin, webauthntest.Tamper{}); err != webauthntest.ErrExcluded {
					t.Errorf("an excluded authenticator registered: %v", err)
				}
				second := &webauthntest.Authenticator{Alg: webauthntest.ES256, Synced: true}
				wantURL(t, p.register(second, "", webauthntest.Tamper{}), p.origin+"/account")
				list, err := wa.ListAuthenticatorsByUserID(ctx, alice.ID)
				if err != nil || len(list) != 2 {
					t.Fatalf("alice's passkeys: %v, %v", list, err)
				}
				for _, a := range list {
					if a.CredentialID == base64.StdEncoding.EncodeToString(second.Credentials()[0].ID) &&
						(a.CredentialDeviceType != "multiDevice" || !a.CredentialBackedUp) {
						t.Errorf("synced passkey stored as %+v", a)
					}
				}
				if u, err := p.store.GetUserByEmail(ctx, "other@example.com"); err == nil {
					t.Errorf("the email query made a user: %+v", u)
				}
				p.newBrowser()
				wantURL(t, p.authenticate(second, webauthntest.Tamper{}), p.origin+"/account")
				if got := p.sessionEmail(); got != "alice@example.com" {
					t.Errorf("second passkey signs in as %q", got)
				}
				// Signed in as alice, the options list her passkeys only;
				// another account's passkey is refused (Auth.js's
				// AccountNotLinked).
				r := p.authenticate(p.key, webauthntest.Tamper{Credential: p.key.Credentials()[0]})
				wantURL(t, r, p.origin+"/api/auth/signin?error=AccountNotLinked")
				if got := p.sessionEmail(); got != "alice@example.com" {
					t.Errorf("after a refused sign-in: %q", got)
				}
			})
		}
	})
}

// signInAs stores a passkey of key for user as ginauth registers them and
// signs the browser in with it.
func signInAs(t *testing.T, p *passkeyApp, key *webauthntest.Authenticator, user *authjs.User) {
	t.Helper()
	handle := strings.Repeat("ab", 32)
	opts := `{"challenge":"AAAA","rp":{"id":"localhost","name":"x"},"user":{"id":"` + handle + `","name":"n","displayName":"n"},"pubKeyCredParams":[{"alg":-8,"type":"public-key"},{"alg":-7,"type":"public-key"}]}`
	if _, _, err := key.Register([]byte(opts), p.origin, webauthntest.Tamper{}); err != nil {
		t.Fatal(err)
	}
	storeCredential(t, p.store, key.Credentials()[len(key.Credentials())-1], user.ID, handle)
	wantURL(t, p.authenticate(key, webauthntest.Tamper{}), p.origin+"/account")
	if got := p.sessionEmail(); got != user.Email {
		t.Fatalf("signed in as %q, want %q", got, user.Email)
	}
}

// storeCredential stores a passkey's account and authenticator for user
// with providerAccountId id: the user handle as ginauth stores it, or the
// credential ID as Auth.js does.
func storeCredential(t *testing.T, store authjs.Adapter, c *webauthntest.Credential, userID, id string) {
	t.Helper()
	ctx := t.Context()
	if err := store.LinkAccount(ctx, authjs.Account{UserID: userID, Provider: "passkey", Type: authjs.TypeWebAuthn, ProviderAccountID: id}); err != nil {
		t.Fatal(err)
	}
	a := authjs.Authenticator{CredentialID: base64.StdEncoding.EncodeToString(c.ID), UserID: userID, ProviderAccountID: id,
		CredentialPublicKey: base64.StdEncoding.EncodeToString(c.PublicKey), Counter: 0, CredentialDeviceType: "singleDevice", Transports: "internal"}
	if err := store.(authjs.WebAuthnAdapter).CreateAuthenticator(ctx, a); err != nil {
		t.Fatal(err)
	}
}

// TestPasskeyOptionsRules checks every row of @auth/core's options
// decision rules, the options' shape and the challenge cookie.
func TestPasskeyOptionsRules(t *testing.T) {
	p := newPasskeyApp(t, memory.New(), nil)
	wantURL(t, p.register(p.key, "known@example.com", webauthntest.Tamper{}), p.origin+"/account")
	known := base64.RawURLEncoding.EncodeToString(p.key.Credentials()[0].ID)
	signedIn := p.client
	p.newBrowser()
	signedOut := p.client

	type want struct {
		status int
		action string // or the error
		creds  []string
	}
	rows := []struct {
		name     string
		signedIn bool
		query    string
		want     want
	}{
		{"authenticate", false, "action=authenticate", want{200, "authenticate", nil}},
		{"authenticate with a known email", false, "action=authenticate&email=known@example.com", want{200, "authenticate", []string{known}}},
		{"authenticate with an unknown email", false, "action=authenticate&email=new@example.com", want{200, "authenticate", nil}},
		{"register a new email", false, "action=register&email=new@example.com", want{200, "register", []string{}}},
		{"register a known email", false, "action=register&email=known@example.com", want{400, "Invalid request", nil}},
		{"register a known email in another case", false, "action=register&email=KNOWN@example.com", want{400, "Invalid request", nil}},
		{"register without email", false, "action=register", want{400, "Invalid request", nil}},
		{"register a malformed email", false, "action=register&email=not-an-address", want{400, "Invalid request", nil}},
		{"no action, malformed email", false, "email=not-an-address", want{400, "Invalid request", nil}},
		{"authenticate with a malformed email", false, "action=authenticate&email=not-an-address", want{200, "authenticate", nil}},
		{"no action", false, "", want{200, "authenticate", nil}},
		{"no action, unknown email", false, "email=new@example.com", want{200, "register", []string{}}},
		{"no action, known email", false, "email=known@example.com", want{200, "authenticate", []string{known}}},
		{"invalid action", false, "action=login", want{400, "Invalid action", nil}},
		{"empty action", false, "action=", want{400, "Invalid action", nil}},
		{"signed in: register", true, "action=register&email=other@example.com", want{200, "register", []string{known}}},
		{"signed in: authenticate", true, "action=authenticate", want{200, "authenticate", []string{known}}},
		{"signed in: no action", true, "", want{400, "Invalid request", nil}},
		{"signed in: invalid action", true, "action=x", want{400, "Invalid action", nil}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			defer p.use(t)()
			p.client = signedOut
			if row.signedIn {
				p.client = signedIn
			}
			r := p.do(http.MethodGet, "/api/auth/webauthn-options/passkey?"+row.query, nil)
			var body struct {
				Action  string `json:"action"`
				Error   string `json:"error"`
				Options struct {
					Challenge          string
					ExcludeCredentials *[]struct{ ID string }
					AllowCredentials   *[]struct{ ID string }
				} `json:"options"`
			}
			if err := json.Unmarshal([]byte(r.body), &body); err != nil {
				t.Fatalf("%d %s", r.status, r.body)
			}
			ck, hasCookie := r.cookie("authjs.challenge")
			if r.status != row.want.status {
				t.Fatalf("status %d %s, want %d", r.status, r.body, row.want.status)
			}
			if r.status != http.StatusOK {
				if body.Error != row.want.action || hasCookie {
					t.Errorf("answer %s (challenge cookie: %v), want error %q and no cookie", r.body, hasCookie, row.want.action)
				}
				return
			}
			if body.Action != row.want.action || len(body.Options.Challenge) != 43 {
				t.Errorf("answer %s, want action %q", r.body, row.want.action)
			}
			if !hasCookie || ck.MaxAge != 900 || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
				t.Errorf("challenge cookie %+v", ck)
			}
			list := body.Options.AllowCredentials
			if row.want.action == "register" {
				list = body.Options.ExcludeCredentials
			}
			var ids []string
			if list != nil {
				ids = []string{}
				for _, c := range *list {
					ids = append(ids, c.ID)
				}
			}
			if strings.Join(ids, ",") != strings.Join(row.want.creds, ",") || (ids == nil) != (row.want.creds == nil) {
				t.Errorf("credentials %q, want %q (%s)", ids, row.want.creds, r.body)
			}
		})
	}

	t.Run("shape", func(t *testing.T) {
		defer p.use(t)()
		p.client = signedOut
		port := strings.TrimPrefix(p.origin, "http://localhost:")
		_, reg := p.ceremony(p.options(url.Values{"action": {"register"}, "email": {"new@example.com"}}))
		want := regexp.MustCompile(`^\{"challenge":"[A-Za-z0-9_-]{43}","rp":\{"name":"localhost:` + port + `","id":"localhost"\},` +
			`"user":\{"id":"[0-9a-f]{64}","name":"new@example.com","displayName":"new@example.com"\},` +
			`"pubKeyCredParams":\[\{"alg":-8,"type":"public-key"\},\{"alg":-7,"type":"public-key"\},\{"alg":-257,"type":"public-key"\}\],` +
			`"timeout":300000,"attestation":"none","excludeCredentials":\[\],` +
			`"authenticatorSelection":\{"residentKey":"required","userVerification":"required","requireResidentKey":true\},` +
			`"extensions":\{"credProps":true\}\}$`)
		if !want.Match(reg) {
			t.Errorf("registration options %s", reg)
		}
		_, auth := p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
		if !regexp.MustCompile(`^\{"challenge":"[A-Za-z0-9_-]{43}","timeout":300000,"userVerification":"required","rpId":"localhost"\}$`).Match(auth) {
			t.Errorf("authentication options %s", auth)
		}
		_, again := p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
		if string(again[:56]) == string(auth[:56]) {
			t.Error("two options share a challenge")
		}
	})

	t.Run("unknown provider", func(t *testing.T) {
		defer p.use(t)()
		r := p.do(http.MethodGet, "/api/auth/webauthn-options/credentials?action=authenticate", nil)
		if r.status != http.StatusFound || r.header.Get("Location") != p.origin+"/api/auth/error?error=Configuration" {
			t.Errorf("%d %v", r.status, r.header)
		}
		if r := p.do(http.MethodPost, "/api/auth/webauthn-options/passkey?action=authenticate", url.Values{}); r.status == http.StatusOK {
			t.Errorf("POST options: %d", r.status)
		}
	})
}

// TestPasskeySignUpDisabled: DisableSignUp refuses new accounts; signed-in
// users still add passkeys.
func TestPasskeySignUpDisabled(t *testing.T) {
	p := newPasskeyApp(t, memory.New(), func(c *ginauth.Config) {
		c.Providers = []providers.Provider{providers.Passkey(providers.PasskeyConfig{DisableSignUp: true})}
	})
	for _, q := range []string{"action=register&email=new@example.com", "email=new@example.com"} {
		if r := p.do(http.MethodGet, "/api/auth/webauthn-options/passkey?"+q, nil); r.status != http.StatusBadRequest || r.body != `{"error":"Invalid request"}` {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	alice, err := p.store.CreateUser(t.Context(), authjs.User{Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	signInAs(t, p, p.key, alice)
	wantURL(t, p.register(&webauthntest.Authenticator{}, "", webauthntest.Tamper{}), p.origin+"/account")
}

// TestPasskeyChallengeSingleUse: a challenge signs in once; the same
// assertion with the same cookie is refused though the counter (0, as
// synced passkeys report) would not stop it; so is an expired challenge
// and one from another browser.
func TestPasskeyChallengeSingleUse(t *testing.T) {
	forPasskeyStores(t, func(t *testing.T, open func(t *testing.T) authjs.Adapter) {
		p := newPasskeyApp(t, open(t), nil)
		wantURL(t, p.register(p.key, "replay@example.com", webauthntest.Tamper{}), p.origin+"/account")

		t.Run("replay", func(t *testing.T) {
			defer p.use(t)()
			p.newBrowser()
			_, opts := p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
			challenge := p.challengeCookie()
			data, err := p.key.Assert(opts, p.origin, webauthntest.Tamper{})
			if err != nil {
				t.Fatal(err)
			}
			wantURL(t, p.callback("authenticate", data), p.origin+"/account")
			p.newBrowser()
			p.setChallengeCookie(challenge)
			p.wantRefused(p.callback("authenticate", data), "WebAuthnVerificationError")
		})

		t.Run("expired", func(t *testing.T) {
			defer p.use(t)()
			p.newBrowser()
			_, opts := p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
			data, err := p.key.Assert(opts, p.origin, webauthntest.Tamper{})
			if err != nil {
				t.Fatal(err)
			}
			challenge := p.challengeCookie()
			// Within the cookie's clock tolerance, the record has expired.
			p.clock.advance(15*time.Minute + time.Second)
			defer p.clock.advance(-(15*time.Minute + time.Second))
			p.wantRefused(p.callback("authenticate", data), "WebAuthnVerificationError")
			// Later the cookie has too: Configuration, as in Auth.js.
			p.clock.advance(time.Hour)
			defer p.clock.advance(-time.Hour)
			p.newBrowser()
			p.setChallengeCookie(challenge)
			p.wantRefused(p.callback("authenticate", data), "Configuration")
		})

		t.Run("record expired, cookie not", func(t *testing.T) {
			defer p.use(t)()
			// A store that keeps expired tokens: the record's expiry is
			// checked too.
			p.newBrowser()
			_, opts := p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
			data, _ := p.key.Assert(opts, p.origin, webauthntest.Tamper{})
			p.clock.advance(15*time.Minute - time.Second)
			defer p.clock.advance(-(15*time.Minute - time.Second))
			wantURL(t, p.callback("authenticate", data), p.origin+"/account")
		})

		t.Run("another browser", func(t *testing.T) {
			defer p.use(t)()
			p.newBrowser()
			_, opts := p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
			data, _ := p.key.Assert(opts, p.origin, webauthntest.Tamper{})
			// The second browser has a challenge of its own.
			p.newBrowser()
			p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
			p.wantRefused(p.callback("authenticate", data), "WebAuthnVerificationError")
			// Or none at all.
			p.newBrowser()
			wantURL(t, p.callback("authenticate", data), p.origin+"/api/auth/error?error=Configuration")
			if p.sessionEmail() != "" {
				t.Error("signed in")
			}
		})

		t.Run("ceremony mismatch", func(t *testing.T) {
			defer p.use(t)()
			p.newBrowser()
			// A registration's challenge, answered with an assertion.
			_, reg := p.ceremony(p.options(url.Values{"action": {"register"}, "email": {"x@example.com"}}))
			var o struct{ Challenge string }
			json.Unmarshal(reg, &o)
			data, _ := p.key.Assert([]byte(`{"challenge":"`+o.Challenge+`","rpId":"localhost"}`), p.origin, webauthntest.Tamper{})
			p.wantRefused(p.callback("authenticate", data), "WebAuthnVerificationError")
			// An authentication's challenge, answered with a registration.
			p.newBrowser()
			_, auth := p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
			json.Unmarshal(auth, &o)
			regOpts := `{"challenge":"` + o.Challenge + `","rp":{"id":"localhost"},"user":{"id":"` + strings.Repeat("0", 64) + `"},"pubKeyCredParams":[{"alg":-8}]}`
			data, _, err := (&webauthntest.Authenticator{}).Register([]byte(regOpts), p.origin, webauthntest.Tamper{})
			if err != nil {
				t.Fatal(err)
			}
			p.wantRefused(p.callback("register", data, "email", "x@example.com"), "WebAuthnVerificationError")
		})
	})
}

func (p *passkeyApp) challengeCookie() *http.Cookie {
	p.t.Helper()
	u, _ := url.Parse(p.srv.URL)
	for _, c := range p.client.Jar.Cookies(u) {
		if c.Name == "authjs.challenge" {
			return c
		}
	}
	p.t.Fatal("no challenge cookie")
	return nil
}

func (p *passkeyApp) setChallengeCookie(c *http.Cookie) {
	u, _ := url.Parse(p.srv.URL)
	p.client.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
}

func ptr[T any](v T) *T { return &v }

// TestPasskeyRefusals: assertions and attestations that fail verification
// sign no one in, set no cookie and answer Auth.js's error URL; a valid
// one still works afterwards.
func TestPasskeyRefusals(t *testing.T) {
	forPasskeyStores(t, func(t *testing.T, open func(t *testing.T) authjs.Adapter) {
		store := open(t)
		p := newPasskeyApp(t, store, nil)
		p.key.CounterStep = 1
		wantURL(t, p.register(p.key, "victim@example.com", webauthntest.Tamper{}), p.origin+"/account")
		cred := p.key.Credentials()[0]

		// A passkey of the same store made on another site (rp id
		// sub.localhost) is presented here.
		other := newPasskeyApp(t, store, func(c *ginauth.Config) { c.URL = strings.Replace(c.URL, "localhost", "sub.localhost", 1) })
		otherKey := &webauthntest.Authenticator{}
		wantURL(t, other.register(otherKey, "elsewhere@example.com", webauthntest.Tamper{}), other.origin+"/account")
		stranger := &webauthntest.Authenticator{}
		strangerOpts := `{"challenge":"AAAA","rp":{"id":"localhost"},"user":{"id":"` + strings.Repeat("cd", 32) + `"},"pubKeyCredParams":[{"alg":-8}]}`
		if _, _, err := stranger.Register([]byte(strangerOpts), p.origin, webauthntest.Tamper{}); err != nil {
			t.Fatal(err)
		}

		assertions := []struct {
			name   string
			tamper webauthntest.Tamper
			code   string
		}{
			{"origin", webauthntest.Tamper{Origin: "http://evil.localhost:1"}, "WebAuthnVerificationError"},
			{"origin of another port", webauthntest.Tamper{Origin: "http://localhost:1"}, "WebAuthnVerificationError"},
			{"type", webauthntest.Tamper{Type: "webauthn.create"}, "WebAuthnVerificationError"},
			{"challenge", webauthntest.Tamper{Challenge: base64.RawURLEncoding.EncodeToString(make([]byte, 32))}, "WebAuthnVerificationError"},
			{"rp id hash", webauthntest.Tamper{RPID: "evil.example"}, "WebAuthnVerificationError"},
			{"user not verified", webauthntest.Tamper{ClearFlags: webauthntest.FlagUV}, "WebAuthnVerificationError"},
			{"user not present", webauthntest.Tamper{ClearFlags: webauthntest.FlagUP | webauthntest.FlagUV}, "WebAuthnVerificationError"},
			{"signature", webauthntest.Tamper{BadSignature: true}, "WebAuthnVerificationError"},
			{"user handle of another user", webauthntest.Tamper{UserHandle: ptr(strings.Repeat("ef", 32))}, "WebAuthnVerificationError"},
			{"user handle missing", webauthntest.Tamper{NoUserHandle: true}, "WebAuthnVerificationError"},
			{"user handle not base64url", webauthntest.Tamper{UserHandle: ptr("not base64!")}, "WebAuthnVerificationError"},
			{"unknown credential", webauthntest.Tamper{Credential: stranger.Credentials()[0]}, "Configuration"},
			{"credential of another site", webauthntest.Tamper{Credential: otherKey.Credentials()[0]}, "WebAuthnVerificationError"},
		}
		for _, c := range assertions {
			t.Run("assertion/"+c.name, func(t *testing.T) {
				defer p.use(t)()
				p.newBrowser()
				p.wantRefused(p.authenticate(p.key, c.tamper), c.code)
			})
		}
		t.Run("counter moves on", func(t *testing.T) {
			defer p.use(t)()
			p.newBrowser()
			wantURL(t, p.authenticate(p.key, webauthntest.Tamper{}), p.origin+"/account")
			got, err := store.(authjs.WebAuthnAdapter).GetAuthenticator(t.Context(), base64.StdEncoding.EncodeToString(cred.ID))
			if err != nil || got.Counter != int64(cred.Counter) {
				t.Errorf("stored counter %+v, authenticator at %d: %v", got, cred.Counter, err)
			}
			for _, n := range []uint32{cred.Counter, cred.Counter - 1, 0} {
				p.newBrowser()
				p.wantRefused(p.authenticate(p.key, webauthntest.Tamper{Counter: ptr(n)}), "WebAuthnVerificationError")
			}
		})

		attestations := []struct {
			name   string
			tamper webauthntest.Tamper
		}{
			{"origin", webauthntest.Tamper{Origin: "http://evil.localhost:1"}},
			{"type", webauthntest.Tamper{Type: "webauthn.get"}},
			{"challenge", webauthntest.Tamper{Challenge: base64.RawURLEncoding.EncodeToString(make([]byte, 32))}},
			{"rp id hash", webauthntest.Tamper{RPID: "evil.example"}},
			{"user not verified", webauthntest.Tamper{ClearFlags: webauthntest.FlagUV}},
		}
		for _, c := range attestations {
			t.Run("attestation/"+c.name, func(t *testing.T) {
				defer p.use(t)()
				p.newBrowser()
				p.wantRefused(p.register(&webauthntest.Authenticator{}, "new-"+strings.ReplaceAll(c.name, " ", "-")+"@example.com", c.tamper), "WebAuthnVerificationError")
				if u, err := store.GetUserByEmail(t.Context(), "new-"+strings.ReplaceAll(c.name, " ", "-")+"@example.com"); err == nil {
					t.Errorf("a refused registration created %+v", u)
				}
			})
		}
		t.Run("ES256", func(t *testing.T) {
			defer p.use(t)()
			p.newBrowser()
			es := &webauthntest.Authenticator{Alg: webauthntest.ES256}
			wantURL(t, p.register(es, "es256@example.com", webauthntest.Tamper{}), p.origin+"/account")
			p.newBrowser()
			wantURL(t, p.authenticate(es, webauthntest.Tamper{}), p.origin+"/account")
			if got := p.sessionEmail(); got != "es256@example.com" {
				t.Errorf("signed in as %q", got)
			}
		})
		t.Run("attestation/credential already registered", func(t *testing.T) {
			defer p.use(t)()
			p.newBrowser()
			p.wantRefused(p.register(&webauthntest.Authenticator{}, "dup@example.com", webauthntest.Tamper{CredentialID: cred.ID}), "WebAuthnVerificationError")
			if u, err := store.GetUserByEmail(t.Context(), "dup@example.com"); err == nil {
				t.Errorf("a refused registration created %+v", u)
			}
		})
	})
}

// TestPasskeyMalformed: hostile callback bodies never answer 500, never
// panic and never sign in.
func TestPasskeyMalformed(t *testing.T) {
	p := newPasskeyApp(t, memory.New(), nil)
	wantURL(t, p.register(p.key, "user@example.com", webauthntest.Tamper{}), p.origin+"/account")
	_, opts := p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
	good, err := p.key.Assert(opts, p.origin, webauthntest.Tamper{})
	if err != nil {
		t.Fatal(err)
	}
	var valid map[string]any
	json.Unmarshal([]byte(good), &valid)
	id := valid["id"].(string)
	with := func(path string, v any) string {
		m := map[string]any{}
		json.Unmarshal([]byte(good), &m)
		resp := m["response"].(map[string]any)
		switch path {
		case "id", "rawId", "type":
			m[path] = v
		default:
			resp[path] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	datas := []string{
		"", "null", "[]", "{}", "1", `"x"`, "{", `{"id":1}`, `{"id":null}`, `{"id":"x"}`, `{"id":"!!!"}`,
		`{"id":"` + id + `"}`, `{"id":"` + id + `","rawId":"` + id + `"}`,
		`{"id":"` + id + `","rawId":"` + id + `","type":"public-key","response":null}`,
		`{"id":"` + id + `","rawId":"` + id + `","type":"public-key","response":[]}`,
		with("rawId", b64([]byte("other"))), with("type", "private-key"), with("id", ""),
		with("clientDataJSON", "!!"), with("clientDataJSON", b64([]byte("{"))), with("clientDataJSON", b64([]byte(`{"type":1}`))),
		with("clientDataJSON", ""), with("clientDataJSON", 7),
		with("authenticatorData", ""), with("authenticatorData", b64([]byte{1, 2, 3})), with("authenticatorData", b64(make([]byte, 36))),
		with("signature", ""), with("signature", b64([]byte{0x30, 0x02, 0x01})), with("signature", nil),
		with("userHandle", 5), with("userHandle", strings.Repeat("A", 5000)),
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	}
	// Registration bodies, against a registration's challenge.
	reg := func() string {
		_, o := p.ceremony(p.options(url.Values{"action": {"register"}, "email": {"m@example.com"}}))
		data, _, err := (&webauthntest.Authenticator{}).Register(o, p.origin, webauthntest.Tamper{})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	regWith := func(field string, v any) string {
		m := map[string]any{}
		json.Unmarshal([]byte(reg()), &m)
		m["response"].(map[string]any)[field] = v
		b, _ := json.Marshal(m)
		return string(b)
	}
	regBodies := []string{
		"{}", `{"id":"x"}`, regWith("attestationObject", "!!"), regWith("attestationObject", b64([]byte{0xa0})),
		regWith("attestationObject", b64([]byte{0xff, 0xff})), regWith("attestationObject", ""), regWith("clientDataJSON", b64([]byte("[]"))),
		regWith("transports", []any{1, "usb,evil"}), regWith("attestationObject", b64(append([]byte{0xa3, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e'}, make([]byte, 8)...))),
	}
	check := func(t *testing.T, r response) {
		t.Helper()
		if r.status >= 500 {
			t.Errorf("status %d", r.status)
		}
		if _, ok := r.cookie("authjs.session-token"); ok {
			t.Errorf("session cookie set: %v", r.header.Values("Set-Cookie"))
		}
		if e := p.sessionEmail(); e != "" {
			t.Fatalf("signed in as %q", e)
		}
	}
	p.newBrowser()
	for i, data := range datas {
		t.Run("assertion "+strconv.Itoa(i), func(t *testing.T) {
			defer p.use(t)()
			p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
			check(t, p.callback("authenticate", data))
		})
	}
	for i, data := range regBodies {
		t.Run("attestation "+strconv.Itoa(i), func(t *testing.T) {
			defer p.use(t)()
			p.ceremony(p.options(url.Values{"action": {"register"}, "email": {"m@example.com"}}))
			check(t, p.callback("register", data, "email", "m@example.com"))
		})
	}
	t.Run("requests", func(t *testing.T) {
		defer p.use(t)()
		p.ceremony(p.options(url.Values{"action": {"authenticate"}}))
		for _, r := range []response{
			p.callback("", good), p.callback("login", good), p.callback("REGISTER", good),
			p.do(http.MethodGet, "/api/auth/callback/passkey?action=authenticate&data="+url.QueryEscape(good), nil),
			p.postJSON("/api/auth/callback/passkey", map[string]any{"action": "authenticate", "data": map[string]any{"id": id}}),
			p.postJSON("/api/auth/callback/passkey", map[string]any{"action": []string{"authenticate"}, "data": good}),
			p.do(http.MethodGet, "/api/auth/webauthn-options/passkey?action=authenticate&email=%ff%fe", nil),
			p.do(http.MethodGet, "/api/auth/webauthn-options/passkey/extra?action=authenticate", nil),
			p.do(http.MethodGet, "/api/auth/webauthn-options?action=authenticate", nil),
		} {
			check(t, r)
		}
		// The challenge cookie itself, bent.
		for _, v := range []string{"", "x", strings.Repeat("a", 4000), "a.b.c.d.e"} {
			p.setChallengeCookie(&http.Cookie{Name: "authjs.challenge", Value: v})
			r := p.callback("authenticate", good)
			wantURL(t, r, p.origin+"/api/auth/error?error=Configuration")
			check(t, r)
		}
	})
}

// TestPasskeyConfig: New refuses a passkey provider it cannot serve
// safely, with a clear error.
func TestPasskeyConfig(t *testing.T) {
	type onlyAdapter struct{ authjs.Adapter }
	cases := []struct {
		name string
		edit func(*ginauth.Config)
		want string
	}{
		{"v4", func(c *ginauth.Config) { c.Mode = ginauth.ModeV4 }, "Auth.js v5"},
		{"no URL", func(c *ginauth.Config) { c.URL, c.TrustHost = "", true }, "Config.URL"},
		{"no adapter", func(c *ginauth.Config) { c.Adapter = nil }, "needs an Adapter"},
		{"adapter without passkeys", func(c *ginauth.Config) { c.Adapter = onlyAdapter{memory.New()} }, "authjs.WebAuthnAdapter"},
		{"IP address", func(c *ginauth.Config) { c.URL = "http://127.0.0.1:3000" }, "relying party"},
		{"origin off the rp id", func(c *ginauth.Config) {
			c.Providers = []providers.Provider{providers.Passkey(providers.PasskeyConfig{Origins: []string{"https://evil.example"}})}
		}, "not on the relying party id"},
		{"origin not an origin", func(c *ginauth.Config) {
			c.Providers = []providers.Provider{providers.Passkey(providers.PasskeyConfig{Origins: []string{"https://app.example.com/path"}})}
		}, "origins"},
		{"bad rp id", func(c *ginauth.Config) {
			c.Providers = []providers.Provider{providers.Passkey(providers.PasskeyConfig{RPID: "https://app.example.com"})}
		}, "RPID"},
		{"negative timeout", func(c *ginauth.Config) {
			c.Providers = []providers.Provider{providers.Passkey(providers.PasskeyConfig{Timeout: -time.Second})}
		}, "Timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ginauth.Config{Secret: testSecret, URL: "https://app.example.com", Adapter: memory.New(),
				Providers: []providers.Provider{providers.Passkey(providers.PasskeyConfig{})}}
			c.edit(&cfg)
			_, err := ginauth.New(cfg)
			if !errors.Is(err, ginauth.ErrConfig) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: %v, want ErrConfig mentioning %q", err, c.want)
			}
		})
	}
	cfg := ginauth.Config{Secret: testSecret, URL: "https://app.example.com", Adapter: memory.New(),
		Providers: []providers.Provider{providers.Passkey(providers.PasskeyConfig{RPID: "example.com", Origins: []string{"https://app.example.com", "https://www.example.com"}})}}
	if _, err := ginauth.New(cfg); err != nil {
		t.Errorf("New with a parent rp id: %v", err)
	}
}

// TestPasskeyAuthJSRecords: a passkey stored as Auth.js stores it (the
// account and authenticator named by the credential ID, no user handle
// kept) signs in; /providers lists the provider as Auth.js does.
func TestPasskeyAuthJSRecords(t *testing.T) {
	forPasskeyStores(t, func(t *testing.T, open func(t *testing.T) authjs.Adapter) {
		p := newPasskeyApp(t, open(t), nil)
		u, err := p.store.CreateUser(t.Context(), authjs.User{Email: "authjs@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		// Auth.js gave the authenticator a random user.id it never kept.
		opts := `{"challenge":"AAAA","rp":{"id":"localhost"},"user":{"id":"` + strings.Repeat("12", 32) + `"},"pubKeyCredParams":[{"alg":-8}]}`
		if _, _, err := p.key.Register([]byte(opts), p.origin, webauthntest.Tamper{}); err != nil {
			t.Fatal(err)
		}
		c := p.key.Credentials()[0]
		storeCredential(t, p.store, c, u.ID, base64.StdEncoding.EncodeToString(c.ID))
		wantURL(t, p.authenticate(p.key, webauthntest.Tamper{}), p.origin+"/account")
		if got := p.sessionEmail(); got != "authjs@example.com" {
			t.Fatalf("signed in as %q", got)
		}
		// Its user handle is not checked, but it must be there.
		p.newBrowser()
		p.wantRefused(p.authenticate(p.key, webauthntest.Tamper{NoUserHandle: true}), "WebAuthnVerificationError")

		r := p.do(http.MethodGet, "/api/auth/providers", nil)
		want := `"passkey":{"id":"passkey","name":"Passkey","type":"webauthn","signinUrl":"` + p.origin + `/api/auth/signin/passkey","callbackUrl":"` + p.origin + `/api/auth/callback/passkey"}`
		if !strings.Contains(r.body, want) {
			t.Errorf("providers %s", r.body)
		}
	})
}

// TestPasskeyStoredRecords: a registration keeps only well-formed
// transports and never a credential ID that reads as an Auth.js record;
// stored records that are unreadable or disagree sign no one in.
func TestPasskeyStoredRecords(t *testing.T) {
	p := newPasskeyApp(t, memory.New(), nil)
	ctx := t.Context()
	wa := p.store.(authjs.WebAuthnAdapter)

	t.Run("transports", func(t *testing.T) {
		defer p.use(t)()
		p.newBrowser()
		key := &webauthntest.Authenticator{}
		// go-webauthn reads the old name "cable" as "hybrid".
		tamper := webauthntest.Tamper{Transports: []any{"usb", strings.Repeat("y", 32), "bad,one", "", "Hybrid", strings.Repeat("x", 33), "nfc", "internal", "ble", "hybrid", "smart-card", "cable", "a", "b"}}
		wantURL(t, p.register(key, "transports@example.com", tamper), p.origin+"/account")
		a, err := wa.GetAuthenticator(ctx, base64.StdEncoding.EncodeToString(key.Credentials()[0].ID))
		if err != nil || a.Transports != "usb,"+strings.Repeat("y", 32)+",nfc,internal,ble,hybrid,smart-card,hybrid" {
			t.Errorf("transports %q (%v)", a.Transports, err)
		}
	})

	t.Run("credential ID equal to the user handle", func(t *testing.T) {
		defer p.use(t)()
		p.newBrowser()
		_, opts := p.ceremony(p.options(url.Values{"action": {"register"}, "email": {"handle@example.com"}}))
		var o webauthntest.CreationOptions
		json.Unmarshal(opts, &o)
		id, err := base64.StdEncoding.DecodeString(o.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		data, _, err := (&webauthntest.Authenticator{}).Register(opts, p.origin, webauthntest.Tamper{CredentialID: id})
		if err != nil {
			t.Fatal(err)
		}
		p.wantRefused(p.callback("register", data, "email", "handle@example.com"), "WebAuthnVerificationError")
		if _, err := p.store.GetUserByEmail(ctx, "handle@example.com"); err == nil {
			t.Error("the user was created")
		}
	})

	t.Run("address taken since the options", func(t *testing.T) {
		defer p.use(t)()
		p.newBrowser()
		_, opts := p.ceremony(p.options(url.Values{"action": {"register"}, "email": {"taken@example.com"}}))
		data, _, err := (&webauthntest.Authenticator{}).Register(opts, p.origin, webauthntest.Tamper{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.store.CreateUser(ctx, authjs.User{Email: "taken@example.com"}); err != nil {
			t.Fatal(err)
		}
		r := p.callback("register", data, "email", "taken@example.com")
		wantURL(t, r, p.origin+"/api/auth/signin?error=AccountNotLinked")
		if p.sessionEmail() != "" {
			t.Error("signed in")
		}
	})

	t.Run("session changed since the options", func(t *testing.T) {
		defer p.use(t)()
		user, err := p.store.CreateUser(ctx, authjs.User{Email: "changer@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		p.newBrowser()
		key := &webauthntest.Authenticator{}
		signInAs(t, p, key, user)
		// Signed in at the options, signed out at the callback.
		_, opts := p.ceremony(p.options(url.Values{"action": {"register"}}))
		challenge := p.challengeCookie()
		data, _, err := (&webauthntest.Authenticator{}).Register(opts, p.origin, webauthntest.Tamper{})
		if err != nil {
			t.Fatal(err)
		}
		p.newBrowser()
		p.setChallengeCookie(challenge)
		p.wantRefused(p.callback("register", data), "WebAuthnVerificationError")
		// Signed out at the options, signed in at the callback.
		p.newBrowser()
		_, opts = p.ceremony(p.options(url.Values{"action": {"register"}, "email": {"late@example.com"}}))
		challenge = p.challengeCookie()
		data, _, err = (&webauthntest.Authenticator{}).Register(opts, p.origin, webauthntest.Tamper{})
		if err != nil {
			t.Fatal(err)
		}
		p.newBrowser()
		wantURL(t, p.authenticate(key, webauthntest.Tamper{}), p.origin+"/account")
		p.setChallengeCookie(challenge)
		r := p.callback("register", data, "email", "late@example.com")
		wantURL(t, r, p.origin+"/api/auth/error?error=WebAuthnVerificationError")
		if list, _ := wa.ListAuthenticatorsByUserID(ctx, user.ID); len(list) != 1 {
			t.Errorf("the passkey was added to the signed-in user: %d passkeys", len(list))
		}
		if _, err := p.store.GetUserByEmail(ctx, "late@example.com"); err == nil {
			t.Error("the user was created")
		}
	})

	// Records an application (or a bug) left inconsistent.
	bad := []struct {
		name string
		edit func(a *authjs.Authenticator, acc *authjs.Account)
		code string
	}{
		{"public key not base64", func(a *authjs.Authenticator, _ *authjs.Account) { a.CredentialPublicKey = "!!" }, "Configuration"},
		{"empty public key", func(a *authjs.Authenticator, _ *authjs.Account) { a.CredentialPublicKey = "" }, "Configuration"},
		{"negative counter", func(a *authjs.Authenticator, _ *authjs.Account) { a.Counter = -1 }, "Configuration"},
		{"counter beyond 32 bits", func(a *authjs.Authenticator, _ *authjs.Account) { a.Counter = 1 << 32 }, "Configuration"},
		// The largest counter is readable, and no assertion exceeds it.
		{"counter at its largest", func(a *authjs.Authenticator, _ *authjs.Account) { a.Counter = 1<<32 - 1 }, "WebAuthnVerificationError"},
		{"account of another user", func(_ *authjs.Authenticator, acc *authjs.Account) { acc.UserID = "" }, "Configuration"},
		{"no account", func(_ *authjs.Authenticator, acc *authjs.Account) { acc.Provider = "other" }, "Configuration"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			defer p.use(t)()
			owner, err := p.store.CreateUser(ctx, authjs.User{Email: strings.ReplaceAll(c.name, " ", "-") + "@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			other, err := p.store.CreateUser(ctx, authjs.User{Email: "other-" + strings.ReplaceAll(c.name, " ", "-") + "@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			key := &webauthntest.Authenticator{}
			handle := strings.Repeat("5a", 32)
			opts := `{"challenge":"AAAA","rp":{"id":"localhost"},"user":{"id":"` + handle + `"},"pubKeyCredParams":[{"alg":-8}]}`
			if _, _, err := key.Register([]byte(opts), p.origin, webauthntest.Tamper{}); err != nil {
				t.Fatal(err)
			}
			cred := key.Credentials()[0]
			handle = randomSuffix() + strings.Repeat("0", 52) // a handle of its own
			cred.UserHandle = []byte(handle)
			a := authjs.Authenticator{CredentialID: base64.StdEncoding.EncodeToString(cred.ID), UserID: owner.ID, ProviderAccountID: handle,
				CredentialPublicKey: base64.StdEncoding.EncodeToString(cred.PublicKey), CredentialDeviceType: "singleDevice"}
			acc := authjs.Account{UserID: owner.ID, Provider: "passkey", Type: authjs.TypeWebAuthn, ProviderAccountID: handle}
			c.edit(&a, &acc)
			if acc.UserID == "" {
				acc.UserID = other.ID
			}
			if err := p.store.LinkAccount(ctx, acc); err != nil {
				t.Fatal(err)
			}
			if err := wa.CreateAuthenticator(ctx, a); err != nil {
				t.Fatal(err)
			}
			p.newBrowser()
			p.wantRefused(p.authenticate(key, webauthntest.Tamper{}), c.code)
		})
	}
}
