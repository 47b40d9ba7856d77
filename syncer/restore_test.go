package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testkit"
	"folio/profile"
	"folio/syncer"
)

// copyFolder copies a closed profile's data folder (the README's old
// backup method: copy the folder while Folio is closed).
func copyFolder(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// reopen closes w's profile and opens its data folder again.
func (w *workstation) reopen(t *testing.T) {
	t.Helper()
	dir := w.prof.Dir
	if err := w.prof.Close(); err != nil {
		t.Fatal(err)
	}
	prof, err := profile.Open(dir, profile.Options{FastKDF: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prof.Close() })
	w.prof = prof
}

// TestAttackRestoredBackupCutOffFromSync restores a copy of an enrolled
// workstation's folder taken before it synced more work, then works and
// syncs on: the workstation must notice it is behind the archive, fetch
// back what it had sent after the copy (its own versions, scans and audit
// entries), re-link its new audit entries after the archive's and send
// its new work, so that sync goes on with nothing lost or duplicated.
// Before the fix every round failed: "audit entry N … does not link to
// entry N-1". The backup is taken and put back the README's old way (the
// folder copied while Folio is closed) and the new way (Profile.Backup
// while the window is open, then profile.Restore, which verifies the copy
// first).
func TestAttackRestoredBackupCutOffFromSync(t *testing.T) {
	t.Run("folder copied", func(t *testing.T) {
		restoredBackupRejoins(t, func(t *testing.T, a *workstation, _ *app.Session) string {
			a.reopen(t)
			backup := t.TempDir()
			copyFolder(t, a.prof.Dir, backup)
			return backup
		}, func(t *testing.T, a *workstation, backup string) {
			dir := a.prof.Dir
			if err := a.prof.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			copyFolder(t, backup, dir)
			a.reopen(t)
		})
	})
	t.Run("folio backup and restore", func(t *testing.T) {
		restoredBackupRejoins(t, func(t *testing.T, a *workstation, admin *app.Session) string {
			backup := filepath.Join(t.TempDir(), "usb")
			if _, err := a.prof.Backup(context.Background(), "admin", backup); err != nil {
				t.Fatal(err)
			}
			return backup
		}, func(t *testing.T, a *workstation, backup string) {
			ctx := context.Background()
			dir := a.prof.Dir
			if err := a.prof.Close(); err != nil {
				t.Fatal(err)
			}
			check := func(ctx context.Context, p *profile.Profile) error {
				s, err := p.Vault.Login(ctx, "admin", []byte(adminPW))
				if err != nil {
					return err
				}
				defer s.Lock(ctx)
				if r, err := s.Audit().Verify(ctx); err != nil || !r.OK() {
					return fmt.Errorf("verify the backup: %v %q", err, r.Problems)
				}
				return nil
			}
			if _, err := profile.Restore(ctx, profile.RestoreParams{From: backup, To: dir, Replace: true, Check: check,
				Options: profile.Options{FastKDF: true, Workers: 1}}); err != nil {
				t.Fatal(err)
			}
			a.reopen(t)
		})
	})
}

// restoredBackupRejoins runs the restore story: take makes the backup
// (the session may be used or locked), putBack restores it over a's
// folder, a's profile closed or not, and leaves a's profile open.
func restoredBackupRejoins(t *testing.T, take func(*testing.T, *workstation, *app.Session) string, putBack func(*testing.T, *workstation, string)) {
	ctx := context.Background()
	arc, a, b, admin := twoWards(t)
	before, err := admin.Patients().Register(ctx, app.Patient{Family: "Achieng", Given: "Mary", Sex: app.SexFemale, BirthDate: birth(t, "1984")})
	if err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	nurse := join(t, a, admin, b)

	// The backup.
	admin.Lock(ctx)
	backup := take(t, a, admin)

	// After the backup a registers a patient, amends Mary, imports a scan
	// and syncs all of it; b registers a patient of its own.
	admin = login(t, a, "admin", adminPW)
	lost, err := admin.Patients().Register(ctx, app.Patient{Family: "Otieno", Given: "James", Sex: app.SexMale, BirthDate: birth(t, "1990")})
	if err != nil {
		t.Fatal(err)
	}
	mary, _ := admin.Patients().Open(ctx, before[0].MRN)
	mary.Phone = "+254 700 000001"
	if _, err := admin.Patients().Amend(ctx, mary); err != nil {
		t.Fatal(err)
	}
	scan := testkit.Corpus(t, "scans/ocrmypdf__linn.png")
	imp, err := admin.Intake().ImportFile(ctx, "linn.png", "test", scan)
	if err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	others, err := nurse.Patients().Register(ctx, app.Patient{Family: "Wanjiru", Given: "Grace", Sex: app.SexFemale, BirthDate: birth(t, "1975")})
	if err != nil {
		t.Fatal(err)
	}
	b.round(t, nurse)
	sentBefore, err := a.client(t, syncer.ClientOptions{}).Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if behind, err := syncer.Behind(ctx, a.prof.DB, a.client(t, syncer.ClientOptions{})); err != nil || behind {
		t.Fatalf("a workstation in step with the archive is behind it: %v, %v", behind, err)
	}

	// The disk fails; the backup is put back, and the clerk works on
	// before the next sync: a new patient.
	admin.Lock(ctx)
	putBack(t, a, backup)
	if behind, err := syncer.Behind(ctx, a.prof.DB, a.client(t, syncer.ClientOptions{})); err != nil || !behind {
		t.Fatalf("'folio sync status' on the restored workstation: behind the archive %v, %v; want true", behind, err)
	}
	// Before anyone signs in, the window's send-only engine notices and
	// sends nothing: catching up needs the keys.
	locked := syncer.New(syncer.Params{DB: a.prof.DB, Blobs: a.prof.Blobs, Client: a.client(t, syncer.ClientOptions{})})
	if rep, err := locked.Round(ctx); !errors.Is(err, syncer.ErrRestoredSignIn) || rep.Pushed != 0 || rep.Audit != 0 {
		t.Fatalf("send-only round after the restore: %v (did: %s); want ErrRestoredSignIn and nothing sent", err, rep)
	}
	if text, _, problem := syncer.Describe(locked.Status(), time.Now()); !strings.Contains(text, "restored from a backup") || !problem {
		t.Errorf("the locked window's sync line after the restore: %q (problem %v)", text, problem)
	}
	admin = login(t, a, "admin", adminPW)
	fresh, err := admin.Patients().Register(ctx, app.Patient{Family: "Kamau", Given: "Peter", Sex: app.SexMale, BirthDate: birth(t, "2001")})
	if err != nil {
		t.Fatal(err)
	}

	eng := a.engine(t, admin, a.client(t, syncer.ClientOptions{}))
	rep, err := eng.Round(ctx)
	if err != nil {
		t.Fatalf("first round after the restore: %v (did: %s)", err, rep)
	}
	if rep.Restore == nil || rep.Restore.Fetched == 0 || rep.Restore.Sent == 0 {
		t.Fatalf("the round after the restore reports %+v; want the rejoin with changes fetched back and sent", rep.Restore)
	}
	_, detail, problem := syncer.Describe(eng.Status(), time.Now())
	if !strings.Contains(detail, "This workstation was restored from a backup; it caught up with the archive:") || problem {
		t.Errorf("sync indicator after the rejoin: %q (problem %v); want it to say the workstation was restored from a backup and caught up", detail, problem)
	}
	t.Logf("the sync indicator says: %s", detail)
	a.round(t, admin) // a later round has nothing left to fix
	if behind, err := syncer.Behind(ctx, a.prof.DB, a.client(t, syncer.ClientOptions{})); err != nil || behind {
		t.Errorf("after the catch-up the workstation is still behind the archive: %v, %v", behind, err)
	}

	// The archive has the new patient: b finds it.
	b.round(t, nurse)
	if _, err := nurse.Patients().Open(ctx, fresh[0].MRN); err != nil {
		t.Errorf("b opening the patient registered after the restore: %v", err)
	}
	// a got back its own lost work and b's patient.
	if _, err := admin.Patients().Open(ctx, lost[0].MRN); err != nil {
		t.Errorf("a opening the patient it registered after the backup: %v", err)
	}
	if m, err := admin.Patients().Open(ctx, before[0].MRN); err != nil || m.Phone != mary.Phone {
		t.Errorf("a's Mary after the restore: %+v, %v; want the phone amended after the backup", m, err)
	}
	if _, err := admin.Patients().Open(ctx, others[0].MRN); err != nil {
		t.Errorf("a opening b's patient: %v", err)
	}
	if _, err := admin.Documents().Page(ctx, imp.Documents[0].ID, 0); err != nil {
		t.Errorf("a reading the scan imported after the backup: %v", err)
	}

	// The audit chain verifies locally, holds each event once, and the
	// archive holds all of it.
	vr, err := admin.Audit().Verify(ctx)
	if err != nil || !vr.OK() {
		t.Fatalf("verify after the rejoin: %+v, %v", vr.Problems, err)
	}
	seen := map[string]bool{}
	for e, err := range a.prof.DB.Audit().AuditEntries(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[string(e.Sealed)] {
			t.Errorf("audit entry %d is a second copy of an earlier entry", e.Seq)
		}
		seen[string(e.Sealed)] = true
	}
	events, err := admin.Audit().Events(ctx, app.AuditFilter{Action: app.ActVaultRestored})
	if err != nil || len(events) != 1 {
		t.Errorf("restored-from-a-backup audit events: %+v, %v; want one", events, err)
	}
	a.round(t, admin)
	info, err := a.client(t, syncer.ClientOptions{}).Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := a.prof.DB.Audit().AuditHead(ctx)
	if info.AuditThrough != head.Seq || info.AuditThrough <= sentBefore.AuditThrough {
		t.Errorf("the archive holds a's audit trail through %d (before the restore %d), a's head is %d", info.AuditThrough, sentBefore.AuditThrough, head.Seq)
	}
	// Nothing duplicated: every version a and b hold is one the archive
	// holds once.
	st, _ := a.prof.DB.Stats(ctx)
	if h := archiveHead(t, arc); uint64(st.Versions) != h {
		t.Errorf("a holds %d versions, the archive %d", st.Versions, h)
	}
	if n, _ := a.prof.DB.Oplog().PendingCount(ctx); n != 0 {
		t.Errorf("a still has %d changes pending", n)
	}
}
