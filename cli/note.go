package cli

import (
	"bytes"
	"context"
	"io"

	"github.com/spf13/cobra"

	"folio/app"
)

func noteCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "note", Short: "write an encounter's draft note; show a note with its addenda; print a signed note as a PDF"}
	breakGlassFlag(cmd.PersistentFlags())
	cmd.AddCommand(noteDraft(e), noteShow(e), notePDF(e))
	return cmd
}

func noteDraft(e *env) *cobra.Command {
	var f noteFlags
	cmd := &cobra.Command{
		Use:   "draft ID [--history H] [--exam E] [--assessment A] [--plan P]",
		Short: "save your draft note: the sections given replace those sections",
		Args:  cobra.ExactArgs(1),
		RunE: onEncounter(e, func(ctx context.Context, cmd *cobra.Command, en app.Encounters, enc app.Encounter) error {
			f.apply(&enc.Note, cmd.Flags())
			enc, err := en.SaveDraft(ctx, enc)
			if err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "draft of encounter %s saved (version %s)\n", enc.ID, enc.Version)
			return nil
		}),
	}
	f.register(cmd.Flags())
	return cmd
}

func noteShow(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "show an encounter's note, its signature and addenda",
		Args:  cobra.ExactArgs(1),
		RunE: onEncounter(e, func(ctx context.Context, cmd *cobra.Command, en app.Encounters, enc app.Encounter) error {
			writeNote(cmd.OutOrStdout(), enc)
			return nil
		}),
	}
}

func notePDF(e *env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "pdf ID --out FILE.pdf",
		Short: "print a signed visit note, with its addenda and coding, as a PDF (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: encounterPDF(e, &out, func(ctx context.Context, en app.Encounters, id string, w io.Writer) error {
			return en.NotePDF(ctx, id, w)
		}),
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the PDF file to write")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// encounterPDF makes a command's RunE that writes the PDF write makes of
// the encounter its first argument names to the file *out (--out), once
// write has made the whole of it.
func encounterPDF(e *env, out *string, write func(ctx context.Context, en app.Encounters, id string, w io.Writer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return encounters(e, cmd, "", args[0], func(ctx context.Context, en app.Encounters) error {
			var buf bytes.Buffer
			if err := write(ctx, en, args[0], &buf); err != nil {
				return err
			}
			return writeOut(*out, buf.Bytes(), cmd.OutOrStdout())
		})
	}
}
