package dropfolder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"folio/app"
)

// Errors of ReadFile. A file the intake does not take is ErrSkipped (a
// *SkipError says which and why) and is never read: ErrNotRegular (a
// named pipe, a device, a socket, a folder), ErrLink, or app.ErrTooLarge.
var (
	ErrSkipped    = errors.New("skipped")
	ErrNotRegular = errors.New("not a regular file")
	ErrLink       = errors.New("a link; Folio imports files, not links")
)

// ErrNotAFolder: the drop folder named is a file (New).
var ErrNotAFolder = errors.New("not a folder")

// SkipError is a file the intake does not take, and why. Its message is
// "skipped: " and the reason, e.g. "skipped: not a regular file (a named
// pipe)".
type SkipError struct {
	Path   string
	Reason error // wraps ErrNotRegular, ErrLink or app.ErrTooLarge
}

func (e *SkipError) Error() string   { return "skipped: " + e.Reason.Error() }
func (e *SkipError) Unwrap() []error { return []error{ErrSkipped, e.Reason} }

// ReadOptions say which files ReadFile takes.
type ReadOptions struct {
	// FollowLinks reads the file a link points to when the path itself is
	// a link: for a file a person named (on the command line, in a file
	// dialog), who chose it. Links found in a folder are never followed:
	// a link in the drop folder could point anywhere (a device, another
	// user's files), and the drop folder removes what it imports.
	FollowLinks bool
	// Limit is the largest file taken; 0 means app.MaxImportSize.
	Limit int64
}

// readChunk is how much ReadFile reads between looks at its context.
const readChunk = 1 << 20

// ReadFile reads a file for the intake: a regular file no larger than
// the limit, whole. It is the one way Folio reads a scanned file, for
// `folio import`, `folio watch` and the window.
//
// The file is opened with O_NOFOLLOW (unless opts.FollowLinks) and
// O_NONBLOCK, so a link is refused and a named pipe cannot block the open;
// the decision is then taken on the opened file (fstat), so nothing can be
// swapped in between a check and the open. A file over the limit is
// refused by its size before any of it is read, and the read itself stops
// one byte past the limit, so a file that grows while it is read is
// refused too. The read stops when ctx ends; nothing partial is returned.
func ReadFile(ctx context.Context, path string, opts ReadOptions) ([]byte, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = app.MaxImportSize
	}
	// A first look, so that a device or a pipe is not even opened
	// (opening some devices has effects); the open file decides below.
	stat := os.Lstat
	if opts.FollowLinks {
		stat = os.Stat
	}
	info, err := stat(path)
	if err != nil {
		return nil, err
	}
	if reason := notTaken(info); reason != nil {
		return nil, &SkipError{Path: path, Reason: reason}
	}
	flags := os.O_RDONLY | syscall.O_NONBLOCK
	if !opts.FollowLinks {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0)
	if errors.Is(err, syscall.ELOOP) && !opts.FollowLinks {
		return nil, &SkipError{Path: path, Reason: ErrLink} // became a link after the first look
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if reason := notTaken(info); reason != nil {
		return nil, &SkipError{Path: path, Reason: reason}
	}
	if info.Size() > limit {
		return nil, &SkipError{Path: path, Reason: &app.TooLargeError{Size: info.Size(), Limit: limit}}
	}
	data := make([]byte, 0, info.Size()+1)
	r := io.LimitReader(f, limit+1)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):min(cap(data), len(data)+readChunk)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if int64(len(data)) > limit {
		return nil, &SkipError{Path: path, Reason: fmt.Errorf("%w: it grew past the limit of %d MB while it was read", app.ErrTooLarge, limit>>20)}
	}
	return data, nil
}

// notTaken says why the intake does not take a file of this kind, or nil
// for a regular file.
func notTaken(info fs.FileInfo) error {
	m := info.Mode()
	switch {
	case m.IsRegular():
		return nil
	case m&fs.ModeSymlink != 0:
		return ErrLink
	case m&fs.ModeNamedPipe != 0:
		return fmt.Errorf("%w (a named pipe)", ErrNotRegular)
	case m&fs.ModeDevice != 0:
		return fmt.Errorf("%w (a device)", ErrNotRegular)
	case m&fs.ModeSocket != 0:
		return fmt.Errorf("%w (a socket)", ErrNotRegular)
	case m.IsDir():
		return fmt.Errorf("%w (a folder)", ErrNotRegular)
	}
	return fmt.Errorf("%w (a special file)", ErrNotRegular)
}
