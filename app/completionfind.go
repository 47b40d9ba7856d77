package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file finds the records the completion rules look at, and reads
// each of them once per computation.
//
// A worklist (everyOpen) needs only the open deficiencies, so it starts
// from the blind index, not from every record of the vault: drafts
// (enc:draft), signed encounters (enc:signed) less those with a principal
// diagnosis (coding:coded:ENCOUNTER, an index lookup per signed
// encounter, nothing decrypted), admissions (enc:type:admission),
// documents waiting for QA (doc:qa) and encounters coded with procedures
// (coding:procedures); it decrypts only those records and what their rule
// reads. A rule whose record is completed returns nothing in that mode as
// soon as it knows, so a completed record costs little. A chart's
// completion (chart) reads all of that chart's encounters and documents,
// and reports the closed deficiencies too. Both go through the same rule
// functions (completionrules.go), so they agree on what is open.

// completionRun is one computation of deficiencies: the thresholds, the
// time it is computed at, and the records it read.
type completionRun struct {
	s        *Session
	th       Thresholds
	now      time.Time
	openOnly bool // only open deficiencies are wanted

	encounters map[string]Encounter
	coding     map[string][]CodingRecord // by encounter
	chartDocs  map[string][]Document     // filed documents, by chart
	terms      map[string][]string       // index lookups
}

func newCompletionRun(s *Session, th Thresholds, now time.Time, openOnly bool) *completionRun {
	return &completionRun{s: s, th: th, now: now, openOnly: openOnly, encounters: map[string]Encounter{},
		coding: map[string][]CodingRecord{}, chartDocs: map[string][]Document{}, terms: map[string][]string{}}
}

// lookup returns the ids the index holds for a term.
func (r *completionRun) lookup(ctx context.Context, term string) ([]string, error) {
	if ids, ok := r.terms[term]; ok {
		return ids, nil
	}
	ids, err := r.s.charts.lookup(ctx, term)
	if err != nil {
		return nil, err
	}
	r.terms[term] = ids
	return ids, nil
}

// encounter reads an encounter's current version.
func (r *completionRun) encounter(ctx context.Context, id string) (Encounter, error) {
	if e, ok := r.encounters[id]; ok {
		return e, nil
	}
	e, err := readHead(ctx, r.s, KindEncounter, id, decodeEncounter)
	if err != nil {
		return Encounter{}, err
	}
	r.encounters[id] = e
	return e, nil
}

// codingOf reads an encounter's coding acts, oldest first.
func (r *completionRun) codingOf(ctx context.Context, encounterID string) ([]CodingRecord, error) {
	if h, ok := r.coding[encounterID]; ok {
		return h, nil
	}
	h, err := codingHistory(ctx, r.s, encounterID)
	if err != nil {
		return nil, err
	}
	r.coding[encounterID] = h
	return h, nil
}

