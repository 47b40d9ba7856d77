package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

// Audit is the audit chain of a DB: appending sealed events, the keyed
// head and its checkpoints, reading and verifying the chain. It is cheap
// to make.
type Audit struct {
	db *DB
}

// Audit returns the audit chain of db.
func (db *DB) Audit() *Audit { return &Audit{db: db} }

// auditPage is how many audit entries AuditEntries reads per transaction.
const auditPage = 512

func checkAudit(sealed [][]byte) error {
	for i, s := range sealed {
		if len(s) == 0 || len(s) > maxSealedLen {
			return app.Invalidf("sealed audit event %d is %d bytes (want 1 to %d)", i, len(s), maxSealedLen)
		}
	}
	return nil
}

// appendAudit links sealed events onto the chain inside tx (the keyless
// link the archive checks too: AuditLink) and returns the seq of the entry
// before them.
func appendAudit(tx *bolt.Tx, sealed [][]byte) (prior uint64, err error) {
	b := tx.Bucket(bucketAudit)
	b.FillPercent = 1 // append-only
	var seq uint64
	var prev []byte
	if k, v := b.Cursor().Last(); k != nil {
		n, err := decodeSeq(k)
		if err != nil {
			return 0, fmt.Errorf("last audit entry: %w", err)
		}
		h, _, err := decodeAuditValue(v)
		if err != nil {
			return 0, fmt.Errorf("audit entry %d: %w", n, err)
		}
		seq, prev = n, h
	}
	prior = seq
	for _, s := range sealed {
		seq++
		h := AuditLink(prev, seq, s)
		if err := b.Put(seqKey(seq), encodeAuditValue(h, s)); err != nil {
			return 0, err
		}
		prev = h
	}
	return prior, nil
}

// AuditLink is the keyless link of the audit chain: entry seq's hash is
// SHA-256(prev ‖ seq (8 BE) ‖ sealed), prev being the hash of entry seq-1
// (nil, read as 32 zero bytes, before entry 1). The archive checks the same
// link (api.AuditChainHash) on every pushed entry. Code that re-links
// entries (a restored workstation renumbering its entries after the
// archive's, say) uses this function and then RelinkAudit's keyed head;
// it never writes a hash of its own.
func AuditLink(prev []byte, seq uint64, sealed []byte) []byte { return chainHash(prev, seq, sealed) }

// AppendAudit appends sealed events durably, in order, in one transaction.
// It needs no keys: the vault may be locked. The entries follow the keyed
// head unauthenticated until the next signed append or checkpoint.
func (a *Audit) AppendAudit(ctx context.Context, sealed [][]byte) error {
	return a.appendWith(ctx, sealed, nil)
}

// AppendSignedAudit appends sealed events and re-signs the keyed head over
// them in the same transaction (keyHead). When the stored keyed head does
// not verify or the chain no longer leads to it, the events are appended
// all the same (nothing is lost) but the head is left as it is, for verify
// to report.
func (a *Audit) AppendSignedAudit(ctx context.Context, sealed [][]byte, key app.AuditKey) error {
	if key == nil {
		return fmt.Errorf("append to the audit trail: %w", app.Invalidf("no audit key given"))
	}
	return a.appendWith(ctx, sealed, key)
}

func (a *Audit) appendWith(ctx context.Context, sealed [][]byte, key app.AuditKey) error {
	if err := checkAudit(sealed); err != nil {
		return err
	}
	if len(sealed) == 0 {
		return ctx.Err()
	}
	err := a.db.update(ctx, func(tx *bolt.Tx) error { return a.appendKeyed(tx, sealed, key) })
	if err != nil {
		return fmt.Errorf("append to the audit trail: %w", err)
	}
	return nil
}

