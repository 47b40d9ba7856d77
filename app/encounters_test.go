package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testclock"
	"folio/internal/testkit"
	"folio/profile"
)

// clinic is a vault with two clinicians, a records clerk, a scanning
// clerk and a patient, each signed in.
type clinic struct {
	admin, doc, doc2, grace, sam *app.Session
	amina                        app.Patient
	prof                         *profile.Profile
}

var staffPW = map[string]string{"doc": "ward round morning words", "doc2": "second clinician phrase",
	"grace": "records clerk passphrase", "sam": "scanning clerk passphrase"}

func newClinic(t *testing.T) *clinic { t.Helper(); return newClinicAt(t, nil) }

// newClinicAt is newClinic on a vault whose clock is clock (nil: the
// real one).
func newClinicAt(t *testing.T, clock *testclock.Clock) *clinic {
	t.Helper()
	prof, _ := newVault(t, clock)
	c := &clinic{admin: login(t, prof.Vault, "admin", adminPW), prof: prof}
	for name, role := range map[string]app.Role{"doc": app.RoleClinician, "doc2": app.RoleClinician,
		"grace": app.RoleRecords, "sam": app.RoleScanning} {
		testkit.AddUser(t, c.admin, app.User{Name: name, Roles: app.RoleSet{role}}, staffPW[name])
	}
	c.doc, c.doc2 = login(t, prof.Vault, "doc", staffPW["doc"]), login(t, prof.Vault, "doc2", staffPW["doc2"])
	c.grace, c.sam = login(t, prof.Vault, "grace", staffPW["grace"]), login(t, prof.Vault, "sam", staffPW["sam"])
	c.amina = register(t, c.grace, app.Patient{Family: "Banda", Given: "Amina", Sex: app.SexFemale, BirthDate: bd(1984, 3, 12)})[0]
	return c
}

func visit(at time.Time) app.Encounter {
	return app.Encounter{Time: at, Type: app.EncOutpatient, Site: "Kisoro HC", Reason: "cough for two weeks",
		Vitals: app.Vitals{TemperatureC: 38.2, Pulse: 96, Systolic: 118, Diastolic: 76, RespRate: 22, SpO2: 95, WeightKg: 61, HeightCm: 165}}
}

