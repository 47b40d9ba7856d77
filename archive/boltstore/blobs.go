package boltstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/archive"
	"folio/archive/api"
)

// blobDir is the blob side of the store: the files under blobs/ and
// uploads/ and what the blobs and uploads buckets say of them. A blob is
// complete once its size is in the blobs bucket (after its file is in
// place); an upload's size (and last chunk's time) is in the uploads
// bucket, its verified chunks are the files of uploads/<id>/.
type blobDir struct {
	dir string
	db  *bolt.DB
	// mu serialises assembling blobs (two uploads of one blob may finish
	// at once) and expiring uploads.
	mu sync.Mutex
}

func (d *blobDir) path(id string) string      { return filepath.Join(d.dir, "blobs", id[:2], id) }
func (d *blobDir) uploadDir(id string) string { return filepath.Join(d.dir, "uploads", id) }
func chunkName(n int) string                  { return strconv.Itoa(n) }
func (d *blobDir) chunkPath(id string, n int) string {
	return filepath.Join(d.uploadDir(id), chunkName(n))
}

// sweep removes what a crash can leave behind: temp files of cut writes,
// and the chunks of uploads that completed (or were discarded) before
// their directory was removed. Verified chunks of live uploads stay.
func (d *blobDir) sweep() error {
	live := map[string]bool{}
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUploads).ForEach(func(k, _ []byte) error {
			live[string(k)] = true
			return nil
		})
	})
	if err != nil {
		return err
	}
	uploads := filepath.Join(d.dir, "uploads")
	ents, err := os.ReadDir(uploads)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !live[e.Name()] {
			if err := os.RemoveAll(filepath.Join(uploads, e.Name())); err != nil {
				return err
			}
		}
	}
	return filepath.WalkDir(d.dir, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasPrefix(e.Name(), ".tmp-") {
			return os.Remove(path)
		}
		return nil
	})
}

// blobState reads what tx knows of a blob: its size if complete, or its
// upload's size (0: no part of it is stored).
func blobState(tx *bolt.Tx, id string) (complete bool, size int64) {
	if v := tx.Bucket(bucketBlobs).Get([]byte(id)); len(v) == 8 {
		return true, int64(binary.BigEndian.Uint64(v))
	}
	if v := tx.Bucket(bucketUploads).Get([]byte(id)); len(v) >= 8 {
		return false, int64(binary.BigEndian.Uint64(v))
	}
	return false, 0
}

// state is blobState in a transaction of its own.
func (d *blobDir) state(id string) (complete bool, size int64, err error) {
	err = d.db.View(func(tx *bolt.Tx) error {
		complete, size = blobState(tx, id)
		return nil
	})
	return complete, size, err
}