// appendKeyed appends inside tx and, with key, re-signs the keyed head.
func (a *Audit) appendKeyed(tx *bolt.Tx, sealed [][]byte, key app.AuditKey) error {
	if len(sealed) == 0 {
		return nil
	}
	prior, err := appendAudit(tx, sealed)
	if err != nil || key == nil {
		return err
	}
	if err := a.keyHead(tx, key, prior, false); err != nil && !errors.Is(err, errHeadBroken) {
		return err
	}
	return nil
}

// errHeadBroken is a keyed head that does not verify, or a chain that no
// longer leads to it: keyHead signs nothing then.
var errHeadBroken = fmt.Errorf("%w: the audit trail does not match its keyed head", app.ErrTampered)

// keyHead is the one place the audit chain is authenticated: it re-signs
// the keyed head (app.KeyedHead) over the chain's last entry inside tx,
// first signing a checkpoint of that entry when checkpoint is set.
//
// It extends only what the key signed before: the stored head must verify,
// entry head.Seq must still hold head.Hash, and every later entry (appended
// while the vault was locked, or in this transaction) must link to the one
// before; otherwise it returns errHeadBroken and signs nothing, so a key
// never vouches for a chain changed behind its back. A chain with no keyed
// head (a vault from before keyed heads, at its first unlock) is keyed from
// where it stands: KeyedFrom is prior, the last entry before this
// transaction's appends, and the entries up to it are accepted as they are
// (verify still checks their links and says they predate the keyed trail).
func (a *Audit) keyHead(tx *bolt.Tx, key app.AuditKey, prior uint64, checkpoint bool) error {
	old, keyed, err := a.checkHead(tx, key)
	if err != nil {
		return err
	}
	return a.signHead(tx, key, old, keyed, prior, checkpoint, false)
}

// checkHead returns the stored keyed head (keyed false when there is none)
// after checking that it verifies with key and that the chain still leads
// to it; errHeadBroken otherwise.
func (a *Audit) checkHead(tx *bolt.Tx, key app.AuditKey) (old app.KeyedHead, keyed bool, err error) {
	old, keyed, err = decodeKeyedHead(tx.Bucket(bucketMeta).Get([]byte(metaKeyedHead)), a.db.device)
	if err != nil {
		return old, false, errHeadBroken
	}
	if keyed {
		if err := key.Verify(app.KeyedHeadMessage(old), old.Signature); err != nil {
			return old, false, errHeadBroken
		}
		if err := linksFrom(tx.Bucket(bucketAudit), old.Seq, old.Hash); err != nil {
			return old, false, errHeadBroken
		}
	}
	return old, keyed, nil
}

// signHead signs the keyed head over the chain's last entry, after old
// (checked by checkHead): see keyHead. recount counts the checkpoints the
// file holds instead of adding to old's count (after RejoinAudit dropped
// some).
func (a *Audit) signHead(tx *bolt.Tx, key app.AuditKey, old app.KeyedHead, keyed bool, prior uint64, checkpoint, recount bool) error {
	k, v := tx.Bucket(bucketAudit).Cursor().Last()
	if k == nil {
		return nil // an empty chain: nothing to sign
	}
	last, err := decodeAuditEntry(k, v)
	if err != nil {
		return err
	}
	seq, hash := last.Seq, last.Hash
	cps := tx.Bucket(bucketCheckpoints)
	added := uint64(0)
	if checkpoint && cps.Get(seqKey(seq)) == nil {
		sig, err := key.Sign(app.CheckpointMessage(seq, hash))
		if err != nil {
			return fmt.Errorf("sign audit checkpoint: %w", err)
		}
		cps.FillPercent = 1
		if err := cps.Put(seqKey(seq), encodeCheckpoint(hash, sig)); err != nil {
			return err
		}
		added = 1
	}
	next := app.KeyedHead{Device: a.db.device, Seq: seq, Hash: hash, KeyedFrom: prior}
	if keyed {
		next.Checkpoints, next.KeyedFrom = old.Checkpoints+added, old.KeyedFrom
	}
	if !keyed || recount {
		next.Checkpoints = 0
		c := cps.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			next.Checkpoints++
		}
	}
	if next.Signature, err = key.Sign(app.KeyedHeadMessage(next)); err != nil {
		return fmt.Errorf("sign the audit trail's keyed head: %w", err)
	}
	return tx.Bucket(bucketMeta).Put([]byte(metaKeyedHead), encodeKeyedHead(next))
}

