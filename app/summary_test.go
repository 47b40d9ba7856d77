package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testkit"
)

func allergy(substance, reaction string, sev app.Severity) app.ChartEntry {
	return app.ChartEntry{Section: app.SectionAllergy, Substance: substance, Reaction: reaction, Severity: sev}
}

func wantInvalid(t *testing.T, what string, err error, words string) {
	t.Helper()
	if !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), words) {
		t.Fatalf("%s: %v, want a refusal saying %q", what, err, words)
	}
}

// Allergies: "no known allergies" is an entry of its own that cannot stand
// beside an active allergy, nor an allergy beside it; records staff read
// the summary but do not write it; every act is audited on the chart.
func TestChartSummaryAllergies(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	sum := c.doc.ChartSummary()

	s, err := c.grace.ChartSummary().Summary(ctx, c.amina.MRN)
	if err != nil || s.NoKnownAllergies || len(s.Allergies) != 0 {
		t.Fatalf("nothing asked yet: %+v, %v", s, err)
	}
	nka, err := sum.Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionAllergy, NoneKnown: true})
	if err != nil {
		t.Fatal(err)
	}
	if s, err = c.grace.ChartSummary().Summary(ctx, c.amina.MRN); err != nil || !s.NoKnownAllergies || len(s.Allergies) != 0 {
		t.Fatalf("after no known allergies: %+v, %v", s, err)
	}
	_, err = sum.Add(ctx, c.amina.MRN, allergy("Penicillin", "urticaria", app.SeverityModerate))
	wantInvalid(t, "an allergy beside no known allergies", err, "the chart says no known allergies ("+nka.ID+"): resolve that entry first")
	_, err = sum.Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionAllergy, NoneKnown: true})
	wantInvalid(t, "no known allergies twice", err, "already says no known allergies")

	if _, err := c.grace.ChartSummary().Add(ctx, c.amina.MRN, allergy("Penicillin", "rash", app.SeverityMild)); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("records clerk adding an allergy: %v", err)
	}
	if _, err := c.sam.ChartSummary().Summary(ctx, c.amina.MRN); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("scanning clerk reading the summary: %v", err)
	}
	_, err = sum.Resolve(ctx, nka.ID, time.Time{}, "", true)
	wantInvalid(t, "entered in error without a reason", err, "say why")
	if _, err := sum.Resolve(ctx, nka.ID, time.Time{}, "reaction to penicillin in 2019, in the old paper file", true); err != nil {
		t.Fatal(err)
	}
	_, err = sum.Resolve(ctx, nka.ID, time.Time{}, "again", true)
	wantInvalid(t, "resolving twice", err, "already entered-in-error")

	for _, bad := range []struct {
		e     app.ChartEntry
		words string
	}{
		{allergy("", "rash", app.SeverityMild), "give the substance"},
		{allergy("Penicillin", "", app.SeverityMild), "give the reaction to Penicillin"},
		{allergy("Penicillin", "rash", ""), "give the reaction's severity"},
		{allergy("Penicillin", "rash", "terrible"), `severity "terrible": use mild, moderate, severe or life-threatening`},
		{app.ChartEntry{Section: app.SectionAllergy, NoneKnown: true, Substance: "dust"}, "has no substance"},
	} {
		_, err := sum.Add(ctx, c.amina.MRN, bad.e)
		wantInvalid(t, "allergy "+bad.words, err, bad.words)
	}
	pen, err := sum.Add(ctx, c.amina.MRN, allergy(" Penicillin ", "urticaria", "Life Threatening"))
	if err != nil {
		t.Fatal(err)
	}
	if pen.Substance != "Penicillin" || pen.Severity != app.SeverityLifeThreatening || pen.RecordedBy != "doc" || pen.MRN != c.amina.MRN {
		t.Fatalf("allergy as recorded: %+v", pen)
	}
	_, err = sum.Add(ctx, c.amina.MRN, allergy("penicillin", "rash", app.SeverityMild))
	wantInvalid(t, "the same substance twice", err, "an allergy to Penicillin is already recorded")
	_, err = sum.Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionAllergy, NoneKnown: true})
	wantInvalid(t, "no known allergies beside an allergy", err, "active allergy to Penicillin ("+pen.ID+")")

	s, err = c.grace.ChartSummary().Summary(ctx, c.amina.MRN)
	if err != nil || s.NoKnownAllergies || len(s.Allergies) != 1 || s.Allergies[0].ID != pen.ID {
		t.Fatalf("summary: %+v, %v", s, err)
	}
	all, err := sum.List(ctx, c.amina.MRN, app.SectionAllergy, true)
	if err != nil || len(all) != 2 || all[0].ID != pen.ID || all[1].Status(time.Now()) != "entered-in-error" {
		t.Fatalf("every allergy, active first: %+v, %v", all, err)
	}
	events, err := c.admin.Audit().Events(ctx, app.AuditFilter{PatientMRN: c.amina.MRN})
	if err != nil {
		t.Fatal(err)
	}
	count := map[app.Action]int{}
	for _, e := range events {
		count[e.Action]++
	}
	if count[app.ActSummaryAdd] != 2 || count[app.ActSummaryResolve] != 1 || count[app.ActSummaryRead] < 4 {
		t.Fatalf("audit trail: %v", count)
	}
}

