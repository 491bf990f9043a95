// Encodes, chunks, decodes and reads session tokens with the JavaScript
// libraries: @auth/core's jwt module (v5) and next-auth/jwt (v4), and their
// SessionStore classes for chunked cookies. Reads a JSON array of
// operations on stdin and prints a JSON array of results, one per
// operation:
//
//   {op:"encode", mode, secret, salt, token, maxAge, name?} -> {value, cookies?}
//     (with a cookie name, also the cookies SessionStore writes for it)
//   {op:"decode", mode, secret, salt, value}            -> {claims} or {error}
//     (v4 uses salt too: next-auth salts OAuth check cookies with their name)
//   {op:"getToken", mode, secret, secureCookie, cookie, authorization} -> {claims}
//
// secret may be a string or (v5) a list; claims is null when getToken
// finds no valid session. An operation with now (Unix seconds) runs with
// the clock stopped at that time.

import { createRequire } from "node:module";
import * as v5jwt from "@auth/core/jwt";
import { SessionStore as SessionStoreV5 } from "./node_modules/@auth/core/lib/utils/cookie.js";

console.log = console.info = console.debug = console.error; // stdout is for the results

const require = createRequire(import.meta.url);
const v4jwt = require("next-auth4/jwt");
// Not exported by the package; loaded by path, as next-auth/jwt loads it.
const { SessionStore: SessionStoreV4 } = require("./node_modules/next-auth4/core/lib/cookie.js");

const quiet = { error() {}, warn() {}, debug() {} };

function parseCookies(header = "") {
  const out = {};
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

// chunk splits a session cookie value the way the library writes it.
function chunk(v5, name, value) {
  const store = v5
    ? new SessionStoreV5({ name, options: {} }, {}, quiet)
    : new SessionStoreV4({ name, options: {} }, { cookies: {} }, quiet);
  return store.chunk(value, {}).map((c) => ({ name: c.name, value: c.value }));
}

async function run(op) {
  const v5 = op.mode === "v5";
  switch (op.op) {
    case "encode": {
      const value = v5
        ? await v5jwt.encode({ token: op.token, secret: op.secret, salt: op.salt, maxAge: op.maxAge })
        : await v4jwt.encode({ token: op.token, secret: op.secret, maxAge: op.maxAge, salt: op.salt ?? "" });
      return op.name ? { value, cookies: chunk(v5, op.name, value) } : { value };
    }
    case "decode":
      try {
        const claims = v5
          ? await v5jwt.decode({ token: op.value, secret: op.secret, salt: op.salt })
          : await v4jwt.decode({ token: op.value, secret: op.secret, salt: op.salt ?? "" });
        return { claims };
      } catch (err) {
        return { error: String(err?.code ?? err?.name ?? err) };
      }
    case "getToken": {
      const headers = {};
      if (op.cookie) headers.cookie = op.cookie;
      if (op.authorization) headers.authorization = op.authorization;
      const claims = v5
        ? await v5jwt.getToken({ req: { headers }, secret: op.secret, secureCookie: op.secureCookie, logger: quiet })
        : await v4jwt.getToken({ req: { headers, cookies: parseCookies(op.cookie) }, secret: op.secret, secureCookie: op.secureCookie, logger: quiet });
      return { claims };
    }
  }
  throw new Error(`unknown op ${op.op}`);
}

// at runs f with Date.now() and new Date() at the Unix time now.
async function at(now, f) {
  const RealDate = globalThis.Date;
  class StoppedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now * 1000);
      else super(...args);
    }
    static now() {
      return now * 1000;
    }
  }
  globalThis.Date = StoppedDate;
  try {
    return await f();
  } finally {
    globalThis.Date = RealDate;
  }
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const op of JSON.parse(input)) out.push(op.now ? await at(op.now, () => run(op)) : await run(op));
process.stdout.write(JSON.stringify(out) + "\n");
