package printout

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"

	"folio/app"
	"folio/visible"
)

// AuditReport is what an audit report shows: the events an administrator
// chose, how they were chosen, and who took them out of the vault, when.
type AuditReport struct {
	Filter     string // the filters used, in words ([app.AuditFilter.String])
	Site       string // the workstation's MRN site prefix; may be empty
	ExportedBy string
	ExportedAt time.Time        // also the time zone every time is printed in
	Events     []app.AuditEvent // oldest first, printed in this order
}

// Landscape A4 geometry of the report, in millimetres.
const (
	reportW, reportH = 297.0, 210.0
	reportMargin     = 12.0
	reportContentW   = reportW - 2*reportMargin
	reportFooterY    = reportH - 9
	reportLineH      = 3.6 // one line of a table cell, at reportFontSize
	reportFontSize   = 7.5
	reportCellPad    = 1.0
	reportMaxLines   = 12 // lines of one cell; a longer value is cut with "…"
)

// reportColumns are the report's table columns and their widths; the last,
// Detail, takes what is left of the page.
var reportColumns = []struct {
	name string
	w    float64
}{{"Mark", 22}, {"#", 10}, {"Time", 31}, {"User", 24}, {"Action", 28}, {"Patient", 27},
	{"Outcome", 15}, {"Object", 38}, {"Detail", 0}}

// Row shading of the marked events (light, so that the text stays
// readable in black and white).
var (
	breakGlassFill = [3]int{255, 222, 173}
	refusedFill    = [3]int{255, 205, 205}
	headerFill     = [3]int{225, 225, 225}
)

const reportLegend = "Rows marked BREAK-GLASS (shaded orange) are openings of a restricted chart with a reason; " +
	"rows marked REFUSED or FAILED (shaded red) are attempts the vault refused or that failed."

const reportNotice = "This report holds patient record numbers and reasons given for access: keep it as you keep " +
	"patient records, and destroy it when it is no longer needed. Each export is itself recorded in the audit trail (audit.export)."

// AuditMark is how the report marks an event: "BREAK-GLASS" for a
// break-glass opening, "REFUSED" and "FAILED" for attempts that did not
// succeed, "" for the rest.
func AuditMark(e app.AuditEvent) string {
	switch {
	case e.Outcome == app.OutcomeDenied:
		return "REFUSED"
	case e.Outcome == app.OutcomeFailed:
		return "FAILED"
	case e.Action == app.ActBreakGlass:
		return "BREAK-GLASS"
	}
	return ""
}

