package api

import (
	"fmt"
	"io"
)

// PathAudit is the endpoint a device reads its own audit chain back from
// (GET /v1/audit?after=N&limit=M → AuditPage): a workstation restored from
// a backup fetches the entries it had sent after the backup was taken.
const PathAudit = "/v1/audit"

// AuditPage is one page of the calling device's audit chain as the
// archive holds it: the entries after the request's seq, in order.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	// Through is the last seq of the device's chain the archive holds.
	Through uint64 `json:"through"`
	// More is true when entries after the page's last one exist.
	More bool `json:"more"`
}

// DecodeAuditPage reads and validates a page of a device's audit chain.
func DecodeAuditPage(r io.Reader) (AuditPage, error) {
	var p AuditPage
	if err := decode(r, MaxPullBody, "audit page", &p); err != nil {
		return AuditPage{}, err
	}
	if len(p.Entries) > MaxBatchAudit {
		return AuditPage{}, fmt.Errorf("%w: audit page has %d entries (at most %d)", ErrInvalid, len(p.Entries), MaxBatchAudit)
	}
	for i, e := range p.Entries {
		if e.Seq == 0 || e.Seq > p.Through || (i > 0 && e.Seq != p.Entries[i-1].Seq+1) {
			return AuditPage{}, fmt.Errorf("%w: audit page entry %d has seq %d (the archive holds the chain through %d)", ErrInvalid, i, e.Seq, p.Through)
		}
		if len(e.Sealed) == 0 || len(e.Sealed) > MaxSealedAudit || len(e.Hash) != 32 {
			return AuditPage{}, fmt.Errorf("%w: audit page entry %d is malformed", ErrInvalid, e.Seq)
		}
	}
	if p.More && len(p.Entries) == 0 {
		return AuditPage{}, fmt.Errorf("%w: audit page is empty but says more follow", ErrInvalid)
	}
	return p, nil
}
