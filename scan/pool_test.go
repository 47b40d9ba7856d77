package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"folio/app"
)

// readScan reads a file of the test corpus's scans folder (testdata/corpus).
func readScan(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../testdata/corpus/scans", name))
	if err != nil {
		t.Fatalf("corpus file: %v", err)
	}
	return b
}

// newTestPool starts a pool whose workers are this test binary (see
// TestMain). At cleanup it closes the pool and checks that no worker
// process is left behind.
func newTestPool(t testing.TB, opt Options) *Pool {
	t.Helper()
	if opt.Command == nil {
		opt.Command = []string{os.Args[0]}
		opt.Env = append(opt.Env, "FOLIO_SCAN_WORKER_TEST=1")
	}
	if opt.Workers == 0 {
		opt.Workers = 2
	}
	p, err := NewPool(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		if kids := children(t); len(kids) > 0 {
			t.Errorf("worker processes left after Close: %v", kids)
		}
	})
	return p
}

// children lists the pids of this process's child processes, zombies
// included.
func children(t testing.TB) []int {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var kids []int
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) {
			pid, _ := strconv.Atoi(strings.SplitN(string(b), " ", 2)[0])
			kids = append(kids, pid)
		}
	}
	return kids
}

func wantPages(t *testing.T, fa app.FileAnalysis, format string, n int) {
	t.Helper()
	if fa.Format != format || len(fa.Pages) != n {
		t.Fatalf("got %s with %d pages, want %s with %d", fa.Format, len(fa.Pages), format, n)
	}
	for i, p := range fa.Pages {
		want := fmt.Sprintf("Page %d.", i+1)
		if p.Index != i || !strings.Contains(p.Text, want) {
			t.Errorf("page %d: index %d, text %q, want %q", i+1, p.Index, p.Text, want)
		}
		if len(p.View) < 1000 || len(p.Thumbnail) < 100 || !bytes.HasPrefix(p.View, []byte{0xFF, 0xD8}) {
			t.Errorf("page %d: view %d bytes, thumbnail %d bytes", i+1, len(p.View), len(p.Thumbnail))
		}
	}
}

// pidRecorder records which worker processes were sent pages.
type pidRecorder struct {
	mu   sync.Mutex
	pids map[int]int
}

func (r *pidRecorder) record(pid, page int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pids == nil {
		r.pids = map[int]int{}
	}
	r.pids[pid]++
}

