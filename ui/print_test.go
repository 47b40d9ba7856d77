package ui

import (
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	fitz "github.com/gen2brain/go-fitz"

	"folio/app"
	"folio/printer"
	"folio/printer/printertest"
)

// noPrinter is the real printer of a computer where none is set up: lp
// asks a printing service that is not there (a closed port), or, where
// lp is not installed, is not found at all.
func noPrinter() printer.Printer {
	return printer.Printer{Env: []string{"CUPS_SERVER=127.0.0.1:1", "PATH=" + os.Getenv("PATH")}}
}

// printFails taps a Print button on a computer without a printer and
// checks the window says so and offers to save the PDF, whose save
// dialog then opens.
func printFails(t *testing.T, u *App, where string, print *widget.Button, msg messageLabel) {
	t.Helper()
	if print == nil || !print.Visible() || print.Disabled() || print.Icon == nil {
		t.Fatalf("%s: no Print button to press", where)
	}
	test.Tap(print)
	u.tasks.wait()
	if !strings.Contains(msg.Text, "not printed") {
		t.Fatalf("%s: the message after a failed print is %q", where, msg.Text)
	}
	if len(u.dialogs.open) != 1 || !strings.HasPrefix(u.dialogs.lastErr, "No printer is set up on this computer: save the PDF") {
		t.Fatalf("%s: %d dialogs, saying %q", where, len(u.dialogs.open), u.dialogs.lastErr)
	}
	failed := u.win.Canvas().Overlays().Top()
	tapInDialog(t, u, "Save PDF…")
	if top := u.win.Canvas().Overlays().Top(); top == nil || top == failed || len(u.dialogs.open) != 1 {
		t.Fatalf("%s: Save PDF… opened no save dialog", where)
	}
	tapInDialog(t, u, "Cancel")
}

// printsTo taps print with the real CUPS printer c set up, checks that the
// window says what ("The document") was sent to the printer and names the
// job, and opens the PDF that came out.
func printsTo(t *testing.T, c *printertest.CUPS, u *App, print *widget.Button, msg messageLabel, what string) *fitz.Document {
	t.Helper()
	test.Tap(print)
	u.tasks.wait()
	if !strings.Contains(msg.Text, what+" was sent to the printer (job folio-test-") || len(u.dialogs.open) != 0 {
		t.Fatalf("after Print: %q, %d dialogs (%q)", msg.Text, len(u.dialogs.open), u.dialogs.lastErr)
	}
	return openPDF(t, c.Printed(t))
}

