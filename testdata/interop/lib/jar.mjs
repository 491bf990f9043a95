// A minimal cookie jar for one origin, enough for the Auth.js cookies.

/** storeCookies applies a response's Set-Cookie headers to the jar. */
export function storeCookies(jar, headers) {
  for (const line of headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let expired = value === "";
    for (const a of attrs) {
      const [k, v = ""] = a.trim().split("=");
      if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
      if (k.toLowerCase() === "expires" && Date.parse(v) < Date.now()) expired = true;
    }
    if (expired) jar.delete(name);
    else jar.set(name, value);
  }
}

/** cookieHeader renders the jar as a Cookie request header. */
export function cookieHeader(jar) {
  return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}
