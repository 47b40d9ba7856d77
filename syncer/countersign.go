package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"folio/app"
	"folio/archive/api"
	"folio/storage"
)

// CountersignFile keeps, in the data folder beside the vault file, the
// archive's latest countersignature of this workstation's audit trail (a
// copy of the one in the vault's sync state; no PHI). Kept apart, it
// outlives the vault file being replaced by an earlier copy: verify then
// finds the archive vouching for entries the file no longer holds.
const CountersignFile = "countersign.json"

// keepCountersign copies cs beside the vault file (CountersignFile) unless
// the one there names a later entry. It writes a temporary file, syncs it
// and renames it into place.
func keepCountersign(db *storage.DB, cs api.Countersignature) error {
	path := filepath.Join(filepath.Dir(db.Path()), CountersignFile)
	if old, err := readCountersignFile(path); err == nil && old.Seq > cs.Seq {
		return nil
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("keep the archive's countersignature: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("keep the archive's countersignature: %w", err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("keep the archive's countersignature: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("keep the archive's countersignature: %w", err)
	}
	return nil
}

func readCountersignFile(path string) (api.Countersignature, error) {
	var cs api.Countersignature
	b, err := os.ReadFile(path)
	if err != nil {
		return cs, err
	}
	if len(b) > api.MaxMetaBody {
		return cs, fmt.Errorf("%s is %d bytes: %w", path, len(b), app.ErrTampered)
	}
	if err := json.Unmarshal(b, &cs); err != nil {
		return cs, fmt.Errorf("%s is damaged: %w", path, app.ErrTampered)
	}
	return cs, nil
}

// AuditWitness is app.AuditWitness for the vault in data folder Dir: the
// archive's latest countersignature of this workstation's audit trail,
// from the vault's sync state and from CountersignFile, whichever names
// the later entry, checked against the organisation's CA in the
// workstation's enrollment (api.VerifyCountersignature).
type AuditWitness struct {
	Dir string
	DB  *storage.DB
}

var _ app.AuditWitness = AuditWitness{}

// LatestCountersignature implements app.AuditWitness. A workstation that is
// not enrolled, or has no countersignature that carries the archive's
// certificate (an archive before it sent one), has none (ok false). One
// that does not verify, or names another device, wraps app.ErrTampered.
func (w AuditWitness) LatestCountersignature(ctx context.Context) (app.AuditCountersignature, bool, error) {
	enr, err := LoadEnrollment(w.Dir)
	if errors.Is(err, ErrNotEnrolled) {
		return app.AuditCountersignature{}, false, nil
	}
	if err != nil {
		return app.AuditCountersignature{}, false, err
	}
	var found []api.Countersignature
	if cs, ok, err := Countersignature(ctx, w.DB.Meta()); err != nil {
		return app.AuditCountersignature{}, false, err
	} else if ok {
		found = append(found, cs)
	}
	if cs, err := readCountersignFile(filepath.Join(w.Dir, CountersignFile)); err == nil {
		found = append(found, cs)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return app.AuditCountersignature{}, false, err
	}
	var best *api.Countersignature
	for i, cs := range found {
		if len(cs.Certificate) == 0 {
			continue
		}
		if cs.Device != api.DeviceID(w.DB.DeviceID()) {
			return app.AuditCountersignature{}, false, fmt.Errorf("the archive's countersignature kept here is device %s's, not this workstation's (%s): %w", cs.Device, w.DB.DeviceID(), app.ErrTampered)
		}
		if err := api.VerifyCountersignature(enr.CA, cs); err != nil {
			return app.AuditCountersignature{}, false, fmt.Errorf("%v: %w", err, app.ErrTampered)
		}
		if best == nil || cs.Seq > best.Seq {
			best = &found[i]
		}
	}
	if best == nil {
		return app.AuditCountersignature{}, false, nil
	}
	return app.AuditCountersignature{Seq: best.Seq, Hash: best.Hash, Time: best.Time}, true, nil
}
