package pageread

import (
	"math"
	"testing"
)

// A scanned PDF page is read at its image's own resolution, at most the
// render's and at least minOCRDPI; other pages at the render's.
func TestOCRResolution(t *testing.T) {
	e := newTestEngine(t)
	for _, c := range []struct {
		file string
		page int
		want float64
	}{
		{"scans/ocrmypdf__c02-22.pdf", 0, 150},             // 800 px over 384 pt
		{"scans/paperless__multi-page-images.pdf", 0, 206}, // 1700 px over 594 pt
		{"scans/paperless__rotated.pdf", 0, 206},           // the same, drawn on its side
		{"scans/ocrmypdf__linn.pdf", 0, 300},               // a 300 dpi scan
		{"scans/ocrmypdf__2400dpi.pdf", 0, 300},            // more than the render: the render's
		{"scans/paperless__single-page-mixed.pdf", 0, 300}, // a small image on a page
		{"scans/paperless__single-page-mixed.pdf", 1, 300}, // no image
	} {
		d, err := e.Open(c.file, corpus(t, c.file))
		if err != nil {
			t.Fatal(err)
		}
		p, err := d.mu.loadPage(c.page)
		if err != nil {
			t.Fatal(err)
		}
		render, _, _, err := d.resolution(c.page, p.w, p.h)
		if err != nil {
			t.Fatal(err)
		}
		got := d.ocrResolution(c.page, p, render)
		p.close()
		d.Close()
		if math.Abs(got-c.want) > 1 {
			t.Errorf("%s page %d: read at %.1f dpi, want %.0f (render %.0f)", c.file, c.page+1, got, c.want, render)
		}
	}
}

func TestScanDPI(t *testing.T) {
	for _, c := range []struct {
		name string
		im   muImage
		want float64
		ok   bool
	}{
		{"letter at 300", muImage{w: 2550, h: 3300, wp: 612, hp: 792}, 300, true},
		{"landscape image drawn turned", muImage{w: 3300, h: 2550, wp: 612, hp: 792, turned: true}, 300, true},
		{"fax drawn turned", muImage{w: 1078, h: 1734, wp: 612, hp: 792, turned: true}, 204, true},
		{"fax 204 × 98 dpi", muImage{w: 1734, h: 1078, wp: 612, hp: 792}, 204, true},
		{"half the page", muImage{w: 1275, h: 1650, wp: 306, hp: 396}, 0, false},
		{"bled past the edges", muImage{w: 2550, h: 3300, wp: 637, hp: 811, x0: -12, y0: -10}, 293, true},
	} {
		got, ok := scanDPI(c.im, 612, 792)
		if ok != c.ok || math.Abs(got-c.want) > 0.5 {
			t.Errorf("%s: %.1f dpi, %v; want %.0f, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// Words read below the render's resolution are boxed on their ink in the
// view, on pages drawn upright and turned.
func TestWordsOnTheInkBelowRenderResolution(t *testing.T) {
	e := newTestEngine(t)
	for _, file := range []string{"scans/paperless__rotated.pdf", "scans/ocrmypdf__c02-22.pdf"} {
		_, pages := analyse(t, e, file, corpus(t, file))
		for i, pa := range pages {
			on, long := wordsOnInk(t, pa, 4)
			t.Logf("%s page %d: %d of %d words of 4 letters or more boxed on their ink", file, i+1, on, long)
			if long < 5 || float64(on) < 0.95*float64(long) {
				t.Errorf("%s page %d: %d of %d words of 4 letters or more boxed on their ink, want 95 %%", file, i+1, on, long)
			}
		}
	}
}
