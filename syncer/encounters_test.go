package syncer_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"folio/app"
)

const clinicianPW = "ward round morning words"

// registerMary has s register Mary Achieng and returns her MRN.
func registerMary(t *testing.T, s *app.Session) string {
	t.Helper()
	ps, err := s.Patients().Register(context.Background(), app.Patient{Family: "Achieng", Given: "Mary", Sex: app.SexFemale, BirthDate: birth(t, "1984-03-02")})
	if err != nil {
		t.Fatal(err)
	}
	return ps[0].MRN
}

// signedEncounter has s write the encounter enc in the chart mrn and sign
// its note.
func signedEncounter(t *testing.T, s *app.Session, mrn string, enc app.Encounter) app.Encounter {
	t.Helper()
	ctx := context.Background()
	e, err := s.Encounters().Add(ctx, mrn, enc)
	if err != nil {
		t.Fatal(err)
	}
	if e, err = s.Encounters().Sign(ctx, e); err != nil {
		t.Fatal(err)
	}
	return e
}

// Two workstations that sync see the same encounter: the note signed on
// one, then its addendum, read on the other as written; a note signed on
// one while its draft was saved on the other is a conflict resolved only
// by keeping the signature; addenda written on both at once are all kept.
func TestEncountersSync(t *testing.T) {
	ctx := context.Background()
	_, a, b, admin := twoWards(t)
	if err := admin.Users().Add(ctx, app.User{Name: "amos", Roles: app.RoleSet{app.RoleClinician}}, []byte(clinicianPW)); err != nil {
		t.Fatal(err)
	}
	mrn := registerMary(t, admin)
	amos := login(t, a, "amos", clinicianPW)
	e := signedEncounter(t, amos, mrn, app.Encounter{Time: time.Now().Add(-time.Hour), Type: app.EncAntenatal,
		Vitals: app.Vitals{Systolic: 150, Diastolic: 100, WeightKg: 70, HeightCm: 160},
		Note:   app.Note{Assessment: "Pre-eclampsia suspected.", Plan: "Refer to district hospital today."}})
	a.round(t, admin)
	nurse := join(t, a, admin, b)

	got, err := nurse.Encounters().List(ctx, mrn)
	if err != nil || len(got) != 1 {
		t.Fatalf("b's list: %+v, %v", got, err)
	}
	if g := got[0]; g.ID != e.ID || g.Version != e.Version || !g.Signed.KeySigned() || !reflect.DeepEqual(g.Signed, e.Signed) || g.Note != e.Note || g.Vitals != e.Vitals {
		t.Fatalf("b sees %+v, a wrote %+v", g, e)
	}
	if _, err := amos.Encounters().Addendum(ctx, e.ID, "Referred by ambulance at 14:00."); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	read, err := nurse.Encounters().Open(ctx, e.ID)
	if err != nil || len(read.Addenda) != 1 || read.Addenda[0].By != "amos" || read.Note != e.Note {
		t.Fatalf("b reads %+v, %v", read, err)
	}
	// b checks amos's key signatures against the user records it synced.
	if r, err := nurse.Audit().VerifyQuick(ctx); err != nil || !r.OK() || r.SignedNotes.Signed != 1 || r.SignedNotes.OlderForm != 0 || !read.Addenda[0].KeySigned() {
		t.Fatalf("verify on b: %+v, %v", r, err)
	}

	// The note signed on one workstation while its draft was saved on the
	// other: both kept, as a conflict, which keeps the signature.
	d, err := amos.Encounters().Add(ctx, mrn, app.Encounter{Time: time.Now(), Type: app.EncTelephone})
	if err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	amosB := login(t, b, "amos", clinicianPW)
	da, db := d, d
	da.Note.History = "Headache since morning."
	signedA, err := amos.Encounters().Sign(ctx, da)
	if err != nil {
		t.Fatal(err)
	}
	db.Note.Plan = "Come to clinic today."
	draftB, err := amosB.Encounters().SaveDraft(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	ca, cb := settle(t, a, admin, b, nurse)
	if len(ca) != 1 || len(cb) != 1 || ca[0].Kind != app.KindEncounter || ca[0].ID != d.ID {
		t.Fatalf("conflicts: a %+v, b %+v; want the encounter on both", ca, cb)
	}
	if err := admin.Conflicts().Resolve(ctx, app.KindEncounter, d.ID, draftB.Version, false); !errors.Is(err, app.ErrInvalid) ||
		!strings.Contains(err.Error(), "amos signed its note on one of the workstations") {
		t.Fatalf("keeping the unsigned branch: %v", err)
	}
	if err := admin.Conflicts().Resolve(ctx, app.KindEncounter, d.ID, signedA.Version, false); err != nil {
		t.Fatalf("keeping the signed branch: %v", err)
	}
	kept, err := amos.Encounters().Open(ctx, d.ID)
	if err != nil || kept.Signed == nil || kept.Note != signedA.Note {
		t.Fatalf("after the resolution: %+v, %v", kept, err)
	}

	// Addenda written on both workstations at once are both kept, with
	// no conflict.
	a.round(t, admin)
	b.round(t, nurse)
	if _, err := amos.Encounters().Addendum(ctx, d.ID, "Plan: come to clinic today."); err != nil {
		t.Fatal(err)
	}
	if _, err := amosB.Encounters().Addendum(ctx, d.ID, "Called back: headache gone."); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	a.round(t, admin)
	if ca, _ := a.prof.DB.Replica().Conflicts(ctx); len(ca) != 0 {
		t.Fatalf("conflicts after two addenda: %+v", ca)
	}
	for name, s := range map[string]*app.Session{"a": amos, "b": nurse} {
		got, err := s.Encounters().Open(ctx, d.ID)
		if err != nil || len(got.Addenda) != 2 {
			t.Fatalf("%s reads %+v, %v; want both addenda", name, got.Addenda, err)
		}
	}
}
