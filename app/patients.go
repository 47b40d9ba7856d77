package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Patients is the patient index of a session: registering, amending,
// finding and searching patients, their MRNs and history, duplicates,
// merges and deletions, and break-glass into a restricted chart. Every
// method checks the user's role and audits what it does, as the session
// does.
type Patients struct{ s *Session }

// Patients returns the session's patient service.
func (s *Session) Patients() Patients { return Patients{s} }

// BreakGlass opens a restricted chart for the rest of this session. The
// reason is required and the event is flagged in the audit trail.
func (pt Patients) BreakGlass(ctx context.Context, ref, reason string) (Patient, error) {
	ctx, err := pt.s.require(ctx, PermBreakGlass, ActBreakGlass, "")
	if err != nil {
		return Patient{}, err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) < 5 {
		return Patient{}, Invalidf("break-glass needs a reason (a few words)")
	}
	p, err := pt.s.charts.resolve(ctx, ref, true)
	if err != nil {
		return Patient{}, err
	}
	pt.s.mu.Lock()
	pt.s.glass[p.ID] = reason
	pt.s.mu.Unlock()
	if err := pt.s.audit(ctx, AuditEvent{Action: ActBreakGlass, Patient: p.MRN, Object: "patient/" + p.ID, Detail: reason}); err != nil {
		return Patient{}, err
	}
	return p, nil
}

// Open opens a patient's record by MRN or id (merged records lead to
// their survivor). The read is audited.
func (pt Patients) Open(ctx context.Context, ref string) (Patient, error) {
	ctx, p, err := pt.s.charts.open(ctx, PermPatientRead, ActPatientRead, ref)
	if err != nil {
		return Patient{}, err
	}
	if p.Restricted && pt.s.User().Roles.Can(PermRestrictedRead) {
		ctx = withGrant(ctx, PermRestrictedRead)
	}
	return p, pt.s.audit(ctx, AuditEvent{Action: ActPatientRead, Patient: p.MRN, Object: objectRef(p)})
}

func objectRef(p Patient) string { return "patient/" + p.ID + "@" + p.Version.String() }

// nextMRN reserves n MRNs: it returns the first sequence number and the
// meta value that records the reservation, to commit with the records.
func (pt Patients) nextMRN(ctx context.Context, n int) (prefix string, first uint64, meta map[string][]byte, err error) {
	prefix, err = pt.s.v.SitePrefix(ctx)
	if err != nil {
		return "", 0, nil, fmt.Errorf("read MRN prefix: %w", err)
	}
	raw, err := pt.s.v.cfg.Meta.GetMeta(ctx, metaMRNNext)
	if err != nil {
		return "", 0, nil, fmt.Errorf("read MRN counter: %w", err)
	}
	first, err = strconv.ParseUint(string(raw), 10, 64)
	if err != nil || first == 0 {
		return "", 0, nil, fmt.Errorf("MRN counter: %w", ErrTampered)
	}
	return prefix, first, map[string][]byte{metaMRNNext: []byte(strconv.FormatUint(first+uint64(n), 10))}, nil
}

// Register adds new patients to the index, assigning their MRNs and
// ids. It does not look for duplicates: call FindDuplicates first and show
// the candidates to the clerk. All are written in one transaction.
func (pt Patients) Register(ctx context.Context, ps ...Patient) ([]Patient, error) {
	ctx, err := pt.s.require(ctx, PermPatientWrite, ActPatientCreate, "")
	if err != nil {
		return nil, err
	}
	now := pt.s.v.now()
	for i := range ps {
		if err := ps[i].Validate(now); err != nil {
			return nil, err
		}
	}
	pt.s.v.mu.Lock()
	defer pt.s.v.mu.Unlock()
	prefix, first, meta, err := pt.nextMRN(ctx, len(ps))
	if err != nil {
		return nil, err
	}
	writes := make([]RecordWrite, len(ps))
	for i := range ps {
		p := &ps[i]
		p.ID, p.MRN = newID(), FormatMRN(prefix, first+uint64(i))
		p.MergedInto, p.Merged, p.Changed, p.ChangedBy = "", nil, now, pt.s.User().Name
		p.Deleted, p.DeletedReason = false, ""
		w, err := pt.s.encode.patient(*p, Version{})
		if err != nil {
			return nil, err
		}
		writes[i] = w
	}
	e := AuditEvent{Action: ActPatientCreate}
	if len(ps) == 1 {
		e.Patient, e.Object = ps[0].MRN, "patient/"+ps[0].ID
	} else {
		e.Detail = fmt.Sprintf("%d patients, %s to %s", len(ps), ps[0].MRN, ps[len(ps)-1].MRN)
	}
	vs, err := pt.s.commitVersions(ctx, writes, e, meta)
	if err != nil {
		return nil, fmt.Errorf("register patient: %w", err)
	}
	for i := range ps {
		ps[i].Version = vs[i]
	}
	pt.s.charts.remember(ps...)
	return ps, nil
}

