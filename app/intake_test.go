package app_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"folio/app"
	"folio/internal/testkit"
	"folio/printout"
	"folio/profile"
	"folio/scan/pageread"
)

// TestMain lets this test binary be its own scan worker: profile.Open
// starts workers as "<this executable> scan-worker".
func TestMain(m *testing.M) {
	pageread.ServeIfWorker(os.Args)
	os.Exit(m.Run())
}

// scanningDesk is a vault with two registered patients, a records clerk
// who imports and files, and a second clerk for QA.
type scanningDesk struct {
	prof          *profile.Profile
	clerk, second *app.Session
	amina, joseph app.Patient
}

var clerkPW = map[string]string{"grace": "records clerk passphrase", "peter": "the second clerk's words"}

func newScanningDesk(t *testing.T) *scanningDesk {
	t.Helper()
	prof, _ := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	for _, u := range []string{"grace", "peter"} {
		testkit.AddUser(t, admin, app.User{Name: u, Roles: app.RoleSet{app.RoleRecords}}, clerkPW[u])
	}
	d := &scanningDesk{prof: prof,
		clerk:  login(t, prof.Vault, "grace", clerkPW["grace"]),
		second: login(t, prof.Vault, "peter", clerkPW["peter"])}
	ps := register(t, d.clerk,
		app.Patient{Family: "Banda", Given: "Amina", Sex: app.SexFemale, BirthDate: bd(1984, 3, 12)},
		app.Patient{Family: "Phiri", Given: "Joseph", Sex: app.SexMale, BirthDate: bd(1971, 11, 2)})
	d.amina, d.joseph = ps[0], ps[1]
	return d
}

func (d *scanningDesk) cover(t *testing.T, p app.Patient, typ string, date time.Time, pages int) printout.CoverInfo {
	return printout.CoverInfo{Sheet: app.CoverSheet{MRN: p.MRN, Type: typ, Date: date, Pages: pages},
		PatientName: strings.ToUpper(p.Family) + ", " + p.Given, BirthDate: p.BirthDate.String(),
		TypeLabel: typ, Clinic: "Kabwe Rural Health Centre", PrintedBy: "grace", PrintedAt: time.Now()}
}

func importFile(t *testing.T, s *app.Session, name string, data []byte) app.ImportResult {
	t.Helper()
	r, err := s.Intake().ImportFile(context.Background(), name, "import", data)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return r
}

// importThreePages imports the corpus's three-page TIFF as s and returns
// its document, which must hold the three pages.
func importThreePages(t *testing.T, s *app.Session) app.Document {
	t.Helper()
	doc := importFile(t, s, "three.tiff", corpusFile(t, "scans/paperless__multi-page-images.tiff")).Documents[0]
	if len(doc.Pages) != 3 {
		t.Fatalf("%d pages", len(doc.Pages))
	}
	return doc
}

