package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"folio/app"
	"folio/archive/api"
	"folio/storage"
)

// A workstation restored from a backup (its folder copied back, or 'folio
// restore') is behind the archive: the archive holds audit entries, push
// batches and record versions this device sent after the backup was taken,
// and the vault, working on, reuses those audit seqs and batch numbers. The
// engine notices on its first round (and whenever the archive refuses a
// push batch or an audit entry) by comparing the archive's record of this
// device with the vault's sync state, and catches up before it pushes:
//
//   - the audit trail: the archive's entries after the vault's last
//     acknowledged one are fetched back and spliced in, the entries the
//     vault appended since the restore are re-linked after them (their
//     sealed events unchanged), and a "restored from a backup" event
//     (app.ActVaultRestored) follows (storage.Audit.RejoinAudit);
//   - push batches: numbering continues after the archive's last batch of
//     this device, so no new batch reuses a number the archive answered
//     (a reused number with other content is refused, the same content
//     replayed);
//   - record versions and scans: the pull cursor is the backup's, so the
//     next pull brings back this device's own versions sent after the
//     backup with everyone else's (an import keeps both branches of a
//     record changed on both sides, as a conflict; the clock moves past
//     every version seen), and the scans they name are downloaded.
//
// The catch-up is counted in meta (metaRestored) until a complete round
// has run; Status.Restore then says what happened.

// metaRestored holds the RestoreReport of a catch-up under way (JSON).
const metaRestored = "sync/restored"

// ErrRestoredSignIn is the send-only engine's answer on a workstation
// restored from a backup: catching up needs the vault's keys.
var ErrRestoredSignIn = errors.New("this workstation was restored from a backup and is behind the archive: sign in so it can catch up (nothing is sent until then)")

// RestoreReport says how a workstation restored from a backup caught up
// with the archive.
type RestoreReport struct {
	At time.Time `json:"at"` // when the engine noticed
	// AuditFetched are the audit entries fetched back; AuditRelinked the
	// vault's own entries since the restore, linked after them.
	AuditFetched  int `json:"audit_fetched"`
	AuditRelinked int `json:"audit_relinked"`
	// Fetched are this device's own record versions fetched back; Sent
	// the new versions the archive took since the catch-up began.
	Fetched int  `json:"fetched"`
	Sent    int  `json:"sent"`
	Done    bool `json:"done"` // a complete round has run since
}

// String is the sentence a clerk reads.
func (r RestoreReport) String() string {
	if !r.Done {
		return fmt.Sprintf("This workstation was restored from a backup; it is catching up with the archive: %s fetched back so far", count(r.Fetched, "change"))
	}
	return fmt.Sprintf("This workstation was restored from a backup; it caught up with the archive: %s fetched back, %s sent", count(r.Fetched, "change"), count(r.Sent, "new change"))
}

// restore catches up a vault restored from a backup with what the archive
// holds of this device (see above), for the engine's rounds; the engine
// keeps whether it checked and whether a catch-up is under way.
type restore struct{ e *Engine }

// restore returns the engine's catch-up of a restored vault.
func (e *Engine) restore() restore { return restore{e} }

// underWay returns the catch-up under way, if any.
func (rs restore) underWay(ctx context.Context) (*RestoreReport, error) {
	r, ok, err := getJSON[RestoreReport](ctx, rs.e.p.DB.Meta(), metaRestored)
	if err != nil || !ok || r.Done {
		return nil, err
	}
	return &r, nil
}

// check runs catchUp on the engine's first round, and notes whether a
// catch-up is under way.
func (rs restore) check(ctx context.Context) error {
	e := rs.e
	if !e.checked {
		if _, err := rs.catchUp(ctx); err != nil {
			return err
		}
		e.checked = true
	}
	r, err := rs.underWay(ctx)
	e.rejoining = r != nil
	return err
}

// catchUp checks whether the vault is behind what the archive holds of this
// device and, when it is, rejoins the archive's audit trail and push
// numbering (see above). It reports whether it did. Without a session it
// only checks, and answers ErrRestoredSignIn when the vault is behind.
func (rs restore) catchUp(ctx context.Context) (bool, error) {
	e := rs.e
	db := e.p.DB
	st, err := readStanding(ctx, db, e.p.Client)
	if err != nil || !st.behind {
		return false, err
	}
	info, sent, head := st.info, st.sent, st.head
	if e.p.Session == nil {
		return false, ErrRestoredSignIn
	}
	theirs, err := rs.archiveAudit(ctx, sent)
	if err != nil {
		return false, err
	}
	event, err := e.p.Session.RestoreEvent(fmt.Sprintf("restored from a backup: this copy's audit trail ended at entry %d, the archive held this workstation's through %d and its push batches through %d", head.Seq, info.AuditThrough, info.LastBatch))
	if err != nil {
		return false, err
	}
	next, err := getUint(ctx, db.Meta(), metaNextBatch)
	if err != nil {
		return false, err
	}
	key, err := e.p.Session.AuditKey()
	if err != nil {
		return false, err
	}
	rj, err := db.Audit().RejoinAudit(ctx, storage.AuditRejoin{
		From: sent + 1, Theirs: theirs, Append: [][]byte{event}, Key: key,
		Meta:       map[string][]byte{metaAuditSent: putUint(info.AuditThrough), metaNextBatch: putUint(max(next, info.LastBatch+1))},
		DeleteMeta: []string{metaInflight},
	})
	if err != nil {
		return false, err
	}
	if rj.Fetched == 0 {
		return false, nil
	}
	if err := e.p.Session.Checkpoint(ctx); err != nil {
		return false, err
	}
	r, err := rs.underWay(ctx)
	if err != nil {
		return false, err
	}
	if r == nil {
		r = &RestoreReport{At: e.p.Now().UTC()}
	}
	r.AuditFetched += rj.Fetched
	r.AuditRelinked += rj.Relinked
	if err := rs.save(ctx, *r); err != nil {
		return false, err
	}
	e.p.Log.Warn("sync: this workstation was restored from a backup; caught up with the archive's audit trail",
		"fork", rj.Fork, "fetched", rj.Fetched, "relinked", rj.Relinked, "dropped", rj.Dropped, "next_batch", max(next, info.LastBatch+1))
	return true, nil
}

