package profile_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/app"
	"folio/profile"
)

// tamperFixture is a closed vault with two patients and some audit events.
func tamperFixture(t *testing.T) (dir string, ps []app.Patient) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	prof := newProfile(t, dir)
	s, err := prof.Vault.Login(ctx, "admin", []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	ps, err = s.Patients().Register(ctx,
		app.Patient{Family: "Mutua", Given: "Faith", BirthDate: app.BirthDate{Year: 1990, Month: 2, Day: 3}},
		app.Patient{Family: "Kiprop", Given: "Daniel", BirthDate: app.BirthDate{Year: 1985}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if _, err := s.Patients().Open(ctx, p.MRN); err != nil {
			t.Fatal(err)
		}
	}
	s.Lock(ctx)
	prof.Close()
	return dir, ps
}

// editRaw changes the vault file behind Folio's back, as an attacker with
// the disk would.
func editRaw(t *testing.T, dir string, edit func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, profile.VaultFile), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(edit); err != nil {
		t.Fatal(err)
	}
}

// versionKeyOf finds the first stored version key of a patient.
func versionKeyOf(tx *bolt.Tx, id string) []byte {
	prefix := append([]byte("patient\x00"+id), 0)
	c := tx.Bucket([]byte("versions")).Cursor()
	k, _ := c.Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil
	}
	return bytes.Clone(k)
}

// verifyProblems logs in and runs verify, returning its problems.
func verifyProblems(t *testing.T, dir string) (problems []string) {
	t.Helper()
	asAdmin(t, dir, func(ctx context.Context, s *app.Session) {
		r, err := s.Audit().Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		problems = r.Problems
	})
	return problems
}

// asAdmin opens the data folder dir, signs in as admin and runs fn, then
// locks the session and closes the folder (so editRaw can open it again).
func asAdmin(t *testing.T, dir string, fn func(ctx context.Context, s *app.Session)) {
	t.Helper()
	ctx := context.Background()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	defer prof.Close()
	s, err := prof.Vault.Login(ctx, "admin", []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Lock(ctx)
	fn(ctx, s)
}

func TestVerifyDetectsTampering(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, tx *bolt.Tx, ps []app.Patient) error
		want string // a word the problem report must contain
	}{
		{"one bit of a record flipped", func(t *testing.T, tx *bolt.Tx, ps []app.Patient) error {
			b := tx.Bucket([]byte("versions"))
			k := versionKeyOf(tx, ps[0].ID)
			v := bytes.Clone(b.Get(k))
			v[len(v)-20] ^= 0x01
			return b.Put(k, v)
		}, ps0},
		{"a record moved to another id", func(t *testing.T, tx *bolt.Tx, ps []app.Patient) error {
			b := tx.Bucket([]byte("versions"))
			from, to := versionKeyOf(tx, ps[0].ID), versionKeyOf(tx, ps[1].ID)
			return b.Put(to, bytes.Clone(b.Get(from)))
		}, ps1},
		{"an audit event deleted", func(t *testing.T, tx *bolt.Tx, ps []app.Patient) error {
			return tx.Bucket([]byte("audit")).Delete(binary.BigEndian.AppendUint64(nil, 3))
		}, "audit"},
		{"an audit event edited", func(t *testing.T, tx *bolt.Tx, ps []app.Patient) error {
			b := tx.Bucket([]byte("audit"))
			k := binary.BigEndian.AppendUint64(nil, 2)
			v := bytes.Clone(b.Get(k))
			v[len(v)-1] ^= 0x80
			return b.Put(k, v)
		}, "audit"},
		{"two audit events swapped", func(t *testing.T, tx *bolt.Tx, ps []app.Patient) error {
			b := tx.Bucket([]byte("audit"))
			k2, k3 := binary.BigEndian.AppendUint64(nil, 2), binary.BigEndian.AppendUint64(nil, 3)
			v2, v3 := bytes.Clone(b.Get(k2)), bytes.Clone(b.Get(k3))
			if err := b.Put(k2, v3); err != nil {
				return err
			}
			return b.Put(k3, v2)
		}, "audit"},
		{"an index entry removed", func(t *testing.T, tx *bolt.Tx, ps []app.Patient) error {
			c := tx.Bucket([]byte("index")).Cursor()
			k, _ := c.First()
			return tx.Bucket([]byte("index")).Delete(bytes.Clone(k))
		}, "index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, ps := tamperFixture(t)
			if problems := verifyProblems(t, dir); len(problems) != 0 {
				t.Fatalf("clean vault has problems: %q", problems)
			}
			editRaw(t, dir, func(tx *bolt.Tx) error { return tc.edit(t, tx, ps) })
			problems := verifyProblems(t, dir)
			want := tc.want
			switch want {
			case ps0:
				want = ps[0].ID
			case ps1:
				want = ps[1].ID
			}
			if !strings.Contains(strings.Join(problems, "\n"), want) {
				t.Fatalf("verify did not report %q: %q", want, problems)
			}
		})
	}
}

const (
	ps0 = "\x00first patient"
	ps1 = "\x00second patient"
)

// Reading a tampered record fails with ErrTampered rather than showing
// wrong data.
func TestTamperedRecordIsNotShown(t *testing.T) {
	dir, ps := tamperFixture(t)
	editRaw(t, dir, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("versions"))
		k := versionKeyOf(tx, ps[0].ID)
		v := bytes.Clone(b.Get(k))
		v[len(v)/2] ^= 0x10
		return b.Put(k, v)
	})
	asAdmin(t, dir, func(ctx context.Context, s *app.Session) {
		if _, err := s.Patients().Open(ctx, ps[0].ID); !errors.Is(err, app.ErrTampered) {
			t.Fatalf("tampered record: %v", err)
		}
	})
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dir, _ := tamperFixture(t)
	editRaw(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("storage/schema"), binary.BigEndian.AppendUint64(nil, 99))
	})
	_, err := profile.Open(dir, profile.Options{FastKDF: true})
	if !errors.Is(err, app.ErrNewerSchema) || !strings.Contains(err.Error(), "update Folio") {
		t.Fatalf("newer schema: %v", err)
	}
}

// A forged key slot with absurd Argon2 parameters is refused at once, not
// run (it would take hours and gigabytes).
func TestAbsurdSlotParametersAreRefused(t *testing.T) {
	dir, _ := tamperFixture(t)
	editRaw(t, dir, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("meta"))
		c := b.Cursor()
		prefix := []byte("slot/user/admin/")
		k, v := c.Seek(prefix)
		if k == nil || !bytes.HasPrefix(k, prefix) {
			t.Fatal("no admin slot")
		}
		v = bytes.Clone(v)
		// The header's parameters follow the 8-byte magic, the format and
		// kind bytes; set every parameter byte to its maximum.
		for i := 10; i < 19 && i < len(v); i++ {
			v[i] = 0xff
		}
		return b.Put(bytes.Clone(k), v)
	})
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	defer prof.Close()
	start := time.Now()
	_, err = prof.Vault.Login(context.Background(), "admin", []byte(pw))
	if err == nil || errors.Is(err, app.ErrWrongPassword) && !strings.Contains(err.Error(), "param") {
		t.Fatalf("forged slot: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("refusing the forged slot took %s", el)
	}
	t.Logf("forged slot: %v", err)
}
