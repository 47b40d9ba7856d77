package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"folio/endorse"
)

// decode reads one JSON value of at most max bytes from r into v, refusing
// unknown fields and trailing data. The limit is checked while reading, so
// no more than max+1 bytes are ever buffered.
func decode(r io.Reader, max int64, what string, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return decodeBytes(b, max, what, v)
}

func decodeBytes(b []byte, max int64, what string, v any) error {
	if int64(len(b)) > max {
		return fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, what, max)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %s is not valid JSON: %v", ErrInvalid, what, err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %s has data after its JSON value", ErrInvalid, what)
	}
	return nil
}

// decodeValid reads one what, a JSON value of at most max bytes, and
// checks it with its Validate.
func decodeValid[T interface{ Validate() error }](r io.Reader, max int64, what string) (T, error) {
	var v, none T
	if err := decode(r, max, what, &v); err != nil {
		return none, err
	}
	if err := v.Validate(); err != nil {
		return none, err
	}
	return v, nil
}

// DecodePushRequest reads and validates a push request (at most
// MaxPushBody bytes).
func DecodePushRequest(r io.Reader) (PushRequest, error) {
	return decodeValid[PushRequest](r, MaxPushBody, "push request")
}

// Validate checks a push request against the protocol's rules and limits.
func (p PushRequest) Validate() error {
	if p.Device == 0 {
		return fmt.Errorf("%w: push names no device", ErrInvalid)
	}
	if p.Batch == 0 {
		return fmt.Errorf("%w: push batch numbers start at 1", ErrInvalid)
	}
	if len(p.Versions) > MaxBatchVersions {
		return fmt.Errorf("%w: a push carries at most %d versions (this one %d): split the batch", ErrTooLarge, MaxBatchVersions, len(p.Versions))
	}
	if len(p.Audit) > MaxBatchAudit {
		return fmt.Errorf("%w: a push carries at most %d audit entries (this one %d): split the batch", ErrTooLarge, MaxBatchAudit, len(p.Audit))
	}
	seen := make(map[string]bool, len(p.Versions))
	for i, v := range p.Versions {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("version %d of batch %d: %w", i, p.Batch, err)
		}
		k := v.Kind + "\x00" + v.ID + "\x00" + v.Version.String()
		if seen[k] {
			return fmt.Errorf("%w: version %d of batch %d (%s %s %s) appears twice", ErrInvalid, i, p.Batch, v.Kind, v.ID, v.Version)
		}
		seen[k] = true
	}
	for i, a := range p.Audit {
		if a.Seq == 0 || (i > 0 && a.Seq != p.Audit[i-1].Seq+1) {
			return fmt.Errorf("%w: audit entries of batch %d must have consecutive seqs from 1 on (entry %d has %d)", ErrInvalid, p.Batch, i, a.Seq)
		}
		if len(a.Sealed) == 0 || len(a.Sealed) > MaxSealedAudit {
			return fmt.Errorf("%w: audit entry %d is %d bytes (want 1 to %d)", ErrInvalid, a.Seq, len(a.Sealed), MaxSealedAudit)
		}
		if len(a.Hash) != 32 {
			return fmt.Errorf("%w: audit entry %d has a %d-byte hash (want 32)", ErrInvalid, a.Seq, len(a.Hash))
		}
	}
	return nil
}

