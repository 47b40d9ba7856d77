package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	fitz "github.com/gen2brain/go-fitz"

	"folio/app"
	"folio/scan"
)

// TestMain lets this test binary be its own scan worker: the profile
// starts workers as "<this executable> scan-worker".
func TestMain(m *testing.M) {
	scan.ServeIfWorker(os.Args)
	os.Exit(m.Run())
}

const clerkPW = "records clerk passphrase"

// A records clerk imports a scanned page from the station, sees the
// result, and files the queued document from the queue; the patient's
// screen prints a cover sheet whose code names the patient.
func TestScanningStation(t *testing.T) {
	ctx := context.Background()
	v, _ := createdVault(t, nil)
	admin, err := v.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.AddUser(ctx, userNamed("grace", app.RoleRecords), []byte(clerkPW)); err != nil {
		t.Fatal(err)
	}
	u := newWindow(t, v, Options{})
	logIn(t, u, "grace", clerkPW)
	p := register(t, u, mary())[0]
	if !u.side.items[placeScanning].Visible() {
		t.Fatal("a records clerk sees no Scanning button")
	}
	u.shortcut(ctrl(fyne.KeyI))
	current[*scanScreen](t, u)
	u.showSearch()
	test.Tap(u.side.items[placeScanning])
	st := current[*scanScreen](t, u)
	u.tasks.wait()

	st.importPaths([]string{filepath.Join("..", "..", "shared", "corpus", "scans", "paperless__simple.png")})
	u.tasks.wait()
	if len(u.sess.intake) != 1 || !strings.Contains(u.sess.intake[0], "paperless__simple.png: 1 page, 0 documents filed, 1 waiting") {
		t.Fatalf("intake lines: %q", u.sess.intake)
	}
	u.tasks.wait()
	if len(st.docs) != 1 {
		t.Fatalf("queue shows %d documents", len(st.docs))
	}
	st.file(st.docs[0].ID, p.MRN, "Clinical note", "2026-09-01")
	u.tasks.wait()
	u.tasks.wait()
	if !strings.Contains(st.msg.Text, "Filed in "+p.MRN) || len(st.docs) != 0 {
		t.Fatalf("after filing: %q, %d waiting", st.msg.Text, len(st.docs))
	}
	st.file("no-such-document", p.MRN, "Clinical note", "01/09/2026")
	if !strings.Contains(st.msg.Text, "YYYY-MM-DD") {
		t.Fatalf("a bad date: %q", st.msg.Text)
	}

	pdf, err := coverSheetPDF(u.sess, p, "Lab result", "2026-10-14", "2")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := fitz.NewFromMemory(pdf)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	text, _ := doc.Text(0)
	if !strings.Contains(text, p.MRN) || !strings.Contains(text, "OKELLO") {
		t.Fatalf("cover sheet text: %q", text)
	}
	if _, err := coverSheetPDF(u.sess, p, "Lab result", "14/10/2026", ""); err == nil {
		t.Fatal("a cover sheet with a badly written date was made")
	}
}
