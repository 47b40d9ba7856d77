package syncer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"folio/app"
	"folio/archive/api"
)

// Meta keys of the sync state (cleartext, never PHI).
const (
	metaCursor      = "sync/cursor"       // pull cursor: the archive's seq held through
	metaNextBatch   = "sync/next-batch"   // the number of the next push batch
	metaInflight    = "sync/inflight"     // JSON inflight: a batch sent, its answer not stored yet
	metaAuditSent   = "sync/audit-sent"   // the device's audit seq the archive holds through
	metaCountersign = "sync/countersign"  // JSON api.Countersignature, the latest
	metaLastSuccess = "sync/last-success" // RFC 3339 time of the last complete round
	metaUploaded    = "sync/uploaded/"    // + blob id: the archive holds it complete
	metaRejected    = "sync/rejected/"    // + archive seq: a change that did not open (reason)
	metaBandwidth   = "sync/bandwidth"    // bytes per second cap, decimal (absent: none)
)

// metaRefusedOwn + oplog seq: a version of this workstation the archive
// refuses, set aside (JSON SetAsideChange, Outgoing).
const metaRefusedOwn = metaRejected + "own/"

// inflight is a push batch whose content is fixed: the oplog entries
// through OplogThrough (Versions of them) but the ones in Skipped, and the
// audit entries AuditFrom..AuditThrough. Skipped are the oplog seqs of
// this workstation's versions the archive refuses (set aside under
// metaRefusedOwn): kept out of the batch, acknowledged with it.
type inflight struct {
	Batch        uint64   `json:"batch"`
	OplogThrough uint64   `json:"oplog_through"`
	Versions     int      `json:"versions"`
	AuditFrom    uint64   `json:"audit_from"`
	AuditThrough uint64   `json:"audit_through"`
	Skipped      []uint64 `json:"skipped,omitempty"`
}

// Meta is the part of the vault's meta store the syncer uses.
type Meta interface {
	GetMeta(ctx context.Context, key string) ([]byte, error)
	MetaPrefix(ctx context.Context, prefix string) (map[string][]byte, error)
	UpdateMeta(ctx context.Context, puts map[string][]byte, deletes []string) error
}

func getUint(ctx context.Context, m Meta, key string) (uint64, error) {
	b, err := m.GetMeta(ctx, key)
	if errors.Is(err, app.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("sync state %s is damaged (%q): %w", key, b, app.ErrTampered)
	}
	return n, nil
}

func putUint(n uint64) []byte { return []byte(strconv.FormatUint(n, 10)) }

func getJSON[T any](ctx context.Context, m Meta, key string) (T, bool, error) {
	var v T
	b, err := m.GetMeta(ctx, key)
	if errors.Is(err, app.ErrNotFound) {
		return v, false, nil
	}
	if err != nil {
		return v, false, err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, false, fmt.Errorf("sync state %s is damaged: %w", key, app.ErrTampered)
	}
	return v, true, nil
}

// Bandwidth returns the vault's bandwidth cap in bytes per second (0:
// none).
func Bandwidth(ctx context.Context, m Meta) int64 {
	n, _ := getUint(ctx, m, metaBandwidth)
	return int64(n)
}

// SetBandwidth sets the cap (0 removes it); it applies from the next start
// of the engine.
func SetBandwidth(ctx context.Context, m Meta, bytesPerSecond int64) error {
	if bytesPerSecond < 0 {
		return app.Invalidf("a bandwidth cap is 0 (none) or more bytes per second")
	}
	if bytesPerSecond == 0 {
		return m.UpdateMeta(ctx, nil, []string{metaBandwidth})
	}
	return m.UpdateMeta(ctx, map[string][]byte{metaBandwidth: putUint(uint64(bytesPerSecond))}, nil)
}

// Countersignature returns the latest countersignature of this device's
// audit trail the archive gave, if any.
func Countersignature(ctx context.Context, m Meta) (api.Countersignature, bool, error) {
	return getJSON[api.Countersignature](ctx, m, metaCountersign)
}

// SetAsideChange is a change sync set aside. Incoming, it was not
// imported: it did not open with the vault key (damaged or altered at the
// archive or on the way), or it is a user or key-slots version no
// entitled user's session wrote (package endorse); Seq is its place in the
// archive's sequence. Outgoing, it is a user or key-slots version written
// on this workstation that the archive does not accept (ownrefused.go):
// it stays in this vault, is not sent, and Seq is its place in this
// workstation's log of changes.
type SetAsideChange struct {
	Seq      uint64   `json:"seq"`
	Outgoing bool     `json:"outgoing,omitempty"`
	Kind     app.Kind `json:"kind,omitempty"`
	ID       string   `json:"id,omitempty"`
	Reason   string   `json:"reason"`
	// Version is the refused user or key-slots version as it came (or as
	// it was sent), kept for the administrator (sealed; nothing lost).
	Version *api.RecordVersion `json:"version,omitempty"`
	// Unaudited marks an outgoing refusal found by an engine without a
	// session (which cannot write the audit trail): the next round with
	// one audits it.
	Unaudited bool `json:"unaudited,omitempty"`
}

func setAsideKey(seq uint64) string { return metaRejected + fmt.Sprintf("%020d", seq) }

// refusedOwnKey is the meta key of an outgoing set-aside change.
func refusedOwnKey(oplogSeq uint64) string { return metaRefusedOwn + fmt.Sprintf("%020d", oplogSeq) }

// key is the meta key c is kept under.
func (c SetAsideChange) key() string {
	if c.Outgoing {
		return refusedOwnKey(c.Seq)
	}
	return setAsideKey(c.Seq)
}

// decodeSetAside reads one set-aside entry (older vaults kept the reason
// only, as text).
func decodeSetAside(key string, val []byte) (SetAsideChange, bool) {
	rest, outgoing := strings.CutPrefix(key, metaRefusedOwn)
	if !outgoing {
		rest, _ = strings.CutPrefix(key, metaRejected)
	}
	seq, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || !strings.HasPrefix(key, metaRejected) {
		return SetAsideChange{}, false
	}
	var c SetAsideChange
	if json.Unmarshal(val, &c) != nil {
		c = SetAsideChange{Reason: string(val)}
	}
	c.Seq, c.Outgoing = seq, outgoing
	return c, true
}

// SetAside lists the changes set aside: the incoming ones by their place
// in the archive's sequence, then this workstation's own, oldest first.
func SetAside(ctx context.Context, m Meta) ([]SetAsideChange, error) {
	raw, err := m.MetaPrefix(ctx, metaRejected)
	if err != nil {
		return nil, err
	}
	out := make([]SetAsideChange, 0, len(raw))
	for k, v := range raw {
		if c, ok := decodeSetAside(k, v); ok {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b SetAsideChange) int {
		if a.Outgoing != b.Outgoing {
			if b.Outgoing {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	return out, nil
}

// DismissSetAside forgets the set-aside changes listed (once an
// administrator has dealt with them), so the indicator stops flagging them.
func DismissSetAside(ctx context.Context, m Meta, cs []SetAsideChange) error {
	keys := make([]string, len(cs))
	for i, c := range cs {
		keys[i] = c.key()
	}
	return m.UpdateMeta(ctx, nil, keys)
}
