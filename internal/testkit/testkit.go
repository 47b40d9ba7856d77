// Package testkit opens what Folio's tests work on, as the application
// opens it: a data folder with a real vault (bbolt in t.TempDir(), real
// keys with the cheapest password hashing, the scan worker pool), its
// first administrator and signed-in sessions; and the files of the test
// corpus. Every
// helper takes a testing.TB and closes what it opened when the test ends.
//
// The settable clock is package internal/testclock, which storage's and
// the drop folder's own tests can import too (this package imports
// profile, and so storage).
package testkit

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"folio/app"
	"folio/codeset"
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

// AddUser has admin add the user u with password; an error fails the
// test.
func AddUser(t testing.TB, admin *app.Session, u app.User, password string) {
	t.Helper()
	if err := admin.Users().Add(context.Background(), u, []byte(password)); err != nil {
		t.Fatalf("add user %s: %v", u.Name, err)
	}
}

// ICD10CM is the shipped ICD-10-CM code set.
func ICD10CM(t testing.TB) *codeset.Set {
	t.Helper()
	set, err := codeset.ICD10CM()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// Corpus reads the file rel (e.g. "scans/ocrmypdf__linn.pdf") of the test
// corpus, testdata/corpus at the top of the repository, whose MANIFEST.tsv
// gives each file's source, licence and hash. The corpus is always there:
// a missing file fails the test.
func Corpus(t testing.TB, rel string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatalf("corpus file %s: no go.mod above the test's folder", rel)
		}
		dir = up
	}
	data, err := os.ReadFile(filepath.Join(dir, "testdata", "corpus", rel))
	if err != nil {
		t.Fatalf("corpus file %s: %v (the test corpus is testdata/corpus)", rel, err)
	}
	return data
}

// BarPage is a small scanned page to import, as PNG: white, with a dark
// bar across it.
func BarPage(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 300, 400))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 60; y < 80; y++ {
		for x := 40; x < 260; x++ {
			img.SetGray(x, y, color.Gray{Y: 0x20})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FlipByte flips the bits mask of the middle byte of the file at path, as
// a failing disk or someone holding it would.
func FlipByte(t testing.TB, path string, mask byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= mask
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// EnvInt reads a whole number from the environment variable name (a
// benchmark's size), def when it is not set; anything else fails t.
func EnvInt(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: give a whole number", name, v)
	}
	return n
}
