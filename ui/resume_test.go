package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"folio/app"
)

// After a lock, the same user signing in again is back on the document
// they were reading (and Esc still leads to its chart); another user
// starts at the search.
func TestBackWhereYouWereAfterALock(t *testing.T) {
	u, p, lab, _ := chartWithDocuments(t)
	openViewer(t, u, p, lab)
	u.lock("")
	logIn(t, u, "grace", clerkPW)
	u.tasks.wait()
	v := current[*docViewer](t, u)
	if v.id != lab.ID || v.back != p.MRN {
		t.Fatalf("after the lock: document %s back to %q, want %s back to %s", v.id, v.back, lab.ID, p.MRN)
	}
	u.escape()
	u.tasks.wait()
	if s := current[*patientScreen](t, u); s.p.MRN != p.MRN {
		t.Fatalf("Esc leads to %s", s.p.MRN)
	}
	// Someone else signs in: the search, not the chart.
	u.lock("")
	if err := func() error {
		s, err := u.vault.Login(t.Context(), "admin", []byte(adminPW))
		if err != nil {
			return err
		}
		defer s.Lock(t.Context())
		return s.Users().Add(t.Context(), userNamed("zoe", app.RoleScanning), []byte(clerkPW))
	}(); err != nil {
		t.Fatal(err)
	}
	logIn(t, u, "zoe", clerkPW)
	u.tasks.wait()
	current[*searchScreen](t, u)
}

// The window opens at the size it had when it was last closed, never
// smaller than 1024×600.
func TestWindowSizeRemembered(t *testing.T) {
	a := test.NewTempApp(t)
	v, _ := createdVault(t, nil)
	u := New(a, v, Options{})
	u.win.Resize(fyne.NewSize(1280, 700))
	u.quit()
	if got := New(a, v, Options{}).startSize(); got != fyne.NewSize(1280, 700) {
		t.Fatalf("the next start's size: %v", got)
	}
	// One preference, written at once: Fyne's file held only the first of
	// two changes made as the window closed (the width).
	if got := a.Preferences().String(prefSize); got != "1280x700" {
		t.Fatalf("the size is kept as %q", got)
	}
	a.Preferences().SetString(prefSize, "300x700")
	if got := New(a, v, Options{}).startSize(); got.Width < minWidth || got.Height < minHeight {
		t.Fatalf("a remembered size below 1024×600 was used: %v", got)
	}
	// A size kept by an older Folio, as two numbers.
	a.Preferences().RemoveValue(prefSize)
	a.Preferences().SetFloat(prefWidth, 1200)
	a.Preferences().SetFloat(prefHeight, 650)
	if got := New(a, v, Options{}).startSize(); got != fyne.NewSize(1200, 650) {
		t.Fatalf("the size an older Folio kept: %v", got)
	}
}
