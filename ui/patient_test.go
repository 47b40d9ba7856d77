package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"folio/app"
	"folio/internal/testclock"
)

// loggedIn returns a window logged in as the administrator, with the
// given patients registered.
func loggedIn(t *testing.T, c *testclock.Clock, ps ...app.Patient) (*App, []app.Patient) {
	t.Helper()
	var now func() time.Time
	if c != nil {
		now = c.Now
	}
	v, _ := createdVault(t, nil)
	u := newWindow(t, v, Options{Now: now})
	logIn(t, u, "admin", adminPW)
	var reg []app.Patient
	if len(ps) > 0 {
		reg = register(t, u, ps...)
	}
	return u, reg
}

func results(s *searchScreen) []app.Match {
	var out []app.Match
	for i := range s.results.Length() {
		m, _ := s.match(i)
		out = append(out, m)
	}
	return out
}

func TestSearchAsYouTypeToleratesTypo(t *testing.T) {
	u, reg := loggedIn(t, nil, mary(),
		app.Patient{Family: "Mensah", Given: "Kwame", Sex: app.SexMale, BirthDate: app.BirthDate{Year: 1990}},
		app.Patient{Family: "Okafor", Given: "Ngozi", Sex: app.SexFemale, BirthDate: app.BirthDate{Year: 1979, Month: 5, Day: 2}})
	s := current[*searchScreen](t, u)
	if u.win.Canvas().Focused() != s.query {
		t.Fatal("the cursor is not in the search field after login")
	}

	test.Type(s.query, "okelo mary") // one l missing
	s.searchNow(s.query.Text)
	got := results(s)
	if len(got) == 0 || got[0].Patient.ID != reg[0].ID {
		t.Fatalf("results for a typo: %+v", got)
	}
	if st, _ := s.status.Get(); !strings.HasPrefix(st, "1 patient found") {
		t.Fatalf("status %q", st)
	}

	// Nothing matches: say so, and offer registration.
	s.query.SetText("")
	test.Type(s.query, "Zzyzx")
	s.searchNow(s.query.Text)
	if s.results.Length() != 0 || !s.empty.Visible() || !strings.Contains(s.emptyQ.Text, "No patient found") {
		t.Fatalf("no match: %d results, empty state shown %v", s.results.Length(), s.empty.Visible())
	}

	// The debounced path: a goroutine searches once typing pauses and
	// applies the results with fyne.Do.
	u.searchDelay = 0
	s.query.SetText("1990")
	u.tasks.wait()
	if got := results(s); len(got) != 1 || got[0].Patient.Family != "Mensah" {
		t.Fatalf("debounced search for a year of birth: %+v", got)
	}
}

func TestSearchKeyboardOpensPatient(t *testing.T) {
	u, reg := loggedIn(t, nil, mary(),
		app.Patient{Family: "Okello", Given: "John", Sex: app.SexMale, BirthDate: app.BirthDate{Year: 1950}})
	s := current[*searchScreen](t, u)
	test.Type(s.query, "okello")
	s.searchNow(s.query.Text)
	if s.results.Length() != 2 {
		t.Fatalf("%d results", s.results.Length())
	}
	s.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	s.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	s.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown}) // stays on the last
	s.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	want, _ := s.match(0)
	s.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if v.p.ID != want.Patient.ID {
		t.Fatalf("opened %s, want %s", v.p.FullName(), want.Patient.FullName())
	}
	_ = reg

	// Escape goes back to the same results with the cursor in the field.
	u.input.escape()
	current[*searchScreen](t, u)
	if s.results.Length() != 2 || u.win.Canvas().Focused() != s.query {
		t.Fatal("back to search lost the results or the cursor")
	}

	// Ctrl+N from the search field opens the registration.
	s.query.TypedShortcut(ctrl(fyne.KeyN))
	current[*patientForm](t, u)
}

func fillForm(f *patientForm, p app.Patient) {
	test.Type(f.family, p.Family)
	test.Type(f.given, p.Given)
	f.sex.SetSelected(sexOption(p.Sex))
	test.Type(f.dob, p.BirthDate.String())
	test.Type(f.phone, p.Phone)
	test.Type(f.village, p.Village)
}

