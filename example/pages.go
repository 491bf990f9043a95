package main

import (
	"html/template"

	"github.com/gin-gonic/gin"
)

// pagePolicy is the Content-Security-Policy of the example's own pages:
// nothing but their inline style and images, no framing, forms posted to
// the origin only.
const pagePolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// featurePolicy turns off the powerful browser features no page of the
// example uses. Passkeys (publickey-credentials-get and -create) keep
// their default, the page's own origin.
const featurePolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"

// securityHeaders keeps the example's pages out of frames and other
// sites' referrers, allows them nothing but their inline style, and turns
// off browser features they do not use. (The built-in sign-in pages set
// their own Content-Security-Policy.)
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Content-Security-Policy", pagePolicy)
	h.Set("Permissions-Policy", featurePolicy)
	c.Next()
}

// brandColor is the accent of the example's pages, the colour its
// ginauth.Brand gives the built-in sign-in pages, so that links and
// buttons look the same on both.
const brandColor = "#0f766e"

const layout = `{{define "top"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ginauth example</title>
<style>
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1f2328;overflow-wrap:anywhere}
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
a{color:` + brandColor + `}
pre{background:#f4f5f7;padding:1rem;border-radius:.375rem;overflow:auto}
button{font:inherit;padding:.375rem .875rem;border:0;border-radius:.375rem;background:` + brandColor + `;color:#fff;cursor:pointer}
</style></head><body>
<nav><a href="/">Home</a><a href="/account">Account</a><a href="/admin">Admin</a><a href="/api/hello">/api/hello</a><a href="/api/protected">/api/protected</a></nav>
{{end}}
{{define "bottom"}}</body></html>{{end}}`

var homePage = template.Must(template.Must(template.New("home").Parse(layout)).Parse(`{{template "top"}}
<h1>ginauth example</h1>
{{if .SignedIn}}
{{if .Session.User.Name}}<p>Signed in as <strong>{{.Session.User.Name}}</strong> ({{.Session.User.Email}}).</p>
{{else}}<p>Signed in as <strong>{{.Session.User.Email}}</strong>.</p>{{end}}
<p><a href="{{.Base}}/signout?callbackUrl=%2F">Sign out</a></p>
{{else}}
<p>You are not signed in.</p>
<p><a href="{{.Base}}/signin">Sign in</a></p>
{{end}}
{{template "bottom"}}`))

var accountPage = template.Must(template.Must(template.New("account").Parse(layout)).Parse(`{{template "top"}}
<h1>Your account</h1>
<p>Welcome, <strong id="user-name">{{if .Session.User.Name}}{{.Session.User.Name}}{{else}}{{.Session.User.Email}}{{end}}</strong>.</p>
<p>Email: {{.Session.User.Email}}</p>
<p>Session expires {{.Session.Expires.Format "2006-01-02 15:04 MST"}}.</p>
<h2>Passkeys</h2>
{{if .PasskeysFailed}}<p>Your passkeys could not be listed right now.</p>
{{else if .Passkeys}}<ul id="passkeys">{{range .Passkeys}}
<li>{{if .Synced}}Synced passkey{{else}}Device-bound passkey{{end}}{{with .Transports}} ({{range $i, $t := .}}{{if $i}}, {{end}}{{$t}}{{end}}){{end}}</li>{{end}}
</ul>
{{else}}<p>No passkeys yet.</p>
{{end}}
<p><a href="{{.Base}}/signout?callbackUrl=%2F">Sign out</a></p>
{{template "bottom"}}`))

var adminPage = template.Must(template.Must(template.New("admin").Parse(layout)).Parse(`{{template "top"}}
<h1>Admin</h1>
<p>Only users with the admin role see this page. Hello, <strong>{{.Session.User.Name}}</strong>.</p>
{{template "bottom"}}`))
