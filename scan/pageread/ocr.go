package pageread

import (
	"encoding/binary"
	"fmt"
	"image"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/otiai10/gosseract/v2"

	"folio/app"
)

// ocrEngine OCRs gray pages with one gosseract client, created once
// (loading the language data takes about a second), in automatic layout
// mode: without orientation (`tesseract --psm 3`) a page found upright, or
// turned upright, by osd's quick look (ocr_osd.go); with orientation
// (`--psm 1`) a page the look was unsure of. Tesseract then finds the
// orientation itself, on the blobs of the OCR's own layout analysis, and
// reads a page lying on its side or upside down as it would read it
// upright; the turn is told by the direction the words run (uprightTurn).
//
// The page is handed over as an uncompressed BMP (encodeBMP): Leptonica
// copies its rows, where PNG would cost an encode and a decode of the whole
// page. Text,
// confidence and word boxes all come from one recognition
// (GetBoundingBoxesVerbose): calling Text and then GetBoundingBoxes would
// recognise the page twice.
type ocrEngine struct {
	c   *gosseract.Client
	osd *osdEngine
	buf []byte // BMP encoding, reused
}

func newOCREngine(langs []string) (*ocrEngine, error) {
	osd, err := newOSDEngine()
	if err != nil {
		return nil, err
	}
	c := gosseract.NewClient()
	o := &ocrEngine{c: c, osd: osd}
	if err := c.SetLanguage(langs...); err != nil {
		o.close()
		return nil, fmt.Errorf("tesseract: %w", err)
	}
	c.DisableOutput()
	// Automatic page layout, as a variable: gosseract applies its
	// variables after every initialisation of the engine, where a mode
	// set with SetPageSegMode before the first one is lost (Tesseract's
	// Init makes a new engine, whose own default is one uniform block).
	c.SetVariable(pageSegModeVar, strconv.Itoa(int(gosseract.PSM_AUTO)))
	c.SetVariable(orientationMarginVar, strconv.FormatFloat(minOSDConfidence, 'f', -1, 64))
	// Load the models now, so a missing language fails here and not on
	// the first page.
	if _, err := o.recognize(newBlankGray(32, 32), 300, true); err != nil {
		o.close()
		return nil, fmt.Errorf("tesseract languages %s (are their traineddata files installed?): %w", strings.Join(langs, "+"), err)
	}
	return o, nil
}

// pageSegModeVar is Tesseract's parameter behind its page segmentation
// mode. Folio asks for automatic layout analysis (PSM_AUTO, or
// PSM_AUTO_OSD with orientation): blocks and columns are found, as
// `tesseract FILE stdout` finds them, and their lines come out in reading
// order, column by column. In single-block mode a multi-column page is
// read straight across the columns.
const pageSegModeVar gosseract.SettableVariable = "tessedit_pageseg_mode"

// orientationMarginVar is the orientation confidence below which Tesseract
// reads a page as it lies in PSM_AUTO_OSD (its default, 7, left turned
// pages of the corpus unturned).
const orientationMarginVar gosseract.SettableVariable = "min_orientation_margin"

func (o *ocrEngine) close() {
	o.c.Close()
	o.osd.close()
}

func newBlankGray(w, h int) *grayImage {
	g := newGray(w, h)
	for i := range g.pix {
		g.pix[i] = 255
	}
	return g
}

// encodeBMP writes g as an uncompressed 8-bit BMP without a colour table
// into buf, reusing its storage: Leptonica reads it as a gray page with a
// copy of each row. (It read a PGM a byte at a time, a library call each,
// which cost about 50 ms of a page's CPU.) Rows go bottom up, as BMP
// stores them, padded to 4 bytes.
func encodeBMP(buf []byte, g *grayImage) []byte {
	const headers = 14 + 40
	stride := (g.w + 3) &^ 3
	size := headers + stride*g.h
	buf = slices.Grow(buf[:0], size)[:size]
	le := binary.LittleEndian
	copy(buf, "BM")
	le.PutUint32(buf[2:], uint32(size))
	le.PutUint32(buf[6:], 0)        // reserved
	le.PutUint32(buf[10:], headers) // where the pixels start
	le.PutUint32(buf[14:], 40)      // BITMAPINFOHEADER
	le.PutUint32(buf[18:], uint32(g.w))
	le.PutUint32(buf[22:], uint32(g.h)) // positive: bottom up
	le.PutUint16(buf[26:], 1)           // planes
	le.PutUint16(buf[28:], 8)           // bits per pixel
	le.PutUint32(buf[30:], 0)           // uncompressed
	le.PutUint32(buf[34:], uint32(stride*g.h))
	clear(buf[38:headers]) // resolution unknown, no colour table
	for y := range g.h {
		row := buf[headers+(g.h-1-y)*stride : headers+(g.h-y)*stride]
		clear(row[copy(row, g.pix[y*g.w:(y+1)*g.w]):])
	}
	return buf
}

// ocrResult is one page's recognition, in the coordinates of the image
// recognised.
type ocrResult struct {
	text       string
	confidence float64 // mean word confidence, 0..100
	words      []app.Word
	// sure counts the words read with confidence that look like words
	// (isSureWord): what tells a page in pale print from bleed-through.
	sure int
	// turn is the clockwise turn, 0, 90, 180 or 270, that the words read
	// tell makes the page upright (uprightTurn).
	turn int
}

