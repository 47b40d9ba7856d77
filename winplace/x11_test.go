//go:build linux || freebsd || openbsd || netbsd

package winplace

import (
	"errors"
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2/driver"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"folio/internal/xvfb"
)

// A real X server with no window manager: the window is where it is
// moved, and a place off the screen is brought on or refused.
func TestPlaceOnX11(t *testing.T) {
	x := xvfb.Start(t, 1366, 768)
	id := x.NewWindow(t, image.Rect(10, 20, 810, 520))
	w, ok := Of(driver.X11WindowContext{WindowHandle: uintptr(id)})
	if !ok {
		t.Fatal("Of gave no window for an X11 window")
	}
	if p, err := w.Position(); err != nil || p != image.Pt(10, 20) {
		t.Fatalf("a window made at 10,20 is read at %v (%v)", p, err)
	}
	for _, m := range []struct {
		name     string
		to, want image.Point
	}{
		{"on the screen", image.Pt(200, 150), image.Pt(200, 150)},
		{"title bar above the screen, too little of it on the right", image.Pt(1300, -80), image.Pt(1366-gripWidth, 0)},
		{"back", image.Pt(200, 150), image.Pt(200, 150)},
	} {
		got, err := w.MoveTo(m.to)
		if err != nil || got != m.want {
			t.Fatalf("%s: MoveTo(%v) = %v, %v; want %v", m.name, m.to, got, err, m.want)
		}
		if p := x.Place(t, id); p != m.want {
			t.Fatalf("%s: moved to %v, the X server has it at %v", m.name, m.want, p)
		}
		if p, err := w.Position(); err != nil || p != m.want {
			t.Fatalf("%s: moved to %v, read at %v (%v)", m.name, m.want, p, err)
		}
	}
	if _, err := w.MoveTo(image.Pt(3000, 2000)); !errors.Is(err, ErrOffScreen) {
		t.Fatalf("a place off the screen: %v, want ErrOffScreen", err)
	}
	if p := x.Place(t, id); p != image.Pt(200, 150) {
		t.Fatalf("a refused place moved the window to %v", p)
	}
}

// Under a real window manager (Openbox) that frames each window with a
// title bar: the place read is the frame's, and a window moved to a place
// comes back with its frame there, whether it asks for StaticGravity (as
// GLFW's windows do) or not.
func TestPlaceUnderWindowManager(t *testing.T) {
	x := xvfb.Start(t, 1366, 768)
	c := x.Conn
	x.StartWindowManager(t)
	for _, static := range []bool{true, false} {
		id := x.NewWindow(t, image.Rect(10, 20, 810, 520))
		if static {
			setStaticGravity(t, c, id)
		}
		waitFor(t, "the window manager frames the window, a title bar above it", func() bool {
			return x.Parent(t, id) != x.Root && x.Place(t, id).Y > 0
		})
		frame, inside := x.Parent(t, id), x.Place(t, id)
		w, _ := Of(driver.X11WindowContext{WindowHandle: uintptr(id)})
		if p, err := w.Position(); err != nil || p != x.Place(t, frame) {
			t.Fatalf("static %v: the window is read at %v (%v), its frame is at %v", static, p, err, x.Place(t, frame))
		}
		for _, to := range []image.Point{{200, 150}, {420, 90}} {
			if got, err := w.MoveTo(to); err != nil || got != to {
				t.Fatalf("static %v: MoveTo(%v) = %v, %v", static, to, got, err)
			}
			waitFor(t, "the frame moves", func() bool { return x.Place(t, frame) == to })
			if p, err := w.Position(); err != nil || p != to {
				t.Fatalf("static %v: moved to %v, read at %v (%v)", static, to, p, err)
			}
			if in := x.Place(t, id); in != inside {
				t.Fatalf("static %v: the window moved in its frame from %v to %v", static, inside, in)
			}
		}
	}
}

// setStaticGravity sets id's WM_NORMAL_HINTS as GLFW does: StaticGravity.
func setStaticGravity(t *testing.T, c *xgb.Conn, id xproto.Window) {
	t.Helper()
	hints := make([]byte, 18*4)
	xgb.Put32(hints, 1<<9)      // PWinGravity
	xgb.Put32(hints[17*4:], 10) // StaticGravity
	if err := xproto.ChangePropertyChecked(c, xproto.PropModeReplace, id, xproto.AtomWmNormalHints, xproto.AtomWmSizeHints, 32, 18, hints).Check(); err != nil {
		t.Fatal(err)
	}
}

// waitFor waits until done says so, for what another process (the window
// manager) does in its own time; it fails t after 10 s.
func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !done(); {
		if time.Now().After(end) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