// chunks lists the verified chunks of an upload (the chunk files present).
func (d *blobDir) chunks(id string, size int64) ([]int, error) {
	ents, err := os.ReadDir(d.uploadDir(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil || chunkName(n) != e.Name() || n < 0 || n >= api.ChunkCount(size) {
			continue // temp files of a cut write
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// writeChunk keeps a verified chunk, unless it is kept already.
func (d *blobDir) writeChunk(id string, n int, data []byte) error {
	path := d.chunkPath(id, n)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(d.uploadDir(id), 0o700); err != nil {
		return err
	}
	return writeFile(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// status says which chunks of a blob are stored, assembling the blob once
// all are in (BlobStatus).
func (d *blobDir) status(id string) (api.BlobStatus, error) {
	complete, size, err := d.state(id)
	switch {
	case err != nil:
		return api.BlobStatus{}, fmt.Errorf("blob %s: %w", id, err)
	case complete:
		return api.CompleteBlob(id, size), nil
	case size == 0:
		return api.BlobStatus{}, archive.NoBlob(id)
	}
	have, err := d.chunks(id, size)
	if err != nil {
		return api.BlobStatus{}, fmt.Errorf("blob %s: %w", id, err)
	}
	return archive.UploadStatus(id, size, have, func() error { return d.finish(id, size) })
}

// finish assembles a fully uploaded blob, checks its hash and makes it
// visible; a blob whose chunks do not hash to its id is discarded.
func (d *blobDir) finish(id string, size int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if complete, _, err := d.state(id); err != nil || complete {
		return err
	}
	path := d.path(id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("assemble blob %s: %w", id, err)
	}
	h := sha256.New()
	err := writeFile(path, func(w io.Writer) error {
		w = io.MultiWriter(w, h)
		for n := range api.ChunkCount(size) {
			f, err := os.Open(d.chunkPath(id, n))
			if err != nil {
				return err
			}
			got, err := io.Copy(w, f)
			f.Close()
			if err != nil {
				return err
			}
			if int(got) != api.ChunkLen(size, n) {
				return fmt.Errorf("%w: stored chunk %d is %d bytes", api.ErrInternal, n, got)
			}
		}
		if hex.EncodeToString(h.Sum(nil)) != id {
			return fmt.Errorf("%w: the chunks of blob %s do not hash to its id: upload it again", api.ErrHashMismatch, id)
		}
		return nil
	})
	if errors.Is(err, api.ErrHashMismatch) {
		// Every chunk matched what the device said, the whole does not:
		// drop the upload so a fresh one starts clean.
		_ = d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUploads).Delete([]byte(id)) })
		_ = os.RemoveAll(d.uploadDir(id))
	}
	if err != nil {
		return fmt.Errorf("assemble blob %s: %w", id, err)
	}
	err = d.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketBlobs).Put([]byte(id), u64(uint64(size))); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUploads).Delete([]byte(id)); err != nil {
			return err
		}
		return addStat(tx, statBlobBytes, size)
	})
	if err != nil {
		return fmt.Errorf("record blob %s: %w", id, err)
	}
	// The chunks are garbage now; a crash before this only leaves them.
	_ = os.RemoveAll(d.uploadDir(id))
	return nil
}

// BlobStatus implements archive.Store.
func (s *Store) BlobStatus(ctx context.Context, id string) (api.BlobStatus, error) {
	if _, err := api.ParseBlobID(id); err != nil {
		return api.BlobStatus{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.BlobStatus{}, err
	}
	return s.files.status(id)
}

// PutChunk implements archive.Store.
func (s *Store) PutChunk(ctx context.Context, id string, size int64, n int, sum [32]byte, data []byte) (api.BlobStatus, error) {
	if err := archive.CheckChunk(id, size, n, sum, data); err != nil {
		return api.BlobStatus{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.BlobStatus{}, err
	}
	var complete bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		var held int64
		complete, held = blobState(tx, id)
		switch {
		case complete && held != size:
			return fmt.Errorf("%w: blob %s is stored with %d bytes, not %d", api.ErrConflict, id, held, size)
		case complete:
			return nil
		case held != 0 && held != size:
			return fmt.Errorf("%w: blob %s is being uploaded with %d bytes, not %d", api.ErrConflict, id, held, size)
		}
		// The upload is alive as long as chunks arrive (ExpireUploads).
		return tx.Bucket(bucketUploads).Put([]byte(id), append(u64(uint64(size)), u64(uint64(time.Now().UnixNano()))...))
	})
	if err != nil {
		return api.BlobStatus{}, fmt.Errorf("blob %s chunk %d: %w", id, n, err)
	}
	if complete {
		return api.CompleteBlob(id, size), nil
	}
	if err := s.files.writeChunk(id, n, data); err != nil {
		return api.BlobStatus{}, fmt.Errorf("store blob %s chunk %d: %w", id, n, err)
	}
	return s.files.status(id)
}

