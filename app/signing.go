package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"folio/endorse"
)

// This file is the signed-in session's signing key. Every user has an
// Ed25519 key whose seed lives only inside their password slots (version
// 3), so only a session signed in with their password holds it; the
// session keeps the private key while signed in and signs every user and
// key-slot version it writes (package endorse says whose signature the
// archive and the other workstations accept). Vaults made before signing
// keys get them at each user's next sign-in (signing.settle).

// signing is the part of the core that uses the signed-in user's signing
// key (Session.signer): it signs (endorses) the versions the session
// writes, settles a key at sign-in, and writes the password slots that
// carry its seed (users.go: setPassword, resetWrite). Users, Replica and
// the sign-in reach it through s.signing.
type signing struct{ s *Session }

// ActSigningKey records a user's signing key made at sign-in (a vault
// made before signing keys).
const ActSigningKey Action = "user.signing-key"

// newSigningSeed returns a new signing-key seed (a secret: it goes only
// into the user's password slots).
func newSigningSeed() []byte {
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed) // never fails (crypto/rand)
	return seed
}

// signingPublic returns the public key of a seed.
func signingPublic(seed []byte) []byte {
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}

// userCert is what a version of u grants, as its endorsement states it.
func userCert(u User) *endorse.UserCert {
	return &endorse.UserCert{Name: u.Name, Key: u.SigningKey, Admin: u.Roles.Has(RoleAdmin), Disabled: u.Disabled}
}

// signBy makes the JSON endorsement of a version by signer with key.
func signBy(key ed25519.PrivateKey, signer string, cert *endorse.UserCert, kind Kind, id string, parent Version, data []byte) ([]byte, error) {
	e := endorse.Sign(key, signer, cert, string(kind), id, endorse.Version{HLC: parent.HLC, Device: uint64(parent.Device)}, data)
	return json.Marshal(e)
}

// SigningKey returns the public half of the key this session signs with,
// nil when it holds none (see ErrNoSigningKey).
func (s *Session) SigningKey() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signer == nil {
		return nil
	}
	return bytes.Clone(s.signer.Public().(ed25519.PublicKey))
}

// set installs the session's private key (from a seed).
func (sg signing) set(seed []byte) {
	sg.s.mu.Lock()
	defer sg.s.mu.Unlock()
	clear(sg.s.signer)
	sg.s.signer = nil
	if seed != nil {
		sg.s.signer = ed25519.NewKeyFromSeed(seed)
	}
}

// endorse signs a version of kind/id over parent holding data, as the
// signed-in user, and returns the JSON of its endorsement.
func (sg signing) endorse(kind Kind, id string, parent Version, data []byte, cert *endorse.UserCert) ([]byte, error) {
	sg.s.mu.Lock()
	key, name, locked := sg.s.signer, sg.s.user.Name, sg.s.locked
	sg.s.mu.Unlock()
	switch {
	case locked:
		return nil, ErrLocked
	case key == nil:
		return nil, fmt.Errorf("change %s %s: %w", kind, id, ErrNoSigningKey)
	}
	return signBy(key, name, cert, kind, id, parent, data)
}

// user is the write of a new version of user u over parent,
// endorsed by the signed-in administrator with u's certificate.
func (ec encoder) user(u User, parent Version) (RecordWrite, error) {
	if len(u.SigningKey) != ed25519.PublicKeySize {
		return RecordWrite{}, fmt.Errorf("change user %s: %w", u.Name, Invalidf("the account has no signing key yet; it gets one when %s next signs in", u.Name))
	}
	data, err := json.Marshal(u)
	if err != nil {
		return RecordWrite{}, err
	}
	e, err := ec.s.signing.endorse(KindUser, u.Name, parent, data, userCert(u))
	if err != nil {
		return RecordWrite{}, err
	}
	return RecordWrite{Kind: KindUser, ID: u.Name, Parent: parent, Data: data, Endorsement: e}, nil
}

// known returns the signing key the vault knows for a user: the
// one their record certifies, else the first key they registered with
// their own key slots; nil when they have none yet.
func (sg signing) known(ctx context.Context, name string) []byte {
	if rec, err := sg.s.records.Head(ctx, KindUser, name); err == nil {
		var u User
		if json.Unmarshal(rec.Data, &u) == nil && len(u.SigningKey) == ed25519.PublicKeySize {
			return u.SigningKey
		}
	}
	if rec, err := sg.s.records.Head(ctx, KindKeySlots, name); err == nil {
		var ks keySlots
		if json.Unmarshal(rec.Data, &ks) == nil && len(ks.Key) == ed25519.PublicKeySize {
			return ks.Key
		}
	}
	return nil
}

