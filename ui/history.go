package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// historyScreen lists every version of a patient, newest first: when, by
// whom, and which fields changed from the version before it. Records
// merged into the patient show their own versions too.
type historyScreen struct {
	sess    *session
	p       app.Patient
	entries []historyEntry
	list    *fyne.Container
	box     fyne.CanvasObject
}

// historyEntry is one version with what it changed.
type historyEntry struct {
	v       app.PatientVersion
	first   bool // the record's first version: a registration
	changes []change
}

// historyEntries pairs each version with the previous version of the same
// record (merged records interleave) and lists what changed, newest first.
func historyEntries(hist []app.PatientVersion) []historyEntry {
	last := map[string]app.Patient{}
	out := make([]historyEntry, 0, len(hist))
	for _, v := range hist {
		e := historyEntry{v: v}
		if prev, ok := last[v.ID]; ok {
			e.changes = diffPatients(prev, v.Patient)
		} else {
			e.first = true
		}
		last[v.ID] = v.Patient
		out = append(out, e)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func newHistoryScreen(sess *session, p app.Patient, hist []app.PatientVersion) *historyScreen {
	u := sess.a
	h := &historyScreen{sess: sess, p: p, entries: historyEntries(hist)}
	back := button(u.input, "Back to the patient  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, h.back)
	title := widget.NewRichText(
		&widget.TextSegment{Text: "History of ", Style: widget.RichTextStyle{SizeName: theme.SizeNameSubHeadingText, Inline: true}},
		&widget.TextSegment{Text: displayName(p), Style: widget.RichTextStyle{SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true}, Inline: true}},
		&widget.TextSegment{Text: "   " + visible.Line(p.MRN), Style: widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true}, ColorName: colorNameMuted, Inline: true}},
	)
	h.list = container.NewVBox()
	for i, e := range h.entries {
		if i > 0 {
			h.list.Add(widget.NewSeparator())
		}
		h.list.Add(h.entryView(e))
	}
	intro := muted(plural(len(h.entries), "version", "versions") +
		". A record is never overwritten: every change is kept as a new version.")
	content := container.NewVBox(
		container.NewHBox(back),
		panel(container.NewVBox(title, intro, widget.NewSeparator(), h.list)),
	)
	h.box = scrollingColumn(u, 1040, content)
	return h
}

// entryView draws one version: a line saying when, who and what kind of
// change, then a table of the fields that changed, old → new.
func (h *historyScreen) entryView(e historyEntry) fyne.CanvasObject {
	what := "Amended"
	switch {
	case e.first:
		what = "Registered"
	case e.v.MergedInto != "" && len(e.changes) > 0 && e.changes[len(e.changes)-1].Field == "Merged into":
		what = "Merged into another record"
	case len(e.changes) == 0:
		what = "Saved without changes"
	}
	by := visible.Line(e.v.ChangedBy)
	if by == "" {
		by = "unknown user"
	}
	segs := []widget.RichTextSegment{
		&widget.TextSegment{Text: whenText(e.v.Changed), Style: styleBold},
		&widget.TextSegment{Text: "   " + what + " by ", Style: styleRegular},
		&widget.TextSegment{Text: by, Style: styleBold},
	}
	if e.v.Source != "" && e.v.Source != h.p.MRN {
		segs = append(segs, &widget.TextSegment{Text: "   (merged record " + visible.Line(e.v.Source) + ")", Style: styleMuted})
	}
	line := widget.NewRichText(segs...)
	if e.first {
		return container.NewVBox(line, muted(summary(e.v.Patient, h.sess.a.now())))
	}
	var cells []fyne.CanvasObject
	for _, c := range e.changes {
		old, new := c.Old, c.New
		if old == "" {
			old = "(empty)"
		}
		if new == "" {
			new = "(empty)"
		}
		change := widget.NewRichText(
			&widget.TextSegment{Text: old, Style: widget.RichTextStyle{ColorName: colorNameMuted, TextStyle: fyne.TextStyle{}, Inline: true}},
			&widget.TextSegment{Text: "  →  ", Style: styleMuted},
			&widget.TextSegment{Text: new, Style: styleBold},
		)
		change.Wrapping = fyne.TextWrapWord
		cells = append(cells, fieldLabel(c.Field), change)
	}
	if len(cells) == 0 {
		return line
	}
	return container.NewVBox(line, container.New(layout.NewCustomPaddedLayout(0, 0, 24, 0), formGrid(cells...)))
}

func (h *historyScreen) view() fyne.CanvasObject    { return h.box }
func (h *historyScreen) focusFirst() fyne.Focusable { return nil }

func (h *historyScreen) forget() {
	h.p = app.Patient{}
	h.entries = nil
	h.list.RemoveAll()
}

func (h *historyScreen) back() {
	h.sess.a.nav.showPatient(h.p, nil)
}

func (h *historyScreen) escape() bool {
	h.back()
	return true
}
