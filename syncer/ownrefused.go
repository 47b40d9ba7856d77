package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"folio/app"
	"folio/archive/api"
	"folio/endorse"
	"folio/storage"
)

// This workstation's own user and key-slots versions the archive refuses.
// The archive refuses a whole push batch that carries a user or key-slots
// version the endorse rules refuse (archive.Signers), so one such version
// among the pending changes — a password reset with the recovery key on
// an organisation's workstation certifies the user's new key itself; an
// administrator not yet certified since the upgrade writes users — would
// stop every later change from leaving, and the pull behind it. Instead:
//
//   - composeBatch checks the batch's user and key-slots versions first,
//     in order, with the archive's rules, against the vault's registry
//     without the versions not yet accepted by the archive (the pending
//     ones and those set aside before) — as the archive will;
//   - a refusal the local check missed (the archive knows of a disable not
//     pulled yet) comes back as a 403 naming the refused versions
//     (api.HeaderRefused); only a user or key-slots version the batch
//     carries at that place is taken for refused.
//
// A refused version stays in the vault (nothing lost) and is set aside
// (metaRefusedOwn: its reason, what to do, the version as sent), audited
// (app.ActSyncRefused), logged, and listed by 'folio sync set-aside'. The
// batch in flight records it in Skipped, so the batch is rebuilt the same
// without it every time it is sent (resumable and idempotent as before);
// acknowledging the batch takes it out of the log of changes to send.

// refusedOwn sets aside this workstation's own user and key-slots versions
// the archive refuses (see above), for the push and the bundle export.
type refusedOwn struct{ e *Engine }

// refusedOwn returns the engine's handling of its own refused versions.
func (e *Engine) refusedOwn() refusedOwn { return refusedOwn{e} }

// ownRefusal is a pending version of this workstation set aside.
type ownRefusal struct {
	seq    uint64 // its oplog seq
	v      storage.SealedVersion
	reason string
}

// screen returns the user and key-slots versions among entries (the
// batch being composed, in oplog order) the archive would refuse. The
// session checks each version's content too (app.Replica.ScreenOwn); a
// send-only round has none and leaves the judging to the archive.
func (ro refusedOwn) screen(ctx context.Context, entries []storage.OpEntry) ([]ownRefusal, error) {
	if ro.e.p.Session == nil || !slices.ContainsFunc(entries, func(en storage.OpEntry) bool { return endorse.NeedsEndorsement(string(en.Kind)) }) {
		return nil, nil
	}
	without, err := ro.unaccepted(ctx)
	if err != nil {
		return nil, err
	}
	var vs []storage.SealedVersion
	var seqs []uint64
	for _, en := range entries {
		if !endorse.NeedsEndorsement(string(en.Kind)) {
			continue
		}
		sv, err := ro.e.p.DB.Replica().Sealed(ctx, en.Kind, en.ID, en.Version)
		if err != nil {
			return nil, fmt.Errorf("read pending change %d: %w", en.Seq, err)
		}
		vs, seqs = append(vs, sv), append(seqs, en.Seq)
	}
	reasons, err := ro.e.p.Session.ScreenOwn(ctx, vs, without)
	if err != nil {
		return nil, err
	}
	var out []ownRefusal
	for i, why := range reasons {
		if why != "" {
			out = append(out, ownRefusal{seq: seqs[i], v: vs[i], reason: why})
		}
	}
	return out, nil
}

