// A real OpenID provider (panva's oidc-provider) on loopback for ginauth's
// tests, with test-control endpoints under /__test/ that make it misbehave
// in chosen ways.
//
// Usage: node provider.mjs [options]; every option also reads an environment
// variable, the flag winning:
//
//	--port N                    OIDC_PORT              0 (any free port)
//	--client-id ID              OIDC_CLIENT_ID         ginauth-test
//	--client-secret S           OIDC_CLIENT_SECRET     ginauth-test-secret
//	--redirect-uri URI          OIDC_REDIRECT_URIS     required; repeat the flag, or separate with spaces
//	--auth-method M             OIDC_AUTH_METHOD       client_secret_basic (or client_secret_post, none);
//	                                                   the token endpoint refuses the other one
//	--access-token-ttl SECONDS  OIDC_ACCESS_TOKEN_TTL  3600
//	--require-pkce              OIDC_REQUIRE_PKCE=1    refuse authorization requests without S256 PKCE
//	--conform-id-token-claims   OIDC_CONFORM_ID_TOKEN_CLAIMS=1
//	                            keep profile and email claims out of the ID token (userinfo only)
//	--exit-with-stdin           exit when stdin reaches its end (the parent went away)
//
// When it listens it prints one JSON line to stdout:
//
//	{"issuer":"http://127.0.0.1:PORT","clientId":"...","redirectUris":[...]}
//
// Everything else (warnings, a line per request) goes to stderr.
//
// Test control (POST, JSON body, JSON answer):
//
//	/__test/rotate  {"keepOld":true}  a new signing key signs from now on; the old
//	                                  one stays in the JWKS unless keepOld is false
//	/__test/tamper  {"mode":"..."}    damage every token-endpoint response until reset:
//	                                  none, bad-signature, expired-id-token, wrong-nonce,
//	                                  wrong-audience, wrong-issuer, unknown-kid, token-error
//	/__test/reset   {}                back to mode none (the keys stay as rotated)
//	/__test/state   {}                the current mode and the kids in the JWKS
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider from 'oidc-provider';
// The package's own in-memory adapter, made once so that every Provider
// instance built here shares its storage.
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

const { values: flags } = parseArgs({
  options: {
    port: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'auth-method': { type: 'string' },
    'access-token-ttl': { type: 'string' },
    'require-pkce': { type: 'boolean' },
    'conform-id-token-claims': { type: 'boolean' },
    'exit-with-stdin': { type: 'boolean' },
  },
  strict: true,
});

const env = process.env;
const isTrue = (v) => v === '1' || v === 'true';
const opts = {
  port: Number(flags.port ?? env.OIDC_PORT ?? 0),
  clientId: flags['client-id'] ?? env.OIDC_CLIENT_ID ?? 'ginauth-test',
  clientSecret: flags['client-secret'] ?? env.OIDC_CLIENT_SECRET ?? 'ginauth-test-secret',
  redirectUris: flags['redirect-uri'] ?? (env.OIDC_REDIRECT_URIS ?? '').split(/\s+/).filter(Boolean),
  authMethod: flags['auth-method'] ?? env.OIDC_AUTH_METHOD ?? 'client_secret_basic',
  accessTokenTTL: Number(flags['access-token-ttl'] ?? env.OIDC_ACCESS_TOKEN_TTL ?? 3600),
  requirePKCE: flags['require-pkce'] ?? isTrue(env.OIDC_REQUIRE_PKCE),
  conformIdTokenClaims: flags['conform-id-token-claims'] ?? isTrue(env.OIDC_CONFORM_ID_TOKEN_CLAIMS),
  exitWithStdin: flags['exit-with-stdin'] ?? false,
};

function fail(msg) {
  process.stderr.write(`provider.mjs: ${msg}\n`);
  process.exit(2);
}
if (opts.redirectUris.length === 0) fail('at least one --redirect-uri (or OIDC_REDIRECT_URIS) is required');
if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) fail('bad --port');
if (!Number.isInteger(opts.accessTokenTTL) || opts.accessTokenTTL < 1) fail('bad --access-token-ttl');
if (!['client_secret_basic', 'client_secret_post', 'none'].includes(opts.authMethod)) fail(`unsupported --auth-method ${opts.authMethod}`);

