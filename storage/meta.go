package storage

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

// Meta is the meta store of a DB: small named values beside the records
// (app.MetaStore). It is cheap to make.
type Meta struct {
	db *DB
}

// Meta returns the meta store of db.
func (db *DB) Meta() *Meta { return &Meta{db: db} }

// GetMeta returns a copy of the value stored under key, or an error
// wrapping app.ErrNotFound.
func (m *Meta) GetMeta(ctx context.Context, key string) ([]byte, error) {
	var val []byte
	err := m.db.view(ctx, func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta); b != nil {
			if v := b.Get([]byte(key)); v != nil {
				if len(v) > maxMetaLen {
					return decodeErr("setting "+key, v)
				}
				val = bytes.Clone(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read setting %q: %w", key, err)
	}
	if val == nil {
		return nil, fmt.Errorf("setting %q: %w", key, app.ErrNotFound)
	}
	return val, nil
}

// MetaPrefix returns copies of every key/value whose key starts with
// prefix ("" = all, including the store's own "storage/" keys).
func (m *Meta) MetaPrefix(ctx context.Context, prefix string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := m.db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if b == nil {
			return nil
		}
		p := []byte(prefix)
		c := b.Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if len(k) > maxMetaKeyLen || len(v) > maxMetaLen {
				return decodeErr("setting", k)
			}
			out[string(k)] = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read settings %q: %w", prefix, err)
	}
	return out, nil
}

// UpdateMeta applies puts, then deletes, in one durable transaction. Keys
// under "storage/" belong to the store and are refused with app.ErrInvalid.
func (m *Meta) UpdateMeta(ctx context.Context, puts map[string][]byte, deletes []string) error {
	if err := checkMeta(puts, deletes); err != nil {
		return err
	}
	if len(puts) == 0 && len(deletes) == 0 {
		return nil
	}
	err := m.db.update(ctx, func(tx *bolt.Tx) error { return applyMeta(tx, puts, deletes) })
	if err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	return nil
}

// EraseMeta deletes keys and scrubs the file (see scrub): bbolt keeps a
// deleted value in its free pages until it reuses them. Errors wrap
// app.ErrScrubPending when the deletion is durable but the rewrite failed.
func (m *Meta) EraseMeta(ctx context.Context, keys []string) error {
	if err := checkMeta(nil, keys); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	err := m.db.update(ctx, func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put([]byte(metaScrubPending), []byte{1}); err != nil {
			return err
		}
		return applyMeta(tx, nil, keys)
	})
	if err != nil {
		return fmt.Errorf("erase settings: %w", err)
	}
	return m.db.scrub()
}

func checkMeta(puts map[string][]byte, deletes []string) error {
	check := func(k string) error {
		switch {
		case k == "" || len(k) > maxMetaKeyLen:
			return app.Invalidf("setting key %q (want 1 to %d bytes)", k, maxMetaKeyLen)
		case strings.HasPrefix(k, metaReserved):
			return app.Invalidf("setting key %q is reserved for the store", k)
		}
		return nil
	}
	for k, v := range puts {
		if err := check(k); err != nil {
			return err
		}
		if len(v) > maxMetaLen {
			return app.Invalidf("setting %q is %d bytes (at most %d)", k, len(v), maxMetaLen)
		}
	}
	for _, k := range deletes {
		if err := check(k); err != nil {
			return err
		}
	}
	return nil
}

func applyMeta(tx *bolt.Tx, puts map[string][]byte, deletes []string) error {
	if len(puts) == 0 && len(deletes) == 0 {
		return nil
	}
	b := tx.Bucket(bucketMeta)
	for k, v := range puts {
		if v == nil {
			v = []byte{}
		}
		if err := b.Put([]byte(k), v); err != nil {
			return fmt.Errorf("setting %q: %w", k, err)
		}
	}
	for _, k := range deletes {
		if err := b.Delete([]byte(k)); err != nil {
			return fmt.Errorf("setting %q: %w", k, err)
		}
	}
	return nil
}
