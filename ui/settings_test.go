package ui

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// openSettings opens Administration's Settings as an administrator would:
// Ctrl+U, then Ctrl+2.
func openSettings(t *testing.T, u *App) *settingsScreen {
	t.Helper()
	u.input.shortcut(ctrl(fyne.KeyU))
	u.tasks.wait()
	current[*usersScreen](t, u)
	u.input.shortcut(ctrl(fyne.Key2))
	u.tasks.wait()
	s := current[*settingsScreen](t, u)
	if placeOf(s) != placeAdmin || u.side.items[placeAdmin].Importance != widget.HighImportance {
		t.Fatal("the sidebar does not show Administration as the current place")
	}
	return s
}

// saveAs types text into a setting's field and presses Enter.
func saveAs(u *App, st *setting, text string) {
	st.field.SetText("")
	test.Type(st.field, text)
	st.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
}

// tapInDialog taps the button labelled label in the dialog on top.
func tapInDialog(t *testing.T, u *App, label string) {
	t.Helper()
	test.Tap(dialogButton(t, u, label))
}

// dialogButton is the button labelled label in the dialog on top.
func dialogButton(t *testing.T, u *App, label string) *widget.Button {
	t.Helper()
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is open")
	}
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Button:
			if x.Text == label {
				found = x
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			r := test.WidgetRenderer(x)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	walk(top)
	if found == nil {
		t.Fatalf("no %q button in the dialog", label)
	}
	return found
}

func TestSettingsScreenSavesEverySetting(t *testing.T) {
	ctx := context.Background()
	u, _ := loggedIn(t, nil)
	v := u.vault
	if got := u.side.items[placeAdmin].Text; !strings.HasPrefix(got, "Administration") {
		t.Fatalf("sidebar entry %q", got)
	}
	s := openSettings(t, u)
	if s.site.now.Text != "KAB" || s.site.field.Text != "KAB" || s.idle.field.Text != "10" ||
		s.workers.field.Text != "0" || s.archive.now.Text != "None" || !strings.HasPrefix(s.drop.now.Text, "None") {
		t.Fatalf("current values: site %q/%q idle %q workers %q archive %q drop %q", s.site.now.Text, s.site.field.Text,
			s.idle.field.Text, s.workers.field.Text, s.archive.now.Text, s.drop.now.Text)
	}

	// MRN site prefix: new MRNs use it, the header shows it.
	saveAs(u, s.site, "kab2")
	if p, _ := v.SitePrefix(ctx); p != "KAB2" {
		t.Fatalf("prefix %q after saving KAB2 (%q)", p, s.site.msg.Text)
	}
	if !strings.Contains(s.site.msg.Text, "existing MRNs keep theirs") || s.site.now.Text != "KAB2" {
		t.Fatalf("after saving the prefix: %q, now %q", s.site.msg.Text, s.site.now.Text)
	}
	if u.site != "KAB2" || !strings.Contains(u.head.site.Text, "KAB2") {
		t.Fatalf("header %q, site %q", u.head.site.Text, u.site)
	}
	if p := register(t, u, mary())[0]; !strings.HasPrefix(p.MRN, "KAB2-") {
		t.Fatalf("MRN issued after the change: %s", p.MRN)
	}

	// Drop folder and keep.
	dir := t.TempDir()
	s.drop.field.SetText(dir)
	test.Tap(s.keep)
	test.Tap(s.drop.save)
	u.tasks.wait()
	if is := v.IntakeSettings(ctx); is.DropFolder != dir || !is.Keep {
		t.Fatalf("intake settings %+v (%q)", is, s.drop.msg.Text)
	}
	if !strings.Contains(s.drop.msg.Text, "next sign-in") || !strings.Contains(s.drop.now.Text, dir) {
		t.Fatalf("after saving the drop folder: %q, now %q", s.drop.msg.Text, s.drop.now.Text)
	}

	// Auto-lock: the setting, and this session at once.
	saveAs(u, s.idle, "5")
	if d := v.IdleLock(ctx); d != 5*time.Minute {
		t.Fatalf("idle lock %s (%q)", d, s.idle.msg.Text)
	}
	if u.sess.idle != 5*time.Minute || !strings.Contains(s.idle.msg.Text, "5 minutes") {
		t.Fatalf("session idle %s, message %q", u.sess.idle, s.idle.msg.Text)
	}

	// Scan workers.
	saveAs(u, s.workers, "3")
	if n := v.ScanWorkers(ctx); n != 3 {
		t.Fatalf("workers %d (%q)", n, s.workers.msg.Text)
	}
	if !strings.Contains(s.workers.msg.Text, "next time Folio starts") || s.workers.now.Text != "3 scan workers" {
		t.Fatalf("after saving the workers: %q, now %q", s.workers.msg.Text, s.workers.now.Text)
	}

	// Archive address, then none.
	saveAs(u, s.archive, "Archive.Example.org:8443")
	if a := v.ArchiveAddress(ctx); a != "archive.example.org:8443" {
		t.Fatalf("archive %q (%q)", a, s.archive.msg.Text)
	}
	if !strings.Contains(s.archive.msg.Text, "Sync is not built yet") || s.archive.field.Text != "archive.example.org:8443" {
		t.Fatalf("after saving the archive: %q, field %q", s.archive.msg.Text, s.archive.field.Text)
	}
	saveAs(u, s.archive, "")
	if a := v.ArchiveAddress(ctx); a != "" || s.archive.now.Text != "None" {
		t.Fatalf("archive %q after clearing, now %q", a, s.archive.now.Text)
	}

	// Every change is audited.
	events, err := u.sess.s.Audit().Events(ctx, app.AuditFilter{Action: app.ActSettings})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 6 {
		t.Fatalf("%d settings events, want 6: %+v", len(events), events)
	}

	// Escape goes back to the search.
	s.site.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	current[*searchScreen](t, u)
}

