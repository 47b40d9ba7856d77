package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	fitz "github.com/gen2brain/go-fitz"

	"folio/app"
	"folio/internal/testkit"
)

// pdfPages opens a PDF with MuPDF and returns each page's text, words
// joined by single spaces.
func pdfPages(t *testing.T, b []byte) []string {
	t.Helper()
	doc, err := fitz.NewFromMemory(b)
	if err != nil {
		t.Fatalf("MuPDF cannot open the PDF: %v", err)
	}
	defer doc.Close()
	pages := make([]string, doc.NumPage())
	for i := range pages {
		txt, err := doc.Text(i)
		if err != nil {
			t.Fatal(err)
		}
		pages[i] = strings.Join(strings.Fields(txt), " ")
	}
	return pages
}

// checkPages checks that every page names the patient and the MRN and
// says "Page i of N", and returns all the text.
func checkPages(t *testing.T, pages []string, p app.Patient) string {
	t.Helper()
	for i, txt := range pages {
		for _, want := range []string{p.FullName(), "MRN " + p.MRN, fmt.Sprintf("Page %d of %d", i+1, len(pages))} {
			if !strings.Contains(txt, want) {
				t.Errorf("page %d of %d lacks %q", i+1, len(pages), want)
			}
		}
	}
	return strings.Join(pages, " ")
}

// A signed note prints as a PDF through the real vault and the real
// printout, with its addendum and coding; a draft is refused in words a
// clerk understands; a referral letter carries the chart's allergies and
// medications and is for clinicians to write; every print is audited,
// naming the encounter.
func TestNoteAndReferralPDF(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	e, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(time.Now().Add(-2*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err = c.grace.Encounters().NotePDF(ctx, e.ID, &buf)
	if !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), "still a draft: only a signed note can be printed") || !strings.Contains(err.Error(), "ask doc to sign it") {
		t.Fatalf("printing a draft: %v", err)
	}
	if err := c.doc.Encounters().ReferralPDF(ctx, e.ID, app.ReferralTo{Recipient: "Dr Okot, Mulago"}, &buf); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("a referral from a draft: %v", err)
	}
	if buf.Len() != 0 {
		t.Fatal("a refused print wrote something")
	}

	e.Note = app.Note{History: strings.Repeat("Dry cough for two weeks with night sweats and weight loss. ", 120),
		Examination: "Crackles at the right apex.", Assessment: "Suspected pulmonary tuberculosis.", Plan: "Sputum GeneXpert."}
	if e, err = c.doc.Encounters().Sign(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc2.Encounters().Addendum(ctx, e.ID, "GeneXpert positive; treatment started."); err != nil {
		t.Fatal(err)
	}
	if _, err := c.grace.Coding(testkit.ICD10CM(t)).Assign(ctx, e.ID, app.Assignment{Diagnoses: []string{"A15.0", "J18.9"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc.ChartSummary().Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionAllergy, Substance: "Penicillin",
		Reaction: "rash", Severity: app.SeverityModerate}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.doc.ChartSummary().Add(ctx, c.amina.MRN, app.ChartEntry{Section: app.SectionMedication, Text: "Metformin",
		Dose: "500 mg twice daily", Start: time.Now().AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}

	// The records clerk prints the signed note.
	if err := c.grace.Encounters().NotePDF(ctx, e.ID, &buf); err != nil {
		t.Fatal(err)
	}
	pages := pdfPages(t, buf.Bytes())
	if len(pages) < 2 {
		t.Fatalf("a long note on %d page", len(pages))
	}
	all := checkPages(t, pages, c.amina)
	for _, want := range []string{"Visit note", "Kisoro HC", "Sex: Female", "1984-03-12", "Temperature: 38.2 °C", "Blood pressure: 118/76 mmHg",
		"Crackles at the right apex.", "A15.0", "Tuberculosis of lung", "principal", "J18.9", "Electronically signed by doc",
		"Addendum 1 of 1", "GeneXpert positive; treatment started.", "Signed by doc2", "Printed by grace"} {
		if !strings.Contains(all, want) {
			t.Errorf("the note's PDF lacks %q", want)
		}
	}

	// Referral letters are the clinician's; the records clerk may not.
	buf.Reset()
	to := app.ReferralTo{Recipient: "Dr Okot, Mulago National Referral Hospital", Reason: "Chest physician review"}
	if err := c.grace.Encounters().ReferralPDF(ctx, e.ID, to, &buf); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a records clerk's referral letter: %v", err)
	}
	if err := c.doc.Encounters().ReferralPDF(ctx, e.ID, app.ReferralTo{Recipient: "  "}, &buf); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("a letter to no one: %v", err)
	}
	if err := c.doc.Encounters().ReferralPDF(ctx, e.ID, to, &buf); err != nil {
		t.Fatal(err)
	}
	all = checkPages(t, pdfPages(t, buf.Bytes()), c.amina)
	for _, want := range []string{"Referral letter", "Dr Okot, Mulago National Referral Hospital", "Reason for referral", "Chest physician review",
		"Suspected pulmonary tuberculosis.", "A15.0", "• Penicillin: rash (moderate)", "• Metformin 500 mg twice daily", "Yours sincerely,"} {
		if !strings.Contains(all, want) {
			t.Errorf("the referral letter lacks %q", want)
		}
	}

	// Audited, naming the encounter; the refusals too.
	obj := "encounter/" + e.ID + "@"
	for act, want := range map[app.Action][]string{
		app.ActNotePrint:     {"ok: visit note of "},
		app.ActReferralPrint: {"denied: ", "ok: referral letter to Dr Okot, Mulago National Referral Hospital: Chest physician review"},
	} {
		events, err := c.admin.Audit().Events(ctx, app.AuditFilter{Action: act})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != len(want) {
			t.Fatalf("%s: %d events: %+v", act, len(events), events)
		}
		for i, ev := range events {
			got := string(ev.Outcome) + ": " + ev.Detail
			if !strings.HasPrefix(got, want[i]) || ev.Outcome == app.OutcomeOK && (ev.Patient != c.amina.MRN || !strings.HasPrefix(ev.Object, obj)) {
				t.Errorf("%s event %d: %s %s %q", act, i, ev.Patient, ev.Object, got)
			}
		}
	}

	// A note altered past the services (its plan changed and its hash
	// recomputed by someone holding the vault keys, no user's signing
	// key) is not printed, with or without an addendum.
	other := signedVisit(t, c, c.amina.MRN, app.EncOutpatient, time.Now().Add(-time.Hour))
	for _, id := range []string{e.ID, other.ID} {
		if err := c.admin.ForgeEncounter(ctx, id, func(e *app.Encounter) {
			e.Note.Plan = "Discharge, no treatment."
			app.Reseal(e, nil)
		}); err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if err := c.grace.Encounters().NotePDF(ctx, id, &buf); !errors.Is(err, app.ErrTampered) || buf.Len() != 0 {
			t.Fatalf("printing a forged note: %v, %d bytes", err, buf.Len())
		}
	}
}
