package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// input is where what a person does in the window arrives: every key, tap
// and scroll counts as activity for the idle lock; the shortcuts of the
// table (keys.go) reach the window or the screen on show whichever field
// has the keyboard; the Space a button used is kept out of the next field;
// a field that takes the keyboard is scrolled into view (inview.go). It is
// the inputHooks of every widget of the window.
type input struct {
	a   *App
	act activity
	// spaceUsed is when a focused button acted on Space, whose character
	// is still to come (input.strayRune); zero when none.
	spaceUsed time.Time
}

var _ inputHooks = (*input)(nil)

// hookCanvas makes keys typed with no field focused, and the window-wide
// shortcuts of the table (keys.go), reach us.
func (in *input) hookCanvas() {
	c := in.a.win.Canvas()
	c.SetOnTypedRune(func(r rune) {
		in.touch()
		in.strayRune(r)
	})
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		in.touch()
		if !in.typedKey(k.Name) && k.Name == fyne.KeyEscape {
			in.escape()
		}
	})
	if dc, ok := c.(desktop.Canvas); ok {
		dc.SetOnKeyDown(func(*fyne.KeyEvent) { in.touch(); in.keyDown() })
	}
	run := func(s fyne.Shortcut) {
		if cs, ok := windowShortcut(s); ok {
			in.shortcut(cs)
		}
	}
	for _, k := range modifiedKeys() {
		c.AddShortcut(k, run)
	}
	c.AddShortcut(&fyne.ShortcutRedo{}, run) // Ctrl+Y, as the desktop driver names it
	c.AddShortcut(&fyne.ShortcutUndo{}, run) // Ctrl+Z
}

// touch records activity for the idle lock.
func (in *input) touch() { in.act.touch() }

// shortcut runs a window-wide shortcut: Ctrl+L locks, Ctrl+F goes to the
// search, Ctrl+N registers a patient, Ctrl+U opens Administration (admins),
// the other go-to keys open their places for the roles that work there; the
// others belong to the screen on show.
func (in *input) shortcut(cs *desktop.CustomShortcut) bool {
	in.touch()
	u := in.a
	if cs.Modifier == ctrlShift && u.sess != nil {
		if sc, ok := u.cur.(shiftShortcutter); ok {
			return sc.shiftShortcut(cs.KeyName)
		}
		return false
	}
	if cs.Modifier != fyne.KeyModifierShortcutDefault {
		return false
	}
	if cs.KeyName == fyne.KeyQ {
		u.quit()
		return true
	}
	if u.sess == nil { // the first-run screens may have shortcuts of their own
		if sc, ok := u.cur.(shortcutter); ok {
			return sc.shortcut(cs.KeyName)
		}
		return false
	}
	r := u.sess.user.Roles
	goTo := keyActions{
		fyne.KeyL: func() { u.lock("") },
		fyne.KeyF: u.nav.showSearch,
		fyne.KeyN: u.nav.showRegister,
		fyne.KeyU: when(canAdmin(r), u.nav.showUsers),
		fyne.KeyI: when(canScan(r), u.nav.showScanning),
		fyne.KeyJ: when(allowed(r, placeQueue), u.nav.showQueue),
		fyne.KeyK: when(allowed(r, placeQA), u.nav.showQA),
		fyne.KeyW: when(canKeepTypeRules(r), u.nav.showTypeRules),
		fyne.Key6: when(canCode(r), u.nav.showCoding),
		fyne.Key7: when(canWriteNotes(r), u.nav.showMyNotes),
		fyne.Key8: when(canWriteNotes(r), u.nav.showMyQueries),
		fyne.Key9: when(canSeeDeficiencies(r), u.nav.showDeficiencies),
	}
	if goTo.run(cs.KeyName) {
		return true
	}
	if sc, ok := u.cur.(shortcutter); ok {
		return sc.shortcut(cs.KeyName)
	}
	return false
}

// escape hands Escape to the screen on show.
func (in *input) escape() bool {
	u := in.a
	if len(u.dialogs.open) > 0 {
		return false
	}
	if e, ok := u.cur.(escaper); ok {
		return e.escape()
	}
	return false
}

// typedKey runs a key typed without Ctrl that works from every field: F1
// opens Help (and closes it), Esc and Enter close Help; the screen on show
// gets its own (the pages of the queue, QA and the viewer). False when
// the key is left to the field.
func (in *input) typedKey(k fyne.KeyName) bool {
	u := in.a
	if u.dialogs.noteKey(k) {
		return true
	}
	if k == fyne.KeyF1 {
		u.dialogs.toggleShortcuts()
		return true
	}
	if len(u.dialogs.open) > 0 {
		return false
	}
	if p, ok := u.cur.(plainKeyer); ok {
		return p.plainKey(k)
	}
	return false
}

// Space on a button: the desktop driver gives the key press to the focused
// button, which acts (and may move the keyboard to a field: Continue puts
// it in the password), then the same press's character to whatever has
// the keyboard now. pressed remembers a press used so, and strayRune drops
// its character; the next key pressed forgets it.

// pressed notes that the focused widget f acted on a key press or a tap;
// if f has the keyboard, it was a Space whose character is still to come.
func (in *input) pressed(f fyne.Focusable) {
	if f != nil && in.a.win.Canvas().Focused() == f {
		in.spaceUsed = in.a.now()
	}
}

// dialogClosed notes that a dialog just closed. When a Space on one of its
// buttons closed it, the press's character comes next and goes to the
// field under the dialog, which has the keyboard again: it is dropped like
// a Space on any of our buttons. When a click or a key other than Space
// closed it, no character comes from that press, and the next key a person
// presses (a new key down) forgets the note before its character arrives.
func (in *input) dialogClosed() { in.spaceUsed = in.a.now() }

// keyDown forgets a Space used by a button: a new key is down.
func (in *input) keyDown() { in.spaceUsed = time.Time{} }

// strayRune reports whether r is the character of a Space a button used
// (and forgets that Space either way).
func (in *input) strayRune(r rune) bool {
	used := in.spaceUsed
	in.spaceUsed = time.Time{}
	if used.IsZero() || r != ' ' {
		return false
	}
	d := in.a.now().Sub(used)
	return d >= 0 && d < strayWindow
}
