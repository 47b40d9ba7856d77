package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"folio/app"
)

// chartSummary runs fn with the chart summary service of a signed-in
// session. When --break-glass gives a reason, it first breaks the glass of
// the chart of the patient (MRN or id) or of the entry the command names.
func chartSummary(e *env, cmd *cobra.Command, patientRef, entryID string, fn func(ctx context.Context, cs app.ChartSummary) error) error {
	return withChartService(e, cmd, (*app.Session).ChartSummary, patientRef, entryID, fn)
}

// parseDay reads a date of the chart, YYYY-MM-DD; empty is none.
func parseDay(flag, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("--%s %q: use YYYY-MM-DD", flag, s)}
	}
	return t, nil
}

// summaryEntryJSON is a summary entry as the command line prints it.
type summaryEntryJSON struct {
	app.ChartEntry
	MRN     string `json:"mrn"`
	Status  string `json:"status"`
	Version string `json:"version"`
}

func entryToJSON(c app.ChartEntry) summaryEntryJSON {
	return summaryEntryJSON{ChartEntry: c, MRN: c.MRN, Status: c.Status(time.Now()), Version: c.Version.String()}
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// entryLine is one entry in a line: its title and what the clinician
// needs beside it.
func entryLine(c app.ChartEntry) string {
	var parts []string
	switch c.Section {
	case app.SectionAllergy:
		if !c.NoneKnown {
			parts = append(parts, c.Reaction, string(c.Severity))
		}
	case app.SectionProblem:
		if c.Chronic {
			parts = append(parts, "chronic")
		}
		if !c.Onset.IsZero() {
			parts = append(parts, "since "+dateOf(c.Onset))
		}
	case app.SectionMedication:
		if c.Dose != "" {
			parts = append(parts, c.Dose)
		}
		parts = append(parts, "from "+dateOf(c.Start))
		if !c.Stop.IsZero() {
			parts = append(parts, "stop "+dateOf(c.Stop))
		}
	}
	if c.Ended != nil {
		parts = append(parts, "ended "+dateOf(c.Ended.Date)+" by "+c.Ended.By)
		if c.Ended.Reason != "" {
			parts = append(parts, c.Ended.Reason)
		}
	}
	line := c.Title()
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, "; ") + ")"
	}
	return line
}

func writeEntries(w io.Writer, list []app.ChartEntry) {
	now := time.Now()
	for _, c := range list {
		printf(w, "%s  %-16s %s  [%s %s]\n", c.ID, c.Status(now), entryLine(c), c.RecordedBy, c.Recorded.Local().Format(time.DateOnly))
	}
}

// writeSummary prints the top of a chart.
func writeSummary(w io.Writer, s app.Summary) {
	printf(w, "Patient      %s\n", s.MRN)
	switch {
	case s.NoKnownAllergies && len(s.Allergies) > 0:
		// Recorded apart on two workstations and synced: both stand until
		// a clinician resolves the wrong one.
		printLine(w, "Allergies    CHECK: \"no known allergies\" was recorded, and so were these (on another workstation); resolve the wrong one")
	case s.NoKnownAllergies:
		printLine(w, "Allergies    No known allergies")
	case len(s.Allergies) == 0:
		printLine(w, "Allergies    not recorded (ask, then record them or --none)")
	}
	heading := func(label string, list []app.ChartEntry) {
		for i, c := range list {
			if i == 0 {
				printf(w, "%-12s %s\n", label, entryLine(c))
			} else {
				printf(w, "%-12s %s\n", "", entryLine(c))
			}
		}
	}
	heading("Allergies", s.Allergies)
	heading("Problems", s.Problems)
	if len(s.Problems) == 0 {
		printLine(w, "Problems     none active")
	}
	heading("Medications", s.Medications)
	if len(s.Medications) == 0 {
		printLine(w, "Medications  none current")
	}
}

// summaryCommand is folio summary MRN: the top of the chart.
func summaryCommand(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "summary MRN",
		Short: "the top of a chart: active allergies, problems and current medications",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return chartSummary(e, cmd, args[0], "", func(ctx context.Context, cs app.ChartSummary) error {
				s, err := cs.Summary(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(cmd, asJSON, s, func(w io.Writer) error { writeSummary(w, s); return nil })
			})
		},
	}
	breakGlassFlag(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// sectionCommand is folio allergy|problem|medication with its add, list
// and resolve (and medication's stop).
func sectionCommand(e *env, sec app.Section, short string, add *cobra.Command, more ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: string(sec), Short: short}
	breakGlassFlag(cmd.PersistentFlags())
	cmd.AddCommand(append([]*cobra.Command{add, entryList(e, sec), entryResolve(e, sec)}, more...)...)
	return cmd
}

