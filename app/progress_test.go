package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"folio/app"
)

// progressLog records one import's reports and checks that no two come
// at once.
type progressLog struct {
	t       *testing.T
	busy    atomic.Int32
	mu      sync.Mutex
	reports []app.ImportProgress
}

func (l *progressLog) progress(p app.ImportProgress) {
	if l.busy.Add(1) != 1 {
		l.t.Errorf("two reports at once (%+v)", p)
	}
	l.mu.Lock()
	l.reports = append(l.reports, p)
	l.mu.Unlock()
	l.busy.Add(-1)
}

func (l *progressLog) all() []app.ImportProgress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]app.ImportProgress(nil), l.reports...)
}

func isFinal(st app.ImportStage) bool {
	switch st {
	case app.StageFiled, app.StageNeedsIndexing, app.StageFailed, app.StageDuplicate:
		return true
	}
	return false
}

// checkReports checks the reports of an import of a file of pages pages
// that was read to the end and ended in final: stored first; then each
// page rendering, then OCR, with the page count and a count of pages done
// that only grows; filing once, with every page done; and last the one
// final stage.
func checkReports(t *testing.T, reps []app.ImportProgress, pages int, final app.ImportStage) {
	t.Helper()
	show := fmt.Sprintf("%+v", reps)
	if len(reps) < 3 || reps[0] != (app.ImportProgress{Stage: app.StageStored}) {
		t.Fatalf("reports do not start with stored, or are too few: %s", show)
	}
	last := reps[len(reps)-1]
	if last.Stage != final || last.Pages != pages || last.PagesDone != pages {
		t.Fatalf("last report %+v, want %s with %d of %d pages: %s", last, final, pages, pages, show)
	}
	if filing := reps[len(reps)-2]; filing != (app.ImportProgress{Stage: app.StageFiling, Pages: pages, PagesDone: pages}) {
		t.Fatalf("report before the last %+v, want filing with every page done: %s", filing, show)
	}
	seen := map[int]app.ImportStage{}
	done := 0
	for _, r := range reps[1 : len(reps)-2] {
		if r.Stage != app.StageRendering && r.Stage != app.StageOCR {
			t.Fatalf("report %+v among the pages: %s", r, show)
		}
		if r.Page < 1 || r.Page > pages || r.Pages != pages || r.PagesDone < done || r.PagesDone >= pages || r.Reason != "" {
			t.Fatalf("report %+v (after %d pages done) of a %d-page file: %s", r, done, pages, show)
		}
		if r.Stage == app.StageRendering && seen[r.Page] == app.StageOCR {
			t.Fatalf("page %d rendering after its OCR: %s", r.Page, show)
		}
		seen[r.Page], done = r.Stage, r.PagesDone
	}
	for p := 1; p <= pages; p++ {
		if seen[p] != app.StageOCR {
			t.Errorf("page %d: last reported %q, want ocr: %s", p, seen[p], show)
		}
	}
	for _, r := range reps[:len(reps)-1] {
		if isFinal(r.Stage) {
			t.Fatalf("final stage %+v before the last report: %s", r, show)
		}
	}
}

// A plain scan reports stored, every page rendered and read, filing, and
// needs indexing; imported again, it reports only duplicate.
func TestImportProgressPlainScan(t *testing.T) {
	d := newScanningDesk(t)
	data := corpusFile(t, "scans/paperless__multi-page-images.pdf")
	log := &progressLog{t: t}
	r, err := d.clerk.Intake().ImportFileProgress(context.Background(), "three.pdf", "import", data, log.progress)
	if err != nil {
		t.Fatal(err)
	}
	if r.Batch.Status != app.BatchAnalysed || len(r.Documents) != 1 || r.Documents[0].Status != app.DocQueued {
		t.Fatalf("batch %s, documents %+v", r.Batch.Status, r.Documents)
	}
	checkReports(t, log.all(), 3, app.StageNeedsIndexing)

	again := &progressLog{t: t}
	r, err = d.clerk.Intake().ImportFileProgress(context.Background(), "three-again.pdf", "import", data, again.progress)
	if err != nil || !r.Duplicate {
		t.Fatalf("second import: duplicate %v, %v", r.Duplicate, err)
	}
	if got := again.all(); len(got) != 1 || got[0] != (app.ImportProgress{Stage: app.StageDuplicate, Pages: 3, PagesDone: 3}) {
		t.Fatalf("second import reported %+v, want duplicate alone", got)
	}
}

