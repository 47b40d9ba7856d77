package app

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Barcodes are data. Every code the scan worker reads on a page is kept
// with the page (DocPage.Barcodes, inside the document's sealed record):
// its symbology, value and box. The document lists them for the queue, QA,
// the viewer and the command line, and their values are indexed for
// search like the page's words.
//
// A code that is not one of Folio's sheets but matches the workstation's
// archive-identifier pattern (BarcodeSettings) is an archive identifier:
// the folder or accession label of an existing paper archive (ASN00124).
// The import marks such codes on their page, so the mark moves with the
// page when documents are split or merged, and every document version
// lists its pages' identifiers in Document.ArchiveIDs. When the settings
// say so, a page with an archive identifier starts a new document, as a
// separator sheet does, but stays in it (the label is on the document's
// first page).

// Meta keys of the barcode settings (cleartext, never PHI).
const (
	metaArchivePattern = "settings/archive-id-pattern"
	metaArchiveSplit   = "settings/archive-id-split"
)

// maxArchivePattern bounds the length of an archive-identifier pattern.
const maxArchivePattern = 200

// BarcodeSettings say which codes on scanned pages are archive identifiers
// and whether each starts a new document.
type BarcodeSettings struct {
	// ArchivePattern is a regular expression (Go's RE2 syntax, like
	// ^ASN\d+$) a code's whole value is matched against; empty means no
	// code is an archive identifier.
	ArchivePattern string
	// Split makes a page with an archive identifier start a new document.
	Split bool
}

// ParseArchivePattern checks an archive-identifier pattern and compiles
// it; empty gives nil (no archive identifiers). A pattern that matches an
// empty value would make every code an identifier, and is refused.
func ParseArchivePattern(pattern string) (*regexp.Regexp, error) {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" {
		return nil, nil
	}
	if len(pattern) > maxArchivePattern {
		return nil, Invalidf("the archive-identifier pattern is longer than %d characters", maxArchivePattern)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, Invalidf("archive-identifier pattern %q is not a regular expression (%v); write it like ^ASN\\d+$", pattern, err)
	}
	if re.MatchString("") {
		return nil, Invalidf("archive-identifier pattern %q matches an empty code, so every code would count; anchor it, like ^ASN\\d+$", pattern)
	}
	return re, nil
}

// SetBarcodeSettings changes the archive-identifier pattern and whether
// such a code starts a new document. The change applies to files imported
// from now on. Administrators and records managers; audited.
func (st Settings) SetBarcodeSettings(ctx context.Context, bs BarcodeSettings) error {
	ctx, err := st.s.require(ctx, intakeSettingsPerm(st.s.User().Roles), ActSettings, "")
	if err != nil {
		return err
	}
	bs.ArchivePattern = strings.TrimSpace(bs.ArchivePattern)
	if _, err := ParseArchivePattern(bs.ArchivePattern); err != nil {
		return err
	}
	split := strconv.FormatBool(bs.Split)
	return st.s.commit(ctx, nil, AuditEvent{Action: ActSettings, Detail: fmt.Sprintf("archive-identifier pattern %q, starts a document %s", bs.ArchivePattern, split)},
		map[string][]byte{metaArchivePattern: []byte(bs.ArchivePattern), metaArchiveSplit: []byte(split)}, nil)
}

// BarcodeSettings returns the barcode settings (none set: no archive
// identifiers, no split).
func (v *Vault) BarcodeSettings(ctx context.Context) BarcodeSettings {
	return BarcodeSettings{
		ArchivePattern: v.setting(ctx, metaArchivePattern),
		Split:          v.setting(ctx, metaArchiveSplit) == "true",
	}
}

// splitRules reads the barcode settings as the import applies them. A
// stored pattern that no longer compiles (written by a damaged or newer
// copy) marks nothing rather than failing the import.
func (v *Vault) splitRules(ctx context.Context) SplitRules {
	bs := v.BarcodeSettings(ctx)
	re, err := ParseArchivePattern(bs.ArchivePattern)
	if err != nil {
		return SplitRules{}
	}
	return SplitRules{ArchiveID: re, SplitAtArchiveID: re != nil && bs.Split}
}

