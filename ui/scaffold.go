package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
)

// This file is the scaffolding the screens share: the window's margins
// around a screen, a screen that scrolls as one column, and the keys of
// the screens Esc leaves for the search and of Administration's sections.

// screenMargin puts a screen's content inside the window's margins.
func screenMargin(content fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewCustomPaddedLayout(12, 12, 16, 16), content)
}

// scrollingColumn is a screen whose content, at most width wide and
// centred, scrolls as a whole.
func scrollingColumn(u *App, width float32, content fyne.CanvasObject) *container.Scroll {
	return newScroller(u, screenMargin(column(width, content)))
}

// searchExit, embedded in a screen, is its session and its Esc: back to
// the search.
type searchExit struct{ sess *session }

func (x searchExit) escape() bool {
	x.sess.a.showSearch()
	return true
}

// adminPage, embedded in a section of Administration, is its session and
// its keys: Esc back to the search, Ctrl+1 to Ctrl+5 to the other
// sections.
type adminPage struct{ searchExit }

func newAdminPage(sess *session) adminPage { return adminPage{searchExit{sess}} }

func (p adminPage) shortcut(k fyne.KeyName) bool { return adminShortcut(p.sess.a, k) }
