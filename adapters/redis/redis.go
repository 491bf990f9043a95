// Package redis is an authjs.Adapter on Redis (with go-redis v9) that keeps
// its records exactly as @auth/unstorage-adapter (2.11) does over
// unstorage's Redis driver, so that an Auth.js application using that
// adapter and a ginauth server can share one Redis: each reads, updates and
// deletes what the other wrote.
//
// # Key layout
//
// P is Options.BaseKeyPrefix (the adapter's baseKeyPrefix, default empty);
// the other prefixes are the defaults of the adapter's options. Every key
// goes through unstorage's normalizeKey (cut at the first "?", "/" and "\"
// turned into ":", repeated ":" collapsed, leading and trailing ":"
// dropped), and the driver's base (Options.Base) is put before it with a
// ":". Values are strings, written as unstorage's setItem writes them: an
// object as its JSON.stringify text, a string as itself (not JSON-quoted).
// Dates are ISO strings with milliseconds in UTC (Date.toISOString), which
// the adapter's hydrateDates turns back into Dates.
//
//	key (before normalization)            value
//	P user:<id>                           {"name","email","image","emailVerified":ISO|null,"id"}
//	P user:email:<email>                  <id>
//	P user:account:<provider>:<provAccId> the account's fields (Auth.js names) and "id":"<provider>:<provAccId>"
//	P user:account:by-user-id:<id>        "P user:account:…", the user's last linked account
//	P user:session:<sessionToken>         {"sessionToken","userId","expires":ISO}, expiring at expires
//	P user:session:by-user-id:<id>        "P user:session:…", the user's last created or updated session
//	P user:token:<identifier>:<token>     {"identifier","token","expires":ISO}, expiring at expires
//	P authenticator:<credentialID>        {"credentialID","userId","providerAccountId","credentialPublicKey",
//	                                       "counter","credentialDeviceType","credentialBackedUp","transports"}
//	P authenticator:by-user-id:<id>       JSON array of the user's credential IDs, newest first
//	P ginauth:session:by-user-id:<id>     sorted set: Redis keys of the user's sessions, scored by
//	                                       expiry (Unix ms); expires with the last one (ginauth's own)
//	P ginauth:account:by-user-id:<id>     set: Redis keys of the user's accounts (ginauth's own)
//	P ginauth:authenticator:by-user-id:<id> set: the user's credential IDs (ginauth's own)
//
// User ids are random UUIDs, as the adapter's crypto.randomUUID() makes
// them.
//
// The JavaScript adapter remembers only the last account and the last
// session of a user (its by-user-id keys hold one key each), and its
// authenticator list loses entries (see below), so this package keeps the
// three ginauth:… indexes beside them, which the JavaScript side never
// reads, and still writes the adapter's by-user-id keys and list as it
// does. ListSessions, DeleteSessions and DeleteUser therefore find every
// session and account ginauth created and the last one the JavaScript side
// created; older ones that only the JavaScript side knows are out of reach
// (as they are for the JavaScript adapter itself).
//
// # Differences from the JavaScript adapter
//
// The records and keys are the same; the behaviour is stricter where the
// JavaScript adapter is racy or wrong:
//
//   - CreateUser and UpdateUser refuse an email another user has
//     (authjs.ErrConflict), LinkAccount refuses an account that is linked,
//     CreateSession a session token and CreateAuthenticator a credential ID
//     that exist. An email key whose user is gone or has since changed
//     email (the adapter's updateUser leaves the old key behind), and an
//     account whose user is gone (its deleteUser removes one account of a
//     user), do not count: they are replaced.
//   - A lookup checks that the record found is the one asked for, because
//     normalization maps different values to one key: unstorage cuts keys
//     at "?", so "a?b@x.com" and "a?c@y.org" share the email key
//     "user:email:a", and the verification token key of "a?b@x.com" is
//     "user:token:a" whatever the token. (With the JavaScript adapter any
//     token value then finds it, and @auth/core checks only the identifier
//     of what useVerificationToken returns: a sign-in link requested for
//     such an address can be used without it.) UseVerificationToken here
//     deletes and returns a token only when both its identifier and its
//     token match; a second user whose email shares a first one's key is
//     refused with ErrConflict.
//   - Sessions and verification tokens expire in Redis at their expiry
//     (PEXPIREAT); a session past its expiry is gone, so GetSessionAndUser
//     reports ErrNotFound rather than the expired session. The JavaScript
//     adapter writes them without a TTL (its updateSession clears one).
//   - UnlinkAccount and DeleteSession leave the adapter's by-user-id keys
//     as its unlinkAccount and deleteSession do. (Its unlinkAccount means to
//     remove the by-user-id key but removes "…by-user-id: + <id>" instead;
//     and its deleteUser throws when a by-user-id key is missing, so keeping
//     them lets the JavaScript deleteUser keep working.)
//   - The adapter's updateAuthenticatorCounter (its setAuthenticator)
//     rewrites the user's list as [credential] when the credential is first
//     in it, dropping every other one, and as [credential, ...list] (a
//     repeat) otherwise; its read-modify-write also loses concurrent
//     additions. ListAuthenticatorsByUserID reads the list and ginauth's
//     index, each credential once, and CreateAuthenticator and
//     UpdateAuthenticatorCounter write the list back whole.
//   - UpdateUser, UpdateSession and UpdateAuthenticatorCounter keep the
//     record's other fields, including ones an Auth.js application added.
//
// Every operation that writes more than one key, or reads a key named by
// another key, is one Lua script (atomic, one round trip; GetSessionAndUser
// is a single EVALSHA, plus one EVAL the first time a server sees the
// script). Updates read the record and write it back with a compare-and-set
// script, retrying when it changed in between.
//
// The store needs a Redis server (or a compatible one such as Valkey) with
// Lua scripting and its cjson library; it is tested on Redis 7. The scripts reach keys that depend on record
// contents, so with Redis Cluster all keys must hash to one slot: give
// BaseKeyPrefix (or Base) a hash tag such as "{auth}:", and the same
// options to the JavaScript side. The adapter's useItemRaw option is not
// supported (unstorage cannot store its objects raw in Redis).
package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ginauth/ginauth/authjs"
)

