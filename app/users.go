package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// User is a person who logs in to Folio. The user name is the record id.
type User struct {
	Name     string `json:"name"`
	FullName string `json:"full_name,omitempty"`
	// Roles are what the user does; they may do what any of them allows.
	Roles    RoleSet   `json:"roles"`
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
	// SigningKey is the public half of the user's signing key (Ed25519),
	// whose private half lives only in their password slots. Empty for a
	// user of a vault made before signing keys until they sign in.
	SigningKey []byte  `json:"signing_key,omitempty"`
	Version    Version `json:"-"`
}

// userFields is User without its JSON methods.
type userFields User

// userJSON is a user record as stored and synced. Roles is the user's
// roles; Role, the one role a record held before a user could have
// several, is still written (RoleSet.Primary), so an older workstation
// reads a newer record with the administrator's rights where they are
// held, and is read when Roles is absent: a version sealed or synced by
// an older Folio loads unchanged.
type userJSON struct {
	userFields
	Role Role `json:"role,omitempty"`
}

// MarshalJSON writes a user record (userJSON).
func (u User) MarshalJSON() ([]byte, error) {
	return json.Marshal(userJSON{userFields: userFields(u), Role: u.Roles.Primary()})
}

// UnmarshalJSON reads a user record of any version (userJSON).
func (u *User) UnmarshalJSON(data []byte) error {
	var w userJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*u = User(w.userFields)
	if len(u.Roles) == 0 && w.Role != "" {
		u.Roles = RoleSet{w.Role}
	}
	return nil
}

// NormalizeUserName lowercases a user name and checks it: 1 to 32 letters,
// digits, '.', '_' or '-'.
func NormalizeUserName(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 32 {
		return "", Invalidf("user name %q: use 1 to 32 letters, digits, '.', '_' or '-'", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", Invalidf("user name %q: use 1 to 32 letters, digits, '.', '_' or '-'", s)
		}
	}
	return s, nil
}

// Password rules follow NIST SP 800-63B: a minimum length, long
// passphrases welcome, no composition rules, and a refusal of passwords
// that are known to be common or that repeat the user name.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 1024
)

var commonPasswords = []string{
	"password", "password1", "12345678", "123456789", "1234567890", "qwertyuiop", "iloveyou",
	"11111111", "00000000", "abcd1234", "qwerty123", "sunshine", "princess", "football",
	"baseball", "welcome1", "letmein1", "passw0rd", "trustno1", "admin123", "changeme",
	"folio123", "hospital", "clinic123", "doctor123", "87654321", "abcdefgh", "asdfghjk",
}

