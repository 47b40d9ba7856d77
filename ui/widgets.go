package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// inputHooks is what the window's input widgets report to: every key, tap
// and scroll counts as activity for the idle lock, and the shortcuts of the
// table (keys.go) work whichever field has the focus.
type inputHooks interface {
	touch()
	shortcut(*desktop.CustomShortcut) bool
	escape() bool
	// typedKey runs a key without Ctrl that works from every field (F1,
	// a screen's Page Up / Page Down); false leaves it to the field.
	typedKey(fyne.KeyName) bool
	// pressed notes that a widget acted on a tap or a key; keyDown that a
	// key went down; strayRune whether a typed character is the Space a
	// button just used (see keys.go).
	pressed(fyne.Focusable)
	keyDown()
	strayRune(rune) bool
	// focused brings a field that took the keyboard into view (inview.go).
	focused(fyne.CanvasObject)
}

// entry is a text field that reports activity and passes the window's
// shortcuts, its keys that work from every field, and Escape on; it drops
// the Space character of a button's press (keys.go). onKey, when set, sees
// every key first (the search field uses it for the arrow keys).
type entry struct {
	widget.Entry
	hooks inputHooks
	onKey func(*fyne.KeyEvent) bool
	// tabMoves makes Tab in a field of several lines go to the next
	// field instead of typing a tab (a visit note's sections).
	tabMoves bool
}

func newEntry(h inputHooks, placeholder string) *entry {
	e := &entry{hooks: h}
	e.PlaceHolder = placeholder
	e.Wrapping = fyne.TextWrapOff
	e.Scroll = container.ScrollHorizontalOnly
	e.ExtendBaseWidget(e)
	return e
}

func newPasswordEntry(h inputHooks, placeholder string) *entry {
	e := newEntry(h, placeholder)
	e.Password = true
	return e
}

func newMultiLineEntry(h inputHooks, placeholder string, rows int) *entry {
	e := &entry{hooks: h}
	e.PlaceHolder = placeholder
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(rows)
	e.ExtendBaseWidget(e)
	return e
}

// AcceptsTab keeps Tab for a field of several lines unless it moves.
func (e *entry) AcceptsTab() bool { return e.MultiLine && !e.tabMoves }

// FocusGained brings the field into view: Tab may go to one below the
// fold of a form taller than the window.
func (e *entry) FocusGained() {
	e.Entry.FocusGained()
	e.hooks.focused(e)
}

func (e *entry) TypedRune(r rune) {
	e.hooks.touch()
	if e.hooks.strayRune(r) {
		return
	}
	e.Entry.TypedRune(r)
}

func (e *entry) KeyDown(k *fyne.KeyEvent) {
	e.hooks.keyDown()
	e.Entry.KeyDown(k)
}

func (e *entry) TypedKey(k *fyne.KeyEvent) {
	e.hooks.touch()
	if e.onKey != nil && e.onKey(k) {
		return
	}
	if windowKey(e.hooks, k) {
		return
	}
	e.Entry.TypedKey(k)
}

// windowKey hands a key typed in a field to the window first: Escape, when
// the screen on show goes back or cancels on it, and the keys that work
// from every field (F1, a screen's Page Up / Page Down); false leaves it to
// the field.
func windowKey(h inputHooks, k *fyne.KeyEvent) bool {
	return (k.Name == fyne.KeyEscape && h.escape()) || h.typedKey(k.Name)
}

func (e *entry) TypedShortcut(s fyne.Shortcut) {
	e.hooks.touch()
	if cs, ok := windowShortcut(s); ok && e.hooks.shortcut(cs) {
		return
	}
	e.Entry.TypedShortcut(s)
}

func (e *entry) MouseDown(m *desktop.MouseEvent) {
	e.hooks.touch()
	e.Entry.MouseDown(m)
}

// check is a checkbox that reports activity.
type check struct {
	widget.Check
	hooks inputHooks
}

