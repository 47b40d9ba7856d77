package storage

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// SyncQuery asks SyncState about some records and some meta keys at once.
type SyncQuery struct {
	// Records are the records whose oplog entries and conflict markers
	// are wanted.
	Records []RecordRef
	// MetaKeys are meta keys whose presence is wanted (the syncer's
	// per-blob markers, say).
	MetaKeys []string
	// MetaPrefix, when not empty, asks for every key and value under it.
	MetaPrefix string
}

// SyncAnswer is what one read transaction saw.
type SyncAnswer struct {
	// Pending holds the asked records with a version written on this
	// device that no archive has acknowledged yet, with the oplog seq of
	// the first such version.
	Pending map[RecordRef]uint64
	// Conflict holds the asked records that are in conflict.
	Conflict map[RecordRef]bool
	// Meta holds the asked meta keys that exist, and every key under
	// MetaPrefix, with copies of their values.
	Meta map[string][]byte
}

// SyncState answers q in one read transaction: the oplog is scanned once
// (it holds only what waits for an archive), the conflict markers and the
// meta keys are looked up one by one. It is cheap enough to ask for a
// whole chart's documents at once.
func (db *DB) SyncState(ctx context.Context, q SyncQuery) (SyncAnswer, error) {
	ans := SyncAnswer{Pending: map[RecordRef]uint64{}, Conflict: map[RecordRef]bool{}, Meta: map[string][]byte{}}
	want := make(map[string]RecordRef, len(q.Records))
	for _, r := range q.Records {
		if err := checkRecord(r.Kind, r.ID); err != nil {
			return SyncAnswer{}, fmt.Errorf("sync state: %w", err)
		}
		want[string(recordKey(r.Kind, r.ID))] = r
	}
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if len(want) > 0 {
			c := tx.Bucket(bucketOplog).Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if len(v) < versionLen {
					return decodeErr("oplog entry", v)
				}
				r, ok := want[string(v[versionLen:])]
				if !ok || ans.Pending[r] != 0 {
					continue
				}
				seq, err := decodeSeq(k)
				if err != nil {
					return fmt.Errorf("oplog: %w", err)
				}
				ans.Pending[r] = seq
			}
		}
		meta := tx.Bucket(bucketMeta)
		for k, r := range want {
			if meta.Get([]byte(metaConflict+k)) != nil {
				ans.Conflict[r] = true
			}
		}
		for _, k := range q.MetaKeys {
			if v := meta.Get([]byte(k)); v != nil {
				if len(v) > maxMetaLen {
					return decodeErr("setting "+k, v)
				}
				ans.Meta[k] = bytes.Clone(v)
			}
		}
		if q.MetaPrefix != "" {
			p := []byte(q.MetaPrefix)
			c := meta.Cursor()
			for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
				if len(k) > maxMetaKeyLen || len(v) > maxMetaLen {
					return decodeErr("setting", k)
				}
				ans.Meta[string(k)] = bytes.Clone(v)
			}
		}
		return nil
	})
	if err != nil {
		return SyncAnswer{}, fmt.Errorf("read the sync state: %w", err)
	}
	return ans, nil
}