// Amend writes a new version of a patient. p.Version must be the
// version the clerk edited; if someone changed the record since, it fails
// with ErrConflict and nothing is written.
func (pt Patients) Amend(ctx context.Context, p Patient) (Patient, error) {
	ctx, err := pt.s.require(ctx, PermPatientWrite, ActPatientAmend, p.MRN)
	if err != nil {
		return Patient{}, err
	}
	cur, err := pt.s.charts.resolve(ctx, p.ID, false)
	if err != nil {
		return Patient{}, err
	}
	if err := pt.s.charts.canOpen(ctx, cur, ActPatientAmend); err != nil {
		return Patient{}, err
	}
	if cur.MergedInto != "" {
		return Patient{}, Invalidf("patient %s was merged into another record; amend the survivor", cur.MRN)
	}
	now := pt.s.v.now()
	if err := p.Validate(now); err != nil {
		return Patient{}, err
	}
	p.MRN, p.MergedInto, p.Merged = cur.MRN, cur.MergedInto, cur.Merged
	p.Deleted, p.DeletedReason = cur.Deleted, cur.DeletedReason
	p.Changed, p.ChangedBy = now, pt.s.User().Name
	w, err := pt.s.encode.patient(p, p.Version)
	if err != nil {
		return Patient{}, err
	}
	vs, err := pt.s.commitVersions(ctx, []RecordWrite{w}, AuditEvent{Action: ActPatientAmend, Patient: p.MRN, Object: "patient/" + p.ID}, nil)
	if err != nil {
		if errors.Is(err, ErrConflict) {
			pt.s.charts.forget(p.ID)
		}
		return Patient{}, fmt.Errorf("amend patient %s: %w", p.MRN, err)
	}
	p.Version = vs[0]
	pt.s.charts.remember(p)
	return p, nil
}

// PatientVersion is one entry of a patient's history.
type PatientVersion struct {
	Patient
	Parent Version
	// Source is the MRN whose history this version belongs to: the
	// patient's own, or one merged into it.
	Source string
}

// History lists every version of a patient, oldest first, and the
// versions of every record merged into it. The read is audited.
func (pt Patients) History(ctx context.Context, ref string) ([]PatientVersion, error) {
	ctx, err := pt.s.require(ctx, PermPatientRead, ActPatientHistory, "")
	if err != nil {
		return nil, err
	}
	p, err := pt.s.charts.find(ctx, ref, true)
	if err != nil {
		return nil, err
	}
	if err := pt.s.charts.canOpen(ctx, p, ActPatientHistory); err != nil {
		return nil, err
	}
	var out []PatientVersion
	for _, id := range chartIDs(p) {
		recs, err := pt.s.records.History(ctx, KindPatient, id)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", id, err)
		}
		for _, r := range recs {
			v, err := decodePatient(r)
			if err != nil {
				return nil, err
			}
			out = append(out, PatientVersion{Patient: v, Parent: r.Parent, Source: v.MRN})
		}
	}
	slices.SortStableFunc(out, func(a, b PatientVersion) int {
		if a.Version.Less(b.Version) {
			return -1
		}
		if b.Version.Less(a.Version) {
			return 1
		}
		return 0
	})
	return out, pt.s.audit(ctx, AuditEvent{Action: ActPatientHistory, Patient: p.MRN, Object: "patient/" + p.ID})
}

