package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testclock"
	"folio/internal/testkit"
)

// completionStart is when the completion tests' clock starts.
var completionStart = time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC)

// openDeficiencies is the records manager's list, checked to be the same
// as the open deficiencies of the charts it names.
func openDeficiencies(t *testing.T, s *app.Session) []app.Deficiency {
	t.Helper()
	ctx := context.Background()
	all, err := s.Completion().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range all {
		if seen[d.MRN] {
			continue
		}
		seen[d.MRN] = true
		cc, err := s.Completion().Chart(ctx, d.MRN)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range all {
			if o.MRN == d.MRN {
				n++
			}
		}
		if open := cc.Open(); len(open) != n || cc.Complete {
			t.Fatalf("chart %s: %d open (%+v), the worklist has %d", d.MRN, len(open), open, n)
		}
	}
	return all
}

// only returns the one deficiency of the rule among ds, failing when
// there is not exactly one.
func only(t *testing.T, ds []app.Deficiency, rule app.DeficiencyRule) app.Deficiency {
	t.Helper()
	var out []app.Deficiency
	for _, d := range ds {
		if d.Rule == rule {
			out = append(out, d)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d deficiencies %s in %+v", len(out), rule, ds)
	}
	return out[0]
}

func none(t *testing.T, ds []app.Deficiency, rule app.DeficiencyRule) {
	t.Helper()
	for _, d := range ds {
		if d.Rule == rule {
			t.Fatalf("a deficiency %s: %+v", rule, d)
		}
	}
}

// A note unsigned 24 hours after the visit is a deficiency of its author,
// which closes when they sign; the signed encounter then waits for its
// principal diagnosis, unassigned until a coder queries it, and closes
// when coded; the chart is complete once nothing is open.
func TestCompletionNoteAndCoding(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(completionStart)
	c := newClinicAt(t, clock)
	set := testkit.ICD10CM(t)
	e, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(completionStart.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if ds := openDeficiencies(t, c.grace); len(ds) != 0 {
		t.Fatalf("deficiencies before 24 hours: %+v", ds)
	}
	if ok, err := c.grace.Completion().Complete(ctx, c.amina.MRN); err != nil || !ok {
		t.Fatalf("complete before 24 hours: %v, %v", ok, err)
	}
	clock.Add(23*time.Hour + 30*time.Minute) // 30 minutes past the threshold
	d := only(t, openDeficiencies(t, c.grace), app.RuleUnsignedNote)
	opened := completionStart.Add(23 * time.Hour)
	if d.ID != "unsigned-note/"+e.ID || d.EncounterID != e.ID || d.Assignee != "doc" || d.MRN != c.amina.MRN ||
		!d.Opened.Equal(opened) || !d.Due.Equal(opened.AddDate(0, 0, 7)) || d.Age != 30*time.Minute || d.Overdue ||
		!strings.Contains(d.What, "is not signed: doc signs it") {
		t.Fatalf("unsigned note: %+v", d)
	}
	mine, err := c.doc.Completion().Mine(ctx)
	if err != nil || len(mine) != 1 || mine[0].ID != d.ID {
		t.Fatalf("doc's deficiencies: %+v, %v", mine, err)
	}
	if mine, err := c.doc2.Completion().Mine(ctx); err != nil || len(mine) != 0 {
		t.Fatalf("doc2's deficiencies: %+v, %v", mine, err)
	}
	clock.Add(8 * 24 * time.Hour)
	if d := only(t, openDeficiencies(t, c.grace), app.RuleUnsignedNote); !d.Overdue {
		t.Fatalf("past its due date: %+v", d)
	}

	e.Note = app.Note{Assessment: "Pneumonia.", Plan: "Amoxicillin."}
	signed, err := c.doc.Encounters().Sign(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	ds := openDeficiencies(t, c.grace)
	none(t, ds, app.RuleUnsignedNote)
	u := only(t, ds, app.RuleUncoded)
	if u.Assignee != "" || u.AssigneeLabel() != "records department" || !u.Opened.Equal(signed.Signed.At) ||
		!strings.Contains(u.What, "has no principal diagnosis") {
		t.Fatalf("uncoded: %+v", u)
	}
	clock.Add(time.Hour)
	if _, err := c.grace.Coding(set).Query(ctx, e.ID, "Which organism?"); err != nil {
		t.Fatal(err)
	}
	mine, err = c.grace.Completion().Mine(ctx)
	if err != nil || len(mine) != 1 || mine[0].Rule != app.RuleUncoded || mine[0].Assignee != "grace" {
		t.Fatalf("the coder who queried holds it: %+v, %v", mine, err)
	}
	clock.Add(time.Hour)
	coded, err := c.grace.Coding(set).Assign(ctx, e.ID, app.Assignment{Diagnoses: []string{"J18.9"}})
	if err != nil {
		t.Fatal(err)
	}
	if ds := openDeficiencies(t, c.grace); len(ds) != 0 {
		t.Fatalf("open after signing and coding: %+v", ds)
	}
	cc, err := c.grace.Completion().Chart(ctx, c.amina.MRN)
	if err != nil || !cc.Complete || len(cc.Deficiencies) != 2 {
		t.Fatalf("chart: %+v, %v", cc, err)
	}
	note, code := cc.Deficiencies[0], cc.Deficiencies[1]
	if note.Rule != app.RuleUnsignedNote || !note.Closed.Equal(signed.Signed.At) || note.IsOpen() || !strings.Contains(note.What, "was signed late, on ") ||
		!strings.Contains(code.What, "had no principal diagnosis until it was coded on ") ||
		code.Rule != app.RuleUncoded || !code.Closed.Equal(coded.At) || code.Age != 2*time.Hour {
		t.Fatalf("closed: %+v", cc.Deficiencies)
	}
	// A note signed in time never had a deficiency.
	clock.Add(time.Hour)
	quick := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, clock.Now().Add(-time.Hour))
	if _, err := c.grace.Coding(set).Assign(ctx, quick.ID, app.Assignment{Diagnoses: []string{"J18.9"}}); err != nil {
		t.Fatal(err)
	}
	clock.Add(48 * time.Hour)
	if cc, err := c.grace.Completion().Chart(ctx, c.amina.MRN); err != nil || !cc.Complete || len(cc.Deficiencies) != 2 {
		t.Fatalf("a note signed in time: %+v, %v", cc, err)
	}
	// A draft deleted in error is no deficiency.
	draft, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(clock.Now().Add(-30*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	only(t, openDeficiencies(t, c.grace), app.RuleUnsignedNote)
	if err := c.doc.Encounters().Delete(ctx, draft.ID, "wrong patient"); err != nil {
		t.Fatal(err)
	}
	if ds := openDeficiencies(t, c.grace); len(ds) != 0 {
		t.Fatalf("a deleted draft: %+v", ds)
	}
}

// An admission whose discharge has no summary 72 hours later is the
// discharging clinician's deficiency, closed when they sign the
// discharge note; an admission without a discharge yet has none.
func TestCompletionDischargeSummary(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(completionStart)
	c := newClinicAt(t, clock)
	adm := signedVisit(t, c, c.amina.MRN, app.EncAdmission, completionStart.Add(-48*time.Hour))
	clock.Add(10 * 24 * time.Hour)
	none(t, openDeficiencies(t, c.grace), app.RuleDischargeSummary)

	at := clock.Now().Add(-time.Hour)
	v := visit(at)
	v.Type = app.EncDischarge
	dis, err := c.doc2.Encounters().Add(ctx, c.amina.MRN, v)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(70 * time.Hour)
	ds := openDeficiencies(t, c.grace)
	none(t, ds, app.RuleDischargeSummary)
	only(t, ds, app.RuleUnsignedNote) // the discharge note itself
	clock.Add(2 * time.Hour)
	d := only(t, openDeficiencies(t, c.grace), app.RuleDischargeSummary)
	if d.Age != time.Hour {
		t.Fatalf("age: %v", d.Age)
	}
	if d.ID != "no-discharge-summary/"+adm.ID || d.EncounterID != adm.ID || d.Assignee != "doc2" ||
		!d.Opened.Equal(at.Add(72*time.Hour)) || !strings.Contains(d.What, "has no discharge summary") {
		t.Fatalf("no discharge summary: %+v", d)
	}
	mine, err := c.doc2.Completion().Mine(ctx)
	if err != nil || len(mine) != 2 {
		t.Fatalf("doc2's: %+v, %v", mine, err)
	}
	dis.Note = app.Note{Assessment: "Recovered.", Plan: "Review in two weeks."}
	if _, err := c.doc2.Encounters().Sign(ctx, dis); err != nil {
		t.Fatal(err)
	}
	ds = openDeficiencies(t, c.grace)
	none(t, ds, app.RuleDischargeSummary)
	none(t, ds, app.RuleUnsignedNote)
	cc, err := c.grace.Completion().Chart(ctx, c.amina.MRN)
	if err != nil {
		t.Fatal(err)
	}
	if d := only(t, cc.Deficiencies, app.RuleDischargeSummary); d.IsOpen() || !d.Closed.Equal(clock.Now()) {
		t.Fatalf("closed: %+v", d)
	}
}

// fileScan imports one scan and files it to the patient as the type and
// date given, by the scanning clerk.
func fileScan(t *testing.T, c *clinic, mrn, typ string, date time.Time) app.Document {
	t.Helper()
	ctx := context.Background()
	r, err := c.sam.Intake().ImportFile(ctx, typ+date.Format("20060102")+".png", "import", testkit.Corpus(t, "scans/paperless__simple.png"))
	if err != nil || len(r.Documents) != 1 {
		t.Fatalf("import: %+v, %v", r, err)
	}
	d, err := c.sam.Indexing().FileDocument(ctx, r.Documents[0].ID, app.FileParams{Patient: mrn, Type: typ, Date: date})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A filed document chosen for QA and not checked in 24 hours is the
// records department's deficiency until verified; a procedure coded
// without a consent on the chart is the clinician's until the consent is
// filed for the day of the visit; a discharge summary filed closes the
// admission's.
func TestCompletionDocuments(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(completionStart)
	c := newClinicAt(t, clock)
	set := testkit.ICD10CM(t)
	if err := c.grace.Indexing().SetQASampling(ctx, 100); err != nil {
		t.Fatal(err)
	}
	lab := fileScan(t, c, c.amina.MRN, "lab-result", completionStart)
	if !lab.QA {
		t.Fatal("not chosen for QA")
	}
	clock.Add(25 * time.Hour)
	d := only(t, openDeficiencies(t, c.grace), app.RuleQAPending)
	if d.DocumentID != lab.ID || d.Assignee != "" || !d.Opened.Equal(completionStart.Add(24*time.Hour)) || d.MRN != c.amina.MRN ||
		!strings.Contains(d.What, "waits for QA") {
		t.Fatalf("QA: %+v", d)
	}
	if _, err := c.grace.Documents().Verify(ctx, lab.ID); err != nil {
		t.Fatal(err)
	}
	none(t, openDeficiencies(t, c.grace), app.RuleQAPending)
	if err := c.grace.Indexing().SetQASampling(ctx, 0); err != nil {
		t.Fatal(err)
	}

	// A procedure without consent.
	e := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, clock.Now().Add(-time.Hour))
	clock.Add(time.Hour)
	if _, err := c.grace.Coding(set).Assign(ctx, e.ID, app.Assignment{Diagnoses: []string{"J18.9"}, Procedures: []string{"99213"}}); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	d = only(t, openDeficiencies(t, c.grace), app.RuleNoConsent)
	if d.EncounterID != e.ID || d.Assignee != "doc" || !strings.Contains(d.What, "The procedure 99213 coded on the outpatient visit") {
		t.Fatalf("no consent: %+v", d)
	}
	fileScan(t, c, c.amina.MRN, "consent", completionStart.AddDate(0, 0, -1)) // another day
	only(t, openDeficiencies(t, c.grace), app.RuleNoConsent)
	clock.Add(time.Hour)
	consent := fileScan(t, c, c.amina.MRN, "consent", e.Time)
	none(t, openDeficiencies(t, c.grace), app.RuleNoConsent)
	cc, err := c.doc.Completion().Chart(ctx, c.amina.MRN)
	if err != nil || !cc.Complete {
		t.Fatalf("chart: %+v, %v", cc, err)
	}
	if d := only(t, cc.Deficiencies, app.RuleNoConsent); !d.Closed.Equal(consent.Changed) {
		t.Fatalf("closed at the filing: %+v", d)
	}

	// A discharge summary filed closes the admission's deficiency.
	adm := signedVisit(t, c, c.amina.MRN, app.EncAdmission, clock.Now().Add(-5*24*time.Hour))
	if _, err := c.grace.Coding(set).Assign(ctx, adm.ID, app.Assignment{Diagnoses: []string{"J18.9"}, DefaultPOA: "Y"}); err != nil {
		t.Fatal(err)
	}
	v := visit(clock.Now().Add(-4 * 24 * time.Hour))
	v.Type = app.EncDischarge
	if _, err := c.doc.Encounters().Add(ctx, c.amina.MRN, v); err != nil {
		t.Fatal(err)
	}
	only(t, openDeficiencies(t, c.grace), app.RuleDischargeSummary)
	clock.Add(time.Hour)
	summary := fileScan(t, c, c.amina.MRN, "discharge-summary", v.Time)
	ds := openDeficiencies(t, c.grace)
	none(t, ds, app.RuleDischargeSummary)
	only(t, ds, app.RuleUnsignedNote) // the discharge note is still to sign
	cc, err = c.grace.Completion().Chart(ctx, c.amina.MRN)
	if err != nil {
		t.Fatal(err)
	}
	if d := only(t, cc.Deficiencies, app.RuleDischargeSummary); !d.Closed.Equal(summary.Changed) || d.EncounterID != adm.ID {
		t.Fatalf("closed by the summary filed: %+v", d)
	}
}

// The thresholds are the organisation's: records managers and
// administrators change them, nonsense is refused in words, a change is
// audited with what changed, and the deficiencies follow it.
func TestCompletionThresholds(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(completionStart)
	c := newClinicAt(t, clock)
	th, err := c.doc.Completion().Thresholds(ctx)
	if err != nil || th.UnsignedNoteHours != 24 || th.DischargeSummaryHours != 72 || th.QAHours != 24 || th.DueDays != 7 {
		t.Fatalf("defaults: %+v, %v", th, err)
	}
	if _, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(completionStart.Add(-30*time.Hour))); err != nil {
		t.Fatal(err)
	}
	only(t, openDeficiencies(t, c.grace), app.RuleUnsignedNote)
	if err := c.doc.Completion().SetThresholds(ctx, th); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a clinician changing the thresholds: %v", err)
	}
	if err := c.sam.Completion().SetThresholds(ctx, th); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a scanning clerk changing the thresholds: %v", err)
	}
	for _, tc := range []struct {
		name  string
		value int
		words string
	}{
		{"unsigned-note-hours", -1, "unsigned-note-hours -1: give the hours a note may stay unsigned after the visit, 0 to 8760"},
		{"qa-hours", 9000, "qa-hours 9000: give the hours a filed document may wait for QA, 0 to 8760 (a year)"},
		{"due-days", 0, "due-days 0: give the days to complete a deficiency once it opens, 1 to 365"},
	} {
		bad, err := th.With(tc.name, tc.value)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.grace.Completion().SetThresholds(ctx, bad); !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), tc.words) {
			t.Fatalf("%s %d: %v", tc.name, tc.value, err)
		}
	}
	if _, err := th.With("no-such", 1); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("an unknown threshold: %v", err)
	}
	longer, _ := th.With("unsigned-note-hours", 48)
	if err := c.grace.Completion().SetThresholds(ctx, longer); err != nil {
		t.Fatal(err)
	}
	if ds := openDeficiencies(t, c.grace); len(ds) != 0 {
		t.Fatalf("after 48 hours allowed: %+v", ds)
	}
	got, err := c.doc.Completion().Thresholds(ctx)
	if err != nil || got.UnsignedNoteHours != 48 || got.ChangedBy != "grace" {
		t.Fatalf("thresholds: %+v, %v", got, err)
	}
	due, _ := got.With("due-days", 14)
	if err := c.admin.Completion().SetThresholds(ctx, due); err != nil {
		t.Fatalf("an administrator: %v", err)
	}
	if err := c.admin.Completion().SetThresholds(ctx, due); err != nil {
		t.Fatalf("no change: %v", err)
	}
	events, err := c.admin.Audit().Events(ctx, app.AuditFilter{Action: app.ActSettings})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, ev := range events {
		if strings.HasPrefix(ev.Detail, "record-completion thresholds") {
			details = append(details, ev.User+": "+ev.Detail)
		}
	}
	if strings.Join(details, "; ") != "grace: record-completion thresholds: unsigned-note-hours 24 → 48; admin: record-completion thresholds: due-days 7 → 14" {
		t.Fatalf("audited: %q", details)
	}
}

