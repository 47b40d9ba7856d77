// Package api is the archive's wire protocol: the types a workstation (the
// syncer package) and the archive server (the archive package) exchange over
// HTTPS, the endpoints they use, and the decoders both sides run on what they
// receive.
//
// Invariants:
//   - Every decoder checks a size limit before it reads or allocates more,
//     refuses unknown fields and trailing data, and validates what it
//     decoded: a value a decoder returns without error is within the limits
//     below. Decoders never panic, whatever the input (they are fuzzed).
//   - The archive sees only ciphertext: a RecordVersion carries the bytes as
//     the device sealed them, plus the metadata sync needs (kind, id,
//     version, parent) and, for users and key slots, the endorsement of
//     the user who wrote it (a name, a signing key, a hash of the
//     plaintext, a signature). Nothing here is PHI in the clear.
//   - Metadata travels as JSON; blob chunks travel as raw bytes (a chunk's
//     SHA-256 in a header), so blob bytes on the wire stay close to 1:1.
//
// Endpoints (all under the device's mTLS session; Health needs none):
//
//	POST /v1/push                      PushRequest → PushResponse
//	GET  /v1/changes?after=N&limit=M   → PullResponse
//	GET  /v1/blobs/{id}                → BlobStatus (HEAD: status code only)
//	PUT  /v1/blobs/{id}/chunks/{n}     raw chunk bytes, headers HeaderBlobSize
//	                                   and HeaderChunkSHA256 → BlobStatus
//	GET  /v1/blobs/{id}/data           the verified blob's bytes (Range allowed)
//	GET  /v1/device                    → DeviceInfo of the calling device
//	GET  /v1/audit?after=N&limit=M     → AuditPage: the calling device's own
//	                                   audit chain (a restored workstation
//	                                   fetches back what it sent)
//	GET  /v1/metrics                   → Metrics
//	GET  /v1/health                    → Health
//
// Every error answer has a 4xx/5xx status and an ErrorBody whose code maps
// back to a sentinel (ErrInvalid, ErrConflict, ErrHashMismatch…).
//
// How a client uses it:
//   - Push: number batches 1, 2, 3 … per device and keep a batch's content
//     until its answer is durable locally; after a cut, send the same batch
//     again (the archive replays its first answer). Only then advance the
//     local checkpoint (storage's Ack). A version pushed again in another
//     batch is answered Duplicate with its first seq.
//   - Pull: start from the last cursor made durable locally; apply the page,
//     make it durable, then keep Next as the cursor; repeat while More.
//   - Upload a blob (id = SHA-256 of the bytes as stored, i.e. ciphertext):
//     GET its status (ErrNotFound: nothing stored), PUT each chunk of
//     Missing(); the answer to the last one says Complete. After a cut, ask
//     the status again: verified chunks are never asked for twice.
//   - Download: GET …/data with a Range from the bytes already held; check
//     the whole SHA-256 against the id before using the blob.
package api

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"folio/endorse"
)

// Paths of the endpoints (see the package comment).
const (
	PathPush    = "/v1/push"
	PathChanges = "/v1/changes"
	PathBlobs   = "/v1/blobs/"
	PathDevice  = "/v1/device"
	PathMetrics = "/v1/metrics"
	PathHealth  = "/v1/health"

	// HeaderBlobSize carries a blob's total size in bytes (decimal) with
	// every chunk, so the first chunk to arrive fixes the blob's shape.
	HeaderBlobSize = "X-Folio-Blob-Size"
	// HeaderChunkSHA256 carries the SHA-256 of the chunk's bytes (hex).
	HeaderChunkSHA256 = "X-Folio-Chunk-Sha256"
	// ContentTypeJSON is the type of every metadata body.
	ContentTypeJSON = "application/json"
)

