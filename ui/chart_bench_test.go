package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"folio/app"
	"folio/printout"
)

// BenchmarkChartOpen500x2000 opens a big chart (issue 16): a patient with
// 500 visits (all but 20 signed, 5 of them with an addendum), 2,000 filed
// scanned documents of every type over ten years, and a summary of 3
// allergies, 4 problems and 4 medications. One op is Enter on the patient
// in the search list until the chart shows the first page of the
// timeline (visits and documents merged, newest first) and the summary
// (open-p50-ms, open-p95-ms), then the window's frame rendered by the
// test driver's software painter at 1366×768 (paint-p50-ms,
// paint-p95-ms: the whole frame, not only what changed), and the CPU the
// opening took (open-cpu-p50-ms, open-cpu-p95-ms: the wall time on a busy
// machine is mostly waiting). The documents are one-page PDFs with a
// text layer, imported through the real scan pool and filed; the
// visits are written through Encounters.Add and Sign.
func BenchmarkChartOpen500x2000(b *testing.B) {
	ctx := context.Background()
	prof := benchProfile(b, true)
	admin, err := prof.Vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		b.Fatal(err)
	}
	for name, role := range map[string]app.Role{"grace": app.RoleRecords, "dr.amani": app.RoleClinician} {
		if err := admin.Users().Add(ctx, userNamed(name, role), []byte(clerkPW)); err != nil {
			b.Fatal(err)
		}
	}
	admin.Lock(ctx)
	u := newWindow(b, prof.Vault, Options{})
	u.win.Resize(fyne.NewSize(1366, 768))
	logIn(b, u, "grace", clerkPW)
	reg, err := u.sess.s.Patients().Register(ctx, mary())
	if err != nil {
		b.Fatal(err)
	}
	p := reg[0]
	t0 := time.Now()
	fileDocuments(b, u.sess.s, p.MRN, 2000)
	b.Logf("filed 2,000 documents in %s", time.Since(t0).Round(time.Millisecond))
	u.lock("")
	u.tasks.wait()
	logIn(b, u, "dr.amani", clerkPW)
	t0 = time.Now()
	recordVisits(b, u.sess.s, p.MRN, 500)
	b.Logf("recorded 500 visits and the summary in %s", time.Since(t0).Round(time.Millisecond))

	var open, paint, cpu latencies
	for b.Loop() {
		b.StopTimer()
		u.nav.showSearch()
		s := current[*searchScreen](b, u)
		s.query.SetText(p.MRN)
		s.searchNow(p.MRN)
		u.tasks.wait()
		b.StartTimer()

		t0, c0 := time.Now(), processCPU(b)
		s.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		u.tasks.wait()
		cpu = append(cpu, processCPU(b)-c0)
		v, ok := u.cur.(*patientScreen)
		shown := ok && len(v.chart.timeRows) == timelinePage && v.summary.sum != nil && len(v.summary.sum.Allergies) == 3
		open = append(open, time.Since(t0))
		if !shown {
			b.Fatalf("the window (%T) does not show the timeline and the summary", u.cur)
		}
		u.win.Canvas().Capture()
		paint = append(paint, time.Since(t0))
		if len(v.chart.encs) != 500 || len(v.chart.docs) != 2000 || v.chart.timeItems[0].enc == nil {
			b.Fatalf("the chart read %d visits and %d documents", len(v.chart.encs), len(v.chart.docs))
		}
	}
	open.report(b, "open", true)
	cpu.report(b, "open-cpu", false)
	paint.report(b, "paint", false)
}

// processCPU is the CPU time the process has used (every goroutine's;
// the scan workers, other processes, are idle while a chart opens).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fileDocuments imports n one-page PDFs (each its own text) and files
// them in the chart of mrn, a type and a date of service each, over ten
// years back from today.
func fileDocuments(b *testing.B, s *app.Session, mrn string, n int) {
	b.Helper()
	ctx := context.Background()
	img := image.NewGray(image.Rect(0, 0, 85, 110))
	for i := range img.Pix {
		img.Pix[i] = 0xf0
	}
	img.Set(10, 10, color.Black)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		b.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for i := range n {
		var pdf bytes.Buffer
		if err := printout.SearchablePDF(&pdf, "scan", []printout.Page{{JPEG: jpg.Bytes(), DPI: 300,
			Text: fmt.Sprintf("Scanned page %d of the big chart's benchmark.", i)}}); err != nil {
			b.Fatal(err)
		}
		res, err := s.Intake().ImportFile(ctx, fmt.Sprintf("scan-%04d.pdf", i), "benchmark", pdf.Bytes())
		if err != nil || len(res.Documents) != 1 {
			b.Fatalf("import %d: %d documents, %v", i, len(res.Documents), err)
		}
		kind := app.DocumentTypes[i%len(app.DocumentTypes)]
		// From yesterday back: the newest visit, an hour ago, stays the
		// timeline's first item in the hour after midnight too.
		date := today.AddDate(0, 0, -1-(i*3650)/n)
		if _, err := s.Indexing().FileDocument(ctx, res.Documents[0].ID, app.FileParams{Patient: mrn, Type: kind, Date: date}); err != nil {
			b.Fatal(err)
		}
	}
}

// recordVisits writes n visits of every type over ten years (all but the
// newest 20 signed, every 100th with an addendum) and the summary.
func recordVisits(b *testing.B, s *app.Session, mrn string, n int) {
	b.Helper()
	ctx := context.Background()
	en := s.Encounters()
	now := time.Now().Add(-time.Hour)
	for i := range n {
		e, err := en.Add(ctx, mrn, app.Encounter{Type: app.EncounterTypes[i%len(app.EncounterTypes)],
			Time: now.Add(-time.Duration(i) * 7 * 24 * time.Hour), Site: "Kisoro HC IV", Reason: fmt.Sprintf("visit %d", i),
			Vitals: app.Vitals{TemperatureC: 37, Pulse: 80, Systolic: 120, Diastolic: 80},
			Note:   app.Note{History: "cough", Assessment: "bronchitis", Plan: "review"}})
		if err != nil {
			b.Fatal(err)
		}
		if i < 20 {
			continue
		}
		if e, err = en.Sign(ctx, e); err != nil {
			b.Fatal(err)
		}
		if i%100 == 0 {
			if _, err := en.Addendum(ctx, e.ID, "corrected the plan"); err != nil {
				b.Fatal(err)
			}
		}
	}
	cs := s.ChartSummary()
	entries := []app.ChartEntry{
		{Section: app.SectionAllergy, Substance: "penicillin", Reaction: "rash", Severity: app.SeveritySevere},
		{Section: app.SectionAllergy, Substance: "sulfa", Reaction: "hives", Severity: app.SeverityMild},
		{Section: app.SectionAllergy, Substance: "latex", Reaction: "wheeze", Severity: app.SeverityModerate},
	}
	for _, t := range []string{"hypertension", "type 2 diabetes", "asthma", "osteoarthritis"} {
		entries = append(entries, app.ChartEntry{Section: app.SectionProblem, Text: t, Chronic: true})
	}
	for _, m := range []string{"metformin", "amlodipine", "salbutamol", "paracetamol"} {
		entries = append(entries, app.ChartEntry{Section: app.SectionMedication, Text: m, Dose: "as prescribed", Start: now.AddDate(-1, 0, 0)})
	}
	for _, c := range entries {
		if _, err := cs.Add(ctx, mrn, c); err != nil {
			b.Fatal(err)
		}
	}
}
