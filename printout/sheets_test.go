package printout

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"testing"
	"time"

	"folio/app"
)

func sampleCover() CoverInfo {
	return CoverInfo{
		Sheet: app.CoverSheet{MRN: app.FormatMRN("KAB", 123), Type: "lab-result",
			Date: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), Pages: 3},
		PatientName: "NYIRONGO, Thérèse",
		BirthDate:   "1984-03-12",
		TypeLabel:   "Lab result",
		Clinic:      "Kabwe Road Clinic",
		PrintedBy:   "clerk.banda",
		PrintedAt:   time.Date(2024, 3, 6, 9, 30, 0, 0, time.UTC),
	}
}

// longCover has the longest fields a cover sheet may carry: a 40-character
// type, a six-character site prefix, no date, no page count, no clinic.
func longCover() CoverInfo {
	return CoverInfo{
		Sheet:       app.CoverSheet{MRN: app.FormatMRN("MZUZU2", 98765432), Type: strings.Repeat("discharge-", 4)},
		PatientName: "ŁUKASZEWICZ-MBEKI-OYELARAN, Ngozi Ωmega Ðorđe Christabel-Anne",
		BirthDate:   "1961 (estimated)",
		TypeLabel:   "Discharge summary from the district hospital",
		PrintedBy:   "nurse.phiri",
	}
}

func TestCoverSheetQRReadsBack(t *testing.T) {
	sheets := []CoverInfo{sampleCover(), longCover()}
	b := pdfBytes(t, func(b *bytes.Buffer) error { return CoverSheetPDF(b, sheets...) })
	t.Logf("cover sheet PDF, %d pages: %d bytes", len(sheets), len(b))
	doc := openPDF(t, b)
	if n := doc.NumPage(); n != len(sheets) {
		t.Fatalf("%d pages, want %d", n, len(sheets))
	}
	for i, s := range sheets {
		want := s.Sheet.Payload()
		for _, dpi := range []float64{150, 100} {
			t.Run(fmt.Sprintf("sheet%d/clean/%vdpi", i+1, dpi), func(t *testing.T) {
				res, err := decodeQR(render(t, doc, i, dpi))
				if err != nil {
					t.Fatalf("QR not read: %v", err)
				}
				if res.GetText() != want {
					t.Fatalf("QR = %q, want %q", res.GetText(), want)
				}
				kind, got, err := app.ParseSheet(app.Barcode{Format: "QR_CODE", Value: res.GetText()})
				if err != nil || kind != app.SheetCover || got.MRN != s.Sheet.MRN {
					t.Fatalf("ParseSheet = %v, %+v, %v", kind, got, err)
				}
			})
		}
		for _, dpi := range []float64{150, 200} {
			t.Run(fmt.Sprintf("sheet%d/bad-scan/%vdpi", i+1, dpi), func(t *testing.T) {
				// Turned 2°, at 60% of the resolution, low contrast, noisy.
				img := badScan(render(t, doc, i, dpi), 2, 0.6, uint64(dpi))
				res, err := decodeQR(img)
				if err != nil {
					t.Fatalf("QR not read from a bad scan: %v", err)
				}
				if res.GetText() != want {
					t.Fatalf("QR = %q, want %q", res.GetText(), want)
				}
			})
		}
	}
}

func TestCoverSheetMRNBarcode(t *testing.T) {
	for _, c := range []CoverInfo{sampleCover(), longCover()} {
		b := pdfBytes(t, func(b *bytes.Buffer) error { return CoverSheetPDF(b, c) })
		for _, dpi := range []float64{150, 100} {
			img := render(t, openPDF(t, b), 0, dpi)
			// The Code 128 lies in the middle of the page, below the QR code.
			h := img.Bounds().Dy()
			res, err := decode1D(crop(img, image.Rect(0, h*2/5, img.Bounds().Dx(), h*3/5)), code128Reader())
			if err != nil {
				t.Fatalf("%s at %v dpi: Code 128 not read: %v", c.Sheet.MRN, dpi, err)
			}
			if res.GetText() != c.Sheet.MRN {
				t.Fatalf("Code 128 = %q, want %q", res.GetText(), c.Sheet.MRN)
			}
		}
	}
}

func TestCoverSheetQRSizeAndQuietZone(t *testing.T) {
	for _, c := range []CoverInfo{sampleCover(), longCover()} {
		b := pdfBytes(t, func(b *bytes.Buffer) error { return CoverSheetPDF(b, c) })
		const dpi = 150
		img := render(t, openPDF(t, b), 0, dpi)
		res, err := decodeQR(img)
		if err != nil {
			t.Fatal(err)
		}
		qr, err := qrModules(c.Sheet.Payload())
		if err != nil {
			t.Fatal(err)
		}
		n := float64(qr.GetWidth())
		// Finder pattern centres lie 3.5 modules in from the code's edges.
		p := res.GetResultPoints()
		bl, tl, tr := p[0], p[1], p[2]
		module := math.Hypot(tr.GetX()-tl.GetX(), tr.GetY()-tl.GetY()) / (n - 7)
		if mm := n * module / dpi * 25.4; mm < 50 {
			t.Errorf("QR code is %.1f mm wide, want at least 50", mm)
		}
		x0, y0 := tl.GetX()-3.5*module, tl.GetY()-3.5*module
		x1, y1 := tr.GetX()+3.5*module, bl.GetY()+3.5*module
		q := qrQuietModules * module
		for y := int(y0 - q); y < int(y1+q); y++ {
			for x := int(x0 - q); x < int(x1+q); x++ {
				inside := float64(x) > x0-1 && float64(x) < x1+1 && float64(y) > y0-1 && float64(y) < y1+1
				if !inside && img.RGBAAt(x, y).R < 200 {
					t.Fatalf("%s: dark pixel at (%d,%d) in the QR code's quiet zone", c.Sheet.MRN, x, y)
				}
			}
		}
	}
}