// certifiedAdminExists reports whether an enabled administrator other than
// name has a certified signing key here (then name is not the
// organisation's first administrator).
func (sg signing) certifiedAdminExists(ctx context.Context, name string) (bool, error) {
	for rec, err := range sg.s.records.Heads(ctx, KindUser) {
		if err != nil {
			return false, err
		}
		var u User
		if rec.ID == name || json.Unmarshal(rec.Data, &u) != nil {
			continue
		}
		if u.Roles.Has(RoleAdmin) && !u.Disabled && len(u.SigningKey) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// signingSeed is what sign-in found of the user's signing key.
type signingSeed struct {
	seed []byte // the key to sign with; nil: none
	// rewrap: the slot that opened lacks this seed (it was found in
	// another of the user's slots, or made now): it is replaced by a
	// version-3 slot holding it.
	rewrap bool
	fresh  bool // made now (the user had no key): register it
}

// findSigningSeed decides the signed-in user's signing key: the seed of
// the slot that opened when it is the key the vault knows for them (or
// they have none yet), else the right seed from another of their slots
// the same password opens (a slot wrapped when joining a workstation holds
// none), else, for a user without a key, a new one. A user whose known
// key no slot here holds (a password set since elsewhere) signs nothing
// until their current slots arrive.
func (v *Vault) findSigningSeed(ctx context.Context, s *Session, name string, password []byte, opened string, seed []byte) (signingSeed, error) {
	known := s.signing.known(ctx, name)
	fits := func(seed []byte) bool {
		return seed != nil && (known == nil || bytes.Equal(signingPublic(seed), known))
	}
	if fits(seed) {
		return signingSeed{seed: seed}, nil
	}
	clear(seed)
	bundle, err := v.cfg.Meta.GetMeta(ctx, metaBundle)
	if err != nil {
		return signingSeed{}, fmt.Errorf("read key bundle: %w", err)
	}
	slots, err := v.cfg.Meta.MetaPrefix(ctx, slotPrefix+name+"/")
	if err != nil {
		return signingSeed{}, fmt.Errorf("read key slots: %w", err)
	}
	for k, slot := range slots {
		if k == opened {
			continue
		}
		keys, other, err := v.cfg.Keys.OpenPasswordSlot(bundle, slot, name, password)
		if err != nil {
			continue
		}
		keys.Close()
		if fits(other) {
			return signingSeed{seed: other, rewrap: true}, nil
		}
		clear(other)
	}
	if known != nil {
		return signingSeed{}, nil
	}
	return signingSeed{seed: newSigningSeed(), rewrap: true, fresh: true}, nil
}

// settle installs the key sign-in found: it replaces the slot
// that opened with a version-3 slot holding the seed when needed, and
// registers a new key: an administrator when no other administrator has a
// certified key here writes their own user version, certifying
// themself (the organisation's first administrator); anyone else registers
// it with their own key slots (a first key; an administrator then
// certifies a second administrator by saving their account, Users.SetRoles).
func (sg signing) settle(ctx context.Context, name string, password []byte, opened string, found signingSeed) error {
	if found.seed == nil {
		return nil
	}
	sg.set(found.seed)
	if !found.rewrap {
		return nil
	}
	keys, err := sg.s.keyring()
	if err != nil {
		return err
	}
	slot, err := keys.PasswordSlot(name, password, found.seed)
	if err != nil {
		return fmt.Errorf("store the signing key of %s: %w", name, err)
	}
	sg.s.v.mu.Lock()
	defer sg.s.v.mu.Unlock()
	newKey := slotKey(name, sg.s.v.now().UnixNano())
	puts := map[string][]byte{newKey: slot}
	deletes := []string{opened}
	e := AuditEvent{Action: ActSigningKey, Object: "user/" + name, Detail: "password slot rewritten to hold the signing key"}
	var writes []RecordWrite
	if found.fresh {
		w, detail, err := sg.register(ctx, name, newKey, slot, opened)
		if err != nil {
			return fmt.Errorf("register the signing key of %s: %w", name, err)
		}
		writes, e.Detail = []RecordWrite{w}, detail
	}
	return sg.s.commit(ctx, writes, e, puts, deletes)
}

// register is the write that registers the session's new key (see
// settle); newKey/slot replace the slot named opened. Callers
// hold v.mu.
func (sg signing) register(ctx context.Context, name, newKey string, slot []byte, opened string) (RecordWrite, string, error) {
	pub := sg.s.SigningKey()
	u := sg.s.User()
	others, err := sg.certifiedAdminExists(ctx, name)
	if err != nil {
		return RecordWrite{}, "", err
	}
	if u.Roles.Has(RoleAdmin) && !others {
		u.SigningKey = pub
		w, err := sg.s.encode.user(u, u.Version)
		if err != nil {
			return RecordWrite{}, "", err
		}
		sg.s.mu.Lock()
		sg.s.user.SigningKey = pub
		sg.s.mu.Unlock()
		return w, "signing key made and certified by its administrator (the organisation's first)", nil
	}
	local, err := sg.s.v.cfg.Meta.MetaPrefix(ctx, slotPrefix+name+"/")
	if err != nil {
		return RecordWrite{}, "", err
	}
	delete(local, opened)
	local[newKey] = slot
	var parent Version
	if rec, err := sg.s.records.Head(ctx, KindKeySlots, name); err == nil {
		parent = rec.Version
	} else if !errors.Is(err, ErrNotFound) {
		return RecordWrite{}, "", err
	}
	data, err := json.Marshal(keySlots{Slots: local, Key: pub})
	if err != nil {
		return RecordWrite{}, "", err
	}
	end, err := sg.endorse(KindKeySlots, name, parent, data, &endorse.UserCert{Name: name, Key: pub})
	if err != nil {
		return RecordWrite{}, "", err
	}
	detail := "signing key made and registered with the user's own password slots"
	if u.Roles.Has(RoleAdmin) {
		detail += "; another administrator certifies it by saving the account"
	}
	return RecordWrite{Kind: KindKeySlots, ID: name, Parent: parent, Data: data, Endorsement: end}, detail, nil
}
