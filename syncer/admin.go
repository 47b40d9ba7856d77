package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"folio/app"
	"folio/archive/api"
	"folio/archive/pki"
	"folio/crypto"
	"folio/storage"
)

// AdminParams wires an Admin to one workstation's vault.
type AdminParams struct {
	Dir   string // the data folder (its enrollment file)
	DB    *storage.DB
	Blobs *storage.Blobs
	Vault *app.Vault // the archive address setting, a join waiting for keys
	// Runner, when set, is the window's background sync: SyncNow pokes
	// its engine, State counts that engine's pending scans, and bundles
	// go through it so that they never overlap its rounds. Nil on the
	// command line.
	Runner *Runner
}

// Admin administers this workstation's link with the organisation's
// archive: where it stands, enrolling, the workstations waiting for the
// vault keys, the bandwidth cap, sync bundles on a USB stick and the
// changes sync set aside. The window (Administration → Sync, and joining
// at the first run) and the command line ('folio sync …') both call it
// and only present what it returns. Failing to reach the archive wraps
// app.ErrNoLink; the archive refusing this workstation wraps
// app.ErrRefused.
type Admin struct {
	p AdminParams
}

// NewAdmin returns the administration of the workstation p describes.
func NewAdmin(p AdminParams) *Admin { return &Admin{p: p} }

// linkError marks the errors callers word differently: no link (try
// again later) and a refusal (ask for a new enrollment file).
func linkError(err error) error {
	var ne *NetError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", app.ErrNoLink, err)
	case errors.Is(err, api.ErrForbidden), errors.Is(err, api.ErrUnauthenticated):
		return fmt.Errorf("%w: %w", app.ErrRefused, err)
	}
	return err
}

// enrollmentInfo says what an enrollment file is for.
func enrollmentInfo(e *pki.Enrollment) app.Enrollment {
	info := app.Enrollment{Org: e.Org, Workstation: e.Device, Address: e.Address, Bundles: len(e.BundleKey) > 0}
	if e.CA != nil {
		info.CAFingerprint = pki.Fingerprint(e.CA)
	}
	return info
}

// ReadEnrollment reads an enrollment file (made by 'folio-archive device
// add') and says what it is for; nothing is kept.
func (a *Admin) ReadEnrollment(path string) (app.Enrollment, error) {
	e, err := pki.ReadEnrollment(path)
	if err != nil {
		return app.Enrollment{}, err
	}
	return enrollmentInfo(e), nil
}

// Enroll keeps the enrollment file at path in the data folder: this
// workstation syncs with that archive from the next start of sync. A file
// past its deadline for first use is refused (pki.ErrEnrollmentExpired).
func (a *Admin) Enroll(path string) (app.Enrollment, error) {
	e, err := pki.ReadEnrollment(path)
	if err != nil {
		return app.Enrollment{}, err
	}
	if err := SaveEnrollment(a.p.Dir, e); err != nil {
		return app.Enrollment{}, err
	}
	return enrollmentInfo(e), nil
}

// State reads where this workstation stands with its archive, from the
// vault alone (no network, no password).
func (a *Admin) State(ctx context.Context) (app.SyncState, error) {
	db := a.p.DB
	st := app.SyncState{Device: db.DeviceID().String(), Bandwidth: Bandwidth(ctx, db.Meta())}
	switch e, err := LoadEnrollment(a.p.Dir); {
	case err == nil:
		st.Enrolled, st.Enrollment = true, enrollmentInfo(e)
		if addr := a.p.Vault.ArchiveAddress(ctx); addr != "" {
			st.Enrollment.Address = addr
		}
	case !errors.Is(err, ErrNotEnrolled):
		return st, err
	}
	if req, ok, err := a.p.Vault.JoinPending(ctx); err == nil && ok {
		st.WaitingForKeys, st.JoinFingerprint = true, req.Fingerprint
	}
	if v, ok := ShownVault(ctx, db); ok {
		st.Vault = api.VaultFingerprint(v)
	}
	var err error
	if st.PendingChanges, err = db.Oplog().PendingCount(ctx); err != nil {
		return st, err
	}
	cs, err := db.Replica().Conflicts(ctx)
	if err != nil {
		return st, err
	}
	st.Conflicts = len(cs)
	st.LastSuccess = lastSuccess(ctx, db.Meta())
	if eng := a.running(); eng != nil {
		es := eng.Status()
		if !es.LastSuccess.IsZero() || es.LastError != "" { // a round has counted them
			st.PendingScans, st.ScansKnown = es.PendingBlobs, true
		}
	}
	aside, err := SetAside(ctx, db.Meta())
	if err != nil {
		return st, err
	}
	for _, c := range aside {
		st.SetAside = append(st.SetAside, c.Entry())
	}
	return st, nil
}

