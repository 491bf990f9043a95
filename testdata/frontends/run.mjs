// Drives a production build of one of the front ends in this folder (next/ or
// nuxt/) in Debian's headless Chromium through playwright-core. The front end
// forwards /api/auth/* and /api/me to a ginauth example server; the page never
// talks to Gin directly.
//
// Usage: node run.mjs --kind next|nuxt --app URL --out DIR [--chromium PATH]
//
//	--kind      next (next-auth@5 React client, Gin in AUTH_MODE=v5) or
//	            nuxt (@sidebase/nuxt-auth authjs, Gin in AUTH_MODE=v4)
//	--app       the front end's origin, such as http://127.0.0.1:3000
//	--out       where the screenshots go (<kind>-NN-<step>.png)
//	--chromium  the browser (env CHROMIUM_PATH; default /usr/bin/chromium)
//
// Checks, in order: signed-out page; a wrong password shows CredentialsSignin
// and leaves no session; alice / wonderland through the JS client's signIn
// shows her name; a reload still shows it (the session cookie belongs to the
// front end's origin); /api/me through the proxy answers alice; sign-out shows
// the signed-out state; then signing in again on Gin's own sign-in page (a
// form post answered by a 302 with Set-Cookie, through the proxy) lands back
// on the front end signed in, and signs out. Exits 0 when all pass; on a
// failure it saves <kind>-failure.png, prints the failing step and exits 1.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

const { values: flags } = parseArgs({
  options: {
    kind: { type: 'string' },
    app: { type: 'string' },
    out: { type: 'string' },
    chromium: { type: 'string' },
  },
  strict: true,
});
function usage(msg) {
  process.stderr.write(`run.mjs: ${msg}\n`);
  process.exit(2);
}
if (flags.kind !== 'next' && flags.kind !== 'nuxt') usage('--kind must be next or nuxt');
if (!flags.app) usage('--app URL is required');
if (!flags.out) usage('--out DIR is required');