// linksFrom checks that entry seq holds hash and that every later entry
// links to the one before it, with no gap.
func linksFrom(audit *bolt.Bucket, seq uint64, hash []byte) error {
	c := audit.Cursor()
	k, v := c.Seek(seqKey(seq))
	if k == nil || !bytes.Equal(k, seqKey(seq)) {
		return errHeadBroken
	}
	h, _, err := decodeAuditValue(v)
	if err != nil || !bytes.Equal(h, hash) {
		return errHeadBroken
	}
	prev, expect := h, seq+1
	for k, v = c.Next(); k != nil; k, v = c.Next() {
		if err := linkOK(k, v, expect, prev, &prev); err != nil {
			return err
		}
		expect++
	}
	return nil
}

// linkOK checks one entry: its seq is expect and its hash links to prev;
// it moves prev on.
func linkOK(k, v []byte, expect uint64, prev []byte, next *[]byte) error {
	n, err := decodeSeq(k)
	if err != nil || n != expect {
		return errHeadBroken
	}
	h, sealed, err := decodeAuditValue(v)
	if err != nil || !bytes.Equal(AuditLink(prev, n, sealed), h) {
		return errHeadBroken
	}
	*next = h
	return nil
}

// AuditEntries yields the chain from seq 1 on, in order, reading auditPage
// entries per transaction; no transaction is open while the loop body runs.
// A damaged entry is yielded with an error wrapping ErrCorrupt (its Seq
// set) and the listing goes on; any other error ends it. The entries are
// yielded as stored: VerifyChain checks them.
func (a *Audit) AuditEntries(ctx context.Context) iter.Seq2[app.AuditEntry, error] {
	return a.AuditEntriesFrom(ctx, 1)
}

// AuditEntriesFrom is AuditEntries from seq from on (the syncer sends the
// part of the chain the archive lacks).
func (a *Audit) AuditEntriesFrom(ctx context.Context, from uint64) iter.Seq2[app.AuditEntry, error] {
	return func(yield func(app.AuditEntry, error) bool) {
		type item struct {
			e   app.AuditEntry
			err error
		}
		var after []byte
		if from > 1 {
			after = seqKey(from - 1)
		}
		for {
			var page []item
			err := a.db.view(ctx, func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketAudit)
				if b == nil {
					return nil
				}
				c := b.Cursor()
				for k, v := resume(c, nil, after); k != nil && len(page) < auditPage; k, v = c.Next() {
					seq, err := decodeSeq(k)
					if err != nil {
						return err // cannot resume past a key of unknown shape
					}
					after = bytes.Clone(k)
					h, s, err := decodeAuditValue(v)
					if err != nil {
						page = append(page, item{e: app.AuditEntry{Seq: seq}, err: corrupt(a.db.path, fmt.Sprintf("audit entry %d: %v", seq, err))})
						continue
					}
					page = append(page, item{e: app.AuditEntry{Seq: seq, Sealed: s, Hash: h}})
				}
				return nil
			})
			if err != nil {
				yield(app.AuditEntry{}, fmt.Errorf("read the audit trail: %w", err))
				return
			}
			for _, it := range page {
				if !yield(it.e, it.err) {
					return
				}
			}
			if len(page) < auditPage {
				return
			}
		}
	}
}

