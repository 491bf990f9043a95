// Signs in to the example application through its OpenID Connect provider
// in a real browser (Debian's Chromium, driven by playwright-core), then
// signs out, taking a screenshot of every page.
//
// Usage: node browser.mjs --app URL [options]
//
//	--app URL             the application's origin, such as http://localhost:8080 (required)
//	--artifacts DIR       where the screenshots go (env GINAUTH_ARTIFACTS_DIR;
//	                      default testdata/artifacts/browser)
//	--provider-name NAME  the provider's button label, "Sign in with NAME" (default OpenID Connect)
//	--login LOGIN         the login typed at the provider (default alice)
//	--expect-name NAME    the name the signed-in page must show (default Alice Liddell)
//	--chromium PATH       the browser (env CHROMIUM_PATH; default /usr/bin/chromium)
//
// Only loopback hosts are reachable from the page; any other request is
// aborted and counted. On success it prints one JSON summary line to stdout
// and exits 0; on failure it saves failure.png, prints what failed to stderr
// and exits 1.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: {
    app: { type: 'string' },
    artifacts: { type: 'string' },
    'provider-name': { type: 'string' },
    login: { type: 'string' },
    'expect-name': { type: 'string' },
    chromium: { type: 'string' },
  },
  strict: true,
});

function usage(msg) {
  process.stderr.write(`browser.mjs: ${msg}\n`);
  process.exit(2);
}
if (!flags.app) usage('--app URL is required');
const app = new URL(flags.app).origin;
const artifacts = resolve(flags.artifacts ?? process.env.GINAUTH_ARTIFACTS_DIR ?? join(here, '..', 'artifacts', 'browser'));
const providerName = flags['provider-name'] ?? 'OpenID Connect';
const login = flags.login ?? 'alice';
const expectName = flags['expect-name'] ?? 'Alice Liddell';
const executablePath = flags.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

mkdirSync(artifacts, { recursive: true });

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
const summary = {
  ok: false,
  app,
  artifacts,
  provider: providerName,
  steps: [],
  phone: [],
  blockedRequests: [],
  pageErrors: [],
};

// A URL without its query, which may carry codes and states.
const bare = (u) => {
  const x = new URL(u);
  return x.protocol.startsWith('http') ? `${x.origin}${x.pathname}` : x.href;
};