const kind = flags.kind;
const app = new URL(flags.app).origin;
const out = resolve(flags.out);
const executablePath = flags.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Auth.js v5 names its cookies authjs.*, NextAuth v4 next-auth.* (plain http: no __Secure- prefix).
const sessionCookie = kind === 'next' ? 'authjs.session-token' : 'next-auth.session-token';
const expectName = 'Alice Liddell';
const timeout = 20_000;
mkdirSync(out, { recursive: true });

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
const offOrigin = []; // requests the page sent anywhere but the front end
const pageErrors = [];
const consoleErrors = [];
const steps = [];
let step = 'launch';
let page;
let context;

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function shot(name) {
  const file = join(out, `${kind}-${String(steps.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  steps.push({ step: name, url: page.url(), screenshot: file });
  process.stdout.write(`  ok  ${kind}: ${name}\n`);
}

async function sessionCookies() {
  return (await context.cookies(app)).filter((c) => c.name === sessionCookie || c.name.startsWith(`${sessionCookie}.`));
}

// The session as the page's own fetch sees it (same origin, through the proxy).
async function fetchJSON(path) {
  return page.evaluate(async (p) => {
    const res = await fetch(p, { headers: { 'Content-Type': 'application/json' } });
    let body = null;
    try {
      body = await res.json();
    } catch {}
    return { status: res.status, body };
  }, path);
}

function signedOutSession(s) {
  return s.status === 200 && (s.body === null || (typeof s.body === 'object' && Object.keys(s.body).length === 0));
}

async function waitSignedOut() {
  await page.locator('#status[data-status="unauthenticated"]').waitFor({ timeout });
  await page.locator('#signed-out').waitFor({ timeout });
}

async function waitSignedIn() {
  await page.locator('#status[data-status="authenticated"]').waitFor({ timeout });
  const name = (await page.locator('#user-name').textContent({ timeout }))?.trim();
  expect(name === expectName, `the page shows the user name ${JSON.stringify(name)}, want ${JSON.stringify(expectName)}`);
}

async function fillAndSubmit(username, password) {
  const form = page.locator('form#sign-in');
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
}

async function signOutAndCheck(label) {
  step = `${label}: sign out`;
  await page.locator('#sign-out').click();
  await waitSignedOut();
  expect(new URL(page.url()).origin === app, `after sign-out the page is at ${page.url()}, not on ${app}`);
  expect((await sessionCookies()).length === 0, `the ${sessionCookie} cookie survived sign-out`);
  const s = await fetchJSON('/api/auth/session');
  expect(signedOutSession(s), `GET /api/auth/session after sign-out answered ${s.status} ${JSON.stringify(s.body)}`);
  const me = await fetchJSON('/api/me');
  expect(me.status === 401, `GET /api/me after sign-out answered ${me.status}, want 401`);
  await shot(`${label}-signed-out`);
}

const userDataDir = mkdtempSync(join(tmpdir(), `ginauth-frontends-chromium-${kind}-`));
let failed = null;
try {
  // A fresh profile each run; playwright passes it to Chromium as --user-data-dir.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 900, height: 600 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // Nothing but loopback may be reached, and every request should go to the
  // front end's origin: the browser never sees Gin's port.
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (!u.protocol.startsWith('http')) return route.continue();
    if (u.origin !== app) offOrigin.push(`${route.request().method()} ${u.origin}${u.pathname}`);
    if (!loopback.has(u.hostname)) return route.abort();
    return route.continue();
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // The 401s are expected (a wrong password in v4, /api/me while signed out);
  // other console errors are reported, not failed on.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) consoleErrors.push(m.text());
  });

  step = 'load the signed-out app';
  await page.goto(`${app}/`, { waitUntil: 'load' });
  await waitSignedOut();
  await shot('signed-out');

  step = 'wrong password';
  await fillAndSubmit('alice', 'not-the-password');
  await page.locator('#error').waitFor({ timeout });
  const err = (await page.locator('#error').textContent())?.trim() ?? '';
  expect(err.includes('CredentialsSignin'), `the error shown is ${JSON.stringify(err)}, want CredentialsSignin`);
  expect((await page.locator('#status').getAttribute('data-status')) === 'unauthenticated', 'a wrong password left the page signed in');
  expect((await sessionCookies()).length === 0, `a wrong password set the ${sessionCookie} cookie`);
  {
    const s = await fetchJSON('/api/auth/session');
    expect(signedOutSession(s), `GET /api/auth/session after a wrong password answered ${s.status} ${JSON.stringify(s.body)}`);
  }
  await shot('wrong-password');

  step = 'sign in with the JS client';
  await fillAndSubmit('alice', 'wonderland');
  await waitSignedIn();
  {
    const cookies = await sessionCookies();
    expect(cookies.length > 0, `no ${sessionCookie} cookie on ${app} after sign-in`);
    for (const c of cookies) {
      expect(c.httpOnly, `${c.name} is not HttpOnly`);
      expect(c.domain === new URL(app).hostname, `${c.name} has domain ${c.domain}, want ${new URL(app).hostname}`);
    }
  }
  await shot('signed-in');

  step = 'reload';
  await page.reload({ waitUntil: 'load' });
  await waitSignedIn();
  if (kind === 'nuxt') {
    // nuxt-auth also reads the session during server-side rendering, through
    // the same Nitro proxy, with the browser's cookie.
    const html = await (await context.request.get(`${app}/`)).text();
    expect(html.includes(expectName), 'the server-rendered HTML does not contain the user name');
  }
  await shot('reloaded');

  step = 'call /api/me through the proxy';
  await page.locator('#call-api').click();
  await page.locator('#api-result').waitFor({ timeout });
  {
    const text = (await page.locator('#api-result').textContent())?.trim() ?? '';
    expect(text.includes(`200 ${expectName}`), `/api/me result ${JSON.stringify(text)}, want 200 ${expectName}`);
  }
  await shot('api-me');

  await signOutAndCheck('client');

  step = "Gin's sign-in page: open";
  await page.locator('#sign-in-page').click();
  await page.waitForURL((u) => u.pathname === '/api/auth/signin', { timeout });
  expect(new URL(page.url()).origin === app, `Gin's sign-in page opened at ${page.url()}, not on ${app}`);
  await page.locator('input[name="username"]').waitFor({ timeout });
  await shot('gin-signin-page');

  step = "Gin's sign-in page: submit";
  await page.locator('input[name="username"]').fill('alice');
  await page.locator('input[name="password"]').fill('wonderland');
  await page.locator('button[type="submit"]', { hasText: 'Password' }).click();
  // Gin answers the form post with a 302 to the callback URL and Set-Cookie.
  await page.waitForURL((u) => !u.pathname.startsWith('/api/auth/'), { timeout });
  expect(new URL(page.url()).origin === app, `after Gin's sign-in page the browser is at ${page.url()}, not on ${app}`);
  await waitSignedIn();
  expect((await sessionCookies()).length > 0, `no ${sessionCookie} cookie after Gin's sign-in page`);
  await shot('gin-page-signed-in');

  await signOutAndCheck('gin-page');

  step = 'requests';
  expect(offOrigin.length === 0, `the page sent requests off ${app}: ${[...new Set(offOrigin)].join(', ')}`);
  expect(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join(' | ')}`);
} catch (e) {
  failed = e;
  process.stderr.write(`FAIL ${kind}: ${step}: ${e?.message ?? e}\n`);
  if (page) {
    process.stderr.write(`  page URL: ${page.url()}\n`);
    await page.screenshot({ path: join(out, `${kind}-failure.png`), fullPage: true }).catch(() => {});
    process.stderr.write(`  screenshot: ${join(out, `${kind}-failure.png`)}\n`);
  }
} finally {
  if (consoleErrors.length) process.stdout.write(`  note ${kind}: console errors in the page: ${consoleErrors.join(' | ')}\n`);
  if (pageErrors.length && !failed) process.stdout.write(`  note ${kind}: page errors: ${pageErrors.join(' | ')}\n`);
  await context?.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
