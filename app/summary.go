package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"folio/codeset"
)

// The audited acts on the chart's summary.
const (
	ActSummaryAdd     Action = "summary.add"     // an allergy, problem or medication recorded
	ActSummaryResolve Action = "summary.resolve" // resolved, no longer so, or entered in error
	ActMedicationStop Action = "medication.stop"
	ActSummaryRead    Action = "summary.read"
)

// ChartSummary keeps the summary shown at the top of a chart: allergies,
// problems (recorded, and derived from the coded diagnoses of the chart's
// encounters: summaryderived.go) and current medications. Clinicians record and resolve
// entries; records staff read them. Every read is audited as a chart read
// under the chart-access rule of access.go, and every change is one
// version written with its audit event.
type ChartSummary struct{ s *Session }

// ChartSummary returns the session's chart summary service.
func (s *Session) ChartSummary() ChartSummary { return ChartSummary{s} }

// Summary is what the top of a chart shows: the active entries of each
// list. NoKnownAllergies is set when the chart says so (an entry, not an
// empty list: an empty list means nobody has asked).
type Summary struct {
	MRN              string
	Allergies        []ChartEntry
	NoKnownAllergies bool
	Problems         []ChartEntry
	Medications      []ChartEntry
	// NoneKnown is the "no known allergies" entry when it is active (to
	// resolve it when an allergy is found).
	NoneKnown *ChartEntry
}

// problemCodes is the ICD-10-CM code set problems are coded from, opened
// the first time a code is given.
var problemCodes codeset.Lazy

// load reads a summary entry's current version.
func (cs ChartSummary) load(ctx context.Context, id string) (ChartEntry, error) {
	id = strings.TrimSpace(id)
	rec, err := cs.s.records.Head(ctx, KindSummary, id)
	if errors.Is(err, ErrNotFound) && strings.HasPrefix(id, derivedPrefix) {
		return cs.derivedEntry(ctx, id)
	}
	if errors.Is(err, ErrNotFound) {
		return ChartEntry{}, fmt.Errorf("%w: there is no allergy, problem or medication %s; check the id", ErrNotFound, id)
	}
	if err != nil {
		return ChartEntry{}, fmt.Errorf("summary entry %s: %w", id, err)
	}
	return decodeChartEntry(rec)
}

// entries reads every entry of a chart (and of records merged into it),
// with the problems its coded diagnoses add.
func (cs ChartSummary) entries(ctx context.Context, p Patient) ([]ChartEntry, error) {
	encs, err := cs.s.Encounters().ofChart(ctx, p)
	if err != nil {
		return nil, err
	}
	return cs.entriesWith(ctx, p, encs)
}

// entriesWith is entries given the chart's encounters as
// Encounters.ofChart reads them.
func (cs ChartSummary) entriesWith(ctx context.Context, p Patient, encs []Encounter) ([]ChartEntry, error) {
	var out []ChartEntry
	for _, pid := range chartIDs(p) {
		ids, err := cs.s.charts.lookup(ctx, "sum:pat:"+pid)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			c, err := cs.load(ctx, id)
			if err != nil {
				return nil, err
			}
			c.MRN = p.MRN
			out = append(out, c)
		}
	}
	derived, err := cs.codedDiagnoses(ctx, p, encs)
	if err != nil {
		return nil, err
	}
	return append(out, unrecorded(derived, out, cs.s.v.now())...), nil
}

// write commits one version of an entry with its audit event.
func (cs ChartSummary) write(ctx context.Context, c ChartEntry, parent Version, ev AuditEvent) (ChartEntry, error) {
	c.Changed, c.ChangedBy = cs.s.v.now(), cs.s.User().Name
	w, err := cs.s.encode.chartEntry(c, parent)
	if err != nil {
		return ChartEntry{}, err
	}
	ev.Object, ev.Detail = "summary/"+c.ID, string(c.Section)
	vs, err := cs.s.commitVersions(ctx, []RecordWrite{w}, ev, nil)
	if err != nil {
		return ChartEntry{}, fmt.Errorf("save %s: %w", c.Section, err)
	}
	c.Version, c.MRN = vs[0], ev.Patient
	return c, nil
}