// The "done": a batch with cover sheets, printed by Folio and
// scanned back crooked and noisy, splits and files itself into the right
// charts, with the right type, date and pages, and is searchable.
func TestCoverSheetBatchFilesItself(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	labDate := time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC)
	pages := renderPages(t, corpusFile(t, "scans/paperless__multi-page-images.pdf"), 150)
	simple := renderPages(t, corpusFile(t, "scans/paperless__simple.png"), 150)[0]
	batch := scanBatch(t, 150,
		coverPage(t, d.cover(t, d.amina, "lab-result", labDate, 2), 150, 1.5),
		pages[0], pages[1],
		coverPage(t, d.cover(t, d.joseph, "referral", time.Time{}, 0), 150, -2),
		simple)

	r := importFile(t, d.clerk, "batch-0001.pdf", batch)
	if r.Batch.Status != app.BatchAnalysed || r.Batch.Pages != 5 {
		t.Fatalf("batch %s, %d pages (%s)", r.Batch.Status, r.Batch.Pages, r.Batch.Error)
	}
	if len(r.Documents) != 2 {
		t.Fatalf("%d documents, want 2", len(r.Documents))
	}
	lab, ref := r.Documents[0], r.Documents[1]
	if lab.Status != app.DocIndexed || lab.MRN != d.amina.MRN || lab.Type != "lab-result" || !lab.Date.Equal(labDate) || len(lab.Pages) != 2 {
		t.Fatalf("lab document: %s %s %s %s %d pages %v", lab.Status, lab.MRN, lab.Type, lab.Date, len(lab.Pages), lab.Problems)
	}
	if ref.Status != app.DocIndexed || ref.MRN != d.joseph.MRN || ref.Type != "referral" || len(ref.Pages) != 1 {
		t.Fatalf("referral: %s %s %s %d pages", ref.Status, ref.MRN, ref.Type, len(ref.Pages))
	}
	if lab.Provenance.Operator != "grace" || lab.Provenance.Scanned.IsZero() {
		t.Fatalf("provenance %+v", lab.Provenance)
	}

	chart, err := d.clerk.Documents().OfPatient(ctx, d.amina.MRN)
	if err != nil || len(chart) != 1 || chart[0].ID != lab.ID {
		t.Fatalf("Amina's chart: %v, %v", chart, err)
	}
	pc, err := d.clerk.Documents().Page(ctx, lab.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(pc.Text), "page 2") || len(pc.View) == 0 || len(pc.Thumb) == 0 {
		t.Fatalf("page 2 of the lab document: text %q, %d bytes view", pc.Text, len(pc.View))
	}

	hits, _, err := d.clerk.Documents().Search(ctx, "multi page document", "")
	if err != nil || len(hits) != 1 || hits[0].Document.ID != lab.ID {
		t.Fatalf("vault search: %v, %v", hits, err)
	}
	if !strings.Contains(strings.ToLower(hits[0].Snippet), "multi page") {
		t.Fatalf("snippet %q", hits[0].Snippet)
	}
	if hits, _, err := d.clerk.Documents().Search(ctx, "test document", d.joseph.MRN); err != nil || len(hits) != 1 || hits[0].Document.ID != ref.ID {
		t.Fatalf("search in Joseph's chart: %v, %v", hits, err)
	}
	if hits, _, err := d.clerk.Documents().Search(ctx, "test document", d.amina.MRN); err != nil || len(hits) != 0 {
		t.Fatalf("search in Amina's chart found Joseph's page: %v, %v", hits, err)
	}
}

