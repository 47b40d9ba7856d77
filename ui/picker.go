package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// patientPicker is a field that finds a patient as the clerk types a name,
// an MRN or a date of birth: the matches show under it, ↑ ↓ choose, Enter
// takes one. The chosen patient is then named in full under the field, so
// a document is never filed to a bare number. The indexing queue and the
// station's cover-sheet form use it.
type patientPicker struct {
	sess   *session
	field  *entry
	rows   *fyne.Container // the matches, as buttons
	chosen *widget.RichText
	list   *fyne.Container // chosen and rows
	box    *fyne.Container // the field and list, made by view

	// onSubmit runs on Enter when no match list is open (the queue files).
	onSubmit func()
	// grew runs when the matches or the chosen patient under the field
	// changed: the screen makes room for them.
	grew func()

	// Fyne goroutine only.
	matches []app.Match
	sel     int
	patient app.Patient // the chosen patient; zero when none
	gen     int
	stop    func()
	setting bool // the field is being set by the picker, not typed
}

// pickerLimit is how many matches the picker offers.
const pickerLimit = 6

func newPatientPicker(sess *session, placeholder string) *patientPicker {
	pk := &patientPicker{sess: sess, sel: -1}
	pk.field = newEntry(sess.a.input, placeholder)
	pk.field.OnChanged = pk.changed
	pk.field.OnSubmitted = func(string) { pk.submit() }
	pk.field.onKey = pk.key
	pk.rows = container.NewVBox()
	pk.chosen = widget.NewRichText()
	pk.chosen.Wrapping = fyne.TextWrapWord
	pk.list = container.NewVBox(pk.chosen, pk.rows)
	pk.chosen.Hide()
	pk.rows.Hide()
	return pk
}

// view is the field with the chosen patient or the matches under it.
func (pk *patientPicker) view() fyne.CanvasObject {
	if pk.box == nil {
		pk.box = container.NewVBox(pk.field, pk.list)
	}
	return pk.box
}

// under is the chosen patient or the matches alone, for a screen that
// puts the field in a form and them under the form's row (view is then
// not used).
func (pk *patientPicker) under() fyne.CanvasObject { return pk.list }

// set puts a value in the field (a proposal's MRN) and looks it up, so the
// patient it names is shown; empty clears the picker.
func (pk *patientPicker) set(ref string) {
	pk.cancelPending()
	pk.setting = true
	pk.field.SetText(ref)
	pk.setting = false
	pk.patient = app.Patient{}
	pk.showMatches(nil)
	pk.drawChosen("")
	if strings.TrimSpace(ref) != "" {
		pk.search(ref, true)
	}
}

// value is what the queue files to: the chosen patient's MRN, or what was
// typed when nothing was chosen (an MRN the vault will check).
func (pk *patientPicker) value() string {
	if pk.patient.MRN != "" {
		return pk.patient.MRN
	}
	return strings.TrimSpace(pk.field.Text)
}

// clear forgets the patient and the matches.
func (pk *patientPicker) clear() { pk.set("") }

// changed runs at each key: the chosen patient is dropped and a search is
// scheduled for when typing pauses.
func (pk *patientPicker) changed(q string) {
	if pk.setting {
		return
	}
	pk.patient = app.Patient{}
	pk.drawChosen("")
	pk.cancelPending()
	if strings.TrimSpace(q) == "" {
		pk.showMatches(nil)
		return
	}
	gen, ctx := pk.gen, pk.sess.ctx
	pk.stop = pk.sess.a.tasks.after(pk.sess.a.searchDelay, func() func() {
		if ctx.Err() != nil {
			return nil
		}
		return pk.lookup(ctx, gen, q, false)
	})
}

// search looks q up now (off the Fyne goroutine); with exact, a single
// match whose MRN is q is chosen at once.
func (pk *patientPicker) search(q string, exact bool) {
	pk.cancelPending()
	gen := pk.gen
	pk.sess.run(func(ctx context.Context) func() { return pk.lookup(ctx, gen, q, exact) })
}

