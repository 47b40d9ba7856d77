package pageread

import "math"

// minOCRDPI is the lowest resolution a scanned page is read at: a scan
// made at less is read at this, drawn up from its own pixels, so that its
// small print keeps enough pixels for Tesseract. Measured on the linn page
// made into 75–200 dpi scans: read at their own resolution, 100 dpi lost
// 2.5 points of word recall and 75 dpi 45; read at 150 they kept within
// half a point of 300.
const minOCRDPI = 150

// minOwnRenderDPI is the lowest scan resolution a scanned PDF page is also
// drawn at (for the barcodes, the blank check and the view, as well as the
// OCR), instead of at OCRDPI: a scan of 200 dpi or more keeps a Code 39
// label's narrow bars at least two pixels wide as it is. A coarser scan is
// drawn at OCRDPI, interpolated, as before, and read at its ocrResolution.
// Drawing a 206 dpi scan at its own resolution instead of 300 halves the
// pixels every stage but the OCR goes over.
const minOwnRenderDPI = 200

// fullPage is the share of the page an image must cover to be the page.
const fullPage = 0.9

// ocrResolution is the resolution page i is OCR'd at. A scanned page — a
// PDF page that is one image covering the page, or an image file of
// plausible size — is read at its own resolution, at most renderDPI and
// at least minOCRDPI: reading it at more only draws up its pixels, and
// costs Tesseract time for no more words. Any other page is read at
// renderDPI, and so is a page whose images MuPDF cannot list (its render
// may still draw it).
func (d *Document) ocrResolution(i int, p *muPage, renderDPI float64) float64 {
	if d.format != "pdf" {
		// An image file is rendered at its own pixels already; one of
		// more than OCRDPI is read at that, if its stated resolution is
		// believable.
		if i < len(d.native) && d.native[i].X > 0 && float64(d.native[i].X)/renderDPI <= 17 && renderDPI >= 50 {
			return min(renderDPI, float64(d.e.opt.OCRDPI))
		}
		return renderDPI
	}
	n, im, err := p.images()
	if err != nil || n != 1 {
		return renderDPI
	}
	own, ok := scanDPI(im, p.w, p.h)
	if !ok {
		return renderDPI
	}
	return min(renderDPI, max(own, minOCRDPI))
}

// scanDPI is the resolution of im as drawn on a page of wpt × hpt points,
// if it covers the page. Fax pixels are not square (204 × 98 dpi): the
// finer direction counts.
func scanDPI(im muImage, wpt, hpt float64) (float64, bool) {
	if im.w <= 0 || im.h <= 0 || !(im.wp > 0 && im.hp > 0) || !(wpt > 0 && hpt > 0) {
		return 0, false
	}
	ix := math.Max(0, math.Min(im.x0+im.wp, wpt)-math.Max(im.x0, 0))
	iy := math.Max(0, math.Min(im.y0+im.hp, hpt)-math.Max(im.y0, 0))
	if ix*iy < fullPage*wpt*hpt {
		return 0, false
	}
	w, h := float64(im.w), float64(im.h)
	if im.turned {
		w, h = h, w
	}
	return 72 * math.Max(w/im.wp, h/im.hp), true
}
