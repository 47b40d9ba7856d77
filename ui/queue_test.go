package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"folio/app"
)

func importCorpus(t *testing.T, u *App, names ...string) {
	t.Helper()
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", "scans", n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.sess.s.Intake().ImportFile(context.Background(), n, "test", data); err != nil {
			t.Fatal(err)
		}
	}
}

// recordsRoom is a window where grace, a records clerk, is signed in;
// peter, a second records clerk, can sign in for QA, which samples every
// filed document.
func recordsRoom(t *testing.T) *App {
	t.Helper()
	ctx := context.Background()
	v, admin := adminVault(t)
	for _, name := range []string{"grace", "peter"} {
		addUser(t, admin, clerkPW, name, app.RoleRecords)
	}
	u := newWindow(t, v, Options{})
	logIn(t, u, "grace", clerkPW)
	if err := u.sess.s.Indexing().SetQASampling(ctx, 100); err != nil {
		t.Fatal(err)
	}
	return u
}

// queueOf is the records room with Mary registered and scans imported,
// its queue opened with Ctrl+J.
func queueOf(t *testing.T, scans ...string) (*App, *queueScreen, app.Patient) {
	t.Helper()
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	importCorpus(t, u, scans...)
	u.input.shortcut(ctrl(fyne.KeyJ))
	q := current[*queueScreen](t, u)
	u.tasks.wait()
	return u, q, p
}

