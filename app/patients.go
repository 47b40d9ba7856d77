package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ErrNeedsBreakGlass means the chart is restricted: the user may open it
// only by stating a reason (BreakGlass), which is flagged in the audit.
var ErrNeedsBreakGlass = errors.New("this chart is restricted: state a reason to open it (break-glass)")

// decodePatient turns a stored record into a Patient.
func decodePatient(rec StoredRecord) (Patient, error) {
	var p Patient
	if err := json.Unmarshal(rec.Data, &p); err != nil {
		return Patient{}, fmt.Errorf("patient %s: %w: %v", rec.ID, ErrTampered, err)
	}
	p.Version = rec.Version
	return p, nil
}

// tokens turns index terms into blind-index tokens.
func (s *Session) tokens(terms []string) ([][]byte, error) {
	keys, err := s.keyring()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(terms))
	for i, t := range terms {
		out[i] = keys.Token([]byte(t))
	}
	return out, nil
}

// cachedPatient is a decrypted head kept for the session, with its name
// words ready for ranking.
type cachedPatient struct {
	p      Patient
	names  []nameKey // family name words first
	family int       // how many of names are the family name
}

func newCached(p Patient) *cachedPatient {
	return &cachedPatient{p: p, names: nameKeys(patientNameWords(p)), family: len(nameWords(p.Family))}
}

// head reads a patient's current version, from the session cache when the
// session wrote or read it last.
func (s *Session) head(ctx context.Context, id string) (Patient, error) {
	c, err := s.cached(ctx, id)
	if err != nil {
		return Patient{}, err
	}
	return c.p, nil
}

// cached returns the session's cache entry of a patient, reading and
// decrypting the head on a miss. Entries are never changed, only replaced.
func (s *Session) cached(ctx context.Context, id string) (*cachedPatient, error) {
	s.mu.Lock()
	c, ok := s.cache[id]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	rec, err := s.records.Head(ctx, KindPatient, id)
	if err != nil {
		return nil, err
	}
	p, err := decodePatient(rec)
	if err != nil {
		return nil, err
	}
	c = newCached(p)
	s.mu.Lock()
	if !s.locked {
		s.cache[id] = c
	}
	s.mu.Unlock()
	return c, nil
}

func (s *Session) remember(ps ...Patient) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return
	}
	for _, p := range ps {
		s.cache[p.ID] = newCached(p)
	}
}

// lookup returns the ids the index holds for one term.
func (s *Session) lookup(ctx context.Context, term string) ([]string, error) {
	keys, err := s.keyring()
	if err != nil {
		return nil, err
	}
	return s.records.Lookup(ctx, keys.Token([]byte(term)))
}

// resolve finds a patient by MRN or record id, following merges to the
// survivor when follow is set. A deleted registration is an ErrDeleted
// error that says when, by whom and why.
func (s *Session) resolve(ctx context.Context, ref string, follow bool) (Patient, error) {
	p, err := s.find(ctx, ref, follow)
	if err != nil {
		return Patient{}, err
	}
	if gone, err := s.withdrawn(ctx, p); err != nil || gone {
		if err == nil {
			err = fmt.Errorf("patient %s was deleted on %s by %s (%s): %w; a records manager can restore it",
				p.MRN, p.Changed.Format(time.DateOnly), p.ChangedBy, p.DeletedReason, ErrDeleted)
		}
		return Patient{}, err
	}
	return p, nil
}

// withdrawn says whether p is deleted with nothing filed to it. A deleted
// registration that has documents (filed on another workstation while the
// deletion was on its way) stays reachable, flagged Deleted, so nothing
// disappears: a records manager restores it or merges it.
func (s *Session) withdrawn(ctx context.Context, p Patient) (bool, error) {
	if !p.Deleted {
		return false, nil
	}
	docs, err := s.lookup(ctx, "doc:pat:"+p.ID)
	return len(docs) == 0, err
}

// find is resolve without the deleted check, for the history and the
// restore of a deleted registration.
func (s *Session) find(ctx context.Context, ref string, follow bool) (Patient, error) {
	ref = strings.TrimSpace(ref)
	var p Patient
	if _, err := uuid.Parse(ref); err == nil {
		if p, err = s.head(ctx, ref); err != nil {
			return Patient{}, fmt.Errorf("patient %s: %w", ref, err)
		}
	} else {
		mrn, err := ParseMRN(ref)
		if err != nil {
			return Patient{}, err
		}
		ids, err := s.lookup(ctx, "mrn:"+mrn)
		if err != nil {
			return Patient{}, err
		}
		found := false
		for _, id := range ids {
			c, err := s.head(ctx, id)
			if err != nil {
				return Patient{}, err
			}
			if c.MRN == mrn {
				p, found = c, true
				break
			}
		}
		if !found {
			return Patient{}, fmt.Errorf("patient %s: %w", mrn, ErrNotFound)
		}
	}
	for hops := 0; follow && p.MergedInto != "" && hops < 8; hops++ {
		next, err := s.head(ctx, p.MergedInto)
		if err != nil {
			return Patient{}, fmt.Errorf("patient %s was merged into %s: %w", p.MRN, p.MergedInto, err)
		}
		p = next
	}
	return p, nil
}

