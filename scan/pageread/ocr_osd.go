package pageread

/*
#cgo LDFLAGS: -ltesseract
#include <stdlib.h>
#include <tesseract/capi.h>
*/
import "C"

import (
	"errors"
	"strconv"
	"unsafe"
)

// Orientation. Before a page is OCR'd, Tesseract's orientation data
// (osd.traineddata) takes a quick look at its viewing image (150 dpi): a
// page it finds lying some way up with confidence is turned upright and
// read in automatic layout mode without orientation (`tesseract --psm 3`,
// what `tesseract FILE stdout` does); a page it is unsure of is read as
// before, in automatic layout mode with orientation (`--psm 1`), where
// Tesseract looks at the orientation itself, on up to 250 characters, and
// turns the page if it is sure.
//
// Read with `--psm 1`, a page on its side or upside down has its layout
// analysed twice, as it lies and once turned: 0.3–0.5 s of CPU more than
// the same page upright. The quick look classifies up to 100 characters
// (min_characters_to_try 20), each four ways: 0.2–0.3 s on a dense page,
// about what `--psm 1` spends on the orientation of an upright one, and
// 0.05 s on a page of a few words. On the corpus it tells the
// orientation of every turned page with confidence 3.9–8.9, where a page
// of a few words or a picture gives under 2.
const (
	// minLookCells is the least ink, in inked cells of the blank check
	// (about 1/10 inch square; a letter of 10 pt type inks one or two),
	// of a page the quick look is taken on. A page with less has fewer
	// characters than the look would classify, and `--psm 1` looks at all
	// of them as the quick look would, for nothing more: 0.05–0.07 s
	// (measured on the corpus's pages of a few words).
	minLookCells = 200
	// osdQuickChars is Tesseract's min_characters_to_try for the quick
	// look: it classifies up to five times as many characters.
	osdQuickChars = 20
	// minOSDConfidence is Folio's orientation margin, for the quick look
	// and for Tesseract's own (min_orientation_margin): a page is turned
	// only when the confidence in its orientation is at least this.
	// (OCRmyPDF's default for --rotate-pages is 14, which leaves many
	// turned pages unturned.)
	minOSDConfidence = 2.0
)

// osdEngine finds the orientation of pages: a Tesseract engine of the
// orientation data alone, through Tesseract's C API (gosseract v2.4.1
// cannot run it).
type osdEngine struct{ api *C.TessBaseAPI }

// newOSDEngine loads the orientation data. Tesseract would go on without
// it, reading turned pages as they lie; this says so when the engine
// starts.
func newOSDEngine() (*osdEngine, error) {
	api := C.TessBaseAPICreate()
	lang := C.CString("osd")
	defer C.free(unsafe.Pointer(lang))
	if C.TessBaseAPIInit3(api, nil, lang) != 0 {
		C.TessBaseAPIDelete(api)
		return nil, errors.New("tesseract: cannot load the orientation data osd.traineddata (install tesseract-ocr-osd)")
	}
	C.TessBaseAPISetPageSegMode(api, C.PSM_OSD_ONLY)
	name, val := C.CString("min_characters_to_try"), C.CString(strconv.Itoa(osdQuickChars))
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(val))
	C.TessBaseAPISetVariable(api, name, val)
	return &osdEngine{api: api}, nil
}

func (o *osdEngine) close() {
	if o.api != nil {
		C.TessBaseAPIEnd(o.api)
		C.TessBaseAPIDelete(o.api)
		o.api = nil
	}
}

// upright takes the quick look at g, a page at dpi. It returns the
// clockwise turn (0, 90, 180 or 270) that sets the page upright, and
// whether the look was sure of it.
func (o *osdEngine) upright(g *grayImage, dpi float64) (turn int, sure bool) {
	if g.w == 0 || g.h == 0 {
		return 0, false
	}
	C.TessBaseAPISetImage(o.api, (*C.uchar)(unsafe.Pointer(&g.pix[0])), C.int(g.w), C.int(g.h), 1, C.int(g.w))
	C.TessBaseAPISetSourceResolution(o.api, C.int(max(70, int(dpi+0.5))))
	var deg C.int
	var conf, scriptConf C.float
	var script *C.char
	ok := C.TessBaseAPIDetectOrientationScript(o.api, &deg, &conf, &script, &scriptConf) != 0
	C.TessBaseAPIClear(o.api)
	if !ok || float64(conf) < minOSDConfidence {
		return 0, false // too few characters, or unsure
	}
	// deg is how far the text is turned anticlockwise.
	return (360 - int(deg)%360) % 360, true
}
