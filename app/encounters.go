package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The audited acts on encounters and notes.
const (
	ActEncounterCreate Action = "encounter.create"
	ActEncounterDraft  Action = "encounter.draft" // a draft saved (as the clinician types)
	ActEncounterRead   Action = "encounter.read"
	ActEncounterList   Action = "encounter.list"
	ActEncounterLink   Action = "encounter.link"
	ActEncounterUnlink Action = "encounter.unlink"
	ActEncounterDelete Action = "encounter.delete" // a draft written in error withdrawn
	ActNoteSign        Action = "note.sign"
	ActNoteAddendum    Action = "note.addendum"
)

// Encounters records visits and their notes: a clinician adds an
// encounter, saves its draft as they type, and signs it; a signed note is
// corrected only by signed addenda. Every read is audited as a chart read,
// under the chart-access rule of access.go, and every change is one new
// version written with its audit event.
type Encounters struct{ s *Session }

// Encounters returns the session's encounter service.
func (s *Session) Encounters() Encounters { return Encounters{s} }

// load reads an encounter's current version.
func (en Encounters) load(ctx context.Context, id string) (Encounter, error) {
	rec, err := en.s.records.Head(ctx, KindEncounter, strings.TrimSpace(id))
	if err != nil {
		return Encounter{}, fmt.Errorf("encounter %s: %w", id, err)
	}
	return decodeEncounter(rec)
}

// encounterInChart reads encounter id and the chart it is in — its
// patient, or the survivor that patient was merged into, restricted when
// any registration on the way is — and checks the user may open that
// chart for act: how an act on one encounter starts, in this service and
// in coding.
func encounterInChart(ctx context.Context, s *Session, id string, act Action) (Encounter, Patient, error) {
	e, err := Encounters{s}.load(ctx, id)
	if err != nil {
		return Encounter{}, Patient{}, err
	}
	p, _, err := s.charts.chartOf(ctx, e.PatientID)
	if err != nil {
		return Encounter{}, Patient{}, fmt.Errorf("chart of encounter %s: %w", e.ID, err)
	}
	if err := s.charts.canOpen(ctx, p, act); err != nil {
		return Encounter{}, Patient{}, err
	}
	return e, p, nil
}

// open is the start of an encounter act: the role check for act
// (require), then encounterInChart. It returns ctx carrying the
// permission for the act's audit event.
func (en Encounters) open(ctx context.Context, id string, perm Permission, act Action) (context.Context, Encounter, Patient, error) {
	ctx, err := en.s.require(ctx, perm, act, "")
	if err != nil {
		return ctx, Encounter{}, Patient{}, err
	}
	e, p, err := encounterInChart(ctx, en.s, id, act)
	return ctx, e, p, err
}

// editable opens an encounter (as open does, for PermEncounterWrite) for
// a change of its draft by its author. A refusal to someone else is
// audited.
func (en Encounters) editable(ctx context.Context, id string, act Action) (context.Context, Encounter, Patient, error) {
	ctx, cur, p, err := en.open(ctx, id, PermEncounterWrite, act)
	if err != nil {
		return ctx, Encounter{}, Patient{}, err
	}
	switch {
	case cur.Deleted:
		return ctx, Encounter{}, Patient{}, fmt.Errorf("%w: encounter %s was deleted", ErrNotFound, cur.ID)
	case cur.Signed != nil:
		return ctx, Encounter{}, Patient{}, ErrNoteSigned
	case cur.Clinician != en.s.User().Name:
		_ = en.s.audit(ctx, AuditEvent{Action: act, Patient: p.MRN, Object: "encounter/" + cur.ID, Outcome: OutcomeDenied, Detail: "not the note's author"})
		return ctx, Encounter{}, Patient{}, errNotAuthor(cur.Clinician)
	}
	return ctx, cur, p, nil
}

