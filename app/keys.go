package app

// Keyring is an unlocked vault key bundle (crypto implements it). It is
// dropped from memory when the session locks.
type Keyring interface {
	// RecordAEAD seals record versions (envelope encryption).
	RecordAEAD() AEAD
	// BlobAEAD seals blobs: scanned originals, page images and text.
	BlobAEAD() (StreamingAEAD, error)
	// Token returns the blind-index token of a normalised term.
	Token(term []byte) []byte
	// Sign and Verify sign audit checkpoints, and statements about the
	// vault (claims and key grants, checked against VaultIdentity).
	Sign(msg []byte) ([]byte, error)
	Verify(msg, sig []byte) error
	// OpenAudit opens an audit event sealed to AuditPublicKey.
	OpenAudit(sealed, contextInfo []byte) ([]byte, error)
	// AuditPublicKey is the public key events are sealed to; stored in clear.
	AuditPublicKey() ([]byte, error)
	// Bundle serialises the keysets, encrypted under the vault master key.
	Bundle() ([]byte, error)
	// PasswordSlot wraps the master key and the user's signing-key seed
	// (32 bytes, Ed25519) under the user's password: the seed lives only
	// in the user's password slots. A nil seed makes a slot without one
	// (a joining workstation's, until the user's own slots arrive).
	PasswordSlot(user string, password, seed []byte) ([]byte, error)
	// RecoverySlot wraps the master key under the printed recovery key.
	RecoverySlot(recoveryKey string) ([]byte, error)
	// Grant wraps the master key and the bundle to a joining
	// workstation's public key, for its device id.
	Grant(public []byte, device DeviceID) ([]byte, error)
	// VaultIdentity is the public key Sign's signatures verify with (raw
	// Ed25519): the vault's identity, the same on every workstation.
	VaultIdentity() ([]byte, error)
	// Close drops the key material.
	Close()
}

// KeyFactory creates and opens keyrings (crypto implements it).
type KeyFactory interface {
	NewKeyring() (Keyring, error)
	// OpenPasswordSlot opens the vault keys with a user's password slot
	// and returns the user's signing-key seed it holds (nil for a slot
	// made before signing keys). It fails with ErrWrongPassword when the
	// password is wrong.
	OpenPasswordSlot(bundle, slot []byte, user string, password []byte) (keys Keyring, seed []byte, err error)
	OpenRecoverySlot(bundle, slot []byte, recoveryKey string) (Keyring, error)
	NewRecoveryKey() (string, error)
	// NewAuditSealer seals audit events to a public key, with no secret.
	NewAuditSealer(publicKey []byte) (AuditSealer, error)
	// NewJoinKey makes a joining workstation's key pair: the public half
	// for the archive, the private half sealed under the user's password.
	NewJoinKey(user string, password []byte) (public, sealedPrivate []byte, err error)
	// OpenGrant opens the vault keys granted to this workstation; it
	// returns them and the key bundle to keep.
	OpenGrant(sealedPrivate []byte, user string, password []byte, device DeviceID, grant []byte) (Keyring, []byte, error)
	// JoinFingerprint is the short form of a join public key people compare.
	JoinFingerprint(public []byte) string
}

// AuditSealer seals an audit event so only an unlocked vault can read it.
type AuditSealer interface {
	Seal(event, contextInfo []byte) ([]byte, error)
}
