package storage

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

// This file puts a vault restored from a backup back on the audit chain
// its archive holds. The archive keeps every entry this device sent, so
// after a restore its chain may run past the vault's (entries sent after
// the backup was taken) and fork from it (entries appended since the
// restore reuse those seqs). The archive's entries are the device's
// history as sent and countersigned: they are taken as they are, and the
// vault's own entries after the fork are appended after them again,
// re-linked, with their sealed events unchanged.

// AuditRejoin is the archive's copy of this device's audit chain from
// From on, and what to write with the splice.
type AuditRejoin struct {
	// From is the seq of Theirs[0]; the vault's entries before it are the
	// archive's too (it acknowledged them), so Theirs[0] must link to the
	// vault's entry From-1.
	From uint64
	// Theirs are the archive's entries From, From+1 … through its last.
	Theirs []app.AuditEntry
	// Append are sealed events to link after everything else (the record
	// of the restore).
	Append [][]byte
	// Meta and DeleteMeta are applied in the same transaction (the
	// syncer's state after the splice).
	Meta       map[string][]byte
	DeleteMeta []string
	// Key is the vault's audit key: the chain must match its keyed head
	// before the splice (a key never vouches for a chain changed behind
	// its back), and the head is re-signed over the spliced chain.
	Key app.AuditKey
}

// AuditRejoinReport says what RejoinAudit did.
type AuditRejoinReport struct {
	Fork     uint64 // the last seq the vault and the archive agreed on
	Fetched  int    // archive entries the vault lacked, now stored
	Relinked int    // the vault's own entries after the fork, appended again
	Dropped  int    // of those, copies of an archive entry (not appended twice)
	Head     uint64 // the chain's last seq now
}

// RejoinAudit splices the archive's entries into the chain in one
// transaction: it finds the fork (the last entry both hold with the same
// hash), replaces the vault's entries after it with the archive's, appends
// the vault's own entries after the fork again (re-linked; an entry whose
// sealed event the archive holds already is dropped, so nothing appears
// twice), then r.Append, and removes the signed checkpoints past the fork
// (they signed entries whose hashes changed; the caller signs a new one),
// and re-signs the keyed head over the result (signHead, counting the
// checkpoints left) after checking the chain matched it before.
// When the archive holds nothing the vault lacks and the chains agree it
// writes nothing (Fetched and Relinked are 0). Theirs must be a chain that
// links to the vault's entry From-1: otherwise nothing is written and the
// error wraps app.ErrConflict (the vault is not an earlier copy of what the
// archive holds).
func (a *Audit) RejoinAudit(ctx context.Context, r AuditRejoin) (AuditRejoinReport, error) {
	if r.From == 0 {
		return AuditRejoinReport{}, fmt.Errorf("rejoin the audit trail: %w", app.Invalidf("entries start at seq 1"))
	}
	if r.Key == nil {
		return AuditRejoinReport{}, fmt.Errorf("rejoin the audit trail: %w", app.Invalidf("no audit key given"))
	}
	if err := checkAudit(r.Append); err != nil {
		return AuditRejoinReport{}, err
	}
	if err := checkMeta(r.Meta, r.DeleteMeta); err != nil {
		return AuditRejoinReport{}, err
	}
	for i, e := range r.Theirs {
		if e.Seq != r.From+uint64(i) || len(e.Hash) != hashLen || len(e.Sealed) == 0 || len(e.Sealed) > maxSealedLen {
			return AuditRejoinReport{}, fmt.Errorf("rejoin the audit trail: %w", app.Invalidf("the archive's entry %d is malformed or out of order", e.Seq))
		}
	}
	var rep AuditRejoinReport
	err := a.db.update(ctx, func(tx *bolt.Tx) error {
		rep = AuditRejoinReport{}
		old, keyed, err := a.checkHead(tx, r.Key)
		if err != nil {
			return fmt.Errorf("%w; run 'folio verify'", err)
		}
		b := tx.Bucket(bucketAudit)
		prev, err := auditHashAt(b, r.From-1)
		if err != nil {
			return err
		}
		for _, e := range r.Theirs {
			if !bytes.Equal(chainHash(prev, e.Seq, e.Sealed), e.Hash) {
				return fmt.Errorf("%w: the archive's audit entry %d does not continue this vault's entry %d: the vault is not an earlier copy of this workstation's trail", app.ErrConflict, e.Seq, e.Seq-1)
			}
			prev = e.Hash
		}
		// The fork: the vault's entries agree with the archive's up to it;
		// the vault's entries after it are its own (appended since the
		// restore, or not sent yet).
		rep.Fork = r.From - 1
		var ours [][]byte
		theirs := map[string]bool{}
		for _, e := range r.Theirs {
			theirs[string(e.Sealed)] = true
		}
		c := b.Cursor()
		for k, v := c.Seek(seqKey(r.From)); k != nil; k, v = c.Next() {
			e, err := decodeAuditEntry(k, v)
			if err != nil {
				return err
			}
			if i := e.Seq - r.From; len(ours) == 0 && rep.Dropped == 0 && i < uint64(len(r.Theirs)) && bytes.Equal(r.Theirs[i].Hash, e.Hash) {
				rep.Fork = e.Seq
				continue
			}
			if theirs[string(e.Sealed)] {
				rep.Dropped++
				continue
			}
			ours = append(ours, e.Sealed)
		}
		fetched := r.Theirs[min(rep.Fork+1-r.From, uint64(len(r.Theirs))):]
		if len(fetched) == 0 {
			// The vault holds all the archive does: it is not behind.
			rep.Head, rep.Dropped = rep.Fork+uint64(len(ours)), 0
			return nil
		}
		if err := deleteFrom(b, rep.Fork+1); err != nil {
			return err
		}
		b.FillPercent = 1
		for _, e := range fetched {
			if err := b.Put(seqKey(e.Seq), encodeAuditValue(e.Hash, e.Sealed)); err != nil {
				return err
			}
		}
		if _, err := appendAudit(tx, append(ours, r.Append...)); err != nil {
			return err
		}
		if err := deleteFrom(tx.Bucket(bucketCheckpoints), rep.Fork+1); err != nil {
			return err
		}
		if err := a.signHead(tx, r.Key, old, keyed, rep.Fork, false, true); err != nil {
			return err
		}
		if err := applyMeta(tx, r.Meta, r.DeleteMeta); err != nil {
			return err
		}
		rep.Fetched, rep.Relinked = len(fetched), len(ours)
		rep.Head = rep.Fork + uint64(len(fetched)+len(ours)+len(r.Append))
		return nil
	})
	if err != nil {
		return AuditRejoinReport{}, fmt.Errorf("rejoin the audit trail: %w", err)
	}
	return rep, nil
}

// auditHashAt returns the hash of entry seq (nil for seq 0, the start of
// the chain).
func auditHashAt(b *bolt.Bucket, seq uint64) ([]byte, error) {
	if seq == 0 {
		return nil, nil
	}
	v := b.Get(seqKey(seq))
	if v == nil {
		return nil, fmt.Errorf("%w: audit entry %d is missing", app.ErrConflict, seq)
	}
	h, _, err := decodeAuditValue(v)
	if err != nil {
		return nil, fmt.Errorf("audit entry %d: %w", seq, err)
	}
	return h, nil
}

// deleteFrom deletes the entries of a seq-keyed bucket from seq on.
func deleteFrom(b *bolt.Bucket, seq uint64) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(seqKey(seq)); k != nil; k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
