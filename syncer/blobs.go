package syncer

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"folio/app"
	"folio/archive/api"
)

// Blobs moves the vault's blob files (the sealed scans, page images,
// page text and thumbnails) between this workstation and the archive: the
// manifests that name them, the transfers of a round by priority, the
// count of those still to send, and the repair of a damaged or lost one
// from the archive's copy. The rounds and the bundles use it.
type Blobs struct{ e *Engine }

// Blobs returns the engine's blob transfer.
func (e *Engine) Blobs() Blobs { return Blobs{e} }

// manifests reads every blob manifest of the vault, through the session.
func (b Blobs) manifests(ctx context.Context) (map[string]app.BlobManifest, error) {
	ms, skipped, err := b.e.p.Session.BlobManifests(ctx)
	for _, id := range skipped {
		b.e.p.Log.Warn("sync skips a damaged blob manifest", "blob", id)
	}
	return ms, err
}

// writeManifests gives every local blob that has none a manifest record,
// through the session (which names its class and patient): the SHA-256
// and size of its sealed file, by which the archive will know it. The
// manifests travel with the next push. It returns every manifest of the
// vault, the new ones included.
func (b Blobs) writeManifests(ctx context.Context) (map[string]app.BlobManifest, error) {
	have, err := b.manifests(ctx)
	if err != nil {
		return nil, err
	}
	var missing []string
	for id, err := range b.e.p.Blobs.List(ctx) {
		if err != nil {
			return nil, err
		}
		if _, ok := have[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return have, nil
	}
	files := func(yield func(app.SealedBlob, error) bool) {
		for _, id := range missing {
			sum, size, err := b.hashFile(id)
			if errors.Is(err, app.ErrNotFound) {
				continue // deleted meanwhile
			}
			if !yield(app.SealedBlob{ID: id, SHA256: sum, Size: size}, err) || err != nil {
				return
			}
		}
	}
	added, err := b.e.p.Session.AddBlobManifests(ctx, files)
	if err != nil {
		return nil, err
	}
	maps.Copy(have, added)
	return have, nil
}

func (b Blobs) hashFile(id string) (string, int64, error) {
	f, size, err := b.e.p.Blobs.OpenSealed(id)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", 0, fmt.Errorf("read blob %s: %w", id, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

type blobTask struct {
	id     string
	m      app.BlobManifest
	up     bool
	recent bool
}

// move uploads the local blobs the archive lacks and downloads the
// ones this vault lacks, by priority: class first (text and thumbnails,
// then page images, then originals), the patients this session opened
// first within a class, uploads before downloads. ms are the vault's
// manifests. The transfers run side by side on the client's blob
// connections (see mover).
func (b Blobs) move(ctx context.Context, ms map[string]app.BlobManifest, rep *Report) error {
	uploaded, err := b.e.p.DB.Meta().MetaPrefix(ctx, metaUploaded)
	if err != nil {
		return err
	}
	recent := b.e.p.Session.RecentPatients()
	var tasks []blobTask
	for id, m := range ms {
		local := b.e.p.Blobs.Has(id)
		_, done := uploaded[metaUploaded+id]
		if local && done {
			continue
		}
		tasks = append(tasks, blobTask{id: id, m: m, up: local, recent: m.Patient != "" && recent[m.Patient]})
	}
	slices.SortFunc(tasks, func(x, y blobTask) int {
		if c := cmp.Compare(x.m.Class.Rank(), y.m.Class.Rank()); c != 0 {
			return c
		}
		if x.recent != y.recent {
			if x.recent {
				return -1
			}
			return 1
		}
		if x.up != y.up {
			if x.up {
				return -1
			}
			return 1
		}
		return cmp.Compare(x.id, y.id)
	})
	m := newMover(ctx, b, tasks, b.e.p.Client.BlobConnections(), rep)
	err = m.run()
	b.reindex(ctx, m.texts)
	return err
}

// sendLocal is the blob part of a round without a session: it uploads
// the local blobs the archive lacks, smallest first (without the keys
// their classes are unknown; page text and thumbnails are the small ones).
// Their manifests follow in the next round with a session. The hashes of
// the sealed files are remembered for the engine's next rounds.
func (b Blobs) sendLocal(ctx context.Context, rep *Report) error {
	e := b.e
	uploaded, err := e.p.DB.Meta().MetaPrefix(ctx, metaUploaded)
	if err != nil {
		return err
	}
	var tasks []blobTask
	for id, err := range e.p.Blobs.List(ctx) {
		if err != nil {
			return err
		}
		if _, done := uploaded[metaUploaded+id]; done {
			continue
		}
		m, ok := e.sealed[id]
		if !ok {
			sum, size, err := b.hashFile(id)
			if errors.Is(err, app.ErrNotFound) {
				continue // deleted meanwhile
			}
			if err != nil {
				return err
			}
			m = app.BlobManifest{Class: app.BlobOther, SHA256: sum, Size: size}
			if e.sealed == nil {
				e.sealed = map[string]app.BlobManifest{}
			}
			e.sealed[id] = m
		}
		tasks = append(tasks, blobTask{id: id, m: m, up: true})
	}
	slices.SortFunc(tasks, func(x, y blobTask) int { return cmp.Or(cmp.Compare(x.m.Size, y.m.Size), cmp.Compare(x.id, y.id)) })
	return newMover(ctx, b, tasks, e.p.Client.BlobConnections(), rep).run()
}

func (b Blobs) markUploaded(ctx context.Context, id string) error {
	return b.e.p.DB.Meta().UpdateMeta(ctx, map[string][]byte{metaUploaded + id: {1}}, nil)
}

// readChunk reads chunk n of local blob t, after checking that the file
// still has the size its manifest says.
func (b Blobs) readChunk(t blobTask, n int) ([]byte, error) {
	f, size, err := b.e.p.Blobs.OpenSealed(t.id)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size != t.m.Size {
		return nil, fmt.Errorf("%w: blob %s is %d bytes on disk, its manifest says %d", app.ErrTampered, t.id, size, t.m.Size)
	}
	buf := make([]byte, api.ChunkLen(size, n))
	if _, err := f.ReadAt(buf, int64(n)*api.ChunkSize); err != nil {
		return nil, fmt.Errorf("read blob %s: %w", t.id, err)
	}
	return buf, nil
}

// download fetches one blob, resuming from the bytes already held, and
// keeps it only once its hash and its sealed stream check out. It returns
// the bytes it received (kept even when it fails: the next try resumes
// after them).
func (b Blobs) download(ctx context.Context, t blobTask) (int64, error) {
	have := b.e.p.Blobs.PartialSize(t.id)
	if have > t.m.Size {
		b.e.p.Blobs.DiscardPartial(t.id)
		have = 0
	}
	var got int64
	if have < t.m.Size {
		rc, err := b.e.p.Client.BlobData(ctx, t.m.SHA256, have)
		if err != nil {
			return 0, err
		}
		n, err := b.e.p.Blobs.AppendPartial(t.id, io.LimitReader(rc, t.m.Size-have))
		rc.Close()
		got = n
		if err != nil {
			return got, &NetError{Err: fmt.Errorf("download blob %s: %w", t.id, err)}
		}
		if have+n < t.m.Size {
			return got, &NetError{Err: fmt.Errorf("download of blob %s stopped at byte %d of %d", t.id, have+n, t.m.Size)}
		}
	}
	if err := b.e.p.Blobs.CommitPartial(t.id, t.m.SHA256); err != nil {
		return got, err
	}
	if err := b.e.p.Session.CheckReceivedBlob(ctx, t.id); err != nil {
		return got, fmt.Errorf("downloaded %w", err)
	}
	return got, b.markUploaded(ctx, t.id)
}

// reindex has the session derive again the index tokens of the documents
// whose page text just arrived, so their words become searchable here.
func (b Blobs) reindex(ctx context.Context, texts map[string]bool) {
	if err := b.e.p.Session.ReindexTexts(ctx, texts); err != nil {
		b.e.p.Log.Warn("sync could not index a document's text", "err", err)
	}
}

// pendingUploads counts the local blobs the archive does not hold yet.
func (b Blobs) pendingUploads(ctx context.Context) (int, int64) {
	uploaded, err := b.e.p.DB.Meta().MetaPrefix(ctx, metaUploaded)
	if err != nil {
		return 0, 0
	}
	n, size := 0, int64(0)
	for id, err := range b.e.p.Blobs.List(ctx) {
		if err != nil {
			break
		}
		if _, ok := uploaded[metaUploaded+id]; ok {
			continue
		}
		if f, s, err := b.e.p.Blobs.OpenSealed(id); err == nil {
			f.Close()
			n++
			size += s
		}
	}
	return n, size
}
