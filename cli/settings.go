package cli

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/printout"
)

// The administrator's settings beyond the idle lock, drop folder and QA
// sample (admin.go): what the window's Administration ▸ Settings does.

func (e *env) adminSettingsCommands() []*cobra.Command {
	show := &cobra.Command{
		Use:   "show",
		Short: "print every workstation setting (no password needed: settings are not patient data)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			prof, err := e.open()
			if err != nil {
				return err
			}
			defer prof.Close()
			ctx, v := cmd.Context(), prof.Vault
			if ok, err := v.Initialized(ctx); err != nil {
				return err
			} else if !ok {
				return app.ErrNotInitialized
			}
			site, err := v.SitePrefix(ctx)
			if err != nil {
				return err
			}
			is := v.IntakeSettings(ctx)
			drop := is.DropFolder
			switch {
			case drop == "":
				drop = "none"
			case is.Keep:
				drop += " (files kept after import)"
			default:
				drop += " (files removed after import)"
			}
			archive := v.ArchiveAddress(ctx)
			if archive == "" {
				archive = "none"
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "site-prefix  %s\n", site)
			fmt.Fprintf(out, "idle-lock    %s\n", v.IdleLock(ctx))
			fmt.Fprintf(out, "drop-folder  %s\n", drop)
			fmt.Fprintf(out, "qa-sample    %d%%\n", v.QASampling(ctx))
			fmt.Fprintf(out, "workers      %s\n", workersText(v.ScanWorkers(ctx)))
			fmt.Fprintf(out, "archive      %s\n", archive)
			return nil
		},
	}
	site := &cobra.Command{
		Use:   "site-prefix PREFIX",
		Short: "the MRN site prefix of new MRNs (2 to 6 letters or digits); existing MRNs keep theirs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, prof, done, err := e.session(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if err := s.SetSitePrefix(cmd.Context(), args[0]); err != nil {
				return err
			}
			p, err := prof.Vault.SitePrefix(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new MRNs start with %s-; existing MRNs keep theirs\n", p)
			return nil
		},
	}
	workers := &cobra.Command{
		Use:   "workers N",
		Short: fmt.Sprintf("how many scan workers run at once: 1 to %d, or 0 for one per core (from the next start)", app.MaxScanWorkers),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[0])
			if err != nil {
				return usageError{fmt.Errorf("scan workers %q: give a whole number, 0 to %d", args[0], app.MaxScanWorkers)}
			}
			s, prof, done, err := e.session(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if err := s.SetScanWorkers(cmd.Context(), n); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "scan workers: %s, from the next start of Folio\n", workersText(prof.Vault.ScanWorkers(cmd.Context())))
			return nil
		},
	}
	archive := &cobra.Command{
		Use:   "archive ADDRESS",
		Short: "the archive server this workstation syncs with: host:port or https://… (\"\" for none)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, prof, done, err := e.session(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if err := s.SetArchiveAddress(cmd.Context(), args[0]); err != nil {
				return err
			}
			a := prof.Vault.ArchiveAddress(cmd.Context())
			if a == "" {
				a = "none"
			}
			// No sync engine is built yet: say what the address is for.
			fmt.Fprintf(cmd.OutOrStdout(), "archive address: %s (sync is not built yet; the address is kept for it)\n", a)
			return nil
		},
	}
	var pdf string
	var asJSON bool
	newKey := &cobra.Command{
		Use:   "new-recovery-key [--pdf FILE.pdf] [--json]",
		Short: "issue a new recovery key and print it once; the previous key stops working",
		Long: `Issues a new recovery key for the vault and prints it once. From then on
only the new key resets a forgotten password ('folio user recover', or
"Forgot password? Use the recovery key" at the login screen); the previous
key stops working at once, so destroy its paper. With --pdf the key is also
written as a printable sheet: print it, then delete the file. Administrators
only; audited.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, prof, done, err := e.session(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			key, err := s.RotateRecoveryKey(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, map[string]string{"recovery_key": key}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "NEW RECOVERY KEY (shown only now; write it down and keep it safe):\n\n    %s\n\n", key)
				fmt.Fprintln(out, "The previous recovery key no longer works; destroy its paper.")
			}
			if pdf == "" {
				return nil
			}
			site, _ := prof.Vault.SitePrefix(cmd.Context())
			var buf bytes.Buffer
			if err := printout.RecoveryKeyPDF(&buf, printout.RecoveryKeyInfo{Key: key, Site: site,
				IssuedBy: s.User().Name, IssuedAt: time.Now()}); err != nil {
				return fmt.Errorf("the new key is issued (above) but its sheet was not made: %w", err)
			}
			status := cmd.ErrOrStderr()
			if err := writeOut(pdf, buf.Bytes(), status); err != nil {
				return fmt.Errorf("the new key is issued (above) but its sheet was not saved: %w", err)
			}
			fmt.Fprintln(status, "print the sheet, check it, then delete the file")
			return nil
		},
	}
	newKey.Flags().StringVar(&pdf, "pdf", "", "also write the key as a printable PDF sheet")
	newKey.Flags().BoolVar(&asJSON, "json", false, `print {"recovery_key": …} instead`)
	return []*cobra.Command{show, site, workers, archive, newKey}
}

func workersText(n int) string {
	if n == 0 {
		return fmt.Sprintf("one per processor core (%d here)", runtime.NumCPU())
	}
	return strconv.Itoa(n)
}