// Limits. A body or field over its limit is refused before it is read.
const (
	MaxKindLen       = 64
	MaxIDLen         = 256
	MaxCiphertext    = 4 << 20 // one sealed record version
	MaxBatchVersions = 1000
	MaxBatchAudit    = 1000
	MaxSealedAudit   = 64 << 10 // one sealed audit event
	// MaxPushBody bounds a push request: the ciphertexts travel as base64.
	MaxPushBody  = 48 << 20
	MaxPullLimit = 1000
	// MaxPullPageBytes bounds the ciphertext of one pull page (a page
	// holds at least one change, whatever its size).
	MaxPullPageBytes = 16 << 20
	// MaxPullBody bounds a pull answer a client will read.
	MaxPullBody = 64 << 20
	// MaxMetaBody bounds every other JSON body (status, device, metrics…).
	MaxMetaBody = 4 << 20
	// ChunkSize is the size of every chunk of a blob but the last.
	ChunkSize = 1 << 20
	// MaxBlobSize bounds one blob (a scanned original).
	MaxBlobSize = 4 << 30
	// MaxChunks is the most chunks a blob can have.
	MaxChunks = MaxBlobSize / ChunkSize
	// MaxDevices bounds the device list of a Metrics answer.
	MaxDevices = 10000
)

// DeviceID names one workstation profile (the same number as app.DeviceID).
// On the wire it is 16 hex digits, so no JSON reader loses precision.
type DeviceID uint64

// String returns the device id as 16 hex digits.
func (d DeviceID) String() string { return fmt.Sprintf("%016x", uint64(d)) }

// MarshalText renders the id as 16 hex digits.
func (d DeviceID) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads 16 hex digits.
func (d *DeviceID) UnmarshalText(b []byte) error {
	id, err := ParseDeviceID(string(b))
	if err != nil {
		return err
	}
	*d = id
	return nil
}

// ParseDeviceID reads a device id written as 16 hex digits.
func ParseDeviceID(s string) (DeviceID, error) {
	if len(s) != 16 {
		return 0, fmt.Errorf("%w: device id %.20q is not 16 hex digits", ErrInvalid, s)
	}
	n, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: device id %q is not 16 hex digits", ErrInvalid, s)
	}
	return DeviceID(n), nil
}

// Version identifies one immutable version of a record: a hybrid logical
// clock reading and the device that wrote it (as app.Version). The zero
// Version means "none" (the parent of a first version).
type Version struct {
	HLC    uint64   `json:"hlc"`
	Device DeviceID `json:"device"`
}

// IsZero reports whether v is the zero ("no version") value.
func (v Version) IsZero() bool { return v.HLC == 0 && v.Device == 0 }

// String renders a version as "hlc.device" in hex.
func (v Version) String() string { return fmt.Sprintf("%x.%s", v.HLC, v.Device) }

// RecordVersion is one version of one record as a device sealed it.
type RecordVersion struct {
	Kind    string  `json:"kind"`
	ID      string  `json:"id"`
	Version Version `json:"version"`
	Parent  Version `json:"parent"` // zero for a first version
	// Ciphertext is the sealed value exactly as the device stored it; its
	// associated data binds it to kind, id and version.
	Ciphertext []byte `json:"ciphertext"`
	// Endorsement, on a user or key-slots version, says which signed-in
	// user wrote it, signed (package endorse): the archive checks it
	// before it stores the version, and so does every workstation.
	Endorsement *endorse.Endorsement `json:"endorsement,omitempty"`
}

// AuditEntry is one link of a device's audit chain (as app.AuditEntry):
// Hash = AuditChainHash(previous Hash, Seq, Sealed).
type AuditEntry struct {
	Seq    uint64 `json:"seq"`
	Sealed []byte `json:"sealed"`
	Hash   []byte `json:"hash"`
}

// AuditChainHash is the link hash of a device's audit chain:
// SHA-256(prev ‖ seq (8 bytes big-endian) ‖ sealed), prev being 32 zero
// bytes for seq 1. It is the formula the storage package uses.
func AuditChainHash(prev []byte, seq uint64, sealed []byte) []byte {
	h := sha256.New()
	if prev == nil {
		prev = make([]byte, sha256.Size)
	}
	h.Write(prev)
	h.Write(binary.BigEndian.AppendUint64(nil, seq))
	h.Write(sealed)
	return h.Sum(nil)
}

