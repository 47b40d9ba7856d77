package pageread

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"folio/app"
)

func TestRotateGray(t *testing.T) {
	// A 3×2 image with distinct pixels:  0 1 2
	//                                    3 4 5
	g := &grayImage{w: 3, h: 2, pix: []byte{0, 1, 2, 3, 4, 5}}
	for _, c := range []struct {
		deg  int
		w, h int
		pix  []byte
	}{
		{0, 3, 2, []byte{0, 1, 2, 3, 4, 5}},
		{90, 2, 3, []byte{3, 0, 4, 1, 5, 2}},
		{180, 3, 2, []byte{5, 4, 3, 2, 1, 0}},
		{270, 2, 3, []byte{2, 5, 1, 4, 0, 3}},
	} {
		r := g.rotate(c.deg)
		if r.w != c.w || r.h != c.h || string(r.pix) != string(c.pix) {
			t.Errorf("rotate(%d) = %d×%d %v, want %d×%d %v", c.deg, r.w, r.h, r.pix, c.w, c.h, c.pix)
		}
		// The RGBA rotation agrees with the gray one.
		m := image.NewRGBA(image.Rect(0, 0, 3, 2))
		for i, p := range g.pix {
			m.Set(i%3, i/3, color.RGBA{p, p, p, 255})
		}
		rg, _ := grayOf(rotateRGBA(m, c.deg))
		if string(rg.pix) != string(c.pix) {
			t.Errorf("rotateRGBA(%d) = %v, want %v", c.deg, rg.pix, c.pix)
		}
	}
}

func TestDownscale(t *testing.T) {
	g := newGray(4, 4)
	for i := range g.pix {
		g.pix[i] = byte(i * 10)
	}
	d := downscaleGray(g, 2, 2)
	// Each output pixel is the mean of a 2×2 block.
	want := []byte{25, 45, 105, 125}
	if string(d.pix) != string(want) {
		t.Errorf("downscaleGray = %v, want %v", d.pix, want)
	}
	// That went through the 2× fast path; the RGBA one averages each
	// channel the same way, and the general path agrees on a 3× reduction.
	m := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range 16 {
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = byte(i*10), byte(i*5), 255, 255
	}
	hr := downscaleRGBA(m, 2, 2)
	if got := []byte{hr.Pix[0], hr.Pix[1], hr.Pix[2], hr.Pix[3], hr.Pix[12], hr.Pix[13]}; string(got) != string([]byte{25, 13, 255, 255, 125, 63}) {
		t.Errorf("downscaleRGBA 2× = %v", got)
	}
	g6 := newGray(6, 3)
	for i := range g6.pix {
		g6.pix[i] = byte(i)
	}
	if d := downscaleGray(g6, 2, 1); string(d.pix) != string([]byte{7, 10}) {
		t.Errorf("downscaleGray 3× = %v, want [7 10]", d.pix)
	}
	// Odd sizes and upscaling cover every pixel without panicking.
	for _, s := range [][2]int{{3, 3}, {1, 1}, {5, 7}, {4, 1}} {
		r := downscaleGray(g, s[0], s[1])
		if r.w != s[0] || r.h != s[1] {
			t.Errorf("downscaleGray to %v gave %d×%d", s, r.w, r.h)
		}
		if r := downscaleRGBA(m, s[0], s[1]); r.Rect.Dx() != s[0] || r.Rect.Dy() != s[1] {
			t.Errorf("downscaleRGBA to %v gave %v", s, r.Rect)
		}
	}
}

func TestGrayOfColour(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 2, 1))
	m.Set(0, 0, color.RGBA{200, 200, 200, 255})
	m.Set(1, 0, color.RGBA{0, 0, 0, 255})
	if g, colour := grayOf(m); colour || g.pix[0] != 200 || g.pix[1] != 0 {
		t.Errorf("gray page: %v colour=%v", g.pix, colour)
	}
	m.Set(1, 0, color.RGBA{255, 0, 0, 255})
	if _, colour := grayOf(m); !colour {
		t.Error("red pixel not seen as colour")
	}
}

func TestOtsu(t *testing.T) {
	g := newGray(100, 1)
	for i := range g.pix {
		g.pix[i] = 220
		if i%4 == 0 {
			g.pix[i] = 40
		}
	}
	if l := otsu(g); l < 40 || l >= 220 {
		t.Errorf("otsu = %d, want between ink 40 and paper 220", l)
	}
	b := binarize(g, otsu(g))
	if b.pix[0] != 0 || b.pix[1] != 255 {
		t.Errorf("binarize: %v", b.pix[:4])
	}
}

// A 3×2 page as a BMP: the headers, then the rows bottom up, each padded
// to 4 bytes. (That Leptonica reads it as the page is TestOCR's.)
func TestEncodeBMP(t *testing.T) {
	g := &grayImage{w: 3, h: 2, pix: []byte{1, 2, 3, 4, 5, 6}}
	got := encodeBMP([]byte("left over from the page before"), g)
	want := "BM" + "\x3e\x00\x00\x00" + "\x00\x00\x00\x00" + "\x36\x00\x00\x00" + // size 62, pixels at 54
		"\x28\x00\x00\x00" + "\x03\x00\x00\x00" + "\x02\x00\x00\x00" + "\x01\x00" + "\x08\x00" + // 3 × 2, 8 bits
		"\x00\x00\x00\x00" + "\x08\x00\x00\x00" + strings.Repeat("\x00", 16) + // uncompressed, 8 bytes
		"\x04\x05\x06\x00" + "\x01\x02\x03\x00"
	if string(got) != want {
		t.Errorf("encodeBMP = %q\nwant       %q", got, want)
	}
}

func TestScaleWords(t *testing.T) {
	words := []app.Word{
		{Text: "in", X: 100, Y: 200, W: 50, H: 20},
		{Text: "edge", X: 590, Y: 780, W: 30, H: 30}, // runs off a 600×800 render
		{Text: "out", X: 700, Y: 900, W: 10, H: 10},  // wholly outside
	}
	got := scaleWords(words, 0.5, 0.5, 300, 400)
	want := []app.Word{{Text: "in", X: 50, Y: 100, W: 25, H: 10}, {Text: "edge", X: 295, Y: 390, W: 5, H: 10}}
	if len(got) != len(want) {
		t.Fatalf("scaleWords = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("scaleWords[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestTIFFSizes(t *testing.T) {
	for _, c := range []struct {
		file string
		want []image.Point
	}{
		{"scans/paperless__multi-page-images.tiff", []image.Point{{2476, 3204}, {2476, 3204}, {2476, 3204}}},
		{"ocr-gt/tesseract-test__phototestrot.tif", []image.Point{{480, 640}}},
	} {
		got := tiffSizes(corpus(t, c.file), len(c.want))
		for i := range c.want {
			if got[i] != c.want[i] {
				t.Errorf("%s: sizes %v, want %v", c.file, got, c.want)
				break
			}
		}
	}
	// Junk and loops give unknown sizes, not a panic.
	for _, data := range [][]byte{nil, []byte("II*\x00\xff\xff\xff\x7f"), []byte("II*\x00\x08\x00\x00\x00\x00\x00\x08\x00\x00\x00")} {
		tiffSizes(data, 2)
	}
	if got := tiffSizes(tiffUnknownCompression(), 1); got[0] != (image.Point{16, 16}) {
		t.Errorf("hand-made TIFF: %v", got)
	}
}
