package storetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"folio/archive/api"
)

// VaultKey is a vault's identity key as an archive test holds it: it signs
// statements as a workstation's session does (app.Session's
// SignVaultStatement: the statement prefix, then the statement).
type VaultKey struct{ priv ed25519.PrivateKey }

// NewVaultKey makes a fresh vault identity key.
func NewVaultKey(t testing.TB) VaultKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return VaultKey{priv}
}

// Public is the identity key the archive knows the vault by.
func (k VaultKey) Public() []byte { return k.priv.Public().(ed25519.PublicKey) }

// Sign signs a statement (api.VaultClaimMessage, api.GrantMessage).
func (k VaultKey) Sign(statement []byte) []byte {
	return ed25519.Sign(k.priv, append([]byte("folio vault statement v1\x00"), statement...))
}

// Claim is dev's proof that it holds the vault.
func (k VaultKey) Claim(dev api.DeviceID) api.VaultClaim {
	return api.VaultClaim{PublicKey: k.Public(), Signature: k.Sign(api.VaultClaimMessage(dev))}
}
