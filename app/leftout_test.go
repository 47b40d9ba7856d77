package app_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"folio/app"
	"folio/crypto"
	"folio/printout"
)

// whitePage is a blank scanned page the size of like.
func whitePage(like image.Image) image.Image {
	white := image.NewGray(like.Bounds())
	draw.Draw(white, white.Bounds(), image.White, image.Point{}, draw.Src)
	return white
}

// separatorPage prints a Folio separator sheet and scans it back.
func separatorPage(t *testing.T) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := printout.SeparatorSheetPDF(&buf, 1); err != nil {
		t.Fatal(err)
	}
	return scanned(renderPages(t, buf.Bytes(), 150)[0], 0.5, 3)
}

func batchIndexes(pages []app.DocPage) []int {
	var out []int
	for _, p := range pages {
		out = append(out, p.Index)
	}
	return out
}

// A blank page the pipeline leaves out stays with its document, listed in
// the queue with its reason and its image; restoring it puts it back where
// it was in the file, audited; a restored sheet's text is searchable.
func TestBlankPageIsLeftOutAndRestored(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	pages := renderPages(t, corpusFile(t, "scans/paperless__multi-page-images.pdf"), 150)
	r := importFile(t, d.clerk, "duplex.pdf", scanBatch(t, 150, pages[0], whitePage(pages[0]), pages[1], separatorPage(t), pages[2]))
	if len(r.Documents) != 2 {
		t.Fatalf("%d documents, want 2 (split at the separator)", len(r.Documents))
	}
	doc, second := r.Documents[0], r.Documents[1]
	if !slices.Equal(batchIndexes(doc.Pages), []int{0, 2}) || len(doc.Removed) != 1 {
		t.Fatalf("first document: pages %v, left out %d", batchIndexes(doc.Pages), len(doc.Removed))
	}
	left := doc.Removed[0]
	if left.Index != 1 || left.LeftOut != app.LeftBlank || left.LeftOutLine() != "page 2 left out as blank" || left.View == "" {
		t.Fatalf("left-out page: %+v, %q", left, left.LeftOutLine())
	}
	if len(second.Removed) != 1 || second.Removed[0].LeftOut != app.LeftSeparator || second.Removed[0].LeftOutLine() != "page 4 left out: separator sheet" {
		t.Fatalf("second document left out %+v", second.Removed)
	}

	q, err := d.clerk.Indexing().Queue(ctx)
	if err != nil || len(q) != 2 || len(q[0].Removed)+len(q[1].Removed) != 2 {
		t.Fatalf("queue: %v, %v", q, err)
	}
	pc, err := d.clerk.Indexing().LeftOutPage(ctx, doc.ID, 0)
	if err != nil || len(pc.View) == 0 || len(pc.Thumb) == 0 {
		t.Fatalf("left-out page's image: %d bytes, %v", len(pc.View), err)
	}

	back, err := d.clerk.Indexing().RestorePage(ctx, doc.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(batchIndexes(back.Pages), []int{0, 1, 2}) || len(back.Removed) != 0 || back.Pages[1].LeftOut != "" {
		t.Fatalf("after restoring: pages %v, left out %v", batchIndexes(back.Pages), back.Removed)
	}
	if pc, err := d.clerk.Documents().Page(ctx, doc.ID, 1); err != nil || len(pc.View) == 0 {
		t.Fatalf("restored page 2: %d bytes, %v", len(pc.View), err)
	}
	if pc, err := d.clerk.Documents().Page(ctx, doc.ID, 2); err != nil || !strings.Contains(strings.ToLower(pc.Text), "page 2") {
		t.Fatalf("page 3 of the document is not the file's page 3: %q, %v", pc.Text, err)
	}
	if !slices.ContainsFunc(auditDetails(t, d.clerk, app.ActDocEdit), func(s string) bool {
		return strings.Contains(s, "page 2 left out as blank restored as page 2")
	}) {
		t.Fatalf("the restore is not audited: %q", auditDetails(t, d.clerk, app.ActDocEdit))
	}
	if _, err := d.clerk.Indexing().RestorePage(ctx, doc.ID, 0); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("restoring from a document with none left out: %v", err)
	}

	// The separator sheet, put back, is a page like the others: its text
	// is searchable.
	if hits, _, _ := d.clerk.Documents().Search(ctx, "separator sheet", ""); len(hits) != 0 {
		t.Fatalf("a left-out sheet's text is found: %v", hits)
	}
	sec, err := d.clerk.Indexing().RestorePage(ctx, second.ID, 0)
	if err != nil || !slices.Equal(batchIndexes(sec.Pages), []int{3, 4}) {
		t.Fatalf("restoring the sheet: %v, %v", batchIndexes(sec.Pages), err)
	}
	hits, _, err := d.clerk.Documents().Search(ctx, "separator sheet", "")
	if err != nil || len(hits) != 1 || hits[0].Document.ID != second.ID || hits[0].Page != 0 {
		t.Fatalf("search for the restored sheet's words: %v, %v", hits, err)
	}

	// Taking a page out and putting it back: the same page, the same place.
	out, err := d.clerk.Indexing().RemovePage(ctx, doc.ID, 0)
	if err != nil || out.Removed[0].LeftOutLine() != "page 1 taken out by a person" {
		t.Fatalf("remove: %+v, %v", out.Removed, err)
	}
	if in, err := d.clerk.Indexing().RestorePage(ctx, doc.ID, 0); err != nil || !slices.Equal(batchIndexes(in.Pages), []int{0, 1, 2}) {
		t.Fatalf("restore what a person removed: %v, %v", batchIndexes(in.Pages), err)
	}
}

