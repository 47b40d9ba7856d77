package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"folio/app"
)

// This file holds the encrypted blob directory: large files (scanned
// originals, page images, page text) kept beside the vault file, one file
// per blob, sealed with a streaming AEAD. doc.go (# Blobs) describes the
// layout and the rules; keep the two in step.

// Limits and names of the blob directory.
const (
	// maxBlobSize bounds one blob's plaintext. PutBlob refuses more with
	// app.ErrInvalid.
	maxBlobSize = 1 << 30
	// maxBlobFile bounds a blob file: the plaintext plus the stream's
	// overhead (for AES256-GCM-HKDF-1MB, a 40-byte header and a 16-byte tag
	// per MiB; the margin allows segments down to about 1 KiB). A larger
	// file is not one this store wrote, and is refused before it is read.
	maxBlobFile = maxBlobSize + maxBlobSize/64 + 64<<10

	minBlobID  = 16
	maxBlobID  = 128
	blobExt    = ".blob"
	tempPrefix = ".tmp-"
	// staleTemp is the age after which OpenBlobs removes a temporary file:
	// far longer than any put takes, so a put still running in another
	// Blobs on the same folder never loses its file.
	staleTemp = time.Hour
	// putChunk is how much plaintext PutBlob hands the encrypting writer
	// between checks of the context.
	putChunk = 1 << 20
)

// blobAD is the associated data of a blob's stream: a blob copied or
// renamed to another id fails to open.
func blobAD(id string) []byte { return []byte("folio blob v1\x00" + id) }

// Blobs is an open blob directory. It holds no key: Sealed returns the
// app.BlobStore that seals and opens blobs with a streaming AEAD, while
// List and Stats work on the files alone. A Blobs is safe for concurrent
// use.
type Blobs struct {
	dir      string
	readOnly bool

	mu sync.Mutex
	// mu protects the following: the fan-out subdirectories known to be
	// durable in dir (created and dir fsynced since, or found at open).
	durable map[string]bool
}

// OpenBlobs opens the blob directory dir (e.g. <data>/blobs beside
// folio.db), creating it with mode 0700 when it does not exist. It checks
// that the folder is writable and removes temporary files older than an hour
// (left by a crash in the middle of a put). Errors: app.ErrInvalid when dir
// is empty or names a file; "cannot write the blob store at DIR: …" when the
// folder is read-only or the disk is full.
func OpenBlobs(dir string) (*Blobs, error) {
	if dir == "" {
		return nil, fmt.Errorf("open blob store: %w", app.Invalidf("no folder name"))
	}
	created := false
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, blobDirErr(dir, err)
		}
		created = true
	case err != nil:
		return nil, fmt.Errorf("open blob store %s: %w", dir, err)
	case !info.IsDir():
		return nil, fmt.Errorf("open blob store %s: %w", dir, app.Invalidf("it is a file, not a folder"))
	}
	b := &Blobs{dir: dir, durable: map[string]bool{}}
	if err := b.probe(); err != nil {
		return nil, err
	}
	if err := b.clean(time.Now().Add(-staleTemp)); err != nil {
		return nil, err
	}
	// The subdirectories clean found are durable from here on; a new
	// folder's entry is made durable in its parent.
	if err := syncDir(dir); err != nil {
		return nil, blobWriteErr(dir, err)
	}
	if created {
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return nil, blobWriteErr(dir, err)
		}
	}
	return b, nil
}

