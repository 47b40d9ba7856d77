package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/demo"
	"folio/printout"
	"folio/profile"
)

func auditCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "review the audit trail"}
	var sf auditFlags
	var asJSON bool
	show := &cobra.Command{
		Use:   "show [--patient MRN] [--by NAME] [--action A] [--since YYYY-MM-DD] [--limit N]",
		Short: "list audit events, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := sf.filter()
			if err != nil {
				return err
			}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				events, err := s.Audit().Events(cmd.Context(), f)
				if err != nil {
					return err
				}
				if asJSON {
					if events == nil {
						events = []app.AuditEvent{}
					}
					return writeJSON(cmd.OutOrStdout(), events)
				}
				return writeTable(cmd.OutOrStdout(), "SEQ\tTIME\tUSER\tROLE\tACTION\tPATIENT\tOUTCOME\tPERMISSION\tDETAIL", events, func(tw io.Writer, ev app.AuditEvent) {
					printf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.Seq, ev.Time.Local().Format("2006-01-02 15:04:05"),
						ev.User, ev.ActedAs(), ev.Action, ev.Patient, ev.Outcome, ev.Permission, ev.Detail)
				})
			})
		},
	}
	sf.add(show)
	show.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")

	var ef auditFlags
	var pdf string
	export := &cobra.Command{
		Use:   "export --pdf FILE [--patient MRN] [--by NAME] [--action A] [--since YYYY-MM-DD] [--limit N]",
		Short: "write audit events as a PDF report to print or file (audited)",
		Long: `Writes the audit events that match the filters, oldest first, as a PDF report:
the filters used, who exported it and when, one row per event with break-glass
openings and refused or failed attempts marked, page numbers. The export is
recorded in the audit trail (audit.export) with its filters and file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := ef.filter()
			if err != nil {
				return err
			}
			return e.inSessionProfile(cmd.Context(), func(s *app.Session, prof *profile.Profile) error {
				events, err := s.Audit().Export(cmd.Context(), f, "PDF", pdf)
				if err != nil {
					return err
				}
				site, _ := prof.Vault.SitePrefix(cmd.Context())
				var buf bytes.Buffer
				if err := printout.AuditReportPDF(&buf, printout.AuditReport{Filter: f.String(), Site: site,
					ExportedBy: s.User().Name, ExportedAt: time.Now(), Events: events}); err != nil {
					return err
				}
				if err := writeOut(pdf, buf.Bytes(), cmd.OutOrStdout()); err != nil {
					return err
				}
				printf(cmd.ErrOrStderr(), "%d events; the file holds patient record numbers: keep it as you keep records\n", len(events))
				return nil
			})
		},
	}
	ef.add(export)
	export.Flags().StringVar(&pdf, "pdf", "", "the PDF file to write")
	_ = export.MarkFlagRequired("pdf")
	cmd.AddCommand(show, export)
	return cmd
}

// auditFlags are the filter flags of the audit commands.
type auditFlags struct {
	patient, user, action, since string
	limit                        int
}

func (a *auditFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.patient, "patient", "", "only events about this MRN")
	cmd.Flags().StringVar(&a.user, "by", "", "only events by this user")
	cmd.Flags().StringVar(&a.action, "action", "", "only this action (e.g. login, patient.read, break-glass)")
	cmd.Flags().StringVar(&a.since, "since", "", "only events from this day on (YYYY-MM-DD, local time)")
	cmd.Flags().IntVar(&a.limit, "limit", 0, "only the newest N events")
}

// filter reads the flags into a filter, or says which one is wrong.
func (a *auditFlags) filter() (app.AuditFilter, error) {
	f := app.AuditFilter{User: a.user, Action: app.Action(a.action), Limit: a.limit}
	if a.patient != "" {
		mrn, err := app.ParseMRN(a.patient)
		if err != nil {
			return f, usageError{err}
		}
		f.PatientMRN = mrn
	}
	if a.since != "" {
		day, err := time.ParseInLocation(time.DateOnly, a.since, time.Local)
		if err != nil {
			return f, usageError{fmt.Errorf("--since %q: write the day as YYYY-MM-DD, for example %s", a.since, time.Now().Format(time.DateOnly))}
		}
		f.Since = day
	}
	return f, nil
}

func verifyCommand(e *env) *cobra.Command {
	var quick, repair bool
	cmd := &cobra.Command{
		Use:   "verify [--quick] [--repair]",
		Short: "check the vault: file integrity, every record decrypts and matches its index, audit chain intact, every scan file sound",
		Long: `Checks the vault file, every record and the audit trail, and reads every
scan file (originals, page images and text) to check it is there and sound;
--quick leaves the scans out. A damaged or missing scan is named with its
document; on a workstation enrolled with an archive, verify says whether
the archive holds a good copy, and --repair fetches it (a missing file also
comes back with the next sync; a damaged one needs --repair). Exit status 4
when something is wrong (and was not repaired).`,
		Args: cobra.NoArgs,
		RunE: e.signedInProfile(func(cmd *cobra.Command, _ []string, s *app.Session, prof *profile.Profile) error {
			verify := s.Audit().Verify
			if quick {
				verify = s.Audit().VerifyQuick
			}
			r, err := verify(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			printf(out, "records %d (patients %d, users %d), versions %d, index entries %d, audit events %d, checkpoints %d, scan files %d\n",
				r.Records, r.Patients, r.Users, r.Versions, r.IndexEntries, r.AuditEntries, r.Checkpoints, r.Scans)
			printf(out, "signed notes %d checked", r.SignedNotes.Signed)
			if n := r.SignedNotes.OlderForm; n > 0 {
				printf(out, " (%d signed in the older form, not key-signed: their content is checked, not whose key signed them)", n)
			}
			printLine(out, "")
			for _, n := range r.Notes {
				printLine(out, "NOTE:", n)
			}
			if r.OK() {
				printLine(out, "OK: no problems found")
				return nil
			}
			for _, p := range r.Problems {
				printLine(out, "PROBLEM:", p)
			}
			damaged := reportDamagedScans(cmd.Context(), out, s, prof, r.Damaged, repair)
			if len(r.Problems) == 0 && damaged == 0 {
				return nil
			}
			return &exitError{ExitProblems, fmt.Errorf("verify found %d problems and %d documents with damaged scans; restore the vault from a backup and report this", len(r.Problems), damaged)}
		}),
	}
	cmd.Flags().BoolVar(&quick, "quick", false, "do not read the scan files")
	cmd.Flags().BoolVar(&repair, "repair", false, "replace damaged or missing scan files with the archive's copies")
	return cmd
}

func demoCommand(e *env) *cobra.Command {
	var n, batch int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "demo --patients N",
		Short: "add N synthetic patients (for demonstrations and benchmarks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n <= 0 || batch <= 0 {
				return usageError{fmt.Errorf("--patients and --batch must be positive")}
			}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				g := demo.NewGenerator(seed, time.Now().Year())
				start := time.Now()
				for made := 0; made < n; {
					k := min(batch, n-made)
					ps := make([]app.Patient, k)
					for i := range ps {
						ps[i] = g.Patient()
					}
					if _, err := s.Patients().Register(cmd.Context(), ps...); err != nil {
						return fmt.Errorf("after %d patients: %w", made, err)
					}
					made += k
				}
				el := time.Since(start)
				printf(cmd.OutOrStdout(), "%d synthetic patients added in %s (%.0f/s)\n", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&n, "patients", 100, "how many")
	cmd.Flags().IntVar(&batch, "batch", 1000, "patients per transaction")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed (same seed, same patients)")
	return cmd
}

func settingsCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "settings", Short: "workstation settings (administrators; QA sampling: records managers)"}
	idle := settingCommand(e, "idle-lock DURATION", "lock the window after this long without use (e.g. 5m, 1h; default 10m)",
		func(arg string) (time.Duration, error) {
			d, err := time.ParseDuration(arg)
			if err != nil {
				return 0, usageError{fmt.Errorf("idle lock %q: give a duration like 5m or 1h", arg)}
			}
			return d, nil
		},
		func(ctx context.Context, s *app.Session, d time.Duration) error {
			return s.Settings().SetIdleLock(ctx, d)
		},
		func(ctx context.Context, v *app.Vault) (string, error) {
			return fmt.Sprintf("the window now locks after %s without use", v.IdleLock(ctx)), nil
		})
	var keep bool
	drop := &cobra.Command{
		Use:   "drop-folder DIR [--keep]",
		Short: "the folder the scanner writes into, watched by the app and `folio watch` (\"\" for none)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if dir != "" {
				abs, err := filepath.Abs(dir)
				if err != nil {
					return usageError{err}
				}
				dir = abs
			}
			return e.inSessionProfile(cmd.Context(), func(s *app.Session, prof *profile.Profile) error {
				if err := s.Settings().SetIntakeSettings(cmd.Context(), app.IntakeSettings{DropFolder: dir, Keep: keep}); err != nil {
					return err
				}
				is := prof.Vault.IntakeSettings(cmd.Context())
				what := "removed once stored encrypted"
				if is.Keep {
					what = "left in the folder"
				}
				printf(cmd.OutOrStdout(), "drop folder: %q; imported files are %s\n", is.DropFolder, what)
				return nil
			})
		},
	}
	drop.Flags().BoolVar(&keep, "keep", false, "leave imported files in the folder")
	qa := settingCommand(e, "qa-sample PERCENT", "the share of filed documents a second person checks (default 10; problems are always checked)",
		func(arg string) (int, error) {
			n, err := strconv.Atoi(strings.TrimSuffix(arg, "%"))
			if err != nil {
				return 0, usageError{fmt.Errorf("QA sample %q: give a whole percentage, 0 to 100", arg)}
			}
			return n, nil
		},
		func(ctx context.Context, s *app.Session, n int) error {
			return s.Indexing().SetQASampling(ctx, n)
		},
		func(ctx context.Context, v *app.Vault) (string, error) {
			return fmt.Sprintf("%d%% of filed documents now go to QA", v.QASampling(ctx)), nil
		})
	cmd.AddCommand(idle, drop, qa)
	cmd.AddCommand(adminSettingsCommands(e)...)
	cmd.AddCommand(typeRulesCommand(e))
	return cmd
}
