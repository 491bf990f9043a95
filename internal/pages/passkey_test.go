package pages_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ginauth/ginauth/internal/pages"
)

// passkeyPage is a sign-in page that offers a password, a passkey and an
// OAuth provider.
func passkeyPage() pages.SignIn {
	return pages.SignIn{
		CSRFToken: "0123", CallbackURL: "https://app.example/dashboard", CSRFURL: "https://app.example/api/auth/csrf",
		Providers: []pages.Provider{
			{ID: "pw", Name: "Password", Type: "credentials", CallbackURL: "https://app.example/api/auth/callback/pw",
				Fields: []pages.Field{{Name: "username", Label: "Username", Type: "text"}}},
			{ID: "passkey", Name: "Passkey", Type: pages.TypeWebAuthn,
				SigninURL: "https://app.example/api/auth/signin/passkey", CallbackURL: "https://app.example/api/auth/callback/passkey",
				OptionsURL: "https://app.example/api/auth/webauthn-options/passkey"},
			{ID: "corp", Name: "Corp", Type: "oidc", SigninURL: "https://app.example/api/auth/signin/corp"},
		},
	}
}

var scriptRE = regexp.MustCompile(`(?s)<script\b([^>]*)>(.*?)</script>`)

// scripts returns the attributes and text of the page's script elements.
func scripts(page string) (attrs, texts []string) {
	for _, m := range scriptRE.FindAllStringSubmatch(page, -1) {
		attrs = append(attrs, m[1])
		texts = append(texts, m[2])
	}
	return attrs, texts
}

// directives parses a Content-Security-Policy into its directives.
func directives(t *testing.T, csp string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for d := range strings.SplitSeq(csp, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		if _, dup := out[f[0]]; dup {
			t.Errorf("CSP %q repeats %s (browsers ignore the second)", csp, f[0])
		}
		out[f[0]] = f[1:]
	}
	return out
}

func hashSource(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func TestPasskeyPage(t *testing.T) {
	var buf strings.Builder
	if err := pages.Render(&buf, "signin", "Sign in", pages.Brand{}, passkeyPage()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`<div class="provider" data-webauthn-section hidden>`,
		`<form id="passkey-form" action="https://app.example/api/auth/callback/passkey" method="post" data-options-url="https://app.example/api/auth/webauthn-options/passkey" data-csrf-url="https://app.example/api/auth/csrf">`,
		`<input type="hidden" name="callbackUrl" value="https://app.example/dashboard">`,
		`<p class="alert" role="alert" data-webauthn-error></p>`,
		`<label for="input-email-for-passkey-provider">Email</label>`,
		`<input id="input-email-for-passkey-provider" name="email" type="email" autocomplete="username webauthn"`,
		`<button id="submitButton-passkey" type="submit">Sign in with Passkey</button>`,
		// The other providers are there as before.
		`<form action="https://app.example/api/auth/callback/pw" method="post">`,
		`<form action="https://app.example/api/auth/signin/corp" method="post">`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	form := out[strings.Index(out, `<form id="passkey-form"`):]
	form = form[:strings.Index(form, "</form>")]
	if strings.Contains(form, "required") {
		t.Error("the passkey form's email field is required; without an address the passkey signs in an existing account")
	}
	if strings.Contains(form, `name="csrfToken"`) {
		t.Error("the passkey form carries the page's CSRF token; the script asks /csrf for a fresh one, as next-auth/webauthn does")
	}
	if regexp.MustCompile(`(?i)\son[a-z]+=`).MatchString(out) {
		t.Error("the page has an inline event handler, which its CSP would block")
	}

	attrs, texts := scripts(out)
	if len(texts) != 1 {
		t.Fatalf("the page has %d scripts, want exactly the passkey script", len(texts))
	}
	if strings.TrimSpace(attrs[0]) != "" {
		t.Errorf("the script element has attributes %q", attrs[0])
	}
	src, err := os.ReadFile("passkey.js")
	if err != nil {
		t.Fatal(err)
	}
	if texts[0] != string(src) {
		t.Error("the page's script is not passkey.js byte for byte")
	}

	h := http.Header{}
	pages.SetPageHeaders(h, passkeyPage())
	d := directives(t, h.Get("Content-Security-Policy"))
	if got, want := d["script-src"], []string{hashSource(texts[0])}; !slices.Equal(got, want) {
		t.Errorf("script-src = %q, want exactly the hash of the page's script %q", got, want)
	}
	for name, want := range map[string][]string{
		"default-src":     {"'none'"},
		"connect-src":     {"'self'"},
		"style-src":       {"'unsafe-inline'"},
		"img-src":         {"'self'", "https:", "data:"},
		"frame-ancestors": {"'none'"},
		"base-uri":        {"'none'"},
	} {
		if !slices.Equal(d[name], want) {
			t.Errorf("%s = %q, want %q", name, d[name], want)
		}
	}
	if len(d) != 7 {
		t.Errorf("the policy has directives %v, want only script-src and connect-src beyond the other pages'", d)
	}
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "private, no-cache, no-store"} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
}

// The script's text is the library's, whatever the page holds: hostile
// names and URLs are escaped into the markup and never reach it.
func TestPasskeyPageHostile(t *testing.T) {
	data := passkeyPage()
	data.CSRFURL = "javascript:alert(1)//" + hostile
	data.CallbackURL = "https://app.example/" + hostile
	data.Providers[1] = pages.Provider{ID: "pk" + hostile, Name: "Passkey " + hostile, Type: pages.TypeWebAuthn,
		CallbackURL: "https://app.example/cb" + hostile, OptionsURL: "https://app.example/o" + hostile}
	out := render(t, "signin", pages.Brand{}, data)
	_, texts := scripts(out)
	src, err := os.ReadFile("passkey.js")
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) != 1 || texts[0] != string(src) {
		t.Fatalf("the page's scripts are %d, not the library's one: the hostile data reached a script", len(texts))
	}
	rest := strings.Replace(out, "<script>"+texts[0]+"</script>", "", 1)
	for _, bad := range []string{"<script", "<img src=x", "javascript:"} {
		if strings.Contains(rest, bad) {
			t.Errorf("the page contains %q outside the library's script", bad)
		}
	}
}

