package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Sentinel errors both sides branch on (errors.Is). The server maps them
// to wire codes with CodeOf; the client maps a received ErrorBody back to
// them with (*Error).Unwrap.
var (
	ErrInvalid         = errors.New("invalid request")
	ErrTooLarge        = errors.New("too large")
	ErrConflict        = errors.New("conflicts with what the archive holds")
	ErrHashMismatch    = errors.New("hash mismatch")
	ErrNotFound        = errors.New("not found")
	ErrUnauthenticated = errors.New("device not authenticated")
	ErrForbidden       = errors.New("not allowed for this device")
	ErrInternal        = errors.New("archive error")
	// ErrForeignVault: the device's vault is not the organisation's (the
	// one the archive serves).
	ErrForeignVault = errors.New("not the organisation's vault")
	// ErrNotMember: the device has not shown the archive that it holds
	// the organisation's vault keys (VaultClaim).
	ErrNotMember = errors.New("not shown to hold the organisation's vault keys")
	// ErrEnrollmentExpired: an enrollment file used for the first time
	// after its deadline.
	ErrEnrollmentExpired = errors.New("enrollment file expired")
	// ErrEnrollmentUsed: an enrollment file already used by another vault.
	ErrEnrollmentUsed = errors.New("enrollment file already used")
	// ErrRateLimited: the device sent more than its share; it may try
	// again after Error.RetryAfter.
	ErrRateLimited = errors.New("too many requests from this workstation")
	// ErrQuota: the device holds its storage quota on the archive; what
	// it sends waits on the workstation until the quota is raised.
	ErrQuota = errors.New("over this workstation's storage quota on the archive")
)

// Wire codes of an ErrorBody.
const (
	CodeInvalid         = "invalid"
	CodeTooLarge        = "too_large"
	CodeConflict        = "conflict"
	CodeHashMismatch    = "hash_mismatch"
	CodeNotFound        = "not_found"
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeInternal        = "internal"
	CodeForeignVault    = "foreign_vault"
	CodeNotMember       = "not_member"
	CodeEnrollExpired   = "enrollment_expired"
	CodeEnrollUsed      = "enrollment_used"
	CodeRateLimited     = "rate_limited"
	CodeQuota           = "quota"
)

var codes = []struct {
	err    error
	code   string
	status int
}{
	// The specific refusals first: a store's error may wrap ErrForbidden
	// too (for callers that only ask whether it was a refusal).
	{ErrForeignVault, CodeForeignVault, http.StatusForbidden},
	{ErrNotMember, CodeNotMember, http.StatusForbidden},
	{ErrEnrollmentExpired, CodeEnrollExpired, http.StatusForbidden},
	{ErrEnrollmentUsed, CodeEnrollUsed, http.StatusForbidden},
	{ErrRateLimited, CodeRateLimited, http.StatusTooManyRequests},
	{ErrQuota, CodeQuota, http.StatusInsufficientStorage},
	{ErrInvalid, CodeInvalid, http.StatusBadRequest},
	{ErrTooLarge, CodeTooLarge, http.StatusRequestEntityTooLarge},
	{ErrConflict, CodeConflict, http.StatusConflict},
	{ErrHashMismatch, CodeHashMismatch, http.StatusUnprocessableEntity},
	{ErrNotFound, CodeNotFound, http.StatusNotFound},
	{ErrUnauthenticated, CodeUnauthenticated, http.StatusUnauthorized},
	{ErrForbidden, CodeForbidden, http.StatusForbidden},
	{ErrInternal, CodeInternal, http.StatusInternalServerError},
}

// CodeOf maps an error to its wire code and HTTP status; an error that
// wraps none of the sentinels is internal (500).
func CodeOf(err error) (code string, status int) {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code, c.status
		}
	}
	return CodeInternal, http.StatusInternalServerError
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"` // a sentence saying what failed and what to do
}