// A records clerk indexes the queue with the keyboard: split a batch that
// holds two documents, file both, then a second clerk checks them in QA.
func TestIndexingQueueAndQAWithTheKeyboard(t *testing.T) {
	ctx := context.Background()
	u, q, p := queueOf(t, "paperless__multi-page-images.pdf")
	if len(q.docs) != 1 || !strings.Contains(q.count.Text, "Document 1 of 1 waiting: 3 pages") {
		t.Fatalf("queue: %q", q.count.Text)
	}
	// Page Down twice, split: page 3 becomes a document of its own.
	u.input.shortcut(ctrl(fyne.KeyPageDown))
	u.input.shortcut(ctrl(fyne.KeyPageDown))
	u.tasks.wait()
	if q.pages.page != 2 || q.pages.image.Image == nil {
		t.Fatalf("on page %d, image %v", q.pages.page+1, q.pages.image.Image)
	}
	// The strip: a thumbnail card per page, the page on show marked.
	if len(q.pages.cards) != 3 || !q.pages.cards[2].focused || q.pages.cards[0].focused {
		t.Fatalf("strip: %d cards", len(q.pages.cards))
	}
	for i, c := range q.pages.cards {
		var imgs []*canvas.Image
		for _, o := range test.LaidOutObjects(c) {
			if img, ok := o.(*canvas.Image); ok && img.Image != nil {
				imgs = append(imgs, img)
			}
		}
		if len(imgs) != 1 {
			t.Fatalf("card %d shows %d thumbnails", i+1, len(imgs))
		}
	}
	// Ctrl+R turns the page on show: its image turns with it.
	before := q.pages.image.Image.Bounds().Size()
	u.input.shortcut(ctrl(fyne.KeyR))
	u.tasks.wait()
	u.tasks.wait()
	if q.pages.page != 2 {
		t.Fatalf("after the turn the queue shows page %d", q.pages.page+1)
	}
	if after := q.pages.image.Image.Bounds().Size(); after.X != before.Y || after.Y != before.X {
		t.Fatalf("page 3 after a quarter turn: %v, before %v", after, before)
	}
	u.input.shortcut(ctrl(fyne.KeyT))
	u.tasks.wait()
	u.tasks.wait()
	if len(q.docs) != 2 || !strings.Contains(q.msg.Text, "pages 3 onwards") {
		t.Fatalf("after split: %d documents, %q", len(q.docs), q.msg.Text)
	}
	// Page 2 of the first document is a stray sheet: Ctrl+B takes it out.
	u.input.shortcut(ctrl(fyne.KeyPageDown))
	u.tasks.wait()
	u.input.shortcut(ctrl(fyne.KeyB))
	u.tasks.wait()
	u.tasks.wait()
	if d, _ := q.current(); len(d.Pages) != 1 || !strings.Contains(q.msg.Text, "Page 2 removed") {
		t.Fatalf("after removing page 2: %d pages, %q", len(d.Pages), q.msg.Text)
	}
	// It stays in its place as a left-out page; the only page cannot go.
	if !strings.Contains(q.pages.label.Text, "Page 2 taken out by a person") || !strings.Contains(q.why.Text, "Page 2 taken out by a person") {
		t.Fatalf("the removed page is not listed: %q, %q", q.pages.label.Text, q.why.Text)
	}
	u.input.shortcut(ctrl(fyne.KeyPageUp))
	u.tasks.wait()
	u.input.shortcut(ctrl(fyne.KeyB))
	u.tasks.wait()
	if d, _ := q.current(); len(d.Pages) != 1 || !strings.Contains(q.msg.Text, "only page") {
		t.Fatalf("removing the only page: %d pages, %q", len(d.Pages), q.msg.Text)
	}
	// The first by name: Ctrl+P, type, ↓ ↑ Enter takes the highlighted
	// patient, whose identity shows under the field; Ctrl+Enter files.
	u.input.shortcut(ctrl(fyne.KeyP))
	if u.win.Canvas().Focused() != q.patient.field {
		t.Fatal("Ctrl+P does not put the keyboard in the patient field")
	}
	test.Type(q.patient.field, "okello mary")
	q.patient.search(q.patient.field.Text, false) // the debounce, at once
	u.tasks.wait()
	if len(q.patient.matches) != 1 || len(q.patient.rows.Objects) < 1 {
		t.Fatalf("picker: %d matches", len(q.patient.matches))
	}
	q.patient.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	q.patient.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	q.patient.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if q.patient.value() != p.MRN || !strings.Contains(q.patient.chosen.String(), "OKELLO") || len(q.patient.matches) != 0 {
		t.Fatalf("chosen %q, shown %q", q.patient.value(), q.patient.chosen.String())
	}
	u.input.shortcut(ctrl(fyne.KeyReturn))
	u.tasks.wait()
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "Filed in "+p.MRN) {
		t.Fatalf("filing: %q", q.msg.Text)
	}
	// The second by MRN, Enter in the field files it.
	test.Type(q.patient.field, p.MRN)
	q.patient.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "Filed in "+p.MRN) || !strings.Contains(q.left.Text, "Filed in this session: 2") {
		t.Fatalf("filing by MRN: %q, %q", q.msg.Text, q.left.Text)
	}
	if len(q.docs) != 0 || !q.accept.Disabled() {
		t.Fatalf("%d still waiting", len(q.docs))
	}

	// QA by the second clerk: the sample is everything (100%).
	u.lock("")
	logIn(t, u, "peter", clerkPW)
	u.input.shortcut(ctrl(fyne.KeyK))
	qa := current[*qaScreen](t, u)
	u.tasks.wait()
	if len(qa.docs) != 2 || !strings.Contains(qa.patient.Text, p.MRN) || !strings.Contains(qa.choices.Text, "Filed by grace") {
		t.Fatalf("QA: %d documents, %q, %q", len(qa.docs), qa.patient.Text, qa.choices.Text)
	}
	u.input.shortcut(ctrl(fyne.KeyReturn))
	u.tasks.wait()
	u.tasks.wait()
	if len(qa.docs) != 1 || !strings.Contains(qa.msg.Text, "Verified") {
		t.Fatalf("after verifying: %d left, %q", len(qa.docs), qa.msg.Text)
	}
	test.Type(qa.reason, "page 3 belongs to another patient")
	qa.sendBack()
	u.tasks.wait()
	u.tasks.wait()
	if len(qa.docs) != 0 {
		t.Fatalf("after sending back: %d left", len(qa.docs))
	}
	back, err := u.sess.s.Indexing().Queue(ctx)
	if err != nil || len(back) != 1 || !strings.Contains(strings.Join(back[0].Problems, ";"), "sent back by peter: page 3 belongs") {
		t.Fatalf("queue after send-back: %v, %v", back, err)
	}
	if !u.side.items[placeQA].Visible() || u.side.items[placeAdmin].Visible() {
		t.Fatal("a records clerk's sidebar: QA hidden or Users shown")
	}
}

