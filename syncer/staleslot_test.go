package syncer_test

import (
	"context"
	"testing"

	"folio/app"
	"folio/profile/thief"
)

// TestAttackStaleSlotOnOtherWorkstation: carl's key slot and the recovery
// slot travel to ward-b with sync. When ward-a changes carl's password,
// then disables him, and replaces the recovery key, a copy of ward-b's
// vault file made after its next sync opens with none of the old secrets:
// ward-b drops the slots the synced records replaced (and a disabled
// user's) and rewrites its file without them.
func TestAttackStaleSlotOnOtherWorkstation(t *testing.T) {
	ctx := context.Background()
	const carlOld, carlNew = "an old blue passphrase", "a new green passphrase"
	_, a, b, admin := twoWards(t)
	if err := admin.Users().Add(ctx, app.User{Name: "carl", Roles: app.RoleSet{app.RoleClinician}}, []byte(carlOld)); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	nurse := join(t, a, admin, b)
	if !thief.CopyVault(t, b.prof.Dir).OpensWithPassword("carl", carlOld) {
		t.Fatal("carl's slot did not reach ward-b: the attack has nothing to find")
	}

	if err := admin.Users().ChangePassword(ctx, "carl", []byte(carlNew)); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	stolen := thief.CopyVault(t, b.prof.Dir)
	if stolen.OpensWithPassword("carl", carlOld) {
		t.Fatal("carl's old password opens a copy of ward-b's vault made after the change reached it")
	}
	if !stolen.OpensWithPassword("carl", carlNew) {
		t.Fatal("carl's new password did not reach ward-b")
	}

	if err := admin.Users().SetDisabled(ctx, "carl", true, nil); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	if thief.CopyVault(t, b.prof.Dir).OpensWithPassword("carl", carlNew) {
		t.Fatal("disabled carl's password opens a copy of ward-b's vault made after the change reached it")
	}

	oldKey, err := admin.Settings().RotateRecoveryKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	if !thief.CopyVault(t, b.prof.Dir).OpensWithRecoveryKey(oldKey) {
		t.Fatal("the recovery slot did not reach ward-b")
	}
	newKey, err := admin.Settings().RotateRecoveryKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	stolen = thief.CopyVault(t, b.prof.Dir)
	if stolen.OpensWithRecoveryKey(oldKey) {
		t.Fatal("the replaced recovery key opens a copy of ward-b's vault made after the change reached it")
	}
	if !stolen.OpensWithRecoveryKey(newKey) {
		t.Fatal("the new recovery key did not reach ward-b")
	}
}
