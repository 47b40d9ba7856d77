package syncer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"time"

	"folio/app"
	"folio/archive/api"
	"folio/storage"
)

// Session is what the engine needs of the signed-in vault: the session's
// sync service, sess.Replica() (app.Replica), which the engine holds
// instead of the session itself. The engine holds no key and reads no plaintext: it sends and
// receives sealed versions and sealed blob files, and keeps its own state
// (no PHI) in the vault's meta. Whatever needs a key or the plaintext —
// checking what comes in, the blob manifests, the key slots, the index,
// the bundle's reply key — the session does, checking and auditing as for
// every other access (see the package doc).
type Session interface {
	// ImportReplicated checks and stores versions written on other
	// workstations and returns those it refused, for the engine to set
	// aside (pull.go).
	ImportReplicated(ctx context.Context, vs []app.SealedVersion) (app.Replicated, error)
	// ScreenOwn says why the archive would refuse each of this
	// workstation's user and key-slots versions in vs ("" where it would
	// not), without the versions not yet accepted (ownrefused.go).
	ScreenOwn(ctx context.Context, vs []app.SealedVersion, unaccepted map[app.VersionRef]bool) ([]string, error)
	// RefusedVersion audits a version set aside.
	RefusedVersion(ctx context.Context, kind app.Kind, id string, v app.Version, reason string) error
	// ShareKeySlots writes the key slots set here as records, endorsed by
	// the signed-in user, to travel; HoldsUsers says whether any user
	// record is here yet.
	ShareKeySlots(ctx context.Context) (int, error)
	HoldsUsers(ctx context.Context) bool
	// BlobManifests and AddBlobManifests read and write the manifests
	// that name each blob's class, patient, SHA-256 and size (blobs.go).
	BlobManifests(ctx context.Context) (map[string]app.BlobManifest, []string, error)
	AddBlobManifests(ctx context.Context, files iter.Seq2[app.SealedBlob, error]) (map[string]app.BlobManifest, error)
	// CheckReceivedBlob authenticates a received blob file with the blob
	// key and removes one that does not open (app.ErrBlobRemoved).
	CheckReceivedBlob(ctx context.Context, id string) error
	// ReindexTexts indexes again the documents whose page text arrived.
	ReindexTexts(ctx context.Context, texts map[string]bool) error
	// RecentPatients are the patients this session opened: their blobs
	// move first.
	RecentPatients() map[string]bool
	// SealBundleKey and OpenBundleKey keep the private half of the
	// vault's sync-bundle reply key sealed in the meta (bundle.go).
	SealBundleKey(private []byte) ([]byte, error)
	OpenBundleKey(sealed []byte) ([]byte, error)
	// RestoreEvent and Checkpoint record a vault restored from a backup
	// rejoining the archive's audit trail (restore.go); Checkpoint is the
	// core's, through the service.
	RestoreEvent(detail string) ([]byte, error)
	Checkpoint(ctx context.Context) error
	// AuditKey re-signs the audit trail's keyed head over the spliced
	// chain (storage.AuditRejoin.Key).
	AuditKey() (app.AuditKey, error)
	Claimer
}

