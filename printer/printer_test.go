package printer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fitz "github.com/gen2brain/go-fitz"

	"folio/printer"
	"folio/printer/printertest"
	"folio/printout"
)

// TestPrintReachesThePrinter prints a recovery key sheet through lp to a
// real CUPS default printer (cups-pdf) and compares the page that comes
// out with the sheet.
func TestPrintReachesThePrinter(t *testing.T) {
	c := printertest.StartCUPS(t)
	const key = "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ"
	var buf bytes.Buffer
	if err := printout.RecoveryKeyPDF(&buf, printout.RecoveryKeyInfo{Key: key, Site: "KAB", IssuedBy: "admin",
		IssuedAt: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	job, err := c.Printer().Print(context.Background(), "Folio recovery key", buf.Bytes())
	if err != nil {
		t.Fatalf("Print: %v", err)
	}
	if !strings.HasPrefix(job, "folio-test-") {
		t.Errorf("job %q: want the queue's name and a number", job)
	}
	got := c.Printed(t)
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
