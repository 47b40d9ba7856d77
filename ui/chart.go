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
// documents, the thumbnail grid, and the access log. The header and the
// Demographics tab are in patient.go.

// allTypes is the type filter's choice that shows every document.
const allTypes = "All types"

// chart is the state of the chart's tabs (Fyne goroutine only).
type chart struct {
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

// buildTabs makes the chart's tabs around the demographics.
func (v *patientScreen) buildTabs(demo fyne.CanvasObject) {
	u, role := v.sess.a, v.sess.user.Roles
	v.thumbs = map[string]*canvas.Image{}
	v.kindFilter = newChoice(u, timelineFilters(role.Can(app.PermEncounterRead)), func(string) {
		v.timeShown = 0
		v.drawTimeline()
	})
	v.kindFilter.Selected = allTypes
	v.timeline = container.NewVBox(wrapped("Loading the documents…"))
	v.timeScroll = newScroller(u, v.timeline)
	hint := muted(chartKeys)
	hint.Truncation = fyne.TextTruncateEllipsis
	timeTop := container.NewBorder(nil, nil, nil, container.NewHBox(fieldLabel("Show"), v.kindFilter),
		container.NewVBox(layout.NewSpacer(), hint, layout.NewSpacer()))
	v.timeTab = container.NewTabItem("Timeline", container.NewBorder(
		container.New(layout.NewCustomPaddedLayout(8, 4, 0, 0), timeTop), nil, nil, nil,
		v.timeScroll))

	v.gridNote = wrapped("Loading the documents…")
	v.grid = container.NewGridWrap(fyne.NewSize(176, 262))
	v.gridScroll = newScroller(u,
		container.New(layout.NewCustomPaddedLayout(8, 8, 0, 0), container.NewVBox(v.gridNote, v.grid)))
	v.gridTab = container.NewTabItem("Documents", v.gridScroll)

	v.syncStates = map[string]app.RecordSync{}
	v.timeBadges, v.gridBadges = map[string]*syncBadge{}, map[string]*syncBadge{}
	v.patientSync = newSyncBadge(false)
	what := widget.NewLabel("Demographics:")
	what.SizeName = theme.SizeNameCaptionText
	v.patientResolve = link(u, "Resolve…", u.showConflicts)
	v.patientResolve.SizeName = theme.SizeNameCaptionText
	v.patientResolve.Hide()
	v.patientRow = container.New(layout.NewCustomPaddedLayout(4, 0, 0, 0),
		container.NewHBox(layout.NewSpacer(), container.NewCenter(what), v.patientSync.box, container.NewCenter(v.patientResolve)))
	v.patientRow.Hide()
	v.demoTab = container.NewTabItem("Demographics", container.NewBorder(v.patientRow, nil, nil, nil, demo))

	v.accessNote = wrapped("Loading who opened this chart…")
	v.accessRows = container.NewVBox()
	v.accessTab = container.NewTabItem("Access log", newScroller(u,
		container.New(layout.NewCustomPaddedLayout(8, 8, 0, 0), container.NewVBox(v.accessNote, v.accessRows))))

	var items []*container.TabItem
	if role.Can(app.PermDocRead) {
		items = append(items, v.timeTab, v.gridTab)
	}
	items = append(items, v.demoTab)
	if role.Can(app.PermAuditRead) {
		items = append(items, v.accessTab)
	}
	v.tabs = container.NewAppTabs(items...)
	v.loadSyncStates()
	v.tabs.OnSelected = func(t *container.TabItem) {
		u.touch()
		switch t {
		case v.gridTab:
			if !v.gridDrawn && v.docs != nil {
				v.drawGrid()
			}
			v.loadThumbs()
		case v.accessTab:
			v.loadAccess()
		}
		v.focusTab()
	}
}

// chartKeys says how to work the chart from the keyboard.
const chartKeys = "↑ ↓ choose, Enter opens.  Ctrl+Page Down / Up: next / previous tab."

// nextTab shows the tab delta places on, round the tabs (Ctrl+Page Down,
// Ctrl+Page Up): the tab bar itself takes no keyboard focus.
func (v *patientScreen) nextTab(delta int) {
	n := len(v.tabs.Items)
	if n == 0 {
		return
	}
	v.tabs.SelectIndex(((v.tabs.SelectedIndex()+delta)%n + n) % n)
}

// focusTab gives the keyboard to the first document of the tab on show
// (Timeline or Documents), or takes it from a row of a tab now hidden, so
// that Enter never opens a document nobody sees.
func (v *patientScreen) focusTab() {
	c := v.sess.a.win.Canvas()
	var rows []*tapRow
	var s *container.Scroll
	switch v.tabs.Selected() {
	case v.timeTab:
		rows, s = v.timeRows, v.timeScroll
	case v.gridTab:
		rows, s = v.gridCards, v.gridScroll
	}
	if len(rows) == 0 {
		c.Unfocus()
		return
	}
	v.focusRow(rows, 0, s)
}

// focusRow gives the keyboard to rows[i], scrolled into view.
func (v *patientScreen) focusRow(rows []*tapRow, i int, s *container.Scroll) {
	if i < 0 || i >= len(rows) {
		return
	}
	v.sess.a.win.Canvas().Focus(rows[i])
	if i == 0 {
		s.ScrollToTop() // with the date heading above the first row
		return
	}
	d := v.sess.a.fyne.Driver()
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
func (v *patientScreen) hasTab(t *container.TabItem) bool {
	return slices.Contains(v.tabs.Items, t)
}

// forgetChart drops every document, thumbnail and audit entry shown.
func (v *patientScreen) forgetChart() {
	v.gen++
	v.docs, v.timeDocs, v.timeRows, v.gridCards, v.access = nil, nil, nil, nil, nil
	v.encs, v.timeItems, v.timeShown = nil, nil, 0
	v.gridDrawn = false
	clear(v.syncStates)
	clear(v.timeBadges)
	clear(v.gridBadges)
	if v.timeline != nil {
		v.timeline.RemoveAll()
		v.grid.RemoveAll()
		v.accessRows.RemoveAll()
	}
	for id, img := range v.thumbs {
		img.Image = nil
		delete(v.thumbs, id)
	}
}

// loadDocuments reads the patient's documents, visits and summary (one
// opening of the chart: three audited list reads, never each record) off
// the Fyne goroutine and draws the timeline, the grid and the summary.
func (v *patientScreen) loadDocuments() {
	roles := v.sess.user.Roles
	docsToo, encsToo, sumToo := v.hasTab(v.timeTab), roles.Can(app.PermEncounterRead), v.summary != nil
	sess, ref, gen := v.sess, v.p.ID, v.gen
	sess.run(func(ctx context.Context) func() {
		c := sess.s.Chart().Open(ctx, ref, app.ChartParts{Documents: docsToo, Encounters: encsToo, Summary: sumToo})
		slices.SortStableFunc(c.Documents, func(a, b app.Document) int { return b.Date.Compare(a.Date) })
		return func() {
			if v.gen != gen {
				return
			}
			if sumToo {
				v.summary.show(c.Summary, c.SummaryErr)
				v.frame.Refresh()
			}
			if !docsToo {
				return
			}
			if c.DocumentsErr != nil {
				v.docsErr = "The documents could not be read: " + message(c.DocumentsErr)
			}
			if c.EncountersErr != nil {
				v.encsErr = "The visits could not be read: " + message(c.EncountersErr)
			}
			v.docs, v.encs = c.Documents, c.Encounters
			if v.docs == nil {
				v.docs = []app.Document{}
			}
			v.drawTimeline()
			v.gridDrawn = false // drawn when its tab shows: a big chart has thousands of cards
			if v.tabs.Selected() == v.gridTab {
				v.drawGrid()
				v.loadThumbs()
			}
			v.loadSyncStates()
			if sess.a.cur == screen(v) && sess.a.win.Canvas().Focused() == nil {
				v.focusTab() // the keyboard starts on the newest entry
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
func (v *patientScreen) drawGrid() {
	u := v.sess.a
	v.gridDrawn = true
	v.grid.RemoveAll()
	v.gridCards = nil
	clear(v.gridBadges)
	switch {
	case v.docsErr != "":
		v.gridNote.SetText(v.docsErr)
		v.gridNote.Show()
		return
	case len(v.docs) == 0:
		v.gridNote.SetText("No documents scanned for this patient yet.")
		v.gridNote.Show()
		return
	}
	v.gridNote.Hide()
	for _, d := range v.docs {
		img, ok := v.thumbs[d.ID]
		if !ok {
			img = canvas.NewImageFromImage(nil)
			img.FillMode = canvas.ImageFillContain
			img.SetMinSize(fyne.NewSize(150, 190))
			v.thumbs[d.ID] = img
		}
		date := "date not known"
		if !d.Date.IsZero() {
			date = d.Date.Format(time.DateOnly)
		}
		badge := newSyncBadge(true)
		badge.set(v.syncStates[d.ID])
		v.gridBadges[d.ID] = badge
		card := container.NewBorder(nil,
			container.NewVBox(
				widget.NewLabelWithStyle(docTypeText(d.Type), fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
				widget.NewLabelWithStyle(date+"  ·  "+plural(len(d.Pages), "page", "pages"), fyne.TextAlignCenter, fyne.TextStyle{}),
				badge.box),
			nil, nil, img)
		id, i := d.ID, len(v.gridCards)
		c := newTapRow(u, card, func() { u.showDocument(id) })
		c.move = func(delta int) { v.focusRow(v.gridCards, i+delta, v.gridScroll) }
		v.gridCards = append(v.gridCards, c)
		v.grid.Add(c)
	}
}

// loadSyncStates asks where the patient and the documents on show stand
// with the archive (one read of the vault, off the Fyne goroutine) and
// shows it on their badges. Without an archive nothing is shown.
func (v *patientScreen) loadSyncStates() {
	ask := v.sess.a.opts.SyncStates
	if ask == nil || v.p.ID == "" {
		return
	}
	items := []app.SyncItem{{Kind: app.KindPatient, ID: v.p.ID}}
	for _, d := range v.docs {
		items = append(items, documentSyncItem(d))
	}
	sess, gen := v.sess, v.gen
	sess.run(func(ctx context.Context) func() {
		states, err := ask(ctx, items)
		if err != nil || len(states) != len(items) {
			return nil // the badges stay as they were
		}
		return func() {
			if v.gen != gen {
				return
			}
			for i, it := range items {
				v.syncStates[it.ID] = states[i]
			}
			v.paintSync()
		}
	})
}

// syncSettled reads the sync states again once a sync round has ended.
func (v *patientScreen) syncSettled() { v.loadSyncStates() }

// paintSync shows the sync states on the badges.
func (v *patientScreen) paintSync() {
	st := v.syncStates[v.p.ID]
	v.patientSync.set(st)
	if st == app.SyncNone {
		v.patientRow.Hide()
	} else {
		v.patientRow.Show()
	}
	if st == app.SyncConflict && v.sess.user.Roles.Can(app.PermPatientMerge) {
		v.patientResolve.Show()
	} else {
		v.patientResolve.Hide()
	}
	for id, b := range v.timeBadges {
		b.set(v.syncStates[id])
	}
	for id, b := range v.gridBadges {
		b.set(v.syncStates[id])
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
func (v *patientScreen) loadThumbs() {
	if v.thumbsOnce || v.docs == nil || len(v.docs) == 0 {
		return
	}
	v.thumbsOnce = true
	sess, gen := v.sess, v.gen
	docs := slices.Clone(v.docs)
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
			if v.gen != gen {
				return
			}
			for id, img := range imgs {
				if c, ok := v.thumbs[id]; ok {
					c.Image = img
					c.Refresh()
				}
			}
		}
	})
}

// loadAccess reads who opened this chart (the read is itself audited),
// newest first, once.
func (v *patientScreen) loadAccess() {
	if v.accessOnce || !v.hasTab(v.accessTab) {
		return
	}
	v.accessOnce = true
	sess, mrn, gen := v.sess, v.p.MRN, v.gen
	sess.run(func(ctx context.Context) func() {
		events, err := sess.s.Audit().Events(ctx, app.AuditFilter{PatientMRN: mrn, Limit: 500})
		slices.Reverse(events)
		return func() {
			if v.gen != gen {
				return
			}
			if err != nil {
				v.accessNote.SetText("The access log could not be read: " + message(err))
				return
			}
			v.access = events
			v.drawAccess()
		}
	})
}

func (v *patientScreen) drawAccess() {
	v.accessRows.RemoveAll()
	if len(v.access) == 0 {
		v.accessNote.SetText("Nobody has opened this chart yet.")
		return
	}
	v.accessNote.SetText(plural(len(v.access), "entry", "entries") +
		", newest first. Every opening of the chart and its documents is recorded.")
	var cells []fyne.CanvasObject
	for _, e := range v.access {
		// A detail (a break-glass reason) is a person's text: one line,
		// nothing hidden, so it cannot draw lines that look like entries.
		who := widget.NewRichText(&widget.TextSegment{Text: visible.Line(e.User), Style: styleBold})
		what := widget.NewRichText(&widget.TextSegment{Text: actionText(e), Style: styleRegular})
		if d := detailText(e); d != "" {
			what.Segments = append(what.Segments, &widget.TextSegment{Text: "   " + visible.Line(d), Style: styleMuted})
		}
		what.Wrapping = fyne.TextWrapWord
		cells = append(cells, widget.NewLabel(whenText(e.Time)), who, what)
	}
	v.accessRows.Add(container.New(&accessLayout{}, cells...))
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