// recognize OCRs g, a page at dpi: upright when upright is set, else
// lying any way up (Tesseract finds its orientation).
func (o *ocrEngine) recognize(g *grayImage, dpi float64, upright bool) (ocrResult, error) {
	o.buf = encodeBMP(o.buf, g)
	if err := o.c.SetImageFromBytes(o.buf); err != nil {
		return ocrResult{}, err
	}
	mode := gosseract.PSM_AUTO_OSD
	if upright {
		mode = gosseract.PSM_AUTO
	}
	o.c.SetVariable(pageSegModeVar, strconv.Itoa(int(mode)))
	// The BMP carries no resolution; Tesseract's size heuristics want it.
	o.c.SetVariable("user_defined_dpi", strconv.Itoa(max(70, int(dpi+0.5))))
	boxes, err := o.c.GetBoundingBoxesVerbose()
	if err != nil {
		return ocrResult{}, err
	}
	var res ocrResult
	var sb strings.Builder
	var confSum float64
	prev := gosseract.BoundingBox{}
	read := boxes[:0]
	for _, b := range boxes {
		w := strings.TrimSpace(b.Word)
		if w == "" {
			continue
		}
		read = append(read, b)
		if sb.Len() > 0 {
			switch {
			case b.BlockNum != prev.BlockNum || b.ParNum != prev.ParNum:
				sb.WriteString("\n\n")
			case b.LineNum != prev.LineNum:
				sb.WriteString("\n")
			default:
				sb.WriteString(" ")
			}
		}
		sb.WriteString(w)
		prev = b
		confSum += b.Confidence
		if isSureWord(w, b.Confidence) {
			res.sure++
		}
		r := b.Box.Canon()
		res.words = append(res.words, app.Word{Text: w, X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()})
	}
	res.text = sb.String()
	if n := len(res.words); n > 0 {
		res.confidence = confSum / float64(n)
	}
	res.turn = uprightTurn(read)
	return res, nil
}

// Sure words. Tesseract reads something on almost any marks — the
// mirrored print showing through from the back of a sheet, a smudge — but
// what it reads there is short, broken and unsure. A sure word has at
// least sureWordLen letters or digits, no other characters inside but a
// hyphen or an apostrophe (punctuation around it is dropped), and a
// confidence of at least sureWordConf.
const (
	sureWordLen  = 3
	sureWordConf = 70
)

// isSureWord reports whether w, read with confidence conf, is a sure word.
func isSureWord(w string, conf float64) bool {
	if conf < sureWordConf {
		return false
	}
	w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	n := 0
	for _, r := range w {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			n++
		case r == '-' || r == '\'' || r == '’':
		default:
			return false
		}
	}
	return n >= sureWordLen
}

// minTurnPairs is how many pairs of neighbouring words on a line it takes
// to tell which way a page lies; with fewer it is taken as upright.
const minTurnPairs = 3

// uprightTurn tells, from words read in reading order with their boxes in
// the image as it lies, the clockwise turn that makes the page upright:
// the words of a line follow one another rightwards on an upright page,
// leftwards on a page upside down, downwards on a page turned a quarter
// clockwise (which a 270° turn sets right) and upwards on one turned a
// quarter anticlockwise.
func uprightTurn(words []gosseract.BoundingBox) int {
	var dx, dy, pairs int
	for i := 1; i < len(words); i++ {
		a, b := words[i-1], words[i]
		if a.BlockNum != b.BlockNum || a.ParNum != b.ParNum || a.LineNum != b.LineNum {
			continue
		}
		// Twice the move between the boxes' centres.
		dx += b.Box.Min.X + b.Box.Max.X - a.Box.Min.X - a.Box.Max.X
		dy += b.Box.Min.Y + b.Box.Max.Y - a.Box.Min.Y - a.Box.Max.Y
		pairs++
	}
	switch {
	case pairs < minTurnPairs || dx >= abs(dy):
		return 0
	case -dx >= abs(dy):
		return 180
	case dy > 0:
		return 270
	}
	return 90
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// turnWords turns word boxes on a w×h image clockwise by deg (0, 90, 180
// or 270), as the image is turned.
func turnWords(words []app.Word, deg, w, h int) {
	for i, wd := range words {
		words[i].X, words[i].Y, words[i].W, words[i].H = turnBox(wd.X, wd.Y, wd.W, wd.H, deg, w, h)
	}
}

// scaleWords maps word boxes from OCR-image pixels into a w × h image by
// the factors sx, sy, clamping them inside it.
func scaleWords(words []app.Word, sx, sy float64, w, h int) []app.Word {
	bounds := image.Rect(0, 0, w, h)
	out := make([]app.Word, 0, len(words))
	for _, wd := range words {
		r := image.Rect(
			int(float64(wd.X)*sx), int(float64(wd.Y)*sy),
			int(float64(wd.X+wd.W)*sx+0.999), int(float64(wd.Y+wd.H)*sy+0.999),
		).Intersect(bounds)
		if r.Empty() {
			continue
		}
		out = append(out, app.Word{Text: wd.Text, X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()})
	}
	return out
}
