package ui

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// fileScan imports a corpus scan as the session's user and files its
// document in a patient's chart, as the indexing queue would.
func fileScan(t *testing.T, u *App, name, mrn, kind, date string) app.Document {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", "scans", name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := u.sess.s.Intake().ImportFile(ctx, name, "test", data)
	if err != nil || len(res.Documents) != 1 {
		t.Fatalf("import %s: %d documents, %v", name, len(res.Documents), err)
	}
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		t.Fatal(err)
	}
	d, err := u.sess.s.Indexing().FileDocument(ctx, res.Documents[0].ID, app.FileParams{Patient: mrn, Type: kind, Date: day})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// chartWithDocuments logs a records clerk (grace) in, with Mary registered
// and two scans filed in her chart: a lab result of 3 pages (2026-09-01)
// and a referral of 1 page (2026-10-14). A clinician, dr.amani, exists.
func chartWithDocuments(t *testing.T) (u *App, p app.Patient, lab, referral app.Document) {
	t.Helper()
	ctx := context.Background()
	v, admin := adminVault(t)
	addUser(t, admin, clerkPW, "grace", app.RoleRecords)
	addUser(t, admin, clinPW, "dr.amani")
	admin.Lock(ctx)
	u = newWindow(t, v, Options{})
	logIn(t, u, "grace", clerkPW)
	p = register(t, u, mary())[0]
	lab = fileScan(t, u, "paperless__multi-page-images.pdf", p.MRN, "lab-result", "2026-09-01")
	referral = fileScan(t, u, "paperless__simple.png", p.MRN, "referral", "2026-10-14")
	return u, p, lab, referral
}

func docIDs(docs []app.Document) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.ID)
	}
	return out
}

