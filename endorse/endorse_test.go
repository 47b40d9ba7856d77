package endorse_test

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"folio/endorse"
)

type person struct {
	name string
	pub  ed25519.PublicKey
	key  ed25519.PrivateKey
}

func newPerson(t *testing.T, name string) person {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return person{name, pub, key}
}

func (p person) cert(admin bool) *endorse.UserCert {
	return &endorse.UserCert{Name: p.name, Key: p.pub, Admin: admin}
}

var parent = endorse.Version{HLC: 7, Device: 3}

// accept checks and, when accepted, records a version the way the archive
// does.
func accept(t *testing.T, s *endorse.Signers, kind, id string, e endorse.Endorsement) error {
	t.Helper()
	if err := s.Check(kind, id, parent, &e); err != nil {
		return err
	}
	s.Accept(kind, id, &e)
	return nil
}

func TestRules(t *testing.T) {
	admin, clerk, thief := newPerson(t, "admin"), newPerson(t, "grace"), newPerson(t, "admin")
	data := []byte(`{"name":"x"}`)
	var s endorse.Signers

	// Nothing is accepted without an endorsement; other kinds need none.
	if err := s.Check("user", "admin", parent, nil); !errors.Is(err, endorse.ErrNotEndorsed) {
		t.Fatalf("unendorsed user: %v", err)
	}
	if err := s.Check("patient", "p1", parent, nil); err != nil {
		t.Fatalf("a patient needs no endorsement: %v", err)
	}
	// A first key registered by a non-admin cannot be an administrator's
	// user record.
	if err := accept(t, &s, "user", "grace", endorse.Sign(clerk.key, "grace", clerk.cert(false), "user", "grace", parent, data)); err == nil {
		t.Fatal("a non-administrator certified themself")
	}
	// The first administrator certifies themself on an empty registry.
	if err := accept(t, &s, "user", "admin", endorse.Sign(admin.key, "admin", admin.cert(true), "user", "admin", parent, data)); err != nil {
		t.Fatalf("first administrator: %v", err)
	}
	// After that nobody else can: another key for the same name is refused.
	if err := accept(t, &s, "user", "admin", endorse.Sign(thief.key, "admin", thief.cert(true), "user", "admin", parent, data)); !errors.Is(err, endorse.ErrNotEndorsed) {
		t.Fatalf("a second self-certified administrator: %v", err)
	}
	mallory := newPerson(t, "mallory")
	if err := accept(t, &s, "user", "mallory", endorse.Sign(mallory.key, "mallory", mallory.cert(true), "user", "mallory", parent, data)); err == nil {
		t.Fatal("a self-certified administrator accepted while one exists")
	}
	// The administrator makes a clerk.
	if err := accept(t, &s, "user", "grace", endorse.Sign(admin.key, "admin", clerk.cert(false), "user", "grace", parent, data)); err != nil {
		t.Fatalf("administrator adds a clerk: %v", err)
	}
	// The clerk changes her own password, not the administrator's, and
	// cannot make users.
	if err := accept(t, &s, "keyslots", "grace", endorse.Sign(clerk.key, "grace", nil, "keyslots", "grace", parent, data)); err != nil {
		t.Fatalf("own password: %v", err)
	}
	for _, c := range []struct{ kind, id string }{{"keyslots", "admin"}, {"keyslots", "~recovery"}, {"user", "grace"}, {"user", "zoe"}} {
		cert := clerk.cert(true)
		cert.Name = c.id
		if err := accept(t, &s, c.kind, c.id, endorse.Sign(clerk.key, "grace", cert, c.kind, c.id, parent, data)); !errors.Is(err, endorse.ErrNotEndorsed) {
			t.Errorf("clerk writes %s/%s: %v", c.kind, c.id, err)
		}
	}
	// A signature does not move to another record, parent or signer.
	e := endorse.Sign(admin.key, "admin", nil, "keyslots", "grace", parent, data)
	if err := s.Check("keyslots", "admin", parent, &e); err == nil {
		t.Error("a signature moved to another record")
	}
	if err := s.Check("keyslots", "grace", endorse.Version{HLC: 8, Device: 3}, &e); err == nil {
		t.Error("a signature moved to another parent")
	}
	e.Signer = "grace"
	if err := s.Check("keyslots", "grace", parent, &e); err == nil {
		t.Error("a signature moved to another signer")
	}
	// The content hash binds the plaintext.
	e = endorse.Sign(admin.key, "admin", nil, "keyslots", "grace", parent, data)
	if err := e.CheckContent(data); err != nil {
		t.Error(err)
	}
	if err := e.CheckContent([]byte(`{"name":"y"}`)); !errors.Is(err, endorse.ErrNotEndorsed) {
		t.Errorf("other content: %v", err)
	}
	// A disabled administrator signs nothing more.
	off := admin.cert(true)
	off.Disabled = true
	if err := accept(t, &s, "user", "admin", endorse.Sign(admin.key, "admin", off, "user", "admin", parent, data)); err != nil {
		t.Fatalf("disable the administrator: %v", err)
	}
	if err := accept(t, &s, "keyslots", "~recovery", endorse.Sign(admin.key, "admin", nil, "keyslots", "~recovery", parent, data)); !errors.Is(err, endorse.ErrNotEndorsed) {
		t.Errorf("a disabled administrator signed: %v", err)
	}
}

// A user made before signing keys existed registers a first key with their
// own key slots, once; it never makes them an administrator.
func TestFirstKey(t *testing.T) {
	var s endorse.Signers
	grace, other := newPerson(t, "grace"), newPerson(t, "grace")
	data := []byte("slots")
	if err := accept(t, &s, "keyslots", "grace", endorse.Sign(grace.key, "grace", grace.cert(true), "keyslots", "grace", parent, data)); err == nil {
		t.Fatal("a first key claimed administration")
	}
	if err := accept(t, &s, "keyslots", "grace", endorse.Sign(grace.key, "grace", grace.cert(false), "keyslots", "grace", parent, data)); err != nil {
		t.Fatalf("first key: %v", err)
	}
	if c, ok := s.Lookup("grace"); !ok || c.Admin || !grace.pub.Equal(ed25519.PublicKey(c.Key)) {
		t.Fatalf("registered: %+v %v", c, ok)
	}
	if err := accept(t, &s, "keyslots", "grace", endorse.Sign(other.key, "grace", other.cert(false), "keyslots", "grace", parent, data)); err == nil {
		t.Fatal("a second first key replaced the first")
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("user", "admin", "admin", []byte("0123456789abcdef0123456789abcdef"), []byte("sig"))
	f.Fuzz(func(t *testing.T, kind, id, signer string, content, sig []byte) {
		var s endorse.Signers
		e := endorse.Endorsement{Signer: signer, Content: content, Signature: sig, Cert: &endorse.UserCert{Name: id, Key: content}}
		if s.Check(kind, id, parent, &e) == nil && endorse.NeedsEndorsement(kind) {
			t.Fatal("a forged endorsement passed")
		}
	})
}
