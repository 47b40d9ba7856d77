package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testkit"
)

// Only the clinician a query was sent to answers it, or a records manager
// on their behalf with a note; another clinician, a scanning clerk and a
// records manager without a note are refused with a sentence, and the
// refusal is audited.
func TestCodingQueryAnsweredOnlyByItsClinician(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	set := testkit.ICD10CM(t)
	e := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, time.Now().Add(-time.Hour))
	q, err := c.grace.Coding(set).Query(ctx, e.ID, "Which organism?")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.doc2.Coding(set).Answer(ctx, q.ID, "Pneumococcus.")
	var na *app.NotAddresseeError
	if !errors.Is(err, app.ErrForbidden) || !errors.As(err, &na) || na.Clinician != "doc" ||
		!strings.Contains(err.Error(), "this query was sent to doc: only doc may answer it, or a records manager on their behalf") {
		t.Fatalf("another clinician answering: %v", err)
	}
	if _, err := c.sam.Coding(set).AnswerOnBehalf(ctx, q.ID, "Pneumococcus.", "doc away"); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a scanning clerk answering on behalf: %v", err)
	}
	if _, err := c.doc2.Coding(set).AnswerOnBehalf(ctx, q.ID, "Pneumococcus.", "doc away"); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("another clinician answering on behalf: %v", err)
	}
	if _, err := c.grace.Coding(set).AnswerOnBehalf(ctx, q.ID, "Pneumococcus.", "  "); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("on behalf without a note: %v", err)
	}
	a, err := c.grace.Coding(set).AnswerOnBehalf(ctx, q.ID, "Pneumococcus, per the lab report.", "Dr doc on leave until the 20th")
	if err != nil || a.By != "grace" || a.OnBehalf != "Dr doc on leave until the 20th" {
		t.Fatalf("records manager on behalf: %+v, %v", a, err)
	}
	st, err := c.grace.Coding(set).Status(ctx, e.ID)
	if err != nil || st.Status == app.CodingQueried {
		t.Fatalf("status after the answer on behalf: %+v, %v", st, err)
	}
	if open, err := c.doc.Coding(set).Queries(ctx); err != nil || len(open) != 0 {
		t.Fatalf("doc's open queries after the answer on behalf: %+v, %v", open, err)
	}
	events, err := c.admin.Audit().Events(ctx, app.AuditFilter{Action: app.ActCodingAnswer})
	if err != nil {
		t.Fatal(err)
	}
	var denied, behalf bool
	for _, ev := range events {
		denied = denied || ev.Outcome == app.OutcomeDenied && ev.User == "doc2"
		behalf = behalf || ev.User == "grace" && strings.Contains(ev.Detail, "for doc: Dr doc on leave")
	}
	if !denied || !behalf {
		t.Fatalf("audit of the answers: %+v", events)
	}
}
