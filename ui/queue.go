package ui

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// This file is the indexing queue: one waiting document at a time, its
// pages (pagePane, shared with the QA screen) beside the proposal and its
// reasons, filed or corrected from the keyboard.

// docCursor walks a list of documents one at a time, round the list.
type docCursor struct {
	docs []app.Document
	cur  int
}

// reset takes a new list and stands on keep (an id), or on the first.
func (c *docCursor) reset(docs []app.Document, keep string) {
	c.docs, c.cur = docs, 0
	for i, d := range docs {
		if d.ID == keep {
			c.cur = i
		}
	}
}

func (c *docCursor) current() (app.Document, bool) {
	if c.cur < 0 || c.cur >= len(c.docs) {
		return app.Document{}, false
	}
	return c.docs[c.cur], true
}

// step moves delta documents on, round the list; false when it is empty.
func (c *docCursor) step(delta int) bool {
	if len(c.docs) == 0 {
		return false
	}
	c.cur = ((c.cur+delta)%len(c.docs) + len(c.docs)) % len(c.docs)
	return true
}

// load reads a document list off the Fyne goroutine, then, on it, stands
// on keep, calls show, and puts note (what was just done) or the error in
// msg.
func (c *docCursor) load(sess *session, list func(app.Indexing, context.Context) ([]app.Document, error),
	keep, note string, msg messageLabel, show func()) {
	sess.run(func(ctx context.Context) func() {
		docs, err := list(sess.s.Indexing(), ctx)
		return func() {
			if err != nil {
				msg.error(message(err))
				return
			}
			c.reset(docs, keep)
			show()
			if note != "" {
				msg.info(note)
			}
		}
	})
}

// queueScreen files waiting documents one by one.
type queueScreen struct {
	searchExit
	docCursor
	pages *pagePane
	count *widget.Label
	left  *widget.Label // what is left, what was done
	why   *widget.Label
	msg   messageLabel

	patient *patientPicker
	kind    *choice
	date    *entry
	accept  *widget.Button
	box     fyne.CanvasObject
}

func newQueueScreen(sess *session) *queueScreen {
	u := sess.a
	q := &queueScreen{searchExit: searchExit{sess}, pages: newPagePane(sess), msg: newMessageLabel()}
	q.pages.putBack = "(Ctrl+B puts it back)"
	q.count = heading("Loading the queue…")
	q.left = widget.NewLabel("")
	q.why = wrapped("")
	q.patient = newPatientPicker(sess, "Name, MRN or date of birth")
	q.patient.onSubmit = q.file
	q.patient.grew = q.pages.reflowForm
	q.kind = newChoice(u.input, typeLabels(), nil)
	q.date = newEntry(u.input, "YYYY-MM-DD")
	q.date.OnSubmitted = func(string) { q.file() }
	q.accept = button(u.input, "File  (Ctrl+Enter)", theme.ConfirmIcon(), widget.HighImportance, q.file)
	skip := button(u.input, "Next  (Ctrl+G)", theme.NavigateNextIcon(), widget.MediumImportance, func() { q.move(1) })
	rotate := button(u.input, "Rotate page  (Ctrl+R)", theme.ViewRefreshIcon(), widget.LowImportance, q.rotate)
	remove := button(u.input, "Remove page / put back  (Ctrl+B)", theme.DeleteIcon(), widget.LowImportance, q.removePage)
	split := button(u.input, "Split here  (Ctrl+T)", theme.ContentCutIcon(), widget.LowImportance, q.split)
	merge := button(u.input, "Merge with previous  (Ctrl+M)", theme.ContentAddIcon(), widget.LowImportance, q.mergePrevious)
	// The patients matching what is typed show under the Patient row
	// across the form, so the MRN and date of birth are not cut short.
	dateLabel := "Date of service  (Ctrl+D)"
	labelW := widget.NewLabel(dateLabel).MinSize().Width
	form := panel(container.NewVBox(
		q.count,
		q.left,
		q.why,
		widget.NewSeparator(),
		formGrid(fieldLabelW("Patient  (Ctrl+P)", labelW), q.patient.field),
		q.patient.under(),
		formGrid(fieldLabelW("Type  (Ctrl+Y)", labelW), q.kind, fieldLabelW(dateLabel, labelW), q.date),
		container.NewHBox(layout.NewSpacer(), skip, q.accept),
		widget.NewSeparator(),
		container.NewGridWithColumns(1, rotate, remove, split, merge),
		muted("Page Up / Page Down: pages.  Esc: back to search."),
	))
	// What was just done (filed, turned) and what went wrong show above
	// the form, which may scroll: seen at 1024×600 too.
	q.box = q.pages.besideForm(q.msg, form, 420)
	q.offerKnownTypes()
	q.reload("", "")
	return q
}

