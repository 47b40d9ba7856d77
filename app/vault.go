package app

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Meta keys (cleartext, never PHI).
const (
	metaInitialized = "vault/initialized"
	metaBundle      = "vault/bundle"
	metaAuditKey    = "vault/audit-public-key"
	metaSitePrefix  = "vault/site-prefix"
	metaIdleLock    = "settings/idle-lock"
	metaMRNNext     = "mrn/next"
	slotPrefix      = "slot/user/"
	slotRecovery    = "slot/recovery"
	loginPrefix     = "login/failures/"
)

// Config wires the parts a Vault needs. main.go fills it with the bbolt
// store and the Tink key factory.
type Config struct {
	Meta  MetaStore
	Audit AuditChain
	// Records returns the record store sealed with aead.
	Records func(aead AEAD) RecordStore
	// Replica returns the same store's side of sync, sealed with aead (the
	// session checks and takes in versions written elsewhere through it);
	// nil where the workstation does not sync.
	Replica func(aead AEAD) ReplicaStore
	// Conflicts lists the records sync found changed on two workstations.
	Conflicts ConflictStore
	// Integrity checks the store below the services (verify).
	Integrity IntegrityChecker
	// Witness gives the archive's countersignature of this device's audit
	// trail, which verify compares with the trail; nil where the
	// workstation does not sync.
	Witness AuditWitness
	Keys    KeyFactory
	// Blobs returns the blob store sealed with aead (scanned originals,
	// page images and text); nil where scanning is not wired.
	Blobs func(aead StreamingAEAD) BlobStore
	// Analyzer reads scanned files (the scan worker pool); nil where
	// scanning is not wired.
	Analyzer Analyzer
	// PDF writes searchable PDFs (document export); nil where exporting
	// is not wired.
	PDF PDFWriter
	// NotePDF and ReferralPDF draw a signed visit note and a referral
	// letter built from it; nil where printing them is not wired.
	NotePDF     NotePDFWriter
	ReferralPDF ReferralPDFWriter
	Device      DeviceID
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Vault is one workstation profile's encrypted record store, locked until
// a user logs in. It is safe for concurrent use.
type Vault struct {
	cfg Config
	// mu serialises the read-modify-commit of counters (MRN, login
	// failures) and slot changes.
	mu sync.Mutex
	// intake serialises the duplicate check and the store of an imported
	// file's original, so the same file imported twice at once is one batch.
	intake sync.Mutex
	// learn serialises the read-modify-commit of the learned document
	// types (typeproposals.go); learned counts their committed changes,
	// so sessions know when the model they keep is out of date.
	learn   sync.Mutex
	learned atomic.Uint64
}

// NewVault returns the vault over cfg's stores.
func NewVault(cfg Config) *Vault {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Vault{cfg: cfg}
}

func (v *Vault) now() time.Time { return v.cfg.Now().UTC() }

// Initialized reports whether the vault has been created.
func (v *Vault) Initialized(ctx context.Context) (bool, error) {
	_, err := v.cfg.Meta.GetMeta(ctx, metaInitialized)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// CreateParams are what the first-run setup asks for.
type CreateParams struct {
	Admin      string // the first administrator's user name
	Password   []byte
	SitePrefix string // MRN prefix; empty = derived from the device id
}

// Create makes a new vault with its first administrator and returns the
// recovery key, to be shown once and printed. It fails with
// ErrAlreadyExists on a vault that exists.
func (v *Vault) Create(ctx context.Context, p CreateParams) (recoveryKey string, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ok, err := v.Initialized(ctx); err != nil {
		return "", err
	} else if ok {
		return "", fmt.Errorf("create vault: %w: a vault is already set up here", ErrAlreadyExists)
	}
	name, err := NormalizeUserName(p.Admin)
	if err != nil {
		return "", err
	}
	if err := CheckPassword(p.Password, name); err != nil {
		return "", err
	}
	site := strings.ToUpper(strings.TrimSpace(p.SitePrefix))
	if site == "" {
		site = "F" + strings.ToUpper(v.cfg.Device.String()[:3])
	}
	if !ValidSitePrefix(site) {
		return "", Invalidf("MRN site prefix %q: use 2 to 6 letters or digits", p.SitePrefix)
	}
	keys, err := v.cfg.Keys.NewKeyring()
	if err != nil {
		return "", fmt.Errorf("create vault keys: %w", err)
	}
	defer keys.Close()
	bundle, err := keys.Bundle()
	if err != nil {
		return "", fmt.Errorf("create vault keys: %w", err)
	}
	pub, err := keys.AuditPublicKey()
	if err != nil {
		return "", fmt.Errorf("create vault keys: %w", err)
	}
	sealer, err := v.cfg.Keys.NewAuditSealer(pub)
	if err != nil {
		return "", fmt.Errorf("create vault keys: %w", err)
	}
	recoveryKey, err = v.cfg.Keys.NewRecoveryKey()
	if err != nil {
		return "", fmt.Errorf("create recovery key: %w", err)
	}
	recSlot, err := keys.RecoverySlot(recoveryKey)
	if err != nil {
		return "", fmt.Errorf("create recovery slot: %w", err)
	}
	seed := newSigningSeed()
	defer clear(seed)
	userSlot, err := keys.PasswordSlot(name, p.Password, seed)
	if err != nil {
		return "", fmt.Errorf("create password slot: %w", err)
	}
	now := v.now()
	// The first administrator's user version certifies their own signing
	// key (the organisation's first administrator, package endorse).
	admin := User{Name: name, Roles: RoleSet{RoleAdmin}, Created: now, SigningKey: signingPublic(seed)}
	data, err := json.Marshal(admin)
	if err != nil {
		return "", err
	}
	key := ed25519.NewKeyFromSeed(seed)
	defer clear(key)
	endorsement, err := signBy(key, name, userCert(admin), KindUser, name, Version{}, data)
	if err != nil {
		return "", err
	}
	var sealed [][]byte
	for _, e := range []AuditEvent{
		{Action: ActVaultCreate, Detail: "site prefix " + site},
		{Action: ActUserAdd, Object: "user/" + name, Detail: "role " + string(RoleAdmin)},
	} {
		e.Time, e.User, e.Roles, e.Device, e.Outcome = now, name, admin.Roles, v.cfg.Device.String(), OutcomeOK
		s, err := sealEvent(sealer, e)
		if err != nil {
			return "", err
		}
		sealed = append(sealed, s)
	}
	_, err = v.cfg.Records(keys.RecordAEAD()).Commit(ctx, Commit{
		Writes:   []RecordWrite{{Kind: KindUser, ID: name, Data: data, Endorsement: endorsement}},
		Audit:    sealed,
		AuditKey: keys,
		Meta: map[string][]byte{
			metaBundle:                    bundle,
			metaAuditKey:                  pub,
			metaSitePrefix:                []byte(site),
			slotRecovery:                  recSlot,
			slotKey(name, now.UnixNano()): userSlot,
			metaMRNNext:                   []byte("1"),
			metaInitialized:               []byte(now.Format(time.RFC3339)),
		},
	})
	if err != nil {
		return "", fmt.Errorf("create vault: %w", err)
	}
	return recoveryKey, nil
}

func slotKey(user string, id int64) string { return fmt.Sprintf("%s%s/%d", slotPrefix, user, id) }

// removesSlot reports whether a change of meta values removes a key slot
// or replaces the recovery slot: the store must then scrub its file
// (Commit.Scrub), or the old slot would still open the vault from a copy
// of the file.
func removesSlot(puts map[string][]byte, deletes []string) bool {
	if _, ok := puts[slotRecovery]; ok {
		return true
	}
	return slices.ContainsFunc(deletes, func(k string) bool {
		return strings.HasPrefix(k, slotPrefix) || k == slotRecovery
	})
}

// auditLocked appends an event while no one is logged in (failed logins).
func (v *Vault) auditLocked(ctx context.Context, e AuditEvent) error {
	pub, err := v.cfg.Meta.GetMeta(ctx, metaAuditKey)
	if err != nil {
		return fmt.Errorf("read audit key: %w", err)
	}
	sealer, err := v.cfg.Keys.NewAuditSealer(pub)
	if err != nil {
		return err
	}
	e.Time, e.Device = v.now(), v.cfg.Device.String()
	sealed, err := sealEvent(sealer, e)
	if err != nil {
		return err
	}
	return v.cfg.Audit.AppendAudit(ctx, [][]byte{sealed})
}

// BackupReport says what a backup copied (profile.Profile.Backup takes
// it; the window and the command line show it).
type BackupReport struct {
	Dir   string // the backup folder
	Scans int    // blob files copied (a later backup into the same folder copies only new ones)
	Size  int64  // bytes in the folder
}

// SizeText says the folder's size the way a person reads it.
func (r BackupReport) SizeText() string {
	switch n := float64(r.Size); {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", n/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", n/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", n/(1<<10))
	}
	return fmt.Sprintf("%d bytes", r.Size)
}

// RecordBackup audits a backup about to be taken (by user, "" when no one
// is signed in: the command line) into the folder dest, so the copy holds
// the record of its own making. A backup needs no keys: it copies the vault
// as stored, encrypted. ErrNotInitialized when there is no vault to copy.
func (v *Vault) RecordBackup(ctx context.Context, user, dest string) error {
	ok, err := v.Initialized(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotInitialized
	}
	return v.auditLocked(ctx, AuditEvent{User: user, Action: ActVaultBackup, Outcome: OutcomeOK, Detail: "backup to " + dest})
}

// loginFailures is the persistent failed-login counter of one user name.
type loginFailures struct {
	Count int       `json:"n"`
	Last  time.Time `json:"last"`
}

// LoginDelay is how long a user must wait after n consecutive failures:
// nothing for the first three, then 2, 4, 8 … seconds, capped at 15 minutes.
func LoginDelay(n int) time.Duration {
	if n < 3 {
		return 0
	}
	d := time.Duration(math.Pow(2, float64(min(n-2, 20)))) * time.Second
	return min(d, 15*time.Minute)
}

// WaitError says how long to wait before the next login attempt.
type WaitError struct{ Wait time.Duration }

func (e *WaitError) Error() string {
	return fmt.Sprintf("%s: wait %s before trying again", ErrTooManyAttempts, time.Duration(e.Seconds())*time.Second)
}

// Seconds is the wait in whole seconds, rounded up: never 0, since a wait
// that is still running is at least a moment.
func (e *WaitError) Seconds() int {
	return max(1, int((e.Wait+time.Second-1)/time.Second))
}

func (e *WaitError) Unwrap() error { return ErrTooManyAttempts }

// FailedLoginError is a wrong password for a user of this vault, with how
// many failures in a row the user has now, so that the window can say
// what comes next: how many tries are left before each must wait, or how
// long the next one waits. A name that is no user gets ErrUnknownUser
// alone: no counter is kept for it (countAttempt says why).
type FailedLoginError struct {
	Failures int
	Err      error // wraps ErrWrongPassword
}

func (e *FailedLoginError) Error() string { return e.Err.Error() }
func (e *FailedLoginError) Unwrap() error { return e.Err }

// TriesBeforeWait is how many more tries may fail before every try must
// wait (0 when the next one waits already).
func (e *FailedLoginError) TriesBeforeWait() int {
	n := 0
	for LoginDelay(e.Failures+n) == 0 {
		n++
	}
	return n
}

// Wait is how long the next try must wait (0: it may be made now).
func (e *FailedLoginError) Wait() time.Duration { return LoginDelay(e.Failures) }

// Login unlocks the vault for a user. Failed attempts are counted on disk
// before the password is tried, so neither a restart nor killing the
// process resets the growing delay.
func (v *Vault) Login(ctx context.Context, user string, password []byte) (*Session, error) {
	name, err := NormalizeUserName(user)
	if err != nil {
		return nil, fmt.Errorf("log in: %w", ErrUnknownUser)
	}
	if ok, err := v.Initialized(ctx); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrNotInitialized
	}
	prev, err := v.countAttempt(ctx, name)
	if err != nil {
		return nil, err
	}
	keys, slotName, seed, err := v.openSlot(ctx, name, password)
	if err != nil {
		e := AuditEvent{User: name, Action: ActLogin, Outcome: OutcomeFailed, Detail: "wrong password"}
		switch {
		case errors.Is(err, ErrUnknownUser):
			// What was typed names no user: it may be a password typed in
			// the wrong field, so not even the sealed trail keeps it.
			e.User, e.Detail = "", "unknown user name (what was typed is not recorded)"
		case errors.Is(err, ErrDamaged):
			// No password opens damaged keys: not a failed guess.
			e.Detail = "the key slot or key bundle is damaged (not counted as a failed login)"
			err = fmt.Errorf("%w; set a new password with the recovery key (printed on the recovery sheet), or restore the vault from a backup", err)
			if uerr := v.uncountAttempt(ctx, name, prev); uerr != nil {
				err = errors.Join(err, uerr)
			}
		case errors.Is(err, ErrWrongPassword):
			err = &FailedLoginError{Failures: prev.Count + 1, Err: err}
		}
		if aerr := v.auditLocked(ctx, e); aerr != nil {
			return nil, errors.Join(err, aerr)
		}
		return nil, err
	}
	st, err := v.cfg.Audit.AuditState(ctx)
	if err != nil {
		keys.Close()
		return nil, err
	}
	s, err := v.startSession(ctx, keys, name)
	if err != nil {
		clear(seed)
		keys.Close()
		if errors.Is(err, ErrUserDisabled) {
			_ = v.auditLocked(ctx, AuditEvent{User: name, Action: ActLogin, Outcome: OutcomeDenied, Detail: "account disabled"})
		}
		return nil, err
	}
	// Before older slots are dropped below: one of them may hold the
	// signing key the slot that opened lacks.
	signing, err := v.findSigningSeed(ctx, s, name, password, slotName, seed)
	if err != nil {
		s.Lock(ctx)
		return nil, err
	}
	defer clear(signing.seed)
	// Success: clear the counter, drop the slots older than the one that
	// opened (left behind by a password set since), record it. A newer
	// slot stays: it opens with the same password (one wrapped on joining
	// a workstation, say) or with one set since elsewhere; dropping it
	// here would undo it, and the other workstations, which keep a slot
	// newer than the record's, would send it back every round.
	deletes := []string{loginPrefix + name}
	if slots, err := v.cfg.Meta.MetaPrefix(ctx, slotPrefix+name+"/"); err == nil {
		for k := range slots {
			if k != slotName && slotTime(k) < slotTime(slotName) {
				deletes = append(deletes, k)
			}
		}
	}
	// A file not yet scrubbed of the dropped slots is scrubbed when the
	// vault next opens; the sign-in goes on.
	s.unsignedAtLogin = st
	if err := s.commit(ctx, nil, AuditEvent{Action: ActLogin, Outcome: OutcomeOK, Detail: lockedDetail(st)}, nil, deletes); err != nil && !errors.Is(err, ErrScrubPending) {
		s.Lock(ctx)
		return nil, err
	}
	if err := s.signing.settle(ctx, name, password, slotName, signing); err != nil && !errors.Is(err, ErrScrubPending) {
		s.Lock(ctx)
		return nil, err
	}
	return s, nil
}

// countAttempt counts a login attempt for name before its password is
// tried, or returns a WaitError while the delay of earlier failures runs.
//
// Only the names of users are counted (and only those are ever written).
// The counter must work while the vault is locked, so whatever keys it is
// computable from the file alone: an HMAC of the typed name under a secret
// kept in meta, or a salted hash however slow, would be on a stolen copy
// with its secret or salt, and a password typed into the user-name field
// by mistake is short enough to recover from it by guessing. A user's name
// is on disk in clear already (it names their key slots), so a counter
// keyed by it reveals nothing new; text that names no user is never
// written, and counting it would protect nothing, since no slot opens for
// it. The cost: an unknown name never earns a delay, which tells someone
// at the login screen that it is no user — as the key-slot work a real
// user's attempt takes already does. Counters of names that are not users
// (written by older versions: the text typed, in clear) are erased here,
// the file rewritten without them (MetaStore.EraseMeta).
//
// It returns the counter as it was before, for uncountAttempt.
func (v *Vault) countAttempt(ctx context.Context, name string) (loginFailures, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	users, stale, err := v.loginCounters(ctx)
	if err != nil {
		return loginFailures{}, err
	}
	if len(stale) > 0 {
		// Erased, not only deleted: the text stays in the file's free
		// pages otherwise. A rewrite that fails is tried again at the next
		// open, so the login goes on.
		if err := v.cfg.Meta.EraseMeta(ctx, stale); err != nil && !errors.Is(err, ErrScrubPending) {
			return loginFailures{}, fmt.Errorf("forget old login counters: %w", err)
		}
	}
	if !users[name] {
		return loginFailures{}, nil
	}
	var f loginFailures
	if raw, err := v.cfg.Meta.GetMeta(ctx, loginPrefix+name); err == nil {
		_ = json.Unmarshal(raw, &f) // a damaged counter starts again from zero
	} else if !errors.Is(err, ErrNotFound) {
		return loginFailures{}, err
	}
	if wait := LoginDelay(f.Count) - v.now().Sub(f.Last); wait > 0 {
		return loginFailures{}, &WaitError{Wait: wait}
	}
	prev := f
	f.Count++
	f.Last = v.now()
	raw, _ := json.Marshal(f)
	if err := v.cfg.Meta.UpdateMeta(ctx, map[string][]byte{loginPrefix + name: raw}, nil); err != nil {
		return loginFailures{}, fmt.Errorf("record login attempt: %w", err)
	}
	return prev, nil
}

// uncountAttempt puts name's counter back as countAttempt found it: the
// attempt did not fail for a wrong password (the keys are damaged).
func (v *Vault) uncountAttempt(ctx context.Context, name string, prev loginFailures) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	puts, deletes := map[string][]byte{}, []string(nil)
	if prev.Count == 0 {
		deletes = []string{loginPrefix + name}
	} else {
		puts[loginPrefix+name], _ = json.Marshal(prev)
	}
	if err := v.cfg.Meta.UpdateMeta(ctx, puts, deletes); err != nil {
		return fmt.Errorf("take back the login attempt: %w", err)
	}
	return nil
}

