package printout

import (
	"bytes"
	"fmt"
	"image/color"
	"image/jpeg"
	"io"
	"slices"
	"strings"

	"folio/app"

	"github.com/go-pdf/fpdf"
)

// Page is one scanned page of a searchable PDF (app declares it, as the
// page of its PDF export).
type Page = app.PDFPage

// Limits on what SearchablePDF accepts.
const (
	minDPI, maxDPI = 10, 2400
	maxPagePt      = 14400 // the largest page size PDF allows, in points
)

// Geometry of the invisible text layer, as fractions of a word box's
// height: Go Regular's ascender and descender span about 1.2 em, and a
// word box runs from the top of its tallest letter to the bottom of its
// lowest.
const (
	wordFontScale = 0.95 // font size from box height
	wordBaseline  = 0.78 // baseline from the top of the box
	textLineMaxPt = 12.0 // line height of a page's plain Text
	textMarginPt  = 36.0 // left and top margin of a page's plain Text
)

// SearchablePDF writes a PDF with one page per scanned page: the JPEG
// embedded unchanged and filling the page, under an invisible text layer
// (the words at their boxes, and the lines of the page text they do not
// hold as lines down the page) so that the PDF can be searched and its
// text copied. The title goes into
// the PDF's metadata. A page whose JPEG is not a JPEG, or whose size or DPI
// is out of range, is an error wrapping [app.ErrInvalid] that names the
// page (1-based); so is an empty pages.
func SearchablePDF(w io.Writer, title string, pages []Page) error {
	if len(pages) == 0 {
		return app.Invalidf("a PDF needs at least one page")
	}
	sizes := make([]fpdf.SizeType, len(pages))
	pages = slices.Clone(pages)
	for i := range pages {
		if err := turnPage(&pages[i]); err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
		sz, err := checkPage(&pages[i])
		if err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
		sizes[i] = sz
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "pt", Size: sizes[0]})
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetTitle(clean(title), true)
	pdf.SetProducer("Folio", true)
	pdf.SetCreator("Folio", true)
	addFonts(pdf, false, false)
	for i, p := range pages {
		if err := searchablePage(pdf, i, p, sizes[i]); err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
	}
	return output(pdf, w, "searchable")
}

// checkPage checks p's JPEG and sizes, fills in a zero width or height from
// the JPEG, and returns the page size in points.
func checkPage(p *Page) (fpdf.SizeType, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.JPEG))
	if err != nil {
		return fpdf.SizeType{}, app.Invalidf("the page image is not a readable JPEG: %v", err)
	}
	switch cfg.ColorModel {
	case color.GrayModel, color.YCbCrModel, color.CMYKModel:
	default:
		return fpdf.SizeType{}, app.Invalidf("the page image has an unsupported colour model")
	}
	if p.WidthPx == 0 && p.HeightPx == 0 {
		p.WidthPx, p.HeightPx = cfg.Width, cfg.Height
	}
	if p.WidthPx <= 0 || p.HeightPx <= 0 {
		return fpdf.SizeType{}, app.Invalidf("page size %dx%d pixels", p.WidthPx, p.HeightPx)
	}
	if p.DPI < minDPI || p.DPI > maxDPI {
		return fpdf.SizeType{}, app.Invalidf("%d dpi: the image resolution must be %d to %d dpi", p.DPI, minDPI, maxDPI)
	}
	sz := fpdf.SizeType{Wd: float64(p.WidthPx) * 72 / float64(p.DPI), Ht: float64(p.HeightPx) * 72 / float64(p.DPI)}
	if sz.Wd > maxPagePt || sz.Ht > maxPagePt {
		return fpdf.SizeType{}, app.Invalidf("page of %dx%d pixels at %d dpi is larger than PDF allows", p.WidthPx, p.HeightPx, p.DPI)
	}
	return sz, nil
}

func searchablePage(pdf *fpdf.Fpdf, i int, p Page, size fpdf.SizeType) error {
	pdf.AddPageFormat("P", size)
	name := fmt.Sprintf("page%d", i)
	opts := fpdf.ImageOptions{ImageType: "JPG"}
	pdf.RegisterImageOptionsReader(name, opts, bytes.NewReader(p.JPEG))
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("embed the page image: %w", err)
	}
	pdf.ImageOptions(name, 0, 0, size.Wd, size.Ht, false, opts, 0, "")

	pdf.SetTextRenderingMode(3) // neither fill nor stroke: invisible
	scale := 72 / float64(p.DPI)
	for _, wd := range p.Words {
		invisibleWord(pdf, wd, scale)
	}
	if text := beyondWords(p.Text, p.Words); text != "" {
		invisibleLines(pdf, text, size)
	}
	return pdf.Error()
}

// beyondWords returns the lines of text that words do not hold, in order:
// all of text when there are no words. A line is held when each of its
// words is one of words not taken by an earlier line, so an OCR'd page's
// own lines are not written twice, and a note repeating words read
// elsewhere on the page is written whole.
func beyondWords(text string, words []app.Word) string {
	text = strings.TrimSpace(text)
	if len(words) == 0 {
		return text
	}
	have := map[string]int{}
	for _, w := range words {
		have[strings.TrimSpace(w.Text)]++
	}
	var rest []string
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		need := map[string]int{}
		held := true
		for _, f := range fields {
			if need[f]++; need[f] > have[f] {
				held = false
				break
			}
		}
		if !held {
			rest = append(rest, strings.TrimSpace(line))
			continue
		}
		for f, n := range need {
			have[f] -= n
		}
	}
	return strings.TrimSpace(strings.Join(rest, "\n"))
}

// invisibleWord writes one word over its box, scaled to the box's width,
// followed by a space so that copied text keeps its word breaks.
func invisibleWord(pdf *fpdf.Fpdf, wd app.Word, scale float64) {
	text := strings.TrimSpace(clean(wd.Text))
	if text == "" || wd.W <= 0 || wd.H <= 0 {
		return
	}
	x, y := float64(wd.X)*scale, float64(wd.Y)*scale
	bw, bh := float64(wd.W)*scale, float64(wd.H)*scale
	pdf.SetFont(fontSans, "", max(bh*wordFontScale, 1))
	horizontalScale(pdf, bw, text, false)
	pdf.Text(x, y+bh*wordBaseline, text+" ")
}

// invisibleLines writes text as lines down the page.
func invisibleLines(pdf *fpdf.Fpdf, text string, size fpdf.SizeType) {
	lines := strings.Split(text, "\n")
	lineH := min(textLineMaxPt, (size.Ht-textMarginPt)/float64(len(lines)+1))
	margin := min(textMarginPt, size.Wd/10)
	pdf.SetFont(fontSans, "", max(lineH*0.8, 0.5))
	for n, line := range lines {
		line = strings.TrimSpace(clean(line))
		if line == "" {
			continue
		}
		horizontalScale(pdf, size.Wd-2*margin, line, true)
		pdf.Text(margin, margin+float64(n+1)*lineH, line)
	}
}

// horizontalScale sets the text's horizontal scaling (Tz) so that text in
// the current font spans width; with shrinkOnly, so that it spans at most
// width.
func horizontalScale(pdf *fpdf.Fpdf, width float64, text string, shrinkOnly bool) {
	tz := 100.0
	if sw := pdf.GetStringWidth(text); sw > 0 {
		tz = 100 * width / sw
	}
	if shrinkOnly {
		tz = min(tz, 100)
	}
	pdf.RawWriteStr(fmt.Sprintf("%.2f Tz", tz))
}