// Validate checks one record version's metadata and size.
func (v RecordVersion) Validate() error {
	if v.Kind == "" || len(v.Kind) > MaxKindLen || !printable(v.Kind) {
		return fmt.Errorf("%w: kind %.70q must be 1 to %d printable characters", ErrInvalid, v.Kind, MaxKindLen)
	}
	if v.ID == "" || len(v.ID) > MaxIDLen || !printable(v.ID) {
		return fmt.Errorf("%w: record id %.70q must be 1 to %d printable characters", ErrInvalid, v.ID, MaxIDLen)
	}
	if v.Version.HLC == 0 || v.Version.Device == 0 {
		return fmt.Errorf("%w: %s %s has no version", ErrInvalid, v.Kind, v.ID)
	}
	if !v.Parent.IsZero() && (v.Parent.HLC == 0 || v.Parent.Device == 0) {
		return fmt.Errorf("%w: %s %s has a half-zero parent %s", ErrInvalid, v.Kind, v.ID, v.Parent)
	}
	// The parent's clock is not checked against the version's: a device
	// whose clock lags may amend a version pulled from one that runs ahead,
	// and the archive never refuses data over causality (nothing is lost).
	if len(v.Ciphertext) == 0 || len(v.Ciphertext) > MaxCiphertext {
		return fmt.Errorf("%w: %s %s version %s has %d bytes of ciphertext (want 1 to %d)", ErrInvalid, v.Kind, v.ID, v.Version, len(v.Ciphertext), MaxCiphertext)
	}
	if e := v.Endorsement; e != nil {
		if !endorse.NeedsEndorsement(v.Kind) {
			return fmt.Errorf("%w: %s %s version %s carries an endorsement, which only users and key slots have", ErrInvalid, v.Kind, v.ID, v.Version)
		}
		if err := e.Validate(); err != nil {
			return fmt.Errorf("%w: %s %s version %s: %v", ErrInvalid, v.Kind, v.ID, v.Version, err)
		}
		if !printable(e.Signer) || (e.Cert != nil && !printable(e.Cert.Name)) {
			return fmt.Errorf("%w: %s %s version %s: the endorsement names a user with control characters", ErrInvalid, v.Kind, v.ID, v.Version)
		}
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// DecodePushResponse reads and validates a push answer.
func DecodePushResponse(r io.Reader) (PushResponse, error) {
	var p PushResponse
	if err := decode(r, MaxMetaBody, "push answer", &p); err != nil {
		return PushResponse{}, err
	}
	if p.Batch == 0 || len(p.Results) > MaxBatchVersions {
		return PushResponse{}, fmt.Errorf("%w: push answer for batch %d with %d results", ErrInvalid, p.Batch, len(p.Results))
	}
	for i, res := range p.Results {
		if res.Seq == 0 {
			return PushResponse{}, fmt.Errorf("%w: push answer gives version %d no sequence number", ErrInvalid, i)
		}
	}
	return p, nil
}

// DecodePullResponse reads and validates a page of changes.
func DecodePullResponse(r io.Reader) (PullResponse, error) {
	var p PullResponse
	if err := decode(r, MaxPullBody, "pull answer", &p); err != nil {
		return PullResponse{}, err
	}
	if len(p.Changes) > MaxPullLimit {
		return PullResponse{}, fmt.Errorf("%w: pull answer has %d changes (at most %d)", ErrInvalid, len(p.Changes), MaxPullLimit)
	}
	var last uint64
	for i, c := range p.Changes {
		if c.Seq <= last {
			return PullResponse{}, fmt.Errorf("%w: pull answer change %d has seq %d after %d", ErrInvalid, i, c.Seq, last)
		}
		last = c.Seq
		if c.Pusher == 0 {
			return PullResponse{}, fmt.Errorf("%w: pull answer change %d names no device", ErrInvalid, i)
		}
		if err := c.RecordVersion.Validate(); err != nil {
			return PullResponse{}, fmt.Errorf("pull answer change %d: %w", i, err)
		}
	}
	if len(p.Changes) > 0 && p.Next != last {
		return PullResponse{}, fmt.Errorf("%w: pull answer's next cursor %d is not its last change %d", ErrInvalid, p.Next, last)
	}
	if p.Next > p.Head {
		return PullResponse{}, fmt.Errorf("%w: pull answer's cursor %d is past the head %d", ErrInvalid, p.Next, p.Head)
	}
	return p, nil
}

// DecodeBlobStatus reads and validates a blob status.
func DecodeBlobStatus(r io.Reader) (BlobStatus, error) {
	return decodeValid[BlobStatus](r, MaxMetaBody, "blob status")
}

// Validate checks a blob status for consistency.
func (s BlobStatus) Validate() error {
	if _, err := ParseBlobID(s.ID); err != nil {
		return err
	}
	if s.Size < 1 || s.Size > MaxBlobSize || s.ChunkSize != ChunkSize || s.Chunks != ChunkCount(s.Size) {
		return fmt.Errorf("%w: blob status of %d bytes in %d chunks of %d", ErrInvalid, s.Size, s.Chunks, s.ChunkSize)
	}
	if len(s.Have) > s.Chunks || (s.Complete && len(s.Have) > 0) {
		return fmt.Errorf("%w: blob status lists %d chunks of %d", ErrInvalid, len(s.Have), s.Chunks)
	}
	for i, n := range s.Have {
		if n < 0 || n >= s.Chunks || (i > 0 && n <= s.Have[i-1]) {
			return fmt.Errorf("%w: blob status lists chunk %d out of order or range", ErrInvalid, n)
		}
	}
	return nil
}

// DecodeDeviceInfo reads a device's record.
func DecodeDeviceInfo(r io.Reader) (DeviceInfo, error) {
	var d DeviceInfo
	if err := decode(r, MaxMetaBody, "device answer", &d); err != nil {
		return DeviceInfo{}, err
	}
	if d.ID == 0 {
		return DeviceInfo{}, fmt.Errorf("%w: device answer names no device", ErrInvalid)
	}
	return d, nil
}

// DecodeMetrics reads the metrics answer.
func DecodeMetrics(r io.Reader) (Metrics, error) {
	var m Metrics
	if err := decode(r, MaxMetaBody, "metrics answer", &m); err != nil {
		return Metrics{}, err
	}
	if len(m.Devices) > MaxDevices || m.RecordBytes < 0 || m.Blobs < 0 || m.BlobBytes < 0 || m.Uploads < 0 {
		return Metrics{}, fmt.Errorf("%w: metrics answer out of range", ErrInvalid)
	}
	return m, nil
}

// DecodeHealth reads the health answer.
func DecodeHealth(r io.Reader) (Health, error) {
	var h Health
	if err := decode(r, MaxMetaBody, "health answer", &h); err != nil {
		return Health{}, err
	}
	if h.Status == "" {
		return Health{}, fmt.Errorf("%w: health answer has no status", ErrInvalid)
	}
	return h, nil
}

// DecodeError reads an error answer with HTTP status status. A body that
// is not an ErrorBody still gives an *Error, its message saying so.
func DecodeError(status int, r io.Reader) *Error {
	e := &Error{Status: status}
	if status == http.StatusTooManyRequests && e.RetryAfter == 0 {
		e.RetryAfter = time.Minute // the header is read by DecodeErrorResponse
	}
	if err := decode(r, MaxMetaBody, "error answer", &e.ErrorBody); err != nil || e.Code == "" {
		e.ErrorBody = ErrorBody{Code: codeForStatus(status)}
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("the archive answered HTTP %d (%s) without an explanation", status, e.Code)
	}
	if len(e.Message) > 1000 {
		e.Message = e.Message[:1000]
	}
	return e
}

func codeForStatus(status int) string {
	for _, c := range codes {
		if c.status == status {
			return c.code
		}
	}
	return CodeInternal
}

// DecodeErrorResponse reads an error answer with its Retry-After header
// (whole seconds; at most an hour is believed).
func DecodeErrorResponse(resp *http.Response) *Error {
	e := DecodeError(resp.StatusCode, resp.Body)
	if v := resp.Header.Get(HeaderRetryAfter); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			e.RetryAfter = min(time.Duration(n)*time.Second, time.Hour)
		}
	}
	if e.Status == http.StatusForbidden && e.Code == CodeForbidden {
		e.Refused = DecodeRefused(resp.Header.Get(HeaderRefused))
	}
	return e
}
