package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"folio/app"
)

// This file is the blob directory's side of sync: blob files travel as
// they are sealed (every device of the organisation holds the same blob
// key, and the stream's associated data binds a file to its id), so the
// syncer reads and writes ciphertext and never needs a key here. A
// download grows a partial file beside the blob's place, kept across
// restarts so that a cut transfer resumes where it stopped; it becomes the
// blob only once its SHA-256 matches what the archive announced.

// partialExt names a download in progress: .part-ID.download in the fan-out
// folder (neither List nor the stale-temp sweep touch it).
const partialExt = ".download"

func (b *Blobs) partialPath(id string) string {
	_, sub := b.path(id)
	return filepath.Join(sub, ".part-"+id+partialExt)
}

// OpenSealed opens id's file as stored (ciphertext) for sending, with its
// size. app.ErrNotFound when there is none.
func (b *Blobs) OpenSealed(id string) (*os.File, int64, error) {
	if !validBlobID(id) {
		return nil, 0, app.Invalidf("blob id %q", clip(id))
	}
	file, _ := b.path(id)
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("blob %s: %w", id, app.ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read blob %s: %w", id, err)
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("blob %s: %w (not a readable regular file: %v)", id, app.ErrTampered, err)
	}
	return f, info.Size(), nil
}

// Has reports whether id's file is in place.
func (b *Blobs) Has(id string) bool {
	if !validBlobID(id) {
		return false
	}
	file, _ := b.path(id)
	info, err := os.Lstat(file)
	return err == nil && info.Mode().IsRegular()
}

// PartialSize returns how many bytes of id's download are held (0 when
// none).
func (b *Blobs) PartialSize(id string) int64 {
	if !validBlobID(id) {
		return 0
	}
	info, err := os.Stat(b.partialPath(id))
	if err != nil {
		return 0
	}
	return info.Size()
}

// AppendPartial appends what r yields to id's download and makes it
// durable; it returns how many bytes it added. A cut stream keeps what
// arrived: the next call resumes after it.
func (b *Blobs) AppendPartial(id string, r io.Reader) (int64, error) {
	if b.readOnly {
		return 0, app.Invalidf("the blob store %s is open read-only", b.dir)
	}
	if !validBlobID(id) {
		return 0, app.Invalidf("blob id %q", clip(id))
	}
	_, sub := b.path(id)
	syncParent, err := b.ensureSubdir(sub)
	if err != nil {
		return 0, blobWriteErr(b.dir, err)
	}
	f, err := os.OpenFile(b.partialPath(id), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return 0, blobWriteErr(b.dir, err)
	}
	n, copyErr := io.Copy(f, r)
	syncErr := f.Sync()
	closeErr := f.Close()
	if syncParent {
		if err := syncDir(b.dir); err == nil {
			b.markDurable(sub)
		}
	}
	if syncErr != nil || closeErr != nil {
		return n, blobWriteErr(b.dir, errors.Join(syncErr, closeErr))
	}
	return n, copyErr
}

// CommitPartial makes id's finished download the blob when its SHA-256 is
// wantSHA (hex). On a mismatch the download is discarded and the error
// wraps app.ErrTampered: the next attempt starts over.
func (b *Blobs) CommitPartial(id, wantSHA string) error {
	part := b.partialPath(id)
	f, err := os.Open(part)
	if err != nil {
		return fmt.Errorf("finish download of blob %s: %w", id, err)
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("finish download of blob %s: %w", id, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA {
		os.Remove(part)
		return fmt.Errorf("%w: the downloaded file's SHA-256 is %s, the archive announced %s; the download was discarded and is tried again next round (if it keeps failing, the archive's copy is damaged: tell the administrator)", app.ErrTampered, got[:12], clip(wantSHA))
	}
	file, sub := b.path(id)
	if err := os.Rename(part, file); err != nil {
		return blobWriteErr(b.dir, err)
	}
	if err := syncDir(sub); err != nil {
		return blobWriteErr(b.dir, err)
	}
	return nil
}

// DiscardPartial removes id's download in progress, if any.
func (b *Blobs) DiscardPartial(id string) {
	if validBlobID(id) {
		os.Remove(b.partialPath(id))
	}
}