// mayOpen is the chart-level rule: a restricted chart opens only with the
// restricted-read permission or a break-glass reason given this session.
func (s *Session) mayOpen(p Patient) bool {
	if !p.Restricted || s.User().Roles.Can(PermRestrictedRead) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.glass[p.ID]
	return ok
}

// canOpen applies mayOpen for one action; a refusal is audited under the
// patient.
func (s *Session) canOpen(ctx context.Context, p Patient, act Action) error {
	if s.mayOpen(p) {
		return nil
	}
	_ = s.audit(ctx, AuditEvent{Action: act, Patient: p.MRN, Outcome: OutcomeDenied, Detail: "restricted chart"})
	if s.User().Roles.Can(PermBreakGlass) {
		return fmt.Errorf("patient %s: %w", p.MRN, ErrNeedsBreakGlass)
	}
	return fmt.Errorf("patient %s: %w", p.MRN, ErrRestricted)
}

// BreakGlass opens a restricted chart for the rest of this session. The
// reason is required and the event is flagged in the audit trail.
func (s *Session) BreakGlass(ctx context.Context, ref, reason string) (Patient, error) {
	ctx, err := s.require(ctx, PermBreakGlass, ActBreakGlass, "")
	if err != nil {
		return Patient{}, err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) < 5 {
		return Patient{}, fmt.Errorf("%w: break-glass needs a reason (a few words)", ErrInvalid)
	}
	p, err := s.resolve(ctx, ref, true)
	if err != nil {
		return Patient{}, err
	}
	s.mu.Lock()
	s.glass[p.ID] = reason
	s.mu.Unlock()
	if err := s.audit(ctx, AuditEvent{Action: ActBreakGlass, Patient: p.MRN, Object: "patient/" + p.ID, Detail: reason}); err != nil {
		return Patient{}, err
	}
	return p, nil
}

// Patient opens a patient's record by MRN or id (merged records lead to
// their survivor). The read is audited.
func (s *Session) Patient(ctx context.Context, ref string) (Patient, error) {
	ctx, err := s.require(ctx, PermPatientRead, ActPatientRead, "")
	if err != nil {
		return Patient{}, err
	}
	p, err := s.resolve(ctx, ref, true)
	if err != nil {
		return Patient{}, err
	}
	if err := s.canOpen(ctx, p, ActPatientRead); err != nil {
		return Patient{}, err
	}
	if p.Restricted && s.User().Roles.Can(PermRestrictedRead) {
		ctx = withGrant(ctx, PermRestrictedRead)
	}
	return p, s.audit(ctx, AuditEvent{Action: ActPatientRead, Patient: p.MRN, Object: objectRef(p)})
}

func objectRef(p Patient) string { return "patient/" + p.ID + "@" + p.Version.String() }

// nextMRN reserves n MRNs: it returns the first sequence number and the
// meta value that records the reservation, to commit with the records.
func (s *Session) nextMRN(ctx context.Context, n int) (prefix string, first uint64, meta map[string][]byte, err error) {
	prefix, err = s.v.SitePrefix(ctx)
	if err != nil {
		return "", 0, nil, fmt.Errorf("read MRN prefix: %w", err)
	}
	raw, err := s.v.cfg.Meta.GetMeta(ctx, metaMRNNext)
	if err != nil {
		return "", 0, nil, fmt.Errorf("read MRN counter: %w", err)
	}
	first, err = strconv.ParseUint(string(raw), 10, 64)
	if err != nil || first == 0 {
		return "", 0, nil, fmt.Errorf("MRN counter: %w", ErrTampered)
	}
	return prefix, first, map[string][]byte{metaMRNNext: []byte(strconv.FormatUint(first+uint64(n), 10))}, nil
}

