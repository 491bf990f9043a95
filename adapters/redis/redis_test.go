package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ginauth/ginauth/adapters/adaptertest"
	"github.com/ginauth/ginauth/adapters/redis"
	"github.com/ginauth/ginauth/authjs"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestConformance(t *testing.T) {
	redisURL(t)
	adaptertest.Run(t, func(t *testing.T) authjs.Adapter {
		return newStore(t, redis.Options{}).Store
	})
}

func TestConformanceWithBase(t *testing.T) {
	redisURL(t)
	adaptertest.Run(t, func(t *testing.T) authjs.Adapter {
		return newStore(t, redis.Options{Base: "unstorage"}).Store
	})
}

func TestNew(t *testing.T) {
	if _, err := redis.New(nil, redis.Options{}); err == nil {
		t.Error("New(nil) did not fail")
	}
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, o := range []redis.Options{
		{BaseKeyPrefix: "a?b:"},
		{UserKeyPrefix: "user:..:"},
		{SessionIndexPrefix: "x?"},
	} {
		if _, err := redis.New(c, o); err == nil {
			t.Errorf("New(%+v) did not fail", o)
		}
	}
	if _, err := redis.New(c, redis.Options{Base: "unstorage", BaseKeyPrefix: "app:"}); err != nil {
		t.Errorf("New: %v", err)
	}
}

func TestNormalizeKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"user:email:a@b.c", "user:email:a@b.c"},
		{"user:email:a?b/c@x.com", "user:email:a"},
		{"user:token:a/b\\c@x:hash", "user:token:a:b:c@x:hash"},
		{"::a:::b::", "a:b"},
		{"/a/", "a"},
		{":", ""},
		{"?x", ""},
		{"a:.:b", "a:.:b"},
	} {
		if got := redis.NormalizeKey(tc.in); got != tc.want {
			t.Errorf("NormalizeKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"unstorage", "unstorage:"},
		{"unstorage:", "unstorage:"},
		{"a::", "a:"},
		{"/x/", "x:"},
		{":", ""},
	} {
		if got := redis.DriverBase(tc.in); got != tc.want {
			t.Errorf("DriverBase(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLuaKeys checks that the scripts compute the keys Go computes.
func TestLuaKeys(t *testing.T) {
	ts := newStore(t, redis.Options{Base: "/un/storage:"})
	ctx := context.Background()
	for _, k := range []string{
		"user:1", "a?b/c", "::a:::b::", "/a/", ":", "?x", "a:.:b", "a:..", "a\\b", "é:ü/ß", "a b", "[*]", "user:%s",
		"x\x00y", "\"quoted\"", "back\\slash:", "..", "a:...:b",
	} {
		goKey, goOK := ts.GoKey(k)
		luaKey, luaOK, err := ts.LuaKey(ctx, k)
		if err != nil {
			t.Fatalf("LuaKey(%q): %v", k, err)
		}
		if goKey != luaKey || goOK != luaOK {
			t.Errorf("key %q: Go %q %v, Lua %q %v", k, goKey, goOK, luaKey, luaOK)
		}
	}
}

// TestKeyLayout checks the exact keys, values and expiries the store
// writes, which are @auth/unstorage-adapter's.
func TestKeyLayout(t *testing.T) {
	ts := newStore(t, redis.Options{Base: "unstorage"})
	ctx := context.Background()
	p := ts.opts.BaseKeyPrefix
	verified := mustTime(t, "2024-05-06T07:08:09.123456789+02:00")
	u, err := ts.CreateUser(ctx, authjs.User{ID: "ignored", Name: "Ann <&>", Email: "ann@example.com", Image: "https://img.example/a.png", EmailVerified: &verified})
	if err != nil {
		t.Fatal(err)
	}
	if !uuidRE.MatchString(u.ID) {
		t.Errorf("user id %q is not a random UUID", u.ID)
	}
	if !u.EmailVerified.Equal(mustTime(t, "2024-05-06T05:08:09.123Z")) {
		t.Errorf("EmailVerified = %v, want it in whole milliseconds", u.EmailVerified)
	}
	if err := ts.LinkAccount(ctx, authjs.Account{
		UserID: u.ID, Provider: "github", Type: authjs.TypeOAuth, ProviderAccountID: "42",
		AccessToken: "at", RefreshToken: "rt", ExpiresAt: 1700000000, IDToken: "idt", Scope: "read:user user:email",
		TokenType: "bearer", SessionState: "ss",
	}); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	sessionToken := "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
	if err := ts.CreateSession(ctx, authjs.DatabaseSession{SessionToken: sessionToken, UserID: u.ID, Expires: expires}); err != nil {
		t.Fatal(err)
	}
	tokenExpires := time.Now().Add(10 * time.Minute).Truncate(time.Millisecond)
	if err := ts.CreateVerificationToken(ctx, authjs.VerificationToken{Identifier: "ann@example.com", Token: "5e88489", Expires: tokenExpires}); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"cred-1", "cred-2"} {
		if err := ts.CreateAuthenticator(ctx, authjs.Authenticator{
			CredentialID: id, UserID: u.ID, ProviderAccountID: id, CredentialPublicKey: "pk" + id,
			Counter: int64(i), CredentialDeviceType: "multiDevice", CredentialBackedUp: i == 1, Transports: []string{"", "usb,nfc"}[i],
		}); err != nil {
			t.Fatal(err)
		}
	}

	iso := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	want := map[string]string{
		"user:" + u.ID:                       `{"name":"Ann <&>","email":"ann@example.com","image":"https://img.example/a.png","emailVerified":"2024-05-06T05:08:09.123Z","id":"` + u.ID + `"}`,
		"user:email:ann@example.com":         u.ID,
		"user:account:github:42":             `{"userId":"` + u.ID + `","type":"oauth","provider":"github","providerAccountId":"42","access_token":"at","refresh_token":"rt","expires_at":1700000000,"id_token":"idt","scope":"read:user user:email","token_type":"bearer","session_state":"ss","id":"github:42"}`,
		"user:account:by-user-id:" + u.ID:    p + "user:account:github:42",
		"user:session:" + sessionToken:       `{"sessionToken":"` + sessionToken + `","userId":"` + u.ID + `","expires":"` + iso(expires) + `"}`,
		"user:session:by-user-id:" + u.ID:    p + "user:session:" + sessionToken,
		"user:token:ann@example.com:5e88489": `{"identifier":"ann@example.com","token":"5e88489","expires":"` + iso(tokenExpires) + `"}`,
		"authenticator:cred-1":               `{"credentialID":"cred-1","userId":"` + u.ID + `","providerAccountId":"cred-1","credentialPublicKey":"pkcred-1","counter":0,"credentialDeviceType":"multiDevice","credentialBackedUp":false,"transports":null}`,
		"authenticator:cred-2":               `{"credentialID":"cred-2","userId":"` + u.ID + `","providerAccountId":"cred-2","credentialPublicKey":"pkcred-2","counter":1,"credentialDeviceType":"multiDevice","credentialBackedUp":true,"transports":"usb,nfc"}`,
		"authenticator:by-user-id:" + u.ID:   `["cred-2","cred-1"]`,
	}
	ginauthKeys := []string{"ginauth:account:by-user-id:" + u.ID, "ginauth:session:by-user-id:" + u.ID, "ginauth:authenticator:by-user-id:" + u.ID}
	var wantKeys []string
	for k := range want {
		wantKeys = append(wantKeys, ts.k(k))
	}
	for _, k := range ginauthKeys {
		wantKeys = append(wantKeys, ts.k(k))
	}
	slices.Sort(wantKeys)
	if got := ts.keys(t); !slices.Equal(got, wantKeys) {
		t.Fatalf("keys:\n got %q\nwant %q", got, wantKeys)
	}
	if !strings.HasPrefix(ts.k(""), "unstorage:gt-") {
		t.Fatalf("keys do not start with the driver base: %q", ts.k(""))
	}
	for k, v := range want {
		if got := ts.get(t, ts.k(k)); got != v {
			t.Errorf("%s:\n got %s\nwant %s", k, got, v)
		}
	}

	// Expiries: sessions and tokens at their expiry, everything the
	// JavaScript side writes without one.
	near := func(key string, at time.Time) {
		t.Helper()
		d := ts.pttl(t, ts.k(key))
		if left := time.Until(at); d <= 0 || d > left+time.Second || d < left-5*time.Second {
			t.Errorf("PTTL %s = %v, want about %v", key, d, left)
		}
	}
	near("user:session:"+sessionToken, expires)
	near("user:token:ann@example.com:5e88489", tokenExpires)
	near("ginauth:session:by-user-id:"+u.ID, expires)
	for k := range want {
		if !strings.HasPrefix(k, "user:session:"+sessionToken) && !strings.HasPrefix(k, "user:token:") {
			if d := ts.pttl(t, ts.k(k)); d != -1 {
				t.Errorf("PTTL %s = %v, want none", k, d)
			}
		}
	}
	if d := ts.pttl(t, ts.k(ginauthKeys[0])); d != -1 {
		t.Errorf("account index PTTL = %v, want none", d)
	}
	members, err := ts.c.SMembers(ctx, ts.k(ginauthKeys[0])).Result()
	if err != nil || !slices.Equal(members, []string{ts.k("user:account:github:42")}) {
		t.Errorf("account index = %q, %v", members, err)
	}
	if members, err := ts.c.SMembers(ctx, ts.k(ginauthKeys[2])).Result(); err != nil || !slices.Equal(slices.Sorted(slices.Values(members)), []string{"cred-1", "cred-2"}) {
		t.Errorf("authenticator index = %q, %v", members, err)
	}
	zs, err := ts.c.ZRangeWithScores(ctx, ts.k(ginauthKeys[1]), 0, -1).Result()
	if err != nil || len(zs) != 1 || zs[0].Member != ts.k("user:session:"+sessionToken) || int64(zs[0].Score) != expires.UnixMilli() {
		t.Errorf("session index = %v, %v", zs, err)
	}
}

func TestUsers(t *testing.T) {
	ts := newStore(t, redis.Options{})
	ctx := context.Background()
	a, err := ts.CreateUser(ctx, authjs.User{Name: "A", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if a.EmailVerified != nil {
		t.Errorf("EmailVerified = %v", a.EmailVerified)
	}
	if got := ts.get(t, ts.k("user:"+a.ID)); got != `{"name":"A","email":"a@example.com","emailVerified":null,"id":"`+a.ID+`"}` {
		t.Errorf("record %s", got)
	}
	for _, get := range []func() (*authjs.User, error){
		func() (*authjs.User, error) { return ts.GetUser(ctx, a.ID) },
		func() (*authjs.User, error) { return ts.GetUserByEmail(ctx, "a@example.com") },
	} {
		got, err := get()
		if err != nil || *got != *a {
			t.Errorf("got %+v, %v; want %+v", got, err, a)
		}
	}
	for name, err := range map[string]error{
		"unknown id":        second(ts.GetUser(ctx, "00000000-0000-4000-8000-000000000000")),
		"empty id":          second(ts.GetUser(ctx, "")),
		"other case":        second(ts.GetUserByEmail(ctx, "A@example.com")),
		"unknown email":     second(ts.GetUserByEmail(ctx, "b@example.com")),
		"empty email":       second(ts.GetUserByEmail(ctx, "")),
		"dot segment id":    second(ts.GetUser(ctx, "..")),
		"unknown account":   second(ts.GetUserByAccount(ctx, "github", "1")),
		"update unknown":    second(ts.UpdateUser(ctx, authjs.User{ID: "nope", Name: "x"})),
		"get account":       second(ts.GetAccount(ctx, "github", "1")),
		"authenticator":     second(ts.GetAuthenticator(ctx, "c")),
		"session":           third(ts.GetSessionAndUser(ctx, "s")),
		"update session":    ts.UpdateSession(ctx, authjs.DatabaseSession{SessionToken: "s", Expires: time.Now()}),
		"counter":           ts.UpdateAuthenticatorCounter(ctx, "c", 1),
		"verification":      second(ts.UseVerificationToken(ctx, "a@example.com", "t")),
		"link without user": ts.LinkAccount(ctx, authjs.Account{UserID: "nope", Provider: "github", ProviderAccountID: "1", Type: authjs.TypeOAuth}),
	} {
		if !errors.Is(err, authjs.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}

	// Emails are unique.
	if _, err := ts.CreateUser(ctx, authjs.User{Email: "a@example.com"}); !errors.Is(err, authjs.ErrConflict) {
		t.Errorf("second user with the email: %v, want ErrConflict", err)
	}
	b, err := ts.CreateUser(ctx, authjs.User{Email: "b@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.UpdateUser(ctx, authjs.User{ID: b.ID, Email: "a@example.com"}); !errors.Is(err, authjs.ErrConflict) {
		t.Errorf("update to a taken email: %v, want ErrConflict", err)
	}
	if got, err := ts.GetUser(ctx, b.ID); err != nil || got.Email != "b@example.com" {
		t.Errorf("after the refused update: %+v, %v", got, err)
	}

	// UpdateUser moves the email key and keeps fields it does not know.
	if err := ts.c.Set(ctx, ts.k("user:"+a.ID), `{"name":"A","email":"a@example.com","emailVerified":null,"id":"`+a.ID+`","role":"admin"}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	up, err := ts.UpdateUser(ctx, authjs.User{ID: a.ID, Name: "A2", Email: "a2@example.com", Image: "i", EmailVerified: &now})
	if err != nil {
		t.Fatal(err)
	}
	want := authjs.User{ID: a.ID, Name: "A2", Email: "a2@example.com", Image: "i", EmailVerified: ptr(now.Truncate(time.Millisecond).UTC())}
	if up.ID != want.ID || up.Name != want.Name || up.Email != want.Email || up.Image != want.Image || !up.EmailVerified.Equal(*want.EmailVerified) {
		t.Errorf("UpdateUser = %+v, want %+v", up, want)
	}
	if got := ts.get(t, ts.k("user:"+a.ID)); got != `{"name":"A2","email":"a2@example.com","emailVerified":"`+now.UTC().Format("2006-01-02T15:04:05.000Z")+`","id":"`+a.ID+`","role":"admin","image":"i"}` {
		t.Errorf("updated record %s", got)
	}
	if got := ts.get(t, ts.k("user:email:a@example.com")); got != "" {
		t.Errorf("old email key still there: %q", got)
	}
	if got, err := ts.GetUserByEmail(ctx, "a2@example.com"); err != nil || got.ID != a.ID {
		t.Errorf("by new email: %+v, %v", got, err)
	}
	// The old email is free again; removing the name drops it.
	if _, err := ts.UpdateUser(ctx, authjs.User{ID: b.ID, Email: "a@example.com"}); err != nil {
		t.Errorf("update to the freed email: %v", err)
	}
	if got := ts.get(t, ts.k("user:"+b.ID)); strings.Contains(got, `"name"`) {
		t.Errorf("record %s", got)
	}
	// A user without email has no email key.
	c, err := ts.CreateUser(ctx, authjs.User{Name: "no email"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ts.GetUser(ctx, c.ID); err != nil || got.Email != "" || got.Name != "no email" {
		t.Errorf("user without email: %+v, %v", got, err)
	}
	for _, k := range ts.keys(t) {
		if strings.HasSuffix(k, ":user:email") || strings.Contains(k, "undefined") {
			t.Errorf("stray key %s", k)
		}
	}
}

// TestStaleIndexes checks how the store treats the stale keys the
// JavaScript adapter leaves behind.
func TestStaleIndexes(t *testing.T) {
	ts := newStore(t, redis.Options{})
	ctx := context.Background()
	a, err := ts.CreateUser(ctx, authjs.User{Email: "old@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// As the JavaScript updateUser does: a new email, the old key left.
	if err := ts.c.Set(ctx, ts.k("user:"+a.ID), `{"email":"new@example.com","emailVerified":null,"id":"`+a.ID+`"}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := ts.c.Set(ctx, ts.k("user:email:new@example.com"), a.ID, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.GetUserByEmail(ctx, "old@example.com"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("stale email key: %v, want ErrNotFound", err)
	}
	b, err := ts.CreateUser(ctx, authjs.User{Email: "old@example.com"})
	if err != nil {
		t.Fatalf("email of a stale key: %v", err)
	}
	if got, err := ts.GetUserByEmail(ctx, "old@example.com"); err != nil || got.ID != b.ID {
		t.Errorf("by email: %+v, %v", got, err)
	}

	// Emails that unstorage maps to one key: the second is refused rather
	// than taking the key from the first.
	c, err := ts.CreateUser(ctx, authjs.User{Email: "x?1@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.CreateUser(ctx, authjs.User{Email: "x?2@example.com"}); !errors.Is(err, authjs.ErrConflict) {
		t.Errorf("colliding email: %v, want ErrConflict", err)
	}
	if got, err := ts.GetUserByEmail(ctx, "x?1@example.com"); err != nil || got.ID != c.ID {
		t.Errorf("by email: %+v, %v", got, err)
	}
	if _, err := ts.GetUserByEmail(ctx, "x?2@example.com"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("other email of the key: %v, want ErrNotFound", err)
	}

	// An account whose user is gone (the JavaScript deleteUser removes one
	// account per user) can be linked again.
	if err := ts.LinkAccount(ctx, authjs.Account{UserID: a.ID, Provider: "github", ProviderAccountID: "1", Type: authjs.TypeOAuth}); err != nil {
		t.Fatal(err)
	}
	if err := ts.c.Del(ctx, ts.k("user:"+a.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.GetUserByAccount(ctx, "github", "1"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("account of a deleted user: %v, want ErrNotFound", err)
	}
	if err := ts.LinkAccount(ctx, authjs.Account{UserID: b.ID, Provider: "github", ProviderAccountID: "1", Type: authjs.TypeOAuth}); err != nil {
		t.Fatalf("relinking an orphaned account: %v", err)
	}
	if got, err := ts.GetUserByAccount(ctx, "github", "1"); err != nil || got.ID != b.ID {
		t.Errorf("by account: %+v, %v", got, err)
	}
	if n, _ := ts.c.Exists(ctx, ts.k("ginauth:account:by-user-id:"+a.ID)).Result(); n != 0 {
		t.Errorf("the orphan is still in the old user's index")
	}
}

func TestAccounts(t *testing.T) {
	ts := newStore(t, redis.Options{})
	ctx := context.Background()
	u, err := ts.CreateUser(ctx, authjs.User{Email: "u@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := ts.CreateUser(ctx, authjs.User{Email: "v@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	acc := authjs.Account{UserID: u.ID, Provider: "google", Type: authjs.TypeOIDC, ProviderAccountID: "sub-1", AccessToken: "a", IDToken: "i", ExpiresAt: 1, TokenType: "Bearer", Scope: "openid"}
	if err := ts.LinkAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if got, err := ts.GetAccount(ctx, "google", "sub-1"); err != nil || *got != acc {
		t.Errorf("GetAccount = %+v, %v; want %+v", got, err, acc)
	}
	if got, err := ts.GetUserByAccount(ctx, "google", "sub-1"); err != nil || got.ID != u.ID {
		t.Errorf("GetUserByAccount = %+v, %v", got, err)
	}
	other := acc
	other.UserID = v.ID
	if err := ts.LinkAccount(ctx, other); !errors.Is(err, authjs.ErrConflict) {
		t.Errorf("linking a linked account: %v, want ErrConflict", err)
	}
	if err := ts.LinkAccount(ctx, authjs.Account{UserID: u.ID, Provider: "github", Type: authjs.TypeOAuth, ProviderAccountID: "7"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.UnlinkAccount(ctx, "google", "sub-1"); err != nil {
		t.Fatal(err)
	}
	if err := ts.UnlinkAccount(ctx, "google", "sub-1"); err != nil {
		t.Errorf("unlinking again: %v", err)
	}
	if _, err := ts.GetUserByAccount(ctx, "google", "sub-1"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("after unlink: %v", err)
	}
	if err := ts.LinkAccount(ctx, other); err != nil {
		t.Errorf("linking an unlinked account to another user: %v", err)
	}
	if got, _ := ts.c.SMembers(ctx, ts.k("ginauth:account:by-user-id:"+u.ID)).Result(); !slices.Equal(got, []string{ts.k("user:account:github:7")}) {
		t.Errorf("index after unlink = %q", got)
	}
	// The JavaScript unlinkAccount leaves the by-user-id key; so does this.
	if got := ts.get(t, ts.k("user:account:by-user-id:"+u.ID)); got != ts.opts.BaseKeyPrefix+"user:account:github:7" {
		t.Errorf("by-user-id = %q", got)
	}
}

func TestSessions(t *testing.T) {
	ts := newStore(t, redis.Options{})
	ctx := context.Background()
	u, err := ts.CreateUser(ctx, authjs.User{Email: "s@example.com", Name: "S"})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Millisecond)
	s1 := authjs.DatabaseSession{SessionToken: "tok-1", UserID: u.ID, Expires: exp}
	if err := ts.CreateSession(ctx, s1); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateSession(ctx, s1); !errors.Is(err, authjs.ErrConflict) {
		t.Errorf("second session with the token: %v, want ErrConflict", err)
	}
	gs, gu, err := ts.GetSessionAndUser(ctx, "tok-1")
	if err != nil || gs.SessionToken != "tok-1" || gs.UserID != u.ID || !gs.Expires.Equal(exp) || *gu != *u {
		t.Fatalf("GetSessionAndUser = %+v, %+v, %v", gs, gu, err)
	}

	// UpdateSession renews the expiry in the record and in Redis.
	sk := ts.k("user:session:tok-1")
	short := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	if err := ts.UpdateSession(ctx, authjs.DatabaseSession{SessionToken: "tok-1", Expires: short}); err != nil {
		t.Fatal(err)
	}
	if d := ts.pttl(t, sk); d <= 50*time.Second || d > time.Minute {
		t.Errorf("PTTL after update = %v, want about a minute", d)
	}
	if gs, _, err := ts.GetSessionAndUser(ctx, "tok-1"); err != nil || !gs.Expires.Equal(short) {
		t.Errorf("after update: %+v, %v", gs, err)
	}
	if d := ts.pttl(t, ts.k("ginauth:session:by-user-id:"+u.ID)); d <= 50*time.Second || d > time.Minute {
		t.Errorf("index PTTL = %v, want that of its last session", d)
	}

	// Several sessions: ListSessions finds them all, by expiry.
	s2 := authjs.DatabaseSession{SessionToken: "tok-2", UserID: u.ID, Expires: exp.Add(time.Hour)}
	if err := ts.CreateSession(ctx, s2); err != nil {
		t.Fatal(err)
	}
	list, err := ts.ListSessions(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].SessionToken != "tok-1" || list[1].SessionToken != "tok-2" || !list[1].Expires.Equal(s2.Expires) {
		t.Fatalf("ListSessions = %+v, %v", list, err)
	}
	if d := ts.pttl(t, ts.k("ginauth:session:by-user-id:"+u.ID)); time.Until(s2.Expires)-d > 5*time.Second {
		t.Errorf("index PTTL = %v, want that of its last session", d)
	}
	if err := ts.DeleteSession(ctx, "tok-1"); err != nil {
		t.Fatal(err)
	}
	if err := ts.DeleteSession(ctx, "tok-1"); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	if _, _, err := ts.GetSessionAndUser(ctx, "tok-1"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	if list, _ := ts.ListSessions(ctx, u.ID); len(list) != 1 {
		t.Errorf("after delete: %+v", list)
	}
	if err := ts.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "tok-3", UserID: u.ID, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if n, err := ts.DeleteSessions(ctx, u.ID); n != 2 || err != nil {
		t.Errorf("DeleteSessions = %d, %v", n, err)
	}
	if list, _ := ts.ListSessions(ctx, u.ID); len(list) != 0 {
		t.Errorf("after DeleteSessions: %+v", list)
	}

	// A session expires in Redis at its expiry.
	if err := ts.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "tok-4", UserID: u.ID, Expires: time.Now().Add(150 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.GetSessionAndUser(ctx, "tok-4"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, _, err := ts.GetSessionAndUser(ctx, "tok-4"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("expired session: %v, want ErrNotFound", err)
	}
	if err := ts.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "tok-5", UserID: u.ID, Expires: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatalf("creating an expired session: %v", err)
	}
	if n, _ := ts.c.Exists(ctx, ts.k("user:session:tok-5"), ts.k("ginauth:session:by-user-id:"+u.ID)).Result(); n != 0 {
		t.Errorf("an expired session or its index is still in Redis")
	}

	// The session of a deleted user is not found.
	if err := ts.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "tok-6", UserID: u.ID, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if err := ts.c.Del(ctx, ts.k("user:"+u.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.GetSessionAndUser(ctx, "tok-6"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("session without user: %v, want ErrNotFound", err)
	}
}

func TestVerificationTokens(t *testing.T) {
	ts := newStore(t, redis.Options{})
	ctx := context.Background()
	exp := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	vt := authjs.VerificationToken{Identifier: "v@example.com", Token: "hash-1", Expires: exp}
	if err := ts.CreateVerificationToken(ctx, vt); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.UseVerificationToken(ctx, "v@example.com", "hash-2"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("wrong token: %v", err)
	}
	got, err := ts.UseVerificationToken(ctx, "v@example.com", "hash-1")
	if err != nil || got.Identifier != vt.Identifier || got.Token != vt.Token || !got.Expires.Equal(exp) {
		t.Errorf("UseVerificationToken = %+v, %v", got, err)
	}
	if _, err := ts.UseVerificationToken(ctx, "v@example.com", "hash-1"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("used twice: %v", err)
	}

	// unstorage cuts keys at "?": the token of "w?1@x" lives at
	// "user:token:w", where the JavaScript adapter would hand it to any
	// identifier starting with "w?" and any token.
	if err := ts.CreateVerificationToken(ctx, authjs.VerificationToken{Identifier: "w?1@example.com", Token: "h", Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if ts.get(t, ts.k("user:token:w")) == "" {
		t.Fatal("the token is not where unstorage puts it")
	}
	for _, tc := range [][2]string{{"w?2@example.com", "h"}, {"w?1@example.com", "other"}} {
		if _, err := ts.UseVerificationToken(ctx, tc[0], tc[1]); !errors.Is(err, authjs.ErrNotFound) {
			t.Errorf("UseVerificationToken(%q, %q) through a shared key: %v, want ErrNotFound", tc[0], tc[1], err)
		}
	}
	if _, err := ts.UseVerificationToken(ctx, "w?1@example.com", "h"); err != nil {
		t.Errorf("the right token after the wrong ones: %v", err)
	}

	// Of concurrent uses exactly one wins.
	if err := ts.CreateVerificationToken(ctx, vt); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, misses := 0, 0
	for range 20 {
		wg.Go(func() {
			_, err := ts.UseVerificationToken(ctx, vt.Identifier, vt.Token)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, authjs.ErrNotFound):
				misses++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || misses != 19 {
		t.Errorf("%d uses succeeded and %d found nothing; want 1 and 19", wins, misses)
	}

	// Tokens expire in Redis at their expiry.
	if err := ts.CreateVerificationToken(ctx, authjs.VerificationToken{Identifier: "e@example.com", Token: "t", Expires: time.Now().Add(100 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	if _, err := ts.UseVerificationToken(ctx, "e@example.com", "t"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("expired token: %v", err)
	}
}

func TestAuthenticators(t *testing.T) {
	ts := newStore(t, redis.Options{})
	ctx := context.Background()
	u, err := ts.CreateUser(ctx, authjs.User{Email: "w@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	a := authjs.Authenticator{CredentialID: "Y3JlZA", UserID: u.ID, ProviderAccountID: "Y3JlZA", CredentialPublicKey: "cGs", Counter: 3, CredentialDeviceType: "singleDevice", Transports: "internal"}
	if err := ts.CreateAuthenticator(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateAuthenticator(ctx, a); !errors.Is(err, authjs.ErrConflict) {
		t.Errorf("second authenticator with the credential id: %v, want ErrConflict", err)
	}
	if got, err := ts.GetAuthenticator(ctx, "Y3JlZA"); err != nil || *got != a {
		t.Errorf("GetAuthenticator = %+v, %v", got, err)
	}
	if err := ts.UpdateAuthenticatorCounter(ctx, "Y3JlZA", 4); err != nil {
		t.Fatal(err)
	}
	a.Counter = 4
	if got, err := ts.GetAuthenticator(ctx, "Y3JlZA"); err != nil || *got != a {
		t.Errorf("after counter update: %+v, %v", got, err)
	}
	b := a
	b.CredentialID, b.Counter = "b3RoZXI", 0
	if err := ts.CreateAuthenticator(ctx, b); err != nil {
		t.Fatal(err)
	}
	// The list as the JavaScript updateAuthenticatorCounter leaves it.
	if err := ts.c.Set(ctx, ts.k("authenticator:by-user-id:"+u.ID), `["Y3JlZA","b3RoZXI","Y3JlZA","missing"]`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	list, err := ts.ListAuthenticatorsByUserID(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0] != a || list[1] != b {
		t.Errorf("ListAuthenticatorsByUserID = %+v, %v", list, err)
	}
	if list, err := ts.ListAuthenticatorsByUserID(ctx, "nobody"); err != nil || len(list) != 0 {
		t.Errorf("list of nobody = %+v, %v", list, err)
	}
	c := a
	c.CredentialID = "dGhpcmQ"
	if err := ts.CreateAuthenticator(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := ts.get(t, ts.k("authenticator:by-user-id:"+u.ID)); got != `["dGhpcmQ","Y3JlZA","b3RoZXI"]` {
		t.Errorf("list = %s", got)
	}
	// The list as the JavaScript updateAuthenticatorCounter of the first
	// credential leaves it: the others are still listed, and the Go
	// counter update writes them back.
	if err := ts.c.Set(ctx, ts.k("authenticator:by-user-id:"+u.ID), `["b3RoZXI"]`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if list, err := ts.ListAuthenticatorsByUserID(ctx, u.ID); err != nil || len(list) != 3 || list[0].CredentialID != "b3RoZXI" {
		t.Errorf("ListAuthenticatorsByUserID = %+v, %v", list, err)
	}
	if err := ts.UpdateAuthenticatorCounter(ctx, "b3RoZXI", 1); err != nil {
		t.Fatal(err)
	}
	if got := ts.get(t, ts.k("authenticator:by-user-id:"+u.ID)); got != `["b3RoZXI","Y3JlZA","dGhpcmQ"]` {
		t.Errorf("list after the counter update = %s", got)
	}
}

// TestDeleteAuthenticator: the record goes with its entries in ginauth's
// index and in the JavaScript list, in one script, and nothing else does.
func TestDeleteAuthenticator(t *testing.T) {
	ts := newStore(t, redis.Options{Base: "unstorage"})
	ctx := context.Background()
	u, err := ts.CreateUser(ctx, authjs.User{Email: "d@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ts.CreateUser(ctx, authjs.User{Email: "o@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(userID, id string) authjs.Authenticator {
		a := authjs.Authenticator{CredentialID: id, UserID: userID, ProviderAccountID: id, CredentialPublicKey: "cGs=", CredentialDeviceType: "singleDevice"}
		if err := ts.CreateAuthenticator(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a, b, c := mk(u.ID, "YQ=="), mk(u.ID, "Yg=="), mk(u.ID, "Yw==")
	theirs := mk(other.ID, "ZA==")
	list, index := ts.k("authenticator:by-user-id:"+u.ID), ts.k("ginauth:authenticator:by-user-id:"+u.ID)
	members := func(key string) []string {
		t.Helper()
		m, err := ts.c.SMembers(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(m)
		return m
	}
	if got := ts.get(t, list); got != `["Yw==","Yg==","YQ=="]` {
		t.Fatalf("list before the delete = %s", got)
	}

	if err := ts.DeleteAuthenticator(ctx, b.CredentialID); err != nil {
		t.Fatal(err)
	}
	if got := ts.get(t, ts.k("authenticator:"+b.CredentialID)); got != "" {
		t.Errorf("the record is still there: %s", got)
	}
	if got := ts.get(t, list); got != `["Yw==","YQ=="]` {
		t.Errorf("list after the delete = %s", got)
	}
	if got := members(index); !slices.Equal(got, []string{"YQ==", "Yw=="}) {
		t.Errorf("index after the delete = %q", got)
	}

	// A list as the JavaScript adapter leaves it (repeats, a credential that
	// is gone) is written back with what remains, in its order.
	if err := ts.c.Set(ctx, list, `["YQ==","missing","Yw==","YQ=="]`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := ts.DeleteAuthenticator(ctx, c.CredentialID); err != nil {
		t.Fatal(err)
	}
	if got := ts.get(t, list); got != `["YQ=="]` {
		t.Errorf("list after the delete = %s", got)
	}
	if got := members(index); !slices.Equal(got, []string{"YQ=="}) {
		t.Errorf("index after the delete = %q", got)
	}

	// unstorage maps "x/y" and "x:y" to one key: the record is deleted only
	// under its own credential ID.
	slash := mk(other.ID, "eC95")
	slash.CredentialID, slash.ProviderAccountID = "x/y", "x/y"
	if err := ts.CreateAuthenticator(ctx, slash); err != nil {
		t.Fatal(err)
	}
	if err := ts.DeleteAuthenticator(ctx, "x:y"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("DeleteAuthenticator of a credential ID sharing another's key: %v, want ErrNotFound", err)
	}
	if got, err := ts.GetAuthenticator(ctx, "x/y"); err != nil || *got != slash {
		t.Errorf("GetAuthenticator after the refused delete = %+v, %v", got, err)
	}

	// The last one: the list and the index go too.
	if err := ts.DeleteAuthenticator(ctx, a.CredentialID); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{list, index} {
		if n, err := ts.c.Exists(ctx, k).Result(); err != nil || n != 0 {
			t.Errorf("%s exists after the last authenticator was deleted (%d, %v)", k, n, err)
		}
	}
	if got, err := ts.ListAuthenticatorsByUserID(ctx, other.ID); err != nil || len(got) != 3 || !slices.Contains(got, theirs) {
		t.Errorf("the other user's authenticators = %+v, %v", got, err)
	}
	if _, err := ts.GetUser(ctx, u.ID); err != nil {
		t.Errorf("GetUser after deleting the user's authenticators: %v", err)
	}

	// A record that is not an authenticator's JSON is a failure, and stays.
	corrupt := ts.k("authenticator:Y29ycnVwdA==")
	if err := ts.c.Set(ctx, corrupt, "not json", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := ts.DeleteAuthenticator(ctx, "Y29ycnVwdA=="); err == nil || errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("DeleteAuthenticator of a corrupt record: %v, want a failure that is not ErrNotFound", err)
	}
	if got := ts.get(t, corrupt); got != "not json" {
		t.Errorf("corrupt record after the refused delete = %q", got)
	}
}

func TestDeleteUser(t *testing.T) {
	ts := newStore(t, redis.Options{Base: "unstorage"})
	ctx := context.Background()
	mk := func(email string) *authjs.User {
		u, err := ts.CreateUser(ctx, authjs.User{Email: email})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range []string{"github", "google"} {
			if err := ts.LinkAccount(ctx, authjs.Account{UserID: u.ID, Provider: p, ProviderAccountID: email, Type: authjs.TypeOAuth}); err != nil {
				t.Fatal(err)
			}
			if err := ts.CreateSession(ctx, authjs.DatabaseSession{SessionToken: fmt.Sprint(email, i), UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := ts.CreateAuthenticator(ctx, authjs.Authenticator{CredentialID: fmt.Sprint(email, i), UserID: u.ID, ProviderAccountID: email}); err != nil {
				t.Fatal(err)
			}
		}
		return u
	}
	keep := mk("keep@example.com")
	before := ts.keys(t)
	gone := mk("gone@example.com")
	// A session and an account only the JavaScript side knows (the last
	// ones, named by its by-user-id keys).
	p := ts.opts.BaseKeyPrefix
	js := map[string]string{
		"user:session:js-session":            `{"sessionToken":"js-session","userId":"` + gone.ID + `","expires":"2999-01-01T00:00:00.000Z"}`,
		"user:session:by-user-id:" + gone.ID: p + "user:session:js-session",
		"user:account:gitlab:9":              `{"userId":"` + gone.ID + `","provider":"gitlab","type":"oauth","providerAccountId":"9","id":"gitlab:9"}`,
		"user:account:by-user-id:" + gone.ID: p + "user:account:gitlab:9",
	}
	for k, v := range js {
		if err := ts.c.Set(ctx, ts.k(k), v, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if list, err := ts.ListSessions(ctx, gone.ID); err != nil || len(list) != 3 {
		t.Errorf("ListSessions with the JavaScript one = %+v, %v", list, err)
	}
	if err := ts.DeleteUser(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if got := ts.keys(t); !slices.Equal(got, before) {
		t.Errorf("keys after DeleteUser:\n got %q\nwant %q", got, before)
	}
	if err := ts.DeleteUser(ctx, gone.ID); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	if _, err := ts.GetUserByAccount(ctx, "github", "keep@example.com"); err != nil {
		t.Errorf("the other user's account: %v", err)
	}
	if _, err := ts.GetUserByEmail(ctx, "gone@example.com"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("deleted user by email: %v", err)
	}
	if _, err := ts.CreateUser(ctx, authjs.User{Email: "gone@example.com"}); err != nil {
		t.Errorf("reusing the email: %v", err)
	}
	_ = keep
}

func TestConcurrentWrites(t *testing.T) {
	ts := newStore(t, redis.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	users, conflicts := 0, 0
	var ids []string
	for range 16 {
		wg.Go(func() {
			u, err := ts.CreateUser(ctx, authjs.User{Email: "race@example.com"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				users++
				ids = append(ids, u.ID)
			case errors.Is(err, authjs.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if users != 1 || conflicts != 15 {
		t.Fatalf("%d users and %d conflicts, want 1 and 15", users, conflicts)
	}
	links, conflicts := 0, 0
	for i := range 16 {
		wg.Go(func() {
			err := ts.LinkAccount(ctx, authjs.Account{UserID: ids[0], Provider: "github", ProviderAccountID: "race", Type: authjs.TypeOAuth, AccessToken: fmt.Sprint(i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				links++
			case errors.Is(err, authjs.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if links != 1 || conflicts != 15 {
		t.Errorf("%d links and %d conflicts, want 1 and 15", links, conflicts)
	}
	// Concurrent counter updates all land (compare-and-set retries).
	if err := ts.CreateAuthenticator(ctx, authjs.Authenticator{CredentialID: "c", UserID: ids[0]}); err != nil {
		t.Fatal(err)
	}
	for i := range 16 {
		wg.Go(func() {
			if err := ts.UpdateAuthenticatorCounter(ctx, "c", int64(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// TestErrors checks that failures of the server are not ErrNotFound and do
// not carry token values.
func TestErrors(t *testing.T) {
	// A server that hangs up on every connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	c := goredis.NewClient(&goredis.Options{Addr: ln.Addr().String(), MaxRetries: -1})
	defer c.Close()
	s, err := redis.New(c, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	secret := "secret-session-token-value"
	errs := []error{
		third(s.GetSessionAndUser(ctx, secret)),
		s.CreateSession(ctx, authjs.DatabaseSession{SessionToken: secret, UserID: "u", Expires: time.Now()}),
		second(s.UseVerificationToken(ctx, "a@b", secret)),
		s.DeleteSession(ctx, secret),
	}
	for _, err := range errs {
		if err == nil || errors.Is(err, authjs.ErrNotFound) || strings.Contains(err.Error(), secret) {
			t.Errorf("error %v", err)
		}
	}
	// The per-operation timeout bounds a call the context does not.
	ts := newStore(t, redis.Options{Timeout: time.Nanosecond})
	if _, err := ts.GetUser(ctx, "x"); err == nil || errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("GetUser past the timeout: %v", err)
	}
}

func TestOpen(t *testing.T) {
	s, err := redis.Open(redisURL(t), redis.Options{BaseKeyPrefix: "gt-open-" + randomHex(4) + ":"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.GetUser(ctx, "nobody"); !errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("GetUser: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if _, err := s.GetUser(ctx, "nobody"); err == nil || errors.Is(err, authjs.ErrNotFound) {
		t.Errorf("GetUser after Close: %v", err)
	}
	if _, err := redis.Open("http://x", redis.Options{}); err == nil {
		t.Error("Open of an http URL did not fail")
	}
}

func second[A, B any](_ A, b B) B        { return b }
func third[A, B, C any](_ A, _ B, c C) C { return c }

func BenchmarkGetSessionAndUser(b *testing.B) {
	ts := newStore(b, redis.Options{})
	ctx := context.Background()
	u, err := ts.CreateUser(ctx, authjs.User{Name: "Bench", Email: "bench@example.com", Image: "https://img.example/b.png", EmailVerified: ptr(time.Now())})
	if err != nil {
		b.Fatal(err)
	}
	if err := ts.CreateSession(ctx, authjs.DatabaseSession{SessionToken: "6f1c2a8e-1d43-4c1e-9f0b-6a5b0c1d2e3f", UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ts.GetSessionAndUser(ctx, "6f1c2a8e-1d43-4c1e-9f0b-6a5b0c1d2e3f"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedisGet is the floor for BenchmarkGetSessionAndUser: one GET of
// the session record, one round trip on the same client.
func BenchmarkRedisGet(b *testing.B) {
	ts := newStore(b, redis.Options{})
	ctx := context.Background()
	key := ts.k("user:session:x")
	if err := ts.c.Set(ctx, key, `{"sessionToken":"x","userId":"y","expires":"2099-01-01T00:00:00.000Z"}`, time.Minute).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := ts.c.Get(ctx, key).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
