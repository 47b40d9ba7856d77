package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// listOverPanel lays a list out over a panel of fields: the panel gets
// the height it needs while the list keeps at least minList; below that
// the panel scrolls. The coding screen's codes found sit over the codes
// assigned, which grow with each code and with the edits.
type listOverPanel struct {
	minList float32
	panel   fyne.CanvasObject // the panel's content, inside its scroll
}

func (l *listOverPanel) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w := max(objs[0].MinSize().Width, l.panel.MinSize().Width)
	return fyne.NewSize(w, l.minList+theme.Padding()+min(l.panel.MinSize().Height, l.minList))
}

func (l *listOverPanel) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	ph := min(l.panel.MinSize().Height, max(size.Height-l.minList-pad, 0))
	lh := max(size.Height-ph-pad, 0)
	objs[0].Resize(fyne.NewSize(size.Width, lh))
	objs[0].Move(fyne.NewPos(0, 0))
	objs[1].Resize(fyne.NewSize(size.Width, ph))
	objs[1].Move(fyne.NewPos(0, lh+pad))
}

// newListOverPanel is list over panel, laid out so.
func newListOverPanel(h inputHooks, list, panel fyne.CanvasObject, minList float32) *fyne.Container {
	return container.New(&listOverPanel{minList: minList, panel: panel}, list, newScroller(h, panel))
}
