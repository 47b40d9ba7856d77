package app

import (
	"context"
	"crypto/subtle"
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

// VaultGrant is what a joining workstation received: the vault keys
// wrapped to its join key, and the identity key of the organisation's
// vault they must be (the syncer checked the grant's signature by it).
type VaultGrant struct {
	Keys  []byte
	Vault []byte
}

// CompleteJoin opens the granted keys with the joining user's password,
// checks that they are the organisation vault's (their identity is
// g.Vault; otherwise ErrForeignVault and nothing is installed), installs
// them (key bundle, audit key, the user's password slot) and returns a
// session for the first sync. That session has no role until the user's
// record arrives from the archive: it can sync, nothing else. After the
// first sync the user signs in as usual.
func (v *Vault) CompleteJoin(ctx context.Context, password []byte, g VaultGrant) (*Session, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	req, ok, err := v.JoinPending(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("join: %w", Invalidf("this workstation is not waiting for vault keys"))
	}
	sealed, err := v.cfg.Meta.GetMeta(ctx, metaJoinKey)
	if err != nil {
		return nil, fmt.Errorf("join: read the join key: %w", err)
	}
	keys, bundle, err := v.cfg.Keys.OpenGrant(sealed, req.User, password, v.cfg.Device, g.Keys)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	id, err := keys.VaultIdentity()
	if err != nil {
		keys.Close()
		return nil, err
	}
	if len(g.Vault) == 0 || subtle.ConstantTimeCompare(id, g.Vault) != 1 {
		keys.Close()
		return nil, fmt.Errorf("join: %w: the keys offered are those of another vault, not the organisation's: they were not installed. Do not use this workstation for patients yet; tell the administrator", ErrForeignVault)
	}
	pub, err := keys.AuditPublicKey()
	if err != nil {
		keys.Close()
		return nil, err
	}
	// The user's signing key comes with their own slots at the first
	// sync; the slot made here holds none (sign-in finds the key there).
	slot, err := keys.PasswordSlot(req.User, password, nil)
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
	s := newSession(v, User{Name: req.User}, keys, v.cfg.Records(keys.RecordAEAD()), sealer)
	_ = s.audit(ctx, AuditEvent{Action: ActKeysJoin, Outcome: OutcomeOK, Detail: "vault keys received from the organisation"})
	return s, nil
}

// vaultStatementPrefix starts every statement the vault key signs for the
// archive (vault claims, key grants; their formats are archive/api's,
// whose VerifyVault puts the same prefix back). No audit checkpoint
// starts with it, so neither signature can pass for the other.
const vaultStatementPrefix = "folio vault statement v1\x00"

// SignVaultStatement signs a statement about this vault for the archive
// with the vault key, and returns the vault's identity key (which the
// signature verifies with) and the signature.
func (rp Replica) SignVaultStatement(statement []byte) (identity, sig []byte, err error) {
	keys, err := rp.s.keyring()
	if err != nil {
		return nil, nil, err
	}
	if identity, err = keys.VaultIdentity(); err != nil {
		return nil, nil, err
	}
	if sig, err = keys.Sign(append([]byte(vaultStatementPrefix), statement...)); err != nil {
		return nil, nil, fmt.Errorf("sign a statement about the vault: %w", err)
	}
	return identity, sig, nil
}

// VaultIdentity returns the vault's identity key (what the archive knows
// the organisation's vault by; api.VaultFingerprint shortens it).
func (rp Replica) VaultIdentity() ([]byte, error) {
	keys, err := rp.s.keyring()
	if err != nil {
		return nil, err
	}
	return keys.VaultIdentity()
}

// SameFingerprint compares a fingerprint a person typed (as read out to
// them) with want: case, spaces, colons and dashes do not matter, and
// nothing typed is never the same.
func SameFingerprint(typed, want string) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r == '-' || r == ' ' || r == ':' || r == '\t':
				return -1
			case r >= 'A' && r <= 'Z':
				return r + 'a' - 'A'
			}
			return r
		}, s)
	}
	return norm(typed) != "" && norm(typed) == norm(want)
}

// VaultFingerprint is the short form of a vault identity key people
// compare (the same form as a join key's fingerprint).
func (v *Vault) VaultFingerprint(identity []byte) string {
	return v.cfg.Keys.JoinFingerprint(identity)
}

// GrantVaultKeys wraps the vault keys to a joining workstation's public
// key (an administrator's act, audited with the fingerprint).
func (rp Replica) GrantVaultKeys(ctx context.Context, device DeviceID, name string, public []byte) ([]byte, error) {
	ctx, err := rp.s.require(ctx, PermUserManage, ActKeysGrant, "")
	if err != nil {
		return nil, err
	}
	keys, err := rp.s.keyring()
	if err != nil {
		return nil, err
	}
	grant, err := keys.Grant(public, device)
	if err != nil {
		return nil, fmt.Errorf("grant the vault keys to %s: %w", name, err)
	}
	if err := rp.s.audit(ctx, AuditEvent{Action: ActKeysGrant, Object: "device/" + device.String(), Outcome: OutcomeOK,
		Detail: fmt.Sprintf("workstation %s, key %s", name, rp.s.v.cfg.Keys.JoinFingerprint(public))}); err != nil {
		return nil, err
	}
	return grant, nil
}

// noSuchUser is the error of a vault that holds a user's key slot but not
// their record: the workstation joined as a user the organisation does not
// have (or whose record has not arrived yet). It says what to do, and
// wraps ErrNotFound.
type noSuchUser string

func (n noSuchUser) Error() string {
	return fmt.Sprintf("the organisation has no user %q (yet): an administrator adds them on an enrolled workstation ('folio user add %s --role …'), and the next sync here brings them; until then nobody can sign in here as %s", string(n), string(n), string(n))
}

func (noSuchUser) Unwrap() error { return ErrNotFound }

// CheckUserArrived reports, after a joining workstation's sync, whether
// the signed-in user's record arrived: an error wrapping ErrNotFound
// that says what to do when the organisation has no such user.
func (rp Replica) CheckUserArrived(ctx context.Context) error {
	_, err := rp.s.records.Head(ctx, KindUser, rp.s.User().Name)
	if errors.Is(err, ErrNotFound) {
		return noSuchUser(rp.s.User().Name)
	}
	return err
}
