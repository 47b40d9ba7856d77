package pageread

import (
	"testing"
	"time"
)

// BenchmarkPage analyses one page per iteration and reports ms/page and
// the time per page of each stage. Run with OMP_THREAD_LIMIT=1, as the
// worker does:
//
//	OMP_THREAD_LIMIT=1 go test ./scan/ -run XXX -bench Page -benchtime 5x
func BenchmarkPage(b *testing.B) {
	for _, c := range []struct{ name, file string }{
		{"scan-linn", "scans/ocrmypdf__linn.pdf"},               // image-only, 300 dpi JBIG2: OCR
		{"scan-skew", "scans/ocrmypdf__skew.pdf"},               // the same page skewed 1.9°: deskew + OCR
		{"scan-rotated", "scans/paperless__rotated.pdf"},        // image-only JPEG, turned pages: OCR with orientation
		{"patch-sheet", "barcodes/paperless__patch-code-t.pdf"}, // a PATCH-T sheet: barcode + OCR
		{"text-layer", "robustness/paperless__signed.pdf"},      // born-digital: layer, no OCR
	} {
		b.Run(c.name, func(b *testing.B) {
			e := newTestEngine(b)
			d, err := e.Open(c.file, corpus(b, c.file))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			e.stats = stageTimes{}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := d.Page(i % d.Pages()); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			st := e.stats
			n := float64(max(st.pages, 1))
			ms := func(d time.Duration) float64 { return float64(d) / 1e6 / n }
			b.ReportMetric(ms(st.all), "ms/page")
			b.ReportMetric(ms(st.render), "render-ms")
			b.ReportMetric(ms(st.gray+st.view), "gray+view-ms")
			b.ReportMetric(ms(st.barcode), "barcode-ms")
			b.ReportMetric(ms(st.barcodeRetry), "barcode-retry-ms")
			b.ReportMetric(ms(st.orient), "orient-ms")
			b.ReportMetric(ms(st.deskew), "deskew-ms")
			b.ReportMetric(ms(st.ocr), "ocr-ms")
			b.ReportMetric(ms(st.jpeg), "jpeg-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
