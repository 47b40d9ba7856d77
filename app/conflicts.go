package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"folio/endorse"
)

// Conflicts: a record changed on two workstations from the same version
// has two branches. Sync keeps both on every replica and every replica
// shows the same one (the greatest version); the record is listed here
// until a person resolves it by writing a new version — one branch's
// content, or the three-way merge proposed when the branches changed
// different fields. The new version names the branch tips it settles
// (resolvesField), so every replica that receives it drops the flag too.

// Actions of conflict resolution.
const (
	ActConflictList    Action = "conflict.list"
	ActConflictResolve Action = "conflict.resolve"
)

// resolvesField is the JSON field a resolving version carries: the tips
// it settles. The services' decoders ignore it.
const resolvesField = "sync_resolves"

// ConflictVersion is one branch tip (or the common base) of a conflict.
type ConflictVersion struct {
	Version   Version
	ChangedBy string
	Changed   time.Time
	// Fields maps each top-level field to its value as compact JSON.
	Fields map[string]string
	data   []byte
}

// Conflict is one record in conflict, as a person resolves it.
type Conflict struct {
	Kind  Kind
	ID    string
	Label string // what the record is: a patient's MRN and name, a document's type…
	// Current is the version every replica shows until it is resolved.
	Current  Version
	Base     *ConflictVersion // the last version both branches share; nil if none
	Versions []ConflictVersion
	// Differing are the fields whose values differ between the branches.
	Differing []string
	// Mergeable is true when the branches changed different fields: the
	// proposal takes each branch's changes.
	Mergeable bool
	proposal  []byte
}

// ProposalFields is the merged record's fields (nil when not mergeable).
func (c Conflict) ProposalFields() map[string]string {
	if !c.Mergeable {
		return nil
	}
	return topFields(c.proposal)
}

// Conflicts is conflict review: the records changed on two workstations
// from the same version, their branches side by side, and settling each
// with a new version (one branch's content, or the proposed merge). Both
// need the right to merge patients (records clerks, administrators); a
// conflict of a chart the user may not open (restricted) is neither shown
// nor settled. Every method audits through the session.
type Conflicts struct{ s *Session }

// Conflicts returns the session's conflict-review service.
func (s *Session) Conflicts() *Conflicts { return &Conflicts{s: s} }

// List lists the records in conflict (the listing is audited, as it shows
// patient names). Records of charts the user may not open (restricted)
// are left out: a records clerk resolves those.
func (svc *Conflicts) List(ctx context.Context) ([]Conflict, error) {
	s := svc.s
	ctx, err := s.require(ctx, PermPatientMerge, ActConflictList, "")
	if err != nil {
		return nil, err
	}
	if s.v.cfg.Conflicts == nil {
		return nil, nil
	}
	refs, err := s.v.cfg.Conflicts.RecordConflicts(ctx)
	if err != nil {
		return nil, err
	}
	var out []Conflict
	for _, r := range refs {
		c, err := svc.conflict(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("conflict of %s %s: %w", r.Kind, r.ID, err)
		}
		if _, ok, err := svc.conflictAllowed(ctx, c); err != nil || !ok {
			if err != nil {
				return nil, fmt.Errorf("conflict of %s %s: %w", r.Kind, r.ID, err)
			}
			continue
		}
		out = append(out, c)
	}
	if len(out) > 0 {
		_ = s.audit(ctx, AuditEvent{Action: ActConflictList, Outcome: OutcomeOK, Detail: fmt.Sprintf("%d records in conflict", len(out))})
	}
	return out, nil
}

func (svc *Conflicts) conflict(ctx context.Context, r RecordConflict) (Conflict, error) {
	s := svc.s
	hist, err := s.records.History(ctx, r.Kind, r.ID)
	if err != nil {
		return Conflict{}, err
	}
	byVersion := map[Version]StoredRecord{}
	for _, h := range hist {
		byVersion[h.Version] = h
	}
	c := Conflict{Kind: r.Kind, ID: r.ID}
	for _, t := range r.Tips {
		rec, ok := byVersion[t]
		if !ok {
			return Conflict{}, fmt.Errorf("%w: branch %s is missing", ErrNotFound, t)
		}
		c.Versions = append(c.Versions, conflictVersion(rec))
		if c.Current.Less(t) {
			c.Current = t
		}
	}
	slices.SortFunc(c.Versions, func(a, b ConflictVersion) int {
		if a.Version.Less(b.Version) {
			return -1
		}
		return 1
	})
	if head, err := s.records.Head(ctx, r.Kind, r.ID); err == nil {
		c.Current = head.Version
		c.Label = conflictLabel(head)
	}
	if base, ok := commonBase(byVersion, r.Tips); ok {
		bv := conflictVersion(byVersion[base])
		c.Base = &bv
	}
	c.Differing, c.Mergeable, c.proposal = mergeBranches(c.Base, c.Versions)
	return c, nil
}

