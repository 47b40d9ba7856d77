package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"folio/archive"
	"folio/archive/api"
)

// BlobStatus implements archive.Store.
func (s *Store) BlobStatus(ctx context.Context, id string) (api.BlobStatus, error) {
	if _, err := api.ParseBlobID(id); err != nil {
		return api.BlobStatus{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.BlobStatus{}, err
	}
	return s.status(ctx, id)
}

// status says which chunks of a blob are stored, assembling the blob once
// all are in (BlobStatus). The chunks of a complete blob are not listed.
func (s *Store) status(ctx context.Context, id string) (api.BlobStatus, error) {
	var size int64
	var complete bool
	var have []int32
	err := s.pool.QueryRow(ctx, `
		SELECT b.size, b.complete, COALESCE(array_agg(c.n ORDER BY c.n) FILTER (WHERE c.n IS NOT NULL), '{}')
		FROM blobs b LEFT JOIN blob_chunks c ON c.blob_id = b.id AND NOT b.complete
		WHERE b.id = $1 GROUP BY b.size, b.complete`, id).Scan(&size, &complete, &have)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return api.BlobStatus{}, archive.NoBlob(id)
	case err != nil:
		return api.BlobStatus{}, fmt.Errorf("blob %s: %w", id, err)
	case complete:
		return api.CompleteBlob(id, size), nil
	}
	chunks := make([]int, len(have))
	for i, n := range have {
		chunks[i] = int(n)
	}
	return archive.UploadStatus(id, size, chunks, func() error { return s.finish(ctx, id, size) })
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO blobs (id, size) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, size); err != nil {
			return err
		}
		// The share lock keeps the blob from being assembled or discarded
		// until this chunk is in.
		var held int64
		err := tx.QueryRow(ctx, `SELECT size, complete FROM blobs WHERE id = $1 FOR SHARE`, id).Scan(&held, &complete)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: the upload of blob %s was discarded meanwhile (its chunks did not hash to its id): upload it again", api.ErrConflict, id)
		}
		if err != nil {
			return err
		}
		if held != size {
			if complete {
				return fmt.Errorf("%w: blob %s is stored with %d bytes, not %d", api.ErrConflict, id, held, size)
			}
			return fmt.Errorf("%w: blob %s is being uploaded with %d bytes, not %d", api.ErrConflict, id, held, size)
		}
		if complete {
			return nil
		}
		var stored bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blob_chunks WHERE blob_id = $1 AND n = $2)`, id, n).Scan(&stored); err != nil {
			return err
		}
		// The upload is alive as long as chunks arrive (ExpireUploads).
		if _, err := tx.Exec(ctx, `UPDATE blobs SET touched = now() WHERE id = $1`, id); err != nil {
			return err
		}
		if stored {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO blob_chunks (blob_id, n, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, n, data)
		return err
	})
	if err != nil {
		return api.BlobStatus{}, fmt.Errorf("blob %s chunk %d: %w", id, n, err)
	}
	if complete {
		return api.CompleteBlob(id, size), nil
	}
	return s.status(ctx, id)
}

// finish checks that the chunks of a fully uploaded blob hash to its id
// and makes it visible; a blob whose chunks do not is discarded. The
// chunks are read one at a time, under the blob's row lock.
func (s *Store) finish(ctx context.Context, id string, size int64) error {
	var mismatch bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var complete bool
		err := tx.QueryRow(ctx, `SELECT complete FROM blobs WHERE id = $1 FOR UPDATE`, id).Scan(&complete)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: the upload of blob %s was discarded meanwhile (its chunks did not hash to its id): upload it again", api.ErrHashMismatch, id)
		}
		if err != nil || complete {
			return err // complete: another request assembled it first
		}
		h := sha256.New()
		for n := range api.ChunkCount(size) {
			var data []byte
			err := tx.QueryRow(ctx, `SELECT data FROM blob_chunks WHERE blob_id = $1 AND n = $2`, id, n).Scan(&data)
			if err != nil {
				return fmt.Errorf("read chunk %d: %w", n, err)
			}
			if len(data) != api.ChunkLen(size, n) {
				return fmt.Errorf("%w: stored chunk %d is %d bytes", api.ErrInternal, n, len(data))
			}
			h.Write(data)
		}
		if hex.EncodeToString(h.Sum(nil)) != id {
			// Every chunk matched what the device said, the whole does
			// not: drop the upload so a fresh one starts clean.
			mismatch = true
			_, err := tx.Exec(ctx, `DELETE FROM blobs WHERE id = $1`, id)
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE blobs SET complete = true WHERE id = $1`, id)
		return err
	})
	if err == nil && mismatch {
		err = fmt.Errorf("%w: the chunks of blob %s do not hash to its id: upload it again", api.ErrHashMismatch, id)
	}
	if err != nil {
		return fmt.Errorf("assemble blob %s: %w", id, err)
	}
	return nil
}

// OpenBlob implements archive.Store. The reader fetches one chunk at a
// time; like a file, it is not bound to ctx's cancellation once open.
func (s *Store) OpenBlob(ctx context.Context, id string) (io.ReadSeekCloser, int64, error) {
	if _, err := api.ParseBlobID(id); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	var size int64
	var complete bool
	err := s.pool.QueryRow(ctx, `SELECT size, complete FROM blobs WHERE id = $1`, id).Scan(&size, &complete)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, fmt.Errorf("blob %s: %w", id, err)
	}
	if !complete {
		return nil, 0, archive.BlobIncomplete(id)
	}
	return &blobReader{s: s, ctx: context.WithoutCancel(ctx), id: id, size: size, cur: -1}, size, nil
}

