package pageread

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"folio/app"
)

// tiffUnknownCompression is a 16×16 gray TIFF whose Compression tag is
// 60000, which no reader knows.
func tiffUnknownCompression() []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(8))
	type entry struct {
		tag, typ uint16
		n, v     uint32
	}
	entries := []entry{
		{256, 3, 1, 16},    // ImageWidth
		{257, 3, 1, 16},    // ImageLength
		{258, 3, 1, 8},     // BitsPerSample
		{259, 3, 1, 60000}, // Compression
		{262, 3, 1, 1},     // PhotometricInterpretation: black is zero
		{273, 4, 1, 0},     // StripOffsets, set below
		{277, 3, 1, 1},     // SamplesPerPixel
		{278, 3, 1, 16},    // RowsPerStrip
		{279, 4, 1, 256},   // StripByteCounts
	}
	data := 8 + 2 + 12*len(entries) + 4
	entries[5].v = uint32(data)
	binary.Write(&b, le, uint16(len(entries)))
	for _, e := range entries {
		binary.Write(&b, le, e.tag)
		binary.Write(&b, le, e.typ)
		binary.Write(&b, le, e.n)
		binary.Write(&b, le, e.v)
	}
	binary.Write(&b, le, uint32(0))
	b.Write(bytes.Repeat([]byte{0x5a}, 256))
	return b.Bytes()
}

// tiffHuge is an uncompressed 1-bit TIFF claiming 200000 × 200000 pixels
// with a few bytes of data.
func tiffHuge() []byte {
	b := tiffUnknownCompression()
	le := binary.LittleEndian
	// Patch width, height, compression (1 = none), bits (1), rows per strip.
	for i := 10; i+12 <= len(b); i += 12 {
		switch le.Uint16(b[i:]) {
		case 256, 257, 278:
			le.PutUint16(b[i+2:], 4)
			le.PutUint32(b[i+8:], 200000)
		case 259:
			le.PutUint32(b[i+8:], 1)
		case 258:
			le.PutUint32(b[i+8:], 1)
		}
		if le.Uint16(b[i:]) == 279 {
			break
		}
	}
	return b
}