// conflictAllowed reports whether the user may see and resolve a record
// in conflict: a patient, or a document's chart, that no branch makes one
// the user may not open. It returns the chart that refused.
func (svc *Conflicts) conflictAllowed(ctx context.Context, c Conflict) (Patient, bool, error) {
	s := svc.s
	for _, v := range c.Versions {
		rec := StoredRecord{Kind: c.Kind, ID: c.ID, Version: v.Version, Data: v.data}
		switch c.Kind {
		case KindPatient:
			if p, err := decodePatient(rec); err == nil && !s.charts.mayOpen(p) {
				return p, false, nil
			}
		default:
			if chart, ok, err := s.docs.versionChart(ctx, rec); err != nil || !ok {
				return chart, ok, err
			}
		}
	}
	return Patient{}, true, nil
}

func conflictVersion(rec StoredRecord) ConflictVersion {
	var who struct {
		ChangedBy string    `json:"changed_by"`
		Changed   time.Time `json:"changed"`
	}
	_ = json.Unmarshal(rec.Data, &who)
	return ConflictVersion{Version: rec.Version, ChangedBy: who.ChangedBy, Changed: who.Changed, Fields: topFields(rec.Data), data: rec.Data}
}

func conflictLabel(rec StoredRecord) string {
	switch rec.Kind {
	case KindPatient:
		if p, err := decodePatient(rec); err == nil {
			return fmt.Sprintf("patient %s %s, %s", p.MRN, p.Family, p.Given)
		}
	case KindDocument:
		if d, err := decodeDocument(rec); err == nil {
			return fmt.Sprintf("document %s (%s, %d pages)", d.ID, d.Type, len(d.Pages))
		}
	case KindUser:
		return "user " + rec.ID
	}
	return string(rec.Kind) + " " + rec.ID
}

// topFields maps a JSON object's top-level fields to their compact JSON.
func topFields(data []byte) map[string]string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k == resolvesField {
			continue
		}
		var buf bytes.Buffer
		if json.Compact(&buf, v) == nil {
			out[k] = buf.String()
		}
	}
	return out
}

// commonBase finds the greatest version every tip descends from.
func commonBase(byVersion map[Version]StoredRecord, tips []Version) (Version, bool) {
	ancestors := func(v Version) map[Version]bool {
		seen := map[Version]bool{}
		for !v.IsZero() && !seen[v] {
			seen[v] = true
			v = byVersion[v].Parent
		}
		return seen
	}
	var common map[Version]bool
	for _, t := range tips {
		a := ancestors(t)
		if common == nil {
			common = a
			continue
		}
		for v := range common {
			if !a[v] {
				delete(common, v)
			}
		}
	}
	var best Version
	for v := range common {
		if best.Less(v) {
			best = v
		}
	}
	return best, !best.IsZero()
}

// bookkeeping fields change with every version; they are not the content
// a person merges.
var bookkeeping = map[string]bool{"changed": true, "changed_by": true, resolvesField: true}

// mergeBranches finds the fields whose values differ between the tips and,
// with a base, whether each field was changed by at most one branch; then
// it builds the merged record (the base plus every branch's changes).
func mergeBranches(base *ConflictVersion, tips []ConflictVersion) (differing []string, mergeable bool, proposal []byte) {
	keys := map[string]bool{}
	for _, t := range tips {
		for k := range t.Fields {
			keys[k] = true
		}
	}
	for k := range keys {
		if bookkeeping[k] {
			continue
		}
		for _, t := range tips[1:] {
			if t.Fields[k] != tips[0].Fields[k] {
				differing = append(differing, k)
				break
			}
		}
	}
	slices.Sort(differing)
	if base == nil || len(tips) < 2 {
		return differing, false, nil
	}
	merged := map[string]json.RawMessage{}
	if json.Unmarshal(base.data, &merged) != nil {
		return differing, false, nil
	}
	for _, k := range differing {
		changedBy := -1
		for i, t := range tips {
			if t.Fields[k] != base.Fields[k] {
				if changedBy >= 0 && tips[changedBy].Fields[k] != t.Fields[k] {
					return differing, false, nil // both changed it, differently
				}
				changedBy = i
			}
		}
		if changedBy >= 0 {
			var full map[string]json.RawMessage
			if json.Unmarshal(tips[changedBy].data, &full) != nil {
				return differing, false, nil
			}
			if v, ok := full[k]; ok {
				merged[k] = v
			} else {
				delete(merged, k)
			}
		}
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return differing, false, nil
	}
	return differing, true, b
}

