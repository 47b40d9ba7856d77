//go:build linux || freebsd || openbsd || netbsd

package winplace

import (
	"fmt"
	"image"
	"os"

	"fyne.io/fyne/v2/driver"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// On X11 a window manager that draws frames reparents each top-level
// window into a frame window of its own, a child of the root window; what
// the screen shows at the window's place is that frame. A window's place
// is therefore read from its ancestor that is a child of the root (the
// window itself when no window manager frames it). A move is asked of the
// window itself, as ICCCM wants: the window manager redirects the request
// to itself and moves the frame, reading the coordinates by the window's
// gravity (GLFW, Fyne's window library, sets StaticGravity: the
// coordinates are then those of the window inside its frame).

func of(ctx any) (Window, bool) {
	c, ok := ctx.(driver.X11WindowContext)
	if !ok || c.WindowHandle == 0 {
		return Window{}, false
	}
	return Window{native{id: xproto.Window(c.WindowHandle), display: os.Getenv("DISPLAY")}}, true
}

// native is an X11 window: its id, and the display it is on.
type native struct {
	id      xproto.Window
	display string
}

// x11Tree is what a move needs to know of a window: the window, its
// top-level ancestor (its frame) and the root window.
type x11Tree struct {
	win, top, root xproto.Window
	// frame is the top-level ancestor's outer rectangle on the root,
	// screen the root window's.
	frame, screen image.Rectangle
}

func (w Window) position() (p image.Point, err error) {
	err = w.withConn(func(c *xgb.Conn) error {
		t, err := readTree(c, w.n.id)
		p = t.frame.Min
		return err
	})
	return p, err
}

func (w Window) moveTo(p image.Point) (to image.Point, err error) {
	err = w.withConn(func(c *xgb.Conn) error {
		t, err := readTree(c, w.n.id)
		if err != nil {
			return err
		}
		if to, err = target(t.frame, t.screen, p); err != nil || to == t.frame.Min {
			return err
		}
		ask := to
		if t.top != t.win {
			if ask, err = t.clientPlace(c, to); err != nil {
				return err
			}
		}
		v := []uint32{uint32(int32(ask.X)), uint32(int32(ask.Y))}
		if err := xproto.ConfigureWindowChecked(c, t.win, xproto.ConfigWindowX|xproto.ConfigWindowY, v).Check(); err != nil {
			return fmt.Errorf("move window %#x to %d,%d: %w", t.win, ask.X, ask.Y, err)
		}
		return nil
	})
	return to, err
}

// clientPlace is the place to ask for t.win so that the window manager
// puts its frame at to: to itself under NorthWestGravity, the window's
// own outer corner shifted as the frame is under StaticGravity.
func (t x11Tree) clientPlace(c *xgb.Conn, to image.Point) (image.Point, error) {
	static, err := staticGravity(c, t.win)
	if err != nil || !static {
		return to, err
	}
	in, err := xproto.TranslateCoordinates(c, t.win, t.root, 0, 0).Reply()
	if err != nil {
		return to, fmt.Errorf("read where window %#x is on the screen: %w", t.win, err)
	}
	g, err := xproto.GetGeometry(c, xproto.Drawable(t.win)).Reply()
	if err != nil {
		return to, fmt.Errorf("read the size of window %#x: %w", t.win, err)
	}
	b := int(g.BorderWidth)
	return image.Pt(int(in.DstX)-b, int(in.DstY)-b).Add(to.Sub(t.frame.Min)), nil
}

// withConn runs f over a connection of its own to the window's display.
func (w Window) withConn(f func(c *xgb.Conn) error) error {
	c, err := xgb.NewConnDisplay(w.n.display)
	if err != nil {
		return fmt.Errorf("connect to the X display %q: %w", w.n.display, err)
	}
	defer c.Close()
	return f(c)
}

// readTree finds win's top-level ancestor, its rectangle and the screen's.
func readTree(c *xgb.Conn, win xproto.Window) (x11Tree, error) {
	t := x11Tree{win: win, top: win}
	for {
		q, err := xproto.QueryTree(c, t.top).Reply()
		if err != nil {
			return t, fmt.Errorf("read the parent of window %#x: %w", t.top, err)
		}
		t.root = q.Root
		if q.Parent == q.Root || q.Parent == 0 {
			break
		}
		t.top = q.Parent
	}
	g, err := xproto.GetGeometry(c, xproto.Drawable(t.top)).Reply()
	if err != nil {
		return t, fmt.Errorf("read the place of window %#x: %w", t.top, err)
	}
	b := 2 * int(g.BorderWidth)
	t.frame = image.Rect(int(g.X), int(g.Y), int(g.X)+int(g.Width)+b, int(g.Y)+int(g.Height)+b)
	r, err := xproto.GetGeometry(c, xproto.Drawable(t.root)).Reply()
	if err != nil {
		return t, fmt.Errorf("read the size of the screen: %w", err)
	}
	t.screen = image.Rect(0, 0, int(r.Width), int(r.Height))
	return t, nil
}

// staticGravity tells whether win's WM_NORMAL_HINTS ask for StaticGravity,
// so that a window manager reads a move's coordinates as those of the
// window inside its frame (otherwise, NorthWestGravity, as those of the
// frame).
func staticGravity(c *xgb.Conn, win xproto.Window) (bool, error) {
	const (
		pWinGravity    = 1 << 9
		staticGravity  = 10
		winGravityWord = 17 // of the 18 32-bit words of WM_SIZE_HINTS
	)
	p, err := xproto.GetProperty(c, false, win, xproto.AtomWmNormalHints, xproto.AtomWmSizeHints, 0, 18).Reply()
	if err != nil {
		return false, fmt.Errorf("read the size hints of window %#x: %w", win, err)
	}
	if p.Format != 32 || len(p.Value) < 4*(winGravityWord+1) {
		return false, nil
	}
	word := func(i int) uint32 { return xgb.Get32(p.Value[4*i:]) }
	return word(0)&pWinGravity != 0 && word(winGravityWord) == staticGravity, nil
}
