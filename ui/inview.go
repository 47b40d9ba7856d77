package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// This file keeps the field that has the keyboard on the screen: Fyne's
// scrolls do not follow the focus, so Tab through a form taller than the
// window (Administration's "Add a user" at 1024×600) went on typing into
// fields below the fold.

// focused scrolls every scroll that holds o so that o shows, with a
// little room around it.
func (in *input) focused(o fyne.CanvasObject) {
	path := holders(in.a.win.Content(), o)
	for i := len(path) - 1; i >= 0; i-- {
		if s, ok := path[i].(*container.Scroll); ok {
			in.reveal(s, o)
		}
	}
}

// reveal scrolls s, vertically, the least that shows o whole.
func (in *input) reveal(s *container.Scroll, o fyne.CanvasObject) {
	if s.Direction == container.ScrollHorizontalOnly || s.Direction == container.ScrollNone {
		return
	}
	d := in.a.fyne.Driver()
	top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(s.Content).Y
	bottom := top + o.Size().Height
	room := 2 * theme.Padding()
	y := s.Offset.Y
	switch view := s.Size().Height; {
	case top-room < y:
		y = top - room
	case bottom+room > y+view:
		y = min(top-room, bottom+room-view) // a field taller than the view shows its top
	default:
		return
	}
	s.ScrollToOffset(fyne.NewPos(s.Offset.X, max(0, y)))
}

// holders is the chain of containers from root down to o, through the
// kinds the screens are built of; nil when o is elsewhere (a dialog).
func holders(root, o fyne.CanvasObject) []fyne.CanvasObject { return pathDown(root, o, shownIn) }

// shownIn is what a screen's building block shows inside it.
func shownIn(o fyne.CanvasObject) []fyne.CanvasObject {
	var kids []fyne.CanvasObject
	switch c := o.(type) {
	case *fyne.Container:
		kids = c.Objects
	case *container.Scroll:
		kids = []fyne.CanvasObject{c.Content}
	case *container.AppTabs:
		if it := c.Selected(); it != nil {
			kids = []fyne.CanvasObject{it.Content}
		}
	case *container.Split:
		kids = []fyne.CanvasObject{c.Leading, c.Trailing}
	}
	return slices.DeleteFunc(slices.Clone(kids), func(k fyne.CanvasObject) bool { return k == nil || !k.Visible() })
}

// pathDown is the chain of objects from root down to o, going down
// through kids; nil when o is not under root.
func pathDown(root, o fyne.CanvasObject, kids func(fyne.CanvasObject) []fyne.CanvasObject) []fyne.CanvasObject {
	if root == o {
		return []fyne.CanvasObject{root}
	}
	for _, k := range kids(root) {
		if p := pathDown(k, o, kids); p != nil {
			return append([]fyne.CanvasObject{root}, p...)
		}
	}
	return nil
}
