package ui

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/scan/pageread"
)

// TestMain lets this test binary be its own scan worker: the profile
// starts workers as "<this executable> scan-worker".
func TestMain(m *testing.M) {
	pageread.ServeIfWorker(os.Args)
	os.Exit(m.Run())
}

const clerkPW = "records clerk passphrase"

// clerkLoggedIn opens a window on a new vault with a records clerk, grace,
// logged in.
func clerkLoggedIn(t *testing.T) *App {
	t.Helper()
	v, admin := adminVault(t)
	addUser(t, admin, clerkPW, "grace", app.RoleRecords)
	u := newWindow(t, v, Options{})
	logIn(t, u, "grace", clerkPW)
	return u
}

// A records clerk imports a scanned page from the station, sees the
// result, and files the queued document from the queue; the patient's
// screen prints a cover sheet whose code names the patient.
func TestScanningStation(t *testing.T) {
	u := clerkLoggedIn(t)
	p := register(t, u, mary())[0]
	if !u.side.items[placeScanning].Visible() {
		t.Fatal("a records clerk sees no Scanning button")
	}
	u.input.shortcut(ctrl(fyne.KeyI))
	current[*scanScreen](t, u)
	u.nav.showSearch()
	test.Tap(u.side.items[placeScanning])
	st := current[*scanScreen](t, u)
	u.tasks.wait()

	st.importPaths([]string{filepath.Join("..", "testdata", "corpus", "scans", "paperless__simple.png")})
	u.tasks.wait()
	if len(u.sess.intake) != 1 {
		t.Fatalf("%d files listed", len(u.sess.intake))
	}
	it := u.sess.intake[0]
	row := st.rows[it]
	if !it.done || it.p.Stage != app.StageNeedsIndexing || it.p.PagesDone != 1 || row == nil ||
		!strings.Contains(row.state.Text, "1 page, 0 documents filed, 1 waiting") || !row.index.Visible() {
		t.Fatalf("the file's row: %+v, %q", it, row.state.Text)
	}
	u.tasks.wait()
	if len(st.docs) != 1 {
		t.Fatalf("queue shows %d documents", len(st.docs))
	}
	st.file(st.docs[0].ID, p.MRN, "Clinical note", "2026-09-01")
	u.tasks.wait()
	u.tasks.wait()
	if !strings.Contains(st.msg.Text, "Filed in "+p.MRN) || len(st.docs) != 0 {
		t.Fatalf("after filing: %q, %d waiting", st.msg.Text, len(st.docs))
	}
	st.file("no-such-document", p.MRN, "Clinical note", "01/09/2026")
	if !strings.Contains(st.msg.Text, "YYYY-MM-DD") {
		t.Fatalf("a bad date: %q", st.msg.Text)
	}

	// The cover-sheet form: the patient is found by name first.
	st.printCover()
	if !strings.Contains(st.coverMsg.Text, "Find the patient first") || len(u.dialogs.open) != 0 {
		t.Fatalf("a cover sheet for nobody: %q", st.coverMsg.Text)
	}
	u.input.shortcut(ctrl(fyne.KeyP))
	chooseCoverPatient(t, u, st, "okello", p.MRN)
	u.input.shortcut(ctrl(fyne.KeyS))
	if len(u.dialogs.open) != 1 || st.coverMsg.Text != "" {
		t.Fatalf("no save dialog for the cover sheet: %d dialogs, %q", len(u.dialogs.open), st.coverMsg.Text)
	}

	pdf, err := coverSheetPDF(u.sess, p, "Lab result", "2026-10-14", "2")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := openPDF(t, pdf).Text(0)
	if !strings.Contains(text, p.MRN) || !strings.Contains(text, "OKELLO") {
		t.Fatalf("cover sheet text: %q", text)
	}
	if _, err := coverSheetPDF(u.sess, p, "Lab result", "14/10/2026", ""); err == nil {
		t.Fatal("a cover sheet with a badly written date was made")
	}
}

// chooseCoverPatient finds a patient for the cover sheet by typing q and
// pressing Enter, and checks it is mrn.
func chooseCoverPatient(t *testing.T, u *App, st *scanScreen, q, mrn string) {
	t.Helper()
	test.Type(st.coverFor.field, q)
	st.coverFor.search(st.coverFor.field.Text, false)
	u.tasks.wait()
	st.coverFor.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if st.coverFor.patient.MRN != mrn {
		t.Fatalf("cover sheet patient %q, want %s", st.coverFor.patient.MRN, mrn)
	}
}

