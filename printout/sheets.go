package printout

import (
	"fmt"
	"io"
	"strings"
	"time"

	"folio/app"

	"github.com/go-pdf/fpdf"
)

// CoverInfo is what a cover sheet shows.
type CoverInfo struct {
	Sheet       app.CoverSheet // MRN, Type, Date (zero = none), Pages (0 = not stated)
	PatientName string         // "FAMILY, Given"
	BirthDate   string         // as the clerk reads it, e.g. "1984-03-12" or "1984 (estimated)"
	TypeLabel   string         // "Lab result"; the type slug when empty
	Clinic      string         // may be empty: the line is left out
	PrintedBy   string
	PrintedAt   time.Time
}

// A4 page geometry, in millimetres.
const (
	a4W, a4H    = 210.0, 297.0
	sideMargin  = 12.0
	contentW    = a4W - 2*sideMargin
	maxSeparate = 1000 // separator pages in one PDF
)

// Sizes of the codes, in millimetres. A QR module of about 2 mm is 24 dots
// on a 300 dpi printer and 8 pixels in a 100 dpi scan: a smudged, skewed,
// speckled scan still reads. A 1-D module is 1/40 inch where the page has
// room, never less than 0.4 mm.
const (
	qrModuleCover     = 2.2
	qrMinCover        = 60.0
	qrMaxCover        = 85.0
	qrModuleSeparator = 4.0
	qrMaxSeparator    = 90.0
	barModule         = 0.635 // 1/40 inch: 2.5 pixels at 100 dpi, 5 at 200
	barQuietModules   = 10
)

// Instructions printed on the sheets.
const (
	coverInstruction     = "Place this sheet on top of the document and scan them together. Do not write on the code."
	separatorInstruction = "Place this sheet between two documents in a scanning batch. Do not write on the codes."
)

// CoverSheetPDF writes an A4 PDF with one cover sheet page per info. Each
// page's QR code carries exactly info.Sheet.Payload(). A sheet whose code
// Folio could not read back (a malformed MRN or type) or that has no
// patient name is refused with an error wrapping [app.ErrInvalid], and
// nothing is written.
func CoverSheetPDF(w io.Writer, sheets ...CoverInfo) error {
	if len(sheets) == 0 {
		return app.Invalidf("no cover sheets to print")
	}
	for i, s := range sheets {
		if err := checkCover(s); err != nil {
			return fmt.Errorf("cover sheet %d: %w", i+1, err)
		}
	}
	pdf := newA4("Folio cover sheet")
	if !sheets[0].PrintedAt.IsZero() {
		pdf.SetCreationDate(sheets[0].PrintedAt)
	}
	for i, s := range sheets {
		if err := coverPage(pdf, s); err != nil {
			return fmt.Errorf("cover sheet %d for %s: %w", i+1, s.Sheet.MRN, err)
		}
	}
	return output(pdf, w, "cover sheets")
}

// checkCover refuses a sheet that would print a code Folio cannot read.
func checkCover(s CoverInfo) error {
	payload := s.Sheet.Payload()
	kind, got, err := app.ParseSheet(app.Barcode{Format: "QR_CODE", Value: payload})
	if err != nil {
		return err
	}
	if kind != app.SheetCover || got.Payload() != payload {
		return app.Invalidf("cover sheet code %q would not read back", payload)
	}
	if strings.TrimSpace(clean(s.PatientName)) == "" {
		return app.Invalidf("cover sheet for %s has no patient name", s.Sheet.MRN)
	}
	return nil
}

