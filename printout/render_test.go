package printout

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	fitz "github.com/gen2brain/go-fitz"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// This file holds the test helpers: MuPDF (through go-fitz) renders and
// reads the PDFs, gozxing reads the codes back, and badScan makes a
// rendering look like a poor scan of a cheap print.

// openPDF opens a PDF with MuPDF.
func openPDF(t testing.TB, b []byte) *fitz.Document {
	t.Helper()
	doc, err := fitz.NewFromMemory(b)
	if err != nil {
		t.Fatalf("MuPDF cannot open the PDF: %v", err)
	}
	t.Cleanup(func() { doc.Close() })
	return doc
}

// render renders page i of doc at dpi.
func render(t testing.TB, doc *fitz.Document, i int, dpi float64) *image.RGBA {
	t.Helper()
	img, err := doc.ImageDPI(i, dpi)
	if err != nil {
		t.Fatalf("render page %d at %v dpi: %v", i, dpi, err)
	}
	return img
}

// pageText extracts page i's text.
func pageText(t testing.TB, doc *fitz.Document, i int) string {
	t.Helper()
	s, err := doc.Text(i)
	if err != nil {
		t.Fatalf("text of page %d: %v", i, err)
	}
	return s
}

// metadata reads a document information entry ("title", "producer").
func metadata(doc *fitz.Document, key string) string {
	v := doc.Metadata()[key]
	if i := strings.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return v
}

// decodeQR reads the QR code in img.
func decodeQR(img image.Image) (*gozxing.Result, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return nil, err
	}
	return qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
}

// decode1D reads a one-dimensional code in img.
func decode1D(img image.Image, r gozxing.Reader) (*gozxing.Result, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return nil, err
	}
	return r.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
}

func code128Reader() gozxing.Reader { return oned.NewCode128Reader() }
func code39Reader() gozxing.Reader  { return oned.NewCode39Reader() }

// badScan makes img look like a poor scan of a cheap print: toner that is
// dark grey on light grey paper, the sheet turned by deg degrees, the
// resolution cut by scale, the scanner's optics blurring, its sensor adding
// noise, specks of dust and toner on the glass, and a rough JPEG at the end.
//
// The sensor noise is mild (σ 4 of 255) on purpose: gozxing's hybrid
// binarizer, like ZXing's, breaks up the large uniform areas of a QR code
// scanned at many pixels per module once noise passes about σ 5, whatever
// the print. A scan side that meets noisier scans should blur or downscale
// to 4 to 8 pixels per module before decoding.
func badScan(img *image.RGBA, deg, scale float64, seed uint64) image.Image {
	b := img.Bounds()
	gray := image.NewGray(b)
	draw.Draw(gray, b, img, b.Min, draw.Src)
	for i, v := range gray.Pix {
		gray.Pix[i] = uint8(60 + int(v)*(215-60)/255) // low contrast
	}
	w, h := int(float64(b.Dx())*scale), int(float64(b.Dy())*scale)
	turned := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(turned, turned.Bounds(), image.NewUniform(color.Gray{Y: 215}), image.Point{}, draw.Src)
	// Rotate about the centre and scale: the matrix maps source to
	// destination pixels.
	a := deg * math.Pi / 180
	cos, sin := math.Cos(a)*scale, math.Sin(a)*scale
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	m := f64.Aff3{
		cos, -sin, float64(w)/2 - cos*cx + sin*cy,
		sin, cos, float64(h)/2 - sin*cx - cos*cy,
	}
	draw.BiLinear.Transform(turned, m, gray, b, draw.Over, nil)
	// A 3x3 blur, then sensor noise.
	out := image.NewGray(turned.Bounds())
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for y := range h {
		for x := range w {
			sum, n := 0, 0
			for yy := max(y-1, 0); yy <= min(y+1, h-1); yy++ {
				for xx := max(x-1, 0); xx <= min(x+1, w-1); xx++ {
					sum += int(turned.Pix[yy*turned.Stride+xx])
					n++
				}
			}
			v := float64(sum)/float64(n) + rng.NormFloat64()*4
			out.Pix[y*out.Stride+x] = uint8(min(max(v, 0), 255))
		}
	}
	// Specks: one per 20,000 pixels (about a hundred on a page at 100
	// dpi), 1 to 3 pixels across, dark or light.
	for range w * h / 20000 {
		x, y, r := rng.IntN(w), rng.IntN(h), 1+rng.IntN(3)
		v := uint8(40)
		if rng.IntN(2) == 0 {
			v = 230
		}
		draw.Draw(out, image.Rect(x, y, x+r, y+r), image.NewUniform(color.Gray{Y: v}), image.Point{}, draw.Src)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 40}); err != nil {
		panic(err)
	}
	scan, err := jpeg.Decode(&buf)
	if err != nil {
		panic(err)
	}
	return scan
}

// crop returns the part of img inside r.
func crop(img image.Image, r image.Rectangle) image.Image {
	dst := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(dst, dst.Bounds(), img, r.Min, draw.Src)
	return dst
}

// pdfBytes runs a PDF maker into a buffer.
func pdfBytes(t testing.TB, make func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := make(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