func newCheck(h inputHooks, label string, changed func(bool)) *check {
	c := &check{hooks: h}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

func (c *check) Tapped(ev *fyne.PointEvent) { c.hooks.touch(); c.Check.Tapped(ev) }
func (c *check) FocusGained()               { c.Check.FocusGained(); c.hooks.focused(c) }
func (c *check) TypedRune(r rune)           { c.hooks.touch(); c.Check.TypedRune(r) }
func (c *check) TypedKey(k *fyne.KeyEvent) {
	c.hooks.touch()
	if !windowKey(c.hooks, k) {
		c.Check.TypedKey(k)
	}
}

// choice is a drop-down that reports activity.
type choice struct {
	widget.Select
	hooks inputHooks
}

func newChoice(h inputHooks, options []string, changed func(string)) *choice {
	c := &choice{hooks: h}
	c.Options, c.OnChanged = options, changed
	c.PlaceHolder = "(choose)"
	c.ExtendBaseWidget(c)
	return c
}

func (c *choice) Tapped(ev *fyne.PointEvent) { c.hooks.touch(); c.Select.Tapped(ev) }
func (c *choice) FocusGained()               { c.Select.FocusGained(); c.hooks.focused(c) }
func (c *choice) TypedRune(r rune)           { c.hooks.touch(); c.Select.TypedRune(r) }
func (c *choice) TypedKey(k *fyne.KeyEvent) {
	c.hooks.touch()
	if !windowKey(c.hooks, k) {
		c.Select.TypedKey(k)
	}
}

// button is a button whose taps (mouse or Space) count as activity; the
// character of a Space that pressed it does not reach the field that has
// the keyboard next.
func button(h inputHooks, label string, icon fyne.Resource, imp widget.Importance, tapped func()) *widget.Button {
	var b *widget.Button
	b = widget.NewButtonWithIcon(label, icon, func() {
		h.touch()
		h.pressed(b)
		tapped()
	})
	b.Importance = imp
	return b
}

// link is a hyperlink-styled action; like a button's, the character of a
// Space that pressed it does not reach the field that has the keyboard
// next.
func link(h inputHooks, label string, tapped func()) *widget.Hyperlink {
	l := widget.NewHyperlink(label, nil)
	l.OnTapped = func() {
		h.touch()
		h.pressed(l)
		tapped()
	}
	return l
}

// newScroller is a vertical scroll container whose scrolling counts as
// activity (a doctor reading a long chart is using the window).
func newScroller(h inputHooks, content fyne.CanvasObject) *container.Scroll {
	s := container.NewVScroll(content)
	s.OnScrolled = func(fyne.Position) { h.touch() }
	return s
}

// reflow lays the column a scroll holds out again after a part of it
// changed height (a wrapped label given longer text, a list shown under a
// field). Fyne lays out again only one grown part a frame, so without it
// the part lies over what follows it, or does not show at all.
func reflow(s *container.Scroll) {
	if s == nil {
		return
	}
	s.Content.Refresh()
	s.Refresh()
}

// catcher lies under the whole window and sees the mouse wherever no widget
// above it wants it: moves and taps there count as activity.
type catcher struct {
	widget.BaseWidget
	touch func()
}

func newCatcher(touch func()) *catcher {
	c := &catcher{touch: touch}
	c.ExtendBaseWidget(c)
	return c
}

func (c *catcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}
func (c *catcher) MouseIn(*desktop.MouseEvent)    { c.touch() }
func (c *catcher) MouseMoved(*desktop.MouseEvent) { c.touch() }
func (c *catcher) MouseOut()                      {}
func (c *catcher) Tapped(*fyne.PointEvent)        { c.touch() }

// text returns a rich text of one styled segment.
func text(s string, style widget.RichTextStyle) *widget.RichText {
	rt := widget.NewRichText(&widget.TextSegment{Text: s, Style: style})
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// styles used across screens.
var (
	styleMuted   = widget.RichTextStyle{ColorName: colorNameMuted, Inline: true}
	styleBold    = widget.RichTextStyle{TextStyle: fyne.TextStyle{Bold: true}, Inline: true}
	styleRegular = widget.RichTextStyle{Inline: true}
	styleTitle   = widget.RichTextStyle{TextStyle: fyne.TextStyle{Bold: true}, SizeName: sizeNameTitle, Inline: true}
	styleMRN     = widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true, Bold: true}, SizeName: sizeNameMRN, Inline: true}
)

