// Runs Auth.js's own browser client (signIn("passkey") from
// next-auth/webauthn, signOut and getSession from next-auth/react) in
// Chromium with a virtual platform authenticator against a server's
// /api/auth, and prints what happened as one normalised JSON transcript, so
// that the transcripts of two servers (Auth.js and ginauth) can be compared.
//
// Usage: node flow.mjs --app URL [options]
//
//	--app URL         the server's origin, http://localhost:PORT (required;
//	                  a passkey's relying party id must be a domain name)
//	--email EMAIL     the address that signs up (default ada@example.com)
//	--artifacts DIR   screenshots of the client page after each step
//	                  (default: none)
//	--chromium PATH   the browser (env CHROMIUM_PATH; default /usr/bin/chromium)
//
// The flow: sign up with a new passkey (action "register" and an email),
// read the session and a protected route, sign out, try to sign up again
// with the same email (refused), sign in usernameless with the passkey,
// read the session and the protected route, try to add the same
// authenticator's passkey again while signed in (the browser refuses: the
// credential is excluded), ask for an unknown action (refused); then sign
// out, have the authenticator sign one challenge twice, post the first
// assertion (signs in), sign out, put the challenge cookie back and post
// the second (Auth.js signs in again; a server whose challenges are single
// use refuses).
//
// The page the client runs in is answered by this driver on the server's own
// origin (at /__passkey-client/), so both servers are driven through the
// same page. On success it prints {"ok":true,"steps":[...]} and exits 0; on
// failure it prints what failed to stderr and exits 1.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { Normaliser, Recorder, addAuthenticator, bundleClient, credentials, jar, launch, pagePath } from './lib.mjs';

const { values: flags } = parseArgs({
  options: {
    app: { type: 'string' },
    email: { type: 'string' },
    artifacts: { type: 'string' },
    chromium: { type: 'string' },
  },
  strict: true,
});
if (!flags.app) {
  process.stderr.write('flow.mjs: --app URL is required\n');
  process.exit(2);
}
const app = new URL(flags.app).origin;
const email = flags.email ?? 'ada@example.com';
const artifacts = flags.artifacts ? resolve(flags.artifacts) : '';
const executablePath = flags.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (artifacts) mkdirSync(artifacts, { recursive: true });