// A batch whose every document has a Folio cover sheet naming a known
// patient ends filed.
func TestImportProgressCoverSheet(t *testing.T) {
	d := newScanningDesk(t)
	simple := renderPages(t, corpusFile(t, "scans/paperless__simple.png"), 150)[0]
	batch := scanBatch(t, 150, coverPage(t, d.cover(t, d.amina, "consent", time.Time{}, 1), 150, 0), simple)
	log := &progressLog{t: t}
	r, err := d.clerk.Intake().ImportFileProgress(context.Background(), "consent.pdf", "import", batch, log.progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Documents) != 1 || r.Documents[0].Status != app.DocIndexed {
		t.Fatalf("documents %+v", r.Documents)
	}
	checkReports(t, log.all(), 2, app.StageFiled)
}

// A file that cannot be read is stored, then reported failed with the
// reason its batch records.
func TestImportProgressFailed(t *testing.T) {
	d := newScanningDesk(t)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"invalid.pdf", corpusFile(t, "robustness/ocrmypdf__invalid.pdf"), "damaged"},
		{"encrypted.pdf", corpusFile(t, "robustness/paperless__password-is-test.pdf"), "password"},
		{"notes.pdf", []byte("Patient notes typed in a text editor, saved with the wrong name.\n"), "not a PDF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			log := &progressLog{t: t}
			r, err := d.clerk.Intake().ImportFileProgress(context.Background(), c.name, "import", c.data, log.progress)
			if err != nil {
				t.Fatal(err)
			}
			reps := log.all()
			t.Logf("%+v", reps)
			if r.Batch.Status != app.BatchFailed || len(reps) < 2 || reps[0].Stage != app.StageStored {
				t.Fatalf("batch %s, reports %+v", r.Batch.Status, reps)
			}
			last := reps[len(reps)-1]
			if last.Stage != app.StageFailed || last.Reason == "" || last.Reason != r.Batch.Error || !strings.Contains(last.Reason, c.want) {
				t.Fatalf("last report %+v; batch error %q", last, r.Batch.Error)
			}
			for _, p := range reps[1 : len(reps)-1] {
				if p.Stage != app.StageRendering && p.Stage != app.StageOCR {
					t.Fatalf("report %+v before failing", p)
				}
			}
		})
	}
}

// An import stopped while a page is read reports no final stage; resumed,
// the batch reports from stored to its final stage again.
func TestResumeImportsProgress(t *testing.T) {
	d := newScanningDesk(t)
	data := corpusFile(t, "scans/paperless__simple.png")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &progressLog{t: t}
	stop := func(p app.ImportProgress) {
		log.progress(p)
		if p.Stage == app.StageOCR {
			cancel()
		}
	}
	if _, err := d.clerk.Intake().ImportFileProgress(ctx, "simple.png", "import", data, stop); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped import: %v", err)
	}
	reps := log.all()
	want := []app.ImportProgress{{Stage: app.StageStored}, {Stage: app.StageRendering, Page: 1, Pages: 1}, {Stage: app.StageOCR, Page: 1, Pages: 1}}
	if fmt.Sprint(reps) != fmt.Sprint(want) {
		t.Fatalf("stopped import reported %+v, want %+v", reps, want)
	}

	var batches []app.Batch
	resumed := &progressLog{t: t}
	rs, err := d.clerk.Intake().ResumeImportsProgress(context.Background(), func(b app.Batch, p app.ImportProgress) {
		if len(batches) == 0 || batches[len(batches)-1].ID != b.ID {
			batches = append(batches, b)
		}
		resumed.progress(p)
	})
	if err != nil || len(rs) != 1 || rs[0].Batch.Status != app.BatchAnalysed {
		t.Fatalf("resume: %+v, %v", rs, err)
	}
	if len(batches) != 1 || batches[0].ID != rs[0].Batch.ID || batches[0].Name != "simple.png" {
		t.Fatalf("reports about batches %+v", batches)
	}
	checkReports(t, resumed.all(), 1, app.StageNeedsIndexing)
}
