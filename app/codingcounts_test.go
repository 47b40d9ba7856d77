package app_test

import (
	"context"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testkit"
)

// The sidebar's counts: a coder's signed visits waiting and queried, a
// clinician's own unsigned notes and open queries (another clinician's
// are not theirs); -1 for a count the role does not work on. The
// clinician's own unsigned notes list names them.
func TestCodingCountsAndUnsigned(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	at := time.Now().Add(-3 * time.Hour)
	var signed []app.Encounter
	for range 3 {
		signed = append(signed, signedVisit(t, c, c.amina.MRN, app.EncOutpatient, at))
	}
	if _, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(at)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc2.Encounters().Add(ctx, c.amina.MRN, visit(at)); err != nil {
		t.Fatal(err)
	}
	coding := c.grace.Coding(testkit.ICD10CM(t))
	if _, err := coding.Query(ctx, signed[0].ID, "Confirmed by X-ray?"); err != nil {
		t.Fatal(err)
	}
	if _, err := coding.Assign(ctx, signed[1].ID, app.Assignment{Diagnoses: []string{"J18.9"}}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		who  *app.Session
		want app.CodingCounts
	}{
		{c.grace, app.CodingCounts{Waiting: 1, Queried: 1, Unsigned: -1, MyQueries: -1}},
		{c.doc, app.CodingCounts{Waiting: -1, Queried: -1, Unsigned: 1, MyQueries: 1}},
		{c.doc2, app.CodingCounts{Waiting: -1, Queried: -1, Unsigned: 1, MyQueries: 0}},
		{c.sam, app.CodingCounts{Waiting: -1, Queried: -1, Unsigned: -1, MyQueries: -1}},
	} {
		got, err := w.who.Coding(nil).Counts(ctx)
		if err != nil || got != w.want {
			t.Errorf("%s's counts: %+v, %v; want %+v", w.who.User().Name, got, err, w.want)
		}
	}
	notes, err := c.doc.Encounters().Unsigned(ctx)
	if err != nil || len(notes) != 1 || notes[0].Patient != "Amina Banda" || notes[0].MRN != c.amina.MRN {
		t.Errorf("doc's unsigned notes: %+v, %v", notes, err)
	}
	if _, err := c.grace.Encounters().Unsigned(ctx); err == nil {
		t.Error("a records clerk, who writes no notes, was given a list of unsigned notes")
	}
}
