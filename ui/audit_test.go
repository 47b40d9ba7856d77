package ui

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/profile"
	"folio/storage/tamper"
)

// openAdmin opens the section of Administration under Ctrl+key as an
// administrator would: Ctrl+U, then Ctrl+key.
func openAdmin[S screen](t *testing.T, u *App, key fyne.KeyName) S {
	t.Helper()
	u.input.shortcut(ctrl(fyne.KeyU))
	u.tasks.wait()
	u.input.shortcut(ctrl(key))
	u.tasks.wait()
	return current[S](t, u)
}

// openAudit opens Administration's Audit section with Ctrl+4.
func openAudit(t *testing.T, u *App) *auditScreen {
	t.Helper()
	s := openAdmin[*auditScreen](t, u, fyne.Key4)
	if placeOf(s) != placeAdmin {
		t.Fatal("the sidebar does not show Administration as the current place")
	}
	return s
}

// auditRowOf renders row i of the list as the window draws it.
func auditRowOf(s *auditScreen, i int) []*widget.Label {
	row := s.list.CreateItem()
	s.list.UpdateItem(i, row)
	var out []*widget.Label
	for _, o := range row.(*fyne.Container).Objects {
		out = append(out, o.(*widget.Label))
	}
	return out
}

// filterBy types text into a filter field and presses Enter.
func filterBy(u *App, e *entry, text string) {
	e.SetText("")
	test.Type(e, text)
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
}

