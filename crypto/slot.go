package crypto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"folio/app"
)

// Key slot layout, version 1 (95 bytes), version 2 (127 bytes) and
// version 3 (159 bytes):
//
//	header  magic "FOLIOSLT" | version | kind | Argon2id time (uint32 BE) |
//	        memory KiB (uint32 BE) | threads (uint8) | salt (16 bytes)
//	body    AES-256-GCM nonce (12) | encrypted secret | tag (16)
//	sum     version 2 and 3: SHA-256 of header and body (32)
//
// The encrypted secret is the vault master key (32 bytes); in a version-3
// password slot it is the master key followed by the seed of the user's
// signing key (32 bytes, Ed25519), which lives nowhere else: only a session
// signed in with the user's password can sign as them (package endorse).
//
// The slot key is Argon2id(secret, salt, params) and the associated data is
// the header followed by the binding (the user name for a password slot,
// "recovery" for the recovery slot), so neither the parameters nor the
// owner of a slot can be changed without the slot failing to open.
//
// A wrong secret and a damaged byte both fail GCM alike; the unkeyed sum
// of versions 2 and 3 tells them apart before Argon2id runs, so a slot
// damaged on disk is reported as damaged (app.ErrDamaged), not as a wrong
// password. It proves nothing against a forger (who can recompute it): GCM
// still does. Password slots are written as version 3 (version 2 only on a
// joining workstation, which gets the user's signing key with their synced
// slots), recovery slots as version 2, join keys (short-lived, see join.go)
// as version 1; every build reads all three.
const (
	slotMagic       = "FOLIOSLT"
	slotVersion     = 3 // the newest version this build reads
	slotSumVersion  = 2 // the first version with a sum
	slotSeedVersion = 3 // the first version that holds a signing key
	saltSize        = 16
	slotHeaderSize  = len(slotMagic) + 1 + 1 + 4 + 4 + 1 + saltSize
	slotSize        = slotHeaderSize + gcmNonceSize + slotKeySize + gcmTagSize // version 1
	slotSumSize     = sha256.Size
	// SigningSeedSize is the size of the signing-key seed a version-3
	// password slot holds (ed25519.SeedSize).
	SigningSeedSize = ed25519.SeedSize
)

// Slot kinds.
const (
	kindPassword byte = 1
	kindRecovery byte = 2
)

// recoveryBinding is the associated data that binds a recovery slot.
const recoveryBinding = "recovery"

func kindName(kind byte) string {
	switch kind {
	case kindPassword:
		return "password"
	case kindRecovery:
		return "recovery"
	case kindJoin:
		return "join"
	}
	return fmt.Sprintf("unknown (%d)", kind)
}

// slotHeader is a parsed, bounds-checked slot header.
type slotHeader struct {
	version byte
	kind    byte
	params  KDFParams
	salt    []byte
	raw     []byte // the header bytes, part of the associated data
}

// parseSlotHeader reads and checks a slot header; it never runs Argon2id.
// A header that cannot be a slot's is damaged: its errors wrap
// app.ErrDamaged as well as ErrMalformed or ErrSlotParams.
func parseSlotHeader(slot []byte) (slotHeader, error) {
	if len(slot) < slotHeaderSize {
		return slotHeader{}, damaged(malformed("key slot is %d bytes, shorter than its %d-byte header", len(slot), slotHeaderSize))
	}
	if string(slot[:len(slotMagic)]) != slotMagic {
		return slotHeader{}, damaged(malformed("key slot does not start with %q", slotMagic))
	}
	rest := slot[len(slotMagic):slotHeaderSize]
	switch v := rest[0]; {
	case v == 0:
		return slotHeader{}, damaged(malformed("key slot has format version 0"))
	case v > slotVersion:
		return slotHeader{}, fmt.Errorf("key slot has format version %d: %w", v, app.ErrNewerSchema)
	}
	h := slotHeader{version: rest[0], kind: rest[1], raw: slot[:slotHeaderSize]}
	if h.kind != kindPassword && h.kind != kindRecovery && h.kind != kindJoin {
		return slotHeader{}, damaged(malformed("key slot has unknown kind %d", h.kind))
	}
	h.params = KDFParams{
		Time:      binary.BigEndian.Uint32(rest[2:6]),
		MemoryKiB: binary.BigEndian.Uint32(rest[6:10]),
		Threads:   rest[10],
	}
	if err := h.params.check(); err != nil {
		return slotHeader{}, damaged(err)
	}
	h.salt = rest[11:]
	return h, nil
}

