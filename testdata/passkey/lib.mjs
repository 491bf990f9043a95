// Shared parts of the passkey drivers: the browser with a virtual
// authenticator, the bundled Auth.js client, the page that carries it, and
// the normalisation of what the servers answer into a transcript that two
// servers on two ports can be compared by.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import { chromium } from 'playwright-core';

export const here = dirname(fileURLToPath(import.meta.url));

// The path, on the server's origin, at which the driver itself answers with
// the test page and its script (Playwright's request routing): both servers
// are driven through the very same page without serving it themselves.
export const pagePath = '/__passkey-client/';

// bundleClient builds client.mjs (next-auth/webauthn's signIn and
// next-auth/react's signOut, getSession, ...) into one script for the page,
// as a Next.js application would ship them: process.env is resolved at
// build time, so the client uses its default base path /api/auth.
export async function bundleClient() {
  const out = await build({
    entryPoints: [join(here, 'client.mjs')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    define: {
      'process.env.NODE_ENV': '"production"',
      'process.env.NEXTAUTH_URL': 'undefined',
      'process.env.NEXTAUTH_URL_INTERNAL': 'undefined',
      'process.env.VERCEL_URL': 'undefined',
    },
    logLevel: 'warning',
  });
  return out.outputFiles[0].text;
}

const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Passkey client</title>
<script src="${pagePath}client.js"></script></head>
<body><h1>Auth.js passkey client</h1><pre id="log"></pre></body></html>`;

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);

// launch starts Chromium with a fresh profile, blocks every request to a
// host other than loopback, and answers pagePath on localhost and its
// subdomains with the client page. It returns the context, a page, the
// blocked origins, and close().
export async function launch({ executablePath, bundle }) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'ginauth-chromium-'));
  const blocked = [];
  const context = await chromium.launchPersistentContext(userDataDir, {
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
    const local = loopback.has(u.hostname) || u.hostname.endsWith('.localhost');
    if ((u.protocol === 'http:' || u.protocol === 'https:') && !local) {
      blocked.push(u.origin);
      return route.abort('blockedbyclient');
    }
    // The client page, on the server's origin or on another site's
    // (other.localhost, for the attacks); it never reaches a server.
    if (bundle && local && u.pathname.startsWith(pagePath)) {
      if (u.pathname === `${pagePath}client.js`) {
        return route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: bundle });
      }
      return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: pageHTML });
    }
    return route.continue();
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context,
    page,
    blocked,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// addAuthenticator turns on the DevTools protocol's WebAuthn domain for
// page and plugs in a platform authenticator (CTAP2, internal transport)
// that keeps discoverable credentials and verifies its user, as a phone or
// laptop passkey does. It returns the CDP session and the authenticator id.
export async function addAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

// credentials lists the authenticator's credentials with their relying
// party, user handle (as text: Auth.js's is 64 hex characters) and counter.
export async function credentials(cdp, authenticatorId) {
  const { credentials: list } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  return list.map((c) => ({
    rpId: c.rpId,
    isResidentKey: c.isResidentCredential,
    userHandle: c.userHandle ? Buffer.from(c.userHandle, 'base64').toString('latin1') : null,
    signCount: c.signCount,
    credentialId: c.credentialId,
  }));
}

const uuidRE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isoRE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const jweRE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// Normaliser turns the values that differ from run to run (origins, random
// ids, challenges, dates, tokens) into placeholders that keep their shape:
// <origin>, <port>, <uuid>, <hex64>, <date>, <jwe>, <b64url:N bytes>.
export class Normaliser {
  constructor(app) {
    this.app = app;
    this.port = new URL(app).port;
  }

  str(s) {
    if (s === '') return '';
    if (uuidRE.test(s)) return '<uuid>';
    if (/^[0-9a-f]{64}$/.test(s)) return '<hex64>';
    if (isoRE.test(s)) return '<date>';
    if (jweRE.test(s)) return '<jwe>';
    if (/^[A-Za-z0-9_-]{16,}$/.test(s) && !/^[a-z]+$/i.test(s)) return `<b64url:${Buffer.from(s, 'base64url').length}>`;
    return s.replaceAll(this.app, '<origin>').replaceAll(encodeURIComponent(this.app), '<origin>')
      .replaceAll(`localhost:${this.port}`, 'localhost:<port>');
  }

  // value normalises any JSON value; clientDataJSON is decoded, since what
  // it says (type, origin) matters more than its bytes.
  value(v, key = '') {
    if (typeof v === 'string') {
      if (key === 'clientDataJSON') {
        try {
          return { decoded: this.value(JSON.parse(Buffer.from(v, 'base64url').toString('utf8'))) };
        } catch {
          return this.str(v);
        }
      }
      return this.str(v);
    }
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (v && typeof v === 'object') {
      const o = {};
      for (const [k, x] of Object.entries(v)) {
        // Chromium adds this key to clientDataJSON now and then, on purpose,
        // so that servers do not compare the JSON against a template.
        if (k === 'other_keys_can_be_added_here') continue;
        o[k] = this.value(x, k);
      }
      return o;
    }
    return v;
  }

  // form normalises an x-www-form-urlencoded body or query, keeping its
  // order; the passkey callback's data field (JSON) is decoded.
  form(text) {
    const out = [];
    for (const [k, v] of new URLSearchParams(text)) {
      if (k === 'data') {
        try {
          out.push([k, this.value(JSON.parse(v))]);
          continue;
        } catch {
          // not JSON: keep it as text
        }
      }
      out.push([k, this.str(v)]);
    }
    return out;
  }

  // setCookie parses one Set-Cookie header into its name, the shape of its
  // value, and its attributes (Expires and Max-Age kept as present/number).
  setCookie(header) {
    const [pair, ...attrs] = header.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const out = { name, value: this.cookieValue(value), attrs: {} };
    for (const a of attrs) {
      if (!a) continue;
      const i = a.indexOf('=');
      const k = (i < 0 ? a : a.slice(0, i)).toLowerCase();
      const v = i < 0 ? true : a.slice(i + 1);
      if (k === 'expires') out.attrs.expires = Date.parse(v) <= Date.now() ? 'past' : 'future';
      else if (k === 'max-age') out.attrs['max-age'] = Number(v);
      else if (k === 'samesite') out.attrs.samesite = String(v).toLowerCase();
      else out.attrs[k] = v;
    }
    return out;
  }

  cookieValue(v) {
    if (v === '') return '';
    const s = this.str(decodeURIComponent(v));
    return s.startsWith('<') ? s : '<opaque>';
  }
}

// Recorder collects the requests a page makes to the server's /api/ paths,
// with what the server answered, normalised.
export class Recorder {
  constructor(page, app, norm) {
    this.pending = [];
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.origin !== app || !u.pathname.startsWith('/api/')) return;
      this.pending.push(this.record(req, norm));
    });
  }

  async record(req, norm) {
    const u = new URL(req.url());
    const headers = await req.allHeaders();
    const entry = {
      method: req.method(),
      path: u.pathname,
      query: norm.form(u.search),
      headers: Object.fromEntries(['content-type', 'x-auth-return-redirect']
        .filter((h) => headers[h] !== undefined).map((h) => [h, headers[h]])),
    };
    if (req.method() === 'POST') entry.form = norm.form(req.postData() ?? '');
    const res = await req.response();
    if (!res) {
      entry.failed = req.failure()?.errorText ?? 'no response';
      return entry;
    }
    entry.status = res.status();
    entry.statusText = res.statusText();
    const rh = await res.headersArray();
    entry.contentType = (rh.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '').split(';')[0].trim();
    entry.setCookies = rh.filter((h) => h.name.toLowerCase() === 'set-cookie')
      .flatMap((h) => h.value.split('\n')).map((c) => norm.setCookie(c))
      .sort((a, b) => a.name.localeCompare(b.name));
    const loc = rh.find((h) => h.name.toLowerCase() === 'location');
    if (loc) entry.location = norm.str(loc.value);
    try {
      const body = await res.body();
      const text = body.toString('utf8');
      if (entry.contentType === 'application/json') entry.body = norm.value(JSON.parse(text));
      else entry.bodyLength = body.length;
    } catch (err) {
      entry.bodyError = String(err?.message ?? err);
    }
    return entry;
  }

  // take returns the requests recorded since the last call, in the order
  // they were made.
  async take() {
    const got = await Promise.all(this.pending);
    this.pending = [];
    return got;
  }
}

// jar lists the browser's cookies for app: name, value shape, attributes.
export async function jar(context, app, norm) {
  return (await context.cookies(app)).map((c) => ({
    name: c.name,
    value: norm.cookieValue(c.value),
    path: c.path,
    httpOnly: c.httpOnly,
    secure: c.secure,
    sameSite: c.sameSite,
    session: c.expires === -1,
  })).sort((a, b) => a.name.localeCompare(b.name));
}
