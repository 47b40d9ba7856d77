package pageread

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG pages
	_ "image/png"  // DecodeConfig of PNG pages
	"math"
	"strings"
	"time"
	"unicode"

	"folio/app"
	"folio/scan"
)

// Engine analyses pages. Make one per worker process; it is not safe for
// concurrent use, and neither are the Documents it opens.
type Engine struct {
	opt scan.EngineOptions
	ocr *ocrEngine
	// stats accumulates per-stage timings, for benchmarks and tests.
	stats stageTimes
}

// stageTimes sums the time spent in each stage of Page.
type stageTimes struct {
	pages                              int
	text, render, gray, view, blank    time.Duration
	barcode, barcodeRetry, deskew, ocr time.Duration
	orient                             time.Duration
	jpeg, all                          time.Duration
}

// NewEngine starts Tesseract with the options' languages and its
// orientation data.
func NewEngine(opt scan.EngineOptions) (*Engine, error) {
	opt = opt.WithDefaults()
	o, err := newOCREngine(opt.Languages)
	if err != nil {
		return nil, err
	}
	return &Engine{opt: opt, ocr: o}, nil
}

// Close releases Tesseract. Documents must be closed first.
func (e *Engine) Close() error {
	if e.ocr != nil {
		e.ocr.close()
		e.ocr = nil
	}
	return nil
}

// Document is one open file. Close it when done.
type Document struct {
	e      *Engine
	mu     *muDoc
	format string
	pages  int
	// native holds the pixel size of each page's image in a JPEG, PNG or
	// TIFF file (zero where unknown).
	native []image.Point
}

// Format reports the file's format: "pdf", "tiff", "jpeg" or "png".
func (d *Document) Format() string { return d.format }

// Pages reports the number of pages.
func (d *Document) Pages() int { return d.pages }

// Close releases MuPDF's hold on the document.
func (d *Document) Close() error {
	if d.mu != nil {
		d.mu.close()
		d.mu = nil
	}
	return nil
}

// sniff names the format of data from its first bytes, and the offset of
// the PDF header (a PDF may have junk before "%PDF-").
func sniff(data []byte) (format string, offset int) {
	switch {
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "tiff", 0
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg", 0
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png", 0
	}
	head := data[:min(len(data), 1024)]
	if i := bytes.Index(head, []byte("%PDF-")); i >= 0 {
		return "pdf", i
	}
	return "", 0
}

// Open reads a file held in memory. name is used only in messages. data
// must not be modified until the Document is closed.
func (e *Engine) Open(name string, data []byte) (*Document, error) {
	if len(data) == 0 {
		return nil, app.Invalidf("%q: the file is empty", name)
	}
	format, off := sniff(data)
	if format == "" {
		return nil, app.Invalidf("%q is not a PDF, TIFF, JPEG or PNG file", name)
	}
	data = data[off:]
	d := &Document{e: e, format: format}
	if format == "jpeg" || format == "png" {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, app.Invalidf("%q: the file is damaged or incomplete (%v)", name, err)
		}
		d.native = []image.Point{{cfg.Width, cfg.Height}}
		if int64(cfg.Width)*int64(cfg.Height) > e.opt.MaxPixels {
			return nil, app.Invalidf("%q: the image is too large (%d × %d pixels)", name, cfg.Width, cfg.Height)
		}
	}
	mu, err := openMu(data, format)
	if err != nil {
		if errors.Is(err, errMuLocked) {
			return nil, app.Invalidf("%q: the PDF is password-protected; save an unprotected copy and import that", name)
		}
		return nil, app.Invalidf("%q: the file is damaged or incomplete (MuPDF: %s)", name, err)
	}
	d.mu = mu
	if d.pages, err = mu.pageCount(); err != nil {
		d.Close()
		return nil, app.Invalidf("%q: the file is damaged or has no pages (MuPDF: %s)", name, err)
	}
	if format == "tiff" {
		d.native = tiffSizes(data, d.pages)
	}
	switch {
	case d.pages <= 0:
		d.Close()
		return nil, app.Invalidf("%q: the file is damaged or has no pages", name)
	case d.pages > e.opt.MaxPages:
		n := d.pages
		d.Close()
		return nil, app.Invalidf("%q has %d pages; Folio takes at most %d in one file: split it and import the parts", name, n, e.opt.MaxPages)
	}
	return d, nil
}

