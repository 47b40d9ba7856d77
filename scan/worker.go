package scan

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"syscall"

	"folio/app"
)

// DefaultWorkerMemMB is a worker's address-space limit in MiB unless the
// environment variable FOLIO_WORKER_MEM_MB says otherwise (0: no limit). A
// decompression bomb then fails an allocation inside the worker instead of
// eating the machine.
const DefaultWorkerMemMB = 4096

// A Reader reads the files a worker is sent. The worker's reader is
// pageread.Engine (MuPDF and Tesseract, through cgo); this package only
// runs it in a subprocess and speaks the protocol, so that it builds
// without cgo.
type Reader interface {
	Open(name string, data []byte) (File, error)
	Close() error
}

// A File is a file a Reader has open.
type File interface {
	Format() string
	Pages() int
	// PageProgress reads page i (from 0), calling stage as each of its
	// stages starts (stage may be nil).
	PageProgress(i int, stage func(app.ImportStage)) (app.PageAnalysis, error)
	Close() error
}

// NewReader starts a Reader with the given options: pageread.NewReader.
type NewReader func(EngineOptions) (Reader, error)

// ServeWorker runs a scan worker: the body of "folio scan-worker", whose
// reader newReader starts. It reads
// requests from in and writes replies to out, one at a time, until in ends
// (it returns nil) or ctx is done. It holds one Reader, started at the first
// open, and at most one open File: opening a file closes the previous
// one.
//
// A Go panic while reading a file becomes an error reply. A crash inside
// MuPDF or Tesseract ends the process; the pool notices and restarts it.
// When out is the process's stdout, the protocol moves to a private copy of
// that descriptor and fd 1 is pointed at stderr, so nothing the C libraries
// print can corrupt a frame.
func ServeWorker(ctx context.Context, in io.Reader, out io.Writer, newReader NewReader) error {
	out = protectStdout(out)
	limitResources()
	fw := newFrameWriter(out)
	if err := fw.send(readyMsg{Version: protocolVersion, PID: uint64(os.Getpid())}); err != nil {
		return fmt.Errorf("scan worker: greet: %w", err)
	}

	reqs := make(chan message)
	readErr := make(chan error, 1)
	go func() {
		br := bufio.NewReaderSize(in, 64<<10)
		for {
			m, err := readMessage(br)
			if err != nil {
				readErr <- err
				return
			}
			select {
			case reqs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()

	w := &workerState{send: fw.send, newReader: newReader}
	defer w.close()
	greeted := false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-readErr:
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("scan worker: %w", err)
		case m := <-reqs:
			if !greeted {
				h, ok := m.(helloMsg)
				if !ok {
					return fmt.Errorf("scan worker: %w: expected hello, got frame type %#x", ErrProtocol, m.frameType())
				}
				if h.Version != protocolVersion {
					return fmt.Errorf("scan worker: %w: the pool speaks version %d, this worker %d", ErrProtocol, h.Version, protocolVersion)
				}
				greeted = true
				continue
			}
			reply := w.handle(m)
			if reply == nil {
				continue
			}
			if err := fw.send(reply); err != nil {
				return fmt.Errorf("scan worker: reply: %w", err)
			}
		}
	}
}

// workerState is what a worker holds between requests. Only the serving
// goroutine touches it.
type workerState struct {
	// send writes a frame to the pool ahead of the reply (stage frames);
	// nil sends nothing.
	send      func(message) error
	newReader NewReader
	engine    Reader
	opts      EngineOptions // the engine's options
	doc       File          // nil when no file is open
	file      uint64        // the pool's id of doc's file
	name      string
}

// handle answers one request; close requests get no reply (nil). A panic
// becomes an error reply and closes the file.
func (w *workerState) handle(m message) message {
	var file uint64
	what := "the file"
	switch m := m.(type) {
	case openMsg:
		file, what = m.File, m.Name
	case pageMsg:
		file, what = m.File, fmt.Sprintf("page %d of %s", m.Index+1, w.name)
	}
	return w.guard(file, what, func() message { return w.serve(m) })
}

// guard runs f and turns a panic into an error reply about what.
func (w *workerState) guard(file uint64, what string, f func() message) (reply message) {
	defer func() {
		if r := recover(); r != nil {
			w.closeDoc()
			reply = errorMsg{File: file, Code: codeFailed,
				Message: fmt.Sprintf("the reader failed on %s (internal error: %v)", what, r)}
		}
	}()
	return f()
}

// serve answers one request.
func (w *workerState) serve(m message) message {
	var file uint64
	fail := func(err error) message { return errorReply(file, err) }
	switch m := m.(type) {
	case openMsg:
		file = m.File
		w.closeDoc()
		if err := w.ensureEngine(m.Options); err != nil {
			return fail(err)
		}
		d, err := w.engine.Open(m.Name, m.Data)
		if err != nil {
			return fail(err)
		}
		w.doc, w.file, w.name = d, m.File, m.Name
		return openedMsg{File: m.File, Format: d.Format(), Pages: uint64(max(d.Pages(), 0))}
	case pageMsg:
		file = m.File
		if w.doc == nil || w.file != m.File {
			return fail(fmt.Errorf("%w: page %d asked of a file that is not open", ErrProtocol, m.Index+1))
		}
		if m.Index >= uint64(w.doc.Pages()) {
			return fail(fmt.Errorf("%w: %s has %d pages", ErrProtocol, w.name, w.doc.Pages()))
		}
		p, err := w.doc.PageProgress(int(m.Index), func(st app.ImportStage) { w.stage(m, st) })
		if err != nil {
			return fail(err)
		}
		p.Index = int(m.Index)
		return resultMsg{File: m.File, Index: m.Index, Page: p}
	case closeMsg:
		if w.file == m.File {
			w.closeDoc()
		}
		return nil
	default:
		return fail(fmt.Errorf("%w: unexpected frame type %#x", ErrProtocol, m.frameType()))
	}
}

// stage tells the pool that the page of request m has entered stage st. A
// failed write is not reported here: the pipe is broken, so the reply's
// write fails too and ends the worker.
func (w *workerState) stage(m pageMsg, st app.ImportStage) {
	var code uint64
	switch st {
	case app.StageRendering:
		code = stageRender
	case app.StageOCR:
		code = stageRead
	}
	if w.send != nil && code != 0 {
		w.send(stageMsg{File: m.File, Index: m.Index, Stage: code})
	}
}

// ensureEngine makes sure an engine with options o is running.
func (w *workerState) ensureEngine(o EngineOptions) error {
	if w.engine != nil && sameOptions(w.opts, o) {
		return nil
	}
	if w.engine != nil {
		w.engine.Close()
		w.engine = nil
	}
	e, err := w.newReader(o)
	if err != nil {
		return err
	}
	w.engine, w.opts = e, o
	return nil
}

func sameOptions(a, b EngineOptions) bool {
	return a.ViewDPI == b.ViewDPI && a.OCRDPI == b.OCRDPI && a.ThumbWidth == b.ThumbWidth &&
		a.MaxPages == b.MaxPages && a.MaxPixels == b.MaxPixels && slices.Equal(a.Languages, b.Languages)
}

func (w *workerState) closeDoc() {
	if w.doc != nil {
		w.doc.Close()
	}
	w.doc, w.file, w.name = nil, 0, ""
}

func (w *workerState) close() {
	w.closeDoc()
	if w.engine != nil {
		w.engine.Close()
		w.engine = nil
	}
}

// protectStdout gives the protocol its own copy of fd 1 and points fd 1 at
// stderr, when out is the process's stdout. Otherwise it returns out.
func protectStdout(out io.Writer) io.Writer {
	f, ok := out.(*os.File)
	if !ok || f.Fd() != 1 {
		return out
	}
	fd, err := syscall.Dup(1)
	if err != nil {
		return out
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Dup3(2, 1, 0); err != nil {
		syscall.Close(fd)
		return out
	}
	return os.NewFile(uintptr(fd), "scan-protocol")
}

// limitResources caps the worker's address space (FOLIO_WORKER_MEM_MB,
// default DefaultWorkerMemMB) and turns off core dumps, so a bomb fails an
// allocation and an abort leaves no core file behind.
func limitResources() {
	mb := DefaultWorkerMemMB
	if v := os.Getenv("FOLIO_WORKER_MEM_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "scan worker: ignoring FOLIO_WORKER_MEM_MB=%q: not a number of MiB\n", v)
		} else {
			mb = n
		}
	}
	if mb > 0 {
		setSoftLimit(syscall.RLIMIT_AS, uint64(mb)<<20)
	}
	setSoftLimit(syscall.RLIMIT_CORE, 0)
}

// setSoftLimit lowers a resource's soft limit to v (never raises it).
func setSoftLimit(resource int, v uint64) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(resource, &l); err != nil {
		return
	}
	if l.Cur != ^uint64(0) && l.Cur <= v {
		return
	}
	l.Cur = v
	if err := syscall.Setrlimit(resource, &l); err != nil && !errors.Is(err, syscall.EPERM) {
		fmt.Fprintf(os.Stderr, "scan worker: resource limit %d: %v\n", resource, err)
	}
}
