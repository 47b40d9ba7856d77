package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"folio/app"
	"folio/crypto"
	"folio/endorse"
	"folio/internal/testkit"
	"folio/storage"
)

// Issue 12, item 12: every user and key-slot version a session writes is
// endorsed by the signed-in user, with the signing key whose seed lives
// only in their password slots. These tests run a real vault (bbolt, Tink
// keys) whose record store keeps, beside each version, the endorsement its
// writer gave (what the archive sees), and check them with package
// endorse's rules, as the archive and the other workstations do.

// ledger keeps the endorsed versions the vault committed, in order.
type ledger struct {
	mu      sync.Mutex
	entries []ledgerEntry
}

type ledgerEntry struct {
	w       app.RecordWrite
	version app.Version
}

// ledgerStore is the vault's real record store, noting what it commits.
type ledgerStore struct {
	app.RecordStore
	l *ledger
}

func (s ledgerStore) Commit(ctx context.Context, c app.Commit) ([]app.Version, error) {
	vs, err := s.RecordStore.Commit(ctx, c)
	if err == nil {
		s.l.mu.Lock()
		for i, w := range c.Writes {
			if w.Kind == app.KindUser || w.Kind == app.KindKeySlots {
				s.l.entries = append(s.l.entries, ledgerEntry{w, vs[i]})
			}
		}
		s.l.mu.Unlock()
	}
	return vs, err
}

// from returns the entries committed from index i on.
func (l *ledger) from(i int) []ledgerEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ledgerEntry(nil), l.entries[i:]...)
}

func (l *ledger) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// signedVault is a real vault in a temp folder whose record store notes
// its endorsed versions.
type signedVault struct {
	v        *app.Vault
	db       *storage.DB
	l        *ledger
	path     string
	recovery string // the recovery key Create gave
}

func newSignedVault(t *testing.T) signedVault {
	t.Helper()
	path := filepath.Join(t.TempDir(), "folio.db")
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l := &ledger{}
	v := app.NewVault(app.Config{
		Meta: db.Meta(), Audit: db.Audit(), Integrity: db, Conflicts: db.Replica(),
		Records: func(aead app.AEAD) app.RecordStore { return ledgerStore{db.Records(aead), l} },
		Keys:    &crypto.Factory{KDF: crypto.FastKDF()},
		Device:  db.DeviceID(),
	})
	rk, err := v.Create(context.Background(), app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "KAB"})
	if err != nil {
		t.Fatal(err)
	}
	return signedVault{v: v, db: db, l: l, path: path, recovery: rk}
}

// withClerk is a signed vault with its administrator signed in, who added
// the records clerk "clerk" (password "filing cabinet 1").
func withClerk(t *testing.T) (signedVault, *app.Session) {
	t.Helper()
	sv := newSignedVault(t)
	admin := login(t, sv.v, "admin", adminPW)
	if err := admin.Users().Add(context.Background(), app.User{Name: "clerk", Roles: app.RoleSet{app.RoleRecords}}, []byte("filing cabinet 1")); err != nil {
		t.Fatal(err)
	}
	return sv, admin
}

// check applies endorse's rules to entries in order on reg, as the
// archive does at push and a workstation at pull (the content too), and
// returns the first refusal.
func check(reg *endorse.Signers, entries []ledgerEntry) error {
	for _, en := range entries {
		w := en.w
		if w.Endorsement == nil {
			return errors.New(string(w.Kind) + "/" + w.ID + " has no endorsement")
		}
		var e endorse.Endorsement
		if err := json.Unmarshal(w.Endorsement, &e); err != nil {
			return err
		}
		parent := endorse.Version{HLC: w.Parent.HLC, Device: uint64(w.Parent.Device)}
		if err := reg.Check(string(w.Kind), w.ID, parent, &e); err != nil {
			return err
		}
		if err := e.CheckContent(w.Data); err != nil {
			return err
		}
		reg.Accept(string(w.Kind), w.ID, &e)
	}
	return nil
}

