package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// formDialog is a small dialog of labelled fields (an allergy, a problem,
// a medication, an addendum) whose button does its work through a service
// off the Fyne goroutine. Input the service refuses shows its sentence in
// the dialog, which stays open with what was typed.
type formDialog struct {
	d   *dialog.CustomDialog
	ok  *widget.Button
	msg messageLabel
}

// askForm shows a form dialog: intro above the label/field pairs, Enter in
// a one-line field or the button runs do off the Fyne goroutine; after,
// when set, runs on the Fyne goroutine after each attempt with its result
// (on success once the dialog closed). The keyboard starts in first.
func (sess *session) askForm(title, action, intro string, pairs []fyne.CanvasObject, first fyne.Focusable,
	do func(ctx context.Context) error, after func(error)) *formDialog {
	u := sess.a
	fd := &formDialog{msg: newMessageLabel()}
	fd.ok = button(u.input, action, theme.ConfirmIcon(), widget.HighImportance, func() {
		fd.ok.Disable()
		fd.msg.clear()
		sess.run(func(ctx context.Context) func() {
			err := do(ctx)
			return func() {
				fd.ok.Enable()
				if err != nil {
					fd.msg.error(message(err))
				} else {
					fd.d.Hide()
				}
				if after != nil {
					after(err)
				}
			}
		})
	})
	for _, o := range pairs {
		if e, ok := o.(*entry); ok && !e.MultiLine {
			e.OnSubmitted = func(string) { fd.ok.OnTapped() }
		}
	}
	cancel := button(u.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() { fd.d.Hide() })
	content := container.NewVBox()
	if intro != "" {
		content.Add(wrapped(intro))
	}
	content.Add(formGrid(pairs...))
	content.Add(fd.msg)
	fd.d = dialog.NewCustomWithoutButtons(title, content, u.win)
	fd.d.SetButtons([]fyne.CanvasObject{cancel, fd.ok})
	fd.d.Resize(fyne.NewSize(520, 0))
	u.dialogs.showDialog(fd.d)
	if first != nil {
		u.win.Canvas().Focus(first)
	}
	return fd
}

// parseDay reads a date typed YYYY-MM-DD; empty is no date.
func parseDay(what, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, app.Invalidf("write the %s as YYYY-MM-DD, for example 2026-03-14", what)
	}
	return t, nil
}
