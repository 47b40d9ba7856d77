package dropfolder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testclock"
)

// dropRig is a drop folder with a watcher whose clock the test moves; it
// records what was imported and what was reported.
type dropRig struct {
	t        *testing.T
	dir      string
	c        *testclock.Clock
	w        *Watcher
	imported []string
	reported []error
}

func newDropRig(t *testing.T) *dropRig {
	r := &dropRig{t: t, dir: t.TempDir(), c: testclock.New(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))}
	w, err := New(Options{Dir: r.dir, Settle: 2 * time.Second, Now: r.c.Now,
		Import: func(_ context.Context, name string, data []byte) error {
			r.imported = append(r.imported, name+":"+string(data))
			return nil
		},
		OnError: func(_ string, err error) { r.reported = append(r.reported, err) }})
	if err != nil {
		t.Fatal(err)
	}
	r.w = w
	return r
}

// passes runs n passes of the watcher, the settle time apart, each bound
// to return within a minute (a pass that blocks fails the test).
func (r *dropRig) passes(n int) {
	r.t.Helper()
	for range n {
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.w.Scan(context.Background())
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			r.t.Fatal("a pass of the drop folder did not return: it blocks on a file")
		}
		r.c.Add(3 * time.Second)
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAttackDropFolderLinkStoresItsTarget: a link in the drop folder was
// followed, its target stored and the link removed. Now the link is
// skipped and reported once; the target is not read; link and target stay.
func TestAttackDropFolderLinkStoresItsTarget(t *testing.T) {
	r := newDropRig(t)
	target := filepath.Join(t.TempDir(), "someone-elses.pdf")
	if err := os.WriteFile(target, []byte("%PDF-1.4 another user's file %%EOF"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(r.dir, "scan.pdf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	r.passes(4)
	if len(r.imported) != 0 {
		t.Errorf("the link's target was imported: %q", r.imported)
	}
	if len(r.reported) != 1 || !errors.Is(r.reported[0], ErrLink) || !errors.Is(r.reported[0], ErrSkipped) ||
		r.reported[0].Error() != "skipped: a link; Folio imports files, not links" {
		t.Errorf("reported %v, want the link skipped, once", r.reported)
	}
	if _, err := os.Lstat(link); err != nil {
		t.Errorf("the link was removed: %v", err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the target was removed: %v", err)
	}
}

// TestAttackDropFolderPipe: a named pipe in the drop folder, and a link to
// one (which the watcher's completeness check opened, and blocked on). The
// passes return, both are reported skipped once, nothing is imported, and
// a scan dropped beside them is taken.
func TestAttackDropFolderPipe(t *testing.T) {
	r := newDropRig(t)
	mkfifo(t, filepath.Join(r.dir, "a.pdf"))
	other := t.TempDir()
	mkfifo(t, filepath.Join(other, "pipe"))
	if err := os.Symlink(filepath.Join(other, "pipe"), filepath.Join(r.dir, "b.pdf")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "c.pdf"), []byte("%PDF-1.4 scan %%EOF"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.passes(4)
	if len(r.imported) != 1 || r.imported[0] != "c.pdf:%PDF-1.4 scan %%EOF" {
		t.Errorf("imported %q, want only c.pdf", r.imported)
	}
	if len(r.reported) != 2 || !errors.Is(r.reported[0], ErrNotRegular) || !errors.Is(r.reported[1], ErrLink) ||
		r.reported[0].Error() != "skipped: not a regular file (a named pipe)" {
		t.Errorf("reported %v, want the pipe and the link skipped, once each", r.reported)
	}
}

// TestAttackDropFolderLinkToDevZero: a link to /dev/zero was read until
// memory ran out. It is skipped without a byte read.
func TestAttackDropFolderLinkToDevZero(t *testing.T) {
	r := newDropRig(t)
	if err := os.Symlink("/dev/zero", filepath.Join(r.dir, "zero.pdf")); err != nil {
		t.Fatal(err)
	}
	before := allocated()
	r.passes(3)
	if grew := allocated() - before; grew > 16<<20 {
		t.Errorf("the passes allocated %d MB", grew>>20)
	}
	if len(r.imported) != 0 || len(r.reported) != 1 || !errors.Is(r.reported[0], ErrLink) {
		t.Errorf("imported %d files, reported %v; want the link skipped", len(r.imported), r.reported)
	}
}

// TestAttackDropFolderTooLarge: a 1.6 GB file was read whole before it was
// refused. A sparse one (it takes no disk) is refused by its size, without
// being read, reported once and left in place.
func TestAttackDropFolderTooLarge(t *testing.T) {
	r := newDropRig(t)
	big := filepath.Join(r.dir, "huge.pdf")
	sparse(t, big, 1717986918) // 1.6 GB
	before := allocated()
	r.passes(4)
	if grew := allocated() - before; grew > 16<<20 {
		t.Errorf("the passes allocated %d MB", grew>>20)
	}
	if len(r.imported) != 0 || len(r.reported) != 1 || !errors.Is(r.reported[0], app.ErrTooLarge) ||
		r.reported[0].Error() != "skipped: too large: 1.6 GB, the limit is 512 MB" {
		t.Errorf("imported %d files, reported %v; want huge.pdf skipped as too large, once", len(r.imported), r.reported)
	}
	if _, err := os.Stat(big); err != nil {
		t.Errorf("the file was removed: %v", err)
	}
}

// sparse makes a file of size bytes that takes no disk.
func sparse(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("%PDF-1.4\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// allocated is how many bytes this process has allocated so far.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

func TestReadFileTakesRegularFilesOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "scan.pdf")
	if err := os.WriteFile(file, []byte("%PDF-1.4 scan"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.pdf")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.pdf")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	pipe := filepath.Join(dir, "pipe.pdf")
	mkfifo(t, pipe)
	big := filepath.Join(dir, "big.pdf")
	sparse(t, big, app.MaxImportSize+1)
	for _, c := range []struct {
		name, path string
		opts       ReadOptions
		want       error  // nil: the file's content
		text       string // the error's words, when want is set
	}{
		{"a regular file", file, ReadOptions{}, nil, ""},
		{"a link", link, ReadOptions{}, ErrLink, "skipped: a link; Folio imports files, not links"},
		{"a link a person named", link, ReadOptions{FollowLinks: true}, nil, ""},
		{"a named link to a device", zero, ReadOptions{FollowLinks: true}, ErrNotRegular, "skipped: not a regular file (a device)"},
		{"a named pipe", pipe, ReadOptions{FollowLinks: true}, ErrNotRegular, "skipped: not a regular file (a named pipe)"},
		{"a folder", dir, ReadOptions{}, ErrNotRegular, "skipped: not a regular file (a folder)"},
		{"over the limit", big, ReadOptions{}, app.ErrTooLarge, "skipped: too large: 512 MB, the limit is 512 MB"},
		// /proc files say they are empty and are not: the read is bounded
		// however large the file says it is.
		{"larger than it says", "/proc/self/maps", ReadOptions{Limit: 64}, app.ErrTooLarge, "skipped: too large: it grew past the limit of 0 MB while it was read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, err := ReadFile(ctx, c.path, c.opts)
			if c.want == nil {
				if err != nil || string(data) != "%PDF-1.4 scan" {
					t.Errorf("read %q, %v", data, err)
				}
				return
			}
			if !errors.Is(err, c.want) || !errors.Is(err, ErrSkipped) || err.Error() != c.text || data != nil {
				t.Errorf("read %d bytes, %v; want %q", len(data), err, c.text)
			}
		})
	}

	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if data, err := ReadFile(stopped, file, ReadOptions{}); !errors.Is(err, context.Canceled) || data != nil {
		t.Errorf("read after its context ended: %q, %v", data, err)
	}
}