func TestCoverSheetText(t *testing.T) {
	cases := []struct {
		name string
		info CoverInfo
		want []string
		not  []string
	}{
		{"full", sampleCover(), []string{
			"FOLIO COVER SHEET", sampleCover().Sheet.MRN, "NYIRONGO, Thérèse", "1984-03-12",
			"Lab result", "2024-03-05", "3 (not counting this sheet)", "Kabwe Road Clinic",
			"clerk.banda, 2024-03-06 09:30", coverInstruction,
		}, []string{"not stated"}},
		{"sparse", longCover(), []string{
			longCover().Sheet.MRN, "ŁUKASZEWICZ-MBEKI-OYELARAN, Ngozi", "Ðorđe Christabel-Anne", "1961 (estimated)",
			"Discharge summary from the district hospital", "not stated", "nurse.phiri",
		}, []string{"Clinic"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := pdfBytes(t, func(b *bytes.Buffer) error { return CoverSheetPDF(b, tc.info) })
			doc := openPDF(t, b)
			text := pageText(t, doc, 0)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("page text lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(text, w) {
					t.Errorf("page text has %q:\n%s", w, text)
				}
			}
			// The metadata names no patient.
			if got := metadata(doc, "title"); got != "Folio cover sheet" {
				t.Errorf("title = %q", got)
			}
			if got := metadata(doc, "producer"); got != "Folio" {
				t.Errorf("producer = %q", got)
			}
		})
	}
}

func TestCoverSheetRefusesBadInput(t *testing.T) {
	good := sampleCover()
	cases := []struct {
		name   string
		sheets []CoverInfo
	}{
		{"none", nil},
		{"bad MRN", []CoverInfo{func() CoverInfo { c := good; c.Sheet.MRN = "KAB-000123-0"; return c }()}},
		{"MRN with a space", []CoverInfo{func() CoverInfo { c := good; c.Sheet.MRN = "KAB 000123"; return c }()}},
		{"bad type", []CoverInfo{good, func() CoverInfo { c := good; c.Sheet.Type = "Lab Result"; return c }()}},
		{"no name", []CoverInfo{func() CoverInfo { c := good; c.PatientName = " "; return c }()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := CoverSheetPDF(&b, tc.sheets...)
			if !errors.Is(err, app.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes for a refused sheet", b.Len())
			}
		})
	}
}

func TestSeparatorSheet(t *testing.T) {
	const n = 3
	b := pdfBytes(t, func(b *bytes.Buffer) error { return SeparatorSheetPDF(b, n) })
	t.Logf("separator PDF, %d pages: %d bytes", n, len(b))
	doc := openPDF(t, b)
	if doc.NumPage() != n {
		t.Fatalf("%d pages, want %d", doc.NumPage(), n)
	}
	for _, dpi := range []float64{100, 150} {
		img := render(t, doc, n-1, dpi)
		res, err := decodeQR(img)
		if err != nil || res.GetText() != app.SeparatorPayload {
			t.Fatalf("%v dpi: QR = %v, %v; want %q", dpi, res, err, app.SeparatorPayload)
		}
		h := img.Bounds().Dy()
		res, err = decode1D(crop(img, image.Rect(0, h*3/4, img.Bounds().Dx(), h)), code39Reader())
		if err != nil || res.GetText() != "PATCHT" {
			t.Fatalf("%v dpi: Code 39 = %v, %v; want PATCHT", dpi, res, err)
		}
		if kind, _, err := app.ParseSheet(app.Barcode{Format: "CODE_39", Value: res.GetText()}); kind != app.SheetSeparator || err != nil {
			t.Fatalf("ParseSheet(PATCHT) = %v, %v", kind, err)
		}
	}
	res, err := decodeQR(badScan(render(t, doc, 0, 150), 2, 0.6, 7))
	if err != nil || res.GetText() != app.SeparatorPayload {
		t.Fatalf("bad scan: QR = %v, %v", res, err)
	}
	text := pageText(t, doc, 1)
	for _, w := range []string{"FOLIO SEPARATOR SHEET", "starts a new document", separatorInstruction} {
		if !strings.Contains(text, w) {
			t.Errorf("page text lacks %q:\n%s", w, text)
		}
	}
}

func TestSeparatorSheetCount(t *testing.T) {
	for _, n := range []int{0, -1, maxSeparate + 1} {
		var b bytes.Buffer
		if err := SeparatorSheetPDF(&b, n); !errors.Is(err, app.ErrInvalid) || b.Len() != 0 {
			t.Errorf("SeparatorSheetPDF(%d) = %v, %d bytes; want ErrInvalid, nothing", n, err, b.Len())
		}
	}
}
