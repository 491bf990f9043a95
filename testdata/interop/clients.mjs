// Drives the official Auth.js clients against a JavaScript server and a
// ginauth server with the same call sequence, and prints the normalized
// results of both as JSON on stdout:
//
//   next-auth/react v5 (next-auth@5 beta) against @auth/express and a
//   ginauth server in v5 mode;
//   next-auth/react v4 against next-auth v4 and a ginauth server in v4 mode;
//   the requests of @sidebase/nuxt-auth's authjs provider (reproduced: the
//   package runs only inside Nuxt) against next-auth v4 and ginauth v4.
//
// Environment: GINAUTH_SECRET, and GINAUTH_V5_URL and/or GINAUTH_V4_URL
// (origins of ginauth servers configured like lib/servers.mjs).

import { current, beginRun } from "./lib/browser.mjs";
import React from "react";
import TestRenderer from "react-test-renderer";
import { startV4, startV5 } from "./lib/servers.mjs";
import { normalize } from "./lib/normalize.mjs";
import * as v5 from "next-auth5/react";
import v4pkg from "next-auth4/react";

console.log = console.info = console.debug = console.error; // stdout is for the results

const v4 = v4pkg.default ?? v4pkg;
const { act, create } = TestRenderer;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** recorder collects each call's result with the requests it made. */
function recorder() {
  const steps = [];
  async function step(name, fn) {
    const req = current.requests.length;
    const nav = current.navigations.length;
    let result;
    try {
      result = await fn();
    } catch (err) {
      result = { thrown: String(err?.message ?? err) };
    }
    steps.push({
      name,
      result: normalize(result, current.origin),
      requests: normalize(current.requests.slice(req), current.origin),
      navigations: normalize(current.navigations.slice(nav), current.origin),
    });
  }
  return { steps, step };
}

/**
 * withProvider renders <SessionProvider> with a child calling useSession, as
 * an app does, waits until the session has loaded, and runs fn with a
 * getter for useSession's latest value.
 */
async function withProvider(client, fn) {
  let value;
  function Probe() {
    value = client.useSession();
    return null;
  }
  let root;
  await act(async () => {
    root = create(React.createElement(client.SessionProvider, {}, React.createElement(Probe)));
  });
  for (let i = 0; i < 500 && value?.status === "loading"; i++) {
    await act(() => sleep(10));
  }
  try {
    return await fn(() => value);
  } finally {
    await act(async () => root.unmount());
  }
}

const view = (s) => ({ status: s.status, data: s.data });

async function update(client, data) {
  return withProvider(client, async (get) => {
    const before = view(get());
    let returned;
    await act(async () => {
      returned = await get().update(data);
    });
    return { before, returned, after: view(get()) };
  });
}

/** runReact runs the sequence shared by the v4 and v5 React clients. */
async function runReact(client, origin) {
  beginRun(origin);
  const { steps, step } = recorder();
  await step("getCsrfToken", () => client.getCsrfToken());
  await step("getProviders", () => client.getProviders());
  await step("getSession signed out", () => client.getSession());
  await step("useSession signed out", () => withProvider(client, (get) => view(get())));
  await step("signIn wrong password", () =>
    client.signIn("credentials", { redirect: false, username: "alice", password: "nope", callbackUrl: "/dashboard" }));
  await step("signIn unknown provider", () => client.signIn("github", { callbackUrl: "/dashboard" }));
  await step("signIn", () =>
    client.signIn("credentials", { redirect: false, username: "alice", password: "wonderland", callbackUrl: "/dashboard" }));
  await step("getSession", () => client.getSession());
  await step("useSession update", () => update(client, { name: "Alice L." }));
  await step("getSession after update", () => client.getSession());
  await step("useSession update without data", () => update(client, undefined));
  await step("signOut", () => client.signOut({ redirect: false, callbackUrl: "/bye" }));
  await step("getSession after signOut", () => client.getSession());
  await step("signIn redirecting", () =>
    client.signIn("credentials", { username: "bob", password: "builder", callbackUrl: "/home" }));
  await step("getSession bob", () => client.getSession());
  await step("signIn redirecting, foreign callbackUrl", () =>
    client.signIn("credentials", { username: "bob", password: "builder", callbackUrl: "https://evil.example/steal" }));
  await step("signOut redirecting", () => client.signOut());
  await step("signIn redirecting, wrong password", () =>
    client.signIn("credentials", { username: "bob", password: "nope", callbackUrl: "/home" }));
  await step("getSession signed out again", () => client.getSession());
  return steps;
}

