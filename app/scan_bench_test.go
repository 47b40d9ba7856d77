package app_test

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"folio/app"
	"folio/dropfolder"
	"folio/internal/testkit"
	"folio/profile"
)

// The scanning benchmarks measure the whole pipeline (store the original
// encrypted, render, OCR or text layer, barcodes, page images, split,
// file, index) with both cores, and run the reference tool on the same
// pages in the same run.

// singlePageScans are the corpus's image-only scans of one page each (5
// files, 5 pages, OCR needed): a clerk scanning sheet by sheet.
var singlePageScans = []string{
	"scans/ocrmypdf__c02-22.pdf", "scans/ocrmypdf__ccitt.pdf", "scans/ocrmypdf__linn.pdf",
	"scans/ocrmypdf__skew.pdf", "scans/paperless__tagged-but-no-text.pdf",
}

// multiPageScans are the corpus's image-only scans of several pages (3
// files, 11 pages; 6 of them turned 90°, 180° or 270°).
var multiPageScans = []string{
	"scans/ocrmypdf__cardinal.pdf", "scans/paperless__multi-page-images.pdf", "scans/paperless__rotated.pdf",
}

// textPDFs are the corpus's PDFs with a text layer (35 pages).
var textPDFs = []string{
	"barcodes/paperless__split-by-asn-1.pdf", "barcodes/paperless__several-patcht-codes.pdf",
	"barcodes/paperless__split-by-tag-basic.pdf", "barcodes/paperless__split-by-tag-mixed-asn.pdf",
	"barcodes/paperless__patch-code-t-double.pdf",
}

// importSideBySide imports files two at a time, as `folio import` does on
// two cores, and returns the pages read.
func importSideBySide(b testing.TB, s *app.Session, files [][]byte, names []string) int {
	var mu sync.Mutex
	pages := 0
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := s.Intake().ImportFile(context.Background(), names[i], "benchmark", files[i])
			if err != nil || r.Batch.Status != app.BatchAnalysed {
				b.Errorf("%s: %v %s", names[i], err, r.Batch.Error)
				return
			}
			mu.Lock()
			pages += r.Batch.Pages
			mu.Unlock()
		}()
	}
	wg.Wait()
	return pages
}

// benchPipeline imports names into a fresh vault per round (its scan
// workers not yet started: their start and Tesseract's loading are timed)
// and reports pages per minute and the CPU time per page (this process and
// its workers). With reference set, each round also runs `ocrmypdf --jobs
// 2` on the same files, plain and with --rotate-pages, right after Folio,
// and reports theirs and the ratios of this run.
//
// The CPU time is the figure load does not move: while other work keeps
// both cores busy, the kernel's fair share (per session, with autogroup
// scheduling) gives this benchmark about the same CPU whether it runs one
// process or two, and the ratio of the times tends to the ratio of the CPU
// times; on an idle machine Folio's second worker counts.
func benchPipeline(b *testing.B, names []string, reference bool) {
	files := make([][]byte, len(names))
	pages := 0
	for i, n := range names {
		files[i] = corpusFile(b, n)
	}
	if reference {
		if _, err := exec.LookPath("ocrmypdf"); err != nil {
			b.Fatal("ocrmypdf is not installed: make bench installs it (scripts/deps.sh bench)")
		}
	}
	var folio, plain, rotating, folioCPU, plainCPU, rotatingCPU time.Duration
	for range b.N {
		b.StopTimer()
		d := newBenchDesk(b)
		cpu := cpuTime()
		b.StartTimer()
		start := time.Now()
		pages += importSideBySide(b, d.clerk, files, names)
		folio += time.Since(start)
		b.StopTimer()
		d.close() // waits for the workers, whose CPU time is then counted
		folioCPU += cpuTime() - cpu
		if reference {
			cpu = cpuTime()
			plain += ocrmypdf(b, names, false)
			plainCPU += cpuTime() - cpu
			cpu = cpuTime()
			rotating += ocrmypdf(b, names, true)
			rotatingCPU += cpuTime() - cpu
		}
		b.StartTimer()
	}
	perMin := func(d time.Duration) float64 { return float64(pages) / d.Minutes() }
	cpuPerPage := func(d time.Duration) float64 { return d.Seconds() / float64(pages) }
	b.ReportMetric(perMin(folio), "pages/min")
	b.ReportMetric(cpuPerPage(folioCPU), "cpu-s/page")
	if !reference {
		return
	}
	b.ReportMetric(perMin(plain), "ocrmypdf-pages/min")
	b.ReportMetric(perMin(rotating), "ocrmypdf-rotate-pages/min")
	b.ReportMetric(plain.Seconds()/folio.Seconds(), "x-ocrmypdf")
	b.ReportMetric(rotating.Seconds()/folio.Seconds(), "x-ocrmypdf-rotate")
	b.ReportMetric(cpuPerPage(plainCPU), "ocrmypdf-cpu-s/page")
	b.ReportMetric(cpuPerPage(rotatingCPU), "ocrmypdf-rotate-cpu-s/page")
}

// cpuTime is the CPU time used so far by this process and by its children
// that have ended.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + children.Utime.Nano() + children.Stime.Nano())
}

