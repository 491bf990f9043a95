package email

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ginauth/ginauth/providers"
)

// DefaultColor is the accent colour of the message when Theme.Color is not
// a "#rgb" or "#rrggbb" colour: Auth.js's default brand colour.
const DefaultColor = "#346df1"

// placeholderBrand is the brand name providers.Theme carries when the
// configuration has none; it is not shown as a brand.
const placeholderBrand = "Sign in"

// maxBrandRunes bounds the brand name shown in the message and the From
// display name.
const maxBrandRunes = 100

var colorPattern = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// Message is a rendered sign-in message.
type Message struct {
	// Subject is the subject line: "Sign in to <host>", host being the
	// link's host (with its port, if any), as in Auth.js. It has no line
	// breaks; a transport still has to encode it for a header (RFC 2047)
	// when it is not ASCII.
	Subject string
	// Text is the plain-text body. The link stands alone on its own line.
	Text string
	// HTML is the HTML body in the style of the built-in pages.
	HTML string
}

// Render builds the sign-in message for r: the subject, a plain-text body
// and an HTML body with the brand name, the accent colour (Theme.Color when
// it is "#rgb" or "#rrggbb", else [DefaultColor]), the logo when
// Theme.LogoURL is an https URL, a button and a plain copy of the link, and
// a line saying when the link expires and that the message can be ignored
// by someone who did not ask for it.
//
// Every value is escaped by html/template; the link is kept byte for byte
// (an HTML parser reads back exactly r.URL from the button's href and from
// the visible copy). r.URL must be an absolute http or https URL of
// printable ASCII; anything else is an error matching [ErrConfig].
// Render does not look at r.Identifier: check it with [ValidateAddress]
// before handing it to a transport.
func Render(r providers.VerificationRequest) (Message, error) {
	link, err := parseLink(r.URL)
	if err != nil {
		return Message{}, err
	}
	host := link.Host
	subject := "Sign in to " + host
	brand := brandName(r.Theme)
	expires := expiryLine(r)
	color := accentColor(r.Theme.Color)
	const ignore = "If you did not request this email you can safely ignore it."

	var text strings.Builder
	// The first lines are Auth.js's text body.
	fmt.Fprintf(&text, "Sign in to %s\n%s\n\n", host, r.URL)
	fmt.Fprintf(&text, "%s\n%s\n", expires, ignore)
	if brand != "" {
		fmt.Fprintf(&text, "\n%s\n", brand)
	}

	data := htmlData{
		Subject: subject,
		// As Auth.js does, a zero-width space before each dot keeps mail
		// clients from turning the host into a link of its own.
		Host:  strings.ReplaceAll(host, ".", "\u200b."),
		Brand: brand,
		Color: color,
		// White on the accent unless the accent is too light for it.
		ButtonText: readableOn(color),
		// The accent when it reads on the white card, else the text's
		// colour.
		LinkColor: linkColor(color),
		LogoURL:   logoURL(r.Theme.LogoURL),
		// The href is written out here rather than by html/template's URL
		// normalizer, which would percent-encode characters such as ' ( )
		// and so change the link. The URL was checked to be http(s) above,
		// and html.EscapeString makes it safe in a quoted attribute.
		Href:    template.HTMLAttr(`href="` + html.EscapeString(r.URL) + `"`),
		URL:     r.URL,
		Expires: expires,
		Ignore:  ignore,
	}
	var buf bytes.Buffer
	if err := messageHTML.Execute(&buf, data); err != nil {
		return Message{}, fmt.Errorf("email: rendering the message: %w", err)
	}
	return Message{Subject: subject, Text: text.String(), HTML: buf.String()}, nil
}

type htmlData struct {
	Subject, Host, Brand, Color, LogoURL string
	// ButtonText is the button's label colour, LinkColor the plain
	// link's: both readable on their ground whatever the accent.
	ButtonText, LinkColor string
	Href                  template.HTMLAttr
	URL, Expires, Ignore  string
}

// parseLink checks that raw is a link a mail client can show and open.
func parseLink(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: the verification request has no URL", ErrConfig)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] >= 0x7f {
			return nil, fmt.Errorf("%w: the sign-in URL must be printable ASCII without spaces", ErrConfig)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL holds the token: do not repeat it
		}
		return nil, fmt.Errorf("%w: the sign-in URL does not parse: %w", ErrConfig, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" || u.User != nil {
		return nil, fmt.Errorf("%w: the sign-in URL must be an absolute http or https URL", ErrConfig)
	}
	return u, nil
}

// brandName returns the theme's brand name made safe for one line of text
// and a header: control and formatting characters become spaces, runs of
// spaces collapse, and it is cut to maxBrandRunes. The placeholder "Sign
// in" counts as no brand.
func brandName(t providers.Theme) string {
	clean := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, t.Name)
	clean = strings.Join(strings.Fields(clean), " ")
	if utf8.RuneCountInString(clean) > maxBrandRunes {
		clean = strings.TrimSpace(string([]rune(clean)[:maxBrandRunes]))
	}
	if clean == placeholderBrand {
		return ""
	}
	return clean
}