// Problems are free text or an ICD-10-CM code checked against the code
// set; a resolved problem leaves the summary but stays in the history.
func TestChartSummaryProblems(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	sum := c.doc.ChartSummary()
	problem := func(text, code string, chronic bool, onset time.Time) (app.ChartEntry, error) {
		return sum.Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionProblem, Text: text, Code: code, Chronic: chronic, Onset: onset})
	}
	_, err := problem("", "XYZ", false, time.Time{})
	wantInvalid(t, "malformed code", err, `"XYZ" is not an ICD-10-CM code`)
	_, err = problem("", "Z99.999", false, time.Time{})
	wantInvalid(t, "unknown code", err, "Z99.999 is not a code in ICD-10-CM")
	_, err = problem("", "J45", false, time.Time{})
	wantInvalid(t, "category header", err, "J45 (Asthma) is a category")
	_, err = problem("", "", false, time.Time{})
	wantInvalid(t, "nothing", err, "give the problem")
	_, err = problem("asthma", "", true, time.Now().AddDate(0, 0, 3))
	wantInvalid(t, "onset in the future", err, "is in the future")
	_, err = problem("asthma", "", true, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC))
	wantInvalid(t, "onset before birth", err, "before the patient's birth")

	asthma, err := problem("", "j45909", true, time.Date(2001, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if asthma.Code != "J45.909" || asthma.CodeSystem != "ICD-10-CM" || asthma.Text != "Unspecified asthma, uncomplicated" || !asthma.Chronic {
		t.Fatalf("coded problem: %+v", asthma)
	}
	cough, err := problem("cough", "", false, time.Now().AddDate(0, 0, -2))
	if err != nil {
		t.Fatal(err)
	}
	old, err := problem("malaria", "", false, time.Now().AddDate(0, -3, 0))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.grace.ChartSummary().Summary(ctx, c.amina.MRN)
	if err != nil || len(s.Problems) != 2 {
		t.Fatalf("a chronic problem from 2001 and this week's cough, not malaria three months ago: %+v, %v", s.Problems, err)
	}
	_, err = sum.Resolve(ctx, asthma.ID, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), "", false)
	wantInvalid(t, "resolved before its onset", err, "before the onset 2001-06-01")
	if _, err := sum.Resolve(ctx, cough.ID, time.Time{}, "settled", false); err != nil {
		t.Fatal(err)
	}
	s, err = c.grace.ChartSummary().Summary(ctx, c.amina.MRN)
	if err != nil || len(s.Problems) != 1 || s.Problems[0].ID != asthma.ID {
		t.Fatalf("after the cough resolved: %+v, %v", s.Problems, err)
	}
	all, err := c.grace.ChartSummary().List(ctx, c.amina.MRN, app.SectionProblem, true)
	if err != nil || len(all) != 3 || all[0].ID != asthma.ID {
		t.Fatalf("every problem: %+v, %v", all, err)
	}
	for _, p := range all[1:] {
		if want := map[string]string{cough.ID: "resolved", old.ID: "past"}[p.ID]; p.Status(time.Now()) != want {
			t.Fatalf("%s is %s, want %s", p.Text, p.Status(time.Now()), want)
		}
	}
}

