// Drives email sign-in through the official Auth.js clients against a
// JavaScript server and a ginauth server with the same call sequence, and
// prints the normalized results of both as JSON on stdout:
//
//   next-auth/react v5 against @auth/express with Auth.js's email provider,
//   and a ginauth server in v5 mode;
//   next-auth/react v4 against next-auth v4 with its EmailProvider, and a
//   ginauth server in v4 mode.
//
// Each step records the call's result, the requests it made with their
// statuses, where it navigated, the cookies the answers set (names and
// attributes; values as placeholders) and, for sign-in requests, the
// message sent: recipient, subject and link.
//
// Environment: GINAUTH_SECRET, and GINAUTH_V5_URL and GINAUTH_V5_MAIL and/or
// GINAUTH_V4_URL and GINAUTH_V4_MAIL: the origins of ginauth servers with
// an email provider (lib/email-servers.mjs describes the JavaScript ones),
// and URLs answering the list of messages each server sent as JSON
// [{to, subject, url}].

import { current, beginRun } from "./lib/browser.mjs";
import http from "node:http";
import React from "react";
import TestRenderer from "react-test-renderer";
import { startV4Email, startV5Email } from "./lib/email-servers.mjs";
import { normalize } from "./lib/normalize.mjs";
import * as v5 from "next-auth5/react";
import v4pkg from "next-auth4/react";

console.log = console.info = console.debug = console.error; // stdout is for the results

const v4 = v4pkg.default ?? v4pkg;
const { act, create } = TestRenderer;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** describeCookie is a Set-Cookie line without its value and date. */
function describeCookie(line, origin) {
  const [pair, ...attrs] = line.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  const name = pair.slice(0, eq);
  const value = decodeURIComponent(pair.slice(eq + 1));
  const out = [name];
  if (value === "") out.push("empty");
  else if (name.endsWith("callback-url")) out.push("value=" + normalize(value, origin));
  else if (uuid.test(value)) out.push("value={uuid}");
  for (const a of attrs) out.push(a.toLowerCase().startsWith("expires=") ? "Expires" : a);
  return out.join("; ");
}

/** getJSON fetches a URL outside the browser: its cookies and logs. */
function getJSON(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        try { resolve(JSON.parse(text)); } catch (err) { reject(err); }
      });
    }).on("error", reject);
  });
}

/** recorder collects each call's result with the requests it made. */
function recorder(server) {
  const steps = [];
  let seen = 0;
  async function step(name, fn) {
    const req = current.requests.length;
    const nav = current.navigations.length;
    const ck = current.setCookies.length;
    let result;
    try {
      result = await fn();
    } catch (err) {
      result = { thrown: String(err?.message ?? err) };
    }
    const messages = await server.messages();
    const sent = messages.slice(seen).map((m) => ({ ...m, query: [...new URL(m.url).searchParams.keys()] }));
    seen = messages.length;
    const host = new URL(current.origin).host;
    steps.push({
      name,
      result: normalize(result, current.origin),
      // The pages a link leads to are the application's, not the auth
      // server's: their statuses are left out.
      requests: normalize(current.requests.slice(req), current.origin).map((r) =>
        r.replace(/^(GET (?!\/api\/auth\/)\S+) \d+$/, "$1 {page}")),
      navigations: normalize(current.navigations.slice(nav), current.origin),
      cookies: current.setCookies.slice(ck).map((l) => describeCookie(l, current.origin)).sort(),
      messages: normalize(sent, current.origin).map((m) => ({ ...m, subject: m.subject.replaceAll(host, "{host}") })),
    });
  }
  return { steps, step };
}

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

/** open follows a link as a browser does, and returns where it ended. */
async function open(link) {
  const res = await fetch(link);
  await res.arrayBuffer();
  const u = new URL(res.url);
  return { landed: u.origin + u.pathname + u.search };
}

async function run(client, server) {
  beginRun(server.origin);
  const { steps, step } = recorder(server);
  const lastLink = async () => (await server.messages()).at(-1)?.url;
  await step("getProviders", () => client.getProviders());
  await step("signIn email", () => client.signIn("email", { email: "Ann@Example.COM ", redirect: false, callbackUrl: "/dashboard" }));
  const annLink = await lastLink();
  await step("getSession before the link", () => client.getSession());
  await step("open the link", () => open(annLink));
  await step("getSession", () => client.getSession());
  await step("useSession", () => withProvider(client, (get) => view(get())));
  await step("open the link again", () => open(annLink));
  await step("getSession after the link again", () => client.getSession());
  await step("signOut", () => client.signOut({ redirect: false, callbackUrl: "/bye" }));
  await step("getSession after signOut", () => client.getSession());
  await step("signIn email, not an address", () => client.signIn("email", { email: "not-an-address", redirect: false, callbackUrl: "/dashboard" }));
  await step("signIn email, two addresses", () => client.signIn("email", { email: "eve@evil.example@example.com", redirect: false }));
  await step("signIn email, foreign callbackUrl", () =>
    client.signIn("email", { email: "carl@example.com", redirect: false, callbackUrl: "https://evil.example/steal" }));
  await step("open carl's link", async () => open(await lastLink()));
  await step("getSession carl", () => client.getSession());
  await step("signOut carl", () => client.signOut({ redirect: false, callbackUrl: "/bye" }));
  await step("signIn email redirecting", () => client.signIn("email", { email: "bob@example.com", callbackUrl: "/home" }));
  await step("signIn email, callbackUrl from the page", () => client.signIn("email", { email: "dora@example.com", redirect: false }));
  await step("open dora's link", async () => open(await lastLink()));
  await step("getSession dora", () => client.getSession());
  return steps;
}

/** jsServer describes a JavaScript server by its outbox. */
function jsServer(s) {
  return {
    origin: s.origin,
    async messages() {
      return s.messages.map((m) => ({
        to: m.envelope.to.join(","),
        subject: m.subject,
        // Auth.js's text body: "Sign in to <host>\n<url>\n\n".
        url: m.text.split("\n")[1],
      }));
    },
  };
}

/** goServer describes a ginauth server by its mail log. */
function goServer(origin, mailURL) {
  return { origin, messages: () => getJSON(mailURL) };
}

const secret = process.env.GINAUTH_SECRET;
const out = {};
if (process.env.GINAUTH_V5_URL) {
  const js = await startV5Email({ secret });
  out["next-auth/react v5"] = {
    js: await run(v5, jsServer(js)),
    ginauth: await run(v5, goServer(process.env.GINAUTH_V5_URL, process.env.GINAUTH_V5_MAIL)),
  };
  js.close();
}
if (process.env.GINAUTH_V4_URL) {
  const js = await startV4Email({ secret });
  out["next-auth/react v4"] = {
    js: await run(v4, jsServer(js)),
    ginauth: await run(v4, goServer(process.env.GINAUTH_V4_URL, process.env.GINAUTH_V4_MAIL)),
  };
  js.close();
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(0);