// Params wires an Engine.
type Params struct {
	DB    *storage.DB
	Blobs *storage.Blobs
	// Session is the signed-in vault's sync service (sess.Replica()).
	// Without one (nil: the window is locked and its keys are gone) the
	// engine only sends: a round pushes the pending versions and audit
	// entries and uploads the local blobs the archive lacks; taking in
	// the others' changes, which needs the keys, waits for a sign-in.
	Session Session
	Client  *Client
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log receives what the engine does and why it failed (slog.Default
	// when nil). It never sees PHI: ids, counts and errors only.
	Log *slog.Logger
	// PushVersions and PullLimit size the batches (defaults 500).
	PushVersions, PullLimit int
	// Interval is the pause between rounds when nothing changes (default
	// 2 minutes); the engine also looks for local changes every Poll
	// (default 3 s) and starts a round at once when there are some.
	Interval, Poll time.Duration
	// MaxBackoff bounds the pause after failures (default 5 minutes).
	MaxBackoff time.Duration
}

// Engine syncs one vault with its archive. Round runs one round; Run runs
// rounds in the background until its context ends. An Engine is safe for
// concurrent use; rounds never overlap.
type Engine struct {
	p       Params
	trigger chan struct{}
	roundMu sync.Mutex // one round at a time
	// sealed remembers the SHA-256 and size of the blob files a send-only
	// round hashed (blob files never change), so a retry does not read
	// them again; rounds hold roundMu.
	sealed map[string]app.BlobManifest
	// checked is set once a round has compared the vault with what the
	// archive holds of this device (restore.go); rejoining is set while
	// a restored vault catches up. Rounds hold roundMu.
	checked, rejoining bool
	// auditHeld is why the last composed batch left the audit trail out
	// (ErrAuditAltered), reported when the push ends. Rounds hold roundMu.
	auditHeld error

	mu     sync.Mutex
	status Status
	subs   []func(Status)
}

// New returns an engine over p.
func New(p Params) *Engine {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = slog.Default()
	}
	if p.PushVersions <= 0 {
		p.PushVersions = 500
	}
	if p.PullLimit <= 0 {
		p.PullLimit = 500
	}
	if p.Interval <= 0 {
		p.Interval = 2 * time.Minute
	}
	if p.Poll <= 0 {
		p.Poll = 3 * time.Second
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 5 * time.Minute
	}
	e := &Engine{p: p, trigger: make(chan struct{}, 1)}
	e.status.State, e.status.SendOnly = StateIdle, p.Session == nil
	if t, err := p.DB.Meta().GetMeta(context.Background(), metaLastSuccess); err == nil {
		e.status.LastSuccess, _ = time.Parse(time.RFC3339, string(t))
	}
	return e
}

// Report says what one round did.
type Report struct {
	Pushed    int // record versions the archive took (new to it)
	PushedDup int // versions it already had
	Audit     int // audit entries sent
	Pulled    int // versions new to this vault
	Known     int // versions this vault had already
	Forked    int // records now in conflict
	Rejected  int // incoming versions that did not open (set aside)
	BlobsUp   int
	BlobsDown int
	BytesUp   int64 // blob bytes sent (chunk payloads)
	BytesDown int64 // blob bytes received
	// RecordBytesUp and RecordBytesDown are the sealed record versions and
	// audit entries sent and received (their ciphertext).
	RecordBytesUp, RecordBytesDown int64
	Pending                        int // blobs still to move (not found at the archive yet)
	// Refetched are this device's own versions fetched back (a vault
	// restored from a backup); Restore is set while and when such a vault
	// catches up with the archive.
	Refetched int
	Restore   *RestoreReport
}

func (r Report) String() string {
	return fmt.Sprintf("pushed %d versions (%d already there) and %d audit entries; pulled %d new versions (%d known, %d set aside, %d records in conflict); blobs: %d up (%d bytes), %d down (%d bytes), %d waiting",
		r.Pushed, r.PushedDup, r.Audit, r.Pulled, r.Known, r.Rejected, r.Forked, r.BlobsUp, r.BytesUp, r.BlobsDown, r.BytesDown, r.Pending)
}

// QuotaWords is the sync indicator's words for a workstation over its
// storage quota on the archive (api.ErrQuota).
const QuotaWords = "the archive has no more room for this computer's records and scans. Nothing is lost: they are kept here and sent once the administrator raises this computer's quota on the archive"

