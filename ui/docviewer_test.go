package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	fitz "github.com/gen2brain/go-fitz"

	"folio/app"
)

// openViewer opens the chart, then the document, and returns the viewer.
func openViewer(t *testing.T, u *App, p app.Patient, d app.Document) *docViewer {
	t.Helper()
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	current[*patientScreen](t, u)
	u.nav.showDocument(d.ID)
	u.tasks.wait()
	v := current[*docViewer](t, u)
	if v.doc.ID != d.ID || v.image.Image == nil {
		t.Fatalf("the viewer shows %q, image %v; message %q", v.doc.ID, v.image.Image != nil, v.msg.Text)
	}
	return v
}

func pageDown(v *docViewer) { v.pageView.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown}) }
func pageUp(v *docViewer)   { v.pageView.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageUp}) }

// The viewer steps through the pages with the keyboard, shows each page's
// text and its source, and sizes the image to the zoom chosen.
func TestDocumentViewerPagesTextZoom(t *testing.T) {
	u, p, lab, _ := chartWithDocuments(t)
	v := openViewer(t, u, p, lab)
	if u.win.Canvas().Focused() != v.pageView {
		t.Fatal("the page does not have the keyboard")
	}
	if v.pageLabel.Text != "Page 1 of 3" || !strings.Contains(v.text.String(), "Page 1.") {
		t.Fatalf("first page: %q, text %q", v.pageLabel.Text, v.text.String())
	}
	if !strings.HasPrefix(v.source.Text, "OCR, 9") || !strings.HasSuffix(v.source.Text, "% confidence") {
		t.Fatalf("text source %q", v.source.Text)
	}
	// The header names whose chart this is: name, MRN, date of birth.
	title := v.title.String()
	if !strings.Contains(title, "Lab result") || !strings.Contains(title, p.MRN) ||
		!strings.Contains(title, strings.ToUpper(p.Family)) || !strings.Contains(title, p.Given) ||
		!strings.Contains(title, "born "+birthText(p.BirthDate, u.now())) {
		t.Fatalf("title %q does not name %s %s (%s, born %s)", title, p.Given, p.Family, p.MRN, birthText(p.BirthDate, u.now()))
	}
	if len(v.strip.Objects) != 3 || v.thumbImg[2].Image == nil {
		t.Fatalf("page strip: %d cards", len(v.strip.Objects))
	}

	pageDown(v)
	u.tasks.wait()
	pageDown(v)
	u.tasks.wait()
	pageDown(v) // stays on the last page
	u.tasks.wait()
	if v.page != 2 || v.pageLabel.Text != "Page 3 of 3" || !strings.Contains(v.text.String(), "Page 3.") {
		t.Fatalf("after Page Down ×3: %q, text %q", v.pageLabel.Text, v.text.String())
	}
	pageUp(v)
	u.tasks.wait()
	if v.page != 1 || !strings.Contains(v.text.String(), "Page 2.") {
		t.Fatalf("after Page Up: page %d, text %q", v.page+1, v.text.String())
	}
	test.Tap(v.thumbRow[0])
	u.tasks.wait()
	if v.page != 0 || !strings.Contains(v.text.String(), "Page 1.") {
		t.Fatalf("tapping the first thumbnail: page %d", v.page+1)
	}

	// Zoom: 100 % is the image's pixels; fit width fills the width;
	// fit page shows all of it.
	b := v.img.Bounds()
	u.input.shortcut(ctrl(fyne.Key3))
	if sz := v.image.Size(); sz.Width != float32(b.Dx()) || sz.Height != float32(b.Dy()) {
		t.Fatalf("100 %%: image %v, pixels %v", sz, b.Size())
	}
	vp := v.scroll.Size()
	if vp.Width <= 0 || vp.Height <= 0 {
		t.Fatalf("the page area has no size: %v", vp)
	}
	u.input.shortcut(ctrl(fyne.Key1))
	if sz := v.image.Size(); abs32(sz.Width-vp.Width) > 1 {
		t.Fatalf("fit width: image %v in %v", sz, vp)
	}
	test.Tap(v.zoomBtns[1])
	if sz := v.image.Size(); sz.Width > vp.Width+1 || sz.Height > vp.Height+1 ||
		(abs32(sz.Width-vp.Width) > 1 && abs32(sz.Height-vp.Height) > 1) {
		t.Fatalf("fit page: image %v in %v", sz, vp)
	}
	before := v.image.Size()
	v.pageView.TypedRune('+')
	if after := v.image.Size(); after.Width <= before.Width {
		t.Fatalf("+ did not zoom in: %v → %v", before, after)
	}
}