// minLayerChars is how many letters and digits a page's text layer needs to
// count as the page's text. Fewer (a stray page number, a few glyphs left by
// a scanner's software) and the page is OCR'd instead.
const minLayerChars = 20

// isTextLayer reports whether s, a page's text layer, has real content.
func isTextLayer(s string) bool {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n >= minLayerChars
}

// resolution chooses the render and view resolutions for page i of size
// wpt × hpt points. A PDF page is rendered at OCRDPI; an image (JPEG, PNG,
// a TIFF page) at its own pixels, neither resampled nor upscaled (MuPDF's
// idea of an image's DPI is often a default), with the view scaled as if
// the image were a page of plausible size. Both are lowered to keep the
// render within MaxPixels. viewDPI is the view's resolution as a page.
func (d *Document) resolution(i int, wpt, hpt float64) (renderDPI, viewScale, viewDPI float64, err error) {
	o := d.e.opt
	if !(wpt > 0 && hpt > 0) || math.IsInf(wpt, 0) || math.IsInf(hpt, 0) {
		return 0, 0, 0, app.Invalidf("page %d has no size", i+1)
	}
	pixelsAt := func(dpi float64) float64 { return wpt * dpi / 72 * hpt * dpi / 72 }
	if pixelsAt(float64(o.ViewDPI)) > float64(o.MaxPixels) {
		return 0, 0, 0, app.Invalidf("page %d is too large (%.0f × %.0f pt)", i+1, wpt, hpt)
	}
	renderDPI = float64(o.OCRDPI)
	effDPI := renderDPI // the resolution the render has, as a page
	if i < len(d.native) && d.native[i].X > 0 {
		nw := float64(d.native[i].X)
		renderDPI = nw * 72 / wpt
		effDPI = renderDPI
		// An image wider than 17 inches at its stated resolution has no
		// real resolution; treat it as a letter-width page.
		if nw/effDPI > 17 || effDPI < 50 {
			effDPI = max(nw/8.5, 50)
		}
	}
	if p := pixelsAt(renderDPI); p > float64(o.MaxPixels) {
		f := math.Sqrt(float64(o.MaxPixels) / p)
		renderDPI *= f
		effDPI *= f
	}
	viewScale = min(1, float64(o.ViewDPI)/effDPI)
	return renderDPI, viewScale, effDPI * viewScale, nil
}

// Page analyses page i (0-based): text, orientation, barcodes, blankness and
// images. See the package documentation for what it does in which order.
func (d *Document) Page(i int) (app.PageAnalysis, error) { return d.PageProgress(i, nil) }