// offerKnownTypes adds the types of the rules and of what was learned to
// the type picker, so a clerk can file (and so teach) a type the
// built-in list lacks.
func (q *queueScreen) offerKnownTypes() {
	sess := q.sess
	sess.run(func(ctx context.Context) func() {
		rules, _, err := sess.s.TypeRules().Rules(ctx)
		if err != nil {
			return nil // the built-in types are offered all the same
		}
		taught, _ := sess.s.TypeRules().Learned(ctx)
		return func() {
			for _, r := range rules {
				offerType(q.kind, r.Type)
			}
			for _, t := range slices.Sorted(maps.Keys(taught)) {
				offerType(q.kind, t)
			}
		}
	})
}

func (q *queueScreen) view() fyne.CanvasObject    { return q.box }
func (q *queueScreen) focusFirst() fyne.Focusable { return q.patient.field }
func (q *queueScreen) forget() {
	q.docs = nil
	q.pages.clear()
	q.patient.clear()
	q.date.SetText("")
	q.why.SetText("")
}

// plainKey: Page Down and Page Up turn the pages from every field.
func (q *queueScreen) plainKey(k fyne.KeyName) bool { return q.pages.pageKey(k) }

func (q *queueScreen) shortcut(k fyne.KeyName) bool {
	return keyActions{
		fyne.KeyReturn: q.file,
		fyne.KeyEnter:  q.file,
		fyne.KeyG:      func() { q.move(1) },
		fyne.KeyR:      q.rotate,
		fyne.KeyT:      q.split,
		fyne.KeyM:      q.mergePrevious,
		fyne.KeyB:      q.removePage,
		fyne.KeyZ:      q.undoFiling,
		fyne.KeyP:      func() { q.focus(q.patient.field) },
		fyne.KeyY:      func() { q.focus(q.kind) },
		fyne.KeyD:      func() { q.focus(q.date) },
	}.run(k) || q.pages.pageKey(k)
}

// reload reads the queue and shows the document keep (or the first), with
// note (what was just done) under the form, which shows the document's
// proposal.
func (q *queueScreen) reload(keep, note string) { q.reloadForm(keep, note, false) }

// reloadForm is reload; with typed, the form keeps what the clerk typed
// and chose in it (a page turned, taken out or put back is no reason to
// type the patient again).
func (q *queueScreen) reloadForm(keep, note string, typed bool) {
	q.load(q.sess, app.Indexing.Queue, keep, note, q.msg, func() { q.showDoc(typed) })
	q.sess.a.refreshCounts()
}

// showCurrent shows the document the cursor is on, its proposal in the
// form and the keyboard in Patient.
func (q *queueScreen) showCurrent() { q.showDoc(false) }