// CheckPassword says why a new password is refused, or nil.
func CheckPassword(pw []byte, user string) error {
	n := utf8.RuneCount(pw)
	if n < MinPasswordLen {
		return Invalidf("the password needs at least %d characters (a passphrase of a few words is best)", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return Invalidf("the password is longer than %d bytes", MaxPasswordLen)
	}
	lower := strings.ToLower(string(pw))
	if slices.Contains(commonPasswords, lower) {
		return Invalidf("that password is one of the most common ones; choose another")
	}
	if user != "" && strings.Contains(lower, user) && len(user) >= 3 {
		return Invalidf("the password must not contain the user name")
	}
	return nil
}

// Users is user administration: adding users, listing them, their
// roles, passwords and whether they may sign in, and a user's full name
// for showing who did something. Every change checks the signed-in
// user's role and is audited; a user's new version carries the signed-in
// user's endorsement (signing.go).
type Users struct{ s *Session }

// Users returns the session's user service.
func (s *Session) Users() Users { return Users{s} }

// manage is the start of an administrator's change to a user: the role
// check for act (require), then the user's name normalised.
func (us Users) manage(ctx context.Context, act Action, user string) (context.Context, string, error) {
	ctx, err := us.s.require(ctx, PermUserManage, act, "")
	if err != nil {
		return ctx, "", err
	}
	name, err := NormalizeUserName(user)
	return ctx, name, err
}

// Add creates a user with their roles and first password.
func (us Users) Add(ctx context.Context, u User, password []byte) error {
	ctx, name, err := us.manage(ctx, ActUserAdd, u.Name)
	if err != nil {
		return err
	}
	if u.Roles, err = NewRoleSet(u.Roles...); err != nil {
		return err
	}
	if err := CheckPassword(password, name); err != nil {
		return err
	}
	if _, err := us.s.records.Head(ctx, KindUser, name); err == nil {
		return fmt.Errorf("add user %s: %w", name, ErrAlreadyExists)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	keys, err := us.s.keyring()
	if err != nil {
		return err
	}
	seed := newSigningSeed()
	defer clear(seed)
	slot, err := keys.PasswordSlot(name, password, seed)
	if err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	u.Name, u.Created, u.Disabled, u.SigningKey = name, us.s.v.now(), false, signingPublic(seed)
	w, err := us.s.encode.user(u, Version{})
	if err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	err = us.s.commit(ctx, []RecordWrite{w},
		AuditEvent{Action: ActUserAdd, Object: "user/" + name, Detail: rolesDetail(u.Roles)},
		map[string][]byte{slotKey(name, us.s.v.now().UnixNano()): slot}, nil)
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("add user %s: %w", name, ErrAlreadyExists)
	}
	return err
}

// List lists every user, by name.
func (us Users) List(ctx context.Context) ([]User, error) {
	ctx, err := us.s.require(ctx, PermUserManage, ActUserList, "")
	if err != nil {
		return nil, err
	}
	var out []User
	for rec, err := range us.s.records.Heads(ctx, KindUser) {
		if err != nil {
			return nil, err
		}
		var u User
		if err := json.Unmarshal(rec.Data, &u); err != nil {
			return nil, fmt.Errorf("user %s: %w", rec.ID, ErrTampered)
		}
		u.Version = rec.Version
		out = append(out, u)
	}
	return out, nil
}

// FullName returns a user's full name, as their record gives it ("" when
// it gives none), for showing who did something ("Filed by Grace Phiri").
// Any signed-in user may ask: it is no patient's data.
func (us Users) FullName(ctx context.Context, name string) (string, error) {
	if _, err := us.s.keyring(); err != nil {
		return "", err
	}
	rec, err := us.s.records.Head(ctx, KindUser, name)
	if err != nil {
		return "", fmt.Errorf("user %s: %w", name, err)
	}
	var u User
	if err := json.Unmarshal(rec.Data, &u); err != nil {
		return "", fmt.Errorf("user %s: %w", name, ErrTampered)
	}
	return u.FullName, nil
}

// ChangePassword sets a new password for the logged-in user, or, for an
// administrator, for anyone. The new key slot is written before the old
// one is removed, in one transaction.
func (us Users) ChangePassword(ctx context.Context, user string, newPassword []byte) error {
	name, err := NormalizeUserName(user)
	if err != nil {
		return err
	}
	if name != us.s.User().Name {
		if ctx, err = us.s.require(ctx, PermUserManage, ActUserPassword, ""); err != nil {
			return err
		}
	}
	if err := CheckPassword(newPassword, name); err != nil {
		return err
	}
	return us.s.signing.setPassword(ctx, name, newPassword, ActUserPassword, "")
}

// setPassword writes a new password slot for name and removes the old
// ones. A user's own new password keeps their signing key; a password set
// for them (by an administrator, or with the recovery key) comes with a
// new signing key, which their user version certifies.
func (sg signing) setPassword(ctx context.Context, name string, pw []byte, act Action, detail string) error {
	keys, err := sg.s.keyring()
	if err != nil {
		return err
	}
	u, err := sg.headUser(ctx, name)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	var seed []byte
	var writes []RecordWrite
	if name == sg.s.User().Name && act != ActRecovery {
		sg.s.mu.Lock()
		if sg.s.signer != nil {
			seed = bytes.Clone(sg.s.signer.Seed())
		}
		sg.s.mu.Unlock()
	} else {
		seed = newSigningSeed()
		u.SigningKey = signingPublic(seed)
		w, err := sg.resetWrite(u, u.Version, seed, act)
		if err != nil {
			return fmt.Errorf("set password of %s: %w", name, err)
		}
		writes = append(writes, w)
	}
	defer clear(seed)
	slot, err := keys.PasswordSlot(name, pw, seed)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	sg.s.v.mu.Lock()
	defer sg.s.v.mu.Unlock()
	old, err := sg.s.v.cfg.Meta.MetaPrefix(ctx, slotPrefix+name+"/")
	if err != nil {
		return err
	}
	deletes := []string{loginPrefix + name}
	for k := range old {
		deletes = append(deletes, k)
	}
	return sg.s.commit(ctx, writes, AuditEvent{Action: act, Object: "user/" + name, Detail: detail},
		map[string][]byte{slotKey(name, sg.s.v.now().UnixNano()): slot}, deletes)
}

// resetWrite is the user version that certifies the new key of a user
// whose password was set for them: endorsed by the administrator, or,
// with the recovery key (no administrator signed in), by the user's new
// key itself, which only a vault no administrator has certified yet
// accepts (a workstation on its own; see docs/threat-model.md).
func (sg signing) resetWrite(u User, parent Version, seed []byte, act Action) (RecordWrite, error) {
	if act != ActRecovery {
		return sg.s.encode.user(u, parent)
	}
	data, err := json.Marshal(u)
	if err != nil {
		return RecordWrite{}, err
	}
	key := ed25519.NewKeyFromSeed(seed)
	defer clear(key)
	e, err := signBy(key, u.Name, userCert(u), KindUser, u.Name, parent, data)
	if err != nil {
		return RecordWrite{}, err
	}
	return RecordWrite{Kind: KindUser, ID: u.Name, Parent: parent, Data: data, Endorsement: e}, nil
}

// headUser reads a user's current version.
func (sg signing) headUser(ctx context.Context, name string) (User, error) {
	rec, err := sg.s.records.Head(ctx, KindUser, name)
	if err != nil {
		return User{}, fmt.Errorf("user %s: %w", name, err)
	}
	var u User
	if err := json.Unmarshal(rec.Data, &u); err != nil {
		return User{}, fmt.Errorf("user %s: %w", name, ErrTampered)
	}
	u.Version = rec.Version
	return u, nil
}

// SetRoles gives a user the roles they hold from now on (one or
// more). Saving a user with the roles they have is how an administrator
// certifies the signing key a user registered with their own key slots (a
// second administrator of a vault made before signing keys: their
// administrator's signature counts only once another administrator
// certified it). An administrator cannot take the administrator's role
// from themself. Administrators only; audited, with the roles before and
// after.
func (us Users) SetRoles(ctx context.Context, user string, roles RoleSet) error {
	ctx, name, err := us.manage(ctx, ActUserRole, user)
	if err != nil {
		return err
	}
	if roles, err = NewRoleSet(roles...); err != nil {
		return err
	}
	if name == us.s.User().Name && !roles.Has(RoleAdmin) {
		return Invalidf("you cannot take away your own administrator role; ask another administrator")
	}
	u, err := us.s.signing.headUser(ctx, name)
	if err != nil {
		return err
	}
	if len(u.SigningKey) == 0 {
		u.SigningKey = us.s.signing.known(ctx, name)
	}
	detail := rolesDetail(roles)
	if slices.Equal(u.Roles, roles) {
		detail += " (unchanged: signing key certified)"
	} else {
		detail += " (was " + u.Roles.String() + ")"
	}
	u.Roles = roles
	w, err := us.s.encode.user(u, u.Version)
	if err != nil {
		return err
	}
	vs, err := us.s.commitVersions(ctx, []RecordWrite{w}, AuditEvent{Action: ActUserRole, Object: "user/" + name, Detail: detail}, nil)
	if err != nil {
		return err
	}
	if name == us.s.User().Name && len(vs) == 1 {
		// The session acts with the roles it now holds.
		u.Version = vs[0]
		us.s.mu.Lock()
		us.s.user = u
		us.s.mu.Unlock()
	}
	return nil
}

// rolesDetail is how the audit trail names the roles a user was given.
func rolesDetail(roles RoleSet) string {
	if len(roles) == 1 {
		return "role " + roles.String()
	}
	return "roles " + roles.String()
}

// SetDisabled disables or re-enables a user. A disabled user's key
// slots are removed, so the password no longer unlocks anything; enabling
// needs a new password.
func (us Users) SetDisabled(ctx context.Context, user string, disabled bool, newPassword []byte) error {
	act := ActUserDisable
	if !disabled {
		act = ActUserEnable
	}
	ctx, name, err := us.manage(ctx, act, user)
	if err != nil {
		return err
	}
	if disabled && name == us.s.User().Name {
		return Invalidf("you cannot disable your own account")
	}
	u, err := us.s.signing.headUser(ctx, name)
	if err != nil {
		return err
	}
	u.Disabled = disabled
	var seed []byte
	if disabled && len(u.SigningKey) == 0 {
		// The certificate names a key: the one the user registered, or
		// one no one holds (a disabled user signs nothing; enabling
		// gives a new key with the new password).
		if u.SigningKey = us.s.signing.known(ctx, name); u.SigningKey == nil {
			u.SigningKey = signingPublic(newSigningSeed())
		}
	}
	if !disabled {
		if err := CheckPassword(newPassword, name); err != nil {
			return err
		}
		seed = newSigningSeed()
		defer clear(seed)
		u.SigningKey = signingPublic(seed)
	}
	w, err := us.s.encode.user(u, u.Version)
	if err != nil {
		return fmt.Errorf("user %s: %w", name, err)
	}
	puts := map[string][]byte{}
	var deletes []string
	if !disabled {
		keys, err := us.s.keyring()
		if err != nil {
			return err
		}
		slot, err := keys.PasswordSlot(name, newPassword, seed)
		if err != nil {
			return err
		}
		puts[slotKey(name, us.s.v.now().UnixNano())] = slot
	}
	us.s.v.mu.Lock()
	defer us.s.v.mu.Unlock()
	old, err := us.s.v.cfg.Meta.MetaPrefix(ctx, slotPrefix+name+"/")
	if err != nil {
		return err
	}
	for k := range old {
		deletes = append(deletes, k)
	}
	return us.s.commit(ctx, []RecordWrite{w}, AuditEvent{Action: act, Object: "user/" + name}, puts, deletes)
}
