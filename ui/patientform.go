package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// patientForm registers a new patient or amends one. A registration looks
// for possible duplicates first and shows them; an amendment names the
// version it edited, so a change made meanwhile by someone else is not
// overwritten (app.ErrConflict).
type patientForm struct {
	sess  *session
	orig  app.Patient // the version being amended; zero for a registration
	amend bool

	family, given, other *entry
	sex                  *choice
	dob                  *entry
	estimated            *check
	dobHint              *widget.Label
	dobRow               *fyne.Container
	phone, nationalID    *entry
	village, address     *entry
	kinName, kinRel      *entry
	kinPhone             *entry
	notes                *entry
	restricted           *check

	msg       messageLabel
	saveBtn   *widget.Button
	cancelBtn *widget.Button
	busy      *widget.Activity
	box       fyne.CanvasObject

	dups *duplicatesDialog // on show while the clerk decides
}

func newPatientForm(sess *session, orig app.Patient, amend bool) *patientForm {
	u := sess.a
	f := &patientForm{sess: sess, orig: orig, amend: amend}
	f.family = newEntry(u.input, "")
	f.given = newEntry(u.input, "")
	f.other = newEntry(u.input, "aliases, maiden name; separate with commas")
	f.sex = newChoice(u.input, sexOptions, nil)
	f.dob = newEntry(u.input, "YYYY-MM-DD, YYYY-MM or YYYY")
	f.dobHint = widget.NewLabel("")
	f.dobHint.Importance = widget.LowImportance
	f.estimated = newCheck(u.input, "estimated", func(bool) { f.updateDOBHint() })
	f.dob.OnChanged = func(string) { f.updateDOBHint() }
	f.phone = newEntry(u.input, "")
	f.nationalID = newEntry(u.input, "")
	f.village = newEntry(u.input, "")
	f.address = newEntry(u.input, "")
	f.kinName = newEntry(u.input, "name")
	f.kinRel = newEntry(u.input, "for example mother, spouse")
	f.kinPhone = newEntry(u.input, "")
	f.notes = newMultiLineEntry(u.input, "anything the next person at the desk should know", 3)
	f.restricted = newCheck(u.input, "Restricted chart: opening it needs a reason", nil)
	f.msg = newMessageLabel()
	f.busy = widget.NewActivity()
	f.busy.Hide()

	title := "Register a new patient"
	saveText := "Save and register  (Ctrl+S)"
	if amend {
		title = "Edit " + displayName(orig) + "  ·  " + orig.MRN
		saveText = "Save changes  (Ctrl+S)"
	}
	f.saveBtn = button(u.input, saveText, theme.DocumentSaveIcon(), widget.HighImportance, f.submit)
	f.cancelBtn = button(u.input, "Cancel  (Esc)", theme.CancelIcon(), widget.MediumImportance, f.cancel)
	f.fill(orig)

	// Single-line fields submit the form with Enter.
	for _, e := range []*entry{f.family, f.given, f.other, f.dob, f.phone, f.nationalID, f.village,
		f.address, f.kinName, f.kinRel, f.kinPhone} {
		e.OnSubmitted = func(string) { f.submit() }
	}

	// "estimated" and the age stand under the date, which so keeps the
	// column's width (beside it, at 1024 px, the date showed 8 characters).
	f.dobRow = container.NewVBox(f.dob, container.NewHBox(f.estimated, f.dobHint))
	left := container.NewVBox(
		sectionTitle("Name"),
		formGrid(
			formLabel("Family name"), f.family,
			formLabel("Given names"), f.given,
			formLabel("Other names"), f.other,
		),
		sectionTitle("Birth and sex"),
		formGrid(
			formLabel("Sex"), f.sex,
			formLabel("Date of birth"), f.dobRow,
		),
		sectionTitle("Identity and contact"),
		formGrid(
			formLabel("Phone"), f.phone,
			formLabel("National ID"), f.nationalID,
			formLabel("Village"), f.village,
			formLabel("Address"), f.address,
		),
	)
	right := container.NewVBox(
		sectionTitle("Next of kin"),
		formGrid(
			formLabel("Name"), f.kinName,
			formLabel("Relationship"), f.kinRel,
			formLabel("Phone"), f.kinPhone,
		),
		sectionTitle("Notes"),
		f.notes,
		f.restricted,
	)
	actions := container.NewHBox(f.cancelBtn, layout.NewSpacer(), container.NewCenter(f.busy), f.saveBtn)
	form := panel(container.NewVBox(
		heading(title),
		widget.NewSeparator(),
		container.NewGridWithColumns(2, left, right),
		f.msg,
		widget.NewSeparator(),
		actions,
	))
	f.box = scrollingColumn(u, 1040, form)
	return f
}

// formLabel is a label of the patient form; all are as wide as the widest,
// so the sections' fields line up.
func formLabel(s string) fyne.CanvasObject { return fieldLabelW(s, 104) }

func sectionTitle(s string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Importance = widget.HighImportance
	return l
}

func (f *patientForm) view() fyne.CanvasObject    { return f.box }
func (f *patientForm) focusFirst() fyne.Focusable { return f.family }