// Round runs one complete round: share key slots and blob manifests,
// push, pull, then move blobs by priority. It returns what it did, and the
// first error that stopped it (what was done before stays done).
func (e *Engine) Round(ctx context.Context) (Report, error) {
	e.roundMu.Lock()
	defer e.roundMu.Unlock()
	var rep Report
	e.setStatus(func(s *Status) { s.State, s.Phase, s.Done, s.Total = StateConnecting, "", 0, 0 })
	sendOnly := e.p.Session == nil
	var err error
	if sendOnly {
		err = e.send(ctx, &rep)
	} else {
		err = e.round(ctx, &rep)
	}
	if errors.Is(err, api.ErrNotMember) {
		// The archive no longer knows this workstation's claim (its store
		// was set up anew): show it again next round.
		_ = e.p.DB.Meta().UpdateMeta(ctx, nil, []string{metaVaultClaimed})
	}
	now := e.p.Now().UTC()
	if err == nil && !sendOnly {
		_ = e.p.DB.Meta().UpdateMeta(ctx, map[string][]byte{metaLastSuccess: []byte(now.Format(time.RFC3339))}, nil)
	}
	if !sendOnly {
		_ = e.restore().count(ctx, &rep, err == nil)
	}
	e.refreshCounts(ctx)
	e.setStatus(func(s *Status) {
		s.Phase, s.Done, s.Total = "", 0, 0
		s.LastRound = rep
		if rep.Restore != nil {
			s.Restore = rep.Restore
		}
		switch {
		case err == nil && sendOnly:
			s.State, s.LastSent, s.LastError = StateSent, now, ""
			return
		case err == nil:
			s.State, s.LastSuccess, s.LastSent, s.LastError = StateUpToDate, now, now, ""
			return
		}
		s.LastError = err.Error()
		if errors.Is(err, api.ErrQuota) {
			s.LastError = QuotaWords
		}
		s.State = StateError
		var ne *NetError
		if errors.As(err, &ne) {
			s.State = StateOffline
		}
	})
	if err != nil && ctx.Err() == nil { // a stop is no failure
		e.p.Log.Warn("sync round failed", "err", err, "done", rep.String())
	} else if rep != (Report{}) {
		e.p.Log.Info("sync round", "done", rep.String())
	}
	return rep, err
}

func (e *Engine) round(ctx context.Context, rep *Report) error {
	if _, err := ShowVault(ctx, e.p.DB, e.p.Client, e.p.Session); err != nil {
		return err
	}
	if err := e.restore().check(ctx); err != nil {
		return err
	}
	if err := e.refusedOwn().audit(ctx); err != nil {
		return err
	}
	// Push what is pending, take in the others' changes, then share what
	// only this vault knows (key slots set here, manifests of new blobs)
	// on top of what arrived, and push that too. A workstation over its
	// quota on the archive keeps what it would send and still receives.
	full := e.push(ctx, rep)
	if full != nil && !errors.Is(full, api.ErrQuota) {
		return full
	}
	if err := e.pull(ctx, rep); err != nil {
		return err
	}
	if _, err := e.p.Session.ShareKeySlots(ctx); err != nil {
		return err
	}
	manifests, err := e.Blobs().writeManifests(ctx)
	if err != nil {
		return err
	}
	if full == nil {
		full = e.push(ctx, rep)
		if full != nil && !errors.Is(full, api.ErrQuota) {
			return full
		}
	}
	return cmp.Or(e.Blobs().move(ctx, manifests, rep), full)
}

// send is the round of an engine without a session: push, then upload
// the local blobs the archive lacks (Blobs.sendLocal).
func (e *Engine) send(ctx context.Context, rep *Report) error {
	if _, err := ShowVault(ctx, e.p.DB, e.p.Client, nil); err != nil {
		return err
	}
	if err := e.restore().check(ctx); err != nil {
		return err
	}
	if err := e.push(ctx, rep); err != nil {
		return err
	}
	return e.Blobs().sendLocal(ctx, rep)
}

// Trigger asks the background loop for a round as soon as possible.
func (e *Engine) Trigger() {
	select {
	case e.trigger <- struct{}{}:
	default:
	}
}
