package redis

import (
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// Every operation that touches more than one key, or reads a key named by
// another key's value, is one Lua script: Redis runs a script atomically and
// in one round trip. The store's key prefixes are compiled into the
// scripts' source (so each Store has its own scripts), and the scripts
// compute the keys they find in records (a session's user, a pointer's
// target) with rkey, the Lua twin of keyspace.key. KEYS[1] is always given,
// so that a cluster client routes the script to the right node.

// luaHelpers are the Lua functions the scripts share, in dependency
// order. A script's source holds only the ones it uses (with what they
// use), so that Redis does not define unused functions on every call.
// Besides them a script sees the keyspace's prefixes as
// BASE, USER, EMAIL, ACCOUNT_BY_USER, SESSION_BY_USER, AUTH, AUTH_BY_USER,
// SESSION_INDEX, ACCOUNT_INDEX and AUTH_INDEX.
var luaHelpers = []luaHelper{
	// norm: unstorage's normalizeKey (see normalizeKey)
	{"norm", []string{}, `
local function norm(k)
  k = string.match(k, '^[^?]*')
  k = string.gsub(k, '[/\\]', ':')
  k = string.gsub(k, ':+', ':')
  k = string.gsub(k, '^:', '')
  k = string.gsub(k, ':$', '')
  return k
end
`},
	// rkey: the Redis key of unstorage key k, or nil when unstorage rejects it
	{"rkey", []string{"norm"}, `
local function rkey(k)
  k = norm(k)
  if k == '' then return nil end
  for seg in string.gmatch(k, '[^:]+') do
    if seg == '.' or seg == '..' then return nil end
  end
  return BASE .. k
end
`},
	// decode: the table a JSON object or array decodes to, or nil
	{"decode", []string{}, `
local function decode(v)
  local ok, r = pcall(cjson.decode, v)
  if ok and type(r) == 'table' then return r end
  return nil
end
`},
	// str: a decoded value as a string (numbers too), or nil
	{"str", []string{}, `
local function str(v)
  if type(v) == 'string' then return v end
  if type(v) == 'number' then return tostring(v) end
  return nil
end
`},
	// owned: deletes record k when its userId is uid; 1 if it did
	{"owned", []string{"decode", "str"}, `
local function owned(k, uid)
  local v = redis.call('GET', k)
  if not v then return 0 end
  local r = decode(v)
  if r and str(r.userId) == uid then
    redis.call('DEL', k)
    return 1
  end
  return 0
end
`},
	// user_exists: whether the user with that id exists
	{"user_exists", []string{"rkey"}, `
local function user_exists(uid)
  local uk = rkey(USER .. uid)
  return uk ~= nil and redis.call('EXISTS', uk) == 1
end
`},
	// email_owner: the user id email key ek names, or nil when that user is
	// gone or no longer has an email with that key (a stale entry: the
	// JavaScript adapter's updateUser leaves the old one behind)
	{"email_owner", []string{"rkey", "decode", "str"}, `
local function email_owner(ek)
  local owner = redis.call('GET', ek)
  if not owner then return nil end
  local uk = rkey(USER .. owner)
  if not uk then return owner end
  local raw = redis.call('GET', uk)
  if not raw then return nil end
  local u = decode(raw)
  if not u then return owner end
  local e = str(u.email)
  if not e or rkey(EMAIL .. e) ~= ek then return nil end
  return owner
end
`},
	// auth_ids: the user's credential IDs and authenticator records: those of
	// the JavaScript list in its order, then those of ginauth's index, each
	// once, and only those whose record exists and is the user's
	{"auth_ids", []string{"rkey", "decode", "str"}, `
local function auth_ids(uid)
  local ids, vals, seen = {}, {}, {}
  local function add(c)
    local cs = str(c)
    if not cs or seen[cs] then return end
    seen[cs] = true
    local k = rkey(AUTH .. cs)
    local v = k and redis.call('GET', k)
    local r = v and decode(v)
    if r and str(r.userId) == uid then
      ids[#ids + 1] = cs
      vals[#vals + 1] = v
    end
  end
  local lk = rkey(AUTH_BY_USER .. uid)
  local cur = lk and redis.call('GET', lk)
  for _, c in ipairs(cur and decode(cur) or {}) do add(c) end
  local ik = rkey(AUTH_INDEX .. uid)
  if ik then
    local m = redis.call('SMEMBERS', ik)
    table.sort(m)
    for _, c in ipairs(m) do add(c) end
  end
  return ids, vals
end
`},
	// write_auth_list: writes the user's JavaScript list
	{"write_auth_list", []string{"rkey"}, `
local function write_auth_list(uid, ids)
  local lk = rkey(AUTH_BY_USER .. uid)
  if lk and #ids > 0 then redis.call('SET', lk, cjson.encode(ids)) end
end
`},
	// index_session: adds session key sk to the sorted set ik with score exp,
	// drops members that are past and gone, and sets ik to expire with its last
	// session
	{"index_session", []string{}, `
local function index_session(ik, sk, exp, now)
  redis.call('ZADD', ik, exp, sk)
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', ik, '-inf', '(' .. now)) do
    if redis.call('EXISTS', k) == 0 then redis.call('ZREM', ik, k) end
  end
  local last = redis.call('ZRANGE', ik, -1, -1, 'WITHSCORES')
  if #last == 0 then
    redis.call('DEL', ik)
  else
    redis.call('PEXPIREAT', ik, last[2])
  end
end
`},
}

// luaHelper is a Lua function of the scripts: its name, the helpers it
// calls, and its source.
type luaHelper struct {
	name string
	uses []string
	src  string
}

// createUser: KEYS[1] user key, KEYS[2] email key (absent without email);
// ARGV json, id. Replies "ok", "conflict" (another user has the email) or
// "exists" (the id is taken).
const luaCreateUser = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
if KEYS[2] then
  local o = email_owner(KEYS[2])
  if o and o ~= ARGV[2] then return 'conflict' end
  redis.call('SET', KEYS[2], ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1])