// fill puts a patient's values in the fields.
func (f *patientForm) fill(p app.Patient) {
	f.family.SetText(p.Family)
	f.given.SetText(p.Given)
	f.other.SetText(strings.Join(p.OtherNames, ", "))
	if p.Sex == "" {
		f.sex.ClearSelected()
	} else {
		f.sex.SetSelected(sexOption(p.Sex))
	}
	f.dob.SetText(strings.TrimSuffix(p.BirthDate.String(), "~"))
	f.estimated.SetChecked(p.BirthDate.Estimated)
	f.phone.SetText(p.Phone)
	f.nationalID.SetText(p.NationalID)
	f.village.SetText(p.Village)
	f.address.SetText(p.Address)
	f.kinName.SetText(p.NextOfKin.Name)
	f.kinRel.SetText(p.NextOfKin.Relationship)
	f.kinPhone.SetText(p.NextOfKin.Phone)
	f.notes.SetText(p.Notes)
	f.restricted.SetChecked(p.Restricted)
	f.updateDOBHint()
}

func (f *patientForm) forget() {
	f.fill(app.Patient{})
	f.orig = app.Patient{}
	if f.dups != nil {
		f.dups.d.Hide()
		f.dups = nil
	}
}

func (f *patientForm) escape() bool {
	f.cancel()
	return true
}

func (f *patientForm) shortcut(k fyne.KeyName) bool {
	return keyActions{fyne.KeyS: f.submit}.run(k)
}

func (f *patientForm) cancel() {
	if f.amend {
		f.sess.a.nav.showPatient(f.orig, nil)
		return
	}
	f.sess.a.nav.showSearch()
}

// updateDOBHint shows the age the typed date gives, or what is wrong
// with it, as the clerk types.
func (f *patientForm) updateDOBHint() {
	if f.dobRow != nil {
		defer f.dobRow.Refresh()
	}
	s := strings.TrimSpace(f.dob.Text)
	if s == "" {
		f.dobHint.SetText("")
		return
	}
	b, err := app.ParseBirthDate(s)
	if err != nil {
		f.dobHint.SetText("YYYY-MM-DD")
		return
	}
	b.Estimated = f.estimated.Checked
	if age := ageText(b, f.sess.a.now()); age != "" {
		f.dobHint.SetText("age " + age)
	} else {
		f.dobHint.SetText("")
	}
}

// patient reads the form into a patient, starting from the version being
// amended (so fields the form does not show are kept).
func (f *patientForm) patient() (app.Patient, error) {
	p := f.orig
	p.Family = strings.TrimSpace(f.family.Text)
	p.Given = strings.TrimSpace(f.given.Text)
	p.OtherNames = nil
	for _, n := range strings.Split(f.other.Text, ",") {
		if n = strings.TrimSpace(n); n != "" {
			p.OtherNames = append(p.OtherNames, n)
		}
	}
	if f.sex.Selected == "" {
		return p, app.Invalidf("choose the patient's sex (Unknown if it is not known)")
	}
	p.Sex = sexFromLabel(f.sex.Selected)
	if s := strings.TrimSpace(f.dob.Text); s != "" {
		b, err := app.ParseBirthDate(s)
		if err != nil {
			return p, err
		}
		b.Estimated = b.Estimated || f.estimated.Checked
		p.BirthDate = b
	} else {
		p.BirthDate = app.BirthDate{}
	}
	p.Phone = strings.TrimSpace(f.phone.Text)
	p.NationalID = strings.TrimSpace(f.nationalID.Text)
	p.Village = strings.TrimSpace(f.village.Text)
	p.Address = strings.TrimSpace(f.address.Text)
	p.NextOfKin = app.NextOfKin{
		Name:         strings.TrimSpace(f.kinName.Text),
		Relationship: strings.TrimSpace(f.kinRel.Text),
		Phone:        strings.TrimSpace(f.kinPhone.Text),
	}
	p.Notes = strings.TrimSpace(f.notes.Text)
	p.Restricted = f.restricted.Checked
	check := p
	check.OtherNames = append([]string(nil), p.OtherNames...)
	if err := check.Validate(f.sess.a.now()); err != nil {
		return p, err
	}
	return p, nil
}

// submit saves: an amendment at once; a registration after the duplicate
// check, which may stop to ask the clerk.
func (f *patientForm) submit() {
	if f.saveBtn.Disabled() || f.dups != nil {
		return
	}
	p, err := f.patient()
	if err != nil {
		f.msg.error(message(err))
		return
	}
	f.setBusy(true)
	s := f.sess.s
	if f.amend {
		f.sess.run(func(ctx context.Context) func() {
			saved, err := s.Patients().Amend(ctx, p)
			var fresh app.Patient
			var reloadErr error
			if errors.Is(err, app.ErrConflict) {
				fresh, reloadErr = s.Patients().Open(ctx, p.ID)
			}
			return func() { f.amended(saved, err, fresh, reloadErr) }
		})
		return
	}
	f.sess.run(func(ctx context.Context) func() {
		dups, err := s.Patients().FindDuplicates(ctx, p)
		if err != nil {
			return func() { f.setBusy(false); f.msg.error(message(err)) }
		}
		if len(dups) > 0 {
			return func() { f.setBusy(false); f.showDuplicates(p, dups) }
		}
		reg, err := s.Patients().Register(ctx, p)
		return func() { f.registered(reg, err) }
	})
}

