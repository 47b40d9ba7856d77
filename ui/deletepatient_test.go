package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"folio/app"
)

// A records manager deletes a registration made in error from the chart:
// a reason is required, the chart closes, the patient no longer opens,
// and the audit trail has it. Clinicians see no such button.
func TestDeleteRegistrationFromChart(t *testing.T) {
	u, reg := loggedIn(t, nil, mary())
	ctx := context.Background()
	u.nav.openPatient(reg[0].MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if !v.demo.delBtn.Visible() || !strings.Contains(v.demo.delBtn.Text, "Delete") {
		t.Fatalf("the administrator sees no delete button: %q visible=%v", v.demo.delBtn.Text, v.demo.delBtn.Visible())
	}
	test.Tap(v.demo.delBtn)
	rd := v.demo.del
	refusesShortReason(t, u, rd, "before deleting", "oops")
	test.Type(rd.reason, ", registered twice by mistake")
	test.Tap(rd.ok)
	u.tasks.wait()
	current[*searchScreen](t, u)
	if _, err := u.sess.s.Patients().Open(ctx, reg[0].MRN); !errors.Is(err, app.ErrDeleted) {
		t.Fatalf("the deleted patient opens: %v", err)
	}
	ev, err := auditAs(t, u.vault, "admin", app.ActPatientDelete)
	if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Detail, "registered twice") {
		t.Fatalf("deletion audit %+v, %v", ev, err)
	}

	// A clinician's chart has no delete button.
	other := register(t, u, app.Patient{Family: "Mwale", Given: "Tiyamike", Sex: app.SexFemale, BirthDate: app.BirthDate{Year: 1990}})
	addUser(t, u.sess.s, clinPW, "dr.amani")
	logInAgain(t, u, "dr.amani", clinPW)
	u.nav.openPatient(other[0].MRN)
	u.tasks.wait()
	if v := current[*patientScreen](t, u); v.demo.delBtn.Visible() {
		t.Fatal("a clinician sees the delete button")
	}
}

// refusesShortReason checks that rd, the question asked when (before
// deleting…), is on show and goes no further with a reason shorter than a
// few words: typed short and its button tapped, it asks for more.
func refusesShortReason(t *testing.T, u *App, rd *reasonDialog, when, short string) {
	t.Helper()
	if rd == nil || len(u.dialogs.open) != 1 {
		t.Fatalf("no question %s", when)
	}
	test.Type(rd.reason, short)
	test.Tap(rd.ok)
	u.tasks.wait()
	if !strings.Contains(rd.msg.Text, "reason") {
		t.Fatalf("a short reason %s: %q", when, rd.msg.Text)
	}
}