// DefaultTimeout bounds each operation when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Options configures a Store. The key prefixes are @auth/unstorage-adapter's
// options of the same names; an empty prefix means the adapter's default
// (so the adapter's empty-string prefixes other than baseKeyPrefix cannot be
// expressed). Give the JavaScript side the same values.
type Options struct {
	// Base is the base option of unstorage's Redis driver
	// (redisDriver({base})), which the driver joins before every key with
	// ":". Empty by default, as in the driver.
	Base string
	// BaseKeyPrefix goes before every other prefix (baseKeyPrefix).
	BaseKeyPrefix string
	// AccountKeyPrefix prefixes account keys (default "user:account:").
	AccountKeyPrefix string
	// AccountByUserIDPrefix prefixes the key naming a user's last linked
	// account (accountByUserIdPrefix, default "user:account:by-user-id:").
	AccountByUserIDPrefix string
	// EmailKeyPrefix prefixes the email index (default "user:email:").
	EmailKeyPrefix string
	// SessionKeyPrefix prefixes session keys (default "user:session:").
	SessionKeyPrefix string
	// SessionByUserIDKeyPrefix prefixes the key naming a user's last
	// session (sessionByUserIdKeyPrefix, default "user:session:by-user-id:").
	SessionByUserIDKeyPrefix string
	// UserKeyPrefix prefixes user keys (default "user:").
	UserKeyPrefix string
	// VerificationTokenKeyPrefix prefixes verification token keys (default
	// "user:token:").
	VerificationTokenKeyPrefix string
	// AuthenticatorKeyPrefix prefixes authenticator keys (default
	// "authenticator:").
	AuthenticatorKeyPrefix string
	// AuthenticatorUserKeyPrefix prefixes the list of a user's
	// authenticators (default "authenticator:by-user-id:").
	AuthenticatorUserKeyPrefix string

	// SessionIndexPrefix prefixes ginauth's own index of a user's sessions,
	// which the JavaScript adapter does not have (default
	// "ginauth:session:by-user-id:", after BaseKeyPrefix).
	SessionIndexPrefix string
	// AccountIndexPrefix prefixes ginauth's own index of a user's accounts
	// (default "ginauth:account:by-user-id:", after BaseKeyPrefix).
	AccountIndexPrefix string
	// AuthenticatorIndexPrefix prefixes ginauth's own index of a user's
	// authenticators (default "ginauth:authenticator:by-user-id:", after
	// BaseKeyPrefix).
	AuthenticatorIndexPrefix string

	// Timeout bounds each operation, on top of the caller's context
	// (default DefaultTimeout; negative: only the context).
	Timeout time.Duration
}

