// Package pages renders the built-in sign-in, sign-out, error and
// verify-request pages: server-side HTML with html/template, working without
// JavaScript, styled by one embedded stylesheet.
package pages

import (
	"bytes"
	"embed"
	"html/template"
	"io"
	"net/http"
	"regexp"
)

//go:embed templates/*.html
var files embed.FS

var tmpl = template.Must(template.ParseFS(files, "templates/*.html"))

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

// Provider is one sign-in method shown on the sign-in page.
type Provider struct {
	ID, Name, Type string
	SigninURL      string
	CallbackURL    string
	Fields         []Field
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
	HomeURL string
}

type page struct {
	Title string
	Brand Brand
	Body  any
	Kind  string
}

// SetHeaders sets the headers every page is sent with: a Content-Security-Policy
// without scripts or framing, X-Frame-Options, nosniff, no referrer, no caching.
func SetHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "private, no-cache, no-store")
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
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "layout", page{Title: title, Brand: brand, Body: data, Kind: kind}); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}