// The chart's timeline lists the documents newest first and filters them
// by type; the grid shows their thumbnails; Enter on a row opens the
// viewer; the access log shows a records clerk the document reads and is
// not offered to a clinician.
func TestPatientChartTabs(t *testing.T) {
	u, p, lab, referral := chartWithDocuments(t)
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if !strings.Contains(v.facts.String(), "Kisoro") {
		t.Fatalf("the header does not give the village: %q", v.facts.String())
	}
	if v.chart.tabs.Selected() != v.chart.timeTab {
		t.Fatalf("the chart opens on %q", v.chart.tabs.Selected().Text)
	}
	if got := strings.Join(docIDs(v.chart.timeDocs), ","); got != referral.ID+","+lab.ID {
		t.Fatalf("timeline order %s, want the referral (newest) then the lab result", got)
	}

	v.chart.kindFilter.SetSelected("Lab result")
	if len(v.chart.timeDocs) != 1 || v.chart.timeDocs[0].ID != lab.ID {
		t.Fatalf("filtered on lab results: %v", docIDs(v.chart.timeDocs))
	}
	v.chart.kindFilter.SetSelected("Consent")
	if len(v.chart.timeDocs) != 0 || !strings.Contains(timelineText(v), "No consent for this patient") {
		t.Fatalf("no consent: %v, %q", docIDs(v.chart.timeDocs), timelineText(v))
	}
	v.chart.kindFilter.SetSelected(allTypes)
	if len(v.chart.timeDocs) != 2 || !strings.Contains(timelineText(v), "Wednesday 14 October 2026") {
		t.Fatalf("all types again: %v, %q", docIDs(v.chart.timeDocs), timelineText(v))
	}

	// The grid loads the thumbnails when its tab is first shown.
	v.chart.tabs.Select(v.chart.gridTab)
	u.tasks.wait()
	for _, d := range []app.Document{lab, referral} {
		if img := v.chart.thumbs[d.ID]; img == nil || img.Image == nil {
			t.Fatalf("no thumbnail for %s", d.Type)
		}
	}
	if len(v.chart.grid.Objects) != 2 {
		t.Fatalf("%d cards", len(v.chart.grid.Objects))
	}

	// Enter on the lab result's row opens it.
	v.chart.tabs.Select(v.chart.timeTab)
	v.chart.timeRows[1].TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	dv := current[*docViewer](t, u)
	if dv.doc.ID != lab.ID {
		t.Fatalf("opened %s", dv.doc.ID)
	}
	if v.chart.thumbs[lab.ID] != nil || len(v.chart.timeDocs) != 0 {
		t.Fatal("the chart left behind still holds its documents")
	}
	u.input.escape()
	u.tasks.wait()
	v = current[*patientScreen](t, u)
	if v.p.ID != p.ID {
		t.Fatalf("back from the viewer to %s", v.p.MRN)
	}

	// The access log: the clerk sees who read the documents.
	if !v.chart.hasTab(v.chart.accessTab) {
		t.Fatal("a records clerk has no access log")
	}
	v.chart.tabs.Select(v.chart.accessTab)
	u.tasks.wait()
	// Issue 14, item 9: opening the document in the viewer (its record,
	// its first page, its thumbnails) is one line naming it.
	var read int
	var listed bool
	for _, e := range v.chart.access {
		if e.Action == app.ActDocRead && e.Object == "document/"+lab.ID && e.User == "grace" {
			read++
		}
		listed = listed || (e.Action == app.ActDocRead && e.Object == "" && e.User == "grace")
	}
	if read != 1 || !listed {
		t.Fatalf("the access log has %d reads of the lab result for one opening (want 1), listed %v: %+v", read, listed, v.chart.access)
	}
	opened := fmt.Sprintf("opened a document   Lab result, 2026-09-01, %d pages", len(lab.Pages))
	if !strings.Contains(accessText(v), opened) {
		t.Fatalf("the access log does not name the document opened (%q): %q", opened, accessText(v))
	}
	for i := 1; i < len(v.chart.access); i++ {
		if v.chart.access[i].Time.After(v.chart.access[i-1].Time) {
			t.Fatal("the access log is not newest first")
		}
	}
	if strings.Contains(accessText(v), "read a document") || !strings.Contains(accessText(v), "opened the chart") {
		t.Fatalf("access log text %q", accessText(v))
	}
	// One opening of the chart is one line naming what it read (the
	// walk of the README found four: the chart, its documents, its visits
	// and its summary); the audit trail keeps each event.
	if text := accessText(v); strings.Contains(text, "listed the documents") || strings.Contains(text, "read the chart's summary") ||
		!regexp.MustCompile(`opened the chart +\d+ documents · \d+ encounters · summary: `).MatchString(text) {
		t.Fatalf("an opening of the chart is not one line with what it read: %q", text)
	}
	if lines := accessLines(v.chart.access); len(lines) >= len(v.chart.access) || !strings.HasPrefix(v.chart.accessNote.Text, plural(len(lines), "entry", "entries")) {
		t.Fatalf("%d lines for %d events, note %q", len(lines), len(v.chart.access), v.chart.accessNote.Text)
	}

	// A clinician sees the documents but not the access log.
	logInAgain(t, u, "dr.amani", clinPW)
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	v = current[*patientScreen](t, u)
	if v.chart.hasTab(v.chart.accessTab) || len(v.chart.timeDocs) != 2 {
		t.Fatalf("clinician: access log shown %v, %d documents", v.chart.hasTab(v.chart.accessTab), len(v.chart.timeDocs))
	}
}

