package pageread

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// OCR accuracy on the corpus pages with ground truth, against plain
// `tesseract FILE stdout` on the same files, run in the same test: Folio's
// pipeline as the import runs it (the worker process, its render,
// orientation check and Tesseract settings) must read as many words as the
// tesseract command, and in the same order, on every page.
//
//	go test -count=1 -v -run TestOCRAccuracyAgainstTesseract ./scan/
//
// prints the figures per page.

// groundTruth pairs a scanned page with the text it holds, in reading
// order; columns marks the pages set in more than one column. A skewed
// page names the same page scanned straight (listed before it): Folio,
// which straightens a page before OCR, must read the skewed one as well as
// the tesseract command reads the straight one.
var groundTruth = []struct {
	image, truth string
	columns      bool
	straight     string
}{
	{"ocr-gt/tesseract-test__phototest.tif", "ocr-gt/tesseract-test__phototest.gold.txt", false, ""},
	{"ocr-gt/tesseract-test__eurotext.tif", "ocr-gt/tesseract-test__eurotext.txt", false, ""},
	{"ocr-gt/tesseract-test__8087_054.3B.tif", "ocr-gt/tesseract-test__8087_054.3B.txt", true, ""},
	{"scans/ocrmypdf__linn.png", "scans/ocrmypdf__linn.txt", true, ""},
	{"scans/ocrmypdf__linn.pdf", "scans/ocrmypdf__linn.txt", true, ""},
	{"scans/ocrmypdf__skew.pdf", "scans/ocrmypdf__linn.txt", true, "scans/ocrmypdf__linn.png"},
	{"scans/ocrmypdf__c02-22.pdf", "ocr-gt/gutenberg76__c02-22.approx-gt.txt", false, ""},
}

// maxRecallGap is how far Folio's recall may fall below the tesseract
// command's on a page: half a point. Tesseract's reading moves by a word
// or two with its input (grey vs. 1-bit, the render); more than that is a
// difference in how the page is read.
const maxRecallGap = 0.005

// wordRecall is the share of the truth's words (with repeats, case and
// punctuation ignored) that the OCR text holds, in any order.
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

// orderRecall is the share of the truth's words that the OCR text holds in
// the truth's order: the longest common subsequence of the two word
// sequences over the truth's length. A page whose columns are read
// straight across keeps its words but loses their order.
func orderRecall(truth, ocr string) float64 {
	want, have := ocrWords(truth), ocrWords(ocr)
	prev, cur := make([]int, len(have)+1), make([]int, len(have)+1)
	for _, w := range want {
		for j, h := range have {
			if w == h {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return float64(prev[len(have)]) / float64(max(1, len(want)))
}

func ocrWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func TestOrderRecall(t *testing.T) {
	for _, c := range []struct {
		name, truth, ocr string
		want             float64
	}{
		{"same", "a b c d", "A, b. c d", 1},
		{"columns across", "a b c d", "a c b d", 0.75},
		{"missing word", "a b c d", "a b d", 0.75},
		{"extra words", "a b c d", "x a y b c z d", 1},
		{"nothing read", "a b", "", 0},
	} {
		if got := orderRecall(c.truth, c.ocr); got != c.want {
			t.Errorf("%s: orderRecall = %v, want %v", c.name, got, c.want)
		}
	}
}

// startTesseract starts the tesseract command on a file as it comes (a
// PDF, which it cannot read, rendered at 300 dpi by MuPDF first) and
// returns a function that waits for its text. The file is handed over from
// a folder of its own, so no zone file beside it in the corpus (.uzn, which
// Tesseract reads in single-block mode) steers it.
func startTesseract(t *testing.T, rel string) (text func() string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), filepath.Base(rel))
	data := corpus(t, rel)
	if strings.HasSuffix(rel, ".pdf") {
		path = strings.TrimSuffix(path, ".pdf") + ".png"
		data = renderPNG(t, data, 300)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command("tesseract", path, "stdout")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("tesseract %s: %v (make test installs tesseract-ocr)", rel, err)
	}
	return func() string {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("tesseract %s: %v", rel, err)
		}
		return out.String()
	}
}

func TestOCRAccuracyAgainstTesseract(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Fatal("the tesseract command is missing: make test installs tesseract-ocr")
	}
	pool := newTestPool(t, 2)
	ctx := context.Background()
	var sum [4]float64 // word recall Folio, tesseract; order recall Folio, tesseract
	columns := 0
	cliRecall := map[string][4]float64{} // the tesseract command's figures per page
	for _, g := range groundTruth {
		truth := string(corpus(t, g.truth))
		reference := startTesseract(t, g.image) // on the other core
		fa, err := pool.Analyze(ctx, filepath.Base(g.image), corpus(t, g.image))
		if err != nil {
			t.Fatalf("%s: %v", g.image, err)
		}
		if len(fa.Pages) != 1 {
			t.Fatalf("%s: %d pages, want 1", g.image, len(fa.Pages))
		}
		folio, cli := fa.Pages[0].Text, reference()
		r := [4]float64{wordRecall(truth, folio), wordRecall(truth, cli), orderRecall(truth, folio), orderRecall(truth, cli)}
		for i := range r {
			sum[i] += r[i]
		}
		layout := "1 column"
		if g.columns {
			layout = "columns"
			columns++
		}
		t.Logf("%-40s %-8s words read: Folio %5.1f%%  tesseract %5.1f%%   in order: Folio %5.1f%%  tesseract %5.1f%%",
			g.image, layout, 100*r[0], 100*r[1], 100*r[2], 100*r[3])
		if r[0] < r[1]-maxRecallGap {
			t.Errorf("%s: Folio read %.1f%% of the words, plain tesseract %.1f%%", g.image, 100*r[0], 100*r[1])
		}
		if r[2] < r[3]-maxRecallGap {
			t.Errorf("%s: Folio read %.1f%% of the words in order, plain tesseract %.1f%% (are columns read straight across?)", g.image, 100*r[2], 100*r[3])
		}
		cliRecall[g.image] = r
		if g.straight == "" {
			continue
		}
		s, ok := cliRecall[g.straight]
		if !ok {
			t.Fatalf("%s: its straight scan %s is not listed before it", g.image, g.straight)
		}
		t.Logf("%-40s %-8s tesseract on the straight scan: words read %5.1f%%, in order %5.1f%%", "", "", 100*s[1], 100*s[3])
		if r[0] < s[1]-maxRecallGap || r[2] < s[3]-maxRecallGap {
			t.Errorf("%s: Folio read %.1f%% of the words, %.1f%% in order; plain tesseract on the straight scan %.1f%%, %.1f%% (is the page straightened before OCR?)",
				g.image, 100*r[0], 100*r[2], 100*s[1], 100*s[3])
		}
	}
	n := float64(len(groundTruth))
	t.Logf("mean over %d pages (%d in columns): words read Folio %.1f%%, tesseract %.1f%%; in order Folio %.1f%%, tesseract %.1f%%",
		len(groundTruth), columns, 100*sum[0]/n, 100*sum[1]/n, 100*sum[2]/n, 100*sum[3]/n)
}