// Add records an allergy, a problem or a medication (by c.Section) in
// the patient's chart, recorded by the signed-in clinician.
//
// An allergy has a substance, a reaction and a severity, or is the
// chart's "no known allergies" (NoneKnown), which is refused while an
// allergy is active, as an allergy is while "no known allergies" is.
// A problem is free text, or an ICD-10-CM code (checked against the code
// set; its description is the text, and a code the code set calls chronic
// makes the problem chronic), with an optional onset. A medication is free
// text with its dose and instructions and a start date; a stop date
// before the start is refused.
func (cs ChartSummary) Add(ctx context.Context, patientRef string, c ChartEntry) (ChartEntry, error) {
	ctx, p, err := cs.s.charts.open(ctx, PermSummaryWrite, ActSummaryAdd, patientRef)
	if err != nil {
		return ChartEntry{}, err
	}
	now := cs.s.v.now()
	c.ID, c.PatientID, c.RecordedBy, c.Recorded, c.Ended, c.EncounterID = newID(), p.ID, cs.s.User().Name, now, nil, ""
	c.Onset, c.Start, c.Stop = day(c.Onset), day(c.Start), day(c.Stop)
	switch c.Section {
	case SectionAllergy:
		err = cs.checkAllergy(ctx, p, &c, now)
	case SectionProblem:
		err = checkProblem(&c, now, p)
	case SectionMedication:
		err = checkMedication(&c, now, p)
	default:
		err = Invalidf("a summary entry is an allergy, a problem or a medication, not %q", c.Section)
	}
	if err != nil {
		return ChartEntry{}, err
	}
	return cs.write(ctx, c, Version{}, AuditEvent{Action: ActSummaryAdd, Patient: p.MRN})
}

func (cs ChartSummary) checkAllergy(ctx context.Context, p Patient, c *ChartEntry, now time.Time) error {
	c.Substance, c.Reaction = strings.TrimSpace(c.Substance), strings.TrimSpace(c.Reaction)
	c.Text, c.Code, c.CodeSystem, c.Chronic, c.Onset, c.Dose, c.Start, c.Stop = "", "", "", false, time.Time{}, "", time.Time{}, time.Time{}
	if c.NoneKnown {
		if c.Substance != "" || c.Reaction != "" || c.Severity != "" {
			return Invalidf("\"no known allergies\" has no substance, reaction or severity")
		}
	} else {
		if c.Substance == "" {
			return Invalidf("give the substance the patient is allergic to")
		}
		if c.Reaction == "" {
			return Invalidf("give the reaction to %s (rash, wheeze, anaphylaxis…)", c.Substance)
		}
		sev, err := ParseSeverity(string(c.Severity))
		if err != nil {
			return err
		}
		c.Severity = sev
	}
	all, err := cs.entries(ctx, p)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.Section != SectionAllergy || !o.Active(now) {
			continue
		}
		switch {
		case c.NoneKnown && o.NoneKnown:
			return Invalidf("the chart already says no known allergies (%s)", o.ID)
		case c.NoneKnown:
			return Invalidf("the chart has an active allergy to %s (%s): \"no known allergies\" cannot stand beside it; resolve the allergy first if it was entered in error", o.Substance, o.ID)
		case o.NoneKnown:
			return Invalidf("the chart says no known allergies (%s): resolve that entry first, then record the allergy to %s", o.ID, c.Substance)
		case strings.EqualFold(o.Substance, c.Substance):
			return Invalidf("an allergy to %s is already recorded (%s)", o.Substance, o.ID)
		}
	}
	return nil
}

func checkProblem(c *ChartEntry, now time.Time, p Patient) error {
	c.Text, c.Code = strings.TrimSpace(c.Text), strings.TrimSpace(c.Code)
	c.Substance, c.Reaction, c.Severity, c.NoneKnown, c.Dose, c.Start, c.Stop = "", "", "", false, "", time.Time{}, time.Time{}
	if c.Code != "" {
		set, err := problemCodes.Set()
		if err != nil {
			return fmt.Errorf("open the ICD-10-CM code set: %w", err)
		}
		code, err := set.Lookup(c.Code)
		if err != nil {
			return Invalidf("%v", err)
		}
		if !code.Assignable() {
			return Invalidf("%s (%s) is a category, not a code a problem may carry: choose one of the codes under it", code.Code, code.Short)
		}
		c.Code, c.CodeSystem = code.Code, problemCodeSystemICD10CM
		if c.Text == "" {
			c.Text = code.Long
		}
		c.Chronic = c.Chronic || code.Chronic == codeset.Chronic
	}
	if c.Text == "" {
		return Invalidf("give the problem, in words or as an ICD-10-CM code")
	}
	return checkDate("onset", c.Onset, now, p)
}