func TestRegistrationShowsDuplicates(t *testing.T) {
	u, reg := loggedIn(t, nil, mary())
	existing := reg[0]

	u.input.shortcut(ctrl(fyne.KeyN))
	f := current[*patientForm](t, u)
	if u.win.Canvas().Focused() != f.family {
		t.Fatal("the cursor is not in the family name")
	}

	// Validation errors show next to the form.
	test.Type(f.family, "Okelo")
	test.Tap(f.saveBtn)
	if !strings.Contains(f.msg.Text, "sex") {
		t.Fatalf("no sex chosen: %q", f.msg.Text)
	}
	f.sex.SetSelected("Female")
	test.Tap(f.saveBtn)
	if !strings.Contains(f.msg.Text, "date of birth") {
		t.Fatalf("no date of birth: %q", f.msg.Text)
	}

	// The same person again, spelt differently, same phone.
	test.Type(f.given, "Mary")
	test.Type(f.dob, "1984-03-12")
	test.Type(f.phone, "+256 772 123456")
	if f.dobHint.Text != "age 41 y" && !strings.HasPrefix(f.dobHint.Text, "age ") {
		t.Fatalf("date of birth hint %q", f.dobHint.Text)
	}
	f.family.TypedShortcut(ctrl(fyne.KeyS))
	u.tasks.wait()
	if f.dups == nil {
		t.Fatalf("no duplicate dialog; message %q", f.msg.Text)
	}
	if len(f.dups.matches) != 1 || f.dups.matches[0].Patient.ID != existing.ID {
		t.Fatalf("candidates %+v", f.dups.matches)
	}
	if rs := strings.Join(f.dups.matches[0].Reasons, ","); !strings.Contains(rs, "same phone") {
		t.Fatalf("reasons %q", rs)
	}

	// Cancel keeps the form; saving again asks again.
	test.Tap(f.dups.cancel)
	current[*patientForm](t, u)
	test.Tap(f.saveBtn)
	u.tasks.wait()
	if f.dups == nil {
		t.Fatal("no duplicate dialog the second time")
	}

	// Register anyway: a new MRN, shown prominently.
	test.Tap(f.dups.anyway)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if v.p.MRN == "" || v.p.MRN == existing.MRN || v.p.Family != "Okelo" {
		t.Fatalf("registered %+v", v.p)
	}
	if !strings.Contains(v.mrn.String(), v.p.MRN) {
		t.Fatalf("MRN line %q", v.mrn.String())
	}

	// And "Open existing" opens the other record.
	u.input.shortcut(ctrl(fyne.KeyN))
	f = current[*patientForm](t, u)
	fillForm(f, mary())
	test.Tap(f.saveBtn)
	u.tasks.wait()
	if f.dups == nil || len(f.dups.open) == 0 {
		t.Fatal("no duplicate dialog for an exact duplicate")
	}
	for i, m := range f.dups.matches {
		if m.Patient.ID == existing.ID {
			test.Tap(f.dups.open[i])
		}
	}
	u.tasks.wait()
	if v := current[*patientScreen](t, u); v.p.ID != existing.ID {
		t.Fatalf("opened %s", v.p.MRN)
	}
}

func TestRegisterWithoutDuplicates(t *testing.T) {
	u, _ := loggedIn(t, nil, mary())
	test.Tap(current[*searchScreen](t, u).newBtn)
	f := current[*patientForm](t, u)
	fillForm(f, app.Patient{Family: "Nguyen", Given: "Linh", Sex: app.SexFemale,
		BirthDate: app.BirthDate{Year: 2001}, Village: "Gulu"})
	test.Tap(f.estimated)
	test.Tap(f.saveBtn)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if v.p.Family != "Nguyen" || !v.p.BirthDate.Estimated || v.p.MRN == "" {
		t.Fatalf("registered %+v", v.p)
	}
}

func TestAmendCreatesVersion(t *testing.T) {
	u, reg := loggedIn(t, nil, mary())
	u.nav.openPatient(reg[0].MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)

	test.Tap(v.demo.editBtn)
	f := current[*patientForm](t, u)
	if f.family.Text != "Okello" || f.dob.Text != "1984-03-12" || f.kinName.Text != "Peter Okello" {
		t.Fatalf("edit form not filled: %q %q %q", f.family.Text, f.dob.Text, f.kinName.Text)
	}
	f.phone.SetText("")
	test.Type(f.phone, "0788 000 111")
	test.Tap(f.saveBtn)
	u.tasks.wait()
	v = current[*patientScreen](t, u)
	if v.p.Phone != "0788 000 111" || v.p.Version == reg[0].Version {
		t.Fatalf("after amend: %+v", v.p)
	}

	v.shortcut(fyne.KeyH)
	u.tasks.wait()
	h := current[*historyScreen](t, u)
	if len(h.entries) != 2 {
		t.Fatalf("%d versions, want 2", len(h.entries))
	}
	newest := h.entries[0]
	if newest.first || len(newest.changes) != 1 || newest.changes[0].Field != "Phone" ||
		newest.changes[0].Old != "0772 123 456" || newest.changes[0].New != "0788 000 111" {
		t.Fatalf("newest version's changes %+v", newest.changes)
	}
	if !h.entries[1].first {
		t.Fatal("the oldest version is not the registration")
	}
	h.escape()
	if v := current[*patientScreen](t, u); v.p.Phone != "0788 000 111" {
		t.Fatal("back from history lost the patient")
	}
}

