package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testclock"
	"folio/internal/testkit"
)

// BenchmarkCompletion2000 computes the records manager's worklist and a
// clinician's on a vault of 2,000 encounters in 200 charts: per chart one
// draft past its 24 hours, one signed visit not coded, one coded with a
// procedure and no consent, and seven complete (signed and coded): 600
// open deficiencies. For comparison it also reads the coding worklist,
// which decrypts every encounter, and one chart's completion. Each read
// appends its audit event (a write to the vault file).
func BenchmarkCompletion2000(b *testing.B) {
	ctx := context.Background()
	clock := testclock.New(completionStart)
	prof, _ := newVault(b, clock)
	admin := testkit.Login(b, prof.Vault, "admin", adminPW)
	for name, role := range map[string]app.Role{"doc": app.RoleClinician, "grace": app.RoleRecords} {
		testkit.AddUser(b, admin, app.User{Name: name, Roles: app.RoleSet{role}}, staffPW[name])
	}
	doc, grace := testkit.Login(b, prof.Vault, "doc", staffPW["doc"]), testkit.Login(b, prof.Vault, "grace", staffPW["grace"])
	set := testkit.ICD10CM(b)
	start := time.Now()
	n, last := 0, ""
	for p := range 200 {
		pats, err := grace.Patients().Register(ctx, app.Patient{Family: fmt.Sprintf("Banda%03d", p), Given: "Amina", Sex: app.SexFemale, BirthDate: bd(1984, 3, 12)})
		if err != nil {
			b.Fatal(err)
		}
		last = pats[0].MRN
		for i := range 10 {
			e, err := doc.Encounters().Add(ctx, pats[0].MRN, visit(completionStart.Add(-time.Duration(48+i)*time.Hour)))
			if err != nil {
				b.Fatal(err)
			}
			n++
			if i == 0 {
				continue
			}
			e.Note = app.Note{Assessment: "Pneumonia.", Plan: "Amoxicillin."}
			if _, err := doc.Encounters().Sign(ctx, e); err != nil {
				b.Fatal(err)
			}
			if i == 1 {
				continue
			}
			a := app.Assignment{Diagnoses: []string{"J18.9"}}
			if i == 2 {
				a.Procedures = []string{"99213"}
			}
			if _, err := grace.Coding(set).Assign(ctx, e.ID, a); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("built %d encounters in 200 charts in %s", n, time.Since(start).Round(time.Millisecond))
	clock.Add(time.Hour)
	var open int
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"chart", func() error { _, err := grace.Completion().Chart(ctx, last); return err }},
		{"all", func() error { ds, err := grace.Completion().All(ctx); open = len(ds); return err }},
		{"mine", func() error { _, err := doc.Completion().Mine(ctx); return err }},
		{"coding-worklist", func() error { _, err := grace.Coding(set).Worklist(ctx, ""); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
	if want := 200 * 3; open != want {
		b.Fatalf("%d open deficiencies, want %d", open, want)
	}
}
