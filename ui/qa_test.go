package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"folio/app"
)

// QA opens with the keyboard in the reason field: a reason typed and Enter
// sends the document back to the queue.
func TestQASendBackWithTheKeyboard(t *testing.T) {
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	fileScan(t, u, "paperless__simple.png", p.MRN, "referral", "2026-10-14")

	logInAgain(t, u, "peter", clerkPW)
	u.input.shortcut(ctrl(fyne.KeyK))
	qa := current[*qaScreen](t, u)
	u.tasks.wait()
	if len(qa.docs) != 1 || u.win.Canvas().Focused() != qa.reason {
		t.Fatalf("QA: %d documents, focus on %v", len(qa.docs), u.win.Canvas().Focused())
	}
	test.Type(qa.reason, "wrong patient")
	qa.reason.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	u.tasks.wait()
	if len(qa.docs) != 0 || !strings.Contains(qa.msg.Text, "Sent back") {
		t.Fatalf("after Enter in the reason: %d left, %q", len(qa.docs), qa.msg.Text)
	}
	// Nothing left to check: no reason to type, nothing to send back or
	// verify (the walk of the README found the field open on an empty QA).
	if !strings.Contains(qa.count.Text, "Nothing is waiting") || !qa.reason.Disabled() || !qa.back.Disabled() || !qa.verify.Disabled() {
		t.Fatalf("empty QA: %q, reason off %v, send back off %v, verify off %v",
			qa.count.Text, qa.reason.Disabled(), qa.back.Disabled(), qa.verify.Disabled())
	}
}

// Issue 14, item 3: QA showed "Patient: KAB-000141-R" and "Filed by grace
// ()". It shows who the patient is — name, sex, date of birth, read through
// the session and audited — beside the page, and the filer's full name.
func TestQAShowsThePatientAndTheFiler(t *testing.T) {
	ctx := context.Background()
	v, admin := adminVault(t)
	for _, usr := range []app.User{{Name: "grace", FullName: "Grace Phiri", Roles: app.RoleSet{app.RoleRecords}}, {Name: "peter", Roles: app.RoleSet{app.RoleRecords}}} {
		if err := admin.Users().Add(ctx, usr, []byte(clerkPW)); err != nil {
			t.Fatal(err)
		}
	}
	admin.Lock(ctx)
	u := newWindow(t, v, Options{})
	logIn(t, u, "grace", clerkPW)
	if err := u.sess.s.Indexing().SetQASampling(ctx, 100); err != nil {
		t.Fatal(err)
	}
	p := register(t, u, mary())[0]
	fileScan(t, u, "paperless__simple.png", p.MRN, "referral", "2026-10-14")

	logInAgain(t, u, "peter", clerkPW)
	u.input.shortcut(ctrl(fyne.KeyK))
	u.tasks.wait()
	qa := current[*qaScreen](t, u)
	u.tasks.wait()
	who := qa.patient.Text
	for _, want := range []string{"OKELLO, Mary Akello", p.MRN, "Female", "born " + p.BirthDate.String()} {
		if !strings.Contains(who, want) {
			t.Errorf("QA's patient %q lacks %q", who, want)
		}
	}
	if got := qa.choices.Text; !strings.Contains(got, "Filed by Grace Phiri (grace)") || strings.Contains(got, "()") {
		t.Errorf("QA's choices: %q", got)
	}
	evs, err := u.sess.s.Audit().Events(ctx, app.AuditFilter{User: "peter", Action: app.ActPatientRead, PatientMRN: p.MRN})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || !strings.HasPrefix(evs[0].Detail, "QA check of a filed document: referral, 2026-10-14") {
		t.Fatalf("QA's read of the patient is audited as %+v", evs)
	}
}
