package syncer

import (
	"context"
	"errors"
	"fmt"

	"folio/app"
)

// BlobRepair is what the archive holds of one blob that is missing or
// damaged here, and what Blobs.Repair did about it.
type BlobRepair struct {
	Blob string
	// InArchive: the archive holds the whole blob, its hash verified (the
	// SHA-256 this vault's manifest gives, so it is the file as sealed).
	InArchive bool
	// Repaired: the archive's copy was downloaded, checked (its hash, then
	// its sealed stream with the vault's blob key) and now replaces the
	// local file.
	Repaired bool
	// Err says why the archive could not be asked or the copy not fetched.
	Err error
}

// Why the archive has no copy of a blob (BlobRepair.Err).
var (
	// ErrNeverSent: the blob has no manifest, so it was never sent to the
	// archive (it was damaged or lost before the first sync).
	ErrNeverSent = errors.New("it was never sent to the archive")
	// ErrNotInArchive: the archive does not hold the whole blob.
	ErrNotInArchive = errors.New("the archive does not hold it")
)

// Repair asks the archive, for each blob id (missing or damaged
// here), whether it holds a good copy, and with repair set downloads that
// copy and puts it in place of the local file, checked as every download
// is. The local file is replaced only by a copy that checked out, with a
// rename. It needs a session (the manifests, the blob key). The error is
// for a vault it could not read; what the archive said of each blob is in
// the results.
func (b Blobs) Repair(ctx context.Context, ids []string, repair bool) ([]BlobRepair, error) {
	if b.e.p.Session == nil {
		return nil, fmt.Errorf("repair scans: %w", app.ErrLocked)
	}
	ms, err := b.manifests(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]BlobRepair, 0, len(ids))
	for _, id := range ids {
		r := BlobRepair{Blob: id}
		m, ok := ms[id]
		if !ok {
			r.Err = ErrNeverSent
			out = append(out, r)
			continue
		}
		st, err := b.e.p.Client.BlobStatus(ctx, m.SHA256)
		switch {
		case err != nil:
			r.Err = fmt.Errorf("ask the archive: %w", err)
		case !st.Complete || st.Size != m.Size:
			r.Err = ErrNotInArchive
		default:
			r.InArchive = true
		}
		if r.InArchive && repair {
			b.e.p.Blobs.DiscardPartial(id)
			if _, err := b.download(ctx, blobTask{id: id, m: m}); err != nil {
				r.Err = fmt.Errorf("download: %w", err)
			} else {
				r.Repaired = true
			}
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		out = append(out, r)
	}
	return out, nil
}
