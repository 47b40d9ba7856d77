package ui

import (
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
	"fyne.io/fyne/v2/test"

	"folio/app"
	"folio/internal/xvfb"
	"folio/winplace"
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
	u.input.escape()
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
	if got := New(a, v, Options{}).startPlace(); got.size != fyne.NewSize(1280, 700) || got.placed {
		t.Fatalf("the next start's place: %+v", got)
	}
	// One preference, written at once: Fyne's file held only the first of
	// two changes made as the window closed (the width). The test driver's
	// window has no position.
	if got := a.Preferences().String(prefPlace); got != "1280x700" {
		t.Fatalf("the place is kept as %q", got)
	}
	a.Preferences().SetString(prefPlace, "300x700+20+30")
	if got := New(a, v, Options{}).startPlace(); got.size.Width < minWidth || got.size.Height < minHeight || got.placed {
		t.Fatalf("a remembered size below 1024×600 was used: %+v", got)
	}
	// A size kept by older Folios: one preference, then two numbers.
	a.Preferences().RemoveValue(prefPlace)
	a.Preferences().SetString(prefSize, "1210x660")
	if got := New(a, v, Options{}).startPlace(); got.size != fyne.NewSize(1210, 660) {
		t.Fatalf("the size an older Folio kept: %+v", got)
	}
	a.Preferences().RemoveValue(prefSize)
	a.Preferences().SetFloat(prefWidth, 1200)
	a.Preferences().SetFloat(prefHeight, 650)
	if got := New(a, v, Options{}).startPlace(); got.size != fyne.NewSize(1200, 650) {
		t.Fatalf("the size an even older Folio kept: %+v", got)
	}
}

// The window opens where it was when it last closed, on a real X server:
// a window of that server stands for the Fyne window's native side, which
// the test driver does not have. A place no longer on the screen is not
// used; one partly off it is brought on.
func TestWindowPositionRemembered(t *testing.T) {
	x := xvfb.Start(t, 1366, 768)
	a := test.NewTempApp(t)
	v, _ := createdVault(t, nil)
	centred := image.Pt(133, 24)
	id := x.NewWindow(t, image.Rectangle{Min: centred, Max: centred.Add(image.Pt(1100, 720))})
	start := func() *App {
		u := New(a, v, Options{})
		u.native = func() (nativeWindow, bool) { return winplace.Of(driver.X11WindowContext{WindowHandle: uintptr(id)}) }
		x.Move(t, id, centred) // where Fyne opens it
		u.showWindow()
		return u
	}
	u := start()
	u.win.Resize(fyne.NewSize(1100, 720))
	x.Move(t, id, image.Pt(200, 150)) // the clerk moves it
	u.quit()
	if got := a.Preferences().String(prefPlace); got != "1100x720+200+150" {
		t.Fatalf("the place is kept as %q", got)
	}
	start()
	if p := x.Place(t, id); p != image.Pt(200, 150) {
		t.Fatalf("the next start opens the window at %v, want 200,150", p)
	}
	for _, c := range []struct {
		kept string
		want image.Point
	}{
		{"1100x720+1500+150", centred},              // on a monitor since removed
		{"1100x720-1050+300", image.Pt(-1000, 300)}, // 50 px of it on the screen
		{"1100x720+900-60", image.Pt(900, 0)},       // its title bar above the screen
	} {
		a.Preferences().SetString(prefPlace, c.kept)
		start()
		if p := x.Place(t, id); p != c.want {
			t.Errorf("kept at %s, the window opens at %v, want %v", c.kept, p, c.want)
		}
	}
}
