// Package profile opens a workstation profile: the data folder that holds
// one vault file (bbolt) and, later, its encrypted blob directory. It is
// where the concrete store and key factory are wired into an app.Vault, for
// main.go, the command line and tests alike.
package profile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"folio/app"
	"folio/crypto"
	"folio/storage"
)

// VaultFile is the vault's file name inside the data folder.
const VaultFile = "folio.db"

// Options tune how a profile opens.
type Options struct {
	// FastKDF uses the cheapest legal password hashing; tests and
	// benchmarks only (a real vault calibrates to about 0.7 s per unlock).
	FastKDF bool
	// ReadOnly opens the vault without write access.
	ReadOnly bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Profile is an open data folder.
type Profile struct {
	Dir   string
	Vault *app.Vault
	DB    *storage.DB
}

// DefaultDir is the data folder when none is given: $FOLIO_DATA, else
// "folio" in the OS user data folder ($XDG_DATA_HOME or ~/.local/share on
// Linux, %AppData% on Windows, ~/Library/Application Support on macOS).
func DefaultDir() (string, error) {
	if d := os.Getenv("FOLIO_DATA"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "folio"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the user data folder: %w; set FOLIO_DATA or --data", err)
	}
	switch {
	case fileExists(filepath.Join(home, "Library")):
		return filepath.Join(home, "Library", "Application Support", "Folio"), nil
	case os.Getenv("AppData") != "":
		return filepath.Join(os.Getenv("AppData"), "Folio"), nil
	}
	return filepath.Join(home, ".local", "share", "folio"), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Open opens the profile in dir, creating the folder and an empty vault
// file when missing.
func Open(dir string, opts Options) (*Profile, error) {
	if dir == "" {
		return nil, errors.New("no data folder given")
	}
	db, err := storage.Open(filepath.Join(dir, VaultFile), storage.Options{Now: opts.Now, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, err
	}
	keys := &crypto.Factory{}
	if opts.FastKDF {
		keys.KDF = crypto.FastKDF()
	}
	v := app.NewVault(app.Config{
		Meta:      db,
		Audit:     db,
		Records:   func(aead app.AEAD) app.RecordStore { return db.Records(aead) },
		Integrity: db,
		Keys:      keys,
		Device:    db.DeviceID(),
		Now:       opts.Now,
	})
	return &Profile{Dir: dir, Vault: v, DB: db}, nil
}

// Close closes the vault file.
func (p *Profile) Close() error { return p.DB.Close() }
