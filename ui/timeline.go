package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// This file is the chart's timeline: the patient's visits and scanned
// documents together, newest first, filtered by type. It is drawn from the
// two lists the chart reads when it opens (app.Chart.Open), never
// by opening each record, and shows timelinePage rows at a time so that a
// chart of thousands stays quick.

// The type filter's choices beyond the document types.
const (
	allVisits   = "All visits"
	visitPrefix = "Visit: "
	allDocs     = "All documents"
)

// timelinePage is how many rows the timeline draws before its "Show
// older" row.
const timelinePage = 50

// timelineItem is one row of the timeline: a visit or a document.
type timelineItem struct {
	enc *app.Encounter
	doc *app.Document
}

// day is the item's day of service, for the date headings.
func (it timelineItem) day() time.Time {
	if it.enc != nil {
		t := it.enc.Time.Local()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return it.doc.Date
}

// timelineFilters are the type filter's choices: every type, the visits
// (all, and each type) for those who read visits, the documents.
func timelineFilters(visits bool) []string {
	out := []string{allTypes}
	if visits {
		out = append(out, allVisits)
		for _, t := range app.EncounterTypes {
			out = append(out, visitPrefix+t.Label())
		}
		out = append(out, allDocs)
	}
	return append(out, typeLabels()...)
}

// keeps reports whether the filter sel shows it.
func keeps(sel string, it timelineItem) bool {
	switch {
	case sel == "" || sel == allTypes:
		return true
	case sel == allVisits:
		return it.enc != nil
	case sel == allDocs:
		return it.doc != nil
	case strings.HasPrefix(sel, visitPrefix):
		return it.enc != nil && it.enc.Type.Label() == strings.TrimPrefix(sel, visitPrefix)
	}
	return it.doc != nil && it.doc.Type == typeSlug(sel)
}

// timelineItems merges the visits and the documents, newest first (both
// lists come newest first).
func timelineItems(encs []app.Encounter, docs []app.Document) []timelineItem {
	out := make([]timelineItem, 0, len(encs)+len(docs))
	i, j := 0, 0
	for i < len(encs) || j < len(docs) {
		if j >= len(docs) || i < len(encs) && !encDay(encs[i]).Before(docs[j].Date) {
			out = append(out, timelineItem{enc: &encs[i]})
			i++
		} else {
			out = append(out, timelineItem{doc: &docs[j]})
			j++
		}
	}
	return out
}

// encDay is a visit's local day of service, as a document's date is kept
// (midnight UTC).
func encDay(e app.Encounter) time.Time { return timelineItem{enc: &e}.day() }

// drawTimeline lists the visits and documents of the chosen type, a date
// heading above the items of each day, at most timeShown of them.
func (c *chart) drawTimeline() {
	if c.timeline == nil || c.docs == nil {
		return
	}
	// The rows are laid out once, at the end: adding them one by one lays
	// the whole list out again for each.
	var objs []fyne.CanvasObject
	add := func(o fyne.CanvasObject) { objs = append(objs, o) }
	defer func() {
		c.timeline.Objects = objs
		c.timeline.Refresh()
	}()
	c.timeRows, c.timeDocs, c.timeItems, c.timeMore = nil, nil, nil, nil
	clear(c.timeBadges)
	if c.docsErr != "" {
		add(wrapped(c.docsErr))
		return
	}
	if c.encsErr != "" {
		add(wrapped(c.encsErr))
	}
	sel := c.kindFilter.Selected
	if c.timeShown == 0 {
		c.timeShown = timelinePage
	}
	day, more := "", 0
	for _, it := range timelineItems(c.encs, c.docs) {
		if !keeps(sel, it) {
			continue
		}
		if len(c.timeRows) >= c.timeShown {
			more++
			continue
		}
		if h := docDateText(it.day()); h != day || len(c.timeRows) == 0 {
			day = h
			add(sectionTitle(h))
		}
		var row *tapRow
		if it.enc != nil {
			row = c.visitRow(*it.enc)
		} else {
			row = c.documentRow(*it.doc)
			c.timeDocs = append(c.timeDocs, *it.doc)
		}
		i := len(c.timeRows)
		row.move = func(delta int) { c.focusRow(c.navRows(), i+delta, c.timeScroll) }
		c.timeRows = append(c.timeRows, row)
		c.timeItems = append(c.timeItems, it)
		add(row)
	}
	if more > 0 {
		c.timeMore = c.moreRow(more)
		add(c.timeMore)
	}
	if len(c.timeRows) == 0 {
		add(wrapped(c.emptyTimeline(sel)))
	}
}

// navRows are the rows ↓ and ↑ go through: the entries and, when older
// ones are not drawn, the row that draws them.
func (c *chart) navRows() []*tapRow {
	if c.timeMore == nil {
		return c.timeRows
	}
	return append(c.timeRows[:len(c.timeRows):len(c.timeRows)], c.timeMore)
}

// emptyTimeline says why the timeline shows nothing.
func (c *chart) emptyTimeline(sel string) string {
	if sel != "" && sel != allTypes && (len(c.docs) > 0 || len(c.encs) > 0) {
		what := strings.ToLower(strings.TrimPrefix(sel, visitPrefix))
		if strings.HasPrefix(sel, visitPrefix) {
			what += " visit"
		}
		return fmt.Sprintf("No %s for this patient. Choose “%s” to see the rest of the chart.", what, allTypes)
	}
	msg := "No documents scanned for this patient yet."
	if c.sess.user.Roles.Can(app.PermEncounterRead) {
		msg += " No visits recorded yet."
	}
	return msg
}

// moreRow is the last row when older items are not drawn: Enter draws
// the next page of them and keeps the keyboard where it was.
func (c *chart) moreRow(n int) *tapRow {
	u := c.sess.a
	label := widget.NewLabelWithStyle(fmt.Sprintf("Show older entries (%d more)…", n), fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	row := newTapRow(u.input, container.NewBorder(nil, nil, widget.NewIcon(theme.MoreHorizontalIcon()), nil, label), func() {
		at := len(c.timeRows)
		c.timeShown += timelinePage
		c.drawTimeline()
		c.focusRow(c.timeRows, at, c.timeScroll)
	})
	i := len(c.timeRows)
	row.move = func(delta int) {
		if delta < 0 {
			c.focusRow(c.timeRows, i-1, c.timeScroll)
		}
	}
	return row
}

// documentRow is a scanned document's row: Enter opens it in the viewer.
func (c *chart) documentRow(d app.Document) *tapRow {
	u := c.sess.a
	title := widget.NewRichText(
		&widget.TextSegment{Text: docTypeText(d.Type), Style: styleBold},
		&widget.TextSegment{Text: "   " + plural(len(d.Pages), "page", "pages"), Style: styleRegular},
	)
	status := widget.NewLabel(docStatusText(d))
	badge := newSyncBadge(false)
	badge.set(c.syncStates[d.ID])
	c.timeBadges[d.ID] = badge
	body := container.NewBorder(nil, nil, widget.NewIcon(theme.DocumentIcon()), container.NewHBox(badge.box, container.NewCenter(status)),
		container.New(layout.NewCustomPaddedVBoxLayout(0), title, muted(scannedText(d))))
	id := d.ID
	return newTapRow(u.input, body, func() { u.nav.showDocument(id) })
}

// visitRow is a visit's row: its type and time, who saw the patient and
// why; Enter opens it in the editor (a draft) or read-only (signed).
func (c *chart) visitRow(e app.Encounter) *tapRow {
	u := c.sess.a
	title := widget.NewRichText(
		&widget.TextSegment{Text: visible.Line(e.Type.Label()), Style: styleBold},
		&widget.TextSegment{Text: "   " + e.Time.Local().Format("15:04"), Style: styleRegular},
	)
	status := widget.NewLabel(visitStatusText(e))
	if e.Signed == nil {
		status.Importance = widget.WarningImportance
	}
	body := container.NewBorder(nil, nil, widget.NewIcon(theme.AccountIcon()), container.NewCenter(status),
		container.New(layout.NewCustomPaddedVBoxLayout(0), title, muted(visitLine(e))))
	id := e.ID
	return newTapRow(u.input, body, func() { u.nav.showEncounter(id) })
}

// visitLine is "dr.amani · Kisoro HC IV · cough for two weeks".
func visitLine(e app.Encounter) string {
	parts := []string{visible.Line(e.Clinician)}
	if e.Site != "" {
		parts = append(parts, visible.Line(e.Site))
	}
	if e.Reason != "" {
		parts = append(parts, visible.Line(e.Reason))
	}
	return strings.Join(parts, " · ")
}

// visitStatusText is "Draft", "Signed" or "Signed, 2 addenda".
func visitStatusText(e app.Encounter) string {
	switch {
	case e.Signed == nil:
		return "Draft, not signed"
	case len(e.Addenda) > 0:
		return "Signed, " + plural(len(e.Addenda), "addendum", "addenda")
	}
	return "Signed"
}
