// Runs @auth/unstorage-adapter over unstorage's Redis driver (ioredis) for
// the Go tests of adapters/redis, which share the Redis server with it.
// Reads one JSON object on stdin:
//
//   {url, base, options, ops: [{op, args}]}
//
// url is the Redis URL, base the driver's base option, options the
// adapter's options (baseKeyPrefix, ...), and each op names an adapter
// method called with args. Prints a JSON array with one result per op:
// {value} (null when the method returned nothing) or {error}. Dates travel as {"$date": ISO}
// both ways, so the Go side can tell a Date from a string.

import { createStorage } from "unstorage";
import redisDriver from "unstorage/drivers/redis";
import { UnstorageAdapter } from "@auth/unstorage-adapter";

console.log = console.info = console.debug = console.error; // stdout is for the results

function revive(v) {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object") {
    if (typeof v.$date === "string" && Object.keys(v).length === 1) return new Date(v.$date);
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, revive(e)]));
  }
  return v;
}

function replacer(key, value) {
  const raw = this[key];
  if (raw instanceof Date) return { $date: isNaN(raw) ? "Invalid Date" : raw.toISOString() };
  return value;
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);
const storage = createStorage({ driver: redisDriver({ url: req.url, base: req.base }) });
const adapter = UnstorageAdapter(storage, req.options ?? {});
const out = [];
try {
  for (const { op, args = [] } of req.ops) {
    if (typeof adapter[op] !== "function") throw new Error(`unknown op ${op}`);
    try {
      const value = await adapter[op](...revive(args));
      out.push({ value: value ?? null });
    } catch (err) {
      out.push({ error: String(err?.message ?? err) });
    }
  }
} finally {
  await storage.dispose();
}
process.stdout.write(JSON.stringify(out, replacer));