func TestPasskeyScriptIsInert(t *testing.T) {
	src, err := os.ReadFile("passkey.js")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ToLower(string(src))
	// Text that would end the script element or change how HTML parses it.
	for _, bad := range []string{"</script", "<!--", "<script"} {
		if strings.Contains(s, bad) {
			t.Errorf("passkey.js contains %q", bad)
		}
	}
	// No way to run other code, nor to write markup.
	compact := strings.ReplaceAll(s, " ", "")
	for _, bad := range []string{"eval(", "newfunction", "innerhtml", "outerhtml", "insertadjacenthtml", "document.write", "settimeout(", "setinterval(", "import(", "createelement"} {
		if strings.Contains(compact, bad) {
			t.Errorf("passkey.js uses %s", bad)
		}
	}
}

func TestNoScriptWithoutPasskey(t *testing.T) {
	withoutPasskey := passkeyPage()
	withoutPasskey.Providers = slices.Delete(withoutPasskey.Providers, 1, 2)
	cases := map[string]any{
		"signin":         withoutPasskey,
		"signout":        pages.SignOut{CSRFToken: "0123", CallbackURL: "https://app.example/", Action: "https://app.example/api/auth/signout"},
		"error":          pages.Error{Status: 400, Title: "Error", Message: "No."},
		"verify-request": pages.VerifyRequest{HomeURL: "https://app.example/"},
	}
	for kind, data := range cases {
		t.Run(kind, func(t *testing.T) {
			out := render(t, kind, pages.Brand{}, data)
			if strings.Contains(out, "<script") || strings.Contains(out, "data-options-url") {
				t.Errorf("the %s page carries the passkey script or form", kind)
			}
			h := http.Header{}
			pages.SetPageHeaders(h, data)
			base := http.Header{}
			pages.SetHeaders(base)
			if got := h.Get("Content-Security-Policy"); got != base.Get("Content-Security-Policy") {
				t.Errorf("CSP of the %s page = %q, want the pages' strict policy %q", kind, got, base.Get("Content-Security-Policy"))
			}
			d := directives(t, h.Get("Content-Security-Policy"))
			if _, ok := d["script-src"]; ok {
				t.Errorf("the %s page's policy allows a script", kind)
			}
			if _, ok := d["connect-src"]; ok {
				t.Errorf("the %s page's policy allows connections", kind)
			}
		})
	}
	// A passkey provider's data given to another page does not bring the
	// script.
	var buf strings.Builder
	if err := pages.Render(&buf, "signout", "t", pages.Brand{}, passkeyPage()); err == nil && strings.Contains(buf.String(), "<script") {
		t.Error("a page other than the sign-in page carries the passkey script")
	}
}