// write commits one new version of an encounter with its audit event.
func (en Encounters) write(ctx context.Context, e Encounter, parent Version, ev AuditEvent) (Encounter, error) {
	e.Changed, e.ChangedBy = en.s.v.now(), en.s.User().Name
	w, err := en.s.encode.encounter(e, parent)
	if err != nil {
		return Encounter{}, err
	}
	ev.Object = "encounter/" + e.ID
	vs, err := en.s.commitVersions(ctx, []RecordWrite{w}, ev, nil)
	if err != nil {
		return Encounter{}, fmt.Errorf("save encounter: %w", err)
	}
	e.Version, e.MRN = vs[0], ev.Patient
	return e, nil
}

// Add records a new encounter of the patient (MRN or id) as a draft whose
// author is the signed-in clinician.
func (en Encounters) Add(ctx context.Context, patientRef string, e Encounter) (Encounter, error) {
	ctx, p, err := en.s.charts.open(ctx, PermEncounterWrite, ActEncounterCreate, patientRef)
	if err != nil {
		return Encounter{}, err
	}
	now := en.s.v.now()
	e.ID, e.PatientID, e.Clinician, e.Created = newID(), p.ID, en.s.User().Name, now
	e.Documents, e.Signed, e.Addenda, e.Deleted, e.DeletedReason = nil, nil, nil, false, ""
	if err := e.validate(now, p); err != nil {
		return Encounter{}, err
	}
	return en.write(ctx, e, Version{}, AuditEvent{Action: ActEncounterCreate, Patient: p.MRN})
}

// SaveDraft saves the visit, vital signs and note of e as a new version of
// its draft; e.Version must be the version the clinician edited (else
// ErrConflict). Only the author saves a draft; a signed note is refused.
func (en Encounters) SaveDraft(ctx context.Context, e Encounter) (Encounter, error) {
	return en.save(ctx, e, ActEncounterDraft)
}

// Sign saves e as SaveDraft does and signs it in the same version: from
// then on the note is never changed. Only its author signs it, and a note
// with nothing written is not signed.
func (en Encounters) Sign(ctx context.Context, e Encounter) (Encounter, error) {
	return en.save(ctx, e, ActNoteSign)
}

func (en Encounters) save(ctx context.Context, e Encounter, act Action) (Encounter, error) {
	ctx, cur, p, err := en.editable(ctx, e.ID, act)
	if err != nil {
		return Encounter{}, err
	}
	cur.Time, cur.Type, cur.Site, cur.Reason, cur.Vitals, cur.Note = e.Time, e.Type, e.Site, e.Reason, e.Vitals, e.Note
	now := en.s.v.now()
	if err := cur.validate(now, p); err != nil {
		return Encounter{}, err
	}
	if act == ActNoteSign {
		if cur.Note.IsZero() {
			return Encounter{}, Invalidf("the note is empty: write at least the assessment and plan before signing")
		}
		if cur.Signed, err = en.s.signing.signNote(cur, now); err != nil {
			return Encounter{}, err
		}
	}
	return en.write(ctx, cur, e.Version, AuditEvent{Action: act, Patient: p.MRN})
}

// Addendum adds a correction to a signed note, signed by the clinician
// writing it; the note stays as it was signed.
func (en Encounters) Addendum(ctx context.Context, id, text string) (Encounter, error) {
	ctx, cur, p, err := en.open(ctx, id, PermEncounterWrite, ActNoteAddendum)
	if err != nil {
		return Encounter{}, err
	}
	text = strings.TrimSpace(text)
	switch {
	case cur.Deleted:
		return Encounter{}, fmt.Errorf("%w: encounter %s was deleted", ErrNotFound, cur.ID)
	case cur.Signed == nil:
		return Encounter{}, ErrNoteDraft
	case text == "":
		return Encounter{}, Invalidf("the addendum is empty: write the correction")
	}
	if cur.Addenda, err = en.addenda(ctx, cur); err != nil {
		return Encounter{}, err
	}
	a := Addendum{ID: newID(), EncounterID: cur.ID, PatientID: cur.PatientID, Text: text, By: en.s.User().Name, At: en.s.v.now()}
	a.Hash = addendumHash(cur.Signed, a)
	if err := en.s.signing.signAddendum(&a); err != nil {
		return Encounter{}, err
	}
	w, err := en.s.encode.addendum(a)
	if err != nil {
		return Encounter{}, err
	}
	if err := en.s.commit(ctx, []RecordWrite{w}, AuditEvent{Action: ActNoteAddendum, Patient: p.MRN,
		Object: "encounter/" + cur.ID, Detail: "addendum/" + a.ID}, nil, nil); err != nil {
		return Encounter{}, fmt.Errorf("save addendum: %w", err)
	}
	cur.Addenda, cur.MRN = append(cur.Addenda, a), p.MRN
	return cur, nil
}

