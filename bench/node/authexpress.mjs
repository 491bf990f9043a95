// @auth/express serving GET /api/protected the way its documentation
// protects a route: getSession(req, config), 401 without a session.
// Environment: PORT, AUTH_SECRET, and DATABASE_URL for database sessions
// on @auth/pg-adapter (a pg pool of its default size, 10).
import http from "node:http";
import express from "express";
import pg from "pg";
import PostgresAdapter from "@auth/pg-adapter";
import { ExpressAuth, getSession } from "@auth/express";
import Credentials from "@auth/core/providers/credentials";
import GitHub from "@auth/core/providers/github";

const config = {
  secret: process.env.AUTH_SECRET,
  trustHost: true,
  providers: [Credentials({ credentials: { username: {}, password: {} }, authorize: () => null })],
  callbacks: {
    session({ session, token, user }) {
      session.user.id = user?.id ?? token?.sub;
      return session;
    },
  },
  logger: { error(e) { console.error(e); }, warn() {}, debug() {} },
};

if (process.env.DATABASE_URL) {
  config.adapter = PostgresAdapter(new pg.Pool({ connectionString: process.env.DATABASE_URL }));
  config.session = { strategy: "database" };
  // Auth.js refuses credentials with database sessions; an OAuth provider
  // (never called: the route only reads sessions) stands in for it.
  config.providers = [GitHub({ clientId: "bench", clientSecret: "bench" })];
}

const app = express();
app.set("trust proxy", true);
app.use("/api/auth/*", ExpressAuth(config));
app.get("/api/protected", async (req, res) => {
  const session = await getSession(req, config);
  if (!session?.user) {
    res.status(401).json({ status: "Not authorized" });
    return;
  }
  res.json({ status: "Authorized", user: session.user });
});
http.createServer(app).listen(Number(process.env.PORT), "127.0.0.1");
