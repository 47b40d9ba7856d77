package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"folio/app"
	"folio/visible"
)

// The Code 39 label of a real corpus page is shown with its page and place
// in the queue, in QA and in the viewer, and as the document's archive ID
// where the archive-identifier setting says so.
func TestBarcodesShownInQueueQAAndViewer(t *testing.T) {
	ctx := context.Background()
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	if err := u.sess.s.Settings().SetBarcodeSettings(ctx, app.BarcodeSettings{ArchivePattern: `^ASN\d+$`}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", "barcodes", "paperless__barcode-39-asn-123.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := u.sess.s.Intake().ImportFile(ctx, "asn.pdf", "test", data)
	if err != nil || len(r.Documents) != 1 {
		t.Fatalf("import: %+v, %v", r, err)
	}
	id := r.Documents[0].ID
	const code = "Barcode: page 1: Code 39 ASN00123, archive ID, "

	u.input.shortcut(ctrl(fyne.KeyJ))
	q := current[*queueScreen](t, u)
	u.tasks.wait()
	if !strings.Contains(q.why.Text, "Archive ID: ASN00123") || !strings.Contains(q.why.Text, code) {
		t.Fatalf("the queue says:\n%s", q.why.Text)
	}
	if _, err := u.sess.s.Indexing().FileDocument(ctx, id, app.FileParams{Patient: p.MRN, Type: "other"}); err != nil {
		t.Fatal(err)
	}

	u.nav.showDocument(id)
	v := current[*docViewer](t, u)
	u.tasks.wait()
	u.tasks.wait()
	if !v.codes.Visible() || !strings.HasPrefix(v.codes.Text, "Barcode: Code 39 ASN00123, archive ID, ") {
		t.Fatalf("the viewer's page shows codes %q (visible %v)", v.codes.Text, v.codes.Visible())
	}
	if title := v.status.Text; !strings.Contains(title, "archive ID ASN00123") {
		t.Fatalf("the viewer's status line: %q", title)
	}
	// The code is outlined where it is on the page.
	if len(v.words) != 1 || len(v.stage.Objects) != 2 || v.words[0].Empty() || !v.words[0].In(v.img.Bounds()) {
		t.Fatalf("the viewer marks %v on a %v page (%d objects)", v.words, v.img.Bounds(), len(v.stage.Objects))
	}

	u.lock("")
	logIn(t, u, "peter", clerkPW)
	u.input.shortcut(ctrl(fyne.KeyK))
	qa := current[*qaScreen](t, u)
	u.tasks.wait()
	if len(qa.docs) != 1 || !strings.Contains(qa.choices.Text, "Archive ID: ASN00123") || !strings.Contains(qa.choices.Text, code) {
		t.Fatalf("QA: %d documents, %q", len(qa.docs), qa.choices.Text)
	}
}

// A code's value is text from paper: what the window shows of it is
// escaped, so a right-to-left override or a newline in a QR code neither
// reverses the line nor forges another.
func TestBarcodeValuesGoThroughVisible(t *testing.T) {
	hostile := "ASN1\u202e2\nArchive ID: FAKE"
	d := app.Document{ArchiveIDs: []string{hostile}, Pages: []app.DocPage{{Width: 100, Height: 100,
		Barcodes: []app.Barcode{{Format: "QR_CODE", Value: hostile, ArchiveID: true, X: 1, Y: 1, W: 10, H: 10}}}}}
	shown := append(codeLines(d), strings.Split(pageCodesText(d, 0), "\n")...)
	if len(shown) != 3 {
		t.Fatalf("%d lines: %q", len(shown), shown)
	}
	for _, line := range shown {
		if line != visible.Line(line) || strings.ContainsRune(line, '\u202e') {
			t.Errorf("shown as it is: %q", line)
		}
	}
}

// The administrator sets the archive-identifier pattern and the split in
// Settings; a pattern that is no regular expression, or that would take
// every code, is refused with the reason and nothing changes.
func TestSettingsArchiveIdentifiers(t *testing.T) {
	ctx := context.Background()
	u, _ := loggedIn(t, nil)
	s := openSettings(t, u)
	if !strings.HasPrefix(s.archiveIDs.now.Text, "None") || s.splitIDs.Checked {
		t.Fatalf("before: %q, split %v", s.archiveIDs.now.Text, s.splitIDs.Checked)
	}
	s.splitIDs.SetChecked(true)
	saveAs(u, s.archiveIDs, `^ASN\d+$`)
	if bs := u.vault.BarcodeSettings(ctx); bs.ArchivePattern != `^ASN\d+$` || !bs.Split {
		t.Fatalf("saved %+v (%q)", bs, s.archiveIDs.msg.Text)
	}
	if !strings.Contains(s.archiveIDs.now.Text, "each starting a new document") || !strings.HasPrefix(s.archiveIDs.msg.Text, "Saved.") {
		t.Fatalf("after saving: now %q, %q", s.archiveIDs.now.Text, s.archiveIDs.msg.Text)
	}
	for pattern, why := range map[string]string{`^ASN(\d+$`: "not a regular expression", `.*`: "matches an empty code"} {
		saveAs(u, s.archiveIDs, pattern)
		if !strings.Contains(s.archiveIDs.msg.Text, why) || !strings.Contains(s.archiveIDs.msg.Text, "Nothing was changed") {
			t.Errorf("%s: %q", pattern, s.archiveIDs.msg.Text)
		}
		if bs := u.vault.BarcodeSettings(ctx); bs.ArchivePattern != `^ASN\d+$` {
			t.Errorf("%s: saved %+v", pattern, bs)
		}
	}
}
