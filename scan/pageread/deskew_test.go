package pageread

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"folio/app"
)

// renderGray renders page 1 of a corpus file as the engine does before
// OCR, at its own resolution.
func renderGray(t testing.TB, e *Engine, rel string) *grayImage {
	t.Helper()
	d, err := e.Open(rel, corpus(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.mu.loadPage(0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	dpi, _, _, err := d.resolution(0, p.w, p.h)
	if err != nil {
		t.Fatal(err)
	}
	rgba, err := p.render(dpi)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := grayOf(rgba)
	return g
}

// The corpus' skewed scan is found skewed and turned straight for OCR;
// the straight scan of the same page is left as it is.
func TestDeskew(t *testing.T) {
	e := newTestEngine(t)
	for _, c := range []struct {
		file   string
		turned bool
	}{
		{"scans/ocrmypdf__skew.pdf", true},
		{"scans/ocrmypdf__linn.pdf", false},
	} {
		g := renderGray(t, e, c.file)
		angle, conf, err := findSkew(g)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		straight, sk := deskew(g)
		t.Logf("%s: skew %.2f° (confidence %.1f), turned %.2f°, %d×%d → %d×%d", c.file, angle, conf, sk.angle, g.w, g.h, straight.w, straight.h)
		if !c.turned {
			if straight != g || sk != (skew{}) {
				t.Errorf("%s: a straight page was turned %.2f°", c.file, sk.angle)
			}
			continue
		}
		if math.Abs(sk.angle) < minDeskewAngle || sk.angle != angle {
			t.Fatalf("%s: turned %.2f°, skew found %.2f°", c.file, sk.angle, angle)
		}
		// Nothing of the page is cut off: the straightened page holds it.
		if straight.w < g.w || straight.h < g.h {
			t.Errorf("%s: straightened page %d×%d is smaller than the page %d×%d", c.file, straight.w, straight.h, g.w, g.h)
		}
		if a, _, _ := findSkew(straight); math.Abs(a) > 0.2 {
			t.Errorf("%s: straightened page still skewed %.2f°", c.file, a)
		}
		if ink(g) == 0 || math.Abs(float64(ink(straight))/float64(ink(g))-1) > 0.05 {
			t.Errorf("%s: straightened page has %d dark pixels, the page %d", c.file, ink(straight), ink(g))
		}
	}
}

func ink(g *grayImage) int {
	n := 0
	for _, p := range g.pix {
		if p < 128 {
			n++
		}
	}
	return n
}

// On a skewed scan the words' boxes, read on the page turned straight,
// are turned back onto the page as it is kept: each holds the ink of its
// word on the view.
func TestDeskewWordsOnThePage(t *testing.T) {
	e := newTestEngine(t)
	_, pages := analyse(t, e, "skew.pdf", corpus(t, "scans/ocrmypdf__skew.pdf"))
	pa := pages[0]
	if !strings.Contains(pa.Text, "LinnSequencer") {
		t.Fatalf("skew.pdf read without LinnSequencer:\n%s", pa.Text)
	}
	on, long := wordsOnInk(t, pa, 5)
	t.Logf("%d of %d words of 5 letters or more boxed on their ink", on, long)
	if long < 100 || float64(on) < 0.95*float64(long) {
		t.Errorf("%d of %d words of 5 letters or more boxed on their ink, want 95 %%", on, long)
	}
}

// wordsOnInk counts the words of pa of at least minLen letters (long) and
// those of them whose box in the view holds ink (on). A word's box on a
// slant is a little larger than the word, but a box off its line (turned
// the wrong way, scaled wrong, or not turned at all) holds mostly paper.
func wordsOnInk(t *testing.T, pa app.PageAnalysis, minLen int) (on, long int) {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(pa.View))
	if err != nil {
		t.Fatal(err)
	}
	if m.Bounds().Dx() != pa.Width || m.Bounds().Dy() != pa.Height {
		t.Fatalf("view %v, page %d×%d", m.Bounds(), pa.Width, pa.Height)
	}
	for _, w := range pa.Words {
		if len(w.Text) < minLen {
			continue
		}
		long++
		if darkShare(m, image.Rect(w.X, w.Y, w.X+w.W, w.Y+w.H)) >= 0.08 {
			on++
		}
	}
	return on, long
}

// darkShare is the share of r's pixels in m darker than mid-gray.
func darkShare(m image.Image, r image.Rectangle) float64 {
	r = r.Intersect(m.Bounds())
	if r.Empty() {
		return 0
	}
	dark := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if l, _, _, _ := m.At(x, y).RGBA(); l < 0x8000 {
				dark++
			}
		}
	}
	return float64(dark) / float64(r.Dx()*r.Dy())
}

// BenchmarkDeskew measures what straightening costs a page, in CPU time of
// the reading thread (wall time on a shared machine says more about the
// other processes): the deskew (finding the skew, and turning a skewed
// page), and Tesseract reading the page as it is and as straightened.
//
//	OMP_THREAD_LIMIT=1 go test ./scan/ -run XXX -bench Deskew -benchtime 3x
func BenchmarkDeskew(b *testing.B) {
	for _, c := range []struct{ name, file string }{
		{"straight-linn", "scans/ocrmypdf__linn.pdf"},
		{"skewed-linn", "scans/ocrmypdf__skew.pdf"},
	} {
		b.Run(c.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			e := newTestEngine(b)
			g := renderGray(b, e, c.file)
			var desk, asIs, straightened time.Duration
			for b.Loop() {
				t := threadCPU(b)
				straight, _ := deskew(g)
				desk += threadCPU(b) - t
				t = threadCPU(b)
				if _, err := e.ocr.recognize(g, 300, true); err != nil {
					b.Fatal(err)
				}
				asIs += threadCPU(b) - t
				t = threadCPU(b)
				if _, err := e.ocr.recognize(straight, 300, true); err != nil {
					b.Fatal(err)
				}
				straightened += threadCPU(b) - t
			}
			n := float64(b.N) * 1e6
			b.ReportMetric(float64(desk)/n, "deskew-cpu-ms")
			b.ReportMetric(float64(asIs)/n, "ocr-as-is-cpu-ms")
			b.ReportMetric(float64(straightened)/n, "ocr-straightened-cpu-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// threadCPU is the CPU time the calling OS thread has used (Linux).
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const rusageThread = 1 // RUSAGE_THREAD
