package app

import (
	"context"
	"fmt"
)

// ActSyncRefused is an incoming user or key-slots version this
// workstation refused: not written in the session of a user allowed to
// write it (package endorse). The syncer keeps it aside, not applied.
const ActSyncRefused Action = "sync.refused"

// RefusedVersion audits an incoming version of kind/id at version v the
// syncer set aside, and why.
func (rp Replica) RefusedVersion(ctx context.Context, kind Kind, id string, v Version, reason string) error {
	return rp.s.audit(ctx, AuditEvent{Action: ActSyncRefused, Outcome: OutcomeDenied,
		Object: fmt.Sprintf("%s/%s@%s", kind, id, v), Detail: reason})
}
