package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
)

// ForgeEncounter writes a new version of an encounter altered by alter
// straight through the record store, sealed with the vault's keys but past
// every service: what someone holding the vault keys and no user's
// password could do.
func (s *Session) ForgeEncounter(ctx context.Context, id string, alter func(e *Encounter)) error {
	e, err := readHead(ctx, s, KindEncounter, id, decodeEncounter)
	if err != nil {
		return err
	}
	alter(&e)
	w, err := s.encode.encounter(e, e.Version)
	if err != nil {
		return err
	}
	_, err = s.records.Commit(ctx, Commit{Writes: []RecordWrite{w}})
	return err
}

// Reseal recomputes a note's content hash and, with a key, signs it
// again with key in its signer's name.
func Reseal(e *Encounter, key ed25519.PrivateKey) {
	e.Signed.Hash = e.signedContent()
	if key == nil {
		return
	}
	e.Signed.Key = key.Public().(ed25519.PublicKey)
	e.Signed.Sig = ed25519.Sign(key, noteMessage(*e, e.Signed))
}

// SignAs signs e's note again as the session's user, with their key.
func (s *Session) SignAs(e *Encounter) {
	e.Signed, _ = s.signing.signNote(*e, e.Signed.At)
}

// AddSignedEncounters writes es as new encounters of their patients
// (e.PatientID), each written and signed by the signed-in clinician, all
// in one transaction with one audit event: the records Encounters.Add
// and Sign write, through the same encoder (blind-index tokens included),
// signature (the clinician's key) and commit, without one fsync per
// visit. It is for the benchmark that fills a vault with a million
// visits; the application writes visits one at a time, as clinicians do.
func AddSignedEncounters(ctx context.Context, s *Session, es []Encounter) error {
	ctx, err := s.require(ctx, PermEncounterWrite, ActNoteSign, "")
	if err != nil {
		return err
	}
	now, me := s.v.now(), s.User().Name
	writes := make([]RecordWrite, len(es))
	for i := range es {
		e := &es[i]
		e.ID, e.Clinician, e.Created, e.Changed, e.ChangedBy = newID(), me, now, now, me
		if e.Signed, err = s.signing.signNote(*e, now); err != nil {
			return err
		}
		if writes[i], err = s.encode.encounter(*e, Version{}); err != nil {
			return err
		}
	}
	_, err = s.commitVersions(ctx, writes, AuditEvent{Action: ActNoteSign,
		Detail: fmt.Sprintf("%d signed encounters written at once", len(es))}, nil)
	return err
}

// KeepProceduresTheOldWay stores a procedure list in this workstation's
// meta store, as Folio kept it before the list was a synced setting.
func (s *Session) KeepProceduresTheOldWay(ctx context.Context, data []byte) error {
	return s.v.cfg.Meta.UpdateMeta(ctx, map[string][]byte{metaProcedures: data}, nil)
}

// ProceduresKeptTheOldWay returns what the old place holds.
func (s *Session) ProceduresKeptTheOldWay(ctx context.Context) ([]byte, error) {
	return s.v.cfg.Meta.GetMeta(ctx, metaProcedures)
}

// ForgeAddendum writes a new version of an addendum with its text
// changed and its hash recomputed, past every service (as ForgeEncounter).
func (s *Session) ForgeAddendum(ctx context.Context, e Encounter, id, text string) error {
	rec, err := s.records.Head(ctx, KindAddendum, id)
	if err != nil {
		return err
	}
	a, err := decodeAddendum(rec)
	if err != nil {
		return err
	}
	a.Text = text
	a.Hash = addendumHash(e.Signed, a)
	w, err := s.encode.addendum(a)
	if err != nil {
		return err
	}
	w.Parent = rec.Version
	_, err = s.records.Commit(ctx, Commit{Writes: []RecordWrite{w}})
	return err
}
