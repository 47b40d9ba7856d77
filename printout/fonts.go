package printout

import (
	"strings"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// Font families registered on every document.
const (
	fontSans = "go"     // Go Regular and Go Bold
	fontMono = "gomono" // Go Mono
)

// addFonts embeds the Go fonts as UTF-8 TrueType fonts (subset on output).
func addFonts(pdf *fpdf.Fpdf, bold, mono bool) {
	pdf.AddUTF8FontFromBytes(fontSans, "", goregular.TTF)
	if bold {
		pdf.AddUTF8FontFromBytes(fontSans, "B", gobold.TTF)
	}
	if mono {
		pdf.AddUTF8FontFromBytes(fontMono, "", gomono.TTF)
	}
}

// clean makes s safe for fpdf's UTF-8 text output, which handles only valid
// UTF-8 in the Basic Multilingual Plane: invalid bytes and characters beyond
// U+FFFF become U+FFFD, and control characters become spaces.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || r > 0xFFFF || r < 0x20 || r == 0x7F {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == utf8.RuneError || r > 0xFFFF:
			b.WriteRune(utf8.RuneError)
		case r < 0x20 || r == 0x7F:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