let page;
let step = 'launch';
async function shot(name) {
  const file = join(artifacts, `${String(summary.steps.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  summary.steps.push({ step: name, url: bare(page.url()), title: await page.title(), screenshot: file });
}

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Opens each path at phone widths and records whether the page is wider
// than the screen (horizontal scrolling), with a screenshot of each.
async function phoneCheck(paths, label) {
  for (const width of [320, 375]) {
    await page.setViewportSize({ width, height: 740 });
    for (const p of paths) {
      step = `${p} at ${width} px`;
      await page.goto(`${app}${p}`);
      const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
      const file = join(artifacts, `phone-${label}-${width}-${p.replace(/[^a-z0-9]+/gi, '_')}.png`);
      await page.screenshot({ path: file, fullPage: true });
      summary.phone.push({ path: p, width, scrollWidth: m.scroll, innerWidth: m.inner, screenshot: file });
    }
  }
  await page.setViewportSize({ width: 1000, height: 800 });
}

async function waitFor(pred, what) {
  step = `wait for ${what}`;
  await page.waitForURL((u) => pred(new URL(u)), { waitUntil: 'load' });
}

const userDataDir = mkdtempSync(join(tmpdir(), 'ginauth-chromium-'));
let context;
let status = 1;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: { width: 1000, height: 800 },
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(15000);
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if ((u.protocol === 'http:' || u.protocol === 'https:') && !loopback.has(u.hostname)) {
      summary.blockedRequests.push(u.origin);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (err) => summary.pageErrors.push(String(err?.message ?? err)));

  // 1. The protected page sends a visitor without a session to sign in.
  step = 'open /account';
  await page.goto(`${app}/account`);
  await waitFor((u) => u.origin === app && u.pathname === '/api/auth/signin', "ginauth's sign-in page");
  expect(new URL(page.url()).searchParams.get('callbackUrl')?.endsWith('/account'), `the sign-in page's callbackUrl is not /account: ${page.url()}`);
  await shot('signin');

  // 2. The provider's button leads to the provider's login form.
  step = `click "Sign in with ${providerName}"`;
  await page.getByRole('button', { name: `Sign in with ${providerName}`, exact: true }).click();
  await waitFor((u) => u.origin !== app && u.pathname.startsWith('/interaction/'), "the provider's login page");
  const provider = new URL(page.url()).origin;
  summary.providerOrigin = provider;
  expect(await page.locator('input[name="login"]').count() === 1, 'no login field on the provider page');
  await shot('provider-login');

  // 3. Sign in at the provider; it asks for consent next.
  step = 'sign in at the provider';
  const loginPage = page.url();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await waitFor((u) => u.origin === provider && u.pathname.startsWith('/interaction/') && u.href !== loginPage, "the provider's consent page");
  await page.locator('input[name="prompt"][value="consent"]').waitFor({ state: 'attached' });
  await shot('provider-consent');

  // 4. Consent: back at the protected page, signed in.
  step = 'consent';
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitFor((u) => u.origin === app && u.pathname === '/account', 'the protected page');
  step = 'read the signed-in page';
  const shown = (await page.locator('#user-name').textContent())?.trim();
  expect(shown === expectName, `the signed-in page shows ${JSON.stringify(shown)}, want ${JSON.stringify(expectName)}`);
  const session = await (await context.request.get(`${app}/api/auth/session`)).json();
  expect(session?.user?.name === expectName, `/api/auth/session: ${JSON.stringify(session)}`);
  summary.user = { name: session.user.name, email: session.user.email ?? null, image: session.user.image ?? null };
  summary.sessionExpires = session.expires;
  summary.cookies = (await context.cookies(app)).map((c) => c.name).sort();
  await shot('signed-in');
  await phoneCheck(['/', '/account', '/admin'], 'signed-in');
  await page.goto(`${app}/account`);

  // 5. ginauth's sign-out page.
  step = 'open the sign-out page';
  await page.getByRole('link', { name: 'Sign out' }).click();
  await waitFor((u) => u.origin === app && u.pathname === '/api/auth/signout', "ginauth's sign-out page");
  await shot('signout');

  // 6. Sign out: back home, signed out.
  step = 'sign out';
  await page.getByRole('button', { name: 'Sign out' }).click();
  await waitFor((u) => u.origin === app && u.pathname === '/', 'the home page');
  step = 'check the session is gone';
  expect(await page.getByText('You are not signed in.').count() === 1, 'the home page does not say "You are not signed in."');
  const after = await (await context.request.get(`${app}/api/auth/session`)).json();
  expect(after === null || Object.keys(after ?? {}).length === 0, `/api/auth/session after sign-out: ${JSON.stringify(after)}`);
  summary.cookiesAfterSignOut = (await context.cookies(app)).map((c) => c.name).sort();
  await shot('signed-out');
  await phoneCheck(['/', '/api/auth/signin', '/api/auth/signout', '/api/auth/error?error=Configuration'], 'signed-out');

  // The protected page asks for a sign-in again.
  step = 'open /account signed out';
  await page.goto(`${app}/account`);
  await waitFor((u) => u.origin === app && u.pathname === '/api/auth/signin', "ginauth's sign-in page");

  summary.ok = true;
  summary.blockedRequests = [...new Set(summary.blockedRequests)];
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  status = 0;
} catch (err) {
  process.stderr.write(`browser.mjs: failed at step "${step}": ${err?.message ?? err}\n`);
  if (page) {
    process.stderr.write(`browser.mjs: the page was ${bare(page.url())}\n`);
    try {
      const file = join(artifacts, 'failure.png');
      await page.screenshot({ path: file, fullPage: true });
      process.stderr.write(`browser.mjs: screenshot ${file}\n`);
    } catch {
      // the page may be gone
    }
  }
  process.stderr.write(`browser.mjs: steps done: ${summary.steps.map((s) => s.step).join(', ') || 'none'}\n`);
} finally {
  await context?.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(status);
