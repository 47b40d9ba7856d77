package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// This file is the summary at the top of the chart: the active problems,
// the allergies (or, explicitly, "No known allergies" or "Allergies not
// recorded") and the current medications, read with one call
// (ChartSummary.Summary) when the chart opens. Clinicians add to it with
// Ctrl+1, Ctrl+2 and Ctrl+3 (summaryadd.go).

// summaryLines is how many entries of a list the summary shows; the rest
// are counted ("and 2 more").
const summaryLines = 3

// chartSummary is the summary panel (Fyne goroutine only).
type chartSummary struct {
	box         *fyne.Container
	allergies   *fyne.Container
	problems    *fyne.Container
	medications *fyne.Container
	note        *widget.Label // a failed read
	sum         *app.Summary  // nil until read
}

// newChartSummary builds the panel, with the add buttons for clinicians.
func newChartSummary(v *patientScreen) *chartSummary {
	u, may := v.sess.a, canSummary(v.sess.user.Roles)
	cs := &chartSummary{
		allergies:   container.New(layout.NewCustomPaddedVBoxLayout(0)),
		problems:    container.New(layout.NewCustomPaddedVBoxLayout(0)),
		medications: container.New(layout.NewCustomPaddedVBoxLayout(0)),
		note:        wrapped(""),
	}
	cs.note.Hide()
	col := func(title, key string, add func(), list *fyne.Container) fyne.CanvasObject {
		head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		var right fyne.CanvasObject
		if may {
			b := button(u.input, key, theme.ContentAddIcon(), widget.LowImportance, add)
			right = b
		}
		return container.NewBorder(container.NewBorder(nil, nil, nil, right, head), nil, nil, nil, list)
	}
	grid := container.NewGridWithColumns(3,
		col("Allergies", "Ctrl+1", v.edits.askAllergy, cs.allergies),
		col("Problems", "Ctrl+2", v.edits.askProblem, cs.problems),
		col("Medications", "Ctrl+3", v.edits.askMedication, cs.medications))
	cs.allergies.Add(summaryLine("Reading the summary…", widget.LowImportance))
	cs.box = compactPanel(container.NewVBox(grid, cs.note))
	return cs
}

// compactPanel is panel with less padding, for the summary over the chart.
func compactPanel(content fyne.CanvasObject) *fyne.Container {
	p := panel(content)
	p.Objects[1] = container.New(layout.NewCustomPaddedLayout(2, 4, 10, 10), content)
	return p
}

// summaryLine is one line of the summary, cut with an ellipsis when long.
func summaryLine(s string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(s)
	l.Truncation = fyne.TextTruncateEllipsis
	l.Importance = imp
	return l
}

// show draws the summary read (or why it could not be read).
func (cs *chartSummary) show(sum app.Summary, err error) {
	if err != nil {
		cs.note.SetText("The summary could not be read: " + message(err))
		cs.note.Show()
		return
	}
	cs.sum = &sum
	cs.note.Hide()
	cs.allergies.Objects = allergyLines(sum)
	cs.problems.Objects = entryLines(sum.Problems, "No active problems recorded", problemText)
	cs.medications.Objects = entryLines(sum.Medications, "No current medications recorded", medicationText)
	for _, c := range []*fyne.Container{cs.allergies, cs.problems, cs.medications} {
		c.Refresh()
	}
}

// forget clears every entry shown.
func (cs *chartSummary) forget() {
	cs.sum = nil
	for _, c := range []*fyne.Container{cs.allergies, cs.problems, cs.medications} {
		c.RemoveAll()
	}
}

// allergyLines says the allergies, or explicitly that there are none
// known, or that nobody has recorded them; both recorded (on two
// workstations) is a warning to resolve the wrong one.
func allergyLines(sum app.Summary) []fyne.CanvasObject {
	switch {
	case sum.NoKnownAllergies && len(sum.Allergies) > 0:
		return append([]fyne.CanvasObject{summaryLine("Check: “No known allergies” and allergies are both recorded", widget.DangerImportance)},
			entryLines(sum.Allergies, "", allergyText)...)
	case sum.NoKnownAllergies:
		return []fyne.CanvasObject{summaryLine("No known allergies", widget.SuccessImportance)}
	case len(sum.Allergies) == 0:
		return []fyne.CanvasObject{summaryLine("Allergies not recorded", widget.WarningImportance)}
	}
	return entryLines(sum.Allergies, "", allergyText)
}

// entryLines is one line per entry, at most summaryLines, or none.
func entryLines(list []app.ChartEntry, none string, text func(app.ChartEntry) (string, widget.Importance)) []fyne.CanvasObject {
	if len(list) == 0 {
		return []fyne.CanvasObject{summaryLine(none, widget.LowImportance)}
	}
	var out []fyne.CanvasObject
	for i, c := range list {
		if i == summaryLines && len(list) > summaryLines+1 {
			out = append(out, summaryLine(fmt.Sprintf("and %d more", len(list)-i), widget.LowImportance))
			break
		}
		out = append(out, summaryLine(text(c)))
	}
	return out
}

// allergyText is "Penicillin: rash (severe)", severe ones in red.
func allergyText(c app.ChartEntry) (string, widget.Importance) {
	imp := widget.MediumImportance
	if c.Severity == app.SeveritySevere || c.Severity == app.SeverityLifeThreatening {
		imp = widget.DangerImportance
	}
	return visible.Line(fmt.Sprintf("%s: %s (%s)", c.Substance, c.Reaction, c.Severity)), imp
}

// problemText is "J45.909 Asthma, chronic, since 2020-01-01".
func problemText(c app.ChartEntry) (string, widget.Importance) {
	parts := []string{c.Title()}
	if c.Chronic {
		parts = append(parts, "chronic")
	}
	if !c.Onset.IsZero() {
		parts = append(parts, "since "+c.Onset.Format(time.DateOnly))
	}
	return visible.Line(strings.Join(parts, ", ")), widget.MediumImportance
}

// medicationText is "Metformin 500 mg twice daily, from 2026-01-10".
func medicationText(c app.ChartEntry) (string, widget.Importance) {
	s := c.Text
	if c.Dose != "" {
		s += " " + c.Dose
	}
	s += ", from " + c.Start.Format(time.DateOnly)
	if !c.Stop.IsZero() {
		s += " until " + c.Stop.Format(time.DateOnly)
	}
	return visible.Line(s), widget.MediumImportance
}
