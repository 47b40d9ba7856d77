package crypto

import (
	"sync"
	"time"

	"folio/app"
)

// unlockTarget is how long one password derivation should take when the
// Factory calibrates.
const unlockTarget = 700 * time.Millisecond

// Factory implements app.KeyFactory with this package's functions. Use it
// by pointer; the zero value is ready.
type Factory struct {
	// KDF are the Argon2id parameters for new password slots. The zero
	// value means Calibrate(700ms), measured once on first use.
	KDF KDFParams

	once       sync.Once
	calibrated KDFParams // set by once
}

var (
	_ app.KeyFactory  = (*Factory)(nil)
	_ app.Keyring     = vaultKeyring{}
	_ app.AuditSealer = (*AuditSealer)(nil)
)

// params returns the parameters for new password slots.
func (f *Factory) params() KDFParams {
	if f.KDF != (KDFParams{}) {
		return f.KDF
	}
	f.once.Do(func() { f.calibrated = Calibrate(unlockTarget) })
	return f.calibrated
}

// NewKeyring creates the keys of a new vault (see NewKeyring).
func (f *Factory) NewKeyring() (app.Keyring, error) {
	k, err := NewKeyring()
	if err != nil {
		return nil, err
	}
	return vaultKeyring{k, f}, nil
}

// OpenPasswordSlot unlocks a vault and returns the user's signing-key
// seed when the slot holds one (see OpenPasswordSlot).
func (f *Factory) OpenPasswordSlot(bundle, slot []byte, user string, password []byte) (app.Keyring, []byte, error) {
	k, seed, err := OpenPasswordSlot(bundle, slot, user, password)
	if err != nil {
		return nil, nil, err
	}
	return vaultKeyring{k, f}, seed, nil
}

// OpenRecoverySlot unlocks a vault with the recovery key (see OpenRecoverySlot).
func (f *Factory) OpenRecoverySlot(bundle, slot []byte, recoveryKey string) (app.Keyring, error) {
	k, err := OpenRecoverySlot(bundle, slot, recoveryKey)
	if err != nil {
		return nil, err
	}
	return vaultKeyring{k, f}, nil
}

// NewJoinKey makes a join key pair with the Factory's Argon2id parameters
// (see NewJoinKey).
func (f *Factory) NewJoinKey(user string, password []byte) (public, sealedPrivate []byte, err error) {
	return NewJoinKey(user, password, f.params())
}

// OpenGrant opens granted vault keys (see OpenGrant).
func (f *Factory) OpenGrant(sealedPrivate []byte, user string, password []byte, device app.DeviceID, grant []byte) (app.Keyring, []byte, error) {
	k, bundle, err := OpenGrant(sealedPrivate, user, password, device, grant)
	if err != nil {
		return nil, nil, err
	}
	return vaultKeyring{k, f}, bundle, nil
}

// JoinFingerprint returns a join key's fingerprint (see JoinFingerprint).
func (f *Factory) JoinFingerprint(public []byte) string { return JoinFingerprint(public) }

// NewRecoveryKey returns a new recovery key (see NewRecoveryKey).
func (f *Factory) NewRecoveryKey() (string, error) { return NewRecoveryKey() }

// NewAuditSealer reads an audit public key (see NewAuditSealer).
func (f *Factory) NewAuditSealer(publicKey []byte) (app.AuditSealer, error) {
	s, err := NewAuditSealer(publicKey)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// vaultKeyring is a Keyring as app sees it: password slots take the
// Factory's parameters.
type vaultKeyring struct {
	*Keyring
	f *Factory
}

// PasswordSlot wraps the master key and a signing-key seed under a
// password with the Factory's Argon2id parameters.
func (v vaultKeyring) PasswordSlot(user string, password, seed []byte) ([]byte, error) {
	return v.Keyring.PasswordSlot(user, password, seed, v.f.params())
}

// BlobAEAD returns the streaming AEAD for blobs in app's shape.
func (v vaultKeyring) BlobAEAD() (app.StreamingAEAD, error) {
	s, err := v.Keyring.BlobAEAD()
	if err != nil {
		return nil, err
	}
	return s, nil
}
