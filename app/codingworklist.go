package app

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// ActCodingWorklist is the audited read of the coding worklist.
const ActCodingWorklist Action = "coding.worklist"

// WorkItem is one signed encounter on the coding worklist.
type WorkItem struct {
	EncounterID string        `json:"encounter_id"`
	MRN         string        `json:"mrn"`
	Patient     string        `json:"patient,omitempty"` // the patient's name
	Time        time.Time     `json:"time"`
	Type        EncounterType `json:"type"`
	Clinician   string        `json:"clinician"`
	Signed      time.Time     `json:"signed"`
	Status      CodingStatus  `json:"status"`
	Coder       string        `json:"coder,omitempty"`
	Coded       time.Time     `json:"coded,omitzero"`
	// Turnaround is from signing to the latest coding (0 until coded).
	Turnaround time.Duration `json:"turnaround,omitempty"`
}

// Worklist lists the signed encounters in the charts the coder may open,
// with their coding status, oldest signature first; status "" lists all.
// Restricted charts the coder may not open are left out. The read is
// audited.
func (c Coding) Worklist(ctx context.Context, status CodingStatus) ([]WorkItem, error) {
	read := func(ctx context.Context) ([]WorkItem, error) { return c.worklist(ctx, status) }
	return auditedRead(ctx, c.s, PermCode, ActCodingWorklist, read, func(out []WorkItem) AuditEvent {
		return AuditEvent{Detail: fmt.Sprintf("%d encounters %s", len(out), status)}
	})
}

// worklist is Worklist without the role check and the audit (the
// sidebar's counts use it too).
func (c Coding) worklist(ctx context.Context, status CodingStatus) ([]WorkItem, error) {
	byEnc := map[string][]CodingRecord{}
	all, err := c.allCoding(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		byEnc[r.EncounterID] = append(byEnc[r.EncounterID], r)
	}
	var out []WorkItem
	for e, err := range heads(ctx, c.s, KindEncounter, decodeEncounter, stopOnDamaged) {
		if err != nil {
			return nil, err
		}
		if e.Signed == nil || e.Deleted {
			continue
		}
		p, _, err := c.s.charts.chartOf(ctx, e.PatientID)
		if err != nil {
			return nil, fmt.Errorf("chart of encounter %s: %w", e.ID, err)
		}
		if !c.s.charts.mayOpen(p) {
			continue
		}
		hist := byEnc[e.ID]
		slices.SortStableFunc(hist, func(a, b CodingRecord) int { return a.At.Compare(b.At) })
		var cur *CodingRecord
		it := WorkItem{EncounterID: e.ID, MRN: p.MRN, Patient: c.s.charts.nameOf(p), Time: e.Time, Type: e.Type, Clinician: e.Clinician,
			Signed: e.Signed.At, Status: codingStatus(hist, &cur)}
		if cur != nil {
			it.Coder, it.Coded, it.Turnaround = cur.By, cur.At, cur.At.Sub(e.Signed.At)
		}
		if status == "" || it.Status == status {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b WorkItem) int { return a.Signed.Compare(b.Signed) })
	return out, nil
}
