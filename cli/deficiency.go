package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"folio/app"
)

// `folio deficiency`: record completion — the deficiencies the rules find,
// per user and for the records manager, a chart's completeness, and the
// thresholds.

func deficiencyCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "deficiency", Short: "record completion: deficiencies to complete, a chart's completeness, the thresholds"}
	cmd.AddCommand(deficiencyList(e), deficiencyChart(e), deficiencySettings(e))
	return cmd
}

// completion runs fn with the record-completion service of a signed-in
// session and the time --at gives (zero: the session's clock, now).
func completion(e *env, cmd *cobra.Command, at string, fn func(ctx context.Context, s *app.Session, cp app.Completion, at time.Time) error) error {
	var when time.Time
	if strings.TrimSpace(at) != "" {
		t, err := parseLocalTime("--at", at)
		if err != nil {
			return err
		}
		when = t
	}
	return e.inSession(cmd.Context(), func(s *app.Session) error {
		return glassHint(fn(cmd.Context(), s, s.Completion(), when))
	})
}

func deficiencyList(e *env) *cobra.Command {
	var mine, all, asJSON bool
	var at string
	cmd := &cobra.Command{
		Use:   "list [--mine | --all] [--at TIME] [--json]",
		Short: "open deficiencies: yours (--mine), or every one for the records manager (--all, overdue first)",
		Long: `Lists the open deficiencies of record completion. --mine lists those
assigned to you, oldest first; --all (records staff) lists every open one,
overdue first, with its assignee ("records department" when no one holds
it). Without either, records staff get --all and everyone else --mine.
--at TIME shows what is open at that time (YYYY-MM-DD HH:MM), given the
records as they are now.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if mine && all {
				return usageError{errors.New("give --mine or --all, not both")}
			}
			return completion(e, cmd, at, func(ctx context.Context, s *app.Session, cp app.Completion, when time.Time) error {
				list := cp.MineAt
				none := "no open deficiencies assigned to you"
				if all || (!mine && s.User().Roles.Can(app.PermCompletionAll)) {
					list, none = cp.AllAt, "no open deficiencies: every chart is complete"
				}
				ds, err := list(ctx, when)
				if err != nil {
					return err
				}
				return writeList(cmd, ds, asJSON, deficiencyToJSON, none, writeDeficiencies)
			})
		},
	}
	cmd.Flags().BoolVar(&mine, "mine", false, "only the deficiencies assigned to you")
	cmd.Flags().BoolVar(&all, "all", false, "every open deficiency (records staff)")
	cmd.Flags().StringVar(&at, "at", "", "as at this time (YYYY-MM-DD HH:MM; default now)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func deficiencyChart(e *env) *cobra.Command {
	var asJSON bool
	var at string
	cmd := &cobra.Command{
		Use:   "chart MRN [--at TIME] [--json]",
		Short: "a chart's completeness: complete, or its open deficiencies; and those closed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return completion(e, cmd, at, func(ctx context.Context, _ *app.Session, cp app.Completion, when time.Time) error {
				cc, err := cp.ChartAt(ctx, args[0], when)
				if err != nil {
					return err
				}
				j := chartCompletionJSON{MRN: cc.MRN, Complete: cc.Complete, Deficiencies: mapSlice(cc.Deficiencies, deficiencyToJSON)}
				return writeOne(cmd, asJSON, j, func(w io.Writer) error {
					if cc.Complete {
						printf(w, "chart %s is complete\n", cc.MRN)
					} else {
						printf(w, "chart %s is incomplete: %d open\n", cc.MRN, len(cc.Open()))
					}
					return writeDeficiencies(w, cc.Deficiencies)
				})
			})
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "as at this time (YYYY-MM-DD HH:MM; default now)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func deficiencySettings(e *env) *cobra.Command {
	values := map[string]*int{}
	cmd := &cobra.Command{
		Use:   "settings [--unsigned-note-hours N] [--uncoded-hours N] [--discharge-summary-hours N] [--qa-hours N] [--consent-hours N] [--due-days N]",
		Short: "show the record-completion thresholds, or change them for the whole organisation (records staff, administrators)",
		Args:  cobra.NoArgs,
		RunE: e.signedIn(func(cmd *cobra.Command, _ []string, s *app.Session) error {
			ctx, cp := cmd.Context(), s.Completion()
			th, err := cp.Thresholds(ctx)
			if err != nil {
				return err
			}
			changed := false
			for _, nw := range app.ThresholdNames() {
				if cmd.Flags().Changed(nw[0]) {
					if th, err = th.With(nw[0], *values[nw[0]]); err != nil {
						return err
					}
					changed = true
				}
			}
			if changed {
				if err := cp.SetThresholds(ctx, th); err != nil {
					return err
				}
				if th, err = cp.Thresholds(ctx); err != nil {
					return err
				}
			}
			writeThresholds(cmd.OutOrStdout(), th)
			return nil
		}),
	}
	for _, nw := range app.ThresholdNames() {
		values[nw[0]] = cmd.Flags().Int(nw[0], 0, nw[1])
	}
	return cmd
}

// writeThresholds prints one line per threshold, then who changed them.
func writeThresholds(w io.Writer, th app.Thresholds) {
	for _, nw := range app.ThresholdNames() {
		n, _ := th.Value(nw[0])
		printf(w, "%-24s %4d  %s\n", nw[0], n, nw[1])
	}
	if th.ChangedBy == "" {
		printf(w, "(the defaults: never changed)\n")
		return
	}
	printf(w, "(changed by %s on %s)\n", th.ChangedBy, th.Changed.Local().Format(stamp))
}

// writeDeficiencies prints two lines per deficiency: what, who and when,
// then the sentence saying what to do.
func writeDeficiencies(w io.Writer, ds []app.Deficiency) error {
	for _, d := range ds {
		state := "open " + ageText(d.Age)
		switch {
		case !d.IsOpen():
			state = "closed " + d.Closed.Local().Format(stamp) + " after " + ageText(d.Age)
		case d.Overdue:
			state = "OVERDUE, open " + ageText(d.Age)
		}
		printf(w, "%s  %s  %s  %s  opened %s  due %s  %s\n", d.ID, d.MRN, d.Rule, d.AssigneeLabel(),
			d.Opened.Local().Format(stamp), d.Due.Local().Format(stamp), state)
		printf(w, "    %s\n", d.What)
	}
	return nil
}

// ageText says how long: "3d 4h", "5h 10m", "40m".
func ageText(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	}
	return fmt.Sprintf("%dm", mins)
}

// deficiencyJSON is a deficiency as --json prints it: the age in words
// and in hours, the assignee always (empty: the records department).
type deficiencyJSON struct {
	app.Deficiency
	Age      string  `json:"age"`
	AgeHours float64 `json:"age_hours"`
	Assignee string  `json:"assignee"`
	Open     bool    `json:"open"`
}

func deficiencyToJSON(d app.Deficiency) deficiencyJSON {
	return deficiencyJSON{Deficiency: d, Age: ageText(d.Age), AgeHours: d.Age.Hours(), Assignee: d.Assignee, Open: d.IsOpen()}
}

type chartCompletionJSON struct {
	MRN          string           `json:"mrn"`
	Complete     bool             `json:"complete"`
	Deficiencies []deficiencyJSON `json:"deficiencies"`
}

// mapSlice applies f to each item.
func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
