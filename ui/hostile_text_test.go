package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"folio/app"
)

// Issue 12, item 7: text a person typed (a user's full name, a patient's
// address and notes) or a record carried (a document's type, which another
// workstation may have written) was drawn as it was: a right-to-left
// override reversed the rest of its line (Fyne's text segmenter applies
// bidi overrides) and a newline broke a one-line row in two. Now each is
// shown through visible: the override and the newline as escapes; a
// patient's notes, shown on several lines, keep their line breaks.
func TestAttackWindowTextControls(t *testing.T) {
	const rlo = '\u202e'
	p := mary()
	p.Address = "Plot 4\u202e\nRESTRICTED"
	p.Notes = "Allergic to penicillin.\n\u202eenon seigrellA"
	u, reg := loggedIn(t, nil, p)
	ctx := context.Background()
	if err := u.sess.s.Users().Add(ctx, app.User{Name: "dr.amani", FullName: "Amani \u202eakesew\nAdministrator", Roles: app.RoleSet{app.RoleClinician}}, []byte(clinPW)); err != nil {
		t.Fatal(err)
	}

	// The users screen: the full name on one line, the override escaped.
	test.Tap(u.side.items[placeAdmin])
	u.tasks.wait()
	users := allText(current[*usersScreen](t, u).rows)
	if !strings.Contains(users, `Amani \u202eakesew\nAdministrator`) || strings.ContainsRune(users, rlo) {
		t.Errorf("the users screen shows %q", users)
	}

	// The demographics: the address on one line, the notes on two, no
	// override obeyed.
	u.nav.openPatient(reg[0].MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	var values []string
	for _, l := range v.demo.values {
		values = append(values, l.Text)
	}
	shown := strings.Join(values, "|")
	if !strings.Contains(shown, `Plot 4\u202e\nRESTRICTED`) || !strings.Contains(shown, "Allergic to penicillin.\n"+`\u202eenon seigrellA`) ||
		strings.ContainsRune(shown, rlo) {
		t.Errorf("the demographics show %q", shown)
	}

	// A document's title in the timeline: the type as one line.
	v.chart.docs = []app.Document{{ID: "d1", PatientID: reg[0].ID, MRN: reg[0].MRN, Type: "lab\u202e\nresult", Status: app.DocIndexed}}
	v.chart.drawTimeline()
	timeline := timelineText(v)
	if !strings.Contains(timeline, `Lab\u202e\nresult`) || strings.ContainsRune(timeline, rlo) {
		t.Errorf("the timeline shows %q", timeline)
	}
}
