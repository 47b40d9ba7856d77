package pageread

/*
#cgo pkg-config: lept
#include <stdlib.h>
#include <string.h>
#include <leptonica/allheaders.h>

// folio_find_skew finds the skew of a gray page (one byte a pixel, rows
// of w bytes) with Leptonica's pixFindSkew on the page binarised at
// thresh (a pixel darker than thresh is ink). It returns 0 on success.
static int folio_find_skew(const l_uint8 *gray, int w, int h, int thresh, l_float32 *angle, l_float32 *conf) {
	PIX *bin = pixCreate(w, h, 1);
	if (bin == NULL) {
		return 1;
	}
	l_uint32 *data = pixGetData(bin);
	int wpl = pixGetWpl(bin);
	for (int y = 0; y < h; y++) {
		const l_uint8 *row = gray + (size_t)y * w;
		l_uint32 *line = data + (size_t)y * wpl;
		for (int x = 0; x < w; x++) {
			if (row[x] < thresh) {
				SET_DATA_BIT(line, x);
			}
		}
	}
	int rc = pixFindSkew(bin, angle, conf);
	pixDestroy(&bin);
	return rc;
}

// folio_rotate turns a gray page by angle radians (clockwise positive)
// about its centre with Leptonica's area-map rotation, embedded in a page
// large enough to keep every pixel, white brought in at the edges. The
// caller frees the result with folio_free_pix.
static PIX *folio_rotate(const l_uint8 *gray, int w, int h, float angle) {
	PIX *src = pixCreate(w, h, 8);
	if (src == NULL) {
		return NULL;
	}
	l_uint32 *data = pixGetData(src);
	int wpl = pixGetWpl(src);
	for (int y = 0; y < h; y++) {
		memcpy(data + (size_t)y * wpl, gray + (size_t)y * w, w);
	}
	// The rows were copied as bytes in image order; Leptonica keeps 8-bit
	// pixels in 32-bit words, most significant first.
	pixEndianByteSwap(src);
	PIX *dst = pixRotate(src, angle, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, w, h);
	pixDestroy(&src);
	if (dst != NULL) {
		pixEndianByteSwap(dst);
	}
	return dst;
}

static int folio_pix_width(PIX *p) { return pixGetWidth(p); }
static int folio_pix_height(PIX *p) { return pixGetHeight(p); }
static int folio_pix_depth(PIX *p) { return pixGetDepth(p); }

// folio_copy_rows copies an 8-bit pix whose bytes are in image order
// (folio_rotate's result) into out, rows of width bytes.
static void folio_copy_rows(PIX *p, l_uint8 *out) {
	int w = pixGetWidth(p), h = pixGetHeight(p), wpl = pixGetWpl(p);
	l_uint32 *data = pixGetData(p);
	for (int y = 0; y < h; y++) {
		memcpy(out + (size_t)y * w, data + (size_t)y * wpl, w);
	}
}

static void folio_free_pix(PIX *p) { pixDestroy(&p); }
*/
import "C"

import (
	"errors"
	"math"
	"unsafe"

	"folio/app"
)

// Deskew. A page fed through a scanner at a slant is read worse by
// Tesseract than the same page straight: its layout analysis takes the
// tilted columns' lines for lines running across them. Before OCR the
// upright page's skew is found with Leptonica's pixFindSkew (the library
// Tesseract itself is built on; OCRmyPDF's --deskew uses the same
// function), and a page skewed by at least minDeskewAngle, found with
// confidence, is turned straight for Tesseract only. The page kept — the
// original file, the view, the thumbnail — is never changed; the words'
// boxes are turned back onto the page as it is.

// Limits of the deskew. pixFindSkew searches ±7°; its confidence is the
// ratio of the best alignment's score to the mean (about 3 or less for a
// page without lines of text, where its angle means nothing). Under a
// degree Tesseract's own line finding copes, and turning costs more than
// it gains: measured on the corpus, eurotext.tif (0.8°) turned straight
// lost a word, c02-22.pdf (0.7°) gained two, skew.pdf (1.9°) went from
// 66 % of its words in order to 96 %, as the same page scanned straight.
const (
	minDeskewAngle      = 1.0 // degrees
	minDeskewConfidence = 3.0
)