// PageProgress is Page calling stage (may be nil) as the page enters each
// of its two stages: app.StageRendering before MuPDF loads and draws it, and
// app.StageOCR once it is drawn, before it is read (text layer or OCR,
// barcodes, blank check, images). stage is called on Page's goroutine; a
// page that fails early may not reach the second stage.
func (d *Document) PageProgress(i int, stage func(app.ImportStage)) (app.PageAnalysis, error) {
	if stage == nil {
		stage = func(app.ImportStage) {}
	}
	pa := app.PageAnalysis{Index: i}
	if d.mu == nil {
		return pa, errors.New("scan: page of a closed document")
	}
	if i < 0 || i >= d.pages {
		return pa, app.Invalidf("page %d of a %d-page file", i+1, d.pages)
	}
	e := d.e
	st := &e.stats
	t0 := time.Now()
	defer func() { st.pages++; st.all += time.Since(t0) }()

	stage(app.StageRendering)
	p, err := d.mu.loadPage(i)
	if err != nil {
		return pa, app.Invalidf("page %d is damaged (MuPDF: %s)", i+1, err)
	}
	defer p.close()
	renderDPI, viewScale, viewDPI, err := d.resolution(i, p.w, p.h)
	if err != nil {
		return pa, err
	}
	ocrDPI := d.ocrResolution(i, p, renderDPI)
	if d.format == "pdf" && ocrDPI < renderDPI && ocrDPI >= minOwnRenderDPI {
		// A scan of less than the render resolution is drawn at its own:
		// drawing it larger only interpolates its pixels, for every stage
		// after to go over (scanres.go).
		renderDPI = ocrDPI
		viewScale = min(1, float64(e.opt.ViewDPI)/renderDPI)
		viewDPI = renderDPI * viewScale
	}

	t := time.Now()
	rgba, err := p.render(renderDPI)
	st.render += time.Since(t)
	if err != nil {
		return pa, app.Invalidf("page %d could not be drawn; the file is damaged (MuPDF: %s)", i+1, err)
	}
	if rgba.Bounds().Empty() {
		return pa, app.Invalidf("page %d has no size", i+1)
	}

	stage(app.StageOCR)
	t = time.Now()
	layer := false
	var pt pdfText
	if d.format == "pdf" {
		pt = readPDFText(p)
		if layer = isTextLayer(pt.contents); layer {
			pa.Text = withNotes(strings.TrimSpace(pt.all), pt.notes)
		}
	}
	st.text += time.Since(t)

	t = time.Now()
	full, colour := grayOf(rgba)
	st.gray += time.Since(t)

	t = time.Now()
	vw, vh := scaledSize(full.w, full.h, viewScale)
	var view image.Image
	var viewGray *grayImage
	if colour {
		v := downscaleRGBA(rgba, vw, vh)
		view = v
		viewGray, _ = grayOf(v)
	} else {
		viewGray = downscaleGray(full, vw, vh)
		view = viewGray.image()
	}
	st.view += time.Since(t)

	t = time.Now()
	pa.Barcodes = findBarcodes(viewGray)
	st.barcode += time.Since(t)
	if !hasQR(pa.Barcodes) {
		// Cover and separator sheets carry QR codes: a page without one
		// is looked at again, harder, before concluding it has none.
		t = time.Now()
		pa.Barcodes = mergeBarcodes(pa.Barcodes, findBarcodesBinarized(full, float64(vw)/float64(full.w)))
		st.barcodeRetry += time.Since(t)
	}

	read := !layer // by OCR
	if layer {
		pa.TextSource, pa.Confidence = "layer", 100
	} else {
		// A page with any text, annotation or ink is never blank, however
		// little of it there is. A blank page is read only when it holds
		// faint marks: real words there make it content; other text is
		// there if a person puts the page back.
		t = time.Now()
		pa.Blank = len(pa.Barcodes) == 0 && !pt.hasText() && !pt.marked && isBlank(viewGray, viewDPI)
		read = !pa.Blank || hasFaintMarks(viewGray, viewDPI)
		st.blank += time.Since(t)
	}

	if read {
		words, err := e.ocrPage(&pa, full, &view, viewGray, renderDPI, viewDPI, ocrDPI)
		if err != nil {
			return pa, fmt.Errorf("page %d: OCR: %w", i+1, err)
		}
		if pa.Blank && words {
			// Real words in faint ink: pale print, a faded copy —
			// content, not a blank page.
			pa.Blank = false
		}
		// What the PDF itself says is kept too: text its annotations
		// show or hold, form fields' values, a short text layer.
		if text := withNotes(pa.Text, pt.extra()); text != pa.Text {
			if pa.Text == "" {
				pa.TextSource, pa.Confidence = "layer", 100
			}
			pa.Text = text
		}
	}

	turnCodes(pa.Barcodes, pa.Rotation, vw, vh) // boxed on the view as read, shown upright

	t = time.Now()
	vb := view.Bounds()
	pa.Width, pa.Height = vb.Dx(), vb.Dy()
	if pa.View, err = encodeJPEG(view, 80); err != nil {
		return pa, fmt.Errorf("page %d: view image: %w", i+1, err)
	}
	tw := min(e.opt.ThumbWidth, pa.Width)
	th := max(1, int(math.Round(float64(pa.Height)*float64(tw)/float64(pa.Width))))
	var thumb image.Image
	if colour {
		thumb = downscaleRGBA(toRGBA(view), tw, th)
	} else {
		g := view.(*image.Gray)
		thumb = downscaleGray(&grayImage{w: g.Rect.Dx(), h: g.Rect.Dy(), pix: g.Pix}, tw, th).image()
	}
	if pa.Thumbnail, err = encodeJPEG(thumb, 75); err != nil {
		return pa, fmt.Errorf("page %d: thumbnail: %w", i+1, err)
	}
	st.jpeg += time.Since(t)
	return pa, nil
}