func TestPoolMultiPage(t *testing.T) {
	p := newTestPool(t, Options{})
	var rec pidRecorder
	p.testPageSent = rec.record
	ctx := context.Background()

	fa, err := p.Analyze(ctx, "paperless__multi-page-mixed.pdf", readScan(t, "paperless__multi-page-mixed.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	wantPages(t, fa, "pdf", 6)
	if fa.Pages[0].TextSource != "ocr" || fa.Pages[5].TextSource != "layer" {
		t.Errorf("text sources %q and %q, want ocr and layer", fa.Pages[0].TextSource, fa.Pages[5].TextSource)
	}
	if len(rec.pids) != 2 {
		t.Errorf("pages went to workers %v, want both workers", rec.pids)
	}

	fa, err = p.Analyze(ctx, "paperless__multi-page-images.tiff", readScan(t, "paperless__multi-page-images.tiff"))
	if err != nil {
		t.Fatal(err)
	}
	wantPages(t, fa, "tiff", 3)
	if len(rec.pids) != 2 {
		t.Errorf("pages went to workers %v, want the same two workers", rec.pids)
	}
}

// AnalyzePage reads one page of a file, as Analyze reads it, and no other
// page; a page the file does not have is bad input.
func TestPoolAnalyzePage(t *testing.T) {
	p := newTestPool(t, Options{})
	var mu sync.Mutex
	var sent []int
	p.testPageSent = func(_, page int) { mu.Lock(); sent = append(sent, page); mu.Unlock() }
	ctx := context.Background()
	data := readScan(t, "paperless__multi-page-images.tiff")
	pa, err := p.AnalyzePage(ctx, "multi.tiff", data, 1)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if !slices.Equal(sent, []int{1}) {
		t.Errorf("pages asked of the workers: %v, want only page 2", sent)
	}
	mu.Unlock()
	fa, err := p.Analyze(ctx, "multi.tiff", data)
	if err != nil {
		t.Fatal(err)
	}
	whole := fa.Pages[1]
	if pa.Index != 1 || pa.Text == "" || pa.Text != whole.Text || pa.Blank != whole.Blank || len(pa.View) == 0 {
		t.Errorf("page 2 alone: index %d, blank %v, text %q; in the whole file: blank %v, text %q", pa.Index, pa.Blank, pa.Text, whole.Blank, whole.Text)
	}
	for _, page := range []int{3, -1} {
		if _, err := p.AnalyzePage(ctx, "multi.tiff", data, page); !errors.Is(err, app.ErrInvalid) {
			t.Errorf("page %d of a 3-page file: %v, want ErrInvalid", page+1, err)
		}
	}
}

// A worker that has read RecycleAfter pages is replaced by a fresh process
// between files (Tesseract's client grows a little with every page).
func TestPoolRecyclesWorkers(t *testing.T) {
	p := newTestPool(t, Options{Workers: 1, RecycleAfter: 2})
	var rec pidRecorder
	p.testPageSent = rec.record
	data := readScan(t, "paperless__single-page-mixed.pdf") // 2 pages with a text layer
	for range 2 {
		fa, err := p.Analyze(context.Background(), "mixed.pdf", data)
		if err != nil || len(fa.Pages) != 2 {
			t.Fatalf("%d pages, %v", len(fa.Pages), err)
		}
	}
	if len(rec.pids) != 2 {
		t.Fatalf("pages went to workers %v, want a fresh worker for the second file", rec.pids)
	}
}

func TestPoolConcurrent(t *testing.T) {
	p := newTestPool(t, Options{})
	files := []struct {
		name   string
		format string
		texts  []string
	}{
		{"paperless__multi-page-images.pdf", "pdf", []string{"Page 1.", "Page 2.", "Page 3."}},
		{"paperless__single-page-mixed.pdf", "pdf", []string{"present on page 1", "digital text on page 2"}},
		{"paperless__simple.png", "png", []string{"This is a test document."}},
		{"paperless__multi-page-mixed.pdf", "pdf", []string{"Page 1.", "Page 2.", "Page 3.", "Page 4.", "Page 5.", "Page 6."}},
	}
	var wg sync.WaitGroup
	for _, f := range files {
		data := readScan(t, f.name)
		wg.Go(func() {
			fa, err := p.Analyze(context.Background(), f.name, data)
			if err != nil {
				t.Errorf("%s: %v", f.name, err)
				return
			}
			if fa.Format != f.format || len(fa.Pages) != len(f.texts) {
				t.Errorf("%s: %s with %d pages, want %s with %d", f.name, fa.Format, len(fa.Pages), f.format, len(f.texts))
				return
			}
			for i, want := range f.texts {
				if !strings.Contains(fa.Pages[i].Text, want) {
					t.Errorf("%s page %d: %q, want %q", f.name, i+1, fa.Pages[i].Text, want)
				}
			}
		})
	}
	wg.Wait()
}

func TestPoolInvalidFile(t *testing.T) {
	p := newTestPool(t, Options{Workers: 1})
	_, err := p.Analyze(context.Background(), "notes.txt", []byte("just some text"))
	if !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), `"notes.txt" is not a PDF`) {
		t.Fatalf("got %v, want the reader's ErrInvalid", err)
	}
	// The reason crosses from the worker whole, for the window to show.
	var inv *app.InvalidError
	if !errors.As(err, &inv) || inv.Reason != `"notes.txt" is not a PDF, TIFF, JPEG or PNG file` {
		t.Fatalf("got %#v, want an InvalidError with the reader's reason", err)
	}
}

func TestPoolWorkerKilled(t *testing.T) {
	p := newTestPool(t, Options{})
	var once sync.Once
	p.testPageSent = func(pid, page int) {
		if page == 1 {
			once.Do(func() { syscall.Kill(pid, syscall.SIGKILL) })
		}
	}
	_, err := p.Analyze(context.Background(), "scan.pdf", readScan(t, "paperless__multi-page-images.pdf"))
	if !errors.Is(err, ErrCrashed) || !strings.HasPrefix(err.Error(), "the reader crashed on page 2 of scan.pdf (signal: killed") {
		t.Fatalf("got %v, want the crash on page 2", err)
	}
	fa, err := p.Analyze(context.Background(), "scan.pdf", readScan(t, "paperless__multi-page-images.pdf"))
	if err != nil {
		t.Fatalf("after a crash: %v", err)
	}
	wantPages(t, fa, "pdf", 3)
}

func TestPoolTimeout(t *testing.T) {
	p := newTestPool(t, Options{Timeout: time.Millisecond})
	data := readScan(t, "paperless__multi-page-images.pdf")
	_, err := p.Analyze(context.Background(), "scan.pdf", data)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "scan.pdf took longer than 1ms") {
		t.Fatalf("got %v, want a timeout", err)
	}
	p.opt.Timeout = defaultTimeout // no request is in flight now
	fa, err := p.Analyze(context.Background(), "scan.pdf", data)
	if err != nil {
		t.Fatalf("after a timeout: %v", err)
	}
	wantPages(t, fa, "pdf", 3)
}

