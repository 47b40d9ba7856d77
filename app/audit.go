package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Action names what an audit event records.
type Action string

// The audited actions.
const (
	ActVaultCreate    Action = "vault.create"
	ActVaultVerify    Action = "vault.verify"
	ActVaultRestored  Action = "vault.restored" // a vault restored from a backup rejoined its archive
	ActVaultBackup    Action = "vault.backup"   // a copy of the vault (encrypted, as stored) was taken
	ActLogin          Action = "login"
	ActLogout         Action = "logout"
	ActRecovery       Action = "key.recovery"
	ActUserAdd        Action = "user.add"
	ActUserList       Action = "user.list"
	ActSettings       Action = "settings.change"
	ActUserPassword   Action = "user.password"
	ActUserDisable    Action = "user.disable"
	ActUserEnable     Action = "user.enable"
	ActUserRole       Action = "user.role"
	ActPatientSearch  Action = "patient.search"
	ActPatientRead    Action = "patient.read"
	ActPatientCreate  Action = "patient.create"
	ActPatientAmend   Action = "patient.amend"
	ActPatientHistory Action = "patient.history"
	ActPatientMerge   Action = "patient.merge"
	ActPatientUnmerge Action = "patient.unmerge"
	ActPatientDelete  Action = "patient.delete"  // a registration made in error withdrawn (a tombstone version)
	ActPatientRestore Action = "patient.restore" // a deleted registration brought back
	ActBreakGlass     Action = "break-glass"
	ActAuditRead      Action = "audit.read"
	ActAuditExport    Action = "audit.export" // events of the trail written out (CSV, PDF, the printer)
	ActAuditKeyed     Action = "audit.keyed"  // the trail of an older vault keyed at its first unlock
	ActDemo           Action = "demo.generate"
	ActDocImport      Action = "document.import"
	ActDocFile        Action = "document.file"
	ActDocVerify      Action = "document.verify"
	ActDocRead        Action = "document.read"
	ActDocSearch      Action = "document.search"
	ActDocExport      Action = "document.export"
	ActDocEdit        Action = "document.edit" // pages reordered, turned, split, merged or collated
)

// Outcome says how an audited attempt ended.
type Outcome string

// The outcomes.
const (
	OutcomeOK     Outcome = "ok"
	OutcomeDenied Outcome = "denied" // the role does not allow it
	OutcomeFailed Outcome = "failed" // wrong password, invalid input, error
)

// AuditEvent is one entry of the audit trail: who did what to which
// patient's record, when, where, under which permission, and how it
// ended.
type AuditEvent struct {
	Seq  uint64    `json:"seq"` // position in the chain, filled when read
	Time time.Time `json:"time"`
	User string    `json:"user"`
	// Role is the role of the user's that granted Permission. An event
	// written before users held several roles has the user's one role
	// here and no Roles or Permission.
	Role Role `json:"role,omitempty"`
	// Roles are the roles the user held.
	Roles RoleSet `json:"roles,omitempty"`
	// Permission is the permission the act was checked against (and, for
	// a denial, the one the user lacked); empty for an act that needs
	// none (signing in, signing out).
	Permission Permission `json:"permission,omitempty"`
	Device     string     `json:"device"`
	Action     Action     `json:"action"`
	Patient    string     `json:"patient,omitempty"` // MRN
	Object     string     `json:"object,omitempty"`  // kind/id@version
	Outcome    Outcome    `json:"outcome"`
	Detail     string     `json:"detail,omitempty"` // reason, query, error
}

// ActedAs names the role an event's user acted in, for a reader of the
// trail: the role that granted the permission, else the roles they held
// ("admin,records").
func (e AuditEvent) ActedAs() string {
	if e.Role != "" {
		return string(e.Role)
	}
	return e.Roles.String()
}

// auditContext is the context info every event is sealed with.
var auditContext = []byte("folio audit event v1")

// sealEvent stamps and seals an event for the chain.
func sealEvent(s AuditSealer, e AuditEvent) ([]byte, error) {
	e.Seq = 0
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode audit event: %w", err)
	}
	sealed, err := s.Seal(data, auditContext)
	if err != nil {
		return nil, fmt.Errorf("seal audit event: %w", err)
	}
	return sealed, nil
}

// openEvent decrypts and decodes one stored event.
func openEvent(k Keyring, entry AuditEntry) (AuditEvent, error) {
	data, err := k.OpenAudit(entry.Sealed, auditContext)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("audit event %d: %w", entry.Seq, err)
	}
	return decodeEvent(data, entry.Seq)
}

// decodeEvent parses an opened event. An event that opened but does not
// parse was written by something other than Folio: tampering.
func decodeEvent(data []byte, seq uint64) (AuditEvent, error) {
	var e AuditEvent
	if err := json.Unmarshal(data, &e); err != nil {
		return AuditEvent{}, fmt.Errorf("audit event %d: %w: %v", seq, ErrTampered, err)
	}
	if e.Action == "" || e.Time.IsZero() {
		return AuditEvent{}, fmt.Errorf("audit event %d: %w: no action or time", seq, ErrTampered)
	}
	e.Seq = seq
	return e, nil
}

