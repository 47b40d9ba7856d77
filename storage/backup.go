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
	"time"

	bolt "go.etcd.io/bbolt"
)

// This file takes backups while the vault is in use: the vault file's live
// data as one read transaction sees it, and the blob files (immutable once in place),
// copied as they are stored — encrypted, without a key, with nothing
// decrypted on the way.

// Snapshot writes a consistent copy of the vault file to path while the
// vault stays in use: bolt.Compact reads the whole file in one read
// transaction and writes only its live data into a new file, so the copy
// holds whole commits only and none of the free pages (a removed key slot
// lingers there until a scrub: compact.go). The copy is built under a
// temporary name beside path, synced, renamed over path and the folder
// synced: a crash leaves the previous copy at path or the new one.
func (db *DB) Snapshot(ctx context.Context, path string) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("copy the vault to %s: %w", path, err)
		}
	}()
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-"+hex.EncodeToString(rnd[:]))
	dst, err := openBolt(tmp, false, time.Second)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	db.swap.RLock()
	err = db.copyLive(dst)
	db.swap.RUnlock()
	if err == nil {
		err = dst.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete([]byte(metaScrubPending)) })
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
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
