package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"folio/app"
)

// dialogChoices are the drop-downs and fields of the top dialog, in order.
func dialogChoices(u *App) (choices []*choice, entries []*entry) {
	for _, o := range test.LaidOutObjects(u.win.Canvas().Overlays().Top()) {
		switch w := o.(type) {
		case *choice:
			choices = append(choices, w)
		case *entry:
			entries = append(entries, w)
		}
	}
	return choices, entries
}

// Ctrl+4 takes an entry off the chart's summary: a medication stopped, a
// problem resolved, "no known allergies" entered in error (refused until a
// reason is given, with the choice kept); stopping a problem is refused
// in the service's words. Each entry stays in the chart's history.
func TestChartSummaryResolveAndStop(t *testing.T) {
	u, p, _, _ := clinicRoom(t)
	ctx := context.Background()
	cs := u.sess.s.ChartSummary()
	today := u.now().Truncate(24 * time.Hour)
	for _, c := range []app.ChartEntry{
		{Section: app.SectionAllergy, NoneKnown: true},
		{Section: app.SectionProblem, Text: "Hypertension", Chronic: true},
		{Section: app.SectionMedication, Text: "Metformin", Dose: "500 mg twice daily", Start: today.AddDate(0, -1, 0)},
	} {
		if _, err := cs.Add(ctx, p.MRN, c); err != nil {
			t.Fatal(err)
		}
	}
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	end := func(label, how, reason string) string {
		t.Helper()
		press(u, ctrlKey, fyne.Key4)
		choices, entries := dialogChoices(u)
		if len(choices) != 2 || len(entries) != 2 {
			t.Fatalf("Ctrl+4 shows %d choices and %d fields: %q", len(choices), len(entries), overlayTexts(u))
		}
		for _, o := range choices[0].Options {
			if strings.Contains(o, label) {
				choices[0].SetSelected(o)
			}
		}
		if !strings.Contains(choices[0].Selected, label) {
			t.Fatalf("Ctrl+4 offers %q, not %q", choices[0].Options, label)
		}
		choices[1].SetSelected(how)
		test.Type(entries[1], reason)
		tapDialog(t, u, "Record")
		return overlayTexts(u)
	}

	if got := end("Problem: Hypertension", endStopped, ""); !strings.Contains(got, "not a medication: resolve it instead") {
		t.Fatalf("stopping a problem: %q", got)
	}
	tapDialog(t, u, "Cancel")
	end("Medication: Metformin", endStopped, "")
	end("Problem: Hypertension", endResolved, "")
	if got := end("no known allergies", endInError, ""); !strings.Contains(got, "Say why the allergy was entered in error") {
		t.Fatalf("in error without a reason: %q", got)
	}
	_, entries := dialogChoices(u)
	test.Type(entries[1], "the patient is allergic to sulfa")
	tapDialog(t, u, "Record")
	if len(u.dialogs.open) != 0 {
		t.Fatalf("the dialog stays: %q", overlayTexts(u))
	}
	u.tasks.wait()
	for name, c := range map[string]struct {
		shown, want string
	}{
		"allergies":   {objectsText(v.summary.allergies.Objects), "Allergies not recorded"},
		"problems":    {objectsText(v.summary.problems.Objects), "No active problems recorded"},
		"medications": {objectsText(v.summary.medications.Objects), "No current medications recorded"},
	} {
		if !strings.Contains(c.shown, c.want) {
			t.Fatalf("%s after Ctrl+4: %q", name, c.shown)
		}
	}
	all, err := cs.List(ctx, p.MRN, app.SectionMedication, true)
	if err != nil || len(all) != 1 || !all[0].Stop.Equal(today) {
		t.Fatalf("the medication's history: %+v, %v", all, err)
	}
	press(u, ctrlKey, fyne.Key4)
	if got := overlayTexts(u); !strings.Contains(got, "no active entry") {
		t.Fatalf("Ctrl+4 on an empty summary: %q", got)
	}
}
