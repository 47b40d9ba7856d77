package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// encounterScreen is one visit: the editor of its author's draft
// (visitform.go, saved as they type: draftsave.go), or, once signed (or
// for anyone else), the note read-only with its addenda (visitreading.go);
// both with the scanned documents linked to it (visitdocs.go). Esc goes
// back to the chart.
type encounterScreen struct {
	sess *session
	ref  string        // the chart to go back to (MRN or id)
	enc  app.Encounter // as last read or saved; no ID for a new visit not saved yet
	form *visitForm    // the author's draft; nil when read-only
	read *visitReading // the note read-only; nil while editing
	docs *visitDocs

	title   *widget.RichText
	status  messageLabel
	saveBtn *widget.Button
	signBtn *widget.Button
	addBtn  *widget.Button // an addendum
	linkBtn *widget.Button
	// printBtn prints or saves the signed note, referBtn a referral
	// letter built from it (visitprint.go).
	printBtn *widget.Button
	referBtn *widget.Button
	body     *fyne.Container
	frame    *fyne.Container // the whole screen, laid out again when buttons show
	scroll   *container.Scroll
	box      fyne.CanvasObject

	draft draftSaver
}

// newVisit opens the editor on a new visit of the chart's patient, seen
// now; it is saved (as a draft) once something is typed.
func (v *patientScreen) newVisit() {
	if !canNote(v.sess.user.Roles) || v.p.MergedInto != "" {
		return
	}
	ref := v.p.MRN
	if ref == "" {
		ref = v.p.ID
	}
	s := newEncounterScreen(v.sess, ref)
	v.sess.a.show(s)
	now := v.sess.a.now().Local().Truncate(time.Minute)
	s.showVisit(app.Encounter{PatientID: v.p.ID, Type: app.EncOutpatient, Time: now, Clinician: v.sess.user.Name, MRN: v.p.MRN})
}

