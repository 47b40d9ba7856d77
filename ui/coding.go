package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/codeset"
	"folio/visible"
)

// codingScreen codes one signed encounter: its note, read-only, on the
// left (opening it is an audited read through Encounters.Open), and on the
// right the code search as you type, the codes assigned, the procedures,
// the edits the codes fail with the reason to override them, and the
// query to the clinician. Every key works from every field: ↓ ↑ choose a
// code, Ctrl+P and Ctrl+D assign it (Enter in the search too), Ctrl+T
// goes to the procedure, Ctrl+R takes the last code back, Ctrl+S saves,
// Ctrl+E goes to the question for the clinician, Ctrl+G back to the
// search; Esc goes back to the worklist.
type codingScreen struct {
	sess     *session
	id       string
	search   *codeSearch
	codes    *codesPanel
	head     *widget.RichText
	note     *widget.RichText
	proc     *entry
	edits    *widget.RichText
	reason   *entry
	editBox  *fyne.Container
	question *entry
	msg      messageLabel
	saveBtn  *widget.Button
	queryBtn *widget.Button
	right    *fyne.Container // the coding column, laid out again when a part grows
	box      fyne.CanvasObject

	// Fyne goroutine only.
	enc    app.Encounter
	coding app.EncounterCoding
	busy   bool // a save or a query is on its way
}

func newCodingScreen(sess *session, id string) *codingScreen {
	u := sess.a
	s := &codingScreen{sess: sess, id: id, msg: newMessageLabel()}
	s.search = newCodeSearch(sess)
	s.search.pick.open = func(int) { s.assign(!s.codes.hasPrincipal()) }
	s.codes = newCodesPanel(u.input, s.backToSearch, s.codesChanged)
	s.head = widget.NewRichText()
	s.head.Truncation = fyne.TextTruncateEllipsis
	s.note = text("", styleRegular)
	s.proc = newEntry(u.input, "Procedure code from the list, or a CPT code")
	s.proc.OnSubmitted = func(string) { s.addProcedure() }
	s.edits = text("", styleRegular)
	s.reason = newEntry(u.input, "Why the codes are right despite the edits")
	s.reason.OnSubmitted = func(string) { s.save() }
	s.editBox = container.NewVBox(banner(bannerCaution, theme.WarningIcon(), s.edits),
		container.NewBorder(nil, nil, widget.NewLabel("Override, because"), nil, s.reason))
	s.editBox.Hide()
	s.question = newEntry(u.input, "A question for the clinician; Enter sends it")
	s.question.OnSubmitted = func(string) { s.sendQuery() }
	s.saveBtn = button(u.input, "Save coding  (Ctrl+S)", theme.DocumentSaveIcon(), widget.HighImportance, s.save)
	s.queryBtn = button(u.input, "Query  (Ctrl+E)", theme.MailSendIcon(), widget.MediumImportance, s.sendQuery)

	noteCol := container.NewBorder(s.head, nil, nil, nil, newScroller(u.input, s.note))
	top := container.NewVBox(s.search.pick.field, s.search.status)
	bottom := container.NewVBox(
		container.NewBorder(nil, nil, heading("Codes"), s.saveBtn),
		s.codes.box,
		container.NewBorder(nil, nil, widget.NewLabel("Procedure"), nil, s.proc),
		s.editBox,
		container.NewBorder(nil, nil, nil, s.queryBtn, s.question),
		s.msg)
	s.right = container.NewBorder(top, nil, nil, nil, newListOverPanel(u.input, s.search.pick.list, bottom, 120))
	split := container.NewHSplit(panel(noteCol), s.right)
	split.Offset = 0.4
	s.box = screenMargin(split)
	s.codes.redraw()
	s.load()
	return s
}

func (s *codingScreen) view() fyne.CanvasObject    { return s.box }
func (s *codingScreen) focusFirst() fyne.Focusable { return s.search.pick.field }

func (s *codingScreen) forget() {
	s.search.forget()
	s.enc, s.coding = app.Encounter{}, app.EncounterCoding{}
	s.head.Segments, s.note.Segments = nil, nil
	s.head.Refresh()
	s.note.Refresh()
	s.codes.dx, s.codes.procs = nil, nil
	s.codes.redraw()
	for _, e := range []*entry{s.proc, s.reason, s.question} {
		e.SetText("")
	}
}

// escape goes back to the worklist.
func (s *codingScreen) escape() bool {
	s.sess.a.nav.showCoding()
	return true
}