// entryAdd is the add command of a section: build makes the entry from
// the flags.
func entryAdd(e *env, use, short string, build func() (app.ChartEntry, error)) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := build()
			if err != nil {
				return err
			}
			return chartSummary(e, cmd, args[0], "", func(ctx context.Context, cs app.ChartSummary) error {
				c, err := cs.Add(ctx, args[0], c)
				if err != nil {
					return err
				}
				return writeOne(cmd, asJSON, entryToJSON(c), func(w io.Writer) error {
					printf(w, "%s %s recorded: %s\n", c.Section, c.ID, entryLine(c))
					return nil
				})
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the entry as JSON")
	return cmd
}

func allergyCommand(e *env) *cobra.Command {
	var substance, reaction, severity string
	var none bool
	add := entryAdd(e, "add MRN --substance S --reaction R --severity mild|moderate|severe|life-threatening, or add MRN --none",
		"record an allergy, or that the patient has no known allergies", func() (app.ChartEntry, error) {
			c := app.ChartEntry{Section: app.SectionAllergy, Substance: substance, Reaction: reaction, Severity: app.Severity(severity), NoneKnown: none}
			if !none && severity != "" {
				sev, err := app.ParseSeverity(severity)
				if err != nil {
					return c, usageError{err}
				}
				c.Severity = sev
			}
			return c, nil
		})
	add.Flags().StringVar(&substance, "substance", "", "what the patient is allergic to")
	add.Flags().StringVar(&reaction, "reaction", "", "the reaction (rash, wheeze, anaphylaxis…)")
	add.Flags().StringVar(&severity, "severity", "", "mild, moderate, severe or life-threatening")
	add.Flags().BoolVar(&none, "none", false, "the patient has no known allergies (asked, and said none)")
	return sectionCommand(e, app.SectionAllergy, "record, list and resolve a patient's allergies", add)
}

func problemCommand(e *env) *cobra.Command {
	var text, code, onset string
	var chronic bool
	add := entryAdd(e, "add MRN (--code ICD-10-CM | --text T) [--chronic] [--onset YYYY-MM-DD]",
		"record a problem, in words or as an ICD-10-CM code", func() (app.ChartEntry, error) {
			on, err := parseDay("onset", onset)
			return app.ChartEntry{Section: app.SectionProblem, Text: text, Code: code, Chronic: chronic, Onset: on}, err
		})
	add.Flags().StringVar(&code, "code", "", "ICD-10-CM code (J45.909); its description is the problem's text")
	add.Flags().StringVar(&text, "text", "", "the problem in words")
	add.Flags().BoolVar(&chronic, "chronic", false, "a chronic problem: it stays active until resolved")
	add.Flags().StringVar(&onset, "onset", "", "when it began, YYYY-MM-DD")
	return sectionCommand(e, app.SectionProblem, "record, list and resolve a patient's problems", add)
}

func medicationCommand(e *env) *cobra.Command {
	var name, dose, start, stop string
	add := entryAdd(e, "add MRN --name DRUG [--dose D] --start YYYY-MM-DD [--stop YYYY-MM-DD]",
		"record a medication the patient takes", func() (app.ChartEntry, error) {
			from, err := parseDay("start", start)
			if err != nil {
				return app.ChartEntry{}, err
			}
			to, err := parseDay("stop", stop)
			return app.ChartEntry{Section: app.SectionMedication, Text: name, Dose: dose, Start: from, Stop: to}, err
		})
	add.Flags().StringVar(&name, "name", "", "the medication")
	add.Flags().StringVar(&dose, "dose", "", "dose and instructions (500 mg twice daily with food)")
	add.Flags().StringVar(&start, "start", "", "when it was started, YYYY-MM-DD")
	add.Flags().StringVar(&stop, "stop", "", "when it is to stop, YYYY-MM-DD (a fixed course)")
	return sectionCommand(e, app.SectionMedication, "record, list, stop and resolve a patient's medications", add, medicationStop(e))
}

func entryList(e *env, sec app.Section) *cobra.Command {
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "list MRN [--all]",
		Short: fmt.Sprintf("a patient's active %s entries (--all: the ended ones too)", sec),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return chartSummary(e, cmd, args[0], "", func(ctx context.Context, cs app.ChartSummary) error {
				list, err := cs.List(ctx, args[0], sec, all)
				if err != nil {
					return err
				}
				return writeList(cmd, list, asJSON, entryToJSON, fmt.Sprintf("no %s entries", sec), func(w io.Writer, list []app.ChartEntry) error {
					writeEntries(w, list)
					return nil
				})
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list resolved, stopped and past entries too")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

// entryChange is a command that changes one entry, given its id and a
// --date: change does it and says what it did.
func entryChange(e *env, use, short, dateHelp string, change func(ctx context.Context, cs app.ChartSummary, id string, d time.Time) (string, error)) *cobra.Command {
	var date string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := parseDay("date", date)
			if err != nil {
				return err
			}
			return chartSummary(e, cmd, "", args[0], func(ctx context.Context, cs app.ChartSummary) error {
				said, err := change(ctx, cs, args[0], d)
				if err != nil {
					return err
				}
				printLine(cmd.OutOrStdout(), said)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&date, "date", "", dateHelp)
	return cmd
}

func entryResolve(e *env, sec app.Section) *cobra.Command {
	var reason string
	var inError bool
	cmd := entryChange(e, "resolve ID [--date YYYY-MM-DD] [--reason R] [--error]",
		fmt.Sprintf("take a %s off the summary: resolved, no longer so, or (--error) entered in error", sec),
		"the day it resolved (default: today)",
		func(ctx context.Context, cs app.ChartSummary, id string, d time.Time) (string, error) {
			c, err := cs.Resolve(ctx, id, d, reason, inError)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s %s %s on %s", c.Section, c.ID, c.Status(time.Now()), dateOf(c.Ended.Date)), nil
		})
	cmd.Flags().StringVar(&reason, "reason", "", "why (required with --error)")
	cmd.Flags().BoolVar(&inError, "error", false, "it was entered in error")
	return cmd
}

func medicationStop(e *env) *cobra.Command {
	return entryChange(e, "stop ID [--date YYYY-MM-DD]", "record the day a medication was stopped (default: today)",
		"the day it was stopped (default: today)",
		func(ctx context.Context, cs app.ChartSummary, id string, d time.Time) (string, error) {
			c, err := cs.StopMedication(ctx, id, d)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("medication %s (%s) stopped on %s", c.ID, c.Text, dateOf(c.Stop)), nil
		})
}
