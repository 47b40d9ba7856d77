package ui

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// This file is the patient chart's tabs: the timeline of the patient's
// documents, the thumbnail grid, and the access log. The header is in
// patient.go, the Demographics tab in demographics.go.

// allTypes is the type filter's choice that shows every document.
const allTypes = "All types"

// chart is the chart's tabs: the timeline, the thumbnail grid, the
// demographics (made by demographics.go) and the access log, with the
// documents and visits they show and where each stands with the archive
// (Fyne goroutine only).
type chart struct {
	sess       *session
	v          *patientScreen // the screen: its patient, summary and frame
	tabs       *container.AppTabs
	timeTab    *container.TabItem
	gridTab    *container.TabItem
	demoTab    *container.TabItem
	accessTab  *container.TabItem
	kindFilter *choice

	// gen counts forget calls: results loaded for an earlier generation
	// are dropped.
	gen int

	docs       []app.Document // newest date of service first; nil until loaded
	docsErr    string
	encs       []app.Encounter // the visits, newest first (timeline.go)
	encsErr    string
	timeline   *fyne.Container
	timeScroll *container.Scroll
	timeRows   []*tapRow      // the timeline's rows, in order
	timeItems  []timelineItem // the visit or document of each row
	timeDocs   []app.Document // the documents among the rows, in order
	timeShown  int            // how many rows the timeline draws (0: a page)
	timeMore   *tapRow        // the row that draws older entries, or nil
	grid       *fyne.Container
	gridScroll *container.Scroll
	gridCards  []*tapRow // the grid's cards, in order
	gridDrawn  bool      // the cards are drawn for the documents read
	gridNote   *widget.Label
	thumbs     map[string]*canvas.Image // first-page thumbnail by document id
	thumbsOnce bool

	access     []app.AuditEvent // newest first
	accessRows *fyne.Container
	accessNote *widget.Label
	accessOnce bool

	// Where the patient and each document stand with the archive (by
	// record id), and the badges that show it: the patient's above the
	// demographics, each document's in its timeline row and grid card.
	syncStates  map[string]app.RecordSync
	patientSync *syncBadge
	patientRow  *fyne.Container
	// patientResolve opens the conflicts screen (in conflict, for those
	// who resolve them).
	patientResolve *widget.Hyperlink
	timeBadges     map[string]*syncBadge
	gridBadges     map[string]*syncBadge
}

// newChart makes the chart's tabs of v around the demographics.
func newChart(v *patientScreen, demo fyne.CanvasObject) *chart {
	c := &chart{sess: v.sess, v: v}
	u, role := c.sess.a, c.sess.user.Roles
	c.thumbs = map[string]*canvas.Image{}
	c.kindFilter = newChoice(u.input, timelineFilters(role.Can(app.PermEncounterRead)), func(string) {
		c.timeShown = 0
		c.drawTimeline()
	})
	c.kindFilter.Selected = allTypes
	c.timeline = container.NewVBox(wrapped("Loading the documents…"))
	c.timeScroll = newScroller(u.input, c.timeline)
	hint := muted(chartKeys)
	hint.Truncation = fyne.TextTruncateEllipsis
	timeTop := container.NewBorder(nil, nil, nil, container.NewHBox(fieldLabel("Show"), c.kindFilter),
		container.NewVBox(layout.NewSpacer(), hint, layout.NewSpacer()))
	c.timeTab = container.NewTabItem("Timeline", container.NewBorder(
		container.New(layout.NewCustomPaddedLayout(8, 4, 0, 0), timeTop), nil, nil, nil,
		c.timeScroll))

	c.gridNote = wrapped("Loading the documents…")
	c.grid = container.NewGridWrap(fyne.NewSize(176, 262))
	c.gridScroll = newScroller(u.input,
		container.New(layout.NewCustomPaddedLayout(8, 8, 0, 0), container.NewVBox(c.gridNote, c.grid)))
	c.gridTab = container.NewTabItem("Documents", c.gridScroll)

	c.syncStates = map[string]app.RecordSync{}
	c.timeBadges, c.gridBadges = map[string]*syncBadge{}, map[string]*syncBadge{}
	c.patientSync = newSyncBadge(false)
	what := widget.NewLabel("Demographics:")
	what.SizeName = theme.SizeNameCaptionText
	c.patientResolve = link(u.input, "Resolve…", u.nav.showConflicts)
	c.patientResolve.SizeName = theme.SizeNameCaptionText
	c.patientResolve.Hide()
	c.patientRow = container.New(layout.NewCustomPaddedLayout(4, 0, 0, 0),
		container.NewHBox(layout.NewSpacer(), container.NewCenter(what), c.patientSync.box, container.NewCenter(c.patientResolve)))
	c.patientRow.Hide()
	c.demoTab = container.NewTabItem("Demographics", container.NewBorder(c.patientRow, nil, nil, nil, demo))

	c.accessNote = wrapped("Loading who opened this chart…")
	c.accessRows = container.NewVBox()
	c.accessTab = container.NewTabItem("Access log", newScroller(u.input,
		container.New(layout.NewCustomPaddedLayout(8, 8, 0, 0), container.NewVBox(c.accessNote, c.accessRows))))

	var items []*container.TabItem
	if role.Can(app.PermDocRead) {
		items = append(items, c.timeTab, c.gridTab)
	}
	items = append(items, c.demoTab)
	if role.Can(app.PermAuditRead) {
		items = append(items, c.accessTab)
	}
	c.tabs = container.NewAppTabs(items...)
	c.loadSyncStates()
	c.tabs.OnSelected = func(t *container.TabItem) {
		u.input.touch()
		switch t {
		case c.gridTab:
			if !c.gridDrawn && c.docs != nil {
				c.drawGrid()
			}
			c.loadThumbs()
		case c.accessTab:
			c.loadAccess()
		}
		c.focusTab()
	}
	return c
}

