package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// clinicRoom is chartWithDocuments with the clinician, dr.amani, signed
// in instead of the records clerk; a second clinician, dr.bako, exists.
func clinicRoom(t *testing.T) (u *App, p app.Patient, lab, referral app.Document) {
	t.Helper()
	u, p, lab, referral = chartWithDocuments(t)
	addUserAs(t, u, "dr.bako")
	logInAgain(t, u, "dr.amani", clinPW)
	return u, p, lab, referral
}

// addUserAs adds a clinician through an administrator's own session.
func addUserAs(t *testing.T, u *App, name string) {
	t.Helper()
	ctx := context.Background()
	admin, err := u.vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Lock(ctx)
	addUser(t, admin, clinPW, name)
}

// overlayTexts is every label's and rich text's text in the top dialog.
func overlayTexts(u *App) string {
	var shown []string
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	for _, o := range test.LaidOutObjects(top) {
		switch w := o.(type) {
		case *widget.Label:
			shown = append(shown, w.Text)
		case *widget.RichText:
			shown = append(shown, w.String())
		}
	}
	return strings.Join(shown, "\n")
}

// tapDialog taps the button labelled label in the top dialog.
func tapDialog(t *testing.T, u *App, label string) {
	t.Helper()
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog open to tap %q in", label)
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			test.Tap(b)
			u.tasks.wait()
			return
		}
	}
	t.Fatalf("the dialog has no button %q: %s", label, overlayTexts(u))
}

// typeIn puts the keyboard in e, replaces its text and types s.
func typeIn(u *App, e *entry, s string) {
	u.win.Canvas().Focus(e)
	e.SetText("")
	test.Type(e, s)
}

// newVisitFromChart opens the chart and starts a new visit with Ctrl+T.
func newVisitFromChart(t *testing.T, u *App, p app.Patient) *encounterScreen {
	t.Helper()
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	press(u, ctrlKey, fyne.KeyT)
	u.tasks.wait()
	v := current[*encounterScreen](t, u)
	if v.form == nil {
		t.Fatal("a new visit opens without the editor")
	}
	return v
}

