// Package profile opens a workstation profile: the data folder that holds
// one vault file (bbolt) and its encrypted blob folder. It is where the
// concrete store, blob folder, key factory and scan worker pool are wired
// into an app.Vault, for main.go, the command line and tests alike.
package profile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"folio/app"
	"folio/crypto"
	"folio/printout"
	"folio/scan"
	"folio/storage"
	"folio/syncer"
)

// Names inside the data folder.
const (
	VaultFile = "folio.db" // the vault
	BlobDir   = "blobs"    // scanned originals, page images and text
)

// Options tune how a profile opens.
type Options struct {
	// FastKDF uses the cheapest legal password hashing; tests and
	// benchmarks only (a real vault calibrates to about 0.7 s per unlock).
	FastKDF bool
	// ReadOnly opens the vault without write access.
	ReadOnly bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// WorkerCommand starts a scan worker; nil means this executable with
	// the argument "scan-worker".
	WorkerCommand []string
	// Workers is how many scan workers run at once; 0 means the vault's
	// setting (app.Settings.SetScanWorkers), which is one per core unless
	// an administrator chose otherwise.
	Workers int
}

// Profile is an open data folder.
type Profile struct {
	Dir   string
	Vault *app.Vault
	DB    *storage.DB
	Blobs *storage.Blobs
	Scan  *scan.Pool
	// Workers is how many scan workers the pool runs at most.
	Workers int
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

// Open opens the profile in dir, creating the folder, an empty vault file
// and the blob folder when missing. Scan workers start only when the first
// file is analysed; how many may run is fixed here (Options.Workers, else
// the vault's setting), so a changed setting takes effect at the next Open.
func Open(dir string, opts Options) (*Profile, error) {
	if dir == "" {
		return nil, errors.New("no data folder given")
	}
	db, err := storage.Open(filepath.Join(dir, VaultFile), storage.Options{Now: opts.Now, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, err
	}
	openBlobs := storage.OpenBlobs
	if opts.ReadOnly {
		openBlobs = storage.OpenBlobsReadOnly
	}
	blobs, err := openBlobs(filepath.Join(dir, BlobDir))
	if err != nil && !(opts.ReadOnly && errors.Is(err, app.ErrNotFound)) {
		db.Close()
		return nil, err
	}
	// The pool is made now, before anyone logs in, so the worker setting
	// is read from the meta store (it is not PHI) unless the caller chose.
	if opts.Workers <= 0 {
		opts.Workers = app.ScanWorkersSetting(context.Background(), db.Meta())
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	pool, err := newPool(opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	keys := &crypto.Factory{}
	if opts.FastKDF {
		keys.KDF = crypto.FastKDF()
	}
	cfg := app.Config{
		Meta:        db.Meta(),
		Audit:       db.Audit(),
		Records:     func(aead app.AEAD) app.RecordStore { return db.Records(aead) },
		Replica:     func(aead app.AEAD) app.ReplicaStore { return db.Records(aead) },
		Integrity:   db,
		Witness:     syncer.AuditWitness{Dir: dir, DB: db},
		Conflicts:   db.Replica(),
		Keys:        keys,
		Device:      db.DeviceID(),
		Now:         opts.Now,
		Analyzer:    pool,
		PDF:         printout.SearchablePDF,
		NotePDF:     printout.VisitNotePDF,
		ReferralPDF: printout.ReferralPDF,
	}
	if blobs != nil {
		cfg.Blobs = func(aead app.StreamingAEAD) app.BlobStore { return blobs.Sealed(aead) }
	}
	return &Profile{Dir: dir, Vault: app.NewVault(cfg), DB: db, Blobs: blobs, Scan: pool, Workers: opts.Workers}, nil
}

// newPool makes the scan worker pool (no process starts yet).
func newPool(opts Options) (*scan.Pool, error) {
	cmd := opts.WorkerCommand
	if len(cmd) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this program to start scan workers: %w", err)
		}
		cmd = []string{exe, "scan-worker"}
	}
	return scan.NewPool(scan.Options{Workers: opts.Workers, Command: cmd})
}

// Close stops the scan workers and closes the vault file.
func (p *Profile) Close() error {
	return errors.Join(p.Scan.Close(), p.DB.Close())
}
