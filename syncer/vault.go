package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"folio/app"
	"folio/archive/api"
	"folio/storage"
)

// The organisation's vault at the archive (see archive/api/vault.go). A
// workstation shows the archive once that it holds the vault keys: a
// signed-in round (or 'folio sync enroll') signs a claim and keeps it in
// the vault's meta, so that a send-only round while locked can show it
// too; once the archive took it, the meta says so and no round asks again.
const (
	metaVaultClaim   = "sync/vault-claim"   // JSON api.VaultClaim, signed by this vault for this device
	metaVaultClaimed = "sync/vault-claimed" // the archive took the claim: the organisation vault's key
)

// Claimer signs statements about the vault; app.Replica does.
type Claimer interface {
	SignVaultStatement(statement []byte) (identity, sig []byte, err error)
}

// Granter is what approving a joining workstation needs of an
// administrator's session; its app.Replica has it.
type Granter interface {
	Claimer
	GrantVaultKeys(ctx context.Context, device app.DeviceID, name string, public []byte) ([]byte, error)
}

// ClaimVault shows the archive this device's claim to the vault.
func (c *Client) ClaimVault(ctx context.Context, claim api.VaultClaim) (api.OrgVault, error) {
	return jsonCall(ctx, c, http.MethodPost, api.PathVaultClaim, claim, api.DecodeOrgVault)
}

// OrgVault asks the archive which vault it serves (api.ErrNotFound before
// the first claim).
func (c *Client) OrgVault(ctx context.Context) (api.OrgVault, error) {
	return jsonCall(ctx, c, http.MethodGet, api.PathVault, nil, api.DecodeOrgVault)
}

// ShowVault makes sure the archive knows this workstation holds the
// organisation's vault keys: it signs a claim with s when none is kept
// (s may be nil: then only a kept claim can be shown) and sends it unless
// the archive took it before. The first vault shown to an archive becomes
// the organisation's; another vault's claim fails with
// api.ErrForeignVault.
func ShowVault(ctx context.Context, db *storage.DB, c *Client, s Claimer) (api.OrgVault, error) {
	if b, err := db.Meta().GetMeta(ctx, metaVaultClaimed); err == nil {
		return api.OrgVault{PublicKey: b}, nil
	}
	claim, err := keptClaim(ctx, db, c.device, s)
	if err != nil {
		return api.OrgVault{}, err
	}
	org, err := c.ClaimVault(ctx, claim)
	if err != nil {
		return api.OrgVault{}, fmt.Errorf("show the archive this workstation's vault: %w", err)
	}
	if err := db.Meta().UpdateMeta(ctx, map[string][]byte{metaVaultClaimed: org.PublicKey}, nil); err != nil {
		return api.OrgVault{}, err
	}
	return org, nil
}

// KeepClaim signs and keeps this workstation's claim to the vault with s
// (a signed-in session) unless one is kept: a round without a session can
// then show it to the archive (needs no link).
func KeepClaim(ctx context.Context, db *storage.DB, s Claimer) error {
	_, err := keptClaim(ctx, db, api.DeviceID(db.DeviceID()), s)
	return err
}

// keptClaim returns this device's claim to the vault, signing and keeping
// one with s when none is kept (s nil: api.ErrNotMember).
func keptClaim(ctx context.Context, db *storage.DB, dev api.DeviceID, s Claimer) (api.VaultClaim, error) {
	claim, ok, err := getJSON[api.VaultClaim](ctx, db.Meta(), metaVaultClaim)
	if err != nil || ok {
		return claim, err
	}
	if s == nil {
		return api.VaultClaim{}, fmt.Errorf("%w: this workstation has not shown the archive that it holds the organisation's vault keys yet: sign in once while it is connected", api.ErrNotMember)
	}
	pub, sig, err := s.SignVaultStatement(api.VaultClaimMessage(dev))
	if err != nil {
		return api.VaultClaim{}, err
	}
	claim = api.VaultClaim{PublicKey: pub, Signature: sig}
	b, err := json.Marshal(claim)
	if err != nil {
		return api.VaultClaim{}, err
	}
	if err := db.Meta().UpdateMeta(ctx, map[string][]byte{metaVaultClaim: b}, nil); err != nil {
		return api.VaultClaim{}, err
	}
	return claim, nil
}