return 'ok'
`

// follow: KEYS[1] a record or email key; ARGV "raw" when its value is a
// user id, "json" when it is a record with a userId. Replies nil, {value}
// (no such user) or {value, user}.
const luaFollow = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
local uid
if ARGV[1] == 'raw' then
  uid = v
else
  local r = decode(v)
  if r then uid = str(r.userId) end
end
if uid then
  local uk = rkey(USER .. uid)
  if uk then
    local u = redis.call('GET', uk)
    if u then return {v, u} end
  end
end
return {v}
`

// updateUser: KEYS[1] user key; ARGV stored json, new json, id, stored
// email, new email. Replies "ok", "retry" (the record changed since it was
// read), "notfound" or "conflict".
const luaUpdateUser = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 'notfound' end
if cur ~= ARGV[1] then return 'retry' end
local id = ARGV[3]
local oldKey, newKey
if ARGV[4] ~= '' then oldKey = rkey(EMAIL .. ARGV[4]) end
if ARGV[5] ~= '' then newKey = rkey(EMAIL .. ARGV[5]) end
if newKey and redis.call('GET', newKey) ~= id then
  local o = email_owner(newKey)
  if o and o ~= id then return 'conflict' end
  redis.call('SET', newKey, id)
end
if oldKey and oldKey ~= newKey and redis.call('GET', oldKey) == id then
  redis.call('DEL', oldKey)
end
redis.call('SET', KEYS[1], ARGV[2])
return 'ok'
`

// deleteUser: KEYS[1] user key; ARGV id. Deletes the user, its email key,
// the accounts, sessions and authenticators that ginauth's indexes and the
// JavaScript adapter's by-user-id keys and list name (each only when its
// record still belongs to the user), and those index keys. Replies 1, or 0
// when there was no user record.
const luaDeleteUser = `
local id = ARGV[1]
local raw = redis.call('GET', KEYS[1])
if raw then
  local u = decode(raw)
  local e = u and str(u.email)
  local ek = e and rkey(EMAIL .. e)
  if ek and redis.call('GET', ek) == id then redis.call('DEL', ek) end
end
local function follow(pk)
  if not pk then return end
  local p = redis.call('GET', pk)
  local k = p and rkey(p)
  if k then owned(k, id) end
  redis.call('DEL', pk)