func TestPoolBadCommand(t *testing.T) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat")
	}
	tests := []struct {
		name    string
		command []string
		want    string
	}{
		{"exits at once", []string{"/bin/true"}, "it ended before greeting (it exited)"},
		{"echoes", []string{cat}, "it is not a Folio scan worker"},
		{"prints text", []string{"/bin/echo", "hello there, I am not a worker"}, "it is not a Folio scan worker"},
		{"missing", []string{"/nonexistent/folio"}, "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPool(t, Options{Command: tt.command, Workers: 1})
			start := time.Now()
			_, err := p.Analyze(context.Background(), "scan.png", readScan(t, "paperless__simple.png"))
			if err == nil || !strings.HasPrefix(err.Error(), "the scan worker did not start: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want did not start … %s", err, tt.want)
			}
			t.Log(err)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s to notice", d)
			}
		})
	}
}

func TestPoolCancel(t *testing.T) {
	p := newTestPool(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	p.testPageSent = func(pid, page int) { cancel() }
	data := readScan(t, "paperless__multi-page-images.pdf")
	if _, err := p.Analyze(ctx, "scan.pdf", data); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	p.testPageSent = nil
	fa, err := p.Analyze(context.Background(), "scan.pdf", data)
	if err != nil {
		t.Fatalf("after a cancel: %v", err)
	}
	wantPages(t, fa, "pdf", 3)
}

func TestPoolClose(t *testing.T) {
	p := newTestPool(t, Options{})
	var rec pidRecorder
	p.testPageSent = rec.record
	data := readScan(t, "paperless__simple.png")
	if _, err := p.Analyze(context.Background(), "scan.png", data); err != nil {
		t.Fatal(err)
	}
	if len(children(t)) == 0 {
		t.Fatal("no worker process running after Analyze")
	}
	for pid := range rec.pids {
		if os.Getenv("FOLIO_WORKER_MEM_MB") != "" {
			break // set to run under -race: ThreadSanitizer needs terabytes of address space
		}
		if lim := workerLimit(t, pid); lim != strconv.Itoa(DefaultWorkerMemMB<<20) {
			t.Errorf("worker's address-space limit %s, want %d MiB", lim, DefaultWorkerMemMB)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if kids := children(t); len(kids) > 0 {
		t.Fatalf("worker processes left after Close: %v", kids)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := p.Analyze(context.Background(), "scan.png", data); !errors.Is(err, ErrClosed) {
		t.Fatalf("Analyze after Close: %v, want ErrClosed", err)
	}
}

// TestPoolCloseWhileBusy closes the pool in the middle of a file.
func TestPoolCloseWhileBusy(t *testing.T) {
	p := newTestPool(t, Options{})
	sent := make(chan struct{})
	var once sync.Once
	p.testPageSent = func(pid, page int) { once.Do(func() { close(sent) }) }
	errc := make(chan error, 1)
	go func() {
		_, err := p.Analyze(context.Background(), "scan.pdf", readScan(t, "paperless__multi-page-images.pdf"))
		errc <- err
	}()
	<-sent
	p.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
}

// workerLimit reads a process's soft address-space limit.
func workerLimit(t *testing.T, pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Max address space") {
			return strings.Fields(l)[3]
		}
	}
	return ""
}

// TestWorkerMemoryLimit runs a worker with a tight address-space limit:
// the file fails cleanly and the pool goes on.
func TestWorkerMemoryLimit(t *testing.T) {
	p := newTestPool(t, Options{Workers: 1, Env: []string{"FOLIO_SCAN_WORKER_TEST=1", "FOLIO_WORKER_MEM_MB=300"}})
	_, err := p.Analyze(context.Background(), "scan.tiff", readScan(t, "paperless__multi-page-images.tiff"))
	if err == nil {
		t.Fatal("a 3869×5007 page was read in 300 MiB of address space")
	}
	t.Logf("with 300 MiB: %v", err)
}

func TestProtectStdout(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "FOLIO_SCAN_WORKER_TEST=stdout")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "protocol" || !strings.Contains(stderr.String(), "noise on fd 1") {
		t.Fatalf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

// TestWorkerRefusesWrongVersion starts a worker and greets it with another
// protocol version: it must exit with an error, not serve.
func TestWorkerRefusesWrongVersion(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "FOLIO_SCAN_WORKER_TEST=1")
	var in, stdout, stderr bytes.Buffer
	writeMessage(&in, helloMsg{Version: protocolVersion + 1})
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &in, &stdout, &stderr
	err := cmd.Run()
	if err == nil || !strings.Contains(stderr.String(), fmt.Sprintf("the pool speaks version %d", protocolVersion+1)) {
		t.Fatalf("exit %v, stderr %q", err, stderr.String())
	}
	if m, err := readMessage(&stdout); err != nil || m != (readyMsg{Version: protocolVersion, PID: uint64(cmd.Process.Pid)}) {
		t.Fatalf("greeting %#v, %v", m, err)
	}
}

// onePage is a File of one page that no test reads.
type onePage struct{ File }

func (onePage) Close() error { return nil }

func TestWorkerPanicBecomesReply(t *testing.T) {
	w := &workerState{doc: onePage{}, file: 1, name: "x.pdf"}
	reply := w.guard(1, "page 1 of x.pdf", func() message { panic("boom") })
	e, ok := reply.(errorMsg)
	if !ok || !strings.HasPrefix(e.Message, "the reader failed on page 1 of x.pdf (internal error: boom)") {
		t.Fatalf("got %#v", reply)
	}
	if w.doc != nil {
		t.Error("the document stayed open after a panic")
	}
}

// BenchmarkPoolThroughput reads image-only pages (OCR) and text-layer
// pages with 2 workers and reports pages per minute. Each round reads two
// copies of the file at once, as the drop folder and a clerk would, so that
// neither worker waits for the other's last page.
func BenchmarkPoolThroughput(b *testing.B) {
	for _, bc := range []struct{ name, file string }{
		{"ocr", "paperless__multi-page-images.pdf"},
		{"layer", "paperless__single-page-mixed.pdf"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := newTestPool(b, Options{Workers: 2})
			data := readScan(b, bc.file)
			if _, err := p.Analyze(context.Background(), bc.file, data); err != nil { // start the workers
				b.Fatal(err)
			}
			var pages atomic.Int64
			start := time.Now()
			for b.Loop() {
				var wg sync.WaitGroup
				for range 2 {
					wg.Go(func() {
						fa, err := p.Analyze(context.Background(), bc.file, data)
						if err != nil {
							b.Error(err)
						}
						pages.Add(int64(len(fa.Pages)))
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(pages.Load())/time.Since(start).Minutes(), "pages/min")
		})
	}
}

// TestPoolFair starts a short file while a long one holds both workers:
// the next free worker goes to the short file, which finishes first.
func TestPoolFair(t *testing.T) {
	p := newTestPool(t, Options{})
	started := make(chan struct{})
	var once sync.Once
	p.testPageSent = func(pid, page int) {
		if page == 1 {
			once.Do(func() { close(started) })
		}
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	analyse := func(name string) {
		if _, err := p.Analyze(context.Background(), name, readScan(t, name)); err != nil {
			t.Error(err)
		}
		mu.Lock()
		order = append(order, name)
		mu.Unlock()
	}
	wg.Go(func() { analyse("paperless__multi-page-mixed.pdf") })
	<-started
	wg.Go(func() { analyse("paperless__simple.png") })
	wg.Wait()
	if len(order) != 2 || order[0] != "paperless__simple.png" {
		t.Fatalf("finished in the order %v, want the short file first", order)
	}
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 64}
	fmt.Fprintf(tb, "Warning: Invalid resolution 0 dpi. Using 70 instead.\n")
	if got := tb.said(); got != "Warning: Invalid resolution 0 dpi. Using 70 instead." {
		t.Errorf("said %q", got)
	}
	fmt.Fprintf(tb, "error: cannot find object\naborting process from uncaught error!\n")
	fmt.Fprintf(tb, "SIGABRT: abort\nPC=0x7f m=0 sigcode=18446744073709551610\n")
	for i := range 100 {
		fmt.Fprintf(tb, "goroutine %d [running]:\n", i)
	}
	if len(tb.b) > 64 {
		t.Errorf("kept %d bytes", len(tb.b))
	}
	if got, want := tb.said(), "aborting process from uncaught error! / SIGABRT: abort"; got != want {
		t.Errorf("said %q, want %q", got, want)
	}
}

// BenchmarkWorkerRoundTrip measures the protocol's fixed cost: one small
// request to a worker process and its reply through the pipes.
func BenchmarkWorkerRoundTrip(b *testing.B) {
	p := newTestPool(b, Options{Workers: 1})
	pr, err := p.start(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer pr.stop()
	for b.Loop() {
		if err := pr.w.send(pageMsg{File: 99}); err != nil {
			b.Fatal(err)
		}
		if m, err := readMessage(pr.r); err != nil || m.frameType() != frameError {
			b.Fatalf("reply %#v, %v", m, err)
		}
	}
}
