package email_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ginauth/ginauth/email"
)

// buttonStyle and copyStyle find the inline styles of the button and of
// the link's visible copy.
var (
	buttonStyle = regexp.MustCompile(`target="_blank"\s+style="[^"]*; color: (#[0-9a-f]{6});[^"]*">Sign in</a>`)
	copyStyle   = regexp.MustCompile(`class="ga-link" style="color: (#[0-9a-f]{3,6});`)
)

// TestRenderColors checks that the button's label and the link's copy stay
// readable whatever the accent: white on a dark accent, the text colour on
// a light one, and the accent as the link's colour only when it reads on
// white.
func TestRenderColors(t *testing.T) {
	for _, tc := range []struct {
		accent, button, link string
	}{
		{"#0f766e", "#ffffff", "#0f766e"}, // 5.5:1 on white
		{"#346df1", "#ffffff", "#346df1"}, // the default, 4.56:1
		{"#000", "#ffffff", "#000"},
		{"#ffeb3b", "#1f2328", "#1f2328"}, // yellow: white would not read
		{"#ffffff", "#1f2328", "#1f2328"},
		{"#22c55e", "#1f2328", "#1f2328"}, // a light green, 2.3:1 on white
		{"#FF0000", "#ffffff", "#1f2328"}, // red: white label 4.0:1 (the text colour 3.95:1), too low for text on white
	} {
		t.Run(tc.accent, func(t *testing.T) {
			r := testRequest()
			r.Theme.Color = tc.accent
			m, err := email.Render(r)
			if err != nil {
				t.Fatal(err)
			}
			if b := buttonStyle.FindStringSubmatch(m.HTML); b == nil || b[1] != tc.button {
				t.Errorf("button label colour %v, want %s", b, tc.button)
			}
			if c := copyStyle.FindStringSubmatch(m.HTML); c == nil || c[1] != tc.link {
				t.Errorf("link colour %v, want %s", c, tc.link)
			}
			if !strings.Contains(m.HTML, `bgcolor="`+strings.ToLower(tc.accent)+`"`) {
				t.Error("the button is not in the accent colour")
			}
		})
	}
}

// TestRenderDarkMode checks that the message declares both colour schemes
// and carries dark colours for the clients that follow
// prefers-color-scheme, on the elements whose light colours are inline.
func TestRenderDarkMode(t *testing.T) {
	m, err := email.Render(testRequest())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<meta name="color-scheme" content="light dark">`,
		`<meta name="supported-color-schemes" content="light dark">`,
		"@media (prefers-color-scheme: dark)",
		".ga-bg { background: #0d1117 !important; }",
		".ga-card { background: #161b22 !important; }",
		`<body class="ga-bg"`,
		`class="ga-card"`,
		`class="ga-link"`,
	} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
	if n := strings.Count(m.HTML, `class="ga-text"`); n != 2 { // brand and heading
		t.Errorf("%d elements with the dark text colour, want 2", n)
	}
}
