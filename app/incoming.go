package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"folio/endorse"
)

// This file checks the record versions written on other workstations
// before they are stored, and this workstation's own user and key-slots
// versions before they are sent. The syncer hands the session sealed
// versions; the session opens them.
//
// The archive refuses a user or key-slots version no entitled user's
// session signed, but a workstation does not take the archive's word for
// it: every such version it pulls or imports from a bundle is checked with
// the same rules (package endorse) against the vault's own registry of
// signing keys, and its plaintext against the content hash the signer
// signed (which the archive cannot check). A refused version is not
// applied and not lost: the syncer sets it aside with its reason and the
// version itself, and the session audits it (ActSyncRefused).

// RefusedIncoming is an incoming version ImportReplicated did not store.
type RefusedIncoming struct {
	Index  int    // in the versions given
	Reason string // why, for the log and the list of set-aside changes
	// Unendorsed: a user or key-slots version no entitled user signed
	// (audited); otherwise it did not open with the vault key as exactly
	// that version (altered on the way, or sealed for another vault).
	Unendorsed bool
}

// Replicated says what ImportReplicated did.
type Replicated struct {
	ReplicaReport
	Refused []RefusedIncoming // in the order of the versions given
}

// ImportReplicated takes in versions written on other workstations, as
// sealed there (a page of the archive's changes, or of a sync bundle's
// reply). Each must open with the vault key as exactly that version; a
// user or key-slots version this vault does not hold yet must also be
// endorsed by a user the rules let write it (refusals are audited). The
// versions that pass are stored in one transaction, with the index tokens
// of each changed record; then the key slots that changed are installed,
// the slots of users disabled elsewhere removed, and the session's cached
// patients that changed dropped. The versions refused are returned, for
// the syncer to set aside.
func (rp Replica) ImportReplicated(ctx context.Context, vs []SealedVersion) (Replicated, error) {
	var out Replicated
	replica, err := rp.store()
	if err != nil {
		return out, err
	}
	keep, err := rp.screenIncoming(ctx, replica, vs, &out)
	if err != nil {
		return out, err
	}
	kept := make([]SealedVersion, len(keep))
	for i, k := range keep {
		kept[i] = vs[k]
	}
	tokens := func(rec StoredRecord) ([][]byte, error) { return rp.s.encode.indexTokens(ctx, rec) }
	ir, err := replica.ImportVersions(ctx, kept, tokens)
	if errors.Is(err, ErrTampered) {
		// Find the bad ones: import one at a time.
		ir, err = ReplicaReport{}, nil
		for i, v := range kept {
			one, err := replica.ImportVersions(ctx, []SealedVersion{v}, tokens)
			if errors.Is(err, ErrTampered) {
				out.Refused = append(out.Refused, RefusedIncoming{Index: keep[i], Reason: err.Error()})
				continue
			}
			if err != nil {
				return out, err
			}
			ir.Stored += one.Stored
			ir.Known += one.Known
			ir.Changed = append(ir.Changed, one.Changed...)
			ir.Forked = append(ir.Forked, one.Forked...)
		}
		slices.SortStableFunc(out.Refused, func(a, b RefusedIncoming) int { return a.Index - b.Index })
	}
	if err != nil {
		return out, err
	}
	out.ReplicaReport = ir
	if len(ir.Changed) > 0 {
		changed := map[Kind][]string{}
		for _, r := range ir.Changed {
			changed[r.Kind] = append(changed[r.Kind], r.ID)
		}
		if err := rp.applyReplicated(ctx, changed); err != nil {
			return out, err
		}
	}
	return out, nil
}

// screenIncoming returns the indexes of vs to import, in order: all but
// the users' and key slots' versions this vault does not hold yet and the
// rules refuse, which it adds to out.Refused and audits. A version that
// does not open with the vault key is left in: the import refuses it as
// altered.
func (rp Replica) screenIncoming(ctx context.Context, replica ReplicaStore, vs []SealedVersion, out *Replicated) ([]int, error) {
	keep := make([]int, 0, len(vs))
	if !slices.ContainsFunc(vs, func(v SealedVersion) bool { return endorse.NeedsEndorsement(string(v.Kind)) }) {
		for i := range vs {
			keep = append(keep, i)
		}
		return keep, nil
	}
	reg, err := rp.signers(ctx, nil)
	if err != nil {
		return nil, err
	}
	var refused []RefusedIncoming
	for i, v := range vs {
		if endorse.NeedsEndorsement(string(v.Kind)) {
			_, lookup := replica.Sealed(ctx, v.Kind, v.ID, v.Version)
			held := lookup == nil // the import counts it as known
			if pt, err := replica.OpenVersion(v); !held && err == nil {
				if err := admit(reg, v.Kind, v.ID, v.Parent, v.Endorsement, pt); err != nil {
					refused = append(refused, RefusedIncoming{Index: i, Reason: err.Error(), Unendorsed: true})
					continue
				}
			}
		}
		keep = append(keep, i)
	}
	for _, r := range refused {
		v := vs[r.Index]
		if err := rp.RefusedVersion(ctx, v.Kind, v.ID, v.Version, r.Reason); err != nil {
			return nil, err
		}
	}
	out.Refused = append(out.Refused, refused...)
	return keep, nil
}

// ScreenOwn returns, for each of this workstation's own user and
// key-slots versions in vs (the batch being composed, in oplog order), why
// the archive would refuse it, or "" where it would take it: the rules of
// package endorse, as the archive applies them, against the vault's
// registry without the versions in unaccepted (this workstation's own,
// not yet accepted by the archive). A version that does not open is left
// for the archive to judge.
func (rp Replica) ScreenOwn(ctx context.Context, vs []SealedVersion, unaccepted map[VersionRef]bool) ([]string, error) {
	replica, err := rp.store()
	if err != nil {
		return nil, err
	}
	reg, err := rp.signers(ctx, unaccepted)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		if !endorse.NeedsEndorsement(string(v.Kind)) {
			continue
		}
		pt, err := replica.OpenVersion(v)
		if err != nil {
			continue // the archive judges what it can; the others open it
		}
		if err := admit(reg, v.Kind, v.ID, v.Parent, v.Endorsement, pt); err != nil {
			out[i] = err.Error()
		}
	}
	return out, nil
}

// signers builds the vault's registry from the users' and key slots'
// versions it holds, oldest first by version (HLC, then device: a child
// orders after its parent on every replica), each taken as the rules take
// an incoming one. Versions written before endorsements existed grant
// nothing; a record that does not open is left out, and so are the
// versions in without.
func (rp Replica) signers(ctx context.Context, without map[VersionRef]bool) (*endorse.Signers, error) {
	var all []StoredRecord
	for _, kind := range []Kind{KindUser, KindKeySlots} {
		for head, err := range rp.s.records.Heads(ctx, kind) {
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				continue
			}
			hist, err := rp.s.records.History(ctx, kind, head.ID)
			if err != nil {
				continue
			}
			for _, r := range hist {
				if !without[VersionRef{Kind: r.Kind, ID: r.ID, Version: r.Version}] {
					all = append(all, r)
				}
			}
		}
	}
	slices.SortFunc(all, func(a, b StoredRecord) int {
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

// admit checks one version of kind/id over parent, its endorsement (JSON,
// as stored) and plaintext, and registers what it grants; the error says
// why it was refused (wrapping endorse.ErrNotEndorsed).
func admit(reg *endorse.Signers, kind Kind, id string, parent Version, endorsement, plaintext []byte) error {
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