// chartKeys says how to work the chart from the keyboard.
const chartKeys = "↑ ↓ choose, Enter opens.  Ctrl+Page Down / Up: next / previous tab."

// nextTab shows the tab delta places on, round the tabs (Ctrl+Page Down,
// Ctrl+Page Up): the tab bar itself takes no keyboard focus.
func (c *chart) nextTab(delta int) {
	n := len(c.tabs.Items)
	if n == 0 {
		return
	}
	c.tabs.SelectIndex(((c.tabs.SelectedIndex()+delta)%n + n) % n)
}

// focusTab gives the keyboard to the first document of the tab on show
// (Timeline or Documents), or takes it from a row of a tab now hidden, so
// that Enter never opens a document nobody sees.
func (c *chart) focusTab() {
	cv := c.sess.a.win.Canvas()
	var rows []*tapRow
	var s *container.Scroll
	switch c.tabs.Selected() {
	case c.timeTab:
		rows, s = c.timeRows, c.timeScroll
	case c.gridTab:
		rows, s = c.gridCards, c.gridScroll
	}
	if len(rows) == 0 {
		cv.Unfocus()
		return
	}
	c.focusRow(rows, 0, s)
}

// focusRow gives the keyboard to rows[i], scrolled into view.
func (c *chart) focusRow(rows []*tapRow, i int, s *container.Scroll) {
	if i < 0 || i >= len(rows) {
		return
	}
	c.sess.a.win.Canvas().Focus(rows[i])
	if i == 0 {
		s.ScrollToTop() // with the date heading above the first row
		return
	}
	d := c.sess.a.fyne.Driver()
	top := d.AbsolutePositionForObject(rows[i]).Y - d.AbsolutePositionForObject(s.Content).Y
	bottom := top + rows[i].Size().Height
	switch {
	case top < s.Offset.Y:
		s.Offset.Y = top
	case bottom > s.Offset.Y+s.Size().Height:
		s.Offset.Y = bottom - s.Size().Height
	default:
		return
	}
	s.Refresh()
}

// hasTab reports whether the chart shows t to this user.
func (c *chart) hasTab(t *container.TabItem) bool {
	return slices.Contains(c.tabs.Items, t)
}

// forget drops every document, thumbnail and audit entry shown.
func (c *chart) forget() {
	c.gen++
	c.docs, c.timeDocs, c.timeRows, c.gridCards, c.access = nil, nil, nil, nil, nil
	c.encs, c.timeItems, c.timeShown = nil, nil, 0
	c.gridDrawn = false
	clear(c.syncStates)
	clear(c.timeBadges)
	clear(c.gridBadges)
	if c.timeline != nil {
		c.timeline.RemoveAll()
		c.grid.RemoveAll()
		c.accessRows.RemoveAll()
	}
	for id, img := range c.thumbs {
		img.Image = nil
		delete(c.thumbs, id)
	}
}