// Error is an error answer received from the archive.
type Error struct {
	Status int // HTTP status
	ErrorBody
	// RetryAfter is how long the archive asked to wait (its Retry-After
	// header; 0 without one).
	RetryAfter time.Duration
	// Refused names the versions of a refused push batch the archive
	// would not take (its HeaderRefused header; nil without one).
	Refused []RefusedVersion
}

// HeaderRetryAfter says, in seconds, when a refused (429) device may try
// again.
const HeaderRetryAfter = "Retry-After"

func (e *Error) Error() string {
	return "archive: " + e.Message
}

// Unwrap returns the sentinel for the answer's code (ErrInternal for a
// code this version does not know); a specific refusal (ErrForeignVault…)
// is ErrForbidden too.
func (e *Error) Unwrap() []error {
	for _, c := range codes {
		if c.code == e.Code {
			if c.status == http.StatusForbidden && c.err != ErrForbidden {
				return []error{c.err, ErrForbidden}
			}
			return []error{c.err}
		}
	}
	return []error{ErrInternal}
}

// HeaderRefused, on a 403 answer to a push (or a bundle's batch), names
// the user and key-slots versions of the batch the archive refused, as
// the JSON of a []RefusedVersion. It is a header, not a field of the
// ErrorBody, so a workstation that predates it reads the answer as before
// (an ErrorBody with an unknown field would not decode there).
const HeaderRefused = "X-Folio-Refused"

// MaxRefused bounds the versions one answer names; a workstation sets
// those aside and sends the batch again, which names the next ones.
const MaxRefused = 64

// RefusedVersion is a version of a push batch the archive refused: a user
// or key-slots version the endorse rules refuse. Index is its place in
// PushRequest.Versions; Kind, ID and Version repeat what it was, so the
// workstation sets aside only the version it sent there.
type RefusedVersion struct {
	Index   int     `json:"index"`
	Kind    string  `json:"kind"`
	ID      string  `json:"id"`
	Version Version `json:"version"`
	Reason  string  `json:"reason"`
}

// NotEndorsedError refuses a push batch that carries user or key-slots
// versions no entitled user's session signed (a 403, ErrForbidden);
// nothing of the batch is stored. The server sends Refused in
// HeaderRefused.
type NotEndorsedError struct {
	Batch   uint64
	Refused []RefusedVersion
}

func (e *NotEndorsedError) Error() string {
	if len(e.Refused) == 0 {
		return fmt.Sprintf("batch %d carries a user or key-slots version no entitled user signed", e.Batch)
	}
	r := e.Refused[0]
	more := ""
	if len(e.Refused) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(e.Refused)-1)
	}
	return fmt.Sprintf("version %d of batch %d: %s%s; users are added and changed only in an administrator's signed-in session, a password only in its user's", r.Index, e.Batch, r.Reason, more)
}

// Unwrap makes the refusal ErrForbidden (403).
func (e *NotEndorsedError) Unwrap() error { return ErrForbidden }

// EncodeRefused is the value of HeaderRefused (at most MaxRefused
// versions, reasons cut to 300 bytes).
func EncodeRefused(rs []RefusedVersion) string {
	rs = slices.Clone(rs[:min(len(rs), MaxRefused)])
	for i := range rs {
		if len(rs[i].Reason) > 300 {
			rs[i].Reason = strings.ToValidUTF8(rs[i].Reason[:300], "")
		}
	}
	b, _ := json.Marshal(rs) // strings and numbers: it marshals
	return string(b)
}

// DecodeRefused reads HeaderRefused; a value that does not read gives
// nothing (the answer is then a plain refusal).
func DecodeRefused(v string) []RefusedVersion {
	if v == "" || len(v) > 64<<10 {
		return nil
	}
	var rs []RefusedVersion
	if json.Unmarshal([]byte(v), &rs) != nil || len(rs) > MaxRefused {
		return nil
	}
	return rs
}
