package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"

	"github.com/gin-gonic/gin"
)

// logoPath is where the example serves its logo. The built-in pages show
// it, and so do the sign-in emails when the origin is https: mail clients
// load images over https only, and PNG is the format they all show.
const logoPath = "/logo.png"

// logoPNG draws the example's logo: a padlock in the brand colour on a
// transparent ground, 96 pixels square (shown at most 70 high).
func logoPNG() []byte {
	const size = 96
	brand := color.NRGBA{0x0f, 0x76, 0x6e, 0xff}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	// The shackle: a ring's upper half, then its legs down to the body.
	const cx, cy, outer, inner = 48, 40, 24, 14
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dx, dy := x-cx, y-cy
			d2 := dx*dx + dy*dy
			shackle := false
			switch {
			case y <= cy:
				shackle = d2 <= outer*outer && d2 >= inner*inner
			case y < 52:
				shackle = (dx >= -outer && dx <= -inner) || (dx >= inner && dx <= outer)
			}
			// The body, with rounded corners, and a keyhole cut out.
			body := x >= 16 && x < 80 && y >= 46 && y < 90 && !corner(x-16, y-46, 64, 44, 8)
			keyhole := (x-48)*(x-48)+(y-62)*(y-62) <= 36 || (x >= 45 && x <= 51 && y >= 62 && y <= 76)
			if shackle || (body && !keyhole) {
				img.SetNRGBA(x, y, brand)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // an in-memory image always encodes
	}
	return buf.Bytes()
}

// corner reports whether (x, y) in a w×h box lies outside its corners
// rounded with radius r.
func corner(x, y, w, h, r int) bool {
	cx, cy := -1, -1
	switch {
	case x < r:
		cx = r
	case x >= w-r:
		cx = w - r - 1
	}
	switch {
	case y < r:
		cy = r
	case y >= h-r:
		cy = h - r - 1
	}
	if cx < 0 || cy < 0 {
		return false
	}
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) > r*r
}

// serveLogo serves the logo, drawn once, cacheable for a day.
func serveLogo(r gin.IRouter) {
	logo := logoPNG()
	r.GET(logoPath, func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=86400")
		c.Data(http.StatusOK, "image/png", logo)
	})
}

// brandLogoURL is the logo's URL on the origin appURL.
func brandLogoURL(appURL string) string {
	return appURL + logoPath
}
