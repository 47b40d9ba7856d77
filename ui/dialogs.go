package ui

import (
	"context"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// dialogs are the window's dialogs: every dialog is shown through
// showDialog, which remembers it until it closes (a lock hides them all)
// and keeps the Space that pressed one of its buttons out of the field
// under it; the dialogs that only say something (Help, About, errors) are
// notes, which Esc and Enter close, last on top.
type dialogs struct {
	a    *App
	open map[dialog.Dialog]bool // open dialogs, hidden at lock
	// notes are the open dialogs that only say something, last on top:
	// Esc or Enter closes the top one.
	notes   []*dialog.CustomDialog
	lastErr string               // the text of the last error dialog (tests read it)
	help    *dialog.CustomDialog // the keyboard shortcuts dialog while open
	// helpScroll is Help's list, which ↓ ↑ and the page keys scroll.
	helpScroll *container.Scroll
}

// hideAll closes every open dialog (at lock).
func (ds *dialogs) hideAll() {
	for d := range ds.open {
		d.Hide()
	}
	clear(ds.open)
}

// showDialog shows d and remembers it until it closes, so a lock can hide
// it. Every dialog of the window is shown through it: it is where a Space
// on one of Fyne's own dialog buttons (Yes, No, Cancel, Save…, which
// [button] does not make) is kept out of the field under the dialog.
func (ds *dialogs) showDialog(d dialog.Dialog) {
	ds.open[d] = true
	d.SetOnClosed(func() {
		delete(ds.open, d)
		ds.a.input.dialogClosed()
	})
	d.Show()
}

// showError shows a failure that has no better place than a dialog.
func (ds *dialogs) showError(title string, err error) {
	ds.lastErr = message(err)
	ds.showNote(title, wrapped(ds.lastErr), fyne.NewSize(460, 0))
}

// showNote shows a dialog that only says something, with a Close button
// that is one of ours (a Space on it is not typed into the field under
// the dialog). Nothing in it has the keyboard, so Esc and Enter reach the
// canvas, which closes it (a focused button would swallow them).
func (ds *dialogs) showNote(title string, body fyne.CanvasObject, size fyne.Size) *dialog.CustomDialog {
	var d *dialog.CustomDialog
	closeBtn := button(ds.a.input, "Close", theme.CancelIcon(), widget.MediumImportance, func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(title,
		container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), closeBtn), nil, nil, body), ds.a.win)
	d.Resize(size)
	ds.notes = append(ds.notes, d)
	ds.showDialog(d)
	d.SetOnClosed(func() {
		delete(ds.open, d)
		ds.notes = slices.DeleteFunc(ds.notes, func(n *dialog.CustomDialog) bool { return n == d })
		if ds.help == d {
			ds.help, ds.helpScroll = nil, nil
		}
	})
	return d
}

// showShortcuts shows every shortcut of the table in one dialog; F1, Esc
// or Enter (or its Close button) close it.
func (ds *dialogs) showShortcuts() {
	if ds.help != nil {
		return
	}
	grid := container.New(layout.NewFormLayout())
	area := ""
	for _, b := range keyBindings {
		if b.area != area {
			area = b.area
			if len(grid.Objects) > 0 {
				grid.Add(widget.NewLabel(""))
				grid.Add(widget.NewLabel(""))
			}
			grid.Add(layout.NewSpacer())
			grid.Add(text(area, styleBold))
		}
		grid.Add(widget.NewLabelWithStyle(b.keyText(), fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true}))
		grid.Add(widget.NewLabel(b.does))
	}
	ds.helpScroll = newScroller(ds.a.input, grid)
	ds.help = ds.showNote("Keyboard shortcuts", ds.helpScroll, fyne.NewSize(560, 600))
}

// toggleShortcuts opens the keyboard shortcuts, or closes them when they
// are open (F1).
func (ds *dialogs) toggleShortcuts() {
	if ds.help != nil {
		ds.help.Hide()
		return
	}
	ds.showShortcuts()
}

// noteKey runs a key typed while a note is open: Esc and Enter close the
// top one; ↓ ↑ and the page keys scroll Help when it is on top. False
// when no note is open or the key is not one of these.
func (ds *dialogs) noteKey(k fyne.KeyName) bool {
	n := len(ds.notes)
	if n == 0 {
		return false
	}
	switch k {
	case fyne.KeyEscape, fyne.KeyReturn, fyne.KeyEnter:
		ds.notes[n-1].Hide()
		return true
	}
	return ds.notes[n-1] == ds.help && ds.helpScroll != nil && scrollKey(ds.helpScroll, k)
}

// showAbout says what Folio is and under which licence.
func (ds *dialogs) showAbout() {
	ds.showNote("About Folio", wrapped("Folio keeps a clinic's health records on this computer, encrypted, "+
		"and files scanned paper charts to the right patient.\n\nFree software under the GNU Affero General Public "+
		"License, version 3 or later. It uses MuPDF (AGPL-3.0) and Tesseract (Apache-2.0)."), fyne.NewSize(480, 0))
}

// offerSave says why printing failed and offers to save the PDF instead.
func (ds *dialogs) offerSave(title, why string, save func()) {
	ds.lastErr = why
	d := dialog.NewCustomConfirm(title, "Save PDF…", "Cancel",
		wrapped(why+"\n\nSave the PDF instead, and print it from a computer that has a printer."),
		func(ok bool) {
			if ok {
				save()
			}
		}, ds.a.win)
	d.Resize(fyne.NewSize(480, 0))
	ds.showDialog(d)
}

// askOwnPassword lets the signed-in user choose a new password.
func (ds *dialogs) askOwnPassword() {
	sess := ds.a.sess
	if sess == nil {
		return
	}
	pass := newPasswordEntry(ds.a.input, "")
	again := newPasswordEntry(ds.a.input, "")
	msg := newMessageLabel()
	form := container.NewVBox(formGrid(fieldLabel("New password"), pass, fieldLabel("Again"), again),
		muted(passwordRule), msg.Label)
	var dlg *dialog.CustomDialog
	save := button(ds.a.input, "Change password", theme.ConfirmIcon(), widget.HighImportance, func() {
		if pass.Text != again.Text {
			msg.error("The two passwords differ.")
			return
		}
		pw := []byte(pass.Text)
		sess.run(func(ctx context.Context) func() {
			err := sess.s.Users().ChangePassword(ctx, sess.user.Name, pw)
			return func() {
				if err != nil {
					msg.error(message(err))
					return
				}
				dlg.Hide()
			}
		})
	})
	cancel := button(ds.a.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() { dlg.Hide() })
	dlg = dialog.NewCustomWithoutButtons("Your password", container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), cancel, save), nil, nil, form), ds.a.win)
	dlg.Resize(fyne.NewSize(480, 260))
	ds.showDialog(dlg)
	ds.a.win.Canvas().Focus(pass)
}