// A cover sheet that announces more pages than follow still files the
// document, flagged for QA; a second person verifies it, not the first.
func TestPageCountMismatchGoesToQA(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	simple := renderPages(t, corpusFile(t, "scans/paperless__simple.png"), 150)[0]
	batch := scanBatch(t, 150, coverPage(t, d.cover(t, d.amina, "consent", time.Time{}, 3), 150, 0), simple)
	r := importFile(t, d.clerk, "consent.pdf", batch)
	doc := r.Documents[0]
	if doc.Status != app.DocIndexed || !doc.QA || len(doc.Problems) == 0 || !strings.Contains(doc.Problems[0], "announces 3 pages") {
		t.Fatalf("document %s, QA %v, problems %v", doc.Status, doc.QA, doc.Problems)
	}
	qa, err := d.second.Indexing().QAQueue(ctx)
	if err != nil || len(qa) != 1 || qa[0].ID != doc.ID {
		t.Fatalf("QA queue: %v, %v", qa, err)
	}
	if _, err := d.clerk.Documents().Verify(ctx, doc.ID); !errors.Is(err, app.ErrInvalid) {
		// grace imported it, so grace's session "filed" it.
		t.Fatalf("the filer verified their own document: %v", err)
	}
	v, err := d.second.Documents().Verify(ctx, doc.ID)
	if err != nil || v.Status != app.DocVerified || v.VerifiedBy != "peter" {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	if qa, _ := d.second.Indexing().QAQueue(ctx); len(qa) != 0 {
		t.Fatalf("QA queue after verifying: %d", len(qa))
	}
}

// Without a cover sheet, a page goes to the indexing queue with proposals;
// the clerk files it, and the correction is a new, audited version.
func TestUncoveredPageIsQueuedThenFiled(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	r := importFile(t, d.clerk, "simple.png", corpusFile(t, "scans/paperless__simple.png"))
	if len(r.Documents) != 1 || r.Documents[0].Status != app.DocQueued {
		t.Fatalf("documents: %+v", r.Documents)
	}
	q, err := d.clerk.Indexing().Queue(ctx)
	if err != nil || len(q) != 1 {
		t.Fatalf("queue: %v, %v", q, err)
	}
	doc, err := d.clerk.Indexing().FileDocument(ctx, q[0].ID, app.FileParams{Patient: d.joseph.MRN, Type: "correspondence",
		Date: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || doc.Status != app.DocIndexed || doc.MRN != d.joseph.MRN {
		t.Fatalf("file: %+v, %v", doc, err)
	}
	if q, _ := d.clerk.Indexing().Queue(ctx); len(q) != 0 {
		t.Fatalf("queue after filing: %d", len(q))
	}
	if _, err := d.clerk.Indexing().FileDocument(ctx, doc.ID, app.FileParams{Patient: d.joseph.MRN, Type: "Not A Type"}); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("bad type: %v", err)
	}
	chart, _ := d.clerk.Documents().OfPatient(ctx, d.joseph.MRN)
	if len(chart) != 1 {
		t.Fatalf("Joseph's chart holds %d documents", len(chart))
	}
}

// A cover sheet for an MRN the index does not know puts the document on
// the orphan list, queued, never lost.
func TestUnknownPatientIsOrphan(t *testing.T) {
	d := newScanningDesk(t)
	ghost := app.Patient{MRN: app.FormatMRN("KAB", 999), Family: "Nobody", Given: "Known"}
	simple := renderPages(t, corpusFile(t, "scans/paperless__simple.png"), 150)[0]
	r := importFile(t, d.clerk, "orphan.pdf", scanBatch(t, 150, coverPage(t, d.cover(t, ghost, "referral", time.Time{}, 0), 150, 0), simple))
	doc := r.Documents[0]
	if !doc.Orphan || doc.Status != app.DocQueued || doc.MRN != ghost.MRN || doc.PatientID != "" {
		t.Fatalf("orphan: %+v", doc)
	}
	ctx := context.Background()
	orphans, err := d.clerk.Indexing().Orphans(ctx)
	if err != nil || len(orphans) != 1 || orphans[0].ID != doc.ID {
		t.Fatalf("orphan list: %v, %v", orphans, err)
	}
	// The clerk files it under the right patient; it leaves the list.
	if _, err := d.clerk.Indexing().FileDocument(ctx, doc.ID, app.FileParams{Patient: d.joseph.MRN, Type: "referral"}); err != nil {
		t.Fatal(err)
	}
	if orphans, _ := d.clerk.Indexing().Orphans(ctx); len(orphans) != 0 {
		t.Fatalf("orphan list after filing: %d", len(orphans))
	}
}

// The same file imported twice is recognised: nothing new is stored.
func TestDuplicateImport(t *testing.T) {
	d := newScanningDesk(t)
	data := corpusFile(t, "scans/paperless__simple.jpg")
	first := importFile(t, d.clerk, "a.jpg", data)
	n1, _, _ := d.prof.Blobs.Stats(context.Background())
	again := importFile(t, d.clerk, "copy-of-a.jpg", data)
	n2, _, _ := d.prof.Blobs.Stats(context.Background())
	if !again.Duplicate || again.Batch.ID != first.Batch.ID || n1 != n2 {
		t.Fatalf("second import: duplicate %v, batch %s (first %s), blobs %d → %d", again.Duplicate, again.Batch.ID, first.Batch.ID, n1, n2)
	}
}

// Bad files are kept as failed batches with a reason a clerk can read; the
// next file imports normally.
func TestBadFilesFailCleanly(t *testing.T) {
	d := newScanningDesk(t)
	linn := corpusFile(t, "scans/ocrmypdf__linn.pdf")
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"empty.pdf", "empty", nil},
		{"notes.pdf", "not a PDF", []byte("Patient notes typed in a text editor, saved with the wrong name.\n")},
		{"truncated.pdf", "cut short", linn[:len(linn)/3]},
		{"encrypted.pdf", "password", corpusFile(t, "robustness/paperless__password-is-test.pdf")},
		{"invalid.pdf", "", corpusFile(t, "robustness/ocrmypdf__invalid.pdf")},
	}
	for _, c := range cases {
		r := importFile(t, d.clerk, c.name, c.data)
		if r.Batch.Status != app.BatchFailed || r.Batch.Error == "" || r.Batch.Original == "" {
			t.Errorf("%s: batch %s %q", c.name, r.Batch.Status, r.Batch.Error)
			continue
		}
		if !strings.Contains(strings.ToLower(r.Batch.Error), strings.ToLower(c.want)) {
			t.Errorf("%s: reason %q does not say %q", c.name, r.Batch.Error, c.want)
		}
		if strings.HasPrefix(r.Batch.Error, app.ErrInvalid.Error()) {
			t.Errorf("%s: the reason a clerk reads starts with the error's code words: %q", c.name, r.Batch.Error)
		}
	}
	r := importFile(t, d.clerk, "simple.png", corpusFile(t, "scans/paperless__simple.png"))
	if r.Batch.Status != app.BatchAnalysed || len(r.Documents) != 1 {
		t.Fatalf("a good file after the bad ones: %s %q", r.Batch.Status, r.Batch.Error)
	}
}

