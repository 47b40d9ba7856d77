package pageread

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"

	"folio/app"
	"folio/scan"
)

// TestMain doubles as the scan worker: the tests that read through a pool
// start this test binary with FOLIO_SCAN_WORKER_TEST=1, and it serves as
// "folio scan-worker" does.
func TestMain(m *testing.M) {
	if os.Getenv("FOLIO_SCAN_WORKER_TEST") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := ServeWorker(ctx, os.Stdin, os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// newTestPool starts a pool of workers workers that are this test binary
// (see TestMain), closed at cleanup.
func newTestPool(t testing.TB, workers int) *scan.Pool {
	t.Helper()
	p, err := scan.NewPool(scan.Options{Workers: max(workers, 1), Command: []string{os.Args[0]},
		Env: []string{"FOLIO_SCAN_WORKER_TEST=1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// TestPageProgressStages reads pages in this process: a page reports
// rendering, then reading, in that order; a page refused before it is
// drawn reports only rendering. The text layer is still the page's text
// now that it is read after the render.
func TestPageProgressStages(t *testing.T) {
	e := newTestEngine(t)
	const layerPDF = "scans/paperless__single-page-mixed.pdf"
	huge := minimalPDF("0 0 100000 100000", "<< >>", "")
	tests := []struct {
		name    string
		data    []byte
		want    []app.ImportStage
		wantErr bool
	}{
		{"text layer", corpus(t, layerPDF), []app.ImportStage{app.StageRendering, app.StageOCR}, false},
		{"too large to draw", huge, []app.ImportStage{app.StageRendering}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.Open(tt.name, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var got []app.ImportStage
			p, err := d.PageProgress(0, func(st app.ImportStage) { got = append(got, st) })
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want an error: %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("stages %v, want %v", got, tt.want)
			}
			if !tt.wantErr && (p.TextSource != "layer" || !strings.Contains(norm(p.Text), "present on page 1")) {
				t.Errorf("page read as %s: %q", p.TextSource, p.Text)
			}
		})
	}
}

// BenchmarkPoolOverhead compares a page read through one worker with the
// same page read by an engine in this process: the difference is the cost
// of the protocol and the pipe.
func BenchmarkPoolOverhead(b *testing.B) {
	data := corpus(b, "scans/paperless__single-page-mixed.pdf")
	b.Run("in-process", func(b *testing.B) {
		e, err := NewEngine(scan.EngineOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		for b.Loop() {
			d, err := e.Open("x.pdf", data)
			if err != nil {
				b.Fatal(err)
			}
			for i := range d.Pages() {
				if _, err := d.Page(i); err != nil {
					b.Fatal(err)
				}
			}
			d.Close()
		}
	})
	b.Run("pool", func(b *testing.B) {
		p := newTestPool(b, 1)
		if _, err := p.Analyze(context.Background(), "x.pdf", data); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := p.Analyze(context.Background(), "x.pdf", data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
