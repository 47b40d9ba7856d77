package cli

import (
	"context"

	"github.com/spf13/cobra"

	"folio/app"
)

func (e *env) noteCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "note", Short: "write an encounter's draft note; show a note with its addenda"}
	cmd.PersistentFlags().String("break-glass", "", "reason for opening a restricted chart (recorded as break-glass)")
	cmd.AddCommand(e.noteDraft(), e.noteShow())
	return cmd
}

func (e *env) noteDraft() *cobra.Command {
	var f noteFlags
	cmd := &cobra.Command{
		Use:   "draft ID [--history H] [--exam E] [--assessment A] [--plan P]",
		Short: "save your draft note: the sections given replace those sections",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withEncounter(cmd, args[0], func(ctx context.Context, en app.Encounters, enc app.Encounter) error {
				f.apply(&enc.Note, cmd.Flags())
				enc, err := en.SaveDraft(ctx, enc)
				if err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "draft of encounter %s saved (version %s)\n", enc.ID, enc.Version)
				return nil
			})
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func (e *env) noteShow() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "show an encounter's note, its signature and addenda",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withEncounter(cmd, args[0], func(ctx context.Context, en app.Encounters, enc app.Encounter) error {
				writeNote(cmd.OutOrStdout(), enc)
				return nil
			})
		},
	}
}
