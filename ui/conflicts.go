package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// conflictsScreen lists the records changed on two workstations at once
// (sync keeps both versions), with the fields where the versions differ,
// and settles one with a new version: the content of one version, or the
// proposed merge when the versions changed different fields. Those who
// may merge patient records (records clerks, administrators) use it; the
// listing and every resolution are audited by the session.
type conflictsScreen struct {
	searchExit
	conflicts []app.Conflict
	list      *fyne.Container
	summary   *widget.Label
	msg       messageLabel
	box       fyne.CanvasObject

	// The buttons of the conflicts on show, by "kind/id" (tests tap
	// them): one Keep per version, in the order shown, and Merge when a
	// merge is proposed.
	keepBtn  map[string][]*widget.Button
	mergeBtn map[string]*widget.Button
	// confirm is the question last asked before a resolution, and
	// confirmBtn its Resolve button.
	confirm    dialog.Dialog
	confirmBtn *widget.Button
}

func newConflictsScreen(sess *session) *conflictsScreen {
	u := sess.a
	s := &conflictsScreen{searchExit: searchExit{sess}}
	s.list = container.NewVBox(widget.NewLabel("Loading…"))
	s.summary = widget.NewLabel("")
	s.summary.Importance = widget.LowImportance
	s.msg = newMessageLabel()
	back := button(u.input, "Back to search  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, u.nav.showSearch)
	title := widget.NewLabelWithStyle("Sync conflicts", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = sizeNameTitle
	intro := muted("These records were changed on two workstations before either had synced. " +
		"Both versions are kept, and every workstation shows the newer one until a person settles the record here. " +
		"Keeping a version, or the merge of both, writes a new version that reaches the other workstations with the next sync; " +
		"nothing is lost: the record's history keeps every version.")
	content := container.NewVBox(
		container.NewHBox(back),
		container.NewBorder(nil, nil, title, s.summary),
		intro, s.msg, s.list)
	s.box = scrollingColumn(u, 1040, content)
	s.reload()
	return s
}

func (s *conflictsScreen) view() fyne.CanvasObject    { return s.box }
func (s *conflictsScreen) focusFirst() fyne.Focusable { return nil }

// forget drops the records shown: their labels and fields are PHI.
func (s *conflictsScreen) forget() {
	s.conflicts = nil
	s.list.RemoveAll()
	s.keepBtn, s.mergeBtn = nil, nil
	if s.confirm != nil {
		s.confirm.Hide()
	}
}

// syncSettled reads the list again after a sync round: a resolution made
// on another workstation may have settled a record.
func (s *conflictsScreen) syncSettled() { s.reload() }

// reload reads the conflicts (an audited listing) off the Fyne goroutine.
func (s *conflictsScreen) reload() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		cs, err := sess.s.Conflicts().List(ctx)
		return func() {
			if sess.a.cur != screen(s) {
				return
			}
			if err != nil {
				s.list.RemoveAll()
				s.msg.error("The conflicts could not be read: " + message(err))
				return
			}
			s.conflicts = cs
			s.draw()
		}
	})
}

func conflictKey(c app.Conflict) string { return string(c.Kind) + "/" + c.ID }

// draw lists the conflicts, one panel each.
func (s *conflictsScreen) draw() {
	s.list.RemoveAll()
	s.keepBtn, s.mergeBtn = map[string][]*widget.Button{}, map[string]*widget.Button{}
	s.summary.SetText(plural(len(s.conflicts), "record in conflict", "records in conflict"))
	if len(s.conflicts) == 0 {
		s.list.Add(panel(container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil,
			wrapped("No conflicts: every record has one current version."))))
		return
	}
	for _, c := range s.conflicts {
		s.list.Add(s.conflictView(c))
	}
}