// The note's lifecycle: a draft its author saves and signs; a signed note
// never changes; corrections are signed addenda beside it; every refusal
// leaves the record as it was; each act is in the audit trail.
func TestEncounterNoteLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	e, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if e.Status() != "draft" || e.Clinician != "doc" || e.PatientID != c.amina.ID || e.Vitals.BMI() != 22.4 {
		t.Fatalf("new encounter: %+v (BMI %v)", e, e.Vitals.BMI())
	}
	e.Note = app.Note{History: "Dry cough, night sweats.", Examination: "Crackles right apex."}
	if e, err = c.doc.Encounters().SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	draft := e

	// Only the author changes or signs the draft; no addendum to a draft.
	e.Note.Plan = "someone else's plan"
	if _, err := c.doc2.Encounters().SaveDraft(ctx, e); !errors.Is(err, app.ErrForbidden) || !strings.Contains(err.Error(), "only its author") {
		t.Fatalf("another clinician saving the draft: %v", err)
	}
	if _, err := c.doc2.Encounters().Sign(ctx, e); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("another clinician signing: %v", err)
	}
	if _, err := c.doc.Encounters().Addendum(ctx, e.ID, "an addendum"); !errors.Is(err, app.ErrNoteDraft) {
		t.Fatalf("addendum to a draft: %v", err)
	}
	// A stale version is a conflict.
	stale := draft
	stale.Version = app.Version{}
	if _, err := c.doc.Encounters().SaveDraft(ctx, stale); !errors.Is(err, app.ErrConflict) {
		t.Fatalf("saving over a newer draft: %v", err)
	}
	if got, _ := c.doc.Encounters().Open(ctx, e.ID); got.Version != draft.Version || got.Note != draft.Note {
		t.Fatalf("refusals changed the draft: %+v", got)
	}

	// An empty note is not signed; a written one is.
	empty := draft
	empty.Note = app.Note{}
	if _, err := c.doc.Encounters().Sign(ctx, empty); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("signing an empty note: %v", err)
	}
	e = draft
	e.Note.Assessment, e.Note.Plan = "Suspected pulmonary TB.", "Sputum GeneXpert; review in 3 days."
	signed, err := c.doc.Encounters().Sign(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if signed.Status() != "signed" || signed.Signed.By != "doc" || signed.Note.Plan != e.Note.Plan {
		t.Fatalf("signed: %+v", signed)
	}

	// A signed note is never changed, signed again or deleted.
	signed.Note.Plan = "changed after signing"
	for name, err := range map[string]error{
		"edit":   func() error { _, err := c.doc.Encounters().SaveDraft(ctx, signed); return err }(),
		"resign": func() error { _, err := c.doc.Encounters().Sign(ctx, signed); return err }(),
		"delete": c.doc.Encounters().Delete(ctx, signed.ID, "written in error"),
	} {
		if !errors.Is(err, app.ErrNoteSigned) {
			t.Errorf("%s of a signed note: %v", name, err)
		}
	}

	// Another clinician corrects it with an addendum; the note stays.
	added, err := c.doc2.Encounters().Addendum(ctx, e.ID, "  Sputum negative; start antibiotics instead.  ")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc.Encounters().Addendum(ctx, e.ID, "   "); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("empty addendum: %v", err)
	}
	read, err := c.grace.Encounters().Open(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if read.Version != added.Version || read.Note.Plan != "Sputum GeneXpert; review in 3 days." || len(read.Addenda) != 1 ||
		read.Addenda[0].By != "doc2" || read.Addenda[0].Text != "Sputum negative; start antibiotics instead." {
		t.Fatalf("records clerk reads %+v", read)
	}
	list, err := c.grace.Encounters().List(ctx, c.amina.MRN)
	if err != nil || len(list) != 1 || list[0].ID != e.ID {
		t.Fatalf("list: %+v, %v", list, err)
	}

	// Roles: records clerks read but do not write; scanning clerks neither.
	if _, err := c.grace.Encounters().Add(ctx, c.amina.MRN, visit(time.Now())); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("records clerk adding an encounter: %v", err)
	}
	if _, err := c.sam.Encounters().Open(ctx, e.ID); !errors.Is(err, app.ErrForbidden) ||
		!strings.Contains(err.Error(), "may not read encounters and notes") {
		t.Fatalf("scanning clerk reading a note: %v", err)
	}
	if _, err := c.sam.Encounters().List(ctx, c.amina.MRN); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("scanning clerk listing notes: %v", err)
	}

	// The trail holds each act under the patient, and the refusals.
	events, err := c.admin.Audit().Events(ctx, app.AuditFilter{PatientMRN: c.amina.MRN})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, ev := range events {
		count[string(ev.Action)+" "+string(ev.Outcome)+" "+ev.User]++
	}
	for want, n := range map[string]int{
		"encounter.create ok doc": 1, "encounter.draft ok doc": 1, "note.sign ok doc": 1,
		"note.addendum ok doc2": 1, "encounter.read ok grace": 1, "encounter.list ok grace": 1,
		"encounter.read ok doc": 1, "encounter.draft denied doc2": 1, "note.sign denied doc2": 1,
	} {
		if count[want] != n {
			t.Errorf("audit %q: %d events, want %d (all: %v)", want, count[want], n, count)
		}
	}
}