// lastSuccess is the end of the last complete round (zero: never).
func lastSuccess(ctx context.Context, m Meta) time.Time {
	b, err := m.GetMeta(ctx, metaLastSuccess)
	if err != nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339, string(b))
	return t
}

// Entry is the change as the window and the command line name it.
func (c SetAsideChange) Entry() app.SetAsideChange {
	what := ""
	if c.Kind != "" {
		what = string(c.Kind) + " " + c.ID
	}
	return app.SetAsideChange{Seq: c.Seq, Outgoing: c.Outgoing, What: what, Reason: c.Reason}
}

// running is the engine of the window's signed-in session, if one runs.
func (a *Admin) running() *Engine {
	if a.p.Runner == nil {
		return nil
	}
	return a.p.Runner.Engine()
}

// SyncNow asks the running sync for a round at once; false when no sync
// runs (not enrolled, not signed in, or the command line).
func (a *Admin) SyncNow() bool {
	eng := a.running()
	if eng == nil {
		return false
	}
	eng.Trigger()
	return true
}

// SetBandwidth caps what sync sends and receives per second (0: no cap),
// from the next start of sync.
func (a *Admin) SetBandwidth(ctx context.Context, bytesPerSecond int64) error {
	return SetBandwidth(ctx, a.p.DB.Meta(), bytesPerSecond)
}

// Connect returns a client for the archive of the enrollment kept (the
// archive address setting wins, as for the background sync) and the
// enrollment; ErrNotEnrolled without one.
func (a *Admin) Connect(ctx context.Context) (*Client, *pki.Enrollment, error) {
	return Connect(ctx, a.p.Dir, a.p.DB, a.p.Vault.ArchiveAddress(ctx), ClientOptions{})
}

// client is Connect without the enrollment.
func (a *Admin) client(ctx context.Context) (*Client, error) {
	c, _, err := a.Connect(ctx)
	return c, err
}