const log = (...args) => process.stderr.write(`${args.join(' ')}\n`);

// Accounts. Any login the dev interaction accepts becomes an account: the
// known ones get their profile, the rest a generic one.
const accounts = {
  alice: {
    name: 'Alice Liddell',
    given_name: 'Alice',
    family_name: 'Liddell',
    preferred_username: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    picture: 'https://images.example.com/alice.png',
  },
  bob: {
    name: 'Bob Builder',
    given_name: 'Bob',
    family_name: 'Builder',
    preferred_username: 'bob',
    email: 'bob@example.com',
    email_verified: false,
    picture: 'https://images.example.com/bob.png',
  },
};

function profileOf(login) {
  return accounts[login] ?? {
    name: `User ${login}`,
    preferred_username: login,
    email: `${login.toLowerCase().replace(/[^a-z0-9._-]/g, '_')}@example.net`,
    email_verified: false,
  };
}

// Keys. The first key of `signing` signs; /jwks serves the public part of all.
async function newRSAKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = await jose.calculateJwkThumbprint(jwk);
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  return jwk;
}

const keys = { signing: [await newRSAKey()] };
const cookieKeys = [randomBytes(32).toString('base64url')];

// Tampering with the token endpoint's answers.
const modes = new Set(['none', 'bad-signature', 'expired-id-token', 'wrong-nonce', 'wrong-audience', 'wrong-issuer', 'unknown-kid', 'token-error']);
let mode = 'none';
let strangerKey; // signs for unknown-kid; never published

async function resign(idToken, change, key) {
  const header = jose.decodeProtectedHeader(idToken);
  const claims = { ...jose.decodeJwt(idToken), ...change };
  const signer = key ?? keys.signing[0];
  return new jose.SignJWT(claims)
    .setProtectedHeader({ ...header, alg: 'RS256', kid: signer.kid })
    .sign(await jose.importJWK(signer, 'RS256'));
}

function flipSignature(idToken) {
  const [h, p, s] = idToken.split('.');
  const sig = Buffer.from(s, 'base64url');
  for (let i = 0; i < sig.length; i += 16) sig[i] ^= 0x5a;
  return `${h}.${p}.${sig.toString('base64url')}`;
}

async function tamperTokenResponse(ctx) {
  if (mode === 'token-error') {
    ctx.status = 400;
    ctx.type = 'json';
    ctx.body = { error: 'invalid_grant', error_description: 'grant request is invalid (tampered by the test provider)' };
    return;
  }
  const body = ctx.body;
  if (ctx.status !== 200 || !body || typeof body !== 'object' || typeof body.id_token !== 'string') return;
  const now = Math.floor(Date.now() / 1000);
  const t = body.id_token;
  switch (mode) {
    case 'bad-signature':
      body.id_token = flipSignature(t);
      break;
    case 'expired-id-token':
      body.id_token = await resign(t, { iat: now - 7200, exp: now - 3600, auth_time: now - 7200 });
      break;
    case 'wrong-nonce':
      body.id_token = await resign(t, { nonce: `not-${jose.decodeJwt(t).nonce ?? 'the-nonce'}` });
      break;
    case 'wrong-audience':
      body.id_token = await resign(t, { aud: 'some-other-client', azp: 'some-other-client' });
      break;
    case 'wrong-issuer':
      body.id_token = await resign(t, { iss: 'http://127.0.0.1:1/not-the-issuer' });
      break;
    case 'unknown-kid':
      strangerKey ??= await newRSAKey();
      body.id_token = await resign(t, {}, strangerKey);
      break;
    default:
      break;
  }
}

// The provider. Rebuilt on rotation, behind the same HTTP server; the adapter
// and the cookie keys are shared, so codes, grants, sessions and refresh
// tokens survive a rebuild.
const adapter = createMemoryAdapter(15);
let issuer;
let current; // { provider, handler }