func checkMedication(c *ChartEntry, now time.Time, p Patient) error {
	c.Text, c.Dose = strings.TrimSpace(c.Text), strings.TrimSpace(c.Dose)
	c.Substance, c.Reaction, c.Severity, c.NoneKnown, c.Code, c.CodeSystem, c.Chronic, c.Onset = "", "", "", false, "", "", false, time.Time{}
	switch {
	case c.Text == "":
		return Invalidf("give the medication")
	case c.Start.IsZero():
		return Invalidf("give the date %s was started", c.Text)
	case !c.Stop.IsZero() && c.Stop.Before(c.Start):
		return Invalidf("the stop date %s is before the start date %s", c.Stop.Format(time.DateOnly), c.Start.Format(time.DateOnly))
	}
	return checkDate("start date", c.Start, now, p)
}

// changeable checks the role (PermSummaryWrite) for act and opens an
// entry for a change, in a chart the user may open. The context returned
// is the role check's.
func (cs ChartSummary) changeable(ctx context.Context, id string, act Action) (context.Context, ChartEntry, Patient, error) {
	ctx, err := cs.s.require(ctx, PermSummaryWrite, act, "")
	if err != nil {
		return ctx, ChartEntry{}, Patient{}, err
	}
	c, err := cs.load(ctx, id)
	if err != nil {
		return ctx, ChartEntry{}, Patient{}, err
	}
	p, _, err := cs.s.charts.chartOf(ctx, c.PatientID)
	if err != nil {
		return ctx, ChartEntry{}, Patient{}, fmt.Errorf("chart of %s %s: %w", c.Section, c.ID, err)
	}
	if err := cs.s.charts.canOpen(ctx, p, act); err != nil {
		return ctx, ChartEntry{}, Patient{}, err
	}
	if c.Ended != nil {
		return ctx, ChartEntry{}, Patient{}, Invalidf("%s %s (%s) is already %s", c.Section, c.ID, c.Title(), c.Status(cs.s.v.now()))
	}
	return ctx, c, p, nil
}

// Resolve takes an entry off the summary: a problem resolved on date (zero:
// today), an allergy or medication that no longer applies, or, with
// inError, any entry that was never true. The entry stays in the history.
func (cs ChartSummary) Resolve(ctx context.Context, id string, date time.Time, reason string, inError bool) (ChartEntry, error) {
	ctx, c, p, err := cs.changeable(ctx, id, ActSummaryResolve)
	if err != nil {
		return ChartEntry{}, err
	}
	now := cs.s.v.now()
	if date = day(date); date.IsZero() {
		date = day(now)
	}
	reason = strings.TrimSpace(reason)
	switch {
	case inError && reason == "":
		return ChartEntry{}, Invalidf("say why the %s was entered in error", c.Section)
	case !c.Onset.IsZero() && date.Before(c.Onset):
		return ChartEntry{}, Invalidf("the resolution date %s is before the onset %s", date.Format(time.DateOnly), c.Onset.Format(time.DateOnly))
	}
	if err := checkDate("resolution date", date, now, p); err != nil {
		return ChartEntry{}, err
	}
	c.Ended = &Ended{Date: date, By: cs.s.User().Name, At: now, Reason: reason, InError: inError}
	return cs.write(ctx, c, c.Version, AuditEvent{Action: ActSummaryResolve, Patient: p.MRN})
}

// StopMedication records the day a medication was stopped (zero: today);
// a day before its start is refused.
func (cs ChartSummary) StopMedication(ctx context.Context, id string, date time.Time) (ChartEntry, error) {
	ctx, c, p, err := cs.changeable(ctx, id, ActMedicationStop)
	if err != nil {
		return ChartEntry{}, err
	}
	now := cs.s.v.now()
	if date = day(date); date.IsZero() {
		date = day(now)
	}
	switch {
	case c.Section != SectionMedication:
		return ChartEntry{}, Invalidf("%s is a %s, not a medication: resolve it instead", c.ID, c.Section)
	case !c.Stop.IsZero() && !c.Stop.After(now):
		return ChartEntry{}, Invalidf("%s was already stopped on %s", c.Text, c.Stop.Format(time.DateOnly))
	case date.Before(c.Start):
		return ChartEntry{}, Invalidf("the stop date %s is before the start date %s", date.Format(time.DateOnly), c.Start.Format(time.DateOnly))
	}
	if err := checkDate("stop date", date, now, p); err != nil {
		return ChartEntry{}, err
	}
	c.Stop = date
	return cs.write(ctx, c, c.Version, AuditEvent{Action: ActMedicationStop, Patient: p.MRN})
}

