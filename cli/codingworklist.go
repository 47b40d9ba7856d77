package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"folio/app"
)

func (e *env) codeWorklist() *cobra.Command {
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
			return e.coding(cmd, func(ctx context.Context, c app.Coding) error {
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
