package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"folio/app"
)

// codeProcedures lists and edits the organisation's procedure list.
func codeProcedures(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "procedures [--json] | procedures add CODE DESCRIPTION... | procedures remove CODE",
		Short: "the organisation's procedure list coders choose procedure codes from (a CPT code needs no entry)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return procedureList(e, cmd, func(_ context.Context, _ app.Settings, list []app.ProcedureEntry) error {
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), list)
				}
				if len(list) == 0 {
					printf(cmd.ErrOrStderr(), "no procedures on the list: add them with folio code procedures add CODE DESCRIPTION\n")
				}
				for _, p := range list {
					printf(cmd.OutOrStdout(), "%-10s  %s\n", p.Code, p.Description)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	add := &cobra.Command{
		Use:   "add CODE DESCRIPTION...",
		Short: "add a procedure to the list (coders)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return editProcedures(e, cmd, func(list []app.ProcedureEntry) ([]app.ProcedureEntry, error) {
				return append(list, app.ProcedureEntry{Code: args[0], Description: strings.Join(args[1:], " ")}), nil
			}, func(list []app.ProcedureEntry) {
				printf(cmd.OutOrStdout(), "procedure %s added (%d on the list)\n", strings.ToUpper(args[0]), len(list))
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove CODE",
		Short: "take a procedure off the list (codings that used it keep it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code := strings.ToUpper(strings.TrimSpace(args[0]))
			return editProcedures(e, cmd, func(list []app.ProcedureEntry) ([]app.ProcedureEntry, error) {
				n := len(list)
				if list = slices.DeleteFunc(list, func(p app.ProcedureEntry) bool { return p.Code == code }); len(list) == n {
					return nil, app.Invalidf("procedure %s is not on the list", code)
				}
				return list, nil
			}, func([]app.ProcedureEntry) {
				printf(cmd.OutOrStdout(), "procedure %s removed\n", code)
			})
		},
	}
	cmd.AddCommand(add, remove)
	return cmd
}

// procedureList runs fn with the settings service and the current list.
func procedureList(e *env, cmd *cobra.Command, fn func(ctx context.Context, st app.Settings, list []app.ProcedureEntry) error) error {
	s, _, done, err := e.session(cmd.Context())
	if err != nil {
		return err
	}
	defer done()
	st := s.Settings()
	list, err := st.Procedures(cmd.Context())
	if err != nil {
		return err
	}
	return fn(cmd.Context(), st, list)
}

// editProcedures saves the list edit makes of the current one, then
// calls done with the list saved.
func editProcedures(e *env, cmd *cobra.Command, edit func([]app.ProcedureEntry) ([]app.ProcedureEntry, error), done func([]app.ProcedureEntry)) error {
	return procedureList(e, cmd, func(ctx context.Context, st app.Settings, list []app.ProcedureEntry) error {
		list, err := edit(list)
		if err != nil {
			return err
		}
		if err := st.SetProcedures(ctx, list); err != nil {
			return err
		}
		done(list)
		return nil
	})
}
