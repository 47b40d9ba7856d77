// Package archive is the organisation's central archive server: it keeps
// every record version and blob the workstations push, in one global
// order, and hands them to every other workstation on pull.
//
// The package holds the Store interface (what an archive backend must do),
// and Server, the http.Handler that exposes a Store through the wire API of
// package api. Backends live in sibling packages (boltstore, the embedded
// default; pgstore, PostgreSQL); storetest is the conformance suite every
// backend passes. Binder ties client certificates to vault device ids;
// CheckPush, CheckChunk and the other Check functions are the checks every
// backend makes first, and Replay, Duplicate, ContinueAudit, PageFull and
// UploadStatus the decisions every backend makes alike on what it holds.
//
// Invariants:
//   - The archive stores ciphertext as the devices sealed it, with only the
//     metadata sync needs (kind, id, version, parent, device, sizes). It
//     never holds a vault key and never decrypts: a stolen archive disk
//     reveals no PHI.
//   - Nothing is lost or resolved here: every version of a record is kept,
//     conflicting siblings included; choosing the current version is the
//     workstations' job, deterministically, on every replica.
//   - A push is atomic, durable before it is acknowledged, and idempotent
//     per (device, batch): a replayed batch gets its first answer and
//     stores nothing new.
//   - Global sequence numbers are 1, 2, 3 … without gaps, in commit order,
//     so a pull cursor never skips a change.
//   - A blob becomes visible only after every chunk's hash and the whole
//     blob's hash (its id) have been verified; a verified chunk is durable
//     and is never asked for again.
//   - The server takes the calling device's identity only from
//     DeviceFromRequest (the verified TLS client certificate); a request
//     naming another device is refused.
//   - The archive serves one vault: the first one shown to it (a claim
//     signed by the vault's identity key, Store.ClaimVault). Only devices
//     that showed it push, pull, move blobs, list key requests and grant
//     keys; a grant is kept only when signed by that vault's key. See
//     docs/enrollment.md.
//   - Each device is held to Limits (requests, bytes, blob size: 429 with
//     Retry-After over them; its storage quota, counted persistently by
//     the store: 507 over it); an upload idle too long is discarded
//     (Store.ExpireUploads).
package archive

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"folio/archive/api"
)

