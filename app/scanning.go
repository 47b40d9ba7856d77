package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"folio/classify"
)

// This file holds the scanning domain types the pipeline and the services
// share: what a worker found on each page of a file, and the payload of the
// cover and separator sheets Folio prints.

// Barcode is one code found on a page: its symbology, its value (text
// from the paper, hostile input: show it through package visible) and
// where it is.
type Barcode struct {
	Format string `json:"format"` // "QR_CODE", "CODE_128", "CODE_39", "DATA_MATRIX"
	Value  string `json:"value"`
	// X, Y, W and H box the code on the page's upright viewing image, in
	// pixels from the top left; all zero when the reader gave no position.
	// A 1-D code's box may be a single scan line high.
	X int `json:"x,omitempty"`
	Y int `json:"y,omitempty"`
	W int `json:"w,omitempty"`
	H int `json:"h,omitempty"`
	// ArchiveID marks a code that is not one of Folio's sheets and matches
	// the archive-identifier pattern of the barcode settings when the page
	// was imported: an existing archive's folder or accession label.
	ArchiveID bool `json:"archive_id,omitempty"`
}

// Same reports whether b and c are the same code (symbology and value),
// wherever each was found.
func (b Barcode) Same(c Barcode) bool { return b.Format == c.Format && b.Value == c.Value }

// Word is one recognised word and its box on a page's viewing image, in
// pixels from the top left.
type Word struct {
	Text string `json:"t"`
	X    int    `json:"x"`
	Y    int    `json:"y"`
	W    int    `json:"w"`
	H    int    `json:"h"`
}

// PageAnalysis is what the scan worker found on one page.
type PageAnalysis struct {
	Index  int `json:"index"` // 0-based page number in the file
	Width  int `json:"width"` // of the viewing image, pixels
	Height int `json:"height"`
	// Text is the page's text: the PDF text layer where there is one, else
	// Tesseract's OCR of the upright page; either way with the text of the
	// PDF's annotations and form fields (comments, stamps, sticky notes,
	// field values).
	Text       string  `json:"text"`
	TextSource string  `json:"text_source"` // "layer", "ocr" or "" (no text)
	Confidence float64 `json:"confidence"`  // OCR mean word confidence 0..100; 100 for a text layer
	// Rotation is how far the page was turned (0, 90, 180, 270, clockwise)
	// to make it upright, as detected.
	Rotation int       `json:"rotation"`
	Barcodes []Barcode `json:"barcodes,omitempty"`
	// Words are the OCR'd words with their boxes on the viewing image, for
	// the invisible text layer of an exported PDF; empty for a text layer.
	Words []Word `json:"words,omitempty"`
	// Blank is set for a page with no content (the back of a simplex sheet
	// in a duplex scan): left out of its document, kept with it. A page of
	// faint marks that read as real words (pale print) is not blank; one
	// whose marks read as no words (print showing through from the back)
	// is, and has the text read on it, for when a person puts it back.
	Blank bool `json:"blank"`
	// Thumbnail (about 200 px wide) and View (about 150 dpi) are JPEG images
	// of the upright page.
	Thumbnail []byte `json:"-"`
	View      []byte `json:"-"`
}

// FileAnalysis is what the scan worker found in one file.
type FileAnalysis struct {
	Format string         `json:"format"` // "pdf", "tiff", "jpeg", "png"
	Pages  []PageAnalysis `json:"pages"`
}

// Sheet payloads. A Folio cover sheet's QR code carries
//
//	FOLIO1 C <MRN> <document type> <date of service YYYY-MM-DD or -> <expected pages or 0>
//
// separated by single spaces, and a separator sheet's carries "FOLIO1 S".
// Scanners' PATCH-T sheets (Code 39 "PATCHT") also separate documents.
const sheetMagic = "FOLIO1"

// SheetKind says what a recognised sheet is.
type SheetKind int

// The sheets a batch can hold.
const (
	SheetNone      SheetKind = iota
	SheetCover               // starts a document and says whose and what it is
	SheetSeparator           // starts a new document
)

// CoverSheet is the content of a cover sheet's code.
type CoverSheet struct {
	MRN   string
	Type  string    // a document type slug
	Date  time.Time // date of service; zero when not given
	Pages int       // pages expected after the sheet; 0 when not given
}

// Payload encodes a cover sheet for its QR code.
func (c CoverSheet) Payload() string {
	date := "-"
	if !c.Date.IsZero() {
		date = c.Date.Format(time.DateOnly)
	}
	return fmt.Sprintf("%s C %s %s %s %d", sheetMagic, c.MRN, c.Type, date, c.Pages)
}

// SeparatorPayload is the code of a plain separator sheet.
const SeparatorPayload = sheetMagic + " S"

// ParseSheet recognises a Folio cover or separator sheet, or a PATCH-T
// sheet, from one barcode. Any other code gives SheetNone and no error; a
// Folio code that is damaged or malformed gives an error that says why.
func ParseSheet(b Barcode) (SheetKind, CoverSheet, error) {
	v := strings.TrimSpace(b.Value)
	if strings.EqualFold(v, "PATCHT") && (b.Format == "CODE_39" || b.Format == "CODE_128" || b.Format == "") {
		return SheetSeparator, CoverSheet{}, nil
	}
	f := strings.Fields(v)
	if len(f) == 0 || f[0] != sheetMagic {
		return SheetNone, CoverSheet{}, nil
	}
	if len(f) == 2 && f[1] == "S" {
		return SheetSeparator, CoverSheet{}, nil
	}
	if len(f) != 6 || f[1] != "C" {
		return SheetNone, CoverSheet{}, Invalidf("unreadable Folio sheet code %q", v)
	}
	mrn, err := ParseMRN(f[2])
	if err != nil {
		return SheetNone, CoverSheet{}, fmt.Errorf("cover sheet: %w", err)
	}
	c := CoverSheet{MRN: mrn, Type: f[3]}
	if !validSlug(c.Type) {
		return SheetNone, CoverSheet{}, Invalidf("cover sheet document type %q", c.Type)
	}
	if f[4] != "-" {
		if c.Date, err = time.Parse(time.DateOnly, f[4]); err != nil {
			return SheetNone, CoverSheet{}, Invalidf("cover sheet date %q", f[4])
		}
	}
	if c.Pages, err = strconv.Atoi(f[5]); err != nil || c.Pages < 0 || c.Pages > 10000 {
		return SheetNone, CoverSheet{}, Invalidf("cover sheet page count %q", f[5])
	}
	return SheetCover, c, nil
}

// validSlug accepts a document type slug: 1 to 40 of a-z, 0-9 and '-'.
func validSlug(s string) bool { return classify.ValidType(s) }

// DocumentTypes are the default document type slugs, in the order a
// clerk's picker shows them.
var DocumentTypes = []string{"referral", "lab-result", "imaging-report", "discharge-summary", "consent",
	"prescription", "clinical-note", "correspondence", "administrative", "other"}

// DocTypeLabel turns a document type slug into words for people:
// "lab-result" → "Lab result".
func DocTypeLabel(slug string) string {
	s := strings.ReplaceAll(slug, "-", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