// Each state of a file's import reads plainly on its row, with the pages
// read on the bar.
func TestIntakeRowStates(t *testing.T) {
	v, _ := createdVault(t, nil)
	u := newWindow(t, v, Options{})
	logIn(t, u, "admin", adminPW)
	st := newScanScreen(u.sess)
	for _, c := range []struct {
		p    app.ImportProgress
		want string
		bar  float64
		imp  widget.Importance
	}{
		{app.ImportProgress{Stage: app.StageStored}, "Stored encrypted", 0, widget.MediumImportance},
		{app.ImportProgress{Stage: app.StageRendering, Page: 1, Pages: 5}, "Rendering page 1 of 5", 0, widget.MediumImportance},
		{app.ImportProgress{Stage: app.StageOCR, Page: 3, PagesDone: 2, Pages: 5}, "Reading the text of page 3 of 5", 0.4, widget.MediumImportance},
		{app.ImportProgress{Stage: app.StageFiling, PagesDone: 5, Pages: 5}, "Splitting and filing", 1, widget.MediumImportance},
		{app.ImportProgress{Stage: app.StageFiled, PagesDone: 5, Pages: 5}, "Filed", 1, widget.SuccessImportance},
		{app.ImportProgress{Stage: app.StageNeedsIndexing, PagesDone: 5, Pages: 5}, "Waiting in the indexing queue", 0, widget.WarningImportance},
		{app.ImportProgress{Stage: app.StageFailed, Reason: "scan.pdf is not a PDF, TIFF, JPEG or PNG file"}, "Failed: scan.pdf is not a PDF", 0, widget.DangerImportance},
		{app.ImportProgress{Stage: app.StageDuplicate}, "Imported before", 1, widget.SuccessImportance},
	} {
		it := &intakeItem{name: "scan.pdf", p: c.p}
		r := newIntakeRow(st, it)
		if !strings.HasPrefix(r.state.Text, c.want) || r.state.Importance != c.imp || (r.bar.Visible() && r.bar.Value != c.bar) {
			t.Errorf("%s: %q (importance %v), bar %v shown %v", c.p.Stage, r.state.Text, r.state.Importance, r.bar.Value, r.bar.Visible())
		}
	}
}

// TestAttackWindowIntakeHostileFiles: the station read a named pipe chosen
// in the file dialog with os.ReadFile, which blocks for good, and listed
// a file named with a newline and a right-to-left override as two lines,
// one reversed. The pipe is refused at once; the name is one line with
// both shown as escapes.
func TestAttackWindowIntakeHostileFiles(t *testing.T) {
	u := clerkLoggedIn(t)
	u.input.shortcut(ctrl(fyne.KeyI))
	st := current[*scanScreen](t, u)
	u.tasks.wait()

	dir := t.TempDir()
	name := "scan\n10:00  other.pdf \u202efdp"
	if err := os.WriteFile(filepath.Join(dir, name), []byte("not a scan"), 0o600); err != nil {
		t.Fatal(err)
	}
	st.importPaths([]string{filepath.Join(dir, name)})
	u.tasks.wait()
	if len(u.sess.intake) != 1 {
		t.Fatalf("%d files listed", len(u.sess.intake))
	}
	shown := allText(st.rows[u.sess.intake[0]].view)
	if !strings.Contains(shown, `scan\n10:00  other.pdf \u202efdp`) || strings.Contains(shown, "scan\n") || strings.Contains(shown, "\u202e") {
		t.Errorf("the station lists the file as %q", shown)
	}

	pipe := filepath.Join(dir, "pipe.pdf")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		st.importPaths([]string{pipe})
		u.tasks.wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		if w, err := os.OpenFile(pipe, os.O_WRONLY, 0); err == nil {
			w.Close() // ends the stuck read, so that the window can close
		}
		t.Fatal("the station still reads the named pipe a minute later")
	}
	if !strings.Contains(st.msg.Text, "pipe.pdf was not imported") || !strings.Contains(st.msg.Text, "not a regular file (a named pipe)") {
		t.Errorf("the station says %q", st.msg.Text)
	}
}
