package scan

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
// A page left out as blank may still be put back by a person, and must
// then be searchable like any other. A blank page that holds faint marks
// — cells inked at faintLevel, as pale print, pencil or a faded copy are —
// is OCR'd all the same, its text kept with it (it stays left out); a white
// page is not, which is what keeps the blank backs of a duplex scan cheap.
const (
	blankMargin = 0.05
	darkLevel   = 140
	faintLevel  = 200
	blankCells  = 0.0004
)

// isBlank reports whether g, at dpi pixels per inch, is a blank page.
func isBlank(g *grayImage, dpi float64) bool { return !inked(g, dpi, darkLevel) }

// hasFaintMarks reports whether g, at dpi pixels per inch, holds marks
// paler than isBlank counts, enough to be worth reading.
func hasFaintMarks(g *grayImage, dpi float64) bool { return inked(g, dpi, faintLevel) }

// inked reports whether more than a couple of g's cells, inside the
// margin band, are inked with pixels darker than level.
func inked(g *grayImage, dpi float64, level byte) bool {
	cell := max(4, int(dpi/10+0.5))
	x0, x1 := int(float64(g.w)*blankMargin), g.w-int(float64(g.w)*blankMargin)
	y0, y1 := int(float64(g.h)*blankMargin), g.h-int(float64(g.h)*blankMargin)
	nx, ny := (x1-x0)/cell, (y1-y0)/cell
	if nx <= 0 || ny <= 0 {
		return true
	}
	need := max(6, cell*cell/16)
	limit := max(3, blankCells*float64(nx*ny))
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
		if float64(cells) >= limit {
			return true
		}
	}
	return false
}
