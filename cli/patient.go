package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"folio/app"
)

// patientFlags are the demographic flags of add and amend.
type patientFlags struct {
	sex, dob              string
	otherNames            []string
	estimated, restricted bool
}

// patientTextFlag is a flag of add and amend that sets a text field of the
// patient as given.
type patientTextFlag struct {
	name, help string
	field      func(*app.Patient) *string
}

// patientTextFlags lists the text flags once, for register and apply.
func patientTextFlags() []patientTextFlag {
	return []patientTextFlag{
		{"family", "family name", func(p *app.Patient) *string { return &p.Family }},
		{"given", "given name(s)", func(p *app.Patient) *string { return &p.Given }},
		{"phone", "phone number", func(p *app.Patient) *string { return &p.Phone }},
		{"village", "village or locality", func(p *app.Patient) *string { return &p.Village }},
		{"address", "address", func(p *app.Patient) *string { return &p.Address }},
		{"national-id", "national ID number", func(p *app.Patient) *string { return &p.NationalID }},
		{"notes", "notes", func(p *app.Patient) *string { return &p.Notes }},
		{"kin-name", "next of kin: name", func(p *app.Patient) *string { return &p.NextOfKin.Name }},
		{"kin-relationship", "next of kin: relationship", func(p *app.Patient) *string { return &p.NextOfKin.Relationship }},
		{"kin-phone", "next of kin: phone", func(p *app.Patient) *string { return &p.NextOfKin.Phone }},
	}
}

func (f *patientFlags) register(fs *pflag.FlagSet) {
	for _, t := range patientTextFlags() {
		fs.String(t.name, "", t.help)
	}
	fs.StringVar(&f.sex, "sex", "", "female, male, other or unknown")
	fs.StringVar(&f.dob, "dob", "", "date of birth: YYYY-MM-DD, YYYY-MM or YYYY")
	fs.BoolVar(&f.estimated, "estimated", false, "the date of birth is an estimate")
	fs.StringArrayVar(&f.otherNames, "other-name", nil, "another name or alias (repeatable)")
	fs.BoolVar(&f.restricted, "restricted", false, "restricted chart (opening it needs a reason)")
}

// apply copies the flags that were set onto p.
func (f *patientFlags) apply(fs *pflag.FlagSet, p *app.Patient) error {
	set := func(name string) bool { return fs.Changed(name) }
	for _, t := range patientTextFlags() {
		if set(t.name) {
			*t.field(p) = fs.Lookup(t.name).Value.String()
		}
	}
	if set("sex") {
		sex, err := app.ParseSex(f.sex)
		if err != nil {
			return usageError{err}
		}
		p.Sex = sex
	}
	if set("dob") {
		d, err := app.ParseBirthDate(f.dob)
		if err != nil {
			return usageError{err}
		}
		p.BirthDate = d
	}
	if set("estimated") {
		p.BirthDate.Estimated = f.estimated
	}

	if set("other-name") {
		p.OtherNames = f.otherNames
	}
	if set("restricted") {
		p.Restricted = f.restricted
	}
	return nil
}

func patientCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "patient", Short: "register, find, show, amend, merge and delete patients"}
	cmd.AddCommand(patientAdd(e), patientFind(e), patientShow(e), patientAmend(e), patientHistory(e),
		patientMerge(e), patientUnmerge(e), patientDelete(e), patientRestore(e))
	return cmd
}