// AuditHead returns the last entry, or the zero entry (Seq 0) when the
// chain is empty.
func (a *Audit) AuditHead(ctx context.Context) (app.AuditEntry, error) {
	var e app.AuditEntry
	err := a.db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		if b == nil {
			return nil
		}
		k, v := b.Cursor().Last()
		if k == nil {
			return nil
		}
		var err error
		e, err = decodeAuditEntry(k, v)
		return err
	})
	if err != nil {
		return app.AuditEntry{}, fmt.Errorf("read the audit head: %w", err)
	}
	return e, nil
}

// Checkpoint signs a checkpoint of the chain's last entry and re-signs the
// keyed head counting it, in one transaction (keyHead). When the keyed head
// does not verify or the chain no longer leads to it, it stores nothing and
// fails with an error wrapping app.ErrTampered. A checkpoint at that seq
// already kept makes it re-sign the head only.
func (a *Audit) Checkpoint(ctx context.Context, key app.AuditKey) error {
	if key == nil {
		return fmt.Errorf("sign an audit checkpoint: %w", app.Invalidf("no audit key given"))
	}
	err := a.db.update(ctx, func(tx *bolt.Tx) error {
		prior, err := lastSeq(tx.Bucket(bucketAudit))
		if err != nil {
			return err
		}
		return a.keyHead(tx, key, prior, true)
	})
	if err != nil {
		return fmt.Errorf("sign an audit checkpoint: %w", err)
	}
	return nil
}

// lastSeq is the seq of the chain's last entry (0 when empty).
func lastSeq(audit *bolt.Bucket) (uint64, error) {
	k, _ := audit.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	return decodeSeq(k)
}

// CheckAuditHead reports, without writing, whether the chain still leads
// to its keyed head: entry head.Seq holds the head's hash and every later
// entry links to the one before. With key (an unlocked vault) the head's
// signature is checked too; without, a head whose hash was edited to fit
// a rewritten chain passes. A chain without a keyed head passes (nothing
// vouches for it yet). Failure wraps app.ErrTampered.
func (a *Audit) CheckAuditHead(ctx context.Context, key app.AuditKey) error {
	return a.db.view(ctx, func(tx *bolt.Tx) error {
		if key != nil {
			_, _, err := a.checkHead(tx, key)
			return err
		}
		old, keyed, err := decodeKeyedHead(tx.Bucket(bucketMeta).Get([]byte(metaKeyedHead)), a.db.device)
		if err != nil {
			return errHeadBroken
		}
		if keyed {
			return linksFrom(tx.Bucket(bucketAudit), old.Seq, old.Hash)
		}
		return nil
	})
}

// AuditState says how much of the chain the keyed head covers. It reads the
// head as stored, without a key: VerifyChain checks its signature.
func (a *Audit) AuditState(ctx context.Context) (app.AuditState, error) {
	var st app.AuditState
	err := a.db.view(ctx, func(tx *bolt.Tx) error {
		head, err := lastSeq(tx.Bucket(bucketAudit))
		if err != nil {
			return err
		}
		st.Head = head
		kh, ok, err := decodeKeyedHead(tx.Bucket(bucketMeta).Get([]byte(metaKeyedHead)), a.db.device)
		if err != nil {
			return corrupt(a.db.path, fmt.Sprintf("the audit trail's keyed head: %v", err))
		}
		st.Keyed, st.KeyedSeq, st.KeyedFrom = ok, kh.Seq, kh.KeyedFrom
		return nil
	})
	if err != nil {
		return app.AuditState{}, fmt.Errorf("read the audit trail's state: %w", err)
	}
	return st, nil
}

// keyedHead returns the stored keyed head; ok is false when there is none.
func (a *Audit) keyedHead(ctx context.Context) (kh app.KeyedHead, ok bool, err error) {
	err = a.db.view(ctx, func(tx *bolt.Tx) error {
		kh, ok, err = decodeKeyedHead(tx.Bucket(bucketMeta).Get([]byte(metaKeyedHead)), a.db.device)
		return err
	})
	return kh, ok, err
}