// Who sees what: a clinician their own, the records department all; a
// scanning clerk none; every list is audited, a chart's under the
// patient.
func TestCompletionRolesAndAudit(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(completionStart)
	c := newClinicAt(t, clock)
	if _, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(completionStart.Add(-30*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc.Completion().All(ctx); !errors.Is(err, app.ErrForbidden) || !strings.Contains(err.Error(), "may not see every open deficiency") {
		t.Fatalf("a clinician reading everyone's: %v", err)
	}
	if _, err := c.sam.Completion().Mine(ctx); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a scanning clerk: %v", err)
	}
	if _, err := c.sam.Completion().Chart(ctx, c.amina.MRN); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a scanning clerk reading a chart's: %v", err)
	}
	if mine, err := c.doc.Completion().Mine(ctx); err != nil || len(mine) != 1 {
		t.Fatalf("doc: %+v, %v", mine, err)
	}
	if _, err := c.grace.Completion().Chart(ctx, c.amina.MRN); err != nil {
		t.Fatal(err)
	}
	if _, err := c.grace.Completion().Chart(ctx, "KAB-999999-Z"); err == nil {
		t.Fatal("an unknown MRN")
	}
	openDeficiencies(t, c.grace)
	events, err := c.admin.Audit().Events(ctx, app.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		switch ev.Action {
		case app.ActDeficiencyList, app.ActDeficiencyChart:
			got = append(got, ev.User+" "+string(ev.Action)+" "+ev.Patient+" "+string(ev.Outcome)+" "+ev.Detail)
		}
	}
	want := []string{
		"doc deficiency.list  denied missing permission completion.all",
		"sam deficiency.list  denied missing permission completion",
		"sam deficiency.chart  denied missing permission completion",
		"doc deficiency.list  ok my deficiencies: 1 open",
		"grace deficiency.chart " + c.amina.MRN + " ok 1 open, 0 closed",
		"grace deficiency.list  ok all deficiencies: 1 open",
		"grace deficiency.chart " + c.amina.MRN + " ok 1 open, 0 closed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A vault whose encounters were written before record completion lacks
// the index terms the worklists look up: the first computation makes
// them, once, so nothing is missed.
func TestCompletionIndexOfOlderRecords(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(completionStart)
	c := newClinicAt(t, clock)
	e, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(completionStart.Add(-30*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	only(t, openDeficiencies(t, c.grace), app.RuleUnsignedNote)
	// As an older vault: the encounter without its terms, the vault not
	// marked as indexed.
	if err := c.prof.DB.Replica().Reindex(ctx, app.KindEncounter, e.ID, e.Version, nil); err != nil {
		t.Fatal(err)
	}
	if ds, err := c.grace.Completion().All(ctx); err != nil || len(ds) != 0 {
		t.Fatalf("the worklist reads the index: %+v, %v", ds, err)
	}
	if err := c.prof.DB.Meta().UpdateMeta(ctx, nil, []string{"index/completion-terms-v1"}); err != nil {
		t.Fatal(err)
	}
	only(t, openDeficiencies(t, c.grace), app.RuleUnsignedNote)
	if list, err := c.doc.Encounters().List(ctx, c.amina.MRN); err != nil || len(list) != 1 {
		t.Fatalf("the chart's encounters: %+v, %v", list, err)
	}
}