func TestAmendConflictReloads(t *testing.T) {
	u, reg := loggedIn(t, nil, mary())
	u.nav.openPatient(reg[0].ID)
	u.tasks.wait()
	test.Tap(current[*patientScreen](t, u).demo.editBtn)
	f := current[*patientForm](t, u)

	// Someone else changes the record meanwhile.
	other := reg[0]
	other.Village = "Kabale"
	if _, err := u.sess.s.Patients().Amend(context.Background(), other); err != nil {
		t.Fatal(err)
	}

	f.phone.SetText("0788 000 111")
	test.Tap(f.saveBtn)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if v.p.Village != "Kabale" || v.p.Phone != reg[0].Phone {
		t.Fatalf("after a conflict the view shows %+v", v.p)
	}
	hist, err := u.sess.s.Patients().History(context.Background(), reg[0].ID)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history after a conflict: %d versions, %v", len(hist), err)
	}
}

func TestIdleLockClearsPatientData(t *testing.T) {
	c := newClock()
	v, _ := createdVault(t, nil)
	u := newWindow(t, v, Options{Now: c.Now, IdleLock: 5 * time.Minute})
	logIn(t, u, "admin", adminPW)
	register(t, u, mary())
	sess := u.sess
	s := current[*searchScreen](t, u)
	test.Type(s.query, "okello")
	s.searchNow(s.query.Text)
	if s.results.Length() != 1 {
		t.Fatal("no result to clear")
	}

	c.Add(4 * time.Minute)
	u.checkIdle()
	if u.sess == nil {
		t.Fatal("locked before the idle limit")
	}
	test.Type(s.query, " ") // activity restarts the count
	c.Add(4 * time.Minute)
	u.checkIdle()
	if u.sess == nil {
		t.Fatal("locked although the window was used 4 minutes ago")
	}

	c.Add(time.Minute)
	u.checkIdle()
	u.tasks.wait()
	l := current[*loginScreen](t, u)
	if u.sess != nil || !sess.s.Locked() {
		t.Fatal("the session is still open after the idle limit")
	}
	if !strings.Contains(l.msg.Text, "5 minutes") || l.user.Text != "admin" {
		t.Fatalf("login after idle lock: %q, user %q", l.msg.Text, l.user.Text)
	}
	if s.results.Length() != 0 || s.query.Text != "" || s.status == nil {
		t.Fatalf("search still shows %d results for %q", s.results.Length(), s.query.Text)
	}
	if st, _ := s.status.Get(); strings.Contains(st, "found") {
		t.Fatalf("search status still says %q", st)
	}
	if u.head.lock.Visible() || u.head.who.String() != "" {
		t.Fatal("the header still shows the user")
	}
}

func TestLockClearsPatientView(t *testing.T) {
	u, reg := loggedIn(t, nil, mary())
	u.nav.openPatient(reg[0].ID)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if !strings.Contains(v.name.String(), "OKELLO") {
		t.Fatalf("name shown %q", v.name.String())
	}
	v.shortcut(fyne.KeyE)
	f := current[*patientForm](t, u)
	f.family.TypedShortcut(ctrl(fyne.KeyL))
	u.tasks.wait()
	current[*loginScreen](t, u)
	if v.name.String() != "" || f.family.Text != "" || f.phone.Text != "" {
		t.Fatalf("after lock: view %q, form %q", v.name.String(), f.family.Text)
	}
	for _, l := range v.demo.values {
		if l.Text != "" {
			t.Fatalf("a value is still shown: %q", l.Text)
		}
	}
}

