package pageread

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	fitz "github.com/gen2brain/go-fitz"

	"folio/app"
	"folio/internal/testkit"
	"folio/scan"
)

// corpus reads a file of the test corpus, testdata/corpus (see its
// MANIFEST.tsv).
func corpus(t testing.TB, rel string) []byte {
	t.Helper()
	return testkit.Corpus(t, rel)
}

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	if os.Getenv("OMP_THREAD_LIMIT") == "" {
		t.Log("OMP_THREAD_LIMIT is not set: Tesseract runs multi-threaded and slower than in the worker")
	}
	e, err := NewEngine(scan.EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// analyse opens data and analyses every page.
func analyse(t testing.TB, e *Engine, name string, data []byte) (string, []app.PageAnalysis) {
	t.Helper()
	d, err := e.Open(name, data)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	defer d.Close()
	pages := make([]app.PageAnalysis, d.Pages())
	for i := range pages {
		if pages[i], err = d.Page(i); err != nil {
			t.Fatalf("%s page %d: %v", name, i+1, err)
		}
		if pages[i].Index != i {
			t.Errorf("%s page %d: Index = %d", name, i+1, pages[i].Index)
		}
	}
	return d.Format(), pages
}

var spaces = regexp.MustCompile(`\s+`)

// norm lowercases s, straightens quotes and collapses white space, for
// comparing OCR output with expected phrases.
func norm(s string) string {
	s = strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`).Replace(strings.ToLower(s))
	return strings.TrimSpace(spaces.ReplaceAllString(s, " "))
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name, data, format string
		off                int
	}{
		{"pdf", "%PDF-1.7\n...", "pdf", 0},
		{"pdf after junk", "\r\n garbage \n%PDF-1.4\n", "pdf", 12},
		{"pdf header too far", strings.Repeat(" ", 1030) + "%PDF-1.4", "", 0},
		{"tiff le", "II*\x00\x08\x00\x00\x00", "tiff", 0},
		{"tiff be", "MM\x00*\x00\x00\x00\x08", "tiff", 0},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg", 0},
		{"png", "\x89PNG\r\n\x1a\n\x00", "png", 0},
		{"text", "Dear Dr Smith,", "", 0},
		{"gif", "GIF89a", "", 0},
	} {
		f, off := sniff([]byte(c.data))
		if f != c.format || (f != "" && off != c.off) {
			t.Errorf("%s: sniff = %q, %d; want %q, %d", c.name, f, off, c.format, c.off)
		}
	}
}

func TestFormats(t *testing.T) {
	e := newTestEngine(t)
	for file, want := range map[string]string{
		"scans/ocrmypdf__linn.pdf":                     "pdf",
		"scans/paperless__multi-page-images.tiff":      "tiff",
		"scans/paperless__simple.jpg":                  "jpeg",
		"scans/paperless__simple.png":                  "png",
		"ocr-gt/tesseract-test__phototestrot.tif":      "tiff",
		"barcodes/paperless__patch-code-t-qr.pdf":      "pdf",
		"scans/paperless__multi-page-mixed.pdf":        "pdf",
		"scans/paperless__multi-page-images.pdf":       "pdf",
		"robustness/paperless__with-form.pdf":          "pdf",
		"barcodes/paperless__patch-code-t-middle.tiff": "tiff",
	} {
		// A misleading name must not matter.
		d, err := e.Open("upload.bin", corpus(t, file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if d.Format() != want {
			t.Errorf("%s: Format = %q, want %q", file, d.Format(), want)
		}
		d.Close()
	}
}

func TestOCR(t *testing.T) {
	e := newTestEngine(t)
	for _, c := range []struct {
		file string
		// want[i] are phrases page i's text must contain (after norm).
		want     [][]string
		rotation []int // expected Rotation per page, when checked
	}{
		{file: "ocr-gt/tesseract-test__phototest.tif", want: [][]string{{"this is a lot of 12 point text"}}},
		{file: "ocr-gt/tesseract-test__phototestrot.tif", want: [][]string{{"this is a lot of 12 point text"}}, rotation: []int{90}},
		{file: "scans/paperless__simple.png", want: [][]string{{"this is a test document"}}},
		{file: "scans/paperless__simple.jpg", want: [][]string{{"this is a test document"}}},
		{file: "scans/paperless__multi-page-images.tiff", want: [][]string{{"page 1"}, {"page 2"}, {"page 3"}}},
		{file: "scans/paperless__multi-page-images-alpha.tiff", want: [][]string{{"page 1"}, {"page 2"}, {"page 3"}}},
		{file: "scans/ocrmypdf__linn.pdf", want: [][]string{{"the linnsequencer", "each of the 100 sequences contains 32 simultaneous, polyphonic tracks"}}},
		{file: "scans/ocrmypdf__linn.png", want: [][]string{{"the linnsequencer"}}},
		{file: "scans/ocrmypdf__ccitt.pdf", want: [][]string{{"the linnsequencer"}}},
		{file: "scans/ocrmypdf__c02-22.pdf", want: [][]string{{"went tip-toeing along a path amongst", "the branches wouldn't scrape our heads"}}},
		{
			file:     "scans/ocrmypdf__cardinal.pdf",
			want:     [][]string{{"linnsequencer"}, {"linnsequencer"}, {"linnsequencer"}, {"linnsequencer"}},
			rotation: []int{0, 270, 180, 90},
		},
		{
			file: "scans/paperless__rotated.pdf",
			want: [][]string{
				{"this is the text that appears on the first page. it's a lot of text."},
				{"even if the pages are rotated"},
				{"this is a really weird file with lots of nonsense text."},
				{"if you read this, it's your own fault."},
			},
			rotation: []int{270, 180, 90, 0},
		},
	} {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			_, pages := analyse(t, e, c.file, corpus(t, c.file))
			if len(pages) != len(c.want) {
				t.Fatalf("%d pages, want %d", len(pages), len(c.want))
			}
			for i, p := range pages {
				got := norm(p.Text)
				for _, w := range c.want[i] {
					if !strings.Contains(got, w) {
						t.Errorf("page %d: text lacks %q:\n%s", i+1, w, p.Text)
					}
				}
				if c.rotation != nil && p.Rotation != c.rotation[i] {
					t.Errorf("page %d: Rotation = %d, want %d", i+1, p.Rotation, c.rotation[i])
				}
				if p.TextSource != "ocr" || p.Confidence < 50 || p.Confidence > 100 || p.Blank {
					t.Errorf("page %d: TextSource %q, Confidence %.1f, Blank %v", i+1, p.TextSource, p.Confidence, p.Blank)
				}
				checkImages(t, i, p)
				if len(p.Words) == 0 {
					t.Errorf("page %d: no words", i+1)
				}
				for _, w := range p.Words {
					if w.Text == "" || w.X < 0 || w.Y < 0 || w.W <= 0 || w.H <= 0 || w.X+w.W > p.Width || w.Y+w.H > p.Height {
						t.Fatalf("page %d: word %+v outside the %d×%d view", i+1, w, p.Width, p.Height)
					}
				}
			}
		})
	}
}

// checkImages checks that View and Thumbnail are JPEGs of the right sizes.
func checkImages(t *testing.T, i int, p app.PageAnalysis) {
	t.Helper()
	vc, format, err := image.DecodeConfig(bytes.NewReader(p.View))
	if err != nil || format != "jpeg" || vc.Width != p.Width || vc.Height != p.Height {
		t.Errorf("page %d: view %s %d×%d (%v), want jpeg %d×%d", i+1, format, vc.Width, vc.Height, err, p.Width, p.Height)
	}
	tc, format, err := image.DecodeConfig(bytes.NewReader(p.Thumbnail))
	if err != nil || format != "jpeg" || tc.Width != min(200, p.Width) {
		t.Errorf("page %d: thumbnail %s %d×%d (%v), want jpeg 200 wide", i+1, format, tc.Width, tc.Height, err)
	}
	// The thumbnail has the view's shape, so it is upright too.
	if d := float64(tc.Height)/float64(tc.Width) - float64(p.Height)/float64(p.Width); d > 0.02 || d < -0.02 {
		t.Errorf("page %d: thumbnail %d×%d and view %d×%d differ in shape", i+1, tc.Width, tc.Height, p.Width, p.Height)
	}
}

func TestViewIsUpright(t *testing.T) {
	e := newTestEngine(t)
	_, pages := analyse(t, e, "cardinal.pdf", corpus(t, "scans/ocrmypdf__cardinal.pdf"))
	for i, p := range pages {
		// The linn page is portrait; upright views of all four are too.
		if p.Height <= p.Width {
			t.Errorf("page %d: view %d×%d is not portrait", i+1, p.Width, p.Height)
		}
		// The heading "The LinnSequencer" is the first word's line at the top.
		if len(p.Words) == 0 || p.Words[0].Y > p.Height/4 {
			t.Errorf("page %d: first word %+v is not near the top", i+1, p.Words[:min(1, len(p.Words))])
		}
	}
}

func TestTextLayer(t *testing.T) {
	e := newTestEngine(t)
	for _, c := range []struct {
		file string
		page int
		want string
	}{
		{"scans/paperless__single-page-mixed.pdf", 0, "this is some normal text, present on page 1 of the document."},
		{"robustness/paperless__signed.pdf", 0, "this is a digitally signed pdf, created with acrobat pro"},
		{"robustness/paperless__with-form.pdf", 0, "this is a pdf document with a form."},
	} {
		d, err := e.Open(c.file, corpus(t, c.file))
		if err != nil {
			t.Fatal(err)
		}
		p, err := d.Page(c.page)
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if p.TextSource != "layer" || p.Confidence != 100 || len(p.Words) != 0 || p.Rotation != 0 || p.Blank {
			t.Errorf("%s: TextSource %q Confidence %v Words %d Rotation %d Blank %v", c.file, p.TextSource, p.Confidence, len(p.Words), p.Rotation, p.Blank)
		}
		if !strings.Contains(norm(p.Text), c.want) {
			t.Errorf("%s: text lacks %q:\n%s", c.file, c.want, p.Text)
		}
		checkImages(t, c.page, p)
	}

	// Six pages, some with a layer and some scanned, in order.
	_, pages := analyse(t, e, "mixed", corpus(t, "scans/paperless__multi-page-mixed.pdf"))
	sources := map[string]int{}
	for i, p := range pages {
		sources[p.TextSource]++
		if want := fmt.Sprintf("page %d", i+1); !strings.Contains(norm(p.Text), want) {
			t.Errorf("multi-page-mixed page %d (%s): text lacks %q:\n%s", i+1, p.TextSource, want, p.Text)
		}
	}
	if sources["layer"] == 0 || sources["ocr"] == 0 {
		t.Errorf("multi-page-mixed: text sources %v, want both layer and ocr", sources)
	}
}

// Barcodes expected per page (1-based) of the corpus barcode files, from
// MANIFEST.tsv; every other page must have none.
var corpusBarcodes = []struct {
	file  string
	pages map[int][]app.Barcode
}{
	{"paperless__barcode-128-asn-too-large.pdf", map[int][]app.Barcode{1: {bc("CODE_128", "ASN4294967296")}}},
	{"paperless__barcode-128-custom.pdf", map[int][]app.Barcode{1: {bc("CODE_128", "CUSTOM BARCODE")}}},
	{"paperless__barcode-39-asn-123.pdf", map[int][]app.Barcode{1: {bc("CODE_39", "ASN00123")}}},
	{"paperless__barcode-39-asn-custom-prefix.pdf", map[int][]app.Barcode{1: {bc("CODE_39", "CUSTOM-PREFIX-00123")}}},
	{"paperless__barcode-39-asn-invalid.pdf", map[int][]app.Barcode{1: {bc("CODE_39", "ASNXYZXYZ")}}},
	{"paperless__barcode-39-custom.pdf", map[int][]app.Barcode{1: {bc("CODE_39", "CUSTOM BARCODE")}}},
	{"paperless__barcode-fax-image.pdf", map[int][]app.Barcode{2: {bc("CODE_39", "PATCHT")}}},
	{"paperless__barcode-qr-custom.pdf", map[int][]app.Barcode{1: {bc("QR_CODE", "CUSTOM BARCODE")}}},
	{"paperless__many-qr-codes.pdf", map[int][]app.Barcode{2: {bc("QR_CODE", "ADAR-NEXTDOC")}}},
	{"paperless__patch-code-t-double.pdf", map[int][]app.Barcode{2: {bc("CODE_39", "PATCHT")}, 3: {bc("CODE_39", "PATCHT")}}},
	{"paperless__patch-code-t-middle-alpha.tiff", map[int][]app.Barcode{2: {bc("CODE_39", "PATCHT")}}},
	{"paperless__patch-code-t-middle-fuzzy.pdf", map[int][]app.Barcode{2: {bc("CODE_39", "PATCHT")}}},
	{"paperless__patch-code-t-middle-reverse.pdf", map[int][]app.Barcode{2: {bc("CODE_39", "PATCHT")}}},
	{"paperless__patch-code-t-middle-unreadable.pdf", nil},
	{"paperless__patch-code-t-middle.pdf", map[int][]app.Barcode{2: {bc("CODE_39", "PATCHT")}}},
	{"paperless__patch-code-t-middle.tiff", map[int][]app.Barcode{2: {bc("CODE_39", "PATCHT")}}},
	{"paperless__patch-code-t-qr.pdf", map[int][]app.Barcode{1: {bc("QR_CODE", "PATCHT")}}},
	{"paperless__patch-code-t.pdf", map[int][]app.Barcode{1: {bc("CODE_39", "PATCHT")}}},
	{"paperless__several-patcht-codes.pdf", map[int][]app.Barcode{3: {bc("CODE_39", "PATCHT")}, 6: {bc("CODE_39", "PATCHT")}}},
	{"paperless__split-by-asn-1.pdf", map[int][]app.Barcode{
		1: {bc("CODE_39", "ASN00123")}, 3: {bc("CODE_39", "ASN00124")}, 4: {bc("CODE_39", "ASN00125")},
		7: {bc("CODE_39", "ASN00126")}, 9: {bc("CODE_39", "ASN00127")},
	}},
	{"paperless__split-by-tag-basic.pdf", map[int][]app.Barcode{2: {bc("QR_CODE", "TAG:invoice")}, 4: {bc("QR_CODE", "TAG:receipt")}}},
	{"paperless__split-by-tag-mixed-asn.pdf", map[int][]app.Barcode{
		1: {bc("QR_CODE", "ASN12345")}, 3: {bc("QR_CODE", "TAG:personal")},
		5: {bc("QR_CODE", "ASN13456")}, 7: {bc("QR_CODE", "TAG:business")},
	}},
	{"paperless__split-by-tag-multiple-per-page.pdf", map[int][]app.Barcode{
		2: {bc("QR_CODE", "TAG:expense"), bc("QR_CODE", "TAG:invoice")}, 4: {bc("QR_CODE", "TAG:receipt")},
	}},
}

func bc(format, value string) app.Barcode { return app.Barcode{Format: format, Value: value} }

func TestCorpusBarcodes(t *testing.T) {
	e := newTestEngine(t)
	// Every barcode file in the manifest is in the table.
	manifest := string(corpus(t, "MANIFEST.tsv"))
	for _, line := range strings.Split(manifest, "\n") {
		if f, ok := strings.CutPrefix(strings.Split(line, "\t")[0], "barcodes/"); ok {
			found := false
			for _, c := range corpusBarcodes {
				found = found || c.file == f
			}
			if !found {
				t.Errorf("MANIFEST barcode file %s is not tested", f)
			}
		}
	}
	for _, c := range corpusBarcodes {
		t.Run(c.file, func(t *testing.T) {
			_, pages := analyse(t, e, c.file, corpus(t, "barcodes/"+c.file))
			for i, p := range pages {
				got := map[app.Barcode]bool{}
				for _, b := range p.Barcodes {
					// Every code is boxed on the upright viewing image.
					if b.W <= 0 || b.H <= 0 || b.X < 0 || b.Y < 0 || b.X+b.W > p.Width || b.Y+b.H > p.Height {
						t.Errorf("page %d: %s %q boxed at %d,%d %d×%d on a %d×%d page", i+1, b.Format, b.Value, b.X, b.Y, b.W, b.H, p.Width, p.Height)
					}
					key := bc(b.Format, b.Value)
					if got[key] {
						t.Errorf("page %d: %v twice", i+1, key)
					}
					got[key] = true
				}
				want := c.pages[i+1]
				if len(got) != len(want) {
					t.Errorf("page %d: barcodes %v, want %v", i+1, p.Barcodes, want)
					continue
				}
				for _, w := range want {
					if !got[w] {
						t.Errorf("page %d: barcodes %v, want %v", i+1, p.Barcodes, want)
					}
				}
				if len(want) > 0 && p.Blank {
					t.Errorf("page %d: a page with a barcode is blank", i+1)
				}
			}
			for n := range c.pages {
				if n > len(pages) {
					t.Errorf("no page %d", n)
				}
			}
		})
	}
}

// minimalPDF builds a one-page PDF with a correct xref table. objects are
// the page's extra objects, numbered from 5, and resources its /Resources
// dictionary.
func minimalPDF(mediaBox, resources, content string, objects ...string) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [%s] /Resources %s /Contents 4 0 R >>", mediaBox, resources))
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content)+1, content))
	for _, o := range objects {
		obj(o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

// textLinePNG draws one short line of 12 pt Helvetica on a white letter
// page with MuPDF and returns it as a PNG: a scan with no text layer.
func textLinePNG(t testing.TB, line string) []byte {
	t.Helper()
	pdf := minimalPDF("0 0 612 792", "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
		fmt.Sprintf("BT /F1 12 Tf 72 600 Td (%s) Tj ET", line))
	return renderPNG(t, pdf, 150)
}

// fitzPage draws page n of the document data at dpi with go-fitz, MuPDF
// as Folio used it before its own renderer.
func fitzPage(t testing.TB, data []byte, n int, dpi float64) *image.RGBA {
	t.Helper()
	fz, err := fitz.NewFromMemory(data)
	if err != nil {
		t.Fatal(err)
	}
	defer fz.Close()
	m, err := fz.ImageDPI(n, dpi)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func renderPNG(t testing.TB, pdf []byte, dpi float64) []byte {
	t.Helper()
	m := fitzPage(t, pdf, 0, dpi)
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBlankPages(t *testing.T) {
	e := newTestEngine(t)
	white := renderPNG(t, minimalPDF("0 0 612 792", "<< >>", ""), 150)
	oneLine := textLinePNG(t, "Seen today, no change.")

	// Through the engine: a white scan is blank and skips OCR; a scan with
	// one short line is not.
	_, pages := analyse(t, e, "white.png", white)
	if p := pages[0]; !p.Blank || p.TextSource != "" || p.Text != "" || len(p.Words) != 0 {
		t.Errorf("white page: Blank %v, TextSource %q, Text %q", p.Blank, p.TextSource, p.Text)
	}
	_, pages = analyse(t, e, "line.png", oneLine)
	if p := pages[0]; p.Blank || !strings.Contains(norm(p.Text), "seen today") {
		t.Errorf("one-line page: Blank %v, Text %q", p.Blank, p.Text)
	}

	// Directly, with scanner noise: specks of 1 to 3 pixels all over a
	// white page at 150 dpi, plus a dark edge in the margin band.
	specks := newBlankGray(1275, 1650)
	seed := uint32(1)
	rnd := func(n int) int { seed = seed*1664525 + 1013904223; return int(seed>>8) % n }
	for range 400 {
		x, y, s := rnd(1270), rnd(1645), 1+rnd(3)
		for dy := range s {
			for dx := range s {
				specks.pix[(y+dy)*specks.w+x+dx] = byte(rnd(100))
			}
		}
	}
	for y := range specks.h {
		for x := range 30 {
			specks.pix[y*specks.w+x] = 20
		}
	}
	if !isBlank(specks, 150) {
		t.Error("white page with specks and a dark edge is not blank")
	}
	line := decodeGray(t, oneLine)
	if isBlank(line, 150) {
		t.Error("page with one short line is blank")
	}
	if isBlank(decodeGray(t, textLinePNG(t, "OK")), 150) {
		t.Error("page with one word is blank")
	}

	// A real scan is not blank.
	m := fitzPage(t, corpus(t, "scans/paperless__simple.png"), 0, 72)
	g, _ := grayOf(m)
	if isBlank(g, 72) {
		t.Error("paperless simple.png is blank")
	}
}

// A page in pale print — too faint for the blank check's ink, as a faded
// copy is — is read, and its real words make it content: not blank, its
// text and word boxes kept. The print of a sheet's back showing through
// (testdata/made/bleed-through.png: a real page mirrored, blurred and
// pale) is read too, but reads as no real words: it stays blank, left out
// with the little text read on it. A white page is not read at all
// (TestBlankPages).
func TestFaintPages(t *testing.T) {
	e := newTestEngine(t)
	m := fitzPage(t, corpus(t, "ocr-gt/tesseract-test__phototest.tif"), 0, 150)
	g, _ := grayOf(toRGBA(m))
	for i, v := range g.pix {
		g.pix[i] = 255 - byte(int(255-v)*35/100) // black prints as gray 166
	}
	if !isBlank(g, 150) || !hasFaintMarks(g, 150) {
		t.Fatalf("the pale page: isBlank %v, hasFaintMarks %v; the test needs print paler than darkLevel %d, darker than faintLevel %d",
			isBlank(g, 150), hasFaintMarks(g, 150), darkLevel, faintLevel)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g.image()); err != nil {
		t.Fatal(err)
	}
	_, pages := analyse(t, e, "faint.png", buf.Bytes())
	if p := pages[0]; p.Blank || !strings.Contains(norm(p.Text), "quick brown dog jumped") || p.TextSource != "ocr" || len(p.Words) < 10 {
		t.Errorf("pale page: Blank %v, TextSource %q, %d words, Text %q", p.Blank, p.TextSource, len(p.Words), p.Text)
	}

	bleed, err := os.ReadFile("../../testdata/made/bleed-through.png")
	if err != nil {
		t.Fatal(err)
	}
	_, pages = analyse(t, e, "bleed-through.png", bleed)
	if p := pages[0]; !p.Blank || p.TextSource != "ocr" || len(p.Words) == 0 {
		t.Errorf("bleed-through page: Blank %v, TextSource %q, %d words (want blank, read), Text %q", p.Blank, p.TextSource, len(p.Words), p.Text)
	}
}

func TestRealWords(t *testing.T) {
	words := func(ws ...string) []app.Word {
		out := make([]app.Word, len(ws))
		for i, w := range ws {
			out[i].Text = w
		}
		return out
	}
	for _, c := range []struct {
		name string
		r    ocrResult
		want bool
	}{
		{"one sure line", ocrResult{sure: 3, words: words("This", "is", "a", "test", "document.")}, true},
		{"two sure words", ocrResult{sure: 2, words: words("test", "document")}, false},
		{"sure words among noise", ocrResult{sure: 9, words: words(strings.Split(strings.Repeat("x ", 66), " ")[:66]...)}, false},
		{"nothing", ocrResult{}, false},
	} {
		if got := hasRealWords(c.r); got != c.want {
			t.Errorf("%s: hasRealWords = %v, want %v", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		w    string
		conf float64
		want bool
	}{
		{"document.", 90, true}, {"(quick)", 90, true}, {"didn’t", 90, true}, {"tip-toed", 90, true},
		{"2026", 90, true}, {"deed", 69, false}, {"is", 95, false}, {"8T.d2+,£42", 90, false}, {"—", 90, false},
	} {
		if got := isSureWord(c.w, c.conf); got != c.want {
			t.Errorf("isSureWord(%q, %v) = %v, want %v", c.w, c.conf, got, c.want)
		}
	}
}

func decodeGray(t testing.TB, pngData []byte) *grayImage {
	t.Helper()
	m, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := grayOf(toRGBA(m))
	return g
}

func TestEngineOptions(t *testing.T) {
	e, err := NewEngine(scan.EngineOptions{Languages: []string{"xx-no-such-language"}})
	if err == nil {
		e.Close()
		t.Fatal("NewEngine with a missing language succeeded")
	}
	o := scan.EngineOptions{}.WithDefaults()
	if o.ViewDPI != 150 || o.OCRDPI != 300 || o.ThumbWidth != 200 || o.MaxPages != 2000 || o.MaxPixels != 60e6 || len(o.Languages) != 1 {
		t.Errorf("defaults: %+v", o)
	}
}

func TestMaxPages(t *testing.T) {
	e, err := NewEngine(scan.EngineOptions{MaxPages: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.Open("three.pdf", corpus(t, "scans/paperless__multi-page-images.pdf"))
	if !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), "has 3 pages") {
		t.Errorf("Open of a 3-page file with MaxPages 2: %v", err)
	}
}

func TestLowerResolutionForLargePages(t *testing.T) {
	// A0 (2384 × 3370 pt) is 140e6 pixels at 300 dpi: rendered lower.
	e, err := NewEngine(scan.EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	pdf := minimalPDF("0 0 2384 3370", "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
		"BT /F1 120 Tf 200 3000 Td (A large drawing sheet of the ward plan) Tj ET")
	d, err := e.Open("a0.pdf", pdf)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.Page(0)
	if err != nil {
		t.Fatal(err)
	}
	if p.TextSource != "layer" || p.Width < 4960 || p.Width > 4970 || p.Height < 7015 || p.Height > 7025 {
		t.Errorf("A0 page: %s, view %d×%d, want layer at 150 dpi (4967×7021)", p.TextSource, p.Width, p.Height)
	}
}
