package app

import (
	"encoding/json"
	"fmt"
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
