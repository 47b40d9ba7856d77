package ui

import (
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// visitForm is the fields of a draft visit, in Tab order: the visit (type,
// date and time, site, reason), the vital signs (vitals.go), and the note
// (history, examination, assessment, plan). Every change calls changed,
// which schedules the draft's save.
type visitForm struct {
	kind    *choice
	when    *entry
	site    *entry
	reason  *entry
	vitals  *vitalsBlock
	history *entry
	exam    *entry
	assess  *entry
	plan    *entry
	filling bool // fill is setting the fields: no change to save
	box     fyne.CanvasObject
}

// visitTimeLayout is how the date and time of service are typed.
const visitTimeLayout = "2006-01-02 15:04"

func encounterLabels() []string {
	out := make([]string, len(app.EncounterTypes))
	for i, t := range app.EncounterTypes {
		out[i] = t.Label()
	}
	return out
}

func newVisitForm(h inputHooks, changed func()) *visitForm {
	f := &visitForm{}
	edit := func() {
		if !f.filling {
			changed()
		}
	}
	f.kind = newChoice(h, encounterLabels(), func(string) { edit() })
	f.when = newEntry(h, "YYYY-MM-DD HH:MM")
	f.site = newEntry(h, "clinic or ward")
	f.reason = newEntry(h, "why the patient came")
	for _, e := range []*entry{f.when, f.site, f.reason} {
		e.OnChanged = func(string) { edit() }
	}
	f.vitals = newVitalsBlock(h, edit)
	note := func(placeholder string) *entry {
		e := newMultiLineEntry(h, placeholder, 3)
		e.tabMoves = true
		e.OnChanged = func(string) { edit() }
		return e
	}
	f.history = note("History: presenting complaint, its course, relevant history")
	f.exam = note("Examination: findings")
	f.assess = note("Assessment: the diagnosis or impression")
	f.plan = note("Plan: treatment, tests, advice, follow-up")

	lw := visitLabelWidth()
	visit := container.New(layout.NewCustomPaddedVBoxLayout(2),
		row(fieldLabelW("Type", lw), f.kind),
		row(fieldLabelW("Seen", lw), f.when),
		row(fieldLabelW("Site", lw), f.site),
		row(fieldLabelW("Reason", lw), f.reason))
	left := container.NewVBox(sectionTitle("Visit"), visit, sectionTitle("Vital signs"), f.vitals.box)
	right := container.NewVBox(sectionTitle("Note"),
		noteSection("History", f.history), noteSection("Examination", f.exam),
		noteSection("Assessment", f.assess), noteSection("Plan", f.plan))
	f.box = container.New(&twoColumns{left: 330}, left, right)
	return f
}

// row is a label and a field on one line.
func row(label fyne.CanvasObject, field fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, label, nil, field)
}

// noteSection is a note section's heading above its field.
func noteSection(title string, e *entry) fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedVBoxLayout(0), fieldCaption(title), e)
}