// The administrator reviews the audit trail in the window: filtered by
// patient, by action (from the drop-down), by user and day; a break-glass
// opening and a refused attempt stand out; the events on show are saved
// as CSV, a reason that tries to forge a row or a spreadsheet formula
// kept on one line and inert; and the reviewing is itself in the trail.
func TestAuditScreenFiltersHighlightsAndExports(t *testing.T) {
	ctx := context.Background()
	u, reg := loggedIn(t, nil, mary(), app.Patient{Family: "Wekesa", Given: "John", Sex: app.SexMale,
		BirthDate: app.BirthDate{Year: 1990, Month: 1, Day: 2}})
	addUser(t, u.sess.s, clinPW, "dr.amani")
	doc, err := u.vault.Login(ctx, "dr.amani", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	reason := "=1+2 patient collapsed\n09:00 admin login ok"
	if _, err := doc.Patients().BreakGlass(ctx, reg[0].MRN, reason); err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Audit().Events(ctx, app.AuditFilter{}); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a clinician read the audit trail: %v", err)
	}
	doc.Lock(ctx)
	if _, err := u.sess.s.Patients().Open(ctx, reg[1].MRN); err != nil {
		t.Fatal(err)
	}

	s := openAudit(t, u)
	if len(s.events) < 8 || s.summary.Text == "" {
		t.Fatalf("the whole trail shows %d events (%q)", len(s.events), s.summary.Text)
	}
	if !s.events[0].Time.After(s.events[len(s.events)-1].Time) && s.events[0].Seq < s.events[len(s.events)-1].Seq {
		t.Fatal("the list is not newest first")
	}

	// By patient: only the events about Mary, the break-glass among them,
	// marked.
	filterBy(u, s.mrn, strings.ToLower(reg[0].MRN))
	if len(s.events) == 0 {
		t.Fatalf("no events about %s: %q", reg[0].MRN, s.msg.Text)
	}
	glass := -1
	for i, e := range s.events {
		if e.Patient != reg[0].MRN {
			t.Fatalf("filtered by %s, the list shows %+v", reg[0].MRN, e)
		}
		if e.Action == app.ActBreakGlass {
			glass = i
		}
	}
	if glass < 0 {
		t.Fatalf("the break-glass is missing: %+v", s.events)
	}
	row := auditRowOf(s, glass)
	if row[1].Text != "dr.amani" || row[3].Text != "break-glass" || row[0].Importance != widget.WarningImportance ||
		!row[7].TextStyle.Bold || row[7].Importance != widget.WarningImportance {
		t.Fatalf("the break-glass row: %q %q, importance %v, bold %v", row[1].Text, row[3].Text, row[7].Importance, row[7].TextStyle.Bold)
	}
	// It names the role that allowed it and the permission used.
	if row[2].Text != "clinician" || row[6].Text != "break-glass" {
		t.Fatalf("the break-glass row's role %q and permission %q", row[2].Text, row[6].Text)
	}
	if strings.ContainsAny(row[7].Text, "\n") || !strings.Contains(row[7].Text, `collapsed\n09:00`) {
		t.Fatalf("the reason is shown as %q", row[7].Text)
	}
	s.list.Select(glass)
	if !strings.Contains(s.picked.Text, "dr.amani (clinician)") || !strings.Contains(s.picked.Text, "permission break-glass") || !strings.Contains(s.picked.Text, "patient/") {
		t.Fatalf("the selected event reads %q", s.picked.Text)
	}

	// By action, from the drop-down of the actions in the trail: the
	// refused reading by the clinician is there, in red.
	s.mrn.SetText("")
	if !slices.Contains(s.action.Options, string(app.ActAuditRead)) || !slices.Contains(s.action.Options, string(app.ActBreakGlass)) {
		t.Fatalf("the drop-down offers %v", s.action.Options)
	}
	s.action.SetSelected(string(app.ActAuditRead))
	u.tasks.wait()
	denied := -1
	for i, e := range s.events {
		if e.Action != app.ActAuditRead {
			t.Fatalf("filtered by audit.read, the list shows %+v", e)
		}
		if e.Outcome == app.OutcomeDenied && e.User == "dr.amani" {
			denied = i
		}
	}
	if denied < 0 {
		t.Fatalf("the clinician's refused reading is not listed: %+v", s.events)
	}
	if row := auditRowOf(s, denied); row[5].Text != "denied" || row[5].Importance != widget.DangerImportance || row[6].Text != string(app.PermAuditRead) {
		t.Fatalf("the refused reading: %q, importance %v, permission %q", row[5].Text, row[5].Importance, row[6].Text)
	}
	// The readings of this screen are in the trail, by admin, and are
	// not highlighted.
	mine := 0
	for i, e := range s.events {
		if e.User == "admin" && e.Outcome == app.OutcomeOK {
			mine++
			if row := auditRowOf(s, i); row[0].Importance != widget.MediumImportance || row[0].TextStyle.Bold {
				t.Fatal("an ordinary event is highlighted")
			}
		}
	}
	if mine < 2 {
		t.Fatalf("the screen's own readings are not audited: %d", mine)
	}

	// By user and day: dr.amani from tomorrow on is nothing; a date in
	// words is refused with what to write.
	s.action.SetSelected(allActions)
	u.tasks.wait()
	filterBy(u, s.user, "dr.amani")
	if len(s.events) < 3 {
		t.Fatalf("dr.amani's events: %+v", s.events)
	}
	for _, e := range s.events {
		if e.User != "dr.amani" {
			t.Fatalf("filtered by dr.amani, the list shows %+v", e)
		}
	}
	filterBy(u, s.since, u.now().AddDate(0, 0, 1).Format("2006-01-02"))
	if len(s.events) != 0 || !s.export.Disabled() {
		t.Fatalf("events from tomorrow on: %+v", s.events)
	}
	filterBy(u, s.since, "last week")
	if !strings.Contains(s.msg.Text, "YYYY-MM-DD") || u.win.Canvas().Focused() != s.since {
		t.Fatalf("a bad date says %q", s.msg.Text)
	}
	filterBy(u, s.since, "")
	filterBy(u, s.user, "dr amani")
	if s.msg.Text != `User name "dr amani": use 1 to 32 letters, digits, '.', '_' or '-'.` || u.win.Canvas().Focused() != s.user {
		t.Fatalf("a bad user name says %q", s.msg.Text)
	}
	filterBy(u, s.user, "dr.amani")

	// Export: dr.amani's events, as shown, oldest first, one row each.
	filterBy(u, s.since, "")
	shown := len(s.events)
	var f memFile
	s.exportTo("audit.csv", auditCSV, &f)
	u.tasks.wait()
	if !f.closed || !strings.Contains(s.msg.Text, "exported as CSV") {
		t.Fatalf("export: closed %v, %q", f.closed, s.msg.Text)
	}
	recs, err := csv.NewReader(strings.NewReader(f.String())).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, f.String())
	}
	if got := strings.Join(recs[0], ","); got != "Seq,Time,User,Role,Action,Patient,Outcome,Permission,Detail,Object,Device" {
		t.Fatalf("CSV header %q", got)
	}
	if len(recs)-1 != shown {
		t.Fatalf("CSV has %d events, the list %d", len(recs)-1, shown)
	}
	var glassRec []string
	for _, r := range recs[1:] {
		if r[2] != "dr.amani" {
			t.Fatalf("CSV row of another user: %q", r)
		}
		if r[4] == "break-glass" {
			glassRec = r
		}
	}
	if glassRec == nil || glassRec[5] != reg[0].MRN || glassRec[8] != `'=1+2 patient collapsed\n09:00 admin login ok` ||
		glassRec[3] != string(app.RoleClinician) || glassRec[7] != string(app.PermBreakGlass) {
		t.Fatalf("the break-glass row of the CSV: %q", glassRec)
	}
	if strings.Count(f.String(), "\n") != len(recs) {
		t.Fatal("a value spans lines in the CSV")
	}
}

