package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"folio/archive/api"
)

// claimVault takes a device's proof that it holds the vault keys. The
// first proof on an archive makes that vault the organisation's; after
// that only the same vault's devices become members.
func (s *Server) claimVault(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
	c, err := decodeBody(w, r, api.MaxMetaBody, "vault claim", api.DecodeVaultClaim)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	org, err := admitClaim(r.Context(), s.store, dev, c, s.now(), s.log)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.members.Store(dev, true)
	writeJSON(w, http.StatusOK, org)
}

// admitClaim checks dev's vault claim and records it in store (the first
// claim makes its vault the organisation's).
func admitClaim(ctx context.Context, store Store, dev api.DeviceID, c api.VaultClaim, at time.Time, log *slog.Logger) (api.OrgVault, error) {
	if err := c.Validate(); err != nil {
		return api.OrgVault{}, err
	}
	if err := api.VerifyVault(c.PublicKey, api.VaultClaimMessage(dev), c.Signature); err != nil {
		return api.OrgVault{}, fmt.Errorf("%w: the vault claim of device %s does not verify: %v", api.ErrForbidden, dev, err)
	}
	org, err := store.ClaimVault(ctx, dev, c.PublicKey, at)
	if err != nil {
		if errors.Is(err, api.ErrForeignVault) {
			log.Warn("a workstation of another vault was refused", "device", dev, "vault", api.VaultFingerprint(c.PublicKey))
		}
		return api.OrgVault{}, err
	}
	if org.Device == dev {
		log.Info("the organisation's vault", "vault", org.Fingerprint(), "first shown by", dev)
	}
	return org, nil
}

// errNotMember is the refusal of a device that has not shown the vault.
func errNotMember(dev api.DeviceID) error {
	return fmt.Errorf("%w: %w: this workstation (device %s) has not shown the archive that it holds the organisation's vault keys: sign in on it once (a workstation still waiting for the keys cannot sync yet)", api.ErrNotMember, api.ErrForbidden, dev)
}

func (s *Server) orgVault(w http.ResponseWriter, r *http.Request, _ api.DeviceID) {
	org, err := s.store.OrgVault(r.Context())
	s.reply(w, r, org, err)
}

// member lets h serve only devices that showed they hold the
// organisation's vault keys (Store.VaultMember; remembered, since
// membership is never withdrawn: revoking the certificate cuts a device
// off).
func (s *Server) member(h deviceHandler) deviceHandler {
	return func(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
		if _, ok := s.members.Load(dev); !ok {
			ok, err := s.store.VaultMember(r.Context(), dev)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if !ok {
				s.fail(w, r, errNotMember(dev))
				return
			}
			s.members.Store(dev, true)
		}
		h(w, r, dev)
	}
}

// MetricsWithVault is store's Metrics with the organisation's vault.
func MetricsWithVault(ctx context.Context, store Store) (api.Metrics, error) {
	m, err := store.Metrics(ctx)
	if err != nil {
		return m, err
	}
	switch org, err := store.OrgVault(ctx); {
	case err == nil:
		m.Vault = &org
	case !errors.Is(err, api.ErrNotFound):
		return m, err
	}
	return m, nil
}