// Bad input is refused with a message that says what to do, and nothing
// is written.
func TestEncounterBadInput(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	child := register(t, c.grace, app.Patient{Family: "Banda", Given: "Tito", Sex: app.SexMale, BirthDate: bd(time.Now().Year()-4, 1, 5)})[0]
	ago := time.Now().Add(-2 * time.Hour)
	for _, tc := range []struct {
		name, patient string
		edit          func(e *app.Encounter)
		want          string
		confirmable   bool
	}{
		{"pulse 900", "", func(e *app.Encounter) { e.Vitals.Pulse = 900 }, "pulse 900 /min is not plausible (20–250 /min): count it again", false},
		{"temperature 3", "", func(e *app.Encounter) { e.Vitals.TemperatureC = 3 }, "temperature 3 °C is not plausible (25–45 °C): check the thermometer", false},
		{"fahrenheit", "", func(e *app.Encounter) { e.Vitals.TemperatureC = 101.3 }, "looks like degrees Fahrenheit: enter it in °C (38.5 °C)", false},
		{"pounds with height", "", func(e *app.Encounter) { e.Vitals.WeightKg = 150 }, "weight 150 kg is unlikely for a height of 165 cm (BMI 55.1): if it was weighed in pounds, enter 68.0 kg", true},
		{"pounds, child", "child", func(e *app.Encounter) { e.Vitals.WeightKg, e.Vitals.HeightCm = 40, 0 },
			"weight 40 kg is unlikely for a patient aged", true},
		{"height in metres", "", func(e *app.Encounter) { e.Vitals.HeightCm = 1.65 }, "height 1.65 looks like metres", false},
		{"bp upside down", "", func(e *app.Encounter) { e.Vitals.Systolic, e.Vitals.Diastolic = 80, 120 }, "diastolic must be lower", false},
		{"half a bp", "", func(e *app.Encounter) { e.Vitals.Diastolic = 0 }, "both numbers", false},
		{"spo2 over 100", "", func(e *app.Encounter) { e.Vitals.SpO2 = 150 }, "SpO2 150 % is not plausible", false},
		{"future", "", func(e *app.Encounter) { e.Time = time.Now().Add(48 * time.Hour) }, "is in the future", false},
		{"before birth", "", func(e *app.Encounter) { e.Time = time.Date(1980, 5, 1, 9, 0, 0, 0, time.UTC) }, "before the patient's birth (1984-03-12)", false},
		{"no type", "", func(e *app.Encounter) { e.Type = "ward round" }, "use outpatient, admission", false},
		{"no time", "", func(e *app.Encounter) { e.Time = time.Time{} }, "give the date and time of service", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := visit(ago)
			tc.edit(&e)
			p := c.amina.MRN
			if tc.patient == "child" {
				p = child.MRN
			}
			_, err := c.doc.Encounters().Add(ctx, p, e)
			var ve *app.VitalsError
			if !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrInvalid saying %q", err, tc.want)
			}
			var ie *app.InvalidError
			if !errors.As(err, &ie) || !strings.Contains(ie.Reason, tc.want) {
				t.Errorf("the reason the window shows: %+v", ie)
			}
			if errors.As(err, &ve) && ve.Confirmable != tc.confirmable {
				t.Errorf("confirmable %v, want %v", ve.Confirmable, tc.confirmable)
			}
			if tc.confirmable {
				e.Vitals.WeightConfirmed = true
				if _, err := c.doc.Encounters().Add(ctx, p, e); err != nil {
					t.Fatalf("the confirmed weight: %v", err)
				}
			}
		})
	}
	for _, p := range []app.Patient{c.amina, child} {
		list, err := c.doc.Encounters().List(ctx, p.MRN)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			if !e.Vitals.WeightConfirmed {
				t.Errorf("a refused encounter was written: %+v", e)
			}
		}
	}
	// A year-only birth date refuses only dates before that year; an
	// estimated one refuses none.
	old := register(t, c.grace, app.Patient{Family: "Okello", Given: "Peter", BirthDate: app.BirthDate{Year: 1950}},
		app.Patient{Family: "Okello", Given: "Sara", BirthDate: app.BirthDate{Year: 1960, Estimated: true}})
	if _, err := c.doc.Encounters().Add(ctx, old[0].MRN, visit(time.Date(1950, 1, 1, 8, 0, 0, 0, time.UTC))); err != nil {
		t.Errorf("visit in the year of birth: %v", err)
	}
	if _, err := c.doc.Encounters().Add(ctx, old[0].MRN, visit(time.Date(1949, 12, 31, 8, 0, 0, 0, time.UTC))); !errors.Is(err, app.ErrInvalid) {
		t.Errorf("visit the year before birth: %v", err)
	}
	if _, err := c.doc.Encounters().Add(ctx, old[1].MRN, visit(time.Date(1959, 6, 1, 8, 0, 0, 0, time.UTC))); err != nil {
		t.Errorf("visit before an estimated birth date: %v", err)
	}
}

