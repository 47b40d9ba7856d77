package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"folio/archive/api"
	"folio/endorse"
)

// Signers is the archive's side of package endorse: the registry of the
// users' signing keys, and the check a push or a bundle import passes
// before the store takes a user or key-slots version. The archive cannot
// read a record; it can check, in clear, who signed it.
//
// The registry is built from the users' and key slots' versions the store
// holds, in global order (Store.Endorsed), each taken as the rules take it
// at push: a version the rules refuse (one stored before endorsements
// existed) grants nothing. Before it checks a batch it reads what was
// stored since, so archive processes sharing one store see each other's
// users; two of them checking at the same instant a disable and a write
// by the disabled user may both accept (the workstations check again).
type Signers struct {
	store Store
	log   *slog.Logger

	// mu protects reg and through, and orders the checks of batches that
	// carry users or key slots with their storing.
	mu      sync.Mutex
	reg     *endorse.Signers
	through uint64 // the global seq reg has read through
}

// NewSigners builds the registry from what store holds.
func NewSigners(ctx context.Context, store Store, log *slog.Logger) (*Signers, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Signers{store: store, log: log, reg: &endorse.Signers{}}
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// catchUp applies the users' and key slots' versions stored since the
// registry last read. Callers hold mu (or own s alone).
func (s *Signers) catchUp(ctx context.Context) error {
	cs, err := s.store.Endorsed(ctx, s.through)
	if err != nil {
		return fmt.Errorf("read the users' signing keys: %w", err)
	}
	for _, c := range cs {
		if c.Seq <= s.through {
			continue
		}
		s.through = c.Seq
		if s.reg.Check(c.Kind, c.ID, parentOf(c.RecordVersion), c.Endorsement) != nil {
			continue // written before endorsements existed: it grants nothing
		}
		s.logRegistration(c)
		s.reg.Accept(c.Kind, c.ID, c.Endorsement)
	}
	return nil
}

// logRegistration says when a version gives a user their first key here:
// the organisation's first administrator certifying themself, a user
// registering their first key with their own slots, or an administrator
// certifying a new user.
func (s *Signers) logRegistration(c api.Change) {
	e := c.Endorsement
	if e.Cert == nil || e.Cert.Name != c.ID {
		return
	}
	if _, known := s.reg.Lookup(c.ID); known {
		return
	}
	args := []any{"user", c.ID, "admin", e.Cert.Admin, "key", KeyFingerprint(e.Cert.Key), "seq", c.Seq, "device", c.Pusher}
	switch {
	case c.Kind == endorse.EndorsedUser && e.Signer == c.ID:
		s.log.Warn("archive registered the organisation's first administrator (self-certified: trust on first use); check it is yours", args...)
	case c.Kind == endorse.EndorsedKeySlots:
		s.log.Info("archive registered a user's first signing key (with their own key slots)", args...)
	default:
		s.log.Info("archive registered a user certified by an administrator", append(args, "by", e.Signer)...)
	}
}

// Push stores req (Store.Push) once every new user and key-slots version
// in it passes the rules, each checked after the ones before it in the
// batch. Versions the rules refuse refuse the batch with an
// *api.NotEndorsedError (api.ErrForbidden) naming each of them and why;
// nothing of it is stored. Every version is checked, so the device learns
// all it must set aside at once. Versions the archive holds
// already are not checked again (a replayed batch is answered as before).
func (s *Signers) Push(ctx context.Context, req api.PushRequest, at time.Time) (api.PushResponse, error) {
	if !carriesEndorsed(req) {
		return s.store.Push(ctx, req, at)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return api.PushResponse{}, err
	}
	trial := s.reg.Clone()
	var refused []api.RefusedVersion
	for i, v := range req.Versions {
		if !endorse.NeedsEndorsement(v.Kind) {
			continue
		}
		held, err := s.holds(ctx, v)
		if err != nil {
			return api.PushResponse{}, err
		}
		if held {
			continue
		}
		if err := trial.Check(v.Kind, v.ID, parentOf(v), v.Endorsement); err != nil {
			s.log.Warn("archive refused a user or key-slots version", "device", req.Device, "batch", req.Batch, "kind", v.Kind, "id", v.ID, "err", err)
			refused = append(refused, api.RefusedVersion{Index: i, Kind: v.Kind, ID: v.ID, Version: v.Version, Reason: err.Error()})
			continue
		}
		trial.Accept(v.Kind, v.ID, v.Endorsement)
	}
	if len(refused) > 0 {
		return api.PushResponse{}, &api.NotEndorsedError{Batch: req.Batch, Refused: refused}
	}
	resp, err := s.store.Push(ctx, req, at)
	if err != nil {
		return resp, err
	}
	if err := s.catchUp(ctx); err != nil {
		// Stored and answered; the next check reads it again.
		s.log.Error("archive could not read back the users it stored", "err", err)
	}
	return resp, nil
}

// holds reports whether the archive has version v already.
func (s *Signers) holds(ctx context.Context, v api.RecordVersion) (bool, error) {
	cs, err := s.store.Versions(ctx, v.Kind, v.ID)
	if errors.Is(err, api.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, c := range cs {
		if c.Version == v.Version {
			return true, nil
		}
	}
	return false, nil
}

// Registered returns the certificates of the users registered, by name.
func (s *Signers) Registered(ctx context.Context) ([]endorse.UserCert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	var out []endorse.UserCert
	for _, n := range s.reg.Names() {
		c, _ := s.reg.Lookup(n)
		out = append(out, c)
	}
	return out, nil
}

// KeyFingerprint names a signing key for people: the first 16 hex digits
// of its SHA-256, in groups of four.
func KeyFingerprint(key []byte) string {
	sum := sha256.Sum256(key)
	h := hex.EncodeToString(sum[:8])
	return h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16]
}

func carriesEndorsed(req api.PushRequest) bool {
	for _, v := range req.Versions {
		if endorse.NeedsEndorsement(v.Kind) {
			return true
		}
	}
	return false
}

func parentOf(v api.RecordVersion) endorse.Version {
	return endorse.Version{HLC: v.Parent.HLC, Device: uint64(v.Parent.Device)}
}