// RegisterPatient adds new patients to the index, assigning their MRNs and
// ids. It does not look for duplicates: call FindDuplicates first and show
// the candidates to the clerk. All are written in one transaction.
func (s *Session) RegisterPatient(ctx context.Context, ps ...Patient) ([]Patient, error) {
	ctx, err := s.require(ctx, PermPatientWrite, ActPatientCreate, "")
	if err != nil {
		return nil, err
	}
	now := s.v.now()
	for i := range ps {
		if err := ps[i].Validate(now); err != nil {
			return nil, err
		}
	}
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	prefix, first, meta, err := s.nextMRN(ctx, len(ps))
	if err != nil {
		return nil, err
	}
	writes := make([]RecordWrite, len(ps))
	for i := range ps {
		p := &ps[i]
		p.ID, p.MRN = newID(), FormatMRN(prefix, first+uint64(i))
		p.MergedInto, p.Merged, p.Changed, p.ChangedBy = "", nil, now, s.User().Name
		p.Deleted, p.DeletedReason = false, ""
		w, err := s.patientWrite(*p, Version{})
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
	vs, err := s.commitVersions(ctx, writes, e, meta)
	if err != nil {
		return nil, fmt.Errorf("register patient: %w", err)
	}
	for i := range ps {
		ps[i].Version = vs[i]
	}
	s.remember(ps...)
	return ps, nil
}

// patientWrite encodes a patient version with its index tokens. A record
// merged into another keeps only its MRN token, so its MRN still leads to
// the survivor but name searches do not show it twice; a deleted one too, so
// its MRN leads to the notice of its deletion.
func (s *Session) patientWrite(p Patient, parent Version) (RecordWrite, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return RecordWrite{}, err
	}
	terms := patientTerms(p)
	if p.MergedInto != "" || p.Deleted {
		terms = []string{"mrn:" + p.MRN}
	}
	toks, err := s.tokens(terms)
	if err != nil {
		return RecordWrite{}, err
	}
	return RecordWrite{Kind: KindPatient, ID: p.ID, Parent: parent, Data: data, Tokens: toks}, nil
}

// AmendPatient writes a new version of a patient. p.Version must be the
// version the clerk edited; if someone changed the record since, it fails
// with ErrConflict and nothing is written.
func (s *Session) AmendPatient(ctx context.Context, p Patient) (Patient, error) {
	ctx, err := s.require(ctx, PermPatientWrite, ActPatientAmend, p.MRN)
	if err != nil {
		return Patient{}, err
	}
	cur, err := s.resolve(ctx, p.ID, false)
	if err != nil {
		return Patient{}, err
	}
	if err := s.canOpen(ctx, cur, ActPatientAmend); err != nil {
		return Patient{}, err
	}
	if cur.MergedInto != "" {
		return Patient{}, fmt.Errorf("%w: patient %s was merged into another record; amend the survivor", ErrInvalid, cur.MRN)
	}
	now := s.v.now()
	if err := p.Validate(now); err != nil {
		return Patient{}, err
	}
	p.MRN, p.MergedInto, p.Merged = cur.MRN, cur.MergedInto, cur.Merged
	p.Deleted, p.DeletedReason = cur.Deleted, cur.DeletedReason
	p.Changed, p.ChangedBy = now, s.User().Name
	w, err := s.patientWrite(p, p.Version)
	if err != nil {
		return Patient{}, err
	}
	vs, err := s.commitVersions(ctx, []RecordWrite{w}, AuditEvent{Action: ActPatientAmend, Patient: p.MRN, Object: "patient/" + p.ID}, nil)
	if err != nil {
		if errors.Is(err, ErrConflict) {
			s.forget(p.ID)
		}
		return Patient{}, fmt.Errorf("amend patient %s: %w", p.MRN, err)
	}
	p.Version = vs[0]
	s.remember(p)
	return p, nil
}

func (s *Session) forget(id string) {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
}

// PatientVersion is one entry of a patient's history.
type PatientVersion struct {
	Patient
	Parent Version
	// Source is the MRN whose history this version belongs to: the
	// patient's own, or one merged into it.
	Source string
}