// bombPDF is a letter page showing a Flate image that claims 50000 × 50000
// gray pixels (2.5 GB decoded). The stream holds 64 MiB of zeros (64 KB
// compressed): MuPDF must still size the image by its dictionary.
func bombPDF(t testing.TB) []byte {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zero := make([]byte, 1<<20)
	for range 64 {
		w.Write(zero)
	}
	w.Close()
	return minimalPDF("0 0 612 792", "<< /XObject << /Im1 5 0 R >> >>", "q 612 0 0 792 0 0 cm /Im1 Do Q",
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width 50000 /Height 50000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", z.Len(), z.Bytes()))
}

func noisePNG() []byte {
	m := image.NewGray(image.Rect(0, 0, 1200, 1600))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range m.Pix {
		m.Pix[i] = byte(r.UintN(256))
	}
	var b bytes.Buffer
	png.Encode(&b, m)
	return b.Bytes()
}

// brokenXref returns pdf with every xref offset pointing at the wrong place.
func brokenXref(pdf []byte) []byte {
	re := regexp.MustCompile(`(?m)^\d{10} 00000 n`)
	return re.ReplaceAll(pdf, []byte("0000000003 00000 n"))
}

func TestBadInputs(t *testing.T) {
	e := newTestEngine(t)
	linn := corpus(t, "scans/ocrmypdf__linn.pdf")
	textPDF := minimalPDF("0 0 612 792", "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
		"BT /F1 12 Tf 72 700 Td (A short letter about a patient, with enough text for a layer.) Tj ET")
	for _, c := range []struct {
		name string
		data []byte
		// openErr and pageErr are regexps the error from Open or from
		// the first failing Page must match; both empty means the file
		// must be read cleanly.
		openErr, pageErr string
		// check, if set, inspects a clean result.
		check func(t *testing.T, pages []app.PageAnalysis)
	}{
		{name: "empty", data: nil, openErr: `the file is empty`},
		{name: "text renamed .pdf", data: []byte("Dear Dr Smith,\nthank you for seeing Mrs Jones.\n"), openErr: `"text renamed .pdf" is not a PDF, TIFF, JPEG or PNG file`},
		{name: "encrypted", data: corpus(t, "robustness/paperless__encrypted.pdf"), openErr: `password-protected; save an unprotected copy and import that`},
		{name: "password is test", data: corpus(t, "robustness/paperless__password-is-test.pdf"), openErr: `password-protected`},
		{name: "ocrmypdf invalid", data: corpus(t, "robustness/ocrmypdf__invalid.pdf"), openErr: `damaged or incomplete \(MuPDF: .+\)|has no pages`},
		{name: "paperless invalid", data: corpus(t, "robustness/paperless__invalid_pdf.pdf"), openErr: `damaged or incomplete \(MuPDF: .+\)|has no pages`},
		{name: "truncated pdf", data: linn[:len(linn)/2], openErr: `damaged|no pages`, pageErr: `damaged`},
		{name: "broken xref", data: brokenXref(textPDF), check: func(t *testing.T, p []app.PageAnalysis) {
			// MuPDF rebuilds the xref from the objects.
			if p[0].TextSource != "layer" || !strings.Contains(p[0].Text, "short letter") {
				t.Errorf("repaired page: %s %q", p[0].TextSource, p[0].Text)
			}
		}},
		{name: "tiff unknown compression", data: tiffUnknownCompression(), openErr: `damaged|no pages`, pageErr: `damaged`},
		{name: "tiff 200000 px square", data: tiffHuge(), openErr: `damaged|no pages|too large`, pageErr: `damaged|too large`},
		{name: "huge page", data: minimalPDF("0 0 20000 20000", "<< >>", ""), pageErr: `page 1 is too large \(20000 × 20000 pt\)`},
		{name: "decompression bomb", data: bombPDF(t), pageErr: `damaged`, check: func(t *testing.T, p []app.PageAnalysis) {
			if len(p[0].Barcodes) != 0 {
				t.Errorf("barcodes on a bomb: %v", p[0].Barcodes)
			}
		}},
		{name: "random noise", data: noisePNG(), check: func(t *testing.T, p []app.PageAnalysis) {
			if len(p[0].Barcodes) != 0 {
				t.Errorf("barcodes in noise: %v", p[0].Barcodes)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := e.Open(c.name, c.data)
			if err != nil {
				t.Logf("Open: %v", err)
				if c.openErr == "" || !regexp.MustCompile(c.openErr).MatchString(err.Error()) {
					t.Errorf("Open error %q does not match %q", err, c.openErr)
				}
				if !errors.Is(err, app.ErrInvalid) {
					t.Errorf("Open error %q does not wrap app.ErrInvalid", err)
				}
				return
			}
			defer d.Close()
			var pages []app.PageAnalysis
			for i := range d.Pages() {
				p, err := d.Page(i)
				if err != nil {
					t.Logf("Page(%d): %v", i, err)
					if c.pageErr == "" || !regexp.MustCompile(c.pageErr).MatchString(err.Error()) {
						t.Errorf("Page(%d) error %q does not match %q", i, err, c.pageErr)
					}
					if !errors.Is(err, app.ErrInvalid) {
						t.Errorf("Page(%d) error %q does not wrap app.ErrInvalid", i, err)
					}
					return
				}
				pages = append(pages, p)
			}
			t.Logf("read cleanly: %d pages; page 1 %s %q blank=%v", len(pages), pages[0].TextSource, trim(pages[0].Text, 60), pages[0].Blank)
			if c.check != nil {
				c.check(t, pages)
			} else if c.openErr != "" || c.pageErr != "" {
				t.Logf("no error, where one was allowed")
			}
		})
	}
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