// loginCounters returns the names that have key slots here (the users who
// can log in) and the meta keys of failure counters of other names.
func (v *Vault) loginCounters(ctx context.Context) (users map[string]bool, stale []string, err error) {
	slots, err := v.cfg.Meta.MetaPrefix(ctx, slotPrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("read key slots: %w", err)
	}
	users = map[string]bool{}
	for k := range slots {
		if name, _, ok := strings.Cut(strings.TrimPrefix(k, slotPrefix), "/"); ok {
			users[name] = true
		}
	}
	counters, err := v.cfg.Meta.MetaPrefix(ctx, loginPrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("read login counters: %w", err)
	}
	for k := range counters {
		if !users[strings.TrimPrefix(k, loginPrefix)] {
			stale = append(stale, k)
		}
	}
	return users, stale, nil
}

// FailedLogins returns the persistent failure count of a user name.
func (v *Vault) FailedLogins(ctx context.Context, user string) (int, error) {
	name, err := NormalizeUserName(user)
	if err != nil {
		return 0, err
	}
	raw, err := v.cfg.Meta.GetMeta(ctx, loginPrefix+name)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	var f loginFailures
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, nil
	}
	return f.Count, nil
}

// openSlot opens the newest of name's password slots that password opens,
// and returns the keys, the slot's meta key and the signing-key seed it
// holds (nil for a slot without one).
func (v *Vault) openSlot(ctx context.Context, name string, password []byte) (Keyring, string, []byte, error) {
	bundle, err := v.cfg.Meta.GetMeta(ctx, metaBundle)
	if err != nil {
		return nil, "", nil, fmt.Errorf("read key bundle: %w", err)
	}
	slots, err := v.cfg.Meta.MetaPrefix(ctx, slotPrefix+name+"/")
	if err != nil {
		return nil, "", nil, fmt.Errorf("read key slots: %w", err)
	}
	if len(slots) == 0 {
		return nil, "", nil, fmt.Errorf("log in as %s: %w", name, ErrUnknownUser)
	}
	names := slices.SortedFunc(maps.Keys(slots), func(a, b string) int { return cmp.Compare(slotTime(b), slotTime(a)) })
	var firstErr error
	for _, k := range names {
		keys, seed, err := v.cfg.Keys.OpenPasswordSlot(bundle, slots[k], name, password)
		if err == nil {
			return keys, k, seed, nil
		}
		if firstErr == nil || !errors.Is(err, ErrWrongPassword) {
			firstErr = err
		}
	}
	if errors.Is(firstErr, ErrTampered) && !errors.Is(firstErr, ErrDamaged) {
		// The password opened the slot, but the bundle fails its check.
		firstErr = fmt.Errorf("%w: %w", ErrDamaged, firstErr)
	}
	return nil, "", nil, fmt.Errorf("log in as %s: %w", name, firstErr)
}

