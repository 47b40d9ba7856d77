package ui

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// This file is the frame around the screens: the navigation sidebar with
// the places a role works in, and the sync indicator.

// place is one destination of the sidebar.
type place int

// The places, in the sidebar's order: a clinician's own work first.
const (
	placeMyNotes place = iota
	placeMyQueries
	placePatients
	placeScanning
	placeQueue
	placeQA
	placeCoding
	placeDeficiencies
	placeAdmin
	placeCount
)

// sidebar lists the places of the signed-in user's role; the current one
// is highlighted. Hidden while nobody is signed in.
type sidebar struct {
	view  *fyne.Container
	items [placeCount]*widget.Button
	sync  *widget.RichText
	// conflicts opens the conflicts screen; shown while records are in
	// conflict, to those who resolve them (resolve).
	conflicts *widget.Button
	resolve   bool
	// labels are the places' names and keys, before any count.
	labels [placeCount]string
	// counting is set while the coding and deficiency counts are read;
	// recount asks for another read after it (App.refreshCodingCounts).
	counting, recount bool
}

func newSidebar(u *App) *sidebar {
	sb := &sidebar{}
	sb.items[placeMyNotes] = button(u.input, "To sign   Ctrl+7", theme.DocumentCreateIcon(), widget.LowImportance, u.nav.showMyNotes)
	sb.items[placeMyQueries] = button(u.input, "Coding queries   Ctrl+8", theme.QuestionIcon(), widget.LowImportance, u.nav.showMyQueries)
	sb.items[placePatients] = button(u.input, "Patients   Ctrl+F", theme.SearchIcon(), widget.LowImportance, u.nav.showSearch)
	sb.items[placeScanning] = button(u.input, "Scanning   Ctrl+I", theme.DocumentIcon(), widget.LowImportance, u.nav.showScanning)
	sb.items[placeQueue] = button(u.input, "Indexing queue   Ctrl+J", theme.ListIcon(), widget.LowImportance, u.nav.showQueue)
	sb.items[placeQA] = button(u.input, "QA   Ctrl+K", theme.ConfirmIcon(), widget.LowImportance, u.nav.showQA)
	sb.items[placeCoding] = button(u.input, "Coding   Ctrl+6", theme.ListIcon(), widget.LowImportance, u.nav.showCoding)
	sb.items[placeDeficiencies] = button(u.input, "Deficiencies   Ctrl+9", theme.WarningIcon(), widget.LowImportance, u.nav.showDeficiencies)
	sb.items[placeAdmin] = button(u.input, "Administration   Ctrl+U", theme.AccountIcon(), widget.LowImportance, u.nav.showUsers)
	for p, b := range sb.items {
		b.Alignment = widget.ButtonAlignLeading
		sb.labels[p] = b.Text
	}
	sb.sync = muted("Not connected to an archive")
	sb.sync.Wrapping = fyne.TextWrapWord
	sb.conflicts = button(u.input, "Resolve conflicts", theme.WarningIcon(), widget.WarningImportance, u.nav.showConflicts)
	sb.conflicts.Alignment = widget.ButtonAlignLeading
	sb.conflicts.Hide()
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(230, 0))
	bg := canvas.NewRectangle(theme.Color(colorNameSurface))
	line := canvas.NewRectangle(theme.Color(theme.ColorNameSeparator))
	line.SetMinSize(fyne.NewSize(1, 0))
	list := container.NewVBox()
	for _, b := range sb.items {
		list.Add(b)
	}
	body := container.New(layout.NewCustomPaddedLayout(12, 12, 8, 8),
		container.NewBorder(list, container.NewVBox(widget.NewSeparator(), sb.sync, sb.conflicts), nil, nil))
	sb.view = container.NewBorder(nil, nil, nil, line, container.NewStack(width, bg, body))
	sb.view.Hide()
	return sb
}

// setSync shows the sync engine's state.
func (sb *sidebar) setSync(st app.SyncStatus) {
	text := st.Text
	if st.Detail != "" {
		text += "\n" + st.Detail
	}
	seg := &widget.TextSegment{Text: text, Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder, Inline: true, SizeName: theme.SizeNameCaptionText}}
	if st.Problem {
		seg.Style.ColorName = theme.ColorNameError
	}
	sb.sync.Segments = []widget.RichTextSegment{seg}
	sb.sync.Refresh()
	sb.conflicts.SetText("Resolve " + plural(st.Conflicts, "conflict", "conflicts") + "…")
	sb.showConflicts(st.Conflicts > 0)
}

