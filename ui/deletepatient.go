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

// reasonDialog asks why a registration is deleted or restored, or why a
// restricted chart is opened, and does it with the reason: a deletion or a
// restore is a new version (a tombstone for a deletion) that syncs to
// every workstation, a break-glass an access audited with its reason.
type reasonDialog struct {
	d      *dialog.CustomDialog
	reason *entry
	ok     *widget.Button
	msg    messageLabel
}

// askDelete withdraws the chart's registration, made in error, after a
// stated reason; then goes back to the search.
func (d *demographics) askDelete() {
	p := d.v.p
	d.del = d.askReason("Delete registration", "Delete registration",
		"Delete "+visible.Line(p.MRN)+" ("+displayName(p)+") as registered in error? Nothing is erased: the deletion is recorded "+
			"as a new version that every workstation receives, its history stays readable and a records manager can "+
			"restore it. A chart with documents filed cannot be deleted: merge it into the right patient instead.",
		"for example: registered twice by mistake",
		func(ctx context.Context, reason string) (app.Patient, error) {
			return d.sess.s.Patients().Delete(ctx, p.ID, reason)
		},
		func(app.Patient) { d.sess.a.nav.showSearch() })
}

// askRestore brings back a deleted registration and shows it again.
func (d *demographics) askRestore() {
	p := d.v.p
	d.del = d.askReason("Restore registration", "Restore",
		"Restore "+visible.Line(p.MRN)+" ("+displayName(p)+"), deleted as registered in error? It becomes an ordinary patient again on every workstation.",
		"for example: documents were filed to it",
		func(ctx context.Context, reason string) (app.Patient, error) {
			return d.sess.s.Patients().Restore(ctx, p.ID, reason)
		},
		func(back app.Patient) { d.sess.a.nav.showPatient(back, nil) })
}

// askReason asks for the reason of a change to the chart's registration,
// made by do; done runs on success.
func (d *demographics) askReason(title, action, text, placeholder string,
	do func(context.Context, string) (app.Patient, error), done func(app.Patient)) *reasonDialog {
	return askReason(d.sess, reasonQuestion{title: title, text: text, placeholder: placeholder,
		action: action, icon: theme.ConfirmIcon(), importance: widget.DangerImportance,
		do: do, done: func(p app.Patient, _ string) { done(p) }})
}

// reasonQuestion is what a reasonDialog asks, and what it does with the
// reason: do runs off the UI goroutine, done on success.
type reasonQuestion struct {
	title, text, placeholder string
	// action, icon and importance make the button that goes ahead.
	action     string
	icon       fyne.Resource
	importance widget.Importance
	do         func(ctx context.Context, reason string) (app.Patient, error)
	done       func(p app.Patient, reason string)
}

// askReason opens a dialog that asks for a reason (a few words) and runs
// q's do with it; done runs on success.
func askReason(sess *session, q reasonQuestion) *reasonDialog {
	u := sess.a
	rd := &reasonDialog{reason: newEntry(u.input, q.placeholder), msg: newMessageLabel()}
	rd.ok = button(u.input, q.action, q.icon, q.importance, func() {
		reason := strings.TrimSpace(rd.reason.Text)
		if len(reason) < 5 {
			rd.msg.error("Give a reason of a few words.")
			u.win.Canvas().Focus(rd.reason)
			return
		}
		rd.ok.Disable()
		sess.run(func(ctx context.Context) func() {
			p, err := q.do(ctx, reason)
			return func() {
				rd.ok.Enable()
				if err != nil {
					rd.msg.error(message(err))
					return
				}
				rd.d.Hide()
				q.done(p, reason)
			}
		})
	})
	rd.reason.OnSubmitted = func(string) { rd.ok.OnTapped() }
	cancel := button(u.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() { rd.d.Hide() })
	content := container.NewVBox(wrapped(q.text), formGrid(fieldLabel("Reason"), rd.reason), rd.msg)
	rd.d = dialog.NewCustomWithoutButtons(q.title, content, u.win)
	rd.d.SetButtons([]fyne.CanvasObject{cancel, rd.ok})
	rd.d.Resize(fyne.NewSize(560, 0))
	u.dialogs.showDialog(rd.d)
	u.win.Canvas().Focus(rd.reason)
	return rd
}
