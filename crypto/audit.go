package crypto

import (
	"bytes"
	"fmt"

	"github.com/tink-crypto/tink-go/v2/hybrid"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"

	"folio/app"
)

// Sign signs an audit checkpoint message (Ed25519).
func (k *Keyring) Sign(msg []byte) ([]byte, error) {
	ks, err := k.get()
	if err != nil {
		return nil, fmt.Errorf("sign audit checkpoint: %w", err)
	}
	sig, err := ks.signer.Sign(msg)
	if err != nil {
		return nil, fmt.Errorf("sign audit checkpoint: %w", err)
	}
	return sig, nil
}

// Verify checks a signature made by Sign; a mismatch wraps app.ErrTampered.
func (k *Keyring) Verify(msg, sig []byte) error {
	ks, err := k.get()
	if err != nil {
		return fmt.Errorf("verify audit signature: %w", err)
	}
	if err := ks.verifier.Verify(sig, msg); err != nil {
		return fmt.Errorf("verify audit signature: %w", app.ErrTampered)
	}
	return nil
}

// AuditPublicKey returns the serialised public keyset (HPKE X25519,
// AES-256-GCM) that audit events are sealed to. The vault stores it in
// clear so events can be sealed while locked. The bytes are the ones kept
// in the bundle, identical for every unlock of the vault.
func (k *Keyring) AuditPublicKey() ([]byte, error) {
	ks, err := k.get()
	if err != nil {
		return nil, fmt.Errorf("read audit public key: %w", err)
	}
	return bytes.Clone(ks.auditPublic), nil
}

// OpenAudit opens an audit event sealed by an AuditSealer of this vault with
// the same contextInfo. Failure wraps app.ErrTampered.
func (k *Keyring) OpenAudit(sealed, contextInfo []byte) ([]byte, error) {
	ks, err := k.get()
	if err != nil {
		return nil, fmt.Errorf("open audit event: %w", err)
	}
	event, err := ks.unseal.Decrypt(sealed, contextInfo)
	if err != nil {
		return nil, fmt.Errorf("open audit event: %w", app.ErrTampered)
	}
	return event, nil
}

// AuditSealer seals audit events to a vault's audit public key. It holds no
// secret, so it works while the vault is locked. Safe for concurrent use.
type AuditSealer struct {
	enc tink.HybridEncrypt
}

// NewAuditSealer reads a public keyset from Keyring.AuditPublicKey. Garbage,
// a keyset with secrets, or a keyset of another kind wraps ErrMalformed.
func NewAuditSealer(publicKeyset []byte) (*AuditSealer, error) {
	h, err := keyset.ReadWithNoSecrets(keyset.NewBinaryReader(bytes.NewReader(publicKeyset)))
	if err != nil {
		return nil, malformed("audit public key: %v", err)
	}
	enc, err := hybrid.NewHybridEncrypt(h)
	if err != nil {
		return nil, malformed("audit public key: %v", err)
	}
	return &AuditSealer{enc: enc}, nil
}

// Seal encrypts an audit event; contextInfo must be given again to open it
// (it binds the event to its place, for example its sequence number).
func (s *AuditSealer) Seal(event, contextInfo []byte) ([]byte, error) {
	sealed, err := s.enc.Encrypt(event, contextInfo)
	if err != nil {
		return nil, fmt.Errorf("seal audit event: %w", err)
	}
	return sealed, nil
}