// skew is how a page was turned for OCR: by angle degrees clockwise about
// its centre, from a w × h page onto a dw × dh one (larger, so that no
// corner is cut off). The zero skew is a page read as it is.
type skew struct {
	angle        float64
	w, h, dw, dh int
}

// findSkew returns the clockwise angle, in degrees, that makes g's lines
// of text level, and Leptonica's confidence in it.
func findSkew(g *grayImage) (angle, confidence float64, err error) {
	if g.w < 64 || g.h < 64 {
		return 0, 0, nil
	}
	// Ink is what Otsu's level separates from the paper, so faint print
	// counts too; a page of one gray has none.
	level := otsu(g)
	var a, c C.l_float32
	if C.folio_find_skew((*C.l_uint8)(unsafe.Pointer(&g.pix[0])), C.int(g.w), C.int(g.h), C.int(level)+1, &a, &c) != 0 {
		return 0, 0, errors.New("leptonica could not measure the page's skew")
	}
	return float64(a), float64(c), nil
}

// deskew returns g turned straight for OCR, and how it was turned; g
// itself when it is straight enough, or its skew cannot be told.
func deskew(g *grayImage) (*grayImage, skew) {
	angle, conf, err := findSkew(g)
	if err != nil || conf < minDeskewConfidence || math.Abs(angle) < minDeskewAngle {
		return g, skew{}
	}
	p := C.folio_rotate((*C.l_uint8)(unsafe.Pointer(&g.pix[0])), C.int(g.w), C.int(g.h), C.float(angle*math.Pi/180))
	if p == nil {
		return g, skew{}
	}
	defer C.folio_free_pix(p)
	if C.folio_pix_depth(p) != 8 {
		return g, skew{}
	}
	out := newGray(int(C.folio_pix_width(p)), int(C.folio_pix_height(p)))
	C.folio_copy_rows(p, (*C.l_uint8)(unsafe.Pointer(&out.pix[0])))
	return out, skew{angle: angle, w: g.w, h: g.h, dw: out.w, dh: out.h}
}

// unturn maps word boxes on the straightened page back onto the page as
// it is: each box is turned back about the centre, and the box that holds
// the turned corners kept (a word on a slant is boxed upright, a little
// larger), clamped inside the page.
func (s skew) unturn(words []app.Word) []app.Word {
	if s.angle == 0 {
		return words
	}
	rad := s.angle * math.Pi / 180
	sin, cos := math.Sincos(rad)
	cx, cy := float64(s.w)/2, float64(s.h)/2
	dcx, dcy := float64(s.dw)/2, float64(s.dh)/2
	// The straightened page is the page turned clockwise by angle; a point
	// of it comes from the page's point turned back anticlockwise.
	back := func(x, y float64) (float64, float64) {
		x, y = x-dcx, y-dcy
		return cx + x*cos + y*sin, cy - x*sin + y*cos
	}
	out := make([]app.Word, 0, len(words))
	for _, wd := range words {
		x0, y0 := math.Inf(1), math.Inf(1)
		x1, y1 := math.Inf(-1), math.Inf(-1)
		for _, c := range [4][2]int{{wd.X, wd.Y}, {wd.X + wd.W, wd.Y}, {wd.X, wd.Y + wd.H}, {wd.X + wd.W, wd.Y + wd.H}} {
			x, y := back(float64(c[0]), float64(c[1]))
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
		l, t := max(0, int(x0)), max(0, int(y0))
		r, b := min(s.w, int(math.Ceil(x1))), min(s.h, int(math.Ceil(y1)))
		if r <= l || b <= t {
			continue
		}
		out = append(out, app.Word{Text: wd.Text, X: l, Y: t, W: r - l, H: b - t})
	}
	return out
}
