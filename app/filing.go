package app

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Filing turns the pages of a scanned batch into documents. It is pure: it
// reads a FileAnalysis and decides, and the import service stores what it
// decided. Rules, in order:
//
//   - a Folio cover sheet starts a document and says whose it is, its type,
//     its date of service and how many pages follow; the sheet itself is not
//     part of the document;
//   - a separator sheet (Folio's, or a PATCH-T sheet) starts a new document
//     and is not part of it;
//   - blank pages are left out of documents;
//   - with SplitRules.SplitAtArchiveID, a page with an archive identifier
//     starts a new document and is its first page (unless the document
//     begun has no page yet, as after a cover sheet);
//   - a batch without sheets is one document;
//   - nothing vanishes: a sheet and a blank page are left-out pages of the
//     document they come with (leftout.go). A cover sheet followed only
//     by blank pages is a document of no pages, which waits for a person
//     (the cover announced something, and what looked blank may not be);
//     other sheets and blank pages with no page of content after them
//     (the back of a separator, a separator at the end) go with the
//     document before them, or the one after at the start of the file;
//     a file of nothing else is one document of no pages.

// DocumentDraft is one document found in a batch, before it is stored.
type DocumentDraft struct {
	Pages []int // page indexes in the batch file, in order
	// Left are the pages that come with the document but are not part of
	// it (its sheet, blank pages), in page order.
	Left []LeftPage
	// Cover is the cover sheet that started the document, if any.
	Cover *CoverSheet
	// Problems a person should look at (an unreadable sheet, a page count
	// that differs from the cover sheet's).
	Problems []string
}

// SplitBatch splits an analysed batch into document drafts at its sheets.
func SplitBatch(fa FileAnalysis) []DocumentDraft { return SplitRules{}.Split(fa) }

// SplitRules are the workstation's rules beyond the sheets: which codes
// are archive identifiers, and whether one starts a document.
type SplitRules struct {
	ArchiveID        *regexp.Regexp // nil: no code is an archive identifier
	SplitAtArchiveID bool
}

// Split splits an analysed batch into document drafts. It reads the
// ArchiveID marks of the pages' codes (see markArchiveIDs), not the
// pattern.
func (r SplitRules) Split(fa FileAnalysis) []DocumentDraft {
	var docs []DocumentDraft
	var cur *DocumentDraft
	start := func(cover *CoverSheet) {
		docs = append(docs, DocumentDraft{Cover: cover})
		cur = &docs[len(docs)-1]
	}
	for _, p := range fa.Pages {
		kind, cover, problem := pageSheet(p)
		switch kind {
		case SheetCover:
			c := cover
			start(&c)
			cur.Left = append(cur.Left, LeftPage{p.Index, LeftCover})
			continue
		case SheetSeparator:
			start(nil)
			cur.Left = append(cur.Left, LeftPage{p.Index, LeftSeparator})
			continue
		}
		if cur == nil || r.SplitAtArchiveID && len(cur.Pages) > 0 && hasArchiveID(p.Barcodes) {
			start(nil)
		}
		if p.Blank {
			cur.Left = append(cur.Left, LeftPage{p.Index, LeftBlank})
			continue
		}
		if problem != "" {
			cur.Problems = append(cur.Problems, problem)
		}
		cur.Pages = append(cur.Pages, p.Index)
	}
	out := docs[:0]
	var pending []LeftPage // left-out pages before the first document kept
	for _, d := range docs {
		coverOfBlanks := d.Cover != nil && slices.ContainsFunc(d.Left, func(l LeftPage) bool { return l.Why == LeftBlank })
		if len(d.Pages) == 0 && !coverOfBlanks {
			if len(out) > 0 {
				out[len(out)-1].Left = append(out[len(out)-1].Left, d.Left...)
			} else {
				pending = append(pending, d.Left...)
			}
			continue
		}
		d.Left = append(pending, d.Left...)
		pending = nil
		if d.Cover != nil && d.Cover.Pages > 0 && len(d.Pages) > 0 && d.Cover.Pages != len(d.Pages) {
			d.Problems = append(d.Problems, "the cover sheet announces "+strconv.Itoa(d.Cover.Pages)+" pages but "+strconv.Itoa(len(d.Pages))+" were scanned")
		}
		out = append(out, d)
	}
	if len(out) == 0 && len(pending) > 0 {
		d := docs[0] // nothing but sheets and blank pages: one document of no pages
		d.Left, d.Problems = pending, nil
		for _, o := range docs {
			d.Problems = append(d.Problems, o.Problems...)
		}
		out = append(out, d)
	}
	return out
}