// load reads the patient's documents, visits and summary (one
// opening of the chart: three audited list reads, never each record) off
// the Fyne goroutine and draws the timeline, the grid and the summary.
func (c *chart) load() {
	roles := c.sess.user.Roles
	docsToo, encsToo, sumToo := c.hasTab(c.timeTab), roles.Can(app.PermEncounterRead), c.v.summary != nil
	sess, ref, gen := c.sess, c.v.p.ID, c.gen
	sess.run(func(ctx context.Context) func() {
		opened := sess.s.Chart().Open(ctx, ref, app.ChartParts{Documents: docsToo, Encounters: encsToo, Summary: sumToo})
		slices.SortStableFunc(opened.Documents, func(a, b app.Document) int { return b.Date.Compare(a.Date) })
		return func() {
			if c.gen != gen {
				return
			}
			if sumToo {
				c.v.summary.show(opened.Summary, opened.SummaryErr)
				c.v.frame.Refresh()
			}
			if !docsToo {
				return
			}
			if opened.DocumentsErr != nil {
				c.docsErr = "The documents could not be read: " + message(opened.DocumentsErr)
			}
			if opened.EncountersErr != nil {
				c.encsErr = "The visits could not be read: " + message(opened.EncountersErr)
			}
			c.docs, c.encs = opened.Documents, opened.Encounters
			if c.docs == nil {
				c.docs = []app.Document{}
			}
			c.drawTimeline()
			c.gridDrawn = false // drawn when its tab shows: a big chart has thousands of cards
			if c.tabs.Selected() == c.gridTab {
				c.drawGrid()
				c.loadThumbs()
			}
			c.loadSyncStates()
			if sess.a.cur == screen(c.v) && sess.a.win.Canvas().Focused() == nil {
				c.focusTab() // the keyboard starts on the newest entry
			}
		}
	})
}

// docDateText is a date of service as a heading: "Tuesday 14 October 2026".
func docDateText(t time.Time) string {
	if t.IsZero() {
		return "Date of service not known"
	}
	return t.Format("Monday 2 January 2006")
}

// docStatusText says where a document stands, in a clerk's words.
func docStatusText(d app.Document) string {
	switch d.Status {
	case app.DocQueued:
		if d.PatientID != "" {
			// Filed here before, then sent back by QA (or split off a
			// filed document): it is in this chart while the indexing
			// queue confirms it, not a page waiting for a patient.
			return "Filed to this chart, being re-checked"
		}
		return "Waiting to be filed"
	case app.DocIndexed:
		if d.QA {
			return "Filed, to be checked"
		}
		return "Filed"
	case app.DocVerified:
		return "Filed and checked"
	case app.DocMerged:
		return "Merged into another document"
	}
	return visible.Line(string(d.Status))
}

// scannedText is "scanned by grace, 2026-09-01 10:12".
func scannedText(d app.Document) string {
	s := "scanned"
	if d.Provenance.Operator != "" {
		s += " by " + visible.Line(d.Provenance.Operator)
	}
	if w := whenText(d.Provenance.Scanned); w != "" {
		s += ", " + w
	}
	return s
}

