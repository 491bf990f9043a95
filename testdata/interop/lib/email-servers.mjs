// The JavaScript servers with email sign-in that ginauth is compared with:
// the email provider of each version (Auth.js's Nodemailer-based "email",
// next-auth v4's EmailProvider), sending through a nodemailer transport that
// keeps the messages instead of delivering them, users and tokens in memory,
// database sessions (the default with an adapter), served under /api/auth on
// 127.0.0.1.

import http from "node:http";
import { createRequire } from "node:module";
import express from "express";
import { ExpressAuth } from "@auth/express";
import Email from "@auth/core/providers/email";
import { listen, v4Handler } from "./servers.mjs";

const require = createRequire(import.meta.url);

export const mailFrom = "Acme <no-reply@app.test>";

/**
 * outbox is a nodemailer transport (the custom transport interface: an
 * object with send) that keeps each message's envelope and fields.
 */
export function outbox() {
  const messages = [];
  return {
    messages,
    transport: {
      name: "outbox",
      version: "1",
      send(mail, callback) {
        const { to, from, subject, text, html } = mail.data;
        messages.push({ envelope: mail.message.getEnvelope(), to, from, subject, text, html });
        callback(null, { envelope: mail.message.getEnvelope(), messageId: `<${messages.length}@outbox>`, accepted: [to], rejected: [], pending: [] });
      },
    },
  };
}

/**
 * memoryAdapter keeps users, accounts, sessions and verification tokens
 * in maps: the adapter methods of Auth.js v5 and next-auth v4 (the same
 * names and shapes for what email sign-in and database sessions use).
 */
export function memoryAdapter() {
  const users = new Map();
  const accounts = new Map();
  const sessions = new Map();
  const tokens = new Map();
  const copy = (v) => (v ? { ...v } : null);
  return {
    async createUser(user) {
      const u = { ...user, id: crypto.randomUUID() };
      users.set(u.id, u);
      return copy(u);
    },
    async getUser(id) { return copy(users.get(id)); },
    async getUserByEmail(email) {
      for (const u of users.values()) if (u.email === email) return copy(u);
      return null;
    },
    async getUserByAccount({ provider, providerAccountId }) {
      const a = accounts.get(`${provider}:${providerAccountId}`);
      return a ? copy(users.get(a.userId)) : null;
    },
    async updateUser(user) {
      const u = { ...users.get(user.id), ...user };
      users.set(u.id, u);
      return copy(u);
    },
    async linkAccount(account) {
      accounts.set(`${account.provider}:${account.providerAccountId}`, { ...account });
      return account;
    },
    async createSession(session) {
      sessions.set(session.sessionToken, { ...session });
      return { ...session };
    },
    async getSessionAndUser(sessionToken) {
      const s = sessions.get(sessionToken);
      if (!s) return null;
      const u = users.get(s.userId);
      return u ? { session: { ...s }, user: { ...u } } : null;
    },
    async updateSession(session) {
      const s = { ...sessions.get(session.sessionToken), ...session };
      sessions.set(s.sessionToken, s);
      return { ...s };
    },
    async deleteSession(sessionToken) {
      const s = sessions.get(sessionToken);
      sessions.delete(sessionToken);
      return s ?? null;
    },
    async createVerificationToken(vt) {
      tokens.set(`${vt.identifier}\n${vt.token}`, { ...vt });
      return vt;
    },
    async useVerificationToken({ identifier, token }) {
      const key = `${identifier}\n${token}`;
      const vt = tokens.get(key);
      if (!vt) return null;
      tokens.delete(key);
      return vt;
    },
  };
}

const quiet = { error() {}, warn() {}, debug() {} };

/** startV5Email serves @auth/express with Auth.js's email provider. */
export async function startV5Email({ secret }) {
  const box = outbox();
  const app = express();
  app.set("trust proxy", true);
  app.use("/api/auth/*", ExpressAuth({
    secret,
    trustHost: true,
    adapter: memoryAdapter(),
    providers: [Email({ server: box.transport, from: mailFrom })],
    logger: quiet,
  }));
  const server = http.createServer(app);
  const origin = await listen(server);
  return { origin, messages: box.messages, close: () => server.close() };
}

/** startV4Email serves next-auth v4 with its EmailProvider. */
export async function startV4Email({ secret }) {
  const box = outbox();
  const NextAuth = require("next-auth4/next").default;
  const EmailProvider = require("next-auth4/providers/email").default;
  const handler = NextAuth({
    secret,
    adapter: memoryAdapter(),
    providers: [EmailProvider({ server: box.transport, from: mailFrom })],
    logger: quiet,
  });
  const server = http.createServer(v4Handler(handler));
  const origin = await listen(server);
  process.env.NEXTAUTH_URL = origin; // next-auth v4 takes its origin from here
  return { origin, messages: box.messages, close: () => server.close() };
}