// showDoc shows the document the cursor is on; with typed, the form and
// the keyboard stay as they are.
func (q *queueScreen) showDoc(typed bool) {
	d, ok := q.current()
	q.left.SetText(q.counters())
	if !ok {
		q.count.SetText("Nothing is waiting to be filed.")
		q.why.SetText("")
		q.pages.clear()
		q.accept.Disable()
		return
	}
	q.accept.Enable()
	count := fmt.Sprintf("Document %d of %d waiting: %s", q.cur+1, len(q.docs), plural(len(d.Pages), "page", "pages"))
	if len(d.Removed) > 0 {
		count += fmt.Sprintf(", %d left out", len(d.Removed))
	}
	q.count.SetText(count)
	q.left.SetText(q.counters())
	var why []string
	for _, p := range []struct {
		what string
		p    app.Proposal
	}{{"Patient", d.ProposedPatient}, {"Type", d.ProposedType}, {"Date", d.ProposedDate}} {
		if p.p.Value != "" || p.p.Reason != "" {
			value := p.p.Value
			if p.what == "Type" {
				value = docTypeText(value)
			}
			why = append(why, fmt.Sprintf("%s: %s (%s)", p.what, visible.Line(value), visible.Line(p.p.Reason)))
		}
	}
	for _, p := range d.Problems {
		why = append(why, visible.Line(p))
	}
	why = append(why, codeLines(d)...)
	if len(why) == 0 {
		why = append(why, "Folio found nothing to propose on these pages.")
	}
	why = append(why, leftOutLines(d, "go to it in the page strip, Ctrl+B puts it back")...)
	q.why.SetText(strings.Join(why, "\n"))
	offerType(q.kind, d.Type) // a type only a rule or learning knows
	if !typed {
		q.patient.set(d.ProposedPatient.Value)
		q.kind.SetSelected(docTypeText(d.Type))
		q.date.SetText(d.ProposedDate.Value)
	}
	q.msg.clear()
	page := 0
	if q.pages.doc.ID == d.ID {
		page = q.pages.page // a change to this document: stay on the page
	}
	q.pages.show(d, page)
	q.pages.reflowForm() // the reasons may take more lines than the last ones
	if !typed {
		q.focus(q.patient.field)
	}
}

// focus puts the keyboard in one of the form's fields; a text field's
// text is selected so typing replaces it.
func (q *queueScreen) focus(f fyne.Focusable) {
	q.sess.a.win.Canvas().Focus(f)
	if e, ok := f.(*entry); ok {
		e.Entry.TypedShortcut(&fyne.ShortcutSelectAll{})
	}
}

// counters says what is left in the queue and what this session filed.
func (q *queueScreen) counters() string {
	pages := 0
	for _, d := range q.docs {
		pages += len(d.Pages)
	}
	return fmt.Sprintf("Left: %s, %s.  Filed in this session: %d.", plural(len(q.docs), "document", "documents"),
		plural(pages, "page", "pages"), q.sess.filed)
}

// move goes to another waiting document, round the queue.
func (q *queueScreen) move(delta int) {
	if q.step(delta) {
		q.showCurrent()
	}
}

// file files the current document as the form says.
func (q *queueScreen) file() {
	d, ok := q.current()
	if !ok {
		return
	}
	fp := app.FileParams{Patient: q.patient.value(), Type: typeSlug(q.kind.Selected)}
	if fp.Patient == "" {
		q.msg.error("Choose the patient: type a name or MRN (Ctrl+P), ↑ ↓ and Enter.")
		return
	}
	when, ok := serviceDate(q.date.Text)
	if !ok {
		q.msg.error(badDate)
		return
	}
	fp.Date = when
	sess := q.sess
	sess.run(func(ctx context.Context) func() {
		f, err := sess.s.Indexing().FileDocument(ctx, d.ID, fp)
		return func() {
			if err != nil {
				q.msg.error(message(err))
				return
			}
			sess.filed++
			sess.lastFiled = f.ID
			q.reload("", fmt.Sprintf("Filed in %s's chart as %s.  Ctrl+Z undoes it.", visible.Line(f.MRN), strings.ToLower(docTypeText(f.Type))))
		}
	})
}

// undoFiling takes back the last document this session filed from the
// queue, until QA has verified it: it comes back to the queue, on show.
func (q *queueScreen) undoFiling() {
	sess := q.sess
	id := sess.lastFiled
	if id == "" {
		q.msg.error("Nothing to undo: Ctrl+Z takes back the last document you filed here, until QA has verified it.")
		return
	}
	sess.run(func(ctx context.Context) func() {
		d, err := sess.s.Indexing().UndoFiling(ctx, id)
		return func() {
			if err != nil {
				q.msg.error(message(err))
				return
			}
			sess.lastFiled = ""
			q.reload(d.ID, "Filing undone: the document is back in the queue, as it was proposed.")
		}
	})
}

