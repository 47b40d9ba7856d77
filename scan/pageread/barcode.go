package pageread

import (
	"math"
	"slices"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/datamatrix"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/oned"

	"folio/app"
)

// The barcode formats Folio reads, as gozxing (and app.Barcode) name them:
// QR_CODE (cover and separator sheets, many tag sheets), CODE_128 and
// CODE_39 (ASN labels, PATCH-T sheets) and DATA_MATRIX.
//
// gozxing has no multi-format reader, so each format's reader runs in turn.
// The 1-D readers scan rows from the middle out; with TRY_HARDER they scan
// every 1/256 of the page and also the page turned 90°, and each row is
// tried both ways, so codes upside down or sideways are found.

// lumSource is a gozxing.LuminanceSource over a grayImage that supports
// rotation (for TRY_HARDER's sideways pass) without copying rows into ints.
// The image turned is made once: the Code 128 and Code 39 readers both ask
// for it.
type lumSource struct {
	gozxing.LuminanceSourceBase
	g      *grayImage
	turned *turnedLumSource
}

func newLumSource(g *grayImage) *lumSource {
	return &lumSource{LuminanceSourceBase: gozxing.LuminanceSourceBase{Width: g.w, Height: g.h}, g: g}
}

func (s *lumSource) GetRow(y int, row []byte) ([]byte, error) {
	if len(row) < s.g.w {
		row = make([]byte, s.g.w)
	}
	copy(row, s.g.pix[y*s.g.w:(y+1)*s.g.w])
	return row, nil
}

func (s *lumSource) GetMatrix() []byte { return s.g.pix }

func (s *lumSource) Invert() gozxing.LuminanceSource { return gozxing.LuminanceSourceInvert(s) }

func (s *lumSource) IsRotateSupported() bool { return true }

func (s *lumSource) RotateCounterClockwise() (gozxing.LuminanceSource, error) {
	if s.turned == nil {
		s.turned = &turnedLumSource{LuminanceSourceBase: gozxing.LuminanceSourceBase{Width: s.g.h, Height: s.g.w}, g: s.g}
	}
	return s.turned, nil
}

func (s *lumSource) String() string { return gozxing.LuminanceSourceString(s) }

// turnedLumSource is a grayImage turned a quarter anticlockwise, read a row
// (a column of the image) at a time: the 1-D readers' sideways pass reads
// at most 256 of its rows, so the image is turned whole only if a reader
// asks for the whole matrix (none of Folio's does). Turning an 8-megapixel
// page whole cost about 25 ms of CPU.
type turnedLumSource struct {
	gozxing.LuminanceSourceBase
	g     *grayImage // as it lies, not turned
	whole []byte     // the turned matrix, once asked for
}

// GetRow returns row y of the turned image: column w-1-y of g, top down.
func (s *turnedLumSource) GetRow(y int, row []byte) ([]byte, error) {
	w, h := s.g.w, s.g.h
	if len(row) < h {
		row = make([]byte, h)
	}
	for i, p := 0, w-1-y; i < h; i, p = i+1, p+w {
		row[i] = s.g.pix[p]
	}
	return row, nil
}

func (s *turnedLumSource) GetMatrix() []byte {
	if s.whole == nil {
		s.whole = s.g.rotate(270).pix
	}
	return s.whole
}

func (s *turnedLumSource) Invert() gozxing.LuminanceSource { return gozxing.LuminanceSourceInvert(s) }

func (s *turnedLumSource) String() string { return gozxing.LuminanceSourceString(s) }

// barcodeSet collects codes without duplicates (one symbology and value
// once, where first found), in the order found. scale maps the pixels of
// the image read to those of the viewing image (0 means 1).
type barcodeSet struct {
	list  []app.Barcode
	scale float64
}

func (s *barcodeSet) add(r *gozxing.Result) {
	if r == nil || r.GetText() == "" {
		return
	}
	b := app.Barcode{Format: r.GetBarcodeFormat().String(), Value: r.GetText()}
	if slices.ContainsFunc(s.list, b.Same) {
		return
	}
	b.X, b.Y, b.W, b.H = box(r.GetResultPoints(), s.scale)
	s.list = append(s.list, b)
}

// box bounds a code's result points (a QR code's finder patterns, the ends
// of a 1-D code's row), scaled by scale and rounded outwards.
func box(pts []gozxing.ResultPoint, scale float64) (x, y, w, h int) {
	if len(pts) == 0 {
		return 0, 0, 0, 0
	}
	if scale == 0 {
		scale = 1
	}
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		if p == nil {
			continue
		}
		x0, x1 = min(x0, p.GetX()), max(x1, p.GetX())
		y0, y1 = min(y0, p.GetY()), max(y1, p.GetY())
	}
	if math.IsInf(x0, 0) {
		return 0, 0, 0, 0
	}
	x, y = int(math.Floor(x0*scale)), int(math.Floor(y0*scale))
	return max(0, x), max(0, y), int(math.Ceil(x1*scale)) - x + 1, int(math.Ceil(y1*scale)) - y + 1
}

// turnCodes turns the boxes of codes found on a w×h image clockwise by deg
// (0, 90, 180 or 270), as the page was turned upright.
func turnCodes(codes []app.Barcode, deg, w, h int) {
	for i, c := range codes {
		if c.W == 0 && c.H == 0 {
			continue
		}
		codes[i].X, codes[i].Y, codes[i].W, codes[i].H = turnBox(c.X, c.Y, c.W, c.H, deg, w, h)
	}
}

