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

// manifests reads every blob manifest of the vault, through the session.
func (e *Engine) manifests(ctx context.Context) (map[string]app.BlobManifest, error) {
	ms, skipped, err := e.p.Session.BlobManifests(ctx)
	for _, id := range skipped {
		e.p.Log.Warn("sync skips a damaged blob manifest", "blob", id)
	}
	return ms, err
}

// writeManifests gives every local blob that has none a manifest record,
// through the session (which names its class and patient): the SHA-256
// and size of its sealed file, by which the archive will know it. The
// manifests travel with the next push. It returns every manifest of the
// vault, the new ones included.
func (e *Engine) writeManifests(ctx context.Context) (map[string]app.BlobManifest, error) {
	have, err := e.manifests(ctx)
	if err != nil {
		return nil, err
	}
	var missing []string
	for id, err := range e.p.Blobs.List(ctx) {
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
			sum, size, err := e.hashFile(id)
			if errors.Is(err, app.ErrNotFound) {
				continue // deleted meanwhile
			}
			if !yield(app.SealedBlob{ID: id, SHA256: sum, Size: size}, err) || err != nil {
				return
			}
		}
	}
	added, err := e.p.Session.AddBlobManifests(ctx, files)
	if err != nil {
		return nil, err
	}
	maps.Copy(have, added)
	return have, nil
}

func (e *Engine) hashFile(id string) (string, int64, error) {
	f, size, err := e.p.Blobs.OpenSealed(id)
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

// moveBlobs uploads the local blobs the archive lacks and downloads the
// ones this vault lacks, by priority: class first (text and thumbnails,
// then page images, then originals), the patients this session opened
// first within a class, uploads before downloads. ms are the vault's
// manifests. The transfers run side by side on the client's blob
// connections (see mover).
func (e *Engine) moveBlobs(ctx context.Context, ms map[string]app.BlobManifest, rep *Report) error {
	uploaded, err := e.p.DB.Meta().MetaPrefix(ctx, metaUploaded)
	if err != nil {
		return err
	}
	recent := e.p.Session.RecentPatients()
	var tasks []blobTask
	for id, m := range ms {
		local := e.p.Blobs.Has(id)
		_, done := uploaded[metaUploaded+id]
		if local && done {
			continue
		}
		tasks = append(tasks, blobTask{id: id, m: m, up: local, recent: m.Patient != "" && recent[m.Patient]})
	}
	slices.SortFunc(tasks, func(a, b blobTask) int {
		if c := cmp.Compare(a.m.Class.Rank(), b.m.Class.Rank()); c != 0 {
			return c
		}
		if a.recent != b.recent {
			if a.recent {
				return -1
			}
			return 1
		}
		if a.up != b.up {
			if a.up {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.id, b.id)
	})
	m := newMover(ctx, e, tasks, e.p.Client.BlobConnections(), rep)
	m.run()
	e.reindex(ctx, m.texts)
	if m.stop != nil {
		return m.stop
	}
	return m.firstErr
}

func (e *Engine) markUploaded(ctx context.Context, id string) error {
	return e.p.DB.Meta().UpdateMeta(ctx, map[string][]byte{metaUploaded + id: {1}}, nil)
}

// readChunk reads chunk n of local blob t, after checking that the file
// still has the size its manifest says.
func (e *Engine) readChunk(t blobTask, n int) ([]byte, error) {
	f, size, err := e.p.Blobs.OpenSealed(t.id)
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
func (e *Engine) download(ctx context.Context, t blobTask) (int64, error) {
	have := e.p.Blobs.PartialSize(t.id)
	if have > t.m.Size {
		e.p.Blobs.DiscardPartial(t.id)
		have = 0
	}
	var got int64
	if have < t.m.Size {
		rc, err := e.p.Client.BlobData(ctx, t.m.SHA256, have)
		if err != nil {
			return 0, err
		}
		n, err := e.p.Blobs.AppendPartial(t.id, io.LimitReader(rc, t.m.Size-have))
		rc.Close()
		got = n
		if err != nil {
			return got, &NetError{Err: fmt.Errorf("download blob %s: %w", t.id, err)}
		}
		if have+n < t.m.Size {
			return got, &NetError{Err: fmt.Errorf("download of blob %s stopped at byte %d of %d", t.id, have+n, t.m.Size)}
		}
	}
	if err := e.p.Blobs.CommitPartial(t.id, t.m.SHA256); err != nil {
		return got, err
	}
	if err := e.p.Session.CheckReceivedBlob(ctx, t.id); err != nil {
		return got, fmt.Errorf("downloaded %w", err)
	}
	return got, e.markUploaded(ctx, t.id)
}

// reindex has the session derive again the index tokens of the documents
// whose page text just arrived, so their words become searchable here.
func (e *Engine) reindex(ctx context.Context, texts map[string]bool) {
	if err := e.p.Session.ReindexTexts(ctx, texts); err != nil {
		e.p.Log.Warn("sync could not index a document's text", "err", err)
	}
}

// pendingUploads counts the local blobs the archive does not hold yet.
func (e *Engine) pendingUploads(ctx context.Context) (int, int64) {
	uploaded, err := e.p.DB.Meta().MetaPrefix(ctx, metaUploaded)
	if err != nil {
		return 0, 0
	}
	n, size := 0, int64(0)
	for id, err := range e.p.Blobs.List(ctx) {
		if err != nil {
			break
		}
		if _, ok := uploaded[metaUploaded+id]; ok {
			continue
		}
		if f, s, err := e.p.Blobs.OpenSealed(id); err == nil {
			f.Close()
			n++
			size += s
		}
	}
	return n, size
}