// The sidebar counts what waits in the queue and in QA, and follows as
// documents are imported, filed and checked.
func TestSidebarCounts(t *testing.T) {
	ctx := context.Background()
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	queue, qa := u.side.items[placeQueue], u.side.items[placeQA]
	u.nav.showSearch()
	u.tasks.wait()
	if queue.Text != "Indexing queue   Ctrl+J" || qa.Text != "QA   Ctrl+K" {
		t.Fatalf("an empty vault's sidebar: %q, %q", queue.Text, qa.Text)
	}
	importCorpus(t, u, "paperless__multi-page-images.pdf", "ocrmypdf__linn.png")
	u.input.shortcut(ctrl(fyne.KeyJ))
	u.tasks.wait()
	if queue.Text != "Indexing queue (2)   Ctrl+J" {
		t.Fatalf("after importing two scans: %q", queue.Text)
	}
	q := current[*queueScreen](t, u)
	d, _ := q.current()
	if _, err := u.sess.s.Indexing().FileDocument(ctx, d.ID, app.FileParams{Patient: p.MRN, Type: "lab-result"}); err != nil {
		t.Fatal(err)
	}
	q.reload("", "")
	u.tasks.wait()
	if queue.Text != "Indexing queue (1)   Ctrl+J" || qa.Text != "QA (1)   Ctrl+K" {
		t.Fatalf("after filing one: %q, %q", queue.Text, qa.Text)
	}
}

