// Runs the real @auth/pg-adapter against the PostgreSQL database of the Go
// tests (adapters/postgres/interop_test.go), so that they can check that
// ginauth's store and the adapter read each other's records. Reads one JSON
// object on stdin:
//
//   {"schema": "<schema of the tables>", "ops": [{"op": "<adapter method>", "args": [...]}, ...]}
//
// and prints a JSON array with one result per operation:
//
//   {"result": <what the method returned, null for undefined>} or {"error": "<message>"}
//
// The method is called with args as given, except that the strings in the
// fields emailVerified and expires become Dates, as Auth.js passes them,
// and that a string "$N.field" stands for that field of the result of
// operation N (such as the id createUser returned, a JavaScript number).
// Dates in results are ISO strings (JSON.stringify). {"op": "sql", "args":
// [text, params]} runs a query on the adapter's pool and returns its rows,
// to show what the columns hold. The database is GINAUTH_TEST_POSTGRES_URL.

import pg from "pg";
import PostgresAdapter from "@auth/pg-adapter";

console.log = console.info = console.debug = console.error; // stdout is for the results

const url = process.env.GINAUTH_TEST_POSTGRES_URL;
if (!url) throw new Error("GINAUTH_TEST_POSTGRES_URL is not set");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { schema, ops } = JSON.parse(input);
if (!/^[a-z_][a-z0-9_]*$/.test(schema ?? "")) throw new Error(`bad schema name ${schema}`);

// The adapter's queries name the tables without a schema, as an
// application's would: the search_path points them at the test's schema.
const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 2 });
const adapter = PostgresAdapter(pool);

// dates turns the ISO strings of the fields Auth.js passes as Dates into
// Dates, in objects and at the top level.
function dates(v) {
  if (v === null || typeof v !== "object") return v;
  const out = Array.isArray(v) ? [] : {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = (k === "emailVerified" || k === "expires") && typeof x === "string" ? new Date(x) : dates(x);
  }
  return out;
}

const out = [];

// refs replaces the strings "$N.field" with the field of result N.
function refs(v) {
  if (typeof v === "string") {
    const m = /^\$(\d+)\.(\w+)$/.exec(v);
    if (!m) return v;
    const r = out[Number(m[1])];
    if (!r || r.error || r.result == null) throw new Error(`${v}: operation ${m[1]} has no result`);
    return r.result[m[2]];
  }
  if (v === null || typeof v !== "object") return v;
  const o = Array.isArray(v) ? [] : {};
  for (const [k, x] of Object.entries(v)) o[k] = refs(x);
  return o;
}

async function run({ op, args = [] }) {
  try {
    args = refs(args);
    if (op === "sql") {
      const res = await pool.query(args[0], args[1] ?? []);
      return { result: res.rows };
    }
    if (typeof adapter[op] !== "function") throw new Error(`@auth/pg-adapter has no method ${op}`);
    const result = await adapter[op](...args.map(dates));
    return { result: result ?? null };
  } catch (err) {
    return { error: String(err?.message ?? err) };
  }
}

try {
  for (const op of ops) out.push(await run(op));
} finally {
  await pool.end();
}
process.stdout.write(JSON.stringify(out) + "\n");