// fieldCaption is a bold caption above a field.
func fieldCaption(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// read returns the visit typed onto e (its id and version kept), or the
// first field the window cannot read.
func (f *visitForm) read(e app.Encounter) (app.Encounter, error) {
	t, err := time.ParseInLocation(visitTimeLayout, strings.TrimSpace(f.when.Text), time.Local)
	if err != nil {
		return e, app.Invalidf("write when the patient was seen as YYYY-MM-DD HH:MM, for example 2026-03-14 09:30")
	}
	typ, err := app.ParseEncounterType(f.kind.Selected)
	if err != nil {
		return e, err
	}
	v, err := f.vitals.read()
	if err != nil {
		return e, err
	}
	e.Time, e.Type, e.Site, e.Reason, e.Vitals = t, typ, f.site.Text, f.reason.Text, v
	e.Note = app.Note{History: f.history.Text, Examination: f.exam.Text, Assessment: f.assess.Text, Plan: f.plan.Text}
	return e, nil
}

// readAll reads the form as read does, leaving out what cannot be read
// (the time kept as e had it, a sign that is not a number left empty) and
// naming what it left out.
func (f *visitForm) readAll(e app.Encounter) (app.Encounter, []string) {
	var left []string
	if t, err := time.ParseInLocation(visitTimeLayout, strings.TrimSpace(f.when.Text), time.Local); err == nil {
		e.Time = t
	} else {
		left = append(left, "time of the visit")
	}
	if typ, err := app.ParseEncounterType(f.kind.Selected); err == nil {
		e.Type = typ
	}
	var v app.Vitals
	for {
		var err error
		v, err = f.vitals.readWithout(left)
		var vital *app.VitalsError
		if !errors.As(err, &vital) {
			break
		}
		left = append(left, f.vitals.words(vital.Field))
	}
	e.Site, e.Reason, e.Vitals = f.site.Text, f.reason.Text, v
	e.Note = app.Note{History: f.history.Text, Examination: f.exam.Text, Assessment: f.assess.Text, Plan: f.plan.Text}
	return e, left
}

// visitText is what is typed in the editor, as typed, readable or not.
type visitText struct {
	kind   string
	fields []string // textFields' texts
	weight bool     // the weight confirmed as kilograms
}

// textFields are the form's text fields in Tab order.
func (f *visitForm) textFields() []*entry {
	out := []*entry{f.when, f.site, f.reason}
	for _, v := range f.vitals.fields {
		out = append(out, v.field)
	}
	return append(out, f.history, f.exam, f.assess, f.plan)
}

// text returns what is typed.
func (f *visitForm) text() visitText {
	t := visitText{kind: f.kind.Selected, weight: f.vitals.confirm.Visible() && f.vitals.confirm.Checked}
	for _, e := range f.textFields() {
		t.fields = append(t.fields, e.Text)
	}
	return t
}

// setText types t back into the fields, as changes to save.
func (f *visitForm) setText(t visitText) {
	f.kind.SetSelected(t.kind)
	for i, e := range f.textFields() {
		e.SetText(t.fields[i])
	}
	if t.weight {
		f.vitals.confirm.SetChecked(true)
		f.vitals.confirm.Show()
	}
}

// fill shows e in the fields.
func (f *visitForm) fill(e app.Encounter) {
	f.filling = true
	defer func() { f.filling = false }()
	f.kind.SetSelected(e.Type.Label())
	f.when.SetText(e.Time.Local().Format(visitTimeLayout))
	f.site.SetText(e.Site)
	f.reason.SetText(e.Reason)
	f.vitals.fill(e.Vitals)
	f.history.SetText(e.Note.History)
	f.exam.SetText(e.Note.Examination)
	f.assess.SetText(e.Note.Assessment)
	f.plan.SetText(e.Note.Plan)
}

// fields are the form's fields in Tab order.
func (f *visitForm) fields() []fyne.Focusable {
	out := []fyne.Focusable{f.kind, f.when, f.site, f.reason}
	for _, v := range f.vitals.fields {
		out = append(out, v.field)
	}
	return append(out, f.history, f.exam, f.assess, f.plan)
}

// forget empties every field.
func (f *visitForm) forget() {
	f.filling = true
	for _, e := range []*entry{f.when, f.site, f.reason, f.history, f.exam, f.assess, f.plan} {
		e.SetText("")
	}
	f.vitals.forget()
}

// twoColumns lays two objects side by side, the first left wide (or
// narrower on a small window), the second taking the rest; as tall as
// the taller.
type twoColumns struct{ left float32 }

const columnGap = 16

func (c *twoColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(a.Width, c.left)+columnGap+b.Width, max(a.Height, b.Height))
}

func (c *twoColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := max(objs[0].MinSize().Width, c.left)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(w, size.Height))
	objs[1].Move(fyne.NewPos(w+columnGap, 0))
	objs[1].Resize(fyne.NewSize(size.Width-w-columnGap, size.Height))
}
