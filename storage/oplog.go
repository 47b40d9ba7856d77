package storage

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

// Oplog is the oplog of a DB: the versions written on this device that
// no archive has acknowledged yet. It is cheap to make.
type Oplog struct {
	db *DB
}

// Oplog returns the oplog of db.
func (db *DB) Oplog() *Oplog { return &Oplog{db: db} }

// OpEntry is one version written on this device and not yet acknowledged
// by an archive.
type OpEntry struct {
	Seq     uint64 // 1, 2, 3 … in commit order; never reused
	Kind    app.Kind
	ID      string
	Version app.Version
}

// Pending returns up to limit oplog entries with Seq > after, in order
// (limit <= 0: all of them).
func (o *Oplog) Pending(ctx context.Context, after uint64, limit int) ([]OpEntry, error) {
	var out []OpEntry
	err := o.db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOplog)
		if b == nil || after == ^uint64(0) {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			seq, err := decodeSeq(k)
			if err != nil {
				return fmt.Errorf("oplog: %w", err)
			}
			kind, id, ver, err := decodeOp(v)
			if err != nil {
				return fmt.Errorf("oplog entry %d: %w", seq, err)
			}
			out = append(out, OpEntry{Seq: seq, Kind: kind, ID: id, Version: ver})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pending changes: %w", err)
	}
	return out, nil
}

// Ack removes the oplog entries with Seq <= throughSeq: an archive has
// stored them durably. Acknowledging a seq never given out is app.ErrInvalid;
// acknowledging again is a no-op.
func (o *Oplog) Ack(ctx context.Context, throughSeq uint64) error {
	err := o.db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOplog)
		if throughSeq > b.Sequence() {
			return app.Invalidf("oplog seq %d was never given out (last %d)", throughSeq, b.Sequence())
		}
		var done [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			seq, err := decodeSeq(k)
			if err != nil {
				return fmt.Errorf("oplog: %w", err)
			}
			if seq > throughSeq {
				break
			}
			done = append(done, bytes.Clone(k))
		}
		for _, k := range done {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("acknowledge synced changes through %d: %w", throughSeq, err)
	}
	return nil
}

// PendingCount returns how many oplog entries await an archive.
func (o *Oplog) PendingCount(ctx context.Context) (int, error) {
	n := 0
	err := o.db.view(ctx, func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketOplog); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count pending changes: %w", err)
	}
	return n, nil
}
