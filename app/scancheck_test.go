package app_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"folio/app"
	"folio/internal/testkit"
	"folio/profile"
)

// blobFile is where the profile keeps a blob's sealed file.
func blobFile(prof *profile.Profile, id string) string {
	return filepath.Join(prof.Blobs.Dir(), id[:2], id+".blob")
}

// TestAttackDamagedScansPassVerify: a deleted original, a flipped byte in
// a page image and a damaged page-text file used to pass verify ("OK"),
// and the damaged text made every document search fail. Verify now reads
// every scan file and names each damaged document and file (VerifyQuick
// still skips them); a search skips the damaged document, names it, and
// returns the others' hits.
func TestAttackDamagedScansPassVerify(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	multi := importFile(t, d.clerk, "multi.pdf", corpusFile(t, "scans/paperless__multi-page-images.pdf"))
	simple := importFile(t, d.clerk, "simple.png", corpusFile(t, "scans/paperless__simple.png"))
	if len(multi.Documents) != 1 || len(multi.Documents[0].Pages) < 2 || len(simple.Documents) != 1 {
		t.Fatalf("imports: %d and %d documents", len(multi.Documents), len(simple.Documents))
	}
	a, b := multi.Documents[0], simple.Documents[0]
	hits, skipped, err := d.clerk.Documents().Search(ctx, "document", "")
	if err != nil || len(hits) != 2 || len(skipped) != 0 {
		t.Fatalf("search before the damage: %d hits, skipped %v, %v; want both documents", len(hits), skipped, err)
	}
	admin := login(t, d.prof.Vault, "admin", adminPW)
	if r, err := admin.Audit().Verify(ctx); err != nil || !r.OK() || r.Scans == 0 {
		t.Fatalf("verify before the damage: %d scans, %q %v, %v", r.Scans, r.Problems, r.Damaged, err)
	}

	if err := os.Remove(blobFile(d.prof, multi.Batch.Original)); err != nil {
		t.Fatal(err)
	}
	testkit.FlipByte(t, blobFile(d.prof, a.Pages[1].View), 0x40)
	testkit.FlipByte(t, blobFile(d.prof, b.Pages[0].Text), 0x40)

	r, err := admin.Audit().Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || len(r.Damaged) != 2 {
		t.Fatalf("verify after the damage: OK %v, damaged %v", r.OK(), r.Damaged)
	}
	got := map[string]string{}
	for _, dd := range r.Damaged {
		got[dd.Document] = dd.String()
	}
	for doc, want := range map[string][]string{
		a.ID: {"original missing", "page 2 image damaged"},
		b.ID: {"page 1 text damaged"},
	} {
		for _, w := range want {
			if !strings.Contains(got[doc], w) {
				t.Errorf("verify's report of document %s: %q; want %q", doc, got[doc], w)
			}
		}
	}
	if ids := app.DamagedBlobs(r.Damaged); len(ids) != 3 || !slices.Contains(ids, multi.Batch.Original) {
		t.Errorf("damaged blobs %v; want the original, the image and the text", ids)
	}
	if q, err := admin.Audit().VerifyQuick(ctx); err != nil || !q.OK() || q.Scans != 0 {
		t.Errorf("quick verify reads scans: %d scans, %v, %v", q.Scans, q.Damaged, err)
	}

	hits, skipped, err = d.clerk.Documents().Search(ctx, "document", "")
	if err != nil {
		t.Fatalf("one damaged page text fails the whole search: %v", err)
	}
	if len(hits) != 1 || hits[0].Document.ID != a.ID || !slices.Equal(skipped, []string{b.ID}) {
		t.Fatalf("search after the damage: hits %v, skipped %v; want %s found and %s skipped", hits, skipped, a.ID, b.ID)
	}
}
