package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"folio/app"
)

// A signed visit has Print / Save PDF… and, for a clinician, Referral
// letter…; a draft has neither. Printing the note goes through the
// window's print path: with no printer set up it says so and offers to
// save the PDF instead, and the note's print is audited naming the
// encounter. The referral letter asks who it is for (none is refused in
// the dialog, which stays open), then prints the same way, audited with
// the recipient and the reason.
func TestVisitPrintAndReferral(t *testing.T) {
	u, p, _, _ := clinicRoom(t)
	u.opts.Printer = noPrinter()
	ctx := context.Background()
	e, err := u.sess.s.Encounters().Add(ctx, p.MRN, app.Encounter{Type: app.EncOutpatient, Time: time.Now().Add(-time.Hour),
		Reason: "cough for two weeks", Note: app.Note{Assessment: "Acute bronchitis", Plan: "Amoxicillin"}})
	if err != nil {
		t.Fatal(err)
	}
	u.nav.showEncounter(e.ID)
	u.tasks.wait()
	v := current[*encounterScreen](t, u)
	if v.printBtn.Visible() || v.referBtn.Visible() {
		t.Fatal("a draft offers to print or refer")
	}
	if e, err = u.sess.s.Encounters().Sign(ctx, v.enc); err != nil {
		t.Fatal(err)
	}
	u.nav.showEncounter(e.ID)
	u.tasks.wait()
	v = current[*encounterScreen](t, u)
	if !v.printBtn.Visible() || !v.referBtn.Visible() {
		t.Fatalf("a signed note: print %v, referral %v", v.printBtn.Visible(), v.referBtn.Visible())
	}

	test.Tap(v.printBtn)
	tapDialog(t, u, "Print")
	u.tasks.wait()
	if !strings.Contains(v.status.Text, "The visit note was not printed") || !strings.HasPrefix(u.dialogs.lastErr, "No printer is set up on this computer: save the PDF") {
		t.Fatalf("printing without a printer: %q, %q", v.status.Text, u.dialogs.lastErr)
	}
	tapDialog(t, u, "Cancel")
	ev, err := auditAs(t, u.vault, "admin", app.ActNotePrint)
	if err != nil || len(ev) != 1 || !strings.HasPrefix(ev[0].Object, "encounter/"+e.ID+"@") || ev[0].User != "dr.amani" {
		t.Fatalf("the note's print is not audited: %+v, %v", ev, err)
	}

	test.Tap(v.referBtn)
	tapDialog(t, u, "Continue…")
	if got := overlayTexts(u); !strings.Contains(got, "Say who the letter is for") {
		t.Fatalf("a letter to no one: %q", got)
	}
	var to *entry
	for _, o := range test.LaidOutObjects(u.win.Canvas().Overlays().Top()) {
		if e, ok := o.(*entry); ok && !e.MultiLine {
			to = e
		}
	}
	if to == nil {
		t.Fatal("the referral dialog has no To field")
	}
	typeIn(u, to, "Dr Okot, Mulago Hospital")
	tapDialog(t, u, "Continue…")
	tapDialog(t, u, "Print")
	u.tasks.wait()
	if !strings.Contains(v.status.Text, "The referral letter was not printed") {
		t.Fatalf("the referral letter without a printer: %q", v.status.Text)
	}
	tapDialog(t, u, "Cancel")
	ev, err = auditAs(t, u.vault, "admin", app.ActReferralPrint)
	if err != nil || len(ev) != 1 || ev[0].Detail != "referral letter to Dr Okot, Mulago Hospital: cough for two weeks" {
		t.Fatalf("the referral letter is not audited: %+v, %v", ev, err)
	}
}
