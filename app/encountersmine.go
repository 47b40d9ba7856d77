package app

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// UnsignedNote is one of the signed-in clinician's notes still a draft.
type UnsignedNote struct {
	EncounterID string        `json:"encounter_id"`
	MRN         string        `json:"mrn"`
	Patient     string        `json:"patient,omitempty"` // the patient's name
	Time        time.Time     `json:"time"`              // the date of service
	Type        EncounterType `json:"type"`
	Changed     time.Time     `json:"changed"` // the draft's last save
}

// Unsigned lists the signed-in clinician's own unsigned notes (drafts not
// deleted), oldest date of service first, for their worklist. The read is
// audited.
func (en Encounters) Unsigned(ctx context.Context) ([]UnsignedNote, error) {
	ctx, err := en.s.require(ctx, PermEncounterWrite, ActEncounterList, "")
	if err != nil {
		return nil, err
	}
	out, err := en.unsigned(ctx)
	if err != nil {
		return nil, err
	}
	return out, en.s.audit(ctx, AuditEvent{Action: ActEncounterList, Detail: fmt.Sprintf("%d unsigned notes of %s", len(out), en.s.User().Name)})
}

// unsigned is Unsigned without the role check and the audit.
func (en Encounters) unsigned(ctx context.Context) ([]UnsignedNote, error) {
	me := en.s.User().Name
	// The drafts are found through their index term (enc:draft), not by
	// reading every encounter: the sidebar counts them on each screen.
	if err := en.s.Completion().ensureIndex(ctx); err != nil {
		return nil, err
	}
	ids, err := en.s.charts.lookup(ctx, "enc:draft")
	if err != nil {
		return nil, err
	}
	var out []UnsignedNote
	for _, id := range ids {
		rec, err := en.s.records.Head(ctx, KindEncounter, id)
		if err != nil {
			return nil, fmt.Errorf("encounter %s: %w", id, err)
		}
		e, err := decodeEncounter(rec)
		if err != nil {
			return nil, err
		}
		if e.Clinician != me || e.Signed != nil || e.Deleted {
			continue
		}
		p, _, err := en.s.charts.chartOf(ctx, e.PatientID)
		if err != nil {
			return nil, fmt.Errorf("chart of encounter %s: %w", e.ID, err)
		}
		out = append(out, UnsignedNote{EncounterID: e.ID, MRN: p.MRN, Patient: en.s.charts.nameOf(p), Time: e.Time, Type: e.Type, Changed: e.Changed})
	}
	slices.SortStableFunc(out, func(a, b UnsignedNote) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// nameOf is the patient's name for a worklist row, or "" for a restricted
// chart the user may not open (its MRN alone shows).
func (ch charts) nameOf(p Patient) string {
	if !ch.mayOpen(p) {
		return ""
	}
	return p.FullName()
}