// Blobs lists every complete blob's id, sorted.
func (s *Store) Blobs(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM blobs WHERE complete ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	return ids, nil
}

// blobReader reads a complete blob chunk by chunk. It is not safe for
// concurrent use (as an *os.File read through Seek is not).
type blobReader struct {
	s    *Store
	ctx  context.Context
	id   string
	size int64
	off  int64
	// cur is the chunk held in buf (-1: none).
	cur    int
	buf    []byte
	closed bool
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n := int(r.off / api.ChunkSize)
	if n != r.cur {
		var data []byte
		err := r.s.pool.QueryRow(r.ctx, `SELECT data FROM blob_chunks WHERE blob_id = $1 AND n = $2`, r.id, n).Scan(&data)
		if err != nil {
			return 0, fmt.Errorf("read blob %s chunk %d: %w", r.id, n, err)
		}
		if len(data) != api.ChunkLen(r.size, n) {
			return 0, fmt.Errorf("%w: blob %s chunk %d is %d bytes in the archive store, want %d", api.ErrInternal, r.id, n, len(data), api.ChunkLen(r.size, n))
		}
		r.cur, r.buf = n, data
	}
	k := copy(p, r.buf[r.off-int64(n)*api.ChunkSize:])
	r.off += int64(k)
	return k, nil
}

func (r *blobReader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, os.ErrClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, fmt.Errorf("seek blob %s: whence %d is not io.SeekStart, io.SeekCurrent or io.SeekEnd", r.id, whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("seek blob %s: offset %d is before the start", r.id, abs)
	}
	r.off = abs
	return abs, nil
}

func (r *blobReader) Close() error {
	if r.closed {
		return os.ErrClosed
	}
	r.closed, r.buf = true, nil
	return nil
}

// ExpireUploads implements archive.Store. The row lock a chunk's insert
// takes (FOR SHARE) keeps an upload receiving a chunk from being expired
// under it.
func (s *Store) ExpireUploads(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// The charges of the discarded uploads go back to the devices that
	// paid them, in the same statement.
	var n int
	err := s.pool.QueryRow(ctx, `
		WITH gone AS (
			DELETE FROM blobs WHERE NOT complete AND touched < $1 RETURNING id
		), refunds AS (
			DELETE FROM blob_charges c USING gone WHERE c.id = gone.id RETURNING c.device, c.size
		), refunded AS (
			UPDATE devices d SET held = GREATEST(d.held - r.total, 0)
			FROM (SELECT device, sum(size) AS total FROM refunds GROUP BY device) r
			WHERE d.device = r.device
		)
		SELECT count(*) FROM gone`, pgTime(before)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("expire idle uploads: %w", err)
	}
	return n, nil
}

// SetQuota implements archive.Store.
func (s *Store) SetQuota(ctx context.Context, name string, bytes int64) error {
	if err := archive.CheckQuota(name, bytes); err != nil {
		return err
	}
	var err error
	if bytes == 0 {
		_, err = s.pool.Exec(ctx, `DELETE FROM quotas WHERE name = $1`, name)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO quotas (name, bytes) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET bytes = excluded.bytes`, name, bytes)
	}
	if err != nil {
		return fmt.Errorf("set the quota of %s: %w", name, err)
	}
	return nil
}

// Quotas implements archive.Store.
func (s *Store) Quotas(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, bytes FROM quotas`)
	if err != nil {
		return nil, fmt.Errorf("read the workstations' quotas: %w", err)
	}
	out := map[string]int64{}
	var name string
	var bytes int64
	_, err = pgx.ForEachRow(rows, []any{&name, &bytes}, func() error {
		out[name] = bytes
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the workstations' quotas: %w", err)
	}
	return out, nil
}

// Charge implements archive.Store. The device's row lock orders its
// charges; the charge's primary key makes a blob charged once.
func (s *Store) Charge(ctx context.Context, device api.DeviceID, blob string, size, quota int64) (int64, error) {
	var held int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		dev := i64(uint64(device))
		var known bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blob_charges WHERE id = $1) OR EXISTS (SELECT 1 FROM blobs WHERE id = $1)`, blob).Scan(&known)
		if err != nil {
			return err
		}
		if known { // held already: charged once, or stored before quotas were counted
			err := tx.QueryRow(ctx, `SELECT held FROM devices WHERE device = $1`, dev).Scan(&held)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO devices (device) VALUES ($1) ON CONFLICT (device) DO NOTHING`, dev); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT held FROM devices WHERE device = $1 FOR UPDATE`, dev).Scan(&held); err != nil {
			return err
		}
		if quota > 0 && held+size > quota {
			return fmt.Errorf("%w: device %s holds %d bytes of its quota of %d, and blob %s is %d more", api.ErrQuota, device, held, quota, blob, size)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO blob_charges (id, device, size) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, blob, dev, size)
		if err != nil || tag.RowsAffected() == 0 {
			return err // another device's charge for it came first
		}
		return tx.QueryRow(ctx, `UPDATE devices SET held = held + $2 WHERE device = $1 RETURNING held`, dev, size).Scan(&held)
	})
	if err != nil {
		return held, fmt.Errorf("charge blob %s to device %s: %w", blob, device, err)
	}
	return held, nil
}
