// Signs up, out and in with a passkey on ginauth's built-in pages in a real
// browser (Chromium with a virtual platform authenticator), reaches a
// protected page, and then tries the attacks a server must refuse, taking a
// screenshot of every page the browser shows.
//
// Usage: node pages.mjs --app URL [options]
//
//	--app URL         the server's origin, http://localhost:PORT (required)
//	--email EMAIL     the address that signs up (default grace@example.com)
//	--protected PATH  a page that needs a session and sends a visitor without
//	                  one to the sign-in page (default /account); it must
//	                  show the signed-in address
//	--clock PATH      POST PATH?advance=SECONDS moves the server's clock on
//	                  (a test server's hook; default /__test/clock); "none"
//	                  for a server without one: the expired attack is left out
//	--whoami PATH     a JSON route read with the browser's cookies once signed
//	                  in at the end, its answer kept in the summary as whoami
//	--artifacts DIR   where the screenshots go (default
//	                  testdata/artifacts/browser-passkey)
//	--chromium PATH   the browser (env CHROMIUM_PATH; default /usr/bin/chromium)
//
// The passkey is made on the built-in sign-in page (a new address in the
// passkey form, then its "Sign in with Passkey" button), and every sign-in
// after that goes through the same button with the email field empty
// (usernameless).
//
// Attacks, each of which must end on the error page with no session:
//
//	counter        the authenticator's signature counter is set back below
//	               the one the server saw last (a cloned authenticator)
//	other-site     the passkey's own key and credential id, used for the
//	               server's challenge on another site's page (rp id and
//	               origin other.localhost), as a phishing site would
//	other-site-credential
//	               a passkey made on the other site (unknown to the
//	               server) signs the server's challenge there
//	replay         the body and cookies of a successful sign-in, captured
//	               and sent again after sign-out
//	same-challenge a second, freshly signed assertion for a challenge that
//	               already signed someone in (Auth.js accepts it: its only
//	               replay defence is the counter, which goes up here)
//	user-handle    the sign-in button's callback with the assertion's user
//	               handle changed to another (it is not signed)
//	expired        the sign-in button's callback sent after the server's
//	               clock moved past the challenge's lifetime (15 minutes)
//
// On success it prints one JSON summary line to stdout and exits 0; on
// failure it saves failure.png, prints what failed to stderr and exits 1.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { addAuthenticator, bundleClient, credentials, here, launch, pagePath } from './lib.mjs';

const { values: flags } = parseArgs({
  options: {
    app: { type: 'string' },
    email: { type: 'string' },
    protected: { type: 'string' },
    clock: { type: 'string' },
    whoami: { type: 'string' },
    artifacts: { type: 'string' },
    chromium: { type: 'string' },
  },
  strict: true,
});
if (!flags.app) {
  process.stderr.write('pages.mjs: --app URL is required\n');
  process.exit(2);
}
const app = new URL(flags.app).origin;
const port = new URL(app).port;
const other = `http://other.localhost:${port}`;
const email = flags.email ?? 'grace@example.com';
const protectedPath = flags.protected ?? '/account';
const clockPath = flags.clock ?? '/__test/clock';
const artifacts = resolve(flags.artifacts ?? join(here, '..', 'artifacts', 'browser-passkey'));
const executablePath = flags.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
mkdirSync(artifacts, { recursive: true });

const summary = { ok: false, steps: [], attacks: {}, pageErrors: [], blockedRequests: [] };
let step = 'launch';
let browser;
let page;
let status = 1;

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

const bare = (u) => {
  const x = new URL(u);
  return `${x.origin === app ? '' : x.origin}${x.pathname}`;
};

