package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"folio/app"
)

func codeWorklist(e *env) *cobra.Command {
	var status string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "worklist [--status waiting|coded|queried] [--json]",
		Short: "signed encounters to code, oldest signature first, with status, coder and turnaround",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st := app.CodingStatus(status)
			switch st {
			case "", app.CodingWaiting, app.CodingCoded, app.CodingQueried:
			default:
				return usageError{fmt.Errorf("status %q: use waiting, coded or queried", status)}
			}
			return coding(e, cmd, func(ctx context.Context, c app.Coding) error {
				items, err := c.Worklist(ctx, st)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), items)
				}
				if len(items) == 0 {
					printf(cmd.ErrOrStderr(), "no signed encounters %s\n", status)
					return nil
				}
				writeWorklist(cmd.OutOrStdout(), items)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only encounters waiting, coded or queried")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the worklist as JSON")
	return cmd
}

// writeWorklist prints one line per encounter.
func writeWorklist(w io.Writer, items []app.WorkItem) {
	for _, it := range items {
		coded := ""
		if it.Coder != "" {
			coded = fmt.Sprintf("  coded by %s %s (%s after signing)", it.Coder, it.Coded.Local().Format(stamp), it.Turnaround.Round(time.Second))
		}
		printf(w, "%s  %-8s  %s  %s  signed by %s %s%s\n", it.EncounterID, it.Status, it.MRN,
			it.Type.Label(), it.Clinician, it.Signed.Local().Format(stamp), coded)
	}
}

func codeQueries(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "queries [--json]",
		Short: "the coders' queries waiting for your answer (clinicians), oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return coding(e, cmd, func(ctx context.Context, c app.Coding) error {
				qs, err := c.Queries(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), qs)
				}
				if len(qs) == 0 {
					printf(cmd.ErrOrStderr(), "no queries waiting for your answer\n")
					return nil
				}
				for _, q := range qs {
					printf(cmd.OutOrStdout(), "%s  encounter %s  %s  %s  from %s %s: %s\n", q.ID, q.EncounterID, q.MRN,
						q.Time.Local().Format("2006-01-02"), q.By, q.At.Local().Format(stamp), q.Text)
				}
				printf(cmd.ErrOrStderr(), "answer with: folio code answer QUERYID --text ANSWER\n")
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the queries as JSON")
	return cmd
}
