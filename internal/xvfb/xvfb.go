// Package xvfb runs a real X server for a test: Xvfb, on a display number
// it picks itself (so that tests and programs running at once never share
// one), and a window manager on it when asked (Openbox), both stopped when
// the test ends; it makes plain windows there, finds a program's window,
// and reads and moves windows as a person would see and drag them. A leaf
// package: it imports none of Folio's.
package xvfb

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Server is a running Xvfb and the test's connection to it.
type Server struct {
	Display string // ":N"
	Conn    *xgb.Conn
	Root    xproto.Window
}

// Start runs Xvfb with one screen of width×height pixels and sets DISPLAY
// to it for the test. It skips t when the Xvfb program is not installed
// (scripts/deps.sh test installs it) and fails t when it does not start.
func Start(t *testing.T, width, height int) *Server {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Skip("Xvfb is not installed (scripts/deps.sh test installs it): no X server to test a real window on")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var errOut bytes.Buffer
	cmd := exec.Command(bin, "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", fmt.Sprintf("%dx%dx24", width, height))
	cmd.ExtraFiles = []*os.File{w} // fd 3
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	var n string
	select {
	case n = <-got:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
	}
	if n == "" {
		<-exited
		t.Fatalf("Xvfb did not start:\n%s", errOut.String())
	}
	s := &Server{Display: ":" + n}
	if s.Conn, err = xgb.NewConnDisplay(s.Display); err != nil {
		t.Fatalf("connect to Xvfb: %v", err)
	}
	t.Cleanup(s.Conn.Close)
	s.Root = xproto.Setup(s.Conn).DefaultScreen(s.Conn).Root
	t.Setenv("DISPLAY", s.Display)
	return s
}

