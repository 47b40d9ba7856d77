package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// This file is the signature a clinician puts on a note and on an
// addendum: an Ed25519 signature with the signing key of their session
// (signing.go), over a canonical encoding of what they signed. Any
// workstation checks it against the keys the synced user and key-slot
// records gave the signer, and checks that the signer's account could
// sign notes at the time. Notes signed before keys signed notes carry only
// the content hash (Signature.Hash): they still read, as the older form.

// noteSigPrefix and addendumSigPrefix begin the messages signed, so a
// signature of one kind is never taken for the other (or for an
// endorsement, package endorse).
const (
	noteSigPrefix     = "folio note signature v1\x00"
	addendumSigPrefix = "folio addendum signature v1\x00"
)

// KeySigned reports whether the signature is made with the signer's key;
// false for the older form, a content hash only.
func (s *Signature) KeySigned() bool { return s != nil && len(s.Sig) > 0 }

// KeySigned reports whether the addendum carries its author's signature
// made with their key; false for the older form, a content hash only.
func (a Addendum) KeySigned() bool { return len(a.Sig) > 0 }

// noteMessage is what the author of e signs: the encounter, its patient,
// the signer, the time, and the SHA-256 of the canonical encoding of the
// visit, vital signs and note sections (Encounter.signedContent). The
// encounter carries no diagnosis of its own when it is signed (the coder
// codes a signed note); the clinician's diagnoses are its assessment.
func noteMessage(e Encounter, s *Signature) []byte {
	return fmt.Appendf(nil, noteSigPrefix+"%s\x00%s\x00%s\x00%s\x00%s", e.ID, e.PatientID, s.By, s.At.UTC().Format(time.RFC3339Nano), s.Hash)
}

// addendumMessage is what the author of an addendum signs: the addendum,
// its patient, and its hash (addendumHash: the encounter, the note's
// signature, the author, the time and the text).
func addendumMessage(a Addendum) []byte {
	return fmt.Appendf(nil, addendumSigPrefix+"%s\x00%s\x00%s\x00%s\x00%s\x00%s", a.ID, a.EncounterID, a.PatientID, a.By, a.At.UTC().Format(time.RFC3339Nano), a.Hash)
}

// errNoNoteKey refuses a signature by a session that holds no signing key.
var errNoNoteKey = Invalidf("this sign-in holds no signing key, so it cannot sign notes: your password was changed on another workstation; sync, then sign in with your current password")

// sign signs msg with the session's key and returns the public key and
// the signature.
func (sg signing) sign(msg []byte) (pub, sig []byte, err error) {
	sg.s.mu.Lock()
	key, locked := sg.s.signer, sg.s.locked
	sg.s.mu.Unlock()
	switch {
	case locked:
		return nil, nil, ErrLocked
	case key == nil:
		return nil, nil, errNoNoteKey
	}
	return bytes.Clone(key.Public().(ed25519.PublicKey)), ed25519.Sign(key, msg), nil
}

// signNote signs e's note as the session's user at the time at.
func (sg signing) signNote(e Encounter, at time.Time) (*Signature, error) {
	s := &Signature{By: sg.s.User().Name, At: at, Hash: e.signedContent()}
	var err error
	s.Key, s.Sig, err = sg.sign(noteMessage(e, s))
	return s, err
}

// signAddendum fills in a's key and signature.
func (sg signing) signAddendum(a *Addendum) error {
	var err error
	a.Key, a.Sig, err = sg.sign(addendumMessage(*a))
	return err
}

// sealsIntact checks, without reading anything, that the key signatures
// of e's note and addenda are those of the keys they name over what they
// cover (Open refuses a note that fails; verify also checks whose keys
// they are, checkNote).
func sealsIntact(e Encounter) error {
	if s := e.Signed; s.KeySigned() && !validSig(s.Key, noteMessage(e, s), s.Sig) {
		return fmt.Errorf("encounter %s: %w: the note's signature does not match what was signed", e.ID, ErrTampered)
	}
	for _, a := range e.Addenda {
		if a.KeySigned() && !validSig(a.Key, addendumMessage(a), a.Sig) {
			return fmt.Errorf("encounter %s: %w: the signature of addendum %s does not match what was signed", e.ID, ErrTampered, a.ID)
		}
	}
	return nil
}