// plainKey: ↓ ↑ choose a code from every field.
func (s *codingScreen) plainKey(k fyne.KeyName) bool {
	if k == fyne.KeyDown || k == fyne.KeyUp {
		return s.search.pick.key(k)
	}
	return false
}

func (s *codingScreen) shortcut(k fyne.KeyName) bool {
	c := s.sess.a.win.Canvas()
	return keyActions{
		fyne.KeyP: func() { s.assign(true) },
		fyne.KeyD: func() { s.assign(false) },
		fyne.KeyT: func() { c.Focus(s.proc) },
		fyne.KeyR: func() {
			if !s.codes.removeLast() {
				s.fail("No code to take back.")
			}
		},
		fyne.KeyS: s.save,
		fyne.KeyE: func() { c.Focus(s.question) },
		fyne.KeyG: s.backToSearch,
	}.run(k)
}

// load reads the encounter's note (audited), its coding (audited), the
// organisation's procedure list and the code set, off the Fyne goroutine.
func (s *codingScreen) load() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		e, err := sess.s.Encounters().Open(ctx, s.id)
		var st app.EncounterCoding
		if err == nil {
			st, err = sess.codingLists().Status(ctx, s.id)
		}
		procs, perr := sess.s.Settings().Procedures(ctx)
		_, set, serr := sess.coding()
		return func() {
			if err != nil {
				s.fail(message(err))
				return
			}
			s.enc, s.coding = e, st
			s.codes.admission = e.Type == app.EncAdmission
			s.codes.set(st.Current, set)
			s.showNote()
			s.showProcedures(procs, perr)
			if serr != nil {
				s.fail(message(serr))
				return
			}
			s.search.opened(set)
		}
	})
}

// backToSearch puts the keyboard in the code search, its text selected
// so that typing starts a new search.
func (s *codingScreen) backToSearch() {
	s.sess.a.win.Canvas().Focus(s.search.pick.field)
	s.search.pick.field.TypedShortcut(&fyne.ShortcutSelectAll{})
}

// info and fail say how an act went, under the coding.
func (s *codingScreen) info(text string) { s.msg.info(text); s.right.Refresh() }
func (s *codingScreen) fail(text string) { s.msg.error(text); s.right.Refresh() }

// showNote shows the encounter's note and its coding so far.
func (s *codingScreen) showNote() {
	s.head.Segments = encounterHead(s.enc, string(s.coding.Status))
	s.head.Refresh()
	s.note.Segments = append(noteSegments(s.enc), codingSegments(s.coding)...)
	s.note.Refresh()
}

// codesChanged hides the edits of codes no longer on show.
func (s *codingScreen) codesChanged() {
	if s.editBox.Visible() {
		s.editBox.Hide()
		s.reason.SetText("")
	}
	if s.right != nil {
		s.right.Refresh()
	}
}

// assign adds the chosen code as the principal diagnosis or a secondary
// one; a category header is refused with the reason (the codes under it).
func (s *codingScreen) assign(principal bool) {
	c, ok := s.search.chosen()
	if !ok {
		s.fail("Search for a code first, then choose it with ↑ ↓.")
		return
	}
	if s.search.set != nil {
		var na *codeset.NotAssignableError
		if _, err := s.search.set.Assignable(c.Code); errors.As(err, &na) {
			s.fail(sentence(na.Reason))
			return
		} else if err != nil {
			s.fail(message(err))
			return
		}
	}
	poa := s.codes.add(c, principal)
	kind := "a secondary diagnosis"
	if principal {
		kind = "the principal diagnosis"
	}
	code := visible.Line(c.Code)
	s.info(code + " assigned as " + kind + ".")
	if poa != nil {
		s.info(code + " assigned as " + kind + ". Present on admission? Type Y, N, U or W.")
		s.sess.a.win.Canvas().Focus(poa)
		return
	}
	s.backToSearch()
}

// addProcedure adds the procedure code typed (a code of the
// organisation's list, which the field's placeholder shows, or a bare CPT
// code); the service checks it at save.
func (s *codingScreen) addProcedure() {
	t := strings.TrimSpace(s.proc.Text)
	if t == "" {
		s.fail("Type a procedure code from the list, or a CPT code.")
		return
	}
	s.codes.addProcedure(t)
	s.proc.SetText("")
	s.info("Procedure " + strings.ToUpper(t) + " added; Ctrl+S saves the coding.")
}