// size is the length of a whole slot of the header's version.
func (h slotHeader) size() int {
	switch {
	case h.version >= slotSeedVersion:
		return slotSize + SigningSeedSize + slotSumSize
	case h.version >= slotSumVersion:
		return slotSize + slotSumSize
	}
	return slotSize
}

// damaged marks a slot error as damage found without the secret.
func damaged(err error) error { return fmt.Errorf("%w: %w", app.ErrDamaged, err) }

// SlotParams returns the password-hashing parameters in a slot's header,
// without opening it. Errors wrap ErrMalformed or ErrSlotParams.
func SlotParams(slot []byte) (KDFParams, error) {
	h, err := parseSlotHeader(slot)
	if err != nil {
		return KDFParams{}, fmt.Errorf("read key slot: %w", err)
	}
	return h.params, nil
}

// sealSlot wraps master under Argon2id(secret) in a new version-1 slot of
// kind (join keys).
func sealSlot(master []byte, kind byte, p KDFParams, secret, binding []byte) ([]byte, error) {
	return sealSlotVersion(1, master, kind, p, secret, binding)
}

// sealSummedSlot writes a slot that ends with the sum that tells damage
// from a wrong secret (password and recovery slots, stored in the vault
// file): version 2 wrapping master, or, with a signing-key seed, version 3
// wrapping master ‖ seed.
func sealSummedSlot(master, seed []byte, kind byte, p KDFParams, secret, binding []byte) ([]byte, error) {
	version, plain := byte(slotSumVersion), master
	if seed != nil {
		if len(seed) != SigningSeedSize {
			return nil, fmt.Errorf("a signing-key seed is %d bytes, not %d", SigningSeedSize, len(seed))
		}
		version, plain = slotSeedVersion, slices.Concat(master, seed)
		defer clear(plain)
	}
	slot, err := sealSlotVersion(version, plain, kind, p, secret, binding)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(slot)
	return append(slot, sum[:]...), nil
}

func sealSlotVersion(version byte, plain []byte, kind byte, p KDFParams, secret, binding []byte) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	header := make([]byte, 0, slotSize+len(plain)+slotSumSize)
	header = append(header, slotMagic...)
	header = append(header, version, kind)
	header = binary.BigEndian.AppendUint32(header, p.Time)
	header = binary.BigEndian.AppendUint32(header, p.MemoryKiB)
	header = append(header, p.Threads)
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("make slot salt: %w", err)
	}
	header = append(header, salt...)

	key := p.derive(secret, salt)
	defer clear(key)
	a, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	body, err := a.Encrypt(plain, slices.Concat(header, binding))
	if err != nil {
		return nil, fmt.Errorf("encrypt key slot: %w", err)
	}
	return append(header, body...), nil
}

// openSlot returns the master key in a slot of kind, and the signing-key
// seed a version-3 slot holds (nil for older versions). Everything that can
// be checked without the secret is checked before Argon2id runs.
func openSlot(slot []byte, kind byte, secret, binding []byte) (master, seed []byte, err error) {
	h, err := parseSlotHeader(slot)
	if err != nil {
		return nil, nil, err
	}
	if len(slot) != h.size() {
		return nil, nil, damaged(malformed("key slot is %d bytes, want %d", len(slot), h.size()))
	}
	if h.version >= slotSumVersion {
		n := len(slot) - slotSumSize
		sum := sha256.Sum256(slot[:n])
		if !bytes.Equal(sum[:], slot[n:]) {
			return nil, nil, damaged(malformed("key slot does not match its checksum"))
		}
		slot = slot[:n]
	}
	if h.kind != kind {
		return nil, nil, malformed("this is a %s slot, not a %s slot", kindName(h.kind), kindName(kind))
	}
	if h.version >= slotSeedVersion && kind != kindPassword {
		return nil, nil, damaged(malformed("a %s slot of format version %d", kindName(kind), h.version))
	}
	key := h.params.derive(secret, h.salt)
	defer clear(key)
	a, err := newGCM(key)
	if err != nil {
		return nil, nil, err
	}
	plain, err := a.Decrypt(slot[slotHeaderSize:], slices.Concat(h.raw, binding))
	if err != nil {
		return nil, nil, app.ErrWrongPassword
	}
	if h.version >= slotSeedVersion {
		return plain[:slotKeySize], plain[slotKeySize:], nil
	}
	return plain, nil, nil
}

