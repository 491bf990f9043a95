// Package pages renders the built-in sign-in, sign-out, error and
// verify-request pages: server-side HTML with html/template, styled by one
// embedded stylesheet, working without JavaScript but for passkey sign-in,
// which one small script of this package drives.
package pages

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"regexp"
)

//go:embed templates/*.html
var files embed.FS

var tmpl = template.Must(template.ParseFS(files, "templates/*.html"))

// passkeyScript is the script of a sign-in page that offers a passkey
// (WebAuthn) provider, the only script a built-in page carries. It is
// inlined and allowed by its hash: the page needs no second request, the
// script is allowed under whatever path the handler is mounted at, and the
// hash pins the exact bytes the library ships, so nothing else on the page
// (an injected tag or attribute) can run. The script holds no data of the
// site or the request (it reads its URLs from the form), so its hash is
// computed once.
//
//go:embed passkey.js
var passkeyScript string

// passkeyScriptHash is the CSP hash source of passkeyScript.
var passkeyScriptHash = func() string {
	sum := sha256.Sum256([]byte(passkeyScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// cspBase is the pages' Content-Security-Policy: no script, no
// connection, nothing loaded but images, no framing.
const cspBase = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'"

// cspPasskey is the policy of a sign-in page that offers a passkey: that
// of the other pages, plus passkeyScript (by its hash, nothing else) and
// its fetches to the page's own origin.
var cspPasskey = cspBase + "; script-src " + passkeyScriptHash + "; connect-src 'self'"

// Brand customises the pages' look.
type Brand struct {
	// Name is shown in the page title and heading; default "Sign in".
	Name string
	// LogoURL is an image shown above the card.
	LogoURL string
	// Color is the accent colour of buttons and links, as #rgb or #rrggbb.
	Color string
}

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// ValidColor reports whether c is a colour the pages accept.
func ValidColor(c string) bool { return hexColor.MatchString(c) }

// Field is one input of a credentials form.
type Field struct {
	Name, Label, Type, Placeholder string
}

// TypeWebAuthn is the Type of a passkey provider, whose sign-in form the
// page's script drives.
const TypeWebAuthn = "webauthn"

// Provider is one sign-in method shown on the sign-in page.
type Provider struct {
	ID, Name, Type string
	SigninURL      string
	CallbackURL    string
	// OptionsURL is where a passkey provider's ceremony options are
	// fetched (<base>/webauthn-options/<id>).
	OptionsURL string
	Fields     []Field
}

// SignIn is the data of the sign-in page.
type SignIn struct {
	CSRFToken   string
	CallbackURL string
	Providers   []Provider
	// Error is the message shown above the providers, if any.
	Error string
	// Email prefills email forms.
	Email string
	// Hint is an optional note shown under the heading (e.g. demo accounts).
	Hint string
	// CSRFURL is the CSRF endpoint (<base>/csrf) the passkey script asks
	// for a token before it posts to the callback.
	CSRFURL string
}

// HasPasskey reports whether the page offers a passkey provider, and so
// carries the passkey script.
func (s SignIn) HasPasskey() bool {
	for _, p := range s.Providers {
		if p.Type == TypeWebAuthn {
			return true
		}
	}
	return false
}

// SignOut is the data of the sign-out confirmation page.
type SignOut struct {
	CSRFToken   string
	CallbackURL string
	Action      string
	Error       string
}

// Error is the data of the error page.
type Error struct {
	Status    int
	Title     string
	Message   string
	SignInURL string
	HomeURL   string
}

// VerifyRequest is the data of the "check your email" page.
type VerifyRequest struct {
	// SignInURL leads back to the sign-in page, to ask again or with
	// another address.
	SignInURL string
	HomeURL   string
}

type page struct {
	Title string
	Brand Brand
	Body  any
	Kind  string
	// Script is the page's script (passkeyScript), or empty.
	Script template.JS
}

// SetHeaders sets the headers every page is sent with: a Content-Security-Policy
// without scripts or framing, X-Frame-Options, nosniff, no referrer, no caching.
func SetHeaders(h http.Header) {
	h.Set("Content-Security-Policy", cspBase)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "private, no-cache, no-store")
}

// SetPageHeaders sets the headers of the page Render wrote with data:
// those of SetHeaders, and for a sign-in page that offers a passkey a
// Content-Security-Policy that also runs the passkey script (by its hash,
// nothing else) and lets it fetch from the page's origin.
func SetPageHeaders(h http.Header, data any) {
	SetHeaders(h)
	if s, ok := data.(SignIn); ok && s.HasPasskey() {
		h.Set("Content-Security-Policy", cspPasskey)
	}
}

// Render writes the page named kind ("signin", "signout", "error",
// "verify-request") with data.
func Render(w io.Writer, kind, title string, brand Brand, data any) error {
	if brand.Name == "" {
		brand.Name = "Sign in"
	}
	if !ValidColor(brand.Color) {
		brand.Color = "#346df1"
	}
	p := page{Title: title, Brand: brand, Body: data, Kind: kind}
	if s, ok := data.(SignIn); ok && kind == "signin" && s.HasPasskey() {
		// A constant of the library, never data of a request.
		p.Script = template.JS(passkeyScript)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "layout", p); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}
