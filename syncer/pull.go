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
func (e *Engine) pull(ctx context.Context, rep *Report) error {
	db := e.p.DB
	cursor, err := getUint(ctx, db.Meta(), metaCursor)
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
		if err := e.importPage(ctx, page.Changes, rep); err != nil {
			return err
		}
		if page.Next != cursor {
			if err := db.Meta().UpdateMeta(ctx, map[string][]byte{metaCursor: putUint(page.Next)}, nil); err != nil {
				return err
			}
			cursor = page.Next
		}
		if !page.More {
			return nil
		}
	}
}

// importPage stores one page of changes through the session, which opens
// and checks each (app.Replica.ImportReplicated). A change that does not
// open with the vault key (tampered on the way, or sealed for another
// vault), or a user or key-slots version no entitled user wrote, is set
// aside with its reason and the rest are stored.
func (e *Engine) importPage(ctx context.Context, changes []api.Change, rep *Report) error {
	if len(changes) == 0 {
		return nil
	}
	vs := make([]storage.SealedVersion, len(changes))
	for i, c := range changes {
		vs[i] = localVersion(c)
		rep.RecordBytesDown += int64(len(c.Ciphertext))
	}
	// Count this device's own versions the vault lacks, once stored:
	// sent after the backup it was restored from, fetched back now.
	var refetch []int
	if e.rejoining {
		self := e.p.DB.DeviceID()
		for i, v := range vs {
			if v.Version.Device != self {
				continue
			}
			if _, err := e.p.DB.Replica().Sealed(ctx, v.Kind, v.ID, v.Version); errors.Is(err, app.ErrNotFound) {
				refetch = append(refetch, i)
			}
		}
	}
	got, err := e.p.Session.ImportReplicated(ctx, vs)
	if err != nil {
		return err
	}
	aside := map[string][]byte{}
	unendorsed := map[int]bool{}
	for _, r := range got.Refused {
		c := changes[r.Index]
		sa := SetAsideChange{Seq: c.Seq, Kind: app.Kind(c.Kind), ID: c.ID, Reason: r.Reason}
		if r.Unendorsed {
			unendorsed[r.Index] = true
			sa.Version = &c.RecordVersion
			e.p.Log.Warn("sync set aside a user or key-slots version no entitled user signed", "kind", c.Kind, "id", c.ID, "version", vs[r.Index].Version, "err", r.Reason)
		} else {
			e.p.Log.Warn("sync set aside a change that does not open", "seq", c.Seq, "kind", c.Kind, "err", r.Reason)
		}
		b, err := json.Marshal(sa)
		if err != nil {
			return err
		}
		aside[setAsideKey(c.Seq)] = b
		rep.Rejected++
	}
	if len(aside) > 0 {
		if err := e.p.DB.Meta().UpdateMeta(ctx, aside, nil); err != nil {
			return err
		}
	}
	for _, i := range refetch {
		if !unendorsed[i] {
			rep.Refetched++
		}
	}
	rep.Pulled += got.Stored
	rep.Known += got.Known
	rep.Forked += len(got.Forked)
	return nil
}