// heading is a screen or section title.
func heading(s string) *widget.Label {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// wrapped is a plain label that wraps at word boundaries.
func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// checkNewPassword checks a new password for user and its confirmation.
// On a problem it says what in msg, puts the keyboard where the person
// types again, and returns false.
func checkNewPassword(u *App, msg messageLabel, user string, pass, again *entry) bool {
	if err := app.CheckPassword([]byte(pass.Text), user); err != nil {
		msg.error(message(err))
		u.win.Canvas().Focus(pass)
		return false
	}
	if pass.Text != again.Text {
		msg.error("The two passwords are not the same. Type them again.")
		again.SetText("")
		u.win.Canvas().Focus(again)
		return false
	}
	return true
}

// muted is a secondary, wrapping text.
func muted(s string) *widget.RichText { return text(s, styleMuted) }

// busyNote says that slow work is under way (a password hashed: seconds
// on a clinic laptop): a spinner and a line such as "Adding user
// j.okello…"; hidden, it takes no room.
type busyNote struct {
	spin *widget.Activity
	text *widget.Label
	box  *fyne.Container
}

func newBusyNote() *busyNote {
	b := &busyNote{spin: widget.NewActivity(), text: widget.NewLabel("")}
	b.box = container.NewHBox(container.NewCenter(b.spin), b.text)
	b.box.Hide()
	return b
}

func (b *busyNote) start(s string) {
	b.text.SetText(s)
	b.box.Show()
	b.spin.Start()
}

func (b *busyNote) stop() {
	b.spin.Stop()
	b.box.Hide()
}

// setEnabled enables ws when on, and disables them otherwise.
func setEnabled(on bool, ws ...fyne.Disableable) {
	for _, w := range ws {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

// spin shows a turning while slow work runs (on), and stops and hides it
// after.
func spin(a *widget.Activity, on bool) {
	if on {
		a.Show()
		a.Start()
	} else {
		a.Stop()
		a.Hide()
	}
}

// keyText is text a person copies by hand or compares by eye (a recovery
// key, a fingerprint): centred, monospace, bold and large.
func keyText(s string) *widget.RichText {
	return widget.NewRichText(&widget.TextSegment{Text: s, Style: widget.RichTextStyle{
		Alignment: fyne.TextAlignCenter,
		TextStyle: fyne.TextStyle{Monospace: true, Bold: true},
		SizeName:  sizeNameKey,
	}})
}

// messageLabel shows an error or a confirmation next to a form; empty, it
// takes no room.
type messageLabel struct {
	*widget.Label
}

func newMessageLabel() messageLabel {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return messageLabel{l}
}

func (m messageLabel) set(s string, imp widget.Importance) {
	m.Importance = imp
	m.SetText(s)
	if s == "" {
		m.Hide()
	} else {
		m.Show()
	}
}

func (m messageLabel) error(s string) { m.set(s, widget.DangerImportance) }
func (m messageLabel) info(s string)  { m.set(s, widget.SuccessImportance) }
func (m messageLabel) clear()         { m.set("", widget.MediumImportance) }

// panel puts content on a white card with a thin border and inner padding.
func panel(content fyne.CanvasObject) *fyne.Container {
	bg := canvas.NewRectangle(theme.Color(colorNameSurface))
	bg.CornerRadius = 6
	bg.StrokeColor = theme.Color(theme.ColorNameSeparator)
	bg.StrokeWidth = 1
	return container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(12, 12, 16, 16), content))
}

// bannerKind picks a banner's colours.
type bannerKind int

const (
	bannerInfo bannerKind = iota
	bannerCaution
	bannerGood
)

// banner is a full-width coloured note above a screen's content.
func banner(kind bannerKind, icon fyne.Resource, content fyne.CanvasObject) *fyne.Container {
	bgName, accent := colorNameBanner, theme.ColorNamePrimary
	switch kind {
	case bannerCaution:
		bgName, accent = colorNameCaution, theme.ColorNameWarning
	case bannerGood:
		bgName, accent = colorNameGood, theme.ColorNameSuccess
	}
	bg := canvas.NewRectangle(theme.Color(bgName))
	bg.CornerRadius = 6
	bar := canvas.NewRectangle(theme.Color(accent))
	bar.SetMinSize(fyne.NewSize(4, 0))
	var left fyne.CanvasObject = bar
	if icon != nil {
		left = container.NewHBox(bar, container.NewCenter(widget.NewIcon(theme.NewColoredResource(icon, accent))))
	}
	return container.NewStack(bg, container.NewBorder(nil, nil, left, nil,
		container.New(layout.NewCustomPaddedLayout(6, 6, 4, 8), content)))
}

// fixedWidth centres content in a column no wider than w, for forms that
// would read badly stretched across a wide window.
type fixedWidth struct{ w float32 }

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

func (f fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(max(f.w, f.MinSize(objs).Width), size.Width)
	for _, o := range objs {
		o.Resize(fyne.NewSize(w, size.Height))
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
	}
}

// column lays content out in a centred column of width w.
func column(w float32, content fyne.CanvasObject) *fyne.Container {
	return container.New(fixedWidth{w}, content)
}

// centered lays one card out in the middle of the screen, at most w wide,
// and vertically centred while it fits (the setup and login cards).
type centered struct{ w float32 }

func (c centered) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s.AddWidthHeight(0, 32)
}

func (c centered) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(c.w, size.Width)
	for _, o := range objs {
		// Size the width first: wrapped text knows its height only then.
		o.Resize(fyne.NewSize(w, o.MinSize().Height))
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos((size.Width-w)/2, max((size.Height-h)/2, 16)))
	}
}

// centerCard shows a card in the middle of a scrollable screen.
func centerCard(h inputHooks, w float32, card fyne.CanvasObject) fyne.CanvasObject {
	return newScroller(h, container.New(centered{w}, card))
}

// formGrid lays label/field pairs out in two aligned columns.
func formGrid(pairs ...fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewFormLayout(), pairs...)
}

// fieldLabel is the label of a form field, right-aligned next to it.
func fieldLabel(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignTrailing, fyne.TextStyle{})
}

// wideLabel is a field label at least w wide, so that the label columns of
// several form sections line up.
type wideLabel struct {
	widget.Label
	w float32
}

func fieldLabelW(s string, w float32) *wideLabel {
	l := &wideLabel{w: w}
	l.Text, l.Alignment = s, fyne.TextAlignTrailing
	l.ExtendBaseWidget(l)
	return l
}

func (l *wideLabel) MinSize() fyne.Size {
	s := l.Label.MinSize()
	s.Width = max(s.Width, l.w)
	return s
}

// valueLabel is a read-only value in the patient view; PHI, so screens
// keep it to clear it.
func valueLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Selectable = true
	return l
}