// AuditReportPDF writes r as a landscape A4 report: a heading with the
// filters used, who exported it and when, then a table of the events, one
// row each, break-glass and refused or failed events marked in words and
// shaded, the table's heading repeated and "Page i of n" on every page.
// Every value from the trail is printed through [visible.Line], so a
// reason cannot start a line of its own or hide characters.
func AuditReportPDF(w io.Writer, r AuditReport) error {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetTitle("Folio audit report", true)
	pdf.SetProducer("Folio", true)
	pdf.SetCreator("Folio", true)
	if !r.ExportedAt.IsZero() {
		pdf.SetCreationDate(r.ExportedAt)
	}
	addFonts(pdf, true, false)
	pdf.SetCellMargin(reportCellPad)

	loc := r.ExportedAt.Location()
	exported := "by " + clean(visible.Line(r.ExportedBy))
	if !r.ExportedAt.IsZero() {
		exported += " on " + r.ExportedAt.Format("2006-01-02 15:04 MST")
	}
	if r.Site != "" {
		exported += ", workstation with MRN site prefix " + clean(visible.Line(r.Site))
	}

	pdf.AddPage()
	y := reportMargin
	pdf.SetFont(fontSans, "B", 18)
	pdf.SetXY(reportMargin, y)
	pdf.CellFormat(reportContentW, 9, "Folio audit report", "", 0, "L", false, 0, "")
	y += 10
	for _, l := range []struct{ label, value string }{
		{"Filters", clean(visible.Line(r.Filter))},
		{"Events", strconv.Itoa(len(r.Events)) + ", oldest first; times in " + r.ExportedAt.Format("MST")},
		{"Exported", exported},
	} {
		pdf.SetFont(fontSans, "B", 10)
		pdf.SetXY(reportMargin, y)
		pdf.CellFormat(24, 5.5, l.label, "", 0, "L", false, 0, "")
		pdf.SetFont(fontSans, "", 10)
		pdf.CellFormat(reportContentW-24, 5.5, l.value, "", 0, "L", false, 0, "")
		y += 5.5
	}
	y += 1.5
	for _, t := range []string{reportLegend, reportNotice} {
		pdf.SetFont(fontSans, "", 8.5)
		pdf.SetXY(reportMargin, y)
		pdf.MultiCell(reportContentW, 4, t, "", "L", false)
		y = pdf.GetY() + 0.5
	}
	y += 2

	widths := columnWidths()
	y = tableHeader(pdf, y, widths)
	if len(r.Events) == 0 {
		pdf.SetFont(fontSans, "", 10)
		pdf.SetXY(reportMargin, y+2)
		pdf.CellFormat(reportContentW, 6, "No events match these filters.", "", 0, "L", false, 0, "")
	}
	for _, e := range r.Events {
		mark := AuditMark(e)
		cells := eventCells(pdf, e, loc, widths, rowStyle(mark))
		h := rowHeight(cells)
		if y+h > reportFooterY-2 {
			pdf.AddPage()
			y = tableHeader(pdf, reportMargin, widths)
		}
		y = eventRow(pdf, y, h, mark, cells, widths)
	}

	// Page numbers, once the number of pages is known.
	n := pdf.PageCount()
	for i := 1; i <= n; i++ {
		pdf.SetPage(i)
		pdf.SetFont(fontSans, "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.SetXY(reportMargin, reportFooterY)
		pdf.CellFormat(reportContentW*0.75, 5, "Folio audit report, exported "+exported, "", 0, "L", false, 0, "")
		pdf.CellFormat(reportContentW*0.25, 5, fmt.Sprintf("Page %d of %d", i, n), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	}
	return output(pdf, w, "audit report")
}

// columnWidths returns reportColumns' widths with Detail's filled in.
func columnWidths() []float64 {
	ws := make([]float64, len(reportColumns))
	left := reportContentW
	for i, c := range reportColumns {
		ws[i] = c.w
		left -= c.w
	}
	ws[len(ws)-1] = left
	return ws
}

// tableHeader draws the table's heading row at y and returns the y below.
func tableHeader(pdf *fpdf.Fpdf, y float64, widths []float64) float64 {
	pdf.SetFont(fontSans, "B", reportFontSize+0.5)
	pdf.SetFillColor(headerFill[0], headerFill[1], headerFill[2])
	pdf.SetDrawColor(150, 150, 150)
	pdf.SetLineWidth(0.2)
	pdf.SetXY(reportMargin, y)
	for i, c := range reportColumns {
		pdf.CellFormat(widths[i], 5.5, c.name, "1", 0, "L", true, 0, "")
	}
	return y + 5.5
}

// rowStyle is the font style of a row with mark: marked rows are bold.
func rowStyle(mark string) string {
	if mark == "" {
		return ""
	}
	return "B"
}

// eventCells splits an event's values into the lines of their cells (the
// columns after Mark) in the row's font style.
func eventCells(pdf *fpdf.Fpdf, e app.AuditEvent, loc *time.Location, widths []float64, style string) [][]string {
	user, action := e.User, string(e.Action)
	if r := e.ActedAs(); r != "" {
		user += " as " + r
	}
	if e.Permission != "" {
		action += " using " + string(e.Permission)
	}
	values := []string{
		strconv.FormatUint(e.Seq, 10),
		e.Time.In(loc).Format("2006-01-02 15:04:05"),
		user,
		action,
		e.Patient,
		string(e.Outcome),
		e.Object,
		e.Detail,
	}
	if e.Device != "" {
		values[len(values)-1] = "[" + e.Device + "] " + e.Detail
	}
	pdf.SetFont(fontSans, style, reportFontSize)
	cells := make([][]string, len(values))
	for i, v := range values {
		lines := pdf.SplitText(clean(visible.Line(v)), widths[i+1])
		if len(lines) > reportMaxLines {
			lines = append(lines[:reportMaxLines-1], lines[reportMaxLines-1]+"…")
		}
		cells[i] = lines
	}
	return cells
}

// rowHeight is the height of a row whose tallest cell has the most lines.
func rowHeight(cells [][]string) float64 {
	n := 1
	for _, c := range cells {
		n = max(n, len(c))
	}
	return float64(n)*reportLineH + 1
}

// eventRow draws one event's row of height h at y, shaded and in bold
// when it is marked, and returns the y below it.
func eventRow(pdf *fpdf.Fpdf, y, h float64, mark string, cells [][]string, widths []float64) float64 {
	switch mark {
	case "":
	case "BREAK-GLASS":
		pdf.SetFillColor(breakGlassFill[0], breakGlassFill[1], breakGlassFill[2])
		pdf.Rect(reportMargin, y, reportContentW, h, "F")
	default:
		pdf.SetFillColor(refusedFill[0], refusedFill[1], refusedFill[2])
		pdf.Rect(reportMargin, y, reportContentW, h, "F")
	}
	pdf.SetDrawColor(190, 190, 190)
	pdf.Line(reportMargin, y+h, reportMargin+reportContentW, y+h)
	pdf.SetFont(fontSans, "B", reportFontSize)
	pdf.SetXY(reportMargin, y+0.5)
	pdf.CellFormat(widths[0], reportLineH, mark, "", 0, "L", false, 0, "")
	pdf.SetFont(fontSans, rowStyle(mark), reportFontSize)
	x := reportMargin + widths[0]
	for i, lines := range cells {
		for j, l := range lines {
			pdf.SetXY(x, y+0.5+float64(j)*reportLineH)
			pdf.CellFormat(widths[i+1], reportLineH, l, "", 0, "L", false, 0, "")
		}
		x += widths[i+1]
	}
	return y + h
}
