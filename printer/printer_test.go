package printer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fitz "github.com/gen2brain/go-fitz"

	"folio/printer"
	"folio/printout"
)

// cups is a CUPS scheduler of a test's own, on a socket in its temporary
// folder, with one default queue that prints through cups-pdf into out.
type cups struct {
	sock string
	out  string
}

// startCUPS starts cupsd with its own configuration and adds a cups-pdf
// queue as its default printer. cups-pdf reads its settings only from
// /etc/cups, so the queue's file (cups-pdf-<queue>.conf) is written there
// and removed when the test ends.
func startCUPS(t *testing.T) *cups {
	t.Helper()
	for _, prog := range []string{"cupsd", "lpadmin", "lp"} {
		if _, err := exec.LookPath(prog); err != nil {
			if _, err := os.Stat(filepath.Join("/usr/sbin", prog)); err != nil {
				t.Skipf("CUPS cannot run here: %s is not installed (scripts/deps.sh test installs cups, cups-client and printer-driver-cups-pdf)", prog)
			}
		}
	}
	const backend = "/usr/lib/cups/backend/cups-pdf"
	if _, err := os.Stat(backend); err != nil {
		t.Skip("CUPS cannot run here: the cups-pdf printer is not installed (scripts/deps.sh test installs printer-driver-cups-pdf)")
	}
	if os.Geteuid() != 0 {
		t.Skip("CUPS cannot run here: cups-pdf's queue settings live in /etc/cups, which only root may write")
	}
	dir, err := os.MkdirTemp("", "folio-cups-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// cupsd runs filters as the user lp: the folders must be reachable.
	for _, d := range []string{"", "etc", "spool", "tmp", "cache", "state", "log", "out", "pdfspool"} {
		p := filepath.Join(dir, d)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o755)
		if d == "tmp" || d == "out" || d == "pdfspool" {
			mode = 0o1777
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	c := &cups{sock: filepath.Join(dir, "cups.sock"), out: filepath.Join(dir, "out")}
	write(t, filepath.Join(dir, "etc", "cupsd.conf"), "Listen "+c.sock+"\nLogLevel warn\nWebInterface No\nBrowsing No\n"+
		"<Location />\n  Order allow,deny\n  Allow all\n</Location>\n")
	write(t, filepath.Join(dir, "etc", "cups-files.conf"), fmt.Sprintf("RequestRoot %[1]s/spool\nTempDir %[1]s/tmp\n"+
		"CacheDir %[1]s/cache\nStateDir %[1]s/state\nErrorLog %[1]s/log/error_log\nAccessLog %[1]s/log/access_log\n"+
		"PageLog %[1]s/log/page_log\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\n", dir))
	queue := "folio-test-" + filepath.Base(dir)[len("folio-cups-"):]
	conf := "/etc/cups/cups-pdf-" + queue + ".conf"
	write(t, conf, fmt.Sprintf("Out %[1]s/out\nAnonDirName %[1]s/out\nSpool %[1]s/pdfspool\nUserUMask 0077\nGrp root\n", dir))
	t.Cleanup(func() { os.Remove(conf) })

	cupsd := exec.Command("cupsd", "-f", "-c", filepath.Join(dir, "etc", "cupsd.conf"), "-s", filepath.Join(dir, "etc", "cups-files.conf"))
	cupsd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/sbin")
	var log bytes.Buffer
	cupsd.Stdout, cupsd.Stderr = &log, &log
	if err := cupsd.Start(); err != nil {
		t.Skipf("CUPS cannot run here: cupsd did not start: %v", err)
	}
	t.Cleanup(func() { cupsd.Process.Kill(); cupsd.Wait() })
	env := c.env()
	// lpadmin answers once the scheduler listens; it is tried until then.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := run(env, "lpadmin", "-p", queue, "-E", "-v", "cups-pdf:/"+queue,
			"-P", "/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test's CUPS did not take a printer: %v: %s; cupsd said: %s", err, out, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, err := run(env, "lpadmin", "-d", queue); err != nil {
		t.Fatalf("set the default printer: %v: %s", err, out)
	}
	return c
}

// env is the environment of a program that talks to this CUPS.
func (c *cups) env() []string {
	return []string{"CUPS_SERVER=" + c.sock, "PATH=" + os.Getenv("PATH") + ":/usr/sbin", "HOME=" + filepath.Dir(c.out)}
}

// printed waits for the PDF cups-pdf writes and returns it.
func (c *cups) printed(t *testing.T) []byte {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(c.out, "*.pdf"))
		if len(files) == 1 {
			b, err := os.ReadFile(files[0])
			// cups-pdf renames the finished file into place; a PDF
			// is complete when it ends with its trailer.
			if err == nil && bytes.Contains(b[max(0, len(b)-64):], []byte("%%EOF")) {
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no PDF arrived from the printer in %s within 60 s", c.out)
	return nil
}

func run(env []string, prog string, args ...string) (string, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPrintReachesThePrinter prints a recovery key sheet through lp to a
// real CUPS default printer (cups-pdf) and reads the key back from the
// PDF that comes out.
func TestPrintReachesThePrinter(t *testing.T) {
	c := startCUPS(t)
	const key = "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ"
	var buf bytes.Buffer
	if err := printout.RecoveryKeyPDF(&buf, printout.RecoveryKeyInfo{Key: key, Site: "KAB", IssuedBy: "admin",
		IssuedAt: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	job, err := printer.Printer{Env: c.env()}.Print(context.Background(), "Folio recovery key", buf.Bytes())
	if err != nil {
		t.Fatalf("Print: %v", err)
	}
	if !strings.HasPrefix(job, "folio-test-") {
		t.Errorf("job %q: want the queue's name and a number", job)
	}
	got := c.printed(t)
	doc, err := fitz.NewFromMemory(got)
	if err != nil {
		t.Fatalf("the printed file is not a PDF MuPDF opens: %v", err)
	}
	defer doc.Close()
	// cups-pdf prints through Ghostscript, which keeps the page's look but
	// not its text: compare pages, the title and the ink on the page.
	orig, err := fitz.NewFromMemory(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	if doc.NumPage() != orig.NumPage() {
		t.Fatalf("%d pages printed, want %d", doc.NumPage(), orig.NumPage())
	}
	if title := doc.Metadata()["title"]; !strings.Contains(title, "Folio recovery key") {
		t.Errorf("printed PDF's title %q, want the job's title", title)
	}
	if got, want := ink(t, doc), ink(t, orig); got < want*0.8 || got > want*1.25 {
		t.Fatalf("the printed page has %.2f %% ink, the sheet %.2f %%", got*100, want*100)
	}
}

// ink is the share of dark pixels on a PDF's first page at 50 dpi.
func ink(t *testing.T, doc *fitz.Document) float64 {
	t.Helper()
	img, err := doc.ImageDPI(0, 50)
	if err != nil {
		t.Fatal(err)
	}
	dark, all := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if (r+g+bl)/3 < 0x8000 {
				dark++
			}
			all++
		}
	}
	return float64(dark) / float64(all)
}

// TestPrintFailsInWordsAClerkUnderstands runs the real lp where it cannot
// print and checks the errors say so and offer saving the PDF.
func TestPrintFailsInWordsAClerkUnderstands(t *testing.T) {
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	path := "PATH=" + os.Getenv("PATH")
	_, lpErr := exec.LookPath("lp")
	cases := []struct {
		name    string
		p       printer.Printer
		needsLP bool
		want    error
	}{
		{"no printing system", printer.Printer{Env: []string{"PATH=" + t.TempDir()}}, false, printer.ErrNoPrinter},
		{"no such program", printer.Printer{Command: filepath.Join(t.TempDir(), "lp")}, false, printer.ErrNoPrinter},
		{"no default printer", printer.Printer{Env: []string{"CUPS_SERVER=127.0.0.1:1", path}}, true, printer.ErrNoPrinter},
		{"no such printer", printer.Printer{Destination: "Nowhere", Env: []string{"CUPS_SERVER=127.0.0.1:1", path}}, true, printer.ErrNoPrinter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needsLP && lpErr != nil {
				t.Skip("lp is not installed (scripts/deps.sh test installs cups-client)")
			}
			_, err := tc.p.Print(context.Background(), "Test", pdf)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "no printer is set up on this computer: save the PDF and print it from another") {
				t.Errorf("message %q does not tell the clerk what to do", err)
			}
		})
	}
}
