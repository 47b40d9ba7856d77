package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The rules of record completion. Each looks at one record and returns
// its deficiency, or nil. A deficiency starts with an act (the visit, the
// signature, the discharge, the filing, the coding), opens when the
// rule's threshold has passed since (Thresholds), and is due DueDays
// later. It closes by itself at the time of the act that completes the
// record; a record completed before its threshold passed never had one.
// Everything a rule reads is in the synced records, and the times it
// uses are the records' own, so every workstation finds the same
// deficiencies at the same clock.
//
//   - unsigned-note: an encounter's note (its draft) not signed
//     UnsignedNoteHours after the date of service; closes when signed. The
//     note's author completes it. A deleted draft has none.
//   - no-principal-diagnosis: a signed encounter without a principal
//     diagnosis UncodedHours after its signature; closes when codes are
//     first assigned. The coder who holds it completes it — the coder who
//     queried the clinician last — else the records department.
//   - no-discharge-summary: an admission whose discharge (the chart's
//     first discharge encounter at or after the admission, before the
//     next admission) has no discharge summary DischargeSummaryHours after
//     the discharge's date and time. The summary is the discharge
//     encounter's signed note, or a document of type discharge-summary
//     linked to the admission or the discharge, or filed in the chart with
//     a date of service on or after the admission's day; it closes at the
//     earliest of these. The discharging clinician completes it. An
//     admission with no discharge encounter yet is a stay still going on:
//     it has none.
//   - qa-pending: a filed document chosen for QA not checked QAHours after
//     it was filed (its last change, which is its filing while it waits
//     for QA). The records department completes it; a document sent back
//     to indexing waits for filing, not QA, and has none. A document
//     keeps no time of filing once verified, so its closed deficiency is
//     not reported.
//   - no-consent: an encounter coded with a procedure (its current codes)
//     without a document of type consent linked to it, or filed in the
//     chart with the encounter's date of service, ConsentHours after the
//     procedure was coded. It closes when the consent is filed (a linked
//     one: when the later of the document and the encounter last
//     changed, which is when it was linked or after). The encounter's
//     clinician completes it.

// The document types the rules look for.
const (
	docTypeConsent          = "consent"
	docTypeDischargeSummary = "discharge-summary"
)

// found returns the deficiency of a record whose work started at start,
// the threshold being hours, completed at done (zero: not yet), or nil
// when there is none at the run's time (or, when the run wants only open
// ones, none open).
func (r *completionRun) found(rule DeficiencyRule, id string, chart Patient, start time.Time, hours int, done time.Time) *Deficiency {
	opened := start.Add(time.Duration(hours) * time.Hour).UTC()
	switch {
	case r.now.Before(opened):
		return nil
	case !done.IsZero() && !done.After(opened):
		return nil
	case r.openOnly && !done.IsZero():
		return nil
	}
	d := &Deficiency{ID: string(rule) + "/" + id, Rule: rule, PatientID: chart.ID, MRN: chart.MRN,
		Opened: opened, Due: opened.AddDate(0, 0, r.th.DueDays)}
	if done.IsZero() {
		d.Age, d.Overdue = r.now.Sub(opened), r.now.After(d.Due)
	} else {
		d.Closed = done.UTC()
		d.Age = d.Closed.Sub(opened)
	}
	return d
}

// stampOf is a time as a sentence shows it, in the offset it was
// recorded with.
func stampOf(t time.Time) string { return t.Format("2006-01-02 15:04") }

// visitLabel names an encounter in a sentence: "the outpatient visit of
// 2026-11-02 09:30" (in the offset it was recorded with).
func visitLabel(e Encounter) string {
	return "the " + strings.ToLower(e.Type.Label()) + " of " + stampOf(e.Time)
}

