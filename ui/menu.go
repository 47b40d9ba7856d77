package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// This file is the window's menu bar while someone is signed in: every
// frequent action with its shortcut, so the keyboard way can be found by
// looking. A menu item does exactly what its shortcut does (both go
// through App.shortcut); items of places the role does not work in are
// left out.

// keyItem is a menu item run by Ctrl+key.
func (u *App) keyItem(label string, key fyne.KeyName) *fyne.MenuItem {
	sc := ctrlShortcut(key)
	it := fyne.NewMenuItem(label, func() { u.shortcut(sc) })
	it.Shortcut = sc
	return it
}

func ctrlShortcut(key fyne.KeyName) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
}

// signedOutMenu is the menu bar while nobody is signed in: the same bar,
// so the window does not change height, with only what needs no session.
func (u *App) signedOutMenu() *fyne.MainMenu {
	return fyne.NewMainMenu(fyne.NewMenu("Folio"), u.helpMenu())
}

func (u *App) helpMenu() *fyne.Menu {
	return fyne.NewMenu("Help",
		fyne.NewMenuItem("Keyboard shortcuts", u.showShortcuts),
		fyne.NewMenuItem("About Folio", u.showAbout),
	)
}

// mainMenu is the menu bar for user.
func (u *App) mainMenu(user app.User) *fyne.MainMenu {
	r := user.Role
	folio := fyne.NewMenu("Folio",
		fyne.NewMenuItem("Change my password…", u.askOwnPassword),
		u.keyItem("Lock", fyne.KeyL),
	)
	gotoItems := []*fyne.MenuItem{u.keyItem("Find a patient", fyne.KeyF)}
	if r.Can(app.PermPatientWrite) {
		gotoItems = append(gotoItems, u.keyItem("Register a patient", fyne.KeyN))
	}
	for _, p := range []struct {
		label string
		key   fyne.KeyName
		place place
	}{
		{"Scanning station", fyne.KeyI, placeScanning},
		{"Indexing queue", fyne.KeyJ, placeQueue},
		{"QA", fyne.KeyK, placeQA},
		{"Administration", fyne.KeyU, placeAdmin},
	} {
		if allowed(r, p.place) {
			gotoItems = append(gotoItems, u.keyItem(p.label, p.key))
		}
	}
	if r.Can(app.PermPatientMerge) {
		gotoItems = append(gotoItems, fyne.NewMenuItem("Sync conflicts", u.showConflicts))
	}
	if r.Can(app.PermUserManage) && u.opts.Sync != nil {
		gotoItems = append(gotoItems, fyne.NewMenuItem("Sync with the archive", u.showSyncAdmin))
	}
	menus := []*fyne.Menu{folio, fyne.NewMenu("Go", gotoItems...)}

	menus = append(menus, fyne.NewMenu("Chart",
		u.keyItem("Edit demographics", fyne.KeyE),
		u.keyItem("Demographics history", fyne.KeyH),
	))
	pages := []*fyne.MenuItem{
		u.keyItem("Next page", fyne.KeyPageDown),
		u.keyItem("Previous page", fyne.KeyPageUp),
		u.keyItem("Fit width", fyne.Key1),
		u.keyItem("Fit page", fyne.Key2),
		u.keyItem("Actual size", fyne.Key3),
		u.keyItem("Rotate page", fyne.KeyR),
		u.keyItem("Next search hit", fyne.KeyG),
		u.keyItem("Export / print as PDF…", fyne.KeyS),
	}
	menus = append(menus, fyne.NewMenu("Document", pages...))
	if allowed(r, placeQueue) {
		menus = append(menus, fyne.NewMenu("Indexing",
			u.keyItem("File the document", fyne.KeyReturn),
			u.keyItem("Next document", fyne.KeyG),
			u.keyItem("Choose the patient", fyne.KeyP),
			u.keyItem("Set the type", fyne.KeyY),
			u.keyItem("Set the date", fyne.KeyD),
			u.keyItem("Split here", fyne.KeyT),
			u.keyItem("Merge with previous", fyne.KeyM),
			u.keyItem("Remove page", fyne.KeyB),
		))
	}
	menus = append(menus, u.helpMenu())
	return fyne.NewMainMenu(menus...)
}

// shortcutHelp lists the shortcuts by where they work.
var shortcutHelp = []struct{ where, keys string }{
	{"Everywhere", "Ctrl+F find a patient · Ctrl+N register · Ctrl+I scanning · Ctrl+J indexing queue · Ctrl+K QA · Ctrl+U administration · Ctrl+L lock · Esc back"},
	{"Patient search", "type a name, MRN, date of birth or phone · ↑ ↓ choose · Enter opens"},
	{"Patient chart", "Ctrl+Page Down / Ctrl+Page Up next or previous tab · ↑ ↓ choose a document, Enter opens it · Ctrl+E edit demographics · Ctrl+H history"},
	{"Document viewer", "Ctrl+Page Down / Ctrl+Page Up pages · Ctrl+1 fit width · Ctrl+2 fit page · Ctrl+3 actual size · Ctrl+R rotate · Ctrl+G next search hit · Ctrl+S export or print as PDF"},
	{"Scanning station", "Ctrl+O import files · Ctrl+P cover sheet patient · Ctrl+S save the cover sheet"},
	{"Indexing queue", "Ctrl+P patient (↑ ↓ Enter) · Ctrl+Y type · Ctrl+D date · Ctrl+Enter file · Ctrl+G next · Ctrl+R rotate · Ctrl+B remove page · Ctrl+T split here · Ctrl+M merge with previous · Ctrl+Page Down / Up pages"},
	{"QA", "Ctrl+Enter verify · type a reason, Enter sends back · Ctrl+G next · Ctrl+Page Down / Up pages"},
	{"Administration", "Ctrl+1 users · Ctrl+2 settings · Ctrl+3 sync: enroll, sync now, approve a workstation, USB bundles"},
}

// showShortcuts shows every shortcut in one dialog.
func (u *App) showShortcuts() {
	box := container.NewVBox()
	for _, h := range shortcutHelp {
		box.Add(text(h.where, styleBold))
		l := widget.NewLabel(strings.ReplaceAll(h.keys, " · ", "\n"))
		box.Add(l)
	}
	d := dialog.NewCustom("Keyboard shortcuts", "Close", container.NewVScroll(box), u.win)
	d.Resize(fyne.NewSize(560, 600))
	u.showDialog(d)
}

// showAbout says what Folio is and under which licence.
func (u *App) showAbout() {
	d := dialog.NewCustom("About Folio", "Close", wrapped("Folio keeps a clinic's health records on this computer, encrypted, "+
		"and files scanned paper charts to the right patient.\n\nFree software under the GNU Affero General Public "+
		"License, version 3 or later. It uses MuPDF (AGPL-3.0) and Tesseract (Apache-2.0)."), u.win)
	d.Resize(fyne.NewSize(480, 0))
	u.showDialog(d)
}
