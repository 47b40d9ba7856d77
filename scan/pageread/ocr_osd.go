package pageread

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

// checkOSDData reports whether Tesseract's orientation data
// (osd.traineddata) loads. The OCR engine loads it itself when it reads its
// first page, but goes on without it, reading turned pages as they lie,
// when it is missing; this says so when the engine starts. gosseract v2.4.1
// cannot load it alone, so this goes through Tesseract's C API.
func checkOSDData() error {
	api := C.TessBaseAPICreate()
	defer C.TessBaseAPIDelete(api)
	lang := C.CString("osd")
	defer C.free(unsafe.Pointer(lang))
	if C.TessBaseAPIInit3(api, nil, lang) != 0 {
		return errors.New("tesseract: cannot load the orientation data osd.traineddata (install tesseract-ocr-osd)")
	}
	C.TessBaseAPIEnd(api)
	return nil
}