end
local ai = rkey(ACCOUNT_INDEX .. id)
if ai then
  for _, k in ipairs(redis.call('SMEMBERS', ai)) do owned(k, id) end
  redis.call('DEL', ai)
end
follow(rkey(ACCOUNT_BY_USER .. id))
local si = rkey(SESSION_INDEX .. id)
if si then
  for _, k in ipairs(redis.call('ZRANGE', si, 0, -1)) do owned(k, id) end
  redis.call('DEL', si)
end
follow(rkey(SESSION_BY_USER .. id))
for _, c in ipairs((auth_ids(id))) do owned(rkey(AUTH .. c), id) end
local lk = rkey(AUTH_BY_USER .. id)
if lk then redis.call('DEL', lk) end
local xi = rkey(AUTH_INDEX .. id)
if xi then redis.call('DEL', xi) end
redis.call('DEL', KEYS[1])
if raw then return 1 end
return 0
`

// linkAccount: KEYS[1] account key; ARGV json, userId, the by-user-id
// pointer's value. An account whose user is gone (the JavaScript adapter's
// deleteUser leaves all but one behind) is replaced. Replies "ok",
// "conflict" or "nouser".
const luaLinkAccount = `
local uid = ARGV[2]
if not user_exists(uid) then return 'nouser' end
local cur = redis.call('GET', KEYS[1])
if cur then
  local r = decode(cur)
  local owner = r and str(r.userId)
  if not owner then return 'conflict' end
  local ok = rkey(USER .. owner)
  if not ok or redis.call('EXISTS', ok) == 1 then return 'conflict' end
  local oi = rkey(ACCOUNT_INDEX .. owner)
  if oi then redis.call('SREM', oi, KEYS[1]) end
end
redis.call('SET', KEYS[1], ARGV[1])
local pk = rkey(ACCOUNT_BY_USER .. uid)
if pk then redis.call('SET', pk, ARGV[3]) end
local ai = rkey(ACCOUNT_INDEX .. uid)
if ai then redis.call('SADD', ai, KEYS[1]) end
return 'ok'
`

// unlinkAccount: KEYS[1] account key; ARGV provider, providerAccountId.
// Leaves the JavaScript adapter's by-user-id key as its unlinkAccount does.
const luaUnlinkAccount = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = decode(v)
if not r or str(r.provider) ~= ARGV[1] or str(r.providerAccountId) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
local uid = str(r.userId)
local ai = uid and rkey(ACCOUNT_INDEX .. uid)
if ai then redis.call('SREM', ai, KEYS[1]) end
return 1
`

// createSession: KEYS[1] session key; ARGV json, userId, expiry (Unix ms),
// now (Unix ms), the by-user-id pointer's value. Replies "ok", "conflict"
// or "nouser".
const luaCreateSession = `
if not user_exists(ARGV[2]) then return 'nouser' end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 'conflict' end
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
local pk = rkey(SESSION_BY_USER .. ARGV[2])
if pk then redis.call('SET', pk, ARGV[5]) end
local ik = rkey(SESSION_INDEX .. ARGV[2])
if ik then index_session(ik, KEYS[1], ARGV[3], ARGV[4]) end
return 'ok'
`

// updateSession: KEYS[1] session key; ARGV stored json, new json, userId,
// expiry, now, pointer value. Replies "ok", "retry" or "notfound".
const luaUpdateSession = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 'notfound' end
if cur ~= ARGV[1] then return 'retry' end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
local pk = rkey(SESSION_BY_USER .. ARGV[3])
if pk then redis.call('SET', pk, ARGV[6]) end
local ik = rkey(SESSION_INDEX .. ARGV[3])
if ik then index_session(ik, KEYS[1], ARGV[4], ARGV[5]) end
return 'ok'
`

// deleteSession: KEYS[1] session key; ARGV token. Leaves the JavaScript
// adapter's by-user-id key as its deleteSession does.
const luaDeleteSession = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = decode(v)
if r and str(r.sessionToken) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
local uid = r and str(r.userId)
local ik = uid and rkey(SESSION_INDEX .. uid)
if ik then redis.call('ZREM', ik, KEYS[1]) end
return 1
`

