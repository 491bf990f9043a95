// A real Auth.js application: @auth/express (that is, @auth/core) with one
// OpenID Connect provider and database sessions kept by @auth/pg-adapter on
// PostgreSQL or by @auth/unstorage-adapter over unstorage's Redis driver. The
// Go tests run a ginauth server on the same database beside it; the same
// application serves load benchmarks.
//
// Usage: node server.mjs, configured by the environment:
//
//	AUTH_SECRET            required; Auth.js's secret (AUTH_SECRET_1..3 rotate, as in Auth.js)
//	ADAPTER                required: pg or redis
//	DATABASE_URL           ADAPTER=pg: the PostgreSQL URL
//	PG_SCHEMA              ADAPTER=pg: the schema of the tables (put first in the
//	                       search_path); default: the server's search_path
//	PG_POOL_MAX            ADAPTER=pg: connections in the pool, default 10
//	REDIS_URL              ADAPTER=redis: the Redis URL
//	REDIS_BASE             ADAPTER=redis: the driver's base option, default ""
//	REDIS_BASE_KEY_PREFIX  ADAPTER=redis: the adapter's baseKeyPrefix, default ""
//	OIDC_ISSUER            required; the provider's issuer (discovery at
//	                       <issuer>/.well-known/openid-configuration)
//	OIDC_CLIENT_ID         required
//	OIDC_CLIENT_SECRET     required
//	OIDC_PROVIDER_ID       the provider's id in Auth.js's URLs, default "corp"
//	OIDC_PROVIDER_NAME     its display name, default "Corp SSO"
//	OIDC_CHECKS            comma-separated checks, default "pkce,state,nonce"
//	EMAIL_OUTBOX           a file: adds Auth.js's email provider (id "email", sending
//	                       through nodemailer), whose messages are appended to the
//	                       file as JSON lines {to, subject, url} instead of being
//	                       delivered
//	EMAIL_MAX_AGE          seconds a sign-in link works, default Auth.js's (a day)
//	PASSKEY                1: adds Auth.js's Passkey provider (id "passkey", with
//	                       experimental.enableWebAuthn); its relying party is the
//	                       request's host, so reach it as localhost, not 127.0.0.1.
//	                       Needs the Redis adapter (@auth/pg-adapter keeps no
//	                       authenticators)
//	SESSION_STRATEGY       database (default) or jwt
//	SESSION_MAX_AGE        seconds, default Auth.js's (30 days)
//	SESSION_UPDATE_AGE     seconds, default Auth.js's (a day)
//	HOST                   address to listen on, default 127.0.0.1
//	PORT                   port to listen on, default 0 (any free port)
//	LISTEN_FD              listen on this inherited, already bound socket instead
//	                       of HOST and PORT
//	EXIT_WITH_STDIN        1: exit when stdin reaches its end (the parent went away)
//	AUTH_DEBUG             1: Auth.js's debug logs
//
// trustHost is on: the origin of every URL Auth.js makes is the request's
// (Host header), so run it on loopback or behind a proxy that sets Host.
//
// Routes:
//
//	/api/auth/*         Auth.js (csrf, providers, session, signin, callback, signout, ...)
//	GET /api/protected  200 with the session as GET /api/auth/session gives it,
//	                    read with @auth/express's getSession; 401
//	                    {"message":"Not authenticated"} without one
//
// When it listens it prints the bound port alone on the first line of stdout;
// everything else (logs, errors) goes to stderr. SIGINT and SIGTERM close the
// server and the database connections.

import { createServer } from "node:http";

import { ExpressAuth, getSession } from "@auth/express";
import express from "express";

console.log = console.info = console.debug = console.warn = console.error; // stdout is for the port

const env = process.env;

function fail(msg) {
  process.stderr.write(`server.mjs: ${msg}\n`);
  process.exit(2);
}

function required(name) {
  const v = env[name];
  if (!v) fail(`${name} is required`);
  return v;
}

function seconds(name) {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`${name}: want a whole number of seconds, got ${v}`);
  return n;
}

required("AUTH_SECRET");

