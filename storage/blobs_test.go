package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"

	"folio/app"
)

// newStreamingAEAD is a real Tink streaming AEAD with a fresh key, the
// shape the crypto package hands the blob store.
func newStreamingAEAD(t testing.TB) app.StreamingAEAD {
	t.Helper()
	h, err := keyset.NewHandle(streamingaead.AES256GCMHKDF1MBKeyTemplate())
	if err != nil {
		t.Fatal(err)
	}
	s, err := streamingaead.New(h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// idOf is a content-derived id, as the app derives them (there with a
// keyed PRF).
func idOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func openTestBlobs(t testing.TB) (*Blobs, *SealedBlobs) {
	t.Helper()
	b, err := OpenBlobs(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return b, b.Sealed(newStreamingAEAD(t))
}

// putBlob stores data in s under its id, which it returns.
func putBlob(t *testing.T, s *SealedBlobs, data []byte) string {
	t.Helper()
	id := idOf(data)
	if err := s.PutBlob(context.Background(), id, data); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestBlobRoundTrip(t *testing.T) {
	ctx := context.Background()
	_, s := openTestBlobs(t)
	for _, n := range []int{0, 1, 1000, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3<<20 + 17} {
		data := randomBytes(t, n)
		id := idOf(append([]byte{byte(n)}, data...))
		if has, err := s.HasBlob(ctx, id); err != nil || has {
			t.Fatalf("%d bytes: HasBlob before put = %v, %v", n, has, err)
		}
		if err := s.PutBlob(ctx, id, data); err != nil {
			t.Fatalf("put %d bytes: %v", n, err)
		}
		got, err := s.GetBlob(ctx, id)
		if err != nil {
			t.Fatalf("get %d bytes: %v", n, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: got %d bytes back, different", n, len(got))
		}
		if has, err := s.HasBlob(ctx, id); err != nil || !has {
			t.Fatalf("%d bytes: HasBlob after put = %v, %v", n, has, err)
		}
		if err := s.Verify(ctx, id); err != nil {
			t.Fatalf("verify %d bytes: %v", n, err)
		}
	}
}

func TestBlobFileHoldsNoPlaintext(t *testing.T) {
	b, s := openTestBlobs(t)
	data := bytes.Repeat([]byte("NYIRONGO Thérèse KAB-000123-7 "), 1000)
	id := putBlob(t, s, data)
	file, _ := b.path(id)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("NYIRONGO")) || bytes.Contains(raw, []byte("KAB-000123")) {
		t.Fatal("the blob file holds plaintext")
	}
	if info, _ := os.Stat(file); info.Mode().Perm()&0o077 != 0 {
		t.Fatalf("blob file mode %v is readable by others", info.Mode())
	}
}

func TestBlobPutIsIdempotent(t *testing.T) {
	ctx := context.Background()
	b, s := openTestBlobs(t)
	data := []byte("the same scanned page")
	id := putBlob(t, s, data)
	file, _ := b.path(id)
	before, _ := os.ReadFile(file)
	if err := s.PutBlob(ctx, id, data); err != nil {
		t.Fatalf("second put: %v", err)
	}
	after, _ := os.ReadFile(file)
	if !bytes.Equal(before, after) {
		t.Fatal("a second put of the same id rewrote the blob")
	}
	if n, _, err := b.Stats(ctx); err != nil || n != 1 {
		t.Fatalf("Stats = %d, %v; want 1 blob", n, err)
	}
}

func TestBlobConcurrentPutsOfOneID(t *testing.T) {
	ctx := context.Background()
	b, s := openTestBlobs(t)
	data := randomBytes(t, 2<<20)
	id := idOf(data)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.PutBlob(ctx, id, data)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetBlob(ctx, id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after concurrent puts: %d bytes, %v", len(got), err)
	}
	entries, _ := os.ReadDir(filepath.Join(b.Dir(), id[:2]))
	if len(entries) != 1 {
		t.Fatalf("subfolder holds %d files, want the one blob (no temporary files left)", len(entries))
	}
}

func TestBlobTamperingIsDetected(t *testing.T) {
	ctx := context.Background()
	data := randomBytes(t, 2<<20+100) // three segments
	id := idOf(data)
	other := idOf([]byte("another id"))
	cases := []struct {
		name   string
		damage func(file string, b *Blobs)
		id     string
	}{
		{"flipped byte in the middle", func(f string, _ *Blobs) { flipByte(t, f, 1<<20) }, id},
		{"flipped byte in the header", func(f string, _ *Blobs) { flipByte(t, f, 5) }, id},
		{"flipped last byte", func(f string, _ *Blobs) { flipByte(t, f, -1) }, id},
		{"truncated at a segment boundary", func(f string, _ *Blobs) { truncate(t, f, 1<<20+40) }, id},
		{"truncated by one byte", func(f string, _ *Blobs) { truncate(t, f, fileSize(t, f)-1) }, id},
		{"extended", func(f string, _ *Blobs) { appendBytes(t, f, []byte("more")) }, id},
		{"emptied", func(f string, _ *Blobs) { truncate(t, f, 0) }, id},
		{"copied to another id", func(f string, b *Blobs) {
			dst, sub := b.path(other)
			if err := os.MkdirAll(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(f)
			if err := os.WriteFile(dst, raw, 0o600); err != nil {
				t.Fatal(err)
			}
		}, other},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, s := openTestBlobs(t)
			if err := s.PutBlob(ctx, id, data); err != nil {
				t.Fatal(err)
			}
			file, _ := b.path(id)
			c.damage(file, b)
			got, err := s.GetBlob(ctx, c.id)
			if !errors.Is(err, app.ErrTampered) {
				t.Fatalf("GetBlob = %d bytes, %v; want ErrTampered", len(got), err)
			}
			if got != nil {
				t.Fatal("GetBlob returned plaintext of a damaged blob")
			}
			if !strings.Contains(err.Error(), c.id) {
				t.Fatalf("error %q does not name the blob", err)
			}
			if err := s.Verify(ctx, c.id); !errors.Is(err, app.ErrTampered) {
				t.Fatalf("Verify = %v; want ErrTampered", err)
			}
		})
	}
}

func TestBlobWrongKey(t *testing.T) {
	ctx := context.Background()
	b, s := openTestBlobs(t)
	data := []byte("sealed with one key")
	id := putBlob(t, s, data)
	_, err := b.Sealed(newStreamingAEAD(t)).GetBlob(ctx, id)
	if !errors.Is(err, app.ErrTampered) {
		t.Fatalf("another key: %v; want ErrTampered", err)
	}
}

func TestBlobErrors(t *testing.T) {
	ctx := context.Background()
	b, s := openTestBlobs(t)
	missing := idOf([]byte("never stored"))
	if _, err := s.GetBlob(ctx, missing); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("missing blob: %v; want ErrNotFound", err)
	}
	for _, bad := range []string{"", "abc", "0123456789ABCDEF", "../../../etc/passwd0000", "0123456789abcdeg",
		strings.Repeat("a", 129), "00/11223344556677"} {
		if err := s.PutBlob(ctx, bad, []byte("x")); !errors.Is(err, app.ErrInvalid) {
			t.Errorf("put id %q: %v; want ErrInvalid", bad, err)
		}
		if _, err := s.GetBlob(ctx, bad); !errors.Is(err, app.ErrInvalid) {
			t.Errorf("get id %q: %v; want ErrInvalid", bad, err)
		}
	}
	locked := b.Sealed(nil)
	if err := locked.PutBlob(ctx, missing, []byte("x")); !errors.Is(err, app.ErrLocked) {
		t.Fatalf("locked put: %v; want ErrLocked", err)
	}
	if _, err := locked.GetBlob(ctx, missing); !errors.Is(err, app.ErrLocked) {
		t.Fatalf("locked get: %v; want ErrLocked", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.PutBlob(cancelled, missing, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: %v", err)
	}
	if has, _ := s.HasBlob(ctx, missing); has {
		t.Fatal("a cancelled put left a blob")
	}

	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBlobs(file); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("OpenBlobs on a file: %v; want ErrInvalid", err)
	}
	if _, err := OpenBlobs(filepath.Join(file, "blobs")); err == nil {
		t.Fatal("OpenBlobs under a file succeeded")
	}
	if _, err := OpenBlobs(""); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("OpenBlobs(\"\"): %v; want ErrInvalid", err)
	}
}

func TestBlobDelete(t *testing.T) {
	ctx := context.Background()
	_, s := openTestBlobs(t)
	data := []byte("to be destroyed at the end of retention")
	id := putBlob(t, s, data)
	if err := s.DeleteBlob(ctx, id); err != nil {
		t.Fatal(err)
	}
	if has, err := s.HasBlob(ctx, id); err != nil || has {
		t.Fatalf("after delete HasBlob = %v, %v", has, err)
	}
	if err := s.DeleteBlob(ctx, id); err != nil {
		t.Fatalf("deleting a missing blob: %v", err)
	}
}

func TestBlobListAndStats(t *testing.T) {
	ctx := context.Background()
	b, s := openTestBlobs(t)
	var want []string
	var plain int64
	for i := range 40 {
		data := randomBytes(t, 100*i)
		id := putBlob(t, s, data)
		want = append(want, id)
		plain += int64(len(data))
	}
	// Litter that is not a blob.
	sub := filepath.Join(b.Dir(), want[0][:2])
	for _, name := range []string{tempPrefix + "123", "README", strings.ToUpper(want[0]) + blobExt} {
		if err := os.WriteFile(filepath.Join(sub, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	var got []string
	for id, err := range b.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List = %d ids, want %d in order", len(got), len(want))
	}
	n, size, err := b.Stats(ctx)
	if err != nil || n != len(want) || size < plain {
		t.Fatalf("Stats = %d blobs, %d bytes, %v; want %d blobs, ≥ %d bytes", n, size, err, len(want), plain)
	}
}

func TestBlobOpenRemovesStaleTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	b, s := openTestBlobs(t)
	data := []byte("kept")
	id := putBlob(t, s, data)
	sub := filepath.Join(b.Dir(), id[:2])
	stale := filepath.Join(sub, tempPrefix+"crashed")
	fresh := filepath.Join(sub, tempPrefix+"in-progress")
	for _, f := range []string{stale, fresh} {
		if err := os.WriteFile(f, []byte("half a blob"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	b2, err := OpenBlobs(b.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("a stale temporary file survived open")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("open removed a temporary file another put may still be writing")
	}
	if got, err := b2.Sealed(s.aead).GetBlob(ctx, id); err != nil || string(got) != "kept" {
		t.Fatalf("blob after reopen: %q, %v", got, err)
	}
}

func TestBlobReadOnly(t *testing.T) {
	ctx := context.Background()
	b, s := openTestBlobs(t)
	data := []byte("on a backup disk")
	id := putBlob(t, s, data)
	ro, err := OpenBlobsReadOnly(b.Dir())
	if err != nil {
		t.Fatal(err)
	}
	rs := ro.Sealed(s.aead)
	if got, err := rs.GetBlob(ctx, id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read-only get: %q, %v", got, err)
	}
	if err := rs.PutBlob(ctx, idOf([]byte("new")), []byte("new")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only put: %v; want ErrReadOnly", err)
	}
	if err := rs.DeleteBlob(ctx, id); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only delete: %v; want ErrReadOnly", err)
	}
	if _, err := OpenBlobsReadOnly(filepath.Join(t.TempDir(), "none")); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("read-only open of a missing folder: %v; want ErrNotFound", err)
	}
}

func flipByte(t *testing.T, file string, at int64) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if at < 0 {
		at = int64(len(raw)) + at
	}
	raw[at] ^= 0x40
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, file string, size int64) {
	t.Helper()
	if err := os.Truncate(file, size); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, file string) int64 {
	t.Helper()
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func appendBytes(t *testing.T, file string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}