func abs32(f float32) float32 {
	if f < 0 {
		return -f
	}
	return f
}

// Rotate, search, export and re-file; back to the chart; the lock clears
// the page.
func TestDocumentViewerActions(t *testing.T) {
	u, p, lab, _ := chartWithDocuments(t)
	v := openViewer(t, u, p, lab)

	// Rotate page 2: a new version whose page is turned 90°.
	pageDown(v)
	u.tasks.wait()
	w0, h0 := v.img.Bounds().Dx(), v.img.Bounds().Dy()
	old := v.doc.Version
	u.input.shortcut(ctrl(fyne.KeyR))
	u.tasks.wait()
	if v.doc.Pages[1].Turn != 90 || v.doc.Version == old || v.page != 1 {
		t.Fatalf("after rotate: turn %d, version %v (was %v), page %d; %q", v.doc.Pages[1].Turn, v.doc.Version, old, v.page+1, v.msg.Text)
	}
	if b := v.img.Bounds(); b.Dx() != h0 || b.Dy() != w0 {
		t.Fatalf("the turned page is %v, was %dx%d", b.Size(), w0, h0)
	}
	if d, err := u.sess.s.Documents().Open(context.Background(), lab.ID); err != nil || d.Pages[1].Turn != 90 {
		t.Fatalf("stored turn %d, %v", d.Pages[1].Turn, err)
	}

	// Search: "page 3" is only on page 3; its words are marked.
	test.Type(v.find.search, "PAGE 3")
	v.find.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if v.page != 2 || !strings.Contains(v.find.found.Text, "page 3") {
		t.Fatalf("search went to page %d: %q", v.page+1, v.find.found.Text)
	}
	if len(v.words) != 3 || len(v.stage.Objects) != 4 {
		t.Fatalf("%d words marked, %d objects on the page", len(v.words), len(v.stage.Objects))
	}
	if !highlighted(v.text, "Page") || !highlighted(v.text, "3") {
		t.Fatalf("the hits are not highlighted in the text: %+v", v.text.Segments)
	}
	// The marks lie over the words: "Page" at x 421 of 1238, 46 wide
	// (a pixel either way as the page is read at its own resolution).
	if r := v.words[1]; r.Min.X < 419 || r.Min.X > 423 || r.Dx() < 44 || r.Dx() > 48 {
		t.Fatalf("second hit box %v", r)
	}
	v.find.search.SetText("")
	if len(v.words) != 0 || len(v.stage.Objects) != 1 {
		t.Fatal("clearing the search left marks")
	}
	test.Type(v.find.search, "zebra")
	v.find.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if v.page != 2 || v.find.found.Text != "Not in this document" {
		t.Fatalf("search for a missing word: page %d, %q", v.page+1, v.find.found.Text)
	}

	// Export: a searchable PDF with the pages' words.
	dest := filepath.Join(t.TempDir(), "lab.pdf")
	f, err := os.Create(dest)
	if err != nil {
		t.Fatal(err)
	}
	v.output.export(dest, f)
	u.tasks.wait()
	if !strings.Contains(v.msg.Text, "3 pages exported") {
		t.Fatalf("export: %q", v.msg.Text)
	}
	doc, err := fitz.New(dest)
	if err != nil {
		t.Fatal(err)
	}
	if doc.NumPage() != 3 {
		t.Fatalf("the PDF has %d pages", doc.NumPage())
	}
	// The same title as `folio doc export` gives (cli's scanning script).
	if title := strings.TrimRight(doc.Metadata()["title"], "\x00"); title != "Lab result "+p.MRN {
		t.Fatalf("the PDF's title is %q", title)
	}
	for i := range 3 {
		text, _ := doc.Text(i)
		if want := fmt.Sprintf("multi page document. Page %d.", i+1); !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Fatalf("PDF page %d text %q", i+1, text)
		}
	}
	doc.Close()
	ev, err := auditAs(t, u.vault, "admin", app.ActDocExport)
	if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Detail, dest) {
		t.Fatalf("export audit %+v, %v", ev, err)
	}

	// Re-file as a consent of another date.
	test.Tap(v.edits.refileBtn)
	if len(u.dialogs.open) != 1 {
		t.Fatal("no re-file dialog")
	}
	for d := range u.dialogs.open {
		d.Hide()
	}
	v.edits.refile(p.MRN, "Consent", "2026-09-02")
	u.tasks.wait()
	if v.doc.Type != "consent" || !strings.Contains(v.msg.Text, "Re-filed in "+p.MRN+"'s chart as consent of 2026-09-02") {
		t.Fatalf("after re-filing: %s, %q", v.doc.Type, v.msg.Text)
	}
	if !strings.Contains(v.title.String(), "Consent") {
		t.Fatalf("title after re-filing %q", v.title.String())
	}
	v.edits.refile(p.MRN, "Consent", "02/09/2026")
	if !strings.Contains(v.msg.Text, "YYYY-MM-DD") {
		t.Fatalf("a bad date: %q", v.msg.Text)
	}

	// Escape goes back to the chart, where the document is now a consent.
	v.pageView.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	u.tasks.wait()
	c := current[*patientScreen](t, u)
	if len(c.chart.timeDocs) != 2 || c.chart.timeDocs[1].Type != "consent" {
		t.Fatalf("the chart after re-filing: %+v", c.chart.timeDocs)
	}
	if v.image.Image != nil || v.doc.ID != "" {
		t.Fatal("the viewer left behind still holds the page")
	}

	// The lock clears every image and text of the viewer.
	v = openViewer(t, u, p, lab)
	v.lockAndCheck(t, u)
}

