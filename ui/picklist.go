package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"folio/visible"
)

// pickRow is one line of a pick list: a code or identifier in monospace
// (lead), a title, a tag at the right end (a status), and a muted second
// line (detail), each optional. dim marks a row that cannot be chosen for
// the list's action (a category header); its tag says why.
type pickRow struct {
	lead, title, tag, detail string
	tagImp                   widget.Importance
	dim                      bool
}

// pickList is a field over a list: what is typed in the field filters the
// rows (or, with onQuery, is handed to a search that sets them), ↓ ↑
// choose a row and open runs the screen's action on it, all with the
// keyboard in the field. The worklists and the code search use it.
type pickList struct {
	field *entry
	list  *widget.List
	// rows are what the list shows; keep[i] is the index of rows[i] in
	// the rows set (the filter's survivors).
	all  []pickRow
	rows []pickRow
	keep []int
	sel  int // the chosen row of rows, or -1
	// onQuery, when set, gets the field's text instead of the filter.
	onQuery func(string)
	// open runs on Enter in the field or a tap on a row, with the index
	// of the row in the set given to set.
	open func(int)
	// chosen, when set, is told the index of the row chosen.
	chosen func(int)
}

// newPickList makes a pick list whose rows are one line (oneLine: no
// detail) or two.
func newPickList(h inputHooks, placeholder string, oneLine bool) *pickList {
	p := &pickList{sel: -1}
	p.field = newEntry(h, placeholder)
	p.field.OnChanged = func(q string) {
		if p.onQuery != nil {
			p.onQuery(q)
			return
		}
		p.filter(q)
	}
	p.field.OnSubmitted = func(string) { p.openChosen() }
	p.field.onKey = func(k *fyne.KeyEvent) bool { return p.key(k.Name) }
	newRow := func() fyne.CanvasObject {
		v := newPickRowView()
		if oneLine {
			v.detail.Hide()
		}
		return v
	}
	p.list = widget.NewList(func() int { return len(p.rows) }, newRow, func(id widget.ListItemID, o fyne.CanvasObject) {
		if id < len(p.rows) {
			v := o.(*pickRowView)
			v.show(p.rows[id])
			v.onTap = func() { h.touch(); p.choose(id); p.openChosen() }
		}
	})
	p.list.OnSelected = func(id widget.ListItemID) { p.sel = id; p.tell() }
	return p
}

// setRows sets p's rows to items, each as row makes it.
func setRows[T any](p *pickList, items []T, row func(T) pickRow) {
	rows := make([]pickRow, len(items))
	for i, it := range items {
		rows[i] = row(it)
	}
	p.set(rows)
}

// set replaces the rows, keeping the field's filter, and chooses the
// first.
func (p *pickList) set(rows []pickRow) {
	p.all = rows
	if p.onQuery != nil {
		p.show(rows, nil)
		return
	}
	p.filter(p.field.Text)
}

// filter keeps the rows whose words hold every word typed.
func (p *pickList) filter(q string) {
	words := strings.Fields(strings.ToLower(q))
	var rows []pickRow
	var keep []int
	for i, r := range p.all {
		hay := strings.ToLower(r.lead + " " + r.title + " " + r.tag + " " + r.detail)
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(hay, w)
		}
		if ok {
			rows, keep = append(rows, r), append(keep, i)
		}
	}
	p.show(rows, keep)
}

// show draws rows (keep nil: all of them, in order) and chooses the first.
func (p *pickList) show(rows []pickRow, keep []int) {
	if keep == nil {
		keep = make([]int, len(rows))
		for i := range keep {
			keep[i] = i
		}
	}
	p.rows, p.keep = rows, keep
	p.list.UnselectAll()
	p.list.Refresh()
	p.list.ScrollToTop()
	p.sel = -1
	if len(rows) > 0 {
		p.choose(0)
	}
}