// turnBox turns the box at x, y of bw × bh on a w×h image clockwise by deg
// (0, 90, 180 or 270), with the image.
func turnBox(x, y, bw, bh, deg, w, h int) (int, int, int, int) {
	switch deg {
	case 90:
		return h - y - bh, x, bh, bw
	case 180:
		return w - x - bw, h - y - bh, bw, bh
	case 270:
		return y, w - x - bw, bh, bw
	}
	return x, y, bw, bh
}

var tryHarder = map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}

// decodeAll runs every reader over bmp and adds what they find to set.
// gozxing reports "not found" and decoding failures as errors; they all
// mean "nothing here", so they are dropped.
func decodeAll(bmp *gozxing.BinaryBitmap, set *barcodeSet) {
	if rs, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, tryHarder); err == nil {
		for _, r := range rs {
			set.add(r)
		}
	}
	if r, err := datamatrix.NewDataMatrixReader().Decode(bmp, tryHarder); err == nil {
		set.add(r)
	}
	if r, err := oned.NewCode128Reader().Decode(bmp, tryHarder); err == nil {
		set.add(r)
	}
	if r, err := oned.NewCode39Reader().Decode(bmp, tryHarder); err == nil {
		set.add(r)
	}
}

// findBarcodes looks for codes on the viewing image with gozxing's local
// (hybrid) binarizer.
func findBarcodes(g *grayImage) []app.Barcode {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(newLumSource(g)))
	if err != nil {
		return nil
	}
	var set barcodeSet
	decodeAll(bmp, &set)
	return set.list
}

// findBarcodesBinarized is the second try, for small or faint codes: the
// full-resolution render thresholded at its Otsu level, so that thin bars
// blurred together at the viewing resolution come apart.
// The boxes are scaled by scale, from g's pixels to the viewing image's.
func findBarcodesBinarized(g *grayImage, scale float64) []app.Barcode {
	bin := binarize(g, otsu(g))
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewGlobalHistgramBinarizer(newLumSource(bin)))
	if err != nil {
		return nil
	}
	set := barcodeSet{scale: scale}
	decodeAll(bmp, &set)
	if hasQR(set.list) {
		return set.list
	}
	// Scanner speckle breaks gozxing's QR finder; a 3×3 majority filter
	// removes specks and keeps the large modules of a cover sheet's code
	// (thin 1-D bars could suffer, so only the QR reader runs on it).
	clean, err := gozxing.NewBinaryBitmap(gozxing.NewGlobalHistgramBinarizer(newLumSource(despeckle(bin))))
	if err != nil {
		return set.list
	}
	if rs, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(clean, tryHarder); err == nil {
		for _, r := range rs {
			set.add(r)
		}
	}
	return set.list
}

// hasQR reports whether codes hold a QR code.
func hasQR(codes []app.Barcode) bool {
	for _, c := range codes {
		if c.Format == "QR_CODE" {
			return true
		}
	}
	return false
}

// mergeBarcodes adds to a the codes of b it lacks, in order.
func mergeBarcodes(a, b []app.Barcode) []app.Barcode {
	for _, c := range b {
		if !slices.ContainsFunc(a, c.Same) {
			a = append(a, c)
		}
	}
	return a
}

// despeckle is a 3×3 majority filter over a black-and-white image: a pixel
// becomes black when at least 5 of the 9 pixels around it (itself
// included) are. It keeps three rows of horizontal counts, so it is linear
// in the pixel count and touches each row of the image once.
func despeckle(bin *grayImage) *grayImage {
	w, h := bin.w, bin.h
	out := newGray(w, h)
	if w == 0 || h == 0 {
		return out
	}
	// counts fills c[x] with the black pixels among (x-1, x, x+1) of row y.
	counts := func(y int, c []uint8) {
		line := bin.pix[y*w : (y+1)*w]
		var left, mid uint8 // pixel x-1 and x black
		if line[0] == 0 {
			mid = 1
		}
		for x := range w - 1 {
			right := uint8(0)
			if line[x+1] == 0 {
				right = 1
			}
			c[x] = left + mid + right
			left, mid = mid, right
		}
		c[w-1] = left + mid
	}
	above, row, below := make([]uint8, w), make([]uint8, w), make([]uint8, w)
	counts(0, row)
	for y := range h {
		if y+1 < h {
			counts(y+1, below)
		} else {
			clear(below)
		}
		dst := out.pix[y*w : (y+1)*w]
		for x := range dst {
			if above[x]+row[x]+below[x] < 5 {
				dst[x] = 255
			}
		}
		above, row, below = row, below, above
	}
	return out
}

// otsu returns the gray level that best separates g's pixels into ink and
// paper (Otsu's method: the level maximising the between-class variance).
func otsu(g *grayImage) byte {
	var hist [256]int
	for _, p := range g.pix {
		hist[p]++
	}
	total := len(g.pix)
	var sumAll float64
	for i, n := range hist {
		sumAll += float64(i * n)
	}
	var sumB float64
	wB := 0
	best, level := -1.0, 128
	for t := 0; t < 256; t++ {
		wB += hist[t]
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += float64(t * hist[t])
		mB := sumB / float64(wB)
		mF := (sumAll - sumB) / float64(wF)
		v := float64(wB) * float64(wF) * (mB - mF) * (mB - mF)
		if v > best {
			best, level = v, t
		}
	}
	return byte(level)
}

// binarize maps pixels at or below level to black and the rest to white.
func binarize(g *grayImage, level byte) *grayImage {
	out := newGray(g.w, g.h)
	for i, p := range g.pix {
		if p > level {
			out.pix[i] = 255
		}
	}
	return out
}