// unsignedNote is the unsigned-note rule.
func (r *completionRun) unsignedNote(e Encounter, chart Patient) *Deficiency {
	if e.Deleted {
		return nil
	}
	var done time.Time
	if e.Signed != nil {
		done = e.Signed.At
	}
	d := r.found(RuleUnsignedNote, e.ID, chart, e.Time, r.th.UnsignedNoteHours, done)
	if d != nil {
		d.EncounterID, d.Assignee = e.ID, e.Clinician
		d.What = fmt.Sprintf("The note of %s is not signed: %s signs it (folio encounter sign %s).", visitLabel(e), e.Clinician, e.ID)
		if !d.IsOpen() {
			d.What = fmt.Sprintf("The note of %s was signed late, on %s.", visitLabel(e), stampOf(done))
		}
	}
	return d
}

// uncoded is the no-principal-diagnosis rule.
func (r *completionRun) uncoded(ctx context.Context, e Encounter, chart Patient) (*Deficiency, error) {
	if e.Deleted || e.Signed == nil {
		return nil, nil
	}
	hist, err := r.codingOf(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	var done time.Time
	holder := ""
	for _, h := range hist {
		switch {
		case h.What == CodingCodes && len(h.Diagnoses) > 0 && done.IsZero():
			done = h.At
		case h.What == CodingQuery:
			holder = h.By
		}
	}
	d := r.found(RuleUncoded, e.ID, chart, e.Signed.At, r.th.UncodedHours, done)
	if d != nil {
		d.EncounterID, d.Assignee = e.ID, holder
		d.What = fmt.Sprintf("%s, signed by %s, has no principal diagnosis: code it (folio code assign %s).", capitalise(visitLabel(e)), e.Clinician, e.ID)
		if !d.IsOpen() {
			d.What = fmt.Sprintf("%s had no principal diagnosis until it was coded on %s.", capitalise(visitLabel(e)), stampOf(done))
		}
	}
	return d, nil
}

// discharge returns the discharge of an admission: the chart's first
// discharge encounter at or after it, before the next admission.
func (r *completionRun) discharge(ctx context.Context, a Encounter, chart Patient) (Encounter, bool, error) {
	admissions, err := r.chartEncounters(ctx, chart, "enc:type:"+string(EncAdmission))
	if err != nil {
		return Encounter{}, false, err
	}
	discharges, err := r.chartEncounters(ctx, chart, "enc:type:"+string(EncDischarge))
	if err != nil {
		return Encounter{}, false, err
	}
	end := time.Time{} // the next admission
	for _, b := range admissions {
		if b.ID != a.ID && b.Time.After(a.Time) && (end.IsZero() || b.Time.Before(end)) {
			end = b.Time
		}
	}
	var found Encounter
	ok := false
	for _, d := range discharges {
		if d.Time.Before(a.Time) || (!end.IsZero() && !d.Time.Before(end)) {
			continue
		}
		if !ok || d.Time.Before(found.Time) || (d.Time.Equal(found.Time) && d.ID < found.ID) {
			found, ok = d, true
		}
	}
	return found, ok, nil
}

// dischargeSummary is the no-discharge-summary rule.
func (r *completionRun) dischargeSummary(ctx context.Context, a Encounter, chart Patient) (*Deficiency, error) {
	if a.Deleted || a.Type != EncAdmission {
		return nil, nil
	}
	dis, ok, err := r.discharge(ctx, a, chart)
	if err != nil || !ok {
		return nil, err
	}
	var done time.Time
	if dis.Signed != nil {
		done = dis.Signed.At
	}
	if r.openOnly && !done.IsZero() {
		return nil, nil
	}
	linked, err := r.documents(ctx, append(slices.Clone(a.Documents), dis.Documents...))
	if err != nil {
		return nil, err
	}
	for _, d := range linked {
		if d.Type == docTypeDischargeSummary {
			done = earliest(done, latest(d.Changed, a.Changed, dis.Changed))
		}
	}
	if r.openOnly && !done.IsZero() {
		return nil, nil
	}
	filed, err := r.filedDocs(ctx, chart)
	if err != nil {
		return nil, err
	}
	day := a.Time.Format(time.DateOnly)
	for _, d := range filed {
		if d.Type == docTypeDischargeSummary && !d.Date.IsZero() && d.Date.Format(time.DateOnly) >= day {
			done = earliest(done, d.Changed)
		}
	}
	def := r.found(RuleDischargeSummary, a.ID, chart, dis.Time, r.th.DischargeSummaryHours, done)
	if def != nil {
		def.EncounterID, def.Assignee = a.ID, dis.Clinician
		def.What = fmt.Sprintf("The admission of %s has no discharge summary since the discharge of %s: %s signs the discharge note (folio encounter sign %s) or the summary is filed.",
			stampOf(a.Time), stampOf(dis.Time), dis.Clinician, dis.ID)
		if !def.IsOpen() {
			def.What = fmt.Sprintf("The admission of %s had no discharge summary until %s.", stampOf(a.Time), stampOf(done))
		}
	}
	return def, nil
}

// qaPending is the qa-pending rule.
func (r *completionRun) qaPending(d Document, chart Patient) *Deficiency {
	if d.Status != DocIndexed || !d.QA {
		return nil
	}
	def := r.found(RuleQAPending, d.ID, chart, d.Changed, r.th.QAHours, time.Time{})
	if def != nil {
		def.DocumentID = d.ID
		def.What = fmt.Sprintf("The %s filed by %s waits for QA: a second person checks it (folio doc verify %s).", docLabel(d), d.ChangedBy, d.ID)
	}
	return def
}

// noConsent is the no-consent rule.
func (r *completionRun) noConsent(ctx context.Context, e Encounter, chart Patient) (*Deficiency, error) {
	if e.Deleted || e.Signed == nil {
		return nil, nil
	}
	hist, err := r.codingOf(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	// The current codes, and since when they have had procedures.
	var cur *CodingRecord
	var since time.Time
	for i, h := range hist {
		if h.What != CodingCodes {
			continue
		}
		switch {
		case len(h.Procedures) == 0:
			since = time.Time{}
		case since.IsZero():
			since = h.At
		}
		cur = &hist[i]
	}
	if cur == nil || len(cur.Procedures) == 0 {
		return nil, nil
	}
	var done time.Time
	linked, err := r.documents(ctx, e.Documents)
	if err != nil {
		return nil, err
	}
	for _, d := range linked {
		if d.Type == docTypeConsent {
			done = earliest(done, latest(d.Changed, e.Changed))
		}
	}
	if r.openOnly && !done.IsZero() {
		return nil, nil
	}
	filed, err := r.filedDocs(ctx, chart)
	if err != nil {
		return nil, err
	}
	for _, d := range filed {
		if d.Type == docTypeConsent && !d.Date.IsZero() && sameDay(d.Date, e.Time) {
			done = earliest(done, d.Changed)
		}
	}
	def := r.found(RuleNoConsent, e.ID, chart, since, r.th.ConsentHours, done)
	if def != nil {
		codes := make([]string, len(cur.Procedures))
		for i, p := range cur.Procedures {
			codes[i] = p.Code
		}
		def.EncounterID, def.Assignee = e.ID, e.Clinician
		def.What = fmt.Sprintf("The procedure %s coded on %s has no consent on the chart: file the signed consent and link it (folio encounter link %s DOCUMENT).",
			strings.Join(codes, ", "), visitLabel(e), e.ID)
		if !def.IsOpen() {
			def.What = fmt.Sprintf("The procedure %s coded on %s had no consent on the chart until %s.", strings.Join(codes, ", "), visitLabel(e), stampOf(done))
		}
	}
	return def, nil
}

// earliest is the earlier of two times, a zero time counting as none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// latest is the latest of the times.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// capitalise makes the first letter of a sentence upper case.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
