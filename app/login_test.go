package app_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"folio/app"
	"folio/profile"
)

// Issue 12, item 5: text typed into the user-name field was stored in
// clear as the meta key login/failures/<text>, so a password typed there
// by mistake landed on disk in plaintext. Now only users' names (on disk
// in clear already, naming their key slots) have a counter; the typed text
// is in neither the file nor the sealed audit trail, and counters of other
// names an older version wrote are deleted.
func TestAttackPasswordTypedAsUserName(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	const old = "login/failures/an-old-typed-secret"
	if err := prof.DB.UpdateMeta(ctx, map[string][]byte{old: []byte(`{"n":1}`)}, nil); err != nil {
		t.Fatal(err)
	}

	const typed = "Kisoro-Sunrise.2026"
	for range 2 {
		if _, err := prof.Vault.Login(ctx, typed, []byte(adminPW)); !errors.Is(err, app.ErrUnknownUser) {
			t.Fatalf("login as %q: %v", typed, err)
		}
	}
	if _, err := prof.Vault.Login(ctx, "admin", []byte("not the password")); !errors.Is(err, app.ErrWrongPassword) {
		t.Fatal(err)
	}
	if n, err := prof.Vault.FailedLogins(ctx, "admin"); n != 1 || err != nil {
		t.Fatalf("a user's failures still count: %d, %v", n, err)
	}
	counters, err := prof.DB.MetaPrefix(ctx, "login/failures/")
	if err != nil {
		t.Fatal(err)
	}
	for k := range counters {
		if k != "login/failures/admin" {
			t.Errorf("a login counter of a name that is no user: %q", k)
		}
	}

	raw, err := os.ReadFile(filepath.Join(prof.Dir, profile.VaultFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{typed, strings.ToLower(typed)} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the vault file holds the typed text %q in clear", s)
		}
	}
	events, err := login(t, prof.Vault, "admin", adminPW).AuditEvents(ctx, app.AuditFilter{Action: app.ActLogin})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range events {
		if strings.Contains(strings.ToLower(e.User+" "+e.Detail), strings.ToLower(typed)) {
			t.Errorf("the audit trail keeps the typed text: %+v", e)
		}
		if e.Outcome == app.OutcomeFailed && strings.Contains(e.Detail, "unknown user name") {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d failed logins of an unknown name audited, want 2", failed)
	}
}