// OpenBlobsReadOnly opens an existing blob directory without writing to it
// (verify, audit review, a backup on read-only media): nothing is created
// or cleaned, and PutBlob and DeleteBlob fail with ErrReadOnly. A missing
// folder is app.ErrNotFound.
func OpenBlobsReadOnly(dir string) (*Blobs, error) {
	if dir == "" {
		return nil, fmt.Errorf("open blob store: %w", app.Invalidf("no folder name"))
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("open blob store %s: %w", dir, app.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("open blob store %s: %w", dir, err)
	case !info.IsDir():
		return nil, fmt.Errorf("open blob store %s: %w", dir, app.Invalidf("it is a file, not a folder"))
	}
	return &Blobs{dir: dir, readOnly: true, durable: map[string]bool{}}, nil
}

// Dir returns the folder as given to OpenBlobs.
func (b *Blobs) Dir() string { return b.dir }

// probe creates and removes a temporary file, so a read-only folder or a
// full disk is reported when the store opens rather than at the first put.
func (b *Blobs) probe() error {
	f, err := os.CreateTemp(b.dir, tempPrefix+"probe-*")
	if err != nil {
		return blobDirErr(b.dir, err)
	}
	name := f.Name()
	err = f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	if err != nil {
		return blobWriteErr(b.dir, err)
	}
	return nil
}

// clean removes the temporary files modified before cutoff, in dir and in
// every fan-out subdirectory, and records the subdirectories as durable.
// A file that cannot be removed is left (List and GetBlob ignore it); a
// folder that cannot be read is an error.
func (b *Blobs) clean(cutoff time.Time) error {
	top, err := os.ReadDir(b.dir)
	if err != nil {
		return fmt.Errorf("open blob store %s: %w", b.dir, err)
	}
	b.removeStale(b.dir, top, cutoff)
	for _, e := range top {
		if !e.IsDir() || !isFanout(e.Name()) {
			continue
		}
		sub := filepath.Join(b.dir, e.Name())
		entries, err := os.ReadDir(sub)
		if err != nil {
			return fmt.Errorf("open blob store %s: %w", b.dir, err)
		}
		b.removeStale(sub, entries, cutoff)
		b.durable[e.Name()] = true
	}
	return nil
}

func (b *Blobs) removeStale(dir string, entries []fs.DirEntry, cutoff time.Time) {
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tempPrefix) || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// List yields the id of every stored blob, in id order. It reads one
// fan-out subdirectory at a time and holds nothing across a yield, so the
// loop body may put and delete blobs (a listing is not a snapshot).
// Temporary files and names that are not a blob's are skipped. An error
// (an unreadable folder, the context ending) is yielded once and ends the
// listing.
func (b *Blobs) List(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for sub, err := range b.subdirs(ctx) {
			if err != nil {
				yield("", err)
				return
			}
			entries, err := b.blobFiles(ctx, sub)
			if err != nil {
				yield("", err)
				return
			}
			for _, e := range entries {
				if !yield(e.id, nil) {
					return
				}
			}
		}
	}
}

// Stats counts the stored blobs and the bytes their files take (ciphertext,
// headers and tags included; temporary files excluded).
func (b *Blobs) Stats(ctx context.Context) (count int, size int64, err error) {
	for sub, err := range b.subdirs(ctx) {
		if err != nil {
			return 0, 0, err
		}
		entries, err := b.blobFiles(ctx, sub)
		if err != nil {
			return 0, 0, err
		}
		for _, e := range entries {
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted meanwhile
			}
			if err != nil {
				return 0, 0, fmt.Errorf("blob store %s: %w", b.dir, err)
			}
			count++
			size += info.Size()
		}
	}
	return count, size, nil
}

// subdirs yields the names of the fan-out subdirectories, in order.
func (b *Blobs) subdirs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if err := ctx.Err(); err != nil {
			yield("", err)
			return
		}
		top, err := os.ReadDir(b.dir)
		if err != nil {
			yield("", fmt.Errorf("blob store %s: %w", b.dir, err))
			return
		}
		for _, e := range top {
			if e.IsDir() && isFanout(e.Name()) {
				if !yield(e.Name(), nil) {
					return
				}
			}
		}
	}
}

type blobFile struct {
	id string
	fs.DirEntry
}

// blobFiles reads one fan-out subdirectory and returns its blob files in
// id order: regular files named id.blob whose id is valid and starts with
// the subdirectory's name.
func (b *Blobs) blobFiles(ctx context.Context, sub string) ([]blobFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(b.dir, sub))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("blob store %s: %w", b.dir, err)
	}
	var out []blobFile
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), blobExt)
		if ok && e.Type().IsRegular() && validBlobID(id) && id[:2] == sub {
			out = append(out, blobFile{id, e})
		}
	}
	return out, nil
}

// path returns the file of id and its subdirectory. id must be valid.
func (b *Blobs) path(id string) (file, sub string) {
	sub = filepath.Join(b.dir, id[:2])
	return filepath.Join(sub, id+blobExt), sub
}

// ensureSubdir creates id's fan-out subdirectory when it is missing. It
// reports whether dir must be fsynced once the blob is in place: the first
// time this Blobs uses a subdirectory it did not find at open.
func (b *Blobs) ensureSubdir(sub string) (syncParent bool, err error) {
	name := filepath.Base(sub)
	b.mu.Lock()
	known := b.durable[name]
	b.mu.Unlock()
	if known {
		return false, nil
	}
	if err := os.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	return true, nil
}

func (b *Blobs) markDurable(sub string) {
	b.mu.Lock()
	b.durable[filepath.Base(sub)] = true
	b.mu.Unlock()
}

