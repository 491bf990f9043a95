"use strict";
// Passkey sign-in on the built-in sign-in page: the one script the pages
// carry. It speaks @auth/core's passkey protocol as next-auth/webauthn's
// signIn does (with @simplewebauthn/browser 9 for the WebAuthn part):
//
//  1. GET <options URL>[?email=…] without an action: the server answers
//     {action, options}, "register" for an address it does not know and
//     "authenticate" otherwise, and sets the challenge cookie;
//  2. navigator.credentials.create or .get with those options;
//  3. GET <csrf URL> for a fresh CSRF token;
//  4. POST the form fields (email, action, data, csrfToken, callbackUrl) to
//     the callback with X-Auth-Return-Redirect: 1, and go to the URL of the
//     JSON answer (the callback URL, or the error page).
//
// It reads every URL from the form's attributes, so that its text never
// changes with the site and its hash in the Content-Security-Policy holds.
(function () {
  var forms = document.querySelectorAll("form[data-options-url]");
  if (forms.length === 0) {
    return;
  }
  if (typeof window.PublicKeyCredential !== "function" || !navigator.credentials) {
    return; // the sections stay hidden: this browser has no passkeys
  }

  function toBuffer(b64url) {
    var b64 = String(b64url).replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4 !== 0) {
      b64 += "=";
    }
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      bytes[i] = bin.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64URL(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptor(d) {
    return { id: toBuffer(d.id), type: d.type, transports: d.transports };
  }

  function attachment(a) {
    return a === "platform" || a === "cross-platform" ? a : undefined;
  }

  // A failure shown to the person signing in.
  function Failure(message) {
    this.message = message;
  }

  function describe(err) {
    if (err instanceof Failure) {
      return err.message;
    }
    switch (err && err.name) {
      case "NotAllowedError":
      case "AbortError":
        return "The passkey request was cancelled or timed out.";
      case "InvalidStateError":
        return "This device already holds a passkey for this account.";
      case "SecurityError":
        return "Passkeys cannot be used on this address.";
      case "NotSupportedError":
        return "No passkey of a supported kind is available on this device.";
      case "TypeError":
        return "The server could not be reached. Try again.";
    }
    return "Sign-in with a passkey failed. Try again.";
  }

  async function getJSON(url) {
    var res = await fetch(url, { credentials: "same-origin" });
    var body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    return { ok: res.ok, body: body };
  }

  // register: a new passkey (navigator.credentials.create), as
  // @simplewebauthn/browser's startRegistration sends it. The user ID is the
  // UTF-8 of the server's string, as that library encodes it.
  async function register(o) {
    var publicKey = Object.assign({}, o, {
      challenge: toBuffer(o.challenge),
      user: Object.assign({}, o.user, { id: new TextEncoder().encode(o.user.id) }),
      excludeCredentials: (o.excludeCredentials || []).map(descriptor)
    });
    var cred = await navigator.credentials.create({ publicKey: publicKey });
    if (!cred) {
      throw new Failure("The passkey was not created. Try again.");
    }
    var r = cred.response;
    var out = {
      attestationObject: toBase64URL(r.attestationObject),
      clientDataJSON: toBase64URL(r.clientDataJSON)
    };
    if (typeof r.getTransports === "function") {
      out.transports = r.getTransports();
    }
    if (typeof r.getPublicKeyAlgorithm === "function") {
      out.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
    }
    if (typeof r.getPublicKey === "function") {
      var pk = r.getPublicKey();
      if (pk) {
        out.publicKey = toBase64URL(pk);
      }
    }
    if (typeof r.getAuthenticatorData === "function") {
      out.authenticatorData = toBase64URL(r.getAuthenticatorData());
    }
    return {
      id: cred.id,
      rawId: toBase64URL(cred.rawId),
      response: out,
      type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults(),
      authenticatorAttachment: attachment(cred.authenticatorAttachment)
    };
  }

  // authenticate: an assertion (navigator.credentials.get), as
  // @simplewebauthn/browser's startAuthentication sends it; the user handle
  // goes back as the UTF-8 string it was registered from.
  async function authenticate(o) {
    var publicKey = Object.assign({}, o, { challenge: toBuffer(o.challenge) });
    if (o.allowCredentials && o.allowCredentials.length > 0) {
      publicKey.allowCredentials = o.allowCredentials.map(descriptor);
    } else {
      delete publicKey.allowCredentials;
    }
    var cred = await navigator.credentials.get({ publicKey: publicKey });
    if (!cred) {
      throw new Failure("No passkey was chosen. Try again.");
    }
    var r = cred.response;
    var out = {
      authenticatorData: toBase64URL(r.authenticatorData),
      clientDataJSON: toBase64URL(r.clientDataJSON),
      signature: toBase64URL(r.signature)
    };
    if (r.userHandle && r.userHandle.byteLength > 0) {
      out.userHandle = new TextDecoder("utf-8").decode(r.userHandle);
    }
    return {
      id: cred.id,
      rawId: toBase64URL(cred.rawId),
      response: out,
      type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults(),
      authenticatorAttachment: attachment(cred.authenticatorAttachment)
    };
  }

  // destination returns the callback answer's URL if it is a web address.
  function destination(body) {
    if (!body || typeof body.url !== "string") {
      return null;
    }
    var u;
    try {
      u = new URL(body.url, window.location.href);
    } catch (e) {
      return null;
    }
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  }

  async function signIn(form) {
    var emailInput = form.querySelector("input[name=email]");
    var email = emailInput ? emailInput.value.trim() : "";
    var params = new URLSearchParams();
    if (email) {
      params.set("email", email);
    }
    var optionsURL = form.getAttribute("data-options-url");
    var query = params.toString();
    var res = await getJSON(query ? optionsURL + "?" + query : optionsURL);
    if (!res.ok || !res.body || !res.body.options) {
      throw new Failure(email
        ? "A passkey sign-in could not start with this email address. Leave it empty to use a passkey you have."
        : "A passkey sign-in could not start. If you are signed in already, sign out first.");
    }
    var action = res.body.action;
    var data;
    if (action === "register") {
      data = await register(res.body.options);
    } else if (action === "authenticate") {
      data = await authenticate(res.body.options);
    } else {
      throw new Failure("The server answered with an unknown passkey action.");
    }
    var csrf = await getJSON(form.getAttribute("data-csrf-url"));
    if (!csrf.ok || !csrf.body || typeof csrf.body.csrfToken !== "string") {
      throw new Failure("The sign-in form expired. Reload the page and try again.");
    }
    var body = new URLSearchParams();
    if (email) {
      body.set("email", email);
    }
    body.set("action", action);
    body.set("data", JSON.stringify(data));
    body.set("csrfToken", csrf.body.csrfToken);
    body.set("callbackUrl", form.querySelector("input[name=callbackUrl]").value);
    var answer = await fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Auth-Return-Redirect": "1"
      },
      body: body
    });
    var next = null;
    try {
      next = destination(await answer.json());
    } catch (e) {
      next = null;
    }
    if (!next) {
      throw new Failure("Sign-in with a passkey failed. Try again.");
    }
    window.location.assign(next);
    if (next.indexOf("#") >= 0) {
      window.location.reload();
    }
  }

  Array.prototype.forEach.call(forms, function (form) {
    var section = form.closest("[data-webauthn-section]") || form;
    var button = form.querySelector("button[type=submit]");
    var errorBox = form.querySelector("[data-webauthn-error]");
    section.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) {
        return;
      }
      button.disabled = true;
      form.setAttribute("aria-busy", "true");
      errorBox.textContent = "";
      signIn(form).catch(function (err) {
        errorBox.textContent = describe(err);
        button.disabled = false;
        form.removeAttribute("aria-busy");
      });
    });
  });
})();
