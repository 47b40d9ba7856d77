package printout

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"folio/app"
)

// longWord is a word too long for a line, which must break, not run off
// the page.
var longWord = "Pneumonoultramicroscopicsilicovolcanoconiosis" + strings.Repeat("X", 120) + "END"

// sampleNote is a signed visit of a patient whose names carry accents and
// another script, with a note long enough for three pages or more (each
// paragraph numbered, so the test can find every one), two addenda and
// its coding.
func sampleNote(paragraphs int) app.NotePrint {
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	var hist []string
	for i := range paragraphs {
		hist = append(hist, fmt.Sprintf("Paragraph %03d: dry cough for two weeks, worse at night, with fevers and night sweats; "+
			"no haemoptysis. Lives with three children in Kisoro; a neighbour was treated for tuberculosis last year.", i+1))
	}
	e := app.Encounter{ID: "0193a1b2-0000-7000-8000-000000000001", Time: at, Type: app.EncOutpatient, Site: "Kisoro Health Centre IV",
		Clinician: "doc", Reason: "cough for two weeks — «toux»",
		Vitals: app.Vitals{TemperatureC: 38.2, Pulse: 96, Systolic: 118, Diastolic: 76, RespRate: 22, SpO2: 95, WeightKg: 61, HeightCm: 165, MUACCm: 24.5},
		Note: app.Note{History: strings.Join(hist, "\n") + "\n" + longWord,
			Examination: "Crackles at the right apex.\tNo clubbing.", Assessment: "Suspected pulmonary tuberculosis; pneumonia not excluded.",
			Plan: "Sputum GeneXpert ×2, chest X-ray, review Friday."},
		Signed: &app.Signature{By: "doc", At: at.Add(40 * time.Minute), Hash: strings.Repeat("ab", 32)},
		Addenda: []app.Addendum{
			{Text: "First addendum: GeneXpert MTB detected, rifampicin resistance not detected.", By: "doc", At: at.Add(72 * time.Hour), Hash: strings.Repeat("cd", 32)},
			{Text: "Second addendum: started on RHZE, Ольга Петрова (treatment supporter) informed.", By: "doc2", At: at.Add(96 * time.Hour), Hash: strings.Repeat("ef", 32)},
		},
	}
	return app.NotePrint{
		Patient: app.Patient{ID: "p1", MRN: "KAB-000141-R", Given: "Zoë Amélie", Family: "Nakimuli-Ødegård", Sex: app.SexFemale,
			BirthDate: app.BirthDate{Year: 1984, Month: 3, Day: 12}},
		Encounter: e,
		Diagnoses: []app.Diagnosis{
			{System: "ICD-10-CM", Version: "2022", Code: "A15.0", Description: "Tuberculosis of lung", Principal: true},
			{System: "ICD-10-CM", Version: "2022", Code: "J18.9", Description: "Pneumonia, unspecified organism"},
		},
		Procedures: []app.Procedure{{System: "local", Code: "XR-CH", Description: "Chest X-ray, one view"}, {System: "CPT", Code: "87556"}},
		Site:       "KAB",
		Names:      map[string]string{"doc": "Dr Émile Okot", "doc2": "Dr Ana Núñez"},
		PrintedBy:  "grace",
		PrintedAt:  at.Add(100 * time.Hour),
	}
}

// oneLine joins a page's text into words separated by single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// checkEveryPage checks through MuPDF that every page of the PDF b names
// the patient and the MRN and says "Page i of n", and returns the text of
// all pages, words joined by single spaces.
func checkEveryPage(t *testing.T, b []byte, name, mrn string, minPages int) string {
	t.Helper()
	doc := openPDF(t, b)
	n := doc.NumPage()
	if n < minPages {
		t.Fatalf("%d pages, want at least %d", n, minPages)
	}
	var all strings.Builder
	for i := range n {
		txt := oneLine(pageText(t, doc, i))
		for _, want := range []string{name, "MRN " + mrn, fmt.Sprintf("Page %d of %d", i+1, n)} {
			if !strings.Contains(txt, want) {
				t.Errorf("page %d of %d lacks %q:\n%s", i+1, n, want, txt)
			}
		}
		all.WriteString(txt + " ")
	}
	return all.String()
}

