package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// The chart's dialog that takes an entry off the summary (Ctrl+4): a
// problem resolved, an allergy or medication that no longer applies, a
// medication stopped, or any entry made in error (with why), through
// ChartSummary.Resolve and StopMedication. The entry stays in the chart's
// history; what the service refuses is said in the dialog in its words.

// How an entry ends, as the dialog offers it.
const (
	endResolved = "Resolved, or no longer applies"
	endStopped  = "Stopped (a medication)"
	endInError  = "Entered in error"
)

// summaryChoice is one active entry the dialog offers.
type summaryChoice struct {
	label string
	entry app.ChartEntry
}

// summaryChoices are the summary's active entries, each labelled with its
// section, in the summary's order.
func summaryChoices(sum app.Summary) []summaryChoice {
	var out []summaryChoice
	add := func(section string, list []app.ChartEntry, text func(app.ChartEntry) (string, widget.Importance)) {
		for _, c := range list {
			t, _ := text(c)
			out = append(out, summaryChoice{label: section + ": " + t, entry: c})
		}
	}
	if sum.NoneKnown != nil {
		out = append(out, summaryChoice{label: "Allergies: no known allergies", entry: *sum.NoneKnown})
	}
	add("Allergy", sum.Allergies, allergyText)
	add("Problem", sum.Problems, problemText)
	add("Medication", sum.Medications, medicationText)
	seen := map[string]int{}
	for i := range out { // two entries that read alike stay apart
		if seen[out[i].label]++; seen[out[i].label] > 1 {
			out[i].label += fmt.Sprintf(" (%d)", seen[out[i].label])
		}
	}
	return out
}

// askEnd asks which entry of the summary ends, how, on what day and
// why, and records it; the summary is read again after.
func (ed *summaryEdits) askEnd() {
	u := ed.sess.a
	if !canSummary(ed.sess.user.Roles) || ed.v.summary == nil || ed.v.summary.sum == nil {
		return
	}
	choices := summaryChoices(*ed.v.summary.sum)
	if len(choices) == 0 {
		u.dialogs.showNote("The summary", wrapped("The summary has no active entry to resolve or stop."), fyne.NewSize(420, 0))
		return
	}
	labels := make([]string, len(choices))
	for i, c := range choices {
		labels[i] = c.label
	}
	which := newChoice(u.input, labels, nil)
	which.SetSelected(labels[0])
	how := newChoice(u.input, []string{endResolved, endStopped, endInError}, nil)
	how.SetSelected(endResolved)
	day := newEntry(u.input, "YYYY-MM-DD")
	day.SetText(u.now().Format(time.DateOnly))
	why := newEntry(u.input, "why; needed for an entry made in error")
	ed.sess.askForm("Resolve or stop a summary entry", "Record",
		"The entry leaves the summary and stays in the chart's history, with your name and the date.",
		[]fyne.CanvasObject{fieldLabel("Entry"), which, fieldLabel("How"), how, fieldLabel("Date"), day, fieldLabel("Reason"), why},
		which, func(ctx context.Context) error {
			c := choices[which.SelectedIndex()]
			on, err := parseDay("date", day.Text)
			if err != nil {
				return err
			}
			cs := ed.sess.s.ChartSummary()
			switch how.Selected {
			case endStopped:
				_, err = cs.StopMedication(ctx, c.entry.ID, on)
			default:
				_, err = cs.Resolve(ctx, c.entry.ID, on, why.Text, how.Selected == endInError)
			}
			return err
		}, func(err error) {
			if err == nil {
				ed.reload()
			}
		})
}
