package api

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// The organisation's vault. An archive serves one vault: the one whose
// workstation first showed it its vault identity key (the Ed25519 public
// key every workstation holding the vault keys can sign with). A device
// shows it holds that key with a VaultClaim; until it has, the archive
// takes no record version, audit entry, blob, pull or key grant from it,
// and a claim with another vault's key is refused (ErrForeignVault). A key
// grant carries a signature by the vault key over GrantMessage, which the
// archive checks against the organisation's key, and the joining
// workstation checks again (with the key its KeyRequest answer names, and
// after opening the keys, that they are that vault's).
//
//	POST /v1/vault/claim  VaultClaim → OrgVault
//	GET  /v1/vault        → OrgVault (ErrNotFound before the first claim)
const (
	PathVaultClaim = "/v1/vault/claim"
	PathVault      = "/v1/vault"
)

// VaultKeySize is the size of a vault identity key (an Ed25519 public key).
const VaultKeySize = ed25519.PublicKeySize

// VaultClaim is a device's proof that it holds the vault keys: the vault's
// identity key and its signature over VaultClaimMessage for the device.
type VaultClaim struct {
	PublicKey []byte `json:"public_key"`
	Signature []byte `json:"signature"`
}

// OrgVault is the vault an archive serves: its identity key, the device
// that claimed it first, and when.
type OrgVault struct {
	PublicKey []byte    `json:"public_key"`
	Device    DeviceID  `json:"device"`
	Bound     time.Time `json:"bound"`
}

// Fingerprint is the short form of the vault's key people compare.
func (v OrgVault) Fingerprint() string { return VaultFingerprint(v.PublicKey) }

// VaultClaimMessage is what a vault claim signs: device dev holds the vault
// (whose key the signature verifies with).
func VaultClaimMessage(dev DeviceID) []byte {
	return fmt.Appendf(nil, "folio vault claim v1\x00%s", dev)
}

// GrantMessage is what the vault key signs when an administrator grants
// the vault keys to device dev: the join public key they are wrapped to
// and the wrapped keys, by their SHA-256.
func GrantMessage(dev DeviceID, joinPublic, grant []byte) []byte {
	pk, g := sha256.Sum256(joinPublic), sha256.Sum256(grant)
	return fmt.Appendf(nil, "folio vault key grant v1\x00%s\x00%x\x00%x", dev, pk, g)
}

// ErrBadVaultSignature is returned by VerifyVault for a signature that
// does not verify.
var ErrBadVaultSignature = errors.New("the signature is not the organisation vault's")

// vaultStatementPrefix starts every signed statement about a vault: a
// workstation's session signs it before the statement (app's
// SignVaultStatement, which keeps it apart from audit checkpoints).
const vaultStatementPrefix = "folio vault statement v1\x00"

// VerifyVault checks an Ed25519 signature by the vault key pub over the
// statement msg (VaultClaimMessage, GrantMessage).
func VerifyVault(pub, msg, sig []byte) error {
	if len(pub) != VaultKeySize {
		return fmt.Errorf("%w: a vault key is %d bytes, not %d", ErrBadVaultSignature, VaultKeySize, len(pub))
	}
	if !ed25519.Verify(ed25519.PublicKey(pub), append([]byte(vaultStatementPrefix), msg...), sig) {
		return ErrBadVaultSignature
	}
	return nil
}

// VaultFingerprint is the first 80 bits of the vault key's SHA-256 in five
// groups of hex, as administrators read it aloud ("" for no key).
func VaultFingerprint(pub []byte) string {
	if len(pub) == 0 {
		return ""
	}
	s := sha256.Sum256(pub)
	h := hex.EncodeToString(s[:10])
	return h[0:4] + "-" + h[4:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20]
}

// Validate checks a claim's sizes (not its signature).
func (c VaultClaim) Validate() error {
	if len(c.PublicKey) != VaultKeySize || len(c.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("%w: a vault claim is a %d-byte key and a %d-byte signature", ErrInvalid, VaultKeySize, ed25519.SignatureSize)
	}
	return nil
}

// DecodeVaultClaim reads a vault claim.
func DecodeVaultClaim(r io.Reader) (VaultClaim, error) {
	var c VaultClaim
	if err := decode(r, MaxMetaBody, "vault claim", &c); err != nil {
		return VaultClaim{}, err
	}
	return c, c.Validate()
}

// DecodeOrgVault reads the archive's answer naming its vault.
func DecodeOrgVault(r io.Reader) (OrgVault, error) {
	var v OrgVault
	if err := decode(r, MaxMetaBody, "organisation vault", &v); err != nil {
		return OrgVault{}, err
	}
	if len(v.PublicKey) != VaultKeySize {
		return OrgVault{}, fmt.Errorf("%w: the archive's vault key is %d bytes, not %d", ErrInvalid, len(v.PublicKey), VaultKeySize)
	}
	return v, nil
}
