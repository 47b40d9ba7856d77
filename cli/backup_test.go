package cli_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"folio/app"
	"folio/profile"
)

func folioEnv(vault string) map[string]string {
	return map[string]string{"FOLIO_DATA": vault, "FOLIO_USER": "admin", "FOLIO_PASSWORD": "correct horse battery staple"}
}

// TestBackupWithTheWindowOpen: the window holds the vault's file lock, so
// 'folio backup' says to back up from the window; the window's backup
// (Profile.Backup) is taken while a clerk goes on registering patients,
// and the copy restores and verifies.
func TestBackupWithTheWindowOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault, backup := filepath.Join(dir, "vault"), filepath.Join(dir, "backup")
	r := bundleRig{t, folioEnv(vault)}
	r.folio(0, "init")
	r.folio(0, "patient", "add", "--family", "Achieng", "--given", "Mary", "--sex", "female", "--dob", "1984")

	window, err := profile.Open(vault, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	defer window.Close()
	if out := r.folio(1, "backup", "--to", backup); !strings.Contains(out, "the vault is open in a Folio window on this data folder: back up from the window") {
		t.Fatalf("folio backup with the window open: %q", out)
	}

	s, err := window.Vault.Login(ctx, "admin", []byte("correct horse battery staple"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Lock(ctx)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // the clerk works on while the backup runs
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Patients().Register(ctx, app.Patient{Family: "Otieno", Given: "James", Sex: app.SexMale, BirthDate: app.BirthDate{Year: 1990}}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	rep, err := window.Backup(ctx, "admin", backup)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup from the window: %v", err)
	}
	if rep.Dir != backup || rep.Size == 0 {
		t.Fatalf("backup report %+v", rep)
	}

	fresh := filepath.Join(dir, "newdisk")
	r = bundleRig{t, folioEnv(fresh)}
	if out := r.folio(0, "restore", "--from", backup); !strings.Contains(out, "the backup verified") {
		t.Fatalf("restore: %q", out)
	}
	if out := r.folio(0, "patient", "find", "achieng"); !strings.Contains(out, "ACHIENG") {
		t.Fatalf("the restored vault: %q", out)
	}
}

// TestRestoreRefusesTamperedBackup: a backup whose audit trail was edited
// (an entry deleted) does not verify, so restore replaces nothing and
// leaves no half-restored folder behind.
func TestRestoreRefusesTamperedBackup(t *testing.T) {
	dir := t.TempDir()
	vault, backup := filepath.Join(dir, "vault"), filepath.Join(dir, "backup")
	r := bundleRig{t, folioEnv(vault)}
	r.folio(0, "init")
	r.folio(0, "patient", "add", "--family", "Achieng", "--given", "Mary", "--sex", "female", "--dob", "1984")
	r.folio(0, "backup", "--to", backup)
	r.folio(0, "patient", "add", "--family", "Otieno", "--given", "James", "--sex", "male", "--dob", "1990")

	db, err := bolt.Open(filepath.Join(backup, profile.VaultFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("audit")).Delete(binary.BigEndian.AppendUint64(nil, 2))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	if out := r.folio(1, "restore", "--from", backup, "--force"); !strings.Contains(out, "did not pass its check, nothing was replaced") {
		t.Fatalf("restore of a tampered backup: %q", out)
	}
	if out := r.folio(0, "patient", "find", "otieno"); !strings.Contains(out, "OTIENO") {
		t.Fatalf("the data folder after the refused restore: %q", out)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".restoring-") || strings.Contains(e.Name(), ".replaced-") {
			t.Errorf("the refused restore left %s behind", e.Name())
		}
	}
}
