package ui

import (
	"strings"
	"testing"
	"time"

	"folio/app"
)

// Folding an opening's lists into its line hides nothing: a second list
// read, a document opened, another user's read, a refused read and a read
// long after each keep a line of their own, and every folded read's
// detail is on the opening's line.
func TestAccessLinesFoldOnlyOneOpening(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	ev := func(sec int, user string, act app.Action, object, detail string) app.AuditEvent {
		return app.AuditEvent{Time: t0.Add(time.Duration(sec) * time.Second), User: user, Action: act,
			Object: object, Detail: detail, Outcome: app.OutcomeOK}
	}
	refused := ev(101, "grace", app.ActSummaryRead, "", "summary: 1 allergy, 0 problems, 0 medications")
	refused.Outcome = app.OutcomeDenied
	opening := func(sec int) app.AuditEvent { return ev(sec, "grace", app.ActPatientRead, "patient/p1", "") }
	oldest := []app.AuditEvent{
		ev(0, "grace", app.ActPatientRead, "patient/p1", "break-glass: emergency"),
		ev(1, "grace", app.ActDocRead, "", "document list: 5"),
		ev(1, "grace", app.ActEncounterList, "", "2 encounters"),
		ev(2, "grace", app.ActDocRead, "", "document list: 5"), // a second list
		opening(100),
		refused,
		opening(130),
		ev(131, "peter", app.ActSummaryRead, "", "summary: 1 allergy, 0 problems, 0 medications"),
		opening(160),
		ev(175, "grace", app.ActSummaryRead, "", "summary: 1 allergy, 0 problems, 0 medications"), // too late
		opening(200),
		ev(201, "grace", app.ActDocRead, "document/d1", "lab-result, 2026-03-02, 3 pages"), // a document opened
	}
	newest := make([]app.AuditEvent, len(oldest))
	for i, e := range oldest {
		newest[len(oldest)-1-i] = e
	}
	lines := accessLines(newest)
	if len(lines) != len(oldest)-2 { // the first opening folds two reads
		t.Fatalf("%d lines for %d events, want %d: %+v", len(lines), len(oldest), len(oldest)-2, lines)
	}
	first := lines[len(lines)-1]
	if first.Action != app.ActPatientRead || len(first.with) != 2 {
		t.Fatalf("the opening folded %d reads: %+v", len(first.with), first)
	}
	for _, want := range []string{"emergency", "5 documents", "2 encounters"} {
		if !strings.Contains(first.detail(), want) {
			t.Errorf("the opening's line %q does not say %q", first.detail(), want)
		}
	}
	for i := 1; i < len(lines); i++ {
		if lines[i].Time.After(lines[i-1].Time) {
			t.Fatal("the lines are not newest first")
		}
	}
}