// harnessResult is what testdata/passkey_harness.cjs reports.
type harnessResult struct {
	Requests []struct {
		URL         string            `json:"url"`
		Method      string            `json:"method"`
		Credentials string            `json:"credentials"`
		Headers     map[string]string `json:"headers"`
		Body        [][2]string       `json:"body"`
	} `json:"requests"`
	Create         map[string]any `json:"create"`
	Get            map[string]any `json:"get"`
	Navigated      *string        `json:"navigated"`
	Reloaded       bool           `json:"reloaded"`
	SectionHidden  bool           `json:"sectionHidden"`
	Listening      bool           `json:"listening"`
	Prevented      bool           `json:"prevented"`
	Error          string         `json:"error"`
	ButtonDisabled bool           `json:"buttonDisabled"`
}

// runScript runs passkey.js in Node against a fake page for a scenario.
func runScript(t *testing.T, scenario map[string]any) harnessResult {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("GINAUTH_REQUIRE_JS") == "1" {
			t.Fatalf("node is not installed: %v", err)
		}
		t.Skipf("node is not installed (set GINAUTH_REQUIRE_JS=1 to fail instead): %v", err)
	}
	arg, err := json.Marshal(scenario)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, "testdata/passkey_harness.cjs", "passkey.js", string(arg))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, stderr.String())
	}
	var r harnessResult
	if err := json.Unmarshal(stdout, &r); err != nil {
		t.Fatalf("harness output %s: %v", stdout, err)
	}
	return r
}

const (
	optionsURL  = "http://localhost:3000/api/auth/webauthn-options/passkey"
	csrfURL     = "http://localhost:3000/api/auth/csrf"
	callbackURL = "http://localhost:3000/api/auth/callback/passkey"
)

var registerOptions = map[string]any{
	"challenge": "AAEC_-8",
	"rp":        map[string]any{"name": "localhost:3000", "id": "localhost"},
	"user":      map[string]any{"id": strings.Repeat("ab", 32), "name": "new@example.com", "displayName": "new@example.com"},
	"pubKeyCredParams": []any{
		map[string]any{"alg": -8, "type": "public-key"}, map[string]any{"alg": -7, "type": "public-key"}, map[string]any{"alg": -257, "type": "public-key"},
	},
	"timeout":                300000,
	"attestation":            "none",
	"excludeCredentials":     []any{map[string]any{"id": "_-8", "type": "public-key", "transports": []string{"internal"}}},
	"authenticatorSelection": map[string]any{"residentKey": "required", "userVerification": "required", "requireResidentKey": true},
	"extensions":             map[string]any{"credProps": true},
}

var authenticateOptions = map[string]any{"challenge": "-_8AAQ", "timeout": 300000, "userVerification": "required", "rpId": "localhost", "allowCredentials": []any{}}