// listSessions: KEYS[1] ginauth's session index; ARGV userId. Replies the
// records of the indexed sessions and of the one the JavaScript adapter's
// by-user-id key names.
const luaListSessions = `
local out, seen = {}, {}
local function add(k)
  if not k or seen[k] then return end
  seen[k] = true
  local v = redis.call('GET', k)
  if v then out[#out + 1] = v end
end
for _, k in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do add(k) end
local pk = rkey(SESSION_BY_USER .. ARGV[1])
local p = pk and redis.call('GET', pk)
if p then add(rkey(p)) end
return out
`

// deleteSessions: KEYS[1] ginauth's session index; ARGV userId. Replies how
// many sessions it deleted.
const luaDeleteSessions = `
local n, seen = 0, {}
local function del(k)
  if not k or seen[k] then return end
  seen[k] = true
  n = n + owned(k, ARGV[1])
end
for _, k in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do del(k) end
redis.call('DEL', KEYS[1])
local pk = rkey(SESSION_BY_USER .. ARGV[1])
local p = pk and redis.call('GET', pk)
if p then del(rkey(p)) end
return n
`

// setUntil: KEYS[1]; ARGV value, expiry (Unix ms).
const luaSetUntil = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 'ok'
`

// useToken: KEYS[1] token key; ARGV identifier, token. Deletes and replies
// the record when it is that identifier's token (unstorage cuts keys at
// "?", so other identifiers' tokens can share the key); nil otherwise.
const luaUseToken = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
local r = decode(v)
if not r or str(r.identifier) ~= ARGV[1] or str(r.token) ~= ARGV[2] then return false end
redis.call('DEL', KEYS[1])
return v
`

// createAuthenticator: KEYS[1] authenticator key; ARGV json, credentialID,
// userId. Adds the credential to ginauth's index, and writes the
// JavaScript list with it first and every other credential of the user
// once (repairing what the JavaScript adapter's setAuthenticator drops or
// repeats). Replies "ok", "conflict" or "nouser".
const luaCreateAuthenticator = `
local cred, uid = ARGV[2], ARGV[3]
if not user_exists(uid) then return 'nouser' end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 'conflict' end
local ik = rkey(AUTH_INDEX .. uid)
if ik then redis.call('SADD', ik, cred) end
local out = {cred}
for _, c in ipairs((auth_ids(uid))) do
  if c ~= cred then out[#out + 1] = c end
end
write_auth_list(uid, out)
return 'ok'
`

// updateAuthenticator: KEYS[1] authenticator key; ARGV stored json, new
// json, credentialID, userId. Writes the record if it did not change since
// it was read, and repairs the user's JavaScript list (keeping its order).
// Replies "ok", "retry" or "notfound".
const luaUpdateAuthenticator = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 'notfound' end
if cur ~= ARGV[1] then return 'retry' end
redis.call('SET', KEYS[1], ARGV[2])
local ik = rkey(AUTH_INDEX .. ARGV[4])
if ik then redis.call('SADD', ik, ARGV[3]) end
write_auth_list(ARGV[4], (auth_ids(ARGV[4])))
return 'ok'
`

// listAuthenticators: KEYS[1] the user's JavaScript list; ARGV userId.
// Replies the records auth_ids finds.
const luaListAuthenticators = `
local _, vals = auth_ids(ARGV[1])
return vals
`

// deleteAuthenticator: KEYS[1] authenticator key; ARGV credentialID.
// Deletes the record when it is that credential's (unstorage's key
// normalization lets other IDs share the key), removes the credential from
// its user's ginauth index, and rewrites the user's JavaScript list with
// the user's remaining credentials in its order (deleting the list when
// none remain). Replies "ok", "notfound" or "corrupt" (a record that is
// not an authenticator's JSON).
const luaDeleteAuthenticator = `
local v = redis.call('GET', KEYS[1])
if not v then return 'notfound' end
local r = decode(v)
if not r then return 'corrupt' end
if str(r.credentialID) ~= ARGV[1] then return 'notfound' end
redis.call('DEL', KEYS[1])
local uid = str(r.userId)
if not uid then return 'ok' end
local ik = rkey(AUTH_INDEX .. uid)
if ik then redis.call('SREM', ik, ARGV[1]) end
local ids = auth_ids(uid)
if #ids > 0 then
  write_auth_list(uid, ids)
