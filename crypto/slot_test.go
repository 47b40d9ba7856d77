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
	slot, err := sealSummedSlot(master, nil, kindPassword, FastKDF(), pw, user)
	if err != nil {
		t.Fatal(err)
	}
	if len(slot) != slotSize+slotSumSize {
		t.Fatalf("version-2 slot of %d bytes", len(slot))
	}
	if got, _, err := openSlot(slot, kindPassword, pw, user); err != nil || !bytes.Equal(got, master) {
		t.Fatalf("intact slot: %v", err)
	}
	if _, _, err := openSlot(slot, kindPassword, []byte("wrong horse"), user); !errors.Is(err, app.ErrWrongPassword) || errors.Is(err, app.ErrDamaged) {
		t.Fatalf("wrong password: %v", err)
	}
	for i := range slot {
		bad := bytes.Clone(slot)
		bad[i] ^= 0x20
		_, _, err := openSlot(bad, kindPassword, pw, user)
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
	if got, _, err := openSlot(old, kindPassword, pw, user); err != nil || len(old) != slotSize || !bytes.Equal(got, master) {
		t.Fatalf("a version-1 slot: %d bytes, %v", len(old), err)
	}
}

// Issue 12, item 12: a user's signing key lives only in their password
// slots. A version-3 slot holds the master key and the signing-key seed,
// returns both, tells damage from a wrong password like version 2, and
// binds the seed to the user name as it binds the master key; version-2
// slots (vaults made before signing keys) still open, with no seed.
func TestSlotV3HoldsTheSigningSeed(t *testing.T) {
	k := testKeyring(t)
	bundle, err := k.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	seed := bytes.Repeat([]byte{0x5e}, SigningSeedSize)
	pw := []byte("correct horse")
	slot, err := k.PasswordSlot("alice", pw, seed, FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	if len(slot) != slotSize+SigningSeedSize+slotSumSize || slot[len(slotMagic)] != 3 {
		t.Fatalf("slot of %d bytes, version %d; want %d bytes, version 3", len(slot), slot[len(slotMagic)], slotSize+SigningSeedSize+slotSumSize)
	}
	if bytes.Contains(slot, seed) {
		t.Fatal("the seed is in the slot in clear")
	}
	opened, got, err := OpenPasswordSlot(bundle, slot, "alice", pw)
	if err != nil || !bytes.Equal(got, seed) || !opened.SameVault(k) {
		t.Fatalf("open a version-3 slot: seed %x, %v", got, err)
	}
	opened.Close()
	if _, _, err := OpenPasswordSlot(bundle, slot, "bob", pw); !errors.Is(err, app.ErrWrongPassword) {
		t.Fatalf("another user's name opened the slot: %v", err)
	}
	if _, _, err := OpenPasswordSlot(bundle, slot, "alice", []byte("wrong horse")); !errors.Is(err, app.ErrWrongPassword) || errors.Is(err, app.ErrDamaged) {
		t.Fatalf("wrong password: %v", err)
	}
	for _, i := range []int{slotHeaderSize + 20, slotSize + 3, len(slot) - 1} {
		bad := bytes.Clone(slot)
		bad[i] ^= 1
		if _, _, err := OpenPasswordSlot(bundle, bad, "alice", pw); !errors.Is(err, app.ErrDamaged) {
			t.Errorf("byte %d damaged: %v, want damaged", i, err)
		}
	}
	if _, err := k.PasswordSlot("alice", pw, seed[:16], FastKDF()); err == nil {
		t.Error("a short seed was accepted")
	}

	old, err := k.PasswordSlot("alice", pw, nil, FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	if len(old) != slotSize+slotSumSize || old[len(slotMagic)] != 2 {
		t.Fatalf("a slot without a seed is %d bytes, version %d; want version 2", len(old), old[len(slotMagic)])
	}
	opened, got, err = OpenPasswordSlot(bundle, old, "alice", pw)
	if err != nil || got != nil {
		t.Fatalf("open a version-2 slot: seed %x, %v", got, err)
	}
	opened.Close()

	// The recovery slot stays version 2: a version-3 slot of another kind
	// is damage, not a recovery slot.
	rk, err := NewRecoveryKey()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := k.RecoverySlot(rk)
	if err != nil || rs[len(slotMagic)] != 2 {
		t.Fatalf("recovery slot version %d, %v", rs[len(slotMagic)], err)
	}
}
