package pageread

import "math"

// Blank detection. A page is blank when, inside a margin band, at most a
// couple of small cells of it hold real ink:
//
//   - the band is blankMargin of the width and height on every side, where
//     scanners leave shadows, punch holes and edge lines;
//   - the rest is cut into cells about 1/10 inch square; a cell is inked
//     when at least 1/16 of its pixels (and at least 6) are darker than
//     darkLevel. A speck of dust or scanner noise (up to about 3 × 3 pixels
//     at 150 dpi) does not ink a cell; a letter of 10 pt type does;
//   - the page is blank when fewer than blankCells of the cells, and fewer
//     than 3, are inked.
//
// Measured at 150 dpi on a letter page (7,500 cells): one line of 12 pt
// text inks 28 cells, the single word "OK" 4, an empty page 0. The test is
// deliberately stricter than a share of dark pixels (one short line of text
// is under 0.1 % of a page's pixels): a page dropped as blank is content
// lost, a blank page kept is only a page to delete.
//
// A page with no ink that holds faint marks — cells inked at faintLevel,
// as pale print, pencil, a faded copy or the print of the sheet's back
// showing through are — is OCR'd all the same. If it reads as real words
// (hasRealWords) it is content, not blank: pale print is kept in the
// document. If not (bleed-through, smudges), it stays blank, left out of
// the document with the little text read on it, ready for a person who
// puts it back. A white page is not OCR'd, which is what keeps the blank
// backs of a duplex scan cheap.
const (
	blankMargin = 0.05
	darkLevel   = 140
	faintLevel  = 200
	blankCells  = 0.0004
)

// Real words. On mirrored print showing through from the back of a sheet
// Tesseract reads words too, some of them sure (isSureWord: "deed",
// "boon"), but few among many broken ones; on pale print most words are
// sure. Measured on 9 real pages of the corpus (typed, typewritten,
// printed, one line to a full page) made pale (black as gray 153, 179 or
// 199, ImageMagick +level) and made bleed-through (mirrored, blurred 2 px,
// as pale): on pale print 60–85 % of the words read are sure (3 of 5 on a
// one-line page; mean confidence 86–96), on bleed-through 0–17 % (mean
// confidence 38–58). A page reads as real words with at least realWordsMin
// sure words that make up at least realWordsShare of the words read.
const (
	realWordsMin   = 3
	realWordsShare = 0.4
)

// hasRealWords reports whether OCR result r reads as real words.
func hasRealWords(r ocrResult) bool {
	return r.sure >= realWordsMin && float64(r.sure) >= realWordsShare*float64(len(r.words))
}

// isBlank reports whether g, at dpi pixels per inch, is a blank page.
func isBlank(g *grayImage, dpi float64) bool { return !inked(g, dpi, darkLevel) }

// hasFaintMarks reports whether g, at dpi pixels per inch, holds marks
// paler than isBlank counts, enough to be worth reading.
func hasFaintMarks(g *grayImage, dpi float64) bool { return inked(g, dpi, faintLevel) }

// inked reports whether more than a couple of g's cells, inside the
// margin band, are inked with pixels darker than level.
func inked(g *grayImage, dpi float64, level byte) bool {
	nx, ny, ok := inkCells(g, dpi)
	if !ok {
		return true
	}
	limit := max(3, int(math.Ceil(blankCells*float64(nx*ny))))
	return countInked(g, dpi, level, limit) >= limit
}

// inkCells reports how many cells across and down inked and countInked
// look at; ok is false when the page is too small to have a cell.
func inkCells(g *grayImage, dpi float64) (nx, ny int, ok bool) {
	cell := max(4, int(dpi/10+0.5))
	nx = (g.w - 2*int(float64(g.w)*blankMargin)) / cell
	ny = (g.h - 2*int(float64(g.h)*blankMargin)) / cell
	return nx, ny, nx > 0 && ny > 0
}

// countInked counts g's inked cells inside the margin band (pixels darker
// than level), up to stop.
func countInked(g *grayImage, dpi float64, level byte, stop int) int {
	nx, ny, ok := inkCells(g, dpi)
	if !ok {
		return 0
	}
	cell := max(4, int(dpi/10+0.5))
	x0, y0 := int(float64(g.w)*blankMargin), int(float64(g.h)*blankMargin)
	need := max(6, cell*cell/16)
	counts := make([]int, nx)
	cells := 0
	for cy := 0; cy < ny; cy++ {
		clear(counts)
		for y := y0 + cy*cell; y < y0+(cy+1)*cell; y++ {
			row := g.pix[y*g.w+x0 : y*g.w+x0+nx*cell]
			for i, p := range row {
				if p < level {
					counts[i/cell]++
				}
			}
		}
		for _, n := range counts {
			if n >= need {
				cells++
			}
		}
		if cells >= stop {
			return cells
		}
	}
	return cells
}
