package profile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"folio/app"
	"folio/storage"
)

// Backups. A backup is a data folder: the vault file as one read
// transaction saw it, the blob folder and the folder's other files and
// subfolders (the archive enrollment, the loaded code sets), all as stored — encrypted, nothing decrypted, no key
// needed to take it. It is taken by the process that has the profile open
// (bbolt's file lock keeps a second process out, read-only opens too, so
// while the window runs the window takes it), and restored with Restore,
// which checks the copy before it replaces anything. A workstation enrolled
// with an archive catches up with it on its next sync (package syncer).

// ErrNotBackup is returned by Restore for a folder that holds no vault.
var ErrNotBackup = errors.New("this folder is not a Folio backup (it has no " + VaultFile + ")")

// ErrProfileExists is returned by Restore when the data folder holds a
// profile already and replacing it was not asked for.
var ErrProfileExists = errors.New("the data folder holds a Folio profile already")

// Backup copies the open profile into the folder dir while it is in use,
// and audits it first (by user; "" for the command line), so the copy
// holds the record of its own making. dir is created when missing; it may
// hold an earlier backup of this workstation (its scans are kept and only
// new ones copied), not another folder's vault.
func (p *Profile) Backup(ctx context.Context, user, dir string) (app.BackupReport, error) {
	dir, err := p.checkDest(dir)
	if err != nil {
		return app.BackupReport{}, err
	}
	if err := p.Vault.RecordBackup(ctx, user, dir); err != nil {
		return app.BackupReport{}, fmt.Errorf("back up to %s: %w", dir, err)
	}
	return p.copyTo(ctx, dir)
}

// checkDest resolves a backup folder and refuses one inside the data
// folder, or one holding another workstation's vault.
func (p *Profile) checkDest(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	data, err := filepath.Abs(p.Dir)
	if err != nil {
		return "", err
	}
	if within(abs, data) {
		return "", app.Invalidf("the backup folder %s is inside the data folder %s: choose another disk or folder", abs, p.Dir)
	}
	old, err := storage.Open(filepath.Join(abs, VaultFile), storage.Options{ReadOnly: true})
	switch {
	case errors.Is(err, app.ErrNotInitialized):
		return abs, nil
	case err != nil:
		return "", app.Invalidf("%s holds a file %s that is not a backup of this workstation (%v): choose an empty folder", abs, VaultFile, err)
	}
	same := old.DeviceID() == p.DB.DeviceID()
	old.Close()
	if !same {
		return "", app.Invalidf("%s holds the backup of another workstation: choose an empty folder", abs)
	}
	return abs, nil
}

// copyTo writes the profile into dir: the vault file first, then the blob
// files (every blob the copied vault names was stored before the commit
// that named it), then the folder's other files and subfolders (the
// enrollment, the archive's countersignature, the loaded code sets),
// temporary files left out (copyOthers).
func (p *Profile) copyTo(ctx context.Context, dir string) (app.BackupReport, error) {
	rep := app.BackupReport{Dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return rep, fmt.Errorf("back up to %s: %w", dir, err)
	}
	if err := p.DB.Snapshot(ctx, filepath.Join(dir, VaultFile)); err != nil {
		return rep, err
	}
	if p.Blobs != nil {
		n, err := p.Blobs.CopyTo(ctx, filepath.Join(dir, BlobDir))
		if err != nil {
			return rep, fmt.Errorf("back up the scans to %s: %w", dir, err)
		}
		rep.Scans = n
	}
	if err := copyOthers(p.Dir, dir); err != nil {
		return rep, err
	}
	size, err := folderSize(dir)
	rep.Size = size
	return rep, err
}

// RestoreParams say what Restore does.
type RestoreParams struct {
	From string // the backup folder
	To   string // the data folder to restore into
	// Replace allows replacing a data folder that holds a profile; the
	// replaced folder is kept beside it (RestoreReport.Replaced).
	Replace bool
	// Check looks at the copy before it replaces anything (the command
	// line signs in and verifies the whole vault: records and the audit
	// chain with its signed checkpoints); an error stops the restore and
	// nothing is replaced.
	Check func(ctx context.Context, p *Profile) error
	// Options open the copy for Check.
	Options Options
}

// RestoreReport says what Restore did.
type RestoreReport struct {
	Scans    int
	Replaced string // where the replaced data folder was kept ("" when there was none)
}

// Restore puts the backup in p.From in place of the data folder p.To: it
// copies the backup beside p.To (the vault file through a read-only open,
// which checks it is a vault), lets p.Check examine the copy, and only
// then renames p.To aside and the copy into place. A profile in use (the
// window open on it) is never replaced.
func Restore(ctx context.Context, p RestoreParams) (RestoreReport, error) {
	var rep RestoreReport
	from, err := filepath.Abs(p.From)
	if err != nil {
		return rep, err
	}
	to, err := filepath.Abs(p.To)
	if err != nil {
		return rep, err
	}
	if within(from, to) || within(to, from) {
		return rep, app.Invalidf("the backup %s and the data folder %s overlap", from, to)
	}
	if _, err := os.Stat(filepath.Join(from, VaultFile)); err != nil {
		return rep, fmt.Errorf("restore from %s: %w", from, ErrNotBackup)
	}
	occupied, err := inUse(to)
	if err != nil {
		return rep, err
	}
	if occupied && !p.Replace {
		return rep, fmt.Errorf("restore into %s: %w: add --force to replace it (it is kept aside, not deleted)", to, ErrProfileExists)
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	stage := to + ".restoring-" + stamp
	if err := os.RemoveAll(stage); err != nil {
		return rep, err
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(stage)
		}
	}()
	src, err := Open(from, Options{ReadOnly: true, WorkerCommand: []string{"none"}, Workers: 1})
	if err != nil {
		return rep, fmt.Errorf("restore from %s: the backup does not open: %w", from, err)
	}
	br, err := src.copyTo(ctx, stage)
	src.Close()
	if err != nil {
		return rep, fmt.Errorf("restore from %s: %w", from, err)
	}
	rep.Scans = br.Scans
	if p.Check != nil {
		staged, err := Open(stage, p.Options)
		if err != nil {
			return rep, fmt.Errorf("restore from %s: the copy does not open: %w", from, err)
		}
		err = p.Check(ctx, staged)
		if cerr := staged.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return rep, fmt.Errorf("restore from %s: the backup did not pass its check, nothing was replaced: %w", from, err)
		}
	}
	if _, err := inUse(to); err != nil {
		return rep, err
	}
	if _, err := os.Stat(to); err == nil {
		rep.Replaced = to + ".replaced-" + stamp
		if err := os.Rename(to, rep.Replaced); err != nil {
			return rep, fmt.Errorf("keep %s aside: %w", to, err)
		}
	}
	if err := os.Rename(stage, to); err != nil {
		return rep, fmt.Errorf("put the restored copy in place at %s: %w (the previous folder is at %s)", to, err, rep.Replaced)
	}
	keep = true
	return rep, storage.SyncDir(filepath.Dir(to))
}

// inUse reports whether the data folder dir holds anything, and fails with
// storage.ErrInUse while a Folio process has its vault open.
func inUse(dir string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(ents) == 0 {
		return false, nil
	}
	db, err := storage.Open(filepath.Join(dir, VaultFile), storage.Options{ReadOnly: true})
	switch {
	case errors.Is(err, storage.ErrInUse):
		return true, fmt.Errorf("restore into %s: %w: close Folio first", dir, err)
	case err == nil:
		db.Close()
	}
	return true, nil
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func folderSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}
