package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"folio/archive/api"
)

// The decisions every store makes alike inside its push, pull and upload
// transactions: the store reads what it holds, these decide, and the store
// writes what they return. The conformance suite (storetest) holds every
// store to them.

// Replay answers batch req again from what the store kept of its first
// push: keptDigest (CheckPush's digest of the first content) and
// keptAnswer (the first answer, JSON). A batch number pushed again with
// other content is api.ErrConflict.
func Replay(req api.PushRequest, digest [sha256.Size]byte, keptDigest, keptAnswer []byte) (api.PushResponse, error) {
	if !bytes.Equal(keptDigest, digest[:]) {
		return api.PushResponse{}, fmt.Errorf("%w: batch %d of device %s was already pushed with different content: number new batches after %d", api.ErrConflict, req.Batch, req.Device, req.Batch)
	}
	var resp api.PushResponse
	if err := json.Unmarshal(keptAnswer, &resp); err != nil {
		return api.PushResponse{}, fmt.Errorf("%w: stored answer to batch %d is damaged: %v", api.ErrInternal, req.Batch, err)
	}
	resp.Replayed = true
	return resp, nil
}

// Duplicate answers v, a version a push carries that the store holds
// already as had: its earlier seq when both are the same (parent,
// ciphertext and endorsement), api.ErrConflict when not (a version is
// immutable).
func Duplicate(had api.Change, v api.RecordVersion) (api.PushResult, error) {
	if had.Parent != v.Parent || !bytes.Equal(had.Ciphertext, v.Ciphertext) || !SameEndorsement(had.Endorsement, v.Endorsement) {
		return api.PushResult{}, fmt.Errorf("%w: %s %s version %s is already stored with different content (global seq %d): a version is immutable", api.ErrConflict, v.Kind, v.ID, v.Version, had.Seq)
	}
	return api.PushResult{Seq: had.Seq, Duplicate: true}, nil
}

// ContinueAudit checks entries (consecutive seqs, as CheckPush has made
// sure) against device d's audit chain, which the store holds through
// seq through, and returns the entries new to the chain, in order: the
// store appends them, and holds the chain through the last one's Seq.
// held(seq) is the hash of entry seq as the store holds it; it is asked
// only for seqs from 1 to through. An entry held already must carry the
// same hash (api.ErrConflict: the device's trail was altered); a new one
// must link to the entry before it (api.ErrHashMismatch) and follow it
// without a gap (api.ErrInvalid).
func ContinueAudit(d api.DeviceID, through uint64, entries []api.AuditEntry, held func(seq uint64) []byte) ([]api.AuditEntry, error) {
	var add []api.AuditEntry
	hash := func(seq uint64) []byte {
		switch {
		case seq == 0:
			return nil
		case len(add) > 0 && seq >= add[0].Seq:
			return add[seq-add[0].Seq].Hash
		}
		return held(seq)
	}
	for _, e := range entries {
		switch {
		case e.Seq <= through:
			if !bytes.Equal(hash(e.Seq), e.Hash) {
				return nil, fmt.Errorf("%w: audit entry %d of device %s differs from the one the archive holds: the device's audit trail was altered", api.ErrConflict, e.Seq, d)
			}
		case e.Seq == through+1:
			if want := api.AuditChainHash(hash(e.Seq-1), e.Seq, e.Sealed); !bytes.Equal(want, e.Hash) {
				return nil, fmt.Errorf("%w: audit entry %d of device %s does not link to entry %d", api.ErrHashMismatch, e.Seq, d, e.Seq-1)
			}
			add = append(add, e)
			through = e.Seq
		default:
			return nil, fmt.Errorf("%w: audit entry %d of device %s leaves a gap: the archive holds its trail through %d, send from %d on", api.ErrInvalid, e.Seq, d, through, through+1)
		}
	}
	return add, nil
}

// CheckPull checks a pull by device and returns its limit clamped to
// 1..api.MaxPullLimit.
func CheckPull(device api.DeviceID, limit int) (int, error) {
	if device == 0 {
		return 0, fmt.Errorf("%w: pull names no device", api.ErrInvalid)
	}
	return min(max(limit, 1), api.MaxPullLimit), nil
}

// CheckCursor refuses a pull cursor after the archive's last change, head:
// the workstation synced with a different archive (api.ErrConflict).
func CheckCursor(after, head uint64) error {
	if after > head {
		return fmt.Errorf("%w: cursor %d is past the archive's last change %d: this workstation synced with a different archive", api.ErrConflict, after, head)
	}
	return nil
}

// PageFull reports whether a page of changes or audit entries that holds
// n of them, bytes in all, is full before the next one of size bytes: it
// holds limit, or the next one would take it past api.MaxPullPageBytes
// (a page holds at least one, whatever its size).
func PageFull(n, limit, bytes, size int) bool {
	return n == limit || (n > 0 && bytes+size > api.MaxPullPageBytes)
}

// UploadStatus is the status of the upload of blob id (size bytes), whose
// verified chunks are have (ascending). Once they are all in, finish
// assembles the blob, which is then complete.
func UploadStatus(id string, size int64, have []int, finish func() error) (api.BlobStatus, error) {
	if len(have) < api.ChunkCount(size) {
		return api.PartialBlob(id, size, have), nil
	}
	if err := finish(); err != nil {
		return api.BlobStatus{}, err
	}
	return api.CompleteBlob(id, size), nil
}
