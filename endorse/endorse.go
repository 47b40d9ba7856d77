// Package endorse holds who may write the records that give access: users
// and their key slots. It is the one set of rules the archive (at push) and
// every workstation (at pull and bundle import) apply, and the format of
// the endorsement a signed-in session signs. It needs nothing but the
// standard library.
package endorse

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Who may write users and key slots. Every user has a signing key (an
// Ed25519 key whose private half lives only inside that user's password
// slots, so only a session signed in with their password can use it). A
// version of a KindUser or KindKeySlots record carries an Endorsement: the
// name of the user whose session wrote it and their signature. The archive
// refuses such a version unless Signers.Check accepts it, and every
// workstation applies the same rules to what it pulls or imports, so a
// device that holds the vault keys but no administrator's password cannot
// make a user, change a role or plant a password slot anywhere.
//
// The rules (Signers.Check):
//   - user/X: signed by an enabled administrator, with Cert naming X (the
//     key, role and state the version gives X). The first administrator an
//     empty registry sees may sign their own certificate (trust on first
//     use, as the vault claim: the organisation's first push).
//   - keyslots/X: signed by X or by an enabled administrator; a user who
//     has no key yet may register their first one by signing their own
//     slots with it (Cert naming X, not an administrator: users created
//     before signing keys existed get theirs on their next sign-in).
//   - keyslots/~recovery: signed by an enabled administrator.
//   - a disabled user signs nothing.
const (
	// EndorsedUser and EndorsedKeySlots are the record kinds that need an
	// endorsement (app.KindUser and app.KindKeySlots).
	EndorsedUser     = "user"
	EndorsedKeySlots = "keyslots"
	// RecoverySlotsID is the keyslots record of the recovery slot.
	RecoverySlotsID = "~recovery"
	// SignerKeySize is the size of a user's signing key (Ed25519 public).
	SignerKeySize = ed25519.PublicKeySize
	// MaxSignerName bounds a user name in an endorsement.
	MaxSignerName = 64
)

// UserCert is what a user's record grants, in clear for the archive: the
// user's signing key, whether they administer (a user may hold several
// roles; Admin is whether any of them is the administrator's), whether
// they are disabled.
type UserCert struct {
	Name     string `json:"name"`
	Key      []byte `json:"key"`
	Admin    bool   `json:"admin,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// Endorsement proves which signed-in user wrote a version.
type Endorsement struct {
	Signer string `json:"signer"`
	// Cert is the user a user/X version makes (required there), or the
	// first key a user registers with their own key slots.
	Cert *UserCert `json:"cert,omitempty"`
	// Content is the SHA-256 of the version's plaintext: the archive
	// cannot check it, the workstation that opens the version does.
	Content   []byte `json:"content"`
	Signature []byte `json:"signature"`
}

// NeedsEndorsement reports whether versions of kind must be endorsed.
func NeedsEndorsement(kind string) bool {
	return kind == EndorsedUser || kind == EndorsedKeySlots
}

// EndorsementMessage is what a signer signs for a version of kind/id
// written over parent (the version's own number is not known when its
// writer signs; parent binds it to its place in the record's history).
func EndorsementMessage(kind, id string, parent Version, e Endorsement) []byte {
	msg := fmt.Appendf(nil, "folio endorsement v1\x00%s\x00%s\x00%x.%016x\x00%s\x00%x", kind, id, parent.HLC, parent.Device, e.Signer, e.Content)
	if c := e.Cert; c != nil {
		msg = fmt.Appendf(msg, "\x00cert\x00%s\x00%x\x00%t\x00%t", c.Name, c.Key, c.Admin, c.Disabled)
	}
	return msg
}

// ContentHash is the Content of an endorsement of plaintext.
func ContentHash(plaintext []byte) []byte {
	s := sha256.Sum256(plaintext)
	return s[:]
}

// Validate checks an endorsement's shape (not its signature).
func (e Endorsement) Validate() error {
	if e.Signer == "" || len(e.Signer) > MaxSignerName {
		return fmt.Errorf("an endorsement names a user of 1 to %d bytes", MaxSignerName)
	}
	if len(e.Content) != sha256.Size || len(e.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("an endorsement holds a %d-byte content hash and a %d-byte signature", sha256.Size, ed25519.SignatureSize)
	}
	if c := e.Cert; c != nil {
		if c.Name == "" || len(c.Name) > MaxSignerName || len(c.Key) != SignerKeySize {
			return fmt.Errorf("a user certificate names a user of 1 to %d bytes and a %d-byte key", MaxSignerName, SignerKeySize)
		}
	}
	return nil
}

// ErrNotEndorsed is the refusal of a user or key-slot version that no
// entitled user's session signed.
var ErrNotEndorsed = errors.New("not written in the session of a user allowed to write it")

// Version is a record version's number (app.Version, api.Version): a
// hybrid logical clock reading and the device that wrote it.
type Version struct {
	HLC    uint64
	Device uint64
}

// Signers is the registry of users' signing keys, built from accepted
// user versions (and first keys). The zero value is an empty registry.
// It is not safe for concurrent use.
type Signers struct {
	users map[string]UserCert
}

// Clone returns a copy of the registry: a batch of versions is checked
// against the copy, each accepted in turn, before any of it is stored.
func (s *Signers) Clone() *Signers {
	return &Signers{users: maps.Clone(s.users)}
}

// Lookup returns the registered certificate of a user.
func (s *Signers) Lookup(name string) (UserCert, bool) {
	c, ok := s.users[name]
	return c, ok
}

// HasAdmin reports whether any enabled administrator is registered.
func (s *Signers) HasAdmin() bool {
	for _, c := range s.users {
		if c.Admin && !c.Disabled {
			return true
		}
	}
	return false
}

// Names returns the registered users, sorted.
func (s *Signers) Names() []string {
	out := make([]string, 0, len(s.users))
	for n := range s.users {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Check says whether a version of kind/id over parent with endorsement e
// may be accepted (nil) or not (an error wrapping ErrNotEndorsed). Kinds that need no endorsement always pass. It does not
// change the registry: call Accept once the version is stored.
func (s *Signers) Check(kind, id string, parent Version, e *Endorsement) error {
	if !NeedsEndorsement(kind) {
		return nil
	}
	refuse := func(why string, args ...any) error {
		return fmt.Errorf("%w: %s/%s: %s", ErrNotEndorsed, kind, id, fmt.Sprintf(why, args...))
	}
	if e == nil {
		return refuse("it carries no signature of a signed-in user (users and key slots are written only in an administrator's session, or a user's own for their password)")
	}
	if err := e.Validate(); err != nil {
		return refuse("%v", err)
	}
	key, admin, err := s.signerKey(kind, id, e)
	if err != nil {
		return refuse("%v", err)
	}
	if !ed25519.Verify(ed25519.PublicKey(key), EndorsementMessage(kind, id, parent, *e), e.Signature) {
		return refuse("the signature of %s does not verify", e.Signer)
	}
	switch {
	case kind == EndorsedUser:
		if e.Cert == nil || e.Cert.Name != id {
			return refuse("a user version must carry the certificate of user %s", id)
		}
		if !admin {
			return refuse("%s is not an administrator", e.Signer)
		}
	case id == RecoverySlotsID:
		if !admin {
			return refuse("only an administrator may change the recovery slot, not %s", e.Signer)
		}
	default:
		if e.Signer != id && !admin {
			return refuse("%s may change only their own password, not %s's", e.Signer, id)
		}
	}
	return nil
}

// signerKey returns the key e must verify with and whether it speaks as an
// administrator: the registered key, or a first key the rules allow.
func (s *Signers) signerKey(kind, id string, e *Endorsement) ([]byte, bool, error) {
	reg, ok := s.users[e.Signer]
	switch {
	case ok && reg.Disabled:
		return nil, false, fmt.Errorf("%s is disabled", e.Signer)
	case ok:
		return reg.Key, reg.Admin, nil
	case e.Cert == nil || e.Cert.Name != e.Signer || e.Signer != id:
		return nil, false, fmt.Errorf("%s has no signing key here yet", e.Signer)
	case e.Cert.Disabled:
		return nil, false, fmt.Errorf("%s is disabled", e.Signer)
	case kind == EndorsedUser && e.Cert.Admin && !s.HasAdmin():
		// The organisation's first administrator certifies themself.
		return e.Cert.Key, true, nil
	case kind == EndorsedKeySlots && !e.Cert.Admin:
		// A user's first key, registered with their own slots.
		return e.Cert.Key, false, nil
	}
	return nil, false, fmt.Errorf("%s has no signing key here yet, and only an administrator may certify one", e.Signer)
}

// Accept records what an accepted version grants: a user version's
// certificate, or a first key registered with key slots. Call it only
// after Check passed and the version was kept.
func (s *Signers) Accept(kind, id string, e *Endorsement) {
	if !NeedsEndorsement(kind) || e == nil || e.Cert == nil || e.Cert.Name != id {
		return
	}
	if kind == EndorsedKeySlots {
		if _, ok := s.users[id]; ok {
			return // a first key only
		}
	}
	if s.users == nil {
		s.users = map[string]UserCert{}
	}
	s.users[id] = *e.Cert
}

// Sign makes the endorsement of a version of kind/id over parent whose
// plaintext is data, by signer with key (and cert, for a user version or a
// first key).
func Sign(key ed25519.PrivateKey, signer string, cert *UserCert, kind, id string, parent Version, data []byte) Endorsement {
	e := Endorsement{Signer: signer, Cert: cert, Content: ContentHash(data)}
	e.Signature = ed25519.Sign(key, EndorsementMessage(kind, id, parent, e))
	return e
}

// CheckContent reports whether an endorsement was made for this plaintext
// (a workstation checks it once it has opened the version).
func (e Endorsement) CheckContent(plaintext []byte) error {
	if !bytes.Equal(e.Content, ContentHash(plaintext)) {
		return fmt.Errorf("%w: the signature of %s was made for other content", ErrNotEndorsed, e.Signer)
	}
	return nil
}
