package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testkit"
)

// signedVisit is an encounter of the patient, of the type given, signed by
// doc on the day given.
func signedVisit(t *testing.T, c *clinic, mrn string, typ app.EncounterType, at time.Time) app.Encounter {
	t.Helper()
	ctx := context.Background()
	v := visit(at)
	v.Type = typ
	e, err := c.doc.Encounters().Add(ctx, mrn, v)
	if err != nil {
		t.Fatal(err)
	}
	e.Note = app.Note{Assessment: "Community-acquired pneumonia.", Plan: "Amoxicillin."}
	if e, err = c.doc.Encounters().Sign(ctx, e); err != nil {
		t.Fatal(err)
	}
	return e
}

// Each edit refuses the codes with a sentence naming it, and the same
// codes with a reason are assigned, the edit and reason recorded; what no
// reason overrides (an unknown code, a POA that is missing or not one) is
// refused either way; a refusal writes nothing.
func TestCodingEdits(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	set := testkit.ICD10CM(t)
	now := time.Now()
	born := now.AddDate(0, 0, -10)
	john := register(t, c.grace, app.Patient{Family: "Okot", Given: "John", Sex: app.SexMale, BirthDate: bd(1990, 1, 2)})[0]
	old := register(t, c.grace, app.Patient{Family: "Achen", Given: "Rose", Sex: app.SexFemale, BirthDate: bd(1950, 6, 1)})[0]
	baby := register(t, c.grace, app.Patient{Family: "Banda", Given: "Baby", Sex: app.SexFemale, BirthDate: bd(born.Year(), int(born.Month()), born.Day())})[0]
	day := now.Add(-time.Hour)
	if err := c.doc.Settings().SetProcedures(ctx, []app.ProcedureEntry{{Code: "WD01", Description: "Wound dressing"}}); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a clinician setting the procedure list: %v", err)
	}
	if err := c.grace.Settings().SetProcedures(ctx, []app.ProcedureEntry{{Code: "WD01", Description: ""}}); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("a procedure without a description: %v", err)
	}
	if err := c.grace.Settings().SetProcedures(ctx, []app.ProcedureEntry{{Code: "wd01", Description: "Wound dressing"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, mrn string
		typ       app.EncounterType
		a         app.Assignment
		edit      string // the edit refused, overridable; "" for none
		refused   string // refused whatever the reason
	}{
		{name: "plain", mrn: c.amina.MRN, a: app.Assignment{Diagnoses: []string{"j189", "E11.9"}, Procedures: []string{"99213", "wd01"}}},
		{name: "header", mrn: c.amina.MRN, a: app.Assignment{Diagnoses: []string{"J18"}}, edit: "J18 (Pneumonia, unspecified organism) is a category, not a code that can be assigned: choose one of the"},
		{name: "twice", mrn: c.amina.MRN, a: app.Assignment{Diagnoses: []string{"J18.9", "E11.9", "j18.9"}}, edit: "J18.9 is given twice"},
		{name: "pregnancy male", mrn: john.MRN, a: app.Assignment{Diagnoses: []string{"O80"}}, edit: "O80 is a pregnancy code (O00–O9A) but the patient's sex is recorded as male"},
		{name: "pregnancy age", mrn: old.MRN, a: app.Assignment{Diagnoses: []string{"J18.9", "O99.891"}}, edit: "O99.891 is a pregnancy code (O00–O9A) but the patient was 76 years old"},
		{name: "pregnancy fits", mrn: c.amina.MRN, a: app.Assignment{Diagnoses: []string{"O80"}}},
		{name: "newborn past 28 days", mrn: c.amina.MRN, a: app.Assignment{Diagnoses: []string{"P59.9"}}, edit: "P59.9 is a newborn (perinatal) code (P00–P96) but the patient was"},
		{name: "newborn fits", mrn: baby.MRN, a: app.Assignment{Diagnoses: []string{"P59.9"}}},
		{name: "unknown", mrn: c.amina.MRN, a: app.Assignment{Diagnoses: []string{"J18.99"}, Override: "sure"}, refused: "J18.99 is not a code in ICD-10-CM FY2022"},
		{name: "no principal", mrn: c.amina.MRN, a: app.Assignment{}, refused: "give the principal diagnosis"},
		{name: "bad procedure", mrn: c.amina.MRN, a: app.Assignment{Diagnoses: []string{"J18.9"}, Procedures: []string{"9*"}}, refused: `procedure "9*" is neither on the organisation's procedure list`},
		{name: "poa outpatient", mrn: c.amina.MRN, a: app.Assignment{Diagnoses: []string{"J18.9"}, DefaultPOA: "Y"}, refused: "present on admission (Y for J18.9) is reported only for an admission"},
		{name: "poa missing", mrn: c.amina.MRN, typ: app.EncAdmission, a: app.Assignment{Diagnoses: []string{"J18.9"}}, refused: "say whether J18.9 was present on admission"},
		{name: "poa wrong", mrn: c.amina.MRN, typ: app.EncAdmission, a: app.Assignment{Diagnoses: []string{"J18.9"}, DefaultPOA: "X"}, refused: `present on admission "X" for J18.9: use Y, N, U or W`},
		{name: "poa given", mrn: c.amina.MRN, typ: app.EncAdmission, a: app.Assignment{Diagnoses: []string{"J18.9", "Z00.00"}, POA: []string{"y"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ := tc.typ
			if typ == "" {
				typ = app.EncOutpatient
			}
			at := day
			if tc.mrn == baby.MRN {
				at = now.Add(-time.Minute)
			}
			e := signedVisit(t, c, tc.mrn, typ, at)
			coding := c.grace.Coding(set)
			r, err := coding.Assign(ctx, e.ID, tc.a)
			switch {
			case tc.refused != "":
				if !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("got %v, want refused with %q", err, tc.refused)
				}
			case tc.edit != "":
				var ee *app.EditsError
				if !errors.As(err, &ee) || !strings.Contains(err.Error(), tc.edit) || !strings.Contains(err.Error(), "override with the reason") {
					t.Fatalf("got %v, want the edit %q", err, tc.edit)
				}
				tc.a.Override = "documented by the clinician in the discharge summary"
				if r, err = coding.Assign(ctx, e.ID, tc.a); err != nil {
					t.Fatal(err)
				}
				if len(r.Overrides) == 0 || !strings.Contains(r.Overrides[0].Edit, tc.edit) || r.Overrides[0].Reason != tc.a.Override {
					t.Fatalf("overrides recorded: %+v", r.Overrides)
				}
			case err != nil:
				t.Fatal(err)
			}
			st, err := coding.Status(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.refused != "" {
				if st.Status != app.CodingWaiting || len(st.History) != 0 {
					t.Fatalf("a refusal wrote: %+v", st)
				}
				return
			}
			if st.Status != app.CodingCoded || st.Current == nil || st.Current.ID != r.ID || st.Current.By != "grace" {
				t.Fatalf("status after coding: %+v", st)
			}
			d := st.Current.Diagnoses[0]
			if !d.Principal || d.System != "ICD-10-CM" || d.Version != "FY2022" || d.Description == "" || len(st.Current.Diagnoses) != len(tc.a.Diagnoses) {
				t.Fatalf("diagnoses recorded: %+v", st.Current.Diagnoses)
			}
			if tc.name == "poa given" {
				z := st.Current.Diagnoses[1]
				if d.POA != "Y" || z.POA != "" || !z.POAExempt {
					t.Fatalf("POA: %+v", st.Current.Diagnoses)
				}
			}
			if tc.name == "plain" && (len(st.Current.Procedures) != 2 || st.Current.Procedures[0] != (app.Procedure{System: app.CPTSystem, Code: "99213"}) ||
				st.Current.Procedures[1] != (app.Procedure{System: app.ProcedureSystem, Code: "WD01", Description: "Wound dressing"})) {
				t.Fatalf("procedures: %+v", st.Current.Procedures)
			}
		})
	}
	events, err := c.admin.Audit().Events(ctx, app.AuditFilter{User: "grace", Action: app.ActCodingAssign})
	if err != nil {
		t.Fatal(err)
	}
	overridden := 0
	for _, ev := range events {
		if strings.Contains(ev.Detail, "edits overridden: documented by the clinician") {
			overridden++
		}
	}
	if overridden != 5 {
		t.Fatalf("%d assignments audited with their override, want 5: %+v", overridden, events)
	}
}

// Only a signed encounter is coded; only coders code and query; the
// clinician answers; the status goes waiting, coded, queried, coded.
func TestCodingQueryAndRoles(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	set := testkit.ICD10CM(t)
	draft, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.grace.Coding(set).Assign(ctx, draft.ID, app.Assignment{Diagnoses: []string{"J18.9"}}); !errors.Is(err, app.ErrInvalid) ||
		!strings.Contains(err.Error(), "not signed: an unsigned encounter is not coded; ask doc to sign the note first") {
		t.Fatalf("coding a draft: %v", err)
	}
	if _, err := c.grace.Coding(set).Query(ctx, draft.ID, "which organism?"); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("querying a draft: %v", err)
	}
	e := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, time.Now().Add(-time.Hour))
	for name, s := range map[string]*app.Session{"clinician": c.doc, "scanning": c.sam, "admin": c.admin} {
		if _, err := s.Coding(set).Assign(ctx, e.ID, app.Assignment{Diagnoses: []string{"J18.9"}}); !errors.Is(err, app.ErrForbidden) {
			t.Fatalf("%s coding: %v", name, err)
		}
		if _, err := s.Coding(set).Query(ctx, e.ID, "q"); !errors.Is(err, app.ErrForbidden) {
			t.Fatalf("%s querying: %v", name, err)
		}
	}
	coding := c.grace.Coding(set)
	status := func(want app.CodingStatus) app.EncounterCoding {
		t.Helper()
		st, err := coding.Status(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != want {
			t.Fatalf("status %s, want %s: %+v", st.Status, want, st)
		}
		return st
	}
	status(app.CodingWaiting)
	if _, err := coding.Assign(ctx, e.ID, app.Assignment{Diagnoses: []string{"J18.9"}}); err != nil {
		t.Fatal(err)
	}
	status(app.CodingCoded)
	if _, err := coding.Query(ctx, e.ID, "  "); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("empty query: %v", err)
	}
	q, err := coding.Query(ctx, e.ID, "Was the pneumonia due to Streptococcus pneumoniae?")
	if err != nil {
		t.Fatal(err)
	}
	status(app.CodingQueried)
	if _, err := coding.Answer(ctx, q.ID, "yes"); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("the coder answering: %v", err)
	}
	if _, err := c.doc.Coding(set).Answer(ctx, e.ID, "yes"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("answering an encounter id: %v", err)
	}
	open, err := c.doc.Coding(set).Queries(ctx)
	if err != nil || len(open) != 1 || open[0].ID != q.ID || open[0].EncounterID != e.ID || open[0].MRN != c.amina.MRN || open[0].By != "grace" {
		t.Fatalf("doc's open queries: %+v, %v", open, err)
	}
	if others, err := c.doc2.Coding(set).Queries(ctx); err != nil || len(others) != 0 {
		t.Fatalf("another clinician's open queries: %+v, %v", others, err)
	}
	if _, err := coding.Queries(ctx); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("the coder listing a clinician's queries: %v", err)
	}
	a, err := c.doc.Coding(set).Answer(ctx, q.ID, "Yes, sputum culture grew S. pneumoniae.")
	if err != nil {
		t.Fatal(err)
	}
	if a.By != "doc" || a.QueryID != q.ID {
		t.Fatalf("answer: %+v", a)
	}
	if _, err := c.doc.Coding(set).Answer(ctx, q.ID, "again"); !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), "was answered by doc") {
		t.Fatalf("answering twice: %v", err)
	}
	status(app.CodingCoded)
	if open, err := c.doc.Coding(set).Queries(ctx); err != nil || len(open) != 0 {
		t.Fatalf("open queries after the answer: %+v, %v", open, err)
	}
	if _, err := coding.Assign(ctx, e.ID, app.Assignment{Diagnoses: []string{"J13"}}); err != nil {
		t.Fatal(err)
	}
	st := status(app.CodingCoded)
	if st.Current.Diagnoses[0].Code != "J13" || len(st.History) != 4 {
		t.Fatalf("recoded: %+v", st)
	}
}