// The chart works from the keyboard: it opens with the newest document
// focused, ↓ and ↑ move along the rows, Ctrl+Page Down and Ctrl+Page Up go
// round the tabs (the tab bar takes no focus), and no row of a hidden tab
// keeps the keyboard.
func TestPatientChartKeyboard(t *testing.T) {
	u, p, lab, referral := chartWithDocuments(t)
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	c := u.win.Canvas()
	if c.Focused() != v.chart.timeRows[0] || v.chart.timeDocs[0].ID != referral.ID {
		t.Fatalf("the chart opens with %v focused, want the newest document's row", c.Focused())
	}
	v.chart.timeRows[0].TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if c.Focused() != v.chart.timeRows[1] {
		t.Fatal("↓ does not move to the next document")
	}
	v.chart.timeRows[1].TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown}) // the last row stays
	v.chart.timeRows[1].TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if c.Focused() != v.chart.timeRows[0] {
		t.Fatal("↑ does not move back")
	}

	u.input.shortcut(ctrl(fyne.KeyPageDown))
	u.tasks.wait()
	if v.chart.tabs.Selected() != v.chart.gridTab || c.Focused() != v.chart.gridCards[0] {
		t.Fatalf("Ctrl+Page Down: tab %q, focus %v", v.chart.tabs.Selected().Text, c.Focused())
	}
	u.input.shortcut(ctrl(fyne.KeyPageDown))
	if v.chart.tabs.Selected() != v.chart.demoTab || c.Focused() != nil {
		t.Fatalf("Ctrl+Page Down again: tab %q, focus %v", v.chart.tabs.Selected().Text, c.Focused())
	}
	u.input.shortcut(ctrl(fyne.KeyPageDown))
	u.input.shortcut(ctrl(fyne.KeyPageDown)) // round from the access log to the timeline
	if v.chart.tabs.Selected() != v.chart.timeTab {
		t.Fatalf("Ctrl+Page Down round the tabs: %q", v.chart.tabs.Selected().Text)
	}
	u.input.shortcut(ctrl(fyne.KeyPageUp))
	if v.chart.tabs.Selected() != v.chart.accessTab {
		t.Fatalf("Ctrl+Page Up from the timeline: %q", v.chart.tabs.Selected().Text)
	}
	u.input.shortcut(ctrl(fyne.KeyPageDown))
	v.chart.timeRows[0].TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if dv := current[*docViewer](t, u); dv.doc.ID != lab.ID {
		t.Fatalf("Enter on the second row opened %s", dv.doc.ID)
	}
}

// The access log words the details it knows and passes others on.
func TestAccessDetailText(t *testing.T) {
	for _, c := range []struct {
		name string
		e    app.AuditEvent
		want string
	}{
		{"document list", app.AuditEvent{Action: app.ActDocRead, Detail: "document list: 5"}, "5 documents"},
		{"one document", app.AuditEvent{Action: app.ActDocRead, Detail: "document list: 1"}, "1 document"},
		{"filing", app.AuditEvent{Action: app.ActDocFile, Detail: "imaging-report, 2025-08-11"}, "Imaging report, 2025-08-11"},
		{"filing without a date", app.AuditEvent{Action: app.ActDocFile, Detail: "lab-result"}, "Lab result"},
		{"unknown type", app.AuditEvent{Action: app.ActDocFile, Detail: "x-ray, 2025-08-11"}, "x-ray, 2025-08-11"},
		{"opening", app.AuditEvent{Action: app.ActDocRead, Object: "document/x", Detail: "lab-result, 2026-03-02, 3 pages"}, "Lab result, 2026-03-02, 3 pages"},
		{"break-glass reason", app.AuditEvent{Action: app.ActBreakGlass, Detail: "emergency"}, "emergency"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := detailText(c.e); got != c.want {
				t.Fatalf("detailText = %q, want %q", got, c.want)
			}
		})
	}
}

// Every action recorded under a patient reads in words on the chart's
// access list, never as its code ("note.sign").
func TestAccessActionsInWords(t *testing.T) {
	// The actions no chart's access list shows: they name no patient
	// (sign-ins, users, the vault, lists across charts).
	notOnAChart := map[string]bool{
		"ActVaultCreate": true, "ActVaultVerify": true, "ActVaultRestored": true, "ActVaultBackup": true,
		"ActLogin": true, "ActLogout": true, "ActRecovery": true, "ActRecoveryKeyNew": true, "ActSigningKey": true,
		"ActUserAdd": true, "ActUserList": true, "ActUserPassword": true, "ActUserDisable": true,
		"ActUserEnable": true, "ActUserRole": true, "ActSettings": true, "ActAuditKeyed": true, "ActDemo": true,
		"ActCodingQueries": true, "ActCodingWorklist": true, "ActDeficiencyList": true, "ActConflictList": true,
		"ActKeysGrant": true, "ActKeysJoin": true, "ActSyncRefused": true,
	}
	acts := appActions(t)
	if len(acts) < 40 {
		t.Fatalf("found %d actions in package app, want all of them", len(acts))
	}
	for name, a := range acts {
		if notOnAChart[name] {
			continue
		}
		if got := actionText(app.AuditEvent{Action: a}); got == string(a) {
			t.Errorf("app.%s (%s) reads as %q on a chart's access list: give it words in actionText, or list it here as never on a chart", name, a, got)
		}
	}
}

