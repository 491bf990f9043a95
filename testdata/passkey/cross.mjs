// Passkeys across Auth.js and ginauth sharing one store: in one Chromium with
// one virtual authenticator, Auth.js's client signs up on the first server,
// signs in usernameless with that passkey on the second; then signs up on
// the second and signs in with that passkey on the first. Both servers are
// on localhost (one relying party id) on two ports.
//
// Usage: node cross.mjs --authjs URL --ginauth URL [options]
//
//	--authjs URL      the Auth.js application's origin, http://localhost:PORT
//	--ginauth URL     ginauth's origin, http://localhost:PORT
//	--artifacts DIR   screenshots of the client page after each step (default: none)
//	--chromium PATH   the browser (env CHROMIUM_PATH; default /usr/bin/chromium)
//
// Only one passkey is in the authenticator at a time, so that a usernameless
// sign-in has one to choose. On success it prints {"ok":true,"steps":[...]}
// (each step's result, the session after it, and the passkey's counter) and
// exits 0; on failure it prints what failed to stderr and exits 1.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { addAuthenticator, bundleClient, credentials, launch, pagePath } from './lib.mjs';

const { values: flags } = parseArgs({
  options: {
    authjs: { type: 'string' },
    ginauth: { type: 'string' },
    artifacts: { type: 'string' },
    chromium: { type: 'string' },
  },
  strict: true,
});
if (!flags.authjs || !flags.ginauth) {
  process.stderr.write('cross.mjs: --authjs URL and --ginauth URL are required\n');
  process.exit(2);
}
const origins = { authjs: new URL(flags.authjs).origin, ginauth: new URL(flags.ginauth).origin };
const artifacts = flags.artifacts ? resolve(flags.artifacts) : '';
const executablePath = flags.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (artifacts) mkdirSync(artifacts, { recursive: true });

const summary = { ok: false, steps: [], pageErrors: [], blockedRequests: [] };
let step = 'launch';
let browser;
let status = 1;
try {
  browser = await launch({ executablePath, bundle: await bundleClient() });
  const { context, page } = browser;
  page.on('pageerror', (err) => summary.pageErrors.push(String(err?.message ?? err)));
  await page.goto(`${origins.authjs}${pagePath}`);
  const { cdp, authenticatorId } = await addAuthenticator(context, page);

  // run calls the client on server's page, then reads the session there,
  // signs out, and records all three with the passkey's counter.
  const run = async (name, server, fn, arg) => {
    step = name;
    const app = origins[server];
    await page.goto(`${app}${pagePath}`);
    const result = await page.evaluate(fn, arg);
    const session = await page.evaluate(() => window.authjsClient.getSession());
    if (artifacts) {
      await page.evaluate((text) => { document.getElementById('log').textContent = text; }, `${name} on ${server}: ${JSON.stringify({ result, session }, null, 1)}`);
      await page.screenshot({ path: join(artifacts, `${String(summary.steps.length + 1).padStart(2, '0')}-${name}.png`), fullPage: true });
    }
    await page.evaluate((cb) => window.authjsClient.signOut({ redirect: false, callbackUrl: cb }), `${app}${pagePath}`);
    const creds = await credentials(cdp, authenticatorId);
    summary.steps.push({
      step: name,
      server,
      result: result ? { ok: result.ok, error: result.error, status: result.status } : null,
      email: session?.user?.email ?? null,
      signCount: creds.length === 1 ? creds[0].signCount : null,
      credentialId: creds.length === 1 ? creds[0].credentialId : null,
      signedOut: (await page.evaluate(() => window.authjsClient.getSession())) === null,
    });
  };
  const register = ([email, cb]) => window.authjsClient.signIn('passkey', { email, action: 'register', redirect: false, callbackUrl: cb });
  const signIn = (cb) => window.authjsClient.signIn('passkey', { redirect: false, callbackUrl: cb });

  await run('signup-on-authjs', 'authjs', register, ['ada@example.com', `${origins.authjs}${pagePath}`]);
  await run('signin-on-ginauth', 'ginauth', signIn, `${origins.ginauth}${pagePath}`);
  await run('signin-on-authjs', 'authjs', signIn, `${origins.authjs}${pagePath}`);

  // The second passkey alone in the authenticator.
  step = 'put the first passkey aside';
  const [first] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: first.credentialId });

  await run('signup-on-ginauth', 'ginauth', register, ['grace@example.com', `${origins.ginauth}${pagePath}`]);
  await run('signin-on-authjs-2', 'authjs', signIn, `${origins.authjs}${pagePath}`);
  await run('signin-on-ginauth-2', 'ginauth', signIn, `${origins.ginauth}${pagePath}`);

  summary.ok = true;
  summary.blockedRequests = [...new Set(browser.blocked)];
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  status = 0;
} catch (err) {
  process.stderr.write(`cross.mjs: failed at step "${step}": ${err?.stack ?? err}\n`);
  process.stderr.write(`cross.mjs: steps done: ${JSON.stringify(summary.steps)}\n`);
} finally {
  await browser?.close();
}
process.exit(status);
