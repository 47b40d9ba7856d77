package syncer_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"folio/archive"
	"folio/archive/api"
)

// A workstation that syncs by USB is held to its storage quota as it is
// online: 'folio-archive import' takes nothing that would pass it — the
// batch refused and every batch after it, and the scans refused — and
// the reply confirms none of it, so it waits on the workstation; once the
// quota is raised, the next bundle of everything unconfirmed carries it. Before, an import stored
// everything a bundle carried and charged its scans to no one.
func TestBundleHeldToQuota(t *testing.T) {
	ctx := context.Background()
	site, arc := offlineSite(t, "Test Health District")
	a, _, admin, _ := offlineOrg(t, site, arc)
	if err := site.store.SetQuota(ctx, "ward-a", 1); err != nil {
		t.Fatal(err)
	}
	firstPending := func() uint64 {
		t.Helper()
		es, err := a.prof.DB.Oplog().Pending(ctx, 0, 1)
		if err != nil || len(es) == 0 {
			t.Fatalf("ward-a's first pending change: %v, %v", es, err)
		}
		return es[0].Seq
	}
	first := firstPending()
	path := export(t, a, admin, false)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	res, err := archive.ImportBundle(ctx, site.Params, f, fi.Size())
	f.Close()
	if err != nil {
		t.Fatalf("import over the quota: %v (the import itself goes through)", err)
	}
	if !errors.Is(res.OverQuota, api.ErrQuota) || res.BatchesWithheld == 0 || res.BlobsWithheld == 0 || len(res.Confirmed) != 0 || len(res.BlobsStored) != 0 {
		t.Fatalf("import over the quota: refused %v, %d batches and %d scans withheld, %d confirmed, %d scans stored",
			res.OverQuota, res.BatchesWithheld, res.BlobsWithheld, len(res.Confirmed), len(res.BlobsStored))
	}
	wantWords(t, "the refusal", res.OverQuota.Error(), "workstation ward-a holds", "folio-archive device quota --name ward-a")
	if h := head(t, site.store); h != 0 {
		t.Fatalf("the archive's head is %d after an import over the quota, want 0", h)
	}
	if ids, err := site.store.Blobs(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("scans stored over the quota: %v, %v", ids, err)
	}
	reply, err := site.Reply(t, path)
	if err != nil {
		t.Fatal(err)
	}
	importReply(t, a, admin, reply)
	if got := firstPending(); got != first {
		t.Fatalf("ward-a's changes through %d were acknowledged after a bundle the archive did not take", got-1)
	}

	// Raised (back to the archive's default), the next bundle of all
	// that is unconfirmed (folio sync export --all) goes in.
	if err := site.store.SetQuota(ctx, "ward-a", 0); err != nil {
		t.Fatal(err)
	}
	if reply, err = site.Reply(t, export(t, a, admin, true)); err != nil {
		t.Fatal(err)
	}
	importReply(t, a, admin, reply)
	if n := pending(t, a); n != 0 {
		t.Fatalf("%d changes wait on ward-a after its quota was raised", n)
	}
	ids, err := site.store.Blobs(ctx)
	if err != nil || len(ids) == 0 {
		t.Fatalf("no scan stored after the quota was raised: %v", err)
	}
	m, err := site.store.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Devices {
		if d.Name == "ward-a" && (d.Held < m.BlobBytes || d.Held == 0) {
			t.Fatalf("ward-a holds %d bytes on the archive, want at least the %d bytes of the scans it sent", d.Held, m.BlobBytes)
		}
	}
}
