package pageread

import (
	"bytes"
	"compress/zlib"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"strings"
	"testing"

	fitz "github.com/gen2brain/go-fitz"
)

// annotatedFixture is the copy of annotatedPDF the command-line scripts
// import.
const annotatedFixture = "../../testdata/made/annotated-pages.pdf"

var updateFixture = flag.Bool("update-annotated", false, "rewrite "+annotatedFixture+" from annotatedPDF")

// pdfWriter builds a PDF object by object, with a correct xref table.
type pdfWriter struct {
	b    bytes.Buffer
	offs []int
}

// reserve numbers an object to be written later with put.
func (w *pdfWriter) reserve() int {
	w.offs = append(w.offs, -1)
	return len(w.offs)
}

func (w *pdfWriter) put(n int, body string) {
	if w.b.Len() == 0 {
		w.b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	}
	w.offs[n-1] = w.b.Len()
	fmt.Fprintf(&w.b, "%d 0 obj\n%s\nendobj\n", n, body)
}

func (w *pdfWriter) add(body string) int {
	n := w.reserve()
	w.put(n, body)
	return n
}

func (w *pdfWriter) stream(dict, data string) int {
	return w.add(fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data))
}

func (w *pdfWriter) finish(root int) []byte {
	xref := w.b.Len()
	fmt.Fprintf(&w.b, "xref\n0 %d\n0000000000 65535 f \n", len(w.offs)+1)
	for _, o := range w.offs {
		fmt.Fprintf(&w.b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&w.b, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.offs)+1, root, xref)
	return w.b.Bytes()
}

// annotatedPage is one page of annotatedPDF and what a person sees on it.
type annotatedPage struct {
	words []string     // words the page's text must hold
	marks [][4]float64 // rectangles (PDF points, origin bottom left) drawn on
}

// annotatedPages describes annotatedPDF's pages (letter size).
var annotatedPages = []annotatedPage{
	// A typed letter with a sticky note: the note's text is never drawn.
	{words: []string{"clinic letter", "ferritin recheck on thursday"}},
	// Nothing but a FreeText comment and an "Approved" stamp.
	{words: []string{"zanzibar clinic review", "approved by dr mwale"}, marks: [][4]float64{{72, 600, 372, 640}, {350, 300, 550, 360}}},
	// Nothing but a filled-in form field.
	{words: []string{"quetiapine 50 mg nightly"}, marks: [][4]float64{{72, 500, 372, 530}}},
	// Nothing but a small ink tick, as a pen tool draws it: too little ink
	// for the blank check of a scan.
	{marks: [][4]float64{{300, 400, 308, 408}}},
	// Nothing but a sticky note.
	{words: []string{"lisinopril stopped"}, marks: [][4]float64{{500, 700, 520, 720}}},
	// A FreeText comment and a filled-in field without appearance streams
	// (the form asks the reader to make them: NeedAppearances).
	{words: []string{"kasungu district hospital", "mzuzu central"}, marks: [][4]float64{{72, 600, 372, 640}, {72, 400, 372, 430}}},
	// A scanned page (an image of typed lines, no text layer: it is OCR'd)
	// with a sticky note, as a reader annotates a scan.
	{words: []string{"referral to the eye clinic", "metformin paused until review"}, marks: [][4]float64{{500, 700, 520, 720}}},
}