// chartEncounters reads the chart's encounters the index holds under
// term as well ("" for all of them), in id order.
func (r *completionRun) chartEncounters(ctx context.Context, chart Patient, term string) ([]Encounter, error) {
	var want []string
	if term != "" {
		ids, err := r.lookup(ctx, term)
		if err != nil {
			return nil, err
		}
		want = ids
	}
	var out []Encounter
	for _, pid := range chartIDs(chart) {
		ids, err := r.lookup(ctx, "enc:pat:"+pid)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if term != "" {
				if _, ok := slices.BinarySearch(want, id); !ok {
					continue
				}
			}
			e, err := r.encounter(ctx, id)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// documents reads documents by id through the document guard, leaving
// out those the user may not see, those not filed, and those not here
// (a document linked on another workstation whose record has not
// arrived yet).
func (r *completionRun) documents(ctx context.Context, ids []string) ([]Document, error) {
	var out []Document
	for _, id := range ids {
		docs, _, err := r.s.docs.visible(ctx, []string{id})
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
	}
	return slices.DeleteFunc(out, func(d Document) bool { return d.Status != DocIndexed && d.Status != DocVerified }), nil
}

// filedDocs reads the documents filed in the chart.
func (r *completionRun) filedDocs(ctx context.Context, chart Patient) ([]Document, error) {
	if docs, ok := r.chartDocs[chart.ID]; ok {
		return docs, nil
	}
	var ids []string
	for _, pid := range chartIDs(chart) {
		more, err := r.lookup(ctx, "doc:pat:"+pid)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	docs, err := r.documents(ctx, ids)
	if err != nil {
		return nil, err
	}
	r.chartDocs[chart.ID] = docs
	return docs, nil
}

// chartOf returns the chart a patient id's records are in, and whether
// the user may open it.
func (r *completionRun) chartOf(ctx context.Context, patientID string) (Patient, bool, error) {
	p, ok, err := r.s.charts.chartOf(ctx, patientID)
	if err != nil {
		return Patient{}, false, fmt.Errorf("chart of patient record %s: %w", patientID, err)
	}
	return p, ok, nil
}

// chart finds every deficiency of one chart, open and closed.
func (r *completionRun) chart(ctx context.Context, chart Patient) ([]Deficiency, error) {
	encs, err := r.chartEncounters(ctx, chart, "")
	if err != nil {
		return nil, err
	}
	var out []Deficiency
	for _, e := range encs {
		ds, err := r.encounterRules(ctx, e, chart)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	docs, err := r.filedDocs(ctx, chart)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if def := r.qaPending(d, chart); def != nil {
			out = append(out, *def)
		}
	}
	return out, nil
}

// encounterRules applies every rule about one encounter.
func (r *completionRun) encounterRules(ctx context.Context, e Encounter, chart Patient) ([]Deficiency, error) {
	var out []Deficiency
	add := func(d *Deficiency, err error) error {
		if d != nil {
			out = append(out, *d)
		}
		return err
	}
	if err := add(r.unsignedNote(e, chart), nil); err != nil {
		return nil, err
	}
	if err := add(r.uncoded(ctx, e, chart)); err != nil {
		return nil, err
	}
	if err := add(r.dischargeSummary(ctx, e, chart)); err != nil {
		return nil, err
	}
	if err := add(r.noConsent(ctx, e, chart)); err != nil {
		return nil, err
	}
	return out, nil
}

// everyOpen finds the open deficiencies of every chart the user may
// open, starting from the index (see the top of this file).
func (r *completionRun) everyOpen(ctx context.Context) ([]Deficiency, error) {
	var out []Deficiency
	unsigned := func(_ context.Context, e Encounter, chart Patient) (*Deficiency, error) {
		return r.unsignedNote(e, chart), nil
	}
	coded := func(id string) (bool, error) {
		ids, err := r.s.charts.lookup(ctx, "coding:coded:"+id)
		return len(ids) > 0, err
	}
	for _, c := range []struct {
		term string
		skip func(id string) (bool, error)
		rule func(context.Context, Encounter, Patient) (*Deficiency, error)
	}{
		{"enc:draft", nil, unsigned},
		{"enc:signed", coded, r.uncoded},
		{"enc:type:" + string(EncAdmission), nil, r.dischargeSummary},
		{"coding:procedures", nil, r.noConsent},
	} {
		ids, err := r.lookup(ctx, c.term)
		if c.term == "coding:procedures" && err == nil {
			ids, err = r.procedureEncounters(ctx, ids)
		}
		if err != nil {
			return nil, err
		}
		ds, err := r.byEncounter(ctx, ids, c.skip, c.rule)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	qa, err := r.lookup(ctx, "doc:qa")
	if err != nil {
		return nil, err
	}
	docs, err := r.documents(ctx, qa)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		chart, _, err := r.s.docs.chart(ctx, d)
		if err != nil {
			return nil, err
		}
		if def := r.qaPending(d, chart); def != nil {
			out = append(out, *def)
		}
	}
	return out, nil
}

// byEncounter applies one rule to the encounters given, in the charts
// the user may open, but to those skip says to leave out.
func (r *completionRun) byEncounter(ctx context.Context, ids []string, skip func(id string) (bool, error),
	rule func(context.Context, Encounter, Patient) (*Deficiency, error)) ([]Deficiency, error) {
	var out []Deficiency
	for _, id := range ids {
		if skip != nil {
			yes, err := skip(id)
			if err != nil {
				return nil, err
			}
			if yes {
				continue
			}
		}
		e, err := r.encounter(ctx, id)
		if err != nil {
			return nil, err
		}
		chart, ok, err := r.chartOf(ctx, e.PatientID)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		d, err := rule(ctx, e, chart)
		if err != nil {
			return nil, err
		}
		if d != nil {
			out = append(out, *d)
		}
	}
	return out, nil
}

// procedureEncounters returns the encounters of coding acts with
// procedures (those under coding:procedures), each once, in id order.
func (r *completionRun) procedureEncounters(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		c, err := readHead(ctx, r.s, KindCoding, id, decodeCoding)
		if err != nil {
			return nil, err
		}
		out = append(out, c.EncounterID)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// sameDay reports whether two times fall on the same calendar day, each
// in the offset it was recorded with (so every workstation agrees,
// whatever its own time zone).
func sameDay(a, b time.Time) bool {
	return a.Format(time.DateOnly) == b.Format(time.DateOnly)
}

// docLabel names a document for the sentence of a deficiency: "consent of
// 2026-11-02".
func docLabel(d Document) string {
	date := "no date"
	if !d.Date.IsZero() {
		date = d.Date.Format(time.DateOnly)
	}
	return strings.ToLower(DocTypeLabel(d.Type)) + " of " + date
}
