package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"folio/app"
)

func (e *env) initCommand() *cobra.Command {
	var site string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "create the vault and its first administrator; print the recovery key",
		Long: `Creates the encrypted vault in the data folder with a first administrator
(--user, FOLIO_USER, or your login name). The password comes from
FOLIO_PASSWORD or is asked twice. The recovery key is printed once: write it
down or print it, and keep it locked away; it is the only way back in if every
administrator forgets their password.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			prof, err := e.open()
			if err != nil {
				return err
			}
			defer prof.Close()
			name := e.userName()
			pw, err := e.newSecret("FOLIO_PASSWORD", "new password for administrator "+name)
			if err != nil {
				return err
			}
			key, err := prof.Vault.Create(cmd.Context(), app.CreateParams{Admin: name, Password: pw, SitePrefix: site})
			if err != nil {
				return err
			}
			prefix, _ := prof.Vault.SitePrefix(cmd.Context())
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Vault created in %s for administrator %s (MRN prefix %s).\n\n", prof.Dir, name, prefix)
			fmt.Fprintf(out, "RECOVERY KEY (shown only now; write it down and keep it safe):\n\n    %s\n\n", key)
			fmt.Fprintln(out, "With it, 'folio user recover' sets a new password when one is forgotten.")
			return nil
		},
	}
	cmd.Flags().StringVar(&site, "site", "", "MRN site prefix, 2 to 6 letters or digits (default: from the device id)")
	return cmd
}
