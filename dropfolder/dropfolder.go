// Package dropfolder watches the folder a scanner writes its files into and
// hands each finished file to the import once. A scanner writes a file over
// seconds, so a file is taken only when its size and modification time have
// not changed for the settle time. After a successful import the file is
// removed from the folder (the vault now holds it encrypted, and a plain
// copy of a chart should not linger on disk) unless Keep is set; a failed
// import leaves it in place and is retried on the next pass. The folder is
// polled rather than watched with inotify: polling also works on network
// shares and USB drives, and the scanner's pace makes it cheap.
//
// Only regular files are taken, read with ReadFile: a link, a named pipe or
// a device in the folder is skipped and reported once (OnError, a
// *SkipError), never read, followed or removed; so is a file larger than
// app.MaxImportSize. ReadFile is also how `folio import` and the window
// read the files a person names.
//
// Intake (intake.go) is the drop-folder intake itself, written once for the
// window and `folio watch`: it finishes the imports a restart interrupted,
// then runs a Watcher that imports through the signed-in user's session.
package dropfolder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configure a Watcher.
type Options struct {
	Dir      string
	Interval time.Duration // between passes; default 1 s
	Settle   time.Duration // unchanged this long = complete; default 2 s
	// Keep leaves imported files in the folder (they are remembered and not
	// imported again).
	Keep bool
	// Import stores one file; name is its base name. An error leaves the
	// file for the next pass.
	Import func(ctx context.Context, name string, data []byte) error
	// OnError is told about files that could not be taken (optional). A
	// file skipped for what it is (a *SkipError) is reported once, until
	// it changes.
	OnError func(path string, err error)
	Now     func() time.Time
}

// Watcher is a drop-folder intake.
type Watcher struct {
	opts Options
	// mu protects the following.
	mu      sync.Mutex
	seen    map[string]fileState // path → last observed state
	done    map[string]fileState // imported and kept (Keep), by path
	skipped map[string]fileState // not taken (a *SkipError), by path, as it was then
}

type fileState struct {
	size  int64
	mtime time.Time
	since time.Time // when this state was first observed
}

// same reports whether the file looks unchanged (size and time).
func (a fileState) same(b fileState) bool { return a.size == b.size && a.mtime.Equal(b.mtime) }

// New returns a watcher of opts.Dir.
func New(opts Options) (*Watcher, error) {
	if opts.Dir == "" || opts.Import == nil {
		return nil, errors.New("drop folder: a folder and an import function are needed")
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Settle <= 0 {
		opts.Settle = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	st, err := os.Stat(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("drop folder %s: %w", opts.Dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("drop folder %s is %w", opts.Dir, ErrNotAFolder)
	}
	return &Watcher{opts: opts, seen: map[string]fileState{}, done: map[string]fileState{}, skipped: map[string]fileState{}}, nil
}

// Serve polls the folder until ctx ends.
func (w *Watcher) Serve(ctx context.Context) error {
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		if _, err := w.Scan(ctx); err != nil && ctx.Err() == nil && w.opts.OnError != nil {
			w.opts.OnError(w.opts.Dir, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Scan makes one pass: it imports every file that has settled and returns
// how many it imported. Files still being written wait for a later pass.
func (w *Watcher) Scan(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(w.opts.Dir)
	if err != nil {
		return 0, fmt.Errorf("read drop folder %s: %w", w.opts.Dir, err)
	}
	now := w.opts.Now()
	var ready []string
	states := map[string]fileState{} // of the ready files
	var skips []*SkipError
	present := map[string]bool{}
	w.mu.Lock()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") {
			continue
		}
		info, err := e.Info() // of the entry itself: a link is a link
		if err != nil {
			continue // removed meanwhile
		}
		path := filepath.Join(w.opts.Dir, name)
		present[path] = true
		cur := fileState{size: info.Size(), mtime: info.ModTime(), since: now}
		if d, ok := w.done[path]; ok && d.same(cur) {
			continue // imported and kept
		}
		if d, ok := w.skipped[path]; ok && d.same(cur) {
			continue // reported already
		}
		if reason := notTaken(info); reason != nil {
			w.skipped[path] = cur
			skips = append(skips, &SkipError{Path: path, Reason: reason})
			continue
		}
		prev, ok := w.seen[path]
		if !ok || !prev.same(cur) {
			w.seen[path] = cur
			continue
		}
		// Unchanged since the last pass: a file whose end shows it is
		// whole goes now; any other waits out the settle time.
		if cur.size > 0 && (now.Sub(prev.since) >= w.opts.Settle || looksComplete(path)) {
			ready = append(ready, path)
			states[path] = cur
		}
	}
	for p := range w.seen {
		if !present[p] {
			delete(w.seen, p)
		}
	}
	for p := range w.skipped {
		if !present[p] {
			delete(w.skipped, p)
		}
	}
	w.mu.Unlock()
	if w.opts.OnError != nil {
		for _, e := range skips {
			w.opts.OnError(e.Path, e)
		}
	}

	slices.Sort(ready)
	n := 0
	for _, path := range ready {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		if err := w.take(ctx, path, states[path]); err != nil {
			if w.opts.OnError != nil {
				w.opts.OnError(path, err)
			}
			continue
		}
		n++
	}
	return n, nil
}

// take imports one settled file, seen in state st, and removes (or
// remembers) it.
func (w *Watcher) take(ctx context.Context, path string, st fileState) error {
	data, err := ReadFile(ctx, path, ReadOptions{})
	var skip *SkipError
	if errors.As(err, &skip) {
		w.mu.Lock()
		delete(w.seen, path)
		w.skipped[path] = st
		w.mu.Unlock()
		return err
	}
	if err != nil {
		return err
	}
	if int64(len(data)) != st.size {
		return fmt.Errorf("%s changed while being read; it will be taken on a later pass", path)
	}
	if err := w.opts.Import(ctx, filepath.Base(path), data); err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.seen, path)
	if w.opts.Keep {
		w.done[path] = st
		return nil
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("imported %s, but could not remove it from the drop folder: %w", path, err)
	}
	return nil
}

// looksComplete reports whether a file ends the way a finished PDF, JPEG
// or PNG ends (%%EOF, the end-of-image marker, the IEND chunk). A scanner
// still writing has not written that end yet; other formats (TIFF) wait
// for the settle time. It opens as ReadFile does: only a regular file,
// never through a link, never blocking on a pipe.
func looksComplete(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Size() < 8 {
		return false
	}
	head := make([]byte, 8)
	if _, err := f.ReadAt(head, 0); err != nil {
		return false
	}
	n := min(info.Size(), 1024)
	tail := make([]byte, n)
	if _, err := f.ReadAt(tail, info.Size()-n); err != nil {
		return false
	}
	trimmed := bytes.TrimRight(tail, "\r\n \t\x00")
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return bytes.HasSuffix(trimmed, []byte("%%EOF"))
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return bytes.HasSuffix(tail, []byte{0xFF, 0xD9})
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return bytes.HasSuffix(tail, []byte("IEND\xaeB`\x82"))
	}
	return false
}