const norm = new Normaliser(app);
const summary = { ok: false, app: '<origin>', steps: [], pageErrors: [], console: [], blockedRequests: [] };
let step = 'launch';
let browser;
let status = 1;
try {
  browser = await launch({ executablePath, bundle: await bundleClient() });
  const { context, page } = browser;
  page.on('pageerror', (err) => summary.pageErrors.push(String(err?.message ?? err)));
  page.on('console', (msg) => {
    // Chromium's "Failed to load resource" lines end in the reason phrase,
    // which each request's statusText records already.
    if (msg.type() === 'error') summary.console.push(norm.str(msg.text()).replace(/(status of \d+) \([^)]*\)$/, '$1'));
  });

  step = 'open the client page';
  await page.goto(`${app}${pagePath}`);
  const { cdp, authenticatorId } = await addAuthenticator(context, page);
  const rec = new Recorder(page, app, norm);
  await rec.take();

  // run calls fn in the page (with the client as its argument's methods),
  // and records its result, the requests it made, the cookies after it, and
  // the authenticator's credentials.
  const run = async (name, fn, arg) => {
    step = name;
    let result;
    try {
      result = { value: norm.value(await page.evaluate(fn, arg) ?? null) };
    } catch (err) {
      // Only the DOMException's name: the message is the browser's.
      const m = /(\w+Error)\b/.exec(String(err?.message ?? err));
      result = { thrown: m ? m[1] : 'Error' };
    }
    const entry = {
      step: name,
      result,
      requests: await rec.take(),
      cookies: await jar(context, app, norm),
      credentials: (await credentials(cdp, authenticatorId)).map((c) => ({
        rpId: c.rpId, isResidentKey: c.isResidentKey, userHandle: norm.str(c.userHandle ?? ''), signCount: c.signCount,
      })),
    };
    summary.steps.push(entry);
    if (artifacts) {
      await page.evaluate(([n, r]) => {
        document.getElementById('log').textContent += `${n}: ${JSON.stringify(r)}\n`;
      }, [name, result]);
      await page.screenshot({ path: join(artifacts, `${String(summary.steps.length).padStart(2, '0')}-${name}.png`), fullPage: true });
    }
    return entry;
  };
  const after = `${app}${pagePath}`;
  const session = () => window.authjsClient.getSession();
  const protectedRoute = async () => {
    const r = await fetch('/api/protected');
    return { status: r.status, body: await r.json() };
  };

  await run('register', ([e, cb]) => window.authjsClient.signIn('passkey', { email: e, action: 'register', redirect: false, callbackUrl: cb }), [email, after]);
  await run('session-after-register', session);
  await run('protected-after-register', protectedRoute);
  await run('signout', (cb) => window.authjsClient.signOut({ redirect: false, callbackUrl: cb }), after);
  await run('session-after-signout', session);
  await run('protected-after-signout', protectedRoute);
  await run('register-taken-email', ([e, cb]) => window.authjsClient.signIn('passkey', { email: e, action: 'register', redirect: false, callbackUrl: cb }), [email, after]);
  await run('signin', (cb) => window.authjsClient.signIn('passkey', { redirect: false, callbackUrl: cb }), after);
  await run('session-after-signin', session);
  await run('protected-after-signin', protectedRoute);
  await run('register-again-signed-in', (cb) => window.authjsClient.signIn('passkey', { action: 'register', redirect: false, callbackUrl: cb }), after);
  await run('unknown-action', (cb) => window.authjsClient.signIn('passkey', { action: 'login', redirect: false, callbackUrl: cb }), after);

  // Two assertions for one challenge, posted as next-auth/webauthn posts
  // them: the first signs in; the second, after sign-out and with the
  // challenge cookie put back, has a higher counter and a good signature.
  const postAssertion = async ([which, cb]) => {
    const c = window.authjsClient;
    const res = await fetch('/api/auth/callback/passkey?', {
      method: 'post',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Auth-Return-Redirect': '1' },
      body: new URLSearchParams({ action: 'authenticate', data: JSON.stringify(window.assertions[which]), csrfToken: await c.getCsrfToken(), callbackUrl: cb }),
    });
    return { status: res.status, body: await res.json() };
  };
  await run('signout-before-same-challenge', (cb) => window.authjsClient.signOut({ redirect: false, callbackUrl: cb }), after);
  await run('same-challenge-options', async () => {
    const { options } = await (await fetch('/api/auth/webauthn-options/passkey?action=authenticate')).json();
    const a1 = await window.authjsClient.startAuthentication(options);
    const a2 = await window.authjsClient.startAuthentication(options);
    window.assertions = [a1, a2];
    return null;
  });
  const challenge = (await context.cookies(app)).find((c) => c.name === 'authjs.challenge');
  if (!challenge) throw new Error('no challenge cookie after the options');
  await run('same-challenge-first', postAssertion, [0, after]);
  await run('signout-after-same-challenge-first', (cb) => window.authjsClient.signOut({ redirect: false, callbackUrl: cb }), after);
  await context.addCookies([challenge]);
  await run('same-challenge-second', postAssertion, [1, after]);
  await run('session-after-same-challenge-second', session);

  summary.ok = true;
  summary.blockedRequests = [...new Set(browser.blocked)];
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  status = 0;
} catch (err) {
  process.stderr.write(`flow.mjs: failed at step "${step}": ${err?.stack ?? err}\n`);
  process.stderr.write(`flow.mjs: steps done: ${summary.steps.map((s) => s.step).join(', ') || 'none'}\n`);
} finally {
  await browser?.close();
}
process.exit(status);