// Store is what an archive backend must do. Implementations are safe for
// concurrent use. Errors wrap the api sentinels (api.ErrInvalid,
// api.ErrConflict, api.ErrHashMismatch, api.ErrNotFound, api.ErrForbidden…)
// so the server can map them to wire codes.
type Store interface {
	// Push stores a device's batch atomically and durably, giving each new
	// version the next global sequence number, and records at as the
	// device's last contact. Each version's endorsement is kept with it. A
	// version the archive already holds with the same bytes and
	// endorsement is answered Duplicate with its earlier seq; with other
	// bytes the whole batch fails with api.ErrConflict. A replayed
	// (Device, Batch) with the same content returns the first answer
	// (Replayed set) and stores nothing; with other content it fails with
	// api.ErrConflict. Every version must have been written by req.Device
	// (api.ErrForbidden otherwise). The audit entries must continue the
	// device's chain (api.ErrInvalid for a gap, api.ErrHashMismatch for a
	// broken link, api.ErrConflict for an entry that differs from the one
	// held: the device's trail was altered).
	Push(ctx context.Context, req api.PushRequest, at time.Time) (api.PushResponse, error)
	// Pull returns up to limit changes with Seq > after, in order (limit is
	// clamped to 1..api.MaxPullLimit; a page stops before its ciphertext
	// would pass api.MaxPullPageBytes, holding at least one change), and records after as the device's
	// cursor (it holds everything up to it) and at as its last contact. A
	// cursor past the head is api.ErrConflict (a different archive).
	Pull(ctx context.Context, device api.DeviceID, after uint64, limit int, at time.Time) (api.PullResponse, error)
	// Versions returns every version of one record the archive holds, in
	// global order, or api.ErrNotFound.
	Versions(ctx context.Context, kind, id string) ([]api.Change, error)
	// Endorsed returns the versions of users and key slots (the kinds
	// endorse.NeedsEndorsement names) with Seq > after, in global order,
	// with their endorsements: what the archive's endorse.Signers registry
	// is built from.
	Endorsed(ctx context.Context, after uint64) ([]api.Change, error)

	// BlobStatus says which chunks of a blob are stored, or api.ErrNotFound
	// when none is. An upload whose chunks are all stored but that was cut
	// before it was assembled is completed here.
	BlobStatus(ctx context.Context, id string) (api.BlobStatus, error)
	// PutChunk stores chunk n of blob id (size bytes in all) after checking
	// that data hashes to sum and has the chunk's length (api.ErrHashMismatch,
	// api.ErrInvalid: nothing stored). The first chunk fixes the blob's size;
	// a later size differing is api.ErrConflict. A chunk already stored, or
	// any chunk of a complete blob, is accepted without storing anything.
	// When the last missing chunk arrives the blob is assembled, its hash
	// checked against id (api.ErrHashMismatch: the upload is discarded) and
	// only then made visible.
	PutChunk(ctx context.Context, id string, size int64, n int, sum [32]byte, data []byte) (api.BlobStatus, error)
	// ExpireUploads discards every incomplete upload that has received no
	// chunk since before (its chunks are deleted; a workstation starts it
	// again from the first chunk) and returns how many it discarded.
	// Complete blobs are never touched.
	ExpireUploads(ctx context.Context, before time.Time) (int, error)
	// Charge counts a blob of size bytes against the storage of device,
	// the one uploading it, for good (it survives restarts): once per
	// blob, so a blob the archive already holds or receives from another
	// device costs nothing again. It fails with api.ErrQuota, charging
	// nothing, when device would then hold more than quota bytes (quota ≤ 0:
	// no quota). It returns what device holds (DeviceInfo.Held). Push
	// counts the new versions' bytes; ExpireUploads gives a discarded
	// upload's charge back.
	Charge(ctx context.Context, device api.DeviceID, blob string, size, quota int64) (int64, error)
	// SetQuota sets the storage quota of the workstation named name (its
	// certificate's name), in place of the server's --device-quota for
	// it: bytes > 0 a quota, NoQuota none, 0 back to the server's (what
	// CheckQuota refuses is api.ErrInvalid). It is kept for good and
	// applies from the next push or upload on, in every archive process
	// sharing the store.
	SetQuota(ctx context.Context, name string, bytes int64) error
	// Quotas returns the quotas set with SetQuota, by workstation name.
	Quotas(ctx context.Context) (map[string]int64, error)
	// OpenBlob opens a complete blob for reading, or api.ErrNotFound.
	OpenBlob(ctx context.Context, id string) (io.ReadSeekCloser, int64, error)
	// Blobs lists the ids of every complete blob, sorted (an upload in
	// progress is not listed).
	Blobs(ctx context.Context) ([]string, error)

	// AuditEntries returns device's audit entries with Seq > after, in
	// order: up to limit (clamped to 1..api.MaxBatchAudit), stopping before
	// their sealed bytes would pass api.MaxPullPageBytes (a page holds at
	// least one entry). Through is the last seq held; a device that never
	// pushed has an empty chain (Through 0), not an error.
	AuditEntries(ctx context.Context, device api.DeviceID, after uint64, limit int) (api.AuditPage, error)
	// Device returns what the archive knows of a device, or api.ErrNotFound.
	Device(ctx context.Context, id api.DeviceID) (api.DeviceInfo, error)
	// Bind ties a certificate to the device id it claims, on first use:
	// an enrollment file works once. A binding already held is accepted
	// again. A certificate bound to another device is api.ErrEnrollmentUsed
	// (CheckRebind), a first use after the certificate's EnrollBy is
	// api.ErrEnrollmentExpired (CheckFirstUse), a device bound to another
	// certificate of another name is api.ErrForbidden (all three wrap
	// api.ErrForbidden); a renewed certificate of the same name takes its
	// device over.
	Bind(ctx context.Context, b api.Binding) error

	// ClaimVault records that device showed it holds the vault whose
	// identity key is pub (the caller has checked the claim's signature).
	// The first claim on an archive makes that vault the organisation's,
	// for good; a claim with another key is api.ErrForeignVault. Claiming
	// again is accepted. It returns the organisation's vault.
	ClaimVault(ctx context.Context, device api.DeviceID, pub []byte, at time.Time) (api.OrgVault, error)
	// OrgVault returns the organisation's vault, or api.ErrNotFound before
	// the first claim.
	OrgVault(ctx context.Context) (api.OrgVault, error)
	// VaultMember reports whether device has claimed the organisation's
	// vault.
	VaultMember(ctx context.Context, device api.DeviceID) (bool, error)

	// PutKeyRequest stores a device's request for the vault keys. The same
	// public key again returns the request as held; another key replaces a
	// pending request, and is api.ErrConflict once it was granted.
	PutKeyRequest(ctx context.Context, req api.KeyRequest) (api.KeyRequest, error)
	// KeyRequest returns one device's request, or api.ErrNotFound.
	KeyRequest(ctx context.Context, device api.DeviceID) (api.KeyRequest, error)
	// KeyRequests returns every request, by device id.
	KeyRequests(ctx context.Context) ([]api.KeyRequest, error)
	// GrantKey stores the wrapped keys and their signature for g.Device's
	// pending request (the caller has checked the signature):
	// api.ErrNotFound without one; granting it again with the same bytes
	// is accepted, with other bytes api.ErrConflict.
	GrantKey(ctx context.Context, g api.KeyGrant, by api.DeviceID, at time.Time) (api.KeyRequest, error)

	// PutBundleWorkstation keeps what a workstation's latest sync bundle
	// said, replacing what that vault's earlier bundles said (api.ErrInvalid
	// when Validate fails).
	PutBundleWorkstation(ctx context.Context, w BundleWorkstation) error
	// BundleWorkstation returns the bundle record of the workstation named
	// name (of its vaults, the one updated last), or api.ErrNotFound.
	BundleWorkstation(ctx context.Context, name string) (BundleWorkstation, error)

	// Metrics counts devices, changes and stored bytes.
	Metrics(ctx context.Context) (api.Metrics, error)
	// Close releases the store; everything acknowledged stays durable.
	Close() error
}

