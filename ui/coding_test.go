package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// codingRoom is a clinic whose clinician (dr.amani) signed visits that
// wait for coding: Mary's outpatient visit, Kamau's (a man's) visit and
// Mary's admission, and left one note unsigned; the window is signed in
// as grace, a records clerk who codes.
func codingRoom(t *testing.T) (*App, []app.Encounter) {
	t.Helper()
	ctx := context.Background()
	v, admin := adminVault(t)
	addUser(t, admin, clerkPW, "grace", app.RoleRecords)
	addUser(t, admin, clinPW, "dr.amani", app.RoleClinician)
	u := newWindow(t, v, Options{})
	logIn(t, u, "grace", clerkPW)
	reg := register(t, u, mary(), app.Patient{Family: "Okello", Given: "Kamau", Sex: app.SexMale,
		BirthDate: app.BirthDate{Year: 1982, Month: 12, Day: 24}})
	doc, err := v.Login(ctx, "dr.amani", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Lock(ctx)
	at := time.Now().Add(-5 * time.Hour)
	var signed []app.Encounter
	for i, w := range []struct {
		mrn string
		typ app.EncounterType
	}{{reg[0].MRN, app.EncOutpatient}, {reg[1].MRN, app.EncOutpatient}, {reg[0].MRN, app.EncAdmission}} {
		e, err := doc.Encounters().Add(ctx, w.mrn, app.Encounter{Time: at.Add(time.Duration(i) * time.Hour), Type: w.typ,
			Reason: "cough for two weeks", Vitals: app.Vitals{TemperatureC: 38.2, Pulse: 96}})
		if err != nil {
			t.Fatal(err)
		}
		e.Note = app.Note{History: "Cough and fever for two weeks.", Assessment: "Community-acquired pneumonia.", Plan: "Amoxicillin."}
		if e, err = doc.Encounters().Sign(ctx, e); err != nil {
			t.Fatal(err)
		}
		signed = append(signed, e)
	}
	if _, err := doc.Encounters().Add(ctx, reg[1].MRN, app.Encounter{Time: at, Type: app.EncOutpatient, Reason: "review"}); err != nil {
		t.Fatal(err)
	}
	u.refreshCounts()
	u.tasks.wait()
	return u, signed
}

// openCoding opens encounter e from the worklist with the keyboard: Ctrl+6,
// the tab of its status, ↓ to its row, Enter.
func openCoding(t *testing.T, u *App, e app.Encounter) *codingScreen {
	t.Helper()
	press(u, ctrlKey, fyne.Key6)
	u.tasks.wait()
	w := current[*codingWorklistScreen](t, u)
	press(u, ctrlKey, fyne.Key4)
	openRow(u, w.pick, func(i int) bool { return w.shown[i].EncounterID == e.ID })
	s := current[*codingScreen](t, u)
	if s.enc.ID != e.ID {
		t.Fatalf("the coding screen shows encounter %q, want %s", s.enc.ID, e.ID)
	}
	return s
}

// openRow moves the choice of p down with ↓ to the first row want
// takes, and presses Enter.
func openRow(u *App, p *pickList, want func(int) bool) {
	for range len(p.rows) {
		if i, ok := p.current(); ok && want(i) {
			break
		}
		press(u, 0, fyne.KeyDown)
	}
	press(u, 0, fyne.KeyReturn)
	u.tasks.wait()
}

// searchCodes types q into the code search and runs the search the
// debounce would run.
func searchCodes(t *testing.T, u *App, s *codingScreen, q string) []string {
	t.Helper()
	f := s.search.pick.field
	u.win.Canvas().Focus(f)
	f.SetText("")
	test.Type(f, q)
	s.search.searchNow(f.Text)
	var codes []string
	for _, h := range s.search.hits {
		codes = append(codes, h.Code.Code)
	}
	return codes
}

// chooseCode moves the choice to code with ↓, as a coder does.
func chooseCode(t *testing.T, u *App, s *codingScreen, code string) {
	t.Helper()
	for range len(s.search.hits) {
		if c, ok := s.search.chosen(); ok && c.Code == code {
			return
		}
		press(u, 0, fyne.KeyDown)
	}
	t.Fatalf("%s is not among the codes found", code)
}

// A coder codes from the worklist with the keyboard: the search as you
// type finds J18.9 from words cut short and from a slip; a category
// header is refused with the codes under it; Ctrl+P assigns the
// principal, Ctrl+S saves, and the encounter moves from waiting to coded.
func TestCodingFromTheWorklist(t *testing.T) {
	u, enc := codingRoom(t)
	if got := u.side.items[placeCoding].Text; !strings.HasPrefix(got, "Coding (3)") {
		t.Errorf("the sidebar says %q, want Coding (3)", got)
	}
	press(u, ctrlKey, fyne.Key6)
	u.tasks.wait()
	w := current[*codingWorklistScreen](t, u)
	if len(w.shown) != 3 || w.status != app.CodingWaiting {
		t.Fatalf("the worklist shows %d encounters (%q), want the 3 waiting", len(w.shown), w.status)
	}
	if r := w.pick.rows[0]; !strings.Contains(r.title, "Mary Akello Okello") || !strings.Contains(r.detail, "dr.amani") {
		t.Errorf("the first row reads %q / %q", r.title, r.detail)
	}
	s := openCoding(t, u, enc[0])
	if !strings.Contains(richText(s.note), "Community-acquired pneumonia") {
		t.Errorf("the note beside the coding reads %q", richText(s.note))
	}

	for _, q := range []string{"pneum unspec", "pnuemonia"} {
		if codes := searchCodes(t, u, s, q); !slices.Contains(codes, "J18.9") {
			t.Errorf("%q finds %v, not J18.9", q, codes)
		}
	}
	searchCodes(t, u, s, "J18")
	chooseCode(t, u, s, "J18")
	press(u, ctrlKey, fyne.KeyP)
	if len(s.codes.dx) != 0 || !strings.Contains(s.msg.Text, "J18") || s.msg.Importance != widget.DangerImportance {
		t.Errorf("the header J18: %d codes assigned, message %q", len(s.codes.dx), s.msg.Text)
	}
	searchCodes(t, u, s, "pneum unspec")
	chooseCode(t, u, s, "J18.9")
	press(u, ctrlKey, fyne.KeyP)
	if len(s.codes.dx) != 1 || s.codes.dx[0].code.Code != "J18.9" {
		t.Fatalf("assigned %v, want J18.9 as the principal", s.codes.assignment().Diagnoses)
	}
	if u.win.Canvas().Focused() != s.search.pick.field {
		t.Errorf("after assigning, the keyboard is in %T, not the search", u.win.Canvas().Focused())
	}
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	u.tasks.wait()
	if !strings.HasPrefix(s.msg.Text, "Coded: J18.9 (principal)") {
		t.Fatalf("after Ctrl+S the message says %q", s.msg.Text)
	}
	if s.coding.Status != app.CodingCoded {
		t.Errorf("the encounter is %q after saving", s.coding.Status)
	}
	if got := u.side.items[placeCoding].Text; !strings.HasPrefix(got, "Coding (2)") {
		t.Errorf("after coding one, the sidebar says %q, want Coding (2)", got)
	}
	press(u, 0, fyne.KeyEscape)
	u.tasks.wait()
	w = current[*codingWorklistScreen](t, u)
	press(u, ctrlKey, fyne.Key3)
	if len(w.shown) != 1 || w.shown[0].EncounterID != enc[0].ID || w.shown[0].Coder != "grace" {
		t.Errorf("the coded tab shows %+v", w.shown)
	}
	if !strings.Contains(w.pick.rows[0].detail, "coded by grace") || !strings.Contains(w.pick.rows[0].detail, "after signing") {
		t.Errorf("the coded row reads %q", w.pick.rows[0].detail)
	}
}

// An edit the codes fail shows the service's sentence; the coder types
// the reason and Enter assigns the codes anyway, the override recorded.
func TestCodingEditOverriddenWithAReason(t *testing.T) {
	u, enc := codingRoom(t)
	s := openCoding(t, u, enc[1]) // Kamau, a man
	searchCodes(t, u, s, "O80")
	chooseCode(t, u, s, "O80")
	press(u, 0, fyne.KeyReturn) // Enter in the search: the first code is the principal
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	if !s.editBox.Visible() || !strings.Contains(richText(s.edits), "O80 is a pregnancy code (O00–O9A) but the patient's sex is recorded as male") {
		t.Fatalf("the edits read %q (shown: %v); message %q", richText(s.edits), s.editBox.Visible(), s.msg.Text)
	}
	if u.win.Canvas().Focused() != s.reason {
		t.Errorf("the keyboard is in %T, not the reason", u.win.Canvas().Focused())
	}
	typeEnter(u, s.reason, "Sex recorded wrongly at registration; being corrected")
	if s.coding.Current == nil || len(s.coding.Current.Overrides) != 1 ||
		s.coding.Current.Overrides[0].Reason != "Sex recorded wrongly at registration; being corrected" {
		t.Fatalf("the coding in force: %+v; message %q", s.coding.Current, s.msg.Text)
	}
	if s.editBox.Visible() {
		t.Error("the edits still show after the override was saved")
	}
}

// On an admission, a code that is not POA-exempt asks for its
// present-on-admission: Y typed in the choice sets it and gives the
// keyboard back to the search.
func TestCodingAdmissionAsksPOA(t *testing.T) {
	u, enc := codingRoom(t)
	s := openCoding(t, u, enc[2])
	searchCodes(t, u, s, "J18.9")
	chooseCode(t, u, s, "J18.9")
	press(u, ctrlKey, fyne.KeyP)
	poa := s.codes.dx[0].poa
	if poa == nil || u.win.Canvas().Focused() != poa {
		t.Fatalf("no POA choice has the keyboard (%T)", u.win.Canvas().Focused())
	}
	typeChar(u, 'y')
	if poa.letter() != "Y" || u.win.Canvas().Focused() != s.search.pick.field {
		t.Errorf("POA %q, keyboard in %T", poa.letter(), u.win.Canvas().Focused())
	}
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	u.tasks.wait()
	if s.coding.Current == nil || s.coding.Current.Diagnoses[0].POA != "Y" {
		t.Fatalf("coded %+v; message %q", s.coding.Current, s.msg.Text)
	}
}

// A coder queries the clinician from the coding screen; the clinician
// sees the query first in their sidebar, opens it, reads the question and
// the note and answers in the window; the worklist has the encounter
// waiting again.
func TestCodingQueryAnsweredInTheWindow(t *testing.T) {
	u, enc := codingRoom(t)
	s := openCoding(t, u, enc[0])
	press(u, ctrlKey, fyne.KeyE)
	if u.win.Canvas().Focused() != s.question {
		t.Fatalf("Ctrl+E put the keyboard in %T", u.win.Canvas().Focused())
	}
	typeEnter(u, s.question, "Was the pneumonia confirmed by X-ray?")
	if s.coding.Status != app.CodingQueried {
		t.Fatalf("after the query the encounter is %q; message %q", s.coding.Status, s.msg.Text)
	}

	logInAgain(t, u, "dr.amani", clinPW)
	u.tasks.wait()
	var first []string
	for _, b := range u.side.items {
		if b.Visible() {
			first = append(first, b.Text)
		}
	}
	if len(first) < 2 || !strings.HasPrefix(first[0], "To sign (1)") || !strings.HasPrefix(first[1], "Coding queries (1)") {
		t.Errorf("the clinician's sidebar reads %q", first)
	}
	press(u, ctrlKey, fyne.Key8)
	u.tasks.wait()
	q := current[*myQueriesScreen](t, u)
	u.tasks.wait()
	if !strings.Contains(richText(q.question), "Was the pneumonia confirmed by X-ray?") ||
		!strings.Contains(richText(q.note), "Community-acquired pneumonia") {
		t.Fatalf("the query reads %q beside %q", richText(q.question), richText(q.note))
	}
	if u.win.Canvas().Focused() != q.answer {
		t.Errorf("the keyboard is in %T, not the answer", u.win.Canvas().Focused())
	}
	typeEnter(u, q.answer, "Yes: right lower lobe consolidation on the film.")
	if len(q.queries) != 0 || !strings.Contains(q.msg.Text, "Answer sent to grace") {
		t.Errorf("after answering: %d queries, message %q", len(q.queries), q.msg.Text)
	}
	if got := u.side.items[placeMyQueries].Text; strings.Contains(got, "(") {
		t.Errorf("after answering, the sidebar says %q", got)
	}

	logInAgain(t, u, "grace", clerkPW)
	s = openCoding(t, u, enc[0])
	if s.coding.Status != app.CodingWaiting || !strings.Contains(richText(s.note), "right lower lobe consolidation") {
		t.Errorf("after the answer the encounter is %q, the note pane %q", s.coding.Status, richText(s.note))
	}
}

// A clinician's unsigned notes are listed for them; Enter opens the note
// in the visit editor.
func TestMyUnsignedNotes(t *testing.T) {
	u, _ := codingRoom(t)
	logInAgain(t, u, "dr.amani", clinPW)
	press(u, ctrlKey, fyne.Key7)
	u.tasks.wait()
	n := current[*myNotesScreen](t, u)
	if len(n.notes) != 1 || !strings.Contains(n.pick.rows[0].title, "Kamau Okello") {
		t.Fatalf("unsigned notes: %+v", n.notes)
	}
	press(u, 0, fyne.KeyReturn)
	u.tasks.wait()
	current[*encounterScreen](t, u)
}

// typeEnter types text into field f, presses Enter and waits for what
// it started.
func typeEnter(u *App, f *entry, text string) {
	test.Type(f, text)
	press(u, 0, fyne.KeyReturn)
	u.tasks.wait()
	u.tasks.wait()
}

// richText is what a rich text says.
func richText(rt interface{ String() string }) string { return rt.String() }

// codingWork gives the records room (the window signed in as a coder)
// coding work: clinician writes and signs four visits of patient mrn and
// leaves two notes unsigned, and the coder queries the last two visits.
// It returns the visits, oldest first.
func codingWork(t testing.TB, u *App, clinician, pw, mrn string) []app.Encounter {
	t.Helper()
	ctx := context.Background()
	doc, err := u.vault.Login(ctx, clinician, []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Lock(ctx)
	at := u.now().Add(-30 * time.Hour)
	var out []app.Encounter
	for i := range 6 {
		e, err := doc.Encounters().Add(ctx, mrn, app.Encounter{Time: at.Add(time.Duration(i) * time.Hour), Type: app.EncOutpatient,
			Reason: "cough for two weeks", Vitals: app.Vitals{TemperatureC: 38.2, Pulse: 96, Systolic: 118, Diastolic: 76}})
		if err != nil {
			t.Fatal(err)
		}
		if i >= 4 {
			continue // left unsigned
		}
		e.Note = app.Note{History: "Cough and fever for two weeks, worse at night.", Examination: "Crackles at the right base.",
			Assessment: "Community-acquired pneumonia.", Plan: "Amoxicillin 1 g three times a day for five days; review in a week."}
		if e, err = doc.Encounters().Sign(ctx, e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	for _, e := range out[2:] {
		if _, err := u.sess.codingLists().Query(ctx, e.ID, "Was the pneumonia confirmed by a chest X-ray?"); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// A lock on the coding screen comes back to the same visit at the next
// sign-in, its note read again.
func TestCodingResumesAfterLock(t *testing.T) {
	u, enc := codingRoom(t)
	openCoding(t, u, enc[1])
	logInAgain(t, u, "grace", clerkPW)
	u.tasks.wait()
	if s := current[*codingScreen](t, u); s.enc.ID != enc[1].ID {
		t.Errorf("after the lock the coding screen shows %q, want %s", s.enc.ID, enc[1].ID)
	}
}