// ShownVault returns the organisation vault's key once the archive took
// this workstation's claim (false before).
func ShownVault(ctx context.Context, db *storage.DB) ([]byte, bool) {
	b, err := db.Meta().GetMeta(ctx, metaVaultClaimed)
	return b, err == nil
}

// Errors of approving a joining workstation.
var (
	// ErrNoFingerprint: an approval must name the fingerprint the joining
	// workstation shows.
	ErrNoFingerprint = errors.New("give the key fingerprint the joining workstation shows (--fingerprint): without it anyone holding an enrollment file could receive the vault keys")
	// ErrFingerprintMismatch: the request's key is not the one the person
	// at the joining workstation read out.
	ErrFingerprintMismatch = errors.New("the key fingerprint differs")
)

// Approve sends the vault keys to the joining workstation name, whose
// request must have the join key of fingerprint (required: the one the
// person there reads out). fp computes a join key's fingerprint
// (crypto.JoinFingerprint).
func Approve(ctx context.Context, c *Client, s Granter, name, fingerprint string, fp func([]byte) string) (api.KeyRequest, error) {
	if strings.TrimSpace(fingerprint) == "" {
		return api.KeyRequest{}, ErrNoFingerprint
	}
	reqs, err := c.KeyRequests(ctx)
	if err != nil {
		return api.KeyRequest{}, err
	}
	for _, r := range reqs {
		if r.Name != name || !r.Pending() {
			continue
		}
		if got := fp(r.PublicKey); !app.SameFingerprint(fingerprint, got) {
			return api.KeyRequest{}, fmt.Errorf("%w: %s asks with key %s, not %s: do not approve; have the archive's administrator revoke %s and enroll it again", ErrFingerprintMismatch, name, got, fingerprint, name)
		}
		return SendGrant(ctx, c, s, r)
	}
	for _, r := range reqs {
		if r.Name == name {
			return api.KeyRequest{}, fmt.Errorf("%w: %s already has the vault keys (granted %s)", app.ErrAlreadyExists, name, r.Granted.Format("2006-01-02 15:04"))
		}
	}
	return api.KeyRequest{}, fmt.Errorf("%w: no workstation named %s is waiting for the keys ('folio sync requests' lists them)", app.ErrNotFound, name)
}

// SendGrant wraps the vault keys to req's join key (an administrator's
// act in s) and sends them with the vault key's signature over them.
func SendGrant(ctx context.Context, c *Client, s Granter, req api.KeyRequest) (api.KeyRequest, error) {
	grant, err := s.GrantVaultKeys(ctx, app.DeviceID(req.Device), req.Name, req.PublicKey)
	if err != nil {
		return api.KeyRequest{}, err
	}
	defer clear(grant)
	_, sig, err := s.SignVaultStatement(api.GrantMessage(req.Device, req.PublicKey, grant))
	if err != nil {
		return api.KeyRequest{}, err
	}
	return c.GrantKeys(ctx, api.KeyGrant{Device: req.Device, Grant: grant, Signature: sig})
}

// ReceiveGrant asks the archive for the vault keys of this joining
// workstation (joinPublic is its join key), and returns them once an
// administrator approved, nil while the request waits. The grant must be
// signed by the organisation's vault, as the archive names it (and as
// pinned when pinned is not empty), over this device and join key;
// otherwise it wraps app.ErrForeignVault and must not be used.
func ReceiveGrant(ctx context.Context, c *Client, joinPublic, pinned []byte) (*app.VaultGrant, error) {
	kr, err := c.KeyRequest(ctx)
	if errors.Is(err, api.ErrNotFound) {
		kr, err = c.RequestKeys(ctx, joinPublic)
	}
	if err != nil {
		return nil, err
	}
	if kr.Pending() {
		return nil, nil
	}
	if len(pinned) > 0 && string(pinned) != string(kr.Vault) {
		return nil, fmt.Errorf("%w: the archive names the vault %s, not the organisation's %s this workstation knows: the keys were not used; tell the administrator", app.ErrForeignVault, api.VaultFingerprint(kr.Vault), api.VaultFingerprint(pinned))
	}
	if err := api.VerifyVault(kr.Vault, api.GrantMessage(c.device, joinPublic, kr.Grant), kr.GrantSignature); err != nil {
		return nil, fmt.Errorf("%w: the vault keys offered are not signed by the organisation's vault (%v): they were not used; tell the administrator", app.ErrForeignVault, err)
	}
	return &app.VaultGrant{Keys: kr.Grant, Vault: kr.Vault}, nil
}