func patientAdd(e *env) *cobra.Command {
	var f patientFlags
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "add --family F --given G --sex S --dob YYYY-MM-DD|YYYY [...]",
		Short: "register a patient; prints the new MRN",
		Long: `Registers a patient and prints the new MRN on stdout. Possible duplicates
(same national ID or phone, or a name that sounds alike born within a year)
are listed on stderr and nothing is registered (exit 3) unless --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var p app.Patient
			if err := f.apply(cmd.Flags(), &p); err != nil {
				return err
			}
			if err := p.Validate(time.Now()); err != nil {
				return usageError{err}
			}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				if !force {
					dups, err := s.Patients().FindDuplicates(cmd.Context(), p)
					if err != nil {
						return err
					}
					if len(dups) > 0 {
						printLine(cmd.ErrOrStderr(), "Possible duplicates of this patient:")
						_ = writeMatches(cmd.ErrOrStderr(), dups, time.Now())
						return &exitError{ExitDuplicates, errors.New("possible duplicates found; open the existing record, or run again with --force to register a new patient")}
					}
				}
				ps, err := s.Patients().Register(cmd.Context(), p)
				if err != nil {
					return err
				}
				return writeOne(cmd, asJSON, toJSON(ps[0]), func(w io.Writer) error { printLine(w, ps[0].MRN); return nil })
			})
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&force, "force", false, "register even if possible duplicates exist")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new patient as JSON")
	return cmd
}

func patientFind(e *env) *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "find QUERY",
		Short: "find patients by name (typos tolerated), MRN, date of birth or phone",
		Args:  cobra.MinimumNArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			ms, err := s.Patients().Search(cmd.Context(), strings.Join(args, " "), limit)
			if err != nil {
				return err
			}
			return writeList(cmd, ms, asJSON, matchJSON, "no patient found", func(w io.Writer, ms []app.Match) error {
				return writeMatches(w, ms, time.Now())
			})
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.Flags().IntVar(&limit, "limit", 20, "at most this many results")
	return cmd
}

func patientShow(e *env) *cobra.Command {
	var asJSON bool
	var reason string
	cmd := &cobra.Command{
		Use:   "show MRN",
		Short: "show a patient (a restricted chart needs --reason, recorded as break-glass)",
		Args:  cobra.ExactArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			if err := breakGlass(cmd.Context(), s.Patients(), args[0], reason); err != nil {
				return err
			}
			p, err := s.Patients().Open(cmd.Context(), args[0])
			if errors.Is(err, app.ErrNeedsBreakGlass) {
				return fmt.Errorf("%w; run again with --reason \"...\"", err)
			}
			if err != nil {
				return err
			}
			return writeOne(cmd, asJSON, toJSON(p), func(w io.Writer) error { return writePatient(w, p, time.Now()) })
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&reason, "reason", "", "break-glass reason for a restricted chart")
	return cmd
}

func patientAmend(e *env) *cobra.Command {
	var f patientFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "amend MRN [--family F] [--phone P] ...",
		Short: "amend a patient: the flags given replace those fields, as a new version",
		Args:  cobra.ExactArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			p, err := s.Patients().Open(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := f.apply(cmd.Flags(), &p); err != nil {
				return err
			}
			p, err = s.Patients().Amend(cmd.Context(), p)
			if err != nil {
				return err
			}
			return writeOne(cmd, asJSON, toJSON(p), func(w io.Writer) error {
				printf(w, "%s amended (version %s)\n", p.MRN, p.Version)
				return nil
			})
		}),
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new version as JSON")
	return cmd
}

func patientHistory(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history MRN",
		Short: "every version of a patient (and of records merged into it), oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			vs, err := s.Patients().History(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			j := mapSlice(vs, func(v app.PatientVersion) patientJSON { return toJSON(v.Patient) })
			return writeOne(cmd, asJSON, j, func(w io.Writer) error {
				for _, v := range vs {
					merged := ""
					if v.MergedInto != "" {
						merged = " (merged away)"
					}
					if v.Deleted {
						merged = " (deleted: " + v.DeletedReason + ")"
					}
					printf(w, "%s  %s  by %-10s %s  %s, %s  %s%s\n", v.Changed.Format(time.RFC3339),
						v.Version, v.ChangedBy, v.MRN, v.Family, v.Given, v.BirthDate, merged)
				}
				return nil
			})
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func patientMerge(e *env) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "merge SURVIVOR-MRN DUPLICATE-MRN",
		Short: "merge a duplicate record into the survivor (undo with unmerge)",
		Args:  cobra.ExactArgs(2),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			p, err := s.Patients().Merge(cmd.Context(), args[0], args[1], reason)
			if err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "%s merged into %s\n", args[1], p.MRN)
			return nil
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "duplicate registration", "why")
	return cmd
}

// patientChange is a command that writes one patient's next version with a
// stated reason: unmerge, delete, restore.
func patientChange(e *env, use, short, defaultReason, done string, change func(app.Patients, context.Context, string, string) (app.Patient, error)) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				p, err := change(s.Patients(), cmd.Context(), args[0], reason)
				if err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "%s %s (version %s)\n", p.MRN, done, p.Version)
				return nil
			})
		},
	}
	help := "why"
	if defaultReason == "" {
		help = "why (required)"
	}
	cmd.Flags().StringVar(&reason, "reason", defaultReason, help)
	return cmd
}

func patientUnmerge(e *env) *cobra.Command {
	return patientChange(e, "unmerge DUPLICATE-MRN", "undo a merge: the duplicate becomes a patient of its own again",
		"merged in error", "unmerged", app.Patients.Unmerge)
}

func patientDelete(e *env) *cobra.Command {
	cmd := patientChange(e, "delete MRN --reason WHY",
		"withdraw a registration made in error (a tombstone version that syncs; undo with restore)",
		"", "deleted", app.Patients.Delete)
	cmd.Long = "Withdraws a registration made in error. Nothing is erased: the deletion is a new version\n" +
		"that every workstation receives, the history stays readable, and 'folio patient restore'\n" +
		"brings it back. A chart with documents filed cannot be deleted: merge it into the right patient."
	return cmd
}

func patientRestore(e *env) *cobra.Command {
	return patientChange(e, "restore MRN", "bring back a deleted registration", "deleted in error", "restored", app.Patients.Restore)
}