// Medications: current until stopped; a stop before the start is refused.
func TestChartSummaryMedications(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	sum := c.doc.ChartSummary()
	start := time.Now().AddDate(0, -1, 0)
	_, err := sum.Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionMedication, Text: "Metformin", Start: start, Stop: start.AddDate(0, 0, -1)})
	wantInvalid(t, "stop before start", err, "is before the start date")
	_, err = sum.Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionMedication, Text: "Metformin"})
	wantInvalid(t, "no start", err, "give the date Metformin was started")
	met, err := sum.Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionMedication, Text: "Metformin", Dose: "500 mg twice daily with food", Start: start})
	if err != nil {
		t.Fatal(err)
	}
	amox, err := sum.Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionMedication, Text: "Amoxicillin", Dose: "500 mg three times daily", Start: start})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sum.StopMedication(ctx, amox.ID, start.AddDate(0, 0, -2))
	wantInvalid(t, "stopped before it started", err, "is before the start date")
	if amox, err = sum.StopMedication(ctx, amox.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, err = sum.StopMedication(ctx, amox.ID, time.Time{})
	wantInvalid(t, "stopped twice", err, "already stopped")
	s, err := c.grace.ChartSummary().Summary(ctx, c.amina.MRN)
	if err != nil || len(s.Medications) != 1 || s.Medications[0].ID != met.ID || s.Medications[0].Dose != "500 mg twice daily with food" {
		t.Fatalf("current medications: %+v, %v", s.Medications, err)
	}
	if _, err := c.grace.ChartSummary().StopMedication(ctx, met.ID, time.Time{}); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("records clerk stopping a medication: %v", err)
	}
}

