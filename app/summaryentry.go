package app

import (
	"strings"
	"time"
)

// KindSummary is the record of one entry of a chart's summary: an
// allergy (or the chart's "no known allergies"), a problem, or a
// medication. Each entry is a record of its own, so entries written on two
// workstations at once never conflict; each change (resolved, stopped) is
// a new version, synced like an encounter.
const KindSummary Kind = "summary"

// Section is which list of the summary an entry is in.
type Section string

// The summary's sections.
const (
	SectionAllergy    Section = "allergy"
	SectionProblem    Section = "problem"
	SectionMedication Section = "medication"
)

// Severity is how bad an allergic reaction is.
type Severity string

// The severities of an allergy.
const (
	SeverityMild             Severity = "mild"
	SeverityModerate         Severity = "moderate"
	SeveritySevere           Severity = "severe"
	SeverityLifeThreatening  Severity = "life-threatening"
	severityChoices                   = "mild, moderate, severe or life-threatening"
	problemCodeSystemICD10CM          = "ICD-10-CM"
)

// ParseSeverity accepts a severity in any case ("life threatening" too).
func ParseSeverity(s string) (Severity, error) {
	k := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(s, "-", " ")), "-"))
	switch Severity(k) {
	case SeverityMild, SeverityModerate, SeveritySevere, SeverityLifeThreatening:
		return Severity(k), nil
	case "":
		return "", Invalidf("give the reaction's severity: %s", severityChoices)
	}
	return "", Invalidf("severity %q: use %s", s, severityChoices)
}

// acuteLasts is how long an acute (not chronic) problem stays on the
// summary after its onset (or, with no onset, after it was recorded) when
// no one resolves it: the episode is over. A chronic problem stays until
// it is resolved.
const acuteLasts = 30 * 24 * time.Hour

// Ended says that an entry left the summary, who said so, when, and why: a
// problem resolved (on Date), an allergy or medication that no longer
// applies, or any entry entered in error.
type Ended struct {
	Date    time.Time `json:"date"` // the day it ended (a problem's resolution date)
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason,omitempty"`
	InError bool      `json:"in_error,omitempty"` // it was never true
}

// ChartEntry is one allergy, problem or medication of a patient's chart.
// The fields of its section are filled; the others are empty.
type ChartEntry struct {
	ID        string  `json:"id"`
	PatientID string  `json:"patient_id"`
	Section   Section `json:"section"`

	// An allergy: the substance, the reaction and its severity; or
	// NoneKnown, the chart's "no known allergies", an entry of its own.
	Substance string   `json:"substance,omitempty"`
	Reaction  string   `json:"reaction,omitempty"`
	Severity  Severity `json:"severity,omitempty"`
	NoneKnown bool     `json:"none_known,omitempty"`

	// A problem: free text, or an ICD-10-CM code with its description as
	// Text; chronic ones stay active until resolved.
	Text       string    `json:"text,omitempty"` // the problem, or the medication
	Code       string    `json:"code,omitempty"`
	CodeSystem string    `json:"code_system,omitempty"`
	Chronic    bool      `json:"chronic,omitempty"`
	Onset      time.Time `json:"onset,omitzero"`
	// EncounterID is the encounter whose coded diagnosis the problem
	// came from, when it did.
	EncounterID string `json:"encounter_id,omitempty"`

	// A medication: Text is the drug, Dose its dose and instructions;
	// current while it has no Stop.
	Dose  string    `json:"dose,omitempty"`
	Start time.Time `json:"start,omitzero"`
	Stop  time.Time `json:"stop,omitzero"`

	Ended *Ended `json:"ended,omitempty"`

	RecordedBy string    `json:"recorded_by"`
	Recorded   time.Time `json:"recorded"`
	Changed    time.Time `json:"changed"`
	ChangedBy  string    `json:"changed_by"`
	Version    Version   `json:"-"`
	// MRN is the MRN of the chart the entry is in, filled when it is read
	// or written (not stored: a merge changes it).
	MRN string `json:"-"`
	// lastVisit is, for a problem derived from coded diagnoses, the day of
	// the last encounter that carries its code.
	lastVisit time.Time
}

// Active reports whether the entry is on the summary at now: not ended,
// a medication not stopped, an acute problem within acuteLasts of its
// onset.
func (c ChartEntry) Active(now time.Time) bool {
	switch {
	case c.Ended != nil:
		return false
	case c.Section == SectionMedication:
		return c.Stop.IsZero() || c.Stop.After(now)
	case c.Section == SectionProblem && !c.Chronic:
		from := c.Onset
		if from.IsZero() {
			from = c.Recorded
		}
		return now.Sub(from) < acuteLasts
	}
	return true
}

// Status is a word for the entry's state: active, resolved, stopped,
// entered in error, or (an acute problem past its time) past.
func (c ChartEntry) Status(now time.Time) string {
	switch {
	case c.Ended != nil && c.Ended.InError:
		return "entered-in-error"
	case c.Ended != nil:
		return "resolved"
	case c.Section == SectionMedication && !c.Active(now):
		return "stopped"
	case !c.Active(now):
		return "past"
	}
	return "active"
}

// Title is the entry in a few words: the substance, the problem (with its
// code) or the medication.
func (c ChartEntry) Title() string {
	switch {
	case c.NoneKnown:
		return "No known allergies"
	case c.Section == SectionAllergy:
		return c.Substance
	case c.Code != "":
		return c.Code + " " + c.Text
	}
	return c.Text
}

// day is t's calendar day, at midnight UTC: the dates of the summary are
// days.
func day(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// checkDate refuses a date of the chart (what) in the future or before
// the patient's birth.
func checkDate(what string, d, now time.Time, p Patient) error {
	switch {
	case d.IsZero():
		return nil
	case d.After(day(now.Add(serviceSkew))):
		return Invalidf("the %s %s is in the future", what, d.Format(time.DateOnly))
	case bornAfter(p.BirthDate, d):
		return Invalidf("the %s %s is before the patient's birth (%s); check the date", what, d.Format(time.DateOnly), p.BirthDate)
	}
	return nil
}

// decodeChartEntry turns a stored record into a ChartEntry.
func decodeChartEntry(rec StoredRecord) (ChartEntry, error) {
	return decodeRecord[ChartEntry](rec, "summary entry")
}

func (c *ChartEntry) setVersion(v Version) { c.Version = v }

// chartEntry encodes a summary entry's version with its index token (its
// patient's, so the chart's summary lists it).
func (ec encoder) chartEntry(c ChartEntry, parent Version) (RecordWrite, error) {
	return ec.write(KindSummary, c.ID, parent, c, []string{"sum:pat:" + c.PatientID})
}
