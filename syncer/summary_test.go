package syncer_test

import (
	"context"
	"testing"
	"time"

	"folio/app"
)

// TestChartSummarySync: allergies, problems and medications recorded on
// one workstation are read on another as written; an entry resolved on
// one while another is added on the other, apart, are both kept, with no
// conflict; "no known allergies" and an allergy recorded apart are both
// kept too, so the contradiction shows on the chart rather than one
// silently winning.
func TestChartSummarySync(t *testing.T) {
	ctx := context.Background()
	_, a, b, admin := twoWards(t)
	for name, role := range map[string]app.Role{"amos": app.RoleClinician, "bella": app.RoleClinician, "grace": app.RoleRecords} {
		if err := admin.Users().Add(ctx, app.User{Name: name, Roles: app.RoleSet{role}}, []byte(clinicianPW)); err != nil {
			t.Fatal(err)
		}
	}
	mrn := registerMary(t, admin)
	other, err := admin.Patients().Register(ctx, app.Patient{Family: "Okot", Given: "John", Sex: app.SexMale, BirthDate: birth(t, "1990-01-02")})
	if err != nil {
		t.Fatal(err)
	}
	amos := login(t, a, "amos", clinicianPW)
	sum := amos.ChartSummary()
	pen, err := sum.Add(ctx, mrn, app.ChartEntry{Section: app.SectionAllergy, Substance: "Penicillin", Reaction: "anaphylaxis", Severity: app.SeverityLifeThreatening})
	if err != nil {
		t.Fatal(err)
	}
	asthma, err := sum.Add(ctx, mrn, app.ChartEntry{Section: app.SectionProblem, Code: "J45.909", Chronic: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sum.Add(ctx, mrn, app.ChartEntry{Section: app.SectionMedication, Text: "Salbutamol inhaler", Dose: "2 puffs as needed", Start: time.Now().AddDate(0, -1, 0)}); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	nurse := join(t, a, admin, b)
	grace := login(t, b, "grace", clinicianPW)
	s, err := grace.ChartSummary().Summary(ctx, mrn)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Allergies) != 1 || s.Allergies[0].ID != pen.ID || len(s.Problems) != 1 || s.Problems[0].Code != "J45.909" ||
		len(s.Medications) != 1 || s.Medications[0].Dose != "2 puffs as needed" {
		t.Fatalf("b reads %+v", s)
	}

	// Apart: amos resolves the asthma on a; bella adds a latex allergy on b.
	bella := login(t, b, "bella", clinicianPW)
	if _, err := sum.Resolve(ctx, asthma.ID, time.Time{}, "misdiagnosis: vocal cord dysfunction", true); err != nil {
		t.Fatal(err)
	}
	if _, err := bella.ChartSummary().Add(ctx, mrn, app.ChartEntry{Section: app.SectionAllergy, Substance: "Latex", Reaction: "hives", Severity: app.SeverityMild}); err != nil {
		t.Fatal(err)
	}
	// Apart: John has no known allergies on a, a sulfa allergy on b.
	if _, err := sum.Add(ctx, other[0].MRN, app.ChartEntry{Section: app.SectionAllergy, NoneKnown: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := bella.ChartSummary().Add(ctx, other[0].MRN, app.ChartEntry{Section: app.SectionAllergy, Substance: "Sulfa", Reaction: "rash", Severity: app.SeverityModerate}); err != nil {
		t.Fatal(err)
	}
	settleWithoutConflict(t, a, admin, b, nurse)
	for name, sess := range map[string]*app.Session{"a": amos, "b": grace} {
		s, err := sess.ChartSummary().Summary(ctx, mrn)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Allergies) != 2 || len(s.Problems) != 0 || len(s.Medications) != 1 {
			t.Fatalf("%s sees %+v", name, s)
		}
		if s, err = sess.ChartSummary().Summary(ctx, other[0].MRN); err != nil || !s.NoKnownAllergies || len(s.Allergies) != 1 {
			t.Fatalf("%s sees John's %+v, %v: want both the entry and the allergy", name, s, err)
		}
	}

	// A medication stopped on a while bella, apart, marks it entered in
	// error on b: both kept as a conflict on the entry, resolved by keeping
	// one branch; until then the chart still reads.
	salbutamol, err := sum.List(ctx, mrn, app.SectionMedication, false)
	if err != nil || len(salbutamol) != 1 {
		t.Fatalf("medications: %+v, %v", salbutamol, err)
	}
	med := salbutamol[0]
	if _, err := sum.StopMedication(ctx, med.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	inError, err := bella.ChartSummary().Resolve(ctx, med.ID, time.Time{}, "another patient's inhaler", true)
	if err != nil {
		t.Fatal(err)
	}
	ca, cb := settle(t, a, admin, b, nurse)
	if len(ca) != 1 || len(cb) != 1 || ca[0].Kind != app.KindSummary || ca[0].ID != med.ID {
		t.Fatalf("conflicts: a %+v, b %+v; want the medication on both", ca, cb)
	}
	if _, err := grace.ChartSummary().Summary(ctx, mrn); err != nil {
		t.Fatalf("reading the chart with an entry in conflict: %v", err)
	}
	if err := admin.Conflicts().Resolve(ctx, app.KindSummary, med.ID, inError.Version, false); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	for name, sess := range map[string]*app.Session{"a": amos, "b": grace} {
		all, err := sess.ChartSummary().List(ctx, mrn, app.SectionMedication, true)
		if err != nil || len(all) != 1 || all[0].Status(time.Now()) != "entered-in-error" {
			t.Fatalf("%s after the resolution: %+v, %v", name, all, err)
		}
	}
}
