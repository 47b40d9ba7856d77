package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
)

// Where you were. When the window locks, it remembers the screen on show
// and the patient or document on it (their ids, in memory only); when the
// same user signs in again, the window goes back there, through the same
// navigation as a click, so whatever their role no longer allows is
// refused as it would be. The window's size is kept in the app's
// preferences (no patient data) and restored at the next start.

// resumePoint is where a user was when the window locked.
type resumePoint struct {
	user string
	open func(u *App) // goes back there; nil: the patient search
	// note says what the lock could not save as typed (a visit's draft
	// saved without a refused vital sign), for the user when back.
	note string
}

// resumeOf returns how to go back to screen s.
func resumeOf(s screen) func(u *App) {
	switch v := s.(type) {
	case *patientScreen:
		ref := v.p.MRN
		if ref == "" {
			ref = v.p.ID
		}
		return func(u *App) { u.openPatient(ref) }
	case *docViewer:
		id, back := v.id, v.back
		return func(u *App) {
			u.showDocument(id)
			if d, ok := u.cur.(*docViewer); ok {
				d.back = back
			}
		}
	case *encounterScreen:
		id, ref := v.enc.ID, v.ref
		if id == "" { // a new visit: the lock saves it, the chart lists it
			return func(u *App) { u.openPatient(ref) }
		}
		return func(u *App) { u.showEncounter(id) }
	case *queueScreen:
		return (*App).showQueue
	case *qaScreen:
		return (*App).showQA
	case *scanScreen:
		return (*App).showScanning
	case *usersScreen:
		return (*App).showUsers
	case *settingsScreen:
		return (*App).showSettings
	case *syncAdminScreen:
		return (*App).showSyncAdmin
	case *conflictsScreen:
		return (*App).showConflicts
	case *codingWorklistScreen:
		return (*App).showCoding
	case *codingScreen:
		id := v.id
		return func(u *App) { u.showCodingEncounter(id) }
	case *myNotesScreen:
		return (*App).showMyNotes
	case *myQueriesScreen:
		return (*App).showMyQueries
	case *deficiencyScreen:
		return (*App).showDeficiencies
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
		r.open(u)
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
	u.showNote("Saved when the window locked", wrapped(note), fyne.NewSize(480, 0))
}

// Window size, kept between starts, as one preference "W×H": Fyne saves
// its preferences file at the first change and holds a second change made
// within 100 ms until its event loop runs again, which it no longer does
// when the window closes, so a width and a height set one after the other
// kept only the width.
const (
	prefSize = "window.size"
	// prefWidth and prefHeight are where Folio kept the size before.
	prefWidth  = "window.width"
	prefHeight = "window.height"
	// minWidth and minHeight are the smallest size Folio lays out for
	// (a clinic netbook's screen); a smaller remembered size is not used.
	minWidth, minHeight = 1024, 600
)

// startSize is the window's size at start: the one it had when it last
// closed, or the default.
func (u *App) startSize() fyne.Size {
	p := u.fyne.Preferences()
	w, h := p.FloatWithFallback(prefWidth, 0), p.FloatWithFallback(prefHeight, 0)
	if _, err := fmt.Sscanf(p.String(prefSize), "%gx%g", &w, &h); err != nil && p.String(prefSize) != "" {
		w, h = 0, 0
	}
	if w < minWidth || h < minHeight || w > 10000 || h > 10000 {
		return fyne.NewSize(1100, 720)
	}
	return fyne.NewSize(float32(w), float32(h))
}

// keepSize remembers the window's size for the next start.
func (u *App) keepSize() {
	sz := u.win.Canvas().Size()
	if sz.Width < minWidth || sz.Height < minHeight {
		return
	}
	u.fyne.Preferences().SetString(prefSize, fmt.Sprintf("%gx%g", sz.Width, sz.Height))
}
