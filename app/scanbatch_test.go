package app_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	fitz "github.com/gen2brain/go-fitz"
	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"

	"folio/internal/testkit"
	"folio/printout"
)

// This file makes scanned batches for the import tests the way a clinic
// makes them: Folio's cover sheets are printed (rendered by MuPDF), then
// "scanned" with noise and a slight skew, and stacked with real scanned
// pages from the corpus into one image-only PDF, as a scanner writes it.

// corpus is the test corpus's folder, for the tools the benchmarks run on
// its files.
const corpus = "../testdata/corpus"

func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	return testkit.Corpus(t, name)
}

// renderPages renders every page of a PDF (or image) at dpi with MuPDF.
func renderPages(t testing.TB, data []byte, dpi float64) []image.Image {
	t.Helper()
	doc, err := fitz.NewFromMemory(data)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	var out []image.Image
	for i := range doc.NumPage() {
		img, err := doc.ImageDPI(i, dpi)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, img)
	}
	return out
}

// scanned is what a cheap scanner does to a printed page: a small skew and
// speckle noise, in greyscale.
func scanned(src image.Image, degrees float64, seed uint64) image.Image {
	b := src.Bounds()
	dst := image.NewGray(b)
	draw.Draw(dst, b, image.White, image.Point{}, draw.Src)
	rad := degrees * math.Pi / 180
	cos, sin := math.Cos(rad), math.Sin(rad)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	m := f64.Aff3{cos, -sin, cx - cos*cx + sin*cy, sin, cos, cy - sin*cx - cos*cy}
	draw.BiLinear.Transform(dst, m, src, b, draw.Over, nil)
	r := rand.New(rand.NewPCG(seed, 7))
	for range b.Dx() * b.Dy() / 200 {
		x, y := b.Min.X+r.IntN(b.Dx()), b.Min.Y+r.IntN(b.Dy())
		dst.SetGray(x, y, color.Gray{Y: uint8(r.IntN(256))})
	}
	return dst
}

// scanBatch stacks page images into one image-only PDF at dpi.
func scanBatch(t testing.TB, dpi int, pages ...image.Image) []byte {
	t.Helper()
	var pp []printout.Page
	for _, img := range pages {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		pp = append(pp, printout.Page{JPEG: buf.Bytes(), WidthPx: img.Bounds().Dx(), HeightPx: img.Bounds().Dy(), DPI: dpi})
	}
	var out bytes.Buffer
	if err := printout.SearchablePDF(&out, "scanner output", pp); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// coverPage prints a Folio cover sheet and scans it back at dpi.
func coverPage(t testing.TB, info printout.CoverInfo, dpi float64, skew float64) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := printout.CoverSheetPDF(&buf, info); err != nil {
		t.Fatal(err)
	}
	return scanned(renderPages(t, buf.Bytes(), dpi)[0], skew, 1)
}
