package app

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
)

// decodeRecord turns a stored record into a T. Data that does not
// decode is tampering, named by what the record is and its id. A T
// that keeps its version (a *T with setVersion) gets the record's.
func decodeRecord[T any](rec StoredRecord, what string) (T, error) {
	var v T
	if err := json.Unmarshal(rec.Data, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("%s %s: %w: %v", what, rec.ID, ErrTampered, err)
	}
	if vv, ok := any(&v).(interface{ setVersion(Version) }); ok {
		vv.setVersion(rec.Version)
	}
	return v, nil
}

// readHead reads the current version of a record of kind and decodes
// it. A record that cannot be read is an error naming its kind and id
// ("coding 1f…: not found").
func readHead[T any](ctx context.Context, s *Session, kind Kind, id string, decode func(StoredRecord) (T, error)) (T, error) {
	rec, err := s.records.Head(ctx, kind, id)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return decode(rec)
}

// onDamaged says what heads does with a record that does not decode.
type onDamaged int

const (
	// stopOnDamaged yields the record's decoding error.
	stopOnDamaged onDamaged = iota
	// skipDamaged leaves the record out: a walk that only gathers ids
	// goes on, and verify reports the damage.
	skipDamaged
)

// heads yields the current version of every record of kind, decoded.
// An error reading the records is yielded as it is; a record that does
// not decode is handled as damaged says.
func heads[T any](ctx context.Context, s *Session, kind Kind, decode func(StoredRecord) (T, error), damaged onDamaged) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for rec, err := range s.records.Heads(ctx, kind) {
			var v T
			if err == nil {
				if v, err = decode(rec); err != nil && damaged == skipDamaged {
					continue
				}
			}
			if !yield(v, err) {
				return
			}
		}
	}
}