// The recovery key screen of the first run, the recovery key dialog of
// Settings, the cover sheet of the scanning screen and the document
// viewer each have a Print button; where no printer is set up, each says
// so and offers to save the PDF instead. Printing a document is audited as
// its export to the printer.
func TestPrintButtonsOfferSaveWithoutAPrinter(t *testing.T) {
	t.Run("first-run recovery key", func(t *testing.T) {
		v := openVault(t, nil)
		u := newWindow(t, v, Options{Printer: noPrinter()})
		r := newRecoveryKeyScreen(u, "admin", "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-ABCD-EFGH-JKLM")
		u.show(r)
		printFails(t, u, "first-run recovery key", r.print, r.msg)
		if r.savePDF == nil || !r.savePDF.Visible() {
			t.Fatal("the first-run recovery key screen has no Save as PDF button")
		}
	})
	t.Run("new recovery key", func(t *testing.T) {
		v, _ := createdVault(t, nil)
		u := newWindow(t, v, Options{Printer: noPrinter()})
		logIn(t, u, "admin", adminPW)
		r := newRecoveryKeyDialog(u.sess, "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-ABCD-EFGH-JKLM")
		tapInDialog(t, u, r.print.Text) // the button is in the dialog
		u.tasks.wait()
		if !strings.Contains(r.msg.Text, "not printed") || !strings.HasPrefix(u.dialogs.lastErr, "No printer is set up") {
			t.Fatalf("new recovery key: %q, %q", r.msg.Text, u.dialogs.lastErr)
		}
		tapInDialog(t, u, "Save PDF…")
		tapInDialog(t, u, "Cancel")
	})
	t.Run("cover sheet", func(t *testing.T) {
		u := clerkLoggedIn(t)
		u.opts.Printer = noPrinter()
		p := register(t, u, mary())[0]
		test.Tap(u.side.items[placeScanning])
		st := current[*scanScreen](t, u)
		u.tasks.wait()
		test.Tap(st.coverPrint)
		if !strings.Contains(st.coverMsg.Text, "Find the patient first") || len(u.dialogs.open) != 0 {
			t.Fatalf("a cover sheet printed for nobody: %q", st.coverMsg.Text)
		}
		chooseCoverPatient(t, u, st, "okello", p.MRN)
		printFails(t, u, "cover sheet", st.coverPrint, st.coverMsg)

		// The patient screen's Cover sheet… dialog prints too.
		u.nav.openPatient(p.MRN)
		u.tasks.wait()
		ps := current[*patientScreen](t, u)
		test.Tap(ps.demo.coverBtn)
		if len(u.dialogs.open) != 1 || ps.demo.coverPrint == nil {
			t.Fatal("the patient screen's cover sheet dialog has no Print button")
		}
		test.Tap(ps.demo.coverPrint)
		u.tasks.wait()
		if len(u.dialogs.open) != 2 || !strings.HasPrefix(u.dialogs.lastErr, "No printer is set up") {
			t.Fatalf("patient cover sheet: %d dialogs, %q", len(u.dialogs.open), u.dialogs.lastErr)
		}
		tapInDialog(t, u, "Save PDF…")
		if len(u.dialogs.open) != 2 {
			t.Fatalf("patient cover sheet: Save PDF… opened no save dialog (%d dialogs)", len(u.dialogs.open))
		}
	})
	t.Run("document", func(t *testing.T) {
		u, p, lab, _ := chartWithDocuments(t)
		u.opts.Printer = noPrinter()
		v := openViewer(t, u, p, lab)
		printFails(t, u, "document viewer", v.output.printBtn, v.msg)
		ev, err := auditAs(t, u.vault, "admin", app.ActDocExport)
		if err != nil || len(ev) != 1 || ev[0].Object != "document/"+lab.ID || !strings.Contains(ev[0].Detail, "to the printer") {
			t.Fatalf("printing is not audited as an export to the printer: %+v, %v", ev, err)
		}
	})
}

// The document viewer's Print sends the document to a real CUPS printer
// (cups-pdf): the PDF that comes out has the document's pages, the window
// names the job, and the access is audited as an export to the printer.
func TestPrintDocumentReachesThePrinter(t *testing.T) {
	c := printertest.StartCUPS(t)
	u, p, lab, _ := chartWithDocuments(t)
	u.opts.Printer = c.Printer()
	v := openViewer(t, u, p, lab)
	doc := printsTo(t, c, u, v.output.printBtn, v.msg, "The document")
	if doc.NumPage() != len(lab.Pages) {
		t.Fatalf("%d pages printed, the document has %d", doc.NumPage(), len(lab.Pages))
	}
	ev, err := auditAs(t, u.vault, "admin", app.ActDocExport)
	if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Detail, "to the printer") {
		t.Fatalf("printing is not audited: %+v, %v", ev, err)
	}
}

// The Audit screen's Print sends the report of the events on show to a
// real CUPS printer (cups-pdf): the PDF that comes out has the report's
// one page, and the export is audited as going to the printer.
func TestPrintAuditReportReachesThePrinter(t *testing.T) {
	c := printertest.StartCUPS(t)
	u, _ := loggedIn(t, nil, mary())
	u.opts.Printer = c.Printer()
	s := openAudit(t, u)
	doc := printsTo(t, c, u, s.print, s.msg, "The audit report")
	// cups-pdf rewrites the PDF through Ghostscript onto portrait A4 and
	// drops the fonts' character maps: its text no longer reads back, its
	// pages do.
	if doc.NumPage() != 1 {
		t.Fatalf("%d pages printed; the report has 1", doc.NumPage())
	}
	ev, err := auditAs(t, u.vault, "admin", app.ActAuditExport)
	if err != nil || len(ev) != 1 || !strings.HasSuffix(ev[0].Detail, "(all events) as PDF to the printer") {
		t.Fatalf("printing is not audited: %+v, %v", ev, err)
	}
}