// Delete withdraws a draft written in error (a new version, kept in the
// history). Signed notes are never deleted.
func (en Encounters) Delete(ctx context.Context, id, reason string) error {
	ctx, cur, p, err := en.editable(ctx, id, ActEncounterDelete)
	if err != nil {
		return err
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return Invalidf("say why the draft is deleted")
	}
	cur.Deleted, cur.DeletedReason = true, reason
	_, err = en.write(ctx, cur, cur.Version, AuditEvent{Action: ActEncounterDelete, Patient: p.MRN, Detail: reason})
	return err
}

// Open reads an encounter with its note and addenda, as a chart read:
// audited, and refused for a restricted chart the user may not open.
func (en Encounters) Open(ctx context.Context, id string) (Encounter, error) {
	ctx, e, p, err := en.open(ctx, id, PermEncounterRead, ActEncounterRead)
	if err != nil {
		return Encounter{}, err
	}
	if e.Deleted {
		return Encounter{}, fmt.Errorf("%w: encounter %s was deleted (%s)", ErrNotFound, e.ID, e.DeletedReason)
	}
	if e.Addenda, err = en.addenda(ctx, e); err != nil {
		return Encounter{}, err
	}
	if err := sealsIntact(e); err != nil {
		return Encounter{}, err
	}
	e.MRN = p.MRN
	if p.Restricted && en.s.User().Roles.Can(PermRestrictedRead) {
		ctx = withGrant(ctx, PermRestrictedRead)
	}
	return e, en.s.audit(ctx, AuditEvent{Action: ActEncounterRead, Patient: p.MRN, Object: "encounter/" + e.ID + "@" + e.Version.String()})
}

// List returns a patient's encounters (and those of records merged into
// it), newest first, without deleted drafts. The read is audited.
func (en Encounters) List(ctx context.Context, patientRef string) ([]Encounter, error) {
	ctx, p, err := en.s.charts.open(ctx, PermEncounterRead, ActEncounterList, patientRef)
	if err != nil {
		return nil, err
	}
	encs, err := en.ofChart(ctx, p)
	if err != nil {
		return nil, err
	}
	out, err := en.listed(ctx, p, encs)
	if err != nil {
		return nil, err
	}
	return out, en.s.audit(en.s.charts.readGrant(ctx, p), listEvent(p, out))
}

