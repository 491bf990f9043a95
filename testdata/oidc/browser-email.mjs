// Signs in to the example application with an emailed link in a real
// browser (Debian's Chromium, driven by playwright-core): types the address
// on ginauth's sign-in page, lands on the verify-request page, renders the
// received message's HTML part, clicks its button, reaches the protected
// page, then opens the link again, taking a screenshot of every page and of
// the message.
//
// Usage: node browser-email.mjs --app URL --mailbox URL [options]
//
//	--app URL          the application's origin, such as http://localhost:8080 (required)
//	--mailbox URL      where the received messages are read: GET URL?to=ADDRESS answers
//	                   {"subject", "html", "textLink"} of the latest one, 404 while none (required)
//	--email ADDRESS    the address typed (default alice@example.org)
//	--expect-name NAME the name the signed-in page must show (default Alice Liddell)
//	--brand NAME       the brand name the message must show (default ginauth example)
//	--artifacts DIR    where the screenshots go (env GINAUTH_ARTIFACTS_DIR;
//	                   default testdata/artifacts/browser-email)
//	--chromium PATH    the browser (env CHROMIUM_PATH; default /usr/bin/chromium)
//	--trust-spki HASH  the base64 SHA-256 of a loopback https server's public key
//	                   that Chromium accepts, for the message's logo
//
// Only loopback hosts are reachable from the pages; any other request is
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
    mailbox: { type: 'string' },
    email: { type: 'string' },
    'expect-name': { type: 'string' },
    brand: { type: 'string' },
    artifacts: { type: 'string' },
    chromium: { type: 'string' },
    'trust-spki': { type: 'string' },
  },
  strict: true,
});

function usage(msg) {
  process.stderr.write(`browser-email.mjs: ${msg}\n`);
  process.exit(2);
}
if (!flags.app) usage('--app URL is required');
if (!flags.mailbox) usage('--mailbox URL is required');
const app = new URL(flags.app).origin;
const mailbox = new URL(flags.mailbox);
const address = flags.email ?? 'alice@example.org';
const expectName = flags['expect-name'] ?? 'Alice Liddell';
const brand = flags.brand ?? 'ginauth example';
const artifacts = resolve(flags.artifacts ?? process.env.GINAUTH_ARTIFACTS_DIR ?? join(here, '..', 'artifacts', 'browser-email'));
const executablePath = flags.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

mkdirSync(artifacts, { recursive: true });

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
const summary = {
  ok: false,
  app,
  artifacts,
  steps: [],
  phone: [],
  email: {},
  blockedRequests: [],
  pageErrors: [],
};

// A URL without its query, which may carry tokens.
const bare = (u) => {
  const x = new URL(u);
  return x.protocol.startsWith('http') ? `${x.origin}${x.pathname}` : x.href;
};

