// NextAuth.js v4's decode-only protection on node:http: getToken from
// next-auth/jwt reads the session cookie and decrypts it; 401 without a
// valid token. Environment: PORT, AUTH_SECRET.
import http from "node:http";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { getToken } = require("next-auth/jwt");
const secret = process.env.AUTH_SECRET;
const quiet = { error() {}, warn() {}, debug() {} };

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

http.createServer(async (req, res) => {
  if (req.url !== "/api/protected") {
    res.statusCode = 404;
    res.end();
    return;
  }
  const token = await getToken({ req: { headers: req.headers, cookies: parseCookies(req.headers.cookie ?? "") }, secret, logger: quiet });
  res.setHeader("Content-Type", "application/json");
  if (!token) {
    res.statusCode = 401;
    res.end(JSON.stringify({ status: "Not authorized" }));
    return;
  }
  res.end(JSON.stringify({ status: "Authorized", user: { name: token.name, email: token.email, image: token.picture, id: token.sub } }));
}).listen(Number(process.env.PORT), "127.0.0.1");