// removePage takes the page on show out of the document (a blank back the
// detector missed, a stray sheet); it stays with the document as a
// left-out page, and with the batch's original. On a left-out page it puts
// that page back where it was in the scanned file.
func (q *queueScreen) removePage() {
	d, ok := q.current()
	if !ok {
		return
	}
	if k, ok := q.pages.leftPage(); ok {
		line := d.Removed[k].LeftOutLine()
		q.change(func(ctx context.Context) (string, string, error) {
			_, err := q.sess.s.Indexing().RestorePage(ctx, d.ID, k)
			return d.ID, "Put back: " + line + ".", err
		})
		return
	}
	page, ok := q.pages.docPage()
	if !ok {
		return
	}
	if len(d.Pages) == 1 {
		q.msg.error("This is the document's only page. A stray sheet on its own can be filed as \"other\" or merged.")
		return
	}
	q.change(func(ctx context.Context) (string, string, error) {
		_, err := q.sess.s.Indexing().RemovePage(ctx, d.ID, page)
		return d.ID, fmt.Sprintf("Page %d removed; it stays with the document as a left-out page (Ctrl+B on it puts it back).", page+1), err
	})
}

// currentPage is the document on show and the page of it on show; false,
// said under the form, when that page is a left-out one.
func (q *queueScreen) currentPage() (app.Document, int, bool) {
	d, ok := q.current()
	if !ok {
		return d, 0, false
	}
	page, ok := q.pages.docPage()
	if !ok {
		q.msg.error(notAPage)
	}
	return d, page, ok
}

func (q *queueScreen) rotate() {
	d, page, ok := q.currentPage()
	if !ok {
		return
	}
	q.change(func(ctx context.Context) (string, string, error) {
		_, err := q.sess.s.Indexing().TurnPage(ctx, d.ID, page, 1)
		return d.ID, fmt.Sprintf("Page %d turned a quarter clockwise.", page+1), err
	})
}

func (q *queueScreen) split() {
	d, at, ok := q.currentPage()
	if !ok {
		return
	}
	if at == 0 {
		q.msg.error("Go to the page that starts the new document (Page Down), then split.")
		return
	}
	q.change(func(ctx context.Context) (string, string, error) {
		_, _, err := q.sess.s.Indexing().SplitDocument(ctx, d.ID, at)
		return d.ID, fmt.Sprintf("Split: pages %d onwards are a new document in the queue.", at+1), err
	})
}

func (q *queueScreen) mergePrevious() {
	d, ok := q.current()
	if !ok || q.cur == 0 {
		q.msg.error("There is no previous document to merge with.")
		return
	}
	prev := q.docs[q.cur-1]
	q.change(func(ctx context.Context) (string, string, error) {
		_, err := q.sess.s.Indexing().MergeDocuments(ctx, []string{prev.ID, d.ID})
		return prev.ID, "Merged into the previous document.", err
	})
}

// notAPage answers a page correction asked on a left-out page.
const notAPage = "This page is left out of the document: Ctrl+B puts it back first."

// leftOutLines lists d's left-out pages for a person ("Page 4 left out as
// blank"), each followed by how, if at all.
func leftOutLines(d app.Document, how string) []string {
	var out []string
	for _, p := range d.Removed {
		line := p.LeftOutLine()
		line = strings.ToUpper(line[:1]) + line[1:]
		if how != "" {
			line += ": " + how
		}
		out = append(out, line+".")
	}
	return out
}

// change runs a correction off the Fyne goroutine, then reloads the queue
// at the document it names and says what happened; what the clerk typed
// in the form stays.
func (q *queueScreen) change(do func(ctx context.Context) (keep, done string, err error)) {
	sess := q.sess
	sess.run(func(ctx context.Context) func() {
		keep, done, err := do(ctx)
		return func() {
			if err != nil {
				q.msg.error(message(err))
				return
			}
			q.reloadForm(keep, done, true)
		}
	})
}
