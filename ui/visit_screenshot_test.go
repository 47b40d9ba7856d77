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

// TestVisitScreenshots renders the clinician's screens of issue 16 for
// the README at 1366×768 (docs/screenshots/window-*.png) and at 1024×600
// (docs/screenshots/1024x600/), when FOLIO_SCREENSHOTS names the
// screenshots folder:
//
//	FOLIO_SCREENSHOTS=$PWD/docs/screenshots go test -run TestVisitScreenshots ./ui
//
// the chart with its summary and timeline, the visit editor, a vital
// sign refused, and a signed visit with its addendum. They are drawn by
// the test driver's software painter, with synthetic patients.
func TestVisitScreenshots(t *testing.T) {
	dir := os.Getenv("FOLIO_SCREENSHOTS")
	if dir == "" {
		t.Skip("set FOLIO_SCREENSHOTS to the screenshots folder to render the screens")
	}
	for _, size := range []struct {
		w, h float32
		dir  string
	}{{1366, 768, dir}, {1024, 600, filepath.Join(dir, "1024x600")}} {
		if err := os.MkdirAll(size.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		visitShots(t, fyne.NewSize(size.w, size.h-menuBarHeight()), size.dir)
	}
}

func visitShots(t *testing.T, size fyne.Size, dir string) {
	ctx := context.Background()
	c := newClock()
	u, _ := shotsWindow(t, c.Now, size, app.User{Name: "grace", FullName: "Grace Nakato", Roles: app.RoleSet{app.RoleRecords}}, clerkPW)
	shoot := shooter(t, u, dir)
	logIn(t, u, "grace", clerkPW)
	p := register(t, u, mary())[0]
	fileScan(t, u, "paperless__multi-page-images.pdf", p.MRN, "lab-result", "2025-09-01")
	fileScan(t, u, "paperless__simple.png", p.MRN, "referral", "2025-10-14")
	logInAgain(t, u, "dr.amani", clinPW)

	s := u.sess.s
	at := func(d string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", d, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	first, err := s.Encounters().Add(ctx, p.MRN, app.Encounter{Type: app.EncAntenatal, Time: at("2025-08-12 10:15"), Site: "Kisoro HC IV",
		Reason: "antenatal visit, 24 weeks", Vitals: app.Vitals{Systolic: 118, Diastolic: 74, WeightKg: 68, Pulse: 84},
		Note: app.Note{History: "No complaints.", Examination: "Fundal height 24 cm.", Assessment: "Normal pregnancy.", Plan: "Iron and folate; next visit in 4 weeks."}})
	if err == nil {
		_, err = s.Encounters().Sign(ctx, first)
	}
	if err != nil {
		t.Fatal(err)
	}
	visit, err := s.Encounters().Add(ctx, p.MRN, app.Encounter{Type: app.EncOutpatient, Time: at("2025-11-18 09:40"), Site: "Kisoro HC IV OPD",
		Reason: "cough and fever for five days",
		Vitals: app.Vitals{TemperatureC: 38.4, Pulse: 104, Systolic: 124, Diastolic: 78, RespRate: 24, SpO2: 95, WeightKg: 66, HeightCm: 162},
		Note: app.Note{History: "Productive cough for five days, fever, no chest pain. No known TB contact.",
			Examination: "Crackles at the right base. No wheeze.", Assessment: "Community-acquired pneumonia, right lower lobe.",
			Plan: "Amoxicillin 1 g three times daily for 5 days. Chest X-ray. Review in 3 days, sooner if worse."}})
	if err == nil {
		visit, err = s.Encounters().Sign(ctx, visit)
	}
	if err == nil {
		_, err = s.Encounters().Addendum(ctx, visit.ID, "Chest X-ray: right lower lobe consolidation, as assessed. Plan unchanged.")
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []app.ChartEntry{
		{Section: app.SectionAllergy, Substance: "Penicillin", Reaction: "hives", Severity: app.SeverityModerate},
		{Section: app.SectionProblem, Text: "Essential hypertension", Code: "I10", Onset: at("2021-05-01 00:00")},
		{Section: app.SectionProblem, Text: "Pneumonia, right lower lobe", Onset: at("2025-11-18 00:00")},
		{Section: app.SectionMedication, Text: "Amlodipine", Dose: "5 mg once daily", Start: at("2021-05-01 00:00")},
		{Section: app.SectionMedication, Text: "Amoxicillin", Dose: "1 g three times daily", Start: at("2025-11-18 00:00"), Stop: at("2025-11-23 00:00")},
	} {
		if _, err := s.ChartSummary().Add(ctx, p.MRN, e); err != nil {
			t.Fatal(err)
		}
	}

	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	shoot("window-chart-summary")

	ch := current[*patientScreen](t, u)
	ch.newVisit()
	ev := current[*encounterScreen](t, u)
	f := ev.form
	typeIn(u, f.site, "Kisoro HC IV OPD")
	typeIn(u, f.reason, "review of the pneumonia")
	for name, val := range map[string]string{"temp_c": "37.1", "pulse": "88", "bp_sys": "122", "bp_dia": "76", "resp_rate": "18", "spo2": "97", "weight_kg": "66", "height_cm": "162"} {
		typeIn(u, f.vitals.byName[name].field, val)
	}
	typeIn(u, f.history, "Cough much better, no fever since day 2 of amoxicillin.")
	typeIn(u, f.exam, "Chest clear.")
	typeIn(u, f.assess, "Pneumonia, resolving.")
	u.win.Canvas().Focus(f.plan)
	test.Type(f.plan, "Complete the course. ")
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	ev.scroll.ScrollToTop()
	shoot("window-visit-editor")

	typeIn(u, f.vitals.byName["pulse"].field, "900")
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	u.input.reveal(ev.scroll, f.vitals.byName["pulse"].msg)
	shoot("window-visit-vitals-refused")
	typeIn(u, f.vitals.byName["pulse"].field, "88")

	u.nav.showEncounter(visit.ID)
	u.tasks.wait()
	shoot("window-visit-signed")
}
