package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"folio/app"
)

// State is where the engine stands, as the sync indicator shows it.
type State string

// States.
const (
	StateIdle       State = "idle"         // not started yet
	StateConnecting State = "connecting"   // a round is starting
	StateSyncing    State = "syncing"      // moving changes (Phase, Done of Total)
	StateUpToDate   State = "up to date"   // the last round completed
	StateSent       State = "sent"         // a send-only round (no one signed in) sent everything pending
	StateOffline    State = "offline"      // the archive cannot be reached; retrying
	StateError      State = "error"        // the archive refused something (LastError)
	StateNoArchive  State = "not enrolled" // this workstation has no archive
)

// Status is the engine's report for the UI and `folio sync status`.
type Status struct {
	State       State     `json:"state"`
	Phase       string    `json:"phase,omitempty"`
	Done        int       `json:"done,omitempty"`
	Total       int       `json:"total,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastSent is when a round last sent everything pending; SendOnly says
	// the engine runs without a session (see Params.Session).
	LastSent  time.Time `json:"last_sent,omitzero"`
	SendOnly  bool      `json:"send_only,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	// NextTry is when the background loop tries again after a failure.
	NextTry time.Time `json:"next_try,omitzero"`
	// PendingChanges are local versions not yet acknowledged by the
	// archive; PendingBlobs/PendingBytes the blobs not yet uploaded.
	PendingChanges int   `json:"pending_changes"`
	PendingBlobs   int   `json:"pending_blobs"`
	PendingBytes   int64 `json:"pending_bytes"`
	// Conflicts counts records with more than one branch.
	Conflicts int `json:"conflicts"`
	// SetAside counts the incoming versions set aside because they
	// did not open with the vault key (damaged or altered) or were users
	// or key slots no entitled user signed.
	SetAside int `json:"set_aside"`
	// NotAccepted counts this workstation's own user and key-slots
	// changes the archive does not accept, kept here and not sent.
	NotAccepted int    `json:"not_accepted,omitempty"`
	LastRound   Report `json:"last_round"`
	// Restore says how this workstation, restored from a backup, caught
	// up with the archive (set by the rounds of this engine that did).
	Restore *RestoreReport `json:"restore,omitempty"`
}

// Status returns the engine's current status.
func (e *Engine) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

// Subscribe calls fn with every new status (from the engine's goroutine:
// fn must return quickly).
func (e *Engine) Subscribe(fn func(Status)) {
	e.mu.Lock()
	e.subs = append(e.subs, fn)
	e.mu.Unlock()
}

func (e *Engine) setStatus(change func(*Status)) {
	e.mu.Lock()
	change(&e.status)
	s, subs := e.status, append([]func(Status){}, e.subs...)
	e.mu.Unlock()
	for _, fn := range subs {
		fn(s)
	}
}

// refreshCounts reads the pending counts from the vault.
func (e *Engine) refreshCounts(ctx context.Context) {
	n, _ := e.p.DB.Oplog().PendingCount(ctx)
	conflicts, _ := e.p.DB.Replica().Conflicts(ctx)
	blobs, bytes := e.Blobs().pendingUploads(ctx)
	rejected, _ := e.p.DB.Meta().MetaPrefix(ctx, metaRejected)
	e.setStatus(func(s *Status) {
		s.PendingChanges, s.Conflicts, s.PendingBlobs, s.PendingBytes = n, len(conflicts), blobs, bytes
		s.SetAside, s.NotAccepted = 0, 0
		for k := range rejected {
			if strings.HasPrefix(k, metaRefusedOwn) {
				s.NotAccepted++
			} else {
				s.SetAside++
			}
		}
	})
}

// Words puts the status in the sync indicator's words (Describe), with
// the count of records in conflict and whether a round has ended.
func (s Status) Words(now time.Time) app.SyncStatus {
	text, detail, problem := Describe(s, now)
	settled := s.State != StateConnecting && s.State != StateSyncing && s.State != StateIdle
	return app.SyncStatus{Text: text, Detail: detail, Problem: problem, Conflicts: s.Conflicts, Settled: settled}
}

// connectFailed is the indicator's words for a sync that could not start:
// no archive (not a problem), or why not.
func connectFailed(err error) app.SyncStatus {
	if errors.Is(err, ErrNotEnrolled) {
		return app.SyncStatus{Text: "Not connected to an archive"}
	}
	return app.SyncStatus{Text: "Sync cannot start: " + err.Error(), Problem: true}
}

// Describe puts a status in words for the sync indicator: one line, a
// detail line, and whether it is a problem a person should look at.
func Describe(s Status, now time.Time) (text, detail string, problem bool) {
	switch s.State {
	case StateSyncing:
		text = "Syncing: " + s.Phase
		if s.Total > 0 {
			text += fmt.Sprintf(" (%d of %d)", s.Done, s.Total)
		}
	case StateConnecting:
		text = "Connecting to the archive…"
	case StateUpToDate:
		text = "Up to date · " + s.LastSuccess.Local().Format("15:04")
	case StateSent:
		text = "Changes sent · " + s.LastSent.Local().Format("15:04") + "; the others' arrive once someone signs in"
	case StateOffline:
		text = "Offline: the archive cannot be reached"
		if !s.NextTry.IsZero() {
			text += fmt.Sprintf("; retrying in %s", s.NextTry.Sub(now).Round(time.Second))
		}
	case StateError:
		text, problem = "Sync problem: "+s.LastError, true
	case StateNoArchive:
		text = "Not connected to an archive"
	default:
		text = "Sync starting…"
	}
	var parts []string
	if s.Restore != nil {
		parts = append(parts, s.Restore.String())
	}
	switch {
	case s.PendingChanges > 0 || s.PendingBlobs > 0:
		parts = append(parts, fmt.Sprintf("%s and %s to send", count(s.PendingChanges, "change"), count(s.PendingBlobs, "scan")))
	case s.State != StateNoArchive:
		parts = append(parts, "nothing to send")
	}
	if s.Conflicts > 0 {
		parts = append(parts, count(s.Conflicts, "record")+" in conflict")
		problem = true
	}
	if s.SetAside > 0 {
		parts = append(parts, countWith(s.SetAside, "incoming change", "was", "were")+" set aside: damaged or altered on the way or at the archive, or a user or password change no entitled user made; not shown here; tell the administrator")
		problem = true
	}
	if s.NotAccepted > 0 {
		parts = append(parts, countWith(s.NotAccepted, "user or password change", "made here is", "made here are")+" not accepted by the archive (kept here, not sent; the rest syncs): see the set-aside changes for what to do")
		problem = true
	}
	if s.State != StateUpToDate && !s.LastSuccess.IsZero() {
		parts = append(parts, "last synced "+s.LastSuccess.Local().Format("Jan 2 15:04"))
	}
	return text, strings.Join(parts, "; "), problem
}

// countWith says "1 change was" or "n changes were".
func countWith(n int, noun, one, many string) string {
	if n == 1 {
		return "1 " + noun + " " + one
	}
	return fmt.Sprintf("%d %ss %s", n, noun, many)
}

// count says "1 scan" or "n scans".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
