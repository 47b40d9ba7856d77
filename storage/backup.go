package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// This file takes backups while the vault is in use: the vault file as one
// read transaction sees it, and the blob files (immutable once in place),
// copied as they are stored — encrypted, without a key, with nothing
// decrypted on the way.

// Snapshot writes a consistent copy of the vault file to path: what one
// read transaction sees (bbolt's Tx.WriteTo), so writers go on meanwhile
// and the copy holds whole commits only. It replaces path atomically
// (writeDurably) and fsyncs the folder: a crash leaves the previous copy
// at path or the new one, never half.
func (db *DB) Snapshot(ctx context.Context, path string) error {
	err := writeDurably(path, func(w io.Writer) error {
		return db.view(ctx, func(tx *bolt.Tx) error {
			_, err := tx.WriteTo(w)
			return err
		})
	})
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("copy the vault to %s: %w", path, err)
	}
	return nil
}

// CopyTo copies every blob file into the blob folder dir (created when
// missing), each written to a temporary file, fsynced and renamed, its
// subfolder fsynced. A blob already in dir is left as it is (a blob file
// never changes: a second backup into the same folder copies only the new
// ones). It returns how many files it copied.
func (b *Blobs) CopyTo(ctx context.Context, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("copy the scans to %s: %w", dir, err)
	}
	copied := 0
	touched := map[string]bool{}
	for id, err := range b.List(ctx) {
		if err != nil {
			return copied, err
		}
		src, _ := b.path(id)
		sub := filepath.Join(dir, id[:2])
		dst := filepath.Join(sub, id+blobExt)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return copied, fmt.Errorf("copy the scans to %s: %w", dir, err)
		}
		switch err := CopyFile(src, dst); {
		case errors.Is(err, fs.ErrNotExist):
			continue // deleted meanwhile
		case err != nil:
			return copied, err
		}
		copied++
		touched[sub] = true
	}
	for sub := range touched {
		if err := syncDir(sub); err != nil {
			return copied, fmt.Errorf("copy the scans to %s: %w", dir, err)
		}
	}
	return copied, syncDir(dir)
}

// CopyFile copies the file src to dst durably (writeDurably, mode 0600).
// The caller fsyncs dst's folder once it has placed every file.
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	if err := writeDurably(dst, func(w io.Writer) error { _, err := io.Copy(w, in); return err }); err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// writeDurably writes path through write: into a temporary file beside
// it (mode 0600, named so that the blob folder's clean-up takes it for
// a leftover, never for a blob), fsynced, then renamed over path.
func writeDurably(path string, write func(io.Writer) error) error {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	name := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("%w; check the folder is writable and the disk has space", err)
	}
	defer os.Remove(name)
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	return err
}

// SyncDir fsyncs the folder dir, making the renames in it durable.
func SyncDir(dir string) error { return syncDir(dir) }
