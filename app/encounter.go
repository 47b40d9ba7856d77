package app

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// KindEncounter is the record of one encounter: a visit, its vital signs,
// its note, and the scanned documents linked to it (its addenda are
// records of their own, KindAddendum). Each change is a new version, synced like a patient's.
const KindEncounter Kind = "encounter"

// EncounterType is what kind of contact an encounter was.
type EncounterType string

// The encounter types.
const (
	EncOutpatient   EncounterType = "outpatient"
	EncAdmission    EncounterType = "admission"
	EncDischarge    EncounterType = "discharge"
	EncEmergency    EncounterType = "emergency"
	EncAntenatal    EncounterType = "antenatal"
	EncImmunisation EncounterType = "immunisation"
	EncHomeVisit    EncounterType = "home-visit"
	EncTelephone    EncounterType = "telephone"
	EncOther        EncounterType = "other"
)

// EncounterTypes lists every type, for pickers.
var EncounterTypes = []EncounterType{EncOutpatient, EncAdmission, EncDischarge, EncEmergency,
	EncAntenatal, EncImmunisation, EncHomeVisit, EncTelephone, EncOther}

var encounterLabels = map[EncounterType]string{
	EncOutpatient: "Outpatient visit", EncAdmission: "Admission", EncDischarge: "Discharge",
	EncEmergency: "Emergency", EncAntenatal: "Antenatal", EncImmunisation: "Immunisation",
	EncHomeVisit: "Home visit", EncTelephone: "Telephone", EncOther: "Other",
}

// Label is the type's name for people.
func (t EncounterType) Label() string {
	if l, ok := encounterLabels[t]; ok {
		return l
	}
	return string(t)
}

// ParseEncounterType accepts a type's code or label in any case, and a few
// common synonyms (opd, visit, phone, anc, immunization).
func ParseEncounterType(s string) (EncounterType, error) {
	k := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(s, "-", " ")), " "))
	switch k {
	case "opd", "visit", "outpatient visit", "clinic":
		return EncOutpatient, nil
	case "anc":
		return EncAntenatal, nil
	case "immunization", "vaccination":
		return EncImmunisation, nil
	case "home", "home visit":
		return EncHomeVisit, nil
	case "phone", "telephone call":
		return EncTelephone, nil
	}
	for _, t := range EncounterTypes {
		if k == string(t) || k == strings.ToLower(t.Label()) {
			return t, nil
		}
	}
	return "", Invalidf("encounter type %q: use outpatient, admission, discharge, emergency, antenatal, immunisation, home-visit, telephone or other", s)
}

// Note is an encounter's structured clinical note.
type Note struct {
	History     string `json:"history,omitempty"`
	Examination string `json:"examination,omitempty"`
	Assessment  string `json:"assessment,omitempty"`
	Plan        string `json:"plan,omitempty"`
}

// IsZero reports whether every section is empty.
func (n Note) IsZero() bool { return n == Note{} }

// Signature says who signed a note, when, and the SHA-256 of what they
// signed (signedContent), so a later version that changed it is caught.
// Key and Sig are the signer's public key and their Ed25519 signature
// over noteMessage (notesig.go); a note signed in the older form has
// neither.
type Signature struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Hash string    `json:"hash"`
	Key  []byte    `json:"key,omitempty"`
	Sig  []byte    `json:"sig,omitempty"`
}

// Encounter is one contact between a patient and a clinician. Its note is
// a draft until its author signs it; after that the visit and note are
// never changed, only added to by addenda. Version is the version this
// value was read at (the parent of the next change).
type Encounter struct {
	ID        string        `json:"id"`
	PatientID string        `json:"patient_id"`
	Time      time.Time     `json:"time"` // date and time of service
	Type      EncounterType `json:"type"`
	Site      string        `json:"site,omitempty"`
	Clinician string        `json:"clinician"` // user name of the note's author
	Reason    string        `json:"reason,omitempty"`
	Vitals    Vitals        `json:"vitals,omitzero"`
	Note      Note          `json:"note,omitzero"`
	Documents []string      `json:"documents,omitempty"` // ids of linked scanned documents
	Signed    *Signature    `json:"signed,omitempty"`
	// Addenda are read with the encounter, oldest first; each is a record
	// of its own (addendum.go), so addenda written on two workstations at
	// once never conflict.
	Addenda []Addendum `json:"-"`
	// Deleted withdraws a draft written in error; signed notes are never
	// deleted.
	Deleted       bool   `json:"deleted,omitempty"`
	DeletedReason string `json:"deleted_reason,omitempty"`

	Created   time.Time `json:"created"`
	Changed   time.Time `json:"changed"`
	ChangedBy string    `json:"changed_by"`
	Version   Version   `json:"-"`
	// MRN is the MRN of the chart the encounter is in, filled when it is
	// read or written (not stored: a merge changes it).
	MRN string `json:"-"`
}

// Status is "draft", "signed" or "deleted".
func (e Encounter) Status() string {
	switch {
	case e.Deleted:
		return "deleted"
	case e.Signed != nil:
		return "signed"
	}
	return "draft"
}

