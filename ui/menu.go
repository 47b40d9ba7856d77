package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"folio/app"
)

// This file is the window's menu bar while someone is signed in: every
// frequent action with its shortcut, so the keyboard way can be found by
// looking. The items with a key come from the table of shortcuts
// (keys.go); a menu item does exactly what its key does (both go through
// input.shortcut or input.typedKey); items the role may not use are left out.

// tableItems are the items of the table's bindings (keys.go) that menu
// offers to role r, in the table's order. An item runs what its key runs.
func tableItems(u *App, menu string, r app.RoleSet) []*fyne.MenuItem {
	var out []*fyne.MenuItem
	for _, b := range keyBindings {
		if b.menu != menu || (b.may != nil && !b.may(r)) {
			continue
		}
		it := fyne.NewMenuItem(b.does, bindingAction(u, b))
		it.Shortcut = b.fyneShortcut()
		if b.mod == ctrlKey && b.key == fyne.KeyQ {
			it.IsQuit = true
		}
		out = append(out, it)
	}
	return out
}

// bindingAction is what a binding's menu item does: what its key does.
func bindingAction(u *App, b keyBinding) func() {
	if b.mod != noModifier {
		sc, std := &desktop.CustomShortcut{KeyName: b.key, Modifier: b.mod}, b.fyneShortcut()
		_, custom := std.(*desktop.CustomShortcut)
		return func() {
			// Ctrl+Y is also a text field's Redo: where no screen takes
			// it, the field still gets it.
			if !u.input.shortcut(sc) && !custom {
				if f, ok := u.win.Canvas().Focused().(fyne.Shortcutable); ok {
					f.TypedShortcut(std)
				}
			}
		}
	}
	return func() { u.input.touch(); u.input.typedKey(b.key) }
}

func ctrlShortcut(key fyne.KeyName) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
}

// signedOutMenu is the menu bar while nobody is signed in: the same bar,
// so the window does not change height, with only what needs no session.
func signedOutMenu(u *App) *fyne.MainMenu {
	var quit []*fyne.MenuItem
	for _, it := range tableItems(u, menuFolio, nil) {
		if it.IsQuit {
			quit = append(quit, it)
		}
	}
	return fyne.NewMainMenu(fyne.NewMenu(menuFolio, quit...), helpMenu(u))
}

func helpMenu(u *App) *fyne.Menu {
	return fyne.NewMenu(menuHelp, append(tableItems(u, menuHelp, nil),
		fyne.NewMenuItem("About Folio", u.dialogs.showAbout))...)
}

// mainMenu is the menu bar for user.
func mainMenu(u *App, user app.User) *fyne.MainMenu {
	r := user.Roles
	folio := fyne.NewMenu(menuFolio,
		append([]*fyne.MenuItem{fyne.NewMenuItem("Change my password…", u.dialogs.askOwnPassword)}, tableItems(u, menuFolio, r)...)...)
	gotoItems := tableItems(u, menuGo, r)
	if r.Can(app.PermPatientMerge) {
		gotoItems = append(gotoItems, fyne.NewMenuItem("Sync conflicts", u.nav.showConflicts))
	}
	if r.Can(app.PermUserManage) && u.opts.Sync != nil {
		gotoItems = append(gotoItems, fyne.NewMenuItem("Sync with the archive", u.nav.showSyncAdmin))
	}
	if r.Can(app.PermUserManage) {
		gotoItems = append(gotoItems, fyne.NewMenuItem("Audit trail", u.nav.showAudit),
			fyne.NewMenuItem("Integrity check", u.nav.showIntegrity))
	}
	menus := []*fyne.Menu{folio, fyne.NewMenu(menuGo, gotoItems...)}
	for _, m := range []string{menuChart, menuVisit, menuDoc, menuIndex} {
		if items := tableItems(u, m, r); len(items) > 0 {
			menus = append(menus, fyne.NewMenu(m, items...))
		}
	}
	menus = append(menus, helpMenu(u))
	return fyne.NewMainMenu(menus...)
}
