package storage

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/app"
	"folio/internal/testclock"
)

// gcmAEAD is a real AEAD from the standard library (AES-256-GCM, random
// nonce prefixed), so these tests do not depend on the crypto package.
type gcmAEAD struct{ g cipher.AEAD }

func newAEAD(t testing.TB) app.AEAD {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return gcmAEAD{g}
}

func (a gcmAEAD) Encrypt(pt, ad []byte) ([]byte, error) {
	nonce := make([]byte, a.g.NonceSize(), a.g.NonceSize()+len(pt)+a.g.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return a.g.Seal(nonce, nonce, pt, ad), nil
}

func (a gcmAEAD) Decrypt(ct, ad []byte) ([]byte, error) {
	n := a.g.NonceSize()
	if len(ct) < n+a.g.Overhead() {
		return nil, errors.New("ciphertext too short")
	}
	return a.g.Open(nil, ct[:n], ct[n:], ad)
}

// newClock is the HLC's clock in these tests.
func newClock() *testclock.Clock { return testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) }

// wantSound checks db's file as bbolt does and verifies every record
// with aead, failing t on any problem; it returns the verify report.
func wantSound(t *testing.T, db *DB, aead app.AEAD) VerifyReport {
	t.Helper()
	ctx := context.Background()
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Records(aead).VerifyAll(ctx)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("verify: %v %q", err, rep.Problems)
	}
	return rep
}

type fixture struct {
	path string
	db   *DB
	rec  *Records
	aead app.AEAD
}

// newFixture opens a new vault in a temporary folder; it is closed when the
// test ends.
func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vault", "folio.db")
	db, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	a := newAEAD(t)
	return &fixture{path: path, db: db, rec: db.Records(a), aead: a}
}

// reopen closes and reopens the fixture's file.
func (f *fixture) reopen(t testing.TB, opts Options) {
	t.Helper()
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(f.path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	f.db, f.rec = db, db.Records(f.aead)
}

// raw closes the fixture's DB and runs fn on the file with plain bbolt: the
// way the tamper tests edit bytes behind the store's back.
func (f *fixture) raw(t testing.TB, fn func(tx *bolt.Tx) error) {
	t.Helper()
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(f.path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(f.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	f.db, f.rec = db, db.Records(f.aead)
}

func (f *fixture) commit(t testing.TB, ws ...app.RecordWrite) []app.Version {
	t.Helper()
	vs, err := f.rec.Commit(context.Background(), app.Commit{Writes: ws})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func write(kind app.Kind, id string, parent app.Version, data string, tokens ...string) app.RecordWrite {
	w := app.RecordWrite{Kind: kind, ID: id, Parent: parent, Data: []byte(data)}
	for _, tok := range tokens {
		w.Tokens = append(w.Tokens, []byte(tok))
	}
	return w
}

func tok(s string) []byte { return []byte(s) }

// mount runs mount(8) for a test and skips the test when it may not.
func mount(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Skipf("cannot mount here: %v %s", err, out)
	}
}

// smallDisk is a new folder on a tmpfs of size bytes (as mount's size=),
// unmounted when the test ends; the test is skipped where it may not mount.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	mount(t, "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir)
	umountLater(t, dir)
	return dir
}

func umountLater(t *testing.T, dir string) {
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("id-%05d", i)
	}
	return out
}
