package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"folio/app"
)

// TestLoadCodeSet: an administrator's load keeps the file and is audited
// with the set's name, version and size; a records clerk's is refused
// before anything is kept, and the refusal is audited; a file that could
// not be kept is not audited as loaded.
func TestLoadCodeSet(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	rec := staff(t, prof.Vault, admin, "amina", app.RoleRecords, "records passphrase")

	kept := 0
	keep := func() error { kept++; return nil }
	if err := rec.Settings().LoadCodeSet(ctx, "ICD-10", "2019", 6, keep); !errors.Is(err, app.ErrForbidden) || kept != 0 {
		t.Fatalf("records clerk loading: %v, kept %d times", err, kept)
	}
	if err := admin.Settings().LoadCodeSet(ctx, "ICD-10", "2019", 6, keep); err != nil || kept != 1 {
		t.Fatalf("administrator loading: %v, kept %d times", err, kept)
	}
	full := errors.New("disk full")
	if err := admin.Settings().LoadCodeSet(ctx, "ICD-11", "2024-01", 2, func() error { return full }); !errors.Is(err, full) {
		t.Fatalf("a file not kept: %v", err)
	}
	got := auditDetails(t, admin, app.ActSettings)
	want := []string{"denied: missing permission user.manage", "ok: code set loaded: ICD-10 2019, 6 codes"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit %q, want %q", got, want)
	}
}
