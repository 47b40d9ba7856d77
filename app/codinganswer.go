package app

import (
	"context"
	"fmt"
	"strings"
)

// Answer answers a coding query as the clinician it was sent to (the
// encounter's author). Anyone else is refused (NotAddresseeError).
func (c Coding) Answer(ctx context.Context, queryID, text string) (CodingRecord, error) {
	return c.answer(ctx, queryID, text, "")
}

// AnswerOnBehalf answers a coding query as a records manager, for the
// clinician it was sent to (on leave, gone), with a note saying why; the
// note is kept with the answer and in the audit trail.
func (c Coding) AnswerOnBehalf(ctx context.Context, queryID, text, note string) (CodingRecord, error) {
	if note = strings.TrimSpace(note); note == "" {
		return CodingRecord{}, Invalidf("say why you answer for the clinician (a note such as \"Dr X on leave; answer from the discharge summary\")")
	}
	return c.answer(ctx, queryID, text, note)
}

// NotAddresseeError refuses an answer to a coding query by someone other
// than the clinician it was sent to; its text is the sentence to show. It
// is an ErrForbidden.
type NotAddresseeError struct{ Clinician string }

func (e *NotAddresseeError) Error() string {
	return fmt.Sprintf("this query was sent to %s: only %s may answer it, or a records manager on their behalf with a note (folio code answer --on-behalf NOTE)", e.Clinician, e.Clinician)
}

// Unwrap makes a NotAddresseeError an ErrForbidden.
func (e *NotAddresseeError) Unwrap() error { return ErrForbidden }

// answer writes the answer; onBehalf is the records manager's note, ""
// for the clinician's own answer.
func (c Coding) answer(ctx context.Context, queryID, text, onBehalf string) (CodingRecord, error) {
	perm := PermEncounterWrite
	if onBehalf != "" {
		perm = PermCompletionAll
	}
	ctx, err := c.s.require(ctx, perm, ActCodingAnswer, "")
	if err != nil {
		return CodingRecord{}, err
	}
	rec, err := c.s.records.Head(ctx, KindCoding, strings.TrimSpace(queryID))
	if err != nil {
		return CodingRecord{}, fmt.Errorf("query %s: %w", queryID, err)
	}
	q, err := decodeCoding(rec)
	if err != nil {
		return CodingRecord{}, err
	}
	if q.What != CodingQuery {
		return CodingRecord{}, Invalidf("%s is not a coding query: give the query's id (folio code status ENCOUNTER lists them)", queryID)
	}
	e, p, err := c.signedEncounter(ctx, q.EncounterID, ActCodingAnswer)
	if err != nil {
		return CodingRecord{}, err
	}
	if onBehalf == "" && e.Clinician != c.s.User().Name {
		_ = c.s.audit(ctx, AuditEvent{Action: ActCodingAnswer, Patient: p.MRN, Object: "encounter/" + e.ID, Outcome: OutcomeDenied,
			Detail: "query/" + q.ID + ": not the clinician it was sent to"})
		return CodingRecord{}, &NotAddresseeError{Clinician: e.Clinician}
	}
	hist, err := c.history(ctx, q.EncounterID)
	if err != nil {
		return CodingRecord{}, err
	}
	for _, h := range hist {
		if h.What == CodingAnswer && h.QueryID == q.ID {
			return CodingRecord{}, Invalidf("query %s was answered by %s on %s", q.ID, h.By, h.At.Format("2006-01-02 15:04"))
		}
	}
	if text = strings.TrimSpace(text); text == "" {
		return CodingRecord{}, Invalidf("the answer is empty: write the reply to the coder")
	}
	r := CodingRecord{ID: newID(), EncounterID: q.EncounterID, PatientID: q.PatientID, What: CodingAnswer, Text: text, QueryID: q.ID, OnBehalf: onBehalf}
	detail := "query/" + q.ID
	if onBehalf != "" {
		detail += " for " + e.Clinician + ": " + onBehalf
	}
	return r, c.write(ctx, &r, p, ActCodingAnswer, detail)
}
