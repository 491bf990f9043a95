// The JavaScript servers ginauth is compared with, configured like the Go
// test applications: a credentials provider knowing alice and bob, a jwt
// callback that puts the role into the token at sign-in and takes the name
// from update(), served under /api/auth on 127.0.0.1.
//
// v5: @auth/express. v4: next-auth's Pages API route handler
// (next-auth/next), driven by a Node http server that prepares req and res
// the way Next.js does for an API route.

import http from "node:http";
import { createRequire } from "node:module";
import express from "express";
import { ExpressAuth } from "@auth/express";
import Credentials from "@auth/core/providers/credentials";

const require = createRequire(import.meta.url);

export const users = {
  alice: { password: "wonderland", role: "admin", user: { id: "1", name: "Alice", email: "alice@example.com", image: "https://img.example.com/a.png" } },
  bob: { password: "builder", role: "user", user: { id: "2", name: "Bob", email: "bob@example.com" } },
};

function authorize(c) {
  const u = users[c?.username];
  if (!u || c.password !== u.password) return null;
  return { ...u.user };
}

function jwt({ token, user, trigger, session }) {
  if (trigger === "signIn") {
    for (const u of Object.values(users)) if (u.user.id === user.id) token.role = u.role;
  }
  if (trigger === "update" && typeof session?.name === "string") token.name = session.name;
  return token;
}

/** listen serves server on a free loopback port and returns its origin. */
export function listen(server) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

/** startV5 serves @auth/express and returns its origin and a close function. */
export async function startV5({ secret }) {
  const app = express();
  app.set("trust proxy", true);
  app.use("/api/auth/*", ExpressAuth({
    secret,
    trustHost: true,
    providers: [Credentials({ credentials: { username: { label: "Username" }, password: { label: "Password", type: "password" } }, authorize })],
    callbacks: { jwt },
    logger: { error() {}, warn() {}, debug() {} },
  }));
  const server = http.createServer(app);
  const origin = await listen(server);
  return { origin, close: () => server.close() };
}

/** startV4 serves next-auth v4 and returns its origin and a close function. */
export async function startV4({ secret }) {
  const NextAuth = require("next-auth4/next").default;
  const CredentialsV4 = require("next-auth4/providers/credentials").default;
  const handler = NextAuth({
    secret,
    providers: [CredentialsV4({ credentials: { username: { label: "Username" }, password: { label: "Password", type: "password" } }, authorize })],
    callbacks: { jwt },
    logger: { error() {}, warn() {}, debug() {} },
  });
  const server = http.createServer(v4Handler(handler));
  const origin = await listen(server);
  process.env.NEXTAUTH_URL = origin; // next-auth v4 takes its origin from here
  return { origin, close: () => server.close() };
}

/**
 * v4Handler serves a next-auth v4 Pages API handler under /api/auth, with
 * req and res prepared the way Next.js prepares them for an API route.
 */
export function v4Handler(handler) {
  return async (req, res) => {
    try {
      const url = new URL(req.url, "http://127.0.0.1");
      if (!url.pathname.startsWith("/api/auth/")) {
        res.statusCode = 404;
        res.end();
        return;
      }
      const query = Object.fromEntries(url.searchParams);
      query.nextauth = url.pathname.slice("/api/auth/".length).split("/");
      req.query = query;
      req.cookies = parseCookies(req.headers.cookie ?? "");
      req.body = parseBody(req.headers["content-type"] ?? "", await readBody(req));
      await handler(req, nextResponse(res));
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on("data", (d) => parts.push(d));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

// parseBody parses JSON and form bodies as Next.js API routes do.
function parseBody(type, text) {
  if (!text) return undefined;
  if (type.includes("application/json")) return JSON.parse(text);
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  return text;
}

function parseCookies(header) {
  const out = {};
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name in out) continue;
    let value = part.slice(eq + 1).trim();
    try { value = decodeURIComponent(value); } catch {}
    out[name] = value;
  }
  return out;
}

// nextResponse adds Next.js's API response helpers to a Node response.
function nextResponse(res) {
  res.status = (code) => { res.statusCode = code; return res; };
  res.json = (body) => {
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.end(JSON.stringify(body));
    return res;
  };
  res.send = (body) => {
    if (body === undefined || body === null) { res.end(); return res; }
    if (typeof body === "object" || typeof body === "number" || typeof body === "boolean") return res.json(body);
    res.end(body);
    return res;
  };
  return res;
}
