package app

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// A version whose signed note differs from what was signed (written by
// something other than Folio, or merged wrongly) does not open.
func TestSignedEncounterAltered(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	e := Encounter{ID: "e1", PatientID: "p1", Time: at, Type: EncOutpatient, Clinician: "amos",
		Note: Note{Assessment: "Malaria, uncomplicated.", Plan: "AL 6 doses."}}
	e.Signed = &Signature{By: "amos", At: at, Hash: e.signedContent()}
	for _, tc := range []struct {
		name  string
		alter func(e *Encounter)
		ok    bool
	}{
		{"as signed", func(*Encounter) {}, true},
		{"documents linked", func(e *Encounter) { e.Documents = []string{"d1"} }, true},
		{"plan changed", func(e *Encounter) { e.Note.Plan = "Quinine." }, false},
		{"vitals added", func(e *Encounter) { e.Vitals.Pulse = 80 }, false},
		{"clinician changed", func(e *Encounter) { e.Clinician = "bella" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := e
			tc.alter(&v)
			data, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			_, err = decodeEncounter(StoredRecord{Kind: KindEncounter, ID: v.ID, Data: data})
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrTampered)) {
				t.Fatalf("decode: %v (want ok %v)", err, tc.ok)
			}
		})
	}
}

// An encounter's index terms never share a term with what a patient is
// found by (name words, their sounds and prefixes, dates of birth, MRN,
// phones, national id), even when the visit's text is full of the
// patient's names: a vault of a million visits adds entries to the index,
// none to the hits of a patient search.
func TestEncounterTermsStayOutOfPatientSearch(t *testing.T) {
	p := Patient{ID: "p1", MRN: "KAB-000001-X", Family: "Okello", Given: "Grace Enc", Sex: SexFemale,
		BirthDate: BirthDate{Year: 1984, Month: 3, Day: 12}, Phone: "0772 123 456", NationalID: "CM123"}
	patient := map[string]bool{}
	for _, term := range patientTerms(p) {
		patient[term] = true
	}
	for _, w := range []string{"okello", "grace", "enc", "signed", "draft", "outpatient", "p1"} {
		for _, term := range queryTerms(w) {
			patient[term] = true
		}
	}
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	for _, e := range []Encounter{
		{ID: "e1", PatientID: p.ID, Time: at, Type: EncOutpatient, Reason: "Okello Grace 0772 123 456", Note: Note{History: "Okello"}},
		{ID: "e2", PatientID: p.ID, Time: at, Type: EncAdmission, Signed: &Signature{By: "amos", At: at}},
		{ID: "e3", PatientID: p.ID, Time: at, Type: EncOther, Deleted: true},
	} {
		for _, term := range encounterTerms(e) {
			if patient[term] || !strings.HasPrefix(term, "enc:") {
				t.Errorf("encounter %s is indexed under %q, a term of patient search", e.ID, term)
			}
		}
	}
}