// showProcedures offers the organisation's procedure codes in the
// procedure field's placeholder.
func (s *codingScreen) showProcedures(list []app.ProcedureEntry, err error) {
	switch {
	case err != nil:
		s.fail(message(err))
	case len(list) > 0:
		parts := make([]string, len(list))
		for i, p := range list {
			parts[i] = p.Code + " " + p.Description
		}
		s.proc.SetPlaceHolder("From the list: " + strings.Join(parts, ", ") + "; or a CPT code")
	}
}

// save assigns the codes (Coding.Assign); codes that fail edits show the
// edits' sentences and wait for the reason to override them.
func (s *codingScreen) save() {
	a := s.codes.assignment()
	if s.editBox.Visible() {
		if s.need(s.reason, "Type why the codes are right despite the edits, or change the codes.") {
			return
		}
		a.Override = s.reason.Text
	}
	var r app.CodingRecord
	s.act(func(ctx context.Context) error {
		c, _, err := s.sess.coding()
		if err == nil {
			r, err = c.Assign(ctx, s.id, a)
		}
		return err
	}, func(err error) {
		var edits *app.EditsError
		switch {
		case errors.As(err, &edits):
			s.showEdits(edits.Edits)
		case err != nil:
			s.fail(message(err))
		default:
			s.editBox.Hide()
			s.reason.SetText("")
			s.info(fmt.Sprintf("Coded: %s. Esc goes back to the worklist.", codesText(r)))
			s.reload()
		}
	})
}

// need says what is missing and puts the keyboard in f when f is empty.
func (s *codingScreen) need(f *entry, what string) bool {
	if strings.TrimSpace(f.Text) != "" {
		return false
	}
	s.fail(what)
	s.sess.a.win.Canvas().Focus(f)
	return true
}

// act runs work off the Fyne goroutine, one act at a time, then done with
// its error on the Fyne goroutine.
func (s *codingScreen) act(work func(context.Context) error, done func(error)) {
	if s.busy || s.enc.ID == "" {
		return
	}
	s.busy = true
	s.sess.run(func(ctx context.Context) func() {
		err := work(ctx)
		return func() {
			s.busy = false
			done(err)
		}
	})
}

// showEdits shows the edits the codes fail, in the service's words, and
// puts the keyboard in the reason.
func (s *codingScreen) showEdits(edits []string) {
	var segs []widget.RichTextSegment
	segs = append(segs, &widget.TextSegment{Text: "The codes fail " + plural(len(edits), "edit", "edits") + ":", Style: styleHeading})
	for _, e := range edits {
		segs = append(segs, &widget.TextSegment{Text: "• " + sentence(e), Style: widget.RichTextStyleParagraph})
	}
	s.edits.Segments = segs
	s.edits.Refresh()
	s.editBox.Show()
	s.right.Refresh()
	s.fail("Change the codes, or type the reason and press Enter to override.")
	s.sess.a.win.Canvas().Focus(s.reason)
}

// sendQuery asks the clinician the question typed (Coding.Query).
func (s *codingScreen) sendQuery() {
	if s.need(s.question, "Type the question for the clinician, then press Enter.") {
		return
	}
	text := s.question.Text
	s.act(func(ctx context.Context) error {
		_, err := s.sess.codingLists().Query(ctx, s.id, text)
		return err
	}, func(err error) {
		if err != nil {
			s.fail(message(err))
			return
		}
		s.question.SetText("")
		s.info("Query sent to " + visible.Line(s.enc.Clinician) + "; the encounter is queried until they answer.")
		s.reload()
	})
}

// reload reads the coding again (after a save or a query) and the
// sidebar's counts.
func (s *codingScreen) reload() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		st, err := sess.codingLists().Status(ctx, s.id)
		return func() {
			if err == nil {
				s.coding = st
				s.showNote()
			}
			sess.a.refreshCounts()
		}
	})
}

// codesText lists a coding's codes: "J18.9 (principal), E11.9, 99213".
func codesText(r app.CodingRecord) string {
	var parts []string
	for _, d := range r.Diagnoses {
		t := d.Code
		if d.Principal {
			t += " (principal)"
		}
		if d.POA != "" {
			t += " POA " + d.POA
		}
		parts = append(parts, t)
	}
	for _, p := range r.Procedures {
		parts = append(parts, p.Code)
	}
	return strings.Join(parts, ", ")
}
