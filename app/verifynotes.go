package app

import (
	"context"
	"fmt"
	"time"
)

// NoteCheck is what verify found of the signed notes: how many it
// checked, and how many of them (with their addenda) carry only the older
// form of signature, a content hash, not their author's key signature.
type NoteCheck struct {
	Signed    int
	OlderForm int
}

// checkNotes checks every signed note and its addenda: that what was
// signed is unchanged, that each key signature is the signer's, and that
// the signer could sign notes when they signed. Each failure is a problem
// in words a records manager understands.
func (au Audit) checkNotes(ctx context.Context, r *VerifyReport) {
	en := au.s.Encounters()
	for rec, err := range au.s.records.Heads(ctx, KindEncounter) {
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("the visit record %s cannot be read: it was changed or damaged outside Folio; its note cannot be trusted: restore it from a backup or sync it from the archive", rec.ID))
			continue
		}
		e, err := decodeEncounter(rec)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("visit %s: %s; its note cannot be trusted: restore it from a backup or the archive", rec.ID, noteProblem(err)))
			continue
		}
		if e.Signed == nil || e.Deleted {
			continue
		}
		r.SignedNotes.Signed++
		where := au.visitName(ctx, e)
		e.Addenda, err = en.addenda(ctx, e)
		if err == nil {
			err = sealsIntact(e)
		}
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %s; it cannot be trusted: restore it from a backup or the archive", where, noteProblem(err)))
			continue
		}
		problems, err := au.s.signing.checkNote(ctx, e, e.Addenda)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: its signatures could not be checked: %v", where, err))
			continue
		}
		for _, p := range problems {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %s", where, p))
		}
		if !e.Signed.KeySigned() {
			r.SignedNotes.OlderForm++
		}
	}
}

// visitName names a visit for the records manager: its date, its chart
// and its clinician.
func (au Audit) visitName(ctx context.Context, e Encounter) string {
	mrn := "patient " + e.PatientID
	if p, _, err := au.s.charts.chartOf(ctx, e.PatientID); err == nil {
		mrn = p.MRN
	}
	return fmt.Sprintf("the signed note of the visit of %s (%s, by %s, encounter %s)", e.Time.UTC().Format(time.DateOnly), mrn, e.Clinician, e.ID)
}

// noteProblem says what a failed read of a signed note means.
func noteProblem(err error) string {
	return fmt.Sprintf("it was changed after it was signed (%v)", err)
}
