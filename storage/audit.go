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

// auditPage is how many audit entries AuditEntries reads per transaction.
const auditPage = 512

func checkAudit(sealed [][]byte) error {
	for i, s := range sealed {
		if len(s) == 0 || len(s) > maxSealedLen {
			return fmt.Errorf("%w: sealed audit event %d is %d bytes (want 1 to %d)", app.ErrInvalid, i, len(s), maxSealedLen)
		}
	}
	return nil
}

// appendAudit links sealed events onto the chain inside tx.
func appendAudit(tx *bolt.Tx, sealed [][]byte) error {
	if len(sealed) == 0 {
		return nil
	}
	b := tx.Bucket(bucketAudit)
	b.FillPercent = 1 // append-only
	var seq uint64
	var prev []byte
	if k, v := b.Cursor().Last(); k != nil {
		n, err := decodeSeq(k)
		if err != nil {
			return fmt.Errorf("last audit entry: %w", err)
		}
		h, _, err := decodeAuditValue(v)
		if err != nil {
			return fmt.Errorf("audit entry %d: %w", n, err)
		}
		seq, prev = n, h
	}
	for _, s := range sealed {
		seq++
		h := chainHash(prev, seq, s)
		if err := b.Put(seqKey(seq), encodeAuditValue(h, s)); err != nil {
			return err
		}
		prev = h
	}
	return nil
}

// AppendAudit appends sealed events durably, in order, in one transaction.
// It needs no keys.
func (db *DB) AppendAudit(ctx context.Context, sealed [][]byte) error {
	if err := checkAudit(sealed); err != nil {
		return err
	}
	if len(sealed) == 0 {
		return ctx.Err()
	}
	if err := db.update(ctx, func(tx *bolt.Tx) error { return appendAudit(tx, sealed) }); err != nil {
		return fmt.Errorf("append to the audit trail: %w", err)
	}
	return nil
}

// AuditEntries yields the chain from seq 1 on, in order, reading auditPage
// entries per transaction; no transaction is open while the loop body runs.
// A damaged entry is yielded with an error wrapping ErrCorrupt (its Seq
// set) and the listing goes on; any other error ends it. The entries are
// yielded as stored: VerifyChain checks them.
func (db *DB) AuditEntries(ctx context.Context) iter.Seq2[app.AuditEntry, error] {
	return db.AuditEntriesFrom(ctx, 1)
}

