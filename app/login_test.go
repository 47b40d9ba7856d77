package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/profile"
	"folio/storage/tamper"
)

// Issue 12, item 5: text typed into the user-name field was stored in
// clear as the meta key login/failures/<text>, so a password typed there
// by mistake landed on disk in plaintext. Now only users' names (on disk
// in clear already, naming their key slots) have a counter; the typed text
// is in neither the file nor the sealed audit trail, and counters of other
// names an older version wrote are erased from the file (its free pages too).
func TestAttackPasswordTypedAsUserName(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	// Counters an older version wrote for text that names no user, enough
	// of them to fill pages the transactions of one login do not reuse.
	olds := map[string][]byte{}
	for i := range 200 {
		olds[fmt.Sprintf("login/failures/an-old-typed-secret-%03d", i)] = []byte(`{"n":1}`)
	}
	if err := prof.DB.Meta().UpdateMeta(ctx, olds, nil); err != nil {
		t.Fatal(err)
	}

	const typed = "Kisoro-Sunrise.2026"
	for i := range 2 {
		if _, err := prof.Vault.Login(ctx, typed, []byte(adminPW)); !errors.Is(err, app.ErrUnknownUser) {
			t.Fatalf("login as %q: %v", typed, err)
		}
		// The old counters' text is erased, not only deleted: a deleted
		// value stays in the file's free pages until they are reused.
		if raw, err := os.ReadFile(filepath.Join(prof.Dir, profile.VaultFile)); err != nil || bytes.Contains(raw, []byte("an-old-typed-secret")) {
			t.Fatalf("after login attempt %d the vault file still holds an old counter's text (%v)", i+1, err)
		}
	}
	if _, err := prof.Vault.Login(ctx, "admin", []byte("not the password")); !errors.Is(err, app.ErrWrongPassword) {
		t.Fatal(err)
	}
	if n, err := prof.Vault.FailedLogins(ctx, "admin"); n != 1 || err != nil {
		t.Fatalf("a user's failures still count: %d, %v", n, err)
	}
	counters, err := prof.DB.Meta().MetaPrefix(ctx, "login/failures/")
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
	events, err := login(t, prof.Vault, "admin", adminPW).Audit().Events(ctx, app.AuditFilter{Action: app.ActLogin})
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

// Issue 12, item 10: a damaged key slot read as "wrong user name or
// password" and counted toward the login delay. Now the login says the
// vault's keys are damaged and what to do, the attempt is not counted
// (however often it is tried), and the recovery key still sets a new
// password.
func TestAttackDamagedKeySlot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	recovery, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW)})
	if err != nil {
		t.Fatal(err)
	}
	prof.Close()

	// A byte of the slot goes bad on disk.
	if err := tamper.DamageKeySlots(filepath.Join(dir, profile.VaultFile), "admin"); err != nil {
		t.Fatal(err)
	}
	prof, err = profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	defer prof.Close()

	for range 5 {
		_, err := prof.Vault.Login(ctx, "admin", []byte(adminPW))
		var wait *app.WaitError
		switch {
		case errors.As(err, &wait):
			t.Fatalf("a damaged slot earned a login delay: %v", err)
		case !errors.Is(err, app.ErrDamaged) || errors.Is(err, app.ErrWrongPassword):
			t.Fatalf("login with a damaged slot: %v, want the vault's keys damaged", err)
		case !strings.Contains(err.Error(), "recovery key") || !strings.Contains(err.Error(), "backup"):
			t.Fatalf("the error does not say how to recover: %v", err)
		}
	}
	if n, err := prof.Vault.FailedLogins(ctx, "admin"); n != 0 || err != nil {
		t.Fatalf("failed logins counted: %d, %v", n, err)
	}
	const newPW = "a new passphrase after the damage"
	if err := prof.Vault.Recover(ctx, recovery, "admin", []byte(newPW)); err != nil {
		t.Fatalf("recovery: %v", err)
	}
	login(t, prof.Vault, "admin", newPW)
}

// The wait of the login delay is said in whole seconds, rounded up: a
// delay with 300 ms left is "1s", never "0s".
func TestLoginWaitNeverReadsZero(t *testing.T) {
	for _, c := range []struct {
		wait time.Duration
		want int
	}{{time.Nanosecond, 1}, {300 * time.Millisecond, 1}, {time.Second, 1}, {1200 * time.Millisecond, 2}, {15 * time.Minute, 900}} {
		e := &app.WaitError{Wait: c.wait}
		if got := e.Seconds(); got != c.want || !strings.Contains(e.Error(), fmt.Sprintf("wait %s ", time.Duration(c.want)*time.Second)) {
			t.Errorf("wait %s: %d s, %q; want %d s", c.wait, got, e.Error(), c.want)
		}
	}
}
