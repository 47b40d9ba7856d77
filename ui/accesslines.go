package ui

import (
	"slices"
	"strings"
	"time"

	"folio/app"
)

// accessLine is one line of a chart's access log: an audit event, and
// what was read with it when it opened the chart.
type accessLine struct {
	app.AuditEvent
	with []app.AuditEvent // the lists read by that opening, oldest first
}

// openingReads are what opening a chart reads besides the patient: its
// document list, its visits and its summary, each audited on its own.
var openingReads = []app.Action{app.ActDocRead, app.ActEncounterList, app.ActSummaryRead}

// openingWindow is how soon after the chart's opening its lists are read.
const openingWindow = 10 * time.Second

// accessLines folds each opening of the chart (newest first, as events
// are) into one line with the lists it read: one opening is one access.
// The audit trail itself keeps every event; the Audit screen lists them.
func accessLines(events []app.AuditEvent) []accessLine {
	var lines []accessLine
	for i := len(events) - 1; i >= 0; i-- {
		line := accessLine{AuditEvent: events[i]}
		if line.Action == app.ActPatientRead {
			for ; i > 0 && partOfOpening(line, events[i-1]); i-- {
				line.with = append(line.with, events[i-1])
			}
		}
		lines = append(lines, line)
	}
	slices.Reverse(lines)
	return lines
}

// partOfOpening reports whether e is a list the opening line read: the
// same user, moments later, a list this opening has not read yet.
func partOfOpening(line accessLine, e app.AuditEvent) bool {
	if e.User != line.User || e.Outcome != line.Outcome || e.Time.Sub(line.Time) > openingWindow || e.Time.Before(line.Time) {
		return false
	}
	if !slices.Contains(openingReads, e.Action) || (e.Action == app.ActDocRead && e.Object != "") {
		return false
	}
	return !slices.ContainsFunc(line.with, func(w app.AuditEvent) bool { return w.Action == e.Action })
}

// detail is the line's detail in words: the opening's own (a break-glass
// reason), then what it read.
func (l accessLine) detail() string {
	parts := []string{}
	if d := detailText(l.AuditEvent); d != "" {
		parts = append(parts, d)
	}
	for _, w := range l.with {
		d := detailText(w)
		if d == "" {
			d = actionText(w)
		}
		parts = append(parts, d)
	}
	return strings.Join(parts, " · ")
}
