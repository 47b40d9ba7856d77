package scan

import (
	"fmt"
	"image"
	"strconv"
	"strings"
	"unicode"

	"github.com/otiai10/gosseract/v2"

	"folio/app"
)

// ocrEngine OCRs upright gray pages with one gosseract client, created once
// (loading the language data takes about a second).
//
// The page is handed over as a binary PGM: Leptonica reads it with a copy,
// where PNG would cost an encode and a decode of the whole page. Text,
// confidence and word boxes all come from one recognition
// (GetBoundingBoxesVerbose): calling Text and then GetBoundingBoxes would
// recognise the page twice.
type ocrEngine struct {
	c   *gosseract.Client
	buf []byte // PGM encoding, reused
}

func newOCREngine(langs []string) (*ocrEngine, error) {
	c := gosseract.NewClient()
	o := &ocrEngine{c: c}
	if err := c.SetLanguage(langs...); err != nil {
		o.close()
		return nil, fmt.Errorf("tesseract: %w", err)
	}
	c.DisableOutput()
	// Automatic page layout, as a variable: gosseract applies its
	// variables after every initialisation of the engine, where a mode set
	// with SetPageSegMode before the first one is lost (Tesseract's Init
	// makes a new engine, whose own default is one uniform block).
	c.SetVariable(pageSegModeVar, strconv.Itoa(int(gosseract.PSM_AUTO)))
	// Load the models now, so a missing language fails here and not on
	// the first page.
	if _, err := o.recognize(newBlankGray(32, 32), 300); err != nil {
		o.close()
		return nil, fmt.Errorf("tesseract languages %s (are their traineddata files installed?): %w", strings.Join(langs, "+"), err)
	}
	// The engine is initialised now; set the mode on it directly as well.
	c.SetPageSegMode(gosseract.PSM_AUTO)
	return o, nil
}

// pageSegModeVar is Tesseract's parameter behind its page segmentation
// mode. Folio asks for automatic layout analysis (PSM_AUTO, the mode of
// `tesseract FILE stdout`): blocks and columns are found, and their lines
// come out in reading order, column by column. In single-block mode a
// multi-column page is read straight across the columns.
const pageSegModeVar gosseract.SettableVariable = "tessedit_pageseg_mode"

func (o *ocrEngine) close() {
	o.c.Close()
}

func newBlankGray(w, h int) *grayImage {
	g := newGray(w, h)
	for i := range g.pix {
		g.pix[i] = 255
	}
	return g
}

// encodePGM writes g as a binary PGM (P5) into buf, reusing its storage.
func encodePGM(buf []byte, g *grayImage) []byte {
	buf = buf[:0]
	buf = fmt.Appendf(buf, "P5\n%d %d\n255\n", g.w, g.h)
	return append(buf, g.pix...)
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
}

// recognize OCRs g, an upright page at dpi.
func (o *ocrEngine) recognize(g *grayImage, dpi float64) (ocrResult, error) {
	o.buf = encodePGM(o.buf, g)
	if err := o.c.SetImageFromBytes(o.buf); err != nil {
		return ocrResult{}, err
	}
	// PGM carries no resolution; Tesseract's size heuristics want it.
	o.c.SetVariable("user_defined_dpi", strconv.Itoa(max(70, int(dpi+0.5))))
	boxes, err := o.c.GetBoundingBoxesVerbose()
	if err != nil {
		return ocrResult{}, err
	}
	var res ocrResult
	var sb strings.Builder
	var confSum float64
	prev := gosseract.BoundingBox{}
	for _, b := range boxes {
		w := strings.TrimSpace(b.Word)
		if w == "" {
			continue
		}
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