// Sealed returns the app.BlobStore over this directory that seals every
// blob with aead. With a nil aead (the vault is locked) every method fails
// with app.ErrLocked.
func (b *Blobs) Sealed(aead app.StreamingAEAD) *SealedBlobs {
	return &SealedBlobs{b: b, aead: aead}
}

// SealedBlobs is the blob directory seen through a streaming AEAD: it
// implements app.BlobStore. It is safe for concurrent use as long as the
// AEAD is (Tink's is).
type SealedBlobs struct {
	b    *Blobs
	aead app.StreamingAEAD
}

var _ app.BlobStore = (*SealedBlobs)(nil)

// check is the start of every method: the vault is unlocked, the context
// is live, and id is a valid blob id.
func (s *SealedBlobs) check(ctx context.Context, id string) error {
	if s.aead == nil {
		return fmt.Errorf("blob store %s: %w", s.b.dir, app.ErrLocked)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validBlobID(id) {
		return fmt.Errorf("blob id %q: %w", clip(id), app.Invalidf("want %d to %d lowercase hex digits", minBlobID, maxBlobID))
	}
	return nil
}

// PutBlob seals data under id, durably: the stream goes to a temporary file
// in id's subdirectory, which is fsynced, closed, renamed into place, and
// its subdirectory fsynced (and the blob folder, the first time a new
// subdirectory is used). An id that is already stored succeeds without
// writing anything (ids are derived from content). Nothing is left behind
// on failure. More than 1 GiB is app.ErrInvalid; write problems come back as
// "cannot write the blob store at DIR: …".
func (s *SealedBlobs) PutBlob(ctx context.Context, id string, data []byte) error {
	if err := s.check(ctx, id); err != nil {
		return err
	}
	if s.b.readOnly {
		return fmt.Errorf("blob store %s: %w", s.b.dir, ErrReadOnly)
	}
	if len(data) > maxBlobSize {
		return fmt.Errorf("blob %s: %w", id, app.Invalidf("%d bytes, more than the %d a blob may hold", len(data), maxBlobSize))
	}
	file, sub := s.b.path(id)
	if _, err := os.Lstat(file); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", id, err)
	}
	syncParent, err := s.b.ensureSubdir(sub)
	if err != nil {
		return blobWriteErr(s.b.dir, err)
	}
	if err := s.writeTemp(ctx, id, sub, file, data); err != nil {
		return err
	}
	if err := syncDir(sub); err != nil {
		return blobWriteErr(s.b.dir, err)
	}
	if syncParent {
		if err := syncDir(s.b.dir); err != nil {
			return blobWriteErr(s.b.dir, err)
		}
		s.b.markDurable(sub)
	}
	return nil
}