// Merge merges a duplicate record into a survivor. Both get a new
// version in one transaction: the duplicate points to the survivor (its MRN
// keeps leading there) and the survivor lists it, so its history is shown
// with the survivor's. Unmerge undoes it.
func (pt Patients) Merge(ctx context.Context, survivorRef, duplicateRef, reason string) (Patient, error) {
	ctx, err := pt.s.require(ctx, PermPatientMerge, ActPatientMerge, "")
	if err != nil {
		return Patient{}, err
	}
	surv, err := pt.s.charts.resolve(ctx, survivorRef, false)
	if err != nil {
		return Patient{}, err
	}
	dup, err := pt.s.charts.resolve(ctx, duplicateRef, false)
	if err != nil {
		return Patient{}, err
	}
	for _, p := range []Patient{surv, dup} {
		if err := pt.s.charts.canOpen(ctx, p, ActPatientMerge); err != nil {
			return Patient{}, err
		}
	}
	switch {
	case surv.ID == dup.ID:
		return Patient{}, Invalidf("cannot merge %s into itself", surv.MRN)
	case surv.MergedInto != "":
		return Patient{}, Invalidf("%s was itself merged away; merge into its survivor", surv.MRN)
	case dup.MergedInto != "":
		return Patient{}, Invalidf("%s is already merged", dup.MRN)
	}
	now, by := pt.s.v.now(), pt.s.User().Name
	dup.MergedInto, dup.Changed, dup.ChangedBy = surv.ID, now, by
	surv.Merged = append(slices.Clone(surv.Merged), dup.ID)
	surv.OtherNames = mergeNames(surv, dup)
	surv.Changed, surv.ChangedBy = now, by
	merged, _, err := pt.writeBoth(ctx, surv, dup, AuditEvent{Action: ActPatientMerge, Patient: surv.MRN,
		Object: "patient/" + dup.ID, Detail: fmt.Sprintf("merged %s into %s: %s", dup.MRN, surv.MRN, reason)})
	if err != nil {
		return Patient{}, fmt.Errorf("merge %s into %s: %w", dup.MRN, surv.MRN, err)
	}
	return merged, nil
}

// writeBoth writes the next versions of a merge's survivor and duplicate
// (changed from the versions they were read at) in one commit with the
// event e, and returns them as written. The session's cache holds the new
// versions, or, when the write fails, forgets both.
func (pt Patients) writeBoth(ctx context.Context, surv, dup Patient, e AuditEvent) (Patient, Patient, error) {
	ws, err := pt.s.encode.patient(surv, surv.Version)
	if err != nil {
		return Patient{}, Patient{}, err
	}
	wd, err := pt.s.encode.patient(dup, dup.Version)
	if err != nil {
		return Patient{}, Patient{}, err
	}
	vs, err := pt.s.commitVersions(ctx, []RecordWrite{ws, wd}, e, nil)
	if err != nil {
		pt.s.charts.forget(surv.ID)
		pt.s.charts.forget(dup.ID)
		return Patient{}, Patient{}, err
	}
	surv.Version, dup.Version = vs[0], vs[1]
	pt.s.charts.remember(surv, dup)
	return surv, dup, nil
}

// mergeNames adds the duplicate's name, if it differs, as an alias of the
// survivor, so searching the old spelling still finds the patient.
func mergeNames(surv, dup Patient) []string {
	names := slices.Clone(surv.OtherNames)
	for _, n := range append([]string{dup.FullName()}, dup.OtherNames...) {
		if n != "" && !strings.EqualFold(n, surv.FullName()) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// Unmerge undoes a merge: the duplicate becomes a patient of its own
// again, and the survivor stops listing it and drops the alias the merge
// added. Both are new versions.
func (pt Patients) Unmerge(ctx context.Context, duplicateRef, reason string) (Patient, error) {
	ctx, err := pt.s.require(ctx, PermPatientMerge, ActPatientUnmerge, "")
	if err != nil {
		return Patient{}, err
	}
	dup, err := pt.s.charts.resolve(ctx, duplicateRef, false)
	if err != nil {
		return Patient{}, err
	}
	if dup.MergedInto == "" {
		return Patient{}, Invalidf("%s is not merged into another record", dup.MRN)
	}
	surv, err := pt.s.charts.head(ctx, dup.MergedInto)
	if err != nil {
		return Patient{}, err
	}
	for _, p := range []Patient{surv, dup} {
		if err := pt.s.charts.canOpen(ctx, p, ActPatientUnmerge); err != nil {
			return Patient{}, err
		}
	}
	now, by := pt.s.v.now(), pt.s.User().Name
	dup.MergedInto, dup.Changed, dup.ChangedBy = "", now, by
	surv.Merged = slices.DeleteFunc(slices.Clone(surv.Merged), func(id string) bool { return id == dup.ID })
	surv.OtherNames = slices.DeleteFunc(slices.Clone(surv.OtherNames), func(n string) bool { return n == dup.FullName() })
	surv.Changed, surv.ChangedBy = now, by
	_, unmerged, err := pt.writeBoth(ctx, surv, dup, AuditEvent{Action: ActPatientUnmerge, Patient: surv.MRN,
		Object: "patient/" + dup.ID, Detail: fmt.Sprintf("unmerged %s from %s: %s", dup.MRN, surv.MRN, reason)})
	if err != nil {
		return Patient{}, fmt.Errorf("unmerge %s: %w", dup.MRN, err)
	}
	return unmerged, nil
}

// newID returns a time-ordered random id (UUIDv7): records registered
// together sit together in the store, which keeps batched writes fast.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
