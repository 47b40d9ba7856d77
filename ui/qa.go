package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// qaScreen is the second person's check: the sample of filed documents,
// one at a time, with the indexer's choices beside the pages; verify it or
// send it back to the queue with a reason.
type qaScreen struct {
	searchExit
	docCursor
	pages   *pagePane
	count   *widget.Label
	patient *widget.Label // who the document is filed to: name, sex, date of birth
	choices *widget.Label
	reason  *entry
	verify  *widget.Button
	back    *widget.Button // sends back with the reason; off when nothing waits
	msg     messageLabel
	box     fyne.CanvasObject
}

func newQAScreen(sess *session) *qaScreen {
	u := sess.a
	q := &qaScreen{searchExit: searchExit{sess}, pages: newPagePane(sess), msg: newMessageLabel()}
	q.count = heading("Loading the QA sample…")
	q.patient = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	q.patient.Wrapping = fyne.TextWrapWord
	q.choices = wrapped("")
	q.reason = newEntry(u.input, "what is wrong, for the indexer")
	q.reason.OnSubmitted = func(string) { q.sendBack() }
	q.verify = button(u.input, "Verified  (Ctrl+Enter)", theme.ConfirmIcon(), widget.HighImportance, q.confirm)
	q.back = button(u.input, "Send back  (Enter)", theme.ContentUndoIcon(), widget.MediumImportance, q.sendBack)
	next := button(u.input, "Next  (Ctrl+G)", theme.NavigateNextIcon(), widget.LowImportance, func() { q.move(1) })
	form := panel(container.NewVBox(q.count, q.patient, q.choices, widget.NewSeparator(),
		container.NewHBox(layout.NewSpacer(), next, q.verify),
		widget.NewSeparator(), widget.NewLabel("Send back to the queue because"), q.reason,
		container.NewHBox(layout.NewSpacer(), q.back), q.msg))
	q.box = q.pages.besideForm(nil, form, 440)
	q.reload("")
	return q
}

func (q *qaScreen) view() fyne.CanvasObject { return q.box }

// focusFirst is the reason field: Ctrl+Enter verifies from there, and a
// reason typed and Enter sends the document back.
func (q *qaScreen) focusFirst() fyne.Focusable { return q.reason }
func (q *qaScreen) forget() {
	q.docs = nil
	q.pages.clear()
	q.patient.SetText("")
	q.choices.SetText("")
	q.reason.SetText("")
}

// plainKey: Page Down and Page Up turn the pages from every field.
func (q *qaScreen) plainKey(k fyne.KeyName) bool { return q.pages.pageKey(k) }

func (q *qaScreen) shortcut(k fyne.KeyName) bool {
	return keyActions{
		fyne.KeyReturn: q.confirm,
		fyne.KeyEnter:  q.confirm,
		fyne.KeyG:      func() { q.move(1) },
	}.run(k) || q.pages.pageKey(k)
}

func (q *qaScreen) reload(note string) {
	q.load(q.sess, app.Indexing.QAQueue, "", note, q.msg, q.showCurrent)
	q.sess.a.refreshCounts()
}

func (q *qaScreen) showCurrent() {
	d, ok := q.current()
	if !ok {
		q.count.SetText("Nothing is waiting for a check.")
		q.patient.SetText("")
		q.choices.SetText("")
		q.pages.clear()
		setEnabled(false, q.verify, q.back, q.reason)
		return
	}
	setEnabled(true, q.verify, q.back, q.reason)
	q.count.SetText(fmt.Sprintf("Check %d of %d", q.cur+1, len(q.docs)))
	q.patient.SetText("Patient " + visible.Line(d.MRN) + ": reading who it is…")
	q.choices.SetText(strings.Join(q.choiceLines(d, visible.Line(d.ChangedBy)), "\n"))
	q.msg.clear()
	q.pages.show(d, 0)
	q.loadPatient(d)
}

// choiceLines are the indexer's choices for d, and who filed it.
func (q *qaScreen) choiceLines(d app.Document, filer string) []string {
	date := "not stated"
	if !d.Date.IsZero() {
		date = d.Date.Format("2 Jan 2006")
	}
	lines := []string{
		"Type: " + docTypeText(d.Type),
		"Date of service: " + date,
		fmt.Sprintf("Pages: %d", len(d.Pages)),
		"Filed by " + filer,
	}
	if r := visible.Line(d.ProposedPatient.Reason); r != "" {
		lines = append(lines, "Patient proposed from "+r)
	}
	for _, p := range d.Problems {
		lines = append(lines, visible.Line(p))
	}
	lines = append(lines, codeLines(d)...)
	lines = append(lines, leftOutLines(d, "")...)
	return lines
}

// loadPatient reads who d is filed to (an audited read of the patient)
// and the filer's full name, off the Fyne goroutine, and shows them
// while d is still the document on show.
func (q *qaScreen) loadPatient(d app.Document) {
	sess := q.sess
	sess.run(func(ctx context.Context) func() {
		p, err := sess.s.Indexing().FiledPatient(ctx, d.ID)
		full, _ := sess.s.Users().FullName(ctx, d.ChangedBy) // without it, the user name says who
		return func() {
			if cur, ok := q.current(); !ok || cur.ID != d.ID || cur.Version != d.Version {
				return
			}
			if err != nil {
				q.patient.SetText("Patient " + visible.Line(d.MRN) + ": " + message(err))
			} else {
				q.patient.SetText(displayName(p) + "  ·  " + visible.Line(p.MRN) + "\n" +
					sexLabel(p.Sex) + "  ·  born " + birthText(p.BirthDate, sess.a.now()))
			}
			filer := visible.Line(d.ChangedBy)
			if full = visible.Line(full); full != "" {
				filer = full + " (" + filer + ")"
			}
			q.choices.SetText(strings.Join(q.choiceLines(d, filer), "\n"))
		}
	})
}

func (q *qaScreen) move(delta int) {
	if q.step(delta) {
		q.showCurrent()
	}
}

func (q *qaScreen) confirm() {
	d, ok := q.current()
	if !ok {
		return
	}
	q.act(func(ctx context.Context) (string, error) {
		_, err := q.sess.s.Documents().Verify(ctx, d.ID)
		return "Verified.", err
	})
}

func (q *qaScreen) sendBack() {
	d, ok := q.current()
	if !ok {
		return
	}
	reason := q.reason.Text
	q.act(func(ctx context.Context) (string, error) {
		_, err := q.sess.s.Indexing().SendBack(ctx, d.ID, reason)
		return "Sent back to the indexing queue.", err
	})
}

func (q *qaScreen) act(do func(ctx context.Context) (string, error)) {
	sess := q.sess
	sess.run(func(ctx context.Context) func() {
		done, err := do(ctx)
		return func() {
			if err != nil {
				q.msg.error(message(err))
				return
			}
			q.reason.SetText("")
			q.reload(done)
		}
	})
}