// scannedLetter is the image of page 7: typed lines drawn by MuPDF at 150
// dpi, gray, as a scanner writes a letter.
func scannedLetter() (w, h int, gray []byte) {
	lines := "BT /F1 16 Tf 72 680 Td (Referral to the eye clinic) Tj 0 -28 Td (Blurred vision in the left eye since March.) Tj " +
		"0 -28 Td (Please see within four weeks.) Tj ET"
	var pw pdfWriter
	catalog, pages, page := pw.reserve(), pw.reserve(), pw.reserve()
	content := pw.stream("", lines)
	pw.put(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents %d 0 R >>", pages, content))
	pw.put(pages, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", page))
	pw.put(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages))
	fz, err := fitz.NewFromMemory(pw.finish(catalog))
	if err != nil {
		panic(err)
	}
	defer fz.Close()
	m, err := fz.ImageDPI(0, 150)
	if err != nil {
		panic(err)
	}
	g, _ := grayOf(m)
	return g.w, g.h, g.pix
}

// annotatedPDF makes a PDF whose pages' content, apart from page 1's line
// and page 7's scan, is all in annotations and form fields, as PDF readers
// write them: with appearance streams (pages 2 to 5) and without (page 6).
func annotatedPDF() []byte {
	var w pdfWriter
	catalog, pages := w.reserve(), w.reserve()
	helv := w.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	res := fmt.Sprintf("<< /Font << /Helv %d 0 R >> >>", helv)
	form := func(bbox, content string) int {
		return w.stream("/Type /XObject /Subtype /Form /BBox ["+bbox+"] /Resources "+res, content)
	}
	var kids []string
	page := func(content string, annots ...int) int {
		n := w.reserve()
		c := w.stream("", content)
		var refs []string
		for _, a := range annots {
			refs = append(refs, fmt.Sprintf("%d 0 R", a))
		}
		w.put(n, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources %s /Contents %d 0 R /Annots [%s] >>",
			pages, res, c, strings.Join(refs, " ")))
		kids = append(kids, fmt.Sprintf("%d 0 R", n))
		return n
	}

	note1 := w.add("<< /Type /Annot /Subtype /Text /Rect [500 700 520 720] /Name /Comment /C [1 0.9 0] /F 4 /Contents (Ferritin recheck on Thursday) >>")
	page("BT /Helv 12 Tf 72 700 Td (Clinic letter: the patient was seen today and is well.) Tj ET", note1)

	freeAP := form("0 0 300 40", "0 0 1 RG 1 w 0.5 0.5 299 39 re S BT /Helv 14 Tf 0 0 1 rg 8 14 Td (Zanzibar clinic review done) Tj ET")
	free := w.add(fmt.Sprintf("<< /Type /Annot /Subtype /FreeText /Rect [72 600 372 640] /F 4 /DA (/Helv 14 Tf 0 0 1 rg) /Contents (Zanzibar clinic review done) /AP << /N %d 0 R >> >>", freeAP))
	stampAP := form("0 0 200 60", "0.8 0 0 RG 4 w 2 2 196 56 re S BT /Helv 28 Tf 0.8 0 0 rg 24 20 Td (APPROVED) Tj ET")
	stamp := w.add(fmt.Sprintf("<< /Type /Annot /Subtype /Stamp /Rect [350 300 550 360] /F 4 /Name /Approved /Contents (Approved by Dr Mwale) /AP << /N %d 0 R >> >>", stampAP))
	page("", free, stamp)

	fieldAP := form("0 0 300 30", "/Tx BMC BT /Helv 12 Tf 0 g 4 10 Td (Quetiapine 50 mg nightly) Tj ET EMC")
	field := w.reserve()
	p3 := page("", field)
	w.put(field, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (medication) /V (Quetiapine 50 mg nightly) /Rect [72 500 372 530] /F 4 /P %d 0 R /DA (/Helv 12 Tf 0 g) /AP << /N %d 0 R >> >>", p3, fieldAP))

	inkAP := form("0 0 8 8", "0 0 0 RG 1 w 1 J 1 j 1 3 m 3 1 l 7 7 l S")
	ink := w.add(fmt.Sprintf("<< /Type /Annot /Subtype /Ink /Rect [300 400 308 408] /F 4 /C [0 0 0] /BS << /W 1 >> /InkList [[301 403 303 401 307 407]] /AP << /N %d 0 R >> >>", inkAP))
	page("", ink)

	note5 := w.add("<< /Type /Annot /Subtype /Text /Rect [500 700 520 720] /Name /Note /C [1 0.9 0] /F 4 /Contents (Lisinopril stopped) >>")
	page("", note5)

	free6 := w.add("<< /Type /Annot /Subtype /FreeText /Rect [72 600 372 640] /F 4 /DA (/Helv 14 Tf 0 0 1 rg) /Contents (Kasungu district hospital) >>")
	field6 := w.reserve()
	p6 := page("", free6, field6)
	w.put(field6, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (referred to) /V (Mzuzu central) /Rect [72 400 372 430] /F 4 /P %d 0 R /DA (/Helv 12 Tf 0 g) >>", p6))

	iw, ih, pix := scannedLetter()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(pix)
	zw.Close()
	scan := w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", iw, ih), z.String())
	note7 := w.add("<< /Type /Annot /Subtype /Text /Rect [500 700 520 720] /Name /Comment /C [1 0.9 0] /F 4 /Contents (Metformin paused until review) >>")
	n7 := w.reserve()
	c7 := w.stream("", "q 612 0 0 792 0 0 cm /Scan Do Q")
	w.put(n7, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Scan %d 0 R >> >> /Contents %d 0 R /Annots [%d 0 R] >>",
		pages, scan, c7, note7))
	kids = append(kids, fmt.Sprintf("%d 0 R", n7))

	w.put(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids)))
	w.put(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /AcroForm << /Fields [%d 0 R %d 0 R] /NeedAppearances true /DA (/Helv 0 Tf 0 g) /DR %s >> >>", pages, field, field6, res))
	return w.finish(catalog)
}

