package ui

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"folio/app"
)

// TestScreenshots renders every screen to PNG for the docs, with
// synthetic patients (no real person), when FOLIO_SCREENSHOTS names a
// folder:
//
//	FOLIO_SCREENSHOTS=$PWD/docs/screenshots go test -run TestScreenshots ./ui
//
// It uses the test driver's software painter, so it needs no display.
// (scripts/screenshots.sh takes the real window under Xvfb.)
func TestScreenshots(t *testing.T) {
	dir := screenshotsDir(t, "")
	c := newClock()
	v := openVault(t, c.Now)
	u := newWindow(t, v, Options{Now: c.Now})
	u.win.Resize(fyne.NewSize(1100, 720))
	shoot := shooter(t, u, dir)

	s := current[*setupScreen](t, u)
	test.Type(s.user, "admin")
	test.Type(s.pass, adminPW)
	test.Type(s.again, adminPW)
	test.Type(s.site, "KAB")
	shoot("setup")
	test.Tap(s.create)
	u.tasks.wait()

	r := current[*recoveryKeyScreen](t, u)
	shoot("recovery-key")
	test.Tap(r.done)
	test.Tap(r.proceed)

	l := current[*loginScreen](t, u)
	test.Type(l.pass, adminPW)
	shoot("login")
	test.Tap(l.submitBtn)
	u.tasks.wait()

	c.Add(2 * time.Hour)
	reg := register(t, u, demoPatients()...)
	ctx := context.Background()
	if err := u.sess.s.Users().Add(ctx, app.User{Name: "j.okello", FullName: "Joseph Okello", Roles: app.RoleSet{app.RoleRecords}}, []byte(clinPW)); err != nil {
		t.Fatal(err)
	}
	if err := u.sess.s.Users().Add(ctx, app.User{Name: "dr.amani", FullName: "Amani Wekesa", Roles: app.RoleSet{app.RoleClinician}}, []byte(clinPW)); err != nil {
		t.Fatal(err)
	}
	logInAgain(t, u, "j.okello", clinPW)

	sr := current[*searchScreen](t, u)
	test.Type(sr.query, "okelo")
	sr.searchNow(sr.query.Text)
	sr.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	sr.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	shoot("search")

	u.input.shortcut(ctrl(fyne.KeyN))
	f := current[*patientForm](t, u)
	fillForm(f, app.Patient{Family: "Okelo", Given: "Mary", Sex: app.SexFemale,
		BirthDate: app.BirthDate{Year: 1984, Month: 3, Day: 12}, Phone: "+256 772 123456", Village: "Kisoro"})
	test.Type(f.kinName, "Peter Okello")
	test.Type(f.kinRel, "brother")
	shoot("register")
	test.Tap(f.saveBtn)
	u.tasks.wait()
	if f.dups == nil {
		t.Fatal("no duplicates dialog")
	}
	shoot("duplicates")
	test.Tap(f.dups.cancel)

	// An amendment, so the history has something to show.
	c.Add(26*time.Hour + 17*time.Minute)
	mary := reg[0]
	amended := mary
	amended.Phone = "0788 000 111"
	amended.Address = "Plot 12, Market Road"
	amended.Notes = "Prefers Luganda. Allergic to penicillin."
	if _, err := u.sess.s.Patients().Amend(ctx, amended); err != nil {
		t.Fatal(err)
	}
	u.nav.openPatient(mary.MRN)
	u.tasks.wait()
	v2 := current[*patientScreen](t, u)
	shoot("patient")
	test.Tap(v2.demo.histBtn)
	u.tasks.wait()
	current[*historyScreen](t, u)
	shoot("history")

	logInAgain(t, u, "admin", adminPW)
	u.input.shortcut(ctrl(fyne.KeyU))
	u.tasks.wait()
	current[*usersScreen](t, u)
	shoot("users")

	logInAgain(t, u, "dr.amani", clinPW)
	sr = current[*searchScreen](t, u)
	test.Type(sr.query, "kowalski")
	sr.searchNow(sr.query.Text)
	sr.openSelected()
	u.tasks.wait()
	if u.sess.glass == nil {
		t.Fatal("no break-glass question")
	}
	test.Type(u.sess.glass.reason, "Emergency: brought in unconscious")
	shoot("break-glass")
	t.Logf("screenshots in %s", dir)
}