// register registers p without a duplicate check: the clerk has seen the
// candidates and says this is a new person.
func (f *patientForm) register(p app.Patient) {
	f.setBusy(true)
	s := f.sess.s
	f.sess.run(func(ctx context.Context) func() {
		reg, err := s.Patients().Register(ctx, p)
		return func() { f.registered(reg, err) }
	})
}

func (f *patientForm) registered(reg []app.Patient, err error) {
	f.setBusy(false)
	if err != nil {
		f.msg.error(message(err))
		return
	}
	p := reg[0]
	f.sess.a.nav.showPatient(p, registeredNote(p))
}

// registeredNote is the banner that shows a new MRN prominently.
func registeredNote(p app.Patient) fyne.CanvasObject {
	return banner(bannerGood, theme.ConfirmIcon(), container.NewVBox(
		widget.NewLabelWithStyle("New patient registered. Write the MRN on the patient's card:", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		text(visible.Line(p.MRN), widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true, Bold: true}, SizeName: sizeNameTitle}),
	))
}

func (f *patientForm) amended(saved app.Patient, err error, fresh app.Patient, reloadErr error) {
	f.setBusy(false)
	switch {
	case errors.Is(err, app.ErrConflict) && reloadErr == nil:
		f.sess.a.nav.showPatient(fresh, banner(bannerCaution, theme.WarningIcon(), wrapped(
			"Someone else changed this record while you were editing it; it has been reloaded. "+
				"Your changes were not saved: press Edit and make them again.")))
	case err != nil:
		f.msg.error(message(err))
	default:
		f.sess.a.nav.showPatient(saved, banner(bannerGood, theme.ConfirmIcon(), widget.NewLabel("Changes saved as a new version.")))
	}
}

func (f *patientForm) setBusy(busy bool) {
	if busy {
		f.msg.clear()
	}
	setEnabled(!busy, f.saveBtn)
	spin(f.busy, busy)
}

// duplicatesDialog shows the registered patients that may be the person
// being registered, with why and how sure, and lets the clerk open one,
// register anyway, or go back to the form.
type duplicatesDialog struct {
	d       *dialog.CustomDialog
	open    []*widget.Button // "Open existing", one per candidate
	anyway  *widget.Button
	cancel  *widget.Button
	matches []app.Match
}

func (f *patientForm) showDuplicates(p app.Patient, ms []app.Match) {
	u := f.sess.a
	dd := &duplicatesDialog{matches: ms}
	rows := container.NewVBox()
	for i, m := range ms {
		c := m.Patient
		open := button(u.input, "Open existing", theme.NavigateNextIcon(), widget.MediumImportance, func() {
			dd.d.Hide()
			f.dups = nil
			u.nav.openPatient(c.ID)
		})
		dd.open = append(dd.open, open)
		name := widget.NewRichText(
			&widget.TextSegment{Text: familyText(c), Style: styleBold},
			&widget.TextSegment{Text: givenText(c) + "   ", Style: styleRegular},
			&widget.TextSegment{Text: visible.Line(c.MRN), Style: widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true}, Inline: true}},
		)
		why := fmt.Sprintf("%s  ·  match %d%%", strings.Join(m.Reasons, ", "), int(m.Score*100+0.5))
		card := container.NewBorder(nil, nil, nil, container.NewCenter(open), container.NewVBox(
			name,
			muted(summary(c, u.now())),
			text(why, widget.RichTextStyle{ColorName: theme.ColorNameWarning, TextStyle: fyne.TextStyle{Italic: true}}),
		))
		if i > 0 {
			rows.Add(widget.NewSeparator())
		}
		rows.Add(card)
	}
	intro := wrapped(fmt.Sprintf("These may be the same person as %s, born %s. "+
		"Open the existing record if it is the same person; register a new patient only if you are sure it is not.",
		displayName(p), birthText(p.BirthDate, u.now())))
	dd.anyway = button(u.input, "Register as new patient anyway", theme.ContentAddIcon(), widget.WarningImportance, func() {
		dd.d.Hide()
		f.dups = nil
		f.register(p)
	})
	dd.cancel = button(u.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() {
		dd.d.Hide()
		f.dups = nil
		u.win.Canvas().Focus(f.family)
	})
	scroll := newScroller(u.input, rows)
	scroll.SetMinSize(fyne.NewSize(0, min(float32(len(ms))*124, 330)))
	content := container.NewBorder(intro, nil, nil, nil, scroll)
	dd.d = dialog.NewCustomWithoutButtons("Possible duplicates", content, u.win)
	dd.d.SetButtons([]fyne.CanvasObject{dd.cancel, dd.anyway})
	dd.d.Resize(fyne.NewSize(780, 0))
	f.dups = dd
	u.dialogs.showDialog(dd.d)
	u.win.Canvas().Focus(dd.cancel)
}