// A file whose every page is blank is one document of no pages: it waits
// in the queue with the reason and cannot be filed, not even by a cover
// sheet, until a page is restored.
func TestDocumentOfNoPagesWaits(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	simple := renderPages(t, corpusFile(t, "scans/paperless__simple.png"), 150)[0]
	white := whitePage(simple)
	r := importFile(t, d.clerk, "blank.pdf", scanBatch(t, 150, white, white))
	if r.Batch.Status != app.BatchAnalysed || len(r.Documents) != 1 {
		t.Fatalf("batch %s, %d documents", r.Batch.Status, len(r.Documents))
	}
	doc := r.Documents[0]
	if doc.Status != app.DocQueued || len(doc.Pages) != 0 || len(doc.Removed) != 2 ||
		!slices.Contains(doc.Problems, "every page was left out as blank — check and restore pages") {
		t.Fatalf("document %s, %d pages, %d left out, problems %q", doc.Status, len(doc.Pages), len(doc.Removed), doc.Problems)
	}
	if q, err := d.clerk.Indexing().Queue(ctx); err != nil || len(q) != 1 || q[0].ID != doc.ID {
		t.Fatalf("queue: %v, %v", q, err)
	}
	if _, err := d.clerk.Indexing().FileDocument(ctx, doc.ID, app.FileParams{Patient: d.amina.MRN, Type: "other"}); !errors.Is(err, app.ErrInvalid) ||
		!strings.Contains(err.Error(), "restore a page") {
		t.Fatalf("filing a document of no pages: %v", err)
	}

	// Behind a cover sheet naming a known patient: proposed, not filed.
	r = importFile(t, d.clerk, "covered-blank.pdf", scanBatch(t, 150,
		coverPage(t, d.cover(t, d.joseph, "consent", time.Time{}, 1), 150, 0), white))
	cov := r.Documents[0]
	if len(r.Documents) != 1 || cov.Status != app.DocQueued || len(cov.Pages) != 0 || cov.ProposedPatient.Value != d.joseph.MRN ||
		len(cov.Removed) != 2 || cov.Removed[0].LeftOut != app.LeftCover || cov.Removed[1].LeftOut != app.LeftBlank {
		t.Fatalf("cover sheet and a blank page: %d documents, %s, %d pages, %+v", len(r.Documents), cov.Status, len(cov.Pages), cov.Removed)
	}
	if chart, _ := d.clerk.Documents().OfPatient(ctx, d.joseph.MRN); len(chart) != 0 {
		t.Fatalf("Joseph's chart holds %d documents", len(chart))
	}

	// Restored, it has a page and files.
	back, err := d.clerk.Indexing().RestorePage(ctx, doc.ID, 1)
	if err != nil || len(back.Pages) != 1 || back.Pages[0].Index != 1 || len(back.Problems) != 0 {
		t.Fatalf("restore: %d pages, problems %q, %v", len(back.Pages), back.Problems, err)
	}
	if f, err := d.clerk.Indexing().FileDocument(ctx, doc.ID, app.FileParams{Patient: d.amina.MRN, Type: "other"}); err != nil || f.Status != app.DocIndexed {
		t.Fatalf("filing after the restore: %v", err)
	}
}

