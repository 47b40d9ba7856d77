package crypto

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"sync"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/aead/aesgcm"
	"github.com/tink-crypto/tink-go/v2/hybrid"
	"github.com/tink-crypto/tink-go/v2/insecuresecretdataaccess"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/prf"
	"github.com/tink-crypto/tink-go/v2/secretdata"
	"github.com/tink-crypto/tink-go/v2/signature"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
	"github.com/tink-crypto/tink-go/v2/tink"

	"folio/app"
)

const (
	gcmNonceSize = 12
	gcmTagSize   = 16
	tokenSize    = 16 // bytes of a blind-index token
)

// Keyring is an unlocked vault key bundle: the master key and the Tink
// keysets it protects, with their primitives built once. It is safe for
// concurrent use. After Close every method fails with app.ErrLocked (Token
// returns nil).
type Keyring struct {
	mu sync.RWMutex
	// mu protects the following. Close zeroes the master key and sets it
	// to nil; the keys value itself is never changed once built.
	k *keys
}

// handles are the vault's Tink keysets, one per role.
type handles struct {
	kek   *keyset.Handle // record key-encryption key (AEAD)
	blob  *keyset.Handle // scanned originals (StreamingAEAD)
	index *keyset.Handle // blind-index tokens (PRF)
	sign  *keyset.Handle // audit checkpoints (Ed25519)
	seal  *keyset.Handle // audit events (HPKE private key)
}

// keys is the key material of an open Keyring and the primitives built
// from it.
type keys struct {
	master      []byte
	h           handles
	auditPublic []byte // serialised public keyset of h.seal, as stored in the bundle
	record      tink.AEAD
	blob        tink.StreamingAEAD
	prf         *prf.Set
	signer      tink.Signer
	verifier    tink.Verifier
	unseal      tink.HybridDecrypt
}

// NewKeyring creates the keys of a new vault: a random 32-byte master key
// and a fresh Tink keyset for every role.
func NewKeyring() (*Keyring, error) {
	master := make([]byte, slotKeySize)
	if _, err := rand.Read(master); err != nil {
		return nil, fmt.Errorf("create vault master key: %w", err)
	}
	var h handles
	for _, r := range h.roles() {
		kh, err := keyset.NewHandle(r.template())
		if err != nil {
			return nil, fmt.Errorf("create vault %s key: %w", r.name, err)
		}
		*r.handle = kh
	}
	pub, err := publicKeyset(h.seal)
	if err != nil {
		return nil, fmt.Errorf("create vault audit key: %w", err)
	}
	k, err := newKeys(master, h, pub)
	if err != nil {
		return nil, fmt.Errorf("create vault keys: %w", err)
	}
	return &Keyring{k: k}, nil
}

// newKeys builds the primitives of every role. It takes ownership of master.
func newKeys(master []byte, h handles, auditPublic []byte) (*keys, error) {
	k := &keys{master: master, h: h, auditPublic: auditPublic}
	kek, err := aead.New(h.kek)
	if err != nil {
		return nil, fmt.Errorf("record key: %w", err)
	}
	k.record = aead.NewKMSEnvelopeAEAD2(aead.AES256GCMKeyTemplate(), kek)
	if k.blob, err = streamingaead.New(h.blob); err != nil {
		return nil, fmt.Errorf("blob key: %w", err)
	}
	if k.prf, err = prf.NewPRFSet(h.index); err != nil {
		return nil, fmt.Errorf("index key: %w", err)
	}
	if k.signer, err = signature.NewSigner(h.sign); err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	signPub, err := h.sign.Public()
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if k.verifier, err = signature.NewVerifier(signPub); err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if k.unseal, err = hybrid.NewHybridDecrypt(h.seal); err != nil {
		return nil, fmt.Errorf("audit encryption key: %w", err)
	}
	return k, nil
}

// get returns the open key material, or errClosed.
func (k *Keyring) get() (*keys, error) {
	return withKeys(k, func(ks *keys) *keys { return ks })
}

// masterCopy returns a copy of the master key; the caller clears it.
func (k *Keyring) masterCopy() ([]byte, error) {
	return withKeys(k, func(ks *keys) []byte { return bytes.Clone(ks.master) })
}

