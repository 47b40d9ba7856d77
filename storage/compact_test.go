package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"folio/app"
)

// secret is a value a scrub must erase; it stands for a key slot.
var secret = bytes.Repeat([]byte("OLD-KEY-SLOT"), 8)

// putSecret stores secret under meta key k.
func (f *fixture) putSecret(t *testing.T, k string) {
	t.Helper()
	if _, err := f.rec.Commit(context.Background(), app.Commit{Meta: map[string][]byte{k: secret}}); err != nil {
		t.Fatal(err)
	}
}

func fileHolds(t *testing.T, path string, b []byte) bool {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(raw, b)
}

// A deleted value stays in bbolt's free pages; a commit with Scrub leaves
// no copy of it in the file, keeps every record, the oplog's sequence and
// the audit chain, and the store goes on working on the new file.
func TestScrubErasesDeletedValues(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	key := newSigner(t)
	v := f.commit(t, write(kindP, "p", app.Version{}, "first", "tok"))
	if _, err := f.rec.Commit(ctx, app.Commit{Audit: [][]byte{[]byte("event 1")}, AuditKey: key}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Oplog().Ack(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.putSecret(t, "slot/a")
	if _, err := f.rec.Commit(ctx, app.Commit{DeleteMeta: []string{"slot/a"}}); err != nil {
		t.Fatal(err)
	}
	if !fileHolds(t, f.path, secret) {
		t.Fatal("a plain delete erased the value: this test no longer shows what Scrub is for")
	}
	f.putSecret(t, "slot/b")
	if _, err := f.rec.Commit(ctx, app.Commit{DeleteMeta: []string{"slot/b"}, Scrub: true}); err != nil {
		t.Fatal(err)
	}
	if fileHolds(t, f.path, secret) {
		t.Fatal("the file still holds a value deleted with Scrub")
	}
	// The store works on the new file, and the oplog goes on from 2.
	v2, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "p", v[0], "second", "tok")}, Audit: [][]byte{[]byte("event 2")}, AuditKey: key})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := f.db.Oplog().Pending(ctx, 0, 0)
	if err != nil || len(ops) != 1 || ops[0].Seq != 2 || ops[0].Version != v2[0] {
		t.Fatalf("oplog after a scrub: %+v, %v; want seq 2 only", ops, err)
	}
	f.reopen(t, Options{})
	rep, err := f.db.CheckIntegrity(ctx, f.aead, key.verify)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check after a scrub: %v %q", err, rep.Problems)
	}
	if rep.Versions != 2 || rep.AuditEntries != 2 {
		t.Fatalf("after a scrub: %d versions, %d audit entries; want 2 and 2", rep.Versions, rep.AuditEntries)
	}
	if ids, err := f.rec.Lookup(ctx, tok("tok")); err != nil || len(ids) != 1 {
		t.Fatalf("index after a scrub: %v, %v", ids, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(f.path)); len(ents) != 1 {
		t.Fatalf("files beside the vault after a scrub: %v", ents)
	}
}

// Commits running beside scrubs wait for them and land in the new file:
// none is lost.
func TestScrubLosesNoConcurrentCommit(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	const writers, each, scrubs = 4, 40, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%03d", w, i)
				if _, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, id, app.Version{}, id)}}); err != nil {
					errs <- err
					return
				}
				if _, err := f.rec.Head(ctx, kindP, id); err != nil {
					errs <- fmt.Errorf("read back %s: %w", id, err)
					return
				}
			}
		}()
	}
	for i := range scrubs {
		k := fmt.Sprintf("slot/%d", i)
		if _, err := f.rec.Commit(ctx, app.Commit{Meta: map[string][]byte{k: secret}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.rec.Commit(ctx, app.Commit{DeleteMeta: []string{k}, Scrub: true}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f.reopen(t, Options{})
	rep, err := f.rec.VerifyAll(ctx)
	if err != nil || len(rep.Problems) > 0 || rep.Records != writers*each {
		t.Fatalf("after concurrent scrubs: %d records (want %d), %v %q", rep.Records, writers*each, err, rep.Problems)
	}
	if fileHolds(t, f.path, secret) {
		t.Fatal("the file still holds a scrubbed value")
	}
}

// A process that waited for the vault's lock while another scrubbed it
// must not use the old, unlinked file: its commits would be lost.
func TestOpenRefusesFileReplacedByScrub(t *testing.T) {
	f := newFixture(t, Options{})
	old, err := os.Open(f.path) // the file a waiting process would lock
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	f.putSecret(t, "slot/a")
	if _, err := f.rec.Commit(context.Background(), app.Commit{DeleteMeta: []string{"slot/a"}, Scrub: true}); err != nil {
		t.Fatal(err)
	}
	if err := checkLocked(f.db.bolt, old, f.path); !errors.Is(err, errReplaced) {
		t.Fatalf("the old file after a scrub: %v, want errReplaced", err)
	}
}

// When the disk is too full to rewrite the file, the commit stands, the
// error says so (ErrScrubPending), the integrity check reports the removed
// key still in the file, and the next open, with space again, scrubs.
func TestScrubPendingOnFullDisk(t *testing.T) {
	ctx := context.Background()
	dir := smallDisk(t, "2m")
	path := filepath.Join(dir, "folio.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	aead := newAEAD(t)
	r := db.Records(aead)
	for i := range 40 {
		if _, err := r.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, fmt.Sprintf("p%02d", i), app.Version{}, strings.Repeat("x", 8000))}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Commit(ctx, app.Commit{Meta: map[string][]byte{"slot/a": secret}}); err != nil {
		t.Fatal(err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	free := int64(st.Bavail) * st.Bsize
	if err := os.WriteFile(filler, make([]byte, free-64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = r.Commit(ctx, app.Commit{DeleteMeta: []string{"slot/a"}, Scrub: true})
	if !errors.Is(err, app.ErrScrubPending) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("scrub on a full disk: %v; want ErrScrubPending for lack of space", err)
	}
	if _, err := db.Meta().GetMeta(ctx, "slot/a"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("the delete did not stand: %v", err)
	}
	rep, err := db.CheckIntegrity(ctx, aead, func([]byte, []byte) error { return nil })
	if err != nil || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "still holds a password or recovery key removed earlier") {
		t.Fatalf("check with a scrub pending: %v %q", err, rep.Problems)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if !fileHolds(t, path, secret) {
		t.Fatal("the failed scrub erased the value after all: the disk was not full enough")
	}
	if db, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	if fileHolds(t, path, secret) {
		t.Fatal("opening with space again did not scrub the file")
	}
	rep, err = db.CheckIntegrity(ctx, aead, func([]byte, []byte) error { return nil })
	if err != nil || len(rep.Problems) != 0 || rep.Records != 40 {
		t.Fatalf("check after the scrub at open: %d records, %v %q", rep.Records, err, rep.Problems)
	}
}
