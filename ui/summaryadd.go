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

// askAllergy records an allergy, or that the patient has none known.
func (v *patientScreen) askAllergy() {
	u := v.sess.a
	if !canSummary(v.sess.user.Roles) {
		return
	}
	substance := newEntry(u, "for example: penicillin")
	reaction := newEntry(u, "rash, wheeze, anaphylaxis…")
	severity := newChoice(u, severityChoices, nil)
	none := newCheck(u, "No known allergies (the patient was asked)", nil)
	none.OnChanged = func(on bool) {
		for _, w := range []fyne.Disableable{substance, reaction, severity} {
			if on {
				w.Disable()
			} else {
				w.Enable()
			}
		}
	}
	v.askEntry("Record an allergy", []fyne.CanvasObject{
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
func (v *patientScreen) askProblem() {
	u := v.sess.a
	if !canSummary(v.sess.user.Roles) {
		return
	}
	text := newEntry(u, "for example: hypertension")
	code := newEntry(u, "ICD-10-CM code, optional (I10)")
	onset := newEntry(u, "YYYY-MM-DD, optional")
	chronic := newCheck(u, "Chronic (stays until resolved)", nil)
	v.askEntry("Record a problem", []fyne.CanvasObject{
		fieldLabel("Problem"), text, fieldLabel("Code"), code, fieldLabel("Onset"), onset, fieldLabel(""), chronic,
	}, text, func() (app.ChartEntry, error) {
		day, err := parseDay("onset", onset.Text)
		return app.ChartEntry{Section: app.SectionProblem, Text: text.Text, Code: code.Text, Onset: day, Chronic: chronic.Checked}, err
	})
}

// askMedication records a current medication, started today unless said.
func (v *patientScreen) askMedication() {
	u := v.sess.a
	if !canSummary(v.sess.user.Roles) {
		return
	}
	drug := newEntry(u, "for example: metformin")
	dose := newEntry(u, "dose and instructions: 500 mg twice daily")
	start := newEntry(u, "YYYY-MM-DD")
	start.SetText(u.now().Format(time.DateOnly))
	stop := newEntry(u, "YYYY-MM-DD, optional")
	v.askEntry("Record a medication", []fyne.CanvasObject{
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
func (v *patientScreen) askEntry(title string, pairs []fyne.CanvasObject, first fyne.Focusable, entry func() (app.ChartEntry, error)) {
	ref := v.p.ID
	v.sess.askForm(title, "Record", "", pairs, first, func(ctx context.Context) error {
		c, err := entry()
		if err == nil {
			_, err = v.sess.s.ChartSummary().Add(ctx, ref, c)
		}
		return err
	}, func(err error) {
		if err == nil {
			v.loadSummary()
		}
	})
}

// loadSummary reads the summary again (after an entry was added).
func (v *patientScreen) loadSummary() {
	if v.summary == nil {
		return
	}
	sess, ref, gen := v.sess, v.p.ID, v.gen
	sess.run(func(ctx context.Context) func() {
		sum, err := sess.s.ChartSummary().Summary(ctx, ref)
		return func() {
			if v.gen == gen {
				v.summary.show(sum, err)
				v.frame.Refresh()
			}
		}
	})
}