// Resolve settles a conflict with a new version: the content of the
// branch keep, or (merge true) the proposed three-way merge. The new
// version's parent is the current one, and it names every branch it
// settles, so the other replicas clear the flag when it reaches them.
func (svc *Conflicts) Resolve(ctx context.Context, kind Kind, id string, keep Version, merge bool) error {
	s := svc.s
	ctx, err := s.require(ctx, PermPatientMerge, ActConflictResolve, "")
	if err != nil {
		return err
	}
	refs, err := s.v.cfg.Conflicts.RecordConflicts(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(refs, func(r RecordConflict) bool { return r.Kind == kind && r.ID == id })
	if i < 0 {
		return fmt.Errorf("resolve %s %s: %w: it is not in conflict", kind, id, ErrNotFound)
	}
	c, err := svc.conflict(ctx, refs[i])
	if err != nil {
		return err
	}
	switch chart, ok, err := svc.conflictAllowed(ctx, c); {
	case err != nil:
		return err
	case !ok && kind == KindPatient:
		return s.charts.canOpen(ctx, chart, ActConflictResolve)
	case !ok:
		return s.docs.refuse(ctx, id, chart, ActConflictResolve)
	}
	var data []byte
	switch {
	case merge && !c.Mergeable:
		return fmt.Errorf("resolve %s %s: %w", kind, id, Invalidf("both branches changed %v; choose one", c.Differing))
	case merge:
		data = c.proposal
	default:
		j := slices.IndexFunc(c.Versions, func(v ConflictVersion) bool { return v.Version == keep })
		if j < 0 {
			return fmt.Errorf("resolve %s %s: %w", kind, id, Invalidf("%s is not one of its branches", keep))
		}
		data = c.Versions[j].data
	}
	if kind == KindEncounter {
		if err := encounterResolution(c, data); err != nil {
			return fmt.Errorf("resolve %s %s: %w", kind, id, err)
		}
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("resolve %s %s: %w: %v", kind, id, ErrTampered, err)
	}
	tips := make([]string, len(refs[i].Tips))
	for j, t := range refs[i].Tips {
		tips[j] = t.String()
	}
	obj[resolvesField] = tips
	if _, ok := obj["changed"]; ok {
		obj["changed"] = s.v.now()
		obj["changed_by"] = s.User().Name
	}
	data, err = json.Marshal(obj)
	if err != nil {
		return err
	}
	toks, err := s.encode.indexTokens(ctx, StoredRecord{Kind: kind, ID: id, Data: data})
	if err != nil {
		return err
	}
	e := AuditEvent{Action: ActConflictResolve, Object: string(kind) + "/" + id, Detail: fmt.Sprintf("kept %s", keep)}
	if merge {
		e.Detail = "merged the branches' changes"
	}
	if kind == KindPatient {
		if p, err := decodePatient(StoredRecord{ID: id, Data: data}); err == nil {
			e.Patient = p.MRN
		}
	}
	w := RecordWrite{Kind: kind, ID: id, Parent: c.Current, Data: data, Tokens: toks}
	if endorse.NeedsEndorsement(string(kind)) {
		if w.Endorsement, err = svc.endorseResolution(ctx, w); err != nil {
			return fmt.Errorf("resolve %s %s: %w", kind, id, err)
		}
	}
	if _, err := s.commitVersions(ctx, []RecordWrite{w}, e, nil); err != nil {
		return fmt.Errorf("resolve %s %s: %w", kind, id, err)
	}
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
	return s.v.cfg.Conflicts.ClearConflict(ctx, kind, id)
}

// endorseResolution signs the version that settles a conflict of a user
// or their key slots: an administrator's work (package endorse).
func (svc *Conflicts) endorseResolution(ctx context.Context, w RecordWrite) ([]byte, error) {
	s := svc.s
	if _, err := s.require(ctx, PermUserManage, ActConflictResolve, ""); err != nil {
		return nil, err
	}
	var cert *endorse.UserCert
	if w.Kind == KindUser {
		var u User
		if err := json.Unmarshal(w.Data, &u); err != nil || u.Name != w.ID {
			return nil, fmt.Errorf("%w: the kept version is not user %s's", ErrTampered, w.ID)
		}
		if len(u.SigningKey) == 0 {
			return nil, Invalidf("the kept version of user %s has no signing key; keep the other, or reset the password", w.ID)
		}
		cert = userCert(u)
	}
	return s.signing.endorse(w.Kind, w.ID, w.Parent, w.Data, cert)
}