// PatientHistory lists every version of a patient, oldest first, and the
// versions of every record merged into it. The read is audited.
func (s *Session) PatientHistory(ctx context.Context, ref string) ([]PatientVersion, error) {
	ctx, err := s.require(ctx, PermPatientRead, ActPatientHistory, "")
	if err != nil {
		return nil, err
	}
	p, err := s.find(ctx, ref, true)
	if err != nil {
		return nil, err
	}
	if err := s.canOpen(ctx, p, ActPatientHistory); err != nil {
		return nil, err
	}
	var out []PatientVersion
	for _, id := range append([]string{p.ID}, p.Merged...) {
		recs, err := s.records.History(ctx, KindPatient, id)
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
	return out, s.audit(ctx, AuditEvent{Action: ActPatientHistory, Patient: p.MRN, Object: "patient/" + p.ID})
}

// MergePatients merges a duplicate record into a survivor. Both get a new
// version in one transaction: the duplicate points to the survivor (its MRN
// keeps leading there) and the survivor lists it, so its history is shown
// with the survivor's. UnmergePatient undoes it.
func (s *Session) MergePatients(ctx context.Context, survivorRef, duplicateRef, reason string) (Patient, error) {
	ctx, err := s.require(ctx, PermPatientMerge, ActPatientMerge, "")
	if err != nil {
		return Patient{}, err
	}
	surv, err := s.resolve(ctx, survivorRef, false)
	if err != nil {
		return Patient{}, err
	}
	dup, err := s.resolve(ctx, duplicateRef, false)
	if err != nil {
		return Patient{}, err
	}
	for _, p := range []Patient{surv, dup} {
		if err := s.canOpen(ctx, p, ActPatientMerge); err != nil {
			return Patient{}, err
		}
	}
	switch {
	case surv.ID == dup.ID:
		return Patient{}, fmt.Errorf("%w: cannot merge %s into itself", ErrInvalid, surv.MRN)
	case surv.MergedInto != "":
		return Patient{}, fmt.Errorf("%w: %s was itself merged away; merge into its survivor", ErrInvalid, surv.MRN)
	case dup.MergedInto != "":
		return Patient{}, fmt.Errorf("%w: %s is already merged", ErrInvalid, dup.MRN)
	}
	now, by := s.v.now(), s.User().Name
	dupParent, survParent := dup.Version, surv.Version
	dup.MergedInto, dup.Changed, dup.ChangedBy = surv.ID, now, by
	surv.Merged = append(slices.Clone(surv.Merged), dup.ID)
	surv.OtherNames = mergeNames(surv, dup)
	surv.Changed, surv.ChangedBy = now, by
	wd, err := s.patientWrite(dup, dupParent)
	if err != nil {
		return Patient{}, err
	}
	ws, err := s.patientWrite(surv, survParent)
	if err != nil {
		return Patient{}, err
	}
	vs, err := s.commitVersions(ctx, []RecordWrite{ws, wd}, AuditEvent{Action: ActPatientMerge, Patient: surv.MRN,
		Object: "patient/" + dup.ID, Detail: fmt.Sprintf("merged %s into %s: %s", dup.MRN, surv.MRN, reason)}, nil)
	if err != nil {
		s.forget(surv.ID)
		s.forget(dup.ID)
		return Patient{}, fmt.Errorf("merge %s into %s: %w", dup.MRN, surv.MRN, err)
	}
	surv.Version, dup.Version = vs[0], vs[1]
	s.remember(surv, dup)
	return surv, nil
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

// UnmergePatient undoes a merge: the duplicate becomes a patient of its own
// again, and the survivor stops listing it and drops the alias the merge
// added. Both are new versions.
func (s *Session) UnmergePatient(ctx context.Context, duplicateRef, reason string) (Patient, error) {
	ctx, err := s.require(ctx, PermPatientMerge, ActPatientUnmerge, "")
	if err != nil {
		return Patient{}, err
	}
	dup, err := s.resolve(ctx, duplicateRef, false)
	if err != nil {
		return Patient{}, err
	}
	if dup.MergedInto == "" {
		return Patient{}, fmt.Errorf("%w: %s is not merged into another record", ErrInvalid, dup.MRN)
	}
	surv, err := s.head(ctx, dup.MergedInto)
	if err != nil {
		return Patient{}, err
	}
	for _, p := range []Patient{surv, dup} {
		if err := s.canOpen(ctx, p, ActPatientUnmerge); err != nil {
			return Patient{}, err
		}
	}
	now, by := s.v.now(), s.User().Name
	dupParent, survParent := dup.Version, surv.Version
	dup.MergedInto, dup.Changed, dup.ChangedBy = "", now, by
	surv.Merged = slices.DeleteFunc(slices.Clone(surv.Merged), func(id string) bool { return id == dup.ID })
	surv.OtherNames = slices.DeleteFunc(slices.Clone(surv.OtherNames), func(n string) bool { return n == dup.FullName() })
	surv.Changed, surv.ChangedBy = now, by
	ws, err := s.patientWrite(surv, survParent)
	if err != nil {
		return Patient{}, err
	}
	wd, err := s.patientWrite(dup, dupParent)
	if err != nil {
		return Patient{}, err
	}
	vs, err := s.commitVersions(ctx, []RecordWrite{ws, wd}, AuditEvent{Action: ActPatientUnmerge, Patient: surv.MRN,
		Object: "patient/" + dup.ID, Detail: fmt.Sprintf("unmerged %s from %s: %s", dup.MRN, surv.MRN, reason)}, nil)
	if err != nil {
		s.forget(surv.ID)
		s.forget(dup.ID)
		return Patient{}, fmt.Errorf("unmerge %s: %w", dup.MRN, err)
	}
	surv.Version, dup.Version = vs[0], vs[1]
	s.remember(surv, dup)
	return dup, nil
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