// olderPipeline is the scan pipeline as Folio ran it before it read blank
// pages (issue 13): the real worker pool, whose reading of the pages in
// blank it drops — those pages judged blank, and left out without text.
type olderPipeline struct {
	pool  app.Analyzer
	blank map[int]bool
}

func (o olderPipeline) Analyze(ctx context.Context, name string, data []byte) (app.FileAnalysis, error) {
	fa, err := o.pool.Analyze(ctx, name, data)
	for i, p := range fa.Pages {
		if o.blank[p.Index] {
			fa.Pages[i] = app.PageAnalysis{Index: p.Index, Width: p.Width, Height: p.Height, Blank: true,
				Thumbnail: p.Thumbnail, View: p.View}
		}
	}
	return fa, err
}

// palePage is img in pale print, as a faded copy: black prints as gray
// 166, too faint for the blank check's ink.
func palePage(img image.Image) image.Image {
	b := img.Bounds()
	pale := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
			pale.SetGray(x, y, color.Gray{Y: 255 - byte(int(255-v)*35/100)})
		}
	}
	return pale
}

// A vault written before Folio read blank pages holds pages left out as
// blank without text. Put back, such a page is read then, through the
// scan workers as at import: search finds its words, the document shows
// them, and its word boxes are there for the export.
func TestRestoredPageLeftOutUnreadIsRead(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	prof := d.prof
	older := app.NewVault(app.Config{
		Meta: prof.DB.Meta(), Audit: prof.DB.Audit(), Integrity: prof.DB, Conflicts: prof.DB.Replica(),
		Records:  func(aead app.AEAD) app.RecordStore { return prof.DB.Records(aead) },
		Blobs:    func(aead app.StreamingAEAD) app.BlobStore { return prof.Blobs.Sealed(aead) },
		Keys:     &crypto.Factory{KDF: crypto.FastKDF()},
		Device:   prof.DB.DeviceID(),
		Analyzer: olderPipeline{pool: prof.Scan, blank: map[int]bool{1: true}},
	})
	clerk := login(t, older, "grace", clerkPW["grace"])
	photo := renderPages(t, corpusFile(t, "ocr-gt/tesseract-test__phototest.tif"), 150)[0]
	simple := renderPages(t, corpusFile(t, "scans/paperless__simple.png"), 150)[0]
	r := importFile(t, clerk, "pale.pdf", scanBatch(t, 150, simple, palePage(photo)))
	if len(r.Documents) != 1 || len(r.Documents[0].Removed) != 1 || r.Documents[0].Removed[0].Text != "" {
		t.Fatalf("the older pipeline's import: %+v", r.Documents)
	}
	doc := r.Documents[0]
	clerk.Lock(ctx)

	if hits, _, err := d.clerk.Documents().Search(ctx, "quick brown dog", ""); err != nil || len(hits) != 0 {
		t.Fatalf("a left-out page's words are found: %v, %v", hits, err)
	}
	back, err := d.clerk.Indexing().RestorePage(ctx, doc.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Pages) != 2 || back.Pages[1].Index != 1 || back.Pages[1].TextSource != "ocr" || back.Pages[1].Words == "" {
		t.Fatalf("restored page: %+v", back.Pages)
	}
	hits, _, err := d.clerk.Documents().Search(ctx, "quick brown dog jumped", "")
	if err != nil || len(hits) != 1 || hits[0].Document.ID != doc.ID || hits[0].Page != 1 {
		t.Fatalf("search for the restored page's words: %v, %v", hits, err)
	}
	pc, err := d.clerk.Documents().Page(ctx, doc.ID, 1)
	if err != nil || !strings.Contains(pc.Text, "quick brown dog") || len(pc.Words) < 10 {
		t.Fatalf("restored page's text: %q, %d words, %v", pc.Text, len(pc.Words), err)
	}
	if !slices.ContainsFunc(auditDetails(t, d.clerk, app.ActDocEdit), func(s string) bool {
		return s == "ok: page 2 left out as blank restored as page 2"
	}) {
		t.Fatalf("the restore is not audited as read: %q", auditDetails(t, d.clerk, app.ActDocEdit))
	}
}
