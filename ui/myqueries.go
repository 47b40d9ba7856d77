package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// myQueriesScreen is a clinician's coding queries waiting for their
// answer, oldest first: the question and the encounter's note (an
// audited read) beside the list, and the answer, which Enter or Ctrl+S
// sends (Coding.Answer). The keyboard stays in the answer: ↓ ↑ choose
// another query.
type myQueriesScreen struct {
	searchExit
	pick     *pickList
	question *widget.RichText
	head     *widget.RichText
	note     *widget.RichText
	answer   *entry
	sendBtn  *widget.Button
	msg      messageLabel
	box      fyne.CanvasObject

	// Fyne goroutine only.
	queries []app.OpenQuery
	shown   int // the query whose note is on show, or -1
	busy    bool
}

func newMyQueriesScreen(sess *session) *myQueriesScreen {
	u := sess.a
	s := &myQueriesScreen{searchExit: searchExit{sess}, msg: newMessageLabel(), shown: -1}
	s.pick = newPickList(u.input, "", false)
	s.pick.chosen = s.choose
	s.pick.open = func(int) { u.win.Canvas().Focus(s.answer) }
	s.question, s.head, s.note = text("", styleRegular), text("", styleRegular), text("", styleRegular)
	s.answer = newEntry(u.input, "Your answer to the coder; Enter sends it")
	s.answer.OnSubmitted = func(string) { s.send() }
	s.sendBtn = button(u.input, "Send the answer  (Ctrl+S)", theme.MailSendIcon(), widget.HighImportance, s.send)
	hint := muted("↑ ↓ choose a query; type the answer, Enter sends it.")
	left := container.NewBorder(container.NewVBox(heading("My coding queries"), hint), nil, nil, nil, panel(s.pick.list))
	right := container.NewBorder(
		container.NewVBox(s.question, s.answer, container.NewBorder(nil, nil, s.msg, s.sendBtn), widget.NewSeparator(), s.head),
		nil, nil, nil, newScroller(u.input, s.note))
	split := container.NewHSplit(left, panel(right))
	split.Offset = 0.34
	s.box = screenMargin(split)
	s.load()
	return s
}

func (s *myQueriesScreen) view() fyne.CanvasObject    { return s.box }
func (s *myQueriesScreen) focusFirst() fyne.Focusable { return s.answer }
func (s *myQueriesScreen) forget() {
	s.queries, s.shown = nil, -1
	s.pick.forget()
	s.answer.SetText("")
	s.clearQuery()
}

func (s *myQueriesScreen) clearQuery() {
	for _, rt := range []*widget.RichText{s.question, s.head, s.note} {
		rt.Segments = nil
		rt.Refresh()
	}
}

// plainKey: ↓ ↑ choose a query from the answer.
func (s *myQueriesScreen) plainKey(k fyne.KeyName) bool {
	if k == fyne.KeyDown || k == fyne.KeyUp {
		return s.pick.key(k)
	}
	return false
}

// shortcut: Ctrl+S sends the answer.
func (s *myQueriesScreen) shortcut(k fyne.KeyName) bool {
	return keyActions{fyne.KeyS: s.send}.run(k)
}

// load reads the open queries (audited).
func (s *myQueriesScreen) load() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		qs, err := sess.codingLists().Queries(ctx)
		return func() {
			if err != nil {
				s.msg.error(message(err))
				s.box.Refresh()
				return
			}
			s.queries, s.shown = qs, -1
			setRows(s.pick, qs, func(q app.OpenQuery) pickRow {
				return pickRow{title: q.Patient + "   " + q.MRN,
					detail: "from " + q.By + ", " + whenText(q.At) + "  ·  visit of " + q.Time.Local().Format("2006-01-02") + "  ·  " + q.Text}
			})
			if len(qs) == 0 {
				s.clearQuery()
				s.question.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: "No coding query waits for your answer.", Style: styleMuted}}
				s.question.Refresh()
			}
		}
	})
}

// choose shows query i: its question, and the encounter's note (read
// through Encounters.Open, audited).
func (s *myQueriesScreen) choose(i int) {
	if i == s.shown || i >= len(s.queries) {
		return
	}
	s.shown = i
	q := s.queries[i]
	s.question.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: "Question from " + visible.Line(q.By) + ", " + whenText(q.At), Style: styleHeading},
		&widget.TextSegment{Text: visible.Text(q.Text), Style: widget.RichTextStyleParagraph},
	}
	s.question.Refresh()
	s.box.Refresh()
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		e, err := sess.s.Encounters().Open(ctx, q.EncounterID)
		return func() {
			if s.shown != i {
				return
			}
			if err != nil {
				s.msg.error(message(err))
				s.box.Refresh()
				return
			}
			s.head.Segments = encounterHead(e, "")
			s.head.Refresh()
			s.note.Segments = noteSegments(e)
			s.note.Refresh()
			s.box.Refresh()
		}
	})
}

// send answers the query on show (Coding.Answer).
func (s *myQueriesScreen) send() {
	i, ok := s.pick.current()
	if s.busy || !ok || i >= len(s.queries) {
		return
	}
	q := s.queries[i]
	text := s.answer.Text
	s.busy = true
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		_, err := sess.codingLists().Answer(ctx, q.ID, text)
		return func() {
			s.busy = false
			if err != nil {
				s.msg.error(message(err))
				s.box.Refresh()
				return
			}
			s.answer.SetText("")
			s.load()
			s.msg.info("Answer sent to " + visible.Line(q.By) + ".")
			s.box.Refresh()
			sess.a.refreshCounts()
		}
	})
}