// appActions reads every Action constant package app declares, so a new
// one cannot be missed here.
func appActions(t *testing.T) map[string]app.Action {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "app", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	acts := map[string]app.Action{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Action" {
					continue
				}
				for i, n := range v.Names {
					lit, ok := v.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("app.%s is not a string literal", n.Name)
					}
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					acts[n.Name] = app.Action(s)
				}
			}
		}
	}
	return acts
}

// A patient without documents is told so in words.
func TestPatientChartEmpty(t *testing.T) {
	u, reg := loggedIn(t, nil, mary())
	u.nav.openPatient(reg[0].MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	if !strings.Contains(timelineText(v), "No documents scanned for this patient yet.") {
		t.Fatalf("empty timeline: %q", timelineText(v))
	}
	v.chart.tabs.Select(v.chart.gridTab) // the grid is drawn when its tab shows
	u.tasks.wait()
	if !v.chart.gridNote.Visible() || !strings.Contains(v.chart.gridNote.Text, "No documents") {
		t.Fatalf("empty grid: %q", v.chart.gridNote.Text)
	}
}

func timelineText(v *patientScreen) string { return objectsText(v.chart.timeline.Objects) }

func accessText(v *patientScreen) string { return objectsText(v.chart.accessRows.Objects) }

// objectsText joins the text of the labels and rich texts under objs.
func objectsText(objs []fyne.CanvasObject) string {
	var b strings.Builder
	for _, o := range objs {
		switch w := o.(type) {
		case *widget.Label:
			b.WriteString(w.Text + "\n")
		case *widget.RichText:
			b.WriteString(w.String() + "\n")
		case *fyne.Container:
			b.WriteString(objectsText(w.Objects))
		case *tapRow:
			b.WriteString(objectsText([]fyne.CanvasObject{w.content}))
		}
	}
	return b.String()
}

// TestAttackAccessLogReasonForgesLines: a break-glass reason with a newline
// drew a line in the chart's access log that read as an entry of its own,
// and carried an escape sequence and a right-to-left override. The reason
// is shown on one line, those characters as escapes.
func TestAttackAccessLogReasonForgesLines(t *testing.T) {
	u, reg := loggedIn(t, nil, mary())
	ctx := context.Background()
	addUser(t, u.sess.s, clinPW, "dr.amani")
	doc, err := u.vault.Login(ctx, "dr.amani", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	reason := "patient collapsed\n08:00  admin  opened the chart\x1b[8m hidden \u202ereversed"
	if _, err := doc.Patients().BreakGlass(ctx, reg[0].MRN, reason); err != nil {
		t.Fatal(err)
	}
	doc.Lock(ctx)

	u.nav.openPatient(reg[0].MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	v.chart.tabs.Select(v.chart.accessTab)
	u.tasks.wait()
	shown := accessText(v)
	want := `patient collapsed\n08:00  admin  opened the chart\x1b[8m hidden \u202ereversed`
	if !strings.Contains(shown, want) || strings.ContainsAny(shown, "\x1b\u202e") || strings.Contains(shown, "collapsed\n") {
		t.Errorf("the access log shows the reason as %q; want it on one line: %q", shown, want)
	}
}

// Issue 14, item 8: a document QA sent back showed in the chart to the
// clinician as "Waiting to be filed". It is filed to this chart and being
// checked again, and the timeline says so.
func TestChartSentBackDocumentSaysWhatItIs(t *testing.T) {
	u, p, lab, _ := chartWithDocuments(t)
	if _, err := u.sess.s.Indexing().SendBack(context.Background(), lab.ID, "wrong date of service"); err != nil {
		t.Fatal(err)
	}
	logInAgain(t, u, "dr.amani", clinPW)
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	text := timelineText(v)
	if strings.Contains(text, "Waiting to be filed") || !strings.Contains(text, "Filed to this chart, being re-checked") {
		t.Fatalf("the clinician's timeline after QA sent the lab result back: %q", text)
	}
	if got := docStatusText(app.Document{Status: app.DocQueued}); got != "Waiting to be filed" {
		t.Fatalf("a document filed nowhere: %q", got)
	}
}
