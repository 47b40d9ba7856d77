package ui

import (
	"errors"
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"folio/winplace"
)

// Where you were. When the window locks, it remembers the screen on show
// and the patient or document on it (their ids, in memory only); when the
// same user signs in again, the window goes back there, through the same
// navigation as a click, so whatever their role no longer allows is
// refused as it would be. The window's size and position are kept in the
// app's preferences (no patient data) and restored at the next start.

// resumePoint is where a user was when the window locked.
type resumePoint struct {
	user string
	open func(n *navigator) // goes back there; nil: the patient search
	// note says what the lock could not save as typed (a visit's draft
	// saved without a refused vital sign), for the user when back.
	note string
}

// resumeOf returns how to go back to screen s.
func resumeOf(s screen) func(n *navigator) {
	switch v := s.(type) {
	case *patientScreen:
		ref := v.p.MRN
		if ref == "" {
			ref = v.p.ID
		}
		return func(n *navigator) { n.openPatient(ref) }
	case *docViewer:
		id, back := v.id, v.back
		return func(n *navigator) {
			n.showDocument(id)
			if d, ok := n.a.cur.(*docViewer); ok {
				d.back = back
			}
		}
	case *encounterScreen:
		id, ref := v.enc.ID, v.ref
		if id == "" { // a new visit: the lock saves it, the chart lists it
			return func(n *navigator) { n.openPatient(ref) }
		}
		return func(n *navigator) { n.showEncounter(id) }
	case *queueScreen:
		return (*navigator).showQueue
	case *qaScreen:
		return (*navigator).showQA
	case *scanScreen:
		return (*navigator).showScanning
	case *usersScreen:
		return (*navigator).showUsers
	case *settingsScreen:
		return (*navigator).showSettings
	case *syncAdminScreen:
		return (*navigator).showSyncAdmin
	case *conflictsScreen:
		return (*navigator).showConflicts
	case *codingWorklistScreen:
		return (*navigator).showCoding
	case *codingScreen:
		id := v.id
		return func(n *navigator) { n.showCodingEncounter(id) }
	case *myNotesScreen:
		return (*navigator).showMyNotes
	case *myQueriesScreen:
		return (*navigator).showMyQueries
	case *deficiencyScreen:
		return (*navigator).showDeficiencies
	}
	return nil
}

// resume goes back to where the user now signed in was when the window
// locked (a different user starts at the search). It is used once.
func (u *App) resume() {
	r := u.resumeAt
	u.resumeAt = resumePoint{}
	if u.sess == nil || r.user != u.sess.user.Name {
		return
	}
	if r.open != nil {
		r.open(u.nav)
	}
	if r.note != "" {
		u.tellLockNote(r.note)
	}
}

// tellAfterLock says what the lock could not save as typed to user: now
// if they are already back, else when they are.
func (u *App) tellAfterLock(user, note string) {
	switch {
	case u.sess != nil && u.sess.user.Name == user:
		u.tellLockNote(note)
	case u.sess == nil && u.resumeAt.user == user:
		u.resumeAt.note = note
	}
}

// tellLockNote shows what the lock could not save in a dialog.
func (u *App) tellLockNote(note string) {
	u.dialogs.showNote("Saved when the window locked", wrapped(note), fyne.NewSize(480, 0))
}

// Window place, kept between starts as one preference, "W×H" and, where
// the platform tells it, the frame's top-left corner, "+X+Y" (each signed):
// Fyne saves its preferences file at the first change and holds a second
// change made within 100 ms until its event loop runs again, which it no
// longer does when the window closes, so two values set one after the
// other (a width and a height) kept only the first.
const (
	prefPlace = "window.place"
	// prefSize, and before it prefWidth and prefHeight, are where Folio
	// kept the size before it kept the position.
	prefSize   = "window.size"
	prefWidth  = "window.width"
	prefHeight = "window.height"
	// minWidth and minHeight are the smallest size Folio lays out for
	// (a clinic netbook's screen); a smaller remembered size is not used.
	minWidth, minHeight = 1024, 600
)

// nativeWindow is the window as the desktop knows it (winplace.Window):
// where its frame is on the screen, and moving it there.
type nativeWindow interface {
	Position() (image.Point, error)
	MoveTo(image.Point) (image.Point, error)
}

// platformWindow is the Fyne window's native side where Folio can place
// it (X11, Windows); false on macOS, Wayland and under the test driver.
func (u *App) platformWindow() (nativeWindow, bool) {
	n, ok := u.win.(driver.NativeWindow)
	if !ok {
		return nil, false
	}
	var w winplace.Window
	n.RunNative(func(ctx any) { w, ok = winplace.Of(ctx) })
	return w, ok
}

// windowPlace is the window's size and, when known, its position.
type windowPlace struct {
	size fyne.Size
	at   image.Point
	// placed tells that at is known.
	placed bool
}

// String is the preference's value.
func (p windowPlace) String() string {
	if !p.placed {
		return fmt.Sprintf("%gx%g", p.size.Width, p.size.Height)
	}
	return fmt.Sprintf("%gx%g%+d%+d", p.size.Width, p.size.Height, p.at.X, p.at.Y)
}

// startPlace is the window's place at start: the one it had when it last
// closed, or the default size, centred.
func (u *App) startPlace() windowPlace {
	p := u.fyne.Preferences()
	var w, h float64
	var x, y int
	place := windowPlace{}
	switch v, old := p.String(prefPlace), p.String(prefSize); {
	case v != "":
		if n, _ := fmt.Sscanf(v, "%gx%g%d%d", &w, &h, &x, &y); n == 4 {
			place.at, place.placed = image.Pt(x, y), true
		} else if n != 2 {
			w, h = 0, 0
		}
	case old != "":
		if _, err := fmt.Sscanf(old, "%gx%g", &w, &h); err != nil {
			w, h = 0, 0
		}
	default:
		w, h = p.FloatWithFallback(prefWidth, 0), p.FloatWithFallback(prefHeight, 0)
	}
	if w < minWidth || h < minHeight || w > 10000 || h > 10000 {
		return windowPlace{size: fyne.NewSize(1100, 720)}
	}
	place.size = fyne.NewSize(float32(w), float32(h))
	return place
}

// keepPlace remembers the window's size and position for the next start.
func (u *App) keepPlace() {
	sz := u.win.Canvas().Size()
	if sz.Width < minWidth || sz.Height < minHeight {
		return
	}
	place := windowPlace{size: sz}
	if w, ok := u.native(); ok {
		at, err := w.Position()
		place.at, place.placed = at, err == nil
	}
	u.fyne.Preferences().SetString(prefPlace, place.String())
}

// restorePosition moves the shown window to where it was when it last
// closed; where that is no longer on the screen (a monitor removed) or
// not known, it stays centred.
func (u *App) restorePosition() {
	place := u.startPlace()
	if !place.placed {
		return
	}
	w, ok := u.native()
	if !ok {
		return
	}
	if _, err := w.MoveTo(place.at); err != nil && !errors.Is(err, winplace.ErrOffScreen) {
		fyne.LogError("put the window where it was", err)
	}
}
