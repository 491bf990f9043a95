// Sends one request sequence to a JavaScript Auth.js server and to a ginauth
// server and prints what each answered, normalized, as JSON on stdout:
// status, media type, JSON body (HTML bodies as "{html}"), Location and the
// Set-Cookie names and attributes. The Go test compares the two.
//
// v5: @auth/express; v4: next-auth v4's API route handler.
// Environment: GINAUTH_SECRET, and GINAUTH_V5_URL and/or GINAUTH_V4_URL.

import { startV4, startV5 } from "./lib/servers.mjs";
import { storeCookies, cookieHeader } from "./lib/jar.mjs";
import { normalize } from "./lib/normalize.mjs";

console.log = console.info = console.debug = console.error; // stdout is for the results

function describeCookie(line, origin) {
  const [pair, ...attrs] = line.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  const name = pair.slice(0, eq);
  const value = pair.slice(eq + 1);
  const out = [name];
  if (name.endsWith("callback-url")) out.push("value=" + normalize(decodeURIComponent(value), origin));
  if (value === "") out.push("empty");
  for (const a of attrs) {
    const [k, v] = a.split("=");
    out.push(k.toLowerCase() === "expires" ? "Expires" : a);
  }
  return out.join("; ");
}

async function run(origin, mode) {
  const jar = new Map();
  const steps = [];
  const base = origin + "/api/auth";
  let csrf = "";
  async function send(step, method, path, { form, json, headers = {} } = {}) {
    const h = new Headers(headers);
    if (jar.size) h.set("cookie", cookieHeader(jar));
    let body;
    if (form) { h.set("content-type", "application/x-www-form-urlencoded"); body = new URLSearchParams(form); }
    if (json) { h.set("content-type", "application/json"); body = JSON.stringify(json); }
    const res = await fetch(base + path, { method, headers: h, body, redirect: "manual" });
    storeCookies(jar, res.headers);
    const type = (res.headers.get("content-type") ?? "").split(";")[0].trim();
    const text = await res.text();
    let parsed = text;
    if (type === "application/json") { try { parsed = JSON.parse(text); } catch {} }
    else if (type === "text/html") parsed = "{html}";
    const obs = {
      step,
      status: res.status,
      type,
      body: normalize(parsed, origin),
      location: normalize(res.headers.get("location") ?? "", origin),
      cookies: res.headers.getSetCookie().map((l) => describeCookie(l, origin)).sort(),
    };
    steps.push(obs);
    return parsed;
  }
  const jsonRedirect = mode === "v5" ? { headers: { "X-Auth-Return-Redirect": "1" } } : {};
  const jsonField = mode === "v4" ? { json: "true" } : {};
  const creds = (user, pw, extra = {}) => ({ username: user, password: pw, csrfToken: csrf, callbackUrl: "/dashboard", ...extra });

  csrf = (await send("csrf", "GET", "/csrf")).csrfToken;
  await send("csrf again", "GET", "/csrf");
  await send("providers", "GET", "/providers");
  await send("session without a session", "GET", "/session");
  await send("sign-in page", "GET", "/signin");
  await send("credentials: wrong password", "POST", "/callback/credentials", { form: creds("alice", "nope") });
  await send("credentials: wrong password, JSON redirect", "POST", "/callback/credentials", { form: creds("alice", "nope", jsonField), ...jsonRedirect });
  await send("credentials: unknown user", "POST", "/callback/credentials", { form: creds("mallory", "x") });
  await send("credentials: CSRF token missing", "POST", "/callback/credentials", { form: creds("alice", "wonderland", { csrfToken: "" }) });
  await send("credentials: CSRF token wrong", "POST", "/callback/credentials", { form: creds("alice", "wonderland", { csrfToken: "0".repeat(64) }) });
  await send("credentials: foreign callbackUrl", "POST", "/callback/credentials", { form: creds("bob", "builder", { callbackUrl: "https://evil.example/steal" }) });
  await send("session of bob", "GET", "/session");
  await send("credentials: good, JSON redirect", "POST", "/callback/credentials", { form: creds("alice", "wonderland", jsonField), ...jsonRedirect });
  await send("session", "GET", "/session");
  await send("update", "POST", "/session", { json: { csrfToken: csrf, data: { name: "Alice L." } } });
  await send("update: CSRF token wrong", "POST", "/session", { json: { csrfToken: "0".repeat(64), data: { name: "Mallory" } } });
  await send("session after update", "GET", "/session");
  await send("sign-in page, foreign callbackUrl", "GET", "/signin?callbackUrl=" + encodeURIComponent("https://evil.example/"));
  await send("session, javascript: callbackUrl", "GET", "/session?callbackUrl=" + encodeURIComponent("javascript:alert(1)"));
  await send("sign-in POST, credentials provider", "POST", "/signin/credentials", { form: { csrfToken: csrf } });
  await send("sign-out page", "GET", "/signout");
  await send("sign-out: CSRF token missing", "POST", "/signout", { form: { callbackUrl: "/bye" } });
  await send("session still there", "GET", "/session");
  await send("sign-out", "POST", "/signout", { form: { csrfToken: csrf, callbackUrl: "/bye", ...jsonField }, ...jsonRedirect });
  await send("session after sign-out", "GET", "/session");
  await send("update without a session", "POST", "/session", { json: { csrfToken: csrf, data: { name: "x" } } });
  await send("error page", "GET", "/error?error=AccessDenied");
  await send("error page, configuration", "GET", "/error?error=Configuration");
  await send("verify-request page", "GET", "/verify-request");
  await send("unknown action", "GET", "/nope");
  await send("GET credentials callback", "GET", "/callback/credentials");
  return steps;
}

const secret = process.env.GINAUTH_SECRET;
const out = {};
for (const [mode, start, url] of [["v5", startV5, process.env.GINAUTH_V5_URL], ["v4", startV4, process.env.GINAUTH_V4_URL]]) {
  if (!url) continue;
  const js = await start({ secret });
  out[mode] = { js: await run(js.origin, mode), ginauth: await run(url, mode) };
  js.close();
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(0);