// inOrder checks that each of wants is in s, each after the one before.
func inOrder(t *testing.T, s string, wants ...string) {
	t.Helper()
	at := 0
	for _, w := range wants {
		i := strings.Index(s[at:], w)
		if i < 0 {
			t.Errorf("%q missing (or out of order) in the PDF's text", w)
			continue
		}
		at += i + len(w)
	}
}

// A signed note long enough for several pages reads back through MuPDF:
// every page names the patient (accents kept) and the MRN and says "Page
// i of N" with the right N; the heading, vitals with units, every
// paragraph of the note in order, the too-long word (broken, not lost),
// the diagnoses and procedures, the signature and the addenda after it.
func TestVisitNotePDF(t *testing.T) {
	n := sampleNote(40)
	b := pdfBytes(t, func(b *bytes.Buffer) error { return VisitNotePDF(b, n) })
	if dir := os.Getenv("FOLIO_SAVE_PDF"); dir != "" {
		_ = os.WriteFile(dir+"/visit-note.pdf", b, 0o600)
	}
	all := checkEveryPage(t, b, "Zoë Amélie Nakimuli-Ødegård", "KAB-000141-R", 3)
	if got := metadata(openPDF(t, b), "title"); got != "Visit note KAB-000141-R" {
		t.Errorf("title %q", got)
	}
	wants := []string{"Visit note", "Kisoro Health Centre IV", "Sex: Female", "Date of birth: 1984-03-12, 42 years at the visit",
		"Outpatient visit, 2026-12-01 09:30 UTC", "Dr Émile Okot (doc)", "cough for two weeks — «toux»",
		"Temperature: 38.2 °C", "Pulse: 96 /min", "Blood pressure: 118/76 mmHg", "Respiratory rate: 22 /min", "SpO2: 95 %",
		"Weight: 61 kg", "Height: 165 cm", "BMI: 22.4 kg/m²", "MUAC: 24.5 cm", "History"}
	for i := range 40 {
		wants = append(wants, fmt.Sprintf("Paragraph %03d:", i+1))
	}
	wants = append(wants, "Examination", "Crackles at the right apex. No clubbing.", "Assessment", "Suspected pulmonary tuberculosis",
		"Plan", "Sputum GeneXpert ×2", "Diagnoses", "A15.0", "Tuberculosis of lung (principal, ICD-10-CM 2022)",
		"J18.9", "Pneumonia, unspecified organism", "Procedures", "XR-CH", "Chest X-ray, one view", "87556", "CPT code",
		"Electronically signed by Dr Émile Okot (doc) on 2026-12-01 10:10 UTC", "Addenda",
		"Addendum 1 of 2", "First addendum: GeneXpert MTB detected", "Signed by Dr Émile Okot (doc) on 2026-12-04 09:30 UTC",
		"Addendum 2 of 2", "Ольга Петрова", "Signed by Dr Ana Núñez (doc2) on 2026-12-05 09:30 UTC")
	inOrder(t, all, wants...)
	if !strings.Contains(strings.ReplaceAll(all, " ", ""), longWord) {
		t.Error("the long word was lost")
	}
	if !strings.Contains(all, "Printed by grace on 2026-12-05 13:30 UTC") {
		t.Error("the footer does not say who printed it when")
	}
}

// A short note is one page: "Page 1 of 1"; a note with no vital signs,
// coding or addenda says so.
func TestVisitNotePDFShort(t *testing.T) {
	n := sampleNote(1)
	n.Encounter.Vitals, n.Diagnoses, n.Procedures, n.Encounter.Addenda = app.Vitals{}, nil, nil, nil
	n.Encounter.Note.History = "Short."
	b := pdfBytes(t, func(b *bytes.Buffer) error { return VisitNotePDF(b, n) })
	all := checkEveryPage(t, b, "Nakimuli-Ødegård", "KAB-000141-R", 1)
	if openPDF(t, b).NumPage() != 1 {
		t.Errorf("a short note on %d pages", openPDF(t, b).NumPage())
	}
	inOrder(t, all, "No vital signs recorded.", "Not coded yet.", "Electronically signed")
	if strings.Contains(all, "Addend") || strings.Contains(all, "Procedures") {
		t.Errorf("empty sections printed:\n%s", all)
	}
}

