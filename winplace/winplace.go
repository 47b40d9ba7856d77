// Package winplace reads where a desktop window is on the screen and
// moves it there again, so that a window can open where it was last
// closed.
//
// # Invariants
//
//   - A place is the top-left corner of the window's frame (the window
//     manager's title bar and borders included) in the screen's pixels,
//     so that a window moved to where it was read comes back at the same
//     place, frame and all.
//   - A window is never moved to where its title bar cannot be reached:
//     a place partly off the screen is brought on so that a grip of the
//     title bar lies on it, and a place with no part on the screen (a
//     monitor since removed) is refused with [ErrOffScreen], the window
//     left where it is.
//   - Nothing is kept between calls: each call asks the windowing system
//     afresh (on X11 over a connection of its own, closed before it
//     returns).
//
// It works on X11 (Linux and the BSDs, through the pure-Go X protocol
// client github.com/jezek/xgb) and on Windows (user32; compiled and
// vetted for Windows, not yet run there). On macOS and
// Wayland, where a program cannot read or set its window's position,
// [Of] reports no window.
package winplace

import (
	"errors"
	"image"
)

// Failures a caller may branch on.
var (
	// ErrOffScreen: no part of the window would lie on the screen there.
	ErrOffScreen = errors.New("that place is off the screen: the window stays where it is")
	// ErrUnsupported: windows cannot be placed on this platform.
	ErrUnsupported = errors.New("this platform does not let a program place its windows")
)

// The grip of the title bar that must stay on the screen, in pixels: its
// height from the frame's top and its width.
const (
	titleBar  = 24
	gripWidth = 100
)

// Window is one top-level window of the desktop.
type Window struct {
	n native // the platform's handle of it
}

// Of returns the window behind ctx, the context that Fyne's
// driver.NativeWindow.RunNative passes to its function; false on
// platforms where windows cannot be placed (macOS, Wayland) and for a
// window not shown yet or closing.
func Of(ctx any) (Window, bool) { return of(ctx) }

// Position returns where the window's frame is: its top-left corner in
// the screen's pixels.
func (w Window) Position() (image.Point, error) { return w.position() }

// MoveTo moves the window's frame so that its top-left corner is at p, or
// nearer the screen where a grip of its title bar would be off it, and
// returns where it asked the window to go. A place where no part of the
// window would be on the screen is refused with [ErrOffScreen].
func (w Window) MoveTo(p image.Point) (image.Point, error) { return w.moveTo(p) }

// target is where MoveTo(p) puts a window whose frame is fr on the screen
// scr.
func target(fr, scr image.Rectangle, p image.Point) (image.Point, error) {
	to, ok := fit(fr.Add(p.Sub(fr.Min)), scr)
	if !ok {
		return fr.Min, ErrOffScreen
	}
	return to, nil
}

// fit returns where the frame r goes on the screen scr: where it is, or
// moved the least so that the top titleBar rows of it lie on the screen
// over at least gripWidth pixels (its width if narrower). False when no
// part of r lies on scr.
func fit(r, scr image.Rectangle) (image.Point, bool) {
	if !r.Overlaps(scr) {
		return image.Point{}, false
	}
	grip := min(gripWidth, r.Dx())
	x := max(min(r.Min.X, scr.Max.X-grip), scr.Min.X+grip-r.Dx())
	y := max(min(r.Min.Y, scr.Max.Y-min(titleBar, r.Dy())), scr.Min.Y)
	return image.Pt(x, y), true
}
