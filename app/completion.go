package app

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The audited reads of record completion.
const (
	ActDeficiencyList  Action = "deficiency.list"  // a worklist of deficiencies read
	ActDeficiencyChart Action = "deficiency.chart" // a chart's deficiencies and completeness read
)

// DeficiencyRule names the rule that found a deficiency.
type DeficiencyRule string

// The rules (completionrules.go says exactly what each checks).
const (
	RuleUnsignedNote     DeficiencyRule = "unsigned-note"
	RuleUncoded          DeficiencyRule = "no-principal-diagnosis"
	RuleDischargeSummary DeficiencyRule = "no-discharge-summary"
	RuleQAPending        DeficiencyRule = "qa-pending"
	RuleNoConsent        DeficiencyRule = "no-consent"
)

// Deficiency is something missing from a chart that a rule found, and who
// must complete it. It is derived, never stored: every workstation
// computes the same deficiencies from the same records, thresholds and
// clock, and its ID (the rule and the record) is the same everywhere. A
// deficiency closes by itself when the record is completed: Closed is the
// time of the act that completed it.
type Deficiency struct {
	ID          string         `json:"id"`
	Rule        DeficiencyRule `json:"rule"`
	PatientID   string         `json:"patient_id"` // the chart's (after merges)
	MRN         string         `json:"mrn"`
	EncounterID string         `json:"encounter_id,omitempty"`
	DocumentID  string         `json:"document_id,omitempty"`
	What        string         `json:"what"` // a sentence for the person who completes it
	// Assignee is the user who must complete it; empty means the records
	// department (the records manager's list shows it unassigned).
	Assignee string    `json:"assignee,omitempty"`
	Opened   time.Time `json:"opened"` // when the rule's threshold passed
	Due      time.Time `json:"due"`
	Closed   time.Time `json:"closed,omitzero"`
	// Age is from opening to closing, or to the time it was computed at.
	Age     time.Duration `json:"age"`
	Overdue bool          `json:"overdue,omitempty"` // open past its due date
}

// IsOpen reports whether the deficiency is still to be completed.
func (d Deficiency) IsOpen() bool { return d.Closed.IsZero() }

// AssigneeLabel is who the deficiency is assigned to, for people.
func (d Deficiency) AssigneeLabel() string {
	if d.Assignee == "" {
		return "records department"
	}
	return d.Assignee
}

// Completion tracks record completion: it finds the deficiencies of the
// charts by rules (completionrules.go), from the records and the
// organisation's thresholds (completionsettings.go), at the session's
// clock, and lists them per user, for the records manager, and per
// chart. A chart with no open deficiency is complete. Every list that
// shows patients is audited.
type Completion struct{ s *Session }

// Completion returns the session's record-completion service.
func (s *Session) Completion() Completion { return Completion{s} }

// Mine lists the open deficiencies assigned to the signed-in user,
// oldest first, as of the session's clock, in the charts the user may
// open (a restricted chart's once this session broke its glass).
// Clinicians and records staff; audited.
func (cp Completion) Mine(ctx context.Context) ([]Deficiency, error) {
	return cp.MineAt(ctx, cp.s.v.now())
}

// MineAt is Mine as of the time at (zero: the session's clock): what is
// open then, given the records as they are now.
func (cp Completion) MineAt(ctx context.Context, at time.Time) ([]Deficiency, error) {
	read := func(ctx context.Context) ([]Deficiency, error) {
		all, err := cp.open(ctx, at)
		if err != nil {
			return nil, err
		}
		me := cp.s.User().Name
		out := slices.DeleteFunc(all, func(d Deficiency) bool { return d.Assignee != me })
		slices.SortStableFunc(out, byOpened)
		return out, nil
	}
	return auditedRead(ctx, cp.s, PermCompletion, ActDeficiencyList, read, func(out []Deficiency) AuditEvent {
		return AuditEvent{Detail: fmt.Sprintf("my deficiencies: %d open", len(out))}
	})
}

// All lists every open deficiency in the charts the user may open, for
// the records manager: overdue first, then oldest first, each with its
// assignee. Records staff; audited.
func (cp Completion) All(ctx context.Context) ([]Deficiency, error) {
	return cp.AllAt(ctx, cp.s.v.now())
}