// Behind reports whether the archive holds audit entries of this device
// that the vault lacks or holds otherwise: the vault is an earlier copy
// (restored from a backup), and the next round with a session catches it
// up. 'folio sync status' asks.
func Behind(ctx context.Context, db *storage.DB, c *Client) (bool, error) {
	st, err := readStanding(ctx, db, c)
	return st.behind, err
}

// standing is where the vault stands with the archive: the archive's
// record of this device, the last audit seq the vault saw acknowledged,
// the vault's audit head, and whether it is behind (an earlier copy).
type standing struct {
	info   api.DeviceInfo
	sent   uint64
	head   app.AuditEntry
	behind bool
}

func readStanding(ctx context.Context, db *storage.DB, c *Client) (standing, error) {
	var st standing
	var err error
	if st.info, err = c.Device(ctx); err != nil {
		return st, err
	}
	if st.sent, err = getUint(ctx, db.Meta(), metaAuditSent); err != nil {
		return st, err
	}
	if st.head, err = db.Audit().AuditHead(ctx); err != nil {
		return st, err
	}
	st.behind, err = behind(ctx, db, c, st.info, st.sent, st.head)
	return st, err
}

// behind is Behind with the archive's record of the device (info), the
// last audit seq the vault saw acknowledged (sent) and its head.
func behind(ctx context.Context, db *storage.DB, c *Client, info api.DeviceInfo, sent uint64, head app.AuditEntry) (bool, error) {
	switch {
	case info.AuditThrough <= sent:
		return false, nil // it holds no more than the vault knows it sent
	case info.AuditThrough > head.Seq:
		return true, nil
	}
	// The archive holds entries the vault has but has not seen
	// acknowledged (a lost answer), or other entries under those seqs.
	page, err := c.AuditEntries(ctx, info.AuditThrough-1, 1)
	if err != nil {
		return false, err
	}
	if len(page.Entries) != 1 {
		return false, fmt.Errorf("%w: the archive did not return audit entry %d it says it holds", api.ErrInvalid, info.AuditThrough)
	}
	var mine app.AuditEntry
	for en, err := range db.Audit().AuditEntriesFrom(ctx, info.AuditThrough) {
		if err != nil {
			return false, err
		}
		mine = en
		break
	}
	return string(mine.Hash) != string(page.Entries[0].Hash), nil
}

// archiveAudit reads back every entry of this device's audit trail the
// archive holds after seq after.
func (rs restore) archiveAudit(ctx context.Context, after uint64) ([]app.AuditEntry, error) {
	var out []app.AuditEntry
	for {
		page, err := rs.e.p.Client.AuditEntries(ctx, after, api.MaxBatchAudit)
		if err != nil {
			return nil, fmt.Errorf("fetch back the audit trail after entry %d: %w", after, err)
		}
		for _, en := range page.Entries {
			if en.Seq != after+1 {
				return nil, fmt.Errorf("%w: the archive's audit entry %d does not follow %d", api.ErrInvalid, en.Seq, after)
			}
			out = append(out, app.AuditEntry{Seq: en.Seq, Sealed: en.Sealed, Hash: en.Hash})
			after = en.Seq
		}
		if !page.More {
			return out, nil
		}
	}
}

// save keeps r as the catch-up under way.
func (rs restore) save(ctx context.Context, r RestoreReport) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return rs.e.p.DB.Meta().UpdateMeta(ctx, map[string][]byte{metaRestored: b}, nil)
}

// count adds what a round did to the catch-up under way; once a
// round completes the catch-up is done and the status says so.
func (rs restore) count(ctx context.Context, rep *Report, complete bool) error {
	r, err := rs.underWay(ctx)
	if err != nil || r == nil {
		return err
	}
	r.Fetched += rep.Refetched
	r.Sent += rep.Pushed
	r.Done = complete
	if err := rs.save(ctx, *r); err != nil {
		return err
	}
	rep.Restore = r
	return nil
}