else
  local lk = rkey(AUTH_BY_USER .. uid)
  if lk then redis.call('DEL', lk) end
end
return 'ok'
`

// scripts are a Store's compiled scripts.
type scripts struct {
	createUser, follow, updateUser, deleteUser  *goredis.Script
	linkAccount, unlinkAccount                  *goredis.Script
	createSession, updateSession, deleteSession *goredis.Script
	listSessions, deleteSessions                *goredis.Script
	setUntil, useToken                          *goredis.Script
	createAuthenticator, updateAuthenticator    *goredis.Script
	listAuthenticators, deleteAuthenticator     *goredis.Script
	evalKey                                     string // for tests
}

func newScripts(ks *keyspace) *scripts {
	var consts strings.Builder
	for _, c := range []struct{ name, value string }{
		{"BASE", ks.base},
		{"USER", ks.user},
		{"EMAIL", ks.email},
		{"ACCOUNT_BY_USER", ks.accountByUser},
		{"SESSION_BY_USER", ks.sessionByUser},
		{"AUTH", ks.auth},
		{"AUTH_BY_USER", ks.authByUser},
		{"SESSION_INDEX", ks.sessionIndex},
		{"ACCOUNT_INDEX", ks.accountIndex},
		{"AUTH_INDEX", ks.authIndex},
	} {
		consts.WriteString("local " + c.name + " = " + luaQuote(c.value) + "\n")
	}
	src := func(body string, uses ...string) string {
		return consts.String() + helperSource(uses) + body
	}
	s := func(body string, uses ...string) *goredis.Script { return goredis.NewScript(src(body, uses...)) }
	return &scripts{
		createUser:          s(luaCreateUser, "email_owner"),
		follow:              s(luaFollow, "rkey", "decode", "str"),
		updateUser:          s(luaUpdateUser, "rkey", "email_owner"),
		deleteUser:          s(luaDeleteUser, "rkey", "decode", "str", "owned", "auth_ids"),
		linkAccount:         s(luaLinkAccount, "rkey", "decode", "str", "user_exists"),
		unlinkAccount:       s(luaUnlinkAccount, "rkey", "decode", "str"),
		createSession:       s(luaCreateSession, "rkey", "user_exists", "index_session"),
		updateSession:       s(luaUpdateSession, "rkey", "index_session"),
		deleteSession:       s(luaDeleteSession, "rkey", "decode", "str"),
		listSessions:        s(luaListSessions, "rkey"),
		deleteSessions:      s(luaDeleteSessions, "rkey", "owned"),
		setUntil:            s(luaSetUntil),
		useToken:            s(luaUseToken, "decode", "str"),
		createAuthenticator: s(luaCreateAuthenticator, "rkey", "user_exists", "auth_ids", "write_auth_list"),
		updateAuthenticator: s(luaUpdateAuthenticator, "rkey", "auth_ids", "write_auth_list"),
		listAuthenticators:  s(luaListAuthenticators, "auth_ids"),
		deleteAuthenticator: s(luaDeleteAuthenticator, "rkey", "decode", "str", "auth_ids", "write_auth_list"),
		evalKey:             src("return rkey(ARGV[1]) or false\n", "rkey"),
	}
}

// helperSource returns the source of the named helpers and of those they
// use, in luaHelpers order.
func helperSource(uses []string) string {
	need := map[string]bool{}
	var add func(name string)
	add = func(name string) {
		if need[name] {
			return
		}
		need[name] = true
		for _, h := range luaHelpers {
			if h.name == name {
				for _, u := range h.uses {
					add(u)
				}
			}
		}
	}
	for _, u := range uses {
		add(u)
	}
	var b strings.Builder
	for _, h := range luaHelpers {
		if need[h.name] {
			b.WriteString(h.src)
		}
	}
	return b.String()
}

// luaQuote returns s as a Lua 5.1 string literal, with every byte that is
// not printable ASCII (and the quote and backslash) as a decimal escape.
func luaQuote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b = append(b, c)
			continue
		}
		b = append(b, '\\')
		d := strconv.Itoa(int(c))
		for len(d) < 3 {
			d = "0" + d
		}
		b = append(b, d...)
	}
	return string(append(b, '"'))
}
