package storage

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"folio/app"
)

// A snapshot taken while commits go on holds whole commits only, opens as
// a vault that checks clean, carries the oplog's and the audit chain's
// sequences on, and holds no deleted value from the free pages (a copy of
// the file as bbolt's WriteTo makes it would).
func TestSnapshotWhileInUse(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	key := newSigner(t)
	f.putSecret(t, "slot/a")
	if _, err := f.rec.Commit(ctx, app.Commit{DeleteMeta: []string{"slot/a"}}); err != nil {
		t.Fatal(err)
	}
	if !fileHolds(t, f.path, secret) {
		t.Fatal("a plain delete erased the value: this test no longer shows what the snapshot leaves out")
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a clerk registering records meanwhile
		defer wg.Done()
		for i := range 50 {
			w := write(kindP, "p"+string(rune('a'+i%26))+string(rune('a'+i/26)), app.Version{}, "data", "tok")
			if _, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{w}, Audit: [][]byte{[]byte("event")}, AuditKey: key}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	snap := filepath.Join(t.TempDir(), "folio.db")
	err := f.db.Snapshot(ctx, snap)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if fileHolds(t, snap, secret) {
		t.Error("the snapshot holds a deleted value from the vault's free pages")
	}

	cp, err := Open(snap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if cp.DeviceID() != f.db.DeviceID() {
		t.Errorf("the snapshot's device id %s, the vault's %s", cp.DeviceID(), f.db.DeviceID())
	}
	rep, err := cp.CheckIntegrity(ctx, f.aead, key.verify)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check of the snapshot: %v %q", err, rep.Problems)
	}
	if rep.Versions != rep.AuditEntries {
		t.Errorf("the snapshot holds %d versions and %d audit entries: a commit was cut in half", rep.Versions, rep.AuditEntries)
	}
	n, _ := cp.Oplog().PendingCount(ctx)
	if n != rep.Versions {
		t.Errorf("the snapshot's oplog holds %d entries for %d versions", n, rep.Versions)
	}
	// Its sequences go on after what it holds.
	crec := cp.Records(f.aead)
	if _, err := crec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "later", app.Version{}, "data", "tok")}, Audit: [][]byte{[]byte("event")}, AuditKey: key}); err != nil {
		t.Fatal(err)
	}
	ops, err := cp.Oplog().Pending(ctx, 0, 0)
	if err != nil || len(ops) != n+1 || ops[len(ops)-1].Seq != uint64(n+1) {
		t.Fatalf("oplog of the snapshot after a commit: %d entries, %v", len(ops), err)
	}
}