// validSig reports whether sig is key's Ed25519 signature of msg.
func validSig(key, msg, sig []byte) bool {
	return len(key) == ed25519.PublicKeySize && ed25519.Verify(key, msg, sig)
}

// checkNote returns what is wrong with the signatures of e's note and of
// its addenda, in words for the records manager; none for a note signed
// in the older form (decodeEncounter and addenda check its hash).
func (sg signing) checkNote(ctx context.Context, e Encounter, addenda []Addendum) ([]string, error) {
	var problems []string
	if e.Signed.KeySigned() {
		p, err := sg.checkSigner(ctx, e.Signed.By, e.Signed.At, e.Signed.Key, e.Signed.Sig, noteMessage(e, e.Signed))
		if err != nil {
			return nil, err
		}
		if p != "" {
			problems = append(problems, "the signature of the note: "+p)
		}
	}
	for _, a := range addenda {
		if !a.KeySigned() {
			continue
		}
		p, err := sg.checkSigner(ctx, a.By, a.At, a.Key, a.Sig, addendumMessage(a))
		if err != nil {
			return nil, err
		}
		if p != "" {
			problems = append(problems, fmt.Sprintf("the signature of the addendum of %s by %s: %s", a.At.UTC().Format(time.DateTime), a.By, p))
		}
	}
	return problems, nil
}

// checkSigner checks one signature by the user by at the time at: that
// sig is key's over msg, that key is one the user's synced records gave
// them, and that their account could sign notes then. It returns what is
// wrong, or "".
func (sg signing) checkSigner(ctx context.Context, by string, at time.Time, key, sig, msg []byte) (string, error) {
	if !validSig(key, msg, sig) {
		return "it does not match what was signed: the note was changed after it was signed", nil
	}
	versions, keys, err := sg.signerHistory(ctx, by)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(keys, func(k []byte) bool { return bytes.Equal(k, key) }) {
		return fmt.Sprintf("it was not made with a signing key %s's user records here ever gave them: sync and check again; if this stays, someone else signed it in their name", by), nil
	}
	u, ok := userAt(versions, at)
	switch {
	case !ok:
		return fmt.Sprintf("%s had no account here when it was signed", by), nil
	case u.Disabled:
		return fmt.Sprintf("%s's account was disabled when it was signed", by), nil
	case !u.Roles.Can(PermEncounterWrite):
		return fmt.Sprintf("%s was not a clinician when it was signed (their roles then: %s)", by, u.Roles.Label()), nil
	}
	return "", nil
}

// signerHistory returns every version of a user's record, oldest first,
// and every signing key their user and key-slot records ever gave them.
func (sg signing) signerHistory(ctx context.Context, name string) ([]StoredRecord, [][]byte, error) {
	users, err := sg.s.records.History(ctx, KindUser, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, nil, fmt.Errorf("history of user %s: %w", name, err)
	}
	slots, err := sg.s.records.History(ctx, KindKeySlots, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, nil, fmt.Errorf("key history of user %s: %w", name, err)
	}
	var keys [][]byte
	for _, rec := range users {
		var u User
		if json.Unmarshal(rec.Data, &u) == nil && len(u.SigningKey) == ed25519.PublicKeySize {
			keys = append(keys, u.SigningKey)
		}
	}
	for _, rec := range slots {
		var ks keySlots
		if json.Unmarshal(rec.Data, &ks) == nil && len(ks.Key) == ed25519.PublicKeySize {
			keys = append(keys, ks.Key)
		}
	}
	slices.SortStableFunc(users, func(a, b StoredRecord) int {
		if a.Version.Less(b.Version) {
			return -1
		}
		return 1
	})
	return users, keys, nil
}

// userAt is the user as the last of their versions written at or before
// at (give or take serviceSkew, for clocks that differ) made them. A
// version's time is the physical part of its HLC, unix milliseconds
// shifted left 16 bits (storage/doc.go, "Versions").
func userAt(versions []StoredRecord, at time.Time) (User, bool) {
	var (
		u     User
		found bool
	)
	limit := at.Add(serviceSkew).UnixMilli()
	for _, rec := range versions {
		if int64(rec.Version.HLC>>16) > limit {
			break
		}
		var v User
		if json.Unmarshal(rec.Data, &v) == nil {
			u, found = v, true
		}
	}
	return u, found
}