// unaccepted returns this workstation's user and key-slots versions the
// archive has not accepted: the pending ones and those set aside.
func (ro refusedOwn) unaccepted(ctx context.Context) (map[app.VersionRef]bool, error) {
	out := map[app.VersionRef]bool{}
	pending, err := ro.e.p.DB.Oplog().Pending(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	for _, en := range pending {
		if endorse.NeedsEndorsement(string(en.Kind)) {
			out[app.VersionRef{Kind: en.Kind, ID: en.ID, Version: en.Version}] = true
		}
	}
	aside, err := SetAside(ctx, ro.e.p.DB.Meta())
	if err != nil {
		return nil, err
	}
	for _, c := range aside {
		if c.Outgoing && c.Version != nil {
			v := c.Version.Version
			out[app.VersionRef{Kind: c.Kind, ID: c.ID, Version: app.Version{HLC: v.HLC, Device: app.DeviceID(v.Device)}}] = true
		}
	}
	return out, nil
}

// byArchive matches the archive's 403 naming refused versions to
// the batch sent (req, whose versions are the oplog entries seqs): each
// one must be a user or key-slots version at the place named.
func (ro refusedOwn) byArchive(ctx context.Context, req api.PushRequest, seqs []uint64, named []api.RefusedVersion) ([]ownRefusal, error) {
	var out []ownRefusal
	for _, r := range named {
		if r.Index < 0 || r.Index >= len(req.Versions) {
			continue
		}
		v := req.Versions[r.Index]
		if !endorse.NeedsEndorsement(v.Kind) || v.Kind != r.Kind || v.ID != r.ID || v.Version != r.Version {
			continue
		}
		sv, err := ro.e.p.DB.Replica().Sealed(ctx, app.Kind(v.Kind), v.ID, app.Version{HLC: v.Version.HLC, Device: app.DeviceID(v.Version.Device)})
		if err != nil {
			return nil, fmt.Errorf("read the refused change %d: %w", seqs[r.Index], err)
		}
		out = append(out, ownRefusal{seq: seqs[r.Index], v: sv, reason: "the archive: " + r.Reason})
	}
	return out, nil
}

// keepBack returns the oplog seqs among entries (pending, in order) that
// stay on this workstation: set aside before (a bundle exported them, or
// a batch in flight was composed without them), or refused now by
// screen — those are audited and logged, and the meta writes that set
// them aside are added to puts, for the caller to write with what it
// composes.
func (ro refusedOwn) keepBack(ctx context.Context, entries []storage.OpEntry, puts map[string][]byte) ([]uint64, error) {
	aside, err := ro.e.p.DB.Meta().MetaPrefix(ctx, metaRefusedOwn)
	if err != nil {
		return nil, err
	}
	var out []uint64
	var fresh []storage.OpEntry
	for _, en := range entries {
		if _, ok := aside[refusedOwnKey(en.Seq)]; ok {
			out = append(out, en.Seq)
			continue
		}
		fresh = append(fresh, en)
	}
	refused, err := ro.screen(ctx, fresh)
	if err != nil {
		return nil, err
	}
	more, err := ro.setAside(ctx, refused)
	if err != nil {
		return nil, err
	}
	maps.Copy(puts, more)
	for _, r := range refused {
		out = append(out, r.seq)
	}
	slices.Sort(out)
	return out, nil
}

// setAside audits and logs the refused versions and returns the meta
// writes that set them aside.
func (ro refusedOwn) setAside(ctx context.Context, refused []ownRefusal) (map[string][]byte, error) {
	puts := map[string][]byte{}
	for _, r := range refused {
		wv := wireVersion(r.v)
		sa := SetAsideChange{Seq: r.seq, Outgoing: true, Kind: r.v.Kind, ID: r.v.ID,
			Reason: ownRefusalWords(r.v.Kind, r.v.ID, wv.Endorsement, r.reason), Version: &wv, Unaudited: ro.e.p.Session == nil}
		ro.e.p.Log.Warn("sync set aside a change of this workstation the archive does not accept", "kind", r.v.Kind, "id", r.v.ID, "version", r.v.Version, "err", r.reason)
		if ro.e.p.Session != nil {
			if err := ro.e.p.Session.RefusedVersion(ctx, r.v.Kind, r.v.ID, r.v.Version, sa.Reason); err != nil {
				return nil, err
			}
		}
		b, err := json.Marshal(sa)
		if err != nil {
			return nil, err
		}
		puts[refusedOwnKey(r.seq)] = b
	}
	return puts, nil
}

// audit audits the outgoing refusals a send-only round set
// aside (it could not write the audit trail).
func (ro refusedOwn) audit(ctx context.Context) error {
	aside, err := SetAside(ctx, ro.e.p.DB.Meta())
	if err != nil {
		return err
	}
	for _, c := range aside {
		if !c.Outgoing || !c.Unaudited {
			continue
		}
		var v app.Version
		if c.Version != nil {
			v = app.Version{HLC: c.Version.Version.HLC, Device: app.DeviceID(c.Version.Version.Device)}
		}
		if err := ro.e.p.Session.RefusedVersion(ctx, c.Kind, c.ID, v, c.Reason); err != nil {
			return err
		}
		c.Unaudited = false
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := ro.e.p.DB.Meta().UpdateMeta(ctx, map[string][]byte{c.key(): b}, nil); err != nil {
			return err
		}
	}
	return nil
}

// keepAside sets aside the versions of the batch in flight the archive
// refused and fixes the batch without them.
func (ro refusedOwn) keepAside(ctx context.Context, fl inflight, refused []ownRefusal) error {
	puts, err := ro.setAside(ctx, refused)
	if err != nil {
		return err
	}
	for _, r := range refused {
		if !slices.Contains(fl.Skipped, r.seq) {
			fl.Skipped = append(fl.Skipped, r.seq)
		}
	}
	puts[metaInflight], _ = json.Marshal(fl)
	return ro.e.p.DB.Meta().UpdateMeta(ctx, puts, nil)
}

// ownRefusalWords says what a refused version of this workstation means
// for the people here, and what to do; why is the rules' reason.
func ownRefusalWords(kind app.Kind, id string, e *endorse.Endorsement, why string) string {
	switch {
	case e == nil:
		return fmt.Sprintf("the archive does not accept this workstation's change to %s %s: it carries no signature of a signed-in user "+
			"(written before signing keys existed). It is kept here and not sent; an administrator makes the change again from their session (%s)", kind, id, why)
	case kind == app.KindUser && e.Signer == id:
		return fmt.Sprintf("the password reset of %s with the recovery key on this workstation is not accepted by the archive "+
			"(in an organisation only an administrator gives a user a new signing key): the new password opens this workstation only. "+
			"An administrator must reset %s's password from their own session ('folio user passwd %s'); "+
			"the reset made here is kept on this workstation and not sent (%s)", id, id, id, why)
	case kind == app.KindKeySlots && e.Signer == id:
		return fmt.Sprintf("the password of %s set on this workstation is not accepted by the archive: it was set with a signing key the archive "+
			"does not know for %s (as after a reset with the recovery key), and opens this workstation only. "+
			"An administrator must reset %s's password from their own session ('folio user passwd %s'); "+
			"the change made here is kept on this workstation and not sent (%s)", id, id, id, id, why)
	}
	return fmt.Sprintf("the archive does not accept the change to %s %s made on this workstation in %s's session: "+
		"the archive does not know %s as an administrator who may make it (an administrator not certified since the upgrade "+
		"is certified when another administrator saves their account). The change is kept here and not sent; "+
		"once that is done, make it again (%s)", kind, id, e.Signer, e.Signer, why)
}