// hasArchiveID reports whether codes hold an archive identifier.
func hasArchiveID(codes []Barcode) bool {
	return slices.ContainsFunc(codes, func(b Barcode) bool { return b.ArchiveID })
}

// pageSheet says whether a page is a sheet; a damaged Folio code is
// reported as a problem of an ordinary page.
func pageSheet(p PageAnalysis) (SheetKind, CoverSheet, string) {
	var problem string
	for _, b := range p.Barcodes {
		kind, c, err := ParseSheet(b)
		if err != nil {
			problem = "page " + strconv.Itoa(p.Index+1) + ": " + err.Error()
			continue
		}
		if kind != SheetNone {
			return kind, c, ""
		}
	}
	return SheetNone, CoverSheet{}, problem
}

// Proposal is a guess the pipeline makes for a person to confirm, with its
// reason and confidence (0..1).
type Proposal struct {
	Value      string  `json:"value"`
	Reason     string  `json:"reason"`
	Confidence float64 `json:"confidence"`
}

var (
	dateISO  = regexp.MustCompile(`\b(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b`)
	dateDMY  = regexp.MustCompile(`\b(0?[1-9]|[12]\d|3[01])[/.-](0?[1-9]|1[0-2])[/.-]((19|20)\d\d)\b`)
	dateText = regexp.MustCompile(`(?i)\b(0?[1-9]|[12]\d|3[01])(st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+((19|20)\d\d)\b`)
)

// FindDates returns the dates written in a text (ISO, day/month/year, or
// "12 March 2024"), in order of appearance, without duplicates, none after
// now.
func FindDates(text string, now time.Time) []time.Time { return findDates(text, now, true) }

// findDates finds the dates written in a text, in order; skipBirth leaves
// out those labelled as a date of birth or of printing.
func findDates(text string, now time.Time, skipBirth bool) []time.Time {
	type hit struct {
		at int
		t  time.Time
	}
	var hits []hit
	add := func(at int, t time.Time, err error) {
		if err == nil && !t.After(now) && t.Year() > 1900 && !(skipBirth && birthLabel.MatchString(text[max(0, at-32):at])) {
			hits = append(hits, hit{at, t})
		}
	}
	for _, m := range dateISO.FindAllStringIndex(text, -1) {
		t, err := time.Parse(time.DateOnly, text[m[0]:m[1]])
		add(m[0], t, err)
	}
	for _, m := range dateDMY.FindAllStringSubmatchIndex(text, -1) {
		d, mo, y := text[m[2]:m[3]], text[m[4]:m[5]], text[m[6]:m[7]]
		t, err := time.Parse("2/1/2006", d+"/"+mo+"/"+y)
		add(m[0], t, err)
	}
	for _, m := range dateText.FindAllStringSubmatchIndex(text, -1) {
		d, mon, y := text[m[2]:m[3]], text[m[6]:m[7]], text[m[8]:m[9]]
		t, err := time.Parse("2 Jan 2006", d+" "+strings.ToUpper(mon[:1])+strings.ToLower(mon[1:3])+" "+y)
		add(m[0], t, err)
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.at - b.at })
	var out []time.Time
	for _, h := range hits {
		if !slices.ContainsFunc(out, func(t time.Time) bool { return t.Equal(h.t) }) {
			out = append(out, h.t)
		}
	}
	return out
}

// birthLabel ends the text just before a date of birth (or of printing),
// which is not a date of service.
var birthLabel = regexp.MustCompile(`(?i)(birth|born|\bdob|d\.o\.b\.?|printed\b[^\n]*)[\s:.,-]*$`)

var mrnInText = regexp.MustCompile(`\b[A-Z0-9]{2,6}-\d{6}-[0-9A-Z]\b`)

// FindMRNs returns the valid MRNs (check character right) written in a
// text or barcodes, in order, without duplicates.
func FindMRNs(text string, codes []Barcode) []string {
	var out []string
	add := func(s string) {
		if mrn, err := ParseMRN(s); err == nil && !slices.Contains(out, mrn) {
			out = append(out, mrn)
		}
	}
	for _, b := range codes {
		add(b.Value)
	}
	for _, m := range mrnInText.FindAllString(strings.ToUpper(text), -1) {
		add(m)
	}
	return out
}
