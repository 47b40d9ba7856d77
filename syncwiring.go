package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"folio/app"
	"folio/archive/api"
	"folio/archive/pki"
	"folio/crypto"
	"folio/profile"
	"folio/syncer"
	"folio/ui"
)

// syncAdmin is the window's way to set up the link with the archive
// (ui.SyncAdmin) over the syncer: what 'folio sync enroll|requests|approve|
// bandwidth|export|import|set-aside' and 'folio init --join' do on the
// command line (cli/sync.go, cli/init.go), one call each.
type syncAdmin struct {
	prof *profile.Profile
	live *liveEngine // the engine of the signed-in session, if one runs
}

var _ ui.SyncAdmin = (*syncAdmin)(nil)

// enrollmentInfo says what an enrollment file is for.
func enrollmentInfo(e *pki.Enrollment) ui.Enrollment {
	info := ui.Enrollment{Org: e.Org, Workstation: e.Device, Address: e.Address, Bundles: len(e.BundleKey) > 0}
	if e.CA != nil {
		info.CAFingerprint = pki.Fingerprint(e.CA)
	}
	return info
}

// linkError marks the errors the window words differently: no link (try
// again later) and a refusal (ask for a new enrollment file).
func linkError(err error) error {
	var ne *syncer.NetError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ui.ErrNoLink, err)
	case errors.Is(err, api.ErrForbidden), errors.Is(err, api.ErrUnauthenticated):
		return fmt.Errorf("%w: %w", ui.ErrRefused, err)
	}
	return err
}

func (a *syncAdmin) ReadEnrollment(path string) (ui.Enrollment, error) {
	e, err := pki.ReadEnrollment(path)
	if err != nil {
		return ui.Enrollment{}, err
	}
	return enrollmentInfo(e), nil
}

func (a *syncAdmin) Enroll(path string) (ui.Enrollment, error) {
	e, err := pki.ReadEnrollment(path)
	if err != nil {
		return ui.Enrollment{}, err
	}
	if err := syncer.SaveEnrollment(a.prof.Dir, e); err != nil {
		return ui.Enrollment{}, err
	}
	return enrollmentInfo(e), nil
}

func (a *syncAdmin) State(ctx context.Context) (ui.SyncState, error) {
	db := a.prof.DB
	st := ui.SyncState{Device: db.DeviceID().String(), Bandwidth: syncer.Bandwidth(ctx, db)}
	switch e, err := syncer.LoadEnrollment(a.prof.Dir); {
	case err == nil:
		st.Enrolled, st.Enrollment = true, enrollmentInfo(e)
		if addr := a.prof.Vault.ArchiveAddress(ctx); addr != "" {
			st.Enrollment.Address = addr
		}
	case !errors.Is(err, syncer.ErrNotEnrolled):
		return st, err
	}
	var err error
	if st.PendingChanges, err = db.PendingCount(ctx); err != nil {
		return st, err
	}
	cs, err := db.Conflicts(ctx)
	if err != nil {
		return st, err
	}
	st.Conflicts = len(cs)
	if t, err := db.GetMeta(ctx, "sync/last-success"); err == nil {
		st.LastSuccess, _ = time.Parse(time.RFC3339, string(t))
	}
	if eng := a.live.get(); eng != nil {
		es := eng.Status()
		if !es.LastSuccess.IsZero() || es.LastError != "" { // a round has counted them
			st.PendingScans, st.ScansKnown = es.PendingBlobs, true
		}
	}
	aside, err := syncer.SetAside(ctx, db)
	if err != nil {
		return st, err
	}
	for _, c := range aside {
		what := ""
		if c.Kind != "" {
			what = string(c.Kind) + " " + c.ID
		}
		st.SetAside = append(st.SetAside, ui.SetAsideChange{Seq: c.Seq, Outgoing: c.Outgoing, What: what, Reason: c.Reason})
	}
	return st, nil
}