// ocrPage OCRs the page into pa and turns the view upright. osd takes a
// quick look at viewGray, the viewing image at viewDPI (ocr_osd.go), when
// it has at least minLookCells inked cells: a page it is sure of is turned
// upright before it is read; one it is unsure of, or with less ink, is
// read as it lies, Tesseract finding its orientation. Either way, should
// the words as read run down, up or leftwards, the turn they tell is added
// (uprightTurn). words reports whether it read real words (hasRealWords),
// not only marks.
//
// full, rendered at renderDPI, is read at ocrDPI (scanres.go): box-filtered
// down when that is lower, and the word boxes are in the pixels read.
func (e *Engine) ocrPage(pa *app.PageAnalysis, full *grayImage, view *image.Image, viewGray *grayImage, renderDPI, viewDPI, ocrDPI float64) (words bool, err error) {
	t := time.Now()
	rot, sure := 0, false
	if countInked(viewGray, viewDPI, darkLevel, minLookCells) >= minLookCells {
		rot, sure = e.ocr.osd.upright(viewGray, viewDPI)
	}
	e.stats.orient += time.Since(t)
	if ocrDPI < renderDPI {
		t := time.Now()
		w, h := scaledSize(full.w, full.h, ocrDPI/renderDPI)
		full = downscaleGray(full, w, h)
		e.stats.view += time.Since(t)
	} else {
		ocrDPI = renderDPI
	}
	if rot != 0 {
		t := time.Now()
		full = full.rotate(rot)
		e.stats.orient += time.Since(t)
	}
	res, err := e.read(full, ocrDPI, sure)
	if err != nil {
		return false, err
	}
	// Word boxes are in pixels of full as it was read: turned with the
	// page by what the words tell, they are in the upright full image, of
	// which the upright view is a scaled copy.
	turnWords(res.words, res.turn, full.w, full.h)
	fw, fh := full.w, full.h
	if res.turn == 90 || res.turn == 270 {
		fw, fh = fh, fw
	}
	rot = (rot + res.turn) % 360
	if rot != 0 {
		*view = rotateImage(*view, rot)
	}
	pa.Rotation = rot
	pa.Text, pa.Confidence = res.text, res.confidence
	if pa.Text != "" {
		pa.TextSource = "ocr"
	}
	vb := (*view).Bounds()
	pa.Words = scaleWords(res.words, float64(vb.Dx())/float64(fw), float64(vb.Dy())/float64(fh), vb.Dx(), vb.Dy())
	return hasRealWords(res), nil
}

// read OCRs g, a page at dpi, upright if upright is set (else lying any way
// up), straightened first when it is skewed (deskew.go); the words' boxes
// are on g as it is.
func (e *Engine) read(g *grayImage, dpi float64, upright bool) (ocrResult, error) {
	st := &e.stats
	t := time.Now()
	straight, sk := deskew(g)
	st.deskew += time.Since(t)

	t = time.Now()
	res, err := e.ocr.recognize(straight, dpi, upright)
	st.ocr += time.Since(t)
	res.words = sk.unturn(res.words)
	return res, err
}
