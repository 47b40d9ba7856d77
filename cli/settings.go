package cli

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/printout"
	"folio/profile"
)

// The administrator's settings beyond the idle lock, drop folder and QA
// sample (admin.go): what the window's Administration ▸ Settings does.

func adminSettingsCommands(e *env) []*cobra.Command {
	show := &cobra.Command{
		Use:   "show",
		Short: "print every workstation setting (no password needed: settings are not patient data)",
		Args:  cobra.NoArgs,
		RunE: e.withProfile(func(cmd *cobra.Command, _ []string, prof *profile.Profile) error {
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
			printf(out, "site-prefix  %s\n", site)
			printf(out, "idle-lock    %s\n", v.IdleLock(ctx))
			printf(out, "drop-folder  %s\n", drop)
			printf(out, "qa-sample    %d%%\n", v.QASampling(ctx))
			printf(out, "workers      %s\n", workersText(v.ScanWorkers(ctx)))
			printf(out, "archive      %s\n", archive)
			printf(out, "archive-ids  %s\n", archiveIDsText(v.BarcodeSettings(ctx)))
			return nil
		}),
	}
	site := settingCommand(e, "site-prefix PREFIX", "the MRN site prefix of new MRNs (2 to 6 letters or digits); existing MRNs keep theirs",
		asGiven,
		func(ctx context.Context, s *app.Session, arg string) error {
			return s.Settings().SetSitePrefix(ctx, arg)
		},
		func(ctx context.Context, v *app.Vault) (string, error) {
			p, err := v.SitePrefix(ctx)
			return "new MRNs start with " + p + "-; existing MRNs keep theirs", err
		})
	workers := settingCommand(e, "workers N",
		fmt.Sprintf("how many scan workers run at once: 1 to %d, or 0 for one per core (from the next start)", app.MaxScanWorkers),
		func(arg string) (int, error) {
			n, err := strconv.Atoi(arg)
			if err != nil {
				return 0, usageError{fmt.Errorf("scan workers %q: give a whole number, 0 to %d", arg, app.MaxScanWorkers)}
			}
			return n, nil
		},
		func(ctx context.Context, s *app.Session, n int) error {
			return s.Settings().SetScanWorkers(ctx, n)
		},
		func(ctx context.Context, v *app.Vault) (string, error) {
			return "scan workers: " + workersText(v.ScanWorkers(ctx)) + ", from the next start of Folio", nil
		})
	archive := settingCommand(e, "archive ADDRESS", "the archive server this workstation syncs with: host:port or https://… (\"\" for none)",
		asGiven,
		func(ctx context.Context, s *app.Session, arg string) error {
			return s.Settings().SetArchiveAddress(ctx, arg)
		},
		func(ctx context.Context, v *app.Vault) (string, error) {
			a := v.ArchiveAddress(ctx)
			if a == "" {
				a = "none"
			}
			// No sync engine is built yet: say what the address is for.
			return "archive address: " + a + " (sync is not built yet; the address is kept for it)", nil
		})
	var split bool
	archiveIDs := &cobra.Command{
		Use:   "archive-ids PATTERN [--split]",
		Short: `which barcodes are archive identifiers (folder or accession labels), as a regular expression like '^ASN\d+$' ("" for none)`,
		Long: `Sets the pattern of archive identifiers: barcodes on scanned pages that are
not Folio's sheets and whose whole value matches the regular expression (RE2
syntax, like '^ASN\d+$') are kept as the document's archive identifiers,
shown and searchable. With --split each such code also starts a new document,
as a separator sheet does; the page with the label stays in it. Applies to
files imported from now on. Administrators and records managers; audited.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := app.ParseArchivePattern(args[0]); err != nil {
				return usageError{err}
			}
			return e.inSessionProfile(cmd.Context(), func(s *app.Session, prof *profile.Profile) error {
				if err := s.Settings().SetBarcodeSettings(cmd.Context(), app.BarcodeSettings{ArchivePattern: args[0], Split: split}); err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "archive identifiers: %s\n", archiveIDsText(prof.Vault.BarcodeSettings(cmd.Context())))
				return nil
			})
		},
	}
	archiveIDs.Flags().BoolVar(&split, "split", false, "each archive identifier starts a new document")
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
		RunE: e.signedInProfile(func(cmd *cobra.Command, _ []string, s *app.Session, prof *profile.Profile) error {
			key, err := s.Settings().RotateRecoveryKey(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, map[string]string{"recovery_key": key}); err != nil {
					return err
				}
			} else {
				printf(out, "NEW RECOVERY KEY (shown only now; write it down and keep it safe):\n\n    %s\n\n", key)
				printLine(out, "The previous recovery key no longer works; destroy its paper.")
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
			printLine(status, "print the sheet, check it, then delete the file")
			return nil
		}),
	}
	newKey.Flags().StringVar(&pdf, "pdf", "", "also write the key as a printable PDF sheet")
	newKey.Flags().BoolVar(&asJSON, "json", false, `print {"recovery_key": …} instead`)
	return []*cobra.Command{show, site, workers, archive, archiveIDs, newKey}
}

// settingCommand is `folio settings NAME VALUE`: parse the value (a usage
// error when it is not one), set it in an administrator's session, and
// print what the vault now says.
func settingCommand[T any](e *env, use, short string, parse func(string) (T, error),
	set func(context.Context, *app.Session, T) error, now func(context.Context, *app.Vault) (string, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := parse(args[0])
			if err != nil {
				return err
			}
			return e.inSessionProfile(cmd.Context(), func(s *app.Session, prof *profile.Profile) error {
				if err := set(cmd.Context(), s, v); err != nil {
					return err
				}
				said, err := now(cmd.Context(), prof.Vault)
				if err != nil {
					return err
				}
				printLine(cmd.OutOrStdout(), said)
				return nil
			})
		},
	}
}

// asGiven is the parse of a setting whose value is taken as typed (the
// service checks it).
func asGiven(arg string) (string, error) { return arg, nil }

func workersText(n int) string {
	if n == 0 {
		return fmt.Sprintf("one per processor core (%d here)", runtime.NumCPU())
	}
	return strconv.Itoa(n)
}

// archiveIDsText says what the barcode settings do.
func archiveIDsText(bs app.BarcodeSettings) string {
	switch {
	case bs.ArchivePattern == "":
		return "none (no barcode is taken as an archive identifier)"
	case bs.Split:
		return bs.ArchivePattern + " (each starts a new document)"
	}
	return bs.ArchivePattern + " (kept with the document; no split)"
}