// screenshotsDir is the folder FOLIO_SCREENSHOTS names, with sub made
// in it; without one, the test is skipped.
func screenshotsDir(t *testing.T, sub string) string {
	t.Helper()
	dir := os.Getenv("FOLIO_SCREENSHOTS")
	if dir == "" {
		t.Skip("set FOLIO_SCREENSHOTS to a folder to render the screens")
	}
	dir = filepath.Join(dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// demoPatients is a clinic's worth of synthetic people with names from
// several regions; the first is the one the screenshots follow.
func demoPatients() []app.Patient {
	d := func(y, m, day int) app.BirthDate { return app.BirthDate{Year: y, Month: m, Day: day} }
	return []app.Patient{
		{Family: "Okello", Given: "Mary Akello", Sex: app.SexFemale, BirthDate: d(1984, 3, 12), Phone: "0772 123 456",
			Village: "Kisoro", NationalID: "CM84031200KX",
			NextOfKin: app.NextOfKin{Name: "Peter Okello", Relationship: "brother", Phone: "0701 555 010"}},
		{Family: "Okello", Given: "John Baptist", Sex: app.SexMale, BirthDate: app.BirthDate{Year: 1956, Estimated: true},
			Village: "Rubanda", Phone: "0752 880 214"},
		{Family: "Okello", Given: "Grace", Sex: app.SexFemale, BirthDate: d(2025, 4, 2), Village: "Kisoro",
			NextOfKin: app.NextOfKin{Name: "Mary Okello", Relationship: "mother", Phone: "0772 123 456"}},
		{Family: "Okelo", Given: "Samuel", Sex: app.SexMale, BirthDate: d(1991, 11, 30), Village: "Kabale", Phone: "0783 410 992"},
		{Family: "Mensah", Given: "Kwame", Sex: app.SexMale, BirthDate: d(1978, 7, 1), Village: "Bwindi", Phone: "0704 221 345"},
		{Family: "Okafor", Given: "Ngozi Adaeze", Sex: app.SexFemale, BirthDate: d(1969, 2, 14), Village: "Kanungu"},
		{Family: "García Hernández", Given: "María José", Sex: app.SexFemale, BirthDate: d(1995, 9, 23), Village: "Mbarara", Phone: "0759 003 118"},
		{Family: "Nguyen", Given: "Thi Linh", Sex: app.SexFemale, BirthDate: app.BirthDate{Year: 1988}, Village: "Ntungamo"},
		{Family: "Rahman", Given: "Mohammed Imran", Sex: app.SexMale, BirthDate: d(2003, 12, 5), Village: "Kasese", Phone: "0700 918 273"},
		{Family: "Quispe Mamani", Given: "Rosa", Sex: app.SexFemale, BirthDate: d(1947, 5, 19), Village: "Hoima"},
		{Family: "O'Neill", Given: "Siobhan", Sex: app.SexFemale, BirthDate: d(1972, 1, 8), Village: "Fort Portal", Phone: "0791 664 020"},
		{Family: "Haddad", Given: "Leila", Sex: app.SexFemale, BirthDate: d(2019, 6, 17), Village: "Masindi",
			NextOfKin: app.NextOfKin{Name: "Ahmed Haddad", Relationship: "father", Phone: "0774 300 511"}},
		{Family: "Kowalski", Given: "Piotr", Sex: app.SexMale, BirthDate: d(1961, 10, 3), Village: "Jinja", Restricted: true},
		{Family: "Okeyo", Given: "Achieng", Sex: app.SexFemale, BirthDate: d(1999, 8, 21), Village: "Tororo", Phone: "0712 447 803"},
	}
}
