package pageread

import (
	"context"
	"fmt"
	"io"
	"os"

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
func ServeIfWorker(args []string) {
	if len(args) < 2 || args[1] != "scan-worker" {
		return
	}
	if err := ServeWorker(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}