// AuditEntriesFrom is AuditEntries from seq from on (the syncer sends the
// part of the chain the archive lacks).
func (db *DB) AuditEntriesFrom(ctx context.Context, from uint64) iter.Seq2[app.AuditEntry, error] {
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
			err := db.view(ctx, func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketAudit)
				if b == nil {
					return nil
				}
				c := b.Cursor()
				var k, v []byte
				if after == nil {
					k, v = c.First()
				} else if k, v = c.Seek(after); bytes.Equal(k, after) {
					k, v = c.Next()
				}
				for ; k != nil && len(page) < auditPage; k, v = c.Next() {
					seq, err := decodeSeq(k)
					if err != nil {
						return err // cannot resume past a key of unknown shape
					}
					after = bytes.Clone(k)
					h, s, err := decodeAuditValue(v)
					if err != nil {
						page = append(page, item{e: app.AuditEntry{Seq: seq}, err: corrupt(db.path, fmt.Sprintf("audit entry %d: %v", seq, err))})
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
func (db *DB) AuditHead(ctx context.Context) (app.AuditEntry, error) {
	var e app.AuditEntry
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		if b == nil {
			return nil
		}
		k, v := b.Cursor().Last()
		if k == nil {
			return nil
		}
		seq, err := decodeSeq(k)
		if err != nil {
			return err
		}
		h, s, err := decodeAuditValue(v)
		if err != nil {
			return fmt.Errorf("audit entry %d: %w", seq, err)
		}
		e = app.AuditEntry{Seq: seq, Sealed: s, Hash: h}
		return nil
	})
	if err != nil {
		return app.AuditEntry{}, fmt.Errorf("read the audit head: %w", err)
	}
	return e, nil
}

// PutCheckpoint stores a signed checkpoint. Its Seq must name a stored entry
// and its Hash be that entry's hash (app.ErrInvalid otherwise). Checkpoints
// are append-only: when one exists for Seq already, the first is kept and
// this call does nothing.
func (db *DB) PutCheckpoint(ctx context.Context, cp app.AuditCheckpoint) error {
	if cp.Seq == 0 || len(cp.Hash) != hashLen || len(cp.Signature) == 0 || len(cp.Signature) > maxSealedLen {
		return fmt.Errorf("store audit checkpoint: %w: want a seq, a %d-byte hash and a signature", app.ErrInvalid, hashLen)
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		cps := tx.Bucket(bucketCheckpoints)
		cps.FillPercent = 1
		key := seqKey(cp.Seq)
		if cps.Get(key) != nil {
			return nil
		}
		raw := tx.Bucket(bucketAudit).Get(key)
		if raw == nil {
			return fmt.Errorf("%w: audit entry %d does not exist", app.ErrInvalid, cp.Seq)
		}
		h, _, err := decodeAuditValue(raw)
		if err != nil {
			return fmt.Errorf("audit entry %d: %w", cp.Seq, err)
		}
		if !bytes.Equal(h, cp.Hash) {
			return fmt.Errorf("%w: the checkpoint's hash is not the hash of audit entry %d", app.ErrInvalid, cp.Seq)
		}
		return cps.Put(key, encodeCheckpoint(cp.Hash, cp.Signature))
	})
	if err != nil {
		return fmt.Errorf("store audit checkpoint %d: %w", cp.Seq, err)
	}
	return nil
}

// Checkpoints returns every stored checkpoint, oldest first. A damaged one
// fails the call with ErrCorrupt.
func (db *DB) Checkpoints(ctx context.Context) ([]app.AuditCheckpoint, error) {
	var out []app.AuditCheckpoint
	err := db.view(ctx, func(tx *bolt.Tx) error {
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
}

// VerifyChain checks an audit chain: that seqs run 1, 2, 3 … without gaps,
// that each entry's hash is SHA-256(previous hash ‖ seq (8 BE) ‖ sealed)
// (the previous hash of entry 1 being 32 zero bytes), that every
// checkpoint's signature verifies over app.CheckpointMessage(seq, hash),
// and that every checkpoint's hash equals the hash recomputed from entry 1
// up to its seq. An edited, reordered, inserted or removed entry breaks a
// link or a later checkpoint; entries removed from the end after the last
// checkpoint cannot be detected. It reads the checkpoints before the
// entries, so it can run while the chain grows. It never stops at the first
// problem; the error is for a chain it could not read at all.
func VerifyChain(ctx context.Context, chain app.AuditChain, verifySig func(msg, sig []byte) error) (rep ChainReport, err error) {
	if verifySig == nil {
		return rep, fmt.Errorf("verify the audit chain: %w: no signature check given", app.ErrInvalid)
	}
	problems := newProblems()
	defer func() { rep.Problems = problems.list() }()

	cps, err := chain.Checkpoints(ctx)
	if err != nil {
		return rep, err
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
	for e, err := range chain.AuditEntries(ctx) {
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
		if linked && !bytes.Equal(chainHash(prev, e.Seq, e.Sealed), e.Hash) {
			problems.add("audit entry %d: its hash does not match its content and the entry before it (edited, reordered, inserted or removed)", e.Seq)
		}
		if recomputed != nil || e.Seq == 1 {
			recomputed = chainHash(recomputed, e.Seq, e.Sealed)
		}
		for _, cp := range bySeq[e.Seq] {
			if !bytes.Equal(cp.Hash, recomputed) {
				problems.add("audit checkpoint %d: the chain up to entry %d no longer matches what was signed (entries at or before it were changed or removed)", cp.Seq, e.Seq)
			}
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
	return rep, nil
}
