// A real Auth.js application with passkeys: @auth/express (that is,
// @auth/core) with the Passkey provider, experimental.enableWebAuthn, and
// users, accounts, authenticators and sessions kept by
// @auth/unstorage-adapter in memory or on Redis. The Go tests drive Auth.js's
// browser client against it and against ginauth, and compare what each
// answers; on Redis, ginauth shares its store.
//
// Usage: node authjs.mjs, configured by the environment:
//
//	AUTH_SECRET       required; Auth.js's secret
//	SESSION_STRATEGY  database (default) or jwt
//	ADAPTER           memory (default) or redis
//	REDIS_URL         ADAPTER=redis: the Redis URL
//	REDIS_BASE_KEY_PREFIX
//	                  ADAPTER=redis: the adapter's baseKeyPrefix, default ""
//	HOST              address to listen on, default 127.0.0.1
//	PORT              port to listen on, default 0 (any free port)
//	LISTEN_FD         listen on this inherited, already bound socket instead
//	                  of HOST and PORT
//	EXIT_WITH_STDIN   1: exit when stdin reaches its end (the parent went away)
//	AUTH_DEBUG        1: Auth.js's debug logs
//
// Reach it as http://localhost:PORT: trustHost is on, so the relying party
// id is the request's host name, and browsers refuse an IP address there.
//
// Routes:
//
//	/api/auth/*         Auth.js (providers, csrf, webauthn-options, callback, session, signout, ...)
//	GET /api/protected  200 with the session, 401 {"message":"Not authenticated"} without one
//	GET /api/records    the adapter's users, accounts and authenticators, for the
//	                    tests to compare with ginauth's records (memory only)
//
// When it listens it prints the bound port alone on the first line of stdout;
// everything else goes to stderr. SIGINT and SIGTERM stop it.

import { createServer } from "node:http";

import Passkey from "@auth/core/providers/passkey";
import { ExpressAuth, getSession } from "@auth/express";
import { UnstorageAdapter } from "@auth/unstorage-adapter";
import express from "express";
import { createStorage } from "unstorage";

console.log = console.info = console.debug = console.warn = console.error; // stdout is for the port

const env = process.env;

function fail(msg) {
  process.stderr.write(`authjs.mjs: ${msg}\n`);
  process.exit(2);
}

if (!env.AUTH_SECRET) fail("AUTH_SECRET is required");
const strategy = env.SESSION_STRATEGY ?? "database";
if (strategy !== "database" && strategy !== "jwt") fail(`SESSION_STRATEGY: want database or jwt, got ${strategy}`);

const kind = env.ADAPTER ?? "memory";
let storage;
let adapter;
if (kind === "memory") {
  storage = createStorage(); // unstorage's memory driver
  adapter = UnstorageAdapter(storage);
} else if (kind === "redis") {
  if (!env.REDIS_URL) fail("REDIS_URL is required with ADAPTER=redis");
  const { default: redisDriver } = await import("unstorage/drivers/redis");
  storage = createStorage({ driver: redisDriver({ url: env.REDIS_URL, base: "" }) });
  adapter = UnstorageAdapter(storage, { baseKeyPrefix: env.REDIS_BASE_KEY_PREFIX ?? "" });
} else {
  fail(`ADAPTER: want memory or redis, got ${kind}`);
}

let warnedExperimental = false;

/** @type {import("@auth/express").ExpressAuthConfig} */
const authConfig = {
  basePath: "/api/auth",
  trustHost: true,
  debug: env.AUTH_DEBUG === "1",
  adapter,
  session: { strategy },
  providers: [Passkey],
  experimental: { enableWebAuthn: true },
  // Auth.js warns on every request that WebAuthn is experimental: once is
  // enough.
  logger: {
    warn(code) {
      if (code === "experimental-webauthn" && warnedExperimental) return;
      warnedExperimental ||= code === "experimental-webauthn";
      console.warn(`[auth][warn] ${code}`);
    },
  },
};

const app = express();
app.disable("x-powered-by");
app.use("/api/auth/*", ExpressAuth(authConfig));
app.get("/api/protected", async (req, res, next) => {
  try {
    const session = await getSession(req, authConfig);
    if (!session) {
      res.status(401).json({ message: "Not authenticated" });
      return;
    }
    res.json(session);
  } catch (err) {
    next(err);
  }
});
app.get("/api/records", async (req, res, next) => {
  if (kind !== "memory") {
    res.status(404).json({ message: "Not found" });
    return;
  }
  try {
    const out = { users: [], accounts: [], authenticators: [] };
    for (const key of await storage.getKeys()) {
      if (key.includes("by-user-id")) continue; // indexes
      if (/^user:[0-9a-f-]{36}$/.test(key)) out.users.push(await storage.getItem(key));
      else if (key.startsWith("user:account:")) out.accounts.push(await storage.getItem(key));
      else if (key.startsWith("authenticator:")) out.authenticators.push(await storage.getItem(key));
    }
    res.json(out);
  } catch (err) {
    next(err);
  }
});
app.use((err, req, res, next) => {
  console.error(`${req.method} ${req.path}:`, err);
  if (res.headersSent) return next(err);
  res.status(500).json({ message: "Internal Server Error" });
});

const server = createServer(app);

async function shutdown() {
  server.close();
  server.closeAllConnections();
  try {
    await storage.dispose();
  } catch (err) {
    console.error("closing the store:", err.message);
  }
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
if (env.EXIT_WITH_STDIN === "1") {
  process.stdin.on("end", shutdown);
  process.stdin.on("error", shutdown);
  process.stdin.resume();
}

server.on("error", (err) => fail(`listen: ${err.message}`));
const where = env.LISTEN_FD
  ? { fd: Number(env.LISTEN_FD) }
  : { host: env.HOST || "127.0.0.1", port: Number(env.PORT ?? 0) };
server.listen(where, () => {
  process.stdout.write(`${server.address().port}\n`);
});
