package syncer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"folio/app"
	"folio/archive/api"
	"folio/endorse"
	"folio/storage"
)

// maxBatchBytes bounds the ciphertext of one push batch (the request
// carries it as base64, under api.MaxPushBody).
const maxBatchBytes = 16 << 20

// push sends every pending version and audit entry, batch by batch.
func (e *Engine) push(ctx context.Context, rep *Report) error {
	db := e.p.DB
	for {
		fl, ok, err := getJSON[inflight](ctx, db.Meta(), metaInflight)
		if err != nil {
			return err
		}
		if !ok {
			if fl, ok, err = e.composeBatch(ctx); err != nil || !ok {
				return cmp.Or(err, e.auditHeld)
			}
		}
		req, seqs, err := e.batchRequest(ctx, fl)
		if err != nil {
			return err
		}
		if len(req.Versions) == 0 && len(req.Audit) == 0 {
			// Every version of it set aside, no audit to send: nothing
			// to send under this number.
			if err := db.Oplog().Ack(ctx, fl.OplogThrough); err != nil {
				return err
			}
			if err := db.Meta().UpdateMeta(ctx, nil, []string{metaInflight}); err != nil {
				return err
			}
			continue
		}
		e.setStatus(func(s *Status) { s.State, s.Phase = StateSyncing, fmt.Sprintf("sending %d changes", len(req.Versions)) })
		resp, err := e.p.Client.Push(ctx, req)
		if ae := (*api.Error)(nil); errors.As(err, &ae) && len(ae.Refused) > 0 {
			// The archive refused versions the check before sending let
			// through: set them aside, send the batch again without them.
			refused, rerr := e.refusedOwn().byArchive(ctx, req, seqs, ae.Refused)
			if rerr != nil {
				return rerr
			}
			if len(refused) > 0 {
				if err := e.refusedOwn().keepAside(ctx, fl, refused); err != nil {
					return err
				}
				continue
			}
		}
		if errors.Is(err, api.ErrConflict) || errors.Is(err, api.ErrHashMismatch) {
			// Restored from a backup since this engine's first round?
			if caught, err := e.restore().catchUp(ctx); err != nil || caught {
				if err == nil {
					e.rejoining = true
					continue
				}
				return err
			}
		}
		if errors.Is(err, api.ErrConflict) && !errors.Is(err, api.ErrHashMismatch) {
			// The archive holds another batch under this number (this
			// vault's sync state was restored from an older copy): number
			// again after the archive's last batch.
			if err := e.renumber(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("push batch %d: %w", fl.Batch, err)
		}
		puts := map[string][]byte{metaNextBatch: putUint(fl.Batch + 1)}
		if fl.AuditThrough > 0 {
			puts[metaAuditSent] = putUint(max(resp.AuditThrough, fl.AuditThrough))
		}
		if resp.Countersign != nil {
			if b, err := json.Marshal(resp.Countersign); err == nil {
				puts[metaCountersign] = b
			}
		}
		if err := db.Meta().UpdateMeta(ctx, puts, []string{metaInflight}); err != nil {
			return err
		}
		if resp.Countersign != nil {
			if err := keepCountersign(db, *resp.Countersign); err != nil {
				return err
			}
		}
		if fl.Versions > 0 {
			if err := db.Oplog().Ack(ctx, fl.OplogThrough); err != nil {
				return err
			}
		}
		for _, v := range req.Versions {
			rep.RecordBytesUp += int64(len(v.Ciphertext))
		}
		for _, a := range req.Audit {
			rep.RecordBytesUp += int64(len(a.Sealed))
		}
		for _, r := range resp.Results {
			if r.Duplicate {
				rep.PushedDup++
			} else {
				rep.Pushed++
			}
		}
		if fl.AuditThrough > 0 {
			rep.Audit += int(fl.AuditThrough - fl.AuditFrom + 1)
		}
	}
}

// composeBatch fixes the content of the next batch in the vault's meta;
// ok is false when nothing is left to send.
func (e *Engine) composeBatch(ctx context.Context) (inflight, bool, error) {
	db := e.p.DB
	e.auditHeld = nil
	next, err := getUint(ctx, db.Meta(), metaNextBatch)
	if err != nil {
		return inflight{}, false, err
	}
	sent, err := getUint(ctx, db.Meta(), metaAuditSent)
	if err != nil {
		return inflight{}, false, err
	}
	if next == 0 {
		// First push from this vault: continue after what the archive
		// holds of this device (a vault restored from a backup).
		info, err := e.p.Client.Device(ctx)
		if err != nil {
			return inflight{}, false, err
		}
		next, sent = info.LastBatch+1, max(sent, info.AuditThrough)
		if err := db.Meta().UpdateMeta(ctx, map[string][]byte{metaNextBatch: putUint(next), metaAuditSent: putUint(sent)}, nil); err != nil {
			return inflight{}, false, err
		}
	}
	entries, _, err := e.cutBatch(ctx, 0)
	if err != nil {
		return inflight{}, false, err
	}
	fl := inflight{Batch: next, Versions: len(entries)}
	if len(entries) > 0 {
		fl.OplogThrough = entries[len(entries)-1].Seq
	}
	// This workstation's users and key slots the archive would refuse
	// stay here, set aside (ownrefused.go); audited before the audit
	// range is fixed.
	puts := map[string][]byte{}
	if fl.Skipped, err = e.refusedOwn().keepBack(ctx, entries, puts); err != nil {
		return inflight{}, false, err
	}
	head, err := db.Audit().AuditHead(ctx)
	if err != nil && !errors.Is(err, app.ErrNotFound) {
		return inflight{}, false, err
	}
	if head.Seq > sent {
		if e.auditHeld = e.auditIntact(ctx); e.auditHeld == nil {
			fl.AuditFrom, fl.AuditThrough = auditSpan(sent, head.Seq)
		}
	}
	if fl.Versions == 0 && fl.AuditThrough == 0 {
		return inflight{}, false, nil
	}
	puts[metaInflight], _ = json.Marshal(fl)
	if err := db.Meta().UpdateMeta(ctx, puts, nil); err != nil {
		return inflight{}, false, err
	}
	return fl, true, nil
}

// cutBatch returns the pending versions the next batch after oplog seq
// after carries, with their sealed versions: the online push (after 0:
// the first pending) and the bundle export cut batches here alike. A batch
// holds at most Params.PushVersions versions and maxBatchBytes of their
// ciphertext, but always its first version.
func (e *Engine) cutBatch(ctx context.Context, after uint64) ([]storage.OpEntry, []storage.SealedVersion, error) {
	entries, err := e.p.DB.Oplog().Pending(ctx, after, e.p.PushVersions)
	if err != nil {
		return nil, nil, err
	}
	vs := make([]storage.SealedVersion, 0, len(entries))
	size := 0
	for i, en := range entries {
		sv, err := e.p.DB.Replica().Sealed(ctx, en.Kind, en.ID, en.Version)
		if err != nil {
			return nil, nil, fmt.Errorf("read pending change %d: %w", en.Seq, err)
		}
		if i > 0 && size+len(sv.Ciphertext) > maxBatchBytes {
			return entries[:i], vs, nil
		}
		size += len(sv.Ciphertext)
		vs = append(vs, sv)
	}
	return entries, vs, nil
}

// auditSpan is the audit entries the next batch carries after the last
// one sent, the trail ending at head: from through through, at most
// api.MaxBatchAudit (the caller checks that head is past sent).
func auditSpan(sent, head uint64) (from, through uint64) {
	return sent + 1, min(head, sent+api.MaxBatchAudit)
}

// ErrAuditAltered is a workstation whose audit trail no longer matches its
// keyed head: its entries are not sent, so the archive never countersigns
// a trail changed outside Folio. Record changes are sent all the same.
var ErrAuditAltered = errors.New("this workstation's audit trail was changed outside Folio (it no longer matches its keyed head): it is not sent to the archive, which would vouch for it; run 'folio verify' and report this")

// auditIntact checks, before audit entries are sent, that the trail still
// leads to its keyed head; with a session, the head's signature too (the
// send-only engine has no key: storage.Audit.CheckAuditHead).
func (e *Engine) auditIntact(ctx context.Context) error {
	var key app.AuditKey
	if e.p.Session != nil {
		k, err := e.p.Session.AuditKey()
		if err != nil {
			return err
		}
		key = k
	}
	if err := e.p.DB.Audit().CheckAuditHead(ctx, key); err != nil {
		if errors.Is(err, app.ErrTampered) {
			return ErrAuditAltered
		}
		return err
	}
	return nil
}

// renumber drops the batch in flight and continues after the archive's
// last batch of this device.
func (e *Engine) renumber(ctx context.Context) error {
	info, err := e.p.Client.Device(ctx)
	if err != nil {
		return err
	}
	cur, _ := getUint(ctx, e.p.DB.Meta(), metaNextBatch)
	if info.LastBatch+1 <= cur {
		return fmt.Errorf("%w: the archive refused batch %d of this workstation although it holds batches only through %d", api.ErrConflict, cur, info.LastBatch)
	}
	return e.p.DB.Meta().UpdateMeta(ctx, map[string][]byte{metaNextBatch: putUint(info.LastBatch + 1), metaAuditSent: putUint(info.AuditThrough)}, []string{metaInflight})
}

// batchRequest rebuilds a fixed batch from the oplog and the audit chain:
// the same bytes every time it is sent. seqs are the oplog seqs of its
// versions.
func (e *Engine) batchRequest(ctx context.Context, fl inflight) (req api.PushRequest, seqs []uint64, err error) {
	db := e.p.DB
	req = api.PushRequest{Device: api.DeviceID(db.DeviceID()), Batch: fl.Batch, Versions: []api.RecordVersion{}}
	if fl.Versions > 0 {
		entries, err := db.Oplog().Pending(ctx, 0, fl.Versions)
		if err != nil {
			return req, nil, err
		}
		for _, en := range entries {
			if en.Seq > fl.OplogThrough {
				break
			}
			if slices.Contains(fl.Skipped, en.Seq) {
				continue
			}
			sv, err := db.Replica().Sealed(ctx, en.Kind, en.ID, en.Version)
			if err != nil {
				return req, nil, fmt.Errorf("read pending change %d: %w", en.Seq, err)
			}
			req.Versions = append(req.Versions, wireVersion(sv))
			seqs = append(seqs, en.Seq)
		}
	}
	if fl.AuditThrough > 0 {
		for en, err := range db.Audit().AuditEntriesFrom(ctx, fl.AuditFrom) {
			if err != nil {
				return req, nil, fmt.Errorf("read the audit trail to send: %w", err)
			}
			if en.Seq > fl.AuditThrough {
				break
			}
			req.Audit = append(req.Audit, api.AuditEntry{Seq: en.Seq, Sealed: en.Sealed, Hash: en.Hash})
		}
	}
	return req, seqs, nil
}

// wireVersion is a stored version as it is pushed. Its endorsement goes
// along when it is one the wire can carry (a user's or key slots'); the
// archive refuses a user or key-slots version without one.
func wireVersion(sv storage.SealedVersion) api.RecordVersion {
	v := api.RecordVersion{
		Kind: string(sv.Kind), ID: sv.ID, Ciphertext: sv.Ciphertext,
		Version: api.Version{HLC: sv.Version.HLC, Device: api.DeviceID(sv.Version.Device)},
		Parent:  api.Version{HLC: sv.Parent.HLC, Device: api.DeviceID(sv.Parent.Device)},
	}
	if len(sv.Endorsement) > 0 && endorse.NeedsEndorsement(v.Kind) {
		var e endorse.Endorsement
		if json.Unmarshal(sv.Endorsement, &e) == nil && e.Validate() == nil {
			v.Endorsement = &e
		}
	}
	return v
}

// localVersion is a pulled version as the vault stores it.
func localVersion(c api.Change) storage.SealedVersion {
	sv := storage.SealedVersion{
		Kind: app.Kind(c.Kind), ID: c.ID, Ciphertext: c.Ciphertext,
		Version: app.Version{HLC: c.Version.HLC, Device: app.DeviceID(c.Version.Device)},
		Parent:  app.Version{HLC: c.Parent.HLC, Device: app.DeviceID(c.Parent.Device)},
	}
	if c.Endorsement != nil {
		sv.Endorsement, _ = json.Marshal(c.Endorsement) // a struct of strings and bytes: it marshals
	}
	return sv
}