// setCounts shows beside the queue and QA how many documents wait there
// (and the orphans among the queue's).
func (sb *sidebar) setCounts(c app.WorkCounts) {
	show := sb.count
	queue := ""
	switch {
	case c.Queue > 0 && c.Orphans > 0:
		queue = fmt.Sprintf(" (%d, %s)", c.Queue, plural(c.Orphans, "orphan", "orphans"))
	case c.Queue > 0:
		queue = fmt.Sprintf(" (%d)", c.Queue)
	}
	show(placeQueue, queue)
	qa := ""
	if c.QA > 0 {
		qa = fmt.Sprintf(" (%d)", c.QA)
	}
	show(placeQA, qa)
}

// count shows count (" (3)", or "") after the name of place p.
func (sb *sidebar) count(p place, count string) {
	name, keys, _ := strings.Cut(sb.labels[p], "   ")
	text := name + count
	if keys != "" {
		text += "   " + keys
	}
	if sb.items[p].Text != text {
		sb.items[p].SetText(text)
	}
}

// setCodingCounts shows beside Coding how many signed encounters wait
// for coding, and beside a clinician's places how many of their notes
// are unsigned and how many queries wait for their answer.
func (sb *sidebar) setCodingCounts(c app.CodingCounts) {
	n := func(k int) string {
		if k > 0 {
			return fmt.Sprintf(" (%d)", k)
		}
		return ""
	}
	sb.count(placeCoding, n(c.Waiting))
	sb.count(placeMyNotes, n(c.Unsigned))
	sb.count(placeMyQueries, n(c.MyQueries))
}

// showConflicts shows the conflicts button to those who resolve them.
func (sb *sidebar) showConflicts(some bool) {
	if some && sb.resolve {
		sb.conflicts.Show()
	} else {
		sb.conflicts.Hide()
	}
}

// showPlace shows the screen newScreen makes for place p, when someone is
// signed in who works there.
func showPlace[S screen](u *App, p place, newScreen func(*session) S) {
	showFor(u, func(r app.RoleSet) bool { return allowed(r, p) }, newScreen)
}

// showFor shows the screen newScreen makes, when someone is signed in
// whose roles may open it.
func showFor[S screen](u *App, may func(app.RoleSet) bool, newScreen func(*session) S) {
	if u.sess == nil || !may(u.sess.user.Roles) {
		return
	}
	u.show(newScreen(u.sess))
}

// allowed reports whether roles r work in place p (any of them does).
func allowed(r app.RoleSet, p place) bool {
	switch p {
	case placeScanning:
		return canScan(r)
	case placeQueue:
		return r.Can(app.PermDocIndex)
	case placeQA:
		return r.Can(app.PermDocVerify)
	case placeAdmin:
		return r.Can(app.PermUserManage)
	case placeCoding:
		return canCode(r)
	case placeMyNotes, placeMyQueries:
		return canWriteNotes(r)
	case placeDeficiencies:
		return canSeeDeficiencies(r)
	}
	return true
}

// setUser shows the places any of user's roles works in, or hides the bar (signed out).
func (sb *sidebar) setUser(user app.User) {
	sb.resolve = user.Roles.Can(app.PermPatientMerge)
	sb.counting, sb.recount = false, false // a count of the session before is dropped
	if user.Name == "" {
		sb.view.Hide()
		sb.conflicts.Hide()
		return
	}
	for p, b := range sb.items {
		if allowed(user.Roles, place(p)) {
			b.Show()
		} else {
			b.Hide()
		}
	}
	sb.view.Show()
}

// setCurrent highlights the place a screen belongs to.
func (sb *sidebar) setCurrent(s screen) {
	cur := placeOf(s)
	for p, b := range sb.items {
		imp := widget.LowImportance
		if place(p) == cur {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
	}
}

// placeOf is the sidebar place a screen belongs to.
func placeOf(s screen) place {
	switch s.(type) {
	case *scanScreen:
		return placeScanning
	case *queueScreen:
		return placeQueue
	case *qaScreen:
		return placeQA
	case *usersScreen, *settingsScreen, *syncAdminScreen, *auditScreen, *integrityScreen:
		return placeAdmin
	case *codingWorklistScreen, *codingScreen:
		return placeCoding
	case *myNotesScreen:
		return placeMyNotes
	case *myQueriesScreen:
		return placeMyQueries
	case *deficiencyScreen:
		return placeDeficiencies
	case *conflictsScreen:
		return placeCount // none of the places: reached from the sync indicator and the menu
	}
	return placePatients
}
