package archive

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"folio/archive/api"
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