// TestAnnotatedPDFFixture keeps the corpus copy of annotatedPDF, which the
// command-line scripts import, the same as the one the tests make
// (go test ./scan -run TestAnnotatedPDFFixture -update-annotated rewrites it).
func TestAnnotatedPDFFixture(t *testing.T) {
	want := annotatedPDF()
	if *updateFixture {
		if err := os.WriteFile(annotatedFixture, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(annotatedFixture)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s differs from annotatedPDF (%v): run this test with -update-annotated", annotatedFixture, err)
	}
	// go-fitz, as Folio used it before, draws none of it.
	m := fitzPage(t, want, 1, 72)
	if g, _ := grayOf(m); !isBlank(g, 72) {
		t.Error("go-fitz draws page 2's annotations: the fixture no longer shows the fault it was made for")
	}
}

// TestAnnotationsAreContent: pages whose content is in annotations and form
// fields are drawn with them, their text holds the annotations' and fields'
// text, and none of them is blank.
func TestAnnotationsAreContent(t *testing.T) {
	e := newTestEngine(t)
	_, pages := analyse(t, e, "annotated.pdf", annotatedPDF())
	if len(pages) != len(annotatedPages) {
		t.Fatalf("%d pages, want %d", len(pages), len(annotatedPages))
	}
	for i, want := range annotatedPages {
		p := pages[i]
		if p.Blank {
			t.Errorf("page %d is blank", i+1)
		}
		text := norm(p.Text)
		for _, w := range want.words {
			if !strings.Contains(text, w) {
				t.Errorf("page %d: text %q lacks %q", i+1, p.Text, w)
			}
		}
		if len(want.words) > 0 && p.TextSource == "" {
			t.Errorf("page %d: TextSource is empty with text %q", i+1, p.Text)
		}
		view, err := jpeg.Decode(bytes.NewReader(p.View))
		if err != nil {
			t.Fatalf("page %d: view: %v", i+1, err)
		}
		for _, r := range want.marks {
			if d := darkest(view, r); d > 128 {
				t.Errorf("page %d: the view is white where an annotation is drawn (%v pt): darkest %d", i+1, r, d)
			}
		}
	}
	// The tick alone is what the blank check of a scan takes for dust: the
	// annotation is what keeps its page.
	view, err := jpeg.Decode(bytes.NewReader(pages[3].View))
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := grayOf(toRGBA(view)); !isBlank(g, 150) {
		t.Error("page 4's tick is enough ink for isBlank: make it smaller, so that the test shows the annotation rule")
	}
	// No annotation text is added twice.
	if n := strings.Count(norm(pages[1].Text), "zanzibar"); n != 1 {
		t.Errorf("page 2 names Zanzibar %d times: %q", n, pages[1].Text)
	}

	// The corpus's form (an AcroForm with one empty text field, the only
	// corpus file with annotations or fields): its text is its typed text.
	_, pages = analyse(t, e, "with-form.pdf", corpus(t, "robustness/paperless__with-form.pdf"))
	if p := pages[0]; p.Blank || p.TextSource != "layer" || norm(p.Text) != "please enter your name in here: this is a pdf document with a form." {
		t.Errorf("with-form.pdf: Blank %v, TextSource %q, Text %q", p.Blank, p.TextSource, p.Text)
	}
}

// darkest is the darkest gray level of m (a 612 × 792 pt page) inside r, in
// PDF points from the bottom left.
func darkest(m image.Image, r [4]float64) uint8 {
	b := m.Bounds()
	sx, sy := float64(b.Dx())/612, float64(b.Dy())/792
	x0, x1 := int(r[0]*sx), int(r[2]*sx)
	y0, y1 := int((792-r[3])*sy), int((792-r[1])*sy)
	d := uint8(255)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			rr, g, bb, _ := m.At(b.Min.X+x, b.Min.Y+y).RGBA()
			if l := uint8((299*rr + 587*g + 114*bb) / 1000 >> 8); l < d {
				d = l
			}
		}
	}
	return d
}

// TestWithNotes: an annotation's text is added to a page's text once, and
// not when the page already says it.
func TestWithNotes(t *testing.T) {
	cases := []struct {
		name, text string
		notes      []string
		want       string
	}{
		{"none", "Seen today.", nil, "Seen today."},
		{"new", "Seen today.", []string{"Call back"}, "Seen today.\nCall back"},
		{"already there", "Seen by\n  DR  Mwale today", []string{"dr mwale"}, "Seen by\n  DR  Mwale today"},
		{"twice", "", []string{"Approved", "approved", " "}, "Approved"},
	}
	for _, c := range cases {
		if got := withNotes(c.text, c.notes); got != c.want {
			t.Errorf("%s: withNotes(%q, %q) = %q, want %q", c.name, c.text, c.notes, got, c.want)
		}
	}
}