let page;
let step = 'launch';
async function shot(name, p = page) {
  const file = join(artifacts, `${String(summary.steps.length + 1).padStart(2, '0')}-${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  summary.steps.push({ step: name, url: bare(p.url()), title: await p.title(), screenshot: file });
}

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Measures whether the page is wider than its window (horizontal
// scrolling) at phone widths, with a screenshot of each.
async function phoneCheck(p, label, load) {
  for (const width of [320, 375]) {
    step = `${label} at ${width} px`;
    await p.setViewportSize({ width, height: 740 });
    await load();
    const m = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    const file = join(artifacts, `phone-${label}-${width}.png`);
    await p.screenshot({ path: file, fullPage: true });
    summary.phone.push({ path: label, width, scrollWidth: m.scroll, innerWidth: m.inner, screenshot: file });
  }
  await p.setViewportSize({ width: 1000, height: 800 });
}

async function waitFor(pred, what, p = page) {
  step = `wait for ${what}`;
  await p.waitForURL((u) => pred(new URL(u)), { waitUntil: 'load' });
}

// The latest message for the address, polled until it arrives.
async function latestMessage() {
  step = 'read the mailbox';
  const u = new URL(mailbox);
  u.searchParams.set('to', address);
  for (let i = 0; i < 100; i++) {
    const res = await fetch(u);
    if (res.status === 200) return res.json();
    expect(res.status === 404, `mailbox: ${res.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no message arrived for ${address}`);
}

// What the rendered message looks like, read from its DOM and computed
// styles.
async function inspectMessage(p) {
  return p.evaluate((brandName) => {
    const links = [...document.querySelectorAll('a[href]')];
    const button = links.find((a) => a.textContent.trim() === 'Sign in');
    const style = (el) => (el ? getComputedStyle(el) : null);
    const logo = document.querySelector('img');
    const card = document.querySelector('table');
    // The background an element is drawn on: its own or an ancestor's.
    const ground = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const bg = getComputedStyle(e).backgroundColor;
        if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
      }
      return 'rgb(255, 255, 255)';
    };
    const heading = [...document.querySelectorAll('td')].find((td) => td.textContent.includes('Sign in to'));
    const brandCell = [...document.querySelectorAll('td')].find((td) => td.textContent.trim() === brandName);
    const copy = links.find((a) => a !== button);
    return {
      title: document.title,
      hrefs: links.map((a) => a.href),
      buttonHref: button?.getAttribute('href') ?? null,
      buttonColor: style(button)?.color ?? null,
      buttonBackground: button ? ground(button) : null,
      buttonWidth: button?.getBoundingClientRect().width ?? 0,
      buttonHeight: button?.getBoundingClientRect().height ?? 0,
      copyColor: style(copy)?.color ?? null,
      copyBackground: copy ? ground(copy) : null,
      headingColor: style(heading)?.color ?? null,
      headingBackground: heading ? ground(heading) : null,
      headingText: heading?.textContent.replace(/\s+/g, ' ').trim() ?? null,
      brandShown: !!brandCell,
      logoAlt: logo?.alt ?? null,
      logoLoaded: !!logo && logo.complete && logo.naturalWidth > 0,
      cardBackground: style(card)?.backgroundColor ?? null,
      bodyBackground: style(document.body).backgroundColor,
      text: document.body.innerText,
    };
  }, brand);
}

// The colour of the page's first link and the background it is drawn on.
async function linkLook(p) {
  return p.evaluate(() => {
    const a = document.querySelector('.card a');
    let bg = 'rgb(255, 255, 255)';
    for (let e = a; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') {
        bg = c;
        break;
      }
    }
    return { color: a ? getComputedStyle(a).color : null, background: bg };
  });
}

const userDataDir = mkdtempSync(join(tmpdir(), 'ginauth-chromium-'));
let context;
let status = 1;
try {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ];
  if (flags['trust-spki']) args.push(`--ignore-certificate-errors-spki-list=${flags['trust-spki']}`);
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args,
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
  await shot('signin');

  // 2. Type the address and ask for a link: the verify-request page.
  step = 'ask for a link';
  await page.getByLabel('Email', { exact: true }).fill(address);
  await page.getByRole('button', { name: 'Sign in with Email', exact: true }).click();
  await waitFor((u) => u.origin === app && u.pathname === '/api/auth/verify-request', 'the verify-request page');
  step = 'read the verify-request page';
  summary.verifyRequest = {
    heading: (await page.locator('h1').textContent())?.trim(),
    text: (await page.locator('.card').innerText()).trim(),
    signInLink: await page.getByRole('link', { name: /sign in/i }).first().getAttribute('href').catch(() => null),
  };
  summary.verifyRequest.linkLight = await linkLook(page);
  await shot('verify-request');
  await page.emulateMedia({ colorScheme: 'dark' });
  summary.verifyRequest.linkDark = await linkLook(page);
  await shot('verify-request-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  const verifyURL = page.url();
  await phoneCheck(page, 'verify-request', () => page.goto(verifyURL));

  // 3. The message as a mail client shows it: its HTML part in a tab of
  // its own, light, dark and on a phone.
  const msg = await latestMessage();
  summary.email.subject = msg.subject;
  summary.email.textLink = bare(msg.textLink);
  const mail = await context.newPage();
  mail.on('pageerror', (err) => summary.pageErrors.push(String(err?.message ?? err)));
  step = 'render the message';
  await mail.setContent(msg.html, { waitUntil: 'load' });
  const light = await inspectMessage(mail);
  expect(light.buttonHref === msg.textLink, 'the button does not hold the text part\'s link');
  expect(light.hrefs.every((h) => h === msg.textLink), `the message links elsewhere: ${light.hrefs.map(bare)}`);
  summary.email.light = { ...light, hrefs: light.hrefs.map(bare), buttonHref: bare(light.buttonHref) };
  await shot('email', mail);
  await mail.emulateMedia({ colorScheme: 'dark' });
  const dark = await inspectMessage(mail);
  summary.email.dark = { ...dark, hrefs: dark.hrefs.map(bare), buttonHref: bare(dark.buttonHref) };
  await shot('email-dark', mail);
  await mail.emulateMedia({ colorScheme: 'light' });
  await phoneCheck(mail, 'email', () => mail.setContent(msg.html, { waitUntil: 'load' }));

  // 4. The message's button opens the link in a new tab: the protected
  // page, signed in.
  step = 'click the message\'s button';
  const [tab] = await Promise.all([
    context.waitForEvent('page'),
    mail.getByRole('link', { name: 'Sign in', exact: true }).click(),
  ]);
  tab.on('pageerror', (err) => summary.pageErrors.push(String(err?.message ?? err)));
  await waitFor((u) => u.origin === app && u.pathname === '/account', 'the protected page', tab);
  step = 'read the signed-in page';
  const shown = (await tab.locator('#user-name').textContent())?.trim();
  expect(shown === expectName, `the signed-in page shows ${JSON.stringify(shown)}, want ${JSON.stringify(expectName)}`);
  const session = await (await context.request.get(`${app}/api/auth/session`)).json();
  expect(session?.user?.email === address, `/api/auth/session: ${JSON.stringify(session)}`);
  summary.user = { name: session.user.name ?? null, email: session.user.email ?? null };
  summary.cookies = (await context.cookies(app)).map((c) => c.name).sort();
  await shot('signed-in', tab);

  // 5. The link again, in a browser without the session: it has been used.
  step = 'open the link a second time';
  await context.clearCookies();
  await tab.goto(msg.textLink);
  await waitFor((u) => u.origin === app && u.pathname === '/api/auth/error', "ginauth's error page", tab);
  summary.reused = {
    error: new URL(tab.url()).searchParams.get('error'),
    heading: (await tab.locator('h1').textContent())?.trim(),
    text: (await tab.locator('.card').innerText()).trim(),
  };
  const after = await (await context.request.get(`${app}/api/auth/session`)).json();
  summary.reused.session = after;
  summary.reused.cookies = (await context.cookies(app)).map((c) => c.name).sort();
  await shot('link-reused', tab);

  summary.ok = true;
  summary.blockedRequests = [...new Set(summary.blockedRequests)];
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  status = 0;
} catch (err) {
  process.stderr.write(`browser-email.mjs: failed at step "${step}": ${err?.message ?? err}\n`);
  if (page) {
    process.stderr.write(`browser-email.mjs: the page was ${bare(page.url())}\n`);
    try {
      const file = join(artifacts, 'failure.png');
      await page.screenshot({ path: file, fullPage: true });
      process.stderr.write(`browser-email.mjs: screenshot ${file}\n`);
    } catch {
      // the page may be gone
    }
  }
  process.stderr.write(`browser-email.mjs: steps done: ${summary.steps.map((s) => s.step).join(', ') || 'none'}\n`);
} finally {
  await context?.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(status);