// A restricted chart's encounters follow the chart-access rule: a
// clinician breaks the glass first; the refusal is audited.
func TestEncounterRestrictedChart(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	vip := register(t, c.grace, app.Patient{Family: "Phiri", Given: "Ruth", Sex: app.SexFemale, BirthDate: bd(1990, 1, 2), Restricted: true})[0]
	if _, err := c.doc.Encounters().Add(ctx, vip.MRN, visit(time.Now())); !errors.Is(err, app.ErrNeedsBreakGlass) {
		t.Fatalf("adding to a restricted chart without a reason: %v", err)
	}
	if _, err := c.doc.Patients().BreakGlass(ctx, vip.MRN, "seen in casualty tonight"); err != nil {
		t.Fatal(err)
	}
	e, err := c.doc.Encounters().Add(ctx, vip.MRN, visit(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc2.Encounters().Open(ctx, e.ID); !errors.Is(err, app.ErrNeedsBreakGlass) {
		t.Fatalf("another clinician opening it: %v", err)
	}
	if _, err := c.doc2.Encounters().List(ctx, vip.MRN); !errors.Is(err, app.ErrNeedsBreakGlass) {
		t.Fatalf("another clinician listing it: %v", err)
	}
	if _, err := c.grace.Encounters().Open(ctx, e.ID); err != nil {
		t.Fatalf("records clerk: %v", err)
	}
	// Given only the encounter's id, a clinician breaks the glass of its
	// chart; an encounter in an open chart needs no reason.
	if _, err := c.doc2.Encounters().BreakGlass(ctx, e.ID, "covering the night shift"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc2.Encounters().Open(ctx, e.ID); err != nil {
		t.Fatalf("after break-glass: %v", err)
	}
	open, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc2.Encounters().BreakGlass(ctx, open.ID, "no reason needed"); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("break-glass into an open chart: %v", err)
	}
	denied, err := c.admin.Audit().Events(ctx, app.AuditFilter{PatientMRN: vip.MRN, User: "doc2", Action: app.ActEncounterRead})
	if err != nil || len(denied) != 2 || denied[0].Outcome != app.OutcomeDenied || denied[1].Outcome != app.OutcomeOK {
		t.Fatalf("doc2's refused read, then the read after break-glass, in the trail: %+v, %v", denied, err)
	}
}

// Documents link only from the encounter's own chart.
func TestEncounterLinkDocuments(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	joseph := register(t, c.grace, app.Patient{Family: "Phiri", Given: "Joseph", Sex: app.SexMale, BirthDate: bd(1971, 11, 2)})[0]
	r, err := c.grace.Intake().ImportFile(ctx, "simple.png", "import", testkit.Corpus(t, "scans/paperless__simple.png"))
	if err != nil || len(r.Documents) != 1 {
		t.Fatalf("import: %+v, %v", r, err)
	}
	docID := r.Documents[0].ID
	e, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc.Encounters().Link(ctx, e.ID, docID); !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), "not filed") {
		t.Fatalf("linking a queued document: %v", err)
	}
	if _, err := c.grace.Indexing().FileDocument(ctx, docID, app.FileParams{Patient: joseph.MRN, Type: "lab-result"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc.Encounters().Link(ctx, e.ID, docID); !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), "another patient's chart") ||
		strings.Contains(err.Error(), joseph.MRN) {
		t.Fatalf("linking another patient's document: %v", err)
	}
	if _, err := c.doc.Encounters().Link(ctx, e.ID, "0190d0c4-0000-7000-8000-000000000000"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("linking a document that does not exist: %v", err)
	}
	if _, err := c.grace.Indexing().FileDocument(ctx, docID, app.FileParams{Patient: c.amina.MRN, Type: "lab-result"}); err != nil {
		t.Fatal(err)
	}
	linked, err := c.doc.Encounters().Link(ctx, e.ID, docID)
	if err != nil || len(linked.Documents) != 1 || linked.Documents[0] != docID {
		t.Fatalf("link: %+v, %v", linked, err)
	}
	if _, err := c.doc.Encounters().Link(ctx, e.ID, docID); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("linking twice: %v", err)
	}
	unlinked, err := c.doc.Encounters().Unlink(ctx, e.ID, docID)
	if err != nil || len(unlinked.Documents) != 0 {
		t.Fatalf("unlink: %+v, %v", unlinked, err)
	}
	if _, err := c.doc.Encounters().Unlink(ctx, e.ID, docID); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("unlinking twice: %v", err)
	}
}

// A duplicate's encounters follow it into the survivor's chart when the
// records are merged, and back when they are unmerged.
func TestEncountersFollowMerge(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	dup := register(t, c.grace, app.Patient{Family: "Bandah", Given: "Amina", Sex: app.SexFemale, BirthDate: bd(1984, 3, 12)})[0]
	e, err := c.doc.Encounters().Add(ctx, dup.MRN, visit(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.grace.Patients().Merge(ctx, c.amina.MRN, dup.MRN, "same woman, name misspelt"); err != nil {
		t.Fatal(err)
	}
	list, err := c.grace.Encounters().List(ctx, c.amina.MRN)
	if err != nil || len(list) != 1 || list[0].ID != e.ID || list[0].MRN != c.amina.MRN {
		t.Fatalf("survivor's encounters: %+v, %v", list, err)
	}
	if got, err := c.grace.Encounters().Open(ctx, e.ID); err != nil || got.MRN != c.amina.MRN {
		t.Fatalf("open after the merge: %+v, %v", got, err)
	}
	if _, err := c.grace.Patients().Unmerge(ctx, dup.MRN, "not the same woman"); err != nil {
		t.Fatal(err)
	}
	if list, err := c.grace.Encounters().List(ctx, c.amina.MRN); err != nil || len(list) != 0 {
		t.Fatalf("survivor's encounters after the unmerge: %+v, %v", list, err)
	}
	if got, err := c.grace.Encounters().Open(ctx, e.ID); err != nil || got.MRN != dup.MRN {
		t.Fatalf("open after the unmerge: %+v, %v", got, err)
	}
}
