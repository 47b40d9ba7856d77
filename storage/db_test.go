package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

func TestOpenCreates(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new", "profile")
	path := filepath.Join(dir, "folio.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != path {
		t.Fatalf("Path() = %q", db.Path())
	}
	dev := db.DeviceID()
	if dev == 0 {
		t.Fatal("zero device id")
	}
	if v, err := db.Meta().GetMeta(ctx, metaSchema); err != nil || !bytes.Equal(v, encodeUint64(1)) {
		t.Fatalf("schema %x %v", v, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&^want != 0 {
			t.Errorf("%s has mode %v, want at most %v", p, st.Mode().Perm(), want)
		}
	}
	// No temporary file is left behind.
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("folder holds %d entries", len(ents))
	}
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.DeviceID() != dev {
		t.Fatalf("device id changed: %v → %v", dev, db.DeviceID())
	}
	// Two vaults get different device ids.
	other, err := Open(filepath.Join(t.TempDir(), "x.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.DeviceID() == dev {
		t.Fatal("two vaults share a device id")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		opts Options
		want error
	}{
		{"read-only, missing", filepath.Join(dir, "missing.db"), Options{ReadOnly: true}, app.ErrNotInitialized},
		{"empty path", "", Options{}, app.ErrInvalid},
		{"a folder", dir, Options{}, app.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Open(tc.path, tc.opts); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a read-only open created the file")
	}
}

// closedFixture is a fixture whose vault holds the record p and is
// closed, for tests that reopen its file.
func closedFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, Options{})
	f.commit(t, write(kindP, "p", app.Version{}, "x"))
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestOpenNewerSchema(t *testing.T) {
	f := closedFixture(t)
	b, err := bolt.Open(f.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte(metaSchema), encodeUint64(2))
	}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	for _, ro := range []bool{false, true} {
		_, err := Open(f.path, Options{ReadOnly: ro})
		if !errors.Is(err, app.ErrNewerSchema) {
			t.Fatalf("read-only %v: got %v, want ErrNewerSchema", ro, err)
		}
	}
}

