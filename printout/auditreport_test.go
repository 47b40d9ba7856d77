package printout

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"folio/app"
)

// reportEvents makes n ordinary events with a break-glass opening, a
// refused and a failed attempt among them, and a reason that tries to
// print a row of its own.
func reportEvents(n int, at time.Time) []app.AuditEvent {
	var out []app.AuditEvent
	for i := range n {
		e := app.AuditEvent{Seq: uint64(i + 1), Time: at.Add(time.Duration(i) * time.Minute), User: "grace",
			Device: "desk-1", Action: app.ActPatientRead, Patient: "KAB-000141-R", Object: "patient/KAB-000141-R@3",
			Outcome: app.OutcomeOK, Detail: fmt.Sprintf("read number %d", i+1),
			Role: app.RoleRecords, Roles: app.RoleSet{app.RoleRecords, app.RoleScanning}, Permission: app.PermPatientRead}
		switch i {
		case 7:
			e.User, e.Action = "dr.amani", app.ActBreakGlass
			e.Detail = "patient collapsed in the waiting room, no relative reachable\n09:00 admin login ok"
		case 20:
			e.User, e.Action, e.Outcome, e.Detail = "dr.amani", app.ActAuditRead, app.OutcomeDenied, "missing permission audit.read"
		case 33:
			e.User, e.Action, e.Outcome, e.Detail = "kim", app.ActLogin, app.OutcomeFailed, "wrong password"
		case 40:
			e.Detail = strings.Repeat("a very long detail that wraps over several lines of its cell ", 8)
		}
		out = append(out, e)
	}
	return out
}

// The report reads back through MuPDF: its heading names the filters, the
// exporter and the time; every event is a row, in order; the break-glass,
// refused and failed rows are marked in words; a reason stays on its row;
// every page repeats the table's heading and says "Page i of n".
func TestAuditReportPDF(t *testing.T) {
	at := time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	r := AuditReport{Filter: "patient KAB-000141-R", Site: "KAB", ExportedBy: "admin", ExportedAt: at.Add(3 * time.Hour),
		Events: reportEvents(120, at)}
	b := pdfBytes(t, func(b *bytes.Buffer) error { return AuditReportPDF(b, r) })
	if dir := os.Getenv("FOLIO_SAVE_PDF"); dir != "" {
		_ = os.WriteFile(dir+"/audit-report.pdf", b, 0o600)
	}
	doc := openPDF(t, b)
	n := doc.NumPage()
	if n < 3 {
		t.Fatalf("120 events on %d pages", n)
	}
	if got := metadata(doc, "title"); got != "Folio audit report" {
		t.Errorf("title %q", got)
	}
	var all strings.Builder
	for i := range n {
		text := pageText(t, doc, i)
		if want := fmt.Sprintf("Page %d of %d", i+1, n); !strings.Contains(text, want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
		if !strings.Contains(text, "Outcome") || !strings.Contains(text, "Detail") {
			t.Errorf("page %d has no table heading", i+1)
		}
		all.WriteString(text)
	}
	text := all.String()
	first := pageText(t, doc, 0)
	for _, want := range []string{"Folio audit report", "patient KAB-000141-R", "by admin on 2026-12-06 12:30 UTC",
		"MRN site prefix KAB", "120, oldest first"} {
		if !strings.Contains(first, want) {
			t.Errorf("the first page lacks %q:\n%s", want, first)
		}
	}
	lines := strings.Split(text, "\n")
	last := -1
	for i := 1; i <= 120; i++ {
		want := fmt.Sprintf("read number %d", i)
		if i == 8 || i == 21 || i == 34 || i == 41 {
			continue
		}
		at := indexLine(lines, want)
		if at < 0 {
			t.Fatalf("event %d is not in the report", i)
		}
		if at < last {
			t.Fatalf("event %d is printed before event %d", i, i-1)
		}
		last = at
	}
	for _, c := range []struct{ mark, with string }{
		{"BREAK-GLASS", "patient collapsed"},
		{"REFUSED", "missing permission audit.read"},
		{"FAILED", "wrong password"},
	} {
		if strings.Count(text, c.mark) != 2 { // the legend names each mark once
			t.Errorf("%s appears %d times", c.mark, strings.Count(text, c.mark))
		}
		if !strings.Contains(text, c.with) {
			t.Errorf("the %s event's detail %q is missing", c.mark, c.with)
		}
	}
	// Each row says the role the user acted in and the permission used.
	if flat := strings.ReplaceAll(text, "\n", " "); !strings.Contains(flat, "grace as records") || !strings.Contains(flat, "patient.read using patient.read") {
		t.Errorf("the rows do not name the role and the permission:\n%s", first)
	}
	if !strings.Contains(text, `\n09:00`) {
		t.Error("a reason's newline is not shown as \\n: it may have started a line of its own")
	}
}

// An empty selection is a one-page report that says so.
func TestAuditReportPDFEmpty(t *testing.T) {
	b := pdfBytes(t, func(b *bytes.Buffer) error {
		return AuditReportPDF(b, AuditReport{Filter: "user nobody", ExportedBy: "admin", ExportedAt: time.Now()})
	})
	doc := openPDF(t, b)
	if doc.NumPage() != 1 {
		t.Fatalf("%d pages", doc.NumPage())
	}
	if text := pageText(t, doc, 0); !strings.Contains(text, "No events match these filters.") || !strings.Contains(text, "Page 1 of 1") {
		t.Fatalf("the empty report reads:\n%s", text)
	}
}

// indexLine is the index of the first line containing s, or -1.
func indexLine(lines []string, s string) int {
	for i, l := range lines {
		if strings.Contains(l, s) {
			return i
		}
	}
	return -1
}
