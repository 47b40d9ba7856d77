package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Joining a new workstation to the organisation's vault: the vault here is
// empty until an administrator elsewhere grants it the keys (see
// crypto/join.go for the cryptography). Meanwhile only the join key is
// stored, its private half sealed under the joining user's password.
const (
	metaJoinKey  = "vault/join-key"  // sealed private join key
	metaJoinUser = "vault/join-user" // the user who will open it
	metaJoinPub  = "vault/join-public"
)

// Actions of key transfer.
const (
	ActKeysGrant Action = "keys.grant"
	ActKeysJoin  Action = "keys.join"
)

// JoinRequest is a workstation's pending request for the vault keys.
type JoinRequest struct {
	User        string
	PublicKey   []byte
	Fingerprint string
}

// PrepareJoin makes the join key of an empty vault for user (whose
// password will open it) and returns what to send to the archive. Asking
// again returns the same request.
func (v *Vault) PrepareJoin(ctx context.Context, user string, password []byte) (JoinRequest, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ok, err := v.Initialized(ctx); err != nil {
		return JoinRequest{}, err
	} else if ok {
		return JoinRequest{}, fmt.Errorf("join: %w: this workstation already has a vault; use 'folio sync enroll' to connect it", ErrAlreadyExists)
	}
	name, err := NormalizeUserName(user)
	if err != nil {
		return JoinRequest{}, err
	}
	if err := CheckPassword(password, name); err != nil {
		return JoinRequest{}, err
	}
	if pending, ok, err := v.JoinPending(ctx); err != nil {
		return JoinRequest{}, err
	} else if ok {
		if pending.User != name {
			return JoinRequest{}, fmt.Errorf("join: %w: this workstation already waits for the keys for user %s", ErrAlreadyExists, pending.User)
		}
		return pending, nil
	}
	pub, sealed, err := v.cfg.Keys.NewJoinKey(name, password)
	if err != nil {
		return JoinRequest{}, err
	}
	err = v.cfg.Meta.UpdateMeta(ctx, map[string][]byte{metaJoinKey: sealed, metaJoinUser: []byte(name), metaJoinPub: pub}, nil)
	if err != nil {
		return JoinRequest{}, fmt.Errorf("join: store the join key: %w", err)
	}
	return JoinRequest{User: name, PublicKey: pub, Fingerprint: v.cfg.Keys.JoinFingerprint(pub)}, nil
}

// JoinPending returns the request of a vault that waits for its keys.
func (v *Vault) JoinPending(ctx context.Context) (JoinRequest, bool, error) {
	user, err := v.cfg.Meta.GetMeta(ctx, metaJoinUser)
	if errors.Is(err, ErrNotFound) {
		return JoinRequest{}, false, nil
	}
	if err != nil {
		return JoinRequest{}, false, err
	}
	pub, err := v.cfg.Meta.GetMeta(ctx, metaJoinPub)
	if err != nil {
		return JoinRequest{}, false, fmt.Errorf("join: the join key is incomplete: %w", err)
	}
	return JoinRequest{User: string(user), PublicKey: pub, Fingerprint: v.cfg.Keys.JoinFingerprint(pub)}, true, nil
}

// CompleteJoin opens the granted keys with the joining user's password,
// installs them (key bundle, audit key, the user's password slot) and
// returns a session for the first sync. That session has no role until
// the user's record arrives from the archive: it can sync, nothing else.
// After the first sync the user signs in as usual.
func (v *Vault) CompleteJoin(ctx context.Context, password []byte, grant []byte) (*Session, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	req, ok, err := v.JoinPending(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("join: %w: this workstation is not waiting for vault keys", ErrInvalid)
	}
	sealed, err := v.cfg.Meta.GetMeta(ctx, metaJoinKey)
	if err != nil {
		return nil, fmt.Errorf("join: read the join key: %w", err)
	}
	keys, bundle, err := v.cfg.Keys.OpenGrant(sealed, req.User, password, v.cfg.Device, grant)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	pub, err := keys.AuditPublicKey()
	if err != nil {
		keys.Close()
		return nil, err
	}
	slot, err := keys.PasswordSlot(req.User, password)
	if err != nil {
		keys.Close()
		return nil, err
	}
	now := v.now()
	site := "F" + strings.ToUpper(v.cfg.Device.String()[:3])
	err = v.cfg.Meta.UpdateMeta(ctx, map[string][]byte{
		metaBundle:                        bundle,
		metaAuditKey:                      pub,
		metaSitePrefix:                    []byte(site),
		slotKey(req.User, now.UnixNano()): slot,
		metaMRNNext:                       []byte("1"),
		metaInitialized:                   []byte(now.Format(time.RFC3339)),
	}, []string{metaJoinKey, metaJoinUser, metaJoinPub})
	if err != nil {
		keys.Close()
		return nil, fmt.Errorf("join: install the vault keys: %w", err)
	}
	sealer, err := v.cfg.Keys.NewAuditSealer(pub)
	if err != nil {
		keys.Close()
		return nil, err
	}
	s := &Session{v: v, user: User{Name: req.User}, keys: keys, records: v.cfg.Records(keys.RecordAEAD()), sealer: sealer,
		glass: map[string]string{}, cache: map[string]*cachedPatient{}}
	_ = s.audit(ctx, AuditEvent{Action: ActKeysJoin, Outcome: OutcomeOK, Detail: "vault keys received from the organisation"})
	return s, nil
}

// GrantVaultKeys wraps the vault keys to a joining workstation's public
// key (an administrator's act, audited with the fingerprint).
func (s *Session) GrantVaultKeys(ctx context.Context, device DeviceID, name string, public []byte) ([]byte, error) {
	if err := s.require(ctx, PermUserManage, ActKeysGrant, ""); err != nil {
		return nil, err
	}
	keys, err := s.keyring()
	if err != nil {
		return nil, err
	}
	grant, err := keys.Grant(public, device)
	if err != nil {
		return nil, fmt.Errorf("grant the vault keys to %s: %w", name, err)
	}
	if err := s.audit(ctx, AuditEvent{Action: ActKeysGrant, Object: "device/" + device.String(), Outcome: OutcomeOK,
		Detail: fmt.Sprintf("workstation %s, key %s", name, s.v.cfg.Keys.JoinFingerprint(public))}); err != nil {
		return nil, err
	}
	return grant, nil
}
