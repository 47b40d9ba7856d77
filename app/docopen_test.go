package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"folio/app"
)

// Issue 14, item 9: one opening of a document read as four "read a
// document" events, none saying which. An opening is one event naming the
// object (type, date of service, pages); the reads of its pages are part
// of it; a page read of another document, or of the first again after
// another, is an access of its own; every page read goes through the
// guard and is covered by an audited opening.
func TestDocumentOpeningIsOneAuditEvent(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	file := func(name, corpus string, date time.Time) app.Document {
		r := importFile(t, d.clerk, name, corpusFile(t, corpus))
		doc, err := d.clerk.Indexing().FileDocument(ctx, r.Documents[0].ID, app.FileParams{Patient: d.amina.MRN, Type: "lab-result", Date: date})
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	lab := file("lab.tiff", "scans/paperless__multi-page-images.tiff", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	other := file("other.png", "scans/paperless__simple.png", time.Time{})
	if len(lab.Pages) < 2 {
		t.Fatalf("the lab result has %d pages; the test needs several", len(lab.Pages))
	}
	opens := func() []app.AuditEvent {
		t.Helper()
		evs, err := d.second.Audit().Events(ctx, app.AuditFilter{User: "peter", Action: app.ActDocRead})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}

	// The viewer: the document, then every page, twice over.
	s := d.second
	if _, err := s.Documents().Open(ctx, lab.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for i := range lab.Pages {
			if _, err := s.Documents().Page(ctx, lab.ID, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	evs := opens()
	if len(evs) != 1 {
		t.Fatalf("one opening wrote %d document.read events: %+v", len(evs), evs)
	}
	want := "lab-result, 2026-03-02, " + pagesText(len(lab.Pages), "page")
	if e := evs[0]; e.Object != "document/"+lab.ID || e.Patient != d.amina.MRN || e.Detail != want {
		t.Fatalf("the opening's event: object %q patient %q detail %q; want detail %q", e.Object, e.Patient, e.Detail, want)
	}

	// A page of another document, read without opening it first (the
	// indexing queue and QA read pages), is an access of its own; going
	// back to the first one is another.
	if _, err := s.Documents().Page(ctx, other.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Documents().Page(ctx, lab.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Documents().Page(ctx, lab.ID, 0); err != nil {
		t.Fatal(err)
	}
	evs = opens()
	if len(evs) != 3 || evs[1].Object != "document/"+other.ID || evs[1].Detail != "lab-result, date not known, 1 page" ||
		evs[2].Object != "document/"+lab.ID {
		t.Fatalf("after another document and back: %+v", evs)
	}

	// Opening it again in a viewer is a new access, even right after.
	if _, err := s.Documents().Open(ctx, lab.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(opens()); n != 4 {
		t.Fatalf("a second opening wrote no event of its own: %d events", n)
	}
}

func pagesText(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}