// Checkpoints returns every stored checkpoint, oldest first. A damaged one
// fails the call with ErrCorrupt.
func (a *Audit) Checkpoints(ctx context.Context) ([]app.AuditCheckpoint, error) {
	var out []app.AuditCheckpoint
	err := a.db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCheckpoints)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			seq, err := decodeSeq(k)
			if err != nil {
				return err
			}
			h, sig, err := decodeCheckpoint(v)
			if err != nil {
				return fmt.Errorf("checkpoint %d: %w", seq, err)
			}
			out = append(out, app.AuditCheckpoint{Seq: seq, Hash: h, Signature: sig})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read audit checkpoints: %w", err)
	}
	return out, nil
}

// ChainReport is what VerifyChain found. The chain is intact when Problems
// is empty.
type ChainReport struct {
	Entries     int    // entries read
	Checkpoints int    // checkpoints read
	HeadSeq     uint64 // seq of the last entry read
	Problems    []string
	// Notes say what is not damage: entries older than the keyed trail,
	// entries not yet authenticated.
	Notes []string
}

// VerifyChain checks the audit chain against its keyed head (keyHead):
//   - the keyed head's signature verifies (verifySig, the vault's audit
//     key), so it was written by an unlocked vault of this organisation,
//     for this device;
//   - the chain recomputed from entry 1 reaches the head's hash at its seq:
//     an entry deleted, inserted, edited or reordered anywhere before it,
//     even with every later hash recomputed, breaks this;
//   - the chain is not shorter than the head: a cut tail is reported;
//   - the file holds exactly the checkpoints the head counts, so dropping a
//     checkpoint is seen; each checkpoint's signature verifies over
//     app.CheckpointMessage(seq, hash) and its hash is the hash recomputed
//     from entry 1 up to its seq;
//   - seqs run 1, 2, 3 … without gaps and each entry's stored hash is
//     AuditLink(previous hash, seq, sealed), which locates a break.
//
// Entries after the head's seq were appended while the vault was locked:
// they are linked but not yet authenticated, and counted in a note. What it
// cannot see from the file alone: the whole file replaced by an earlier
// copy (its older head verifies); the archive's countersignature, checked
// by the app, covers that for a workstation that syncs. It reads the
// checkpoints and the head before the entries, so it can run while the
// chain grows. It never stops at the first problem; the error is for a
// chain it could not read at all.
func (a *Audit) VerifyChain(ctx context.Context, verifySig func(msg, sig []byte) error) (rep ChainReport, err error) {
	if verifySig == nil {
		return rep, fmt.Errorf("verify the audit chain: %w", app.Invalidf("no signature check given"))
	}
	problems := newProblems()
	defer func() { rep.Problems = problems.list() }()

	cps, err := a.Checkpoints(ctx)
	if err != nil {
		return rep, err
	}
	kh, keyed, err := a.keyedHead(ctx)
	if err != nil {
		if !errors.Is(err, errDecode) {
			return rep, fmt.Errorf("read the audit trail's keyed head: %w", err)
		}
		problems.add("the audit trail's keyed head is damaged (%v): nothing shows the trail was not rewritten", err)
	}
	if keyed {
		if err := verifySig(app.KeyedHeadMessage(kh), kh.Signature); err != nil {
			problems.add("the audit trail's keyed head does not verify: it was forged or altered, so the whole trail may have been rewritten")
		}
		if n := uint64(len(cps)); n < kh.Checkpoints {
			problems.add("%d audit checkpoints were removed: the keyed head counts %d, the file holds %d", kh.Checkpoints-n, kh.Checkpoints, n)
		} else if n > kh.Checkpoints {
			problems.add("the file holds %d audit checkpoints but the keyed head counts %d: checkpoints were added", n, kh.Checkpoints)
		}
	}
	rep.Checkpoints = len(cps)
	bySeq := map[uint64][]app.AuditCheckpoint{}
	for _, cp := range cps {
		if err := verifySig(app.CheckpointMessage(cp.Seq, cp.Hash), cp.Signature); err != nil {
			problems.add("audit checkpoint %d: the signature does not verify (%v)", cp.Seq, err)
		}
		if cp.Seq == 0 {
			problems.add("audit checkpoint 0: names no entry")
			continue
		}
		bySeq[cp.Seq] = append(bySeq[cp.Seq], cp)
	}

	var (
		expect     uint64 = 1
		prev       []byte // stored hash of the previous entry; nil after a break
		recomputed []byte // hash recomputed from entry 1
		linked     = true // prev is usable for the link check
	)
	for e, err := range a.AuditEntries(ctx) {
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, app.ErrTampered) {
				return rep, err
			}
			problems.add("%v", err)
			if e.Seq >= expect {
				expect, linked = e.Seq+1, false
				recomputed = nil // every later checkpoint will fail, as it should
				rep.HeadSeq = e.Seq
			}
			continue
		}
		rep.Entries++
		switch {
		case e.Seq < expect:
			problems.add("audit entry %d: out of order (after entry %d)", e.Seq, expect-1)
			continue
		case e.Seq > expect:
			if e.Seq == expect+1 {
				problems.add("audit entry %d is missing", expect)
			} else {
				problems.add("audit entries %d to %d are missing", expect, e.Seq-1)
			}
			linked = false
		}
		if linked && !bytes.Equal(AuditLink(prev, e.Seq, e.Sealed), e.Hash) {
			problems.add("audit entry %d: its hash does not match its content and the entry before it (edited, reordered, inserted or removed)", e.Seq)
		}
		if recomputed != nil || e.Seq == 1 {
			recomputed = AuditLink(recomputed, e.Seq, e.Sealed)
		}
		for _, cp := range bySeq[e.Seq] {
			if !bytes.Equal(cp.Hash, recomputed) {
				problems.add("audit checkpoint %d: the chain up to entry %d no longer matches what was signed (entries at or before it were changed or removed)", cp.Seq, e.Seq)
			}
		}
		if keyed && e.Seq == kh.Seq && !bytes.Equal(kh.Hash, recomputed) {
			problems.add("the audit trail up to entry %d no longer matches its keyed head: entries at or before it were deleted, inserted or changed", e.Seq)
		}
		delete(bySeq, e.Seq)
		prev, linked, expect, rep.HeadSeq = e.Hash, true, e.Seq+1, e.Seq
	}
	for _, seq := range slices.Sorted(maps.Keys(bySeq)) {
		if seq > rep.HeadSeq {
			problems.add("audit checkpoint %d: beyond the end of the chain (last entry %d): entries were removed", seq, rep.HeadSeq)
		} else {
			problems.add("audit checkpoint %d: its entry is missing or damaged", seq)
		}
	}
	switch {
	case keyed && rep.HeadSeq < kh.Seq:
		problems.add("the audit trail ends at entry %d but its keyed head covers entries through %d: entries were removed from its end", rep.HeadSeq, kh.Seq)
	case keyed && rep.HeadSeq > kh.Seq:
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s written while the vault was locked (failed sign-ins, sync) and not yet authenticated; the next sign-in authenticates them", entriesWere(kh.Seq+1, rep.HeadSeq)))
	case !keyed && rep.HeadSeq > 0:
		problems.add("the audit trail has no keyed head: nothing shows its %d entries were not rewritten (the head was removed from the file)", rep.HeadSeq)
	}
	if keyed && kh.KeyedFrom > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s written before the audit trail was keyed (by an earlier version of Folio): checked as they stood when it was keyed", entriesWere(1, kh.KeyedFrom)))
	}
	return rep, nil
}

// entriesWere names a run of audit entries for a report.
func entriesWere(from, to uint64) string {
	if from == to {
		return fmt.Sprintf("audit entry %d was", from)
	}
	return fmt.Sprintf("audit entries %d to %d were", from, to)
}