// Export PDF… writes the events on show as a report that MuPDF reads
// back: the filters, who exported it, each event a row with the
// break-glass and the refused reading marked, page numbers. The export is
// in the audit trail with its filters and file; Print sends the same
// report to the printer, or offers to save it where there is none.
func TestAuditScreenExportsPDFAndPrints(t *testing.T) {
	ctx := context.Background()
	u, reg := loggedIn(t, nil, mary())
	u.opts.Printer = noPrinter()
	addUser(t, u.sess.s, clinPW, "dr.amani")
	doc, err := u.vault.Login(ctx, "dr.amani", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Patients().BreakGlass(ctx, reg[0].MRN, "patient collapsed"); err != nil {
		t.Fatal(err)
	}
	_, _ = doc.Audit().Events(ctx, app.AuditFilter{}) // refused
	doc.Lock(ctx)

	s := openAudit(t, u)
	filterBy(u, s.user, "dr.amani")
	shown := len(s.events)
	if shown < 3 || s.exportPDF.Disabled() || s.print.Disabled() {
		t.Fatalf("dr.amani's events: %d; Export PDF disabled %v, Print disabled %v", shown, s.exportPDF.Disabled(), s.print.Disabled())
	}
	test.Tap(s.exportPDF)
	if len(u.dialogs.open) != 1 {
		t.Fatal("Export PDF… opened no save dialog")
	}
	tapInDialog(t, u, "Cancel")

	var f memFile
	s.exportTo("file:///home/admin/audit.pdf", auditPDF, &f)
	u.tasks.wait()
	if !f.closed || !strings.Contains(s.msg.Text, plural(shown, "event", "events")+" exported as PDF") {
		t.Fatalf("export: closed %v, %q", f.closed, s.msg.Text)
	}
	pdf := openPDF(t, f.Bytes())
	var text strings.Builder
	for i := range pdf.NumPage() {
		page, err := pdf.Text(i)
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(page)
	}
	got := text.String()
	for _, want := range []string{"Folio audit report", "user dr.amani", "by admin on", "Page 1 of 1",
		"BREAK-GLASS", "patient collapsed", "REFUSED", "missing permission audit.read", "login"} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q:\n%s", want, got)
		}
	}
	for _, e := range s.events {
		if !strings.Contains(got, e.Time.Local().Format("2006-01-02 15:04:05")) {
			t.Errorf("event %d (%s) is not in the report", e.Seq, e.Action)
		}
	}
	ev, err := auditAs(t, u.vault, "admin", app.ActAuditExport)
	if err != nil || len(ev) != 1 || ev[0].User != "admin" ||
		ev[0].Detail != fmt.Sprintf("%d events (user dr.amani) as PDF to file:///home/admin/audit.pdf", shown) {
		t.Fatalf("the export is not audited as it was: %+v, %v", ev, err)
	}

	printFails(t, u, "audit", s.print, s.msg)
	ev, err = auditAs(t, u.vault, "admin", app.ActAuditExport)
	if err != nil || len(ev) != 2 || !strings.HasSuffix(ev[1].Detail, "as PDF to the printer") {
		t.Fatalf("printing is not audited as an export to the printer: %+v, %v", ev, err)
	}
}

