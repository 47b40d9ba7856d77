package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// demographics is the chart's Demographics tab: contact, next of kin and
// notes, with Edit (Ctrl+E), History (Ctrl+H), the cover sheet
// (scanning.go) and the registration's delete or restore
// (deletepatient.go).
type demographics struct {
	sess *session
	v    *patientScreen // the chart: its patient

	box      fyne.CanvasObject
	values   []*widget.Label // every PHI value shown, cleared by forget
	editBtn  *widget.Button
	histBtn  *widget.Button
	coverBtn *widget.Button
	// coverPrint is the Print button of the cover sheet dialog, once open.
	coverPrint *widget.Button
	delBtn     *widget.Button // delete the registration, or restore it
	del        *reasonDialog  // the open delete or restore question
}

// newDemographics makes the Demographics tab of v's patient, its buttons
// shown as far as the user's role and the record allow.
func newDemographics(v *patientScreen) *demographics {
	sess, p := v.sess, v.p
	u := sess.a
	d := &demographics{sess: sess, v: v}
	d.editBtn = button(u.input, "Edit  (Ctrl+E)", theme.DocumentCreateIcon(), widget.MediumImportance, d.edit)
	d.histBtn = button(u.input, "History  (Ctrl+H)", theme.HistoryIcon(), widget.MediumImportance, d.history)
	if !sess.user.Roles.Can(app.PermPatientWrite) || p.MergedInto != "" {
		d.editBtn.Hide()
	}
	d.coverBtn = button(u.input, "Cover sheet…", theme.DocumentPrintIcon(), widget.MediumImportance, d.askCoverSheet)
	if !sess.user.Roles.Can(app.PermDocImport) || p.MergedInto != "" {
		d.coverBtn.Hide()
	}
	if p.Deleted {
		d.delBtn = button(u.input, "Restore registration…", theme.ContentUndoIcon(), widget.MediumImportance, d.askRestore)
	} else {
		d.delBtn = button(u.input, "Delete registration…", theme.DeleteIcon(), widget.MediumImportance, d.askDelete)
	}
	if !sess.user.Roles.Can(app.PermPatientMerge) || p.MergedInto != "" || len(p.Merged) > 0 {
		d.delBtn.Hide()
	}

	// row shows a value already made visible (visible.Line, or visible.Text
	// where the label shows several lines).
	row := func(label, value string) []fyne.CanvasObject {
		l := valueLabel()
		if value == "" {
			l.SetText("—")
			l.Importance = widget.LowImportance
		} else {
			l.SetText(value)
		}
		d.values = append(d.values, l)
		return []fyne.CanvasObject{fieldLabel(label), l}
	}
	var contact, other []fyne.CanvasObject
	contact = append(contact, row("Phone", visible.Line(p.Phone))...)
	contact = append(contact, row("Village", visible.Line(p.Village))...)
	contact = append(contact, row("Address", visible.Line(p.Address))...)
	contact = append(contact, row("National ID", visible.Line(p.NationalID))...)
	other = append(other, row("Next of kin", kinText(p.NextOfKin))...)
	other = append(other, row("Other names", visible.Line(strings.Join(p.OtherNames, ", ")))...)
	other = append(other, row("Notes", visible.Text(p.Notes))...) // several lines: its breaks kept
	changed := whenText(p.Changed)
	if p.ChangedBy != "" {
		changed += " by " + visible.Line(p.ChangedBy)
	}
	other = append(other, row("Last changed", changed)...)

	details := container.NewGridWithColumns(2,
		container.NewVBox(sectionTitle("Contact"), formGrid(contact...)),
		container.NewVBox(sectionTitle("Next of kin and notes"), formGrid(other...)),
	)
	actions := container.NewHBox(d.delBtn, layout.NewSpacer(), d.coverBtn, d.histBtn, d.editBtn)
	d.box = newScroller(u.input, container.New(layout.NewCustomPaddedLayout(8, 8, 0, 0), container.NewVBox(
		panel(container.NewVBox(details, widget.NewSeparator(), actions)))))
	return d
}

// forget clears every value shown.
func (d *demographics) forget() {
	for _, l := range d.values {
		l.SetText("")
	}
}

// edit amends the demographics in the patient form.
func (d *demographics) edit() {
	d.sess.a.show(newPatientForm(d.sess, d.v.p, true))
}

// history reads the versions (audited) and shows them.
func (d *demographics) history() {
	p, sess := d.v.p, d.sess
	sess.run(func(ctx context.Context) func() {
		hist, err := sess.s.Patients().History(ctx, p.ID)
		return func() {
			if err != nil {
				sess.a.dialogs.showError("History", err)
				return
			}
			sess.a.show(newHistoryScreen(sess, p, hist))
		}
	})
}
