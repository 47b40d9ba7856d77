package app

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// ActCodingQueries is the audited read of a clinician's open queries.
const ActCodingQueries Action = "coding.queries"

// OpenQuery is a coder's query not answered yet, on an encounter the
// signed-in clinician wrote.
type OpenQuery struct {
	ID          string    `json:"id"`
	EncounterID string    `json:"encounter_id"`
	MRN         string    `json:"mrn"`
	Patient     string    `json:"patient,omitempty"` // the patient's name
	Time        time.Time `json:"time"`              // the encounter's date of service
	Text        string    `json:"text"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// Queries lists the coders' queries waiting for the signed-in clinician's
// answer (on encounters they wrote), oldest first. The read is audited.
func (c Coding) Queries(ctx context.Context) ([]OpenQuery, error) {
	return auditedRead(ctx, c.s, PermEncounterWrite, ActCodingQueries, c.openQueries, func(out []OpenQuery) AuditEvent {
		return AuditEvent{Detail: fmt.Sprintf("%d open queries", len(out))}
	})
}

// openQueries is Queries without the role check and the audit (the
// sidebar's counts use it too).
func (c Coding) openQueries(ctx context.Context) ([]OpenQuery, error) {
	var queries []CodingRecord
	answered := map[string]bool{}
	all, err := c.allCoding(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		switch r.What {
		case CodingQuery:
			queries = append(queries, r)
		case CodingAnswer:
			answered[r.QueryID] = true
		}
	}
	me := c.s.User().Name
	var out []OpenQuery
	for _, q := range queries {
		if answered[q.ID] {
			continue
		}
		rec, err := c.s.records.Head(ctx, KindEncounter, q.EncounterID)
		if err != nil {
			return nil, fmt.Errorf("encounter %s of query %s: %w", q.EncounterID, q.ID, err)
		}
		e, err := decodeEncounter(rec)
		if err != nil {
			return nil, err
		}
		if e.Clinician != me {
			continue
		}
		p, _, err := c.s.charts.chartOf(ctx, e.PatientID)
		if err != nil {
			return nil, fmt.Errorf("chart of encounter %s: %w", e.ID, err)
		}
		out = append(out, OpenQuery{ID: q.ID, EncounterID: e.ID, MRN: p.MRN, Patient: c.s.charts.nameOf(p), Time: e.Time, Text: q.Text, By: q.By, At: q.At})
	}
	slices.SortStableFunc(out, func(a, b OpenQuery) int { return a.At.Compare(b.At) })
	return out, nil
}
