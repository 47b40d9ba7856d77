package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"folio/app"
)

// TestCodingScreenshots renders the coding screens, the worklists and the
// deficiencies to
// PNG for the README, at 1366×768 (docs/screenshots/window-coding-*.png) and
// 1024×600 (docs/screenshots/1024x600/window-coding-*.png), with synthetic
// patients, when FOLIO_SCREENSHOTS names the screenshots folder:
//
//	FOLIO_SCREENSHOTS=$PWD/docs/screenshots go test -run TestCodingScreenshots ./ui
//
// The software painter draws the window's content, without the menu bar
// the desktop draws above it.
func TestCodingScreenshots(t *testing.T) {
	codingShots(t, fyne.NewSize(1366, 768), screenshotsDir(t, ""))
	codingShots(t, fyne.NewSize(1024, 600), screenshotsDir(t, "1024x600"))
}

func codingShots(t *testing.T, size fyne.Size, dir string) {
	ctx := context.Background()
	c := newClock()
	u, v := shotsWindow(t, c.Now, size.SubtractWidthHeight(0, menuBarHeight()),
		app.User{Name: "j.okello", FullName: "Joseph Okello", Roles: app.RoleSet{app.RoleRecords}}, clinPW)
	shoot := shooter(t, u, dir)
	logIn(t, u, "j.okello", clinPW)
	reg := register(t, u, demoPatients()...)
	if err := u.sess.s.Settings().SetProcedures(ctx, []app.ProcedureEntry{{Code: "CXR", Description: "Chest X-ray"}, {Code: "NEB", Description: "Nebulisation"}}); err != nil {
		t.Fatal(err)
	}

	doc, err := v.Login(ctx, "dr.amani", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	visits := []struct {
		who        int
		typ        app.EncounterType
		reason     string
		assessment string
		sign       bool
	}{
		{0, app.EncOutpatient, "Cough and fever for a week", "Community-acquired pneumonia, right lower lobe.", true},
		{3, app.EncEmergency, "Fell from a motorcycle", "Closed fracture of the left radius shaft.", true},
		{1, app.EncAdmission, "Shortness of breath", "Congestive heart failure; type 2 diabetes.", true},
		{5, app.EncOutpatient, "Review of blood sugar", "Type 2 diabetes, well controlled.", true},
		{8, app.EncOutpatient, "Headache", "Tension headache.", true},
		{4, app.EncOutpatient, "Back pain", "", false},
	}
	var ids []string
	for i, w := range visits {
		at := c.Now().Add(-time.Duration(50-i*7) * time.Hour)
		e, err := doc.Encounters().Add(ctx, reg[w.who].MRN, app.Encounter{Time: at, Type: w.typ, Site: "Kisoro HC", Reason: w.reason,
			Vitals: app.Vitals{TemperatureC: 38.4, Pulse: 104, Systolic: 124, Diastolic: 78, RespRate: 24, SpO2: 93, WeightKg: 64, HeightCm: 168}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
		if !w.sign {
			continue
		}
		e.Note = app.Note{History: "Productive cough and fever for a week; night sweats; no haemoptysis. Not known to have HIV.",
			Examination: "Febrile, tachypnoeic. Dull to percussion and crackles at the right base.",
			Assessment:  w.assessment, Plan: "Amoxicillin 1 g three times a day for five days. Chest X-ray. Review in one week."}
		c.Add(30 * time.Minute)
		if _, err := doc.Encounters().Sign(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	doc.Lock(ctx)
	c.Add(20 * time.Hour)
	coding := u.sess.s.Coding(nil)
	if _, err := coding.Query(ctx, ids[4], "The note says tension headache; was a migraine ruled out?"); err != nil {
		t.Fatal(err)
	}
	c.Add(3 * time.Hour)

	// The worklist, then coding the first visit: the search as you type,
	// J18.9 assigned, and a duplicate that fails an edit.
	u.input.shortcut(ctrl(fyne.Key6))
	u.tasks.wait()
	shoot("window-coding-worklist")
	press(u, 0, fyne.KeyReturn)
	u.tasks.wait()
	s := current[*codingScreen](t, u)
	test.Type(s.search.pick.field, "pneum unspec")
	s.search.searchNow(s.search.pick.field.Text)
	chooseCode(t, u, s, "J18.9")
	press(u, ctrlKey, fyne.KeyP)
	test.Type(s.search.pick.field, "pnuemonia")
	s.search.searchNow(s.search.pick.field.Text)
	press(u, 0, fyne.KeyDown)
	shoot("window-coding")
	chooseCode(t, u, s, "J18.9")
	press(u, ctrlKey, fyne.KeyD)
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	test.Type(s.reason, "Second episode the same week")
	shoot("window-coding-edits")
	press(u, 0, fyne.KeyReturn)
	u.tasks.wait()
	u.tasks.wait()
	c.Add(26 * time.Minute)
	press(u, 0, fyne.KeyEscape)
	u.tasks.wait()
	press(u, ctrlKey, fyne.Key4)
	shoot("window-coding-worklist-all")
	press(u, ctrlKey, fyne.Key9)
	u.tasks.wait()
	shoot("window-deficiencies")

	logInAgain(t, u, "dr.amani", clinPW)
	u.input.shortcut(ctrl(fyne.Key8))
	u.tasks.wait()
	q := current[*myQueriesScreen](t, u)
	u.tasks.wait()
	test.Type(q.answer, "Yes: no aura, no photophobia, normal neurological examination.")
	shoot("window-coding-my-queries")
	u.input.shortcut(ctrl(fyne.Key7))
	u.tasks.wait()
	shoot("window-coding-my-notes")
}
