package main

import (
	"image"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jezek/xgb/xproto"

	"folio/internal/xvfb"
)

// TestMain lets this test binary be folio itself: run with
// FOLIO_TEST_AS_FOLIO=1, it is the desktop application, so a test can
// open the real window without building the program again.
func TestMain(m *testing.M) {
	if os.Getenv("FOLIO_TEST_AS_FOLIO") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// The real window (Fyne's GLFW driver, OpenGL in software) on a real X
// server opens where it was when it was last closed: moved, closed with
// its close button, started again, it shows at the same place, frame and
// all, with no window manager and under one that frames it.
func TestWindowOpensWhereItWasClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real window four times")
	}
	for _, c := range []struct {
		name string
		wm   bool
		to   image.Point // where the person moves the window
	}{
		{"no window manager", false, image.Pt(200, 150)},
		{"Openbox", true, image.Pt(260, 90)},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := xvfb.Start(t, 1366, 768)
			if c.wm {
				x.StartWindowManager(t)
			}
			home, data := t.TempDir(), t.TempDir()
			first := openWindow(t, x, data, home)
			// The person drags it: the window asks to go there (a window
			// manager moves its frame, by the window's gravity).
			x.Move(t, first.id, c.to)
			waitFor(t, "the window moves", func() bool { return x.OnScreen(t, first.id) == c.to })
			at := x.Frame(t, first.id)
			first.close(t)

			again := openWindow(t, x, data, home)
			waitFor(t, "the window opens where it was closed", func() bool { return x.Frame(t, again.id) == at })
			again.close(t)
		})
	}
}

// folioWindow is folio running under a test, and its window.
type folioWindow struct {
	x      *xvfb.Server
	id     xproto.Window
	exited chan struct{}
}

// openWindow runs folio on the data folder data, with its preferences in
// home, and waits until its window shows.
func openWindow(t *testing.T, x *xvfb.Server, data, home string) folioWindow {
	t.Helper()
	cmd := exec.Command(os.Args[0], "--data", data)
	cmd.Env = append(os.Environ(), "FOLIO_TEST_AS_FOLIO=1", "HOME="+home, "XDG_CONFIG_HOME="+home, "LIBGL_ALWAYS_SOFTWARE=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := folioWindow{x: x, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(w.exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-w.exited })
	w.id = x.FindWindow(t, "Folio")
	return w
}

// close closes the window with its close button and waits until folio
// ends.
func (w folioWindow) close(t *testing.T) {
	t.Helper()
	w.x.Close(t, w.id)
	select {
	case <-w.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("folio did not end within 30 s of its window closed")
	}
}

// waitFor waits until done says so, for what other processes (folio, the
// window manager) do in their own time; it fails t after 30 s.
func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); !done(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within 30 s", what)
		}
	}
}