func TestOpenInUse(t *testing.T) {
	f := newFixture(t, Options{})
	for _, ro := range []bool{false, true} {
		start := time.Now()
		_, err := Open(f.path, Options{ReadOnly: ro, Timeout: 50 * time.Millisecond})
		if !errors.Is(err, ErrInUse) {
			t.Fatalf("read-only %v: got %v, want ErrInUse", ro, err)
		}
		if !strings.Contains(err.Error(), "open in another Folio window") {
			t.Fatalf("unclear: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("waited %v", d)
		}
	}
	// Two read-only opens share the file.
	f.reopen(t, Options{ReadOnly: true})
	second, err := Open(f.path, Options{ReadOnly: true, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	second.Close()
}

// vaultBytes builds a vault with enough records, index entries and audit
// events to span many pages, and returns its file's bytes.
func vaultBytes(t *testing.T) (orig []byte, aead app.AEAD) {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t, Options{})
	var ws []app.RecordWrite
	for i, id := range ids(400) {
		ws = append(ws, write(kindP, id, app.Version{}, strings.Repeat("chart ", 50+i%200), "tok-"+id, "shared"))
	}
	vs := f.commit(t, ws...)
	if _, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "id-00001", vs[1], "amended", "new")}, Audit: [][]byte{[]byte("sealed event")}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := f.db.Audit().AppendAudit(ctx, [][]byte{bytes.Repeat([]byte("e"), 300)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.Audit().Checkpoint(ctx, newSigner(t)); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	return orig, f.aead
}

// Files that are not a sound vault fail to open with ErrCorrupt: never a
// panic, never a silently emptied vault.
func TestOpenDamagedFiles(t *testing.T) {
	orig, _ := vaultBytes(t)
	const ps = 4096
	m := readMeta(bytes.NewReader(orig), 0)
	if m1 := readMeta(bytes.NewReader(orig), ps); m1.txid > m.txid {
		m = m1
	}
	random := make([]byte, len(orig))
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	notVault := func() []byte {
		p := filepath.Join(t.TempDir(), "plain.db")
		b, err := bolt.Open(p, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err })
		b.Close()
		raw, _ := os.ReadFile(p)
		return raw
	}()
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"zero bytes", func([]byte) []byte { return nil }},
		{"text file", func([]byte) []byte { return []byte("this is not a vault\n") }},
		{"random bytes", func([]byte) []byte { return random }},
		{"random bytes, one page", func([]byte) []byte { return random[:ps] }},
		{"truncated to a third", func(b []byte) []byte { return b[:len(b)/3] }},
		{"truncated to three pages", func(b []byte) []byte { return b[:3*ps] }},
		{"truncated inside the used pages", func(b []byte) []byte { return b[:(m.hwm-1)*ps] }},
		{"truncated mid-page", func(b []byte) []byte { return b[:(m.hwm-1)*ps-100] }},
		{"first page zeroed", func(b []byte) []byte { return append(make([]byte, ps), b[ps:]...) }},
		{"second page zeroed", func(b []byte) []byte { copy(b[ps:2*ps], make([]byte, ps)); return b }},
		{"both meta checksums broken", func(b []byte) []byte { b[pageHeaderLen+60]++; b[ps+pageHeaderLen+60]++; return b }},
		{"page size absurd", func(b []byte) []byte { b[pageHeaderLen+8] = 3; return b }},
		{"freelist page overwritten", func(b []byte) []byte {
			copy(b[m.freelist*ps:], bytes.Repeat([]byte{0xFF}, ps))
			return b
		}},
		{"root page out of range", func(b []byte) []byte {
			// a valid checksum over a bad root: written as bbolt would
			return rewriteMeta(b, ps, func(meta []byte) { putU64(meta[16:], m.hwm+10) })
		}},
		{"a bbolt file that is not a vault", func([]byte) []byte { return notVault }},
		{"a bucket deleted", func([]byte) []byte {
			return editRaw(t, orig, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketVersions) })
		}},
		{"device id zero", func([]byte) []byte {
			return editRaw(t, orig, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte(metaDevice), encodeUint64(0)) })
		}},
		{"schema missing", func([]byte) []byte {
			return editRaw(t, orig, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete([]byte(metaSchema)) })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "folio.db")
			if err := os.WriteFile(path, tc.damage(bytes.Clone(orig)), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{true, false} {
				db, err := Open(path, Options{ReadOnly: ro})
				if err == nil {
					db.Close()
					t.Fatalf("read-only %v: a damaged vault opened", ro)
				}
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "damaged") {
					t.Fatalf("read-only %v: got %v, want ErrCorrupt", ro, err)
				}
			}
			// The damaged file was not rewritten (an empty file stays empty).
			if now, _ := os.ReadFile(path); !bytes.Equal(now, tc.damage(bytes.Clone(orig))) {
				t.Fatal("opening changed the damaged file")
			}
		})
	}
}

