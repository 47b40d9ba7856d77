package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"folio/app"
	"folio/archive/api"
	"folio/endorse"
	"folio/storage"
)

// The workstation's side of package endorse. The archive refuses a user or
// key-slots version no entitled user's session signed, but a workstation
// does not take the archive's word for it: every such version it pulls or
// imports from a bundle is checked with the same rules against the
// vault's own registry of signing keys, and its plaintext against the
// content hash the signer signed (which the archive cannot check). A
// refused version is not applied and not lost: it is set aside with its
// reason and the version itself (SetAsideChange.Version), logged and
// audited (app.ActSyncRefused).

// signersOf builds the vault's registry from the users' and key slots'
// versions it holds, oldest first by version (HLC, then device: a child
// orders after its parent on every replica), each taken as the rules take
// an incoming one. Versions written before endorsements existed grant
// nothing; a record that does not open is left out, and so are the
// versions in without (this workstation's own, not yet accepted by the
// archive: see ownrefused.go).
func signersOf(ctx context.Context, db *storage.DB, aead app.AEAD, without map[versionRef]bool) (*endorse.Signers, error) {
	recs := db.Records(aead)
	var all []app.StoredRecord
	for _, kind := range []app.Kind{app.KindUser, app.KindKeySlots} {
		for head, err := range recs.Heads(ctx, kind) {
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				continue
			}
			hist, err := recs.History(ctx, kind, head.ID)
			if err != nil {
				continue
			}
			for _, r := range hist {
				if !without[versionRef{r.Kind, r.ID, r.Version}] {
					all = append(all, r)
				}
			}
		}
	}
	slices.SortFunc(all, func(a, b app.StoredRecord) int {
		switch {
		case a.Version.Less(b.Version):
			return -1
		case b.Version.Less(a.Version):
			return 1
		}
		return 0
	})
	reg := &endorse.Signers{}
	for _, r := range all {
		_ = admit(reg, r.Kind, r.ID, r.Parent, r.Endorsement, r.Data)
	}
	return reg, nil
}

// versionRef names one version of a record.
type versionRef struct {
	kind    app.Kind
	id      string
	version app.Version
}

// admit checks one version of kind/id over parent, its endorsement (JSON,
// as stored) and plaintext, and registers what it grants; the error says
// why it was refused (wrapping endorse.ErrNotEndorsed).
func admit(reg *endorse.Signers, kind app.Kind, id string, parent app.Version, endorsement, plaintext []byte) error {
	var e *endorse.Endorsement
	if len(endorsement) > 0 {
		e = &endorse.Endorsement{}
		if err := json.Unmarshal(endorsement, e); err != nil {
			return fmt.Errorf("%w: %s/%s: its signature does not read: %v", endorse.ErrNotEndorsed, kind, id, err)
		}
	}
	if err := reg.Check(string(kind), id, endorse.Version{HLC: parent.HLC, Device: uint64(parent.Device)}, e); err != nil {
		return err
	}
	if err := e.CheckContent(plaintext); err != nil {
		return fmt.Errorf("%s/%s: %w", kind, id, err)
	}
	reg.Accept(string(kind), id, e)
	return nil
}

// screen takes out of a page of changes the users' and key slots' versions
// this vault does not hold yet and the rules refuse; each is set aside
// (with its reason and the version), logged and audited. It returns the
// changes and versions to import, in order. A version that does not open
// with the vault key is left in: the import sets it aside as altered.
func (e *Engine) screen(ctx context.Context, aead app.AEAD, changes []api.Change, vs []storage.SealedVersion, rep *Report) ([]api.Change, []storage.SealedVersion, error) {
	if !slices.ContainsFunc(changes, func(c api.Change) bool { return endorse.NeedsEndorsement(c.Kind) }) {
		return changes, vs, nil
	}
	reg, err := signersOf(ctx, e.p.DB, aead, nil)
	if err != nil {
		return nil, nil, err
	}
	keptC, keptV := make([]api.Change, 0, len(changes)), make([]storage.SealedVersion, 0, len(vs))
	aside := map[string][]byte{}
	type refusal struct {
		v   storage.SealedVersion
		why string
	}
	var refused []refusal
	for i, c := range changes {
		v := vs[i]
		if endorse.NeedsEndorsement(c.Kind) {
			_, lookup := e.p.DB.Sealed(ctx, v.Kind, v.ID, v.Version)
			held := lookup == nil // the import counts it as known
			if pt, err := storage.OpenVersion(aead, v); !held && err == nil {
				if err := admit(reg, v.Kind, v.ID, v.Parent, v.Endorsement, pt); err != nil {
					sa := SetAsideChange{Seq: c.Seq, Kind: v.Kind, ID: v.ID, Reason: err.Error(), Version: &c.RecordVersion}
					if aside[setAsideKey(c.Seq)], err = json.Marshal(sa); err != nil {
						return nil, nil, err
					}
					refused = append(refused, refusal{v, sa.Reason})
					continue
				}
			}
		}
		keptC, keptV = append(keptC, c), append(keptV, v)
	}
	if len(aside) == 0 {
		return keptC, keptV, nil
	}
	if err := e.p.DB.UpdateMeta(ctx, aside, nil); err != nil {
		return nil, nil, err
	}
	for _, r := range refused {
		rep.Rejected++
		e.p.Log.Warn("sync set aside a user or key-slots version no entitled user signed", "kind", r.v.Kind, "id", r.v.ID, "version", r.v.Version, "err", r.why)
		if err := e.p.Session.RefusedVersion(ctx, r.v.Kind, r.v.ID, r.v.Version, r.why); err != nil {
			return nil, nil, err
		}
	}
	return keptC, keptV, nil
}
