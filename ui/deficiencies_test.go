package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"folio/app"
)

// The deficiencies in the sidebar: a day and more after the visits, the
// records clerk sees every open one (a signed visit without its principal
// diagnosis, a note unsigned past 24 hours) with its count; Enter on the
// uncoded visit opens it in the coding screen, and once coded it leaves
// the list. The clinician sees their own unsigned note, and Enter opens it
// in the visit editor.
func TestDeficiencyWorklist(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	v, admin := adminAt(t, c.Now)
	addUser(t, admin, clerkPW, "grace", app.RoleRecords)
	addUser(t, admin, clinPW, "dr.amani", app.RoleClinician)
	admin.Lock(ctx)
	u := newWindow(t, v, Options{Now: c.Now})
	logIn(t, u, "grace", clerkPW)
	p := register(t, u, mary())[0]
	doc, err := v.Login(ctx, "dr.amani", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := doc.Encounters().Add(ctx, p.MRN, app.Encounter{Time: c.Now().Add(-time.Hour), Type: app.EncOutpatient, Reason: "cough"})
	if err != nil {
		t.Fatal(err)
	}
	signed.Note = app.Note{Assessment: "Pneumonia."}
	if signed, err = doc.Encounters().Sign(ctx, signed); err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Encounters().Add(ctx, p.MRN, app.Encounter{Time: c.Now().Add(-time.Hour), Type: app.EncOutpatient, Reason: "review"}); err != nil {
		t.Fatal(err)
	}
	doc.Lock(ctx)
	c.Add(30 * time.Hour)

	press(u, ctrlKey, fyne.Key9)
	u.tasks.wait()
	d := current[*deficiencyScreen](t, u)
	if !d.all || len(d.shown) != 2 {
		t.Fatalf("the records clerk's list (all: %v) shows %d deficiencies: %+v", d.all, len(d.shown), d.shown)
	}
	u.refreshCounts()
	u.tasks.wait()
	if got := u.side.items[placeDeficiencies].Text; !strings.HasPrefix(got, "Deficiencies (2)") {
		t.Errorf("the sidebar says %q", got)
	}
	openRow(u, d.pick, func(i int) bool { return d.shown[i].Rule == app.RuleUncoded })
	s := current[*codingScreen](t, u)
	if s.enc.ID != signed.ID {
		t.Fatalf("Enter opened encounter %q, want %s", s.enc.ID, signed.ID)
	}
	searchCodes(t, u, s, "J18.9")
	chooseCode(t, u, s, "J18.9")
	press(u, ctrlKey, fyne.KeyP)
	press(u, ctrlKey, fyne.KeyS)
	u.tasks.wait()
	u.tasks.wait()
	press(u, ctrlKey, fyne.Key9)
	u.tasks.wait()
	d = current[*deficiencyScreen](t, u)
	if len(d.shown) != 1 || d.shown[0].Rule != app.RuleUnsignedNote || !strings.Contains(d.pick.rows[0].detail, "for dr.amani") {
		t.Errorf("after coding, the list shows %+v", d.shown)
	}

	logInAgain(t, u, "dr.amani", clinPW)
	press(u, ctrlKey, fyne.Key9)
	u.tasks.wait()
	d = current[*deficiencyScreen](t, u)
	if d.all || len(d.shown) != 1 || d.shown[0].Assignee != "dr.amani" {
		t.Errorf("the clinician's list (all: %v): %+v", d.all, d.shown)
	}
	if len(d.tabBar.Objects) != 1 {
		t.Errorf("a clinician is offered the records manager's list")
	}
	press(u, 0, fyne.KeyReturn)
	u.tasks.wait()
	current[*encounterScreen](t, u) // the draft, to finish and sign
}