// ExpireUploads implements archive.Store. An upload from a store that did
// not record its last chunk counts as idle since forever.
func (s *Store) ExpireUploads(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.files.mu.Lock() // no upload is assembled meanwhile
	defer s.files.mu.Unlock()
	var gone []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		up := tx.Bucket(bucketUploads)
		c := up.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var last int64
			if len(v) >= 16 {
				last = int64(binary.BigEndian.Uint64(v[8:]))
			}
			if last < before.UnixNano() {
				gone = append(gone, string(k))
			}
		}
		for _, id := range gone {
			if err := up.Delete([]byte(id)); err != nil {
				return err
			}
			if err := refund(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire idle uploads: %w", err)
	}
	// A crash before the chunks are removed leaves them to Open's sweep.
	for _, id := range gone {
		if err := os.RemoveAll(s.files.uploadDir(id)); err != nil {
			return len(gone), fmt.Errorf("remove the chunks of expired upload %s: %w", id, err)
		}
	}
	return len(gone), nil
}

// SetQuota implements archive.Store.
func (s *Store) SetQuota(ctx context.Context, name string, bytes int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := archive.CheckQuota(name, bytes); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if bytes == 0 {
			return tx.Bucket(bucketQuotas).Delete([]byte(name))
		}
		return tx.Bucket(bucketQuotas).Put([]byte(name), u64(uint64(bytes)))
	})
	if err != nil {
		return fmt.Errorf("set the quota of %s: %w", name, err)
	}
	return nil
}

// Quotas implements archive.Store.
func (s *Store) Quotas(ctx context.Context) (map[string]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQuotas).ForEach(func(k, v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("%w: the quota of %q is damaged", api.ErrInternal, k)
			}
			out[string(k)] = int64(binary.BigEndian.Uint64(v))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read the workstations' quotas: %w", err)
	}
	return out, nil
}

// Charge implements archive.Store.
func (s *Store) Charge(ctx context.Context, device api.DeviceID, blob string, size, quota int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var held int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		dev, _, err := getDevice(tx, device)
		if err != nil {
			return err
		}
		held = dev.Held
		id := []byte(blob)
		if tx.Bucket(bucketCharges).Get(id) != nil || tx.Bucket(bucketBlobs).Get(id) != nil || tx.Bucket(bucketUploads).Get(id) != nil {
			return nil // held already: charged once, or stored before quotas were counted
		}
		if quota > 0 && held+size > quota {
			return fmt.Errorf("%w: device %s holds %d bytes of its quota of %d, and blob %s is %d more", api.ErrQuota, device, held, quota, blob, size)
		}
		dev.Held += size
		held = dev.Held
		if err := putDevice(tx, device, dev); err != nil {
			return err
		}
		return tx.Bucket(bucketCharges).Put(id, append(u64(uint64(device)), u64(uint64(size))...))
	})
	if err != nil {
		return held, fmt.Errorf("charge blob %s to device %s: %w", blob, device, err)
	}
	return held, nil
}

// refund gives the charge for blob, an upload being discarded, back to the
// device that paid it.
func refund(tx *bolt.Tx, blob string) error {
	charges := tx.Bucket(bucketCharges)
	v := charges.Get([]byte(blob))
	if len(v) != 16 {
		return nil
	}
	device := api.DeviceID(binary.BigEndian.Uint64(v))
	dev, _, err := getDevice(tx, device)
	if err != nil {
		return err
	}
	dev.Held = max(dev.Held-int64(binary.BigEndian.Uint64(v[8:])), 0)
	if err := putDevice(tx, device, dev); err != nil {
		return err
	}
	return charges.Delete([]byte(blob))
}

// OpenBlob implements archive.Store.
func (s *Store) OpenBlob(ctx context.Context, id string) (io.ReadSeekCloser, int64, error) {
	if _, err := api.ParseBlobID(id); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	complete, size, err := s.files.state(id)
	if err != nil {
		return nil, 0, fmt.Errorf("blob %s: %w", id, err)
	}
	if !complete {
		return nil, 0, archive.BlobIncomplete(id)
	}
	f, err := os.Open(s.files.path(id))
	if err != nil {
		return nil, 0, fmt.Errorf("open blob %s: %w", id, err)
	}
	return f, size, nil
}

// Blobs lists every complete blob's id, sorted (bbolt keeps keys in order).
func (s *Store) Blobs(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	return ids, nil
}

// writeFile writes path durably: a temp file in its directory, fsync,
// rename, fsync of the directory. On error nothing is left at path.
func writeFile(path string, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