// Page corrections: reorder, turn, split, merge; each a version.
func TestPageCorrections(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	doc := importThreePages(t, d.clerk)
	idx := func(d app.Document) []int {
		var out []int
		for _, p := range d.Pages {
			out = append(out, p.Index)
		}
		return out
	}
	doc, err := d.clerk.Indexing().ReorderPages(ctx, doc.ID, []int{2, 0, 1})
	if err != nil || !slices.Equal(idx(doc), []int{2, 0, 1}) {
		t.Fatalf("reorder: %v, %v", idx(doc), err)
	}
	if _, err := d.clerk.Indexing().ReorderPages(ctx, doc.ID, []int{0, 0, 1}); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("a page named twice: %v", err)
	}
	if doc, err = d.clerk.Indexing().TurnPage(ctx, doc.ID, 0, -1); err != nil || doc.Pages[0].Turn != 270 {
		t.Fatalf("turn: %v", err)
	}
	first, rest, err := d.clerk.Indexing().SplitDocument(ctx, doc.ID, 1)
	if err != nil || len(first.Pages) != 1 || len(rest.Pages) != 2 || rest.Status != app.DocQueued {
		t.Fatalf("split: %d + %d pages, %v", len(first.Pages), len(rest.Pages), err)
	}
	merged, err := d.clerk.Indexing().MergeDocuments(ctx, []string{first.ID, rest.ID})
	if err != nil || !slices.Equal(idx(merged), []int{2, 0, 1}) {
		t.Fatalf("merge: %v, %v", idx(merged), err)
	}
	gone, err := d.clerk.Documents().Open(ctx, rest.ID)
	if err != nil || gone.Status != app.DocMerged || gone.MergedInto != first.ID {
		t.Fatalf("merged-away document: %s into %s, %v", gone.Status, gone.MergedInto, err)
	}
	if _, err := d.clerk.Indexing().TurnPage(ctx, rest.ID, 0, 1); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("editing a merged-away document: %v", err)
	}
	// Search still finds page text after the changes.
	if hits, _, err := d.clerk.Documents().Search(ctx, "page 3", ""); err != nil || len(hits) != 1 || hits[0].Document.ID != first.ID {
		t.Fatalf("search after merge: %v, %v", hits, err)
	}
}

// Two single-sided passes, fronts then the stack turned over, collate into
// one document in reading order; the blank back of the last sheet stays out.
func TestDuplexCollation(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	fronts := renderPages(t, corpusFile(t, "scans/paperless__multi-page-images.pdf"), 150)
	white := image.NewGray(fronts[0].Bounds())
	draw.Draw(white, white.Bounds(), image.White, image.Point{}, draw.Src)
	simple := renderPages(t, corpusFile(t, "scans/paperless__simple.png"), 150)[0]
	photo := renderPages(t, corpusFile(t, "ocr-gt/tesseract-test__phototest.tif"), 200)[0]
	f := importFile(t, d.clerk, "fronts.pdf", scanBatch(t, 150, fronts...))
	b := importFile(t, d.clerk, "backs.pdf", scanBatch(t, 150, white, simple, photo))
	if len(b.Documents) != 1 || len(b.Documents[0].Pages) != 2 {
		t.Fatalf("backs pass: %d documents; the blank page should be dropped", len(b.Documents))
	}
	doc, err := d.clerk.Indexing().CollateDuplex(ctx, f.Documents[0].ID, b.Documents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for i := range doc.Pages {
		pc, err := d.clerk.Documents().Page(ctx, doc.ID, i)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, strings.ToLower(pc.Text))
	}
	want := []string{"page 1", "12 point", "page 2", "test document", "page 3"}
	if len(texts) != len(want) {
		t.Fatalf("collated %d pages, want %d", len(texts), len(want))
	}
	for i, w := range want {
		if !strings.Contains(texts[i], w) {
			t.Errorf("page %d: %q does not contain %q", i+1, texts[i], w)
		}
	}
	if _, err := d.clerk.Indexing().CollateDuplex(ctx, doc.ID, doc.ID); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("collating a document with itself: %v", err)
	}
}

