package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"folio/archive/api"
	"folio/endorse"
)

// The checks every Store makes before it touches its data, in one place so
// that the backends refuse the same requests with the same errors.

// CheckPush validates a push request, checks that every version was
// written by the pushing device, and returns the digest that makes the
// batch idempotent (a replay must carry the same content).
func CheckPush(req api.PushRequest) ([sha256.Size]byte, error) {
	if err := req.Validate(); err != nil {
		return [sha256.Size]byte{}, err
	}
	for i, v := range req.Versions {
		if v.Version.Device != req.Device {
			return [sha256.Size]byte{}, fmt.Errorf("%w: version %d of batch %d (%s %s) was written by device %s, not by the pushing device %s", api.ErrForbidden, i, req.Batch, v.Kind, v.ID, v.Version.Device, req.Device)
		}
	}
	canon, err := json.Marshal(req)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("push batch %d: %w", req.Batch, err)
	}
	return sha256.Sum256(canon), nil
}

// CheckChunk validates chunk n of blob id (size bytes in all): its place,
// its length and its SHA-256.
func CheckChunk(id string, size int64, n int, sum [sha256.Size]byte, data []byte) error {
	if _, err := api.ParseBlobID(id); err != nil {
		return err
	}
	if size < 1 || size > api.MaxBlobSize {
		return fmt.Errorf("%w: blob size %d is not from 1 to %d", api.ErrInvalid, size, int64(api.MaxBlobSize))
	}
	if n < 0 || n >= api.ChunkCount(size) {
		return fmt.Errorf("%w: chunk %d is past the end of a %d-byte blob", api.ErrInvalid, n, size)
	}
	if want := api.ChunkLen(size, n); len(data) != want {
		return fmt.Errorf("%w: chunk %d of blob %s is %d bytes, want %d: the transfer was cut, send it again", api.ErrInvalid, n, id, len(data), want)
	}
	if got := sha256.Sum256(data); got != sum {
		return fmt.Errorf("%w: chunk %d of blob %s does not match its SHA-256 (damaged in transit): send it again", api.ErrHashMismatch, n, id)
	}
	return nil
}

// CheckFirstUse refuses the first binding of a certificate whose
// enrollment deadline has passed: an enrollment file is short-lived.
func CheckFirstUse(b api.Binding) error {
	if !b.EnrollBy.IsZero() && b.Bound.After(b.EnrollBy) {
		return fmt.Errorf("%w: %w: the enrollment file for %s expired on %s before it was first used: ask the archive's administrator for a new one ('folio-archive device revoke --name %s', then 'folio-archive device add')",
			api.ErrEnrollmentExpired, api.ErrForbidden, b.Name, b.EnrollBy.UTC().Format(time.RFC3339), b.Name)
	}
	return nil
}

// CheckRebind refuses a certificate already bound (held) to another
// device than b's: an enrollment file works once.
func CheckRebind(held, b api.Binding) error {
	if held.Device != b.Device {
		return fmt.Errorf("%w: %w: the enrollment file for %s (certificate %s) was already used by another vault (device %s) on %s; an enrollment file works once: ask the archive's administrator for a new one",
			api.ErrEnrollmentUsed, api.ErrForbidden, held.Name, b.Serial, held.Device, held.Bound.UTC().Format(time.RFC3339))
	}
	return nil
}

// CheckTakeover refuses b when its device is enrolled under another
// name, heldName: one workstation's certificate cannot take over
// another's device.
func CheckTakeover(heldName string, b api.Binding) error {
	if heldName != b.Name {
		return fmt.Errorf("%w: device %s is enrolled as %q; a certificate for %q cannot take it over", api.ErrForbidden, b.Device, heldName, b.Name)
	}
	return nil
}

// NoKeyRequest is the error for device's key request when the device has
// not asked for the vault keys.
func NoKeyRequest(device api.DeviceID) error {
	return fmt.Errorf("%w: device %s has not asked for the vault keys", api.ErrNotFound, device)
}

// NoBlob is the error for blob id when the archive holds no part of it.
func NoBlob(id string) error {
	return fmt.Errorf("%w: the archive holds no part of blob %s", api.ErrNotFound, id)
}

// BlobIncomplete is the error for opening blob id before it is complete.
func BlobIncomplete(id string) error {
	return fmt.Errorf("%w: blob %s is not (completely) stored", api.ErrNotFound, id)
}

// NoVersions is the error for record kind id when the archive holds no
// version of it.
func NoVersions(kind, id string) error {
	return fmt.Errorf("%w: the archive holds no version of %s %s", api.ErrNotFound, kind, id)
}

// UnknownDevice is the error for device id when the archive has not heard
// from it.
func UnknownDevice(id api.DeviceID) error {
	return fmt.Errorf("%w: the archive has not heard from device %s yet", api.ErrNotFound, id)
}

// NoBundle is the error for the workstation named name when no sync
// bundle from it has come.
func NoBundle(name string) error {
	return fmt.Errorf("%w: no sync bundle from a workstation named %s yet", api.ErrNotFound, name)
}

// CheckBinding checks that b names a device, a certificate serial and a
// name.
func CheckBinding(b api.Binding) error {
	if b.Device == 0 || b.Serial == "" || b.Name == "" {
		return fmt.Errorf("%w: a binding needs a device, a certificate serial and a name", api.ErrInvalid)
	}
	return nil
}

// CheckClaim checks that a vault claim names a device and a key of
// api.VaultKeySize bytes.
func CheckClaim(device api.DeviceID, pub []byte) error {
	if device == 0 || len(pub) != api.VaultKeySize {
		return fmt.Errorf("%w: a vault claim names a device and a %d-byte key", api.ErrInvalid, api.VaultKeySize)
	}
	return nil
}

// ErrNoVaultYet is what OrgVault answers before the first claim.
var ErrNoVaultYet = fmt.Errorf("%w: no workstation has shown this archive its vault yet: the first one enrolled with a vault ('folio sync enroll') makes it the organisation's", api.ErrNotFound)

// CheckVaultKey refuses a claim by device with a vault key other than the
// organisation's (org).
func CheckVaultKey(org api.OrgVault, device api.DeviceID, pub []byte) error {
	if !bytes.Equal(org.PublicKey, pub) {
		return fmt.Errorf("%w: %w: this archive serves the organisation's vault %s (first shown by device %s on %s); this workstation's vault (device %s) is another one, %s: its records cannot sync here. A workstation joins the organisation's vault empty: 'folio init --join FILE' with a new enrollment file",
			api.ErrForeignVault, api.ErrForbidden, org.Fingerprint(), org.Device, org.Bound.UTC().Format(time.DateOnly), device, api.VaultFingerprint(pub))
	}
	return nil
}

// SameEndorsement reports whether two endorsements of one version are the
// same (both absent, or equal in every field): a version pushed again must
// carry the one it was stored with.
func SameEndorsement(a, b *endorse.Endorsement) bool {
	if a == nil || b == nil {
		return a == b
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
