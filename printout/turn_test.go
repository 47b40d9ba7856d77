package printout

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"folio/app"
)

// A page a person turned a quarter clockwise comes out turned: the page is
// landscape-for-portrait, the red corner moves from top left to top right,
// and its word still sits on it.
func TestSearchablePDFTurnsPages(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 400, 200))
	for y := range 200 {
		for x := range 400 {
			c := color.RGBA{255, 255, 255, 255}
			if x < 100 && y < 50 {
				c = color.RGBA{220, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	var j bytes.Buffer
	if err := jpeg.Encode(&j, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := SearchablePDF(&out, "turned", []Page{{JPEG: j.Bytes(), WidthPx: 400, HeightPx: 200, DPI: 72, Turn: 90,
		Words: []app.Word{{Text: "corner", X: 0, Y: 0, W: 100, H: 50}}}})
	if err != nil {
		t.Fatal(err)
	}
	doc := openPDF(t, out.Bytes())
	r := render(t, doc, 0, 72)
	if b := r.Bounds(); b.Dx() != 200 || b.Dy() != 400 {
		t.Fatalf("turned page renders %v, want 200×400", b)
	}
	if c := r.RGBAAt(180, 20); c.R < 180 || c.G > 80 {
		t.Fatalf("top right after a quarter turn is %v, want red", c)
	}
	if c := r.RGBAAt(20, 20); c.G < 180 {
		t.Fatalf("top left after a quarter turn is %v, want white", c)
	}
	if !strings.Contains(pageText(t, doc, 0), "corner") {
		t.Fatal("the word is gone from the turned page")
	}
	if err := SearchablePDF(&out, "x", []Page{{JPEG: j.Bytes(), DPI: 72, Turn: 45}}); err == nil {
		t.Fatal("a 45° turn was accepted")
	}
}
