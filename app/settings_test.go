package app_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"folio/app"
	"folio/profile"
)

// auditDetails returns the details of the events of one action, oldest
// first.
func auditDetails(t *testing.T, s *app.Session, act app.Action) []string {
	t.Helper()
	events, err := s.Audit().Events(context.Background(), app.AuditFilter{Action: act})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, string(e.Outcome)+": "+e.Detail)
	}
	return out
}

func TestSitePrefixChangesOnlyNewMRNs(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	before := register(t, admin, app.Patient{Family: "Otieno", Given: "Paul", BirthDate: bd(1999, 9, 9)})[0]
	if !strings.HasPrefix(before.MRN, "KAB-000001-") {
		t.Fatalf("first MRN %s", before.MRN)
	}

	for _, bad := range []string{"", "K", "TOOLONG", "KA-1", "KÄB", "K B"} {
		if err := admin.Settings().SetSitePrefix(ctx, bad); !errors.Is(err, app.ErrInvalid) {
			t.Errorf("prefix %q: %v", bad, err)
		}
	}
	if got, _ := prof.Vault.SitePrefix(ctx); got != "KAB" {
		t.Fatalf("a refused prefix changed the setting to %q", got)
	}

	if err := admin.Settings().SetSitePrefix(ctx, " kab2 "); err != nil {
		t.Fatal(err)
	}
	if got, _ := prof.Vault.SitePrefix(ctx); got != "KAB2" {
		t.Fatalf("prefix %q, want KAB2", got)
	}
	after := register(t, admin, app.Patient{Family: "Achieng", Given: "Rose", BirthDate: bd(1990, 1, 2)})[0]
	if !strings.HasPrefix(after.MRN, "KAB2-000002-") {
		t.Fatalf("MRN after the change %s, want KAB2-000002-…", after.MRN)
	}
	if _, err := app.ParseMRN(after.MRN); err != nil {
		t.Fatalf("new MRN does not parse: %v", err)
	}
	// The patient registered before keeps the MRN and is found by it.
	p, err := admin.Patients().Open(ctx, before.MRN)
	if err != nil || p.MRN != before.MRN {
		t.Fatalf("old MRN: %+v %v", p.MRN, err)
	}

	// Back to the old prefix: the sequence goes on, so no MRN repeats.
	if err := admin.Settings().SetSitePrefix(ctx, "KAB"); err != nil {
		t.Fatal(err)
	}
	again := register(t, admin, app.Patient{Family: "Mensah", Given: "Kwame", BirthDate: bd(1978, 7, 1)})[0]
	if !strings.HasPrefix(again.MRN, "KAB-000003-") {
		t.Fatalf("MRN %s, want KAB-000003-…", again.MRN)
	}

	rec := staff(t, prof.Vault, admin, "amina", app.RoleRecords, "records passphrase")
	if err := rec.Settings().SetSitePrefix(ctx, "ZZ"); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("records clerk setting the prefix: %v", err)
	}
	if got, _ := prof.Vault.SitePrefix(ctx); got != "KAB" {
		t.Fatalf("prefix %q after a refused change", got)
	}
	got := auditDetails(t, admin, app.ActSettings)
	want := []string{"ok: MRN site prefix KAB → KAB2", "ok: MRN site prefix KAB2 → KAB", "denied: missing permission user.manage"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit %q, want %q", got, want)
	}
}