func TestSettingsRefuseInvalidInput(t *testing.T) {
	ctx := context.Background()
	u, _ := loggedIn(t, nil)
	v := u.vault
	s := openSettings(t, u)
	before, err := readSettings(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		st    *setting
		input string
		want  string
	}{
		{"prefix too short", s.site, "K", "2 to 6 letters or digits"},
		{"prefix too long", s.site, "KABALE1", "2 to 6 letters or digits"},
		{"prefix with a dash", s.site, "KA-B", "2 to 6 letters or digits"},
		{"relative folder", s.drop, "scans/in", "full path"},
		{"missing folder", s.drop, filepath.Join(t.TempDir(), "not-there"), "no folder"},
		{"zero minutes", s.idle, "0", "minutes from 1 to 480"},
		{"too many minutes", s.idle, "481", "minutes from 1 to 480"},
		{"minutes as words", s.idle, "ten", "minutes from 1 to 480"},
		{"negative workers", s.workers, "-1", "0 to 16"},
		{"too many workers", s.workers, "17", "0 to 16"},
		{"plain http archive", s.archive, "http://archive.example.org", "https://"},
		{"archive without port", s.archive, "archive.example.org", "host:port"},
	} {
		t.Run(c.name, func(t *testing.T) {
			saveAs(u, c.st, c.input)
			if !strings.Contains(c.st.msg.Text, c.want) || !strings.Contains(c.st.msg.Text, "Nothing was changed") ||
				c.st.msg.Importance != widget.DangerImportance || !c.st.msg.Visible() {
				t.Fatalf("message %q (importance %v), want one about %q", c.st.msg.Text, c.st.msg.Importance, c.want)
			}
			if after, _ := readSettings(ctx, v); after != before {
				t.Fatalf("settings changed: %+v, were %+v", after, before)
			}
		})
	}
	if u.site != "KAB" || u.sess.idle != 10*time.Minute {
		t.Fatalf("window changed: site %q, idle %s", u.site, u.sess.idle)
	}
}