// A referral letter reads back: every page names the patient and says
// "Page i of N"; the recipient, the reason, the findings, the diagnoses,
// the chart's allergies, problems and medications, and the referring
// clinician's sign-off.
func TestReferralPDF(t *testing.T) {
	r := app.ReferralPrint{NotePrint: sampleNote(25),
		To: app.ReferralTo{Recipient: "Dr Sánchez, Mulago National Referral Hospital", Reason: "Chest physician review: suspected TB with pneumonia"},
		Summary: app.Summary{
			Allergies:   []app.ChartEntry{{Section: app.SectionAllergy, Substance: "Penicillin", Reaction: "urticaria", Severity: app.SeverityModerate}},
			Problems:    []app.ChartEntry{{Section: app.SectionProblem, Code: "E11.9", Text: "Type 2 diabetes mellitus without complications", Chronic: true, Onset: time.Date(2019, 5, 2, 0, 0, 0, 0, time.UTC)}},
			Medications: []app.ChartEntry{{Section: app.SectionMedication, Text: "Metformin", Dose: "500 mg twice daily", Start: time.Date(2019, 5, 2, 0, 0, 0, 0, time.UTC)}},
		}}
	b := pdfBytes(t, func(b *bytes.Buffer) error { return ReferralPDF(b, r) })
	if dir := os.Getenv("FOLIO_SAVE_PDF"); dir != "" {
		_ = os.WriteFile(dir+"/referral.pdf", b, 0o600)
	}
	all := checkEveryPage(t, b, "Zoë Amélie Nakimuli-Ødegård", "KAB-000141-R", 2)
	inOrder(t, all, "Referral letter", "To", "Dr Sánchez, Mulago National Referral Hospital", "Date 5 December 2026",
		"Dear colleague,", "Thank you for seeing Zoë Amélie Nakimuli-Ødegård (MRN KAB-000141-R), whom I saw on 1 December 2026 (outpatient visit)",
		"Reason for referral", "Chest physician review: suspected TB with pneumonia",
		"Reason for the visit", "cough for two weeks", "Vital signs", "Blood pressure: 118/76 mmHg",
		"History", "Paragraph 001:", "Paragraph 025:", "Examination", "Assessment", "Plan", "Diagnoses", "A15.0 Tuberculosis of lung",
		"Allergies", "• Penicillin: urticaria (moderate)", "Active problems", "• E11.9 Type 2 diabetes mellitus without complications (chronic), since 2019-05-02",
		"Current medications", "• Metformin 500 mg twice daily, since 2019-05-02",
		"Corrections to the visit note (addenda)", "Addendum 1 of 2", "Addendum 2 of 2",
		"Yours sincerely,", "Dr Émile Okot (doc)", "Referring clinician, Kisoro Health Centre IV")

	// No allergy recorded is not "no known allergies", and says so.
	r.Summary = app.Summary{NoKnownAllergies: true}
	all = checkEveryPage(t, pdfBytes(t, func(b *bytes.Buffer) error { return ReferralPDF(b, r) }), "Nakimuli-Ødegård", "KAB-000141-R", 1)
	inOrder(t, all, "No known allergies (recorded in the chart).", "Active problems", "None recorded.", "Current medications", "None recorded.")
	r.Summary = app.Summary{}
	all = checkEveryPage(t, pdfBytes(t, func(b *bytes.Buffer) error { return ReferralPDF(b, r) }), "Nakimuli-Ødegård", "KAB-000141-R", 1)
	inOrder(t, all, "None recorded: the chart does not say whether the patient has allergies.")
}

// A draft is not printed: the writers refuse a note without a signature.
func TestNotePDFRefusesDraft(t *testing.T) {
	n := sampleNote(1)
	n.Encounter.Signed = nil
	var b bytes.Buffer
	if err := VisitNotePDF(&b, n); !errors.Is(err, app.ErrInvalid) {
		t.Errorf("draft note: %v", err)
	}
	if err := ReferralPDF(&b, app.ReferralPrint{NotePrint: n, To: app.ReferralTo{Recipient: "Dr X"}}); !errors.Is(err, app.ErrInvalid) {
		t.Errorf("referral from a draft: %v", err)
	}
}