// Sentinels of the note's lifecycle.
var (
	ErrNoteSigned = Invalidf("this note is signed and can no longer be changed or deleted; to correct it, add an addendum")
	ErrNoteDraft  = Invalidf("this note is still a draft: finish and sign it; addenda are for correcting signed notes")
)

// serviceSkew is how far past the workstation's clock a date of service
// may be (clocks of two workstations differ a little).
const serviceSkew = 10 * time.Minute

// validate trims the free text and checks the date of service against
// now and the patient's birth, and the vital signs.
func (e *Encounter) validate(now time.Time, p Patient) error {
	if _, ok := encounterLabels[e.Type]; !ok {
		_, err := ParseEncounterType(string(e.Type))
		return err
	}
	e.Site, e.Reason = strings.TrimSpace(e.Site), strings.TrimSpace(e.Reason)
	for _, s := range []*string{&e.Note.History, &e.Note.Examination, &e.Note.Assessment, &e.Note.Plan} {
		*s = strings.TrimSpace(*s)
	}
	switch {
	case e.Time.IsZero():
		return Invalidf("give the date and time of service")
	case e.Time.After(now.Add(serviceSkew)):
		return Invalidf("the date of service %s is in the future; enter when the patient was seen", e.Time.Format("2006-01-02 15:04"))
	case bornAfter(p.BirthDate, e.Time):
		return Invalidf("the date of service %s is before the patient's birth (%s); check the date, or the patient", e.Time.Format(time.DateOnly), p.BirthDate)
	}
	return e.Vitals.check(p.BirthDate, e.Time)
}

// bornAfter reports whether a birth date is surely after t: the known part
// of the date starts after t's day. An estimated date is not sure.
func bornAfter(b BirthDate, t time.Time) bool {
	if b.IsZero() || b.Estimated {
		return false
	}
	m, d := max(b.Month, 1), max(b.Day, 1)
	born := time.Date(b.Year, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return born.After(day)
}

// signedContent is the SHA-256, in hex, of what a signature covers: the
// patient, the visit, the vital signs and the note.
func (e Encounter) signedContent() string {
	data, _ := json.Marshal(struct {
		P  string        `json:"p"`
		T  time.Time     `json:"t"`
		Ty EncounterType `json:"ty"`
		S  string        `json:"s"`
		C  string        `json:"c"`
		R  string        `json:"r"`
		V  Vitals        `json:"v"`
		N  Note          `json:"n"`
	}{e.PatientID, e.Time.UTC(), e.Type, e.Site, e.Clinician, e.Reason, e.Vitals, e.Note})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// decodeEncounter turns a stored record into an Encounter. A signed
// version whose content no longer matches its signature is tampering.
func decodeEncounter(rec StoredRecord) (Encounter, error) {
	var e Encounter
	if err := json.Unmarshal(rec.Data, &e); err != nil {
		return Encounter{}, fmt.Errorf("encounter %s: %w: %v", rec.ID, ErrTampered, err)
	}
	if e.Signed != nil && e.Signed.Hash != e.signedContent() {
		return Encounter{}, fmt.Errorf("encounter %s: %w: the signed note differs from what was signed", rec.ID, ErrTampered)
	}
	e.Version = rec.Version
	return e, nil
}

// encounter encodes an encounter version with its index tokens: its
// patient's, so the chart lists it, and, unless it is deleted, its state
// (enc:draft or enc:signed) and its type (enc:type:admission …), which
// record completion finds its candidates by (completionfind.go).
func (ec encoder) encounter(e Encounter, parent Version) (RecordWrite, error) {
	return ec.write(KindEncounter, e.ID, parent, e, encounterTerms(e))
}

// NotAuthorError refuses a change to a draft (a save, a signature, a
// deletion) by anyone but its author; its text is the sentence to show.
// It is an ErrForbidden.
type NotAuthorError struct{ Author string }

func (e *NotAuthorError) Error() string {
	return fmt.Sprintf("this note is %s's; only its author may change, sign or delete it (add an addendum once it is signed)", e.Author)
}

// Unwrap makes a NotAuthorError an ErrForbidden.
func (e *NotAuthorError) Unwrap() error { return ErrForbidden }

// encounterTerms are the index terms of an encounter: its patient's id
// (the chart lists it), and its state and type (the completion rules
// find candidates by them). Each begins "enc:", a prefix no patient term
// has, so a million visits add nothing to what a patient search finds.
func encounterTerms(e Encounter) []string {
	terms := []string{"enc:pat:" + e.PatientID}
	switch {
	case e.Deleted:
	case e.Signed != nil:
		terms = append(terms, "enc:signed", "enc:type:"+string(e.Type))
	default:
		terms = append(terms, "enc:draft", "enc:type:"+string(e.Type))
	}
	return terms
}

// errNotAuthor refuses a change to a draft by anyone but its author.
func errNotAuthor(author string) error { return &NotAuthorError{Author: author} }