// A clinician records a visit from the keyboard: an implausible pulse is
// refused under its field with what was typed kept; Ctrl+S from a vitals
// field saves the draft; the BMI is computed; Ctrl+Shift+S signs after
// the confirmation; the signed note opens read-only and Ctrl+M adds a
// signed addendum below it.
func TestEncounterRecordSignAddendum(t *testing.T) {
	u, p, _, _ := clinicRoom(t)
	ctx := context.Background()
	v := newVisitFromChart(t, u, p)
	f := v.form
	if u.win.Canvas().Focused() != f.kind {
		t.Fatalf("the editor opens with the keyboard in %T, want the type", u.win.Canvas().Focused())
	}
	typeIn(u, f.reason, "cough for two weeks")
	typeIn(u, f.vitals.byName["temp_c"].field, "37.8")
	pulse := f.vitals.byName["pulse"]
	typeIn(u, pulse.field, "900")
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	if !pulse.msg.Visible() || !strings.Contains(pulse.msg.Text, "Pulse 900 /min is not plausible") {
		t.Fatalf("pulse 900: the field says %q", pulse.msg.Text)
	}
	if pulse.field.Text != "900" || f.reason.Text != "cough for two weeks" || v.enc.ID != "" {
		t.Fatalf("after the refusal: pulse %q, reason %q, saved as %q", pulse.field.Text, f.reason.Text, v.enc.ID)
	}
	if u.win.Canvas().Focused() != pulse.field {
		t.Fatalf("the keyboard is in %T, want the pulse", u.win.Canvas().Focused())
	}

	typeIn(u, pulse.field, "88")
	typeIn(u, f.vitals.byName["weight_kg"].field, "70")
	typeIn(u, f.vitals.byName["height_cm"].field, "175")
	if got := f.vitals.bmi.Text; got != "22.9 kg/m²" {
		t.Fatalf("BMI %q", got)
	}
	u.win.Canvas().Focus(f.vitals.byName["temp_c"].field)
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	if v.enc.ID == "" || pulse.msg.Visible() || !strings.Contains(v.status.Text, "Draft saved") {
		t.Fatalf("Ctrl+S from the temperature: id %q, status %q, pulse message %q", v.enc.ID, v.status.Text, pulse.msg.Text)
	}
	saved, err := u.sess.s.Encounters().Open(ctx, v.enc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Vitals.Pulse != 88 || saved.Vitals.TemperatureC != 37.8 || saved.Reason != "cough for two weeks" || saved.Signed != nil {
		t.Fatalf("the draft saved: %+v", saved)
	}

	typeIn(u, f.assess, "Acute bronchitis")
	typeIn(u, f.plan, "Amoxicillin 500 mg tds for 5 days; review in a week")
	press(u, ctrlShift, fyne.KeyS)
	u.tasks.wait()
	if !strings.Contains(overlayTexts(u), "Signing is final") {
		t.Fatalf("Ctrl+Shift+S asks: %q", overlayTexts(u))
	}
	tapDialog(t, u, "Sign the note")
	u.tasks.wait()
	v = current[*encounterScreen](t, u)
	if v.form != nil || v.read == nil || v.enc.Signed == nil || v.enc.Note.Plan == "" {
		t.Fatalf("after signing: form %v, signed %v, note %+v", v.form != nil, v.enc.Signed, v.enc.Note)
	}

	press(u, ctrlKey, fyne.KeyS)
	if !strings.Contains(v.status.Text, "signed") {
		t.Fatalf("Ctrl+S on a signed note: %q", v.status.Text)
	}
	press(u, ctrlKey, fyne.KeyM)
	e, ok := u.win.Canvas().Focused().(*entry)
	if !ok {
		t.Fatalf("Ctrl+M: the keyboard is in %T, want the addendum", u.win.Canvas().Focused())
	}
	test.Type(e, "Chest X-ray normal; continue the plan.")
	tapDialog(t, u, "Sign the addendum")
	if len(v.enc.Addenda) != 1 || !strings.Contains(objectsText([]fyne.CanvasObject{v.read.box}), "Chest X-ray normal") {
		t.Fatalf("after the addendum: %d addenda, shown %q", len(v.enc.Addenda), objectsText([]fyne.CanvasObject{v.read.box}))
	}
	if !strings.Contains(objectsText([]fyne.CanvasObject{v.read.box}), "Acute bronchitis") {
		t.Fatal("the signed note is not shown beside its addendum")
	}
}

// A draft is someone else's: it opens read-only, and signing it is refused
// with the app's sentence; an addendum to a draft is refused too.
func TestEncounterSigningSomeoneElsesNote(t *testing.T) {
	u, p, _, _ := clinicRoom(t)
	ctx := context.Background()
	bako, err := u.vault.Login(ctx, "dr.bako", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	e, err := bako.Encounters().Add(ctx, p.MRN, app.Encounter{Type: app.EncOutpatient, Time: time.Now().Add(-time.Hour),
		Note: app.Note{Assessment: "malaria"}})
	bako.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u.nav.showEncounter(e.ID)
	u.tasks.wait()
	v := current[*encounterScreen](t, u)
	if v.form != nil || !v.signBtn.Visible() {
		t.Fatalf("dr.bako's draft opens with the editor %v, sign %v", v.form != nil, v.signBtn.Visible())
	}
	press(u, ctrlShift, fyne.KeyS)
	tapDialog(t, u, "Sign the note")
	if got := overlayTexts(u); !strings.Contains(got, "This note is dr.bako's; only its author may change, sign or delete it") {
		t.Fatalf("signing dr.bako's note: %q", got)
	}
	for d := range u.dialogs.open {
		d.Hide()
	}
	press(u, ctrlKey, fyne.KeyM)
	if !strings.Contains(v.status.Text, "still a draft") {
		t.Fatalf("an addendum to a draft: %q", v.status.Text)
	}
}

// The summary above the chart says explicitly that allergies are not
// recorded; Ctrl+1 records one (a refused entry says why and keeps what
// was typed) and the summary shows it.
func TestChartSummaryAllergy(t *testing.T) {
	u, p, _, _ := clinicRoom(t)
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if got := objectsText(v.summary.allergies.Objects); !strings.Contains(got, "Allergies not recorded") {
		t.Fatalf("the summary of a chart without allergies: %q", got)
	}
	if got := objectsText(v.summary.medications.Objects); !strings.Contains(got, "No current medications recorded") {
		t.Fatalf("medications: %q", got)
	}
	press(u, ctrlKey, fyne.Key1)
	substance, ok := u.win.Canvas().Focused().(*entry)
	if !ok {
		t.Fatalf("Ctrl+1: the keyboard is in %T", u.win.Canvas().Focused())
	}
	test.Type(substance, "Penicillin")
	tapDialog(t, u, "Record")
	if got := overlayTexts(u); !strings.Contains(got, "Give the reaction to Penicillin") {
		t.Fatalf("an allergy without its reaction: %q", got)
	}
	if substance.Text != "Penicillin" {
		t.Fatalf("the refusal lost the substance: %q", substance.Text)
	}
	fields := test.LaidOutObjects(u.win.Canvas().Overlays().Top())
	var reaction *entry
	var severity *choice
	for _, o := range fields {
		switch w := o.(type) {
		case *entry:
			if w != substance {
				reaction = w
			}
		case *choice:
			severity = w
		}
	}
	test.Type(reaction, "anaphylaxis")
	severity.SetSelected("life-threatening")
	tapDialog(t, u, "Record")
	if len(u.dialogs.open) != 0 {
		t.Fatalf("the dialog stays: %q", overlayTexts(u))
	}
	if got := objectsText(v.summary.allergies.Objects); !strings.Contains(got, "Penicillin: anaphylaxis (life-threatening)") {
		t.Fatalf("the summary after recording the allergy: %q", got)
	}
}

// The timeline lists visits and documents together, newest first; the
// filter keeps visits of a type or documents of a type; Enter on a visit
// opens it.
func TestTimelineVisitsAndDocuments(t *testing.T) {
	u, p, lab, referral := clinicRoom(t)
	ctx := context.Background()
	at := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02 15:04", s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Between the lab result (2026-09-01) and the referral (2026-10-14),
	// and after both.
	mid, err := u.sess.s.Encounters().Add(ctx, p.MRN, app.Encounter{Type: app.EncAntenatal, Time: at("2026-10-01 10:00")})
	if err != nil {
		t.Fatal(err)
	}
	late, err := u.sess.s.Encounters().Add(ctx, p.MRN, app.Encounter{Type: app.EncOutpatient, Time: at("2026-11-02 09:30"), Reason: "fever"})
	if err != nil {
		t.Fatal(err)
	}
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	ids := func() string {
		var out []string
		for _, it := range v.chart.timeItems {
			if it.enc != nil {
				out = append(out, it.enc.ID)
			} else {
				out = append(out, it.doc.ID)
			}
		}
		return strings.Join(out, ",")
	}
	if want := strings.Join([]string{late.ID, referral.ID, mid.ID, lab.ID}, ","); ids() != want {
		t.Fatalf("timeline %s, want %s", ids(), want)
	}
	if u.win.Canvas().Focused() != v.chart.timeRows[0] {
		t.Fatal("the chart does not open on the newest entry")
	}
	v.chart.kindFilter.SetSelected(visitPrefix + "Antenatal")
	if ids() != mid.ID {
		t.Fatalf("antenatal visits: %s", ids())
	}
	v.chart.kindFilter.SetSelected(allVisits)
	if ids() != late.ID+","+mid.ID {
		t.Fatalf("all visits: %s", ids())
	}
	v.chart.kindFilter.SetSelected("Referral")
	if ids() != referral.ID {
		t.Fatalf("referrals: %s", ids())
	}
	v.chart.kindFilter.SetSelected(visitPrefix + "Admission")
	if len(v.chart.timeRows) != 0 || !strings.Contains(timelineText(v), "No admission visit for this patient") {
		t.Fatalf("no admission: %q", timelineText(v))
	}
	v.chart.kindFilter.SetSelected(allTypes)
	if !strings.Contains(timelineText(v), "fever") || !strings.Contains(timelineText(v), "Draft, not signed") {
		t.Fatalf("the visit's row: %q", timelineText(v))
	}
	v.chart.timeRows[0].TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if e := current[*encounterScreen](t, u); e.enc.ID != late.ID || e.form == nil || e.form.reason.Text != "fever" {
		t.Fatalf("Enter opened %s", e.enc.ID)
	}
}

// headacheDraft starts a new visit of p for a headache and saves its
// draft with Ctrl+S; it returns the editor and the visit's id.
func headacheDraft(t *testing.T, u *App, p app.Patient) (*encounterScreen, string) {
	t.Helper()
	v := newVisitFromChart(t, u, p)
	typeIn(u, v.form.reason, "headache")
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	if v.enc.ID == "" {
		t.Fatal("Ctrl+S did not save the new visit")
	}
	return v, v.enc.ID
}

// A draft typed and not saved is saved when the window locks, and a
// scanned document is linked to it and unlinked from it.
func TestEncounterDraftSavedAtLockAndLinked(t *testing.T) {
	u, p, lab, _ := clinicRoom(t)
	ctx := context.Background()
	v, id := headacheDraft(t, u, p)
	typeIn(u, v.form.history, "three days, worse in the morning")
	press(u, ctrlKey, fyne.KeyD)
	u.tasks.wait()
	var box *check
	for _, o := range test.LaidOutObjects(u.win.Canvas().Overlays().Top()) {
		if c, ok := o.(*check); ok && strings.HasPrefix(c.Text, "Lab result") {
			box = c
		}
	}
	if box == nil {
		t.Fatalf("Ctrl+D offers no lab result: %q", overlayTexts(u))
	}
	box.SetChecked(true)
	u.tasks.wait()
	if len(v.enc.Documents) != 1 || v.enc.Documents[0] != lab.ID || !strings.Contains(objectsText(v.docs.rows.Objects), "Lab result, 2026-09-01") {
		t.Fatalf("linked: %v, shown %q", v.enc.Documents, objectsText(v.docs.rows.Objects))
	}
	box.SetChecked(false)
	u.tasks.wait()
	if len(v.enc.Documents) != 0 {
		t.Fatalf("unlinked: %v", v.enc.Documents)
	}
	for d := range u.dialogs.open {
		d.Hide()
	}

	logInAgain(t, u, "dr.amani", clinPW)
	e, err := u.sess.s.Encounters().Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Note.History != "three days, worse in the morning" || e.Reason != "headache" {
		t.Fatalf("the draft after the lock: %+v", e)
	}
	if r := current[*encounterScreen](t, u); r.enc.ID != id {
		t.Fatalf("after the lock the window resumes on %q", r.enc.ID)
	}
}

// A long chart draws a page of the timeline at a time: ↓ from the last
// row reaches "Show older entries", and Enter on it draws the next page
// with the keyboard on the first row it added.
func TestTimelinePages(t *testing.T) {
	u, reg := loggedIn(t, nil, mary())
	u.nav.openPatient(reg[0].MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v.chart.docs = nil
	for i := range 250 {
		v.chart.docs = append(v.chart.docs, app.Document{ID: fmt.Sprint("d", i), PatientID: reg[0].ID, Type: "lab-result",
			Status: app.DocIndexed, Date: day.AddDate(0, 0, -i)})
	}
	v.chart.drawTimeline()
	if len(v.chart.timeRows) != timelinePage || v.chart.timeMore == nil || !strings.Contains(timelineText(v), fmt.Sprintf("%d more", 250-timelinePage)) {
		t.Fatalf("%d rows drawn of 250, more: %v", len(v.chart.timeRows), v.chart.timeMore != nil)
	}
	c := u.win.Canvas()
	c.Focus(v.chart.timeRows[timelinePage-1])
	press(u, 0, fyne.KeyDown)
	if c.Focused() != v.chart.timeMore {
		t.Fatalf("↓ from the last row: the keyboard is in %T", c.Focused())
	}
	press(u, 0, fyne.KeyReturn)
	if len(v.chart.timeRows) != 2*timelinePage || c.Focused() != v.chart.timeRows[timelinePage] {
		t.Fatalf("Enter on the more row: %d rows, keyboard on the first new row %v", len(v.chart.timeRows), c.Focused() == v.chart.timeRows[timelinePage])
	}
}

// Leaving a visit whose draft cannot be saved (a pulse of 900) loses
// nothing: the window says why and goes back to the visit with all that
// was typed, the refusal under its field; corrected, it saves. "Discard
// the changes" leaves the visit as last saved (here: never saved).
func TestEncounterLeftUnsavedGoesBack(t *testing.T) {
	u, p, _, _ := clinicRoom(t)
	ctx := context.Background()
	v := newVisitFromChart(t, u, p)
	typeIn(u, v.form.reason, "fever")
	typeIn(u, v.form.history, "two days of fever and chills")
	typeIn(u, v.form.vitals.byName["pulse"].field, "900")
	press(u, 0, fyne.KeyEscape)
	u.tasks.wait()
	current[*patientScreen](t, u)
	if got := overlayTexts(u); !strings.Contains(got, "not saved: Pulse 900 /min is not plausible") || !strings.Contains(got, "what you typed is still there") {
		t.Fatalf("leaving the refused visit says %q", got)
	}
	wantBackFocused(t, u)
	tapDialog(t, u, "Go back to the visit")
	v = current[*encounterScreen](t, u)
	pulse := v.form.vitals.byName["pulse"]
	if v.form.history.Text != "two days of fever and chills" || v.form.reason.Text != "fever" || pulse.field.Text != "900" {
		t.Fatalf("back on the visit: reason %q, history %q, pulse %q", v.form.reason.Text, v.form.history.Text, pulse.field.Text)
	}
	if !pulse.msg.Visible() || u.win.Canvas().Focused() != pulse.field {
		t.Fatalf("back on the visit the pulse says %q, keyboard in %T", pulse.msg.Text, u.win.Canvas().Focused())
	}
	typeIn(u, pulse.field, "90")
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	e, err := u.sess.s.Encounters().Open(ctx, v.enc.ID)
	if err != nil {
		t.Fatalf("the corrected visit was not saved: %v", err)
	}
	if e.Vitals.Pulse != 90 || e.Note.History != "two days of fever and chills" {
		t.Fatalf("saved: %+v", e)
	}

	before, err := u.sess.s.Encounters().List(ctx, p.MRN)
	if err != nil {
		t.Fatal(err)
	}
	v = newVisitFromChart(t, u, p)
	typeIn(u, v.form.vitals.byName["temp_c"].field, "hot")
	press(u, 0, fyne.KeyEscape)
	u.tasks.wait()
	if got := overlayTexts(u); !strings.Contains(got, "temperature as a number") {
		t.Fatalf("leaving a temperature of %q says %q", "hot", got)
	}
	wantBackFocused(t, u)
	tapDialog(t, u, "Discard the changes")
	current[*patientScreen](t, u)
	after, err := u.sess.s.Encounters().List(ctx, p.MRN)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("discarded: %d visits, before %d", len(after), len(before))
	}
}

// wantBackFocused checks the keyboard is on "Go back to the visit", so
// that Space takes the choice that loses nothing.
func wantBackFocused(t *testing.T, u *App) {
	t.Helper()
	if b, ok := u.win.Canvas().Focused().(*widget.Button); !ok || b.Text != "Go back to the visit" {
		t.Fatalf("the keyboard is in %T, not on Go back to the visit", u.win.Canvas().Focused())
	}
}

// A window that locks on a draft with a refused vital sign saves the rest
// of the note without it, and says so after the next sign-in.
func TestEncounterLockSavesWithoutRefusedSign(t *testing.T) {
	u, p, _, _ := clinicRoom(t)
	ctx := context.Background()
	v, id := headacheDraft(t, u, p)
	typeIn(u, v.form.history, "worse in the morning")
	typeIn(u, v.form.vitals.byName["pulse"].field, "900")
	typeIn(u, v.form.vitals.byName["spo2"].field, "97")
	typeIn(u, v.form.vitals.byName["resp_rate"].field, "fast")

	logInAgain(t, u, "dr.amani", clinPW)
	e, err := u.sess.s.Encounters().Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Note.History != "worse in the morning" || e.Vitals.SpO2 != 97 || e.Vitals.Pulse != 0 || e.Vitals.RespRate != 0 {
		t.Fatalf("the draft after the lock: %+v", e)
	}
	got := overlayTexts(u)
	if !strings.Contains(got, "without the respiratory rate, the pulse") || !strings.Contains(got, "type it again") {
		t.Fatalf("after the sign-in the window says %q", got)
	}
}