// PasswordSlot wraps the vault master key and the user's signing-key seed
// (SigningSeedSize bytes) under a user's password with Argon2id parameters
// p (use Calibrate; bounds are enforced, ErrSlotParams), in a version-3
// slot. A nil seed writes a version-2 slot, without a signing key (a
// joining workstation's, until the user's own slots arrive). The slot opens
// only with the same user name and password.
func (k *Keyring) PasswordSlot(user string, password, seed []byte, p KDFParams) ([]byte, error) {
	master, err := k.masterCopy()
	if err != nil {
		return nil, err
	}
	defer clear(master)
	slot, err := sealSummedSlot(master, seed, kindPassword, p, password, []byte(user))
	if err != nil {
		return nil, fmt.Errorf("write password slot for %s: %w", user, err)
	}
	return slot, nil
}

// RecoverySlot wraps the vault master key under a recovery key (from
// NewRecoveryKey). The key carries 160 random bits, so the slot uses
// FastKDF parameters.
func (k *Keyring) RecoverySlot(recoveryKey string) ([]byte, error) {
	secret, err := ParseRecoveryKey(recoveryKey)
	if err != nil {
		return nil, fmt.Errorf("write recovery slot: %w", err)
	}
	defer clear(secret)
	master, err := k.masterCopy()
	if err != nil {
		return nil, err
	}
	defer clear(master)
	slot, err := sealSummedSlot(master, nil, kindRecovery, FastKDF(), secret, []byte(recoveryBinding))
	if err != nil {
		return nil, fmt.Errorf("write recovery slot: %w", err)
	}
	return slot, nil
}

// OpenPasswordSlot unlocks a vault: it opens a password slot and then the
// key bundle with the master key found in it. It returns the user's
// signing-key seed too when the slot holds one (version 3; nil otherwise);
// the caller clears it when done.
//
// Errors: a wrong user name or password wraps app.ErrWrongPassword; slot
// parameters out of bounds wrap ErrSlotParams (checked before hashing);
// a truncated or garbled slot or bundle, or a version-2 slot that does not
// match its sum, wraps ErrMalformed; all of these also wrap app.ErrDamaged.
// A bundle that fails authentication wraps app.ErrTampered. A slot of another vault,
// opened with its own password against this vault's bundle, gives
// app.ErrTampered (the slot opens, the bundle's MAC does not verify).
func OpenPasswordSlot(bundle, slot []byte, user string, password []byte) (*Keyring, []byte, error) {
	b, err := parseBundle(bundle)
	if err != nil {
		return nil, nil, fmt.Errorf("open key bundle: %w", damaged(err))
	}
	master, seed, err := openSlot(slot, kindPassword, password, []byte(user))
	if err != nil {
		return nil, nil, fmt.Errorf("open key slot: %w", err)
	}
	k, err := b.open(master)
	if err != nil {
		clear(seed)
		return nil, nil, err
	}
	return k, seed, nil
}

// OpenRecoverySlot unlocks a vault with the printed recovery key. Errors
// are those of OpenPasswordSlot; a mistyped key (bad length or check
// group) wraps ErrMalformed before any hashing runs.
func OpenRecoverySlot(bundle, slot []byte, recoveryKey string) (*Keyring, error) {
	secret, err := ParseRecoveryKey(recoveryKey)
	if err != nil {
		return nil, fmt.Errorf("open recovery slot: %w", err)
	}
	defer clear(secret)
	b, err := parseBundle(bundle)
	if err != nil {
		return nil, fmt.Errorf("open key bundle: %w", damaged(err))
	}
	master, _, err := openSlot(slot, kindRecovery, secret, []byte(recoveryBinding))
	if errors.Is(err, app.ErrWrongPassword) {
		return nil, fmt.Errorf("open recovery slot: this recovery key does not match the vault: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open recovery slot: %w", err)
	}
	return b.open(master)
}
