// Runs the sign-in page's passkey script (its path is argv[2]) in a Node
// VM against a minimal page, fetch and WebAuthn API, for one scenario
// (argv[3], JSON), and prints what the script did as JSON: the requests,
// the options it gave navigator.credentials, the page's state and where it
// navigated. The Go tests in pages_test.go read it.
"use strict";
const fs = require("fs");
const vm = require("vm");

const script = fs.readFileSync(process.argv[2], "utf8");
const scenario = JSON.parse(process.argv[3]);

const hex = (buf) => Buffer.from(new Uint8Array(buf)).toString("hex");
const bytes = (s) => new Uint8Array(Buffer.from(s, "utf8")).buffer;
const b64url = (s) => Buffer.from(s, "utf8").toString("base64url");

const out = { requests: [], navigated: null, reloaded: false, sectionHidden: true, error: "", listening: false };

const section = { hidden: true };
const button = { disabled: false };
const errorBox = { textContent: "" };
const inputs = {
  "input[name=email]": { value: scenario.email || "" },
  "input[name=callbackUrl]": { value: "http://localhost:3000/dashboard" },
  "button[type=submit]": button,
  "[data-webauthn-error]": errorBox,
};
const attrs = {
  action: "http://localhost:3000/api/auth/callback/passkey",
  "data-options-url": "http://localhost:3000/api/auth/webauthn-options/passkey",
  "data-csrf-url": "http://localhost:3000/api/auth/csrf",
};
let submit = null;
const form = {
  // A form's action property is shadowed by a control named "action";
  // the script must read the attribute.
  action: { shadowed: true },
  getAttribute: (n) => attrs[n],
  setAttribute: () => {},
  removeAttribute: () => {},
  querySelector: (q) => inputs[q] || null,
  closest: (q) => (q === "[data-webauthn-section]" ? section : null),
  addEventListener: (type, f) => {
    if (type === "submit") {
      submit = f;
      out.listening = true;
    }
  },
};

function response(status, body) {
  return {
    ok: status >= 200 && status < 300,
    status,
    json: async () => {
      if (typeof body === "string") throw new SyntaxError("not JSON");
      return body;
    },
  };
}

async function fakeFetch(url, init) {
  init = init || {};
  const req = { url: String(url), method: init.method || "GET", credentials: init.credentials || "" };
  if (init.headers) req.headers = init.headers;
  if (init.body) req.body = Array.from(new URLSearchParams(init.body.toString()).entries());
  out.requests.push(req);
  if (scenario.networkError === req.url.split("?")[0]) throw new TypeError("Failed to fetch");
  if (req.url.startsWith(attrs["data-options-url"])) {
    if (scenario.optionsStatus) return response(scenario.optionsStatus, { error: "Invalid request" });
    return response(200, { action: scenario.action, options: scenario.options });
  }
  if (req.url === attrs["data-csrf-url"]) return response(200, { csrfToken: "f".repeat(64) });
  if (req.url === attrs.action) return response(200, scenario.callbackAnswer);
  return response(404, "not found");
}

function credential(kind) {
  const c = {
    id: b64url("credential-1"),
    rawId: bytes("credential-1"),
    type: "public-key",
    authenticatorAttachment: scenario.attachment === undefined ? "platform" : scenario.attachment,
    getClientExtensionResults: () => (kind === "create" ? { credProps: { rk: true } } : {}),
  };
  if (kind === "create") {
    c.response = {
      attestationObject: bytes("attestation"),
      clientDataJSON: bytes("client-data"),
      getTransports: () => ["internal", "hybrid"],
      getPublicKeyAlgorithm: () => -8,
      getPublicKey: () => bytes("public-key"),
      getAuthenticatorData: () => bytes("authenticator-data"),
    };
  } else {
    c.response = {
      authenticatorData: bytes("authenticator-data"),
      clientDataJSON: bytes("client-data"),
      signature: bytes("signature"),
      userHandle: scenario.userHandle === null ? null : bytes(scenario.userHandle || "ab".repeat(32)),
    };
  }
  return c;
}

// describePublicKey reports the options with every buffer as hex.
function describePublicKey(pk) {
  const d = {};
  for (const [k, v] of Object.entries(pk)) {
    if (v === undefined) continue;
    d[k] = v;
  }
  d.challenge = hex(pk.challenge);
  if (pk.user) d.user = Object.assign({}, pk.user, { id: hex(pk.user.id) });
  for (const list of ["excludeCredentials", "allowCredentials"]) {
    if (pk[list]) d[list] = pk[list].map((c) => Object.assign({}, c, { id: hex(c.id) }));
  }
  return d;
}

const credentials = {
  create: async (o) => {
    out.create = describePublicKey(o.publicKey);
    if (scenario.ceremonyError) throw Object.assign(new Error("refused"), { name: scenario.ceremonyError });
    return credential("create");
  },
  get: async (o) => {
    out.get = describePublicKey(o.publicKey);
    if (scenario.ceremonyError) throw Object.assign(new Error("refused"), { name: scenario.ceremonyError });
    return credential("get");
  },
};

const location = {
  href: "http://localhost:3000/api/auth/signin",
  assign: (u) => {
    out.navigated = u;
  },
  reload: () => {
    out.reloaded = true;
  },
};
const window = { location };
if (!scenario.noWebAuthn) window.PublicKeyCredential = function PublicKeyCredential() {};

const context = vm.createContext({
  window,
  document: { querySelectorAll: (q) => (q === "form[data-options-url]" ? [form] : []) },
  navigator: { credentials },
  fetch: fakeFetch,
  URL,
  URLSearchParams,
  TextEncoder,
  TextDecoder,
  atob,
  btoa,
});

(async () => {
  vm.runInContext(script, context, { filename: "passkey.js" });
  out.sectionHidden = section.hidden;
  if (submit) {
    let prevented = false;
    submit({ preventDefault: () => (prevented = true) });
    // A second press while the first runs does nothing.
    submit({ preventDefault: () => {} });
    for (let i = 0; i < 50 && out.navigated === null && errorBox.textContent === ""; i++) {
      await new Promise((r) => setTimeout(r, 0));
    }
    out.prevented = prevented;
  }
  out.error = errorBox.textContent;
  out.buttonDisabled = button.disabled;
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
