package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// visitReading shows a visit read-only: a signed note with its addenda
// below it, or a draft that is someone else's.
type visitReading struct {
	box fyne.CanvasObject
}

func newVisitReading(e app.Encounter) *visitReading {
	var state fyne.CanvasObject
	if e.Signed != nil {
		state = banner(bannerGood, theme.ConfirmIcon(), wrapped(fmt.Sprintf(
			"Signed by %s on %s%s. A signed note is never changed: Ctrl+M adds a signed addendum below it.",
			visible.Line(e.Signed.By), whenText(e.Signed.At), olderForm(e.Signed.KeySigned()))))
	} else {
		state = banner(bannerCaution, theme.WarningIcon(), wrapped(fmt.Sprintf(
			"A draft by %s, not signed yet. Only %s may change or sign it.", visible.Line(e.Clinician), visible.Line(e.Clinician))))
	}
	items := []fyne.CanvasObject{state,
		readLine("Seen by", visitLine(e)),
		readLine("Vital signs", vitalsText(e.Vitals)),
	}
	for _, s := range []struct{ title, text string }{
		{"History", e.Note.History}, {"Examination", e.Note.Examination},
		{"Assessment", e.Note.Assessment}, {"Plan", e.Note.Plan},
	} {
		items = append(items, fieldCaption(s.title), noteText(s.text))
	}
	if len(e.Addenda) > 0 {
		items = append(items, sectionTitle("Addenda"))
		for _, a := range e.Addenda {
			items = append(items, muted(fmt.Sprintf("Addendum signed by %s, %s%s", visible.Line(a.By), whenText(a.At), olderForm(a.KeySigned()))), noteText(a.Text))
		}
	}
	return &visitReading{box: container.NewVBox(items...)}
}

// readLine is a caption and a value on one line.
func readLine(caption, value string) fyne.CanvasObject {
	rt := widget.NewRichText(
		&widget.TextSegment{Text: caption + "   ", Style: styleMuted},
		&widget.TextSegment{Text: value, Style: styleRegular})
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// noteText is a section of the note, its lines kept; "—" when empty.
func noteText(s string) *widget.Label {
	if strings.TrimSpace(s) == "" {
		l := widget.NewLabel("—")
		l.Importance = widget.LowImportance
		return l
	}
	l := wrapped(visible.Text(s))
	l.Selectable = true
	return l
}

// vitalsText is the signs taken, with their units: "T 37.2 °C · P 88 /min · BP 120/80 mmHg".
func vitalsText(v app.Vitals) string {
	var parts []string
	add := func(name string, x float64, unit string) {
		if x != 0 {
			parts = append(parts, fmt.Sprintf("%s %g %s", name, x, unit))
		}
	}
	add("Temperature", v.TemperatureC, "°C")
	add("pulse", float64(v.Pulse), "/min")
	if v.Systolic != 0 {
		parts = append(parts, fmt.Sprintf("BP %d/%d mmHg", v.Systolic, v.Diastolic))
	}
	add("resp. rate", float64(v.RespRate), "/min")
	add("SpO2", float64(v.SpO2), "%")
	add("weight", v.WeightKg, "kg")
	add("height", v.HeightCm, "cm")
	if b := v.BMI(); b != 0 {
		parts = append(parts, fmt.Sprintf("BMI %.1f", b))
	}
	add("MUAC", v.MUACCm, "cm")
	if len(parts) == 0 {
		return "none taken"
	}
	return strings.Join(parts, " · ")
}

// olderForm marks a signature made before notes were signed with the
// signer's key (a content hash only).
func olderForm(keySigned bool) string {
	if keySigned {
		return ""
	}
	return " (older form, not key-signed)"
}
