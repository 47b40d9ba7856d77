package crypto

import (
	"bytes"
	"errors"
	"testing"

	"folio/app"
)

// Issue 12, item 10: a key slot damaged on disk read as a wrong password.
// A version-2 slot's sum tells damage (app.ErrDamaged, before Argon2id
// runs) from a wrong secret (app.ErrWrongPassword), whichever byte is hit;
// version-1 slots, which older vaults and join keys hold, still open.
func TestDamagedSlotIsNotWrongPassword(t *testing.T) {
	master := bytes.Repeat([]byte{7}, slotKeySize)
	pw, user := []byte("correct horse"), []byte("alice")
	slot, err := sealSummedSlot(master, kindPassword, FastKDF(), pw, user)
	if err != nil {
		t.Fatal(err)
	}
	if len(slot) != slotSize+slotSumSize {
		t.Fatalf("version-2 slot of %d bytes", len(slot))
	}
	if got, err := openSlot(slot, kindPassword, pw, user); err != nil || !bytes.Equal(got, master) {
		t.Fatalf("intact slot: %v", err)
	}
	if _, err := openSlot(slot, kindPassword, []byte("wrong horse"), user); !errors.Is(err, app.ErrWrongPassword) || errors.Is(err, app.ErrDamaged) {
		t.Fatalf("wrong password: %v", err)
	}
	for i := range slot {
		bad := bytes.Clone(slot)
		bad[i] ^= 0x20
		_, err := openSlot(bad, kindPassword, pw, user)
		if errors.Is(err, app.ErrNewerSchema) {
			continue // the version byte now names a newer format
		}
		if !errors.Is(err, app.ErrDamaged) || errors.Is(err, app.ErrWrongPassword) {
			t.Errorf("byte %d damaged: %v, want damaged", i, err)
		}
	}

	old, err := sealSlot(master, kindPassword, FastKDF(), pw, user)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := openSlot(old, kindPassword, pw, user); err != nil || len(old) != slotSize || !bytes.Equal(got, master) {
		t.Fatalf("a version-1 slot: %d bytes, %v", len(old), err)
	}
}
