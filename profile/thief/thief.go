// Package thief does, for the attack tests, what someone holding a copy
// of a vault file does with it: copy the file while Folio runs, scan the
// copy for key slots (live ones and stale ones in the file's free space),
// and try each with a password or recovery key they know against the
// copy's current key bundle, through the real crypto code. It is test
// support: nothing in Folio imports it.
package thief

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"folio/crypto"
	"folio/profile"
	"folio/storage"
)

// slotMagic starts every key slot; the byte after it is the slot's
// format version, which gives its length (the crypto package's layout:
// version 1 is 95 bytes, version 2 adds a 32-byte checksum, version 3
// a 32-byte signing-key seed).
const slotMagic = "FOLIOSLT"

func slotLen(version byte) int {
	switch {
	case version >= 3:
		return 95 + 32 + 32
	case version >= 2:
		return 95 + 32
	}
	return 95
}

// Copy is a copy of a vault file.
type Copy struct {
	File   []byte // the whole file, as copied
	Bundle []byte // its current key bundle
}

// CopyVault copies the vault file of the profile in dir, as it is on disk
// now (Folio may have it open), and reads the copy's key bundle.
func CopyVault(t testing.TB, dir string) Copy {
	t.Helper()
	file, err := os.ReadFile(filepath.Join(dir, profile.VaultFile))
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "stolen.db")
	if err := os.WriteFile(cp, file, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(cp, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open the stolen copy: %v", err)
	}
	defer db.Close()
	bundle, err := db.Meta().GetMeta(context.Background(), "vault/bundle")
	if err != nil {
		t.Fatalf("read the stolen copy's key bundle: %v", err)
	}
	return Copy{File: file, Bundle: bundle}
}

// slots returns every byte run of the file that starts like a key slot.
func (c Copy) slots() [][]byte {
	var out [][]byte
	for i := 0; ; {
		j := bytes.Index(c.File[i:], []byte(slotMagic))
		if j < 0 || i+j+len(slotMagic) >= len(c.File) {
			return out
		}
		n := slotLen(c.File[i+j+len(slotMagic)])
		if i+j+n > len(c.File) {
			return out
		}
		out = append(out, c.File[i+j:i+j+n])
		i += j + 1
	}
}

// OpensWithPassword reports whether any slot in the copy opens its key
// bundle with user's password.
func (c Copy) OpensWithPassword(user, password string) bool {
	for _, slot := range c.slots() {
		if k, _, err := crypto.OpenPasswordSlot(c.Bundle, slot, user, []byte(password)); err == nil {
			k.Close()
			return true
		}
	}
	return false
}

// OpensWithRecoveryKey reports whether any slot in the copy opens its key
// bundle with a recovery key.
func (c Copy) OpensWithRecoveryKey(key string) bool {
	for _, slot := range c.slots() {
		if k, err := crypto.OpenRecoverySlot(c.Bundle, slot, key); err == nil {
			k.Close()
			return true
		}
	}
	return false
}
