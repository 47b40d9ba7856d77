package printout

import (
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// qrQuietModules is the white margin kept around a QR code, in modules: the
// standard's minimum.
const qrQuietModules = 4

// qrModules encodes s as a QR code at error correction level Q (a quarter
// of the code may be lost to a smudge, a staple hole or a pen mark) and
// returns its modules without a margin.
func qrModules(s string) (*gozxing.BitMatrix, error) {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_Q,
		gozxing.EncodeHintType_MARGIN:           0,
	}
	m, err := qrcode.NewQRCodeWriter().Encode(s, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	return m, nil
}

// bars encodes s as a one-dimensional code and returns its modules, one per
// column, true for a bar, without quiet zones.
func bars(w gozxing.Writer, format gozxing.BarcodeFormat, s string) ([]bool, error) {
	m, err := w.Encode(s, format, 0, 1, map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 0})
	if err != nil {
		return nil, fmt.Errorf("encode %v %q: %w", format, s, err)
	}
	row := make([]bool, m.GetWidth())
	for x := range row {
		row[x] = m.Get(x, 0)
	}
	return row, nil
}

// code128 and code39 encode 1-D codes; see bars.
func code128(s string) ([]bool, error) {
	return bars(oned.NewCode128Writer(), gozxing.BarcodeFormat_CODE_128, s)
}

func code39(s string) ([]bool, error) {
	return bars(oned.NewCode39Writer(), gozxing.BarcodeFormat_CODE_39, s)
}

// modulePath collects filled rectangles in page units (origin top left) and
// writes them as one PDF path filled in black: one path, so that no
// anti-aliasing seam shows between neighbouring modules when it is rendered.
type modulePath struct {
	pdf    *fpdf.Fpdf
	k, pgH float64 // points per unit, page height in units
	b      strings.Builder
}

func newModulePath(pdf *fpdf.Fpdf) *modulePath {
	_, h := pdf.GetPageSize()
	return &modulePath{pdf: pdf, k: pdf.GetConversionRatio(), pgH: h}
}

func (p *modulePath) rect(x, y, w, h float64) {
	fmt.Fprintf(&p.b, "%.3f %.3f %.3f %.3f re\n", x*p.k, (p.pgH-y-h)*p.k, w*p.k, h*p.k)
}

func (p *modulePath) fill() {
	if p.b.Len() == 0 {
		return
	}
	p.pdf.RawWriteStr("q 0 g\n" + p.b.String() + "f Q\n")
	p.b.Reset()
}

// drawQR draws m with its top left corner at (x, y), each module size units
// square, merging each row's runs of dark modules into one rectangle.
func drawQR(pdf *fpdf.Fpdf, m *gozxing.BitMatrix, x, y, size float64) {
	p := newModulePath(pdf)
	for r := 0; r < m.GetHeight(); r++ {
		for c := 0; c < m.GetWidth(); {
			if !m.Get(c, r) {
				c++
				continue
			}
			start := c
			for c < m.GetWidth() && m.Get(c, r) {
				c++
			}
			p.rect(x+float64(start)*size, y+float64(r)*size, float64(c-start)*size, size)
		}
	}
	p.fill()
}

// drawBars draws a 1-D code with its top left corner at (x, y), each module
// module units wide and the bars h units high.
func drawBars(pdf *fpdf.Fpdf, code []bool, x, y, module, h float64) {
	p := newModulePath(pdf)
	for c := 0; c < len(code); {
		if !code[c] {
			c++
			continue
		}
		start := c
		for c < len(code) && code[c] {
			c++
		}
		p.rect(x+float64(start)*module, y, float64(c-start)*module, h)
	}
	p.fill()
}
