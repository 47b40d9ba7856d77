package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// This file is the scaffolding the screens share: the window's margins
// around a screen, a screen that scrolls as one column, and the keys of
// the screens Esc leaves for the search and of Administration's sections,
// and the frame of the worklists.

// screenMargin puts a screen's content inside the window's margins.
func screenMargin(content fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewCustomPaddedLayout(12, 12, 16, 16), content)
}

// scrollingColumn is a screen whose content, at most width wide and
// centred, scrolls as a whole.
func scrollingColumn(u *App, width float32, content fyne.CanvasObject) *container.Scroll {
	return newScroller(u.input, screenMargin(column(width, content)))
}

// searchExit, embedded in a screen, is its session and its Esc: back to
// the search.
type searchExit struct{ sess *session }

func (x searchExit) escape() bool {
	x.sess.a.nav.showSearch()
	return true
}

// adminPage, embedded in a section of Administration, is its session and
// its keys: Esc back to the search, Ctrl+1 to Ctrl+5 to the other
// sections.
type adminPage struct{ searchExit }

func newAdminPage(sess *session) adminPage { return adminPage{searchExit{sess}} }

func (p adminPage) shortcut(k fyne.KeyName) bool { return adminShortcut(p.sess.a, k) }

// worklist, embedded in a worklist screen (coding, a clinician's unsigned
// notes, deficiencies), is what they share: Esc back to the search, a
// Find field that keeps the keyboard over a list chosen from with ↓ ↑ and
// opened with Enter, and a message.
type worklist struct {
	searchExit
	pick *pickList
	msg  messageLabel
	box  fyne.CanvasObject
}

// newWorklist is a worklist whose Find field says find.
func newWorklist(sess *session, find string) worklist {
	return worklist{searchExit: searchExit{sess}, pick: newPickList(sess.a.input, find, false), msg: newMessageLabel()}
}

// frame lays the screen out: its title, its tabs (nil for none), the Find
// field, hint, the message, and the list below.
func (w *worklist) frame(title string, tabs *fyne.Container, hint string) {
	top := container.NewVBox(heading(title))
	if tabs != nil {
		top.Add(tabs)
	}
	top.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.SearchIcon()), nil, w.pick.field))
	top.Add(muted(hint))
	top.Add(w.msg)
	w.box = screenMargin(container.NewBorder(top, nil, nil, nil, panel(w.pick.list)))
}

func (w *worklist) view() fyne.CanvasObject    { return w.box }
func (w *worklist) focusFirst() fyne.Focusable { return w.pick.field }

// failed says why the list could not be read.
func (w *worklist) failed(err error) {
	w.msg.error(message(err))
	w.box.Refresh()
}