// PushRequest is one batch of a device's changes. (Device, Batch) makes a
// push idempotent: the archive answers a replayed batch with its first
// answer and stores nothing new.
type PushRequest struct {
	Device   DeviceID        `json:"device"`
	Batch    uint64          `json:"batch"` // ≥ 1, the device's own numbering
	Versions []RecordVersion `json:"versions"`
	// Audit continues the device's audit chain: the entries follow the last
	// one the archive holds, without gaps (an entry it already holds with
	// the same hash is accepted again).
	Audit []AuditEntry `json:"audit,omitempty"`
}

// PushResult is the archive's answer for one version of a batch.
type PushResult struct {
	// Seq is the global sequence number the archive gave the version.
	Seq uint64 `json:"seq"`
	// Duplicate is true when the archive already had this version (from an
	// earlier batch): nothing new was stored and Seq is the earlier one.
	Duplicate bool `json:"duplicate,omitempty"`
}

// PushResponse acknowledges a batch: everything in it is durable.
type PushResponse struct {
	Batch   uint64       `json:"batch"`
	Results []PushResult `json:"results"` // one per version, in order
	// AuditThrough is the last seq of the device's audit chain the archive
	// holds durably.
	AuditThrough uint64 `json:"audit_through"`
	// Replayed is true when this batch had been pushed before: the answer
	// is the first one and nothing was stored.
	Replayed bool `json:"replayed,omitempty"`
	// Countersign is the archive's signature over the device's audit chain
	// through AuditThrough (nil when it holds none of it yet).
	Countersign *Countersignature `json:"countersign,omitempty"`
}

// Change is one version in the archive's global order.
type Change struct {
	Seq    uint64   `json:"seq"`
	Pusher DeviceID `json:"pusher"` // the device that pushed it
	RecordVersion
}

// PullResponse is one page of changes after a cursor.
type PullResponse struct {
	Changes []Change `json:"changes"`
	// Next is the cursor for the next page: the Seq of the last change
	// (the request's cursor when the page is empty).
	Next uint64 `json:"next"`
	// More is true when changes after Next exist.
	More bool `json:"more"`
	// Head is the archive's last global sequence number.
	Head uint64 `json:"head"`
}

// BlobStatus says how far a blob's upload has got.
type BlobStatus struct {
	ID        string `json:"id"`
	Size      int64  `json:"size"`
	ChunkSize int    `json:"chunk_size"`
	Chunks    int    `json:"chunks"`
	// Have lists the chunks stored and verified, ascending (empty once
	// Complete: the chunks became the blob).
	Have []int `json:"have,omitempty"`
	// Complete is true once the whole blob is stored, its hash verified.
	Complete bool `json:"complete"`
}

// CompleteBlob is the status of blob id, size bytes, stored whole.
func CompleteBlob(id string, size int64) BlobStatus {
	return BlobStatus{ID: id, Size: size, ChunkSize: ChunkSize, Chunks: ChunkCount(size), Complete: true}
}

// PartialBlob is the status of the upload of blob id, size bytes, that
// holds the verified chunks have (ascending).
func PartialBlob(id string, size int64, have []int) BlobStatus {
	return BlobStatus{ID: id, Size: size, ChunkSize: ChunkSize, Chunks: ChunkCount(size), Have: have}
}

// Missing returns the chunks still to send, ascending.
func (s BlobStatus) Missing() []int {
	if s.Complete {
		return nil
	}
	have := make(map[int]bool, len(s.Have))
	for _, n := range s.Have {
		have[n] = true
	}
	var out []int
	for n := range s.Chunks {
		if !have[n] {
			out = append(out, n)
		}
	}
	return out
}