func userOf(t *testing.T, s *app.Session, name string) app.User {
	t.Helper()
	users, err := s.Users().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("no user %s", name)
	return app.User{}
}

func TestSessionsEndorseUsersAndKeySlots(t *testing.T) {
	ctx := context.Background()
	sv := newSignedVault(t)
	admin := login(t, sv.v, "admin", adminPW)
	if k := admin.SigningKey(); len(k) != 32 || !bytes.Equal(k, userOf(t, admin, "admin").SigningKey) {
		t.Fatalf("the administrator's session signs with %x, their record certifies %x", k, userOf(t, admin, "admin").SigningKey)
	}
	testkit.AddUser(t, admin, app.User{Name: "clerk", Roles: app.RoleSet{app.RoleRecords}}, "filing cabinet 1")
	if n, err := admin.Replica().ShareKeySlots(ctx); err != nil || n != 3 {
		t.Fatalf("share key slots: %d, %v; want admin, clerk and ~recovery", n, err)
	}
	clerkKey := userOf(t, admin, "clerk").SigningKey

	clerk := login(t, sv.v, "clerk", "filing cabinet 1")
	if !bytes.Equal(clerk.SigningKey(), clerkKey) {
		t.Fatal("the clerk's session does not sign with the key their record certifies")
	}
	// The clerk's own password: same key, slots endorsed by the clerk.
	if err := clerk.Users().ChangePassword(ctx, "clerk", []byte("filing cabinet 2")); err != nil {
		t.Fatal(err)
	}
	if n, err := clerk.Replica().ShareKeySlots(ctx); err != nil || n != 1 {
		t.Fatalf("the clerk shares their slots: %d, %v", n, err)
	}
	clerk.Lock(ctx)
	if s := login(t, sv.v, "clerk", "filing cabinet 2"); !bytes.Equal(s.SigningKey(), clerkKey) {
		t.Fatal("a new password of one's own changed the signing key")
	}

	// The administrator's changes of the clerk: reset (a new key), role,
	// disable, enable (a new key again).
	if err := admin.Users().ChangePassword(ctx, "clerk", []byte("filing cabinet 3")); err != nil {
		t.Fatal(err)
	}
	reset := userOf(t, admin, "clerk").SigningKey
	if len(reset) != 32 || bytes.Equal(reset, clerkKey) {
		t.Fatal("an administrator's reset kept the clerk's signing key (the old one is in the replaced slots)")
	}
	if s := login(t, sv.v, "clerk", "filing cabinet 3"); !bytes.Equal(s.SigningKey(), reset) {
		t.Fatal("after a reset the clerk's session does not sign with the new key")
	}
	if err := admin.Users().SetRoles(ctx, "clerk", app.RoleSet{app.RoleClinician}); err != nil {
		t.Fatal(err)
	}
	if err := admin.Users().SetDisabled(ctx, "clerk", true, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.Users().SetDisabled(ctx, "clerk", false, []byte("filing cabinet 4")); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Replica().ShareKeySlots(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Settings().RotateRecoveryKey(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := admin.Replica().ShareKeySlots(ctx); err != nil || n != 1 {
		t.Fatalf("share the new recovery slot: %d, %v", n, err)
	}

	// Every version from the vault's creation on passes the rules, from
	// an empty registry (the archive's at the organisation's first push).
	var reg endorse.Signers
	entries := sv.l.from(0)
	if err := check(&reg, entries); err != nil {
		t.Fatal(err)
	}
	kinds := map[app.Kind]int{}
	for _, en := range entries {
		kinds[en.w.Kind]++
	}
	if kinds[app.KindUser] != 6 || kinds[app.KindKeySlots] < 5 {
		t.Fatalf("endorsed versions: %v; want 6 user versions (create, add, reset, role, disable, enable) and the shared slots", kinds)
	}
	c, ok := reg.Lookup("clerk")
	if !ok || c.Admin || c.Disabled || bytes.Equal(c.Key, reset) {
		t.Fatalf("the registry's clerk: %+v, %v; want enabled, not an administrator, with the key made at enabling", c, ok)
	}
	if s := login(t, sv.v, "clerk", "filing cabinet 4"); !bytes.Equal(s.SigningKey(), c.Key) {
		t.Fatal("the enabled clerk does not sign with the key the registry holds")
	}
}

// A clerk's session, or anyone who holds the clerk's password and the
// vault keys, cannot produce what only an administrator may write.
func TestClerkCannotEndorseForAnAdministrator(t *testing.T) {
	ctx := context.Background()
	sv, admin := withClerk(t)
	if _, err := admin.Replica().ShareKeySlots(ctx); err != nil {
		t.Fatal(err)
	}
	var reg endorse.Signers
	if err := check(&reg, sv.l.from(0)); err != nil {
		t.Fatal(err)
	}
	admin.Lock(ctx)

	// The administrator's password set here while the clerk is signed
	// in: the clerk's session does not sign the administrator's slots.
	clerk := login(t, sv.v, "clerk", "filing cabinet 1")
	if err := clerk.Users().Add(ctx, app.User{Name: "mallory", Roles: app.RoleSet{app.RoleAdmin}}, []byte("stolen goods 1")); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a clerk added a user: %v", err)
	}
	if err := clerk.Users().ChangePassword(ctx, "admin", []byte("planted password")); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a clerk set the administrator's password: %v", err)
	}
	seen := sv.l.len()
	slots, err := sv.db.Meta().MetaPrefix(ctx, "slot/user/admin/")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range slots {
		planted := bytes.Clone(v)
		if err := sv.db.Meta().UpdateMeta(ctx, map[string][]byte{k + "1": planted}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := clerk.Replica().ShareKeySlots(ctx); err != nil || n != 0 {
		t.Fatalf("the clerk's session shared %d records (%v): it may sign only its own slots", n, err)
	}
	if sv.l.len() != seen {
		t.Fatal("the clerk's session wrote a user or key-slot version")
	}

	// The clerk's own key, taken from their slot with their password,
	// signs a forged user version that makes them an administrator, and
	// the administrator's slots: the rules refuse both.
	clerkSeed := seedOf(t, sv, "clerk", "filing cabinet 1")
	key := ed25519Key(clerkSeed)
	forged := app.User{Name: "clerk", Roles: app.RoleSet{app.RoleAdmin}, SigningKey: clerk.SigningKey()}
	data, _ := json.Marshal(forged)
	for _, tc := range []struct {
		kind, id string
		cert     *endorse.UserCert
	}{
		{"user", "clerk", &endorse.UserCert{Name: "clerk", Key: forged.SigningKey, Admin: true}},
		{"user", "clerk2", &endorse.UserCert{Name: "clerk2", Key: forged.SigningKey, Admin: true}},
		{"keyslots", "admin", nil},
		{"keyslots", "~recovery", nil},
	} {
		e := endorse.Sign(key, "clerk", tc.cert, tc.kind, tc.id, endorse.Version{}, data)
		if err := reg.Check(tc.kind, tc.id, endorse.Version{}, &e); !errors.Is(err, endorse.ErrNotEndorsed) {
			t.Errorf("a clerk's signature on %s/%s: %v, want refused", tc.kind, tc.id, err)
		}
	}
}

// seedOf opens name's newest slot with the password and returns the
// signing-key seed it holds.
func seedOf(t *testing.T, sv signedVault, name, password string) []byte {
	t.Helper()
	ctx := context.Background()
	bundle, err := sv.db.Meta().GetMeta(ctx, "vault/bundle")
	if err != nil {
		t.Fatal(err)
	}
	slots, err := sv.db.Meta().MetaPrefix(ctx, "slot/user/"+name+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, slot := range slots {
		if k, seed, err := crypto.OpenPasswordSlot(bundle, slot, name, []byte(password)); err == nil {
			k.Close()
			if seed != nil {
				return seed
			}
		}
	}
	t.Fatalf("no slot of %s holds a signing key", name)
	return nil
}

// makeOld turns users of a vault into what a vault made before signing
// keys holds: version-2 password slots (no seed) and user versions
// without a key, written as that Folio wrote them (no endorsement).
func makeOld(t *testing.T, sv signedVault, passwords map[string]string) {
	t.Helper()
	ctx := context.Background()
	bundle, err := sv.db.Meta().GetMeta(ctx, "vault/bundle")
	if err != nil {
		t.Fatal(err)
	}
	var keys *crypto.Keyring
	for name, pw := range passwords {
		slots, err := sv.db.Meta().MetaPrefix(ctx, "slot/user/"+name+"/")
		if err != nil {
			t.Fatal(err)
		}
		puts := map[string][]byte{}
		for k, slot := range slots {
			kr, seed, err := crypto.OpenPasswordSlot(bundle, slot, name, []byte(pw))
			if err != nil || seed == nil {
				t.Fatalf("open %s: %v", k, err)
			}
			if keys == nil {
				keys = kr
				defer keys.Close()
			} else {
				kr.Close()
			}
			if puts[k], err = keys.PasswordSlot(name, []byte(pw), nil, crypto.FastKDF()); err != nil {
				t.Fatal(err)
			}
		}
		if err := sv.db.Meta().UpdateMeta(ctx, puts, nil); err != nil {
			t.Fatal(err)
		}
	}
	records := sv.db.Records(keys.RecordAEAD())
	for name := range passwords {
		rec, err := records.Head(ctx, app.KindUser, name)
		if err != nil {
			t.Fatal(err)
		}
		var u map[string]any
		if err := json.Unmarshal(rec.Data, &u); err != nil {
			t.Fatal(err)
		}
		delete(u, "signing_key")
		data, _ := json.Marshal(u)
		if _, err := records.Commit(ctx, app.Commit{Writes: []app.RecordWrite{{Kind: app.KindUser, ID: name, Parent: rec.Version, Data: data}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// slotVersions returns the format versions of name's password slots.
func slotVersions(t *testing.T, sv signedVault, name string) []byte {
	t.Helper()
	slots, err := sv.db.Meta().MetaPrefix(context.Background(), "slot/user/"+name+"/")
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, s := range slots {
		out = append(out, s[len("FOLIOSLT")])
	}
	return out
}

// A vault made before signing keys: each user gets a key at their next
// sign-in, in a version-3 slot that replaces the old one. The first
// administrator certifies themself; a clerk registers a first key with
// their own slots; a second administrator registers one the same way and
// becomes an administrator to the rules once the first certifies them.
func TestSigningKeyMigration(t *testing.T) {
	ctx := context.Background()
	sv := newSignedVault(t)
	admin := login(t, sv.v, "admin", adminPW)
	for _, u := range []app.User{{Name: "clerk", Roles: app.RoleSet{app.RoleRecords}}, {Name: "boss", Roles: app.RoleSet{app.RoleAdmin}}} {
		if err := admin.Users().Add(ctx, u, []byte(map[string]string{"clerk": "filing cabinet 1", "boss": "corner office 1"}[u.Name])); err != nil {
			t.Fatal(err)
		}
	}
	admin.Lock(ctx)
	makeOld(t, sv, map[string]string{"admin": adminPW, "clerk": "filing cabinet 1", "boss": "corner office 1"})
	if v := slotVersions(t, sv, "clerk"); string(v) != "\x02" {
		t.Fatalf("old clerk slots: versions %v", v)
	}
	// The archive of an organisation that upgrades: it knows no key yet.
	var reg endorse.Signers
	seen := sv.l.len()

	admin = login(t, sv.v, "admin", adminPW)
	key := admin.SigningKey()
	if len(key) != 32 || !bytes.Equal(userOf(t, admin, "admin").SigningKey, key) {
		t.Fatal("the first administrator's sign-in made no certified signing key")
	}
	if v := slotVersions(t, sv, "admin"); string(v) != "\x03" {
		t.Fatalf("the administrator's slots after sign-in: versions %v, want one version-3 slot", v)
	}
	if !bytes.Equal(ed25519Key(seedOf(t, sv, "admin", adminPW)).Public().(ed25519.PublicKey), key) {
		t.Fatal("the slot holds another key than the session's")
	}

	clerk := login(t, sv.v, "clerk", "filing cabinet 1")
	clerkKey := clerk.SigningKey()
	if len(clerkKey) != 32 || len(userOf(t, admin, "clerk").SigningKey) != 0 {
		t.Fatal("the clerk's sign-in made no key, or wrote their user version")
	}
	if v := slotVersions(t, sv, "clerk"); string(v) != "\x03" {
		t.Fatalf("the clerk's slots after sign-in: versions %v", v)
	}
	clerk.Lock(ctx)
	if s := login(t, sv.v, "clerk", "filing cabinet 1"); !bytes.Equal(s.SigningKey(), clerkKey) {
		t.Fatal("the clerk's next sign-in signs with another key")
	}

	boss := login(t, sv.v, "boss", "corner office 1")
	if len(boss.SigningKey()) != 32 || len(userOf(t, boss, "boss").SigningKey) != 0 {
		t.Fatal("a second administrator certified themself")
	}
	if err := check(&reg, sv.l.from(seen)); err != nil {
		t.Fatalf("the migration's versions: %v", err)
	}
	if c, ok := reg.Lookup("boss"); !ok || c.Admin {
		t.Fatalf("the second administrator is registered as %+v, %v; want a first key, not an administrator", c, ok)
	}
	// Until certified, the second administrator's session shares no one
	// else's slots (the administrator's, rewritten at sign-in, wait), and
	// the rules refuse the users it adds.
	if n, err := boss.Replica().ShareKeySlots(ctx); err != nil || n != 0 {
		t.Fatalf("an uncertified administrator shared %d key-slot records (%v)", n, err)
	}
	seen = sv.l.len()
	testkit.AddUser(t, boss, app.User{Name: "early", Roles: app.RoleSet{app.RoleScanning}}, "first light 1")
	if err := check(&reg, sv.l.from(seen)); !errors.Is(err, endorse.ErrNotEndorsed) {
		t.Fatalf("a user added by an uncertified administrator: %v, want refused", err)
	}
	seen = sv.l.len()
	if err := admin.Users().SetRoles(ctx, "boss", app.RoleSet{app.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(userOf(t, admin, "boss").SigningKey, boss.SigningKey()) {
		t.Fatal("certifying the second administrator did not name their key")
	}
	testkit.AddUser(t, boss, app.User{Name: "scanner", Roles: app.RoleSet{app.RoleScanning}}, "paper feeder 1")
	if err := check(&reg, sv.l.from(seen)); err != nil {
		t.Fatalf("after certification: %v", err)
	}
	if c, ok := reg.Lookup("boss"); !ok || !c.Admin || !bytes.Equal(c.Key, boss.SigningKey()) {
		t.Fatalf("the registry's boss: %+v", c)
	}
	seen = sv.l.len()
	if n, err := admin.Replica().ShareKeySlots(ctx); err != nil || n == 0 {
		t.Fatalf("the first administrator shares the slots: %d, %v", n, err)
	}
	if err := check(&reg, sv.l.from(seen)); err != nil {
		t.Fatalf("the slots shared after the upgrade: %v", err)
	}
}

// A workstation that joined holds a slot without a key, newer than the
// user's own slots that came with sync: sign-in takes the key from those
// (the same password opens them) and rewrites the slot to hold it.
func TestSignInFindsTheKeyInAnotherSlot(t *testing.T) {
	ctx := context.Background()
	sv, admin := withClerk(t)
	want := userOf(t, admin, "clerk").SigningKey
	admin.Lock(ctx)
	bundle, _ := sv.db.Meta().GetMeta(ctx, "vault/bundle")
	slots, _ := sv.db.Meta().MetaPrefix(ctx, "slot/user/clerk/")
	var keys *crypto.Keyring
	for _, s := range slots {
		k, _, err := crypto.OpenPasswordSlot(bundle, s, "clerk", []byte("filing cabinet 1"))
		if err != nil {
			t.Fatal(err)
		}
		keys = k
	}
	defer keys.Close()
	joined, err := keys.PasswordSlot("clerk", []byte("filing cabinet 1"), nil, crypto.FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	if err := sv.db.Meta().UpdateMeta(ctx, map[string][]byte{"slot/user/clerk/9000000000000000000": joined}, nil); err != nil {
		t.Fatal(err)
	}
	clerk := login(t, sv.v, "clerk", "filing cabinet 1")
	if !bytes.Equal(clerk.SigningKey(), want) {
		t.Fatalf("the clerk signs with %x, want the key their record certifies %x", clerk.SigningKey(), want)
	}
	if v := slotVersions(t, sv, "clerk"); string(v) != "\x03" {
		t.Fatalf("the clerk's slots after sign-in: versions %v, want one version-3 slot", v)
	}
}

// The printed recovery key sets a password with a new key, certified by
// the user's own new key (accepted only where no administrator is
// registered yet: a workstation on its own); the session signs with it.
func TestRecoveryGivesANewKey(t *testing.T) {
	ctx := context.Background()
	sv := newSignedVault(t)
	admin := login(t, sv.v, "admin", adminPW)
	old := admin.SigningKey()
	admin.Lock(ctx)
	if err := sv.v.Recover(ctx, sv.recovery, "admin", []byte("a new master phrase")); err != nil {
		t.Fatal(err)
	}
	s := login(t, sv.v, "admin", "a new master phrase")
	if k := s.SigningKey(); len(k) != 32 || bytes.Equal(k, old) || !bytes.Equal(k, userOf(t, s, "admin").SigningKey) {
		t.Fatal("after recovery the administrator's key is not the new one their record certifies")
	}
	testkit.AddUser(t, s, app.User{Name: "clerk", Roles: app.RoleSet{app.RoleRecords}}, "filing cabinet 1")
	var fresh endorse.Signers
	entries := sv.l.from(0)
	if err := check(&fresh, entries[1:]); err != nil {
		t.Fatalf("a lone workstation's versions after recovery: %v", err)
	}
	var org endorse.Signers
	if err := check(&org, entries); !errors.Is(err, endorse.ErrNotEndorsed) {
		t.Fatalf("where the administrator is registered, the recovery's self-certified version: %v, want refused", err)
	}
}

// The signing-key seeds are nowhere in the vault file in clear, nor is
// the seed of a key a reset replaced.
func TestSigningSeedNeverInClear(t *testing.T) {
	ctx := context.Background()
	sv, admin := withClerk(t)
	seeds := [][]byte{seedOf(t, sv, "admin", adminPW), seedOf(t, sv, "clerk", "filing cabinet 1")}
	if err := admin.Users().ChangePassword(ctx, "clerk", []byte("filing cabinet 2")); err != nil {
		t.Fatal(err)
	}
	seeds = append(seeds, seedOf(t, sv, "clerk", "filing cabinet 2"))
	if _, err := admin.Replica().ShareKeySlots(ctx); err != nil {
		t.Fatal(err)
	}
	admin.Lock(ctx)
	raw, err := os.ReadFile(sv.path)
	if err != nil {
		t.Fatal(err)
	}
	for i, seed := range seeds {
		if bytes.Contains(raw, seed) || bytes.Contains(raw, ed25519Key(seed)) {
			t.Errorf("seed %d is in the vault file in clear", i)
		}
	}
	meta, err := sv.db.Meta().MetaPrefix(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range meta {
		for i, seed := range seeds {
			if bytes.Contains(v, seed) {
				t.Errorf("meta %s holds seed %d", k, i)
			}
		}
	}
}

func ed25519Key(seed []byte) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(seed) }
