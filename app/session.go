package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"

	"folio/classify"
)

// checkpointEvery is how many audit events may follow the last signed
// checkpoint before the session signs a new one (it also signs at logout).
const checkpointEvery = 64

// Session is one logged-in user's unlocked view of the vault. Every method
// checks the user's role and audits what it does. Lock drops the keys.
type Session struct {
	v       *Vault
	sealer  AuditSealer
	records RecordStore

	// mu protects the following.
	mu   sync.Mutex
	user User
	keys Keyring
	// signer is the signed-in user's private signing key (from their
	// password slot; nil when it holds none), dropped on Lock.
	signer ed25519.PrivateKey
	locked bool
	glass  map[string]string         // patient id → break-glass reason, for this session
	cache  map[string]*cachedPatient // patient id → decrypted head, for ranking
	events int                       // audit events since the last checkpoint
	open   string                    // the document whose opening was audited last (Documents.Open, Documents.Page)
	// model is the learned type model proposals use, as of the vault's
	// change count modelAt (typeproposals.go); dropped on Lock.
	model   *classify.Model
	modelAt uint64
	// unsignedAtLogin is the audit entries appended while the vault was
	// locked that this session's sign-in authenticated (verify says so).
	unsignedAtLogin AuditState

	// decoded keeps the documents read, by version (doccache.go); it
	// has its own lock.
	decoded docCache

	// The core's internal parts every service may use (doc.go), each
	// holding the session; set once by newSession.
	charts  charts
	docs    docStore
	encode  encoder
	signing signing
	learner learner
}

// newSession is user u's session of vault v with the unlocked keys, its
// caches empty and its internal parts made.
func newSession(v *Vault, u User, keys Keyring, records RecordStore, sealer AuditSealer) *Session {
	s := &Session{v: v, user: u, keys: keys, records: records, sealer: sealer,
		glass: map[string]string{}, cache: map[string]*cachedPatient{}}
	s.charts, s.docs, s.encode, s.signing, s.learner = charts{s}, docStore{s}, encoder{s}, signing{s}, learner{s}
	return s
}

// User returns the logged-in user.
func (s *Session) User() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// Vault returns the vault this session unlocked.
func (s *Session) Vault() *Vault { return s.v }

// Locked reports whether the session has been locked.
func (s *Session) Locked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.locked
}

