package crypto

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/tink-crypto/tink-go/v2/hybrid"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/signature/ed25519"

	"folio/app"
)

// Joining a workstation to the organisation's vault. The new workstation
// makes an HPKE key pair (X25519, HKDF-SHA256, AES-256-GCM, Tink's hybrid
// encryption) and keeps the private half sealed under its first user's
// password; the public half goes to the archive with its key request. An
// administrator on a workstation that holds the vault keys checks the
// fingerprint and wraps the master key and the key bundle to that public
// key (Keyring.Grant); the archive carries the grant but cannot open it.
// The new workstation opens the grant with the password (OpenGrant).
//
// Join key layout: a password slot of kind join (95 bytes) wrapping a
// random 32-byte key ‖ the private keyset encrypted with AES-256-GCM under
// that key. Grant plaintext: "FOLIOGRT" | version 1 | master key (32) |
// bundle; context info binds it to the receiving device's id.
const (
	kindJoin      byte = 3
	grantMagic         = "FOLIOGRT"
	grantVersion       = 1
	adJoinKeyset       = "folio join keyset v1"
	grantContext       = "folio vault keys v1 for device "
	maxJoinKeyLen      = 8 << 10
)

// NewJoinKey makes a joining workstation's key pair. It returns the
// public keyset (for the archive) and the private one sealed under the
// user's password (for the vault's meta store).
func NewJoinKey(user string, password []byte, p KDFParams) (public, sealedPrivate []byte, err error) {
	h, err := keyset.NewHandle(hybrid.DHKEM_X25519_HKDF_SHA256_HKDF_SHA256_AES_256_GCM_Key_Template())
	if err != nil {
		return nil, nil, fmt.Errorf("make join key: %w", err)
	}
	if public, err = publicKeyset(h); err != nil {
		return nil, nil, fmt.Errorf("make join key: %w", err)
	}
	secret := make([]byte, slotKeySize)
	if _, err := rand.Read(secret); err != nil {
		return nil, nil, fmt.Errorf("make join key: %w", err)
	}
	defer clear(secret)
	slot, err := sealSlot(secret, kindJoin, p, password, []byte(user))
	if err != nil {
		return nil, nil, fmt.Errorf("seal join key: %w", err)
	}
	wrap, err := newGCM(secret)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), wrap, []byte(adJoinKeyset)); err != nil {
		return nil, nil, fmt.Errorf("seal join key: %w", err)
	}
	return public, append(slot, buf.Bytes()...), nil
}

// JoinFingerprint is what an administrator compares before granting: the
// first 80 bits of the public keyset's SHA-256, in five groups of hex.
func JoinFingerprint(public []byte) string {
	s := sha256.Sum256(public)
	h := hex.EncodeToString(s[:10])
	return h[0:4] + "-" + h[4:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20]
}

func grantInfo(device app.DeviceID) []byte { return []byte(grantContext + device.String()) }

// Grant wraps the vault's master key and key bundle to a joining
// workstation's public keyset, for device.
func (k *Keyring) Grant(public []byte, device app.DeviceID) ([]byte, error) {
	enc, err := hybridEncrypt(public, "join public key", maxJoinKeyLen)
	if err != nil {
		return nil, err
	}
	master, err := k.masterCopy()
	if err != nil {
		return nil, err
	}
	defer clear(master)
	bundle, err := k.Bundle()
	if err != nil {
		return nil, err
	}
	pt := append([]byte(grantMagic), grantVersion)
	pt = append(pt, master...)
	pt = append(pt, bundle...)
	defer clear(pt)
	out, err := enc.Encrypt(pt, grantInfo(device))
	if err != nil {
		return nil, fmt.Errorf("wrap the vault keys: %w", err)
	}
	return out, nil
}

// OpenGrant opens a grant with the join key sealed under the user's
// password, and returns the vault's keys and its key bundle (to store).
// A wrong password wraps app.ErrWrongPassword; a grant that does not open
// (made for another key or device, or altered) wraps app.ErrTampered.
func OpenGrant(sealedPrivate []byte, user string, password []byte, device app.DeviceID, grant []byte) (*Keyring, []byte, error) {
	if len(sealedPrivate) <= slotSize || len(sealedPrivate) > maxJoinKeyLen {
		return nil, nil, malformed("join key of %d bytes", len(sealedPrivate))
	}
	secret, _, err := openSlot(sealedPrivate[:slotSize], kindJoin, password, []byte(user))
	if err != nil {
		return nil, nil, fmt.Errorf("open join key: %w", err)
	}
	defer clear(secret)
	wrap, err := newGCM(secret)
	if err != nil {
		return nil, nil, err
	}
	h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(sealedPrivate[slotSize:])), wrap, []byte(adJoinKeyset))
	if err != nil {
		return nil, nil, fmt.Errorf("open join key: %v: %w", err, app.ErrTampered)
	}
	dec, err := hybrid.NewHybridDecrypt(h)
	if err != nil {
		return nil, nil, fmt.Errorf("open join key: %w", err)
	}
	pt, err := dec.Decrypt(grant, grantInfo(device))
	if err != nil {
		return nil, nil, fmt.Errorf("open the vault keys granted: they were not made for this workstation's key, or were altered: %w", app.ErrTampered)
	}
	defer clear(pt)
	head := len(grantMagic) + 1
	if len(pt) < head+slotKeySize || string(pt[:len(grantMagic)]) != grantMagic || pt[len(grantMagic)] != grantVersion {
		return nil, nil, malformed("granted keys have an unknown layout")
	}
	master := bytes.Clone(pt[head : head+slotKeySize])
	bundle := bytes.Clone(pt[head+slotKeySize:])
	b, err := parseBundle(bundle)
	if err != nil {
		clear(master)
		return nil, nil, fmt.Errorf("granted key bundle: %w", err)
	}
	kr, err := b.open(master)
	if err != nil {
		return nil, nil, err
	}
	return kr, bundle, nil
}

// VaultIdentity returns the vault's identity key: the raw Ed25519 public
// key of its signing keyset, the same on every workstation holding the
// vault keys. The archive binds the organisation's vault to it, and checks
// claims and key grants signed by Sign against it with no secret.
func (k *Keyring) VaultIdentity() ([]byte, error) {
	ks, err := k.get()
	if err != nil {
		return nil, fmt.Errorf("read vault identity: %w", err)
	}
	e, err := ks.h.sign.Primary()
	if err != nil {
		return nil, fmt.Errorf("read vault identity: %w", err)
	}
	priv, ok := e.Key().(*ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("read vault identity: the signing key is a %T, not Ed25519", e.Key())
	}
	pub, err := priv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("read vault identity: %w", err)
	}
	p, ok := pub.(*ed25519.PublicKey)
	if !ok || len(p.OutputPrefix()) != 0 {
		return nil, errors.New("read vault identity: the signing key does not make raw Ed25519 signatures")
	}
	return p.KeyBytes(), nil
}