// ocrmypdf runs `ocrmypdf --jobs 2` on each file in turn, as a clerk would
// run it on each scan, and returns the time taken. The output is a plain
// searchable PDF (not PDF/A, so the time is OCR's), optionally with the
// orientation correction Folio always does. It inherits OMP_THREAD_LIMIT
// (make bench sets 1, as Folio's workers have).
func ocrmypdf(b testing.TB, names []string, rotate bool) time.Duration {
	out := b.TempDir()
	start := time.Now()
	for i, n := range names {
		args := []string{"--jobs", "2", "--output-type", "pdf", "--quiet"}
		if rotate {
			args = append(args, "--rotate-pages")
		}
		args = append(args, filepath.Join(corpus, n), filepath.Join(out, fmt.Sprintf("%d.pdf", i)))
		if msg, err := exec.Command("ocrmypdf", args...).CombinedOutput(); err != nil {
			b.Fatalf("ocrmypdf %s: %v: %s", n, err, msg)
		}
	}
	return time.Since(start)
}

// BenchmarkPipelineOCR: image-only pages against ocrmypdf --jobs 2, files
// of one page and files of several pages.
func BenchmarkPipelineOCR(b *testing.B) {
	b.Run("single-page", func(b *testing.B) { benchPipeline(b, singlePageScans, true) })
	b.Run("multi-page", func(b *testing.B) { benchPipeline(b, multiPageScans, true) })
}

// BenchmarkPipelineTextPDF: pages with a text layer (no OCR).
func BenchmarkPipelineTextPDF(b *testing.B) { benchPipeline(b, textPDFs, false) }

// BenchmarkDropToViewable: from a file landing in the drop folder (written
// whole, as a scanner's rename does) to its first page being viewable.
func BenchmarkDropToViewable(b *testing.B) {
	data := corpusFile(b, "scans/paperless__multi-page-images.pdf")
	var total time.Duration
	for i := range b.N {
		b.StopTimer()
		d := newBenchDesk(b)
		dir := b.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		viewable := make(chan string, 1)
		w, err := dropfolder.New(dropfolder.Options{Dir: dir, Import: func(ctx context.Context, name string, data []byte) error {
			r, err := d.clerk.Intake().ImportFile(ctx, name, "drop folder", data)
			if err == nil && len(r.Documents) > 0 {
				viewable <- r.Documents[0].ID
			}
			return err
		}})
		if err != nil {
			b.Fatal(err)
		}
		go w.Serve(ctx)
		time.Sleep(100 * time.Millisecond)
		b.StartTimer()
		start := time.Now()
		tmp := filepath.Join(dir, ".incoming")
		if err := os.WriteFile(tmp, append(data, byte(i)), 0o600); err != nil { // distinct content each round
			b.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "scan.pdf")); err != nil {
			b.Fatal(err)
		}
		id := <-viewable
		if _, err := d.clerk.Documents().Page(context.Background(), id, 0); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		cancel()
		d.close()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-to-first-page")
}

// BenchmarkPeakMemory200Pages imports one 200-page scanned batch and
// reports the peak resident memory of this process (the app) and of the
// largest scan worker.
func BenchmarkPeakMemory200Pages(b *testing.B) {
	src := renderPages(b, corpusFile(b, "scans/paperless__multi-page-images.pdf"), 150)
	src = append(src, renderPages(b, corpusFile(b, "scans/paperless__simple.png"), 150)...)
	pages := make([]image.Image, 200)
	for i := range pages {
		pages[i] = scanned(src[i%len(src)], float64(i%7)-3, uint64(i)) // every page distinct
	}
	batch := scanBatch(b, 150, pages...)
	pages, src = nil, nil
	for range b.N {
		d := newBenchDesk(b)
		r, err := d.clerk.Intake().ImportFile(context.Background(), "200-pages.pdf", "benchmark", batch)
		if err != nil || r.Batch.Pages != 200 {
			b.Fatalf("%v %s: %d pages", err, r.Batch.Error, r.Batch.Pages)
		}
		d.close()
	}
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	b.ReportMetric(float64(self.Maxrss)/1024, "app-peak-MB")
	b.ReportMetric(float64(children.Maxrss)/1024, "worker-peak-MB")
	b.ReportMetric(float64(len(batch))/1e6, "batch-MB")
}

// benchDesk is a vault with a records clerk, for benchmarks.
type benchDesk struct {
	close func()
	clerk *app.Session
}

func newBenchDesk(b testing.TB) benchDesk {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "KAB"}); err != nil {
		b.Fatal(err)
	}
	admin, err := prof.Vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		b.Fatal(err)
	}
	testkit.AddUser(b, admin, app.User{Name: "grace", Roles: app.RoleSet{app.RoleRecords}}, "records clerk passphrase")
	clerk, err := prof.Vault.Login(ctx, "grace", []byte("records clerk passphrase"))
	if err != nil {
		b.Fatal(err)
	}
	return benchDesk{clerk: clerk, close: func() { clerk.Lock(ctx); admin.Lock(ctx); prof.Close() }}
}
