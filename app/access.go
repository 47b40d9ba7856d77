package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// This file holds the part of the core every domain that touches a
// patient uses: reading a patient's head through the session's cache,
// resolving an MRN or id (following merges, refusing deletions), the
// chart-level rule for restricted charts (mayOpen, canOpen), and encoding
// a patient version with its blind-index tokens. The Patients service and
// the document, intake and sync code all go through it, so the rule is
// written once.

// charts is the chart-access part of the core: the session's patient
// cache, the blind-index lookup, resolving a chart and the rule for
// restricted ones. Every domain that touches a patient reaches it through
// s.charts.
type charts struct{ s *Session }

// ErrNeedsBreakGlass means the chart is restricted: the user may open it
// only by stating a reason (BreakGlass), which is flagged in the audit.
var ErrNeedsBreakGlass = errors.New("this chart is restricted: state a reason to open it (break-glass)")

// decodePatient turns a stored record into a Patient.
func decodePatient(rec StoredRecord) (Patient, error) {
	return decodeRecord[Patient](rec, "patient")
}

func (p *Patient) setVersion(v Version) { p.Version = v }

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
func (ch charts) head(ctx context.Context, id string) (Patient, error) {
	c, err := ch.cached(ctx, id)
	if err != nil {
		return Patient{}, err
	}
	return c.p, nil
}

// cached returns the session's cache entry of a patient, reading and
// decrypting the head on a miss. Entries are never changed, only replaced.
func (ch charts) cached(ctx context.Context, id string) (*cachedPatient, error) {
	ch.s.mu.Lock()
	c, ok := ch.s.cache[id]
	ch.s.mu.Unlock()
	if ok {
		return c, nil
	}
	rec, err := ch.s.records.Head(ctx, KindPatient, id)
	if err != nil {
		return nil, err
	}
	p, err := decodePatient(rec)
	if err != nil {
		return nil, err
	}
	c = newCached(p)
	ch.s.mu.Lock()
	if !ch.s.locked {
		ch.s.cache[id] = c
	}
	ch.s.mu.Unlock()
	return c, nil
}

func (ch charts) remember(ps ...Patient) {
	ch.s.mu.Lock()
	defer ch.s.mu.Unlock()
	if ch.s.locked {
		return
	}
	for _, p := range ps {
		ch.s.cache[p.ID] = newCached(p)
	}
}

// lookup returns the ids the index holds for one term.
func (ch charts) lookup(ctx context.Context, term string) ([]string, error) {
	keys, err := ch.s.keyring()
	if err != nil {
		return nil, err
	}
	return ch.s.records.Lookup(ctx, keys.Token([]byte(term)))
}