// drawGrid lays a card out for each document; thumbnails come later.
func (c *chart) drawGrid() {
	u := c.sess.a
	c.gridDrawn = true
	c.grid.RemoveAll()
	c.gridCards = nil
	clear(c.gridBadges)
	switch {
	case c.docsErr != "":
		c.gridNote.SetText(c.docsErr)
		c.gridNote.Show()
		return
	case len(c.docs) == 0:
		c.gridNote.SetText("No documents scanned for this patient yet.")
		c.gridNote.Show()
		return
	}
	c.gridNote.Hide()
	for _, d := range c.docs {
		img, ok := c.thumbs[d.ID]
		if !ok {
			img = canvas.NewImageFromImage(nil)
			img.FillMode = canvas.ImageFillContain
			img.SetMinSize(fyne.NewSize(150, 190))
			c.thumbs[d.ID] = img
		}
		date := "date not known"
		if !d.Date.IsZero() {
			date = d.Date.Format(time.DateOnly)
		}
		badge := newSyncBadge(true)
		badge.set(c.syncStates[d.ID])
		c.gridBadges[d.ID] = badge
		card := container.NewBorder(nil,
			container.NewVBox(
				widget.NewLabelWithStyle(docTypeText(d.Type), fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
				widget.NewLabelWithStyle(date+"  ·  "+plural(len(d.Pages), "page", "pages"), fyne.TextAlignCenter, fyne.TextStyle{}),
				badge.box),
			nil, nil, img)
		id, i := d.ID, len(c.gridCards)
		row := newTapRow(u.input, card, func() { u.nav.showDocument(id) })
		row.move = func(delta int) { c.focusRow(c.gridCards, i+delta, c.gridScroll) }
		c.gridCards = append(c.gridCards, row)
		c.grid.Add(row)
	}
}

// loadSyncStates asks where the patient and the documents on show stand
// with the archive (one read of the vault, off the Fyne goroutine) and
// shows it on their badges. Without an archive nothing is shown.
func (c *chart) loadSyncStates() {
	ask := c.sess.a.opts.SyncStates
	if ask == nil || c.v.p.ID == "" {
		return
	}
	items := []app.SyncItem{{Kind: app.KindPatient, ID: c.v.p.ID}}
	for _, d := range c.docs {
		items = append(items, documentSyncItem(d))
	}
	sess, gen := c.sess, c.gen
	sess.run(func(ctx context.Context) func() {
		states, err := ask(ctx, items)
		if err != nil || len(states) != len(items) {
			return nil // the badges stay as they were
		}
		return func() {
			if c.gen != gen {
				return
			}
			for i, it := range items {
				c.syncStates[it.ID] = states[i]
			}
			c.paintSync()
		}
	})
}

// paintSync shows the sync states on the badges.
func (c *chart) paintSync() {
	st := c.syncStates[c.v.p.ID]
	c.patientSync.set(st)
	if st == app.SyncNone {
		c.patientRow.Hide()
	} else {
		c.patientRow.Show()
	}
	if st == app.SyncConflict && c.sess.user.Roles.Can(app.PermPatientMerge) {
		c.patientResolve.Show()
	} else {
		c.patientResolve.Hide()
	}
	for id, b := range c.timeBadges {
		b.set(c.syncStates[id])
	}
	for id, b := range c.gridBadges {
		b.set(c.syncStates[id])
	}
}

// documentSyncItem names a document with the blobs of its pages (the
// ones taken out included: they are synced too).
func documentSyncItem(d app.Document) app.SyncItem {
	it := app.SyncItem{Kind: app.KindDocument, ID: d.ID}
	for _, p := range slices.Concat(d.Pages, d.Removed) {
		for _, b := range []string{p.View, p.Thumb, p.Text, p.Words} {
			if b != "" {
				it.Blobs = append(it.Blobs, b)
			}
		}
	}
	return it
}

// syncBadge is a small icon and words saying where a record stands with
// the archive; hidden when there is no archive. The words are what a
// screen reader would read: "Pending sync", "Synced", "Sync error", "Sync
// conflict".
type syncBadge struct {
	box   *fyne.Container
	icon  *widget.Icon
	label *widget.Label
	state app.RecordSync
}

func newSyncBadge(center bool) *syncBadge {
	b := &syncBadge{icon: widget.NewIcon(nil), label: widget.NewLabel("")}
	b.label.SizeName = theme.SizeNameCaptionText
	// Both centred on the row, so the small words sit beside the icon.
	icon, label := container.NewCenter(b.icon), container.NewCenter(b.label)
	if center {
		b.box = container.NewHBox(layout.NewSpacer(), icon, label, layout.NewSpacer())
	} else {
		b.box = container.NewHBox(icon, label)
	}
	b.box.Hide()
	return b
}

// syncText is a sync state in words.
func syncText(st app.RecordSync) string {
	switch st {
	case app.SyncSent:
		return "Synced"
	case app.SyncPending:
		return "Pending sync"
	case app.SyncError:
		return "Sync error"
	case app.SyncConflict:
		return "Sync conflict"
	}
	return ""
}

func (b *syncBadge) set(st app.RecordSync) {
	if st == b.state && (st == app.SyncNone) == !b.box.Visible() {
		return
	}
	b.state = st
	if st == app.SyncNone {
		b.box.Hide()
		return
	}
	var icon fyne.Resource
	switch st {
	case app.SyncSent:
		icon, b.label.Importance = theme.NewSuccessThemedResource(theme.ConfirmIcon()), widget.SuccessImportance
	case app.SyncPending:
		icon, b.label.Importance = theme.NewColoredResource(theme.UploadIcon(), colorNameMuted), widget.LowImportance
	case app.SyncError:
		icon, b.label.Importance = theme.NewErrorThemedResource(theme.ErrorIcon()), widget.DangerImportance
	case app.SyncConflict:
		icon, b.label.Importance = theme.NewWarningThemedResource(theme.WarningIcon()), widget.WarningImportance
	}
	b.icon.SetResource(icon)
	b.label.SetText(syncText(st))
	b.box.Show()
}

// loadThumbs reads and decodes every document's first-page thumbnail off
// the Fyne goroutine, once.
func (c *chart) loadThumbs() {
	if c.thumbsOnce || c.docs == nil || len(c.docs) == 0 {
		return
	}
	c.thumbsOnce = true
	sess, gen := c.sess, c.gen
	docs := slices.Clone(c.docs)
	sess.run(func(ctx context.Context) func() {
		imgs := map[string]image.Image{}
		for _, d := range docs {
			if len(d.Pages) == 0 {
				continue
			}
			data, err := sess.s.Documents().PageThumbnail(ctx, d.ID, 0)
			if err != nil {
				continue // the card stays without a picture
			}
			if img, _, err := decodeTurned(data, d.Pages[0].Turn); err == nil {
				imgs[d.ID] = img
			}
		}
		return func() {
			if c.gen != gen {
				return
			}
			for id, img := range imgs {
				if shown, ok := c.thumbs[id]; ok {
					shown.Image = img
					shown.Refresh()
				}
			}
		}
	})
}

// loadAccess reads who opened this chart (the read is itself audited),
// newest first, once.
func (c *chart) loadAccess() {
	if c.accessOnce || !c.hasTab(c.accessTab) {
		return
	}
	c.accessOnce = true
	sess, mrn, gen := c.sess, c.v.p.MRN, c.gen
	sess.run(func(ctx context.Context) func() {
		events, err := sess.s.Audit().Events(ctx, app.AuditFilter{PatientMRN: mrn, Limit: 500})
		slices.Reverse(events)
		return func() {
			if c.gen != gen {
				return
			}
			if err != nil {
				c.accessNote.SetText("The access log could not be read: " + message(err))
				return
			}
			c.access = events
			c.drawAccess()
		}
	})
}

func (c *chart) drawAccess() {
	c.accessRows.RemoveAll()
	if len(c.access) == 0 {
		c.accessNote.SetText("Nobody has opened this chart yet.")
		return
	}
	lines := accessLines(c.access)
	c.accessNote.SetText(plural(len(lines), "entry", "entries") +
		", newest first. Every opening of the chart and its documents is recorded.")
	var cells []fyne.CanvasObject
	for _, e := range lines {
		// A detail (a break-glass reason) is a person's text: one line,
		// nothing hidden, so it cannot draw lines that look like entries.
		who := widget.NewRichText(&widget.TextSegment{Text: visible.Line(e.User), Style: styleBold})
		what := widget.NewRichText(&widget.TextSegment{Text: actionText(e.AuditEvent), Style: styleRegular})
		if d := e.detail(); d != "" {
			what.Segments = append(what.Segments, &widget.TextSegment{Text: "   " + visible.Line(d), Style: styleMuted})
		}
		what.Wrapping = fyne.TextWrapWord
		cells = append(cells, widget.NewLabel(whenText(e.Time)), who, what)
	}
	c.accessRows.Add(container.New(&accessLayout{}, cells...))
}

// accessLayout lays the access log out in three columns: when, who (both
// as wide as their widest cell) and what, which takes the rest and wraps.
type accessLayout struct{}

func (accessLayout) widths(objs []fyne.CanvasObject) (float32, float32) {
	var w0, w1 float32
	for i := 0; i+2 < len(objs); i += 3 {
		w0 = max(w0, objs[i].MinSize().Width)
		w1 = max(w1, objs[i+1].MinSize().Width)
	}
	return w0, w1
}

func (l accessLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w0, w1 := l.widths(objs)
	var h, w2 float32
	for i := 0; i+2 < len(objs); i += 3 {
		w2 = max(w2, objs[i+2].MinSize().Width)
		h += max(objs[i].MinSize().Height, objs[i+2].MinSize().Height)
	}
	return fyne.NewSize(w0+w1+w2, h)
}

func (l accessLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w0, w1 := l.widths(objs)
	w2 := max(size.Width-w0-w1, 100)
	var y float32
	for i := 0; i+2 < len(objs); i += 3 {
		objs[i+2].Resize(fyne.NewSize(w2, objs[i+2].MinSize().Height))
		h := max(objs[i].MinSize().Height, objs[i+1].MinSize().Height, objs[i+2].MinSize().Height)
		objs[i].Move(fyne.NewPos(0, y))
		objs[i].Resize(fyne.NewSize(w0, h))
		objs[i+1].Move(fyne.NewPos(w0, y))
		objs[i+1].Resize(fyne.NewSize(w1, h))
		objs[i+2].Move(fyne.NewPos(w0+w1, y))
		objs[i+2].Resize(fyne.NewSize(w2, h))
		y += h
	}
}

// detailText is an audit event's detail in a clerk's words where its form
// is known: "document list: 5" is "5 documents"; a filing's
// "lab-result, 2026-03-02" is "Lab result, 2026-03-02", an opening's
// "lab-result, 2026-03-02, 3 pages" "Lab result, 2026-03-02, 3 pages".
func detailText(e app.AuditEvent) string {
	switch {
	case e.Action == app.ActDocRead && strings.HasPrefix(e.Detail, "document list: "):
		var n int
		if _, err := fmt.Sscanf(e.Detail, "document list: %d", &n); err == nil {
			return plural(n, "document", "documents")
		}
	case e.Action == app.ActDocFile, e.Action == app.ActDocRead && e.Object != "":
		// A filing's type and date; an opening's type, date and pages
		// (app.DocumentDescription).
		kind, rest, _ := strings.Cut(e.Detail, ", ")
		if slices.Contains(app.DocumentTypes, kind) {
			if rest == "" {
				return docTypeText(kind)
			}
			return docTypeText(kind) + ", " + rest
		}
	}
	return e.Detail
}

// actionText says what an audit event records, in words.
func actionText(e app.AuditEvent) string {
	var s string
	switch e.Action {
	case app.ActPatientRead:
		s = "opened the chart"
	case app.ActPatientSearch:
		s = "found the patient in a search"
	case app.ActPatientCreate:
		s = "registered the patient"
	case app.ActPatientAmend:
		s = "changed the demographics"
	case app.ActPatientHistory:
		s = "read the chart's history"
	case app.ActPatientMerge:
		s = "merged duplicate records"
	case app.ActPatientUnmerge:
		s = "undid a merge"
	case app.ActBreakGlass:
		s = "opened the restricted chart with break-glass"
	case app.ActDocImport:
		s = "imported a scan"
	case app.ActDocFile:
		s = "filed a document"
	case app.ActDocVerify:
		s = "checked a document"
	case app.ActDocRead:
		s = "listed the documents"
		if e.Object != "" {
			s = "opened a document"
		}
	case app.ActDocSearch:
		s = "searched the documents"
	case app.ActDocExport:
		s = "exported a document"
	case app.ActDocEdit:
		s = "corrected a document"
	case app.ActPatientDelete:
		s = "withdrew a registration made in error"
	case app.ActPatientRestore:
		s = "brought back a withdrawn registration"
	case app.ActEncounterCreate:
		s = "began a visit note"
	case app.ActEncounterDraft:
		s = "saved a visit note's draft"
	case app.ActEncounterRead:
		s = "opened a visit"
	case app.ActEncounterList:
		s = "listed the visits"
	case app.ActEncounterLink:
		s = "linked a document to a visit"
	case app.ActEncounterUnlink:
		s = "took a document off a visit"
	case app.ActEncounterDelete:
		s = "withdrew a draft visit written in error"
	case app.ActNoteSign:
		s = "signed a visit note"
	case app.ActNoteAddendum:
		s = "added a signed addendum"
	case app.ActCodingAssign:
		s = "coded a visit"
	case app.ActCodingQuery:
		s = "asked the clinician about a visit's coding"
	case app.ActCodingAnswer:
		s = "answered a coding question"
	case app.ActCodingRead:
		s = "read a visit's coding"
	case app.ActSummaryAdd:
		s = "recorded an allergy, problem or medication"
	case app.ActSummaryResolve:
		s = "took an entry off the summary"
	case app.ActMedicationStop:
		s = "stopped a medication"
	case app.ActSummaryRead:
		s = "read the chart's summary"
	case app.ActConflictResolve:
		s = "settled a record in conflict"
	case app.ActNotePrint:
		s = "printed or saved a visit note"
	case app.ActReferralPrint:
		s = "wrote a referral letter from a visit"
	case app.ActDeficiencyChart:
		s = "read the chart's completeness"
	case app.ActAuditRead:
		s = "read the access log"
	case app.ActAuditExport:
		s = "exported the access log"
	default:
		s = string(e.Action)
	}
	switch e.Outcome {
	case app.OutcomeDenied:
		s += " (refused)"
	case app.OutcomeFailed:
		s += " (failed)"
	}
	return s
}

// tapRow is a row (or card) that opens what it shows: a tap, or Enter or
// Space once the keyboard is on it. The arrow keys call move, when set,
// with -1 or +1 (the rows of a list pass the keyboard on).
type tapRow struct {
	widget.BaseWidget
	hooks   inputHooks
	content fyne.CanvasObject
	onTap   func()
	move    func(delta int)
	bg      *canvas.Rectangle
	focused bool
	hovered bool
}

func newTapRow(h inputHooks, content fyne.CanvasObject, onTap func()) *tapRow {
	r := &tapRow{hooks: h, content: content, onTap: onTap}
	r.ExtendBaseWidget(r)
	return r
}

func (r *tapRow) CreateRenderer() fyne.WidgetRenderer {
	r.bg = canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	r.bg.CornerRadius = 4
	r.paint()
	return widget.NewSimpleRenderer(container.NewStack(r.bg,
		container.New(layout.NewCustomPaddedLayout(2, 2, 6, 6), r.content)))
}

func (r *tapRow) paint() {
	if r.bg == nil {
		return
	}
	switch {
	case r.focused:
		r.bg.FillColor = theme.Color(theme.ColorNameFocus)
	case r.hovered:
		r.bg.FillColor = theme.Color(theme.ColorNameHover)
	default:
		r.bg.FillColor = theme.Color(theme.ColorNameBackground)
	}
	r.bg.Refresh()
}

func (r *tapRow) Tapped(*fyne.PointEvent) {
	r.hooks.touch()
	r.onTap()
}

func (r *tapRow) FocusGained() { r.focused = true; r.paint() }
func (r *tapRow) FocusLost()   { r.focused = false; r.paint() }
func (r *tapRow) TypedRune(c rune) {
	r.hooks.touch()
	r.hooks.strayRune(c)
}

func (r *tapRow) TypedKey(k *fyne.KeyEvent) {
	r.hooks.touch()
	if r.hooks.typedKey(k.Name) {
		return
	}
	switch k.Name {
	case fyne.KeySpace:
		r.hooks.pressed(r) // its character is not for the next field
		r.onTap()
	case fyne.KeyReturn, fyne.KeyEnter:
		r.onTap()
	case fyne.KeyEscape:
		r.hooks.escape()
	case fyne.KeyDown, fyne.KeyRight:
		if r.move != nil {
			r.move(1)
		}
	case fyne.KeyUp, fyne.KeyLeft:
		if r.move != nil {
			r.move(-1)
		}
	}
}

func (r *tapRow) TypedShortcut(s fyne.Shortcut) {
	r.hooks.touch()
	if cs, ok := windowShortcut(s); ok {
		r.hooks.shortcut(cs)
	}
}

func (r *tapRow) MouseIn(*desktop.MouseEvent)    { r.hovered = true; r.paint() }
func (r *tapRow) MouseMoved(*desktop.MouseEvent) {}
func (r *tapRow) MouseOut()                      { r.hovered = false; r.paint() }

// Cursor shows a hand over a row that opens something.
func (r *tapRow) Cursor() desktop.Cursor { return desktop.PointerCursor }