func (pk *patientPicker) lookup(ctx context.Context, gen int, q string, exact bool) func() {
	ms, err := pk.sess.s.Patients().Search(ctx, q, pickerLimit)
	return func() {
		if gen != pk.gen || ctx.Err() != nil {
			return
		}
		switch {
		case err != nil:
			pk.showMatches(nil)
			pk.drawChosen(message(err))
		case exact && len(ms) > 0 && strings.EqualFold(ms[0].Patient.MRN, strings.TrimSpace(q)):
			pk.choose(ms[0].Patient)
		case exact:
			pk.drawChosen("No registered patient has this MRN. Type a name to find the patient.")
		case len(ms) == 0:
			pk.showMatches(nil)
			pk.drawChosen("No patient found. Check the spelling, or try the MRN or date of birth.")
		default:
			pk.showMatches(ms)
		}
	}
}

// showMatches lists ms under the field, the first one highlighted.
func (pk *patientPicker) showMatches(ms []app.Match) {
	pk.matches = ms
	pk.sel = -1
	if len(ms) > 0 {
		pk.sel = 0
	}
	pk.drawRows()
}

func (pk *patientPicker) drawRows() {
	pk.rows.RemoveAll()
	now := pk.sess.a.now()
	for i, m := range pk.matches {
		p := m.Patient
		// Whole, never cut short: a long name or summary wraps.
		name := widget.NewRichText(
			&widget.TextSegment{Text: familyText(p), Style: styleBold},
			&widget.TextSegment{Text: givenText(p) + "   ", Style: styleRegular},
			&widget.TextSegment{Text: visible.Line(p.MRN), Style: widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true}, Inline: true}})
		name.Wrapping = fyne.TextWrapWord
		details := muted(summary(p, now))
		details.Wrapping = fyne.TextWrapWord
		row := newTapRow(pk.sess.a.input, container.New(layout.NewCustomPaddedVBoxLayout(-10), name, details), func() { pk.choose(p) })
		row.focused = i == pk.sel
		pk.rows.Add(row)
	}
	if len(pk.matches) > 0 {
		pk.rows.Add(muted("↑ ↓ choose, Enter takes the highlighted patient"))
		pk.rows.Show()
	} else {
		pk.rows.Hide()
	}
	pk.rows.Refresh()
	pk.makeRoom()
}

// choose takes p: its MRN goes in the field and its identity under it.
func (pk *patientPicker) choose(p app.Patient) {
	pk.setting = true
	pk.field.SetText(p.MRN)
	pk.setting = false
	pk.patient = p
	pk.showMatches(nil)
	pk.drawChosen("")
}

// drawChosen names the chosen patient, or says note.
func (pk *patientPicker) drawChosen(note string) {
	p := pk.patient
	switch {
	case p.MRN != "":
		pk.chosen.Segments = []widget.RichTextSegment{
			&widget.TextSegment{Text: familyText(p), Style: styleBold},
			&widget.TextSegment{Text: givenText(p) + "   ", Style: styleRegular},
			&widget.TextSegment{Text: summary(p, pk.sess.a.now()), Style: styleMuted},
		}
	case note != "":
		pk.chosen.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: note, Style: styleMuted}}
	default:
		pk.chosen.Segments = nil
	}
	if len(pk.chosen.Segments) == 0 {
		pk.chosen.Hide() // no empty line under the field
	} else {
		pk.chosen.Show()
	}
	pk.chosen.Refresh()
	pk.makeRoom()
}

func (pk *patientPicker) makeRoom() {
	if pk.grew != nil {
		pk.grew()
	}
}

// key moves the highlight through the matches with the arrow keys.
func (pk *patientPicker) key(k *fyne.KeyEvent) bool {
	n := len(pk.matches)
	switch k.Name {
	case fyne.KeyDown:
		if n > 0 {
			pk.sel = min(pk.sel+1, n-1)
			pk.drawRows()
		}
		return n > 0
	case fyne.KeyUp:
		if n > 0 {
			pk.sel = max(pk.sel-1, 0)
			pk.drawRows()
		}
		return n > 0
	case fyne.KeyEscape:
		if n > 0 {
			pk.showMatches(nil)
			return true
		}
	}
	return false
}

// submit takes the highlighted match, or hands Enter on.
func (pk *patientPicker) submit() {
	pk.cancelPending()
	if pk.sel >= 0 && pk.sel < len(pk.matches) {
		pk.choose(pk.matches[pk.sel].Patient)
		return
	}
	if pk.onSubmit != nil {
		pk.onSubmit()
	}
}

// cancelPending drops a search scheduled for when typing pauses, and the
// answer of one already asked.
func (pk *patientPicker) cancelPending() {
	if pk.stop != nil {
		pk.stop()
		pk.stop = nil
	}
	pk.gen++
}