func newEncounterScreen(sess *session, ref string) *encounterScreen {
	u := sess.a
	v := &encounterScreen{sess: sess, ref: ref, status: newMessageLabel()}
	v.title = widget.NewRichText(&widget.TextSegment{Text: "Opening the visit…", Style: styleBold})
	back := button(u.input, "Back to the chart  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, func() { v.escape() })
	v.saveBtn = button(u.input, "Save draft  Ctrl+S", theme.DocumentSaveIcon(), widget.MediumImportance, func() { v.saveNow(true) })
	v.signBtn = button(u.input, "Sign…  Ctrl+Shift+S", theme.ConfirmIcon(), widget.HighImportance, v.askSign)
	v.addBtn = button(u.input, "Add addendum…  Ctrl+M", theme.ContentAddIcon(), widget.HighImportance, v.askAddendum)
	v.linkBtn = button(u.input, "Documents…  Ctrl+D", theme.DocumentIcon(), widget.MediumImportance, v.askLink)
	v.printBtn = printButton(u.input, "Print / Save PDF…", v.askPrint)
	v.referBtn = button(u.input, "Referral letter…", theme.MailSendIcon(), widget.MediumImportance, v.askReferral)
	for _, b := range []*widget.Button{v.saveBtn, v.signBtn, v.addBtn, v.linkBtn, v.printBtn, v.referBtn} {
		b.Hide()
	}
	v.docs = newVisitDocs(v)
	v.body = container.NewStack()
	v.scroll = newScroller(u.input, container.New(layout.NewCustomPaddedLayout(4, 8, 0, 8),
		container.NewVBox(v.body, v.docs.box)))
	top := container.NewVBox(container.NewHBox(back, layout.NewSpacer()), v.title, v.status)
	actions := container.NewHBox(v.linkBtn, layout.NewSpacer(), v.printBtn, v.referBtn, v.saveBtn, v.signBtn, v.addBtn)
	v.frame = container.NewBorder(top, actions, nil, nil, v.scroll)
	v.box = screenMargin(column(1100, v.frame))
	return v
}

// showVisit shows e: its author's draft in the editor, anything else
// read-only.
func (v *encounterScreen) showVisit(e app.Encounter) {
	v.enc = e
	v.title.Segments = visitTitle(e)
	v.title.Refresh()
	mine := e.Signed == nil && e.Clinician == v.sess.user.Name && canNote(v.sess.user.Roles)
	v.linkBtn.Show()
	if mine {
		if v.form == nil {
			v.form = newVisitForm(v.sess.a.input, v.changed)
		}
		v.form.fill(e)
		v.body.Objects = []fyne.CanvasObject{v.form.box}
		v.saveBtn.Show()
		v.signBtn.Show()
		v.addBtn.Hide()
		v.printBtn.Hide()
		v.referBtn.Hide()
	} else {
		v.form = nil
		v.read = newVisitReading(e)
		v.body.Objects = []fyne.CanvasObject{v.read.box}
		v.saveBtn.Hide()
		v.signBtn.Hide()
		v.printBtn.Hide()
		v.referBtn.Hide()
		switch {
		case e.Signed == nil && canNote(v.sess.user.Roles):
			v.signBtn.Show() // refused with the app's sentence: not the author
		case e.Signed != nil:
			v.printBtn.Show()
			if canNote(v.sess.user.Roles) {
				v.addBtn.Show()
				v.referBtn.Show()
			}
		}
	}
	if !canNote(v.sess.user.Roles) {
		v.linkBtn.Hide()
	}
	v.body.Refresh()
	v.docs.show(e)
	v.frame.Refresh()
	reflow(v.scroll)
	if mine {
		v.sess.a.win.Canvas().Focus(v.form.kind)
	}
}

// tell says how the visit stands (saved, signed) above it; tellError
// says what went wrong. The screen is laid out again around the line.
func (v *encounterScreen) tell(s string) {
	v.status.info(s)
	v.frame.Refresh()
}

func (v *encounterScreen) tellError(s string) {
	v.status.error(s)
	v.frame.Refresh()
}

// visitTitle is "Outpatient visit · Tuesday 14 October 2026, 09:30 · MRN KAB-000123".
func visitTitle(e app.Encounter) []widget.RichTextSegment {
	segs := []widget.RichTextSegment{
		&widget.TextSegment{Text: visible.Line(e.Type.Label()), Style: styleBold},
		&widget.TextSegment{Text: "   " + e.Time.Local().Format("Monday 2 January 2006, 15:04"), Style: styleRegular},
	}
	if e.MRN != "" {
		segs = append(segs, &widget.TextSegment{Text: "   MRN " + visible.Line(e.MRN), Style: styleMuted})
	}
	if e.ID == "" {
		segs = append(segs, &widget.TextSegment{Text: "   new, not saved yet", Style: styleMuted})
	}
	return segs
}

func (v *encounterScreen) view() fyne.CanvasObject { return v.box }

func (v *encounterScreen) focusFirst() fyne.Focusable { return nil }

// forget saves a draft typed and not saved yet (or, when it cannot be,
// keeps it to go back to: saveOnLeave), then clears every field.
func (v *encounterScreen) forget() {
	v.saveOnLeave()
	v.enc = app.Encounter{}
	if v.form != nil {
		v.form.forget()
		v.form = nil // a save already on its way finds nothing to read
	}
	v.title.Segments = nil
	v.title.Refresh()
	v.body.RemoveAll()
	v.docs.forget()
	v.read = nil
}

// escape goes back to the chart.
func (v *encounterScreen) escape() bool {
	if v.ref != "" {
		v.sess.a.nav.openPatient(v.ref)
	} else {
		v.sess.a.nav.showSearch()
	}
	return true
}

func (v *encounterScreen) shortcut(k fyne.KeyName) bool {
	return keyActions{fyne.KeyS: func() { v.saveNow(true) }, fyne.KeyD: v.askLink, fyne.KeyM: v.askAddendum}.run(k)
}

func (v *encounterScreen) shiftShortcut(k fyne.KeyName) bool {
	return keyActions{fyne.KeyS: v.askSign}.run(k)
}
