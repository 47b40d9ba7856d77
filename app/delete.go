package app

import (
	"context"
	"fmt"
	"strings"
)

// Delete withdraws a registration made in error: it writes a
// tombstone version (Deleted, with the reason), which syncs like any other
// version, so every workstation stops showing the patient. Nothing is
// erased: the history stays readable and Restore brings it back.
// Only an empty registration can go: one with documents filed, or merged
// with another record, must be merged into the right patient instead.
func (pt Patients) Delete(ctx context.Context, ref, reason string) (Patient, error) {
	ctx, err := pt.s.require(ctx, PermPatientMerge, ActPatientDelete, "")
	if err != nil {
		return Patient{}, err
	}
	reason = strings.Join(strings.Fields(reason), " ")
	if len(reason) < 5 {
		return Patient{}, Invalidf("deleting a registration needs a reason (a few words, e.g. \"registered twice in error\")")
	}
	p, err := pt.s.charts.resolve(ctx, ref, false)
	if err != nil {
		return Patient{}, err
	}
	if err := pt.s.charts.canOpen(ctx, p, ActPatientDelete); err != nil {
		return Patient{}, err
	}
	switch {
	case p.MergedInto != "":
		return Patient{}, Invalidf("patient %s was merged into another record; unmerge it first", p.MRN)
	case len(p.Merged) > 0:
		return Patient{}, Invalidf("patient %s holds %d merged record(s); unmerge them first", p.MRN, len(p.Merged))
	}
	docs, err := pt.s.charts.lookup(ctx, "doc:pat:"+p.ID)
	if err != nil {
		return Patient{}, err
	}
	if len(docs) > 0 {
		return Patient{}, Invalidf("patient %s has %d document(s) filed; merge the registration into the right patient instead of deleting it", p.MRN, len(docs))
	}
	return pt.writeDeletion(ctx, p, true, reason, ActPatientDelete)
}

// Restore brings back a deleted registration as it was before its
// deletion (a new version).
func (pt Patients) Restore(ctx context.Context, ref, reason string) (Patient, error) {
	ctx, err := pt.s.require(ctx, PermPatientMerge, ActPatientRestore, "")
	if err != nil {
		return Patient{}, err
	}
	reason = strings.Join(strings.Fields(reason), " ")
	p, err := pt.s.charts.find(ctx, ref, false)
	if err != nil {
		return Patient{}, err
	}
	if err := pt.s.charts.canOpen(ctx, p, ActPatientRestore); err != nil {
		return Patient{}, err
	}
	if !p.Deleted {
		return Patient{}, Invalidf("patient %s is not deleted", p.MRN)
	}
	return pt.writeDeletion(ctx, p, false, reason, ActPatientRestore)
}

// writeDeletion writes p's next version with the deleted flag set or
// cleared, audited as act.
func (pt Patients) writeDeletion(ctx context.Context, p Patient, deleted bool, reason string, act Action) (Patient, error) {
	parent := p.Version
	p.Deleted, p.DeletedReason = deleted, ""
	if deleted {
		p.DeletedReason = reason
	}
	p.Changed, p.ChangedBy = pt.s.v.now(), pt.s.User().Name
	w, err := pt.s.encode.patient(p, parent)
	if err != nil {
		return Patient{}, err
	}
	vs, err := pt.s.commitVersions(ctx, []RecordWrite{w}, AuditEvent{Action: act, Patient: p.MRN, Object: "patient/" + p.ID, Detail: reason}, nil)
	if err != nil {
		pt.s.charts.forget(p.ID)
		verb := "restore"
		if deleted {
			verb = "delete"
		}
		return Patient{}, fmt.Errorf("%s patient %s: %w", verb, p.MRN, err)
	}
	p.Version = vs[0]
	pt.s.charts.remember(p)
	return p, nil
}
