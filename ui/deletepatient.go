package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// reasonDialog asks why a registration is deleted or restored, and does
// it: the change is a new version (a tombstone for a deletion) that syncs
// to every workstation.
type reasonDialog struct {
	d      *dialog.CustomDialog
	reason *entry
	ok     *widget.Button
	msg    messageLabel
}

// askDelete withdraws the chart's registration, made in error, after a
// stated reason; then goes back to the search.
func (v *patientScreen) askDelete() {
	p := v.p
	v.del = v.askReason("Delete registration", "Delete registration",
		"Delete "+visible.Line(p.MRN)+" ("+displayName(p)+") as registered in error? Nothing is erased: the deletion is recorded "+
			"as a new version that every workstation receives, its history stays readable and a records manager can "+
			"restore it. A chart with documents filed cannot be deleted: merge it into the right patient instead.",
		"for example: registered twice by mistake",
		func(ctx context.Context, reason string) (app.Patient, error) {
			return v.sess.s.Patients().Delete(ctx, p.ID, reason)
		},
		func(app.Patient) { v.sess.a.showSearch() })
}

// askRestore brings back a deleted registration and shows it again.
func (v *patientScreen) askRestore() {
	p := v.p
	v.del = v.askReason("Restore registration", "Restore",
		"Restore "+visible.Line(p.MRN)+" ("+displayName(p)+"), deleted as registered in error? It becomes an ordinary patient again on every workstation.",
		"for example: documents were filed to it",
		func(ctx context.Context, reason string) (app.Patient, error) {
			return v.sess.s.Patients().Restore(ctx, p.ID, reason)
		},
		func(back app.Patient) { v.sess.a.showPatient(back, nil) })
}

// askReason opens a dialog that asks for a reason (a few words) and runs
// do with it off the UI goroutine; done runs on success.
func (v *patientScreen) askReason(title, action, text, placeholder string,
	do func(context.Context, string) (app.Patient, error), done func(app.Patient)) *reasonDialog {
	u, sess := v.sess.a, v.sess
	rd := &reasonDialog{reason: newEntry(u, placeholder), msg: newMessageLabel()}
	rd.ok = button(u, action, theme.ConfirmIcon(), widget.DangerImportance, func() {
		reason := strings.TrimSpace(rd.reason.Text)
		if len(reason) < 5 {
			rd.msg.error("Give a reason of a few words.")
			u.win.Canvas().Focus(rd.reason)
			return
		}
		rd.ok.Disable()
		sess.run(func(ctx context.Context) func() {
			p, err := do(ctx, reason)
			return func() {
				rd.ok.Enable()
				if err != nil {
					rd.msg.error(message(err))
					return
				}
				rd.d.Hide()
				done(p)
			}
		})
	})
	rd.reason.OnSubmitted = func(string) { rd.ok.OnTapped() }
	cancel := button(u, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() { rd.d.Hide() })
	content := container.NewVBox(wrapped(text), formGrid(fieldLabel("Reason"), rd.reason), rd.msg)
	rd.d = dialog.NewCustomWithoutButtons(title, content, u.win)
	rd.d.SetButtons([]fyne.CanvasObject{cancel, rd.ok})
	rd.d.Resize(fyne.NewSize(560, 0))
	u.showDialog(rd.d)
	u.win.Canvas().Focus(rd.reason)
	return rd
}