// openStore returns the Auth.js adapter of the configured kind and a function
// that closes its connections.
async function openStore(kind) {
  switch (kind) {
    case "pg": {
      const { default: pg } = await import("pg");
      const { default: PostgresAdapter } = await import("@auth/pg-adapter");
      const schema = env.PG_SCHEMA ?? "";
      if (schema && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) fail(`PG_SCHEMA: bad schema name ${schema}`);
      const max = Number(env.PG_POOL_MAX ?? 10);
      if (!Number.isInteger(max) || max < 1) fail(`PG_POOL_MAX: bad pool size ${env.PG_POOL_MAX}`);
      // The adapter's queries name the tables without a schema, as an
      // application's do: the search_path finds them.
      const pool = new pg.Pool({
        connectionString: required("DATABASE_URL"),
        max,
        ...(schema ? { options: `-c search_path=${schema}` } : {}),
      });
      pool.on("error", (err) => console.error("pg pool:", err.message));
      return { adapter: PostgresAdapter(pool), close: () => pool.end() };
    }
    case "redis": {
      const { createStorage } = await import("unstorage");
      const { default: redisDriver } = await import("unstorage/drivers/redis");
      const { UnstorageAdapter } = await import("@auth/unstorage-adapter");
      const storage = createStorage({
        driver: redisDriver({ url: required("REDIS_URL"), base: env.REDIS_BASE ?? "" }),
      });
      const adapter = UnstorageAdapter(storage, { baseKeyPrefix: env.REDIS_BASE_KEY_PREFIX ?? "" });
      return { adapter, close: () => storage.dispose() };
    }
    default:
      fail(`ADAPTER: want pg or redis, got ${kind ?? "nothing"}`);
  }
}

const store = await openStore(env.ADAPTER);

const strategy = env.SESSION_STRATEGY ?? "database";
if (strategy !== "database" && strategy !== "jwt") fail(`SESSION_STRATEGY: want database or jwt, got ${strategy}`);

const maxAge = seconds("SESSION_MAX_AGE");
const updateAge = seconds("SESSION_UPDATE_AGE");
const checks = (env.OIDC_CHECKS ?? "pkce,state,nonce").split(",").map((s) => s.trim()).filter(Boolean);

// outboxTransport is a nodemailer transport (an object with send) that
// appends each message to a file as a JSON line: the recipient, the subject
// and the link (the second line of Auth.js's text body).
async function outboxTransport(file) {
  const { appendFileSync } = await import("node:fs");
  return {
    name: "outbox",
    version: "1",
    send(mail, callback) {
      const { to, subject, text } = mail.data;
      const envelope = mail.message.getEnvelope();
      appendFileSync(file, JSON.stringify({ to: envelope.to, subject, url: text.split("\n")[1] }) + "\n");
      callback(null, { envelope, messageId: `<${Date.now()}@outbox>`, accepted: envelope.to, rejected: [], pending: [] });
    },
  };
}

const emailProviders = [];
if (env.EMAIL_OUTBOX) {
  const { default: Email } = await import("@auth/core/providers/email");
  const emailMaxAge = seconds("EMAIL_MAX_AGE");
  emailProviders.push(Email({
    server: await outboxTransport(env.EMAIL_OUTBOX),
    from: "Auth.js <no-reply@app.test>",
    ...(emailMaxAge ? { maxAge: emailMaxAge } : {}),
  }));
}

const passkeyProviders = [];
if (env.PASSKEY === "1") {
  const { default: Passkey } = await import("@auth/core/providers/passkey");
  passkeyProviders.push(Passkey({}));
}

/** @type {import("@auth/express").ExpressAuthConfig} */
const authConfig = {
  basePath: "/api/auth",
  trustHost: true,
  debug: env.AUTH_DEBUG === "1",
  adapter: store.adapter,
  session: { strategy, ...(maxAge ? { maxAge } : {}), ...(updateAge ? { updateAge } : {}) },
  providers: [
    {
      id: env.OIDC_PROVIDER_ID || "corp",
      name: env.OIDC_PROVIDER_NAME || "Corp SSO",
      type: "oidc",
      issuer: required("OIDC_ISSUER"),
      clientId: required("OIDC_CLIENT_ID"),
      clientSecret: required("OIDC_CLIENT_SECRET"),
      checks,
    },
    ...emailProviders,
    ...passkeyProviders,
  ],
  ...(passkeyProviders.length ? { experimental: { enableWebAuthn: true } } : {}),
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
// Errors are answered without details; the details go to stderr.
app.use((err, req, res, next) => {
  console.error(`${req.method} ${req.path}:`, err);
  if (res.headersSent) return next(err);
  res.status(500).json({ message: "Internal Server Error" });
});

const server = createServer(app);

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  server.close();
  server.closeAllConnections();
  try {
    await store.close();
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