func (v *docViewer) lockAndCheck(t *testing.T, u *App) {
	t.Helper()
	u.input.shortcut(ctrl(fyne.KeyL))
	u.tasks.wait()
	current[*loginScreen](t, u)
	if v.image.Image != nil || v.img != nil || len(v.pages) != 0 || v.text.String() != "" ||
		v.title.String() != "" || v.source.Text != "" || len(v.strip.Objects) != 0 {
		t.Fatalf("after lock: image %v, %d pages, text %q, title %q", v.image.Image != nil, len(v.pages), v.text.String(), v.title.String())
	}
}

// highlighted reports whether rt shows s as a hit (a hit's segment may
// start with the space before the word, which lets Fyne wrap it as a word).
func highlighted(rt *widget.RichText, s string) bool {
	for _, seg := range rt.Segments {
		if ts, ok := seg.(*widget.TextSegment); ok && ts.Style.TextStyle.Bold && strings.EqualFold(strings.TrimPrefix(ts.Text, " "), s) {
			return true
		}
	}
	return false
}

// A clinician reads documents but has no Rotate or Re-file.
func TestDocumentViewerClinician(t *testing.T) {
	u, p, _, referral := chartWithDocuments(t)
	logInAgain(t, u, "dr.amani", clinPW)
	v := openViewer(t, u, p, referral)
	if v.edits.rotateBtn.Visible() || v.edits.refileBtn.Visible() || !v.output.exportBtn.Visible() {
		t.Fatal("a clinician's viewer: rotate or re-file shown, or export hidden")
	}
	u.input.shortcut(ctrl(fyne.KeyR))
	u.tasks.wait()
	if v.doc.Pages[0].Turn != 0 || v.msg.Visible() {
		t.Fatalf("Ctrl+R as a clinician: turn %d, %q", v.doc.Pages[0].Turn, v.msg.Text)
	}
	if v.pageLabel.Text != "Page 1 of 1" || !strings.Contains(v.text.String(), "This is a test document.") {
		t.Fatalf("referral: %q, %q", v.pageLabel.Text, v.text.String())
	}
}