// NewWindow makes and maps a top-level window with the rectangle r.
func (s *Server) NewWindow(t testing.TB, r image.Rectangle) xproto.Window {
	t.Helper()
	scr := xproto.Setup(s.Conn).DefaultScreen(s.Conn)
	id, err := xproto.NewWindowId(s.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(s.Conn, scr.RootDepth, id, scr.Root, int16(r.Min.X), int16(r.Min.Y),
		uint16(r.Dx()), uint16(r.Dy()), 0, xproto.WindowClassInputOutput, scr.RootVisual, 0, nil).Check(); err != nil {
		t.Fatalf("make an X window: %v", err)
	}
	if err := xproto.MapWindowChecked(s.Conn, id).Check(); err != nil {
		t.Fatalf("map an X window: %v", err)
	}
	return id
}

// Place is where the X server has window id, relative to its parent.
func (s *Server) Place(t testing.TB, id xproto.Window) image.Point {
	t.Helper()
	g, err := xproto.GetGeometry(s.Conn, xproto.Drawable(id)).Reply()
	if err != nil {
		t.Fatalf("read the place of X window %#x: %v", id, err)
	}
	return image.Pt(int(g.X), int(g.Y))
}

// Move moves window id to p, relative to its parent, as a person dragging
// it would with no window manager running.
func (s *Server) Move(t testing.TB, id xproto.Window, p image.Point) {
	t.Helper()
	v := []uint32{uint32(int32(p.X)), uint32(int32(p.Y))}
	if err := xproto.ConfigureWindowChecked(s.Conn, id, xproto.ConfigWindowX|xproto.ConfigWindowY, v).Check(); err != nil {
		t.Fatalf("move X window %#x: %v", id, err)
	}
}

// StartWindowManager runs Openbox, a window manager that frames each
// window with a title bar, until the test ends. It skips t when Openbox is
// not installed (scripts/deps.sh test installs it).
func (s *Server) StartWindowManager(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("openbox")
	if err != nil {
		t.Skip("Openbox is not installed (scripts/deps.sh test installs it): no window manager to test under")
	}
	cmd := exec.Command(bin, "--sm-disable")
	cmd.Env = append(os.Environ(), "DISPLAY="+s.Display, "XDG_CONFIG_HOME="+t.TempDir(), "HOME="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Openbox: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Openbox takes the screen over in steps (its selection, its name on
	// the root window, then the requests to map a window): a probe window
	// is mapped until Openbox frames one.
	for end := time.Now().Add(20 * time.Second); ; {
		probe := s.NewWindow(t, image.Rect(0, 0, 50, 50))
		framed := false
		for wait := time.Now().Add(300 * time.Millisecond); !framed && time.Now().Before(wait); time.Sleep(10 * time.Millisecond) {
			framed = s.Parent(t, probe) != s.Root
		}
		xproto.DestroyWindow(s.Conn, probe)
		if framed {
			return
		}
		if time.Now().After(end) {
			t.Fatal("Openbox did not frame a window within 20 s")
		}
	}
}

// Parent is window id's parent: the root window, or a window manager's
// frame.
func (s *Server) Parent(t testing.TB, id xproto.Window) xproto.Window {
	t.Helper()
	q, err := xproto.QueryTree(s.Conn, id).Reply()
	if err != nil {
		t.Fatalf("read the parent of X window %#x: %v", id, err)
	}
	return q.Parent
}

// OnScreen is where window id is on the screen (inside its frame, if a
// window manager frames it).
func (s *Server) OnScreen(t testing.TB, id xproto.Window) image.Point {
	t.Helper()
	r, err := xproto.TranslateCoordinates(s.Conn, id, s.Root, 0, 0).Reply()
	if err != nil {
		t.Fatalf("read where X window %#x is on the screen: %v", id, err)
	}
	return image.Pt(int(r.DstX), int(r.DstY))
}

// Frame is the top-left corner on the screen of what shows window id: its
// window manager's frame, or itself when none frames it.
func (s *Server) Frame(t testing.TB, id xproto.Window) image.Point {
	t.Helper()
	for p := s.Parent(t, id); p != s.Root; p = s.Parent(t, id) {
		id = p
	}
	return s.Place(t, id)
}

// FindWindow waits until a window titled name is shown and returns it; it
// fails t after 60 s.
func (s *Server) FindWindow(t testing.TB, name string) xproto.Window {
	t.Helper()
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if id, ok := s.find(s.Root, name, 2); ok {
			return id
		}
	}
	t.Fatalf("no window titled %q shown within 60 s", name)
	return 0
}

// find looks for a shown window titled name among the children of w and
// theirs, depth levels down.
func (s *Server) find(w xproto.Window, name string, depth int) (xproto.Window, bool) {
	q, err := xproto.QueryTree(s.Conn, w).Reply()
	if err != nil || depth == 0 {
		return 0, false
	}
	for _, c := range q.Children {
		p, err := xproto.GetProperty(s.Conn, false, c, xproto.AtomWmName, xproto.AtomAny, 0, 64).Reply()
		a, aerr := xproto.GetWindowAttributes(s.Conn, c).Reply()
		if err == nil && aerr == nil && string(p.Value) == name && a.MapState == xproto.MapStateViewable {
			return c, true
		}
		if id, ok := s.find(c, name, depth-1); ok {
			return id, true
		}
	}
	return 0, false
}

// Close asks the program of window id to close it, as the window's close
// button does (ICCCM's WM_DELETE_WINDOW).
func (s *Server) Close(t testing.TB, id xproto.Window) {
	t.Helper()
	atom := func(n string) xproto.Atom {
		a, err := xproto.InternAtom(s.Conn, false, uint16(len(n)), n).Reply()
		if err != nil {
			t.Fatalf("intern %s: %v", n, err)
		}
		return a.Atom
	}
	ev := xproto.ClientMessageEvent{Format: 32, Window: id, Type: atom("WM_PROTOCOLS"),
		Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(atom("WM_DELETE_WINDOW")), xproto.TimeCurrentTime, 0, 0, 0})}
	if err := xproto.SendEventChecked(s.Conn, false, id, xproto.EventMaskNoEvent, string(ev.Bytes())).Check(); err != nil {
		t.Fatalf("close X window %#x: %v", id, err)
	}
}
