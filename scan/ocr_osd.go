package scan

/*
#cgo LDFLAGS: -ltesseract
#include <stdlib.h>
#include <tesseract/capi.h>
*/
import "C"

import (
	"errors"
	"unsafe"
)

// osdEngine finds a page's orientation with Tesseract's orientation and
// script detection. gosseract v2.4.1 does not expose it, so this is a
// second, OSD-only Tesseract handle driven through Tesseract's C API; it
// takes the raw gray pixels, no encoding.
type osdEngine struct {
	api *C.TessBaseAPI
}

// minOSDConfidence is the orientation confidence below which the OSD
// verdict is ignored and the page is taken as upright. Tesseract's
// confidences for a page of text run from about 5 to over 30; a page with
// a few words or a picture gives under 2. (OCRmyPDF's default is 14 for
// its rotate-pages threshold, which leaves many rotated pages unturned.)
const minOSDConfidence = 2.0

func newOSDEngine() (*osdEngine, error) {
	api := C.TessBaseAPICreate()
	lang := C.CString("osd")
	defer C.free(unsafe.Pointer(lang))
	if C.TessBaseAPIInit3(api, nil, lang) != 0 {
		C.TessBaseAPIDelete(api)
		return nil, errors.New("tesseract: cannot load the orientation data osd.traineddata (install tesseract-ocr-osd)")
	}
	name, value := C.CString("debug_file"), C.CString("/dev/null")
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(value))
	C.TessBaseAPISetVariable(api, name, value)
	C.TessBaseAPISetPageSegMode(api, C.PSM_OSD_ONLY)
	return &osdEngine{api: api}, nil
}

func (o *osdEngine) close() {
	C.TessBaseAPIEnd(o.api)
	C.TessBaseAPIDelete(o.api)
	o.api = nil
}

// osdResult is Tesseract's verdict: the clockwise turn that makes the page
// upright, and its confidence.
type osdResult struct {
	ok         bool
	rotate     int
	confidence float64
}

// detectRaw runs OSD on g at dpi.
func (o *osdEngine) detectRaw(g *grayImage, dpi float64) osdResult {
	if g.w < 16 || g.h < 16 {
		return osdResult{}
	}
	// SetImage copies the pixels into a Leptonica Pix.
	C.TessBaseAPISetImage(o.api, (*C.uchar)(unsafe.Pointer(&g.pix[0])), C.int(g.w), C.int(g.h), 1, C.int(g.w))
	C.TessBaseAPISetSourceResolution(o.api, C.int(dpi+0.5))
	defer C.TessBaseAPIClear(o.api)
	var deg C.int
	var conf, sconf C.float
	var script *C.char
	if C.TessBaseAPIDetectOrientationScript(o.api, &deg, &conf, &script, &sconf) == 0 {
		return osdResult{}
	}
	// deg is the text's orientation, counter-clockwise; turning the page
	// clockwise by the same angle makes it upright.
	return osdResult{ok: true, rotate: (360 - int(deg)%360) % 360, confidence: float64(conf)}
}

// detect returns the clockwise turn (0, 90, 180 or 270) that makes g
// upright, or 0 when OSD is not confident.
func (o *osdEngine) detect(g *grayImage, dpi float64) int {
	r := o.detectRaw(g, dpi)
	if !r.ok || r.confidence < minOSDConfidence {
		return 0
	}
	return r.rotate
}