// withKeys returns read of k's open key material, called under k's read
// lock (Close waits for it), or errClosed.
func withKeys[T any](k *Keyring, read func(*keys) T) (T, error) {
	var none T
	if k == nil {
		return none, errClosed
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.k == nil {
		return none, errClosed
	}
	return read(k.k), nil
}

// Close drops the key material: the master key bytes are zeroed and every
// reference is released (Tink's own copies are left to the garbage
// collector; this is best effort). Close is idempotent.
func (k *Keyring) Close() {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.k != nil {
		clear(k.k.master)
		k.k = nil
	}
}

// SameVault reports whether k and other hold the same master key (compared
// in constant time), that is, whether they were opened from the same
// vault. Closed keyrings are never the same vault.
func (k *Keyring) SameVault(other *Keyring) bool {
	a, err := k.masterCopy()
	if err != nil {
		return false
	}
	defer clear(a)
	b, err := other.masterCopy()
	if err != nil {
		return false
	}
	defer clear(b)
	return subtle.ConstantTimeCompare(a, b) == 1
}

// RecordAEAD returns the AEAD that seals record versions: Tink envelope
// encryption with a fresh AES-256-GCM data key per Encrypt, wrapped by the
// record KEK. Decrypt failures wrap app.ErrTampered; after Close both
// methods fail with app.ErrLocked.
func (k *Keyring) RecordAEAD() app.AEAD { return recordAEAD{k} }

type recordAEAD struct{ k *Keyring }

func (r recordAEAD) Encrypt(plaintext, associatedData []byte) ([]byte, error) {
	ks, err := r.k.get()
	if err != nil {
		return nil, fmt.Errorf("encrypt record: %w", err)
	}
	ct, err := ks.record.Encrypt(plaintext, associatedData)
	if err != nil {
		return nil, fmt.Errorf("encrypt record: %w", err)
	}
	return ct, nil
}

func (r recordAEAD) Decrypt(ciphertext, associatedData []byte) ([]byte, error) {
	ks, err := r.k.get()
	if err != nil {
		return nil, fmt.Errorf("decrypt record: %w", err)
	}
	pt, err := ks.record.Decrypt(ciphertext, associatedData)
	if err != nil {
		return nil, fmt.Errorf("decrypt record: %v: %w", err, app.ErrTampered)
	}
	return pt, nil
}

// BlobAEAD returns the streaming AEAD for scanned originals
// (AES256-GCM-HKDF, 1 MiB segments). Use no plaintext before the whole
// stream has verified.
func (k *Keyring) BlobAEAD() (tink.StreamingAEAD, error) {
	ks, err := k.get()
	if err != nil {
		return nil, err
	}
	return ks.blob, nil
}

// Token returns the blind-index token of a normalised term: the primary
// HMAC-SHA256 PRF of the index key, truncated to 16 bytes. It is
// deterministic per vault and reveals nothing about term without the key.
// It returns nil after Close.
func (k *Keyring) Token(term []byte) []byte {
	ks, err := k.get()
	if err != nil {
		return nil
	}
	t, err := ks.prf.ComputePrimaryPRF(term, tokenSize)
	if err != nil {
		// HMAC-SHA256 yields 32 bytes; asking for 16 cannot fail.
		return nil
	}
	return t
}

// newGCM returns AES-256-GCM (no output prefix) under a raw 32-byte key,
// through Tink's key-object API.
func newGCM(key []byte) (tink.AEAD, error) {
	params, err := aesgcm.NewParameters(aesgcm.ParametersOpts{
		KeySizeInBytes: slotKeySize,
		IVSizeInBytes:  gcmNonceSize,
		TagSizeInBytes: gcmTagSize,
		Variant:        aesgcm.VariantNoPrefix,
	})
	if err != nil {
		return nil, fmt.Errorf("AES-GCM parameters: %w", err)
	}
	kk, err := aesgcm.NewKey(secretdata.NewBytesFromData(key, insecuresecretdataaccess.Token{}), 0, params)
	if err != nil {
		return nil, fmt.Errorf("AES-GCM key: %w", err)
	}
	a, err := aesgcm.NewAEAD(kk)
	if err != nil {
		return nil, fmt.Errorf("AES-GCM: %w", err)
	}
	return a, nil
}
