package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// KindCoding is the record of one act of coding on a signed encounter:
// codes assigned, a query to the clinician, or its answer. Each is
// written once and never changed, indexed under its encounter (as an
// addendum is), so coding done on one workstation while the clinician
// answers on another is all kept, without a conflict; the encounter's
// coding is the latest assignment.
const KindCoding Kind = "coding"

// The audited acts of coding.
const (
	ActCodingAssign Action = "coding.assign"
	ActCodingQuery  Action = "coding.query"
	ActCodingAnswer Action = "coding.answer"
	ActCodingRead   Action = "coding.read"
)

// What a coding record holds.
const (
	CodingCodes  = "codes"
	CodingQuery  = "query"
	CodingAnswer = "answer"
)

// Diagnosis is one diagnosis code of an encounter, with the system and
// version it was chosen from; the first is the principal diagnosis. POA is
// the present-on-admission indicator of an admission's diagnosis, empty
// where the code is exempt (POAExempt) or the encounter no admission.
type Diagnosis struct {
	System      string `json:"system"`
	Version     string `json:"version"`
	Code        string `json:"code"`
	Description string `json:"description"`
	Principal   bool   `json:"principal,omitempty"`
	POA         string `json:"poa,omitempty"`
	POAExempt   bool   `json:"poa_exempt,omitempty"`
}

// Procedure is one procedure code: from the organisation's list, or a
// bare CPT code.
type Procedure struct {
	System      string `json:"system"` // ProcedureSystem or CPTSystem
	Code        string `json:"code"`
	Description string `json:"description,omitempty"` // from the list; none for CPT
}

// Override is an edit the coder overrode, and why.
type Override struct {
	Edit   string `json:"edit"`
	Reason string `json:"reason"`
}