func (a *syncAdmin) SyncNow() bool {
	eng := a.live.get()
	if eng == nil {
		return false
	}
	eng.Trigger()
	return true
}

func (a *syncAdmin) SetBandwidth(ctx context.Context, bytesPerSecond int64) error {
	return syncer.SetBandwidth(ctx, a.prof.DB, bytesPerSecond)
}

// client connects to the archive of the enrollment kept (the address
// setting wins, as for the background sync).
func (a *syncAdmin) client(ctx context.Context) (*syncer.Client, error) {
	c, _, err := syncer.Connect(ctx, a.prof.Dir, a.prof.DB, a.prof.Vault.ArchiveAddress(ctx), syncer.ClientOptions{})
	return c, err
}

func (a *syncAdmin) KeyRequests(ctx context.Context) ([]ui.KeyRequest, error) {
	c, err := a.client(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	reqs, err := c.KeyRequests(ctx)
	if err != nil {
		return nil, linkError(err)
	}
	out := make([]ui.KeyRequest, len(reqs))
	for i, r := range reqs {
		out[i] = ui.KeyRequest{Device: app.DeviceID(r.Device), Name: r.Name, PublicKey: r.PublicKey,
			Fingerprint: crypto.JoinFingerprint(r.PublicKey), Requested: r.Requested, Granted: r.Granted}
		if !r.Pending() && out[i].Granted.IsZero() {
			out[i].Granted = r.Requested
		}
	}
	return out, nil
}

func (a *syncAdmin) SendGrant(ctx context.Context, s *app.Session, req ui.KeyRequest) error {
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = syncer.SendGrant(ctx, c, s, api.KeyRequest{Device: api.DeviceID(req.Device), Name: req.Name, PublicKey: req.PublicKey})
	return linkError(err)
}

// bundleEngine is the running engine (an export must not overlap its
// rounds), or one without a link under s.
func (a *syncAdmin) bundleEngine(s *app.Session) (*syncer.Engine, *pki.Enrollment, error) {
	enr, err := syncer.LoadEnrollment(a.prof.Dir)
	if err != nil {
		return nil, nil, err
	}
	if eng := a.live.get(); eng != nil {
		return eng, enr, nil
	}
	return syncer.New(syncer.Params{DB: a.prof.DB, Blobs: a.prof.Blobs, Session: s}), enr, nil
}

func (a *syncAdmin) ExportBundle(ctx context.Context, s *app.Session, path string, all bool) (string, error) {
	eng, enr, err := a.bundleEngine(s)
	if err != nil {
		return "", err
	}
	rep, err := eng.ExportFile(ctx, path, enr, all)
	if err != nil {
		return "", err
	}
	return rep.String(), nil
}

func (a *syncAdmin) ImportReply(ctx context.Context, s *app.Session, path string) (string, error) {
	eng, enr, err := a.bundleEngine(s)
	if err != nil {
		return "", err
	}
	rep, err := eng.ImportFile(ctx, path, enr)
	if err != nil {
		return "", err
	}
	return rep.String(), nil
}

func (a *syncAdmin) DismissSetAside(ctx context.Context, cs []ui.SetAsideChange) error {
	out := make([]syncer.SetAsideChange, len(cs))
	for i, c := range cs {
		out[i] = syncer.SetAsideChange{Seq: c.Seq, Outgoing: c.Outgoing}
	}
	return syncer.DismissSetAside(ctx, a.prof.DB, out)
}

func (a *syncAdmin) AskForKeys(ctx context.Context, publicKey []byte) (*app.VaultGrant, error) {
	c, err := a.client(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	g, err := syncer.ReceiveGrant(ctx, c, publicKey, nil)
	return g, linkError(err)
}

func (a *syncAdmin) FirstSync(ctx context.Context, s *app.Session) error {
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	eng := syncer.New(syncer.Params{DB: a.prof.DB, Blobs: a.prof.Blobs, Session: s, Client: c})
	_, err = eng.Round(ctx)
	return linkError(err)
}
