package pageread

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"

	"folio/scan"
)

// NewReader starts an Engine as a worker's scan.Reader.
func NewReader(opt scan.EngineOptions) (scan.Reader, error) {
	e, err := NewEngine(opt)
	if err != nil {
		return nil, err
	}
	return reader{e}, nil
}

// reader is an Engine seen as a scan.Reader.
type reader struct{ *Engine }

func (r reader) Open(name string, data []byte) (scan.File, error) {
	d, err := r.Engine.Open(name, data)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ServeWorker runs a scan worker that reads with an Engine: the body of
// "folio scan-worker" (see scan.ServeWorker).
func ServeWorker(ctx context.Context, in io.Reader, out io.Writer) error {
	return scan.ServeWorker(ctx, in, out, NewReader)
}

// ServeIfWorker makes a program its own scan worker: when args (os.Args)
// are "PROGRAM scan-worker", it serves on stdin and stdout and exits; else
// it returns at once. Test binaries whose profiles start workers as
// "<this executable> scan-worker" call it first thing in TestMain.
//
// With $FOLIO_SCAN_WORKER_BINARY set, the worker is that program instead
// (the process becomes it, same arguments): make test's race pass points
// it at bin/folio, the build users run, so that test binaries built with
// -race read pages at full speed rather than through the race detector's
// instrumented image loops, which tripled the pass's CPU time.
func ServeIfWorker(args []string) {
	if len(args) < 2 || args[1] != "scan-worker" {
		return
	}
	if exe := os.Getenv("FOLIO_SCAN_WORKER_BINARY"); exe != "" {
		err := syscall.Exec(exe, append([]string{exe}, args[1:]...), os.Environ())
		fmt.Fprintf(os.Stderr, "start the scan worker %s: %v\n", exe, err)
		os.Exit(1)
	}
	if err := ServeWorker(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}