// Store is an authjs.Adapter, authjs.SessionLister,
// authjs.WebAuthnAdapter and authjs.AuthenticatorDeleter on Redis, in
// @auth/unstorage-adapter's layout. It is safe for concurrent use.
type Store struct {
	c       goredis.UniversalClient
	owned   bool
	ks      keyspace
	sc      *scripts
	timeout time.Duration
}

var (
	_ authjs.Adapter              = (*Store)(nil)
	_ authjs.SessionLister        = (*Store)(nil)
	_ authjs.WebAuthnAdapter      = (*Store)(nil)
	_ authjs.AuthenticatorDeleter = (*Store)(nil)
)

// New returns a Store on client, which the caller keeps and closes. It
// does not contact the server.
func New(client goredis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("redis: nil client")
	}
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	p := opts.BaseKeyPrefix
	ks := keyspace{
		base:          driverBase(opts.Base),
		user:          p + def(opts.UserKeyPrefix, "user:"),
		email:         p + def(opts.EmailKeyPrefix, "user:email:"),
		account:       p + def(opts.AccountKeyPrefix, "user:account:"),
		accountByUser: p + def(opts.AccountByUserIDPrefix, "user:account:by-user-id:"),
		session:       p + def(opts.SessionKeyPrefix, "user:session:"),
		sessionByUser: p + def(opts.SessionByUserIDKeyPrefix, "user:session:by-user-id:"),
		token:         p + def(opts.VerificationTokenKeyPrefix, "user:token:"),
		auth:          p + def(opts.AuthenticatorKeyPrefix, "authenticator:"),
		authByUser:    p + def(opts.AuthenticatorUserKeyPrefix, "authenticator:by-user-id:"),
		sessionIndex:  p + def(opts.SessionIndexPrefix, "ginauth:session:by-user-id:"),
		accountIndex:  p + def(opts.AccountIndexPrefix, "ginauth:account:by-user-id:"),
		authIndex:     p + def(opts.AuthenticatorIndexPrefix, "ginauth:authenticator:by-user-id:"),
	}
	for _, prefix := range []string{ks.user, ks.email, ks.account, ks.accountByUser, ks.session,
		ks.sessionByUser, ks.token, ks.auth, ks.authByUser, ks.sessionIndex, ks.accountIndex, ks.authIndex} {
		// unstorage would drop what follows a "?", and rejects "." and ".."
		// segments.
		if strings.Contains(prefix, "?") || !validKey(normalizeKey(prefix+"x")) {
			return nil, fmt.Errorf("redis: key prefix %q is not a valid unstorage key prefix", prefix)
		}
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &Store{c: client, ks: ks, sc: newScripts(&ks), timeout: timeout}, nil
}

// Open connects to the Redis server at url (redis://, rediss:// or unix://,
// as go-redis's ParseURL reads it) and returns a Store that Close
// disconnects.
func Open(url string, opts Options) (*Store, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: parse URL: %w", err)
	}
	c := goredis.NewClient(o)
	s, err := New(c, opts)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Close closes the client when Open made it; a client given to New is left
// to its owner.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	return s.c.Close()
}

// bound applies the per-operation timeout.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout < 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// errInvalidKey reports a value unstorage cannot use in a key.
var errInvalidKey = errors.New("redis: value cannot be part of an unstorage key")

// maxRetries bounds the compare-and-set loops of the updates.
const maxRetries = 32

// errContended reports an update that lost every compare-and-set race.
var errContended = errors.New("redis: record kept changing during the update")

func wrap(op string, err error) error {
	if errors.Is(err, goredis.Nil) {
		return fmt.Errorf("redis: %s: %w", op, authjs.ErrNotFound)
	}
	return fmt.Errorf("redis: %s: %w", op, err)
}

func notFound(op string) error { return fmt.Errorf("redis: %s: %w", op, authjs.ErrNotFound) }

func conflict(op, what string) error {
	return fmt.Errorf("redis: %s: %s: %w", op, what, authjs.ErrConflict)
}

// unexpected reports a script reply the code does not know.
func unexpected(op string, reply any) error {
	return fmt.Errorf("redis: %s: unexpected reply %v", op, reply)
}

// replyStrings returns a script's array reply as byte slices.
func replyStrings(v any) [][]byte {
	vs, _ := v.([]any)
	out := make([][]byte, 0, len(vs))
	for _, e := range vs {
		if s, ok := e.(string); ok {
			out = append(out, []byte(s))
		}
	}
	return out
}
