package app

import (
	"context"
	"crypto/ed25519"
)

// ForgeEncounter writes a new version of an encounter altered by alter
// straight through the record store, sealed with the vault's keys but past
// every service: what someone holding the vault keys and no user's
// password could do.
func (s *Session) ForgeEncounter(ctx context.Context, id string, alter func(e *Encounter)) error {
	rec, err := s.records.Head(ctx, KindEncounter, id)
	if err != nil {
		return err
	}
	e, err := decodeEncounter(rec)
	if err != nil {
		return err
	}
	alter(&e)
	w, err := s.encode().encounter(e, rec.Version)
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
	e.Signed, _ = s.signing().signNote(*e, e.Signed.At)
}