func (v *Vault) startSession(ctx context.Context, keys Keyring, name string) (*Session, error) {
	records := v.cfg.Records(keys.RecordAEAD())
	rec, err := records.Head(ctx, KindUser, name)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("log in as %s: %w", name, noSuchUser(name))
	}
	if err != nil {
		return nil, fmt.Errorf("load user %s: %w", name, err)
	}
	var u User
	if err := json.Unmarshal(rec.Data, &u); err != nil {
		return nil, fmt.Errorf("load user %s: %w: %v", name, ErrTampered, err)
	}
	u.Version = rec.Version
	if u.Disabled {
		return nil, fmt.Errorf("log in as %s: %w", name, ErrUserDisabled)
	}
	pub, err := v.cfg.Meta.GetMeta(ctx, metaAuditKey)
	if err != nil {
		return nil, fmt.Errorf("read audit key: %w", err)
	}
	sealer, err := v.cfg.Keys.NewAuditSealer(pub)
	if err != nil {
		return nil, err
	}
	s := newSession(v, u, keys, records, sealer)
	if err := s.Audit().keyTrail(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Recover sets a new password for a user with the printed recovery key, for
// when the last administrator has forgotten theirs. It is audited.
func (v *Vault) Recover(ctx context.Context, recoveryKey, user string, newPassword []byte) error {
	name, err := NormalizeUserName(user)
	if err != nil {
		return err
	}
	if err := CheckPassword(newPassword, name); err != nil {
		return err
	}
	bundle, err := v.cfg.Meta.GetMeta(ctx, metaBundle)
	if err != nil {
		return fmt.Errorf("read key bundle: %w", err)
	}
	slot, err := v.cfg.Meta.GetMeta(ctx, slotRecovery)
	if err != nil {
		return fmt.Errorf("read recovery slot: %w", err)
	}
	keys, err := v.cfg.Keys.OpenRecoverySlot(bundle, slot, recoveryKey)
	if err != nil {
		_ = v.auditLocked(ctx, AuditEvent{User: name, Action: ActRecovery, Outcome: OutcomeFailed, Detail: "wrong recovery key"})
		return fmt.Errorf("recovery: %w", err)
	}
	s, err := v.startSession(ctx, keys, name)
	if err != nil {
		keys.Close()
		return err
	}
	defer s.Lock(ctx)
	return s.signing.setPassword(ctx, name, newPassword, ActRecovery, "password reset with the recovery key")
}

// SitePrefix returns the MRN site prefix of this vault.
func (v *Vault) SitePrefix(ctx context.Context) (string, error) {
	b, err := v.cfg.Meta.GetMeta(ctx, metaSitePrefix)
	return string(b), err
}

// SetIdleLock sets how long the app may stay idle before it locks itself
// (1 minute to 8 hours). Administrators only; audited.
func (st Settings) SetIdleLock(ctx context.Context, d time.Duration) error {
	ctx, err := st.s.require(ctx, PermUserManage, ActSettings, "")
	if err != nil {
		return err
	}
	if d < time.Minute || d > 8*time.Hour {
		return Invalidf("idle lock %s: choose between 1m and 8h", d)
	}
	return st.s.commit(ctx, nil, AuditEvent{Action: ActSettings, Detail: "idle lock " + d.String()},
		map[string][]byte{metaIdleLock: []byte(d.String())}, nil)
}

// IdleLock returns how long the app may stay idle before it locks itself
// (default 10 minutes).
func (v *Vault) IdleLock(ctx context.Context) time.Duration {
	b, err := v.cfg.Meta.GetMeta(ctx, metaIdleLock)
	if err != nil {
		return 10 * time.Minute
	}
	d, err := time.ParseDuration(string(b))
	if err != nil || d < time.Minute {
		return 10 * time.Minute
	}
	return d
}
