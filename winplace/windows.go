//go:build windows

package winplace

import (
	"fmt"
	"image"
	"unsafe"

	"fyne.io/fyne/v2/driver"
	"golang.org/x/sys/windows"
)

// On Windows a window's rectangle (GetWindowRect) is its frame, title bar
// included, in the virtual screen's pixels (all monitors together), and
// SetWindowPos moves that same rectangle.

func of(ctx any) (Window, bool) {
	c, ok := ctx.(driver.WindowsWindowContext)
	if !ok || c.HWND == 0 {
		return Window{}, false
	}
	return Window{native{hwnd: c.HWND}}, true
}

// native is a Windows window: its HWND.
type native struct{ hwnd uintptr }

func (w Window) position() (image.Point, error) {
	fr, _, err := w.frame(windows.NewLazySystemDLL("user32.dll"))
	return fr.Min, err
}

func (w Window) moveTo(p image.Point) (image.Point, error) {
	user32 := windows.NewLazySystemDLL("user32.dll")
	fr, scr, err := w.frame(user32)
	if err != nil {
		return image.Point{}, err
	}
	to, err := target(fr, scr, p)
	if err != nil || to == fr.Min {
		return to, err
	}
	const swpNoSize, swpNoZOrder, swpNoActivate = 0x1, 0x4, 0x10
	ok, _, err := user32.NewProc("SetWindowPos").Call(w.n.hwnd, 0, uintptr(int32(to.X)), uintptr(int32(to.Y)), 0, 0, swpNoSize|swpNoZOrder|swpNoActivate)
	if ok == 0 {
		return to, fmt.Errorf("move the window to %d,%d: %w", to.X, to.Y, err)
	}
	return to, nil
}

// frame is the window's rectangle and the virtual screen's.
func (w Window) frame(user32 *windows.LazyDLL) (fr, scr image.Rectangle, err error) {
	var r windows.Rect
	if ok, _, err := user32.NewProc("GetWindowRect").Call(w.n.hwnd, uintptr(unsafe.Pointer(&r))); ok == 0 {
		return fr, scr, fmt.Errorf("read where the window is on the screen: %w", err)
	}
	fr = image.Rect(int(r.Left), int(r.Top), int(r.Right), int(r.Bottom))
	const smXVirtualScreen, smYVirtualScreen, smCXVirtualScreen, smCYVirtualScreen = 76, 77, 78, 79
	metric := func(i uintptr) int {
		v, _, _ := user32.NewProc("GetSystemMetrics").Call(i)
		return int(int32(v))
	}
	x, y := metric(smXVirtualScreen), metric(smYVirtualScreen)
	scr = image.Rect(x, y, x+metric(smCXVirtualScreen), y+metric(smCYVirtualScreen))
	return fr, scr, nil
}
