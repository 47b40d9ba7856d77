package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// KindAddendum is the record of one addendum to a signed note. It is
// written once and never changed, so two written on two workstations at
// once are both kept, without a conflict.
const KindAddendum Kind = "addendum"

// Addendum corrects or adds to a signed note; its author signs it as it
// is written. Hash is the SHA-256 of what they signed (addendumHash); Key
// and Sig are their public key and Ed25519 signature over addendumMessage
// (notesig.go), absent from an addendum signed in the older form.
type Addendum struct {
	ID          string    `json:"id"`
	EncounterID string    `json:"encounter_id"`
	PatientID   string    `json:"patient_id"`
	Text        string    `json:"text"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	Hash        string    `json:"hash"`
	Key         []byte    `json:"key,omitempty"`
	Sig         []byte    `json:"sig,omitempty"`
}

// addendumHash is what an addendum's signature covers: the encounter and
// its note's signature, and the addendum's author, time and text.
func addendumHash(sig *Signature, a Addendum) string {
	data, _ := json.Marshal([]any{a.EncounterID, sig.Hash, a.By, a.At.UTC(), a.Text})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// decodeAddendum turns a stored record into an Addendum.
func decodeAddendum(rec StoredRecord) (Addendum, error) {
	return decodeRecord[Addendum](rec, "addendum")
}

// addendum encodes an addendum with its index token (its
// encounter's, so the encounter finds it).
func (ec encoder) addendum(a Addendum) (RecordWrite, error) {
	return ec.write(KindAddendum, a.ID, Version{}, a, []string{"add:enc:" + a.EncounterID})
}

// addenda reads an encounter's addenda, oldest first. One that is not
// the signature of its author over this signed note is tampering.
func (en Encounters) addenda(ctx context.Context, e Encounter) ([]Addendum, error) {
	ids, err := en.s.charts.lookup(ctx, "add:enc:"+e.ID)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	out := make([]Addendum, 0, len(ids))
	for _, id := range ids {
		rec, err := en.s.records.Head(ctx, KindAddendum, id)
		if err != nil {
			return nil, fmt.Errorf("addendum %s of encounter %s: %w", id, e.ID, err)
		}
		a, err := decodeAddendum(rec)
		if err != nil {
			return nil, err
		}
		if e.Signed == nil || a.EncounterID != e.ID || a.Hash != addendumHash(e.Signed, a) {
			return nil, fmt.Errorf("encounter %s: %w: addendum %s differs from what was signed", e.ID, ErrTampered, id)
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b Addendum) int { return a.At.Compare(b.At) })
	return out, nil
}
