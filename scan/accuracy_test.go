package scan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// OCR accuracy on the corpus pages with ground truth, against plain
// `tesseract FILE stdout` on the same files: Folio's pipeline (its render,
// orientation check and Tesseract settings) must read as many words, to
// within the word or two Tesseract's reading moves by with its input.

// groundTruth pairs a scanned page with the text it holds.
var groundTruth = []struct{ image, truth string }{
	{"ocr-gt/tesseract-test__phototest.tif", "ocr-gt/tesseract-test__phototest.gold.txt"},
	{"ocr-gt/tesseract-test__eurotext.tif", "ocr-gt/tesseract-test__eurotext.txt"},
	{"ocr-gt/tesseract-test__8087_054.3B.tif", "ocr-gt/tesseract-test__8087_054.3B.txt"},
	{"scans/ocrmypdf__linn.png", "scans/ocrmypdf__linn.txt"},
	{"scans/ocrmypdf__c02-22.pdf", "ocr-gt/gutenberg76__c02-22.approx-gt.txt"},
}

// wordRecall is the share of the truth's words (with repeats, case and
// punctuation ignored) that the OCR text holds.
func wordRecall(truth, ocr string) float64 {
	have := map[string]int{}
	for _, w := range ocrWords(ocr) {
		have[w]++
	}
	want := ocrWords(truth)
	found := 0
	for _, w := range want {
		if have[w] > 0 {
			have[w]--
			found++
		}
	}
	return float64(found) / float64(max(1, len(want)))
}

func ocrWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// tesseractCLI reads a file with the tesseract command as it comes; a PDF
// (which it cannot read) is first rendered at 300 dpi by MuPDF.
func tesseractCLI(t *testing.T, rel string) string {
	t.Helper()
	path := filepath.Join(corpusDir, rel)
	if strings.HasSuffix(rel, ".pdf") {
		path = filepath.Join(t.TempDir(), "page.png")
		if err := os.WriteFile(path, renderPNG(t, corpus(t, rel), 300), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("tesseract", path, "stdout").Output()
	if err != nil {
		t.Fatalf("tesseract %s: %v (make test installs tesseract-ocr)", rel, err)
	}
	return string(out)
}

func TestOCRAccuracyAgainstTesseract(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Fatal("the tesseract command is missing: make test installs tesseract-ocr")
	}
	e := newTestEngine(t)
	var sumFolio, sumCLI float64
	for _, g := range groundTruth {
		truth := string(corpus(t, g.truth))
		d, err := e.Open(filepath.Base(g.image), corpus(t, g.image))
		if err != nil {
			t.Fatalf("%s: %v", g.image, err)
		}
		p, err := d.Page(0)
		d.Close()
		if err != nil {
			t.Fatalf("%s: %v", g.image, err)
		}
		folio, cli := wordRecall(truth, p.Text), wordRecall(truth, tesseractCLI(t, g.image))
		sumFolio, sumCLI = sumFolio+folio, sumCLI+cli
		t.Logf("%-45s words read: Folio %5.1f%%  tesseract %5.1f%%", g.image, 100*folio, 100*cli)
		if folio < cli-0.02 {
			t.Errorf("%s: Folio read %.1f%% of the words, plain tesseract %.1f%%", g.image, 100*folio, 100*cli)
		}
	}
	n := float64(len(groundTruth))
	t.Logf("mean word recall: Folio %.1f%%, plain tesseract %.1f%%", 100*sumFolio/n, 100*sumCLI/n)
	// Tesseract's reading moves by a word or two with its input (grey vs.
	// 1-bit, the render): half a point is that noise, not a difference.
	if sumFolio/n < sumCLI/n-0.005 {
		t.Errorf("Folio's mean word recall %.1f%% is below plain tesseract's %.1f%%", 100*sumFolio/n, 100*sumCLI/n)
	}
}