async function shot(name) {
  const file = join(artifacts, `${String(summary.steps.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const text = (await page.locator('body').innerText().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 300);
  summary.steps.push({ step: name, url: bare(page.url()), query: new URL(page.url()).search, title: await page.title(), text, screenshot: file });
}

async function waitFor(pred, what) {
  step = `wait for ${what}`;
  await page.waitForURL((u) => pred(new URL(u)), { waitUntil: 'load' });
}

// session reads /api/auth/session with the browser's cookies.
async function session() {
  const r = await browser.context.request.get(`${app}/api/auth/session`);
  return r.json();
}

// signInWithButton opens the protected page, is sent to the sign-in page,
// and presses its passkey button. It returns when the browser has left the
// sign-in page (for the protected page or the error page).
async function signInWithButton(label) {
  step = `${label}: open ${protectedPath}`;
  await page.goto(`${app}${protectedPath}`);
  await waitFor((u) => u.origin === app && u.pathname === '/api/auth/signin', "the sign-in page");
  step = `${label}: press the passkey button`;
  const button = page.getByRole('button', { name: /passkey/i });
  await button.waitFor({ state: 'visible' });
  expect(await button.count() === 1, `the sign-in page has ${await button.count()} passkey buttons, want 1`);
  await button.click();
  await waitFor((u) => u.origin === app && u.pathname !== '/api/auth/signin', `the page after the passkey button (${label})`);
}

// signOut signs out through the built-in sign-out page.
async function signOut(label) {
  step = `${label}: open the sign-out page`;
  await page.goto(`${app}/api/auth/signout`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await waitFor((u) => u.origin === app && u.pathname !== '/api/auth/signout', 'the page after sign-out');
  expect(await session() === null, `still signed in after ${label}`);
}

// refused checks that the browser was sent to the error page, with no
// session, and records the attack.
async function refused(name, extra = {}) {
  step = `${name}: check the refusal`;
  const u = new URL(page.url());
  const s = await session();
  summary.attacks[name] = { ...extra, page: u.pathname, error: u.searchParams.get('error'), session: s };
  await shot(`${name}-refused`);
  expect(u.pathname === '/api/auth/error', `${name}: the browser is on ${u.pathname}, want the error page`);
  expect(s === null, `${name}: signed in: ${JSON.stringify(s)}`);
}

// post sends a callback body the way next-auth/webauthn does, with the
// given Cookie header, from outside the browser (an attacker's copy), and
// returns the status, Location or JSON url, and Set-Cookie names.
async function post(body, cookie) {
  const res = await fetch(`${app}/api/auth/callback/passkey`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Auth-Return-Redirect': '1',
      Origin: app,
      Cookie: cookie,
    },
    body,
  });
  const text = await res.text();
  let url = res.headers.get('location');
  try {
    url = JSON.parse(text).url ?? url;
  } catch {
    // not JSON
  }
  return { status: res.status, url, setCookies: res.headers.getSetCookie().map((c) => c.split('=')[0]) };
}

// cookieHeader is the Cookie header the browser would send to app.
async function cookieHeader() {
  return (await browser.context.cookies(app)).map((c) => `${c.name}=${c.value}`).join('; ');
}

try {
  browser = await launch({ executablePath, bundle: await bundleClient() });
  page = browser.page;
  const { context } = browser;
  page.on('pageerror', (err) => summary.pageErrors.push(String(err?.message ?? err)));

  // 1. The protected page sends a visitor without a session to sign in.
  step = `open ${protectedPath}`;
  await page.goto(`${app}${protectedPath}`);
  await waitFor((u) => u.origin === app && u.pathname === '/api/auth/signin', "ginauth's sign-in page");
  const { cdp, authenticatorId } = await addAuthenticator(context, page);
  await shot('signin');

  // 2. Sign up: a new address in the passkey form's email field, the
  // button, a new passkey, and back to the protected page.
  step = 'sign up on the sign-in page';
  const button = page.getByRole('button', { name: /passkey/i });
  await button.waitFor({ state: 'visible' });
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await shot('signup-filled');
  await button.click();
  await waitFor((u) => u.origin === app && u.pathname !== '/api/auth/signin', 'the page after sign-up');
  expect(new URL(page.url()).pathname === protectedPath, `sign-up led to ${page.url()}, want ${protectedPath}`);
  expect((await page.locator('body').innerText()).includes(email), `the protected page does not show ${email}`);
  await shot('signed-up');
  const [cred] = await credentials(cdp, authenticatorId);
  expect(cred && cred.rpId === 'localhost' && cred.isResidentKey, `the authenticator holds ${JSON.stringify(cred)}`);
  summary.credential = { rpId: cred.rpId, userHandle: cred.userHandle, signCountAfterSignUp: cred.signCount };

  // 3. Sign out through the sign-out page.
  step = 'open the sign-out page';
  await page.goto(`${app}/api/auth/signout`);
  await shot('signout');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await waitFor((u) => u.origin === app && u.pathname !== '/api/auth/signout', 'the page after sign-out');
  expect(await session() === null, 'still signed in after sign-out');
  await shot('signed-out');

  // 4. Sign in usernameless with the sign-in page's passkey button; the
  // callback's body and cookies are kept for the replay below.
  let captured = null;
  const capture = async (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/auth/callback/passkey') {
      captured = { body: req.postData() ?? '', cookie: (await req.allHeaders()).cookie ?? '' };
    }
  };
  page.on('request', capture);
  await signInWithButton('sign in');
  page.off('request', capture);
  expect(new URL(page.url()).pathname === protectedPath, `the passkey button led to ${page.url()}, want ${protectedPath}`);
  expect((await page.locator('body').innerText()).includes(email), `the protected page does not show ${email}`);
  await shot('signed-in');
  const s = await session();
  expect(s?.user?.email === email, `/api/auth/session: ${JSON.stringify(s)}`);
  summary.session = s;
  summary.cookies = (await context.cookies(app)).map((c) => c.name).sort();
  expect(captured && captured.body.includes('action=authenticate') && captured.cookie.includes('authjs.challenge='),
    `no callback captured: ${JSON.stringify(captured)}`);
  await signOut('sign-out after sign-in');

  // 5. replay: the captured body and cookies, sent again.
  step = 'replay';
  summary.attacks.replay = await post(captured.body, captured.cookie);
  await page.goto(summary.attacks.replay.url ?? `${app}/`);
  await refused('replay', summary.attacks.replay);

  // 6. same-challenge: two assertions for one challenge; the first signs
  // in, the second (counter higher, signature good) must not.
  step = 'same-challenge';
  await page.goto(`${app}${pagePath}`);
  const two = await page.evaluate(async () => {
    const r = await fetch('/api/auth/webauthn-options/passkey?action=authenticate');
    const { options } = await r.json();
    const a1 = await window.authjsClient.startAuthentication(options);
    const a2 = await window.authjsClient.startAuthentication(options);
    return { a1: JSON.stringify(a1), a2: JSON.stringify(a2) };
  });
  const challengeCookie = await cookieHeader();
  const form = (data) => new URLSearchParams({ action: 'authenticate', data, csrfToken: 'unused', callbackUrl: `${app}${protectedPath}` }).toString();
  const first = await post(form(two.a1), challengeCookie);
  expect(first.setCookies.includes('authjs.session-token') && !first.url?.includes('error='),
    `same-challenge: the first assertion did not sign in: ${JSON.stringify(first)}`);
  const second = await post(form(two.a2), challengeCookie);
  await page.goto(second.url ?? `${app}/`);
  await refused('same-challenge', { ...second, first });

  // 7. counter: the authenticator's counter set back below the server's.
  step = 'counter';
  const [before] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: before.credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...before, signCount: 0 } });
  await signInWithButton('counter');
  await refused('counter', { signCountBefore: before.signCount, signCountSent: 1 });
  // A real counter again, past the server's.
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: before.credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...before, signCount: before.signCount + 10 } });

  // 8. user-handle: the button's callback with another user handle (the
  // handle is not signed, so only the server's record of it can tell).
  step = 'user-handle';
  await page.route(`${app}/api/auth/callback/passkey*`, async (route) => {
    const form = new URLSearchParams(route.request().postData() ?? '');
    const data = JSON.parse(form.get('data'));
    data.response.userHandle = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
    form.set('data', JSON.stringify(data));
    await route.continue({ postData: form.toString() });
  }, { times: 1 });
  await signInWithButton('user-handle');
  await refused('user-handle');

  // 9. expired: the button's callback waits until the server's clock has
  // moved 16 minutes on.
  if (clockPath !== 'none') {
    step = 'expired';
    await page.route(`${app}/api/auth/callback/passkey*`, async (route) => {
      const r = await fetch(`${app}${clockPath}?advance=960`, { method: 'POST' });
      expect(r.ok, `${clockPath}: ${r.status}`);
      await route.continue();
    }, { times: 1 });
    await signInWithButton('expired');
    await refused('expired', { advancedSeconds: 960 });
  }

  // 10. other-site: the passkey's own key, credential id and user handle,
  // used by another site (other.localhost, as a phishing page would have
  // it signed): the server knows the credential, but the assertion is for
  // another rp id and origin.
  step = 'other-site';
  const [mine] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: mine.credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...mine, rpId: 'other.localhost', signCount: mine.signCount + 10 } });
  await page.goto(`${app}${pagePath}`);
  const theirs = async () => (await (await context.request.get(`${app}/api/auth/webauthn-options/passkey?action=authenticate`)).json()).options;
  let challenge = (await theirs()).challenge;
  let otherCookie = await cookieHeader();
  await page.goto(`${other}${pagePath}`);
  const phished = await page.evaluate(async (ch) => JSON.stringify(await window.authjsClient.startAuthentication({
    challenge: ch, rpId: 'other.localhost', userVerification: 'required',
  })), challenge);
  let sent = await post(form(phished), otherCookie);
  await page.goto(sent.url ?? `${app}/`);
  await refused('other-site', sent);
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: mine.credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...mine, signCount: mine.signCount + 20 } });

  // 11. other-site-credential: a passkey made on the other site (its own
  // key and credential id, unknown to the server) signs the server's
  // challenge there.
  step = 'other-site-credential';
  await page.goto(`${app}${pagePath}`);
  challenge = (await theirs()).challenge;
  otherCookie = await cookieHeader();
  await page.goto(`${other}${pagePath}`);
  const foreign = await page.evaluate(async (ch) => {
    const c = window.authjsClient;
    const id = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
    await c.startRegistration({
      challenge: btoa('other-site-registration-challenge').replace(/=+$/, ''),
      rp: { id: 'other.localhost', name: 'Other site' },
      user: { id, name: 'grace@other.example', displayName: 'grace@other.example' },
      pubKeyCredParams: [{ alg: -8, type: 'public-key' }, { alg: -7, type: 'public-key' }],
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
    });
    return JSON.stringify(await c.startAuthentication({ challenge: ch, rpId: 'other.localhost', userVerification: 'required' }));
  }, challenge);
  const rps = (await credentials(cdp, authenticatorId)).map((c) => c.rpId).sort();
  expect(rps.join() === 'localhost,other.localhost', `the authenticator holds credentials of ${rps}`);
  sent = await post(form(foreign), otherCookie);
  await page.goto(sent.url ?? `${app}/`);
  await refused('other-site-credential', sent);

  // 12. After all that, the passkey still signs in.
  await signInWithButton('sign in again');
  expect(new URL(page.url()).pathname === protectedPath, `the last sign-in led to ${page.url()}`);
  await shot('signed-in-again');
  summary.finalSession = await session();
  if (flags.whoami) summary.whoami = await (await context.request.get(`${app}${flags.whoami}`)).json();
  const last = (await credentials(cdp, authenticatorId)).find((c) => c.rpId === 'localhost');
  summary.credential.signCountAtEnd = last.signCount;

  summary.ok = true;
  summary.blockedRequests = [...new Set(browser.blocked)];
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  status = 0;
} catch (err) {
  process.stderr.write(`pages.mjs: failed at step "${step}": ${err?.stack ?? err}\n`);
  if (page) {
    process.stderr.write(`pages.mjs: the page was ${page.url()}\n`);
    try {
      const file = join(artifacts, 'failure.png');
      await page.screenshot({ path: file, fullPage: true });
      process.stderr.write(`pages.mjs: screenshot ${file}\n`);
    } catch {
      // the page may be gone
    }
  }
  process.stderr.write(`pages.mjs: steps done: ${summary.steps.map((s) => s.step).join(', ') || 'none'}\n`);
  process.stderr.write(`pages.mjs: attacks: ${JSON.stringify(summary.attacks)}\n`);
} finally {
  await browser?.close();
}
process.exit(status);