// writeTemp seals data into a new temporary file in sub and renames it to
// file. On any error the temporary file is removed.
func (s *SealedBlobs) writeTemp(ctx context.Context, id, sub, file string, data []byte) (err error) {
	f, err := os.CreateTemp(sub, tempPrefix+"*")
	if err != nil {
		return blobWriteErr(s.b.dir, err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = os.Remove(tmp)
		}
	}()
	// The writer sees only Write: closing the stream must not close f
	// before it is synced.
	w, err := s.aead.NewEncryptingWriter(struct{ io.Writer }{f}, blobAD(id))
	if err != nil {
		return fmt.Errorf("seal blob %s: %w", id, err)
	}
	for rest := data; len(rest) > 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(rest), putChunk)
		if _, err := w.Write(rest[:n]); err != nil {
			return blobWriteErr(s.b.dir, err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil { // seals the last segment
		return blobWriteErr(s.b.dir, err)
	}
	if err := f.Sync(); err != nil {
		return blobWriteErr(s.b.dir, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return blobWriteErr(s.b.dir, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return blobWriteErr(s.b.dir, err)
	}
	return nil
}

// GetBlob returns id's plaintext once the whole stream has been read and
// authenticated; it never returns part of a blob. Errors: app.ErrNotFound;
// an error wrapping app.ErrTampered (naming the id) when the file fails
// authentication, is truncated or extended, or was copied from another id;
// a read error of the file system as it is.
func (s *SealedBlobs) GetBlob(ctx context.Context, id string) ([]byte, error) {
	if err := s.check(ctx, id); err != nil {
		return nil, err
	}
	var out []byte
	err := s.open(ctx, id, func(r io.Reader, size int64) error {
		// Plaintext is never longer than its ciphertext, so this buffer
		// does not grow.
		buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
		if _, err := buf.ReadFrom(io.LimitReader(r, maxBlobSize+1)); err != nil {
			return err
		}
		if buf.Len() > maxBlobSize {
			return fmt.Errorf("more than %d bytes of plaintext", maxBlobSize)
		}
		out = buf.Bytes()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Verify reads id's whole stream and authenticates it, keeping no
// plaintext (memory stays at one segment). It returns nil, app.ErrNotFound,
// an error wrapping app.ErrTampered, or a read error, as GetBlob does.
func (s *SealedBlobs) Verify(ctx context.Context, id string) error {
	if err := s.check(ctx, id); err != nil {
		return err
	}
	return s.open(ctx, id, func(r io.Reader, _ int64) error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
}

// open runs read on id's decrypting stream and sorts its errors: a problem
// of the file or the context passes through, any other failure of the
// stream is tampering.
func (s *SealedBlobs) open(ctx context.Context, id string, read func(r io.Reader, size int64) error) error {
	file, _ := s.b.path(id)
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", id, app.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read blob %s: %w", id, err)
	}
	defer f.Close()
	info, err := f.Stat()
	switch {
	case err != nil:
		return fmt.Errorf("read blob %s: %w", id, err)
	case !info.Mode().IsRegular():
		return fmt.Errorf("blob %s: %w (not a regular file)", id, app.ErrTampered)
	case info.Size() > maxBlobFile:
		return fmt.Errorf("blob %s: %w (the file is %d bytes, larger than any blob)", id, app.ErrTampered, info.Size())
	}
	src := &sourceReader{ctx: ctx, r: f}
	r, err := s.aead.NewDecryptingReader(src, blobAD(id))
	if err == nil {
		err = read(r, info.Size())
	}
	switch {
	case src.err != nil:
		return fmt.Errorf("read blob %s: %w", id, src.err)
	case err != nil:
		return fmt.Errorf("blob %s: %w (%v)", id, app.ErrTampered, err)
	}
	return nil
}

// HasBlob reports whether id is stored (without reading it).
func (s *SealedBlobs) HasBlob(ctx context.Context, id string) (bool, error) {
	if err := s.check(ctx, id); err != nil {
		return false, err
	}
	file, _ := s.b.path(id)
	info, err := os.Lstat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("blob %s: %w", id, err)
	}
	return info.Mode().IsRegular(), nil
}

// DeleteBlob removes id's file and fsyncs its subdirectory; a missing id is
// no error. Deleting does not shred: the key that sealed the blob does.
func (s *SealedBlobs) DeleteBlob(ctx context.Context, id string) error {
	if err := s.check(ctx, id); err != nil {
		return err
	}
	if s.b.readOnly {
		return fmt.Errorf("blob store %s: %w", s.b.dir, ErrReadOnly)
	}
	file, sub := s.b.path(id)
	if err := os.Remove(file); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return blobWriteErr(s.b.dir, err)
	}
	if err := syncDir(sub); err != nil {
		return blobWriteErr(s.b.dir, err)
	}
	return nil
}

// sourceReader is the file under a decrypting reader. It stops at the end
// of the context and keeps the first error that is not io.EOF, so a
// failure of the disk is told apart from a failure to authenticate.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// validBlobID reports whether id is 16 to 128 lowercase hex digits.
func validBlobID(id string) bool {
	if len(id) < minBlobID || len(id) > maxBlobID {
		return false
	}
	for i := range len(id) {
		if !isHex(id[i]) {
			return false
		}
	}
	return true
}

// isFanout reports whether name is a fan-out subdirectory: 2 lowercase hex
// digits.
func isFanout(name string) bool {
	return len(name) == 2 && isHex(name[0]) && isHex(name[1])
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// clip shortens a rejected id for an error message.
func clip(s string) string {
	const show = 40
	if len(s) > show {
		return s[:show] + "…"
	}
	return s
}

func blobWriteErr(dir string, err error) error {
	return fmt.Errorf("cannot write the blob store at %s: %w; check the folder is writable and the disk has space", dir, err)
}

// blobDirErr words a failure to create the folder or a file in it: a write
// problem gets the advice, anything else (a file where a folder should be)
// says what it is.
func blobDirErr(dir string, err error) error {
	switch {
	case isWriteProblem(err):
		return blobWriteErr(dir, err)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("open blob store %s: %w", dir, app.Invalidf("a file is in the way of the folder (%v)", err))
	}
	return fmt.Errorf("open blob store %s: %w", dir, err)
}
