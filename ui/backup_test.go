package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"folio/app"
	"folio/internal/testkit"
	"folio/profile"
)

// TestBackUpNowFromTheWindow: with the window open (it holds the vault's
// file lock), an administrator backs the workstation up from Settings; the
// copy is a vault that opens with the same password, holds the patients,
// and records who took it. A backup into the data folder itself is refused
// with a reason.
func TestBackUpNowFromTheWindow(t *testing.T) {
	ctx := context.Background()
	prof, _ := testkit.Vault(t, profile.Options{}, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "KAB"})
	u := newWindow(t, prof.Vault, Options{Backup: prof.Backup})
	logIn(t, u, "admin", adminPW)
	register(t, u, mary())
	s := openSettings(t, u)
	if s.backup == nil {
		t.Fatal("Settings has no Backup card on a window that can back up")
	}

	s.backup.backupTo(filepath.Join(prof.Dir, "copy"))
	u.tasks.wait()
	if got := s.backup.msg.Text; !strings.Contains(got, "The backup was not made") || !strings.Contains(got, "inside the data folder") {
		t.Errorf("backing up into the data folder says %q", got)
	}

	dir := filepath.Join(t.TempDir(), "usb")
	s.backup.backupTo(dir)
	u.tasks.wait()
	if got := s.backup.msg.Text; !strings.HasPrefix(got, "Backed up to "+dir+": the vault and ") {
		t.Fatalf("after Back up now the card says %q", got)
	}
	if s.backup.now.Disabled() {
		t.Error("Back up now stays disabled after the backup")
	}

	cp, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	sess, err := cp.Vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		t.Fatalf("log in to the backup: %v", err)
	}
	defer sess.Lock(ctx)
	if ms, err := sess.Patients().Search(ctx, "mary", 5); err != nil || len(ms) != 1 {
		t.Errorf("the backup's patients: %d, %v", len(ms), err)
	}
	evs, err := sess.Audit().Events(ctx, app.AuditFilter{Action: app.ActVaultBackup})
	if err != nil || len(evs) != 1 || evs[0].User != "admin" {
		t.Errorf("the backup's own audit record: %+v, %v; want one, by admin", evs, err)
	}
}