func TestRestrictedChartNeedsBreakGlass(t *testing.T) {
	p := mary()
	p.Restricted = true
	u, reg := loggedIn(t, nil, p)
	addUser(t, u.sess.s, clinPW, "dr.amani")
	addUser(t, u.sess.s, clinPW, "scan1", app.RoleScanning)
	u.lock("")
	u.tasks.wait()

	logIn(t, u, "dr.amani", clinPW)
	s := current[*searchScreen](t, u)
	// Issue 12, item 3: the result says she is restricted and shows only
	// what finding her needs (no village, phone or full date of birth).
	row := onlyResult(t, s, "okello")
	shown := allText(row.name) + allText(row.details) + row.flag.Text
	for _, want := range []string{"OKELLO", "Mary Akello", "1984", "restricted"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the restricted result does not show %q: %q", want, shown)
		}
	}
	for _, withheld := range []string{"Kisoro", "0772", "1984-03-12", "Peter"} {
		if strings.Contains(shown, withheld) {
			t.Errorf("the restricted result shows %q: %q", withheld, shown)
		}
	}
	s.openSelected()
	u.tasks.wait()
	current[*searchScreen](t, u)
	bg := u.sess.glass
	refusesShortReason(t, u, bg, "for a restricted chart", "why")
	test.Type(bg.reason, ": patient collapsed in the waiting room")
	bg.reason.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if v.p.ID != reg[0].ID || len(u.dialogs.open) != 0 {
		t.Fatalf("after break-glass: %s, %d dialogs open", v.p.MRN, len(u.dialogs.open))
	}
	ev, err := auditAs(t, u.vault, "admin", app.ActBreakGlass)
	if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Detail, "collapsed") {
		t.Fatalf("break-glass audit %+v, %v", ev, err)
	}

	// A scanning clerk may not break the glass: a clear refusal.
	logInAgain(t, u, "scan1", clinPW)
	u.nav.openPatient(reg[0].MRN)
	u.tasks.wait()
	current[*searchScreen](t, u)
	if u.sess.glass != nil || len(u.dialogs.open) != 1 || !strings.Contains(u.dialogs.lastErr, "restricted") {
		t.Fatalf("a scanning clerk opening a restricted chart: %q", u.dialogs.lastErr)
	}
}

// logInAgain locks the window and logs in as another user.
func logInAgain(t *testing.T, u *App, user, pw string) {
	t.Helper()
	u.lock("")
	u.tasks.wait()
	logIn(t, u, user, pw)
}

// auditAs reads the audit trail as user (a separate session).
func auditAs(t *testing.T, v *app.Vault, user string, act app.Action) ([]app.AuditEvent, error) {
	t.Helper()
	ctx := context.Background()
	s, err := v.Login(ctx, user, []byte(adminPW))
	if err != nil {
		return nil, err
	}
	defer s.Lock(ctx)
	return s.Audit().Events(ctx, app.AuditFilter{Action: act})
}

// With nothing typed, the search screen offers the patients opened in this
// session, newest first; they are gone after the window locks.
func TestRecentPatients(t *testing.T) {
	u, reg := loggedIn(t, nil, mary(),
		app.Patient{Family: "Okello", Given: "John", Sex: app.SexMale, BirthDate: app.BirthDate{Year: 1950}})
	s := current[*searchScreen](t, u)
	if s.results.Length() != 0 {
		t.Fatalf("%d recent patients before any was opened", s.results.Length())
	}
	for _, p := range []app.Patient{reg[0], reg[1], reg[0]} {
		u.nav.openPatient(p.MRN)
		u.tasks.wait()
		current[*patientScreen](t, u)
	}
	u.nav.showSearch()
	if status, _ := s.status.Get(); s.results.Length() != 2 || !strings.Contains(status, "Opened recently") {
		t.Fatalf("recent: %d, %q", s.results.Length(), status)
	}
	if m, _ := s.match(0); m.Patient.ID != reg[0].ID {
		t.Fatalf("first recent is %s, want %s", m.Patient.FullName(), reg[0].FullName())
	}
	s.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	s.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if v := current[*patientScreen](t, u); v.p.ID != reg[0].ID {
		t.Fatalf("Enter on a recent patient opened %s", v.p.FullName())
	}
	u.lock("")
	if s.results.Length() != 0 {
		t.Fatal("recent patients survived the lock")
	}
}

// TestAttackPatientNameOverride: a given name ending in a right-to-left
// override and a village with a newline were drawn reversed and on two
// lines in the search results and the chart's header. They are shown on
// one line, the override and the newline as escapes.
func TestAttackPatientNameOverride(t *testing.T) {
	p := mary()
	p.Given = "Mary \u202eollekA"
	p.Village = "Kisoro\nRESTRICTED"
	u, reg := loggedIn(t, nil, p)
	row := onlyResult(t, current[*searchScreen](t, u), "okello")
	shown := allText(row.name) + allText(row.details)
	if !strings.Contains(shown, `Mary \u202eollekA`) || !strings.Contains(shown, `Kisoro\nRESTRICTED`) || strings.ContainsRune(shown, '\u202e') {
		t.Errorf("the result shows %q", shown)
	}
	u.nav.openPatient(reg[0].MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if h := v.name.String(); !strings.Contains(h, `Mary \u202eollekA`) || strings.ContainsRune(h, '\u202e') {
		t.Errorf("the chart's header shows %q", h)
	}
}

// onlyResult searches for query and returns the one result's row as the
// list draws it.
func onlyResult(t *testing.T, s *searchScreen, query string) *resultRow {
	t.Helper()
	test.Type(s.query, query)
	s.searchNow(s.query.Text)
	if s.results.Length() != 1 {
		t.Fatalf("%d results for %q", s.results.Length(), query)
	}
	row := newResultRow()
	s.updateRow(0, row)
	return row.(*resultRow)
}