// BundleWorkstation is what the archive keeps of a workstation's latest
// sync bundle, so that it can write that workstation a reply later
// ('folio-archive export') without a new bundle from it. Every archive
// process sharing a store sees it.
type BundleWorkstation struct {
	Device   api.DeviceID `json:"device"`
	Name     string       `json:"name"`
	ReplyKey []byte       `json:"reply_key"`      // the workstation's public bundle key
	Cursor   uint64       `json:"cursor"`         // the workstation holds every change up to it
	Have     []string     `json:"have,omitempty"` // the blobs it holds (archive ids)
	Updated  time.Time    `json:"updated"`
}

// MaxBundleKey bounds a workstation's public bundle key.
const MaxBundleKey = 8 << 10

// Validate checks a bundle record before it is stored.
func (w BundleWorkstation) Validate() error {
	switch {
	case w.Device == 0:
		return fmt.Errorf("%w: a bundle record names no device", api.ErrInvalid)
	case w.Name == "" || len(w.Name) > 256 || !utf8.ValidString(w.Name) || strings.ContainsRune(w.Name, 0):
		return fmt.Errorf("%w: a bundle record's workstation name %.70q is not 1 to 256 bytes of text", api.ErrInvalid, w.Name)
	case len(w.ReplyKey) == 0 || len(w.ReplyKey) > MaxBundleKey:
		return fmt.Errorf("%w: a bundle record's reply key is not 1 to %d bytes", api.ErrInvalid, MaxBundleKey)
	}
	for _, id := range w.Have {
		if _, err := api.ParseBlobID(id); err != nil {
			return fmt.Errorf("bundle record of %s: %w", w.Name, err)
		}
	}
	return nil
}