// The worklist holds the signed encounters, not drafts, each with its
// status, and for the coded ones the coder and the turnaround; only coders
// read it.
func TestCodingWorklist(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	set := testkit.ICD10CM(t)
	if _, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(time.Now().Add(-3*time.Hour))); err != nil {
		t.Fatal(err)
	}
	first := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, time.Now().Add(-2*time.Hour))
	second := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, time.Now().Add(-time.Hour))
	third := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, time.Now().Add(-time.Minute))
	coding := c.grace.Coding(set)
	if _, err := coding.Assign(ctx, second.ID, app.Assignment{Diagnoses: []string{"J18.9"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coding.Query(ctx, third.ID, "Which organism?"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc.Coding(set).Worklist(ctx, ""); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a clinician reading the worklist: %v", err)
	}
	all, err := coding.Worklist(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].EncounterID != first.ID || all[0].Status != app.CodingWaiting ||
		all[1].EncounterID != second.ID || all[1].Status != app.CodingCoded || all[1].Coder != "grace" || all[1].Turnaround <= 0 ||
		all[2].EncounterID != third.ID || all[2].Status != app.CodingQueried || all[2].MRN != c.amina.MRN {
		t.Fatalf("worklist: %+v", all)
	}
	waiting, err := coding.Worklist(ctx, app.CodingWaiting)
	if err != nil || len(waiting) != 1 || waiting[0].EncounterID != first.ID {
		t.Fatalf("waiting: %+v, %v", waiting, err)
	}
}
