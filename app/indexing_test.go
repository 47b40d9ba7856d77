package app_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"folio/app"
)

// A page taken out of a document leaves it, stays listed as removed, and
// its text is no longer found in the document; the only page cannot go.
func TestRemovePage(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	doc := importThreePages(t, d.clerk)
	pageText := func(i int) string {
		pc, err := d.clerk.Documents().Page(ctx, doc.ID, i)
		if err != nil {
			t.Fatal(err)
		}
		return pc.Text
	}
	if !strings.Contains(pageText(1), "Page 2") {
		t.Fatalf("page 2 reads %q", pageText(1))
	}
	out, err := d.clerk.Indexing().RemovePage(ctx, doc.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var kept []int
	for _, p := range out.Pages {
		kept = append(kept, p.Index)
	}
	if !slices.Equal(kept, []int{0, 2}) || len(out.Removed) != 1 || out.Removed[0].Index != 1 {
		t.Fatalf("pages %v, removed %v", kept, out.Removed)
	}
	again, err := d.clerk.Documents().Open(ctx, doc.ID)
	if err != nil || len(again.Pages) != 2 || again.Version.HLC <= doc.Version.HLC {
		t.Fatalf("stored: %d pages, version %v after %v, %v", len(again.Pages), again.Version, doc.Version, err)
	}
	if got := pageText(1); !strings.Contains(got, "Page 3") {
		t.Fatalf("after the removal page 2 reads %q; want the third sheet", got)
	}
	if _, err := d.clerk.Indexing().RemovePage(ctx, doc.ID, 5); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("a page out of range: %v", err)
	}
	if _, err := d.clerk.Indexing().RemovePage(ctx, doc.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.clerk.Indexing().RemovePage(ctx, doc.ID, 0); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("the last page: %v", err)
	}
}

// The viewer's strip reads every thumbnail of a document at once; each is
// the page's own (the same bytes Documents.PageThumbnail gives).
func TestDocumentThumbnails(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	doc := importThreePages(t, d.clerk)
	all, err := d.clerk.Documents().Thumbnails(ctx, doc.ID)
	if err != nil || len(all) != len(doc.Pages) {
		t.Fatalf("%d thumbnails for %d pages, %v", len(all), len(doc.Pages), err)
	}
	for i := range doc.Pages {
		one, err := d.clerk.Documents().PageThumbnail(ctx, doc.ID, i)
		if err != nil || !bytes.Equal(one, all[i]) || len(one) == 0 {
			t.Fatalf("page %d: %d bytes vs %d, %v", i+1, len(all[i]), len(one), err)
		}
	}
	if _, err := d.clerk.Documents().Thumbnails(ctx, "no-such-document"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("an unknown document: %v", err)
	}
}
