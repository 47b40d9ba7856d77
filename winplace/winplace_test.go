package winplace

import (
	"errors"
	"image"
	"testing"

	"fyne.io/fyne/v2/driver"
)

// Where MoveTo puts a window's frame on a screen of 1366×768, asked to
// move it from 0,0 to each rectangle's place.
func TestTarget(t *testing.T) {
	scr := image.Rect(0, 0, 1366, 768)
	for _, c := range []struct {
		name string
		r    image.Rectangle
		want image.Point
		ok   bool
	}{
		{"on the screen", image.Rect(200, 150, 1300, 870), image.Pt(200, 150), true},
		{"its right part off", image.Rect(1000, 100, 2100, 820), image.Pt(1000, 100), true},
		{"title bar above the top", image.Rect(200, -40, 1300, 680), image.Pt(200, 0), true},
		{"title bar below the bottom", image.Rect(200, 760, 1300, 1480), image.Pt(200, 768-titleBar), true},
		{"too little of it left of the screen", image.Rect(-1050, 100, 50, 820), image.Pt(gripWidth-1100, 100), true},
		{"too little of it right of the screen", image.Rect(1330, 100, 2430, 820), image.Pt(1366-gripWidth, 100), true},
		{"a narrow one, whole width kept", image.Rect(1350, 100, 1410, 160), image.Pt(1366-60, 100), true},
		{"on a monitor since removed", image.Rect(1500, 100, 2600, 820), image.Point{}, false},
		{"minimised on Windows", image.Rect(-32000, -32000, -31840, -31972), image.Point{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fr := c.r.Sub(c.r.Min)
			got, err := target(fr, scr, c.r.Min)
			if ok := err == nil; ok != c.ok || ok && got != c.want {
				t.Fatalf("target(%v) = %v, %v; want %v, ok %v", c.r, got, err, c.want, c.ok)
			}
			if !c.ok && (!errors.Is(err, ErrOffScreen) || got != fr.Min) {
				t.Fatalf("target(%v) = %v, %v; want it left at %v with ErrOffScreen", c.r, got, err, fr.Min)
			}
		})
	}
}

// A window Of cannot place: not an X11 or Windows window, or one not
// created yet.
func TestOfNoWindow(t *testing.T) {
	for _, native := range []any{nil, driver.UnknownContext{}, driver.WaylandWindowContext{WaylandSurface: 1},
		driver.X11WindowContext{}, driver.WindowsWindowContext{}} {
		if _, ok := Of(native); ok {
			t.Errorf("Of(%#v) gave a window", native)
		}
	}
}
