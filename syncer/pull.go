package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"folio/app"
	"folio/archive/api"
	"folio/storage"
)

// pull takes in every change after the cursor, page by page; the cursor
// moves only after a page is committed.
func (e *Engine) pull(ctx context.Context, aead app.AEAD, rep *Report) error {
	db := e.p.DB
	cursor, err := getUint(ctx, db, metaCursor)
	if err != nil {
		return err
	}
	for {
		page, err := e.p.Client.Pull(ctx, cursor, e.p.PullLimit)
		if err != nil {
			return fmt.Errorf("pull after %d: %w", cursor, err)
		}
		e.setStatus(func(s *Status) {
			s.State, s.Phase = StateSyncing, "receiving changes"
			s.Done, s.Total = int(page.Next), int(page.Head)
		})
		if err := e.importPage(ctx, aead, page.Changes, rep); err != nil {
			return err
		}
		if page.Next != cursor {
			if err := db.UpdateMeta(ctx, map[string][]byte{metaCursor: putUint(page.Next)}, nil); err != nil {
				return err
			}
			cursor = page.Next
		}
		if !page.More {
			return nil
		}
	}
}

// importPage stores one page of changes. A change that does not open with
// the vault key (tampered on the way, or sealed for another vault), or a
// user or key-slots version no entitled user wrote (screen), is set aside
// with its reason and the rest are stored.
func (e *Engine) importPage(ctx context.Context, aead app.AEAD, changes []api.Change, rep *Report) error {
	if len(changes) == 0 {
		return nil
	}
	vs := make([]storage.SealedVersion, len(changes))
	for i, c := range changes {
		vs[i] = localVersion(c)
		rep.RecordBytesDown += int64(len(c.Ciphertext))
	}
	changes, vs, err := e.screen(ctx, aead, changes, vs, rep)
	if err != nil {
		return err
	}
	if e.rejoining {
		// Count this device's own versions the vault lacks: sent after
		// the backup it was restored from, fetched back now.
		self := e.p.DB.DeviceID()
		for _, v := range vs {
			if v.Version.Device != self {
				continue
			}
			if _, err := e.p.DB.Sealed(ctx, v.Kind, v.ID, v.Version); errors.Is(err, app.ErrNotFound) {
				rep.Refetched++
			}
		}
	}
	tokens := func(rec app.StoredRecord) ([][]byte, error) { return e.p.Session.IndexTokens(ctx, rec) }
	ir, err := e.p.DB.ImportVersions(ctx, aead, vs, tokens)
	if errors.Is(err, app.ErrTampered) {
		// Find the bad ones: import one at a time.
		var all storage.ImportReport
		rejected := map[string][]byte{}
		for i, v := range vs {
			one, err := e.p.DB.ImportVersions(ctx, aead, []storage.SealedVersion{v}, tokens)
			if errors.Is(err, app.ErrTampered) {
				rejected[setAsideKey(changes[i].Seq)], _ = json.Marshal(SetAsideChange{Seq: changes[i].Seq, Kind: v.Kind, ID: v.ID, Reason: err.Error()})
				rep.Rejected++
				e.p.Log.Warn("sync set aside a change that does not open", "seq", changes[i].Seq, "kind", v.Kind, "err", err)
				continue
			}
			if err != nil {
				return err
			}
			all.Stored += one.Stored
			all.Known += one.Known
			all.Changed = append(all.Changed, one.Changed...)
			all.Forked = append(all.Forked, one.Forked...)
		}
		if err := e.p.DB.UpdateMeta(ctx, rejected, nil); err != nil {
			return err
		}
		ir, err = all, nil
	}
	if err != nil {
		return err
	}
	rep.Pulled += ir.Stored
	rep.Known += ir.Known
	rep.Forked += len(ir.Forked)
	if len(ir.Changed) > 0 {
		changed := map[app.Kind][]string{}
		for _, r := range ir.Changed {
			changed[r.Kind] = append(changed[r.Kind], r.ID)
		}
		if err := e.p.Session.ApplyReplicated(ctx, changed); err != nil {
			return err
		}
	}
	return nil
}
