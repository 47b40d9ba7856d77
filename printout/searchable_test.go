package printout

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"folio/app"
)

// scanJPEG makes a page image w×h pixels: white paper, a red block in the
// top left quarter, a black bar across the middle and a grey gradient
// down the right edge.
func scanJPEG(t testing.TB, w, h int, gray bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(w/16, h/16, w/4, h/4), image.NewUniform(color.RGBA{200, 20, 20, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(w/8, h/2, w*7/8, h/2+h/40), image.Black, image.Point{}, draw.Src)
	for y := range h {
		v := uint8(255 - 200*y/h)
		draw.Draw(img, image.Rect(w*15/16, y, w, y+1), image.NewUniform(color.Gray{Y: v}), image.Point{}, draw.Src)
	}
	var src image.Image = img
	if gray {
		g := image.NewGray(img.Bounds())
		draw.Draw(g, g.Bounds(), img, image.Point{}, draw.Src)
		src = g
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, src, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wordsAt lays words out left to right on a line at y, h pixels high,
// 20 pixels per character.
func wordsAt(x, y, h int, words ...string) []app.Word {
	var out []app.Word
	for _, s := range words {
		w := 20 * len([]rune(s))
		out = append(out, app.Word{Text: s, X: x, Y: y, W: w, H: h})
		x += w + 25
	}
	return out
}

func samplePages(t testing.TB) []Page {
	words := append(wordsAt(150, 1100, 40, "Patient:", "Nyirongo,", "Thérèse"),
		wordsAt(150, 1160, 40, "Haemoglobin", "12.5", "g/dL", "Ωmega", "血液検査")...)
	return []Page{
		{JPEG: scanJPEG(t, 1240, 1754, false), WidthPx: 1240, HeightPx: 1754, DPI: 150, Words: words},
		{JPEG: scanJPEG(t, 1100, 850, true), WidthPx: 1100, HeightPx: 850, DPI: 100,
			Text: "Discharge summary\nSeen by Dr Łukasz Ødegård at Kabwe\n\nFollow up in two weeks"},
		{JPEG: scanJPEG(t, 600, 800, false), DPI: 72,
			Text: "Odd text: emoji 😀, a lone \xff byte, a tab\there, and a bell\a."},
	}
}

var mediaBox = regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`)

func TestSearchablePDF(t *testing.T) {
	pages := samplePages(t)
	const title = "lab-result KAB-000123-P — Thérèse"
	b := pdfBytes(t, func(b *bytes.Buffer) error { return SearchablePDF(b, title, pages) })
	t.Logf("searchable PDF, %d pages: %d bytes", len(pages), len(b))
	doc := openPDF(t, b)
	if doc.NumPage() != len(pages) {
		t.Fatalf("%d pages, want %d", doc.NumPage(), len(pages))
	}
	if got := metadata(doc, "title"); got != title {
		t.Errorf("title = %q, want %q", got, title)
	}
	if got := metadata(doc, "producer"); got != "Folio" {
		t.Errorf("producer = %q", got)
	}

	// Page sizes, in points: px*72/DPI.
	wantSize := [][2]float64{{595.2, 841.92}, {792, 612}, {600, 800}}
	for i, want := range wantSize {
		r, err := doc.Bound(i)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(float64(r.Dx())-want[0]) > 1 || math.Abs(float64(r.Dy())-want[1]) > 1 {
			t.Errorf("page %d is %v points, want %v", i+1, r.Size(), want)
		}
	}
	found := map[[2]float64]bool{}
	for _, m := range mediaBox.FindAllStringSubmatch(string(b), -1) {
		w, _ := strconv.ParseFloat(m[1], 64)
		h, _ := strconv.ParseFloat(m[2], 64)
		found[[2]float64{w, h}] = true
	}
	for _, want := range wantSize {
		if !found[want] {
			t.Errorf("no page with MediaBox %v; have %v", want, found)
		}
	}

	// Every JPEG is in the file byte for byte: embedded, not re-encoded.
	for i, p := range pages {
		if !bytes.Contains(b, p.JPEG) {
			t.Errorf("page %d's JPEG is not embedded as it is", i+1)
		}
	}

	// The invisible text is there to search and copy.
	wantText := [][]string{
		{"Patient: Nyirongo, Thérèse", "Haemoglobin 12.5 g/dL", "Ωmega", "血液検査"},
		{"Discharge summary", "Seen by Dr Łukasz Ødegård at Kabwe", "Follow up in two weeks"},
		{"Odd text: emoji", "byte, a tab here, and a bell"},
	}
	for i, want := range wantText {
		text := pageText(t, doc, i)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("page %d text lacks %q:\n%s", i+1, w, text)
			}
		}
	}

	// The rendered page looks like the scan, and the text does not show.
	src, err := jpeg.Decode(bytes.NewReader(pages[0].JPEG))
	if err != nil {
		t.Fatal(err)
	}
	img := render(t, doc, 0, 150)
	if img.Bounds().Size() != src.Bounds().Size() {
		t.Fatalf("rendered at 150 dpi: %v pixels, want %v", img.Bounds().Size(), src.Bounds().Size())
	}
	for _, p := range []image.Point{
		{1240 / 8, 1754 / 8},      // red block
		{620, 1754/2 + 10},        // black bar
		{1200, 100}, {1200, 1700}, // grey gradient
		{30, 30},                 // white paper
		{160, 1115}, {400, 1180}, // under invisible words
	} {
		got, want := img.RGBAAt(p.X, p.Y), color.RGBAModel.Convert(src.At(p.X, p.Y)).(color.RGBA)
		if d := max(diff(got.R, want.R), diff(got.G, want.G), diff(got.B, want.B)); d > 24 {
			t.Errorf("pixel %v = %v, the scan has %v", p, got, want)
		}
	}
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestSearchableWordsAtTheirBoxes checks that MuPDF finds each word where
// its box is: the text layer lines up with the image, so a search hit is
// highlighted over the word.
func TestSearchableWordsAtTheirBoxes(t *testing.T) {
	p := samplePages(t)[0]
	b := pdfBytes(t, func(b *bytes.Buffer) error { return SearchablePDF(b, "t", []Page{p}) })
	html, err := openPDF(t, b).HTML(0, false)
	if err != nil {
		t.Fatal(err)
	}
	// MuPDF's HTML places each line as <p style="top:Ypt;left:Xpt;...">.
	re := regexp.MustCompile(`top:([0-9.]+)pt;left:([0-9.]+)pt[^>]*>(.*?)</p>`)
	lines := re.FindAllStringSubmatch(html, -1)
	if len(lines) < 2 {
		t.Fatalf("no lines found in MuPDF's HTML:\n%s", html)
	}
	scale := 72.0 / float64(p.DPI)
	for _, w := range []app.Word{p.Words[0], p.Words[3]} { // first on each line
		ok := false
		for _, l := range lines {
			top, _ := strconv.ParseFloat(l[1], 64)
			left, _ := strconv.ParseFloat(l[2], 64)
			if strings.Contains(l[3], w.Text) &&
				math.Abs(left-float64(w.X)*scale) < 3 && math.Abs(top-float64(w.Y)*scale) < float64(w.H)*scale {
				ok = true
			}
		}
		if !ok {
			t.Errorf("word %q not found at its box (%d,%d) = (%.1f,%.1f) pt in:\n%s", w.Text, w.X, w.Y, float64(w.X)*scale, float64(w.Y)*scale, html)
		}
	}
}

// An OCR'd page's text may hold more than its words: a sticky note's or a
// form field's text from the scanned PDF. The text layer carries those
// lines as well, and the words' own lines once.
func TestSearchableTextBeyondWords(t *testing.T) {
	p := samplePages(t)[0]
	p.Text = "Patient: Nyirongo, Thérèse\nHaemoglobin 12.5 g/dL Ωmega 血液検査\nLisinopril stopped\nPatient: Banda"
	b := pdfBytes(t, func(b *bytes.Buffer) error { return SearchablePDF(b, "t", []Page{p}) })
	text := pageText(t, openPDF(t, b), 0)
	for _, want := range []string{"Lisinopril stopped", "Patient: Banda", "Haemoglobin 12.5 g/dL"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "Haemoglobin"); n != 1 {
		t.Errorf("Haemoglobin written %d times, want once:\n%s", n, text)
	}
	if n := strings.Count(text, "Patient:"); n != 2 {
		t.Errorf("Patient: written %d times, want twice (the words, the note):\n%s", n, text)
	}
}

func TestSearchablePDFRefusesBadInput(t *testing.T) {
	good := samplePages(t)[:1]
	cases := []struct {
		name  string
		pages []Page
		want  string
	}{
		{"no pages", nil, "at least one page"},
		{"not a JPEG", append(append([]Page{}, good...), Page{JPEG: []byte("\x89PNG\r\n\x1a\nnot a jpeg"), WidthPx: 10, HeightPx: 10, DPI: 150}), "page 2"},
		{"empty image", []Page{{DPI: 150}}, "page 1"},
		{"no DPI", []Page{{JPEG: good[0].JPEG, WidthPx: 1240, HeightPx: 1754}}, "page 1"},
		{"negative size", []Page{{JPEG: good[0].JPEG, WidthPx: -5, HeightPx: 1754, DPI: 150}}, "page 1"},
		{"too big", []Page{{JPEG: good[0].JPEG, WidthPx: 1240000, HeightPx: 1754, DPI: 150}}, "page 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := SearchablePDF(&b, "t", tc.pages)
			if !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid naming %q", err, tc.want)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes", b.Len())
			}
		})
	}
}

// FuzzSearchableText feeds arbitrary text, as words and as page text, and
// requires a PDF that MuPDF opens, or an error, never a panic.
func FuzzSearchableText(f *testing.F) {
	for _, s := range []string{"", "Thérèse", "😀\xff\x00", "\xe0", "a\nb\n\n\nc", "血液", strings.Repeat("x", 500)} {
		f.Add(s, int16(10), int16(20))
	}
	jpg := scanJPEG(f, 120, 160, true)
	f.Fuzz(func(t *testing.T, s string, w, h int16) {
		pages := []Page{
			{JPEG: jpg, DPI: 72, Text: s},
			{JPEG: jpg, DPI: 72, Words: []app.Word{{Text: s, X: 5, Y: 5, W: int(w), H: int(h)}, {Text: s}}},
		}
		var b bytes.Buffer
		if err := SearchablePDF(&b, s, pages); err != nil {
			t.Fatalf("SearchablePDF: %v", err)
		}
		if openPDF(t, b.Bytes()).NumPage() != 2 {
			t.Fatal("wrong page count")
		}
	})
}

func BenchmarkSearchablePDF20Pages(b *testing.B) {
	var words []app.Word
	for line := range 40 {
		words = append(words, wordsAt(100, 100+line*40, 30, strings.Fields(
			fmt.Sprintf("line %d of the report: Haemoglobin 12.5 g/dL Thérèse Nyirongo reviewed", line))...)...)
	}
	// Twenty different JPEGs: fpdf stores identical images once.
	pages := make([]Page, 20)
	for i := range pages {
		pages[i] = Page{JPEG: scanJPEG(b, 1240+i, 1754, false), WidthPx: 1240 + i, HeightPx: 1754, DPI: 150, Words: words}
	}
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := SearchablePDF(&out, "bench", pages); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out.Len()), "bytes/pdf")
}
