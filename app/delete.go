package app

import (
	"context"
	"fmt"
	"strings"
)

// DeletePatient withdraws a registration made in error: it writes a
// tombstone version (Deleted, with the reason), which syncs like any other
// version, so every workstation stops showing the patient. Nothing is
// erased: the history stays readable and RestorePatient brings it back.
// Only an empty registration can go: one with documents filed, or merged
// with another record, must be merged into the right patient instead.
func (s *Session) DeletePatient(ctx context.Context, ref, reason string) (Patient, error) {
	ctx, err := s.require(ctx, PermPatientMerge, ActPatientDelete, "")
	if err != nil {
		return Patient{}, err
	}
	reason = strings.Join(strings.Fields(reason), " ")
	if len(reason) < 5 {
		return Patient{}, fmt.Errorf("%w: deleting a registration needs a reason (a few words, e.g. \"registered twice in error\")", ErrInvalid)
	}
	p, err := s.resolve(ctx, ref, false)
	if err != nil {
		return Patient{}, err
	}
	if err := s.canOpen(ctx, p, ActPatientDelete); err != nil {
		return Patient{}, err
	}
	switch {
	case p.MergedInto != "":
		return Patient{}, fmt.Errorf("%w: patient %s was merged into another record; unmerge it first", ErrInvalid, p.MRN)
	case len(p.Merged) > 0:
		return Patient{}, fmt.Errorf("%w: patient %s holds %d merged record(s); unmerge them first", ErrInvalid, p.MRN, len(p.Merged))
	}
	docs, err := s.lookup(ctx, "doc:pat:"+p.ID)
	if err != nil {
		return Patient{}, err
	}
	if len(docs) > 0 {
		return Patient{}, fmt.Errorf("%w: patient %s has %d document(s) filed; merge the registration into the right patient instead of deleting it", ErrInvalid, p.MRN, len(docs))
	}
	return s.writeDeletion(ctx, p, true, reason, ActPatientDelete)
}

// RestorePatient brings back a deleted registration as it was before its
// deletion (a new version).
func (s *Session) RestorePatient(ctx context.Context, ref, reason string) (Patient, error) {
	ctx, err := s.require(ctx, PermPatientMerge, ActPatientRestore, "")
	if err != nil {
		return Patient{}, err
	}
	reason = strings.Join(strings.Fields(reason), " ")
	p, err := s.find(ctx, ref, false)
	if err != nil {
		return Patient{}, err
	}
	if err := s.canOpen(ctx, p, ActPatientRestore); err != nil {
		return Patient{}, err
	}
	if !p.Deleted {
		return Patient{}, fmt.Errorf("%w: patient %s is not deleted", ErrInvalid, p.MRN)
	}
	return s.writeDeletion(ctx, p, false, reason, ActPatientRestore)
}

// writeDeletion writes p's next version with the deleted flag set or
// cleared, audited as act.
func (s *Session) writeDeletion(ctx context.Context, p Patient, deleted bool, reason string, act Action) (Patient, error) {
	parent := p.Version
	p.Deleted, p.DeletedReason = deleted, ""
	if deleted {
		p.DeletedReason = reason
	}
	p.Changed, p.ChangedBy = s.v.now(), s.User().Name
	w, err := s.patientWrite(p, parent)
	if err != nil {
		return Patient{}, err
	}
	vs, err := s.commitVersions(ctx, []RecordWrite{w}, AuditEvent{Action: act, Patient: p.MRN, Object: "patient/" + p.ID, Detail: reason}, nil)
	if err != nil {
		s.forget(p.ID)
		verb := "restore"
		if deleted {
			verb = "delete"
		}
		return Patient{}, fmt.Errorf("%s patient %s: %w", verb, p.MRN, err)
	}
	p.Version = vs[0]
	s.remember(p)
	return p, nil
}
