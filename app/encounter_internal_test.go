package app

import (
	"encoding/json"
	"errors"
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