// key moves the choice with ↓ ↑ and the page keys; false for other keys.
func (p *pickList) key(k fyne.KeyName) bool {
	step, ok := arrowStep(k)
	if !ok {
		return false
	}
	if n := len(p.rows); n > 0 {
		p.choose(min(max(p.sel+step, 0), n-1))
	}
	return true
}

// arrowStep is how far a key moves the choice in a list: ↓ ↑ a row, the
// page keys ten; false for other keys.
func arrowStep(k fyne.KeyName) (int, bool) {
	step, ok := map[fyne.KeyName]int{fyne.KeyDown: 1, fyne.KeyUp: -1, fyne.KeyPageDown: 10, fyne.KeyPageUp: -10}[k]
	return step, ok
}

func (p *pickList) choose(i int) {
	p.sel = i
	p.list.Select(i)
	p.list.ScrollTo(i)
	p.tell()
}

func (p *pickList) tell() {
	if p.chosen != nil && p.sel >= 0 && p.sel < len(p.keep) {
		p.chosen(p.keep[p.sel])
	}
}

// current is the index, in the set, of the row chosen; false when none.
func (p *pickList) current() (int, bool) {
	if p.sel < 0 || p.sel >= len(p.keep) {
		return 0, false
	}
	return p.keep[p.sel], true
}

func (p *pickList) openChosen() {
	if i, ok := p.current(); ok && p.open != nil {
		p.open(i)
	}
}

// forget empties the field and the rows.
func (p *pickList) forget() {
	on := p.field.OnChanged
	p.field.OnChanged = nil
	p.field.SetText("")
	p.field.OnChanged = on
	p.all = nil
	p.show(nil, nil)
}

// pickRowView draws a pickRow: lead, title and tag on the first line, the
// detail muted under them. A tap opens the row.
type pickRowView struct {
	widget.BaseWidget
	lead, title, detail *widget.RichText
	tag                 *widget.Label
	onTap               func()
	// shown is the row drawn: the list asks again for rows it already
	// shows (at each choice and scroll), and shaping their text again is
	// most of a keystroke's time in the code search.
	shown    pickRow
	hasShown bool
}

func newPickRowView() *pickRowView {
	v := &pickRowView{lead: widget.NewRichText(), title: widget.NewRichText(), detail: widget.NewRichText(), tag: widget.NewLabel("")}
	// Clipped, not ellipsed: Fyne shapes an ellipsed line afresh at
	// every draw (most of a keystroke's time in the code search), a
	// clipped one from its cached measures.
	v.title.Truncation = fyne.TextTruncateClip
	v.detail.Truncation = fyne.TextTruncateClip
	v.ExtendBaseWidget(v)
	return v
}

func (v *pickRowView) CreateRenderer() fyne.WidgetRenderer {
	top := container.NewBorder(nil, nil, v.lead, v.tag, v.title)
	return widget.NewSimpleRenderer(container.New(layout.NewCustomPaddedVBoxLayout(-10), top, v.detail))
}

func (v *pickRowView) Tapped(*fyne.PointEvent) {
	if v.onTap != nil {
		v.onTap()
	}
}

func (v *pickRowView) show(r pickRow) {
	if v.hasShown && v.shown == r {
		return
	}
	v.shown, v.hasShown = r, true
	titleStyle, leadStyle := styleBold, widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true, Bold: true}, Inline: true}
	if r.dim {
		titleStyle, leadStyle = styleMuted, widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true}, ColorName: colorNameMuted, Inline: true}
	}
	v.lead.Segments = nil
	v.lead.Hide()
	if r.lead != "" {
		v.lead.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: visible.Line(r.lead), Style: leadStyle}}
		v.lead.Show()
	}
	v.title.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: visible.Line(r.title), Style: titleStyle}}
	v.detail.Segments = nil
	if r.detail != "" {
		v.detail.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: visible.Line(r.detail), Style: styleMuted}}
		v.detail.Show()
	} else {
		v.detail.Hide()
	}
	v.tag.Importance = r.tagImp
	v.tag.SetText(r.tag)
	v.Refresh()
}