// A page without a cover sheet or MRN that names a registered patient and
// their date of birth proposes that patient (queued, for a person to
// confirm), with the type from its words and the date of service — not
// the date of birth.
func TestProposalFromNameAndBirthDate(t *testing.T) {
	d := newScanningDesk(t)
	white := image.NewGray(image.Rect(0, 0, 1240, 1754))
	draw.Draw(white, white.Bounds(), image.White, image.Point{}, draw.Src)
	var j bytes.Buffer
	if err := jpeg.Encode(&j, white, nil); err != nil {
		t.Fatal(err)
	}
	var pdf bytes.Buffer
	err := printout.SearchablePDF(&pdf, "letter", []printout.Page{{JPEG: j.Bytes(), DPI: 150,
		Text: "REFERRAL LETTER\nPatient: Banda, Amina\nDate of birth: 12/03/1984\nSeen on 2 October 2026; please review."}})
	if err != nil {
		t.Fatal(err)
	}
	doc := importFile(t, d.clerk, "letter.pdf", pdf.Bytes()).Documents[0]
	if doc.Status != app.DocQueued || doc.ProposedPatient.Value != d.amina.MRN || !strings.Contains(doc.ProposedPatient.Reason, "born 1984-03-12") {
		t.Fatalf("proposal: %s %+v", doc.Status, doc.ProposedPatient)
	}
	if doc.Type != "referral" || doc.Date.Format(time.DateOnly) != "2026-10-02" {
		t.Fatalf("type %s, date %s", doc.Type, doc.Date)
	}
	// The same name with another date of birth proposes nobody.
	pdf.Reset()
	_ = printout.SearchablePDF(&pdf, "letter", []printout.Page{{JPEG: j.Bytes(), DPI: 150,
		Text: "Patient: Banda, Amina\nDate of birth: 1990-01-01\nLab result attached."}})
	if doc := importFile(t, d.clerk, "other.pdf", pdf.Bytes()).Documents[0]; doc.ProposedPatient.Value != "" {
		t.Fatalf("a different date of birth proposed %+v", doc.ProposedPatient)
	}
}

// An import stopped in the middle of reading (the app closed, the machine
// went down) keeps its original, stored; the next start finishes it once,
// and only once.
// interruptAtFirstPage imports data and cancels the import when its
// first page starts to be read: the original is stored by then, its pages
// not all read (a timer instead raced a fast machine's OCR).
func interruptAtFirstPage(t *testing.T, s *app.Session, name string, data []byte) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.Intake().ImportFileProgress(ctx, name, "import", data, func(p app.ImportProgress) {
		if p.Page > 0 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted import of %s: %v", name, err)
	}
}

func TestInterruptedImportResumesOnce(t *testing.T) {
	d := newScanningDesk(t)
	data := corpusFile(t, "scans/paperless__multi-page-images.pdf")
	interruptAtFirstPage(t, d.clerk, "interrupted.pdf", data)
	// Imported again (the clerk tries once more after the crash): the
	// stored original is recognised and read now, not reported as filed
	// with no pages.
	again := importFile(t, d.clerk, "interrupted.pdf", data)
	if again.Duplicate || again.Batch.Status != app.BatchAnalysed || again.Batch.Pages != 3 || len(again.Documents) != 1 || len(again.Documents[0].Pages) != 3 {
		t.Fatalf("the re-import did not read the stored original: %+v, %d documents", again.Batch, len(again.Documents))
	}
	if rs, err := d.clerk.Intake().ResumeImports(context.Background()); err != nil || len(rs) != 0 {
		t.Fatalf("a resume redid %d batches, %v", len(rs), err)
	}
	if third := importFile(t, d.clerk, "interrupted.pdf", data); !third.Duplicate || len(third.Documents) != 1 {
		t.Fatalf("a third import: duplicate %v, %d documents", third.Duplicate, len(third.Documents))
	}

	// Interrupted again, the next start resumes it, once.
	data = corpusFile(t, "scans/paperless__multi-page-images.tiff")
	interruptAtFirstPage(t, d.clerk, "interrupted.tiff", data)
	rs, err := d.clerk.Intake().ResumeImports(context.Background())
	if err != nil || len(rs) != 1 || rs[0].Batch.Status != app.BatchAnalysed || rs[0].Batch.Pages != 3 || len(rs[0].Documents) != 1 {
		t.Fatalf("resume: %+v, %v", rs, err)
	}
	if rs, err := d.clerk.Intake().ResumeImports(context.Background()); err != nil || len(rs) != 0 {
		t.Fatalf("a second resume redid %d batches, %v", len(rs), err)
	}
	q, _ := d.clerk.Indexing().Queue(context.Background())
	if len(q) != 2 || len(q[0].Pages) != 3 || len(q[1].Pages) != 3 {
		t.Fatalf("queue after resume: %d documents", len(q))
	}
}