// conflictView draws one record: what it is, a table of the differing
// fields (the common version before, each version, the merge), and the
// ways to settle it.
func (s *conflictsScreen) conflictView(c app.Conflict) fyne.CanvasObject {
	u, key := s.sess.a, conflictKey(c)
	label := visible.Line(c.Label)
	if label == "" {
		label = kindText(c.Kind) + " " + c.ID
	}
	title := text(capital(label), styleBold)
	what := fmt.Sprintf("%s changed on %s at once. Every workstation shows version %d until it is settled.",
		capital(kindText(c.Kind)), plural(len(c.Versions), "workstation", "workstations"), currentIndex(c)+1)

	// The columns: the field, the version before (when known), each
	// version, and the merge.
	head := []fyne.CanvasObject{widget.NewLabelWithStyle("Field", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	if c.Base != nil {
		head = append(head, versionHead("Before", *c.Base))
	}
	for i, v := range c.Versions {
		head = append(head, versionHead(fmt.Sprintf("Version %d", i+1), v))
	}
	var merged map[string]string
	if c.Mergeable {
		merged = c.ProposalFields()
		head = append(head, text("Merged", styleBold))
	}
	cells := slices.Clone(head)
	cols := len(head)
	for _, f := range c.Differing {
		cells = append(cells, widget.NewLabel(fieldText(f)))
		if c.Base != nil {
			cells = append(cells, valueText(c.Base.Fields[f], nil))
		}
		for _, v := range c.Versions {
			var base *string
			if c.Base != nil {
				b := c.Base.Fields[f]
				base = &b
			}
			cells = append(cells, valueText(v.Fields[f], base))
		}
		if c.Mergeable {
			cells = append(cells, valueText(merged[f], nil))
		}
	}
	table := container.New(tableLayout{cols}, cells...)

	var actions []fyne.CanvasObject
	actions = append(actions, layout.NewSpacer())
	for i, v := range c.Versions {
		v, n := v, i+1
		b := button(u.input, fmt.Sprintf("Keep version %d", n), theme.ConfirmIcon(), widget.MediumImportance, func() {
			s.ask(c, fmt.Sprintf("Keep version %d?", n),
				fmt.Sprintf("%s becomes what version %d holds (%s). The other version's changes to %s are left out; "+
					"they stay in the record's history.", capital(label), n, byText(v), fieldList(c.Differing)),
				v.Version, false)
		})
		s.keepBtn[key] = append(s.keepBtn[key], b)
		actions = append(actions, b)
	}
	var note fyne.CanvasObject
	if c.Mergeable {
		b := button(u.input, "Merge", theme.ContentCopyIcon(), widget.HighImportance, func() {
			s.ask(c, "Merge the versions?",
				fmt.Sprintf("%s keeps each version's own changes: the values in the Merged column.", capital(label)),
				app.Version{}, true)
		})
		s.mergeBtn[key] = b
		actions = append(actions, b)
		note = muted("Each version changed different fields, so both sets of changes can be kept: Merge.")
	} else {
		note = muted("Both versions changed the same field differently: choose the version to keep. " +
			"Correct the record afterwards if it needs something of the other.")
	}
	return panel(container.NewVBox(title, muted(what), widget.NewSeparator(), table, widget.NewSeparator(), note,
		container.NewHBox(actions...)))
}

// ask confirms a resolution, then makes it.
func (s *conflictsScreen) ask(c app.Conflict, title, body string, keep app.Version, merge bool) {
	u := s.sess.a
	var d *dialog.CustomDialog
	cancel := button(u.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() { d.Hide() })
	s.confirmBtn = button(u.input, "Resolve", theme.ConfirmIcon(), widget.HighImportance, func() {
		d.Hide()
		s.resolve(c, keep, merge)
	})
	d = dialog.NewCustomWithoutButtons(title, wrapped(body), u.win)
	d.SetButtons([]fyne.CanvasObject{cancel, s.confirmBtn})
	d.Resize(fyne.NewSize(520, 0))
	s.confirm = d
	u.dialogs.showDialog(d)
}

// resolve writes the resolution off the Fyne goroutine and lists the
// conflicts again.
func (s *conflictsScreen) resolve(c app.Conflict, keep app.Version, merge bool) {
	sess := s.sess
	for _, b := range append(slices.Clone(s.keepBtn[conflictKey(c)]), s.mergeBtn[conflictKey(c)]) {
		if b != nil {
			b.Disable()
		}
	}
	sess.run(func(ctx context.Context) func() {
		err := sess.s.Conflicts().Resolve(ctx, c.Kind, c.ID, keep, merge)
		return func() {
			if sess.a.cur != screen(s) {
				return
			}
			if err != nil {
				s.msg.error("The conflict was not resolved: " + message(err))
			} else {
				s.msg.info("Resolved. The new version reaches the other workstations with the next sync.")
			}
			s.reload()
		}
	})
}

// currentIndex is the index of the version every workstation shows.
func currentIndex(c app.Conflict) int {
	for i, v := range c.Versions {
		if v.Version == c.Current {
			return i
		}
	}
	return len(c.Versions) - 1
}

// versionHead is a column heading: the version's name, who changed it,
// when, and on which workstation.
func versionHead(name string, v app.ConflictVersion) fyne.CanvasObject {
	rt := widget.NewRichText(
		&widget.TextSegment{Text: name, Style: widget.RichTextStyle{TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: byText(v), Style: widget.RichTextStyle{ColorName: colorNameMuted, SizeName: theme.SizeNameCaptionText}},
		&widget.TextSegment{Text: "workstation " + shortDevice(v.Version.Device), Style: widget.RichTextStyle{ColorName: colorNameMuted, SizeName: theme.SizeNameCaptionText}},
	)
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// byText is "by grace, 2026-03-02 10:14".
func byText(v app.ConflictVersion) string {
	s := "by " + visible.Line(v.ChangedBy)
	if v.ChangedBy == "" {
		s = "by an unknown user"
	}
	if w := whenText(v.Changed); w != "" {
		s += ", " + w
	}
	return s
}

// shortDevice is the start of a device id, enough to tell workstations
// apart.
func shortDevice(d app.DeviceID) string { return d.String()[:8] }

// kindText names a record kind in words.
func kindText(k app.Kind) string {
	switch k {
	case app.KindPatient:
		return "patient"
	case app.KindDocument:
		return "document"
	case app.KindUser:
		return "user"
	}
	return string(k)
}

// fieldText is a record field in words: "next_of_kin" is "Next of kin".
func fieldText(f string) string { return capital(strings.ReplaceAll(f, "_", " ")) }

// capital is s with its first letter in upper case.
func capital(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// fieldList is "phone and village".
func fieldList(fs []string) string {
	words := make([]string, len(fs))
	for i, f := range fs {
		words[i] = strings.ToLower(fieldText(f))
	}
	switch len(words) {
	case 0:
		return "the record"
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// maxValue bounds a value shown in the table.
const maxValue = 160

// valueText shows one field's value (compact JSON) in words; when base is
// given and the value differs from it, in bold: this version changed it.
func valueText(raw string, base *string) fyne.CanvasObject {
	style := styleRegular
	if base != nil && raw != *base {
		style = styleBold
	}
	s := visible.Text(jsonText(raw))
	if utf8.RuneCountInString(s) > maxValue {
		s = string([]rune(s)[:maxValue]) + "…"
	}
	return text(s, style)
}

// jsonText turns a compact JSON value into words: strings as they are,
// true and false as Yes and No, lists and objects item by item; absent or
// empty as "—".
func jsonText(raw string) string {
	if raw == "" {
		return "—"
	}
	var v any
	d := json.NewDecoder(bytes.NewReader([]byte(raw)))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return raw
	}
	s := anyText(v)
	if s == "" {
		return "—"
	}
	return s
}

func anyText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		if v {
			return "Yes"
		}
		return "No"
	case json.Number:
		return v.String()
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			if s := anyText(x); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if s := anyText(v[k]); s != "" {
				parts = append(parts, strings.ToLower(fieldText(k))+": "+s)
			}
		}
		return strings.Join(parts, "; ")
	}
	return fmt.Sprint(v)
}

// tableLayout lays cells out in rows of cols: the first column as wide as
// its widest cell, the others sharing the rest equally and wrapping; each
// row as high as its highest cell.
type tableLayout struct{ cols int }

func (l tableLayout) firstWidth(objs []fyne.CanvasObject) float32 {
	var w float32
	for i := 0; i < len(objs); i += l.cols {
		w = max(w, objs[i].MinSize().Width)
	}
	return w
}

func (l tableLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for r := 0; r < len(objs); r += l.cols {
		var rh float32
		for _, o := range objs[r:min(r+l.cols, len(objs))] {
			rh = max(rh, o.MinSize().Height)
		}
		h += rh
	}
	return fyne.NewSize(l.firstWidth(objs)+float32(l.cols-1)*120, h)
}

func (l tableLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w0 := l.firstWidth(objs)
	w := max((size.Width-w0)/float32(max(l.cols-1, 1)), 60)
	var y float32
	for r := 0; r < len(objs); r += l.cols {
		row := objs[r:min(r+l.cols, len(objs))]
		var rh float32
		for i, o := range row {
			cw := w
			if i == 0 {
				cw = w0
			}
			// The width first: wrapped text knows its height only then.
			o.Resize(fyne.NewSize(cw, o.MinSize().Height))
			rh = max(rh, o.MinSize().Height)
		}
		x := float32(0)
		for i, o := range row {
			cw := w
			if i == 0 {
				cw = w0
			}
			o.Move(fyne.NewPos(x, y))
			o.Resize(fyne.NewSize(cw, rh))
			x += cw
		}
		y += rh
	}
}