// Lock signs a final audit checkpoint, records the logout and drops the keys
// and every decrypted value from memory. The session cannot be used again.
func (s *Session) Lock(ctx context.Context) {
	s.mu.Lock()
	if s.locked {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	_ = s.audit(ctx, AuditEvent{Action: ActLogout, Outcome: OutcomeOK})
	_ = s.Checkpoint(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locked = true
	s.keys.Close()
	s.keys = nil
	clear(s.signer)
	s.signer = nil
	clear(s.cache)
	clear(s.glass)
	s.open = ""
	s.model = nil
	s.decoded.drop()
}

// keyring returns the keys, or ErrLocked.
func (s *Session) keyring() (Keyring, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return nil, ErrLocked
	}
	return s.keys, nil
}

// stamp fills the who/when/where of an event, and the permission it used
// (the one ctx carries from require, unless the event names its own) with
// the role of the user's that granted it.
func (s *Session) stamp(ctx context.Context, e AuditEvent) AuditEvent {
	e.Time = s.v.now()
	if e.Permission == "" {
		e.Permission, _ = ctx.Value(grantKey{}).(Permission)
	}
	s.mu.Lock()
	e.User, e.Roles = s.user.Name, s.user.Roles
	s.mu.Unlock()
	if e.Permission != "" && e.Outcome != OutcomeDenied {
		e.Role, _ = e.Roles.Granting(e.Permission)
	}
	e.Device = s.v.cfg.Device.String()
	if e.Outcome == "" {
		e.Outcome = OutcomeOK
	}
	return e
}

// commit writes records, their audit event and meta changes atomically.
// A change that removes a key slot has the store scrub its file; when that
// fails the change is saved and the error wraps ErrScrubPending.
func (s *Session) commit(ctx context.Context, writes []RecordWrite, e AuditEvent, puts map[string][]byte, deletes []string) error {
	keys, err := s.keyring()
	if err != nil {
		return err
	}
	sealed, err := sealEvent(s.sealer, s.stamp(ctx, e))
	if err != nil {
		return err
	}
	_, err = s.records.Commit(ctx, Commit{Writes: writes, Audit: [][]byte{sealed}, Meta: puts, DeleteMeta: deletes, AuditKey: keys, Scrub: removesSlot(puts, deletes)})
	if err != nil && !errors.Is(err, ErrScrubPending) {
		return err
	}
	return errors.Join(err, s.afterAudit(ctx, 1))
}

// commitVersions is commit that returns the new versions.
func (s *Session) commitVersions(ctx context.Context, writes []RecordWrite, e AuditEvent, puts map[string][]byte) ([]Version, error) {
	keys, err := s.keyring()
	if err != nil {
		return nil, err
	}
	sealed, err := sealEvent(s.sealer, s.stamp(ctx, e))
	if err != nil {
		return nil, err
	}
	vs, err := s.records.Commit(ctx, Commit{Writes: writes, Audit: [][]byte{sealed}, Meta: puts, AuditKey: keys})
	if err != nil {
		return nil, err
	}
	return vs, s.afterAudit(ctx, 1)
}

// audit appends one event on its own (reads, searches, denials), signing
// the chain's keyed head over it while the session holds the keys.
func (s *Session) audit(ctx context.Context, e AuditEvent) error {
	return s.appendAudit(ctx, []AuditEvent{s.stamp(ctx, e)})
}

// appendAudit appends stamped events, in order, in one transaction.
func (s *Session) appendAudit(ctx context.Context, stamped []AuditEvent) error {
	if len(stamped) == 0 {
		return nil
	}
	sealed := make([][]byte, len(stamped))
	for i, e := range stamped {
		var err error
		if sealed[i], err = sealEvent(s.sealer, e); err != nil {
			return err
		}
	}
	var err error
	if keys, kerr := s.keyring(); kerr == nil {
		err = s.v.cfg.Audit.AppendSignedAudit(ctx, sealed, keys)
	} else {
		err = s.v.cfg.Audit.AppendAudit(ctx, sealed)
	}
	if err != nil {
		return fmt.Errorf("write audit trail: %w", err)
	}
	return s.afterAudit(ctx, len(sealed))
}

// afterAudit signs a checkpoint every checkpointEvery events. A trail that
// no longer matches its keyed head gets none (verify reports it); the
// person's work goes on.
func (s *Session) afterAudit(ctx context.Context, n int) error {
	s.mu.Lock()
	s.events += n
	due := s.events >= checkpointEvery
	s.mu.Unlock()
	if due {
		if err := s.Checkpoint(ctx); err != nil && !errors.Is(err, ErrTampered) {
			return err
		}
	}
	return nil
}

// Checkpoint signs a checkpoint of the audit chain's current head and
// re-signs its keyed head (app.AuditChain.Checkpoint). It fails with
// ErrTampered when the trail no longer matches its keyed head: a
// checkpoint never vouches for a trail changed behind the vault's back.
func (s *Session) Checkpoint(ctx context.Context) error {
	keys, err := s.keyring()
	if err != nil {
		return err
	}
	if err := s.v.cfg.Audit.Checkpoint(ctx, keys); err != nil {
		return err
	}
	s.mu.Lock()
	s.events = 0
	s.mu.Unlock()
	return nil
}

// grantKey is the context key of the permission an act was granted.
type grantKey struct{}

// require checks a permission: granted by any of the user's roles, it
// returns ctx carrying the permission, so the act's audit events, written
// with that context, name the permission and the role that granted it. A
// denial is itself audited.
func (s *Session) require(ctx context.Context, p Permission, act Action, patientMRN string) (context.Context, error) {
	if _, err := s.keyring(); err != nil {
		return ctx, err
	}
	roles := s.User().Roles
	if roles.Can(p) {
		return withGrant(ctx, p), nil
	}
	_ = s.audit(ctx, AuditEvent{Action: act, Patient: patientMRN, Outcome: OutcomeDenied, Permission: p, Detail: "missing permission " + string(p)})
	return ctx, &RoleError{Roles: roles, Permission: p}
}

// auditedRead is the shape of a read that spans charts (a worklist, a
// queue, the audit trail): the role check for act (require), the read,
// and one audit event of it, which event makes from what was read (its
// Action is act). A refusal is audited by require; a read that fails
// returns its error and writes no event.
func auditedRead[T any](ctx context.Context, s *Session, p Permission, act Action, read func(context.Context) (T, error), event func(T) AuditEvent) (T, error) {
	var zero T
	ctx, err := s.require(ctx, p, act, "")
	if err != nil {
		return zero, err
	}
	out, err := read(ctx)
	if err != nil {
		return zero, err
	}
	e := event(out)
	e.Action = act
	return out, s.audit(ctx, e)
}

// withGrant returns ctx carrying permission p for the audit events
// written with it.
func withGrant(ctx context.Context, p Permission) context.Context {
	return context.WithValue(ctx, grantKey{}, p)
}
