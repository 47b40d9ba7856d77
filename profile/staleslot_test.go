package profile_test

import (
	"context"
	"testing"

	"folio/app"
	"folio/profile"
	"folio/profile/thief"
)

const carlPW = "an old blue passphrase"

// TestAttackStaleSlotInFreePages is the thief's attack: after carl is
// disabled, his password changed or the recovery key replaced, a copy of
// the vault file taken while Folio still runs is scanned for key slots,
// and each is tried with the old secret against the copy's current key
// bundle. bbolt keeps a deleted value in its free pages, so before the
// store rewrote its file on a slot removal, the old secret opened the
// vault.
func TestAttackStaleSlotInFreePages(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remove func(t *testing.T, admin *app.Session)
	}{
		{"disable", func(t *testing.T, admin *app.Session) {
			if err := admin.Users().SetDisabled(context.Background(), "carl", true, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{"password change", func(t *testing.T, admin *app.Session) {
			if err := admin.Users().ChangePassword(context.Background(), "carl", []byte("a new green passphrase")); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			prof := newProfile(t, dir)
			defer prof.Close()
			admin, err := prof.Vault.Login(ctx, "admin", []byte(pw))
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Lock(ctx)
			if err := admin.Users().Add(ctx, app.User{Name: "carl", Roles: app.RoleSet{app.RoleClinician}}, []byte(carlPW)); err != nil {
				t.Fatal(err)
			}
			if !thief.CopyVault(t, dir).OpensWithPassword("carl", carlPW) {
				t.Fatal("the attack does not work on a live slot: the scan is wrong")
			}
			tc.remove(t, admin)
			stolen := thief.CopyVault(t, dir)
			if stolen.OpensWithPassword("carl", carlPW) {
				t.Fatal("carl's old password opens a copy of the vault made after his slot was removed")
			}
			if !stolen.OpensWithPassword("admin", pw) {
				t.Fatal("the admin's live slot no longer opens the copy")
			}
		})
	}

	t.Run("recovery key", func(t *testing.T) {
		ctx := context.Background()
		dir := t.TempDir()
		prof, err := profile.Open(dir, profile.Options{FastKDF: true})
		if err != nil {
			t.Fatal(err)
		}
		defer prof.Close()
		oldKey, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(pw)})
		if err != nil {
			t.Fatal(err)
		}
		admin, err := prof.Vault.Login(ctx, "admin", []byte(pw))
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Lock(ctx)
		if !thief.CopyVault(t, dir).OpensWithRecoveryKey(oldKey) {
			t.Fatal("the attack does not work on the live recovery slot: the scan is wrong")
		}
		newKey, err := admin.Settings().RotateRecoveryKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stolen := thief.CopyVault(t, dir)
		if stolen.OpensWithRecoveryKey(oldKey) {
			t.Fatal("the replaced recovery key opens a copy of the vault made after it was replaced")
		}
		if !stolen.OpensWithRecoveryKey(newKey) {
			t.Fatal("the new recovery key does not open the copy")
		}
	})
}