// editRaw returns the bytes of a copy of the vault file orig after fn ran
// on it with plain bbolt.
func editRaw(t *testing.T, orig []byte, fn func(tx *bolt.Tx) error) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "edit.db")
	if err := os.WriteFile(p, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(p, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
	b.Close()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func fnvSum(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

func putU64(b []byte, v uint64) {
	for i := range 8 { // native little-endian on every platform Folio ships for
		b[i] = byte(v >> (8 * i))
	}
}

// rewriteMeta edits both meta pages' bodies and fixes their checksums.
func rewriteMeta(b []byte, ps int, edit func(meta []byte)) []byte {
	for _, off := range []int{0, ps} {
		meta := b[off+pageHeaderLen : off+pageHeaderLen+metaLen]
		edit(meta)
		h := fnvSum(meta[:56])
		putU64(meta[56:], h)
	}
	return b
}

// A torn meta write (one checksum bad, marker intact) is what bbolt is
// built to survive: the vault opens with the other meta page.
func TestOpenTornMetaPage(t *testing.T) {
	orig, aead := vaultBytes(t)
	for _, page := range []int{0, 1} {
		t.Run(fmt.Sprintf("meta %d", page), func(t *testing.T) {
			b := bytes.Clone(orig)
			b[page*4096+pageHeaderLen+48]++ // txid: checksum no longer holds
			path := filepath.Join(t.TempDir(), "folio.db")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			wantSound(t, db, aead)
		})
	}
}

// Bytes flipped inside the file's pages give errors or reported problems,
// never a panic; the damage is found by Check or VerifyAll.
func TestFlippedBytesInPages(t *testing.T) {
	ctx := context.Background()
	orig, aead := vaultBytes(t)
	const ps = 4096
	pages := len(orig) / ps
	found := 0
	for page := 2; page < pages; page++ {
		b := bytes.Clone(orig)
		rng := mrand.New(mrand.NewPCG(uint64(page), 42))
		if bytes.Equal(b[page*ps:(page+1)*ps], make([]byte, ps)) {
			continue // never-written page
		}
		for range 24 {
			off := page*ps + rng.IntN(ps)
			b[off] ^= byte(1 + rng.IntN(255))
		}
		t.Run(fmt.Sprintf("page %d", page), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "folio.db")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(path, Options{})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, app.ErrNewerSchema) {
					t.Fatalf("open: %v", err)
				}
				found++
				return
			}
			defer db.Close()
			noticed := false
			note := func(err error) {
				if err != nil {
					noticed = true
				}
			}
			note(db.Check(ctx))
			r := db.Records(aead)
			rep, err := r.VerifyAll(ctx)
			note(err)
			if len(rep.Problems) > 0 {
				noticed = true
			}
			cr, err := db.Audit().VerifyChain(ctx, func(_, sig []byte) error { return nil })
			note(err)
			if len(cr.Problems) > 0 {
				noticed = true
			}
			for _, kind := range []app.Kind{kindP, kindU} {
				for _, err := range r.Heads(ctx, kind) {
					note(err)
				}
			}
			_, err = r.History(ctx, kindP, "id-00001")
			note(err)
			_, err = r.Lookup(ctx, tok("shared"))
			note(err)
			_, err = db.Stats(ctx)
			note(err)
			_, err = db.Meta().MetaPrefix(ctx, "")
			note(err)
			_, err = db.Oplog().Pending(ctx, 0, 0)
			note(err)
			_, err = r.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "id-00002", app.Version{}, "x", "tok")}, Audit: [][]byte{[]byte("e")}})
			note(err) // a conflict, or refused on a damaged file
			if noticed {
				found++
			}
		})
	}
	t.Logf("damage noticed in %d of %d pages", found, pages-2)
	if found == 0 {
		t.Fatal("flipped bytes went unnoticed everywhere")
	}
}

// A read-only folder or file gives a clear error on open for writing; a
// read-only open still works.
func TestReadOnlyFolder(t *testing.T) {
	f := closedFixture(t)
	dir := filepath.Dir(f.path)
	if err := os.Chmod(f.path, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if os.WriteFile(filepath.Join(dir, "probe"), nil, 0o600) == nil {
		// Root ignores permissions: make the folder truly read-only.
		_ = os.Remove(filepath.Join(dir, "probe"))
		ro := t.TempDir()
		mount(t, "--bind", dir, ro)
		umountLater(t, ro)
		mount(t, "-o", "remount,ro,bind", ro)
		dir = ro
	}
	for _, name := range []string{"folio.db", "new.db"} {
		_, err := Open(filepath.Join(dir, name), Options{Timeout: 100 * time.Millisecond})
		if err == nil {
			t.Fatalf("%s: opened for writing in a read-only folder", name)
		}
		if !strings.Contains(err.Error(), "check the folder is writable") {
			t.Fatalf("%s: unclear error: %v", name, err)
		}
	}
	db, err := Open(filepath.Join(dir, "folio.db"), Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	defer db.Close()
	if _, err := db.Records(f.aead).Head(context.Background(), kindP, "p"); err != nil {
		t.Fatal(err)
	}
}

// A full disk refuses the commit with a clear error, loses nothing that was
// committed, and the vault opens cleanly afterwards.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(smallDisk(t, "400k"), "folio.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	aead := newAEAD(t)
	r := db.Records(aead)
	var saved []string
	var writeErr error
	for i := range 10_000 {
		var ws []app.RecordWrite
		for j := range 4 {
			ws = append(ws, write(kindP, fmt.Sprintf("p%05d-%d", i, j), app.Version{}, strings.Repeat("x", 2000), "t"))
		}
		if _, err := r.Commit(ctx, app.Commit{Writes: ws, Audit: [][]byte{[]byte("e")}}); err != nil {
			writeErr = err
			break
		}
		for _, w := range ws {
			saved = append(saved, w.ID)
		}
	}
	if writeErr == nil {
		t.Fatal("the disk never filled up")
	}
	if !strings.Contains(writeErr.Error(), "disk has space") || !errors.Is(writeErr, syscall.ENOSPC) {
		t.Fatalf("disk-full error unclear: %v", writeErr)
	}
	// Reads still work on the open DB.
	if _, err := r.Head(ctx, kindP, saved[len(saved)-1]); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Logf("close after disk full: %v", err)
	}
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopen after disk full: %v", err)
	}
	defer db.Close()
	if rep := wantSound(t, db, aead); rep.Records != len(saved) {
		t.Fatalf("%d records after disk full, %d were committed", rep.Records, len(saved))
	}
	t.Logf("%d records saved before: %v", len(saved), writeErr)
}

