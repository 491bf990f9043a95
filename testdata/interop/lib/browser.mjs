// Browser globals for running next-auth's React clients in Node: a
// window.location that records navigations, stubs for document,
// localStorage and navigator, and a fetch that resolves relative URLs
// against the server under test, keeps cookies per run and follows
// redirects the way a browser does.
//
// Import this module before any next-auth module.

import { cookieHeader, storeCookies } from "./jar.mjs";

globalThis.IS_REACT_ACT_ENVIRONMENT = true;
// Cross-tab sync would make the clients refetch the session at moments that
// depend on event-loop timing; a single tab has no other tab to sync with.
delete globalThis.BroadcastChannel;

const nodeFetch = globalThis.fetch;

/**
 * The run in progress: origin, cookie jar, request and navigation logs, and
 * the Set-Cookie lines of every response.
 */
export const current = { origin: "", jar: new Map(), requests: [], navigations: [], setCookies: [] };

/** beginRun points the browser at origin with an empty cookie jar. */
export function beginRun(origin) {
  current.origin = origin;
  current.jar = new Map();
  current.requests = [];
  current.navigations = [];
  current.setCookies = [];
  location._href = origin + "/app";
}

const location = {
  _href: "http://127.0.0.1/app",
  get href() { return this._href; },
  set href(v) { current.navigations.push(String(v)); },
  get origin() { return new URL(this._href).origin; },
  reload() { current.navigations.push("reload"); },
};

const noop = () => {};
globalThis.window = globalThis;
Object.defineProperty(globalThis, "location", { value: location, configurable: true });
globalThis.addEventListener ??= noop;
globalThis.removeEventListener ??= noop;
globalThis.document = { visibilityState: "visible", addEventListener: noop, removeEventListener: noop };
globalThis.localStorage = { getItem: () => null, setItem: noop, removeItem: noop };
if (typeof globalThis.navigator === "undefined") {
  Object.defineProperty(globalThis, "navigator", { value: { onLine: true }, configurable: true });
}

globalThis.fetch = async function browserFetch(input, init = {}) {
  let url = new URL(typeof input === "string" ? input : input.url, current.origin);
  let method = (init.method ?? "GET").toUpperCase();
  let body = init.body;
  let headers = new Headers(init.headers);
  for (let hop = 0; hop < 10; hop++) {
    if (current.jar.size) headers.set("cookie", cookieHeader(current.jar));
    const res = await nodeFetch(url, { method, headers, body, redirect: "manual" });
    storeCookies(current.jar, res.headers);
    current.setCookies.push(...res.headers.getSetCookie());
    current.requests.push(`${method} ${url.pathname}${url.search} ${res.status}`);
    const loc = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !loc) return res;
    await res.arrayBuffer();
    url = new URL(loc, url);
    if (url.hostname !== "127.0.0.1") return res; // never leave loopback
    if (res.status !== 307 && res.status !== 308) {
      method = "GET";
      body = undefined;
      headers = new Headers();
    }
  }
  throw new Error("too many redirects");
};