// A restricted chart's summary follows the chart-access rule, and its
// refusal is audited.
func TestChartSummaryRestrictedChart(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	vip := register(t, c.grace, app.Patient{Family: "Phiri", Given: "Ruth", Sex: app.SexFemale, BirthDate: bd(1990, 1, 2), Restricted: true})[0]
	if _, err := c.doc.ChartSummary().Add(ctx, vip.MRN, allergy("Sulfa", "rash", app.SeverityMild)); !errors.Is(err, app.ErrNeedsBreakGlass) {
		t.Fatalf("adding to a restricted chart without a reason: %v", err)
	}
	if _, err := c.doc.Patients().BreakGlass(ctx, vip.MRN, "seen in casualty tonight"); err != nil {
		t.Fatal(err)
	}
	a, err := c.doc.ChartSummary().Add(ctx, vip.MRN, allergy("Sulfa", "rash", app.SeverityMild))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc2.ChartSummary().Summary(ctx, vip.MRN); !errors.Is(err, app.ErrNeedsBreakGlass) {
		t.Fatalf("another clinician reading it: %v", err)
	}
	if _, err := c.doc2.ChartSummary().Resolve(ctx, a.ID, time.Time{}, "wrong chart", true); !errors.Is(err, app.ErrNeedsBreakGlass) {
		t.Fatalf("another clinician resolving it: %v", err)
	}
	if s, err := c.grace.ChartSummary().Summary(ctx, vip.MRN); err != nil || len(s.Allergies) != 1 {
		t.Fatalf("records clerk: %+v, %v", s, err)
	}
	denied, err := c.admin.Audit().Events(ctx, app.AuditFilter{PatientMRN: vip.MRN, User: "doc2"})
	if err != nil || len(denied) != 2 || denied[0].Outcome != app.OutcomeDenied || denied[1].Outcome != app.OutcomeDenied {
		t.Fatalf("doc2's refusals in the trail: %+v, %v", denied, err)
	}
	// Given only the entry's id, a clinician breaks the glass of its chart.
	if _, err := c.doc2.ChartSummary().BreakGlass(ctx, a.ID, "covering the night shift"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc2.ChartSummary().Resolve(ctx, a.ID, time.Time{}, "wrong chart", true); err != nil {
		t.Fatalf("after break-glass: %v", err)
	}
	open, err := c.doc.ChartSummary().Add(ctx, c.amina.MRN, allergy("Latex", "hives", app.SeverityModerate))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.doc2.ChartSummary().BreakGlass(ctx, open.ID, "no reason needed")
	wantInvalid(t, "break-glass into an open chart", err, "not in a restricted chart")
}

// Active: an acute problem leaves the summary 30 days after its onset; a
// chronic one stays until resolved; a medication is current until its stop.
func TestChartEntryActive(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	onset := now.AddDate(0, 0, -31)
	for _, tc := range []struct {
		c    app.ChartEntry
		want bool
	}{
		{app.ChartEntry{Section: app.SectionProblem, Onset: onset}, false},
		{app.ChartEntry{Section: app.SectionProblem, Onset: now.AddDate(0, 0, -29)}, true},
		{app.ChartEntry{Section: app.SectionProblem, Recorded: now.AddDate(0, 0, -29)}, true},
		{app.ChartEntry{Section: app.SectionProblem, Onset: onset, Chronic: true}, true},
		{app.ChartEntry{Section: app.SectionProblem, Onset: onset, Chronic: true, Ended: &app.Ended{Date: now}}, false},
		{app.ChartEntry{Section: app.SectionMedication, Start: onset}, true},
		{app.ChartEntry{Section: app.SectionMedication, Start: onset, Stop: now.AddDate(0, 0, -1)}, false},
		{app.ChartEntry{Section: app.SectionMedication, Start: onset, Stop: now.AddDate(0, 0, 7)}, true},
		{app.ChartEntry{Section: app.SectionAllergy, Substance: "latex", Recorded: onset.AddDate(-5, 0, 0)}, true},
	} {
		if got := tc.c.Active(now); got != tc.want {
			t.Errorf("%+v: active %v, want %v", tc.c, got, tc.want)
		}
	}
}

// Problems come from encounters' coded diagnoses too: a chronic code
// stays on the summary until a clinician resolves it, an acute one leaves
// 30 days after the last visit that coded it; a recorded problem of the
// same code stands for it, and a later visit coded again brings a
// resolved one back.
func TestChartSummaryFromCodedDiagnoses(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	set := testkit.ICD10CM(t)
	now := time.Now()
	old := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, now.AddDate(0, -2, 0))
	recent := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, now.AddDate(0, 0, -3))
	signedVisit(t, c, c.amina.MRN, app.EncOutpatient, now.AddDate(0, 0, -2)) // not coded
	if _, err := c.grace.Coding(set).Assign(ctx, old.ID, app.Assignment{Diagnoses: []string{"J18.9", "E11.9"}}); err != nil {
		t.Fatal(err)
	}
	codes := func() []string {
		t.Helper()
		s, err := c.grace.ChartSummary().Summary(ctx, c.amina.MRN)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range s.Problems {
			out = append(out, p.Code)
		}
		slices.Sort(out)
		return out
	}
	if got := strings.Join(codes(), " "); got != "E11.9" {
		t.Fatalf("two months after a visit coded with pneumonia and diabetes: %q, want the chronic E11.9 alone", got)
	}
	if _, err := c.grace.Coding(set).Assign(ctx, recent.ID, app.Assignment{Diagnoses: []string{"J18.9"}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(codes(), " "); got != "E11.9 J18.9" {
		t.Fatalf("after a visit three days ago coded with pneumonia: %q", got)
	}
	list, err := c.doc.ChartSummary().List(ctx, c.amina.MRN, app.SectionProblem, false)
	if err != nil || len(list) != 2 {
		t.Fatalf("problems: %+v, %v", list, err)
	}
	var dm app.ChartEntry
	for _, p := range list {
		if p.Code == "E11.9" {
			dm = p
		}
	}
	if !dm.Chronic || dm.EncounterID != old.ID || dm.Text != "Type 2 diabetes mellitus without complications" ||
		dm.Onset.Format(time.DateOnly) != old.Time.Format(time.DateOnly) || dm.RecordedBy != "grace" {
		t.Fatalf("derived diabetes: %+v", dm)
	}
	if _, err := c.grace.ChartSummary().Resolve(ctx, dm.ID, time.Time{}, "", false); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("records clerk resolving a derived problem: %v", err)
	}
	if _, err := c.doc.ChartSummary().Resolve(ctx, dm.ID, now.AddDate(0, 0, -10), "diet controlled, off treatment", false); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(codes(), " "); got != "J18.9" {
		t.Fatalf("after the diabetes was resolved: %q", got)
	}
	_, err = c.doc.ChartSummary().Resolve(ctx, dm.ID, time.Time{}, "again", true)
	wantInvalid(t, "resolving a derived problem twice", err, "already resolved")

	// A recorded problem of the same code stands for the derived one.
	if _, err := c.doc.ChartSummary().Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionProblem, Code: "J18.9", Onset: now.AddDate(0, 0, -4)}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(codes(), " "); got != "J18.9" {
		t.Fatalf("a recorded pneumonia beside the coded one: %q, want it once", got)
	}
	// The visit three days ago, coded with diabetes after it was resolved
	// ten days ago, brings it back.
	if _, err := c.grace.Coding(set).Assign(ctx, recent.ID, app.Assignment{Diagnoses: []string{"J18.9", "E11.9"}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(codes(), " "); got != "E11.9 J18.9" {
		t.Fatalf("after a later visit coded with diabetes again: %q", got)
	}
}

// A duplicate's summary follows it into the survivor's chart and back; a
// survivor's "no known allergies" and the duplicate's allergy both show,
// so the clinician sees the contradiction, and an entry of the duplicate
// is resolved from the survivor's chart.
func TestChartSummaryFollowsMerge(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	dup := register(t, c.grace, app.Patient{Family: "Bandah", Given: "Amina", Sex: app.SexFemale, BirthDate: bd(1984, 3, 12)})[0]
	if _, err := c.doc.ChartSummary().Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionAllergy, NoneKnown: true}); err != nil {
		t.Fatal(err)
	}
	pen, err := c.doc.ChartSummary().Add(ctx, dup.MRN, allergy("Penicillin", "rash", app.SeverityModerate))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.grace.Patients().Merge(ctx, c.amina.MRN, dup.MRN, "same woman, name misspelt"); err != nil {
		t.Fatal(err)
	}
	s, err := c.grace.ChartSummary().Summary(ctx, c.amina.MRN)
	if err != nil || !s.NoKnownAllergies || len(s.Allergies) != 1 || s.Allergies[0].ID != pen.ID || s.Allergies[0].MRN != c.amina.MRN {
		t.Fatalf("survivor's summary: %+v, %v", s, err)
	}
	// (doc2: doc's session keeps the heads it read before grace's merge.)
	if got, err := c.doc2.ChartSummary().Resolve(ctx, pen.ID, time.Time{}, "wrong patient's allergy", true); err != nil || got.MRN != c.amina.MRN {
		t.Fatalf("resolving the duplicate's allergy in the survivor's chart: %+v, %v", got, err)
	}
	if _, err := c.grace.Patients().Unmerge(ctx, dup.MRN, "not the same woman"); err != nil {
		t.Fatal(err)
	}
	all, err := c.grace.ChartSummary().List(ctx, dup.MRN, app.SectionAllergy, true)
	if err != nil || len(all) != 1 || all[0].ID != pen.ID || all[0].MRN != dup.MRN {
		t.Fatalf("the duplicate's allergies after the unmerge: %+v, %v", all, err)
	}
	if s, err := c.grace.ChartSummary().Summary(ctx, c.amina.MRN); err != nil || !s.NoKnownAllergies || len(s.Allergies) != 0 {
		t.Fatalf("survivor's summary after the unmerge: %+v, %v", s, err)
	}
}