func TestSettingsNotForOthers(t *testing.T) {
	u, _ := loggedIn(t, nil)
	for _, usr := range []app.User{userNamed("amina", app.RoleRecords), userNamed("sam", app.RoleScanning), userNamed("dr.odhiambo")} {
		if err := u.sess.s.Users().Add(context.Background(), usr, []byte(clinPW)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"amina", "sam", "dr.odhiambo"} {
		logInAgain(t, u, name, clinPW)
		if u.side.items[placeAdmin].Visible() {
			t.Fatalf("%s sees Administration", name)
		}
		u.input.shortcut(ctrl(fyne.KeyU))
		u.nav.showSettings()
		u.nav.showUsers()
		u.input.shortcut(ctrl(fyne.Key2))
		u.tasks.wait()
		current[*searchScreen](t, u)
	}
}

// memFile is an in-memory file for the PDF save.
type memFile struct {
	bytes.Buffer
	closed bool
}

func (m *memFile) Close() error { m.closed = true; return nil }

func TestSettingsIssuesNewRecoveryKey(t *testing.T) {
	ctx := context.Background()
	v, oldKey := createdVault(t, nil)
	u := newWindow(t, v, Options{})
	logIn(t, u, "admin", adminPW)
	s := openSettings(t, u)

	// Cancel issues nothing.
	test.Tap(s.newKey)
	tapInDialog(t, u, "Cancel")
	u.tasks.wait()
	if s.keyDlg != nil {
		t.Fatal("a key was issued although the question was cancelled")
	}

	test.Tap(s.newKey)
	tapInDialog(t, u, "Issue a new key")
	u.tasks.wait()
	r := s.keyDlg
	if r == nil {
		t.Fatalf("no key shown: %q", s.keyMsg.Text)
	}
	newKey := strings.ReplaceAll(r.text.String(), "\n", "-")
	if len(newKey) != len(oldKey) || newKey == oldKey {
		t.Fatalf("new key shown as %q (old %q)", r.text.String(), oldKey)
	}
	if !strings.Contains(s.keyMsg.Text, "previous key no longer works") {
		t.Fatalf("message %q", s.keyMsg.Text)
	}

	// The printable sheet.
	var f memFile
	r.save(&f)
	u.tasks.wait()
	if !bytes.HasPrefix(f.Bytes(), []byte("%PDF-")) || !f.closed || !strings.Contains(r.msg.Text, "delete the file") {
		t.Fatalf("PDF: %d bytes, closed %v, message %q", f.Len(), f.closed, r.msg.Text)
	}

	// Done only once the key is written down; then it is forgotten.
	if !r.close.Disabled() {
		t.Fatal("Done is enabled before the key is confirmed as written down")
	}
	test.Tap(r.done)
	test.Tap(r.close)
	if r.text.String() != "" || r.key != "" || len(u.dialogs.open) != 0 {
		t.Fatalf("the key is still held after the dialog closed: %q", r.text.String())
	}

	// The old key no longer opens the vault; the new one does.
	if err := v.Recover(ctx, oldKey, "admin", []byte("a stolen old paper")); err == nil {
		t.Fatal("the old recovery key still works")
	}
	if err := v.Recover(ctx, newKey, "admin", []byte("recovered with the new key")); err != nil {
		t.Fatalf("the new recovery key: %v", err)
	}
	logInAgain(t, u, "admin", "recovered with the new key")
}

func TestSettingsLockDropsTheNewKey(t *testing.T) {
	u, _ := loggedIn(t, nil)
	s := openSettings(t, u)
	s.issueKey()
	u.tasks.wait()
	r := s.keyDlg
	if r == nil || r.text.String() == "" {
		t.Fatalf("no key shown: %q", s.keyMsg.Text)
	}
	// Leaving the screen keeps it on show until it is written down …
	u.input.shortcut(ctrl(fyne.KeyF))
	current[*searchScreen](t, u)
	if r.text.String() == "" || len(u.dialogs.open) != 1 {
		t.Fatal("the new key vanished when the screen behind it changed")
	}
	// … but the lock drops it.
	u.input.shortcut(ctrl(fyne.KeyL))
	u.tasks.wait()
	if r.text.String() != "" || r.key != "" || len(u.dialogs.open) != 0 {
		t.Fatal("the recovery key is still on show after the window locked")
	}
}