// CodingRecord is one act of coding on an encounter (What: CodingCodes,
// CodingQuery or CodingAnswer).
type CodingRecord struct {
	ID          string      `json:"id"`
	EncounterID string      `json:"encounter_id"`
	PatientID   string      `json:"patient_id"`
	What        string      `json:"what"`
	Diagnoses   []Diagnosis `json:"diagnoses,omitempty"`
	Procedures  []Procedure `json:"procedures,omitempty"`
	Overrides   []Override  `json:"overrides,omitempty"`
	Text        string      `json:"text,omitempty"`     // a query's question, an answer's reply
	QueryID     string      `json:"query_id,omitempty"` // the query an answer answers
	// OnBehalf is the note of a records manager who answered a query for
	// the clinician it was sent to (codinganswer.go).
	OnBehalf string    `json:"on_behalf,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// CodingStatus is where an encounter is in coding.
type CodingStatus string

// The coding statuses of a signed encounter.
const (
	CodingWaiting CodingStatus = "waiting" // signed, not coded yet
	CodingCoded   CodingStatus = "coded"
	CodingQueried CodingStatus = "queried" // a query to the clinician is not answered yet
)

// EncounterCoding is an encounter's coding: its status, the codes in force
// (the latest assignment), and every act of coding, oldest first.
type EncounterCoding struct {
	EncounterID string         `json:"encounter_id"`
	MRN         string         `json:"mrn"`
	Clinician   string         `json:"clinician"`
	Signed      time.Time      `json:"signed"`
	Status      CodingStatus   `json:"status"`
	Current     *CodingRecord  `json:"current,omitempty"` // nil until coded
	History     []CodingRecord `json:"history"`
}

// Coding codes signed encounters: a coder assigns diagnosis and procedure
// codes, checked by the edits of codingedits.go, or queries the clinician,
// who answers. Coders (records) code; clinicians answer.
type Coding struct {
	s     *Session
	codes CodeSet
}

// Coding returns the session's coding service over the code set given.
func (s *Session) Coding(codes CodeSet) Coding { return Coding{s, codes} }

// Assignment is what a coder assigns: diagnosis codes, the principal
// first, each with its present-on-admission indicator for an admission
// (POA, by position; missing ones take DefaultPOA), procedure codes, and
// the reason for overriding the edits the codes fail, if any.
type Assignment struct {
	Diagnoses  []string
	POA        []string
	DefaultPOA string
	Procedures []string
	Override   string
}

// EditsError lists the edits an assignment fails; given a reason
// (Assignment.Override), the coder assigns the codes anyway.
type EditsError struct{ Edits []string }

func (e *EditsError) Error() string {
	return fmt.Sprintf("%s: %s; if the codes are right, override with the reason", ErrInvalid, strings.Join(e.Edits, "; "))
}

// Unwrap makes an EditsError an ErrInvalid.
func (e *EditsError) Unwrap() error { return ErrInvalid }

// openSigned is the start of a coding act: the role check for act
// (require), then signedEncounter. It returns ctx carrying the
// permission for the act's audit event.
func (c Coding) openSigned(ctx context.Context, perm Permission, act Action, id string) (context.Context, Encounter, Patient, error) {
	ctx, err := c.s.require(ctx, perm, act, "")
	if err != nil {
		return ctx, Encounter{}, Patient{}, err
	}
	e, p, err := c.signedEncounter(ctx, id, act)
	return ctx, e, p, err
}

// signedEncounter opens an encounter for coding: it must be signed, and
// its chart one the user may open for act.
func (c Coding) signedEncounter(ctx context.Context, id string, act Action) (Encounter, Patient, error) {
	e, p, err := encounterInChart(ctx, c.s, id, act)
	if err != nil {
		return Encounter{}, Patient{}, err
	}
	switch {
	case e.Deleted:
		return Encounter{}, Patient{}, fmt.Errorf("%w: encounter %s was deleted", ErrNotFound, e.ID)
	case e.Signed == nil:
		return Encounter{}, Patient{}, Invalidf("encounter %s is not signed: an unsigned encounter is not coded; ask %s to sign the note first", e.ID, e.Clinician)
	}
	return e, p, nil
}

// Assign codes a signed encounter. Unknown or malformed codes are refused;
// edits (a category header, a code given twice, a pregnancy or newborn code
// that does not fit the patient) are refused with an *EditsError unless
// a.Override gives a reason, which is recorded with each edit and audited.
func (c Coding) Assign(ctx context.Context, encounterID string, a Assignment) (CodingRecord, error) {
	ctx, e, p, err := c.openSigned(ctx, PermCode, ActCodingAssign, encounterID)
	if err != nil {
		return CodingRecord{}, err
	}
	if len(a.Diagnoses) == 0 {
		return CodingRecord{}, Invalidf("give the principal diagnosis")
	}
	in := make([]diagnosisInput, len(a.Diagnoses))
	for i, code := range a.Diagnoses {
		in[i] = diagnosisInput{code: code, poa: a.DefaultPOA}
		if i < len(a.POA) && a.POA[i] != "" {
			in[i].poa = a.POA[i]
		}
	}
	dx, edits, err := checkDiagnoses(c.codes, in, e, p)
	if err != nil {
		return CodingRecord{}, err
	}
	list, err := c.s.Settings().Procedures(ctx)
	if err != nil {
		return CodingRecord{}, err
	}
	px, err := checkProcedures(a.Procedures, list)
	if err != nil {
		return CodingRecord{}, err
	}
	reason := strings.TrimSpace(a.Override)
	if len(edits) > 0 && reason == "" {
		return CodingRecord{}, &EditsError{Edits: edits}
	}
	r := CodingRecord{ID: newID(), EncounterID: e.ID, PatientID: e.PatientID, What: CodingCodes, Diagnoses: dx, Procedures: px}
	detail := make([]string, 0, len(dx))
	for _, d := range dx {
		detail = append(detail, d.Code)
	}
	for _, ed := range edits {
		r.Overrides = append(r.Overrides, Override{Edit: ed, Reason: reason})
	}
	d := strings.Join(detail, " ")
	if len(edits) > 0 {
		d += fmt.Sprintf("; %d edits overridden: %s", len(edits), reason)
	}
	return r, c.write(ctx, &r, p, ActCodingAssign, d)
}

// Query asks the clinician a question about a signed encounter before it
// is coded (or recoded); the encounter is queried until it is answered.
func (c Coding) Query(ctx context.Context, encounterID, text string) (CodingRecord, error) {
	ctx, e, p, err := c.openSigned(ctx, PermCode, ActCodingQuery, encounterID)
	if err != nil {
		return CodingRecord{}, err
	}
	if text = strings.TrimSpace(text); text == "" {
		return CodingRecord{}, Invalidf("the query is empty: write the question for the clinician")
	}
	r := CodingRecord{ID: newID(), EncounterID: e.ID, PatientID: e.PatientID, What: CodingQuery, Text: text}
	return r, c.write(ctx, &r, p, ActCodingQuery, "")
}

// Status reads an encounter's coding, as a chart read (audited).
func (c Coding) Status(ctx context.Context, encounterID string) (EncounterCoding, error) {
	ctx, e, p, err := c.openSigned(ctx, PermEncounterRead, ActCodingRead, encounterID)
	if err != nil {
		return EncounterCoding{}, err
	}
	hist, err := c.history(ctx, e.ID)
	if err != nil {
		return EncounterCoding{}, err
	}
	ec := EncounterCoding{EncounterID: e.ID, MRN: p.MRN, Clinician: e.Clinician, Signed: e.Signed.At, History: hist}
	ec.Status = codingStatus(hist, &ec.Current)
	if p.Restricted && c.s.User().Roles.Can(PermRestrictedRead) {
		ctx = withGrant(ctx, PermRestrictedRead)
	}
	return ec, c.s.audit(ctx, AuditEvent{Action: ActCodingRead, Patient: p.MRN, Object: "encounter/" + e.ID})
}

// codingStatus is queried while a query is unanswered, else coded once
// codes are assigned, else waiting; cur is set to the latest assignment.
func codingStatus(hist []CodingRecord, cur **CodingRecord) CodingStatus {
	open := map[string]bool{}
	for i, h := range hist {
		switch h.What {
		case CodingCodes:
			*cur = &hist[i]
		case CodingQuery:
			open[h.ID] = true
		case CodingAnswer:
			delete(open, h.QueryID)
		}
	}
	switch {
	case len(open) > 0:
		return CodingQueried
	case *cur != nil:
		return CodingCoded
	}
	return CodingWaiting
}

// history reads an encounter's coding records, oldest first.
func (c Coding) history(ctx context.Context, encounterID string) ([]CodingRecord, error) {
	return codingHistory(ctx, c.s, encounterID)
}

// codingHistory reads an encounter's coding records, oldest first, for
// the coding service and record completion (which reads the coding of
// the encounters its rules look at).
func codingHistory(ctx context.Context, s *Session, encounterID string) ([]CodingRecord, error) {
	ids, err := s.charts.lookup(ctx, "coding:enc:"+encounterID)
	if err != nil {
		return nil, err
	}
	out := make([]CodingRecord, 0, len(ids))
	for _, id := range ids {
		rec, err := s.records.Head(ctx, KindCoding, id)
		if err != nil {
			return nil, fmt.Errorf("coding %s of encounter %s: %w", id, encounterID, err)
		}
		r, err := decodeCoding(rec)
		if err != nil {
			return nil, err
		}
		if r.EncounterID != encounterID {
			return nil, fmt.Errorf("coding %s: %w: it names another encounter", id, ErrTampered)
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b CodingRecord) int { return a.At.Compare(b.At) })
	return out, nil
}

// write commits a new coding record with its audit event.
func (c Coding) write(ctx context.Context, r *CodingRecord, p Patient, act Action, detail string) error {
	r.By, r.At = c.s.User().Name, c.s.v.now()
	w, err := c.s.encode.coding(*r)
	if err != nil {
		return err
	}
	if detail == "" {
		detail = r.What + "/" + r.ID
	} else {
		detail = r.What + "/" + r.ID + ": " + detail
	}
	if err := c.s.commit(ctx, []RecordWrite{w}, AuditEvent{Action: act, Patient: p.MRN,
		Object: "encounter/" + r.EncounterID, Detail: detail}, nil, nil); err != nil {
		return fmt.Errorf("save %s: %w", r.What, err)
	}
	return nil
}

// decodeCoding turns a stored record into a CodingRecord.
func decodeCoding(rec StoredRecord) (CodingRecord, error) {
	return decodeRecord[CodingRecord](rec, "coding")
}

// allCoding reads every coding act in the vault, for the lists that span
// encounters (the worklist, a clinician's open queries).
func (c Coding) allCoding(ctx context.Context) ([]CodingRecord, error) {
	var out []CodingRecord
	for r, err := range heads(ctx, c.s, KindCoding, decodeCoding, stopOnDamaged) {
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// coding encodes a coding record with its index tokens: its
// encounter's; for an assignment of codes also coding:coded:ENCOUNTER
// (the encounter has its principal diagnosis) and, when it has
// procedures, coding:procedures — what record completion looks up
// instead of reading every coding act (completionfind.go).
func (ec encoder) coding(r CodingRecord) (RecordWrite, error) {
	terms := []string{"coding:enc:" + r.EncounterID}
	if r.What == CodingCodes && len(r.Diagnoses) > 0 {
		terms = append(terms, "coding:coded:"+r.EncounterID)
	}
	if r.What == CodingCodes && len(r.Procedures) > 0 {
		terms = append(terms, "coding:procedures")
	}
	return ec.write(KindCoding, r.ID, Version{}, r, terms)
}

// latestCoding is an encounter's latest assignment of codes, nil when it
// is not coded: what the chart's summary derives problems from and what a
// printed note shows. It reads the records through the session's core
// (no audit event: the caller's read is the audited act).
func latestCoding(ctx context.Context, s *Session, encounterID string) (*CodingRecord, error) {
	history, err := codingHistory(ctx, s, encounterID)
	if err != nil {
		return nil, err
	}
	var latest *CodingRecord
	for i, r := range history {
		if r.What == CodingCodes && (latest == nil || r.At.After(latest.At)) {
			latest = &history[i]
		}
	}
	return latest, nil
}
