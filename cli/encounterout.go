package cli

import (
	"io"
	"time"

	"folio/app"
)

// encounterJSON is an encounter as the command line prints it.
type encounterJSON struct {
	app.Encounter
	MRN     string  `json:"mrn"`
	Status  string  `json:"status"`
	BMI     float64 `json:"bmi,omitempty"`
	Version string  `json:"version"`
}

func encounterToJSON(e app.Encounter) encounterJSON {
	return encounterJSON{Encounter: e, MRN: e.MRN, Status: e.Status(), BMI: e.Vitals.BMI(), Version: e.Version.String()}
}

// writeEncounter prints the visit, its vital signs with their units, the
// note and its addenda, and the linked documents.
func writeEncounter(w io.Writer, e app.Encounter) {
	printf(w, "Encounter  %s (%s)\n", e.ID, e.Status())
	printf(w, "Patient    %s\n", e.MRN)
	printf(w, "Date       %s\n", e.Time.Local().Format("2006-01-02 15:04"))
	printf(w, "Type       %s\n", e.Type.Label())
	printf(w, "Clinician  %s\n", e.Clinician)
	if e.Site != "" {
		printf(w, "Site       %s\n", e.Site)
	}
	if e.Reason != "" {
		printf(w, "Reason     %s\n", e.Reason)
	}
	v := e.Vitals
	for _, r := range []struct {
		label, format string
		value         float64
	}{
		{"Temp", "%.1f °C", v.TemperatureC}, {"Pulse", "%.0f /min", float64(v.Pulse)},
		{"Resp rate", "%.0f /min", float64(v.RespRate)}, {"SpO2", "%.0f %%", float64(v.SpO2)},
		{"Weight", "%g kg", v.WeightKg}, {"Height", "%g cm", v.HeightCm}, {"BMI", "%.1f kg/m²", v.BMI()},
		{"MUAC", "%g cm", v.MUACCm},
	} {
		if r.value != 0 {
			printf(w, "%-10s "+r.format+"\n", r.label, r.value)
		}
	}
	if v.Systolic != 0 {
		printf(w, "%-10s %d/%d mmHg\n", "BP", v.Systolic, v.Diastolic)
	}
	for _, d := range e.Documents {
		printf(w, "Document   %s\n", d)
	}
	writeNote(w, e)
}

// writeNote prints the note's sections, its signature and its addenda.
func writeNote(w io.Writer, e app.Encounter) {
	for _, s := range []struct{ name, text string }{{"History", e.Note.History}, {"Examination", e.Note.Examination},
		{"Assessment", e.Note.Assessment}, {"Plan", e.Note.Plan}} {
		if s.text != "" {
			printf(w, "%s:\n", s.name)
			printBlock(w, s.text)
		}
	}
	if e.Signed == nil {
		printLine(w, "Draft, not signed")
	} else {
		printf(w, "Signed by %s at %s%s\n", e.Signed.By, e.Signed.At.Local().Format(time.DateTime), signedForm(e.Signed.KeySigned()))
	}
	for i, a := range e.Addenda {
		printf(w, "Addendum %d, signed by %s at %s%s:\n", i+1, a.By, a.At.Local().Format(time.DateTime), signedForm(a.KeySigned()))
		printBlock(w, a.Text)
	}
}

// signedForm tells a signature in the older form (a content hash, not
// made with the signer's key) from a key signature.
func signedForm(keySigned bool) string {
	if keySigned {
		return " (key-signed)"
	}
	return " (older form, not key-signed)"
}