// keyTrail keys the audit trail of a vault from before keyed heads, at its
// first unlock: the chain is authenticated from where it stands (a
// checkpoint and a keyed head naming that entry as KeyedFrom) and an
// audit.keyed event says so. The entries before it are accepted as they
// were; verify keeps saying they predate the keyed trail. A keyed trail is
// left alone: its next signed append authenticates what was appended while
// the vault was locked, or, when it no longer matches its head, signs
// nothing (verify reports that).
func (au Audit) keyTrail(ctx context.Context) error {
	st, err := au.s.v.cfg.Audit.AuditState(ctx)
	if err != nil {
		return err
	}
	if st.Keyed || st.Head == 0 {
		return nil
	}
	if err := au.s.Checkpoint(ctx); err != nil {
		return fmt.Errorf("key the audit trail: %w", err)
	}
	return au.s.audit(ctx, AuditEvent{Action: ActAuditKeyed, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("audit trail keyed from entry %d on; entries 1 to %d were written before it was keyed (an earlier version of Folio) and are accepted as they stood", st.Head, st.Head)})
}

// lockedDetail says how many audit entries were appended while the vault
// was locked (failed sign-ins, the send-only sync engine): the sign-in's
// own event authenticates them.
func lockedDetail(st AuditState) string {
	switch n := st.Unauthenticated(); {
	case !st.Keyed || n == 0:
	case n == 1:
		return "authenticates 1 audit entry written while the vault was locked"
	default:
		return fmt.Sprintf("authenticates %d audit entries written while the vault was locked", n)
	}
	return ""
}

// AuditFilter selects events; zero fields match everything.
type AuditFilter struct {
	PatientMRN string
	User       string
	Action     Action
	Since      time.Time
	Limit      int // the newest Limit events; 0 = all
}

func (f AuditFilter) match(e AuditEvent) bool {
	return (f.PatientMRN == "" || e.Patient == f.PatientMRN) &&
		(f.User == "" || e.User == f.User) &&
		(f.Action == "" || e.Action == f.Action) &&
		(f.Since.IsZero() || !e.Time.Before(f.Since))
}

// String says what f selects, in words, for an export's heading and its
// audit entry: "all events" or, for example, "patient KAB-000141-R, user
// grace, since 2026-12-01".
func (f AuditFilter) String() string {
	var parts []string
	if f.PatientMRN != "" {
		parts = append(parts, "patient "+f.PatientMRN)
	}
	if f.User != "" {
		parts = append(parts, "user "+f.User)
	}
	if f.Action != "" {
		parts = append(parts, "action "+string(f.Action))
	}
	if !f.Since.IsZero() {
		parts = append(parts, "since "+f.Since.Format(time.DateOnly))
	}
	if f.Limit > 0 {
		parts = append(parts, fmt.Sprintf("the newest %d", f.Limit))
	}
	if len(parts) == 0 {
		return "all events"
	}
	return strings.Join(parts, ", ")
}

// Audit is the review of the audit trail: reading and exporting its
// events, and verifying the vault (verify.go). It only reads: the trail
// is written by the session itself (audit, stamp, Checkpoint), by every
// service, in the same transaction as each change. Reading, exporting
// and verifying are themselves audited.
type Audit struct{ s *Session }

// Audit returns the session's audit-review service.
func (s *Session) Audit() Audit { return Audit{s} }

// Events returns the events that match f, oldest first. Reading the
// trail is itself audited.
func (au Audit) Events(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	read := func(ctx context.Context) ([]AuditEvent, error) { return au.events(ctx, f) }
	return auditedRead(ctx, au.s, PermAuditRead, ActAuditRead, read, func([]AuditEvent) AuditEvent {
		detail := "all"
		if f.PatientMRN != "" {
			detail = "patient " + f.PatientMRN
		}
		return AuditEvent{Patient: f.PatientMRN, Outcome: OutcomeOK, Detail: detail}
	})
}

// Export returns the events that match f, oldest first, to be
// written out as format ("CSV", "PDF") to dest (a file, "the printer").
// The export is audited as audit.export with the filter, the number of
// events and where they went.
func (au Audit) Export(ctx context.Context, f AuditFilter, format, dest string) ([]AuditEvent, error) {
	ctx, err := au.s.require(ctx, PermAuditRead, ActAuditExport, f.PatientMRN)
	if err != nil {
		return nil, err
	}
	out, err := au.events(ctx, f)
	if err != nil {
		return nil, err
	}
	return out, au.s.audit(ctx, AuditEvent{Action: ActAuditExport, Patient: f.PatientMRN, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("%d events (%s) as %s to %s", len(out), f, format, dest)})
}

// events reads the events that match f, oldest first.
func (au Audit) events(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	var out []AuditEvent
	for entry, err := range au.s.v.cfg.Audit.AuditEntries(ctx) {
		if err != nil {
			return nil, fmt.Errorf("read audit trail: %w", err)
		}
		e, err := openEvent(au.s.keys, entry)
		if err != nil {
			return nil, err
		}
		if f.match(e) {
			out = append(out, e)
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, nil
}