func coverPage(pdf *fpdf.Fpdf, s CoverInfo) error {
	payload := s.Sheet.Payload()
	qr, err := qrModules(payload)
	if err != nil {
		return err
	}
	mrnBars, err := code128(s.Sheet.MRN)
	if err != nil {
		return err
	}
	pdf.AddPage()
	y := 10.0
	y = centred(pdf, y, 12, "B", 28, "FOLIO COVER SHEET")
	y = centred(pdf, y, 7, "", 12, coverInstruction)

	// The QR code, with nothing drawn in its quiet zone.
	n := float64(qr.GetWidth())
	size := min(max(n*qrModuleCover, qrMinCover), qrMaxCover)
	module := size / n
	quiet := qrQuietModules * module
	y += quiet
	drawQR(pdf, qr, (a4W-size)/2, y, module)
	y += size + quiet

	pdf.SetTextColor(90, 90, 90)
	pdf.SetFont(fontMono, "", 9)
	pdf.SetXY(sideMargin, y)
	pdf.CellFormat(contentW, 4, payload, "", 0, "C", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	y += 6

	y = centred(pdf, y, 7, "", 12, "MRN")
	y = centred(pdf, y, 17, "B", 44, s.Sheet.MRN)

	// The MRN as Code 128, for label printers and hand scanners.
	barMod := min(barModule, contentW/float64(len(mrnBars)+2*barQuietModules))
	barW := float64(len(mrnBars)) * barMod
	y += 2
	drawBars(pdf, mrnBars, (a4W-barW)/2, y, barMod, 12)
	y += 12 + 6

	notStated := "not stated"
	date, pages := notStated, notStated
	if !s.Sheet.Date.IsZero() {
		date = s.Sheet.Date.Format(time.DateOnly)
	}
	if s.Sheet.Pages > 0 {
		pages = fmt.Sprintf("%d (not counting this sheet)", s.Sheet.Pages)
	}
	label := s.TypeLabel
	if label == "" {
		label = s.Sheet.Type
	}
	printed := s.PrintedBy
	if !s.PrintedAt.IsZero() {
		if printed != "" {
			printed += ", "
		}
		printed += s.PrintedAt.Format("2006-01-02 15:04")
	}
	rows := []struct{ label, value string }{
		{"Patient", s.PatientName},
		{"Date of birth", s.BirthDate},
		{"Document type", label},
		{"Date of service", date},
		{"Expected pages", pages},
		{"Clinic", s.Clinic},
		{"Printed", printed},
	}
	for i, r := range rows {
		if r.value == "" && r.label == "Clinic" {
			continue
		}
		size, h := 17.0, 10.0
		if i == 0 {
			size, h = 24, 13
		}
		pdf.SetFont(fontSans, "", 12)
		pdf.SetTextColor(70, 70, 70)
		pdf.SetXY(sideMargin+6, y)
		pdf.CellFormat(48, h, r.label, "", 0, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		value := clean(r.value)
		if value == "" {
			value = notStated
		}
		y += valueCell(pdf, sideMargin+56, y, contentW-56, h, size, value)
	}
	return pdf.Error()
}

// valueCell writes a value in bold at size, shrunk to fit width; a value
// that would shrink below two thirds of size is set smaller on up to two
// lines instead. It returns the height used, at least h.
func valueCell(pdf *fpdf.Fpdf, x, y, width, h, size float64, value string) float64 {
	pdf.SetFont(fontSans, "B", size)
	if pdf.GetStringWidth(value) > width*1.5 {
		pdf.SetFont(fontSans, "B", size*0.7)
		if lines := pdf.SplitText(value, width); len(lines) == 2 {
			lh := h * 0.7
			for i, l := range lines {
				pdf.SetXY(x, y+float64(i)*lh)
				pdf.CellFormat(width, lh, l, "", 0, "L", false, 0, "")
			}
			return max(h, 2*lh)
		}
	}
	fitFont(pdf, "B", size, width, value)
	pdf.SetXY(x, y)
	pdf.CellFormat(width, h, value, "", 0, "L", false, 0, "")
	return h
}

// SeparatorSheetPDF writes an A4 PDF of n identical separator sheets, each
// with a QR code carrying [app.SeparatorPayload] and a Code 39 "PATCHT"
// code that other scanning software takes for a PATCH-T sheet.
func SeparatorSheetPDF(w io.Writer, n int) error {
	if n < 1 || n > maxSeparate {
		return app.Invalidf("%d separator sheets: print 1 to %d", n, maxSeparate)
	}
	qr, err := qrModules(app.SeparatorPayload)
	if err != nil {
		return err
	}
	patch, err := code39("PATCHT")
	if err != nil {
		return err
	}
	pdf := newA4("Folio separator sheet")
	for range n {
		pdf.AddPage()
		y := 14.0
		y = centred(pdf, y, 14, "B", 34, "FOLIO SEPARATOR SHEET")
		y = centred(pdf, y, 12, "B", 24, "— starts a new document —")
		y = centred(pdf, y, 7, "", 12, separatorInstruction)

		m := float64(qr.GetWidth())
		module := min(qrModuleSeparator, qrMaxSeparator/m)
		size := m * module
		y += qrQuietModules * module
		drawQR(pdf, qr, (a4W-size)/2, y, module)
		y += size + qrQuietModules*module

		centred(pdf, y, 8, "B", 20, "FOLIO SEPARATOR SHEET")

		// PATCH-T as Code 39, low on the page, well clear of the QR code.
		barW := float64(len(patch)) * barModule
		by := a4H - 60
		drawBars(pdf, patch, (a4W-barW)/2, by, barModule, 22)
		centred(pdf, by+24, 6, "", 11, "PATCH-T")
	}
	return output(pdf, w, "separator sheets")
}

// newA4 starts a portrait A4 document in millimetres with the Go fonts.
func newA4(title string) *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetTitle(title, true)
	pdf.SetProducer("Folio", true)
	pdf.SetCreator("Folio", true)
	addFonts(pdf, true, true)
	return pdf
}

// centred writes one line of text centred across the page in a cell of
// height h starting at y, shrinking the font to fit, and returns the y
// below it.
func centred(pdf *fpdf.Fpdf, y, h float64, style string, size float64, text string) float64 {
	text = clean(text)
	fitFont(pdf, style, size, contentW, text)
	pdf.SetXY(sideMargin, y)
	pdf.CellFormat(contentW, h, text, "", 0, "C", false, 0, "")
	return y + h
}

// fitFont sets the sans font in style at size, or smaller so that text fits
// in width.
func fitFont(pdf *fpdf.Fpdf, style string, size, width float64, text string) {
	pdf.SetFont(fontSans, style, size)
	if w := pdf.GetStringWidth(text); w > width {
		pdf.SetFont(fontSans, style, size*width/w)
	}
}

// output writes the finished document to w.
func output(pdf *fpdf.Fpdf, w io.Writer, what string) error {
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("make %s PDF: %w", what, err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write %s PDF: %w", what, err)
	}
	return nil
}
