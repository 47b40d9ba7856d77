package boltstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"folio/archive"
	"folio/archive/api"
	"folio/archive/boltstore"
	"folio/archive/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (archive.Store, func(t *testing.T) archive.Store) {
		dir := t.TempDir()
		open := func(t *testing.T) archive.Store {
			s, err := boltstore.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return open(t), open
	})
}

func TestOpenSweepsCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := boltstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("z"), api.ChunkSize+1)
	id := api.BlobID(data)
	c := data[:api.ChunkSize]
	if _, err := s.PutChunk(context.Background(), id, int64(len(data)), 0, sha256.Sum256(c), c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A cut chunk write, and the chunks of an upload finished just before a crash.
	stale := []string{
		filepath.Join(dir, "uploads", id, ".tmp-123"),
		filepath.Join(dir, "uploads", api.BlobID([]byte("done")), "0"),
		filepath.Join(dir, "blobs", ".tmp-456"),
	}
	for _, p := range stale {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err = boltstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after open: %v", p, err)
		}
	}
	st, err := s.BlobStatus(context.Background(), id)
	if err != nil || len(st.Have) != 1 {
		t.Fatalf("live upload after open: %+v, %v; want its verified chunk kept", st, err)
	}
}

// BenchmarkPush is storetest's push benchmark on the embedded store.
func BenchmarkPush(b *testing.B) {
	s, err := boltstore.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	storetest.BenchmarkPush(b, s)
}
