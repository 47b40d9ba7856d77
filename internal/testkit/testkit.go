// Package testkit opens what Folio's tests work on, as the application
// opens it: a data folder with a real vault (bbolt in t.TempDir(), real
// keys with the cheapest password hashing, the scan worker pool), its
// first administrator, users with roles, and signed-in sessions. Every
// helper takes a testing.TB and closes what it opened when the test ends.
//
// The settable clock is package internal/testclock, which storage's and
// the drop folder's own tests can import too (this package imports
// profile, and so storage).
package testkit

import (
	"context"
	"testing"

	"folio/app"
	"folio/profile"
)

// Profile opens an empty data folder in t.TempDir() with opt (FastKDF
// set), closed when the test ends.
func Profile(t testing.TB, opt profile.Options) *profile.Profile {
	t.Helper()
	opt.FastKDF = true
	prof, err := profile.Open(t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prof.Close() })
	return prof
}

// Vault is Profile with a vault created in it, as the first run creates
// one: its administrator, password and site prefix are p's. It returns
// the profile and the vault's recovery key.
func Vault(t testing.TB, opt profile.Options, p app.CreateParams) (*profile.Profile, string) {
	t.Helper()
	prof := Profile(t, opt)
	key, err := prof.Vault.Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return prof, key
}

// Login signs user in to v; the session is locked when the test ends.
func Login(t testing.TB, v *app.Vault, user, password string) *app.Session {
	t.Helper()
	s, err := v.Login(context.Background(), user, []byte(password))
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	t.Cleanup(func() { s.Lock(context.Background()) })
	return s
}
