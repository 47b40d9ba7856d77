package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"

	"folio/app"
)

// The menu bar appears at sign-in and goes at lock; it offers the role's
// places only, each item runs what its shortcut runs, and every shortcut
// it shows is one the window answers.
func TestMenuBar(t *testing.T) {
	v, _ := createdVault(t, nil)
	u := newWindow(t, v, Options{})
	signedOut := func() bool {
		m := u.win.MainMenu()
		return m != nil && len(m.Items) == 2 && m.Items[1].Label == "Help" && len(m.Items[0].Items) == 1 &&
			m.Items[0].Items[0].IsQuit
	}
	if !signedOut() {
		t.Fatal("before sign-in the menu bar is not just Help")
	}
	logIn(t, u, "admin", adminPW)
	menu := u.win.MainMenu()
	if menu == nil {
		t.Fatal("no menu bar after sign-in")
	}
	items := map[string]*fyne.MenuItem{}
	for _, m := range menu.Items {
		for _, it := range m.Items {
			items[m.Label+"/"+it.Label] = it
			if it.Shortcut == nil {
				continue
			}
			// Every key the menu shows is the table's, with the table's words.
			ks, _ := it.Shortcut.(fyne.KeyboardShortcut)
			if ks == nil || !slices.ContainsFunc(keyBindings, func(b keyBinding) bool {
				return b.menu == m.Label && b.does == it.Label && b.key == ks.Key() && b.mod == ks.Mod()
			}) {
				t.Errorf("%s/%s shows %s, which the table of keys does not hold", m.Label, it.Label, it.Shortcut.ShortcutName())
			}
		}
	}
	for _, want := range []string{"Go/Find a patient", "Go/Scanning station", "Go/Administration", "Document/Fit width", "Help/Keyboard shortcuts", "Folio/Lock"} {
		if items[want] == nil {
			t.Errorf("the administrator's menu has no %s", want)
		}
	}
	items["Go/Administration"].Action()
	current[*usersScreen](t, u)
	items["Go/Find a patient"].Action()
	current[*searchScreen](t, u)
	items["Help/Keyboard shortcuts"].Action()
	if len(u.dialogs.open) != 1 {
		t.Fatalf("%d dialogs after Help/Keyboard shortcuts", len(u.dialogs.open))
	}
	items["Folio/Lock"].Action()
	if u.sess != nil || !signedOut() {
		t.Fatal("the lock left the session or the signed-in menu bar")
	}

	// A clinician's menu has no station, queue, QA, coding worklist or
	// administration, and has their own notes, queries and deficiencies.
	u2 := newWindow(t, v, Options{})
	s, err := v.Login(t.Context(), "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Users().Add(t.Context(), userNamed("dr.amina", app.RoleClinician), []byte(clinPW)); err != nil {
		t.Fatal(err)
	}
	logIn(t, u2, "dr.amina", clinPW)
	for _, m := range u2.win.MainMenu().Items {
		if m.Label == "Indexing" {
			t.Error("a clinician's menu has Indexing")
		}
		for _, it := range m.Items {
			if m.Label == "Go" && !slices.Contains([]string{"Find a patient", "Register a patient", "My unsigned notes", "My coding queries", "Deficiencies"}, it.Label) {
				t.Errorf("a clinician's Go menu offers %s", it.Label)
			}
		}
	}
}
