// @auth/express serving GET /api/protected the way its documentation
// protects a route: getSession(req, config), 401 without a session.
// Environment: PORT, AUTH_SECRET.
import http from "node:http";
import express from "express";
import { ExpressAuth, getSession } from "@auth/express";
import Credentials from "@auth/core/providers/credentials";

const config = {
  secret: process.env.AUTH_SECRET,
  trustHost: true,
  providers: [Credentials({ credentials: { username: {}, password: {} }, authorize: () => null })],
  callbacks: {
    session({ session, token }) {
      session.user.id = token.sub;
      return session;
    },
  },
  logger: { error() {}, warn() {}, debug() {} },
};

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