// accentColor returns c in lower case when it is "#rgb" or "#rrggbb", else
// DefaultColor.
func accentColor(c string) string {
	if colorPattern.MatchString(c) {
		return strings.ToLower(c)
	}
	return DefaultColor
}

// textColor is the messages' text colour, that of the built-in pages.
const textColor = "#1f2328"

// relativeLuminance is WCAG 2's relative luminance of a "#rgb" or
// "#rrggbb" colour.
func relativeLuminance(c string) float64 {
	h := strings.TrimPrefix(c, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, _ := strconv.ParseUint(h, 16, 32)
	channel := func(x uint64) float64 {
		f := float64(x) / 255
		if f <= 0.03928 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(v>>16&0xff) + 0.7152*channel(v>>8&0xff) + 0.0722*channel(v&0xff)
}

// contrastRatio is WCAG 2's contrast ratio of two colours, from 1 to 21.
func contrastRatio(a, b string) float64 {
	la, lb := relativeLuminance(a), relativeLuminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// readableOn returns white or the text colour, whichever contrasts more
// with the background bg.
func readableOn(bg string) string {
	if contrastRatio("#ffffff", bg) >= contrastRatio(textColor, bg) {
		return "#ffffff"
	}
	return textColor
}

// linkColor returns the accent when it is readable as text on white (a
// contrast of 4.5, WCAG AA), else the text colour.
func linkColor(accent string) string {
	if contrastRatio(accent, "#ffffff") >= 4.5 {
		return accent
	}
	return textColor
}

// logoURL returns raw when it is an absolute https URL, else "".
func logoURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return raw
}

func expiryLine(r providers.VerificationRequest) string {
	if r.Expires.IsZero() {
		return "This link can be used once."
	}
	return "This link can be used once and expires on " +
		r.Expires.UTC().Format("2 January 2006 at 15:04 MST") + "."
}

// messageHTML follows the layout of Auth.js's message and the colours of
// the built-in pages. The light colours are inline, as every mail client
// reads them; clients that follow prefers-color-scheme (such as Apple
// Mail) switch to the pages' dark colours through the classes. The button keeps the accent colour in both, with a label colour
// chosen to be readable on it.
var messageHTML = template.Must(template.New("message").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>{{.Subject}}</title>
<style>
:root { color-scheme: light dark; supported-color-schemes: light dark; }
@media (prefers-color-scheme: dark) {
  .ga-bg { background: #0d1117 !important; }
  .ga-card { background: #161b22 !important; }
  .ga-text { color: #e6edf3 !important; }
  .ga-muted { color: #9198a1 !important; }
  .ga-link { color: #e6edf3 !important; }
}
</style>
</head>
<body class="ga-bg" style="background: #f4f5f7; margin: 0; padding: 20px 0;">
  <table role="presentation" class="ga-card" width="100%" border="0" cellspacing="20" cellpadding="0"
    style="background: #ffffff; max-width: 600px; margin: auto; border-radius: 10px; border-top: 4px solid {{.Color}};">
{{- if .LogoURL}}
    <tr>
      <td align="center" style="padding: 10px 0 0 0;">
        <img src="{{.LogoURL}}" alt="{{.Brand}}" height="64" style="max-width: 150px; max-height: 64px; height: 64px; width: auto; border: 0;">
      </td>
    </tr>
{{- end}}
{{- if .Brand}}
    <tr>
      <td align="center" class="ga-text"
        style="padding: 0; font-size: 16px; font-weight: bold; font-family: Helvetica, Arial, sans-serif; color: #1f2328;">
        {{.Brand}}
      </td>
    </tr>
{{- end}}
    <tr>
      <td align="center" class="ga-text"
        style="padding: 10px 0px; font-size: 22px; font-family: Helvetica, Arial, sans-serif; color: #1f2328;">
        Sign in to <strong>{{.Host}}</strong>
      </td>
    </tr>
    <tr>
      <td align="center" style="padding: 10px 0;">
        <table role="presentation" border="0" cellspacing="0" cellpadding="0">
          <tr>
            <td align="center" style="border-radius: 6px;" bgcolor="{{.Color}}"><a {{.Href}} target="_blank"
                style="font-size: 18px; font-family: Helvetica, Arial, sans-serif; color: {{.ButtonText}}; text-decoration: none; border-radius: 6px; padding: 12px 40px; border: 1px solid {{.Color}}; background: {{.Color}}; display: inline-block; font-weight: bold;">Sign in</a></td>
          </tr>
        </table>
      </td>
    </tr>
    <tr>
      <td align="center" class="ga-muted"
        style="padding: 0px 0px 10px 0px; font-size: 14px; line-height: 20px; font-family: Helvetica, Arial, sans-serif; color: #59636e;">
        Or copy this link into your browser:<br>
        <a {{.Href}} target="_blank" class="ga-link" style="color: {{.LinkColor}}; word-break: break-all; font-size: 13px;">{{.URL}}</a>
      </td>
    </tr>
    <tr>
      <td align="center" class="ga-muted"
        style="padding: 0px 0px 10px 0px; font-size: 14px; line-height: 20px; font-family: Helvetica, Arial, sans-serif; color: #59636e;">
        {{.Expires}}<br>
        {{.Ignore}}
      </td>
    </tr>
  </table>
</body>
</html>
`))
