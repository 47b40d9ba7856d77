package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/profile"
	"folio/storage"
)

func backupCommand(e *env) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup --to DIR",
		Short: "copy this workstation's vault and scans into DIR (encrypted, as stored; while the window is closed — with it open, use Administration → Settings → Back up now…)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return usageError{errors.New("say where to put the backup: --to DIR (another disk or a USB stick)")}
			}
			dir, err := e.dir()
			if err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(dir, profile.VaultFile)); err != nil {
				return fmt.Errorf("back up %s: %w", dir, app.ErrNotInitialized)
			}
			prof, err := e.open()
			if errors.Is(err, storage.ErrInUse) {
				return errors.New("the vault is open in a Folio window on this data folder: back up from the window (Administration → Settings → Back up now…), or close it and run this again")
			}
			if err != nil {
				return err
			}
			defer prof.Close()
			r, err := prof.Backup(cmd.Context(), "", to)
			if err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "Backed up to %s: the vault and %d new scan files (%s in the folder). Keep it on another disk; restore it with 'folio restore --from %s'.\n",
				r.Dir, r.Scans, r.SizeText(), r.Dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the backup folder (empty, or an earlier backup of this workstation)")
	return cmd
}

func restoreCommand(e *env) *cobra.Command {
	var from string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore --from DIR [--force]",
		Short: "put a backup in place of this workstation's data folder (checked first: you sign in and the whole vault is verified; the replaced folder is kept aside)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return usageError{errors.New("say which backup: --from DIR")}
			}
			dir, err := e.dir()
			if err != nil {
				return err
			}
			pw, err := e.secret("FOLIO_PASSWORD", "password for "+e.userName()+" (to check the backup)")
			if err != nil {
				return err
			}
			check := func(ctx context.Context, p *profile.Profile) error { return checkBackup(e, ctx, p, pw) }
			r, err := profile.Restore(cmd.Context(), profile.RestoreParams{
				From: from, To: dir, Replace: force, Check: check,
				Options: profile.Options{FastKDF: e.FastKDF, WorkerCommand: e.WorkerCommand},
			})
			if errors.Is(err, app.ErrWrongPassword) || errors.Is(err, app.ErrUnknownUser) {
				return errors.New("nothing was restored or replaced: wrong user name or password for the backed-up vault (set FOLIO_USER and FOLIO_PASSWORD to one of its administrators, or answer the prompt)")
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			printf(out, "Restored %s from the backup %s (%d scan files); the backup verified.\n", dir, from, r.Scans)
			if r.Replaced != "" {
				printf(out, "The folder it replaced is kept at %s; delete it once you are sure.\n", r.Replaced)
			}
			printLine(out, "If this workstation syncs with an archive, its next sync fetches back what it sent after the backup was taken.")
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the backup folder ('folio backup --to DIR' made it)")
	cmd.Flags().BoolVar(&force, "force", false, "replace a data folder that holds a profile (it is kept aside, not deleted)")
	return cmd
}

// checkBackup signs in to the restored copy and verifies all of it: every
// record decrypts, the audit chain and its signed checkpoints hold.
func checkBackup(e *env, ctx context.Context, p *profile.Profile, pw []byte) error {
	s, err := p.Vault.Login(ctx, e.userName(), pw)
	if err != nil {
		return err
	}
	defer s.Lock(ctx)
	r, err := s.Audit().Verify(ctx)
	if err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("%w: verify found %d problems in the backup: %s", app.ErrTampered, len(r.Problems), strings.Join(r.Problems, "; "))
	}
	return nil
}