// TestChartScreenshots renders the chart's tabs and the viewer to PNG
// when FOLIO_SCREENSHOTS names a folder (see TestScreenshots).
func TestChartScreenshots(t *testing.T) {
	dir := os.Getenv("FOLIO_SCREENSHOTS")
	if dir == "" {
		t.Skip("set FOLIO_SCREENSHOTS to a folder to render the screens")
	}
	u, p, lab, _ := chartWithDocuments(t)
	u.win.Resize(fyne.NewSize(1100, 720))
	shoot := shooter(t, u, dir)
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	c := current[*patientScreen](t, u)
	shoot("chart-timeline")
	c.chart.tabs.Select(c.chart.gridTab)
	u.tasks.wait()
	shoot("chart-documents")
	c.chart.tabs.Select(c.chart.demoTab)
	shoot("chart-demographics")
	c.chart.tabs.Select(c.chart.accessTab)
	u.tasks.wait()
	shoot("chart-access-log")
	u.nav.showDocument(lab.ID)
	u.tasks.wait()
	v := current[*docViewer](t, u)
	test.Type(v.find.search, "page 2")
	v.find.next()
	u.tasks.wait()
	shoot("document-viewer")
}

// Issue 14, item 7: a match of Find in the document was left out of view
// (low on a page zoomed to the width) and the field shrank to a few
// characters. The page scrolls to the first match; the field keeps room.
func TestDocumentViewerFindScrollsToTheMatch(t *testing.T) {
	u, p, _, _ := chartWithDocuments(t)
	letter := fileScan(t, u, "ocrmypdf__linn.png", p.MRN, "referral", "2026-10-20") // a page of text to its foot
	u.win.Resize(fyne.NewSize(1024, 600-menuBarHeight()))
	v := openViewer(t, u, p, letter)
	if w := v.find.search.Size().Width; w < 200 {
		t.Fatalf("the Find field is %v px wide at 1024×600", w)
	}
	// The lowest word of page 1 that no other word there contains.
	pc, err := u.sess.s.Documents().Page(context.Background(), letter.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var low app.Word
	for _, w := range pc.Words {
		if len(searchWords(w.Text)) != 1 || len(w.Text) < 4 || w.Y <= low.Y {
			continue
		}
		unique := true
		for _, o := range pc.Words {
			unique = unique && (o == w || !wordHit(o.Text, searchWords(w.Text)))
		}
		if unique {
			low = w
		}
	}
	if low.Text == "" {
		t.Fatal("page 1 has no word to look for")
	}
	test.Type(v.find.search, low.Text)
	v.find.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if v.page != 0 || len(v.words) != 1 {
		t.Fatalf("Find %q: page %d, %d hits", low.Text, v.page+1, len(v.words))
	}
	s, r := v.scale(), v.words[0]
	view := v.scroll.Size()
	if v.stage.MinSize().Height <= view.Height {
		t.Fatalf("the page (%v high) fits the view (%v): nothing to scroll", v.stage.MinSize().Height, view.Height)
	}
	top, bottom := float32(r.Min.Y)*s, float32(r.Max.Y)*s
	if top < v.scroll.Offset.Y || bottom > v.scroll.Offset.Y+view.Height {
		t.Fatalf("the match %q at %v–%v px lies outside the view %v–%v", low.Text, top, bottom, v.scroll.Offset.Y, v.scroll.Offset.Y+view.Height)
	}
	// The page's text, taller than its pane, is scrolled towards its foot too.
	if tv := v.textView; tv.Content.Size().Height > tv.Size().Height && tv.Offset.Y == 0 {
		t.Fatalf("the text pane stays at its top (%v of %v px) for a match at the foot of the page", tv.Size().Height, tv.Content.Size().Height)
	}
}