// Ctrl+Z takes back the last filing: the document is back in the queue,
// proposed as it was filed; once QA verified a filing, it cannot be undone.
func TestUndoFiling(t *testing.T) {
	ctx := context.Background()
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	importCorpus(t, u, "paperless__simple.png", "ocrmypdf__linn.png")
	u.input.shortcut(ctrl(fyne.KeyJ))
	u.tasks.wait()
	q := current[*queueScreen](t, u)
	d, _ := q.current()
	q.patient.set(p.MRN)
	u.input.shortcut(ctrl(fyne.KeyReturn))
	u.tasks.wait()
	if len(q.docs) != 1 || !strings.Contains(q.msg.Text, "Ctrl+Z undoes it") {
		t.Fatalf("after filing: %d waiting, %q", len(q.docs), q.msg.Text)
	}
	u.input.shortcut(ctrl(fyne.KeyZ))
	u.tasks.wait()
	cur, _ := q.current()
	if len(q.docs) != 2 || cur.ID != d.ID || !strings.Contains(q.msg.Text, "Filing undone") {
		t.Fatalf("after Ctrl+Z: %d waiting, on %s (want %s), %q", len(q.docs), cur.ID, d.ID, q.msg.Text)
	}
	if cur.Status != app.DocQueued || cur.PatientID != "" || cur.ProposedPatient.Value != p.MRN {
		t.Fatalf("undone document: status %s, patient %q, proposed %q", cur.Status, cur.PatientID, cur.ProposedPatient.Value)
	}
	events, err := u.sess.s.Audit().Events(ctx, app.AuditFilter{PatientMRN: p.MRN})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(events, func(e app.AuditEvent) bool { return strings.Contains(e.Detail, "filing undone") }) {
		t.Fatal("the undo is not in the audit trail")
	}
	// File it again; a second clerk verifies it in QA: no undo after that.
	q.patient.set(p.MRN)
	u.input.shortcut(ctrl(fyne.KeyReturn))
	u.tasks.wait()
	u.lock("test")
	logIn(t, u, "peter", clerkPW)
	if _, err := u.sess.s.Documents().Verify(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	u.lock("test")
	logIn(t, u, "grace", clerkPW)
	if _, err := u.sess.s.Indexing().UndoFiling(ctx, d.ID); err == nil || !strings.Contains(err.Error(), "QA has verified") {
		t.Fatalf("undo after QA: %v", err)
	}
}

// Issue 14, the README's walk: Ctrl+R (turn the page) put the proposal
// back in the form, throwing away the patient the clerk had typed. A page
// turned, taken out or put back, or looked through, keeps the form as
// typed (what was typed, the matches under it, the patient chosen, the
// type, the date) and the keyboard where it was; filing then files that.
func TestQueueKeepsTheFormWhenAPageTurns(t *testing.T) {
	ctx := context.Background()
	u, q, p := queueOf(t, "paperless__multi-page-images.pdf")
	d, _ := q.current()

	// The clerk types a name; when typing pauses the matches show.
	test.Type(q.patient.field, "okello")
	q.patient.search(q.patient.field.Text, false) // the debounce, at once
	u.tasks.wait()
	u.input.shortcut(ctrl(fyne.KeyY))
	q.kind.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	kind := q.kind.Selected
	if kind == docTypeText(d.Type) {
		t.Fatalf("→ in Type left it at %q", kind)
	}
	u.input.shortcut(ctrl(fyne.KeyD))
	test.Type(q.date, "2026-09-01")
	kept := func(when string, typed string, matches bool) {
		t.Helper()
		if q.patient.field.Text != typed || q.kind.Selected != kind || q.date.Text != "2026-09-01" {
			t.Fatalf("%s: the form holds %q, %q, %q; the clerk typed %q, %q, %q",
				when, q.patient.field.Text, q.kind.Selected, q.date.Text, typed, kind, "2026-09-01")
		}
		if got := len(q.patient.matches) > 0 && q.patient.rows.Visible(); got != matches {
			t.Fatalf("%s: matches listed %v, want %v", when, got, matches)
		}
	}
	kept("before", "okello", true)

	u.input.shortcut(ctrl(fyne.KeyR)) // from the date field
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "Page 1 turned") {
		t.Fatalf("Ctrl+R: %q", q.msg.Text)
	}
	kept("after Ctrl+R", "okello", true)
	if u.win.Canvas().Focused() != q.date {
		t.Fatalf("after Ctrl+R the keyboard is in %T, not in the date the clerk was typing", u.win.Canvas().Focused())
	}

	// Enter in Patient takes Mary; the pages are looked through, one is
	// taken out and put back.
	u.input.shortcut(ctrl(fyne.KeyP))
	q.patient.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if q.patient.value() != p.MRN {
		t.Fatalf("Enter took %q", q.patient.value())
	}
	u.input.shortcut(ctrl(fyne.KeyPageDown))
	u.tasks.wait()
	kept("after Page Down", p.MRN, false)
	u.input.shortcut(ctrl(fyne.KeyB))
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "Page 2 removed") {
		t.Fatalf("Ctrl+B: %q", q.msg.Text)
	}
	kept("after taking page 2 out", p.MRN, false)
	if _, ok := q.pages.leftPage(); !ok {
		t.Fatalf("after Ctrl+B the queue shows %q, not the left-out page", q.pages.label.Text)
	}
	u.input.shortcut(ctrl(fyne.KeyB))
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "Put back") {
		t.Fatalf("Ctrl+B on the left-out page: %q", q.msg.Text)
	}
	kept("after putting page 2 back", p.MRN, false)
	if q.patient.value() != p.MRN || !strings.Contains(q.patient.chosen.String(), "OKELLO") {
		t.Fatalf("the chosen patient is gone: %q, %q", q.patient.value(), q.patient.chosen.String())
	}

	u.input.shortcut(ctrl(fyne.KeyReturn))
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "Filed in "+p.MRN) {
		t.Fatalf("filing: %q", q.msg.Text)
	}
	f, err := u.sess.s.Documents().Open(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.MRN != p.MRN || docTypeText(f.Type) != kind || f.Date.Format(time.DateOnly) != "2026-09-01" {
		t.Fatalf("filed as %q, %q, %v", f.MRN, f.Type, f.Date)
	}
}