// markArchiveIDs marks the codes of fa's pages that re matches and that
// are not Folio, separator or PATCH-T sheets.
func markArchiveIDs(fa *FileAnalysis, re *regexp.Regexp) {
	if re == nil {
		return
	}
	for i := range fa.Pages {
		for j, b := range fa.Pages[i].Barcodes {
			kind, _, err := ParseSheet(b)
			fa.Pages[i].Barcodes[j].ArchiveID = kind == SheetNone && err == nil && re.MatchString(b.Value)
		}
	}
}

// pageArchiveIDs lists the archive identifiers on pages, each once, in
// page order.
func pageArchiveIDs(pages []DocPage) []string {
	var out []string
	for _, p := range pages {
		for _, b := range p.Barcodes {
			if b.ArchiveID && !slices.Contains(out, b.Value) {
				out = append(out, b.Value)
			}
		}
	}
	return out
}

// PageCode is a barcode and the page of its document it was read on.
type PageCode struct {
	Page int // 0-based page of the document
	Barcode
}

// Codes lists the barcodes read on the document's pages, in page order.
func (d Document) Codes() []PageCode {
	var out []PageCode
	for i, p := range d.Pages {
		for _, b := range p.Barcodes {
			out = append(out, PageCode{Page: i, Barcode: b})
		}
	}
	return out
}

// Symbology names a code's symbology as people say it: "QR code",
// "Code 128", "Code 39", "Data Matrix"; another reader's name as given.
func (b Barcode) Symbology() string {
	switch b.Format {
	case "QR_CODE":
		return "QR code"
	case "CODE_128":
		return "Code 128"
	case "CODE_39":
		return "Code 39"
	case "DATA_MATRIX":
		return "Data Matrix"
	}
	return b.Format
}

// Where says in words where the code is on a page of the given size (its
// viewing image, in pixels): "top left", "middle", "bottom right"; "" when
// the code has no position.
func (b Barcode) Where(width, height int) string {
	if b.W == 0 && b.H == 0 && b.X == 0 && b.Y == 0 || width <= 0 || height <= 0 {
		return ""
	}
	third := func(c, size int) int { return min(2, max(0, 3*c/size)) }
	row := [3]string{"top", "middle", "bottom"}[third(b.Y+b.H/2, height)]
	col := [3]string{"left", "centre", "right"}[third(b.X+b.W/2, width)]
	switch {
	case row == "middle" && col == "centre":
		return "middle"
	case row == "middle":
		return "middle " + col
	case col == "centre":
		return row + " centre"
	}
	return row + " " + col
}

// Describe says what a code is and where, for a clerk: "Code 39 ASN00124,
// archive ID, top right" (width and height are its page's viewing image's).
// The value is as read: callers show the line through package visible.
func (b Barcode) Describe(width, height int) string {
	s := b.Symbology() + " " + b.Value
	if b.ArchiveID {
		s += ", archive ID"
	}
	if w := b.Where(width, height); w != "" {
		s += ", " + w
	}
	return s
}

// Describe says what a code on a page of the document is and where:
// "page 3: Code 39 ASN00124, archive ID, top right".
func (d Document) Describe(c PageCode) string {
	var w, h int
	if c.Page < len(d.Pages) {
		w, h = d.Pages[c.Page].Width, d.Pages[c.Page].Height
	}
	return fmt.Sprintf("page %d: %s", c.Page+1, c.Barcode.Describe(w, h))
}

// codeText is the searchable text of a page's codes, one value a line.
func codeText(codes []Barcode) string {
	var b strings.Builder
	for _, c := range codes {
		b.WriteString(c.Value)
		b.WriteString("\n")
	}
	return b.String()
}