// KeyRequests lists the workstations that asked the archive for the vault
// keys, granted or not.
func (a *Admin) KeyRequests(ctx context.Context) ([]app.KeyRequest, error) {
	c, err := a.client(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	reqs, err := c.KeyRequests(ctx)
	if err != nil {
		return nil, linkError(err)
	}
	out := make([]app.KeyRequest, len(reqs))
	for i, r := range reqs {
		out[i] = keyRequest(r)
	}
	return out, nil
}

// keyRequest names a request as the window and the command line show it.
func keyRequest(r api.KeyRequest) app.KeyRequest {
	k := app.KeyRequest{Device: app.DeviceID(r.Device), Name: r.Name, PublicKey: r.PublicKey,
		Fingerprint: crypto.JoinFingerprint(r.PublicKey), Requested: r.Requested, Granted: r.Granted}
	if !r.Pending() && k.Granted.IsZero() {
		k.Granted = r.Requested
	}
	return k
}

// SendGrant wraps the vault keys to req's key in s (an administrator's
// session) and hands them to the archive, signed by the vault.
func (a *Admin) SendGrant(ctx context.Context, s *app.Session, req app.KeyRequest) error {
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = SendGrant(ctx, c, s.Replica(), api.KeyRequest{Device: api.DeviceID(req.Device), Name: req.Name, PublicKey: req.PublicKey})
	return linkError(err)
}

// Approve sends the vault keys to the joining workstation name, whose
// request must have the join key of fingerprint (the one the person there
// reads out: ErrFingerprintMismatch otherwise, ErrNoFingerprint without
// one), after showing the archive that this workstation holds the
// organisation's vault.
func (a *Admin) Approve(ctx context.Context, s *app.Session, name, fingerprint string) (app.KeyRequest, error) {
	c, err := a.client(ctx)
	if err != nil {
		return app.KeyRequest{}, err
	}
	defer c.Close()
	if _, err := ShowVault(ctx, a.p.DB, c, s.Replica()); err != nil {
		return app.KeyRequest{}, err
	}
	r, err := Approve(ctx, c, s.Replica(), name, fingerprint, crypto.JoinFingerprint)
	if err != nil {
		return app.KeyRequest{}, err
	}
	return keyRequest(r), nil
}

// bundleEngine is the running engine (an export must not overlap its
// rounds), or one without a link under s; and the enrollment.
func (a *Admin) bundleEngine(s *app.Session) (*Engine, *pki.Enrollment, error) {
	enr, err := LoadEnrollment(a.p.Dir)
	if err != nil {
		return nil, nil, err
	}
	if eng := a.running(); eng != nil {
		return eng, enr, nil
	}
	return newEngine(a.p.DB, a.p.Blobs, s, nil), enr, nil
}

// ExportBundle writes a sync bundle for the archive to path (a new file),
// under s; all carries again everything the archive has not confirmed.
// It returns what the bundle carries, in words.
func (a *Admin) ExportBundle(ctx context.Context, s *app.Session, path string, all bool) (string, error) {
	eng, enr, err := a.bundleEngine(s)
	if err != nil {
		return "", err
	}
	rep, err := eng.Bundles().Export(ctx, path, enr, all)
	if err != nil {
		return "", err
	}
	return rep.String(), nil
}

// ImportReply applies the archive's reply bundle at path, under s, and
// returns what it did, in words.
func (a *Admin) ImportReply(ctx context.Context, s *app.Session, path string) (string, error) {
	eng, enr, err := a.bundleEngine(s)
	if err != nil {
		return "", err
	}
	rep, err := eng.Bundles().Import(ctx, path, enr)
	if err != nil {
		return "", err
	}
	return rep.String(), nil
}

// SetAside lists the changes sync set aside, each as kept (with the
// refused version itself, for 'folio sync set-aside --json').
func (a *Admin) SetAside(ctx context.Context) ([]SetAsideChange, error) {
	return SetAside(ctx, a.p.DB.Meta())
}

// DismissSetAside forgets these set-aside changes (as State or SetAside
// listed them), so the indicator stops flagging them.
func (a *Admin) DismissSetAside(ctx context.Context, cs []app.SetAsideChange) error {
	out := make([]SetAsideChange, len(cs))
	for i, c := range cs {
		out[i] = SetAsideChange{Seq: c.Seq, Outgoing: c.Outgoing}
	}
	return DismissSetAside(ctx, a.p.DB.Meta(), out)
}

// AskForKeys asks the archive for the vault keys of this joining
// workstation (publicKey is its join key): the grant once an
// administrator approved, checked to be signed by the organisation's
// vault (app.ErrForeignVault otherwise), nil while the request waits.
func (a *Admin) AskForKeys(ctx context.Context, publicKey []byte) (*app.VaultGrant, error) {
	c, err := a.client(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	g, err := ReceiveGrant(ctx, c, publicKey, nil)
	return g, linkError(err)
}

// FirstSync runs one round under the session of a workstation that has
// just received the vault keys: the users and records arrive.
func (a *Admin) FirstSync(ctx context.Context, s *app.Session) error {
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = newEngine(a.p.DB, a.p.Blobs, s, c).Round(ctx)
	return linkError(err)
}

// RecordStates tells where records stand with the archive, one state per
// item, for the badges of a chart and its documents: nil when the
// workstation has no archive. The running engine knows whether the
// archive refused the last batch.
func (a *Admin) RecordStates(ctx context.Context, items []app.SyncItem) ([]app.RecordSync, error) {
	if !Enrolled(a.p.Dir) {
		return nil, nil
	}
	qs := make([]RecordQuery, len(items))
	for i, it := range items {
		qs[i] = RecordQuery{Kind: it.Kind, ID: it.ID, Blobs: it.Blobs}
	}
	var states []RecordState
	var err error
	if eng := a.running(); eng != nil {
		states, err = eng.RecordStates(ctx, qs)
	} else {
		states, err = RecordStates(ctx, StateParams{DB: a.p.DB, Blobs: a.p.Blobs, Enrolled: true}, qs)
	}
	if err != nil {
		return nil, err
	}
	out := make([]app.RecordSync, len(states))
	for i, st := range states {
		switch st {
		case RecordSent:
			out[i] = app.SyncSent
		case RecordPending:
			out[i] = app.SyncPending
		case RecordError:
			out[i] = app.SyncError
		case RecordConflict:
			out[i] = app.SyncConflict
		}
	}
	return out, nil
}

// ArchiveView is what the archive knows of this workstation.
type ArchiveView struct {
	api.DeviceInfo
	// Restored: the archive holds later work of this workstation than this
	// vault (restored from a backup); the next round catches up.
	Restored bool
}

// AskArchive asks the archive what it knows of this workstation (5 s at
// most) and whether this vault is an earlier copy than what it sent.
func (a *Admin) AskArchive(ctx context.Context) (ArchiveView, error) {
	c, err := a.client(ctx)
	if err != nil {
		return ArchiveView{}, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := c.Device(ctx)
	if err != nil {
		return ArchiveView{DeviceInfo: info}, err
	}
	restored, err := Behind(ctx, a.p.DB, c)
	return ArchiveView{DeviceInfo: info, Restored: restored}, err
}

// Countersignature returns the latest countersignature of this
// workstation's audit trail the archive gave, if any.
func (a *Admin) Countersignature(ctx context.Context) (api.Countersignature, bool, error) {
	return Countersignature(ctx, a.p.DB.Meta())
}

// newEngine is an engine over db and blobs under s (nil: send only),
// linked by c (nil: bundles only).
func newEngine(db *storage.DB, blobs *storage.Blobs, s *app.Session, c *Client) *Engine {
	p := Params{DB: db, Blobs: blobs, Client: c}
	if s != nil {
		p.Session = s.Replica()
	}
	return New(p)
}
