package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/ginauth/ginauth"
)

// passkeySetup says whether the example offers passkey sign-in, and why
// not when it does not.
type passkeySetup struct {
	On bool
	// RPID is the relying party id passkeys are made for: AUTH_URL's
	// hostname.
	RPID string
	// Origin is the origin allowed to use them: AUTH_URL's origin.
	Origin string
	// Off says why passkeys are off.
	Off string
}

// passkeysFor decides whether passkeys can work for the dialect on the
// public URL. Browsers offer WebAuthn only in a secure context (https, or
// http on localhost), and a relying party id is a domain name, never an IP
// address; NextAuth.js v4 has no passkey provider.
func passkeysFor(mode ginauth.Mode, appURL string) passkeySetup {
	if mode == ginauth.ModeV4 {
		return passkeySetup{Off: "the NextAuth.js v4 dialect (AUTH_MODE=v4) has no passkeys"}
	}
	u, err := url.Parse(appURL)
	if err != nil || u.Hostname() == "" {
		return passkeySetup{Off: fmt.Sprintf("AUTH_URL %q has no host", appURL)}
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return passkeySetup{Off: "AUTH_URL's host is an IP address, which cannot be a passkey relying party id; use http://localhost:PORT or a domain name"}
	}
	local := host == "localhost" || strings.HasSuffix(host, ".localhost")
	if u.Scheme != "https" && !(u.Scheme == "http" && local) {
		return passkeySetup{Off: "browsers offer passkeys only on https origins and on http://localhost; AUTH_URL is neither"}
	}
	return passkeySetup{On: true, RPID: host, Origin: u.Scheme + "://" + strings.ToLower(u.Host)}
}

// logPasskeys says at start whether passkeys are offered, and for which
// relying party.
func logPasskeys(logger *slog.Logger, p passkeySetup) {
	if p.On {
		logger.Info("passkey sign-in: passkeys are made for the relying party id and only work there; they are kept in the store",
			"rp_id", p.RPID, "origin", p.Origin)
		return
	}
	logger.Info("passkey sign-in is off: " + p.Off)
}
