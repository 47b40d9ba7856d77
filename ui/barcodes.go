package ui

import (
	"context"
	"image"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"folio/app"
	"folio/visible"
)

// The barcodes read on a document's pages, as the queue, QA and the viewer
// show them. Their values come from paper and are hostile input: every
// line goes through visible.Line.

// codeLines describes a document's codes for a clerk: its archive IDs, then
// each code with its page and place ("Barcode: page 3: Code 39 ASN00124,
// archive ID, top right"). None gives no lines.
func codeLines(d app.Document) []string {
	var lines []string
	if len(d.ArchiveIDs) > 0 {
		lines = append(lines, "Archive ID: "+visible.Line(strings.Join(d.ArchiveIDs, ", ")))
	}
	for _, c := range d.Codes() {
		lines = append(lines, "Barcode: "+visible.Line(d.Describe(c)))
	}
	return lines
}

// pageCodesText lists the codes of page i of d, one a line ("Barcode:
// Code 39 ASN00124, archive ID, top right"); "" when it has none.
func pageCodesText(d app.Document, i int) string {
	if i < 0 || i >= len(d.Pages) {
		return ""
	}
	p := d.Pages[i]
	var lines []string
	for _, c := range p.Barcodes {
		lines = append(lines, "Barcode: "+visible.Line(c.Describe(p.Width, p.Height)))
	}
	return strings.Join(lines, "\n")
}

// newArchiveIDs makes the archive-identifier setting of the Settings
// screen: the pattern and whether such a code starts a new document.
func (s *settingsScreen) newArchiveIDs() {
	u := s.sess.a
	s.archiveIDs = newSetting(u, `a regular expression like ^ASN\d+$, or empty for none`, s.saveArchiveIDs)
	s.splitIDs = newCheck(u.input, "Each archive ID starts a new document, as a separator sheet does", nil)
	s.archiveIDs.put = func(v settingsValues) {
		s.archiveIDs.now.SetText(archiveIDsText(v.codes))
		s.archiveIDs.field.SetText(v.codes.ArchivePattern)
		s.splitIDs.SetChecked(v.codes.Split)
	}
}

func (s *settingsScreen) archiveIDsSection() fyne.CanvasObject {
	return s.archiveIDs.section("Archive identifiers",
		"Barcodes on scanned pages are kept with the page, shown and searchable. Those that match this pattern "+
			"(the folder or accession labels of an existing paper archive, like ASN00124) are also kept as the "+
			"document's archive identifiers. The pattern is a regular expression matched against the whole code: "+
			`^ASN\d+$ takes ASN followed by digits. Applies to files imported from now on.`,
		nil, formGrid(fieldLabelW("", settingLabelW), container.NewHBox(s.splitIDs)))
}

func (s *settingsScreen) saveArchiveIDs() {
	if s.archiveIDs.save.Disabled() {
		return
	}
	bs := app.BarcodeSettings{ArchivePattern: strings.TrimSpace(s.archiveIDs.field.Text), Split: s.splitIDs.Checked}
	if _, err := app.ParseArchivePattern(bs.ArchivePattern); err != nil {
		s.refuse(s.archiveIDs, message(err))
		return
	}
	sess := s.sess
	s.store(s.archiveIDs, func(ctx context.Context) error { return sess.s.Settings().SetBarcodeSettings(ctx, bs) },
		func(vals settingsValues) string { return "Saved. " + archiveIDsText(vals.codes) + "." })
}

// archiveIDsText says what the barcode settings do, for the Settings
// screen.
func archiveIDsText(bs app.BarcodeSettings) string {
	switch {
	case bs.ArchivePattern == "":
		return "None: no barcode is taken as an archive identifier"
	case bs.Split:
		return visible.Line(bs.ArchivePattern) + ", each starting a new document"
	}
	return visible.Line(bs.ArchivePattern) + ", kept with the document"
}

// markCodes adds the boxes of the codes on the page on show to v.words
// (after the search hits) and returns their outlines for the stage. orig
// is the page's viewing image's size before the reader's turn.
func (v *docViewer) markCodes(orig image.Point, turn int) []fyne.CanvasObject {
	if v.page < 0 || v.page >= len(v.doc.Pages) {
		return nil
	}
	var out []fyne.CanvasObject
	for _, c := range v.doc.Pages[v.page].Barcodes {
		if c.W == 0 && c.H == 0 {
			continue
		}
		v.words = append(v.words, turnBox(image.Rect(c.X, c.Y, c.X+c.W, c.Y+c.H), orig, turn))
		r := canvas.NewRectangle(color.Transparent)
		r.StrokeColor = color.NRGBA{R: 0, G: 110, B: 230, A: 220}
		r.StrokeWidth = 2
		out = append(out, r)
	}
	return out
}
