package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"folio/app"
)

// The chart's dialogs that add to the summary (Ctrl+1 an allergy, Ctrl+2
// a problem, Ctrl+3 a medication), through ChartSummary.Add: what it
// refuses is said in the dialog, in its words, and nothing is lost.

// severityChoices are the severities of an allergy, as the picker shows
// them.
var severityChoices = []string{"mild", "moderate", "severe", "life-threatening"}

// summaryEdits is the chart's dialogs that record and end the entries of
// its summary (here and in summaryend.go); the summary is read again after
// each change.
type summaryEdits struct {
	sess *session
	v    *patientScreen // the chart: its patient and summary panel
}

// askAllergy records an allergy, or that the patient has none known.
func (ed *summaryEdits) askAllergy() {
	u := ed.sess.a
	if !canSummary(ed.sess.user.Roles) {
		return
	}
	substance := newEntry(u.input, "for example: penicillin")
	reaction := newEntry(u.input, "rash, wheeze, anaphylaxis…")
	severity := newChoice(u.input, severityChoices, nil)
	none := newCheck(u.input, "No known allergies (the patient was asked)", nil)
	none.OnChanged = func(on bool) {
		for _, w := range []fyne.Disableable{substance, reaction, severity} {
			if on {
				w.Disable()
			} else {
				w.Enable()
			}
		}
	}
	ed.askEntry("Record an allergy", []fyne.CanvasObject{
		fieldLabel("Substance"), substance, fieldLabel("Reaction"), reaction,
		fieldLabel("Severity"), severity, fieldLabel(""), none,
	}, substance, func() (app.ChartEntry, error) {
		c := app.ChartEntry{Section: app.SectionAllergy, NoneKnown: none.Checked}
		if !none.Checked {
			c.Substance, c.Reaction, c.Severity = substance.Text, reaction.Text, app.Severity(severity.Selected)
		}
		return c, nil
	})
}

// askProblem records a problem, in words or as an ICD-10-CM code.
func (ed *summaryEdits) askProblem() {
	u := ed.sess.a
	if !canSummary(ed.sess.user.Roles) {
		return
	}
	text := newEntry(u.input, "for example: hypertension")
	code := newEntry(u.input, "ICD-10-CM code, optional (I10)")
	onset := newEntry(u.input, "YYYY-MM-DD, optional")
	chronic := newCheck(u.input, "Chronic (stays until resolved)", nil)
	ed.askEntry("Record a problem", []fyne.CanvasObject{
		fieldLabel("Problem"), text, fieldLabel("Code"), code, fieldLabel("Onset"), onset, fieldLabel(""), chronic,
	}, text, func() (app.ChartEntry, error) {
		day, err := parseDay("onset", onset.Text)
		return app.ChartEntry{Section: app.SectionProblem, Text: text.Text, Code: code.Text, Onset: day, Chronic: chronic.Checked}, err
	})
}

// askMedication records a current medication, started today unless said.
func (ed *summaryEdits) askMedication() {
	u := ed.sess.a
	if !canSummary(ed.sess.user.Roles) {
		return
	}
	drug := newEntry(u.input, "for example: metformin")
	dose := newEntry(u.input, "dose and instructions: 500 mg twice daily")
	start := newEntry(u.input, "YYYY-MM-DD")
	start.SetText(u.now().Format(time.DateOnly))
	stop := newEntry(u.input, "YYYY-MM-DD, optional")
	ed.askEntry("Record a medication", []fyne.CanvasObject{
		fieldLabel("Medication"), drug, fieldLabel("Dose"), dose, fieldLabel("Started"), start, fieldLabel("Stops"), stop,
	}, drug, func() (app.ChartEntry, error) {
		from, err := parseDay("start date", start.Text)
		if err != nil {
			return app.ChartEntry{}, err
		}
		until, err := parseDay("stop date", stop.Text)
		return app.ChartEntry{Section: app.SectionMedication, Text: drug.Text, Dose: dose.Text, Start: from, Stop: until}, err
	})
}

// askEntry asks for an entry with the fields of pairs and records what
// entry reads from them (entry's own refusal, a date it cannot read, is
// said like the service's); the summary is read again after.
func (ed *summaryEdits) askEntry(title string, pairs []fyne.CanvasObject, first fyne.Focusable, entry func() (app.ChartEntry, error)) {
	ref := ed.v.p.ID
	ed.sess.askForm(title, "Record", "", pairs, first, func(ctx context.Context) error {
		c, err := entry()
		if err == nil {
			_, err = ed.sess.s.ChartSummary().Add(ctx, ref, c)
		}
		return err
	}, func(err error) {
		if err == nil {
			ed.reload()
		}
	})
}

// reload reads the summary again (after an entry was added).
func (ed *summaryEdits) reload() {
	if ed.v.summary == nil {
		return
	}
	sess, ref, gen := ed.sess, ed.v.p.ID, ed.v.chart.gen
	sess.run(func(ctx context.Context) func() {
		sum, err := sess.s.ChartSummary().Summary(ctx, ref)
		return func() {
			if ed.v.chart.gen == gen {
				ed.v.summary.show(sum, err)
				ed.v.frame.Refresh()
			}
		}
	})
}
