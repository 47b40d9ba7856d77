package syncer_test

import (
	"bytes"
	"context"
	"testing"
)

// Issue 12, item 12 (the workstations' side of signing keys): a user who
// joins a workstation signs there with the key their record certifies (the
// slot made when joining holds none; sign-in takes it from the user's own
// slots that came with sync and rewrites the slot to hold it), and a
// password they change there travels, signed by them, and opens their key
// on the first workstation too.
func TestJoinedUserSignsWithTheirKey(t *testing.T) {
	ctx := context.Background()
	const nurseNew = "a quieter ward at night"
	_, a, b, admin := twoWards(t)
	a.round(t, admin)
	nurse := join(t, a, admin, b)

	users, err := admin.Users().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, u := range users {
		if u.Name == "nurse" {
			want = u.SigningKey
		}
	}
	if len(want) != 32 || !bytes.Equal(nurse.SigningKey(), want) {
		t.Fatalf("the nurse signs on ward-b with %x, their record certifies %x", nurse.SigningKey(), want)
	}
	slots, err := b.prof.DB.Meta().MetaPrefix(ctx, "slot/user/nurse/")
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 1 {
		t.Fatalf("the nurse has %d slots on ward-b, want 1", len(slots))
	}
	for k, s := range slots {
		if s[len("FOLIOSLT")] != 3 {
			t.Fatalf("the nurse's slot %s on ward-b is version %d, want 3 (holding their key)", k, s[len("FOLIOSLT")])
		}
	}

	if err := nurse.Users().ChangePassword(ctx, "nurse", []byte(nurseNew)); err != nil {
		t.Fatal(err)
	}
	if rep := b.round(t, nurse); rep.Pushed == 0 {
		t.Fatalf("ward-b pushed nothing after the nurse's new password: %s", rep)
	}
	a.round(t, admin)
	again, err := a.prof.Vault.Login(ctx, "nurse", []byte(nurseNew))
	if err != nil {
		t.Fatalf("the nurse's new password on ward-a: %v", err)
	}
	defer again.Lock(ctx)
	if !bytes.Equal(again.SigningKey(), want) {
		t.Fatal("the nurse's new password opens another key on ward-a")
	}
	if _, err := a.prof.Vault.Login(ctx, "nurse", []byte(nursePW)); err == nil {
		t.Fatal("the nurse's old password still opens ward-a")
	}
}