func checkRequests(t *testing.T, r harnessResult, want ...string) {
	t.Helper()
	var got []string
	for _, q := range r.Requests {
		got = append(got, q.Method+" "+q.URL)
		if q.Credentials != "same-origin" {
			t.Errorf("%s %s sent with credentials %q, want same-origin", q.Method, q.URL, q.Credentials)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests:\n %q\nwant\n %q", got, want)
	}
}

func TestPasskeyScriptRegisters(t *testing.T) {
	r := runScript(t, map[string]any{
		"email": " new@example.com ", "action": "register", "options": registerOptions,
		"callbackAnswer": map[string]any{"url": "http://localhost:3000/dashboard"},
	})
	if r.SectionHidden || !r.Listening || !r.Prevented {
		t.Errorf("section hidden %v, listening %v, submit prevented %v; want shown, listening, prevented", r.SectionHidden, r.Listening, r.Prevented)
	}
	checkRequests(t, r, "GET "+optionsURL+"?email=new%40example.com", "GET "+csrfURL, "POST "+callbackURL)
	// The options: binary fields as bytes, the user ID as the UTF-8 of its
	// string (as @simplewebauthn/browser 9 encodes it), the rest as sent.
	c := r.Create
	if c["challenge"] != "000102ffef" {
		t.Errorf("challenge = %v, want the bytes of the base64url challenge", c["challenge"])
	}
	if u, _ := c["user"].(map[string]any); u["id"] != strings.Repeat("6162", 32) || u["name"] != "new@example.com" {
		t.Errorf("user = %v", c["user"])
	}
	if ex, _ := c["excludeCredentials"].([]any); len(ex) != 1 || ex[0].(map[string]any)["id"] != "ffef" {
		t.Errorf("excludeCredentials = %v", c["excludeCredentials"])
	}
	for _, k := range []string{"rp", "pubKeyCredParams", "timeout", "attestation", "authenticatorSelection", "extensions"} {
		got, _ := json.Marshal(c[k])
		want, _ := json.Marshal(registerOptions[k])
		if string(got) != string(want) {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	post := r.Requests[2]
	if post.Headers["X-Auth-Return-Redirect"] != "1" || post.Headers["Content-Type"] != "application/x-www-form-urlencoded" {
		t.Errorf("callback headers = %v", post.Headers)
	}
	var names []string
	for _, kv := range post.Body {
		names = append(names, kv[0])
	}
	if !slices.Equal(names, []string{"email", "action", "data", "csrfToken", "callbackUrl"}) {
		t.Errorf("callback fields %q, want next-auth/webauthn's order", names)
	}
	body := map[string]string{}
	for _, kv := range post.Body {
		body[kv[0]] = kv[1]
	}
	if body["email"] != "new@example.com" || body["action"] != "register" || body["csrfToken"] != strings.Repeat("f", 64) || body["callbackUrl"] != "http://localhost:3000/dashboard" {
		t.Errorf("callback body = %v", body)
	}
	const wantData = `{"id":"Y3JlZGVudGlhbC0x","rawId":"Y3JlZGVudGlhbC0x","response":{"attestationObject":"YXR0ZXN0YXRpb24","clientDataJSON":"Y2xpZW50LWRhdGE","transports":["internal","hybrid"],"publicKeyAlgorithm":-8,"publicKey":"cHVibGljLWtleQ","authenticatorData":"YXV0aGVudGljYXRvci1kYXRh"},"type":"public-key","clientExtensionResults":{"credProps":{"rk":true}},"authenticatorAttachment":"platform"}`
	if body["data"] != wantData {
		t.Errorf("data =\n %s\nwant\n %s", body["data"], wantData)
	}
	if r.Navigated == nil || *r.Navigated != "http://localhost:3000/dashboard" || r.Error != "" {
		t.Errorf("navigated to %v with error %q, want the callback answer's URL", r.Navigated, r.Error)
	}
}

func TestPasskeyScriptAuthenticates(t *testing.T) {
	r := runScript(t, map[string]any{
		"action": "authenticate", "options": authenticateOptions, "attachment": "something-else",
		"callbackAnswer": map[string]any{"url": "http://localhost:3000/api/auth/error?error=WebAuthnVerificationError"},
	})
	checkRequests(t, r, "GET "+optionsURL, "GET "+csrfURL, "POST "+callbackURL)
	g := r.Get
	if g["challenge"] != "fbff0001" || g["rpId"] != "localhost" || g["userVerification"] != "required" {
		t.Errorf("get options = %v", g)
	}
	if _, ok := g["allowCredentials"]; ok {
		t.Errorf("an empty allowCredentials was passed on (%v); usernameless sign-in leaves it out", g["allowCredentials"])
	}
	var names []string
	data := ""
	for _, kv := range r.Requests[2].Body {
		names = append(names, kv[0])
		if kv[0] == "data" {
			data = kv[1]
		}
	}
	if !slices.Equal(names, []string{"action", "data", "csrfToken", "callbackUrl"}) {
		t.Errorf("callback fields %q, want next-auth/webauthn's order without email", names)
	}
	want := `{"id":"Y3JlZGVudGlhbC0x","rawId":"Y3JlZGVudGlhbC0x","response":{"authenticatorData":"YXV0aGVudGljYXRvci1kYXRh","clientDataJSON":"Y2xpZW50LWRhdGE","signature":"c2lnbmF0dXJl","userHandle":"` + strings.Repeat("ab", 32) + `"},"type":"public-key","clientExtensionResults":{}}`
	if data != want {
		t.Errorf("data =\n %s\nwant\n %s", data, want)
	}
	// A refused callback answers the error page's URL: the browser goes
	// there, as next-auth/webauthn's signIn does.
	if r.Navigated == nil || *r.Navigated != "http://localhost:3000/api/auth/error?error=WebAuthnVerificationError" {
		t.Errorf("navigated to %v", r.Navigated)
	}

	// With an address of a known user, and allowCredentials listed.
	opts := map[string]any{"challenge": "AA", "rpId": "localhost", "allowCredentials": []any{map[string]any{"id": "AQI", "type": "public-key"}}}
	r = runScript(t, map[string]any{"email": "known@example.com", "action": "authenticate", "options": opts, "userHandle": nil,
		"callbackAnswer": map[string]any{"url": "/dashboard#top"}})
	if ac, _ := r.Get["allowCredentials"].([]any); len(ac) != 1 || ac[0].(map[string]any)["id"] != "0102" {
		t.Errorf("allowCredentials = %v", r.Get["allowCredentials"])
	}
	if len(r.Requests) != 3 || r.Requests[2].Body[0] != [2]string{"email", "known@example.com"} {
		t.Errorf("callback body = %v", r.Requests)
	} else if strings.Contains(r.Requests[2].Body[2][1], "userHandle") {
		t.Errorf("an absent user handle was sent: %s", r.Requests[2].Body[2][1])
	}
	if r.Navigated == nil || *r.Navigated != "http://localhost:3000/dashboard#top" || !r.Reloaded {
		t.Errorf("navigated to %v (reloaded %v); a URL with a fragment is loaded", r.Navigated, r.Reloaded)
	}
}

func TestPasskeyScriptFailures(t *testing.T) {
	for _, c := range []struct {
		name     string
		scenario map[string]any
		requests []string
		message  string
	}{
		{"options refused with an email", map[string]any{"email": "taken@example.com", "optionsStatus": 400},
			[]string{"GET " + optionsURL + "?email=taken%40example.com"}, "could not start with this email address"},
		{"options refused", map[string]any{"optionsStatus": 400}, []string{"GET " + optionsURL}, "sign out first"},
		{"unknown action", map[string]any{"action": "delete", "options": authenticateOptions}, []string{"GET " + optionsURL}, "unknown passkey action"},
		{"cancelled", map[string]any{"action": "authenticate", "options": authenticateOptions, "ceremonyError": "NotAllowedError"},
			[]string{"GET " + optionsURL}, "cancelled or timed out"},
		{"registered already", map[string]any{"email": "n@example.com", "action": "register", "options": registerOptions, "ceremonyError": "InvalidStateError"},
			[]string{"GET " + optionsURL + "?email=n%40example.com"}, "already holds a passkey"},
		{"wrong address", map[string]any{"action": "authenticate", "options": authenticateOptions, "ceremonyError": "SecurityError"},
			[]string{"GET " + optionsURL}, "cannot be used on this address"},
		{"server unreachable", map[string]any{"networkError": csrfURL, "action": "authenticate", "options": authenticateOptions},
			[]string{"GET " + optionsURL, "GET " + csrfURL}, "could not be reached"},
		{"script URL answered", map[string]any{"action": "authenticate", "options": authenticateOptions, "callbackAnswer": map[string]any{"url": "javascript:alert(1)"}},
			[]string{"GET " + optionsURL, "GET " + csrfURL, "POST " + callbackURL}, "failed"},
		{"no URL answered", map[string]any{"action": "authenticate", "options": authenticateOptions, "callbackAnswer": "<html>"},
			[]string{"GET " + optionsURL, "GET " + csrfURL, "POST " + callbackURL}, "failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runScript(t, c.scenario)
			checkRequests(t, r, c.requests...)
			if !strings.Contains(r.Error, c.message) {
				t.Errorf("error shown %q, want one containing %q", r.Error, c.message)
			}
			if r.Navigated != nil {
				t.Errorf("navigated to %s after a failure", *r.Navigated)
			}
			if r.ButtonDisabled {
				t.Error("the button stays disabled after a failure")
			}
		})
	}
}

func TestPasskeyScriptWithoutWebAuthn(t *testing.T) {
	r := runScript(t, map[string]any{"noWebAuthn": true})
	if !r.SectionHidden || r.Listening || len(r.Requests) != 0 {
		t.Errorf("without WebAuthn: section hidden %v, listening %v, %d requests; want the section hidden and nothing done", r.SectionHidden, r.Listening, len(r.Requests))
	}
}
