package crypto_test

import (
	"bytes"
	"errors"
	"testing"

	"folio/app"
	"folio/crypto"
)

// Factory is what app.Vault uses: password slots take its parameters.
func TestFactory(t *testing.T) {
	var f app.KeyFactory = &crypto.Factory{KDF: crypto.FastKDF()}
	keys, err := f.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	bundle, err := keys.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	slot, err := keys.PasswordSlot("alice", []byte("pw"), bytes.Repeat([]byte{9}, crypto.SigningSeedSize))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := crypto.SlotParams(slot); err != nil || p != crypto.FastKDF() {
		t.Fatalf("slot params = %+v, %v; want FastKDF", p, err)
	}
	opened, _, err := f.OpenPasswordSlot(bundle, slot, "alice", []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	if string(opened.Token([]byte("x"))) != string(keys.Token([]byte("x"))) {
		t.Error("reopened keyring gives other tokens")
	}
	wrong, _, err := f.OpenPasswordSlot(bundle, slot, "alice", []byte("px"))
	if !errors.Is(err, app.ErrWrongPassword) || wrong != nil {
		t.Fatalf("wrong password: %v, %v", wrong, err)
	}

	rk, err := f.NewRecoveryKey()
	if err != nil {
		t.Fatal(err)
	}
	rslot, err := keys.RecoverySlot(rk)
	if err != nil {
		t.Fatal(err)
	}
	recovered, err := f.OpenRecoverySlot(bundle, rslot, rk)
	if err != nil {
		t.Fatal(err)
	}
	defer recovered.Close()

	pub, err := keys.AuditPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.NewAuditSealer(pub)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("event"), []byte("ctx"))
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := recovered.OpenAudit(sealed, []byte("ctx")); err != nil || string(ev) != "event" {
		t.Fatalf("OpenAudit = %q, %v", ev, err)
	}
	if bad, err := f.NewAuditSealer([]byte("junk")); !errors.Is(err, crypto.ErrMalformed) || bad != nil {
		t.Fatalf("NewAuditSealer(junk) = %v, %v", bad, err)
	}
}
