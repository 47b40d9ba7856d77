package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// KindSetting is the record of an organisation-wide setting: one record
// per setting, versioned and synced like a patient, so every workstation
// computes with the same value. Settings hold no PHI; the record is
// sealed all the same, as every record is. Two workstations that change
// one at once keep both versions (a conflict to resolve); until then
// each computes with the greater version, the same one everywhere.
const KindSetting Kind = "setting"

// completionSettingsID is the KindSetting record of the thresholds.
const completionSettingsID = "completion-thresholds"

// The bounds of the thresholds.
const (
	maxThresholdHours = 24 * 365
	maxDueDays        = 365
)

// Thresholds are the record-completion rules' settings: how many hours
// after its start each rule's deficiency opens (0: at once), and how many
// days the person responsible has from then to complete it (its due
// date). The zero value is not valid; DefaultThresholds are the
// organisation's until a records manager changes them.
type Thresholds struct {
	UnsignedNoteHours     int `json:"unsigned_note_hours"`     // after the date of service
	UncodedHours          int `json:"uncoded_hours"`           // after the note is signed
	DischargeSummaryHours int `json:"discharge_summary_hours"` // after the discharge
	QAHours               int `json:"qa_hours"`                // after the document is filed
	ConsentHours          int `json:"consent_hours"`           // after the procedure is coded
	DueDays               int `json:"due_days"`                // from opening to due

	Changed   time.Time `json:"changed,omitzero"`
	ChangedBy string    `json:"changed_by,omitempty"`
	Version   Version   `json:"-"`
}

// DefaultThresholds are the thresholds before anyone sets them: a note
// signed within 24 hours of the visit, coded at once once signed, a
// discharge summary within 72 hours of the discharge, QA within 24 hours
// of filing, the consent for a procedure on the chart when it is coded,
// and 7 days to complete a deficiency.
func DefaultThresholds() Thresholds {
	return Thresholds{UnsignedNoteHours: 24, UncodedHours: 0, DischargeSummaryHours: 72, QAHours: 24, ConsentHours: 0, DueDays: 7}
}

// thresholdField is one threshold as people name it.
type thresholdField struct {
	name string // the command line's flag
	what string
	get  func(*Thresholds) *int
}

var thresholdFields = []thresholdField{
	{"unsigned-note-hours", "hours a note may stay unsigned after the visit", func(t *Thresholds) *int { return &t.UnsignedNoteHours }},
	{"uncoded-hours", "hours a signed encounter may wait for its principal diagnosis", func(t *Thresholds) *int { return &t.UncodedHours }},
	{"discharge-summary-hours", "hours after discharge for the discharge summary", func(t *Thresholds) *int { return &t.DischargeSummaryHours }},
	{"qa-hours", "hours a filed document may wait for QA", func(t *Thresholds) *int { return &t.QAHours }},
	{"consent-hours", "hours after a procedure is coded for its consent", func(t *Thresholds) *int { return &t.ConsentHours }},
	{"due-days", "days to complete a deficiency once it opens", func(t *Thresholds) *int { return &t.DueDays }},
}

// ThresholdNames lists the thresholds' names (the command line's flags)
// with what each is, in order.
func ThresholdNames() [][2]string {
	out := make([][2]string, len(thresholdFields))
	for i, f := range thresholdFields {
		out[i] = [2]string{f.name, f.what}
	}
	return out
}

// Value returns the threshold named name (ThresholdNames).
func (t Thresholds) Value(name string) (int, bool) {
	for _, f := range thresholdFields {
		if f.name == name {
			return *f.get(&t), true
		}
	}
	return 0, false
}

// With returns t with the threshold named name set to n.
func (t Thresholds) With(name string, n int) (Thresholds, error) {
	for _, f := range thresholdFields {
		if f.name == name {
			*f.get(&t) = n
			return t, nil
		}
	}
	return t, Invalidf("there is no threshold %q", name)
}

// Check refuses a threshold no records department means: a negative
// number of hours, more than a year, or a due date of less than a day.
func (t Thresholds) Check() error {
	for _, f := range thresholdFields {
		n := *f.get(&t)
		switch {
		case f.name == "due-days" && (n < 1 || n > maxDueDays):
			return Invalidf("%s %d: give the %s, 1 to %d", f.name, n, f.what, maxDueDays)
		case f.name != "due-days" && (n < 0 || n > maxThresholdHours):
			return Invalidf("%s %d: give the %s, 0 to %d (a year)", f.name, n, f.what, maxThresholdHours)
		}
	}
	return nil
}

// change says what differs from old to t: "unsigned-note-hours 24 → 48".
func (t Thresholds) change(old Thresholds) string {
	var parts []string
	for _, f := range thresholdFields {
		if a, b := *f.get(&old), *f.get(&t); a != b {
			parts = append(parts, fmt.Sprintf("%s %d → %d", f.name, a, b))
		}
	}
	return strings.Join(parts, ", ")
}

// Thresholds returns the record-completion thresholds in force: the
// latest version of the organisation's setting, or DefaultThresholds.
// They are not patient data; any signed-in user may read them.
func (cp Completion) Thresholds(ctx context.Context) (Thresholds, error) {
	if _, err := cp.s.keyring(); err != nil {
		return Thresholds{}, err
	}
	rec, err := cp.s.records.Head(ctx, KindSetting, completionSettingsID)
	if errors.Is(err, ErrNotFound) {
		return DefaultThresholds(), nil
	}
	if err != nil {
		return Thresholds{}, fmt.Errorf("read the record-completion thresholds: %w", err)
	}
	var t Thresholds
	if err := json.Unmarshal(rec.Data, &t); err != nil {
		return Thresholds{}, fmt.Errorf("the record-completion thresholds: %w: %v", ErrTampered, err)
	}
	if err := t.Check(); err != nil {
		return Thresholds{}, fmt.Errorf("the stored record-completion thresholds are not valid (%v): set them again", err)
	}
	t.Version = rec.Version
	return t, nil
}

// SetThresholds changes the record-completion thresholds for the whole
// organisation (the setting syncs). Records managers and administrators;
// audited as a settings change, with what changed. Nonsense values are
// refused; a change of nothing writes nothing.
func (cp Completion) SetThresholds(ctx context.Context, t Thresholds) error {
	ctx, err := cp.s.require(ctx, PermCompletionSet, ActSettings, "")
	if err != nil {
		return err
	}
	if err := t.Check(); err != nil {
		return err
	}
	old, err := cp.Thresholds(ctx)
	if err != nil {
		return err
	}
	what := t.change(old)
	if what == "" {
		return nil
	}
	t.Changed, t.ChangedBy = cp.s.v.now(), cp.s.User().Name
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	w := RecordWrite{Kind: KindSetting, ID: completionSettingsID, Parent: old.Version, Data: data}
	err = cp.s.commit(ctx, []RecordWrite{w}, AuditEvent{Action: ActSettings, Detail: "record-completion thresholds: " + what}, nil, nil)
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("%w: the thresholds were changed meanwhile (on another workstation); look at them again and repeat the change", ErrConflict)
	}
	return err
}
