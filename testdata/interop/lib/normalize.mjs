// Placeholders for what differs between servers and runs: the origin,
// CSRF tokens and timestamps.

/** normalize replaces what differs between servers or runs by placeholders. */
export function normalize(v, origin) {
  if (typeof v === "string") {
    return v
      .replaceAll(origin, "{origin}")
      .replaceAll(encodeURIComponent(origin), "{origin}")
      .replace(/\b[0-9a-f]{64}\b/g, "{csrf}")
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "{date}");
  }
  if (Array.isArray(v)) return v.map((x) => normalize(x, origin));
  if (v && typeof v === "object") {
    if (v instanceof Error) return { error: normalize(v.message, origin) };
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x, origin)]));
  }
  return v === undefined ? "{undefined}" : v;
}
