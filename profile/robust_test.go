package profile_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/demo"
	"folio/profile"
)

const pw = "correct horse battery staple"

func newProfile(t *testing.T, dir string) *profile.Profile {
	t.Helper()
	return createdProfile(t, dir, app.CreateParams{Admin: "admin", Password: []byte(pw), SitePrefix: "KAB"})
}

// createdProfile opens the data folder dir and creates a vault in it with p.
func createdProfile(t *testing.T, dir string, p app.CreateParams) *profile.Profile {
	t.Helper()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prof.Vault.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return prof
}

// mount runs mount(8) for a test and skips the test when it may not.
func mount(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Skipf("cannot mount here (needs root): %v %s", err, out)
	}
}

func umount(t *testing.T, dir string) {
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
}

// A vault on a full disk refuses the write with a clear error, keeps every
// earlier patient, and opens cleanly afterwards.
func TestDiskFullLosesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mount(t, "-t", "tmpfs", "-o", "size=600k", "tmpfs", dir)
	umount(t, dir)
	prof := newProfile(t, dir)
	s, err := prof.Vault.Login(ctx, "admin", []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	g := demo.NewGenerator(1, time.Now().Year())
	var saved []string
	var writeErr error
	for range 10_000 {
		ps, err := s.Patients().Register(ctx, g.Patient(), g.Patient(), g.Patient(), g.Patient())
		if err != nil {
			writeErr = err
			break
		}
		for _, p := range ps {
			saved = append(saved, p.MRN)
		}
	}
	if writeErr == nil {
		t.Fatal("the disk never filled up")
	}
	if !strings.Contains(writeErr.Error(), "disk") && !strings.Contains(writeErr.Error(), "space") {
		t.Errorf("disk-full error does not say so: %v", writeErr)
	}
	s.Lock(ctx)
	prof.Close()

	prof, err = profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatalf("reopen after disk full: %v", err)
	}
	defer prof.Close()
	s, err = prof.Vault.Login(ctx, "admin", []byte(pw))
	if err != nil {
		// The failed-login counter needs a write; with a full disk that
		// write fails and the error must say why.
		t.Fatalf("login after disk full: %v", err)
	}
	defer s.Lock(ctx)
	for _, mrn := range saved {
		if _, err := s.Patients().Open(ctx, mrn); err != nil && !strings.Contains(err.Error(), "space") {
			t.Fatalf("patient %s after disk full: %v", mrn, err)
		}
	}
	t.Logf("%d patients saved before the disk filled: %v", len(saved), writeErr)
}

// A read-only data folder gives a clear error, not a crash.
func TestReadOnlyFolder(t *testing.T) {
	src := t.TempDir()
	prof := newProfile(t, src)
	prof.Close()
	ro := t.TempDir()
	mount(t, "--bind", src, ro)
	umount(t, ro)
	mount(t, "-o", "remount,ro,bind", ro)
	_, err := profile.Open(ro, profile.Options{FastKDF: true})
	if err == nil {
		t.Fatal("opened a vault on a read-only folder for writing")
	}
	if !strings.Contains(err.Error(), "writable") {
		t.Fatalf("unclear error: %v", err)
	}
	// Read-only mode still opens it (verify, audit review).
	prof, err = profile.Open(ro, profile.Options{FastKDF: true, ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	prof.Close()
}

// Damaged vault files give a clear error and never a panic.
func TestDamagedVaultFiles(t *testing.T) {
	good := t.TempDir()
	prof := newProfile(t, good)
	s, err := prof.Vault.Login(context.Background(), "admin", []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	g := demo.NewGenerator(3, 2026)
	for range 20 {
		if _, err := s.Patients().Register(context.Background(), g.Patient()); err != nil {
			t.Fatal(err)
		}
	}
	s.Lock(context.Background())
	prof.Close()
	orig, err := os.ReadFile(filepath.Join(good, profile.VaultFile))
	if err != nil {
		t.Fatal(err)
	}
	for name, damage := range map[string]func([]byte) []byte{
		"zero bytes":   func([]byte) []byte { return nil },
		"truncated":    func(b []byte) []byte { return b[:len(b)/3] },
		"first page":   func(b []byte) []byte { return append(make([]byte, 4096), b[4096:]...) },
		"random bytes": func(b []byte) []byte { r := make([]byte, len(b)); copy(r, strings.Repeat("folio", len(b))); return r },
		"text file":    func([]byte) []byte { return []byte("this is not a vault\n") },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, profile.VaultFile), damage(append([]byte(nil), orig...)), 0o600); err != nil {
				t.Fatal(err)
			}
			prof, err := profile.Open(dir, profile.Options{FastKDF: true})
			if err == nil {
				// Some damage is only found when reading.
				defer prof.Close()
				_, err = prof.Vault.Login(context.Background(), "admin", []byte(pw))
			}
			if err == nil {
				t.Fatal("a damaged vault opened without complaint")
			}
			if !strings.Contains(err.Error(), "damaged") && !errors.Is(err, app.ErrNotInitialized) {
				t.Fatalf("unclear error: %v", err)
			}
		})
	}
}

// No name, phone, date of birth or MRN appears anywhere in the vault file.
func TestNoPlaintextOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	prof := newProfile(t, dir)
	s, err := prof.Vault.Login(ctx, "admin", []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	p := app.Patient{Family: "Xanthopoulou", Given: "Philomena", Sex: app.SexFemale,
		BirthDate: app.BirthDate{Year: 1961, Month: 7, Day: 14}, Phone: "0799 314159",
		Village: "Quixotic Hill", NationalID: "ZZ998877", Notes: "allergic to penicillin"}
	ps, err := s.Patients().Register(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Patients().Search(ctx, "philomena", 5); err != nil {
		t.Fatal(err)
	}
	s.Lock(ctx)
	prof.Close()
	raw, err := os.ReadFile(filepath.Join(dir, profile.VaultFile))
	if err != nil {
		t.Fatal(err)
	}
	lower := strings.ToLower(string(raw))
	for _, secret := range []string{"xanthopoulou", "philomena", "314159", "1961-07-14", "quixotic", "zz998877", "penicillin", strings.ToLower(ps[0].MRN)} {
		if strings.Contains(lower, secret) {
			t.Errorf("%q is on disk in plaintext", secret)
		}
	}
}