// ofChart reads the encounters of chart p and of the records merged into
// it, without deleted drafts, in the index's order, without their
// addenda: what the list and the summary's coded diagnoses both read.
func (en Encounters) ofChart(ctx context.Context, p Patient) ([]Encounter, error) {
	var out []Encounter
	for _, pid := range chartIDs(p) {
		ids, err := en.s.charts.lookup(ctx, "enc:pat:"+pid)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			e, err := en.load(ctx, id)
			if err != nil {
				return nil, err
			}
			if !e.Deleted {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// listed is the list of chart p's encounters read by ofChart, newest
// first, each with its addenda and the chart's MRN (a new slice: encs
// is left as it is).
func (en Encounters) listed(ctx context.Context, p Patient, encs []Encounter) ([]Encounter, error) {
	out := slices.Clone(encs)
	for i := range out {
		var err error
		if out[i].Addenda, err = en.addenda(ctx, out[i]); err != nil {
			return nil, err
		}
		out[i].MRN = p.MRN
	}
	slices.SortStableFunc(out, func(a, b Encounter) int { return b.Time.Compare(a.Time) })
	return out, nil
}

// listEvent is the audit event of a read of chart p's list of encounters.
func listEvent(p Patient, list []Encounter) AuditEvent {
	return AuditEvent{Action: ActEncounterList, Patient: p.MRN, Object: "patient/" + p.ID,
		Detail: fmt.Sprintf("%d encounters", len(list))}
}

// Link links a scanned document filed in the encounter's chart to the
// encounter (a referral letter, a lab result). Linking does not change the
// note, so a signed encounter takes links too.
func (en Encounters) Link(ctx context.Context, id, documentID string) (Encounter, error) {
	return en.link(ctx, id, documentID, true)
}

// Unlink removes a document's link to the encounter; the document stays
// in the chart.
func (en Encounters) Unlink(ctx context.Context, id, documentID string) (Encounter, error) {
	return en.link(ctx, id, documentID, false)
}

func (en Encounters) link(ctx context.Context, id, docID string, add bool) (Encounter, error) {
	act := ActEncounterLink
	if !add {
		act = ActEncounterUnlink
	}
	ctx, cur, p, err := en.open(ctx, id, PermEncounterWrite, act)
	if err != nil {
		return Encounter{}, err
	}
	if cur.Deleted {
		return Encounter{}, fmt.Errorf("%w: encounter %s was deleted", ErrNotFound, cur.ID)
	}
	docID = strings.TrimSpace(docID)
	linked := slices.Contains(cur.Documents, docID)
	switch {
	case add && linked:
		return Encounter{}, Invalidf("document %s is already linked to this encounter", docID)
	case !add && !linked:
		return Encounter{}, Invalidf("document %s is not linked to this encounter", docID)
	case add:
		if err := en.sameChart(ctx, docID, p); err != nil {
			return Encounter{}, err
		}
		cur.Documents = append(slices.Clone(cur.Documents), docID)
	default:
		cur.Documents = slices.DeleteFunc(slices.Clone(cur.Documents), func(d string) bool { return d == docID })
	}
	return en.write(ctx, cur, cur.Version, AuditEvent{Action: act, Patient: p.MRN, Detail: "document/" + docID})
}

// sameChart checks, through the document guard, that a document is filed
// in the chart p; a refusal names neither the document's patient nor
// anything else about it.
func (en Encounters) sameChart(ctx context.Context, docID string, p Patient) error {
	_, d, err := en.s.docs.open(ctx, docID, useRead)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: there is no document %s; check the id", ErrNotFound, docID)
	}
	if err != nil {
		return err
	}
	if d.PatientID == "" {
		return Invalidf("document %s is not filed to a patient yet; file it to this patient first", docID)
	}
	chart, _, err := en.s.docs.chart(ctx, d)
	if err != nil {
		return err
	}
	if chart.ID != p.ID {
		return Invalidf("document %s is filed in another patient's chart, not %s's; link it to an encounter of that patient", docID, p.MRN)
	}
	return nil
}

// BreakGlass opens, for the rest of the session, the restricted chart an
// encounter is in, with a reason (as Patients.BreakGlass does): for a
// clinician given the encounter's id. It is refused for an encounter in
// no restricted chart (it needs no reason).
func (en Encounters) BreakGlass(ctx context.Context, id, reason string) (Patient, error) {
	return en.s.charts.breakGlassVia(ctx, reason, func(ctx context.Context) (Patient, string, error) {
		e, err := en.load(ctx, id)
		if err != nil {
			return Patient{}, "", err
		}
		chart, _, err := en.s.charts.chartOf(ctx, e.PatientID)
		return chart, "encounter " + id, err
	})
}
