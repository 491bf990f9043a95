package main

import "html/template"

const layout = `{{define "top"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ginauth example</title>
<style>
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1f2328;overflow-wrap:anywhere}
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
a{color:#0f766e}
pre{background:#f4f5f7;padding:1rem;border-radius:.375rem;overflow:auto}
button{font:inherit;padding:.375rem .875rem;border:0;border-radius:.375rem;background:#0f766e;color:#fff;cursor:pointer}
</style></head><body>
<nav><a href="/">Home</a><a href="/account">Account</a><a href="/admin">Admin</a><a href="/api/hello">/api/hello</a><a href="/api/protected">/api/protected</a></nav>
{{end}}
{{define "bottom"}}</body></html>{{end}}`

var homePage = template.Must(template.Must(template.New("home").Parse(layout)).Parse(`{{template "top"}}
<h1>ginauth example</h1>
{{if .SignedIn}}
<p>Signed in as <strong>{{.Session.User.Name}}</strong> ({{.Session.User.Email}}).</p>
<p><a href="{{.Base}}/signout?callbackUrl=%2F">Sign out</a></p>
{{else}}
<p>You are not signed in.</p>
<p><a href="{{.Base}}/signin">Sign in</a></p>
{{end}}
{{template "bottom"}}`))

var accountPage = template.Must(template.Must(template.New("account").Parse(layout)).Parse(`{{template "top"}}
<h1>Your account</h1>
<p>Welcome, <strong id="user-name">{{.Session.User.Name}}</strong>.</p>
<p>Email: {{.Session.User.Email}}</p>
<p>Session expires {{.Session.Expires.Format "2006-01-02 15:04 MST"}}.</p>
<p><a href="{{.Base}}/signout?callbackUrl=%2F">Sign out</a></p>
{{template "bottom"}}`))

var adminPage = template.Must(template.Must(template.New("admin").Parse(layout)).Parse(`{{template "top"}}
<h1>Admin</h1>
<p>Only users with the admin role see this page. Hello, <strong>{{.Session.User.Name}}</strong>.</p>
{{template "bottom"}}`))