function build() {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: opts.clientId,
      ...(opts.authMethod === 'none' ? {} : { client_secret: opts.clientSecret }),
      redirect_uris: opts.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: opts.authMethod,
    }],
    jwks: { keys: keys.signing },
    cookies: { keys: cookieKeys },
    adapter,
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, ...profileOf(sub) }),
    }),
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'picture'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    features: { devInteractions: { enabled: true } },
    // As oidc-provider's default, public clients must use PKCE.
    pkce: { required: (_ctx, client) => opts.requirePKCE || client.clientAuthMethod === 'none' },
    conformIdTokenClaims: opts.conformIdTokenClaims,
    // A refresh token for every code exchange, without offline_access and
    // prompt=consent, so clients' refresh paths can be exercised.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: opts.accessTokenTTL,
      AuthorizationCode: 120,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 86400,
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    log(ctx.method, ctx.path, ctx.status);
    if (ctx.path !== '/token' || ctx.method !== 'POST') return;
    // oidc-provider takes client_secret_basic and client_secret_post for
    // one another; this provider holds clients to the registered method.
    const used = /^basic /i.test(ctx.get('authorization')) ? 'client_secret_basic'
      : ctx.oidc?.params?.client_secret ? 'client_secret_post' : undefined;
    if (ctx.status === 200 && used && used !== opts.authMethod) {
      ctx.status = 401;
      ctx.type = 'json';
      ctx.body = { error: 'invalid_client', error_description: `client authentication failed (${used} used, ${opts.authMethod} registered)` };
      log(`  refused: ${used} used, ${opts.authMethod} registered`);
      return;
    }
    if (mode !== 'none') {
      await tamperTokenResponse(ctx);
      log('  tampered:', mode);
    }
  });
  provider.on('server_error', (_ctx, err) => log('server_error:', err.stack ?? err));
  for (const ev of ['authorization.error', 'grant.error', 'userinfo.error', 'end_session.error']) {
    provider.on(ev, (_ctx, err) => log(`${ev}: ${err.error}: ${err.error_description}${err.error_detail ? ` (${err.error_detail})` : ''}`));
  }
  current = { provider, handler: provider.callback() };
}

function readJSON(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      data += c;
      if (data.length > 65536) reject(new Error('body too large'));
    });
    req.on('end', () => {
      try {
        resolve(data.trim() === '' ? {} : JSON.parse(data));
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const state = () => ({ mode, kids: keys.signing.map((k) => k.kid) });

async function control(req, res, name) {
  if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
  const body = await readJSON(req);
  switch (name) {
    case 'rotate': {
      const fresh = await newRSAKey();
      keys.signing = body.keepOld === false ? [fresh] : [fresh, ...keys.signing];
      build();
      log('rotated: signing kid', fresh.kid, 'keepOld', body.keepOld !== false);
      return reply(res, 200, { kid: fresh.kid, ...state() });
    }
    case 'tamper':
      if (!modes.has(body.mode)) return reply(res, 400, { error: `unknown mode ${JSON.stringify(body.mode)}`, modes: [...modes] });
      mode = body.mode;
      log('tamper mode:', mode);
      return reply(res, 200, state());
    case 'reset':
      mode = 'none';
      return reply(res, 200, state());
    case 'state':
      return reply(res, 200, state());
    default:
      return reply(res, 404, { error: `no control endpoint ${name}` });
  }
}

const server = createServer((req, res) => {
  const m = /^\/__test\/([a-z-]+)\/?(?:\?.*)?$/.exec(req.url);
  if (m) {
    control(req, res, m[1]).catch((err) => reply(res, 500, { error: String(err?.message ?? err) }));
    return;
  }
  current.handler(req, res);
});

server.listen(opts.port, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  build();
  process.stdout.write(`${JSON.stringify({ issuer, clientId: opts.clientId, redirectUris: opts.redirectUris })}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
if (opts.exitWithStdin) {
  // The parent holds stdin open; its end closing means the parent went away.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
