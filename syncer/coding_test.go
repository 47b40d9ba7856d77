package syncer_test

import (
	"context"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testkit"
)

// wardPair makes two workstations of one archive: a holds the vault, with
// a clinician amos and a coder grace (password clinicianPW), and Mary's
// chart (mrn); b has not joined yet. admin is a's administrator.
func wardPair(t *testing.T) (a, b *workstation, admin *app.Session, mrn string) {
	t.Helper()
	_, a, b, admin = twoWards(t)
	for name, role := range map[string]app.Role{"amos": app.RoleClinician, "grace": app.RoleRecords} {
		if err := admin.Users().Add(context.Background(), app.User{Name: name, Roles: app.RoleSet{role}}, []byte(clinicianPW)); err != nil {
			t.Fatal(err)
		}
	}
	return a, b, admin, registerMary(t, admin)
}

// A visit signed on one workstation is coded on another; the coder's
// query is answered on the first while the coder recodes on the second,
// apart: once they sync, both see every act, with no conflict, and the
// same status.
func TestCodingSync(t *testing.T) {
	ctx := context.Background()
	set := testkit.ICD10CM(t)
	a, b, admin, mrn := wardPair(t)
	amos := login(t, a, "amos", clinicianPW)
	e := signedEncounter(t, amos, mrn, app.Encounter{Time: time.Now().Add(-time.Hour), Type: app.EncOutpatient,
		Note: app.Note{Assessment: "Pneumonia.", Plan: "Amoxicillin."}})
	a.round(t, admin)
	nurse := join(t, a, admin, b)
	grace := login(t, b, "grace", clinicianPW)
	coder := grace.Coding(set)
	if _, err := coder.Assign(ctx, e.ID, app.Assignment{Diagnoses: []string{"J18.9"}}); err != nil {
		t.Fatal(err)
	}
	q, err := coder.Query(ctx, e.ID, "Which organism?")
	if err != nil {
		t.Fatal(err)
	}
	b.round(t, nurse)
	a.round(t, admin)

	// Apart: the clinician answers on a, the coder recodes on b.
	if _, err := amos.Coding(set).Answer(ctx, q.ID, "S. pneumoniae on culture."); err != nil {
		t.Fatal(err)
	}
	if _, err := coder.Assign(ctx, e.ID, app.Assignment{Diagnoses: []string{"J13"}}); err != nil {
		t.Fatal(err)
	}
	settleWithoutConflict(t, a, admin, b, nurse)
	for name, s := range map[string]*app.Session{"a": amos, "b": grace} {
		st, err := s.Coding(set).Status(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != app.CodingCoded || len(st.History) != 4 || st.Current.Diagnoses[0].Code != "J13" {
			t.Fatalf("%s sees %+v", name, st)
		}
	}
}