// resolve finds a patient by MRN or record id, following merges to the
// survivor when follow is set. A deleted registration is an ErrDeleted
// error that says when, by whom and why.
func (ch charts) resolve(ctx context.Context, ref string, follow bool) (Patient, error) {
	p, err := ch.find(ctx, ref, follow)
	if err != nil {
		return Patient{}, err
	}
	if gone, err := ch.withdrawn(ctx, p); err != nil || gone {
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
func (ch charts) withdrawn(ctx context.Context, p Patient) (bool, error) {
	if !p.Deleted {
		return false, nil
	}
	docs, err := ch.lookup(ctx, "doc:pat:"+p.ID)
	return len(docs) == 0, err
}

// find is resolve without the deleted check, for the history and the
// restore of a deleted registration.
func (ch charts) find(ctx context.Context, ref string, follow bool) (Patient, error) {
	ref = strings.TrimSpace(ref)
	var p Patient
	if _, err := uuid.Parse(ref); err == nil {
		if p, err = ch.head(ctx, ref); err != nil {
			return Patient{}, fmt.Errorf("patient %s: %w", ref, err)
		}
	} else {
		mrn, err := ParseMRN(ref)
		if err != nil {
			return Patient{}, err
		}
		ids, err := ch.lookup(ctx, "mrn:"+mrn)
		if err != nil {
			return Patient{}, err
		}
		found := false
		for _, id := range ids {
			c, err := ch.head(ctx, id)
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
		next, err := ch.head(ctx, p.MergedInto)
		if err != nil {
			return Patient{}, fmt.Errorf("patient %s was merged into %s: %w", p.MRN, p.MergedInto, err)
		}
		p = next
	}
	return p, nil
}

// mayOpen is the chart-level rule: a restricted chart opens only with the
// restricted-read permission or a break-glass reason given this session.
func (ch charts) mayOpen(p Patient) bool {
	if !p.Restricted || ch.s.User().Roles.Can(PermRestrictedRead) {
		return true
	}
	ch.s.mu.Lock()
	defer ch.s.mu.Unlock()
	_, ok := ch.s.glass[p.ID]
	return ok
}

// chartOf returns the chart a record filed under patient id is in — that
// patient, or the survivor it was merged into, counted restricted when any
// registration on the way is — and whether the user may open it.
func (ch charts) chartOf(ctx context.Context, id string) (Patient, bool, error) {
	p, err := ch.head(ctx, id)
	if err != nil {
		return Patient{}, false, err
	}
	restricted := p.Restricted
	for hops := 0; p.MergedInto != "" && hops < 8; hops++ {
		if p, err = ch.head(ctx, p.MergedInto); err != nil {
			return Patient{}, false, err
		}
		restricted = restricted || p.Restricted
	}
	p.Restricted = restricted
	return p, ch.mayOpen(p), nil
}

// canOpen applies mayOpen for one action; a refusal is audited under the
// patient.
func (ch charts) canOpen(ctx context.Context, p Patient, act Action) error {
	if ch.mayOpen(p) {
		return nil
	}
	_ = ch.s.audit(ctx, AuditEvent{Action: act, Patient: p.MRN, Outcome: OutcomeDenied, Detail: "restricted chart"})
	if ch.s.User().Roles.Can(PermBreakGlass) {
		return fmt.Errorf("patient %s: %w", p.MRN, ErrNeedsBreakGlass)
	}
	return fmt.Errorf("patient %s: %w", p.MRN, ErrRestricted)
}

// chartIDs are the patient ids whose records are in the chart: its own
// and those merged into it.
func chartIDs(chart Patient) []string { return append([]string{chart.ID}, chart.Merged...) }

// open is the start of a chart act: the role check for act (require),
// the patient resolved by MRN or id (following merges), and the
// restricted-chart rule for act. It returns ctx carrying the permission
// for the act's audit event.
func (ch charts) open(ctx context.Context, perm Permission, act Action, ref string) (context.Context, Patient, error) {
	ctx, err := ch.s.require(ctx, perm, act, "")
	if err != nil {
		return ctx, Patient{}, err
	}
	p, err := ch.resolve(ctx, ref, true)
	if err != nil {
		return ctx, Patient{}, err
	}
	if err := ch.canOpen(ctx, p, act); err != nil {
		return ctx, Patient{}, err
	}
	return ctx, p, nil
}

// breakGlassVia opens, for the rest of the session, the restricted chart
// a record is in, with a reason (as Patients.BreakGlass does), for a
// clinician given the record's id rather than the patient's MRN. After
// the role check, chartOf reads the record and returns its chart and
// what it is ("encounter 1f…"), to refuse a record in no restricted chart
// (it needs no reason).
func (ch charts) breakGlassVia(ctx context.Context, reason string, chartOf func(context.Context) (Patient, string, error)) (Patient, error) {
	ctx, err := ch.s.require(ctx, PermBreakGlass, ActBreakGlass, "")
	if err != nil {
		return Patient{}, err
	}
	chart, what, err := chartOf(ctx)
	if err != nil {
		return Patient{}, err
	}
	if !chart.Restricted {
		return Patient{}, Invalidf("%s is not in a restricted chart: it opens without a reason", what)
	}
	return ch.s.Patients().BreakGlass(ctx, chart.ID, reason)
}

// readGrant is ctx for the audit event of a read of chart p: a restricted
// chart is read under the restricted-read permission when the role has
// it.
func (ch charts) readGrant(ctx context.Context, p Patient) context.Context {
	if p.Restricted && ch.s.User().Roles.Can(PermRestrictedRead) {
		return withGrant(ctx, PermRestrictedRead)
	}
	return ctx
}

// patient encodes a patient version with its index tokens. A record
// merged into another keeps only its MRN token, so its MRN still leads to
// the survivor but name searches do not show it twice; a deleted one too, so
// its MRN leads to the notice of its deletion.
func (ec encoder) patient(p Patient, parent Version) (RecordWrite, error) {
	terms := patientTerms(p)
	if p.MergedInto != "" || p.Deleted {
		terms = []string{"mrn:" + p.MRN}
	}
	return ec.write(KindPatient, p.ID, parent, p, terms)
}

func (ch charts) forget(id string) {
	ch.s.mu.Lock()
	delete(ch.s.cache, id)
	ch.s.mu.Unlock()
}
