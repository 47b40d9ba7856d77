package syncer_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"folio/app"
	"folio/internal/testkit"
	"folio/syncer"
)

// TestRepairDamagedScanFromArchive: a workstation whose scan files were
// deleted or damaged after they reached the archive learns from the
// archive that it holds good copies, and Blobs.Repair with repair fetches
// them: verify passes again; a missing one also comes back with the next
// sync round. A scan damaged before it was ever sent has no copy to
// fetch, and says so.
func TestRepairDamagedScanFromArchive(t *testing.T) {
	ctx := context.Background()
	arc := startArchive(t)
	a := newWorkstation(t, arc, "ward-a")
	admin := firstVault(t, a)
	scan := testkit.Corpus(t, "scans/ocrmypdf__linn.png")
	imp, err := admin.Intake().ImportFile(ctx, "linn.png", "test", scan)
	if err != nil || len(imp.Documents) != 1 {
		t.Fatalf("import: %v", err)
	}
	a.round(t, admin)

	file := func(id string) string { return filepath.Join(a.prof.Blobs.Dir(), id[:2], id+".blob") }
	if err := os.Remove(file(imp.Batch.Original)); err != nil {
		t.Fatal(err)
	}
	img := file(imp.Documents[0].Pages[0].View)
	testkit.FlipByte(t, img, 1)
	r, err := admin.Audit().Verify(ctx)
	if err != nil || r.OK() {
		t.Fatalf("verify after the damage: %v, %v", r.Damaged, err)
	}
	ids := app.DamagedBlobs(r.Damaged)
	if len(ids) != 2 {
		t.Fatalf("damaged blobs %v; want the original and the page image", ids)
	}

	eng := a.engine(t, admin, a.client(t, syncer.ClientOptions{}))
	asked, err := eng.Blobs().Repair(ctx, ids, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range asked {
		if !c.InArchive || c.Repaired || c.Err != nil {
			t.Fatalf("asking the archive about %s: %+v; want a good copy there, nothing done", c.Blob, c)
		}
	}
	fixed, err := eng.Blobs().Repair(ctx, ids, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range fixed {
		if !c.Repaired {
			t.Fatalf("repairing %s: %+v", c.Blob, c)
		}
	}
	if r, err := admin.Audit().Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify after the repair: %q %v, %v", r.Problems, r.Damaged, err)
	}
	// A missing file (not a damaged one) also comes back with a sync round.
	if err := os.Remove(img); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	if r, err := admin.Audit().Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify after a sync round brought back a missing page image: %q %v, %v", r.Problems, r.Damaged, err)
	}

	// A scan lost before its first sync: the archive never had it.
	again, err := admin.Intake().ImportFile(ctx, "simple.png", "test", testkit.Corpus(t, "scans/paperless__simple.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(file(again.Batch.Original)); err != nil {
		t.Fatal(err)
	}
	lost, err := eng.Blobs().Repair(ctx, []string{again.Batch.Original}, true)
	if err != nil || len(lost) != 1 || lost[0].InArchive || !errors.Is(lost[0].Err, syncer.ErrNeverSent) {
		t.Fatalf("repairing a scan never sent: %+v, %v; want ErrNeverSent", lost, err)
	}
}
