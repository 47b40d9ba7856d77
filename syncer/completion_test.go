package syncer_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testkit"
)

// worklists returns, as JSON, the records manager's list and a
// clinician's, computed at the time given.
func worklists(t *testing.T, manager, clinician *app.Session, at time.Time) (all, mine string, n int) {
	t.Helper()
	ctx := context.Background()
	ds, err := manager.Completion().AllAt(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := clinician.Completion().MineAt(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	a, err := json.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	m, err := json.Marshal(ms)
	if err != nil {
		t.Fatal(err)
	}
	return string(a), string(m), len(ds)
}

// sameWorklists checks that two workstations compute the same worklists
// at the same clock, and returns how many deficiencies are open.
func sameWorklists(t *testing.T, ma, ca, mb, cb *app.Session, at time.Time) int {
	t.Helper()
	allA, mineA, n := worklists(t, ma, ca, at)
	allB, mineB, _ := worklists(t, mb, cb, at)
	if allA != allB || mineA != mineB {
		t.Fatalf("the workstations differ:\na: %s\n   %s\nb: %s\n   %s", allA, mineA, allB, mineB)
	}
	return n
}

// Two workstations that sync find the same deficiencies, with the same
// ids, assignees and dates, and the same worklists; a threshold changed
// on one is in force on both once they sync, and a note signed on one
// closes its deficiency on both.
func TestCompletionSync(t *testing.T) {
	ctx := context.Background()
	set := testkit.ICD10CM(t)
	a, b, admin, mrn := wardPair(t)
	amosA := login(t, a, "amos", clinicianPW)
	draft, err := amosA.Encounters().Add(ctx, mrn, app.Encounter{Time: time.Now().Add(-30 * time.Hour), Type: app.EncOutpatient,
		Note: app.Note{Assessment: "Malaria."}})
	if err != nil {
		t.Fatal(err)
	}
	signed := signedEncounter(t, amosA, mrn, app.Encounter{Time: time.Now().Add(-2 * time.Hour), Type: app.EncOutpatient,
		Note: app.Note{Assessment: "Pneumonia.", Plan: "Amoxicillin."}})
	a.round(t, admin)
	nurse := join(t, a, admin, b)
	graceA, graceB := login(t, a, "grace", clinicianPW), login(t, b, "grace", clinicianPW)
	amosB := login(t, b, "amos", clinicianPW)

	at := time.Now().Add(time.Minute)
	if n := sameWorklists(t, graceA, amosA, graceB, amosB, at); n != 2 {
		t.Fatalf("%d open deficiencies, want the unsigned note and the uncoded encounter", n)
	}
	mine, err := amosB.Completion().MineAt(ctx, at)
	if err != nil || len(mine) != 1 || mine[0].ID != "unsigned-note/"+draft.ID {
		t.Fatalf("amos's on b: %+v, %v", mine, err)
	}

	// The records manager on b allows 48 hours for a note: once synced,
	// the draft of 30 hours ago is no deficiency on either.
	th, err := graceB.Completion().Thresholds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if th, err = th.With("unsigned-note-hours", 48); err != nil {
		t.Fatal(err)
	}
	if err := graceB.Completion().SetThresholds(ctx, th); err != nil {
		t.Fatal(err)
	}
	settleWithoutConflict(t, a, admin, b, nurse)
	if got, err := graceA.Completion().Thresholds(ctx); err != nil || got.UnsignedNoteHours != 48 || got.ChangedBy != "grace" {
		t.Fatalf("thresholds on a: %+v, %v", got, err)
	}
	at = time.Now().Add(time.Minute)
	if n := sameWorklists(t, graceA, amosA, graceB, amosB, at); n != 1 {
		t.Fatalf("%d open deficiencies with 48 hours allowed, want the uncoded encounter", n)
	}

	// Later, past 48 hours: amos signs on a, grace codes the other on b;
	// both see the same, and the chart complete once all is done.
	if n := sameWorklists(t, graceA, amosA, graceB, amosB, at.Add(24*time.Hour)); n != 2 {
		t.Fatalf("%d open a day later", n)
	}
	if _, err := amosA.Encounters().Sign(ctx, draft); err != nil {
		t.Fatal(err)
	}
	if _, err := graceB.Coding(set).Assign(ctx, signed.ID, app.Assignment{Diagnoses: []string{"J18.9"}}); err != nil {
		t.Fatal(err)
	}
	settleWithoutConflict(t, a, admin, b, nurse)
	at = time.Now().Add(time.Minute)
	if n := sameWorklists(t, graceA, amosA, graceB, amosB, at); n != 1 {
		t.Fatalf("%d open after signing and coding, want the newly signed note's coding", n)
	}
	if _, err := graceA.Coding(set).Assign(ctx, draft.ID, app.Assignment{Diagnoses: []string{"B54"}}); err != nil {
		t.Fatal(err)
	}
	settleWithoutConflict(t, a, admin, b, nurse)
	for name, s := range map[string]*app.Session{"a": graceA, "b": graceB} {
		cc, err := s.Completion().ChartAt(ctx, mrn, at)
		if err != nil || !cc.Complete || len(cc.Deficiencies) != 2 { // both encounters' coding, closed
			t.Fatalf("chart on %s: %+v, %v", name, cc, err)
		}
	}
	sameWorklists(t, graceA, amosA, graceB, amosB, at)

	// Apart, each records manager changes the QA threshold: synced, the
	// setting is in conflict, and both workstations compute with the same
	// version until a person keeps one, which both then use.
	for s, hours := range map[*app.Session]int{graceA: 12, graceB: 48} {
		th, err := s.Completion().Thresholds(ctx)
		if err == nil {
			th, err = th.With("qa-hours", hours)
		}
		if err == nil {
			err = s.Completion().SetThresholds(ctx, th)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ca, cb := settle(t, a, admin, b, nurse)
	if len(ca) != 1 || len(cb) != 1 || ca[0].Kind != app.KindSetting {
		t.Fatalf("conflicts: a %+v, b %+v", ca, cb)
	}
	thA, errA := graceA.Completion().Thresholds(ctx)
	thB, errB := graceB.Completion().Thresholds(ctx)
	if errA != nil || errB != nil || thA.QAHours != thB.QAHours || thA.Version != thB.Version {
		t.Fatalf("in conflict, a computes with %+v (%v), b with %+v (%v)", thA, errA, thB, errB)
	}
	sameWorklists(t, graceA, amosA, graceB, amosB, at)
	keep := ca[0].Tips[0]
	if err := graceA.Conflicts().Resolve(ctx, app.KindSetting, ca[0].ID, keep, false); err != nil {
		t.Fatal(err)
	}
	settleWithoutConflict(t, a, admin, b, nurse)
	thA, errA = graceA.Completion().Thresholds(ctx)
	thB, errB = graceB.Completion().Thresholds(ctx)
	if errA != nil || errB != nil || thA.QAHours != thB.QAHours || thA.Version != thB.Version || thA.ChangedBy != "grace" {
		t.Fatalf("resolved, a computes with %+v (%v), b with %+v (%v)", thA, errA, thB, errB)
	}
	sameWorklists(t, graceA, amosA, graceB, amosB, at)
}