func TestSettingsScanWorkers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	if prof.Workers != runtime.NumCPU() {
		t.Errorf("new profile runs %d workers, want one per core (%d)", prof.Workers, runtime.NumCPU())
	}
	if _, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "KAB"}); err != nil {
		t.Fatal(err)
	}
	admin, err := prof.Vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	if n := prof.Vault.ScanWorkers(ctx); n != 0 {
		t.Fatalf("default %d, want 0 (one per core)", n)
	}
	for _, bad := range []int{-1, app.MaxScanWorkers + 1, 100} {
		if err := admin.Settings().SetScanWorkers(ctx, bad); !errors.Is(err, app.ErrInvalid) {
			t.Errorf("%d workers: %v", bad, err)
		}
	}
	if err := admin.Settings().SetScanWorkers(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if n := prof.Vault.ScanWorkers(ctx); n != 3 {
		t.Fatalf("setting %d, want 3", n)
	}
	if err := admin.Settings().SetScanWorkers(ctx, 40); err == nil || prof.Vault.ScanWorkers(ctx) != 3 {
		t.Fatalf("a refused value changed the setting: %v, %d", err, prof.Vault.ScanWorkers(ctx))
	}
	admin.Lock(ctx)
	if err := prof.Close(); err != nil {
		t.Fatal(err)
	}

	// The profile makes its pool from the setting …
	prof, err = profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	if prof.Workers != 3 {
		t.Errorf("reopened profile runs %d workers, want the setting's 3", prof.Workers)
	}
	prof.Close()
	// … unless the caller chose.
	prof, err = profile.Open(dir, profile.Options{FastKDF: true, Workers: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer prof.Close()
	if prof.Workers != 5 {
		t.Errorf("explicit Workers 5: the pool runs %d", prof.Workers)
	}
	if n := app.ScanWorkersSetting(ctx, prof.DB.Meta()); n != 3 {
		t.Errorf("ScanWorkersSetting %d", n)
	}
}

func TestParseArchiveAddress(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		ok             bool
	}{
		{"empty is no archive", "  ", "", true},
		{"host and port", "archive.clinic.org:8443", "archive.clinic.org:8443", true},
		{"upper case host", " Archive.Clinic.ORG:443 ", "archive.clinic.org:443", true},
		{"IPv4", "10.0.0.5:7000", "10.0.0.5:7000", true},
		{"IPv6", "[fd00::5]:7000", "[fd00::5]:7000", true},
		{"https", "https://archive.clinic.org", "https://archive.clinic.org", true},
		{"https with port and path", "HTTPS://Archive.clinic.org:8443/folio", "https://archive.clinic.org:8443/folio", true},
		{"no port", "archive.clinic.org", "", false},
		{"port zero", "archive.clinic.org:0", "", false},
		{"port too big", "archive.clinic.org:70000", "", false},
		{"port not a number", "archive.clinic.org:http", "", false},
		{"plain http", "http://archive.clinic.org", "", false},
		{"other scheme", "ftp://archive.clinic.org", "", false},
		{"password in URL", "https://me:secret@archive.clinic.org", "", false},
		{"query", "https://archive.clinic.org/?x=1", "", false},
		{"no host", "https://:8443", "", false},
		{"spaces", "archive clinic:80", "", false},
		{"bad host", "arch_ive.org:80", "", false},
		{"empty host", ":8443", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := app.ParseArchiveAddress(c.in)
			if c.ok && (err != nil || got != c.want) {
				t.Fatalf("ParseArchiveAddress(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			if !c.ok && !errors.Is(err, app.ErrInvalid) {
				t.Fatalf("ParseArchiveAddress(%q) = %q, %v; want ErrInvalid", c.in, got, err)
			}
		})
	}
}

func TestSettingsArchiveAddress(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	if a := prof.Vault.ArchiveAddress(ctx); a != "" {
		t.Fatalf("default %q", a)
	}
	for _, step := range []struct {
		name, set string
		err       error  // nil: the address is set
		want      string // the setting after the step
	}{
		{"normalised", "https://Archive.clinic.org/", nil, "https://archive.clinic.org/"},
		{"http refused, the setting unchanged", "http://archive.clinic.org", app.ErrInvalid, "https://archive.clinic.org/"},
		{"cleared", "", nil, ""},
	} {
		if err := admin.Settings().SetArchiveAddress(ctx, step.set); !errors.Is(err, step.err) {
			t.Fatalf("%s: %v, want %v", step.name, err, step.err)
		}
		if a := prof.Vault.ArchiveAddress(ctx); a != step.want {
			t.Fatalf("%s: address %q, want %q", step.name, a, step.want)
		}
	}
	clerk := staff(t, prof.Vault, admin, "sam", app.RoleScanning, "scanning passphrase")
	if err := clerk.Settings().SetArchiveAddress(ctx, "archive:443"); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("scanning clerk: %v", err)
	}
	got := auditDetails(t, admin, app.ActSettings)
	if len(got) != 3 || got[0] != "ok: archive address https://archive.clinic.org/" || got[1] != "ok: archive address removed" {
		t.Fatalf("audit %q", got)
	}
}

func TestRecoveryKeyRotation(t *testing.T) {
	ctx := context.Background()
	prof, oldKey := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	doc := staff(t, prof.Vault, admin, "amina", app.RoleClinician, "the doctor's passphrase")
	if _, err := doc.Settings().RotateRecoveryKey(ctx); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("clinician rotating the recovery key: %v", err)
	}
	// The old key still works until an administrator rotates it.
	if err := prof.Vault.Recover(ctx, oldKey, "amina", []byte("recovered once, fine")); err != nil {
		t.Fatal(err)
	}

	newKey, err := admin.Settings().RotateRecoveryKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if newKey == oldKey || len(newKey) != len(oldKey) {
		t.Fatalf("new key %q (old %q)", newKey, oldKey)
	}
	if err := prof.Vault.Recover(ctx, oldKey, "admin", []byte("stolen paper passphrase")); err == nil {
		t.Fatal("the old recovery key still opens the vault")
	}
	login(t, prof.Vault, "admin", adminPW) // the failed recovery changed nothing
	if err := prof.Vault.Recover(ctx, newKey, "admin", []byte("recovered with the new key")); err != nil {
		t.Fatal(err)
	}
	s := login(t, prof.Vault, "admin", "recovered with the new key")

	got := auditDetails(t, s, app.ActRecoveryKeyNew)
	if len(got) != 2 || !strings.HasPrefix(got[0], "denied") || !strings.HasPrefix(got[1], "ok: new recovery key issued") {
		t.Fatalf("audit of key events %q", got)
	}
	recoveries := auditDetails(t, s, app.ActRecovery)
	if len(recoveries) != 3 || !strings.HasPrefix(recoveries[1], "failed") {
		t.Fatalf("audit of recoveries %q", recoveries)
	}
	r, err := s.Audit().Verify(ctx)
	if err != nil || !r.OK() {
		t.Fatalf("verify after rotation: %+v %v", r, err)
	}
}