// DeviceInfo is what the archive knows of one device.
type DeviceInfo struct {
	ID DeviceID `json:"id"`
	// Name is the workstation's name from its certificate (empty for a
	// device that never called with one).
	Name      string    `json:"name,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// LastBatch is the highest batch number the archive has stored for
	// the device (a restarted device resumes after it).
	LastBatch uint64 `json:"last_batch"`
	// Versions is how many versions the device has pushed.
	Versions uint64 `json:"versions"`
	// AuditThrough is the last seq of its audit chain the archive holds.
	AuditThrough uint64 `json:"audit_through"`
	// Cursor is the highest pull cursor the device has asked from: it has
	// everything up to it. Backlog = Metrics.Head − Cursor.
	Cursor  uint64 `json:"cursor"`
	Backlog uint64 `json:"backlog"`
	// Held is how many bytes the device holds on the archive, counted
	// against its storage quota: the versions it pushed and the blobs it
	// uploaded first, incomplete uploads included.
	Held int64 `json:"held_bytes"`
}

// Metrics is the administrator's view of the archive.
type Metrics struct {
	Head        uint64       `json:"head"` // last global sequence number
	Devices     []DeviceInfo `json:"devices"`
	RecordBytes int64        `json:"record_bytes"` // ciphertext of record versions
	Blobs       int64        `json:"blobs"`
	BlobBytes   int64        `json:"blob_bytes"`
	// Uploads is how many blob uploads are under way (some chunks stored).
	Uploads int `json:"uploads"`
	// Vault is the organisation's vault (nil before the first claim);
	// the server and 'folio-archive status' fill it in, not Store.Metrics.
	Vault *OrgVault `json:"vault,omitempty"`
}

// Health is the answer of the health endpoint.
type Health struct {
	Status string    `json:"status"` // "ok"
	Time   time.Time `json:"time"`
}

// ChunkCount returns how many chunks a blob of size bytes has.
func ChunkCount(size int64) int {
	if size <= 0 {
		return 0
	}
	return int((size + ChunkSize - 1) / ChunkSize)
}

// ChunkLen returns the length of chunk n of a blob of size bytes.
func ChunkLen(size int64, n int) int {
	if n < 0 || n >= ChunkCount(size) {
		return 0
	}
	if rest := size - int64(n)*ChunkSize; rest < ChunkSize {
		return int(rest)
	}
	return ChunkSize
}

// BlobID returns the content address of a blob: its SHA-256, hex.
func BlobID(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// ParseBlobID checks that id is a content address (64 lowercase hex digits).
func ParseBlobID(id string) (string, error) {
	if _, err := ParseSHA256(id); err != nil {
		return "", fmt.Errorf("%w: blob id %.70q is not a SHA-256 in lowercase hex", ErrInvalid, id)
	}
	return id, nil
}

// ParseSHA256 reads a SHA-256 written as 64 lowercase hex digits.
func ParseSHA256(s string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	if len(s) != 2*sha256.Size {
		return sum, fmt.Errorf("%w: %.70q is not a SHA-256 in hex", ErrInvalid, s)
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return sum, fmt.Errorf("%w: %.70q is not a SHA-256 in lowercase hex", ErrInvalid, s)
		}
	}
	if _, err := hex.Decode(sum[:], []byte(s)); err != nil {
		return sum, fmt.Errorf("%w: %.70q is not a SHA-256 in hex", ErrInvalid, s)
	}
	return sum, nil
}

// ParseBlobSize reads the HeaderBlobSize value.
func ParseBlobSize(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > MaxBlobSize || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("%w: blob size %.30q is not a number from 1 to %d", ErrInvalid, s, int64(MaxBlobSize))
	}
	return n, nil
}

// ParseChunkIndex reads a chunk number from a path for a blob of size bytes.
func ParseChunkIndex(s string, size int64) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strconv.Itoa(n) != s {
		return 0, fmt.Errorf("%w: chunk number %.30q is not a number", ErrInvalid, s)
	}
	if c := ChunkCount(size); n >= c {
		return 0, fmt.Errorf("%w: chunk %d is past the end of a %d-byte blob (%d chunks)", ErrInvalid, n, size, c)
	}
	return n, nil
}