// The calls of @sidebase/nuxt-auth's authjs provider, as the package makes
// them: ofetch with Accept JSON, non-2xx answers' JSON bodies used as
// results, json=true on every POST, ?callbackUrl= on every /session read.
const sidebase = {
  async fetch(path, init = {}) {
    const res = await fetch(`/api/auth${path}`, { ...init, headers: { accept: "application/json", ...init.headers } });
    const text = await res.text();
    let data;
    try { data = JSON.parse(text); } catch { data = text; }
    return { ok: res.ok, data };
  },
  async getProviders() { return (await this.fetch("/providers")).data; },
  async getCsrfToken() { return (await this.fetch("/csrf")).data.csrfToken; },
  async getSession() {
    const { data } = await this.fetch(`/session?${new URLSearchParams({ callbackUrl: location.href })}`);
    return data && typeof data === "object" && Object.keys(data).length ? data : null;
  },
  async signIn(provider, options = {}) {
    const providers = await this.getProviders();
    const { redirect = true } = options;
    const callbackUrl = options.callbackUrl ?? location.href;
    if (!providers?.[provider]) {
      const url = `/api/auth/signin?${new URLSearchParams({ callbackUrl })}`;
      location.href = url;
      return { error: "InvalidProvider", ok: false, status: 400, url };
    }
    const csrfToken = await this.getCsrfToken();
    const { data } = await this.fetch(`/callback/${provider}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...options, csrfToken, callbackUrl, json: "true" }),
    });
    if (redirect) {
      const href = data.url ?? callbackUrl;
      location.href = href;
      return { error: new URL(href, "http://_").searchParams.get("error"), ok: true, status: 302, url: href };
    }
    const error = new URL(data.url).searchParams.get("error");
    await this.getSession();
    return { error, status: 200, ok: true, url: error ? null : data.url };
  },
  async signOut({ callbackUrl = location.href, redirect = true } = {}) {
    const csrfToken = await this.getCsrfToken();
    const { data } = await this.fetch("/signout", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, callbackUrl, json: "true" }),
    });
    if (redirect) {
      location.href = data.url ?? callbackUrl;
      return undefined;
    }
    await this.getSession();
    return data;
  },
};

async function runSidebase(origin) {
  beginRun(origin);
  const { steps, step } = recorder();
  await step("getCsrfToken", () => sidebase.getCsrfToken());
  await step("getProviders", () => sidebase.getProviders());
  await step("getSession signed out", () => sidebase.getSession());
  await step("signIn wrong password", () =>
    sidebase.signIn("credentials", { redirect: false, username: "alice", password: "nope", callbackUrl: "/dashboard" }));
  await step("signIn unknown provider", () => sidebase.signIn("github", { callbackUrl: "/dashboard" }));
  await step("signIn", () =>
    sidebase.signIn("credentials", { redirect: false, username: "alice", password: "wonderland", callbackUrl: "/dashboard" }));
  await step("getSession", () => sidebase.getSession());
  await step("signOut", () => sidebase.signOut({ redirect: false, callbackUrl: "/bye" }));
  await step("getSession after signOut", () => sidebase.getSession());
  await step("signIn redirecting", () => sidebase.signIn("credentials", { username: "bob", password: "builder", callbackUrl: "/home" }));
  await step("signOut redirecting", () => sidebase.signOut());
  return steps;
}

const secret = process.env.GINAUTH_SECRET;
const out = {};
if (process.env.GINAUTH_V5_URL) {
  const js = await startV5({ secret });
  out["next-auth/react v5"] = { js: await runReact(v5, js.origin), ginauth: await runReact(v5, process.env.GINAUTH_V5_URL) };
  js.close();
}
if (process.env.GINAUTH_V4_URL) {
  const js = await startV4({ secret });
  out["next-auth/react v4"] = { js: await runReact(v4, js.origin), ginauth: await runReact(v4, process.env.GINAUTH_V4_URL) };
  out["nuxt-auth authjs"] = { js: await runSidebase(js.origin), ginauth: await runSidebase(process.env.GINAUTH_V4_URL) };
  js.close();
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(0);