// AllAt is All as of the time at (zero: the session's clock).
func (cp Completion) AllAt(ctx context.Context, at time.Time) ([]Deficiency, error) {
	read := func(ctx context.Context) ([]Deficiency, error) {
		out, err := cp.open(ctx, at)
		if err != nil {
			return nil, err
		}
		slices.SortStableFunc(out, func(a, b Deficiency) int {
			if a.Overdue != b.Overdue {
				if a.Overdue {
					return -1
				}
				return 1
			}
			return byOpened(a, b)
		})
		return out, nil
	}
	return auditedRead(ctx, cp.s, PermCompletionAll, ActDeficiencyList, read, func(out []Deficiency) AuditEvent {
		return AuditEvent{Detail: fmt.Sprintf("all deficiencies: %d open", len(out))}
	})
}

// byOpened orders deficiencies oldest first, then by id (the same order
// on every workstation).
func byOpened(a, b Deficiency) int {
	if c := a.Opened.Compare(b.Opened); c != 0 {
		return c
	}
	if a.ID < b.ID {
		return -1
	}
	if a.ID > b.ID {
		return 1
	}
	return 0
}

// ChartCompletion is a chart's record completion: its deficiencies, open
// and closed, oldest first. The chart is complete when none is open.
type ChartCompletion struct {
	MRN          string       `json:"mrn"`
	Complete     bool         `json:"complete"`
	Deficiencies []Deficiency `json:"deficiencies"`
}

// Open returns the chart's open deficiencies.
func (cc ChartCompletion) Open() []Deficiency {
	return slices.DeleteFunc(slices.Clone(cc.Deficiencies), func(d Deficiency) bool { return !d.IsOpen() })
}

// Chart reads the completion of a patient's chart (MRN or id, merges
// followed), as a chart read: audited, and refused for a restricted chart
// the user may not open.
func (cp Completion) Chart(ctx context.Context, patientRef string) (ChartCompletion, error) {
	return cp.ChartAt(ctx, patientRef, cp.s.v.now())
}

// ChartAt is Chart as of the time at (zero: the session's clock).
func (cp Completion) ChartAt(ctx context.Context, patientRef string, at time.Time) (ChartCompletion, error) {
	ctx, p, err := cp.s.charts.open(ctx, PermCompletion, ActDeficiencyChart, patientRef)
	if err != nil {
		return ChartCompletion{}, err
	}
	run, err := cp.run(ctx, at, false)
	if err != nil {
		return ChartCompletion{}, err
	}
	ds, err := run.chart(ctx, p)
	if err != nil {
		return ChartCompletion{}, err
	}
	slices.SortStableFunc(ds, byOpened)
	cc := ChartCompletion{MRN: p.MRN, Deficiencies: ds}
	cc.Complete = len(cc.Open()) == 0
	if p.Restricted && cp.s.User().Roles.Can(PermRestrictedRead) {
		ctx = withGrant(ctx, PermRestrictedRead)
	}
	return cc, cp.s.audit(ctx, AuditEvent{Action: ActDeficiencyChart, Patient: p.MRN, Object: "patient/" + p.ID,
		Detail: fmt.Sprintf("%d open, %d closed", len(cc.Open()), len(ds)-len(cc.Open()))})
}

// Complete reports whether a patient's chart has no open deficiency (a
// chart read, as Chart).
func (cp Completion) Complete(ctx context.Context, patientRef string) (bool, error) {
	cc, err := cp.Chart(ctx, patientRef)
	return cc.Complete, err
}

// open computes the open deficiencies of every chart the user may open.
func (cp Completion) open(ctx context.Context, at time.Time) ([]Deficiency, error) {
	run, err := cp.run(ctx, at, true)
	if err != nil {
		return nil, err
	}
	return run.everyOpen(ctx)
}

// run starts one computation at the time given (zero: the session's
// clock) with the thresholds in force.
func (cp Completion) run(ctx context.Context, at time.Time, openOnly bool) (*completionRun, error) {
	if at.IsZero() {
		at = cp.s.v.now()
	}
	if err := cp.ensureIndex(ctx); err != nil {
		return nil, err
	}
	th, err := cp.Thresholds(ctx)
	if err != nil {
		return nil, err
	}
	return newCompletionRun(cp.s, th, at, openOnly), nil
}