// Check finds damage inside the bucket trees, including the kinds that
// would make bbolt's own checker fault or loop, and never crashes.
func TestCheckFindsPageDamage(t *testing.T) {
	ctx := context.Background()
	orig, _ := vaultBytes(t)
	const ps = 4096
	// Find the versions bucket's root (a branch page) and its first leaf.
	var root, leaf uint64
	func() {
		p := filepath.Join(t.TempDir(), "probe.db")
		if err := os.WriteFile(p, orig, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := bolt.Open(p, 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		_ = b.View(func(tx *bolt.Tx) error {
			root = uint64(tx.Bucket(bucketVersions).Root())
			return nil
		})
	}()
	le := binary.NativeEndian
	page := func(b []byte, id uint64) []byte { return b[id*ps : (id+1)*ps] }
	if got := le.Uint16(page(orig, root)[8:]); got != branchFlag {
		t.Fatalf("versions root page %d has type %#x, want a branch", root, got)
	}
	for leaf = root; le.Uint16(page(orig, leaf)[8:]) == branchFlag; {
		leaf = le.Uint64(page(orig, leaf)[pageHeaderLen+8:]) // first child
	}
	for _, tc := range []struct {
		name   string
		damage func(b []byte)
		want   string
	}{
		{"branch points to itself", func(b []byte) { le.PutUint64(page(b, root)[pageHeaderLen+8:], root) }, "reached twice"},
		{"branch points past the file", func(b []byte) { le.PutUint64(page(b, root)[pageHeaderLen+8:], 1<<40) }, "outside the file"},
		{"branch key outside its page", func(b []byte) { le.PutUint32(page(b, root)[pageHeaderLen+4:], 1<<30) }, "outside its page"},
		{"leaf key size huge", func(b []byte) { le.PutUint32(page(b, leaf)[pageHeaderLen+8:], 0x810010) }, "outside its page"},
		{"leaf value size huge", func(b []byte) { le.PutUint32(page(b, leaf)[pageHeaderLen+12:], 1<<31) }, "outside its page"},
		{"leaf marked as a nested bucket", func(b []byte) { le.PutUint32(page(b, leaf)[pageHeaderLen:], 1) }, "nested bucket"},
		{"leaf page type", func(b []byte) { le.PutUint16(page(b, leaf)[8:], 0x40) }, "unknown page type"},
		{"leaf page id", func(b []byte) { le.PutUint64(page(b, leaf)[0:], leaf+1) }, "holds page"},
		{"leaf element count", func(b []byte) { le.PutUint16(page(b, leaf)[10:], 0xFFF0) }, "claiming"},
		{"leaf keys out of order", func(b []byte) {
			p := page(b, leaf)
			off := pageHeaderLen + 16 // second element
			kpos := off + int(le.Uint32(p[off+4:]))
			copy(p[kpos:], "\x00\x00")
		}, "out of order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(orig)
			tc.damage(b)
			path := filepath.Join(t.TempDir(), "folio.db")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{true, false} {
				db, err := Open(path, Options{ReadOnly: ro})
				if err != nil {
					t.Fatalf("open: %v", err) // the damage is below what Open reads
				}
				err = db.Check(ctx)
				db.Close()
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("read-only %v: Check = %v, want ErrCorrupt mentioning %q", ro, err, tc.want)
				}
			}
		})
	}
}