// openIntegrity opens Administration's Integrity check with Ctrl+5.
func openIntegrity(t *testing.T, u *App) *integrityScreen {
	t.Helper()
	return openAdmin[*integrityScreen](t, u, fyne.Key5)
}

// Check now runs `folio verify`'s check and says OK on a sound vault, and
// when it was last run, also after the screen is opened again.
func TestIntegrityCheckOK(t *testing.T) {
	u, _ := loggedIn(t, nil, mary())
	s := openIntegrity(t, u)
	if !strings.Contains(s.last.Text, "not been checked yet") {
		t.Fatalf("before any check: %q", s.last.Text)
	}
	test.Tap(s.check)
	u.tasks.wait()
	if s.verdict.Text != "OK: no problems found." || s.verdict.Importance != widget.SuccessImportance ||
		!strings.Contains(s.counts.Text, "1 patient,") || !strings.Contains(s.last.Text, "just now") {
		t.Fatalf("a sound vault: %q %q %q %q", s.verdict.Text, s.counts.Text, s.last.Text, s.msg.Text)
	}
	for _, o := range s.findings.Objects {
		if l := o.(*widget.Label); strings.HasPrefix(l.Text, "Problem") {
			t.Fatalf("a sound vault has a finding: %q", l.Text)
		}
	}
	s = openIntegrity(t, u)
	if !strings.Contains(s.last.Text, "by admin: no problems") {
		t.Fatalf("the last check, read back: %q", s.last.Text)
	}
}

// On a vault whose audit trail was rewritten offline (an entry deleted,
// the checkpoints removed), Check now says problems were found and names
// each, as `folio verify` does.
func TestIntegrityCheckFindsDamage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "KAB"}); err != nil {
		t.Fatal(err)
	}
	s, err := prof.Vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := s.Patients().Register(ctx, mary())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Patients().Open(ctx, reg[0].MRN); err != nil {
		t.Fatal(err)
	}
	s.Lock(ctx)
	prof.Close()
	path := filepath.Join(dir, profile.VaultFile)
	n, err := tamper.CountEntries(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tamper.DeleteEntry(path, n-2); err != nil {
		t.Fatal(err)
	}
	if err := tamper.DeleteCheckpoints(path); err != nil {
		t.Fatal(err)
	}
	u := newWindow(t, reopen(t, dir), Options{})
	logIn(t, u, "admin", adminPW)
	is := openIntegrity(t, u)
	test.Tap(is.check)
	u.tasks.wait()
	if !strings.HasPrefix(is.verdict.Text, "Problems found") || is.verdict.Importance != widget.DangerImportance {
		t.Fatalf("a damaged vault: %q %q", is.verdict.Text, is.msg.Text)
	}
	var problems []string
	for _, o := range is.findings.Objects {
		if l := o.(*widget.Label); strings.HasPrefix(l.Text, "Problem:") {
			problems = append(problems, l.Text)
		}
	}
	if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), "checkpoints were removed") {
		t.Fatalf("the problems named: %q", problems)
	}
}
