package crypto

import (
	"bytes"
	"crypto/ed25519"
	"testing"
)

// TestVaultIdentityVerifiesSignatures: the archive checks a vault's
// statements with Go's Ed25519 and the raw identity key alone; every
// unlock of the vault (here: a keyring opened from its bundle) has the
// same identity, and another vault's differs.
func TestVaultIdentityVerifiesSignatures(t *testing.T) {
	k := testKeyring(t)
	id, err := k.VaultIdentity()
	if err != nil || len(id) != ed25519.PublicKeySize {
		t.Fatalf("identity %x, %v", id, err)
	}
	msg := []byte("folio vault statement v1\x00folio vault claim v1\x00device")
	sig, err := k.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(id, msg, sig) {
		t.Fatal("a vault signature does not verify with its identity key")
	}
	bundle, err := k.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	master, err := k.masterCopy()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseBundle(bundle)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.open(master)
	if err != nil {
		t.Fatal(err)
	}
	if id2, err := again.VaultIdentity(); err != nil || !bytes.Equal(id, id2) {
		t.Fatalf("the same vault opened again has identity %x, %v; want %x", id2, err, id)
	}
	if id3, _ := testKeyring(t).VaultIdentity(); bytes.Equal(id, id3) {
		t.Fatal("two vaults share an identity")
	}
	k.Close()
	if _, err := k.VaultIdentity(); err == nil {
		t.Fatal("a closed keyring still gives its identity")
	}
}
