package app_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"

	"folio/app"
	"folio/classify"
	"folio/profile"
)

// textPDF makes a one-page PDF with a text layer of the given lines.
func textPDF(t *testing.T, lines ...string) []byte {
	t.Helper()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 12)
	for _, l := range lines {
		pdf.Cell(0, 8, l)
		pdf.Ln(8)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// queued imports a one-page text document and returns it, queued.
func queued(t *testing.T, s *app.Session, name string, lines ...string) app.Document {
	t.Helper()
	r := importFile(t, s, name, textPDF(t, lines...))
	if len(r.Documents) != 1 || r.Documents[0].Status != app.DocQueued {
		t.Fatalf("%s: %+v", name, r.Documents)
	}
	return r.Documents[0]
}

func learned(t *testing.T, s *app.Session) map[string]int {
	t.Helper()
	got, err := s.TypeRules().Learned(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Each filing a clerk makes teaches the next proposal, once: a correction
// moves the evidence, an undo takes it back, QA's verification adds
// nothing; the evidence is sealed on disk.
func TestFilingsTeachTypeProposals(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	file := func(doc app.Document, typ string) app.Document {
		t.Helper()
		f, err := d.clerk.Indexing().FileDocument(ctx, doc.ID, app.FileParams{Patient: d.amina.MRN, Type: typ})
		if err != nil {
			t.Fatalf("file %s as %s: %v", doc.ID, typ, err)
		}
		return f
	}
	vaccines := []string{"Influenza seasonal injectable", "Hepatitis B adolescent", "Tetanus diphtheria toxoids", "Pneumococcal conjugate"}
	var cards []app.Document
	for i, v := range vaccines[:3] {
		doc := queued(t, d.clerk, "card"+string(rune('a'+i))+".pdf", "KINGMAN HEALTHCARE CENTRE", "Vaccine given: "+v, "Lot number and site recorded")
		if i == 0 && (doc.ProposedType.Value != "other" || !strings.Contains(doc.ProposedType.Reason, "no keyword")) {
			t.Fatalf("before any filing: %+v", doc.ProposedType)
		}
		cards = append(cards, file(doc, "immunization-record"))
		note := queued(t, d.clerk, "note"+string(rune('a'+i))+".pdf", "Chief complaint: cough and fever", "History of present illness, "+v, "Assessment and plan: rest")
		file(note, "clinical-note")
	}
	if got, want := learned(t, d.clerk), map[string]int{"immunization-record": 3, "clinical-note": 3}; !maps.Equal(got, want) {
		t.Fatalf("learned %v, want %v", got, want)
	}

	next := queued(t, d.clerk, "card-next.pdf", "KINGMAN HEALTHCARE CENTRE", "Vaccine given: "+vaccines[3], "Lot number and site recorded")
	if p := next.ProposedType; p.Value != "immunization-record" || !strings.HasPrefix(p.Reason, "learned from 3 filed documents (words: ") {
		t.Fatalf("after three filings: %+v", p)
	}
	if next.Type != "immunization-record" {
		t.Errorf("the queued document's type is %q, not its proposal", next.Type)
	}

	// A correction moves the evidence; filing it again as it was adds nothing.
	moved := file(cards[0], "other")
	if got, want := learned(t, d.clerk), map[string]int{"immunization-record": 2, "clinical-note": 3, "other": 1}; !maps.Equal(got, want) {
		t.Fatalf("after a correction: %v, want %v", got, want)
	}
	moved = file(moved, "other")
	if got := learned(t, d.clerk)["other"]; got != 1 {
		t.Fatalf("filing again as the same type counted it %d times", got)
	}
	// An undo takes it back; filing it again teaches again.
	undone, err := d.clerk.Indexing().UndoFiling(ctx, moved.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := learned(t, d.clerk), map[string]int{"immunization-record": 2, "clinical-note": 3}; !maps.Equal(got, want) {
		t.Fatalf("after the undo: %v, want %v", got, want)
	}
	refiled := file(undone, "immunization-record")
	if _, err := d.second.Documents().Verify(ctx, refiled.ID); err != nil {
		t.Fatal(err)
	}
	if got := learned(t, d.clerk)["immunization-record"]; got != 3 {
		t.Fatalf("after filing again and QA: immunization-record taught by %d documents, want 3", got)
	}
	// Sent back from QA, a filing teaches nothing until it is filed again.
	if _, err := d.second.Indexing().SendBack(ctx, cards[1].ID, "wrong patient"); err != nil {
		t.Fatal(err)
	}
	if got := learned(t, d.clerk)["immunization-record"]; got != 2 {
		t.Fatalf("after a send-back: %d, want 2", got)
	}

	d.prof.Close()
	raw, err := os.ReadFile(filepath.Join(d.prof.Dir, profile.VaultFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{"kingman", "KINGMAN", "pneumococcal", "healthcare"} {
		if bytes.Contains(raw, []byte(word)) {
			t.Errorf("%q is on disk in plaintext", word)
		}
	}
}

// The keyword rules are a setting: records managers and administrators
// change them, audited with what changed; others may not; a reset brings
// back the built-in rules; new documents are proposed with the rules of
// the moment, and the rules are sealed on disk.
func TestTypeRulesSetting(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	admin := login(t, d.prof.Vault, "admin", adminPW)
	scanner := staff(t, d.prof.Vault, admin, "sam", app.RoleScanning, "scanning clerk words")

	rules, builtIn, err := d.clerk.TypeRules().Rules(ctx)
	if err != nil || !builtIn || len(rules) != len(classify.DefaultRules()) {
		t.Fatalf("at first: %d rules, built-in %v, %v", len(rules), builtIn, err)
	}
	custom := append(classify.Rules{{Type: "immunization-record", Keywords: []string{" Zanzibarium ", "vaccine given"}}}, rules...)
	if err := scanner.TypeRules().Set(ctx, custom); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a scanning clerk set the rules: %v", err)
	}
	if err := d.clerk.TypeRules().Set(ctx, classify.Rules{{Type: "Lab Result", Keywords: []string{"x"}}}); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("a bad type: %v", err)
	}
	if err := d.clerk.TypeRules().Set(ctx, custom); err != nil {
		t.Fatal(err)
	}
	rules, builtIn, err = scanner.TypeRules().Rules(ctx)
	if err != nil || builtIn || rules[0].Type != "immunization-record" || strings.Join(rules[0].Keywords, "|") != "zanzibarium|vaccine given" {
		t.Fatalf("after the change: %+v, built-in %v, %v", rules[:1], builtIn, err)
	}
	doc := queued(t, d.clerk, "card.pdf", "Kingman Healthcare Centre", "Vaccine given: measles")
	if p := doc.ProposedType; p.Value != "immunization-record" || p.Reason != "words: vaccine given (rule)" {
		t.Fatalf("proposal with the new rule: %+v", p)
	}

	if err := admin.TypeRules().Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, builtIn, _ := d.clerk.TypeRules().Rules(ctx); !builtIn {
		t.Fatal("the reset left the rules changed")
	}
	got := auditDetails(t, admin, app.ActSettings)
	want := []string{"ok: document type rules: new type immunization-record (zanzibarium, vaccine given)",
		"ok: document type rules reset to the built-in ones: type immunization-record removed"}
	if len(got) < 2 || !slicesHaveSuffix(got, want) {
		t.Fatalf("audit %q, want it to end with %q", got, want)
	}
	if !strings.HasPrefix(got[0], "denied: ") {
		t.Errorf("the scanning clerk's refused change is not audited: %q", got)
	}
}

func slicesHaveSuffix(got, want []string) bool {
	if len(got) < len(want) {
		return false
	}
	for i, w := range want {
		if got[len(got)-len(want)+i] != w {
			return false
		}
	}
	return true
}