// List returns a patient's entries of one section, active ones first,
// newest first within; with all, the resolved, stopped and past ones
// too. The read is audited as a chart read.
func (cs ChartSummary) List(ctx context.Context, patientRef string, sec Section, all bool) ([]ChartEntry, error) {
	ctx, p, err := cs.s.charts.open(ctx, PermSummaryRead, ActSummaryRead, patientRef)
	if err != nil {
		return nil, err
	}
	entries, err := cs.entries(ctx, p)
	if err != nil {
		return nil, err
	}
	now := cs.s.v.now()
	out := slices.DeleteFunc(entries, func(c ChartEntry) bool { return c.Section != sec || !all && !c.Active(now) })
	slices.SortStableFunc(out, func(a, b ChartEntry) int {
		if aa, ba := a.Active(now), b.Active(now); aa != ba {
			if aa {
				return -1
			}
			return 1
		}
		return b.Recorded.Compare(a.Recorded)
	})
	return out, cs.auditRead(ctx, p, fmt.Sprintf("%d %s entries", len(out), sec))
}

// Summary returns what the top of the patient's chart shows: the active
// allergies (or "no known allergies"), problems and current medications.
// The read is audited as a chart read.
func (cs ChartSummary) Summary(ctx context.Context, patientRef string) (Summary, error) {
	ctx, p, err := cs.s.charts.open(ctx, PermSummaryRead, ActSummaryRead, patientRef)
	if err != nil {
		return Summary{}, err
	}
	entries, err := cs.entries(ctx, p)
	if err != nil {
		return Summary{}, err
	}
	sum := summarize(p, entries, cs.s.v.now())
	return sum, cs.s.audit(cs.s.charts.readGrant(ctx, p), summaryEvent(p, sum))
}

// summarize sorts chart p's entries into what its summary shows at now.
func summarize(p Patient, entries []ChartEntry, now time.Time) Summary {
	slices.SortStableFunc(entries, func(a, b ChartEntry) int { return b.Recorded.Compare(a.Recorded) })
	sum := Summary{MRN: p.MRN}
	for _, c := range entries {
		switch {
		case !c.Active(now):
		case c.NoneKnown:
			sum.NoKnownAllergies, sum.NoneKnown = true, &c
		case c.Section == SectionAllergy:
			sum.Allergies = append(sum.Allergies, c)
		case c.Section == SectionProblem:
			sum.Problems = append(sum.Problems, c)
		case c.Section == SectionMedication:
			sum.Medications = append(sum.Medications, c)
		}
	}
	return sum
}

// summaryEvent is the audit event of a read of chart p's summary.
func summaryEvent(p Patient, sum Summary) AuditEvent {
	return readEvent(p, fmt.Sprintf("summary: %d allergies, %d problems, %d medications",
		len(sum.Allergies), len(sum.Problems), len(sum.Medications)))
}

// readEvent is the audit event of a read of chart p's summary entries.
func readEvent(p Patient, detail string) AuditEvent {
	return AuditEvent{Action: ActSummaryRead, Patient: p.MRN, Object: "patient/" + p.ID, Detail: detail}
}

func (cs ChartSummary) auditRead(ctx context.Context, p Patient, detail string) error {
	return cs.s.audit(cs.s.charts.readGrant(ctx, p), readEvent(p, detail))
}

// BreakGlass opens, for the rest of the session, the restricted chart a
// summary entry is in, with a reason (as Patients.BreakGlass does), given
// the entry's id. It is refused for an entry in no restricted chart.
func (cs ChartSummary) BreakGlass(ctx context.Context, id, reason string) (Patient, error) {
	return cs.s.charts.breakGlassVia(ctx, reason, func(ctx context.Context) (Patient, string, error) {
		c, err := cs.load(ctx, id)
		if err != nil {
			return Patient{}, "", err
		}
		chart, _, err := cs.s.charts.chartOf(ctx, c.PatientID)
		return chart, fmt.Sprintf("%s %s", c.Section, id), err
	})
}
